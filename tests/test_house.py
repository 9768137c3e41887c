"""The house in order: parsing is pure (the lint pass is separate, no import cycle), and one
table maps notebook tags to block options in every direction."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from techpath.contrib.lint import load_checked_post
from techpath.model import BlockOptions
from techpath.parse import load_post
from techpath.parse.frontmatter import PostSchema
from techpath.parse.tags import NOTEBOOK_TAGS, fence_word, options_for_tags, tags_for_options
from tests.engine_helpers import write_post


def test_parsing_never_imports_the_linter() -> None:
    code = (
        "import sys, techpath.parse, techpath.parse.notebook\nprint('techpath.contrib.lint' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_load_post_is_pure_and_lint_is_a_separate_pass(tmp_path: Path) -> None:
    body = (
        "---\ntitle: T\ndescription: D\ndate: 2026-01-01\nauthors: [a]\ncategories: [C]\n---\n\n"
        "```python\nimport os\nos.system('ls')\n```\n"
    )
    path = write_post(tmp_path, "p.md", body)
    schema = PostSchema(frozenset({"C"}), frozenset({"a"}))
    parsed = load_post(path, schema).problems
    checked = load_checked_post(path, schema).problems
    assert len(checked) >= len(parsed)
    assert [p for p in checked if p not in parsed] == [
        p for p in checked if p not in load_post(path, schema).problems
    ]


def test_one_table_maps_tags_options_and_fence_words() -> None:
    for tag, word, field, value in NOTEBOOK_TAGS:
        options = BlockOptions(**options_for_tags([tag]))
        assert getattr(options, field) == value
        assert fence_word(tag) == word
        # writing the options back gives the first tag of that option (and value) in the table
        first = next(t for t, _w, f, v in NOTEBOOK_TAGS if f == field and v == value)
        assert tags_for_options(options) == [first]

"""The site decides what runs: `execute: marked` (markdown-exec's exec="on"), include/exclude
globs, the warnings policy and notebooks with saved outputs (parse/policy.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from techpath.engine import Engine, Settings
from techpath.parse.gate import load_checked_post
from techpath.parse.policy import RunPolicy
from tests.engine_helpers import write_post
from tests.test_notebooks import notebook

MARKED_PAGE = """
# A markdown-exec page

```python exec="on" source="above" session="demo"
print("shown with its code")
```

An illustration that must not run:

```python
import acme
acme.launch()
```

```python exec="on" id="quiet"
print("only the output")
```
"""


def test_marked_runs_only_exec_on_blocks(tmp_path: Path) -> None:
    path = write_post(tmp_path, "page.md", MARKED_PAGE)
    post = load_checked_post(path, None, RunPolicy(tmp_path, execute="marked"))
    assert post.problems == []
    assert [(b.options.skip, b.options.mdexec) for b in post.blocks] == [
        (False, True),  # exec="on": runs, as markdown-exec runs it
        (True, False),  # not marked: shown, never run
        (False, True),
    ]
    with Engine(Settings(jobs=1, cache_dir=tmp_path / "cache")) as engine:
        result = engine.run([post])[post.display_path]
    assert result.errors == []
    assert [b.status for b in result.blocks] == ["ok", "skipped", "ok"]
    # under execute: true the same page runs everything, and the illustration fails
    everything = load_checked_post(path, None, RunPolicy(tmp_path, execute=True))
    assert [b.options.skip for b in everything.blocks] == [False, False, False]


def test_markdown_exec_options_are_read_with_its_meaning_and_exec_off_only_shows(tmp_path: Path) -> None:
    path = write_post(
        tmp_path,
        "page.md",
        """
        ```python exec="on" source="tabbed-left"
        x = 1
        ```

        ```python exec="on" html="1"
        print("<b>x</b>")
        ```

        ```python exec="on" result="json"
        print(1)
        ```

        ```python exec="off"
        print(1)
        ```
        """,
    )
    post = load_checked_post(path, None, RunPolicy(tmp_path, execute="marked"))
    assert post.problems == []
    assert [(b.options.skip, b.options.mdexec) for b in post.blocks] == [
        (False, True),
        (False, True),
        (False, True),
        (True, False),  # exec="off": shown as code, never run, as markdown-exec leaves it
    ]


def test_include_and_exclude_globs_decide_which_pages_run(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    (docs / "guide").mkdir(parents=True)
    (docs / "drafts").mkdir()
    pages = {
        uri: write_post(docs, uri, "```python\nx = 1\n```\n")
        for uri in ("index.md", "guide/a.md", "guide/deep/b.md", "drafts/c.md")
        if (docs / uri).parent.mkdir(parents=True, exist_ok=True) is None
    }
    policy = RunPolicy(docs, include=("guide/*", "index.md"), exclude=("guide/deep/*",))
    runs = {uri: not load_checked_post(p, None, policy).blocks[0].options.skip for uri, p in pages.items()}
    assert runs == {"index.md": True, "guide/a.md": True, "guide/deep/b.md": False, "drafts/c.md": False}
    everything = RunPolicy(docs)
    assert all(everything.selected(p) for p in pages.values())


def _saved_output_notebook(tmp_path: Path) -> Path:
    path = tmp_path / "analysis.ipynb"
    data = json.loads(notebook(("markdown", "# Analysis", []), ("code", "print(1)", [])))
    data["cells"][1]["outputs"] = [{"output_type": "stream", "name": "stdout", "text": "1\n"}]
    data["cells"][1]["execution_count"] = 1
    path.write_text(json.dumps(data))
    return path


@pytest.mark.parametrize("choice", ["error", "ignore", "strip"])
def test_saved_outputs_are_an_error_ignored_or_stripped(tmp_path: Path, choice: str) -> None:
    path = _saved_output_notebook(tmp_path)
    before = path.read_text()
    post = load_checked_post(path, None, RunPolicy(tmp_path, saved_outputs=choice))
    messages = [p.message for p in post.problems]
    assert any(m.startswith("stored outputs:") for m in messages) == (choice == "error")
    assert (path.read_text() == before) == (choice != "strip")
    if choice == "strip":
        assert json.loads(path.read_text())["cells"][1]["outputs"] == []


def test_warnings_policy_error_fails_the_block_show_prints_it(tmp_path: Path) -> None:
    path = write_post(
        tmp_path, "page.md", '```python\nimport warnings\nwarnings.warn("old", DeprecationWarning)\n```\n'
    )
    with Engine(Settings(jobs=1, cache_dir=tmp_path / "cache")) as engine:
        strict = load_checked_post(path, None, RunPolicy(tmp_path, warnings="error"))
        shown = load_checked_post(path, None, RunPolicy(tmp_path))  # the default: as Jupyter
        results = engine.run([strict])
        (failed,) = results.values()
        (passed,) = engine.run([shown]).values()
    assert failed.errors and "DeprecationWarning" in failed.errors[0].headline()
    assert passed.errors == []
    assert "DeprecationWarning: old" in "".join(o.text for o in passed.blocks[0].outputs if o.text)


def test_bad_policy_values_are_named(tmp_path: Path) -> None:
    with pytest.raises(
        ValueError, match=r"techpath option execute: expected one of true, false, marked, got 'some'"
    ):
        RunPolicy.from_options(tmp_path, {"execute": "some"})
    with pytest.raises(ValueError, match=r"saved_outputs: expected one of error, ignore, strip, got 'keep'"):
        RunPolicy.from_options(tmp_path, {"saved_outputs": "keep"})

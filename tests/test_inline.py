"""Inline values and claims: found in prose, evaluated in the page, escaped into the Markdown."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from techpath.cache import cache_key
from techpath.engine import Engine, Settings
from techpath.model import Limits
from techpath.parse import load_post
from techpath.parse.inline import find_spans, parse_claim, split_format
from techpath.render.downloads import write_downloads
from techpath.render.inline import fill_inline
from tests.engine_helpers import line_of, run_one, write_post


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    folder = tmp_path_factory.mktemp("inline-cache")
    with Engine(Settings(jobs=1, preload=[], cache_dir=folder, refresh=True)) as running:
        yield running


POST = """
---
title: t
---
# Inline

```python
accuracy = 37 / 38
correct = 37
name = "a<b> & *c* | d"
```

The model scores `{python} accuracy:.2f` (`{claim} 37 = correct` of 38, `{claim} 97% ~ accuracy`).

| metric | value |
|---|---|
| accuracy | `{python} f"{accuracy:.3f}"` |
| name | `{python} name` |

!!! note
    In a box: `{python} correct + 1`.

??? math "Math"

    $a = `{python} accuracy:.2f` \\text{ and } b_{`{python} name`}$

Shown, not run: ``` `` `{python} accuracy` `` ```.

```markdown
`{python} never_run`
```
"""


def test_spans_are_found_outside_fences_and_multi_backtick_code(tmp_path: Path) -> None:
    path = write_post(tmp_path, "post.md", POST)
    spans = find_spans(path.read_text())
    assert [s.source for s in spans] == [
        "accuracy:.2f",
        "37 = correct",
        "97% ~ accuracy",
        'f"{accuracy:.3f}"',
        "name",
        "correct + 1",
        "accuracy:.2f",
        "name",
    ]
    post = load_post(path)
    assert [i.line for i in post.inline][:3] == [line_of(path, "The model scores")] * 3
    assert all(i.after == 0 for i in post.inline)


def test_format_spec_and_claim_syntax() -> None:
    assert split_format("x:.2f") == ("x", "", ".2f")
    assert split_format("d[1:2]") == ("d[1:2]", "", "")
    assert split_format("name!r") == ("name", "r", "")
    assert split_format("n!r:>5") == ("n", "r", ">5")
    claim = parse_claim("0.97 ~ acc")
    assert (claim.number, claim.expression) == (0.97, "acc")
    assert claim.tolerance == pytest.approx(0.005)
    assert parse_claim("0.97 ≈ acc ± 0.01").tolerance == pytest.approx(0.01)
    assert parse_claim("200 ~ n +- 5%").tolerance == pytest.approx(10)
    assert parse_claim("1,000 = n").number == 1000
    with pytest.raises(ValueError, match="LITERAL"):
        parse_claim("about acc")


def test_values_run_in_the_page_and_are_escaped_where_they_land(engine: Engine, tmp_path: Path) -> None:
    post, result = run_one(engine, tmp_path, POST)
    assert result.ok, result.errors
    assert [v.text for v in result.inline] == [
        "0.97",
        "37",
        "97%",
        "0.974",
        "a<b> & *c* | d",
        "38",
        "0.97",
        "a<b> & *c* | d",
    ]
    body = post.text.split("---", 2)[2]
    filled = fill_inline(body, result)
    assert "The model scores 0.97 (37 of 38, 97%)." in filled
    assert "| accuracy | 0.974 |" in filled
    assert "| name | a&#60;b&#62; &#38; &#42;c&#42; &#124; d |" in filled  # table cell intact
    assert "In a box: 38." in filled
    assert r"$a = 0.97 \text{ and } b_{a<b> \& *c* | d}$" in filled  # TeX escaping inside $...$
    assert "`` `{python} accuracy` ``" in filled and "`{python} never_run`" in filled


def test_failing_value_and_false_claim_name_file_line_and_both_values(engine: Engine, tmp_path: Path) -> None:
    body = """
    ```python
    accuracy = 0.9473
    ```

    It scores `{claim} 0.97 ~ accuracy +- 0.01`.

    Undefined: `{python} missing_name`.

    ```python
    print("later blocks still run")
    ```
    """
    post, result = run_one(engine, tmp_path, body)
    claim, value = result.errors
    path = post.display_path
    assert claim.location == f"{path}:{line_of(post.path, 'It scores')}"
    assert claim.type == "ClaimFailed"
    assert "0.97" in claim.message and "0.9473" in claim.message and "within 0.01" in claim.message
    assert value.location == f"{path}:{line_of(post.path, 'Undefined')}"
    assert value.type == "NameError" and "missing_name" in value.message
    assert result.blocks[1].status == "ok"
    filled = fill_inline(post.text, result)
    assert "It scores 0.97." in filled  # the claim keeps its literal
    assert "Undefined: ` missing_name `." in filled  # a failed value never shows a number


def test_value_order_follows_the_document(engine: Engine, tmp_path: Path) -> None:
    body = """
    ```python
    x = 1
    ```

    Here x is `{python} x`.

    ```python
    x = 2
    ```

    Now x is `{python} x`.
    """
    _post, result = run_one(engine, tmp_path, body)
    assert [v.text for v in result.inline] == ["1", "2"]


def test_values_are_in_the_cache_key_prose_is_not(tmp_path: Path) -> None:
    one = write_post(tmp_path, "a.md", "```python\nx = 1\n```\n\nValue `{python} x`.\n")
    key = cache_key(load_post(one), Limits(), "env")
    one.write_text("```python\nx = 1\n```\n\nValue `{python} x + 1`.\n")
    assert cache_key(load_post(one), Limits(), "env") != key
    one.write_text("```python\nx = 1\n```\n\nThe value `{python} x + 1`.\n")
    changed = cache_key(load_post(one), Limits(), "env")
    one.write_text("```python\nx = 1\n```\n\nThe new value `{python} x + 1`.\n")
    assert cache_key(load_post(one), Limits(), "env") == changed


def test_bad_syntax_is_a_problem_before_running(tmp_path: Path) -> None:
    path = write_post(tmp_path, "p.md", "Text\n\nBad `{python} 1 +`, claim `{claim} about x`.\n")
    post = load_post(path)
    assert [(p.line, "not a Python expression" in p.message) for p in post.problems][:1] == [(3, True)]
    assert any("a claim reads" in p.message for p in post.problems)
    assert post.inline == []


def test_notebook_post_values_and_downloads(engine: Engine, tmp_path: Path) -> None:
    cells = [
        {"cell_type": "code", "metadata": {}, "source": "n = 41 + 1", "outputs": [], "execution_count": None},
        {"cell_type": "markdown", "metadata": {}, "source": "Intro\n\nThe answer is `{python} n`."},
        {"cell_type": "markdown", "metadata": {}, "source": "Claimed: `{claim} 43 = n`."},
    ]
    path = tmp_path / "nb.ipynb"
    path.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    post = load_post(path)
    (result,) = engine.run([post]).values()
    assert result.inline[0].text == "42"
    (error,) = result.errors
    assert error.location == f"{post.display_path}:cell 3:1"
    assert "43" in error.message and "42" in error.message
    write_downloads(post, result, tmp_path / "site")
    notebook = json.loads((tmp_path / "site" / "nb.ipynb").read_text())
    sources = [c["source"] for c in notebook["cells"] if c["cell_type"] == "markdown"]
    assert any("The answer is 42." in s for s in sources)
    script = (tmp_path / "site" / "nb.py").read_text()
    assert "# The answer is 42." in script
    assert "# (42 = n)" in script  # the script says where the number came from


SITE_POST = """---
title: Inline post
description: Values from the code.
date: 2026-01-02
authors: [team]
categories: [Samples]
tags: [sample]
slug: inline
---

Intro.

<!-- more -->

```python
accuracy = 37 / 38
label = "<b>bold</b> & more"
```

Prose: about `{claim} 0.97 ~ accuracy`, exactly `{python} accuracy:.3f`, label `{python} label`.

- a list item `{python} accuracy:.1%`

| metric | value |
|---|---|
| acc | `{python} accuracy:.2f` |

!!! note "Box"
    Inside an admonition: `{python} 40 - 2`.

Math: $p = `{python} accuracy:.2f`$.
"""


@pytest.mark.slow
def test_site_build_renders_values_and_fails_at_the_claims_line(tmp_path: Path, monkeypatch) -> None:
    import shutil

    from tests.conftest import run_mkdocs_build

    site = tmp_path / "sample"
    shutil.copytree(Path(__file__).parent / "sample_site", site)
    config = site / "mkdocs.yml"
    katex = (Path(__file__).parents[1] / "node_modules" / "katex").as_posix()
    config.write_text(config.read_text().replace("../../node_modules/katex", katex))
    monkeypatch.setenv("TECHPATH_CACHE_DIR", str(tmp_path / "cache"))
    post = site / "docs" / "blog" / "posts" / "inline.md"
    post.write_text(SITE_POST)
    monkeypatch.setenv("TECHPATH_RESULTS", str(tmp_path / "results.json"))  # the build's snapshot
    done = run_mkdocs_build(site / "out", config)
    assert done.returncode == 0, done.stderr
    pages = json.loads((tmp_path / "results.json").read_text())["pages"]
    assert [v["text"] for v in pages["docs/blog/posts/inline.md"]["inline"]][:2] == ["0.97", "0.974"]
    html = (site / "out" / "blog" / "inline" / "index.html").read_text()
    assert "Prose: about 0.97, exactly 0.974, label &#60;b&#62;bold&#60;&#47;b&#62; &#38; more." in html
    assert "<b>bold</b>" not in html and "{python}" not in html
    assert "a list item 97.4%" in html
    assert "<td>0.97</td>" in html
    assert "Inside an admonition: 38." in html
    assert 'class="katex' in html and "<mn>0.97</mn>" in html  # typeset inside $...$
    post.write_text(SITE_POST.replace("0.97 ~ accuracy", "0.95 ~ accuracy"))
    failed = run_mkdocs_build(site / "out2", config)
    assert failed.returncode != 0
    line = SITE_POST.splitlines().index(next(x for x in SITE_POST.splitlines() if x.startswith("Prose:"))) + 1
    assert (
        f"docs/blog/posts/inline.md:{line}: ClaimFailed: the prose says 0.95 but accuracy is 0.97368"
        in failed.stderr
    )

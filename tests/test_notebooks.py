"""Notebook posts: front matter from a raw cell, tags as options, errors by cell, no stored
outputs, and the same rendering as a Markdown post with the same content."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from techpath.engine import Engine, Settings
from techpath.parse import load_post
from techpath.parse.fences import find_fences
from techpath.parse.frontmatter import PostSchema
from techpath.parse.notebook import notebook_markdown, strip_outputs
from techpath.render.notebooks import markdown_cells, notebook_json, to_notebook
from tests.conftest import run_mkdocs_build

FRONT = (
    "---\ntitle: Twin\ndescription: Same post, two formats.\ndate: 2026-01-03\n"
    "authors: [team]\ncategories: [Samples]\ntags: [sample]\nmath: [Order]\n---"
)


def notebook(*cells: tuple[str, str, list[str]]) -> str:
    nb = {"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    for kind, source, tags in cells:
        cell = {"cell_type": kind, "metadata": {"tags": tags} if tags else {}, "source": source}
        if kind == "code":
            cell.update(outputs=[], execution_count=None)
        nb["cells"].append(cell)
    return json.dumps(nb, indent=1)


def test_a_python_fence_in_a_markdown_cell_is_shown_not_run(tmp_path: Path) -> None:
    """Jupyter shows code written in a markdown cell (a call signature, an example); only code
    cells run. The page's blocks and its executable fences stay one to one (a stranger's
    notebook with such a cell made the build fail with an IndexError)."""
    path = tmp_path / "nb.ipynb"
    path.write_text(
        notebook(
            ("markdown", "The signature:\n\n```python\nDataFrame.pivot_table(data)\n```", []),
            ("code", "x = 1", []),
            ("markdown", "~~~py\nnot run either\n~~~", []),
        )
    )
    post = load_post(path)
    markdown = notebook_markdown(path)
    assert [b.source for b in post.blocks] == ["x = 1"]
    assert "```python3\nDataFrame.pivot_table(data)\n```" in markdown and "~~~python3\n" in markdown
    executable = [f for f in find_fences(markdown) if f.kind == "python"]
    assert [f.code.strip() for f in executable] == ["x = 1"]


def test_front_matter_tags_and_cell_numbers(tmp_path: Path) -> None:
    path = tmp_path / "nb.ipynb"
    path.write_text(
        notebook(
            ("raw", FRONT, []),
            ("markdown", "Intro\n\n<!-- more -->", []),
            ("code", "x = 1", ["remove-cell"]),
            ("code", "1 / 0", ["raises-exception"]),
            ("markdown", "## Why?\nBecause $x$.", ["math-box"]),
            ("code", "print(x)", ["hide-input", "skip-execution"]),
        )
    )
    post = load_post(path, PostSchema())
    assert post.problems == [] and post.meta["title"] == "Twin"
    assert [b.cell for b in post.blocks] == [3, 4, 6]
    assert post.blocks[0].options.hide and post.blocks[1].options.raises == ""
    assert post.blocks[2].options.hide_code and post.blocks[2].options.skip
    markdown = notebook_markdown(path)
    assert markdown.startswith("---\ntitle: Twin")
    assert '??? math "Why?"\n\n    Because $x$.' in markdown
    assert "```python hide\nx = 1\n```" in markdown and "```python hide-code skip\nprint(x)" in markdown


def test_errors_name_the_cell_and_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.ipynb"
    path.write_text(notebook(("markdown", "Hi", []), ("code", "a = 1", []), ("code", "a = 2\nprint(b)", [])))
    with Engine(Settings(jobs=1, cache_dir=tmp_path / "cache")) as engine:
        (result,) = engine.run([load_post(path)]).values()
    error = result.errors[0]
    assert error.headline() == f"{path.as_posix()}:cell 3:2: NameError: name 'b' is not defined"
    assert f'File "{path.as_posix()}:cell 3", line 2' in error.traceback and "print(b)" in error.traceback


def test_stored_outputs_are_a_problem_and_strip_removes_them(tmp_path: Path) -> None:
    path = tmp_path / "out.ipynb"
    data = json.loads(notebook(("raw", FRONT.replace("math: [Order]\n", ""), []), ("code", "print(1)", [])))
    data["cells"][1]["outputs"] = [{"output_type": "stream", "name": "stdout", "text": "1\n"}]
    data["cells"][1]["execution_count"] = 1
    path.write_text(json.dumps(data))
    problems = load_post(path, PostSchema()).problems
    assert [str(p) for p in problems] == [
        f"{path.as_posix()}:cell 2:1: stored outputs: commit notebooks without outputs "
        "(the build runs every cell); run `techpath strip` on the file"
    ]
    assert strip_outputs(path) and not strip_outputs(path)
    assert load_post(path, PostSchema()).problems == []


def test_broken_json_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.ipynb"
    path.write_text('{\n "cells": [\n  {"cell_type": "code",\n }\n')
    (problem,) = load_post(path, PostSchema()).problems
    assert problem.line == 4 and "not a valid notebook" in problem.message


def _article_shape(html: str) -> list[str]:
    """Tag names and classes inside the article, without text, ids or links."""
    article = html.split("<article", 1)[1].split("</article>", 1)[0]
    article = re.sub(r'<nav class="md-post__action".*?</nav>', "", article, flags=re.S)
    # Previous/next differ by design: the twins are neighbours on the path.
    article = re.sub(r'<nav [^>]*class="techpath-path-nav".*?</nav>', "", article, flags=re.S)
    shape = []
    for tag, attrs in re.findall(r"<([a-z0-9]+)([^>]*)>", article):
        classes = re.search(r'class="([^"]*)"', attrs)
        shape.append(tag + ("." + ".".join(sorted(classes.group(1).split())) if classes else ""))
    return shape


TWIN = f"""{FRONT}

The same content in both formats.

<!-- more -->

## The recipe

```python standalone
import matplotlib.pyplot as plt
values = [3, 1, 2]
print(sorted(values))
```

```python hide
assert sorted(values) == [1, 2, 3]
```

??? math "Why sorted?"
    Because $a_1 \\le a_2 \\le a_3$.

```python
fig, ax = plt.subplots()
ax.bar(range(3), values)
ax.set_title("Three bars")
plt.show()
len(values)
```
"""


@pytest.mark.slow
def test_markdown_and_notebook_twins_render_the_same(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    site = tmp_path / "sample"
    shutil.copytree(Path(__file__).parent / "sample_site", site)
    config = site / "mkdocs.yml"
    katex = (Path(__file__).parents[1] / "node_modules" / "katex").as_posix()
    config.write_text(config.read_text().replace("../../node_modules/katex", katex))
    posts = site / "docs" / "blog" / "posts"
    (posts / "twin-md.md").write_text(TWIN.replace("title: Twin", "title: Twin\nslug: twin-md"))
    nb_cells = markdown_cells(TWIN.replace("title: Twin", "title: Twin\nslug: twin-nb"))
    (posts / "twin-nb.ipynb").write_text(notebook_json(to_notebook(nb_cells)))
    monkeypatch.setenv("TECHPATH_CACHE_DIR", str(tmp_path / "cache"))
    result = run_mkdocs_build(site / "out", config)
    assert result.returncode == 0, result.stderr
    md_html = (site / "out" / "blog" / "twin-md" / "index.html").read_text()
    nb_html = (site / "out" / "blog" / "twin-nb" / "index.html").read_text()
    assert _article_shape(md_html) == _article_shape(nb_html)
    for html in (md_html, nb_html):
        assert "[1, 2, 3]" in html and 'class="katex"' in html and 'alt="Figure: Three bars"' in html
        assert "Download notebook" in html
    assert "assert sorted" not in nb_html
    # Downloads: a valid notebook with the executed outputs, and a script that runs alone.
    for name in ("twin-md", "twin-nb"):
        folder = site / "out" / "assets" / "downloads" / name  # where the staging code puts them
        downloaded = nbformat.read(str(folder / f"{name}.ipynb"), as_version=4)
        nbformat.validate(downloaded)
        outputs = [o for c in downloaded.cells if c.cell_type == "code" for o in c.outputs]
        assert any(o.get("text") == "[1, 2, 3]\n" for o in outputs)
        assert any("image/svg+xml" in o.get("data", {}) for o in outputs)
        run = subprocess.run(
            [sys.executable, str(folder / f"{name}.py")],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            env={"MPLBACKEND": "Agg", "PATH": "/usr/bin:/bin"},
            timeout=120,
        )
        assert run.returncode == 0, run.stderr
        assert run.stdout == "[1, 2, 3]\n3\n"


def test_inline_math_with_spaces_inside_the_dollars_is_math_as_in_jupyter(tmp_path: Path) -> None:
    """Jupyter typesets `$ x_{i} $` (MathJax allows a space after the opening dollar); arithmatex
    took it for dollar signs and Markdown made emphasis of the subscripts. A course notebook's
    derivation was printed as raw TeX with stray <em> tags. Code spans and fences keep their
    text as written."""
    path = tmp_path / "nb.ipynb"
    path.write_text(
        notebook(
            ("markdown", "Spaced $ a_{i} + b_{j} $ and tight $c_{k}$; code `$ d $`.", []),
            ("markdown", "```text\n$ e $\n```", []),
            ("code", "x = 1", []),
        )
    )
    markdown = notebook_markdown(path)
    assert "Spaced $a_{i} + b_{j}$ and tight $c_{k}$; code `$ d $`." in markdown
    assert "```text\n$ e $\n```" in markdown


def test_a_first_line_that_looks_like_meta_data_stays_in_the_page(tmp_path: Path) -> None:
    """MkDocs reads a page's first lines written `Key: value` as MultiMarkdown meta-data and drops
    them; a notebook starting with `Note: ...` lost its first paragraph, which Jupyter shows."""
    html = _built_notebook_page(tmp_path, "Note: read this first.\n\nSecond part.")
    assert "Note: read this first." in html and "Second part." in html


def test_typeset_math_is_not_checked_as_markdown(tmp_path: Path) -> None:
    """The build typesets `$..$` before Markdown reads the page; the HTML-policy check read the
    formula as Markdown instead (a site without arithmatex in its extensions): `_{\\theta} + \\E_`
    became emphasis, `{\\theta}` an attribute list, and the build failed on `<em _theta>`, a tag
    the page never holds (also for `$ .. $`, which a notebook's page typesets as Jupyter does)."""
    html = _built_notebook_page(
        tmp_path,
        "# T\n\nMean: ${0}$\n\nSpaced: $ {0} $".format(
            r"\operatorname{E}_{\theta} + \operatorname{E}_{\theta}"
        ),
    )
    for label in ("Mean:", "Spaced:"):
        shown = html.split(label)[1].split("</p>")[0]
        assert 'class="katex"' in shown and "<em" not in shown


def _built_notebook_page(tmp_path: Path, markdown_cell: str) -> str:
    """The HTML of a one-page site (a notebook: this markdown cell and a code cell), built strict."""
    docs = tmp_path / "docs"
    docs.mkdir()
    (tmp_path / "mkdocs.yml").write_text("site_name: t\nplugins: [techpath]\n")
    (docs / "index.ipynb").write_text(notebook(("markdown", markdown_cell, []), ("code", "x = 1", [])))
    result = run_mkdocs_build(tmp_path / "out", tmp_path / "mkdocs.yml")
    assert result.returncode == 0, result.stderr
    return (tmp_path / "out" / "index.html").read_text()

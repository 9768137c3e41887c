"""Notebooks where users put them: nav entries and links naming `x.ipynb` reach the page it became."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from markdown.extensions.toc import slugify_unicode

from techpath.stage.notebook_links import (
    HeadingAnchors,
    jupyter_fragments,
    link_to_pages,
    nav_to_pages,
    notebook_names,
)

NOTEBOOKS = {"analysis.ipynb", "guide/deep.ipynb"}


def test_nav_entries_naming_notebooks_point_at_their_pages() -> None:
    nav = [
        "index.md",
        {"Analysis": "analysis.ipynb"},
        {"Guide": [{"Deep": "guide/deep.ipynb"}, "other.ipynb"]},
    ]
    assert nav_to_pages(nav, NOTEBOOKS) == [
        "index.md",
        {"Analysis": "analysis.md"},
        {"Guide": [{"Deep": "guide/deep.md"}, "other.ipynb"]},  # not a page of this site: left
    ]


def test_links_to_notebooks_point_at_pages_relative_to_the_linking_page_outside_code() -> None:
    page = (
        "See [it](../analysis.ipynb#results 'the numbers') and [deep](deep.ipynb).\n"
        "[ref]: ../analysis.ipynb\n"
        "A download: [file](../assets/analysis.ipynb), [far](https://x.org/analysis.ipynb).\n"
        "```markdown\n[in code](deep.ipynb)\n```\n"
    )
    assert link_to_pages(page, "guide/page.md", NOTEBOOKS) == (
        "See [it](../analysis.md#results 'the numbers') and [deep](deep.md).\n"
        "[ref]: ../analysis.md\n"
        "A download: [file](../assets/analysis.ipynb), [far](https://x.org/analysis.ipynb).\n"
        "```markdown\n[in code](deep.ipynb)\n```\n"
    )


PAGES = {
    "intro.md": (
        "---\ntitle: Intro\n# a: comment\n---\n# Intro\n\n## Fitting a *Model*\n\n"
        "```python\n# Plot-It\n```\n\n## Déjà vu: 3.5\n\n## Déjà vu: 3.5\n\n"
        '<a id="Own-Anchor"></a>\n'
    ),
    "guide/deep.md": "# Deep\n\n## Second Part\n",
}


def test_jupyter_heading_links_point_at_the_anchor_the_site_gives_the_heading() -> None:
    """Jupyter's anchor is the heading's text with spaces as '-' (case and punctuation kept);
    the site's comes from its toc settings. Only fragments that are no anchor of the target
    page and match one of its headings by Jupyter's rule change; code is left alone."""
    page = (
        "[a](../intro.md#Fitting-a-Model), [b](#Second-Part), [c](../intro.md#D%C3%A9j%C3%A0-vu:-3.5 'T'),\n"
        "[d](../intro.md#Own-Anchor), [e](../intro.md#Missing), [f](../intro.md#Plot-It),\n"
        "[g](#second-part), [h](https://x.org/a.md#Second-Part)\n"
        "[ref]: #Second-Part\n"
        "```markdown\n[in code](#Second-Part)\n```\n"
    )
    default = jupyter_fragments(page, "guide/deep.md", PAGES.get, HeadingAnchors(None, False))
    assert default == (
        "[a](../intro.md#fitting-a-model), [b](#second-part), [c](../intro.md#deja-vu-35 'T'),\n"
        "[d](../intro.md#Own-Anchor), [e](../intro.md#Missing), [f](../intro.md#Plot-It),\n"
        "[g](#second-part), [h](https://x.org/a.md#Second-Part)\n"
        "[ref]: #second-part\n"
        "```markdown\n[in code](#Second-Part)\n```\n"
    )
    own = HeadingAnchors({"slugify": slugify_unicode, "separator": "_"}, True)
    assert jupyter_fragments(page, "guide/deep.md", PAGES.get, own).startswith(
        "[a](../intro.md#fitting_a_model), [b](#second_part), [c](../intro.md#déjà_vu_35 'T'),\n"
    )
    unloadable = HeadingAnchors({"slugify": None}, False)  # mkdocs.yml names one we cannot load
    assert not unloadable.usable


def test_mkdocs_messages_about_links_name_notebooks_as_the_user_wrote_them() -> None:
    """MkDocs reports a notebook's links for the page `x.md` it became; the message names the
    files of the site, `x.ipynb`, and a link the user wrote to a notebook as they wrote it."""
    anchor = (
        "Doc file 'guide/deep.md' contains a link '../analysis.md#Results', "
        "but the doc 'analysis.md' does not contain an anchor '#Results'."
    )
    assert notebook_names(anchor, NOTEBOOKS) == (
        "Doc file 'guide/deep.ipynb' contains a link '../analysis.ipynb#Results', "
        "but the doc 'analysis.ipynb' does not contain an anchor '#Results'."
    )
    image = "Doc file 'analysis.md' contains a link 'images/x.png', but the target is not found."
    assert notebook_names(image, NOTEBOOKS) == image.replace("analysis.md", "analysis.ipynb")
    markdown_page = "Doc file 'guide/page.md' contains a link 'other.md#a', but the doc 'other.md' ..."
    assert notebook_names(markdown_page, NOTEBOOKS) == markdown_page  # no notebook in it


BUILDS = {
    "mkdocs": [sys.executable, "-m", "mkdocs", "build"],
    "properdocs": [sys.executable, "-m", "techpath.cli", "build", "-g", "properdocs"],
}


@pytest.mark.parametrize("generator", sorted(BUILDS))
def test_the_generators_page_messages_name_notebooks(tmp_path: Path, generator: str) -> None:
    """Through MkDocs itself, and ProperDocs on the staged tree: a notebook's link to a missing
    heading of another notebook is reported naming the notebooks; Jupyter's heading links work."""
    (tmp_path / "docs").mkdir()
    (tmp_path / "mkdocs.yml").write_text(
        "site_name: L\ntheme: material\nplugins:\n  - techpath\n"
        "markdown_extensions:\n  - toc:\n      separator: '_'\n"
    )
    text = "# A\n\nSee [b](b.ipynb#Missing-Part), [two](b.ipynb#Part-two), [here](#Own-Part)\n\n## Own Part\n"
    cell = {"cell_type": "markdown", "metadata": {}, "source": text}
    for name, cells in (("a", [cell]), ("b", [{**cell, "source": "# B\n\n## Part two\n"}])):
        book = {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
        (tmp_path / "docs" / f"{name}.ipynb").write_text(json.dumps(book))
    built = subprocess.run(
        BUILDS[generator],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={**os.environ, "TECHPATH_KEEP_WARM": "0", "NO_MKDOCS_2_WARNING": "1"},
        timeout=300,
    )
    assert built.returncode == 0, built.stderr
    assert (
        "Doc file 'a.ipynb' contains a link 'b.ipynb#Missing-Part', "
        "but the doc 'b.ipynb' does not contain an anchor '#Missing-Part'."
    ) in built.stderr, built.stderr
    page = (tmp_path / "site" / "a" / "index.html").read_text()
    assert 'href="../b/#part_two"' in page and 'href="#own_part"' in page  # the site's separator
    assert "Part-two" not in built.stderr and "Own-Part" not in built.stderr, built.stderr


def test_a_notebook_beside_a_markdown_page_of_its_name_is_an_error_naming_both(tmp_path: Path) -> None:
    """`x.md` and `x.ipynb` would both be the page `x/`: the Markdown page is built, the
    notebook left out with an error naming both, and MkDocs is not handed a second `x.md`."""
    (tmp_path / "docs").mkdir()
    (tmp_path / "mkdocs.yml").write_text("site_name: T\nplugins:\n  - techpath\n")
    (tmp_path / "docs" / "x.md").write_text("# From Markdown\n")
    cell = {"cell_type": "markdown", "metadata": {}, "source": "# From the notebook"}
    book = {"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    (tmp_path / "docs" / "x.ipynb").write_text(json.dumps(book))
    built = subprocess.run(
        [sys.executable, "-W", "error::DeprecationWarning:mkdocs.structure.files", "-m", "mkdocs", "build"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={**os.environ, "TECHPATH_KEEP_WARM": "0", "NO_MKDOCS_2_WARNING": "1"},
        timeout=300,
    )
    assert "Traceback" not in built.stderr and "DeprecationWarning" not in built.stderr, built.stderr
    assert "docs/x.ipynb: docs/x.md is in the same folder" in built.stderr, built.stderr
    assert "From Markdown" in (tmp_path / "site" / "x" / "index.html").read_text()

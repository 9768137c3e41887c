"""Notebooks where users put them: nav entries and links naming `x.ipynb` reach the page it became."""

from __future__ import annotations

from techpath.stage.notebook_links import link_to_pages, nav_to_pages

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

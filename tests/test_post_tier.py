"""The post tier (`make check`): which pages its browser tests visit (tests/browser.py
`changed_only`) and which queries its search test types."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests import browser
from tests import test_browser_follow_along as follow

POST = """---
date: 2026-01-05
slug: {slug}
---

# {slug}

```python
print(1)
```
"""


def _page(site: Path, url: str, *hrefs: str, post: bool = False, nav: tuple[str, ...] = ()) -> None:
    """A built page whose article links `hrefs` and whose navigation, around it, links `nav`."""
    folder = site / url.strip("/")
    folder.mkdir(parents=True, exist_ok=True)
    marker = '<div class="techpath-place"></div>' if post else ""
    links = "".join(f'<a href="{h}">x</a>' for h in hrefs)
    menu = "".join(f'<a href="{h}">x</a>' for h in nav)
    (folder / "index.html").write_text(
        f"<html><body><nav>{menu}</nav>{marker}<article>{links}</article></body></html>"
    )


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A built blog of three posts (b links a, as its neighbour on the path; every post's
    navigation lists every post), their index, an about page and a setup page that links the
    index; the sources of a and setup in docs/."""
    posts = tmp_path / "docs" / "blog" / "posts"
    posts.mkdir(parents=True)
    (posts / "a.md").write_text(POST.format(slug="a"))
    (tmp_path / "docs" / "setup.md").write_text("# Set up\n\nNo code here.\n")
    site = tmp_path / "site"
    _page(site, "/", "blog/", "about/")
    path = ("../a/", "../b/", "../c/")
    _page(site, "/blog/a/", "../../assets/downloads/a/a.py", "../../about/", post=True, nav=path)
    _page(site, "/blog/b/", "../a/", "https://example.org/blog/a/", post=True, nav=path)
    _page(site, "/blog/c/", "../b/", post=True, nav=path)
    _page(site, "/blog/", "a/", "b/", "../setup/")
    _page(site, "/about/")
    _page(site, "/setup/", "../blog/")
    monkeypatch.setattr(browser, "ROOT", tmp_path)
    return site


def test_the_full_suite_sweeps_every_page(site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(browser, "CHANGED_PAGES", None)
    assert browser.changed_only(site, browser.site_pages(site)) == browser.site_pages(site)
    assert browser.enough(3, 4) is False


def test_a_changed_post_sweeps_itself_and_the_pages_whose_text_links_it(
    site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(browser, "CHANGED_PAGES", (Path("docs/blog/posts/a.md"),))
    assert browser.changed_only(site, browser.site_pages(site)) == ["/blog/a/", "/blog/b/", "/blog/"]
    assert browser.changed_only(site, browser.post_pages(site)) == ["/blog/a/", "/blog/b/"]
    assert browser.enough(0, 4) is True  # the full suite keeps the guard against checking nothing


def test_a_changed_page_that_is_no_post_sweeps_itself_only(
    site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(browser, "CHANGED_PAGES", (Path("docs/setup.md"),))
    assert browser.changed_only(site, browser.site_pages(site)) == ["/setup/"]


def test_a_changed_page_not_found_in_the_site_sweeps_every_page(
    site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (site.parent / "docs" / "gone.md").write_text("# Not built\n")
    monkeypatch.setattr(browser, "CHANGED_PAGES", (Path("docs/blog/posts/a.md"), Path("docs/gone.md")))
    assert browser.changed_only(site, browser.site_pages(site)) == browser.site_pages(site)


def test_only_a_data_file_changed_sweeps_every_page(site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No page changed but the tier narrows (a data file changed): any page may read it."""
    monkeypatch.setattr(browser, "CHANGED_PAGES", ())
    assert browser.changed_only(site, browser.site_pages(site)) == browser.site_pages(site)


def _index(site: Path, texts: dict[str, str]) -> None:
    """A search index of Material's shape: one document per page location and its text."""
    docs = [
        {"location": location, "title": "T", "text": text, "tags": []} for location, text in texts.items()
    ]
    (site / "search").mkdir(exist_ok=True)
    config = {"separator": r"[\s\-]+"}
    (site / "search" / "search_index.json").write_text(json.dumps({"config": config, "docs": docs}))


def test_the_post_tier_searches_the_queries_a_changed_post_can_answer(
    site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A changed post that says "sigmoids" and "softmax-like" may outrank the lessons of
    "sigmoid" and "softmax" (and of "log-loss", by its word "loss"); words only other pages say
    leave their queries out, and the full suite searches every query."""
    _index(
        site,
        {
            "blog/a/": "Why sigmoids, and a softmax-like LOSS",
            "blog/a/#math-box": "one more section",
            "blog/b/": "gradient and gini and eigenvectors",
        },
    )
    monkeypatch.setattr(browser, "CHANGED_PAGES", (Path("docs/blog/posts/a.md"),))
    assert follow.queries_to_check(site) == {q: follow.QUERIES[q] for q in ("sigmoid", "softmax", "log-loss")}
    monkeypatch.setattr(browser, "CHANGED_PAGES", None)
    assert follow.queries_to_check(site) == follow.QUERIES


def test_the_post_tier_searches_every_query_of_a_changed_lesson(
    site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An edited lesson may lose the words that found it: its queries are searched whatever its
    text says now."""
    (site.parent / "docs" / "blog" / "posts" / "pca.md").write_text(POST.format(slug="pca"))
    _page(site, "/blog/pca/", "../../assets/downloads/pca/pca.py", post=True)
    _index(site, {"blog/pca/": "nothing a query asks for"})
    monkeypatch.setattr(browser, "CHANGED_PAGES", (Path("docs/blog/posts/pca.md"),))
    assert follow.queries_to_check(site) == {"eigenvectors": "/blog/pca/"}


def test_the_post_tier_still_searches_when_no_query_can_change(
    site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _index(site, {"blog/a/": "nothing a query asks for"})
    monkeypatch.setattr(browser, "CHANGED_PAGES", (Path("docs/blog/posts/a.md"),))
    first = next(iter(follow.QUERIES))
    assert follow.queries_to_check(site) == {first: follow.QUERIES[first]}


def test_the_post_tier_checks_dark_mode_on_the_fixed_pages_a_changed_page_reaches(
    site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The blog's index shows post a: checked, the home page left out; a changed page none of
    the list shows: the home page still; the full suite: the whole list."""
    monkeypatch.setattr(browser, "CHANGED_PAGES", (Path("docs/blog/posts/a.md"),))
    assert follow.dark_pages_to_check(site) == ["/blog/"]
    monkeypatch.setattr(browser, "CHANGED_PAGES", (Path("docs/setup.md"),))
    assert follow.dark_pages_to_check(site) == ["/"]
    monkeypatch.setattr(browser, "CHANGED_PAGES", None)
    assert follow.dark_pages_to_check(site) == follow.DARK_PAGES

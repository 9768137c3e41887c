"""The post tier (`make check`): which pages its browser sweeps visit (tests/browser.py `changed_only`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import browser

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

"""A reader's browser, with the network cut off, opens a post and expands a math box, on the
site each generator built (MkDocs, ProperDocs, Zensical)."""

from __future__ import annotations

import pytest

from tests.browser import artifact, offline_browser, open_page, wait_for_scheme, wait_until
from tests.each_generator import built_site, site_server  # noqa: F401  (each generator's site)

pytestmark = [pytest.mark.browser, pytest.mark.slow]


POST = "/blog/first-classifier/"


def _expand_first_math_box(page) -> object:
    box = page.locator("details.math").first
    box.locator("summary").click()
    assert box.get_attribute("open") is not None
    return box


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_math_box_expands_to_typeset_math_offline(site_server: str, scheme: str, generator: str) -> None:
    with offline_browser(site_server, color_scheme=scheme) as (page, log):
        open_page(page, log, site_server + POST)
        expected_scheme = "slate" if scheme == "dark" else "default"
        wait_for_scheme(page, expected_scheme)
        box = _expand_first_math_box(page)
        katex = box.locator(".katex-html").first
        assert katex.is_visible()
        text = box.inner_text()
        assert "\\(" not in text and "\\[" not in text and "$$" not in text, text
        # KaTeX fonts really loaded (a fallback font would mean a broken asset path).
        assert page.evaluate("document.fonts.check('16px KaTeX_Main')")
        box.scroll_into_view_if_needed()
        page.screenshot(path=str(artifact(f"post-math-box-{scheme}.png", generator)))
        assert log.console_errors == []
        assert log.failed_requests == []


def test_math_survives_instant_navigation(site_server: str) -> None:
    with offline_browser(site_server) as (page, log):
        # the path page links every post (the blog index pages its newest-first list)
        open_page(page, log, site_server + "/start-here/")
        page.locator('article a[href$="first-classifier/"]').first.click()
        page.wait_for_url("**" + POST)
        # navigation.instant swaps the content without a full load; math must still be typeset.
        # (Zensical changes the URL before it swaps the content in: wait for the swap.)
        wait_until(page, "document.title.includes('first classifier')")
        assert page.evaluate("document.querySelectorAll('.md-content .katex').length") > 0
        box = _expand_first_math_box(page)
        assert box.locator(".katex-html").first.is_visible()
        assert log.console_errors == []

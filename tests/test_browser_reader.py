"""What a reader does, in headless Chromium with every non-local request blocked, on the site
each generator built (MkDocs, ProperDocs, Zensical)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.browser import artifact, offline_browser, open_page, wait_for_scheme, wait_until
from tests.each_generator import built_site, site_server  # noqa: F401  (each generator's site)

pytestmark = [pytest.mark.browser, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[1]
POST = "/blog/first-classifier/"


def _first_python_block(path: Path) -> str:
    text = path.read_text()
    return re.search(r"```python[^\n]*\n(.*?)\n```", text, re.S).group(1)


def test_reader_follows_the_path_to_a_post(site_server: str, generator: str) -> None:
    with offline_browser(site_server) as (page, log):
        open_page(page, log, site_server + "/")
        page.screenshot(path=str(artifact("home.png", generator)))
        page.get_by_role("link", name="Start here").first.click()
        page.wait_for_url("**/start-here/")
        first = page.locator(".techpath-path li a").first
        title = first.inner_text()
        first.click()
        page.wait_for_url("**" + POST)
        # Zensical's instant navigation changes the URL before it swaps the content: wait for it.
        from playwright.sync_api import expect

        expect(page.locator("h1").first).to_have_text(title)
        # Every post shows where it sits on the path and links onwards.
        assert "Next:" in page.locator(".techpath-path-nav").inner_text()
        assert page.locator(".techpath-verified").inner_text().startswith("Verified with scikit-learn")
        assert log.console_errors == [] and log.failed_requests == []


def test_copy_button_copies_exactly_the_code(site_server: str) -> None:
    with offline_browser(site_server) as (page, log):
        page.context.grant_permissions(["clipboard-read", "clipboard-write"])
        open_page(page, log, site_server + POST)
        block = page.locator(".md-content .highlight").first
        block.hover()
        block.locator("button[data-md-type='copy']").click()
        copied = page.evaluate("navigator.clipboard.readText()")
        expected = _first_python_block(ROOT / "docs" / "blog" / "posts" / "first-classifier.md")
        assert copied.strip() == expected.strip()
        assert "Output" not in copied and ">>>" not in copied
        assert log.console_errors == []


def test_dark_mode_keeps_figures_and_math_readable(site_server: str, generator: str) -> None:
    with offline_browser(site_server) as (page, log):
        open_page(page, log, site_server + POST)
        page.locator("label[title='Switch to dark mode']").first.click()
        wait_for_scheme(page, "slate")
        box = page.locator("details.math").first
        box.locator("summary").click()
        colors = page.evaluate(
            """() => {
              const math = document.querySelector('details.math[open] .katex');
              const page = getComputedStyle(document.body).backgroundColor;
              const img = document.querySelector('.techpath-figure img');
              img.scrollIntoView();
              return {math: getComputedStyle(math).color, page, filter: getComputedStyle(img).filter};
            }"""
        )
        assert _luminance(colors["math"]) - _luminance(colors["page"]) > 0.5, colors  # light text, dark page
        # Figures match the page: the white ground of matplotlib's SVG is painted dark.
        assert "invert" in colors["filter"], colors
        page.wait_for_timeout(300)
        box.scroll_into_view_if_needed()
        page.screenshot(path=str(artifact("post-dark.png", generator)))
        assert log.console_errors == []


def _luminance(css: str) -> float:
    r, g, b = (int(v) / 255 for v in re.findall(r"\d+", css)[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def test_search_finds_a_post_by_a_word_in_its_body(
    site_server: str, built_site: Path, generator: str
) -> None:
    if generator == "zensical":
        _search_zensical(site_server, built_site)
        return
    with offline_browser(site_server) as (page, log):
        open_page(page, log, site_server + "/")
        page.locator("label.md-search__icon, .md-search__input").first.click()
        page.locator("input.md-search__input").press_sequentially("eigenvectors", delay=30)
        result = page.locator(".md-search-result__item a").filter(has_text="PCA").first
        result.wait_for(timeout=15000)
        assert "pca" in result.get_attribute("href")
        assert log.console_errors == []


def _search_zensical(site_server: str, built_site: Path) -> None:
    """Zensical 0.0.73 has its own search dialog (a header button opening a modal, its results
    in a shadow root, which Playwright's text locators reach) and its own index, search.json,
    which the reader script holds until the search box is used, as it holds Material's."""
    index = (built_site / "search.json").read_text(encoding="utf-8")
    assert "eigenvectors" in index and "blog/pca/" in index
    with offline_browser(site_server) as (page, log):
        asked: list[str] = []
        page.on("request", lambda r: asked.append(r.url) if r.url.endswith("/search.json") else None)
        open_page(page, log, site_server + "/blog/first-classifier/")
        page.wait_for_timeout(500)
        assert asked == [], "the index was fetched before anyone searched"
        page.locator(".md-search__button").first.click()
        page.keyboard.type("eigenvectors", delay=30)
        hit = page.get_by_text("Where the eigenvectors come in").first
        hit.wait_for(timeout=15000)
        assert "/blog/pca/" in hit.evaluate("e => e.closest('a').href")
        assert len(asked) == 1
        assert log.console_errors == []


def test_notebook_and_markdown_posts_look_alike(site_server: str, generator: str) -> None:
    """Screenshots for a person to compare; the structural comparison is in test_notebooks.py."""
    with offline_browser(site_server) as (page, log):
        for name, url in (("notebook-post", "/blog/pca/"), ("markdown-post", POST)):
            open_page(page, log, site_server + url)
            page.locator(".techpath-output").first.scroll_into_view_if_needed()
            page.screenshot(path=str(artifact(f"{name}.png", generator)))
            styles = page.evaluate(
                """() => { const o = getComputedStyle(document.querySelector('.techpath-output'));
                           return [o.borderLeftStyle, o.borderLeftWidth, o.backgroundColor]; }"""
            )
            assert styles[0] == "solid"
        assert log.console_errors == []


def test_download_notebook_gives_the_executed_notebook(site_server: str) -> None:
    import nbformat

    with offline_browser(site_server) as (page, log):
        open_page(page, log, site_server + "/blog/pca/")
        with page.expect_download() as info:
            page.get_by_role("link", name="Download notebook").click()
        notebook = nbformat.reads(Path(info.value.path()).read_text(), as_version=4)
        outputs = [o for c in notebook.cells if c.cell_type == "code" for o in c.outputs]
        assert any("image/svg+xml" in o.get("data", {}) for o in outputs)
        assert log.console_errors == []


def test_math_index_deep_link_opens_the_box(site_server: str, generator: str) -> None:
    with offline_browser(site_server) as (page, log):
        open_page(page, log, site_server + "/math/")
        page.screenshot(path=str(artifact("math-index.png", generator)))
        link = page.locator(".techpath-math-index td:nth-child(2) a").first
        anchor = link.get_attribute("href").split("#")[1]
        link.click()
        wait_until(page, f"document.getElementById('{anchor}') && document.getElementById('{anchor}').open")
        assert page.locator(f"#{anchor} .katex-html").first.is_visible()
        assert log.console_errors == []


# -- page weight and accessibility --------------------------------------------------------------

# Chosen from a measurement of this site: the heaviest page type (a post) loaded about 0.80 MB
# (uncompressed) in 18 requests, a third of it the search index every Material page fetches;
# the budget leaves about 10% headroom. KaTeX adds ~100 kB (stylesheet and the fonts used).
# The search index (loaded by every page) grows with the posts: 27 posts put a post page at
# about 1.0 MB, 0.47 MB of it the index. Past 1.1 MB, split or trim the index (the long
# contributor page docs/design.md is already left out of it: 80 kB per page).
BUDGET = {"bytes": 1_100_000, "requests": 25}
PAGES = {"home": "/", "post": POST, "path": "/start-here/", "math index": "/math/"}


def test_page_weight_stays_within_budget(site_server: str, generator: str) -> None:
    measured = {}
    for name, url in PAGES.items():
        with offline_browser(site_server) as (page, log):
            # kept as they come, read after every request is answered: a handler that read each
            # body waited in it, and open_page could return before it had counted the last ones
            responses: list[object] = []
            page.on("response", lambda r, responses=responses: responses.append(r))
            open_page(page, log, site_server + url)
            sizes = [len(r.body()) if r.ok else 0 for r in responses]
            measured[name] = {"bytes": sum(sizes), "requests": len(sizes)}
    artifact("page-weight.json", generator).write_text(json.dumps(measured, indent=2))
    for name, m in measured.items():
        assert m["requests"] <= BUDGET["requests"], (name, m)
    over = {name: m for name, m in measured.items() if m["bytes"] > BUDGET["bytes"]}
    assert over == {}, over


AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"


@pytest.mark.parametrize("name", list(PAGES))
def test_no_serious_accessibility_violations(site_server: str, name: str, generator: str) -> None:
    with offline_browser(site_server, bypass_csp=True) as (page, log):  # axe-core is injected inline
        open_page(page, log, site_server + PAGES[name])
        if name == "post":
            for summary in page.locator("details.math > summary").all():
                summary.click()
        page.add_script_tag(path=str(AXE))
        violations = page.evaluate(
            """async () => (await axe.run(document, {resultTypes: ['violations']})).violations
                 .map(v => ({id: v.id, impact: v.impact,
                             nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}))"""
        )
        artifact(f"axe-{name.replace(' ', '-')}.json", generator).write_text(json.dumps(violations, indent=2))
        serious = [v for v in violations if v["impact"] in ("serious", "critical")]
        assert serious == []

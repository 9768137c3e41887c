"""A stranger's pull request cannot put active content on the site (issue 11).

tests/hostile_site holds one post per attack class (Markdown and a notebook). Lint must name each
one with file:line; the relaxed build (errors logged, pages still written, as `mkdocs serve`
does) must still produce a site in which Chromium, with every other host blocked, sees no dialog,
no request elsewhere, no CSP violation and nothing covering the page, on every page and figure.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.browser import offline_browser, wait_until
from tests.conftest import ROOT
from tests.test_cli import techpath

HOSTILE = ROOT / "tests" / "hostile_site"
POSTS = "docs/blog/posts"


def test_lint_names_every_hostile_construct_with_file_and_line() -> None:
    done = techpath(HOSTILE, "lint")
    assert done.returncode == 1
    report = done.stdout + done.stderr
    expected = [
        ("prose-attacks.md:19:", "javascript: URLs"),  # jav&#x61;script:
        ("prose-attacks.md:21:", "<meta>"),
        ("prose-attacks.md:23:", "<object>"),
        ("prose-attacks.md:25:", "<form>"),
        ("prose-attacks.md:25:", "<button>"),
        ("prose-attacks.md:27:", "javascript: URLs"),  # [x](javascript:...)
        ("prose-attacks.md:31:", "data: URLs"),
        ("prose-attacks.md:33:", "<use>"),
        ("prose-attacks.md:35:", "<iframe>"),
        ("prose-attacks.md:37:", "position: fixed"),
        ("prose-attacks.md:37:", "url()"),
        ("prose-attacks.md:39:", "javascript: URLs"),  # java&Tab;script:
        ("prose-attacks.md:41:", "<math>"),
        ("prose-attacks.md:43:", "<details ontoggle>"),
        ("prose-attacks.md:45:", "'__search'"),
        ("prose-attacks.md:47:", "<a onclick>"),  # attr_list
        ("prose-attacks.md:49:", "<svg onload>"),
        ("prose-attacks.md:52:", "<img onerror>"),  # the handler on the tag's second line
        ("prose-attacks.md:56:", "another host"),
        ("prose-attacks.md:58:", "malformed or nested HTML comment"),
        ("prose-attacks.md:60:", "<noscript>"),
        ("notebook-attacks.ipynb:cell 2:6:", "<img onerror>"),
        ("notebook-attacks.ipynb:cell 3:1:", "<script>"),
        ("notebook-attacks.ipynb:cell 3:3:", "javascript: URLs"),
        ("notebook-attacks.ipynb:cell 4:3:", "<svg onload>"),
        ("slug-escape.md:", "'slug'"),
        ("inputs-escape.md:", "outside the repository"),
    ]
    lines = report.splitlines()
    for where, what in expected:
        assert any(where in line and what in line for line in lines), f"lint did not report {where} {what}"


# `hostile_site` and `hostile_server` (tests/conftest.py): the site built relaxed by MkDocs, four
# folders deep, for the URL it is served on; shared with tests/test_generators.py.


def test_bad_paths_stop_their_post_before_anything_is_written(hostile_site: Path) -> None:
    outside = hostile_site.parents[3]
    written = {p.relative_to(outside).parts[0] for p in outside.iterdir()}
    assert written == {"a"}, f"something was written outside the site: {written}"
    assert not list(outside.rglob("techpath-escaped*"))
    log = (hostile_site.parent / "build.log").read_text()
    assert "slug-escape.md: left out of the site" in log and "inputs-escape.md: left out of the site" in log
    hostname = Path("/etc/hostname").read_text().strip() if Path("/etc/hostname").exists() else ""
    git_config = "repositoryformatversion"
    for page in hostile_site.rglob("*"):
        if page.is_file() and page.suffix in (".html", ".xml", ".json", ".py", ".ipynb"):
            text = page.read_text(encoding="utf-8", errors="replace")
            assert git_config not in text, f"{page}: .git/config was included"
            assert "never executed" not in text and "This post must never" not in text, page
            if hostname and len(hostname) > 6:
                assert hostname not in text, f"{page}: /etc/hostname leaked"
    assert "A harmless snippet." in (hostile_site / "blog" / "snippet-include" / "index.html").read_text()


def test_front_matter_is_text_in_every_place_it_is_shown(hostile_site: Path) -> None:
    shown = (
        "Trees &amp; forests: &quot;why&quot; &lt;depth&gt; matters "
        "&lt;svg/onload=alert(&quot;title&quot;)&gt;"
    )
    post = hostile_site / "blog" / "trees-forests-why-depth-matters-svgonloadalerttitle" / "index.html"
    if not post.exists():  # the blog plugin's slug for that title
        post = next(p for p in hostile_site.glob("blog/*/index.html") if "Trees" in p.read_text())
    html = post.read_text()
    assert f"<title>{shown} - Hostile</title>" in html
    assert "<svg/onload" not in html and '<script>alert("neighbour")' not in html
    assert re.search(r'<meta name="description" content="&quot;&gt;&lt;svg/onload', html)
    index = (hostile_site / "blog" / "index.html").read_text()
    assert shown in index and "<svg/onload" not in index
    for page in hostile_site.rglob("*.html"):
        text = page.read_text()
        assert "<svg/onload" not in text and "</title><script>" not in text, page
    feed = (hostile_site / "feed_rss_created.xml").read_text()
    # escaped once for XML: a feed reader shows the title as it was written
    assert "<title>Trees &amp; forests: &#34;why&#34; &lt;depth&gt; matters" in feed
    assert "&amp;lt;" not in feed and "<svg" not in feed
    search = json.loads((hostile_site / "search" / "search_index.json").read_text())
    titles = [d["title"] for d in search["docs"]]
    assert any(t.startswith("Trees &amp; forests: &quot;why&quot; &lt;depth&gt;") for t in titles)
    assert not any("<svg" in t or "<script" in t for t in titles)


def test_figures_and_outputs_are_cleaned_on_disk(hostile_site: Path) -> None:
    figures = list((hostile_site / "assets" / "figures").glob("*.svg"))
    assert figures
    for figure in figures:
        text = figure.read_text()
        assert "<script" not in text and "javascript:" not in text and "foreignObject" not in text
        assert not re.search(r"\son\w+=", text)
    page = (hostile_site / "blog" / "output-attacks" / "index.html").read_text()
    assert "sk-top-container" in page  # the estimator diagram is still there
    ends = ('<div class="highlight"', '<nav class="techpath-path-nav"', "</article>")
    outputs = []
    for part in page.split('class="techpath-output"')[1:]:
        for end in ends:
            part = part.split(end)[0]
        outputs.append(part)
    assert len(outputs) == 4
    for output in outputs:
        flat = output.replace(" ", "")
        assert "evil.example" not in output and "position:fixed" not in flat and "@import" not in output
        assert "<script" not in output and "onerror=" not in output and "javascript:" not in output
        # the style that hid the theme's header is kept only for the output's own box
        for rule in re.findall(r"[^{}>]*\.md-header\{", output):
            assert re.match(r"#o[0-9a-f]{8}-box", rule.strip()), rule
    # the output's element may not take the theme's drawer toggle: its id is renamed
    assert '<div id="__drawer"' not in page and re.search(r'<div id="o[0-9a-f]{8}-__drawer"', page)


# Points over the header, the middle and the corners: what is drawn there must not be an output
# box unless the point is inside that box.
_COVERED = """() => {
  const hits = [];
  const points = [[20, 20], [640, 30], [640, 450], [20, 880], [1260, 880], [1260, 20]];
  for (const [x, y] of points) {
    const el = document.elementFromPoint(x, y);
    const box = el && el.closest('.techpath-output, .techpath-html');
    if (box) {
      const r = box.getBoundingClientRect();
      if (!(x >= r.left && x <= r.right && y >= r.top && y <= r.bottom)) hits.push([x, y]);
    }
  }
  const header = document.querySelector('.md-header');
  const style = header && getComputedStyle(header);
  if (!header || style.display === 'none' || style.visibility === 'hidden') hits.push('header hidden');
  return hits;
}"""


@pytest.mark.browser
@pytest.mark.slow
def test_no_page_or_figure_of_the_hostile_site_runs_anything(hostile_site: Path, hostile_server: str) -> None:
    pages = sorted(p.relative_to(hostile_site).as_posix() for p in hostile_site.rglob("*.html"))
    figures = sorted(p.relative_to(hostile_site).as_posix() for p in hostile_site.glob("assets/figures/*"))
    assert len(pages) >= 8 and figures
    with offline_browser(hostile_server) as (page, log):
        for path in pages:
            page.goto(f"{hostile_server}/{path}", wait_until="networkidle")
            covered = page.evaluate(_COVERED)
            assert covered == [], f"{path}: covered at {covered}"
            # open every math box and details, hover and click every link that stays on the page
            page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
            page.evaluate(
                "document.querySelectorAll('.md-content a[href^=\"javascript\"], .md-content [onclick]')"
                ".forEach(a => a.click())"
            )
        for path in figures:
            page.goto(f"{hostile_server}/{path}", wait_until="load")
            page.evaluate("document.querySelectorAll('a, [onclick]').forEach(a => a.dispatchEvent("
                          "new MouseEvent('click', {bubbles: true})))")  # fmt: skip
            page.wait_for_timeout(100)
    assert log.dialogs == [], log.dialogs
    assert log.blocked_requests == [], f"{len(log.blocked_requests)} requests to other hosts"
    assert log.csp_violations == [], log.csp_violations


@pytest.mark.browser
@pytest.mark.slow
def test_instant_navigation_search_and_palette_work_under_the_policy(
    hostile_site: Path, hostile_server: str
) -> None:
    with offline_browser(hostile_server) as (page, log):
        page.goto(f"{hostile_server}/blog/", wait_until="networkidle")
        page.keyboard.press("s")
        page.locator("input.md-search__input").press_sequentially("forests", delay=30)
        wait_until(page, "document.querySelectorAll('.md-search-result__item').length > 0", 30)
        result = page.locator(".md-search-result__item").first.inner_text()
        assert 'Trees & forests: "why" <depth> matters' in result  # shown as text, as written
        page.keyboard.press("Escape")
        page.evaluate("window.__techpathMarker = 1")
        page.locator(".md-content a[href*='output-attacks']").first.click()
        wait_until(page, "location.pathname.includes('output-attacks')")
        page.wait_for_load_state("networkidle")
        assert page.evaluate("window.__techpathMarker") == 1, "instant navigation fell back to a full load"
        page.locator("label[title='Switch to dark mode']").first.click()
        assert page.evaluate("document.body.getAttribute('data-md-color-scheme')") == "slate"
    assert log.csp_violations == [] and log.dialogs == [] and log.blocked_requests == []

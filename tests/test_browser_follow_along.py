"""Following along on the real site (issue 27), in headless Chromium: every copy button copies its
own block, errors read as errors, the path is in the navigation of every post on a phone and a
desktop, search finds the lesson, small print is readable on a phone, dark mode passes axe, and
the search index waits for the search box. Measurements go to test-artifacts/follow-*.json."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.browser import (
    ARTIFACTS,
    changed_only,
    changed_urls,
    enough,
    indexed_text,
    offline_browser,
    open_boxes,
    open_page,
    post_pages,
    wait_for_scheme,
    wait_until,
    write_artifact,
)
from tests.sweep import DESKTOP, PHONE, VIEWPORTS, console_errors, each_viewport, group, sweep

pytestmark = [pytest.mark.browser, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[1]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"


# -- copy buttons ------------------------------------------------------------------------------


@group("desktop")
def test_every_copy_button_copies_its_own_block(site_server: str, built_site: Path) -> None:
    """On every page, each copy button's target is its own block, and a real click puts exactly
    that block's code on the clipboard (exercise starters, checks and solutions, outputs inside
    boxes, math boxes with several blocks, blog excerpts). The desktop sweep clicks them, every
    box open, last in its visit of each page (tests/sweep.py)."""
    data = sweep(site_server, built_site, "desktop")
    wrong: dict[str, list] = {}
    counted = clicked = 0
    for url, entry in data["pages"].items():
        copy = entry["copy"]
        counted += copy["buttons"]
        clicked += copy["clicked"]
        if copy["problems"]:
            wrong[url] = copy["problems"]
    console = console_errors(data) + [e for errors in data["copy_console_errors"].values() for e in errors]
    write_artifact("follow-copy.json", {"buttons": counted, "clicked": clicked, "wrong": wrong})
    assert enough(counted, 401) and enough(clicked, 301), (counted, clicked)
    assert wrong == {}, f"{sum(len(v) for v in wrong.values())} of {counted} buttons: {wrong}"
    assert console == []


# -- errors ------------------------------------------------------------------------------------

_ERRORS = """() => [...document.querySelectorAll('.techpath-exception')].map(e => {
  const head = e.querySelector('.techpath-exception__message');
  const panel = e.closest('.techpath-output');
  const folded = [...e.querySelectorAll('details.techpath-frames')];
  return {
    label: getComputedStyle(panel, '::before').content,
    head: head ? head.innerText : null,
    headFirst: head !== null && e.firstElementChild === head,
    headCut: head ? [head, head.querySelector('code') || head]
      .some(el => el.scrollWidth > el.clientWidth + 1) : true,
    ownFrames: e.querySelectorAll('.techpath-frame--own').length,
    shownLibraryFrames: [...e.querySelectorAll('.techpath-frame--library')]
      .filter(f => f.checkVisibility()).length,
    folded: folded.length, foldedClosed: folded.every(d => !d.open),
  };
})"""


GRID = "/blog/grid-search/"  # a post whose error comes from deep in scikit-learn
# Each box of library frames as the page was loaded, kept before every box is opened and given
# back after, so that what is measured of them (closed, no library frame shown) is the page's own.
_FRAMES = "document.querySelectorAll('details.techpath-frames')"
_FRAMES_AS_LOADED = f"{_FRAMES}.forEach(d => {{ d.dataset.loadedOpen = d.open; }})"
_FRAMES_BACK = f"{_FRAMES}.forEach(d => {{ d.open = d.dataset.loadedOpen === 'true'; }})"


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_errors_show_type_and_message_first_and_fold_library_frames(
    site_server: str, built_site: Path, viewport: tuple[int, int]
) -> None:
    pages = [
        u
        for u in changed_only(built_site, post_pages(built_site))
        if re.search(
            r"techpath-(traceback|exception)\b", (built_site / u.strip("/") / "index.html").read_text()
        )
    ]
    if GRID not in pages:  # the post tier's sweep may leave it out; its error is checked by name
        pages.append(GRID)
    assert enough(len(pages), 4), pages
    seen: dict[str, list] = {}
    with offline_browser(site_server, viewport=viewport) as (page, _log):
        for url in pages:
            page.goto(site_server + url, wait_until="load")
            page.evaluate(_FRAMES_AS_LOADED)
            if url == GRID:  # as loaded, before any box is opened: a visit of its own saved
                error = page.locator(".techpath-exception").first
                error.scroll_into_view_if_needed()
                page.screenshot(path=str(ARTIFACTS / f"follow-error-{viewport[0]}.png"))
                folded = error.locator("details.techpath-frames").first
                folded.locator("summary").click()  # library frames are one click away
                assert folded.locator(".techpath-frame--library").first.is_visible()
            open_boxes(page)
            page.evaluate(_FRAMES_BACK)
            seen[url] = page.evaluate(_ERRORS)
    write_artifact(f"follow-errors-{viewport[0]}.json", seen)
    errors = [e for found in seen.values() for e in found]
    assert errors and all(found for found in seen.values()), seen
    for e in errors:
        assert e["label"] == '"Error"' and e["headFirst"] and not e["headCut"], e
        assert e["shownLibraryFrames"] == 0 and e["foldedClosed"], e
    assert any(e["folded"] and e["ownFrames"] for e in errors)
    grid = seen[GRID][0]
    assert grid["head"].startswith("ValueError: Invalid parameter 'n_neighbors'"), grid


# -- the path in the navigation ----------------------------------------------------------------


def _path_problem(found: dict | None, url: str, posts: list[str], height: int) -> str | None:
    if found is None:
        return "no path in the navigation"
    if sorted(set(found["hrefs"])) != sorted(posts):
        return f"lists {len(set(found['hrefs']))} of {len(posts)} posts"
    if found["current"] != [url]:
        return f"current marked: {found['current']}"
    box = found["currentBox"]
    if not found["currentVisible"] or box[1] < 0 or box[3] > height:
        return f"current post not in view: {box}"
    if len(found["stages"]) < 2:
        return f"stages: {found['stages']}"
    return None


@pytest.mark.parametrize("viewport", each_viewport())
def test_navigation_lists_the_path_on_every_post(site_server: str, built_site: Path, viewport: str) -> None:
    """Desktop: the post's side column; phone: the menu. Stages with their posts, the current
    post marked and in view; previous and next in path order end the post (tests/sweep.py
    reads them on each post, the menu open on a phone)."""
    data = sweep(site_server, built_site, viewport)
    posts = data["posts"]
    problems: dict[str, str] = {}
    for url in posts:
        entry = data["pages"][url]
        problem = _path_problem(entry["path"], url, data["all_posts"], VIEWPORTS[viewport][1])
        if problem is None and entry["path_end_links"] == 0:
            problem = "no previous / next at the end"
        if problem:
            problems[url] = problem
    assert enough(len(posts), 20)
    assert problems == {}, problems
    assert console_errors(data, posts) == []


# -- search ------------------------------------------------------------------------------------

# A query and the post it must bring first: the lesson that teaches it.
QUERIES = {
    "sigmoid": "/blog/logistic-regression/",
    "softmax": "/blog/logistic-regression/",
    "cross validation": "/blog/train-test-split/",
    "gradient": "/blog/gradient-descent/",
    "eigenvectors": "/blog/pca/",
    "confusion matrix": "/blog/classification-metrics/",
    "gini": "/blog/trees-and-forests/",
    "least squares": "/blog/linear-regression/",
    "standardization": "/blog/scaling-and-pipelines/",
    "inertia": "/blog/k-means/",
    "chain rule": "/blog/backpropagation/",
    "tf-idf": "/blog/text-classification/",
    "regularization": "/blog/overfitting-and-regularization/",
    "log-loss": "/blog/logistic-regression/",
}
CONTRIBUTOR_PAGES = ("/contributing/", "/use-on-your-site/", "/style-guide/", "/report/", "/design/")

_RESULTS = """() => [...document.querySelectorAll('.md-search-result__list > .md-search-result__item')]
  .map(li => new URL(li.querySelector('a').href).pathname)"""


def _search(page, query: str) -> list[str]:
    """The result pages for `query`, once the list shows this query's results (the previous
    query's are cleared first, then the list must stay the same for half a second)."""
    field = page.locator("input.md-search__input")
    field.fill("")
    wait_until(page, "document.querySelectorAll('.md-search-result__item').length === 0", 10)
    field.press_sequentially(query, delay=20)
    wait_until(page, "document.querySelectorAll('.md-search-result__item').length > 0", 20)
    shown, previous = page.evaluate(_RESULTS), None
    while shown != previous:
        page.wait_for_timeout(500)
        previous, shown = shown, page.evaluate(_RESULTS)
    return shown


def queries_to_check(site: Path) -> dict[str, str]:
    """Every query, in the full suite. In the post tier, the queries a changed page can change:
    those whose lesson changed, and those with a word in what the search index holds for a
    changed page (a new post that says "sigmoid" more often than the lesson outranks it; what it
    adds to the pages that link to it, an excerpt, its title, its tags and concepts, is its own
    text too). A word is looked for anywhere in that text, so "gradients" counts for "gradient".
    Left out are the queries no changed text can match; a new post still shifts every score a
    little (one more page, other average lengths), which the full suite, in CI, checks. None
    left: the first query, so the tier still searches the rebuilt index."""
    changed = changed_urls(site)
    if changed is None:
        return QUERIES
    text, separator = indexed_text(site, sorted(changed))
    kept = {
        query: lesson
        for query, lesson in QUERIES.items()
        if lesson in changed or any(w.lower() in text for w in re.split(separator, query) if w)
    }
    return kept or dict([next(iter(QUERIES.items()))])


def test_search_finds_the_lesson_first(site_server: str, built_site: Path) -> None:
    ranked: dict[str, list[str]] = {}
    queries = queries_to_check(built_site)
    with offline_browser(site_server) as (page, log):
        page.goto(site_server + "/", wait_until="load")
        page.locator("label.md-search__icon, .md-search__input").first.click()
        for query in queries:
            ranked[query] = _search(page, query)[:5]
        console = log.console_errors
    write_artifact("follow-search.json", ranked)
    wrong = {q: r[:3] for q, r in ranked.items() if not r or r[0] != QUERIES[q]}
    assert wrong == {}, wrong
    cluttered = {q: r for q, r in ranked.items() if any(u in CONTRIBUTOR_PAGES for u in r[:3])}
    assert cluttered == {}, cluttered
    assert console == []


def test_search_index_holds_words_not_markup(built_site: Path) -> None:
    """Formulas once as text (KaTeX's HTML and TeX left out), no page one giant entry, the
    execution report's table and the math index's table not indexed, contributor pages lighter."""
    index = json.loads((built_site / "search" / "search_index.json").read_text())
    docs = index["docs"]
    words = " ".join(d["title"] + " " + d["text"] for d in docs)
    text = re.sub(r"<pre>.*?</pre>|<code>.*?</code>", " ", words, flags=re.S)  # code may say R^2
    for markup in ("z_0", "R^2", "\\frac", "\\mathbf", "\\hat", "z0z", "R2R"):
        assert markup not in text, markup
    assert not [d for d in docs if d["location"].startswith(("report/#", "math/#")) and len(d["text"]) > 1500]
    boosts = {d["location"].split("#")[0]: d.get("boost", 1) for d in docs}
    assert all(boosts.get(p.strip("/") + "/", 0) < 1 for p in CONTRIBUTOR_PAGES[:3]), boosts
    box = [
        d
        for d in docs
        if d["location"] == "blog/logistic-regression/#math-how-does-a-weighted-sum-become-a-probability"
    ]
    assert box and "sigmoid" in box[0]["text"], box


def test_search_index_loads_on_first_use_of_the_search_box(site_server: str) -> None:
    with offline_browser(site_server) as (page, log):
        asked: list[str] = []
        page.on("request", lambda r: asked.append(r.url) if "search_index" in r.url else None)
        open_page(page, log, site_server + "/blog/first-classifier/")
        page.wait_for_timeout(500)
        assert asked == [], "the index was fetched before anyone searched"
        page.locator("label.md-search__icon, .md-search__input").first.click()
        assert _search(page, "eigenvectors")[0] == "/blog/pca/"
        assert len(asked) == 1
        assert log.console_errors == [] and log.blocked_requests == []


# -- small print on a phone ----------------------------------------------------------------------


@group("phone")
def test_no_text_in_math_boxes_or_the_math_index_under_11_px_on_a_phone(
    site_server: str, built_site: Path
) -> None:
    data = sweep(site_server, built_site, "phone")  # math boxes open on every page
    pages = [u for u in [*data["posts"], "/math/", "/"] if u in data["pages"]]
    smallest: dict[str, list] = {}
    counted = 0
    for url in pages:
        found = data["pages"][url]["small_text"]
        counted += len(found)
        small = sorted(f for f in found if f[0] < 11 - 0.01)
        if small:
            smallest[url] = small[:5]
    with offline_browser(site_server, viewport=PHONE) as (page, _log):
        page.goto(site_server + "/math/", wait_until="load")
        page.screenshot(path=str(ARTIFACTS / "follow-math-index-390.png"))
        table = page.evaluate(
            """() => { const t = document.querySelector('.techpath-math-index');
                       return [t.scrollWidth, t.clientWidth]; }"""
        )
    write_artifact("follow-small-print.json", {"texts": counted, "under_11_px": smallest})
    assert enough(counted, 1001)
    assert smallest == {}, smallest
    assert table[0] <= table[1] + 1, f"the math index scrolls sideways at 390 px: {table}"


def test_start_here_reaches_its_post_list_early_on_a_phone(site_server: str) -> None:
    with offline_browser(site_server, viewport=PHONE) as (page, _log):
        page.goto(site_server + "/start-here/", wait_until="load")
        first_post = page.locator(".techpath-path li a").first.bounding_box()
        jump = page.locator(".md-content a[href$='#the-path-post-by-post'], .md-content a[href$='#stage-1']")
        jump_box = jump.first.bounding_box() if jump.count() else None
    reachable = first_post["y"] <= PHONE[1] or (jump_box is not None and jump_box["y"] <= PHONE[1])
    assert reachable, {"first post at": first_post["y"], "jump link": jump_box}


# -- exercises on a phone -----------------------------------------------------------------------

_EXERCISE = """() => {
  const box = document.querySelector('.admonition.exercise');
  const check = box.querySelector('.techpath-check');
  const task = [...box.children].filter(c => !c.matches('.techpath-check, details, .admonition-title'));
  const height = els => els.reduce((h, e) => h + e.getBoundingClientRect().height, 0);
  box.querySelectorAll('details').forEach(d => { d.open = true; });
  const code = box.querySelector('details.techpath-solution .highlight code');
  const probe = document.createElement('span'); probe.textContent = 'x'.repeat(10);
  code.appendChild(probe); const ch = probe.getBoundingClientRect().width / 10; probe.remove();
  box.querySelectorAll('details').forEach(d => { d.open = false; });
  box.querySelector('details.techpath-solution').open = true;
  const outputs = [...box.querySelectorAll('.techpath-output pre, .techpath-output pre > code')]
    .filter(p => p.scrollWidth > p.clientWidth + 1).map(p => p.innerText.slice(0, 40));
  return {task: height(task), check: check.getBoundingClientRect().height,
          codeChars: Math.floor(code.clientWidth / ch), outputsCut: outputs};
}"""


def test_an_exercise_reads_well_on_a_phone(site_server: str) -> None:
    with offline_browser(site_server, viewport=PHONE) as (page, _log):
        page.goto(site_server + "/blog/first-classifier/", wait_until="load")
        measured = page.evaluate(_EXERCISE)
        page.locator(".admonition.exercise").scroll_into_view_if_needed()
        page.screenshot(path=str(ARTIFACTS / "follow-exercise-390.png"))
    write_artifact("follow-exercise-390.json", measured)
    assert measured["check"] < measured["task"], measured  # the check does not outweigh the task
    assert measured["codeChars"] >= 40, measured
    assert measured["outputsCut"] == [], measured


# -- dark mode ---------------------------------------------------------------------------------

DARK_PAGES = [
    "/",
    "/start-here/",
    "/math/",
    "/blog/",
    "/blog/first-classifier/",
    "/blog/grid-search/",
    "/blog/logistic-regression/",
    "/blog/pca/",
    "/blog/messy-tabular-data/",
    "/use-on-your-site/",
]


def dark_pages_to_check(site: Path) -> list[str]:
    """Every page of DARK_PAGES; in the post tier those a changed page is or is linked from (a
    new post: the blog's index, the path, the math index), else the home page alone: a new page
    elsewhere still gets the dark theme checked once."""
    return changed_only(site, DARK_PAGES) or DARK_PAGES[:1]


def test_dark_mode_on_a_phone_has_no_accessibility_violations(site_server: str, built_site: Path) -> None:
    found: dict[str, list] = {}
    pages = dark_pages_to_check(built_site)
    with offline_browser(site_server, color_scheme="dark", viewport=PHONE, bypass_csp=True) as (page, _log):
        for url in pages:
            page.goto(site_server + url, wait_until="load")
            wait_for_scheme(page, "slate")
            open_boxes(page)
            page.add_script_tag(path=str(AXE))
            violations = page.evaluate(
                """async () => (await axe.run(document, {resultTypes: ['violations']})).violations
                     .map(v => ({id: v.id, impact: v.impact, count: v.nodes.length,
                                 nodes: v.nodes.slice(0, 3).map(n => n.target.join(' ') + ' ' +
                                   (n.any[0] ? n.any[0].message : ''))}))"""
            )
            if violations:
                found[url] = violations
    write_artifact("follow-axe-dark-390.json", found)
    assert found == {}, {u: [(v["id"], v["count"]) for v in vs] for u, vs in found.items()}


# -- first visit -------------------------------------------------------------------------------


def test_home_buttons_do_not_touch_on_a_phone(site_server: str) -> None:
    with offline_browser(site_server, viewport=PHONE) as (page, _log):
        page.goto(site_server + "/", wait_until="load")
        boxes = [b.bounding_box() for b in page.locator(".techpath-start .md-button").all()]
    assert len(boxes) == 2
    first, second = sorted(boxes, key=lambda b: (b["y"], b["x"]))
    apart = (
        second["y"] - (first["y"] + first["height"])
        if second["y"] > first["y"] + 1
        else (second["x"] - (first["x"] + first["width"]))
    )
    assert apart >= 8, (first, second)

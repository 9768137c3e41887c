"""A stranger's pull request cannot put active content on the site (issues 11 and 30).

tests/hostile_site holds one post (or file) per attack class; tests/hostile.py copies it and adds
the symlinks a pull request could commit. Lint must name each attack with file:line; the relaxed
build (errors logged, pages still written, as `mkdocs serve` does) of MkDocs, ProperDocs and
Zensical must produce a site in which Chromium, with every other host blocked, sees no dialog, no
request elsewhere, no CSP violation and nothing covering the page, on every page, listing and
figure; holds no byte of a file outside the repository; and whose downloads, run, print nothing
their page did not show.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import zipfile
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.browser import (
    follow_instantly,
    offline_browser,
    open_boxes,
    open_page,
    serve_folder,
    wait_for_scheme,
    wait_until,
)
from tests.hostile import ENV_SECRET, GENERATORS, HostileBuild, HostileBuilds, build, hostile_copy, lint
from tests.parity import security


def test_lint_names_every_hostile_construct_with_file_and_line(tmp_path: Path) -> None:
    done = lint(hostile_copy(tmp_path))
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
        # issue 30: html.parser and the browser read these tags differently
        ("overlay-attacks.md:10:", "a browser reads other attributes"),  # title==" style=..."
        ("overlay-attacks.md:12:", "a browser reads other attributes"),  # title==" ontoggle=..."
        ("overlay-attacks.md:22:", "a browser reads other attributes"),  # a no-break space
        ("notebook-downloads.ipynb:cell 2:5:", "a browser reads other attributes"),
        # prose laid over the page
        ("overlay-attacks.md:14:", "position: fixed/absolute"),
        ("overlay-attacks.md:14:", "z-index"),
        ("overlay-attacks.md:16:", "md-* classes belong to the theme"),
        ("overlay-attacks.md:20:", "negative lengths"),
        ("overlay-attacks.md:24:", "transform"),
        ("overlay-attacks.md:26:", "U+202E"),
        # what would reach the downloads' code
        ("download-attacks.md:21:", "exception class name"),
        ("download-attacks.md:17:", "U+2028"),
        ("notebook-downloads.ipynb:cell 2:1:", "U+000D"),
        ("notebook-downloads.ipynb:cell 3:1:", "U+000D"),
        # files from outside the repository, from .git, and active files nobody allowed
        ("docs/leak.md:1:", "outside the repository"),
        ("docs/blog/posts/leak-post.md:1:", "outside the repository"),
        ("docs/git-config.md:1:", "into .git"),
        ("docs/assets/leak.txt:1:", "outside the repository"),
        ("docs/assets/passwd.txt:1:", "outside the repository"),
        ("docs/assets/environ.txt:1:", "outside the repository"),
        ("docs/blog/posts/data/config.csv:1:", "into .git"),
        ("static-files.md:1:", "resolves into .git"),  # its inputs: entry
        ("docs/blog/posts/demo.html:1:", "static_allow"),
        ("docs/assets/evil.svg:1:", "static_allow"),
        ("docs/assets/evil.js:1:", "static_allow"),
        ("docs/assets/feed.xml:1:", "static_allow"),
        ("docs/allowed/page.html:5:", "<script>"),  # allowed, and held to the policy
        ("docs/allowed/page.html:6:", "<img onerror>"),
        ("docs/allowed/page.html:7:", "position: fixed"),
    ]
    lines = report.splitlines()
    for where, what in expected:
        assert any(where in line and what in line for line in lines), f"lint did not report {where} {what}"
    assert "odd name (1).md" not in report  # a post named so is fine


@pytest.mark.slow
@pytest.mark.parametrize("generator", GENERATORS)
@pytest.mark.parametrize(
    ("fatal", "named"), [("folder", "docs/outside-folder"), ("snippet", "snippets/config.md")]
)
def test_a_folder_or_snippet_linked_out_of_the_repository_stops_the_build(
    tmp_path: Path, generator: str, fatal: str, named: str
) -> None:
    copy = hostile_copy(tmp_path, fatal)
    site = tmp_path / "site"
    done = build(copy, generator, site, "http://127.0.0.1:9")
    assert done.returncode != 0
    assert f"{named}:1: a " in done.stdout + done.stderr
    assert "executed" not in done.stdout + done.stderr  # stopped before any page ran
    for file in site.rglob("*") if site.exists() else []:
        if file.is_file():
            assert copy.marker.encode() not in file.read_bytes(), file
    assert named in lint(copy).stdout


@pytest.fixture(scope="module")
def hostile_site(hostile_builds: HostileBuilds) -> Path:
    """The MkDocs build (the checks of issue 11 that read MkDocs' own files)."""
    return hostile_builds.get("mkdocs").site


@pytest.fixture(scope="module", params=GENERATORS)
def hostile(request: pytest.FixtureRequest, hostile_builds: HostileBuilds) -> HostileBuild:
    return hostile_builds.get(request.param)


def test_bad_paths_stop_their_post_before_anything_is_written(hostile_builds: HostileBuilds) -> None:
    built = hostile_builds.get("mkdocs")
    hostile_site, log = built.site, built.log
    outside = hostile_site.parents[3]
    written = {p.relative_to(outside).parts[0] for p in outside.iterdir()}
    assert written == {"a"}, f"something was written outside the site: {written}"
    assert not list(outside.rglob("techpath-escaped*"))
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
    if not post.exists():  # the blog plugin's slug for that title; every post names it in its path
        post = next(p for p in hostile_site.glob("blog/*/index.html") if f"<title>{shown}" in p.read_text())
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


def test_no_file_from_outside_the_repository_reaches_the_site(hostile: HostileBuild) -> None:
    """Symlinks to files outside the copy, to /etc/passwd, /proc/self/environ (the build's own
    environment holds the marker too) and to .git/config: none of their bytes is published."""
    marker = hostile.copy.marker.encode()
    for file in hostile.site.rglob("*"):
        if file.is_file():
            contents = [file.read_bytes()]
            if file.suffix == ".zip":  # a download's data files are compressed: read each one
                with zipfile.ZipFile(file) as archive:
                    contents += [archive.read(name) for name in archive.namelist()]
            for data in contents:
                assert marker not in data, f"{file}: bytes from outside the repository or .git"
                assert b"root:x:0:0" not in data and ENV_SECRET.encode() not in data, file
    for name in ("leak", "git-config", "assets/leak.txt", "assets/passwd.txt", "assets/environ.txt"):
        assert not list(hostile.site.glob(f"{name}*")), name
    assert not (hostile.site / "blog" / "leak-post").exists()
    log = hostile.log
    assert "docs/leak.md:1: left out of the site" in log and "docs/git-config.md:1: left out" in log
    assert "static-files.md:1: input 'data/config.csv' resolves into .git" in log


def test_active_files_are_published_only_when_allowed_and_then_cleaned(hostile: HostileBuild) -> None:
    site = hostile.site
    for name in ("blog/posts/demo.html", "assets/evil.svg", "assets/evil.js", "assets/feed.xml"):
        assert not list(site.rglob(Path(name).name)), f"{name} was published"
    page = (site / "allowed" / "page.html").read_text()
    assert security(page) == {
        "policies": 1,
        "first in head": True,
        "unsafe-inline scripts": False,
        "staging markers": 0,
    }
    assert "An allowed page" in page and "<script" not in page and "onerror" not in page
    assert "position" not in page and "display:none" not in page
    drawing = (site / "allowed" / "pic.svg").read_text()
    assert 'fill="teal"' in drawing and "<script" not in drawing and "onload" not in drawing
    assert "docs/blog/posts/demo.html:1: left out of the site" in hostile.log


class _Active(HTMLParser):
    """Elements a notebook renderer would make active: scripts, handlers, javascript: links,
    the theme's overlay classes (markup, not text: an escaped `&lt;img onerror&gt;` is text)."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            text = (value or "").strip().lower()
            if name.startswith("on") or (name in ("href", "src") and text.startswith("javascript:")):
                self.found.append(f"<{tag} {name}>")
            if name == "class" and "md-consent" in text:
                self.found.append(f"<{tag} class={value}>")
        if tag in ("script", "iframe", "object", "embed"):
            self.found.append(f"<{tag}>")


def _active_markup(text: str) -> list[str]:
    parser = _Active()
    parser.feed(text)
    parser.close()
    return parser.found + re.findall(r"\]\(\s*javascript:", text, re.I)


def test_bidi_controls_never_reach_a_page(hostile: HostileBuild) -> None:
    """Refused in prose (overlay-attacks.md), shown as an escape in a computed value."""
    for page in hostile.site.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        assert not re.search("[\u202a-\u202e\u2066-\u2069]", text), page
    attacks = next(p for p in hostile.site.rglob("index.html") if "download-attacks" in p.parent.name)
    assert "abc&#92;u202edef" in attacks.read_text(encoding="utf-8")  # shown as abc\\u202edef


def _downloads(site: Path, suffix: str) -> list[Path]:
    return sorted((site / "assets" / "downloads").glob(f"*/*{suffix}"))


def test_every_script_download_runs_only_what_its_page_shows(hostile: HostileBuild, tmp_path: Path) -> None:
    scripts = _downloads(hostile.site, ".py")
    names = {p.stem for p in scripts}
    assert {"download-attacks", "notebook-downloads", "odd-name-1", "output-attacks"} <= names
    for script in scripts:
        run = tmp_path / script.parent.name
        run.mkdir()
        done = subprocess.run(
            [sys.executable, script.name], cwd=script.parent, capture_output=True, text=True, timeout=120
        )
        shown = done.stdout + done.stderr
        assert "PWNED" not in shown, f"{script.name} ran code its page never showed:\n{shown[-2000:]}"
        assert done.returncode == 0, f"{script.name}:\n{shown[-2000:]}"
    attacks = (hostile.site / "assets" / "downloads" / "download-attacks" / "download-attacks.py").read_text()
    assert 'print("PWNED-raises")' not in attacks and "except Exception as error" in attacks


def test_every_notebook_download_holds_and_runs_only_what_its_page_shows(hostile: HostileBuild) -> None:
    """Each .ipynb (the solutions too) run by nbclient as Jupyter would; with the other
    generators the notebooks must be the same files as MkDocs wrote, so they run once."""
    notebooks = _downloads(hostile.site, ".ipynb")
    assert any(p.name.endswith("-solutions.ipynb") for p in notebooks)
    for notebook in notebooks:
        text = notebook.read_text()
        cells = json.loads(text)["cells"]
        for cell in cells:
            rich = [o.get("data", {}).get("text/html", "") for o in cell.get("outputs", [])]
            shown = cell["source"] if cell["cell_type"] == "markdown" else "".join(map(str, rich))
            assert _active_markup(shown) == [], f"{notebook.name}: {_active_markup(shown)}"
    if hostile.generator != "mkdocs":
        return  # compared with MkDocs' notebooks, which were run, in the next test
    import nbclient
    import nbformat

    for notebook in notebooks:
        nb = nbformat.reads(notebook.read_text(), as_version=4)
        for cell in nb.cells:  # the install cell needs a network; the page was verified without it
            if cell.cell_type == "code" and cell.source.startswith("# What this page was verified with"):
                cell.source = "pass"
        client = nbclient.NotebookClient(
            nb, timeout=120, allow_errors=True, resources={"metadata": {"path": str(notebook.parent)}}
        )
        client.execute()
        outputs = json.dumps([cell.get("outputs", []) for cell in nb.cells])
        assert "PWNED" not in outputs, f"{notebook.name} ran code its page never showed"


@pytest.mark.parametrize("generator", GENERATORS[1:])
def test_the_other_generators_write_the_same_notebooks(hostile_builds: HostileBuilds, generator: str) -> None:
    reference = _downloads(hostile_builds.get("mkdocs").site, ".ipynb")
    other = hostile_builds.get(generator).site
    assert [p.relative_to(p.parents[2]) for p in _downloads(other, ".ipynb")] == [
        p.relative_to(p.parents[2]) for p in reference
    ]
    for notebook in reference:
        assert (other / notebook.relative_to(notebook.parents[3])).read_text() == notebook.read_text(), (
            notebook.name
        )


# Points over the header, the content, the sidebars and the corners. What is drawn there may be
# an output box only if the point is inside that box; prose (a post, an excerpt on a listing) only
# where it is drawn inside the content column; over the header only the header.
_COVERED = """() => {
  const hits = [];
  const points = [[20, 20], [640, 30], [1260, 20], [640, 450], [330, 300], [950, 300], [20, 880],
                  [1260, 880]];
  const content = document.querySelector('.md-content');
  const frame = content && content.getBoundingClientRect();
  const within = (r) => r.left >= frame.left - 1 && r.right <= frame.right + 1 && r.top >= frame.top - 1;
  for (const [x, y] of points) {
    const el = document.elementFromPoint(x, y);
    if (!el) continue;
    const box = el.closest('.techpath-output, .techpath-html');
    if (box) {
      const r = box.getBoundingClientRect();
      if (!(x >= r.left && x <= r.right && y >= r.top && y <= r.bottom)) hits.push([x, y, 'output']);
    }
    if (y < 40 && !el.closest('.md-header')) {
      hits.push([x, y, 'over the header: ' + el.outerHTML.slice(0, 80)]);
    }
    if (content && content.contains(el)) {
      for (let node = el; node && node !== content; node = node.parentElement) {
        if (!within(node.getBoundingClientRect())) {
          hits.push([x, y, 'drawn outside the content: ' + node.outerHTML.slice(0, 80)]);
          break;
        }
      }
    }
  }
  const header = document.querySelector('.md-header');
  const style = header && getComputedStyle(header);
  if (!header || style.display === 'none' || style.visibility === 'hidden') hits.push('header hidden');
  return hits;
}"""


TABS = 4  # pages loaded side by side: their waits for a quiet network overlap


def _side_by_side(page, url: str, paths: list[str], state: str):
    """`paths` in batches of TABS pages of `page`'s context (`page` the first of each), each
    batch loaded side by side; yields [(tab, path)] once every page of the batch has reached
    `state` ("networkidle": half a second without a request, for whatever a page starts late),
    and closes the batch's other tabs after. One page after another, each waited for alone,
    the waits added up (the hostile site's pages: 20-25 s a generator in CI, 1 CPU s)."""
    for start in range(0, len(paths), TABS):
        batch = paths[start : start + TABS]
        tabs = [page, *(page.context.new_page() for _ in batch[1:])]
        try:
            for tab, path in zip(tabs, batch, strict=True):
                tab.goto(f"{url}/{path}", wait_until="commit")
            for tab in tabs:
                tab.wait_for_load_state(state)
            yield list(zip(tabs, batch, strict=True))
        finally:
            for tab in tabs[1:]:
                tab.close()


@pytest.mark.browser
def test_no_page_or_figure_of_the_hostile_site_runs_anything(hostile: HostileBuild) -> None:
    """Every page, listing (blog index, archive, categories) and figure, and the active files
    the site allowed, opened in Chromium."""
    site, url = hostile.site, hostile.url
    pages = sorted(p.relative_to(site).as_posix() for p in site.rglob("*.html"))
    figures = sorted(p.relative_to(site).as_posix() for p in site.glob("assets/figures/*"))
    allowed = sorted(p.relative_to(site).as_posix() for p in site.glob("allowed/*"))
    assert len(pages) >= 8 and figures and allowed
    assert any("/category/" in p for p in pages), "the category listings are part of the check"
    with offline_browser(url) as (page, log):
        # networkidle, not the page's end of work (open_page): a script that got past the policy
        # may start its request whenever it likes, and the half second of quiet network is its
        # chance to be seen (a request 200 ms after the load event: recorded, unseen at "load")
        for batch in _side_by_side(page, url, pages, "networkidle"):
            for tab, path in batch:
                if tab.query_selector(".md-header"):  # the theme's pages (not the allowed page)
                    covered = tab.evaluate(_COVERED)
                    assert covered == [], f"{hostile.generator} {path}: covered at {covered}"
                # open every math box and details, hover and click every link that stays on the page
                open_boxes(tab, "details")
                tab.evaluate(
                    "document.querySelectorAll('.md-content a[href^=\"javascript\"], .md-content [onclick]')"
                    ".forEach(a => a.click())"
                )
        for batch in _side_by_side(page, url, figures + allowed, "load"):
            for tab, _path in batch:
                tab.evaluate("document.querySelectorAll('a, [onclick]').forEach(a => a.dispatchEvent("
                             "new MouseEvent('click', {bubbles: true})))")  # fmt: skip
            page.wait_for_timeout(100)  # each page of the batch lives on after its clicks
    assert log.dialogs == [], log.dialogs
    assert log.blocked_requests == [], f"{len(log.blocked_requests)} requests to other hosts"
    assert log.csp_violations == [], log.csp_violations


@pytest.mark.browser
def test_the_covering_check_sees_prose_that_would_cover_the_page(hostile_builds: HostileBuilds) -> None:
    """The check above is not vacuous: the blog index with an overlay the policy would have
    removed (put in by hand, in an excerpt) is reported."""
    built = hostile_builds.get("mkdocs")
    index = (built.site / "blog" / "index.html").read_text()
    probe = built.site / "blog" / "probe.html"  # beside the index: its relative links still work
    overlays = [
        '<p style="position:fixed;inset:0;z-index:99999;background:#fff">Session expired</p>',
        '<p style="position:absolute;top:0;left:0;width:100vw;height:100vh;background:#fff">x</p>',
    ]
    try:
        with offline_browser(built.url) as (page, log):
            for overlay in overlays:
                probe.write_text(
                    index.replace(
                        '<div class="md-post__content md-typeset">',
                        '<div class="md-post__content md-typeset">' + overlay,
                        1,
                    )
                )
                open_page(page, log, f"{built.url}/blog/probe.html")
                assert page.evaluate(_COVERED) != [], overlay
    finally:
        probe.unlink(missing_ok=True)


@pytest.mark.browser
def test_a_page_framed_by_another_site_shows_only_a_link_to_itself(
    hostile: HostileBuild, tmp_path: Path
) -> None:
    """The CSP's frame-ancestors cannot be set from a <meta>; the site's frame guard (frame.js)
    turns a framed page into a link to itself."""
    # another origin, served locally (Chromium lets no public page frame a local server at all)
    (tmp_path / "framer.html").write_text(
        f'<iframe src="{hostile.url}/blog/overlay-attacks/" width="900" height="600"></iframe>'
    )
    with serve_folder(tmp_path) as framer, offline_browser(hostile.url, also=(framer,)) as (page, log):
        page.goto(f"{framer}/framer.html", wait_until="load")  # the frame loaded
        frame = page.frames[1]
        # the guard runs when the framed page's scripts run, which a loaded machine may delay;
        # polled with evaluate: wait_for_function compiles its predicate with eval, which the
        # framed page's CSP refuses once it has loaded (it passed only when it began earlier)
        wait_until(frame, "document.body && document.body.innerText.includes('Open it on its own')", 30)
        text = frame.evaluate("document.body.innerText")
        assert "Open it on its own" in text and "Overlay attacks" not in text
        assert frame.evaluate("document.querySelector('.md-header')") is None
        assert frame.evaluate("document.querySelector('a[target=_top]').href").endswith(
            "/blog/overlay-attacks/"
        )
        open_page(page, log, f"{hostile.url}/blog/overlay-attacks/")  # not framed
        assert page.evaluate("document.querySelector('.md-header') !== null")
    assert log.dialogs == []


@pytest.mark.browser
@pytest.mark.slow
def test_instant_navigation_search_and_palette_work_under_the_policy(hostile_builds: HostileBuilds) -> None:
    built = hostile_builds.get("mkdocs")
    hostile_server = built.url
    with offline_browser(hostile_server) as (page, log):
        open_page(page, log, f"{hostile_server}/blog/")
        page.keyboard.press("s")
        page.locator("input.md-search__input").press_sequentially("forests", delay=30)
        wait_until(page, "document.querySelectorAll('.md-search-result__item').length > 0", 30)
        result = page.locator(".md-search-result__item").first.inner_text()
        assert 'Trees & forests: "why" <depth> matters' in result  # shown as text, as written
        page.keyboard.press("Escape")
        page.evaluate("window.__techpathMarker = 1")
        follow_instantly(page, log, page.locator(".md-content a[href*='output-attacks']").first.click)
        wait_until(page, "location.pathname.includes('output-attacks')")
        assert page.evaluate("window.__techpathMarker") == 1, "instant navigation fell back to a full load"
        page.locator("label[title='Switch to dark mode']").first.click()
        wait_for_scheme(page, "slate")
    assert log.csp_violations == [] and log.dialogs == [] and log.blocked_requests == []

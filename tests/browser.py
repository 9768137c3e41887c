"""Helpers for the browser tests: Debian's Chromium driven by Playwright, offline."""

from __future__ import annotations

import contextlib
import functools
import http.server
import json
import posixpath
import re
import shutil
import socket
import sys
import threading
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from techpath import environment

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"
# Chromium's headless shell on the PATH (Debian's chromium-headless-shell), then the full Chromium
# on the PATH, then the headless shell `make chromium` unpacks from npm. The shell first: the full
# browser in headless mode runs a browser process that cost more than twice the shell's CPU in
# the layout tests (docs/design.md, "Chromium's CPU in the browser tests").
NPM_CHROMIUM = ROOT / ".venv" / "chromium" / "chrome"
CHROMIUM_CANDIDATES = ("chromium-headless-shell", "chromium", "chromium-browser", str(NPM_CHROMIUM))
# Flags that stop Chromium from calling home: this machine (and CI) has no network.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


class _QuietServer(http.server.ThreadingHTTPServer):
    """A browser that closes a connection mid-file (a closed page, a cancelled font request) is
    not an error of the site: no traceback in the suite's output for it."""

    def handle_error(self, request: object, client_address: object) -> None:
        if not isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            super().handle_error(request, client_address)  # type: ignore[arg-type]


@contextmanager
def serve_folder(folder: Path) -> Iterator[str]:
    """Serve `folder` on a free localhost port; yields the base URL (no trailing slash). The
    listening socket is closed afterwards, or a later test reports it as leaked."""
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = _QuietServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


CHROMIUM_HELP = (
    "run `make chromium` (a headless Chromium from npm, no root), `sudo apt-get install chromium`, "
    "or set TECHPATH_CHROMIUM=/path/to/chrome"
)


def find_chromium() -> str | None:
    """The Chromium the browser tests drive: $TECHPATH_CHROMIUM, the PATH's, or `make chromium`'s."""
    for candidate in (environment.chromium(), *CHROMIUM_CANDIDATES):
        if candidate and shutil.which(candidate):
            return shutil.which(candidate)
    return None


def chromium_path() -> str:
    """The Chromium binary, or a skip (locally) / failure (CI) that says how to get one."""
    found = find_chromium()
    if found:
        return found
    message = f"Chromium is needed for the browser tests: {CHROMIUM_HELP}."
    if environment.in_ci():
        pytest.fail(message)
    pytest.skip(message)


# Playwright's headless launch emulates a mouse (hover, a fine pointer) with Chromium's
# --blink-settings; Chromium keeps only the last --blink-settings it is given, so a browser that
# needs more settings repeats these (tests/sweep.py checks the mouse is still there).
PLAYWRIGHT_BLINK_SETTINGS = (
    "primaryHoverType=2,availableHoverTypes=2,primaryPointerType=4,availablePointerTypes=4"
)
# A browser whose pages may read and write the clipboard synchronously, with
# document.execCommand('paste') and ('copy'): the desktop sweep reads it after each of 759
# copy-button clicks in one task, where awaiting navigator.clipboard let Chromium render a frame
# after every click (two thirds of the clicks' CPU; docs/design.md, round 7). Only the contexts
# that ask for it (`offline_browser(clipboard=True)`) run there; every other test's pages keep
# Chromium's default, where a page cannot read the clipboard.
CLIPBOARD_ARGS = [
    f"--blink-settings={PLAYWRIGHT_BLINK_SETTINGS},javaScriptCanAccessClipboard=true,DOMPasteAllowed=true"
]


class SharedChromium:
    """One Chromium for the whole test process; every test gets its own context (its own
    cookies, storage, permissions, colour scheme and viewport), which is what isolates tests
    in a browser. Starting Chromium costs about a second of CPU, and the suite has dozens of
    browser tests. Started on first use; stopped at the end of the session (conftest.py). A
    second one, started only if a test asks for it, lets pages read the clipboard synchronously
    (`CLIPBOARD_ARGS`)."""

    def __init__(self) -> None:
        self._playwright = None
        self._browsers: dict[bool, object] = {}  # by `clipboard`

    def browser(self, clipboard: bool = False):
        if any(not b.is_connected() for b in self._browsers.values()):
            self.stop()  # one crashed: the next test gets a fresh one, not a cascade of failures
        if clipboard not in self._browsers:
            from playwright.sync_api import sync_playwright

            executable = chromium_path()
            try:
                if self._playwright is None:
                    self._playwright = sync_playwright().start()
                args = CHROMIUM_ARGS + (CLIPBOARD_ARGS if clipboard else [])
                launch = self._playwright.chromium.launch
                self._browsers[clipboard] = launch(executable_path=executable, args=args)
            except BaseException:
                self.stop()
                raise
        return self._browsers[clipboard]

    def stop(self) -> None:
        """Close the browsers and Playwright: a test whose code under test starts Playwright
        itself (techpath diff's figure rasteriser) needs the thread's event loop to itself."""
        browsers, playwright = list(self._browsers.values()), self._playwright
        self._browsers, self._playwright = {}, None
        for browser in browsers:
            with contextlib.suppress(Exception):
                browser.close()
        if playwright is not None:
            playwright.stop()


SHARED = SharedChromium()


@dataclass
class PageLog:
    """What a page did that a test may want to assert on."""

    console_errors: list[str] = field(default_factory=list)
    blocked_requests: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)  # alert/confirm/prompt a page opened
    csp_violations: list[str] = field(default_factory=list)
    in_flight: set[object] = field(default_factory=set)  # requests started and not yet answered


# Every Content-Security-Policy violation is also reported as a console error we can count.
_CSP_LISTENER = """
document.addEventListener('securitypolicyviolation', (e) => {
  console.error('CSP violation: ' + e.violatedDirective + ' blocked ' + e.blockedURI);
});
"""
# Material's bundle (Zensical's too) reads sitemap.xml with DOMParser when a page starts: the one
# request it makes after the load event, and what arms instant navigation (a click on a link
# before it is an ordinary full load). Each XML document a page parses is counted, in the same
# turn of the page's event loop as Material's own use of it (`open_page` waits for it).
_XML_PARSED = """
(() => {
  const parse = DOMParser.prototype.parseFromString;
  DOMParser.prototype.parseFromString = function (text, type) {
    const parsed = parse.call(this, text, type);
    if (type === 'text/xml') window.__techpathXmlParsed = (window.__techpathXmlParsed || 0) + 1;
    return parsed;
  };
})();
"""


# Blocked requests fail with this error (a console error "Failed to load resource: ..." too).
BLOCKED_ERROR = "net::ERR_PROXY_CONNECTION_FAILED"


class _DeadProxy:
    """A port bound and never listened on: a connection to it is refused at once, and no other
    process can take the port while the session lives. Each test's context sends everything but
    its own site there, so nothing off-site is reached."""

    def __init__(self) -> None:
        self._socket: socket.socket | None = None

    def url(self) -> str:
        if self._socket is None:
            self._socket = socket.socket()
            self._socket.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{self._socket.getsockname()[1]}"


DEAD_PROXY = _DeadProxy()


def _origin(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


@contextmanager
def offline_browser(
    base_url: str,
    color_scheme: str = "light",
    viewport: tuple[int, int] = (1280, 900),
    bypass_csp: bool = False,
    also: tuple[str, ...] = (),
    clipboard: bool = False,
) -> Iterator[tuple[object, PageLog]]:
    """A fresh page, in a fresh context of the shared Chromium, where every request outside
    `base_url`'s origin (and the origins in `also`) is blocked and recorded, and what any page of
    the context logs is kept.

    Blocked by the network, not by Playwright's routing: the context's proxy is a dead port and
    only the site's host:port bypasses it (loopback included: another local port is refused
    too), and every request is recorded from the request event. Routing would send each request
    through the driver and turn Chromium's HTTP cache off, so every page load fetched and
    compiled the theme's bundle again (the phone sweep: 18% of its CPU, Chromium included).

    `bypass_csp` lets a test inject its own tools (axe-core) into pages whose policy would refuse
    them; tests of the site itself keep the policy on. `clipboard` opens the context in the
    browser whose pages may read and write the clipboard synchronously (`CLIPBOARD_ARGS`)."""
    log = PageLog()
    origins = [_origin(base_url), *map(_origin, also)]
    if any(urllib.parse.urlsplit(u).path.strip("/") for u in (base_url, *also)):
        raise ValueError(f"a proxy confines a context to origins, not to paths: {base_url} {also}")
    context = SHARED.browser(clipboard).new_context(
        color_scheme=color_scheme,
        viewport={"width": viewport[0], "height": viewport[1]},
        bypass_csp=bypass_csp,
        proxy={"server": DEAD_PROXY.url(), "bypass": ",".join(o.split("://", 1)[1] for o in origins)},
    )

    def on_site(url: str) -> bool:
        return _origin(url) in origins

    def off_site(url: str) -> bool:  # data: and blob: never leave the browser
        return not (on_site(url) or url.startswith(("data:", "blob:")))

    def request(r) -> None:
        log.in_flight.add(r)
        if off_site(r.url):
            log.blocked_requests.append(r.url)

    def websocket(ws) -> None:  # not a request event; the proxy refuses it all the same
        if off_site(ws.url):
            log.blocked_requests.append(ws.url)

    context.on("request", request)
    context.on("page", lambda p: p.on("websocket", websocket))
    context.add_init_script(_CSP_LISTENER + _XML_PARSED)
    page = context.new_page()

    def console(message) -> None:
        if message.type == "error":
            log.console_errors.append(message.text)
            if "CSP violation" in message.text or "Content Security Policy" in message.text:
                log.csp_violations.append(message.text)

    def dialog(d) -> None:
        log.dialogs.append(f"{d.type}: {d.message}")
        d.dismiss()

    # on the context: what every page of it does is logged (a test may open pages side by side)
    context.on("console", console)
    context.on("dialog", dialog)
    context.on("weberror", lambda e: log.console_errors.append(str(e.error)))
    context.on("requestfailed", lambda r: _failed(log, r, on_site(r.url)))
    context.on("requestfinished", lambda r: log.in_flight.discard(r))
    try:
        yield page, log
    finally:
        context.close()


def artifact(name: str, generator: str = "mkdocs") -> Path:
    """Where a test writes a screenshot or measurement: test-artifacts/NAME, with the generator
    in the name for a site ProperDocs or Zensical built."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    return path if generator == "mkdocs" else path.with_name(f"{path.stem}-{generator}{path.suffix}")


def write_artifact(name: str, data: object) -> None:
    """A test's measurements as test-artifacts/NAME (JSON), for a person reading a failure."""
    artifact(name).write_text(json.dumps(data, indent=2))


def open_boxes(page, selector: str = ".md-content details") -> None:
    """Open every collapsible box `selector` names (math boxes, exercises, outputs)."""
    page.evaluate(f"document.querySelectorAll({json.dumps(selector)}).forEach(d => {{ d.open = true; }})")


def _failed(log: PageLog, request, on_site: bool) -> None:
    """A request of the site that failed. One the page itself gave up (net::ERR_ABORTED: the
    reader navigated while Material's instant loading still fetched sitemap.xml, as a loaded
    machine once showed) is not a broken asset: a missing file answers 404, which Chromium logs
    as a console error, and a refused one is a CSP violation; any other failure is recorded."""
    log.in_flight.discard(request)
    if on_site and request.failure != "net::ERR_ABORTED":
        log.failed_requests.append(request.url)


# Evaluates `expression` in the page at every frame (or every 50 ms, whichever comes first) until
# it is true or the deadline passes: one round trip for the whole wait, which ends as soon as the
# condition holds, where polling from Python cost a round trip and up to 100 ms per try.
# The expression is written into the function's source: an eval in the page would be refused by
# the site's policy, as wait_for_function's is.
_WAIT = """async (ms) => {
  const holds = () => (EXPRESSION);
  const deadline = performance.now() + ms;
  while (!holds()) {
    if (performance.now() > deadline) return false;
    await new Promise(go => { requestAnimationFrame(go); setTimeout(go, 50); });
  }
  return true;
}"""


def wait_until(page, expression: str, seconds: float = 10) -> None:
    """Wait until `expression` is true in the page, checked in the page itself at each frame.
    Playwright's wait_for_function compiles its predicate with eval, which the site's
    Content-Security-Policy (rightly) refuses; page.evaluate is not subject to the page's
    policy, and an evaluation ended by a navigation (the page replaced while waiting) is
    simply started again in the new document, until the deadline."""
    import time

    deadline = time.monotonic() + seconds
    while True:
        left = deadline - time.monotonic()
        try:
            if page.evaluate(_WAIT.replace("EXPRESSION", expression), max(left, 0) * 1000):
                return
        except Exception as error:  # the document went away under the evaluation: try the next one
            if "context was destroyed" not in str(error) and "navigat" not in str(error):
                raise
            page.wait_for_timeout(50)
        if time.monotonic() > deadline:
            raise AssertionError(f"still false after {seconds} s: {expression}")


# Material's pages are done with their own work: the load event, and with instant navigation on,
# the sitemap read (see _XML_PARSED). Zensical's pages carry the same configuration element.
_MATERIAL_DONE = """document.readyState === 'complete' && (window.__techpathXmlParsed > 0
  || !(JSON.parse(document.getElementById('__config')?.textContent || '{}').features || [])
       .includes('navigation.instant'))"""


def open_page(page, log: PageLog, url: str, seconds: float = 10) -> None:
    """Load `url` and wait until the page has done its own work: the load event (its scripts,
    images and the fonts its first layout asked for), Material's sitemap read (instant navigation
    armed) and every request of the context answered (the sitemap's among them). The state
    `wait_until="networkidle"` reached too, without its half second of quiet network after
    (docs/design.md, round 8: "A page's own end of work instead of networkidle"). A test that
    checks a page never does something late it might do (the hostile site's pages) keeps
    networkidle."""
    page.goto(url, wait_until="load")
    _wait_for_its_own_work(page, log, seconds)


def _wait_for_its_own_work(page, log: PageLog, seconds: float) -> None:
    import time

    wait_until(page, _MATERIAL_DONE, seconds)
    deadline = time.monotonic() + seconds
    while log.in_flight:
        if time.monotonic() > deadline:
            raise AssertionError(f"still unanswered after {seconds} s: {[r.url for r in log.in_flight]}")
        page.wait_for_timeout(10)


# Counts the documents Material's `document$` emits (the page's own at first, then one per instant
# navigation, after the new content and its scripts are in): a page's end of work after a swap.
_SWAPS = """() => {
  if (window.__techpathSwaps === undefined) {
    window.__techpathSwaps = 0;
    window.document$.subscribe(() => { window.__techpathSwaps += 1; });
  }
  return window.__techpathSwaps;
}"""


def follow_instantly(page, log: PageLog, click, seconds: float = 10) -> None:
    """Call `click` (on a link of a Material page) and wait until instant navigation has swapped
    the new page in, or the click ended in a full load (the counter gone with the old document:
    a caller that asserts instant navigation checks which), and then until the page shown has
    done its own work, as `open_page` waits (after a full load: its load event and sitemap)."""
    before = page.evaluate(_SWAPS)
    click()
    wait_until(page, f"window.__techpathSwaps === undefined || window.__techpathSwaps > {before}", seconds)
    _wait_for_its_own_work(page, log, seconds)


def wait_for_scheme(page, scheme: str, seconds: float = 10) -> None:
    """Wait until Material shows colour scheme `scheme` ("default", "slate"). Its bundle applies
    the reader's setting (prefers-color-scheme, or a click on the toggle) to <body> from a
    subscription, not at once: read at once under load, the attribute was once still the first
    palette's (a run of make check at load 23)."""
    wait_until(page, f"document.body !== null && document.body.dataset.mdColorScheme === {scheme!r}", seconds)


def site_pages(site: Path) -> list[str]:
    """Every page of a built site, as URL paths ("/", "/blog/pca/", ...)."""
    pages = []
    for index in sorted(site.rglob("index.html")):
        url = "/" + index.parent.relative_to(site).as_posix() + "/"
        pages.append(url.replace("/./", "/").replace("//", "/"))
    return pages


def post_pages(site: Path) -> list[str]:
    """The blog posts of a built site: the pages whose top says where they sit on the path."""
    return [
        u for u in site_pages(site) if "techpath-place" in (site / u.strip("/") / "index.html").read_text()
    ]


# -- the post tier -----------------------------------------------------------------------------

# Set by tests/conftest.py in the post tier (`make check`, --changed-posts) when every file changed
# since the base branch is a page under docs/ or a data file: those pages (relative to the
# repository). None (the full suite, any other change) or empty (data files alone): every page.
CHANGED_PAGES: tuple[Path, ...] | None = None
_HREF = re.compile(r'href="([^"#?]*)')
_ARTICLE = re.compile(r"<article\b.*?</article>", re.S)


def sweeps_whole_site() -> bool:
    """Every page: the full suite, or a post tier where only data files changed (any page may
    read them)."""
    return not CHANGED_PAGES


def changed_only(site: Path, pages: list[str]) -> list[str]:
    """The pages of `pages` a whole-site browser test visits: every one in the full suite; in
    the post tier, the pages built from the changed ones, and for a changed post the pages that
    link to it too (the blog's index, archive, category and tag pages show its excerpt, its
    neighbours on the path its title). Every page, as in the full suite, when a changed page's
    built page cannot be found, or when no page changed (a data file did: which pages read it is
    not known here)."""
    changed = changed_urls(site)
    if changed is None:
        return pages
    posts = set(post_pages(site))
    linking = {url for url in site_pages(site) if _links(site, url) & changed & posts}
    return [url for url in pages if url in changed | linking]


def changed_urls(site: Path) -> set[str] | None:
    """The URL paths of the pages built from the changed ones; None when a test checks every
    page (see `changed_only`)."""
    if sweeps_whole_site():
        return None
    changed: set[str] = set()
    for source in CHANGED_PAGES:
        url = built_url(site, source)
        if url is None:
            return None
        changed.add(url)
    return changed


def built_url(site: Path, source: Path) -> str | None:
    """The URL path of the page built from `source` (docs/...): the one offering its downloads
    when it has any, else by MkDocs' rule for directory URLs."""
    from techpath.parse import load_post
    from techpath.render.downloads import download_file, download_name

    name = download_name(load_post(ROOT / source))
    script = f"assets/downloads/{name}/{download_file(name, 'script')}"
    offering = [u for u in site_pages(site) if any(h.endswith(script) for h in _hrefs(site, u))]
    if len(offering) == 1:
        return offering[0]
    parts = source.relative_to("docs").with_suffix("").parts
    parts = parts[:-1] if parts[-1] in ("index", "README") else parts
    url = "/" + "/".join(parts) + "/" if parts else "/"
    return url if (site / url.strip("/") / "index.html").is_file() else None


def _hrefs(site: Path, url: str) -> list[str]:
    """The links in the page's articles (its text, a blog index's excerpts, a post's previous and
    next), not in the navigation around them: every post's navigation lists every post on the
    path, and a new one is checked there by its own page. A page with no <article>: all links."""
    html = (site / url.strip("/") / "index.html").read_text(encoding="utf-8")
    return _HREF.findall("".join(_ARTICLE.findall(html)) or html)


def _links(site: Path, url: str) -> set[str]:
    """The site's pages `url` links to, as URL paths."""
    found = set()
    for href in _hrefs(site, url):
        if "://" in href or href.startswith(("mailto:", "data:")):
            continue
        target = posixpath.normpath(posixpath.join(url, href)) if not href.startswith("/") else href
        found.add(target.rstrip("/") + "/" if not target.endswith(".html") else target)
    return found


def indexed_text(site: Path, pages: list[str]) -> tuple[str, str]:
    """What the site's search index holds for `pages` (title, text, tags and the concepts field,
    of every section), lower-cased, and the index's word separator (a regular expression)."""
    index = json.loads((site / "search" / "search_index.json").read_text(encoding="utf-8"))
    wanted = {url.strip("/") + "/" if url != "/" else "" for url in pages}
    parts = [
        json.dumps([doc.get(key) for key in ("title", "text", "tags", "concepts")], ensure_ascii=False)
        for doc in index["docs"]
        if doc["location"].split("#")[0] in wanted
    ]
    return " ".join(parts).lower(), index["config"]["separator"]


def enough(count: int, minimum: int) -> bool:
    """A whole-site test's guard against checking nothing: at least `minimum` in the full suite;
    any count in the post tier, which sweeps only what a changed page can change (the full
    suite keeps the guard)."""
    return count >= minimum or not sweeps_whole_site()

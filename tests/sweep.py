"""One visit per page and viewport for the browser tests that read every page of our site
(test_browser_layout.py, test_browser_follow_along.py): each page is loaded once on a phone and
once on a desktop, and everything those tests assert on is measured in that visit.

On a post the navigation is read first, as on a post just opened (on a phone the menu is
opened, read once it has slid in, and closed again). Then the measurements that change a page
come after the ones that read it as loaded, in the order the tests once made them in visits of
their own: what a loaded page shows (font sizes, copy buttons against code, scrolling blocks,
figure widths), then on a phone the Contents block is opened and its last link followed, then
the math boxes are opened (widths, small print), and on a desktop, last, every box is opened and
each copy button clicked for real (the clipboard read after each click).

A sweep is kept per test process; the tests that read one carry the xdist group of its viewport
(`SWEEP_GROUP`), so with `--dist loadgroup` each viewport is swept once per run, by one worker,
while the other worker sweeps the other viewport or runs other tests."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.browser import (
    ARTIFACTS,
    changed_only,
    offline_browser,
    open_boxes,
    post_pages,
    site_pages,
    wait_until,
)

PHONE, DESKTOP = (390, 844), (1280, 900)
VIEWPORTS = {"phone": PHONE, "desktop": DESKTOP}


def group(viewport: str) -> pytest.MarkDecorator:
    """The xdist group of the tests that read the sweep of `viewport`."""
    return pytest.mark.xdist_group(f"browser-sweep-{viewport}")


def each_viewport() -> list:
    """The viewports as parameters, each in the xdist group of its sweep."""
    return [pytest.param(v, marks=group(v), id=v) for v in VIEWPORTS]


# -- what a loaded page shows ------------------------------------------------------------------

_SIZES = """() => {
  const px = el => parseFloat(getComputedStyle(el).fontSize);
  const all = sel => [...document.querySelectorAll(sel)];
  return {code: all('.md-content .highlight pre > code').map(px),
          output: all('.techpath-output pre > code').map(px),
          math: all('details.math p, details.math li').map(px),
          mathTitle: all('details.math > summary').map(px)};
}"""

_SCROLLING = """() => [...document.querySelectorAll('.md-content .highlight pre > code')]
  .filter(c => !c.closest('.techpath-output'))
  .map(c => ({scrolls: c.scrollWidth > c.clientWidth + 1,
              longest: Math.max(...c.textContent.split('\\n').map(l => l.length))}))"""

# The copy button's bar (Material 9.8: a <nav> holding its buttons; .md-clipboard in older releases),
# whose background covers what passes under it.
_COPY_OVERLAP = """() => {
  const hits = [];
  for (const pre of document.querySelectorAll('.md-content pre')) {
    const button = pre.querySelector('.md-code__nav, .md-clipboard');
    const code = pre.querySelector('code');
    if (!button || !code || !button.getClientRects().length) continue;
    const b = button.getBoundingClientRect();
    const range = document.createRange();
    range.selectNodeContents(code);
    for (const r of range.getClientRects()) {
      if (r.width && r.left < b.right && r.right > b.left && r.top < b.bottom && r.bottom > b.top) {
        hits.push(code.textContent.slice(0, 40)); break;
      }
    }
  }
  return hits;
}"""

_FIGURES = """() => [...document.querySelectorAll('.techpath-figure img')]
  .map(i => [new URL(i.src).pathname, i.getBoundingClientRect().width])"""


# What the Contents check reads of the page, in one evaluation: `shown` is Playwright's own test
# of visibility (a non-empty box, not visibility: hidden), `top` its bounding box's y.
_CONTENTS = """() => {
  const shown = el => { const r = el.getBoundingClientRect();
    return r.width > 0 && r.height > 0 && getComputedStyle(el).visibility !== 'hidden'; };
  const top = el => el.getBoundingClientRect().y;
  const meta = document.querySelector('.techpath-meta');
  const toc = document.querySelector('details.techpath-toc');
  const links = toc ? [...toc.querySelectorAll('a')] : [];
  return {meta: meta && shown(meta) ? {top: top(meta), text: meta.innerText} : null,
          headings: document.querySelectorAll('article h2[id]').length,
          toc: toc && shown(toc) ? top(toc) : null,
          links: links.length, firstShown: links.length > 0 && shown(links[0]),
          lastHref: links.length ? links[links.length - 1].getAttribute('href') : null};
}"""


def _contents_problem(page, url: str) -> str | None:
    """On a phone: a Contents block above the fold whose links reach every section."""
    found = page.evaluate(_CONTENTS)
    meta = found["meta"]
    if meta is None or "min read" not in meta["text"] or meta["top"] > PHONE[1]:
        return "no date and reading time at the top"
    headings = found["headings"]
    if headings == 0:
        return None
    if found["toc"] is None or found["toc"] > PHONE[1]:
        return "no contents above the fold"
    toc = page.locator("details.techpath-toc")
    toc.locator("summary").click()
    found = page.evaluate(_CONTENTS)  # opened: its links are laid out now
    if found["links"] < headings or not found["firstShown"]:
        return f"{found['links']} links for {headings} sections"
    target = "#" + found["lastHref"].split("#")[-1]  # instant loading makes it absolute
    toc.locator("a").last.click()
    wait_until(page, f"location.hash === {json.dumps(target)}")
    return None


# -- with the math boxes open ------------------------------------------------------------------

# Width of the document against the viewport; the widest element when it overflows.
_OVERFLOW = """() => {
  const width = document.documentElement.scrollWidth, view = window.innerWidth;
  let widest = null, right = view;
  if (width > view) for (const el of document.body.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (r.right > right + 1 && getComputedStyle(el).position !== 'fixed') { right = r.right;
      widest = el.tagName + '.' + el.className; }
  }
  return {width, view, widest};
}"""

# Every visible piece of text in math boxes and the math index, with its size (MathML kept for
# screen readers is clipped to 1 px and not shown).
_SMALL_TEXT = """() => {
  const found = [];
  for (const root of document.querySelectorAll('details.math, .techpath-math-index')) {
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const el = node.parentElement;
      if (!node.textContent.trim() || el.closest('.katex-mathml')) continue;
      const range = document.createRange(); range.selectNodeContents(node);
      if (![...range.getClientRects()].some(r => r.width > 0 && r.height > 0)) continue;
      const px = parseFloat(getComputedStyle(el).fontSize);
      found.push([px, node.textContent.trim().slice(0, 20), el.className]);
    }
  }
  return found;
}"""

# -- the navigation ----------------------------------------------------------------------------

_PATH_LINKS = """(scope) => {
  const nav = document.querySelector(scope + ' nav.techpath-nav-path');
  if (!nav) return null;
  const links = [...nav.querySelectorAll('ol a[href]')];
  const current = links.filter(a => a.getAttribute('aria-current') === 'page');
  const box = el => { const r = el.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; };
  return {hrefs: links.map(a => new URL(a.href).pathname),
          current: current.map(a => new URL(a.href).pathname),
          currentBox: current.length ? box(current[0]) : null,
          currentVisible: current.length > 0 && current[0].checkVisibility(),
          stages: [...nav.querySelectorAll('.techpath-nav-path__stage')].map(s => s.innerText.trim())};
}"""

# The side column's current post lies within the window.
_CURRENT_IN_VIEW = (
    '(() => { const a = document.querySelector(".md-sidebar--post nav.techpath-nav-path '
    "[aria-current='page']\"); if (!a) return true; const r = a.getBoundingClientRect(); "
    "return r.top >= 0 && r.bottom <= window.innerHeight; })()"
)

# The phone's menu has slid in (or out): no transition runs in the sidebar any more.
_SLID = "document.querySelector('.md-sidebar--primary').getAnimations({subtree: true}).length === 0"
_DRAWER_OPEN = f"document.getElementById('__drawer').checked && {_SLID}"
_DRAWER_CLOSED = f"!document.getElementById('__drawer').checked && {_SLID}"


def _visit(page, url: str, viewport: str, posts: set[str], first_post: bool) -> dict:
    entry: dict = {}
    is_post = url in posts
    if is_post:
        _read_path(page, viewport, entry)
        if first_post:
            page.screenshot(path=str(ARTIFACTS / f"follow-path-{VIEWPORTS[viewport][0]}.png"))
        if viewport == "phone":  # the menu closes again before anything else is measured
            # a tap on the shade beside the menu, as a reader closes it (clear of the scrollbar)
            shade = {"x": PHONE[0] - 50, "y": PHONE[1] // 2}
            page.locator("label.md-overlay[for='__drawer']").click(position=shade)
            wait_until(page, _DRAWER_CLOSED)
        entry["sizes"] = page.evaluate(_SIZES)
        entry["copy_overlap"] = page.evaluate(_COPY_OVERLAP)
        entry["blocks"] = page.evaluate(_SCROLLING)
        entry["figures"] = page.evaluate(_FIGURES)
        if viewport == "phone":
            entry["contents"] = _contents_problem(page, url)
    open_boxes(page, "details.math")  # open boxes hold the widest math
    entry["overflow"] = page.evaluate(_OVERFLOW)
    if viewport == "phone" and (is_post or url in ("/", "/math/")):
        entry["small_text"] = page.evaluate(_SMALL_TEXT)
    return entry


def _read_path(page, viewport: str, entry: dict) -> None:
    """The path in the navigation, as a reader finds it on a post just opened: on a phone in
    the menu, once it has slid in; on a desktop in the post's side column."""
    if viewport == "phone":
        page.locator("label.md-header__button[for='__drawer']").click()
        wait_until(page, _DRAWER_OPEN)
        entry["path"] = page.evaluate(_PATH_LINKS, ".md-sidebar--primary")
    else:
        # Material scrolls the side column to its active link in an animation frame after the
        # load event; under load the page was once read before that frame (CI, 2026-12-07).
        # Wait for it as a reader's eye does, and let the reading below judge what was shown.
        try:
            wait_until(page, _CURRENT_IN_VIEW, seconds=5)
        except AssertionError:
            pass
        entry["path"] = page.evaluate(_PATH_LINKS, ".md-sidebar--post")
    entry["path_end_links"] = page.locator("nav.techpath-path-nav a").count()


# -- copy buttons, clicked last (desktop) -------------------------------------------------------

# Each copy button against the code of its own <pre>: where its target selector points, and the
# text Material copies from that code (innerText while data-md-copying is set, trimmed at the end).
_BUTTONS = """() => [...document.querySelectorAll('.md-content [data-clipboard-target]')].map((b, i) => {
  b.setAttribute('data-techpath-button', i);
  const own = b.closest('pre') && b.closest('pre').querySelector(':scope > code');
  const target = document.querySelector(b.getAttribute('data-clipboard-target'));
  const text = el => { el.setAttribute('data-md-copying', ''); const t = el.innerText.trimEnd();
                       el.removeAttribute('data-md-copying'); return t; };
  return {index: i, own: own ? text(own) : null, targetIsOwn: !!own && target === own,
          visible: b.getClientRects().length > 0};
})"""


# Every button clicked in turn in one evaluation, each click followed by a read of the real
# clipboard. A button is aimed at as Playwright's click aims: scrolled into view, and the
# topmost element at its centre must be the button or inside it (else a reader's click there
# lands on whatever covers it); the clipboard is set to a sentinel first, so a click that copies
# nothing is seen. The click is a mouse event dispatched to that topmost element at that point
# (mousedown, mouseup, click), which is where the browser's own hit test sends a reader's click;
# a listener records the button each click reached. A button covered at its centre (a figure
# loading above moved it) is aimed at again, now once it is steady for two animation frames, as
# Playwright's click retries. One evaluation per page: the trusted click through CDP cost three
# round trips and an evaluation per button (759 buttons: 80 s of which 76 CPU s, load 7).
# The sentinel is written and the clipboard read synchronously (execCommand 'copy' and
# 'paste' in the sweep's own browser, tests/browser.py CLIPBOARD_ARGS; a capturing listener on
# window takes those two events and stops them): awaiting navigator.clipboard let Chromium
# render a frame after every click, and those frames were two thirds of the clicks' CPU. So the
# first aim at each button, its click and the read run in one task, as the hit test always did
# right after its scroll (docs/design.md, "Round 7").
_CLICK_ALL = """async ([indices, attempts]) => {
  const reached = [];
  const listen = e => {
    const b = e.target.closest && e.target.closest('[data-techpath-button]');
    reached.push(b ? +b.getAttribute('data-techpath-button') : null);
  };
  // the clipboard itself, written and read in this task; the page's own listeners never see it
  const clipboard = (command, use) => {
    const own = e => { use(e.clipboardData); e.preventDefault(); e.stopImmediatePropagation(); };
    window.addEventListener(command, own, true);
    try {
      if (!document.execCommand(command)) throw new Error(`the sweep's browser refused to ${command}`);
    } finally {
      window.removeEventListener(command, own, true);
    }
  };
  const write = text => clipboard('copy', data => data.setData('text/plain', text));
  const read = () => {
    let text = null;
    clipboard('paste', data => { text = data.getData('text/plain'); });
    return text;
  };
  document.addEventListener('click', listen, true);
  const frames = () => new Promise(f => requestAnimationFrame(() => requestAnimationFrame(f)));
  const results = {};
  try {
    for (const index of indices) {
      const b = document.querySelector(`[data-techpath-button="${index}"]`);
      const box = () => JSON.stringify(b.getBoundingClientRect());
      for (let attempt = 1; attempt <= attempts; attempt++) {
        b.scrollIntoView({block: 'center', inline: 'center'});
        for (let i = 0, steady = attempt === 1; i < 20 && !steady; i++) {
          const before = box();
          await frames();
          steady = box() === before;
          if (!steady) b.scrollIntoView({block: 'center', inline: 'center'});
        }
        const r = b.getBoundingClientRect(), x = r.left + r.width / 2, y = r.top + r.height / 2;
        const hit = document.elementFromPoint(x, y);
        if (!hit || !b.contains(hit)) {
          results[index] = {cover: hit ? hit.outerHTML.slice(0, 80) : null};
          continue;
        }
        write('(nothing copied)');
        reached.length = 0;
        const at = {bubbles: true, cancelable: true, composed: true, view: window, clientX: x, clientY: y,
                    button: 0, detail: 1};
        hit.dispatchEvent(new MouseEvent('mousedown', {...at, buttons: 1}));
        hit.dispatchEvent(new MouseEvent('mouseup', at));
        hit.dispatchEvent(new MouseEvent('click', at));
        results[index] = {reached: [...reached], copied: read()};
        break;
      }
    }
  } finally {
    document.removeEventListener('click', listen, true);
  }
  return results;
}"""
ATTEMPTS = 3  # a button covered when aimed at is aimed at again, as Playwright's click retries


def _click_each(page, buttons: list[dict]) -> dict[int, str]:
    """Click each button; what is wrong with each that did not copy its own block."""
    results = page.evaluate(_CLICK_ALL, [[b["index"] for b in buttons], ATTEMPTS])
    problems: dict[int, str] = {}
    for button in buttons:
        index = button["index"]
        step = results[str(index)]
        if "cover" in step:
            problems[index] = f"covered at its centre by {step['cover']}"
        elif step["reached"] != [index]:
            problems[index] = f"the click reached {step['reached']}"
        elif step["copied"] != button["own"]:
            problems[index] = f"copied {step['copied'][:60]!r}, expected {button['own'][:60]!r}"
    return problems


def _copy(page) -> dict:
    """Every box open, each copy button's target checked and each visible one clicked for real."""
    open_boxes(page)
    buttons = page.evaluate(_BUTTONS)
    problems = {
        b["index"]: "target is another block" for b in buttons if b["own"] is None or not b["targetIsOwn"]
    }
    to_click = [b for b in buttons if b["index"] not in problems and b["visible"]]
    problems |= _click_each(page, to_click)
    return {"buttons": len(buttons), "clicked": len(to_click), "problems": sorted(problems.items())}


_SWEPT: dict[tuple[str, str], dict | Exception] = {}


def sweep(site_server: str, site: Path, viewport: str) -> dict:
    """Every page of `site` visited once at `viewport` (once per test process): {"pages":
    {url: measurements}, "posts": [the posts visited], "all_posts": [...], "console_errors":
    {url: [...]}}. In the post tier only the pages a changed page can change are visited
    (tests/browser.py `changed_only`)."""
    key = (site_server, viewport)
    if key not in _SWEPT:
        try:
            _SWEPT[key] = _sweep(site_server, site, viewport)
        except Exception as error:  # each test that reads it fails with it, none sweeps again
            _SWEPT[key] = error
    if isinstance(_SWEPT[key], Exception):
        raise _SWEPT[key]
    return _SWEPT[key]


def _sweep(site_server: str, site: Path, viewport: str) -> dict:
    ARTIFACTS.mkdir(exist_ok=True)
    all_posts = post_pages(site)
    pages = changed_only(site, site_pages(site))
    posts = [u for u in all_posts if u in pages]
    data: dict = {"pages": {}, "posts": posts, "all_posts": all_posts, "console_errors": {}}
    desktop = viewport == "desktop"  # its copy buttons are clicked: the clipboard is read
    with offline_browser(site_server, viewport=VIEWPORTS[viewport], clipboard=desktop) as (page, log):
        if desktop:
            page.context.grant_permissions(["clipboard-read", "clipboard-write"])
            # a desktop reader has a mouse: the clipboard's browser repeats Playwright's settings
            assert page.evaluate("matchMedia('(hover: hover) and (pointer: fine)').matches")
        marks: list[tuple[str, str, int]] = []  # (page, phase, where its console errors begin)
        for url in pages:
            marks.append((url, "console_errors", len(log.console_errors)))
            page.goto(site_server + url, wait_until="load")
            first = bool(posts) and url == posts[0]
            data["pages"][url] = _visit(page, url, viewport, set(posts), first)
            if viewport == "desktop":  # the clicks change the page and the clipboard: last
                marks.append((url, "copy_console_errors", len(log.console_errors)))
                data["pages"][url]["copy"] = _copy(page)
        ends = [*(m[2] for m in marks[1:]), len(log.console_errors)]
        data["copy_console_errors"] = {}
        for (url, phase, start), end in zip(marks, ends, strict=True):
            data[phase][url] = log.console_errors[start:end]
    return data


def console_errors(data: dict, urls: list[str] | None = None) -> list[str]:
    """The console errors of the pages `urls` (all pages: None), in the order they were seen."""
    return [e for u, errors in data["console_errors"].items() if urls is None or u in urls for e in errors]

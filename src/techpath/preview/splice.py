"""A saved page of a Zensical preview, shown before Zensical's rebuild of it ends.

Zensical 0.0.73 renders a page's Markdown in Python (`zensical.markdown.render.render`, with the
extensions and options of the configuration `zensical.config.parse_config` reads), then its
Rust runtime rewrites the links (`beta.md` -> `../beta/`), drops `data-search-exclude`, and
puts the content into the page's template, with every other page's. That rebuild takes 1-2 s
(docs/design.md, "The preview loop"). Here the same Python render runs in our process on the
saved staged page, the Rust part is done as Zensical did it on the page's previous version, and
the page's region (between its `techpath:page` markers) is replaced in the page Zensical wrote
last; the table of contents (sidebar and the navigation's copy) is written again when its
headings changed. Zensical's own page replaces it when its build ends.

A splice is refused (None: the preview waits for Zensical, as before) unless the previous
version, spliced the same way into the page Zensical wrote from it, gives that page byte for
byte: what Zensical does after the render that this module does not know (a link it rewrites
otherwise, an attribute it drops) shows there first. Refused too: a page whose title may
change (a level-1 heading changed) or whose content gains or loses its `<h1>` (the template
adds one), and a new link to a page this module cannot place.
"""

from __future__ import annotations

import html
import json
import posixpath
import re
import threading
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import yaml

from techpath.stage.finish import RegionMarkers

_FRONT = re.compile(r"\A---[ \t]*\n(.*?\n)?---[ \t]*\n", re.S)
_URL_ATTR = re.compile(r'(\s(?:href|src)=")([^"]*)(")')
_TAG = re.compile(r"<[A-Za-z][^<>]*>")
_SEARCH_EXCLUDE = re.compile(r'\sdata-search-exclude(?:="[^"]*")?(?=[\s/>])')
_SECONDARY = '<nav class="md-nav md-nav--secondary"'
_NAV_TAG = re.compile(r"<nav\b|</nav>")
_ARIA_LABEL = re.compile(r'aria-label="([^"]*)"')


@dataclass
class Rendered:
    region: str  # the page's region as Python-Markdown renders it (markers included)
    toc: list[dict[str, Any]]
    h1: bool  # the content has a level-1 heading (the template adds none then)


class Splicer:
    """Zensical's rendering of staged pages, in this process (its configuration read once)."""

    def __init__(self, config_file: Path, root: Path, markers: RegionMarkers) -> None:
        self.config_file, self.root, self.markers = config_file, root, markers
        self._render: Any = None
        self._lock = threading.Lock()  # the render sets Zensical's global page context
        self._last: dict[str, tuple[str, Rendered | None]] = {}  # uri -> its last staged text, render

    def _renderer(self) -> Any:
        if self._render is None:
            from zensical.config import parse_config
            from zensical.markdown.render import render

            config = parse_config(str(self.config_file))
            snippets = config.get("mdx_configs", {}).get("pymdownx.snippets")
            if isinstance(snippets, dict):  # relative to the site's folder, where Zensical runs
                base = snippets.get("base_path", ["."])
                base = [base] if isinstance(base, str) else base
                snippets["base_path"] = [str((self.root / b).resolve()) for b in base]
            self._render = render
        return self._render

    def warm(self) -> None:
        """Zensical's configuration read and its extensions imported (1.4 s at load 8), before
        the first save needs them."""
        with self._lock:
            self._renderer()("warm", "warm.md", "warm/", "{}")

    def render(self, uri: str, url: str, staged: str) -> Rendered | None:
        """The staged page `staged` (docs path `uri`, served at `url`) as Zensical renders it
        before its Rust part; None when its region is not found. The last one of each page is
        remembered: the previous version of its next save."""
        with self._lock:
            return self._rendered(uri, url, staged)

    def _rendered(self, uri: str, url: str, staged: str) -> Rendered | None:
        last = self._last.get(uri)
        if last is None or last[0] != staged:
            front = _FRONT.match(staged)
            meta = (yaml.safe_load(front[1] or "") if front else None) or {}
            body = staged[front.end() :] if front else staged
            out = self._renderer()(body, uri, url, json.dumps(_plain(meta)))
            found = _region(out["content"], self.markers, uri)
            rendered = None
            if found is not None:
                rendered = Rendered(out["content"][found[0] : found[1]], out["toc"], "<h1" in out["content"])
            last = self._last[uri] = (staged, rendered)  # the previous version of the next save
        return last[1]

    def splice(
        self, uri: str, name: str, before: str, after: str, page: str, pages: dict[str, str]
    ) -> str | None:
        """Zensical's page `page` (output file `name`, written from the staged text `before`)
        with the page's region made from the staged text `after`; None when refused (the
        module's docstring). `pages`: docs path -> served URL of every page (for new links)."""
        url = url_of(name)
        old, new = self.render(uri, url, before), self.render(uri, url, after)
        where = _region(page, self.markers, uri)
        if old is None or new is None or where is None or old.h1 != new.h1:
            return None
        if _titles(old.toc) != _titles(new.toc):
            return None  # the title may come from it
        links = _learnt_links(old.region, page[where[0] : where[1]])
        if links is None or _as_zensical(old.region, links, uri, url, pages) != page[where[0] : where[1]]:
            return None
        region = _as_zensical(new.region, links, uri, url, pages)
        if region is None:
            return None
        spliced = page[: where[0]] + region + page[where[1] :]
        return spliced if old.toc == new.toc else _with_toc(spliced, new.toc)


def region_of(page: str, markers: RegionMarkers, uri: str) -> str | None:
    """The region of the staged page `uri` in an HTML file, markers included."""
    found = _region(page, markers, uri)
    return page[found[0] : found[1]] if found else None


def _region(text: str, markers: RegionMarkers, uri: str) -> tuple[int, int] | None:
    starts = list(markers.pages().finditer(text))
    for number, start in enumerate(starts):
        if unquote(start[1]) == uri:  # its end before the next region (an excerpt has none)
            limit = starts[number + 1].start() if number + 1 < len(starts) else len(text)
            end = text.find(markers.page_end(), start.end(), limit)
            return None if end < 0 else (start.start(), end + len(markers.page_end()))
    return None


def _titles(toc: list[dict[str, Any]]) -> list[str]:
    """The level-1 headings of a page (Zensical's title, without a `title` in front matter)."""
    return [item["title"] for item in toc if item["level"] == 1]


def url_of(name: str) -> str:
    """The URL of an output file: `blog/alpha/index.html` -> `blog/alpha/`."""
    return name.removesuffix("index.html")


def _learnt_links(rendered: str, written: str) -> dict[str, str] | None:
    """Each link of the Python render -> what Zensical wrote for it, from a page and its
    output side by side (None when they do not pair up)."""
    ours, theirs = _URL_ATTR.findall(rendered), _URL_ATTR.findall(written)
    if len(ours) != len(theirs):
        return None
    links: dict[str, str] = {}
    for (_a, mine, _b), (_c, written_url, _d) in zip(ours, theirs, strict=True):
        if links.setdefault(mine, written_url) != written_url:
            return None
    return links


def _as_zensical(region: str, links: dict[str, str], uri: str, url: str, pages: dict[str, str]) -> str | None:
    """What Zensical's Rust part makes of a rendered region: links rewritten (as learnt, else
    as it places pages and files), `data-search-exclude` dropped from tags (not from text)."""
    unknown = False

    def link(match: re.Match[str]) -> str:
        nonlocal unknown
        target = links.get(match[2])
        if target is None:
            target = _placed(html.unescape(match[2]), uri, url, pages)
            unknown = unknown or target is None
            target = html.escape(target or "", quote=True)
        return match[1] + target + match[3]

    out = _TAG.sub(lambda tag: _SEARCH_EXCLUDE.sub("", tag[0]), _URL_ATTR.sub(link, region))
    return None if unknown else out


def _placed(link: str, uri: str, url: str, pages: dict[str, str]) -> str | None:
    """A link Zensical has not shown us yet, placed as it places them: a page by its URL, a
    file where it stays, relative to the page's URL; None for a page we do not know."""
    parts = urlsplit(link)
    if parts.scheme or parts.netloc or not parts.path or link.startswith("/"):
        return link
    target = posixpath.normpath(posixpath.join(posixpath.dirname(uri), unquote(parts.path)))
    if target.endswith(".md"):
        if target not in pages:
            return None
        target = pages[target]
    relative = posixpath.relpath(target or ".", url.rstrip("/") or ".")
    if target.endswith("/") or not target:
        relative = "./" if relative == "." else relative + "/"
    return (
        relative
        + (f"?{parts.query}" if parts.query else "")
        + (f"#{parts.fragment}" if parts.fragment else "")
    )


def _with_toc(page: str, toc: list[dict[str, Any]]) -> str:
    """Each secondary navigation (the table of contents, in the sidebar and in the navigation's
    entry of the page) made again from `toc`, as Zensical's `partials/toc.html` makes it."""
    out, position = [], 0
    while (start := page.find(_SECONDARY, position)) >= 0:
        depth, end = 0, -1
        for tag in _NAV_TAG.finditer(page, start):
            depth += 1 if tag[0] == "<nav" else -1
            if depth == 0:
                end = tag.end()
                break
        if end < 0:
            break
        opening = page[start : page.index(">", start) + 1]
        label = _ARIA_LABEL.search(opening)
        out += [page[position:start], _toc_nav(opening, label[1] if label else "", toc)]
        position = end
    return "".join(out) + page[position:]


def _toc_nav(opening: str, title: str, toc: list[dict[str, Any]]) -> str:
    if toc and toc[0]["level"] == 1:
        toc = toc[0]["children"]
    if not toc:
        return f"{opening}\n</nav>"
    return (
        f'{opening}\n<label class="md-nav__title" for="__toc">\n<span class="md-nav__icon md-icon"></span>\n'
        f'{title}\n</label>\n<ul class="md-nav__list" data-md-component="toc" data-md-scrollfix>\n'
        + "".join(map(_toc_item, toc))
        + "</ul>\n</nav>"
    )


def _toc_item(item: dict[str, Any]) -> str:
    children = ""
    if item["children"]:
        label = html.escape(re.sub(r"<[^>]*>", "", item["title"]), quote=True)
        children = (
            f'<nav class="md-nav" aria-label="{label}">\n<ul class="md-nav__list">\n'
            + "".join(map(_toc_item, item["children"]))
            + "</ul>\n</nav>\n"
        )
    return (
        f'<li class="md-nav__item">\n<a href="{html.escape(item["url"], quote=True)}" class="md-nav__link">\n'
        f'<span class="md-ellipsis">\n<span class="md-typeset">\n{item["content"]}\n</span>\n</span>\n</a>\n'
        f"{children}</li>\n"
    )


def _plain(value: Any) -> Any:
    """Front matter as JSON, as Zensical passes it to the render (dates as ISO strings)."""
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value

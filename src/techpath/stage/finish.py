"""The HTML phase of a staged page: what can only be done once a generator has rendered it.

Three things need the rendered HTML: the HTML policy (it judges what the page will really hold,
so it runs on Python-Markdown's output), the post's "Contents" block (the heading ids are the
generator's) and the API links (they go on names in highlighted code). The MkDocs plugin calls
`finish_content` on each page's content as MkDocs renders it; `techpath build` calls
`finish_page` on every HTML file ProperDocs or Zensical wrote. Same code, same result.

Staged Markdown marks what techpath generated itself (output panels, typeset math, the post
top and end, generated sections) with `keep` comments carrying a key made for this process, so
an author cannot forge them, and each page's content with `page` comments naming its path (a
generator's HTML file holds the theme too, and a blog index holds several posts' excerpts).
The policy cleans everything outside the kept parts; every marker is removed afterwards.
"""

from __future__ import annotations

import html
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

from techpath.parse.fences import find_fences
from techpath.site.post_top import TocItem, toc_html

TOC_MARKER = "<!-- techpath:toc -->"
# Where the theme's markup follows a post's excerpt on a blog index (Material's templates, which
# all three generators use): its "Continue reading" link, or the end of the excerpt's article.
EXCERPT_ENDS = ('<nav class="md-post__action"', "</article>")
_HEADING = re.compile(r'<h([23])\b[^>]*\bid="([^"]+)"[^>]*>(.*?)</h\1>', re.S)
_TAG = re.compile(r"<[^>]+>")
_HEADERLINK = re.compile(r'<a class="headerlink"[^>]*>.*?</a>', re.S)


@dataclass(frozen=True)
class RegionMarkers:
    """The comments staged Markdown carries, keyed for one process."""

    key: str

    @classmethod
    def new(cls) -> RegionMarkers:
        return cls(secrets.token_hex(8))

    def keep(self, fragment: str, block: bool = True) -> str:
        """`fragment` marked as techpath's own (the policy leaves it alone)."""
        if not fragment:
            return fragment
        opening, closing = f"<!-- techpath:keep {self.key} -->", f"<!-- /techpath:keep {self.key} -->"
        if block:  # raw HTML blocks of their own, so Markdown keeps the comments as they are
            return f"\n\n{opening}\n\n{fragment}\n\n{closing}\n\n"
        return opening + fragment + closing

    def top(self, fragment: str) -> str:
        """The post top (place, date, downloads, header): a blog index's excerpt leaves it out,
        since the theme shows its own date and read time there and the links are the post's."""
        return f"<!-- techpath:top {self.key} -->\n{fragment}\n<!-- /techpath:top {self.key} -->"

    def without_top(self, text: str) -> str:
        k = re.escape(self.key)
        return re.sub(
            rf"(?:<p>)?<!-- techpath:top {k} -->.*?<!-- /techpath:top {k} -->(?:</p>)?\n?",
            "",
            text,
            flags=re.S,
        )

    def placeholder(self, number: int) -> str:
        """A placeholder for part `number` of what a page's result decides (stage/stager.py,
        `resolve`): Markdown passes an HTML comment through as it is."""
        return f"<!-- techpath:lazy {self.key} {number} -->"

    def placeholders(self) -> re.Pattern[str]:
        return re.compile(rf"<!-- techpath:lazy {re.escape(self.key)} (\d+) -->")

    def page(self, uri: str, body: str) -> str:
        # the path percent-encoded: a file name may hold spaces (`odd name (1).md`) or `--`
        marker = f"<!-- techpath:page {self.key} {quote(uri)} -->"
        return f"{marker}\n\n{body}\n\n<!-- /techpath:page {self.key} -->\n"

    def kept(self) -> re.Pattern[str]:
        k = re.escape(self.key)
        return re.compile(
            rf"(?:<p>)?<!-- techpath:keep {k} -->(?:</p>)?(.*?)(?:<p>)?<!-- /techpath:keep {k} -->(?:</p>)?",
            re.S,
        )

    def pages(self) -> re.Pattern[str]:
        k = re.escape(self.key)
        return re.compile(rf"<!-- techpath:page {k} (\S+) -->")

    def page_end(self) -> str:
        return f"<!-- /techpath:page {self.key} -->"

    def kept_markdown(self) -> re.Pattern[str]:
        """A kept fragment as `keep` wrote it into staged Markdown."""
        k = re.escape(self.key)
        return re.compile(rf"<!-- techpath:keep {k} -->.*?<!-- /techpath:keep {k} -->", re.S)

    def strip(self, text: str) -> str:
        k = re.escape(self.key)
        return re.sub(rf"(?:<p>)?<!-- /?techpath:(?:keep|page|top) {k}(?: \S+)? -->(?:</p>)?\n?", "", text)


def toc_items(content: str) -> list[TocItem]:
    """The h2 sections of rendered content, each with its h3s, under one root item (the page,
    as MkDocs' page.toc has its h1), so `toc_html` lists them even when there is one."""
    return [TocItem("", "", _sections(content))]


def _sections(content: str) -> list[TocItem]:
    items: list[TocItem] = []
    for level, anchor, inner in _HEADING.findall(content):
        title = html.escape(html.unescape(_TAG.sub("", _HEADERLINK.sub("", inner))).strip(), quote=False)
        if level == "2" or not items:
            items.append(TocItem(title, anchor))
        else:
            items[-1].children.append(TocItem(title, anchor))
    return items


Clean = Callable[[str], str]  # the policy: prose HTML in, cleaned HTML out (reports what it removed)


def finish_content(content: str, markers: RegionMarkers, clean: Clean, links: Callable[[str], str]) -> str:
    """A page's rendered content: prose cleaned, techpath's own parts kept, contents block
    filled in, API links added, markers removed."""
    kept: list[str] = []

    def hold(match: re.Match[str]) -> str:
        kept.append(_unwrapped(match[1]))
        return f"techpathkept{markers.key}n{len(kept) - 1}e"

    held = markers.kept().sub(hold, content)
    cleaned = clean(held)
    restored = re.sub(rf"techpathkept{re.escape(markers.key)}n(\d+)e", lambda m: kept[int(m[1])], cleaned)
    if TOC_MARKER in restored:
        restored = restored.replace(TOC_MARKER, toc_html(toc_items(restored)), 1)
    return markers.strip(links(restored))


_WRAPPED_BLOCK = re.compile(r"\A(\s*)<p>(<(?:div|pre|figure|table)\b.*)</p>(\s*)\Z", re.S)


def _unwrapped(fragment: str) -> str:
    """A kept block inside a list or a box (indented) is read by Markdown as a paragraph's
    inline HTML: the <p> it put around our block goes."""
    found = _WRAPPED_BLOCK.match(fragment)
    return f"{found[1]}{found[2]}{found[3]}" if found else fragment


def finish_page(
    page_html: str, markers: RegionMarkers, finish: Callable[[str, str], str]
) -> tuple[str, list[str]]:
    """Every page region of a generator's HTML file finished by `finish(uri, content)`; the
    paths of the regions found. A region without its end marker (a blog index shows a post's
    excerpt) ends where the next region or the article starts or ends."""
    starts = list(markers.pages().finditer(page_html))
    if not starts:
        return markers.strip(page_html), []
    out, position, uris = [], 0, []
    for number, start in enumerate(starts):
        limit = starts[number + 1].start() if number + 1 < len(starts) else len(page_html)
        end_at = page_html.find(markers.page_end(), start.end(), limit)
        excerpt = end_at < 0
        if excerpt:  # it ends where the theme's own markup starts again
            ends = [page_html.find(b, start.end(), limit) for b in EXCERPT_ENDS]
            end_at = min([e for e in ends if e >= 0], default=limit)
        region = page_html[start.end() : end_at]
        if excerpt:
            region = markers.without_top(region)
        out.append(page_html[position : start.start()])
        uri = unquote(start[1])
        out.append(finish(uri, region))
        uris.append(uri)
        position = end_at
    out.append(page_html[position:])
    return markers.strip("".join(out)), uris


def excerpt_separator(config: Any) -> str | None:
    """The blog's excerpt separator in a MkDocs or ProperDocs configuration, unless the site's
    theme overrides the excerpt template (which might show all of `post.more`, the rest of the
    post)."""
    custom = config.theme.custom_dir
    if custom and (Path(custom) / "partials" / "post.html").exists():
        return None
    for plugin in config.plugins.values():
        separator = getattr(getattr(plugin, "config", None), "post_excerpt_separator", None)
        if isinstance(separator, str) and separator:
            return separator
    return None


def excerpt_source(markdown: str, separator: str, markers: RegionMarkers) -> str:
    """What a blog view needs of a post's staged Markdown to render its excerpt. Material's blog
    converts the whole post again for every view listing it (index, archive, categories) and
    keeps only what comes before `separator`; of the rest its templates only ask whether there
    is any (the "Continue reading" link). So after the separator techpath's own fragments
    (output panels, typeset math, the post's end) and closed code fences are dropped: they
    cannot change anything before it, unlike the prose left in place (link references,
    footnotes, abbreviations). A placeholder keeps the rest non-empty."""
    head, found, rest = markdown.partition(separator)
    if not found:
        return markdown
    rest = markers.kept_markdown().sub("", rest)
    lines = rest.split("\n")
    drop: set[int] = set()
    for fence in find_fences(rest):
        if fence.end > fence.start and re.match(rf"^[ \t]*{re.escape(fence.marker)}", lines[fence.end]):
            drop.update(range(fence.start, fence.end + 1))
    rest = "\n".join(line for number, line in enumerate(lines) if number not in drop)
    return f"{head}{found}{rest}\n\n<!-- techpath:excerpt-rest -->\n"

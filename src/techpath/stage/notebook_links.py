"""Notebooks where users put them: a notebook `x.ipynb` becomes the page `x.md`, so `nav`
entries and links that name `x.ipynb` are pointed at that page, for every generator."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable
from typing import Any

from techpath.parse.fences import find_fences

# [text](target.ipynb#part "title") and reference definitions [id]: target.ipynb
_INLINE = re.compile(r"(\]\(\s*<?)([^)\s>]+?\.ipynb)((?:#[^)\s>]*)?>?(?:\s+[\"'][^\"']*[\"'])?\s*\))")
_REFERENCE = re.compile(r"^(\s*\[[^\]]+\]:\s*<?)(\S+?\.ipynb)((?:#\S*)?>?)", re.M)


def page_uri(notebook_uri: str) -> str:
    return notebook_uri.removesuffix(".ipynb") + ".md"


def nav_to_pages(nav: Any, notebooks: Iterable[str]) -> Any:
    """`nav` (as in mkdocs.yml) with every entry naming one of `notebooks` (docs-relative
    paths) pointed at the page it became."""
    known = set(notebooks)
    if isinstance(nav, str):
        return page_uri(nav) if nav in known else nav
    if isinstance(nav, list):
        return [nav_to_pages(entry, known) for entry in nav]
    if isinstance(nav, dict):
        return {key: nav_to_pages(value, known) for key, value in nav.items()}
    return nav


def link_to_pages(markdown: str, uri: str, notebooks: Iterable[str]) -> str:
    """`markdown` (of the page at docs path `uri`) with links to `notebooks` pointed at their
    pages; code blocks are left alone."""
    known = set(notebooks)
    if not known or ".ipynb" not in markdown:
        return markdown
    folder = posixpath.dirname(uri)

    def point(match: re.Match[str]) -> str:
        target = match[2]
        if "://" in target or target.startswith(("/", "mailto:")):
            return match[0]
        resolved = posixpath.normpath(posixpath.join(folder, target))
        return match[1] + page_uri(target) + match[3] if resolved in known else match[0]

    lines = markdown.split("\n")
    code = {i for f in find_fences(markdown) for i in range(f.start, f.end + 1)}
    pieces, start = [], 0
    for i in [*sorted(code), len(lines)]:  # rewrite the prose between code blocks
        if i > start:
            prose = "\n".join(lines[start:i])
            pieces.append((start, _REFERENCE.sub(point, _INLINE.sub(point, prose))))
        start = i + 1
    out = list(lines)
    for first, prose in pieces:
        chunk = prose.split("\n")
        out[first : first + len(chunk)] = chunk
    return "\n".join(out)


# What MkDocs says about a page's links: "Doc file 'a.md' contains a link 'b.md#x', but the doc
# 'b.md' does not contain an anchor '#x'." (mkdocs.structure.pages, 1.5 and 1.6)
_DOC_FILE = re.compile(r"^Doc file '([^']+)'")
_LINK = re.compile(r"( link(?: to)? ')([^'#]+)((?:#[^']*)?')")
_TARGET_DOC = re.compile(r"(the doc ')([^']+)(')")


def notebook_names(message: str, notebooks: Iterable[str]) -> str:
    """MkDocs' message about a page's links with each notebook named as the user wrote it:
    the page `x.md` a notebook became is `x.ipynb` in the message, as are links to such pages
    (techpath pointed `x.ipynb` links at `x.md`), so the message names files that exist."""
    known = set(notebooks)
    page = _DOC_FILE.match(message)
    if not known or page is None:
        return message
    by_page = {page_uri(n): n for n in known}
    folder = posixpath.dirname(page[1])

    def link(match: re.Match[str]) -> str:
        resolved = posixpath.normpath(posixpath.join(folder, match[2]))
        target = match[2].removesuffix(".md") + ".ipynb" if resolved in by_page else match[2]
        return match[1] + target + match[3]

    message = _LINK.sub(link, message, count=1)
    message = _TARGET_DOC.sub(lambda m: m[1] + by_page.get(m[2], m[2]) + m[3], message, count=1)
    return f"Doc file '{by_page.get(page[1], page[1])}'" + message[page.end() :]

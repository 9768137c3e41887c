"""Notebooks where users put them: a notebook `x.ipynb` becomes the page `x.md`, so `nav`
entries and links that name `x.ipynb` are pointed at that page, for every generator."""

from __future__ import annotations

import html
import logging
import posixpath
import re
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import unquote

from techpath.parse.fences import find_fences, in_prose

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

    return in_prose(markdown, lambda prose: _REFERENCE.sub(point, _INLINE.sub(point, prose)))


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


class NotebookNames(logging.Filter):
    """On the logger where MkDocs (or ProperDocs) reports a page's links ("Doc file 'x.md'
    contains a link ..."): each message names a notebook as the user wrote it, `x.ipynb`; the
    page `x.md` it became is not a file of theirs."""

    def __init__(self, notebooks: Iterable[str] = ()) -> None:
        super().__init__()
        self.notebooks: frozenset[str] = frozenset(notebooks)

    def filter(self, record: logging.LogRecord) -> bool:
        if self.notebooks and isinstance(record.msg, str) and record.msg.startswith("Doc file '"):
            record.msg, record.args = notebook_names(record.getMessage(), self.notebooks), ()
        return True


# Any link's target and fragment: [text](target#part "title"), [id]: target#part
_FRAGMENT_INLINE = re.compile(r"(\]\(\s*<?)([^)\s>#]*)#([^)\s>]+)(>?(?:\s+[\"'][^\"']*[\"'])?\s*\))")
_FRAGMENT_REFERENCE = re.compile(r"^(\s*\[[^\]]+\]:\s*<?)([^\s>#]*)#(\S+?)(>?(?:\s|$))", re.M)
_ATX = re.compile(r"^ {0,3}#{1,6}(?:[ \t].*)?$")
_FRONT = re.compile(r"\A---[ \t]*\n.*?^(?:---|\.\.\.)[ \t]*$", re.M | re.S)
_TAG = re.compile(r"<[^>]*>")


class HeadingAnchors:
    """The anchors a page's headings get on the site (the toc extension with the site's own
    settings: `slugify`, `separator`, and `attr_list`'s `{#id}` when the site uses it), and the
    anchor Jupyter gives each heading: its text with every space a '-', case and punctuation
    kept (`#Data-Representation-in-Scikit-Learn`)."""

    def __init__(self, toc: dict[str, Any] | None, attr_list: bool) -> None:
        settings = toc or {}
        # a slugify mkdocs.yml names but techpath could not load (`!!python/object/apply:`
        # outside MkDocs): the site's anchors are unknown, so no fragment is rewritten
        self.usable = "slugify" not in settings or settings["slugify"] is not None
        self.settings = {k: settings[k] for k in ("slugify", "separator") if settings.get(k) is not None}
        self.extensions = ["toc", "attr_list"] if attr_list else ["toc"]
        self._pages: dict[str, tuple[str, frozenset[str], dict[str, str]]] = {}

    def of(self, uri: str, markdown: str) -> tuple[frozenset[str], dict[str, str]]:
        """The site's anchors of the page and Jupyter's anchor -> the site's, for its headings."""
        known = self._pages.get(uri)
        if known is None or known[0] != markdown:
            known = (markdown, *self._headings(markdown))
            self._pages[uri] = known
        return known[1], known[2]

    def _headings(self, markdown: str) -> tuple[frozenset[str], dict[str, str]]:
        import markdown as python_markdown

        text = _FRONT.sub("", markdown, count=1)
        lines = text.split("\n")
        code = {i for f in find_fences(text) for i in range(f.start, f.end + 1)}
        headings = [line for i, line in enumerate(lines) if i not in code and _ATX.match(line)]
        converter = python_markdown.Markdown(
            extensions=self.extensions, extension_configs={"toc": self.settings}
        )
        converter.convert("\n\n".join(headings))
        ids: set[str] = set()
        jupyter: dict[str, str] = {}
        tokens = list(getattr(converter, "toc_tokens", []))
        while tokens:
            token = tokens.pop(0)
            ids.add(token["id"])
            shown = html.unescape(_TAG.sub("", token.get("html") or token["name"])).strip()
            jupyter.setdefault(shown.replace(" ", "-"), token["id"])  # Jupyter: the first wins
            tokens[:0] = token.get("children", [])
        return frozenset(ids), jupyter


def jupyter_fragments(
    markdown: str, uri: str, pages: Callable[[str], str | None], anchors: HeadingAnchors
) -> str:
    """A notebook page's `markdown` (at docs path `uri`, its links already pointed at pages)
    with each link to a heading written Jupyter's way (`#Some-Heading`, in the page or another
    one) pointed at the anchor the site gives that heading, when the fragment is no anchor of
    the target page. `pages`: a docs path -> its staged Markdown (None: not a page of ours).
    Other fragments are left as written (MkDocs reports the ones that reach nothing)."""
    if "#" not in markdown:
        return markdown
    folder = posixpath.dirname(uri)

    def point(match: re.Match[str]) -> str:
        target, fragment = match[2], match[3]
        if "://" in target or target.startswith(("/", "mailto:")):
            return match[0]
        page = posixpath.normpath(posixpath.join(folder, target)) if target else uri
        text = pages(page)
        if text is None:
            return match[0]
        ids, jupyter = anchors.of(page, text)
        name = unquote(fragment)
        html_anchor = rf"""\b(?:id|name)=["']?{re.escape(name)}["'\s>]"""
        if fragment in ids or name in ids or re.search(html_anchor, text):
            return match[0]  # the page has that anchor: as written
        found = jupyter.get(name)
        return match[0] if found is None else f"{match[1]}{target}#{found}{match[4]}"

    def rewrite(prose: str) -> str:
        return _FRAGMENT_REFERENCE.sub(point, _FRAGMENT_INLINE.sub(point, prose))

    return in_prose(markdown, rewrite)

"""Front matter is text. The theme prints page titles and descriptions into HTML unescaped
(`{{ page.meta.title }}` in <title>, headings, blog lists, footer links, <meta content>), so the
plugin escapes them in the page's metadata after the feed has read the raw values (the feed
plugin escapes for XML itself) and before any template is rendered."""

from __future__ import annotations

import html
import re
from typing import Any

TEXT_FIELDS = ("title", "description", "subtitle")
# Tags end up in URLs, listings and the feed; they are words, so HTML characters are refused.
HTML_SIGNIFICANT = set("<>&\"'`")


def escape_meta(meta: dict[str, Any]) -> None:
    """Escape the displayed text fields of `meta` in place (once: marked as done)."""
    if meta.get("_techpath_escaped"):
        return
    for name in TEXT_FIELDS:
        if isinstance(meta.get(name), str):
            meta[name] = html.escape(meta[name], quote=True)
    meta["_techpath_escaped"] = True


def word_problem(value: str) -> str | None:
    """Why a tag or concept name is not a plain word (None when it is)."""
    found = sorted(HTML_SIGNIFICANT & set(value))
    if found:
        return f"{value!r} contains {' '.join(found)}; tags are plain words"
    return None


# Bidi embeddings, overrides and isolates (not the marks U+200E/U+200F, which right-to-left
# writing needs): they show text in another order than its source has it, so a reviewer reads
# one thing and the page or an editor another ("Trojan Source"). Markup says the same openly:
# <bdi>, <bdo dir>, dir="rtl".
BIDI_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_BIDI = re.compile(f"[{BIDI_CONTROLS}]")


def bidi_problem(text: str) -> str | None:
    """Why `text` may not stand as written: it holds a bidi control (None when it does not)."""
    found = _BIDI.search(text)
    if found is None:
        return None
    return (
        f"U+{ord(found.group(0)):04X} (a bidi control character) would show this text in another "
        'order than its source; use <bdi> or dir="rtl" for right-to-left text'
    )


def without_bidi(text: str) -> str:
    return _BIDI.sub("", text)


def visible_bidi(text: str) -> str:
    """Computed text (an inline value, an output) with each bidi control written as its escape
    (`\\u202e`): shown, never obeyed."""
    return _BIDI.sub(lambda m: f"\\u{ord(m.group(0)):04x}", text)


# Line ends other than \n: Python ends a line at a bare \r, str.splitlines and editors at the
# others, a browser shows none of them in an attribute. A notebook's JSON keeps "\r" invisible
# in a review's diff, and a download would read the rest of the line as code.
ODD_LINE_BREAKS = "\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
_ODD_BREAK = re.compile(f"[{ODD_LINE_BREAKS}]")


def line_break_problem(text: str) -> str | None:
    """Why `text` (one line, as split on \\n) may not stand: it holds another line break."""
    found = _ODD_BREAK.search(text.removesuffix("\r"))
    if found is None:
        return None
    return (
        f"U+{ord(found.group(0)):04X} is a line break only some tools see (Python ends a line at a "
        "bare carriage return); end lines with \\n only"
    )

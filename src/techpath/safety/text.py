"""Front matter is text. The theme prints page titles and descriptions into HTML unescaped
(`{{ page.meta.title }}` in <title>, headings, blog lists, footer links, <meta content>), so the
plugin escapes them in the page's metadata after the feed has read the raw values (the feed
plugin escapes for XML itself) and before any template is rendered."""

from __future__ import annotations

import html
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

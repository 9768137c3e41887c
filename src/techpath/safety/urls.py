"""URL schemes: what a link, an image or a reference may point at.

Values arrive already entity-decoded (html.parser and ElementTree decode attributes), so
`jav&#x61;script:` is seen as `javascript:`. Browsers also ignore tabs and newlines anywhere in
a URL and control characters or spaces before it; those are removed before the scheme is read.
"""

from __future__ import annotations

import re

_SCHEME = re.compile(r"^([a-z][a-z0-9+.\-]*):")
_IGNORED_INSIDE = re.compile(r"[\t\n\r]")
LINK_SCHEMES = frozenset({"http", "https", "mailto"})
# Raster images only: an SVG data URL is a document of its own, and none is needed in a post.
DATA_IMAGE = re.compile(r"^data:image/(png|jpeg|gif|webp)[;,]")


def normalised(url: str) -> str:
    """The URL the way a browser reads it when looking for its scheme."""
    return _IGNORED_INSIDE.sub("", url).lstrip("".join(chr(c) for c in range(33))).lower()


def scheme(url: str) -> str | None:
    """`javascript` for `JavaScript:alert(1)`; None for a relative URL or a fragment."""
    match = _SCHEME.match(normalised(url))
    return match.group(1) if match else None


def is_local(url: str) -> bool:
    """A path or fragment inside the site: no scheme and no other host (`//host/x`)."""
    clean = normalised(url)
    return scheme(url) is None and not clean.startswith(("//", "\\\\", "/\\", "\\/"))


def link_problem(url: str) -> str | None:
    """Why `url` may not be a link target (`<a href>`), or None when it may."""
    found = scheme(url)
    if found is None or found in LINK_SCHEMES:
        return None
    return f"{found}: URLs are not allowed in links (use http, https, mailto or a relative link)"


def image_problem(url: str) -> str | None:
    """Why `url` may not be an image source: images are files of the site (or small data URLs)."""
    clean = normalised(url)
    if DATA_IMAGE.match(clean):
        return None
    found = scheme(url)
    if found == "data":
        return "data: URLs are allowed for PNG, JPEG, GIF or WebP images only"
    if found is not None or not is_local(url):
        return (
            f"image {url[:60]!r} is loaded from another host; put the file in the repository "
            "next to the post and link it relatively (the site makes no requests to other hosts)"
        )
    return None

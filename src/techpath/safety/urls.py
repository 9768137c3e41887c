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


_IGNORED_BEFORE = "".join(chr(c) for c in range(33))  # control characters and the space


def normalised(url: str) -> str:
    """The URL the way a browser reads it when looking for its scheme."""
    return _IGNORED_INSIDE.sub("", url).lstrip(_IGNORED_BEFORE).lower()


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


def image_problem(url: str, remote: tuple[str, ...] = ()) -> str | None:
    """Why `url` may not be an image source: images are files of the site, small raster data
    URLs, or (when the site lists them) images from hosts `remote` allows: CSP img-src sources
    (`https://img.shields.io`, `*.githubusercontent.com`), so the HTML policy lets through exactly
    the images the page's Content-Security-Policy will load."""
    clean = normalised(url)
    if DATA_IMAGE.match(clean):
        return None
    found = scheme(url)
    if found == "data":
        return "data: URLs are allowed for PNG, JPEG, GIF or WebP images only"
    if found is None and is_local(url):
        return None
    if any(source_allows(source, url) for source in remote):
        return None
    where = f"{found}://{host(url)}" if found in ("http", "https") else repr(url[:60])
    return (
        f"image {url[:60]!r} is loaded from another host ({where}); put the file in the repository "
        "and link it relatively, or list the host under image_hosts in the techpath plugin's options"
    )


_AUTHORITY = re.compile(r"^[a-z][a-z0-9+.\-]*://([^/?#\\]*)")  # a browser ends it at \ too


def host(url: str) -> str:
    """The host (and port) of an absolute URL, lowercase, without user information."""
    found = _AUTHORITY.match(normalised(url))
    return found.group(1).rsplit("@", 1)[-1] if found else ""


def source_allows(source: str, url: str) -> bool:
    """Whether the CSP source expression `source` (a host source such as `https://img.shields.io`,
    `img.shields.io`, `*.example.org`, `https://example.org/badges/`, or a scheme source such as
    `https:`) matches the absolute URL `url`, as CSP Level 3 matches them for an https page
    (keywords such as 'self' and data: are not remote sources and match nothing here)."""
    source = source.strip().lower()
    found = scheme(url)
    if found not in ("http", "https") or not source or source.startswith("'"):
        return False
    if source.endswith(":") and "/" not in source:  # a scheme source
        return source == "https:" and found == "https"
    wanted_scheme, _, rest = source.rpartition("://")
    if wanted_scheme and wanted_scheme != found:
        return False
    if not wanted_scheme and found != "https":  # an https page upgrades nothing: http is mixed content
        return False
    authority, slash, path = rest.partition("/")
    name, _, port = authority.partition(":")
    at = host(url)
    at_name, _, at_port = at.partition(":")
    if port not in ("", "*") and port != at_port:
        return False
    if port == "" and at_port not in ("", "443" if found == "https" else "80"):
        return False
    if name.startswith("*."):
        if not at_name.endswith(name[1:]):
            return False
    elif name != at_name:
        return False
    if not slash or not path:
        return True
    url_path = "/" + normalised(url).split(at, 1)[1].lstrip("/").split("?")[0].split("#")[0]
    wanted = "/" + path
    return url_path.startswith(wanted) if wanted.endswith("/") else url_path == wanted

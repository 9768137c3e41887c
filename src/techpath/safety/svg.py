"""SVG figures cleaned before they are written to the site or into a download.

An SVG opened on its own is a document that can run script, so every figure is rebuilt from an
allowlist of elements and attributes: no script, foreignObject, animation (it can rewrite a
link), event handlers, or links other than http(s) and relative; `<use>` may only point inside
the file; `<image>` only at embedded PNG/JPEG; CSS may not load anything. A file with a DTD that
declares entities is refused outright (entity expansion is how XML parsers are attacked).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import uuid
import xml.etree.ElementTree as ET
from pathlib import Path

from techpath.fingerprint import engine_source_hash  # the cleaner's code is in a memo's key
from techpath.safety import css, urls

SVG = "http://www.w3.org/2000/svg"
XLINK = "http://www.w3.org/1999/xlink"
ELEMENTS = frozenset(
    {"svg", "g", "defs", "path", "rect", "circle", "ellipse", "line", "polyline", "polygon", "text",
     "tspan", "title", "desc", "style", "use", "clipPath", "mask", "pattern", "marker", "symbol",
     "linearGradient", "radialGradient", "stop", "image", "a"}
)  # fmt: skip
_HREFS = {"href", f"{{{XLINK}}}href"}


class UnsafeSvg(ValueError):
    """The file is not an SVG this module can read safely."""


def kept_clean_svg(data: bytes, memo: Path | None) -> bytes:
    """`clean_svg(data)`, kept in the folder `memo` (beside the result cache) under the hash of
    the figure and of techpath's code: the next build copies it instead of cleaning it again
    (the site's figure and the download notebook's; our 46 figures, twice, were about a tenth
    of a warm build). A figure that fails to clean is never kept."""
    if memo is None:
        return clean_svg(data)
    key = hashlib.sha256(f"clean-svg\0{engine_source_hash()}\0".encode() + data).hexdigest()
    kept = memo / f"{key}.svg"
    try:
        cleaned = kept.read_bytes()
        with contextlib.suppress(OSError):  # used by this build (see evict_unused)
            os.utime(kept)
        return cleaned
    except OSError:
        pass
    cleaned = clean_svg(data)
    with contextlib.suppress(OSError):  # a read-only cache folder: clean again next time
        memo.mkdir(parents=True, exist_ok=True)
        partial = memo / f".{key}.{uuid.uuid4().hex}"  # others see the whole file or none
        partial.write_bytes(cleaned)
        os.replace(partial, kept)
    return cleaned


def evict_unused(memo: Path, unused_since: float) -> int:
    """Remove cleaned figures no build has used since `unused_since` (a time.time())."""
    removed = 0
    for kept in memo.glob("*.svg") if memo.is_dir() else []:
        try:
            if kept.stat().st_mtime < unused_since:
                kept.unlink()
                removed += 1
        except OSError:
            continue
    return removed


def clean_svg(data: bytes) -> bytes:
    """The figure with everything active removed (see the module docstring)."""
    head = data[:4096].lower()
    if b"<!entity" in head or b"<!entity" in data.lower():
        raise UnsafeSvg("the SVG declares XML entities")
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise UnsafeSvg(f"not a readable SVG: {exc}") from exc
    if _local(root.tag) != "svg" or _namespace(root.tag) not in ("", SVG):
        raise UnsafeSvg("the file's root element is not <svg>")
    _clean(root)
    ET.register_namespace("", SVG)
    ET.register_namespace("xlink", XLINK)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(
        root, encoding="utf-8", xml_declaration=False
    )


def _clean(element: ET.Element) -> None:
    for child in list(element):
        if not isinstance(child.tag, str) or _namespace(child.tag) not in ("", SVG):
            element.remove(child)  # metadata in other namespaces (RDF, Dublin Core), comments
            continue
        if _local(child.tag) not in ELEMENTS:
            element.remove(child)
            continue
        _clean(child)
    tag = _local(element.tag)
    for name, value in list(element.attrib.items()):
        if not _attribute_ok(tag, name, value):
            del element.attrib[name]
        elif name == "style":
            element.attrib[name] = _clean_style(value)
    if tag == "style":
        element.text = css.scope_stylesheet(element.text or "", ":root", lambda n: n, allow_local_refs=True)
        for child in list(element):
            element.remove(child)


@functools.lru_cache(maxsize=4096)
def _clean_style(value: str) -> str:
    """A style attribute with its unsafe declarations removed; a figure repeats the same few
    styles on hundreds of elements (about a third of the cleaning time, each parsed again)."""
    return css.clean_declarations(value, allow_local_refs=True)[0]


def _attribute_ok(tag: str, name: str, value: str) -> bool:
    local = _local(name)
    if local.lower().startswith("on"):
        return False
    if _namespace(name) not in ("", XLINK, "http://www.w3.org/XML/1998/namespace"):
        return False
    if name in _HREFS:
        if tag == "use":
            return value.startswith("#")
        if tag == "image":
            return bool(urls.DATA_IMAGE.match(urls.normalised(value)))
        if tag == "a":
            return urls.link_problem(value) is None and urls.scheme(value) != "mailto"
        return value.startswith("#")
    if ":" not in value and "(" not in value:  # no scheme and no url(): most values (path data)
        return True
    text = urls.normalised(value)
    if "url(" in text:
        return css.declaration_problem(local, value, allow_local_refs=True) is None
    return "javascript:" not in text and "vbscript:" not in text


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _namespace(tag: str) -> str:
    return tag[1:].split("}", 1)[0] if tag.startswith("{") else ""

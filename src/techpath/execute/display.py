"""Turn Python objects into MIME bundles the way Jupyter shows them."""

from __future__ import annotations

import base64
import json
import pprint
from typing import Any

_CONTAINERS = (dict, list, tuple, set, frozenset)
# IPython's formatters, in its order: the method each MIME type comes from
_REPR_METHODS = (
    ("text/html", "_repr_html_"),
    ("text/markdown", "_repr_markdown_"),
    ("image/svg+xml", "_repr_svg_"),
    ("image/png", "_repr_png_"),
    ("image/jpeg", "_repr_jpeg_"),
    ("text/latex", "_repr_latex_"),
    ("application/json", "_repr_json_"),
    ("application/javascript", "_repr_javascript_"),
)


def pretty_text(obj: Any) -> str:
    """Plain-text form: repr, with long built-in containers wrapped like IPython's printer."""
    if type(obj) in _CONTAINERS:
        return pprint.pformat(obj, width=88, sort_dicts=False)
    return repr(obj)


def mime_bundle(obj: Any) -> dict[str, str]:
    """text/plain always; every rich form the object offers (`_repr_mimebundle_` first, then
    the `_repr_*_` methods IPython calls), each as text: images base64, JSON serialized."""
    bundle: dict[str, str] = {}
    if not isinstance(obj, type):  # a class's _repr_html_ is an unbound method, not a repr
        rich = _call(obj, "_repr_mimebundle_")
        if isinstance(rich, tuple):
            rich = rich[0]
        if isinstance(rich, dict):
            for mime, value in rich.items():
                text = as_text(mime, value)
                if isinstance(mime, str) and text is not None:
                    bundle[mime] = text
        for mime, method in _REPR_METHODS:
            if mime in bundle:
                continue
            value = _call(obj, method)
            if isinstance(value, tuple):  # (data, metadata)
                value = value[0] if value else None
            text = as_text(mime, value)
            if text is not None:
                bundle[mime] = text
    if "text/plain" not in bundle:
        bundle["text/plain"] = pretty_text(obj)
    return bundle


def bundle_from_data(data: Any) -> dict[str, str]:
    """A raw bundle (`publish_display_data`, `display(..., raw=True)`) as text entries."""
    if not isinstance(data, dict):
        return {"text/plain": pretty_text(data)}
    return {m: t for m, v in data.items() if isinstance(m, str) and (t := as_text(m, v)) is not None}


def as_text(mime: str, value: Any) -> str | None:
    """A bundle entry as text: str as is, bytes of an image base64-encoded, JSON serialized."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bytes | bytearray):
        if mime.startswith("image/") and not mime.startswith("image/svg"):
            return base64.b64encode(bytes(value)).decode("ascii")
        return bytes(value).decode("utf-8", "replace")
    if mime.endswith("json") or mime.endswith("+json"):
        try:
            return json.dumps(value, default=str)
        except (TypeError, ValueError):
            return None
    return None


def _call(obj: Any, method: str) -> Any:
    function = getattr(obj, method, None)
    if not callable(function):
        return None
    try:
        return function()
    except Exception:  # a broken rich repr must not fail the block; text/plain still shows
        return None

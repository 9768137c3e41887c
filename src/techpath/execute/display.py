"""Turn Python objects into MIME bundles the way Jupyter shows them."""

from __future__ import annotations

import base64
import collections
import functools
import json
import pprint
import re
import types
from collections.abc import Callable
from typing import Any

_CONTAINERS = (dict, list, tuple, set, frozenset)
# What IPython's pretty printer shows otherwise than `repr` (its own printers, by type)
_IPYTHON_PRINTED = (
    *_CONTAINERS, collections.deque, type, types.FunctionType, types.BuiltinFunctionType,
    types.MethodType, BaseException, re.Pattern, super,
)  # fmt: skip
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
    """Plain-text form as Jupyter shows it: IPython's pretty printer (`IPython.lib.pretty`, 79
    columns) for what it prints differently from `repr` (classes as `int`, functions as
    `<function __main__.f(x)>`, objects without a repr of their own, sets sorted, nested
    containers indented by level); `repr` for the rest, so a page that shows a DataFrame or an
    array never imports IPython. Without IPython: `repr`, long built-in containers wrapped."""
    if _repr_is_ipythons(obj):
        return repr(obj)
    printer = _ipython_printer()
    if printer is not None:
        try:
            return str(printer(obj, max_width=79))
        except Exception:  # a broken _repr_pretty_: IPython shows the error; repr is kinder
            pass
    if type(obj) in _CONTAINERS:
        return pprint.pformat(obj, width=88, sort_dicts=False)
    return repr(obj)


def _repr_is_ipythons(obj: Any) -> bool:
    """True when IPython's printer would call `repr`: the object's class (or the first class in
    its MRO that says) defines `__repr__`, not `_repr_pretty_`, and IPython has no printer of
    its own for it (containers, classes, functions, exceptions, patterns)."""
    if isinstance(obj, _IPYTHON_PRINTED):
        return False
    for klass in type(obj).__mro__:
        if "_repr_pretty_" in vars(klass):
            return False
        if "__repr__" in vars(klass):
            return klass is not object
    return False


@functools.cache
def _ipython_printer() -> Callable[..., str] | None:
    try:
        from IPython.lib.pretty import pretty
    except ImportError:
        return None
    return pretty


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

"""Turn Python objects into MIME bundles the way Jupyter shows them."""

from __future__ import annotations

import pprint
from typing import Any

_CONTAINERS = (dict, list, tuple, set, frozenset)


def pretty_text(obj: Any) -> str:
    """Plain-text form: repr, with long built-in containers wrapped like IPython's printer."""
    if type(obj) in _CONTAINERS:
        return pprint.pformat(obj, width=88, sort_dicts=False)
    return repr(obj)


def mime_bundle(obj: Any) -> dict[str, str]:
    """text/plain always; text/html when the object offers a rich HTML representation."""
    bundle: dict[str, str] = {}
    if not isinstance(obj, type):  # a class's _repr_html_ is an unbound method, not a repr
        rich = _call(obj, "_repr_mimebundle_")
        if isinstance(rich, tuple):
            rich = rich[0]
        if isinstance(rich, dict):
            bundle.update(
                {k: v for k, v in rich.items() if k in ("text/html", "text/plain") and isinstance(v, str)}
            )
        if "text/html" not in bundle:
            html = _call(obj, "_repr_html_")
            if isinstance(html, str):
                bundle["text/html"] = html
    bundle["text/plain"] = pretty_text(obj)
    return bundle


def _call(obj: Any, method: str) -> Any:
    function = getattr(obj, method, None)
    if not callable(function):
        return None
    try:
        return function()
    except Exception:  # a broken rich repr must not fail the block; text/plain still shows
        return None

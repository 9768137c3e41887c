"""What the names in a block are, asked of the live objects right after the block ran.

For every dotted name the code mentions (`np.mean`, `LogisticRegression`, `clf.fit`, `ax.plot`)
the object it refers to in the page's namespace gives its public dotted path:
`numpy.mean`, `sklearn.linear_model.LogisticRegression`,
`sklearn.linear_model.LogisticRegression.fit`, `matplotlib.axes.Axes.plot`. Only objects that
belong to the libraries in `LIBRARIES` are reported; variables, builtins and the page's own
functions are not. Nothing is downloaded (no Sphinx inventory): the modules themselves answer.
Turning paths into links is the renderer's job (render/api_links.py).
"""

from __future__ import annotations

import ast
import inspect
import sys
from typing import Any

LIBRARIES = ("sklearn", "numpy", "pandas", "matplotlib")
_MAX_CHAIN = 5


def code_names(source: str, namespace: dict[str, Any]) -> dict[str, dict[str, str]]:
    """Dotted names in `source` -> {"path": public dotted path, "kind": "class", "function" or
    "method"} of the library object they refer to."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return {}
    names: dict[str, dict[str, str]] = {}
    for chain in _chains(tree):
        if chain[0] not in namespace:
            continue
        try:
            found = public_path(namespace[chain[0]], chain[1:])
        except Exception:  # an odd object that fails to describe itself: no link, no failure
            found = None
        if found:
            names[".".join(chain)] = {"path": found[0], "kind": found[1]}
    return names


def _chains(tree: ast.AST) -> list[list[str]]:
    """`a.b.c` read (not assigned) anywhere in the code, plus names bound by imports."""
    chains: dict[tuple[str, ...], None] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute | ast.Name):
            parts: list[str] = []
            current: ast.AST = node
            while isinstance(current, ast.Attribute):
                parts.append(current.attr)
                current = current.value
            if isinstance(current, ast.Name) and len(parts) < _MAX_CHAIN:
                chains[(current.id, *reversed(parts))] = None
        elif isinstance(node, ast.ImportFrom):
            for alias in node.names:
                chains[(alias.asname or alias.name,)] = None
    return [list(c) for c in chains]


def public_path(root: Any, attributes: list[str]) -> tuple[str, str] | None:
    """(documented dotted path, kind) of `root.<attributes>`, or None for anything not linkable.
    Attributes are read with getattr_static: no property or module __getattr__ runs."""
    obj = root
    owner: Any = None  # the object the last attribute was read from
    for name in attributes:
        owner, obj = obj, inspect.getattr_static(obj, name, None)
        if obj is None:
            return None
        if isinstance(obj, staticmethod | classmethod):
            obj = obj.__func__
    if inspect.ismodule(obj):
        return None
    if owner is not None and not inspect.ismodule(owner) and not inspect.isclass(owner):
        owner = type(owner)  # `clf.fit`: the method as documented on the instance's class
    if inspect.isclass(owner) and attributes and _is_routine(obj):
        cls = _public_name(owner)
        return (f"{cls}.{attributes[-1]}", "method") if cls else None
    if inspect.isclass(obj) or _is_routine(obj):
        kind = "class" if inspect.isclass(obj) else "function"
        # Reached through a module (`np.mean`, `plt.subplots`): that module is public.
        through_module = owner is not None and inspect.ismodule(owner) and _library(owner.__name__)
        if through_module and getattr(owner, attributes[-1], None) is obj:
            return f"{owner.__name__}.{attributes[-1]}", kind
        path = _public_name(obj)
        return (path, kind) if path else None
    return None


def _is_routine(obj: Any) -> bool:
    # NumPy's ufuncs (np.exp) are neither functions nor builtins, but callable documented objects.
    return inspect.isroutine(obj) or type(obj).__name__ == "ufunc"


def _library(module: str) -> bool:
    return module.split(".")[0] in LIBRARIES


def _public_name(obj: Any) -> str | None:
    """The shortest public module that exports `obj` under its own name: for
    sklearn.linear_model._logistic.LogisticRegression that is sklearn.linear_model."""
    module = getattr(obj, "__module__", None) or ""
    name = getattr(obj, "__name__", None)
    if not isinstance(module, str) or not _library(module) or not name:
        if type(obj).__name__ == "ufunc" and name and getattr(sys.modules.get("numpy"), name, None) is obj:
            return f"numpy.{name}"
        return None
    parts = module.split(".")
    for end in range(1, len(parts) + 1):
        if any(p.startswith("_") for p in parts[:end]):
            break
        candidate = ".".join(parts[:end])
        loaded = sys.modules.get(candidate)
        if loaded is not None and getattr(loaded, name, None) is obj:
            return f"{candidate}.{name}"
    return None

"""Which modules a page used, for its cache entry (cache.py checks their distributions later).

In a page forked from the warm parent most libraries are already imported, so the page's own
`import sklearn` loads nothing: what counts is what the page asked for. Every import statement
and `importlib.import_module` call made while the page runs is recorded (the engine's own
imports aside), together with the modules that were loaded for the first time. The parent maps
their files to installed distributions (dependencies.py).
"""

from __future__ import annotations

import builtins
import importlib
import os
import sys
import sysconfig
from collections.abc import Callable
from typing import Any

_ENGINE = "techpath"


class ImportLog:
    """Records the modules a page imports, from `start()` on."""

    def __init__(self) -> None:
        self.requested: set[str] = set()
        self._before: set[str] = set()
        self._import: Callable[..., Any] = builtins.__import__
        self._import_module: Callable[..., Any] = importlib.import_module

    def start(self) -> None:
        self._before = set(sys.modules)
        self._import = builtins.__import__
        self._import_module = importlib.import_module
        builtins.__import__ = self._recording_import
        importlib.import_module = self._recording_import_module  # type: ignore[assignment]

    def _recording_import(
        self, name: str, globals: Any = None, locals: Any = None, fromlist: Any = (), level: int = 0
    ) -> Any:
        module = self._import(name, globals, locals, fromlist, level)
        if level == 0 and not _by_engine(globals):
            self.requested.add(name)
        return module

    def _recording_import_module(self, name: str, package: str | None = None) -> Any:
        module = self._import_module(name, package)
        if not name.startswith("."):
            self.requested.add(name)
        return module

    def module_paths(self) -> list[str]:
        """Where the modules the page used live, outside the standard library and the engine:
        the package folder (or single-file module) below its sys.path entry, sorted."""
        names = self.requested | (set(sys.modules) - self._before)
        stdlib = tuple(os.path.realpath(sysconfig.get_paths()[k]) + os.sep for k in ("stdlib", "platstdlib"))
        entries = sorted({os.path.realpath(p) for p in sys.path if p}, key=len, reverse=True)
        found: set[str] = set()
        for name in names:
            if name.split(".")[0] == _ENGINE:
                continue
            for file in _files(sys.modules.get(name)):
                real = os.path.realpath(file)
                if real.startswith(stdlib) and "site-packages" not in real:
                    continue
                top = _top_level(real, entries)
                if top is not None:
                    found.add(top)
        return sorted(found)


def _by_engine(globals: Any) -> bool:
    name = globals.get("__name__", "") if isinstance(globals, dict) else ""
    return isinstance(name, str) and (name == _ENGINE or name.startswith(_ENGINE + "."))


def _files(module: Any) -> list[str]:
    file = getattr(module, "__file__", None)
    if isinstance(file, str):
        return [file]
    path = getattr(module, "__path__", None)  # a namespace package: its folders
    try:
        return [p for p in path if isinstance(p, str)] if path is not None else []
    except TypeError:
        return []


def _top_level(real: str, entries: list[str]) -> str | None:
    """`/sp/sklearn/linear_model/_base.py` -> `/sp/sklearn` for the sys.path entry `/sp`."""
    for entry in entries:
        if real.startswith(entry + os.sep):
            first = real[len(entry) + 1 :].split(os.sep, 1)[0]
            return os.path.join(entry, first)
    return None

"""Hooks from libraries into the page's session. One page per process, so one of each."""

from __future__ import annotations

from collections.abc import Callable

show_figures: Callable[[], None] | None = None  # called by plt.show() (see mpl_backend.py)

# Policy warnings (deprecation, future) raised while the warm parent imported a module, by the
# module name it was importing: {"sklearn": [(message, category name, filename, lineno)]}.
# A page replays them when it first imports that module, so a library that warns at import fails
# the same block in fork mode (imported in the parent) as in spawn mode (imported by the page).
import_warnings: dict[str, list[tuple[str, str, str, int]]] = {}

"""Hooks from libraries into the page's session. One page per process, so one of each."""

from __future__ import annotations

from collections.abc import Callable

show_figures: Callable[[], None] | None = None  # called by plt.show() (see mpl_backend.py)

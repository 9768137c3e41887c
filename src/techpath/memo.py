"""A bounded memo for a process that builds the same site again: answers kept by key, the least
recently used dropped first past `max_entries`, with counts of hits and misses (the memo of
highlighted code, generators/highlight_memo.py; the HTML phase's parsers, safety/html_memo.py)."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

V = TypeVar("V")
_MISSING = object()


class BoundedMemo(Generic[V]):
    def __init__(self, max_entries: int) -> None:
        self.max_entries = max_entries
        self.entries: dict[Hashable, V] = {}
        self.hits = self.misses = 0

    def answer(self, key: Hashable, compute: Callable[[], V]) -> V:
        """The answer kept under `key`, else `compute()`'s, kept."""
        found = self.entries.pop(key, _MISSING)  # popped and put back: the last used go last
        if found is _MISSING:
            self.misses += 1
            found = compute()
            if len(self.entries) >= self.max_entries:
                del self.entries[next(iter(self.entries))]
        else:
            self.hits += 1
        self.entries[key] = found  # type: ignore[assignment]
        return found  # type: ignore[return-value]

    def clear(self) -> None:
        self.entries.clear()
        self.hits = self.misses = 0

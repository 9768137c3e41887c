"""The sections of a site's learning path, read from its configuration (never hard-coded here).

The path is a sequence of sections, each a blog category (`path_sections` in mkdocs.yml, in
reading order); a page labels them "Stage 1", "Stage 2", .... Any other category (for example
essays) is a sequence of its own, shown after the path's sections in the order of `others` (the
blog's allowed categories), then alphabetically. (The staged tree of `techpath.stage` is another
thing: the docs folder a generator builds.)
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol


class _HasSection(Protocol):
    section: str


@dataclass(frozen=True)
class PathSections:
    path: tuple[str, ...] = ()
    others: tuple[str, ...] = field(default_factory=tuple)

    @classmethod
    def from_config(cls, path: Iterable[str] | None, categories: Iterable[str] | None) -> PathSections:
        path = tuple(str(p) for p in path or ())
        return cls(path, tuple(str(c) for c in categories or () if str(c) not in path))

    def rank(self, section: str) -> tuple[int, int, str]:
        if section in self.path:
            return (0, self.path.index(section), "")
        if section in self.others:
            return (1, self.others.index(section), "")
        return (2, 0, section.lower())

    def sequence(self, section: str) -> str:
        """Posts of the same sequence are each other's previous / next."""
        return "" if section in self.path else section

    def number(self, section: str) -> int | None:
        return self.path.index(section) + 1 if section in self.path else None

    def short_label(self, section: str) -> str:
        """ "Stage 2" on the path, the category's own name beside it ("Essays")."""
        number = self.number(section)
        return f"Stage {number}" if number else (section or "Other posts")

    def label(self, section: str) -> str:
        number = self.number(section)
        return f"Stage {number} · {section}" if number else (section or "Other posts")

    def anchor(self, section: str) -> str:
        number = self.number(section)
        if number:
            return f"stage-{number}"
        return "path-" + (re.sub(r"[^a-z0-9]+", "-", section.lower()).strip("-") or "other")

    def all(self, entries: Iterable[_HasSection]) -> list[str]:
        """Every section that has posts (and every configured one of the path), in reading order."""
        present = {e.section for e in entries} | set(self.path)
        return sorted(present, key=self.rank)

"""The stages of a site's learning path, read from its configuration (never hard-coded here).

`path` lists the categories that form the path, in reading order ("Stage 1", "Stage 2", ...).
Any other category (for example essays) is a sequence of its own, shown after the stages in the
order of `others` (the blog's allowed categories), then alphabetically.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol


class _HasStage(Protocol):
    stage: str


@dataclass(frozen=True)
class Stages:
    path: tuple[str, ...] = ()
    others: tuple[str, ...] = field(default_factory=tuple)

    @classmethod
    def from_config(cls, path: Iterable[str] | None, categories: Iterable[str] | None) -> Stages:
        path = tuple(str(p) for p in path or ())
        return cls(path, tuple(str(c) for c in categories or () if str(c) not in path))

    def rank(self, stage: str) -> tuple[int, int, str]:
        if stage in self.path:
            return (0, self.path.index(stage), "")
        if stage in self.others:
            return (1, self.others.index(stage), "")
        return (2, 0, stage.lower())

    def sequence(self, stage: str) -> str:
        """Posts of the same sequence are each other's previous / next."""
        return "" if stage in self.path else stage

    def number(self, stage: str) -> int | None:
        return self.path.index(stage) + 1 if stage in self.path else None

    def short_label(self, stage: str) -> str:
        """ "Stage 2" on the path, the category's own name beside it ("Essays")."""
        number = self.number(stage)
        return f"Stage {number}" if number else (stage or "Other posts")

    def label(self, stage: str) -> str:
        number = self.number(stage)
        return f"Stage {number} · {stage}" if number else (stage or "Other posts")

    def anchor(self, stage: str) -> str:
        number = self.number(stage)
        if number:
            return f"stage-{number}"
        return "path-" + (re.sub(r"[^a-z0-9]+", "-", stage.lower()).strip("-") or "other")

    def all(self, entries: Iterable[_HasStage]) -> list[str]:
        """Every stage that has posts (and every configured path stage), in reading order."""
        present = {e.stage for e in entries} | set(self.path)
        return sorted(present, key=self.rank)

"""Compare two snapshots page by page and block by block; every change has a kind and a rank.

Ranks order the summary, most important first: status changes and new errors, then inline
values, figures, new warnings, text outputs, and pages whose time moved.
"""

from __future__ import annotations

import difflib
import math
import re
from dataclasses import dataclass, field
from typing import Any

NUMBER = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?")
WARNING = re.compile(r"\b\w*Warning\b:?.*")
RANK = {"page": 0, "status": 0, "inline": 1, "figure": 2, "warning": 3, "text": 4, "time": 5}


@dataclass
class LinePair:
    old: str | None  # None: an added line
    new: str | None  # None: a removed line
    numbers: list[tuple[str, str]] = field(default_factory=list)  # changed numbers, old -> new


@dataclass
class Change:
    kind: str  # page, status, inline, figure, warning, text, time
    page: str
    where: str  # "docs/blog/posts/x.md:42" (a block's or a value's line), or the page
    summary: str
    lines: list[LinePair] = field(default_factory=list)  # text changes
    figure: dict[str, Any] = field(default_factory=dict)  # old/new figure entries and measures

    @property
    def rank(self) -> int:
        return RANK[self.kind]


def numbers_close(a: str, b: str, tolerance: float) -> bool:
    if a == b:
        return True
    try:
        x, y = float(a), float(b)
    except ValueError:
        return False
    return math.isclose(x, y, rel_tol=tolerance, abs_tol=tolerance)


def same_text(old: str, new: str, tolerance: float) -> bool:
    """Equal, or equal but for numbers within the tolerance (float noise in the last digits)."""
    if old == new:
        return True
    if NUMBER.split(old) != NUMBER.split(new):
        return False
    return all(
        numbers_close(a, b, tolerance) for a, b in zip(NUMBER.findall(old), NUMBER.findall(new), strict=True)
    )


def changed_numbers(old: str, new: str, tolerance: float) -> list[tuple[str, str]]:
    a, b = NUMBER.findall(old), NUMBER.findall(new)
    if len(a) != len(b):
        return []
    return [(x, y) for x, y in zip(a, b, strict=True) if not numbers_close(x, y, tolerance)]


def line_diff(old: str, new: str, tolerance: float) -> list[LinePair]:
    """The changed lines; a line replaced by a line of the same shape names its moved numbers."""
    a, b = old.splitlines(), new.splitlines()
    pairs: list[LinePair] = []
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        olds, news = a[i1:i2], b[j1:j2]
        for k in range(max(len(olds), len(news))):
            x = olds[k] if k < len(olds) else None
            y = news[k] if k < len(news) else None
            if x is not None and y is not None:
                if same_text(x, y, tolerance):
                    continue
                pairs.append(LinePair(x, y, changed_numbers(x, y, tolerance)))
            else:
                pairs.append(LinePair(x, y))
    return pairs


def _where(page: str, line: int, cell: int | None = None) -> str:
    if cell:
        return f"{page}:cell {cell}"
    return f"{page}:{line}" if line else page


def _text(block: dict[str, Any]) -> str:
    return "".join(o["text"] for o in block.get("outputs", []) if o["kind"] in ("text", "error"))


def _warnings(block: dict[str, Any]) -> set[str]:
    found: set[str] = set()
    for output in block.get("outputs", []):
        if output["kind"] == "text" and output.get("name") == "stderr":
            found |= {m.group(0).strip() for m in WARNING.finditer(output["text"])}
    return found


def compare(
    base: dict[str, Any], head: dict[str, Any], tolerance: float = 0.0, time_threshold: float = 0.5
) -> list[Change]:
    """Every change from `base` to `head`, most important first. `time_threshold` is relative
    (0.5: a page 50% slower or faster) and ignores pages under a second in both."""
    from techpath.diff.figures import close_browser

    changes: list[Change] = []
    try:
        for page in sorted(set(base) | set(head)):
            old, new = base.get(page), head.get(page)
            if old is None or new is None:
                what = "new page" if old is None else "page removed"
                changes.append(Change("page", page, page, what))
                continue
            changes += _compare_page(page, old, new, tolerance, time_threshold)
    finally:
        close_browser()  # started only if an SVG changed
    return sorted(changes, key=_order)


def _order(change: Change) -> tuple[int, str, int, int]:
    """By rank, page, then errors before what they stopped, then line."""
    line = re.search(r":(?:cell )?(\d+)$", change.where)
    consequence = "not run" in change.summary
    return (change.rank, change.page, int(consequence), int(line.group(1)) if line else 0)


def _compare_page(
    page: str, old: dict[str, Any], new: dict[str, Any], tolerance: float, time_threshold: float
) -> list[Change]:
    changes: list[Change] = []
    if old["status"] != new["status"]:
        changes.append(Change("status", page, page, f"page {old['status']} → {new['status']}"))
    old_blocks = {b["index"]: b for b in old["blocks"]}
    stopped: list[dict[str, Any]] = []  # blocks that ran before and did not run now
    for block in new["blocks"]:
        where = _where(page, block["line"], block.get("cell"))
        before = old_blocks.get(block["index"])
        if before is None:
            changes.append(Change("status", page, where, f"new block ({block['status']})"))
            continue
        if block["status"] == "not-run" and before["status"] != "not-run":
            stopped.append(block)  # a consequence of the error above it: one line, no output diff
            continue
        if before["status"] != block["status"] or before["error"] != block["error"]:
            error = f": {block['error']}" if block["error"] else ""
            changes.append(
                Change("status", page, where, f"block {before['status']} → {block['status']}{error}")
            )
        for warning in sorted(_warnings(block) - _warnings(before)):
            changes.append(Change("warning", page, where, f"new warning: {warning[:200]}"))
        old_text, new_text = _text(before), _text(block)
        if not same_text(old_text, new_text, tolerance):
            lines = line_diff(old_text, new_text, tolerance)
            moved = sum(len(p.numbers) for p in lines)
            what = f"output changed: {moved} number{'s' * (moved != 1)}" if moved else "output changed"
            changes.append(Change("text", page, where, what, lines=lines))
        changes += _compare_figures(page, where, before, block)
    old_by_source: dict[str, list[dict[str, Any]]] = {}
    for value in old.get("inline", []):
        old_by_source.setdefault(value["source"], []).append(value)
    if stopped:
        first = _where(page, stopped[0]["line"], stopped[0].get("cell"))
        count = len(stopped)
        changes.append(
            Change("status", page, first, f"{count} block{'s' * (count != 1)} from here on not run")
        )
    for value in new.get("inline", []):
        candidates = old_by_source.get(value["source"]) or []
        before = candidates.pop(0) if candidates else None
        where = _where(page, value["line"])
        if before is None or (value["status"] == "not-run" and stopped):
            continue  # prose being edited, or a value the error above it stopped
        if value.get("error") and value["error"] != before.get("error"):
            changes.append(
                Change("status", page, where, f"inline `{value['source']}` now fails: {value['error']}")
            )
        if (before["value"], before["status"]) != (value["value"], value["status"]):
            if before["status"] == value["status"] == "ok" and same_text(
                before["value"], value["value"], tolerance
            ):
                continue
            was, now = before["text"] or before["status"], value["text"] or value["status"]
            shown = f"`{value['source']}` reads {was} → {now} (value {before['value']} → {value['value']})"
            changes.append(
                Change(
                    "inline",
                    page,
                    where,
                    shown,
                    lines=[
                        LinePair(
                            before["value"],
                            value["value"],
                            changed_numbers(before["value"], value["value"], tolerance),
                        )
                    ],
                )
            )
    slow, fast = float(old["duration"]), float(new["duration"])
    if max(slow, fast) >= 1.0 and abs(fast - slow) > time_threshold * max(slow, 1e-9):
        changes.append(Change("time", page, page, f"execution time {slow:.1f} s → {fast:.1f} s"))
    return changes


def _compare_figures(page: str, where: str, before: dict[str, Any], block: dict[str, Any]) -> list[Change]:
    from techpath.diff.figures import measure

    olds = [o for o in before["outputs"] if o["kind"] == "figure"]
    news = [o for o in block["outputs"] if o["kind"] == "figure"]
    changes = []
    for k in range(max(len(olds), len(news))):
        a = olds[k] if k < len(olds) else None
        b = news[k] if k < len(news) else None
        if a is not None and b is not None and a["sha256"] == b["sha256"]:
            continue
        if a is None or b is None:
            changes.append(
                Change(
                    "figure",
                    page,
                    where,
                    f"figure {k + 1} {'added' if a is None else 'removed'}",
                    figure={"old": a, "new": b},
                )
            )
            continue
        measured = measure(a, b)
        if measured.get("changed_pixels", 1.0) == 0.0:
            continue  # different bytes, same picture
        summary = f"figure {k + 1} changed: " + measured["summary"]
        changes.append(Change("figure", page, where, summary, figure={"old": a, "new": b, **measured}))
    return changes

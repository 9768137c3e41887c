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

# a version (1.9.1) is one token, not the numbers 1.9 and .1
NUMBER = re.compile(r"\d+(?:\.\d+){2,}|[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?")
FRAME = re.compile(r'^  File "(?P<path>[^"]*)", line \d+')
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
    edited: bool = False  # the block's code (or the value's expression) changed between BASE and HEAD

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


def _text(block: dict[str, Any], page: str = "") -> str:
    return "".join(
        o["text"] if o["kind"] == "text" else _post_frames(o["text"], page)
        for o in block.get("outputs", [])
        if o["kind"] in ("text", "error")
    )


def _post_frames(traceback: str, page: str) -> str:
    """The traceback with each run of frames outside the page as one `File <library>` line: a
    library's file paths and line numbers differ between environments and versions and say
    nothing about the post; the post's own frames and the exception stay."""
    out: list[str] = []
    skipping = False
    for line in traceback.splitlines(keepends=True):
        frame = FRAME.match(line)
        if frame:
            skipping = not (page and frame.group("path").startswith(page))
            if skipping:
                if not out or out[-1] != "  File <library>\n":
                    out.append("  File <library>\n")
                continue
        elif skipping and line.startswith("    "):
            continue  # the library frame's code and its ^^^ markers
        else:
            skipping = False
        out.append(line)
    return "".join(out)


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


def align(
    olds: list[dict[str, Any]], news: list[dict[str, Any]], key: str
) -> list[tuple[dict[str, Any] | None, dict[str, Any] | None, bool]]:
    """Pair BASE's entries with HEAD's by content: (old, new, edited), old None for an added
    entry, new None for a removed one.

    The two sequences are aligned on `key` (a block's code, a value's expression) with difflib,
    so inserting or removing one leaves every other paired with itself. Inside a run of entries
    that differ, as many as on both sides are "the same entry, edited" (it sits between two
    matched ones); when the run's lengths differ, the most similar ones in order are paired and
    the rest are added or removed; an entry removed in one place and added in another is paired
    with itself. Entries without `key` (a snapshot written before blocks
    carried their code) are paired by position."""
    if any(key not in e for e in olds) or any(key not in e for e in news):
        size = max(len(olds), len(news))
        return [
            (
                olds[k] if k < len(olds) else None,
                news[k] if k < len(news) else None,
                False,
            )
            for k in range(size)
        ]
    pairs: list[tuple[dict[str, Any] | None, dict[str, Any] | None, bool]] = []
    matcher = difflib.SequenceMatcher(None, [e[key] for e in olds], [e[key] for e in news], autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            pairs += [(olds[i], news[j], False) for i, j in zip(range(i1, i2), range(j1, j2), strict=True)]
        elif i2 - i1 == j2 - j1:
            pairs += [(olds[i], news[j], True) for i, j in zip(range(i1, i2), range(j1, j2), strict=True)]
        else:
            pairs += _pair_similar(olds[i1:i2], news[j1:j2], key)
    return _pair_moved(pairs, key)


def _pair_moved(
    pairs: list[tuple[dict[str, Any] | None, dict[str, Any] | None, bool]], key: str
) -> list[tuple[dict[str, Any] | None, dict[str, Any] | None, bool]]:
    """A removed entry and an added one with the same `key` are one entry that moved (a sentence
    or a block placed elsewhere): paired, at HEAD's place."""
    removed: dict[str, list[dict[str, Any]]] = {}
    for old, new, _ in pairs:
        if new is None and old is not None:
            removed.setdefault(old[key], []).append(old)
    taken: set[int] = set()
    out: list[tuple[dict[str, Any] | None, dict[str, Any] | None, bool]] = []
    for old, new, edited in pairs:
        if old is None and new is not None and removed.get(new[key]):
            match = removed[new[key]].pop(0)
            taken.add(id(match))
            out.append((match, new, False))
        else:
            out.append((old, new, edited))
    return [p for p in out if not (p[1] is None and id(p[0]) in taken)]


def _pair_similar(
    olds: list[dict[str, Any]], news: list[dict[str, Any]], key: str, least: float = 0.5
) -> list[tuple[dict[str, Any] | None, dict[str, Any] | None, bool]]:
    """Order-keeping pairs of the most similar entries (difflib ratio at least `least`), the
    most similarity in total; the unpaired are added or removed."""
    ratio = [[difflib.SequenceMatcher(None, a[key], b[key]).ratio() for b in news] for a in olds]
    m, n = len(olds), len(news)
    best = [[0.0] * (n + 1) for _ in range(m + 1)]  # best[i][j]: olds[i:] with news[j:]
    for i in range(m - 1, -1, -1):
        for j in range(n - 1, -1, -1):
            paired = best[i + 1][j + 1] + ratio[i][j] if ratio[i][j] >= least else -1.0
            best[i][j] = max(paired, best[i + 1][j], best[i][j + 1])
    pairs: list[tuple[dict[str, Any] | None, dict[str, Any] | None, bool]] = []
    i = j = 0
    while i < m and j < n:
        if ratio[i][j] >= least and best[i][j] == best[i + 1][j + 1] + ratio[i][j]:
            pairs.append((olds[i], news[j], True))
            i, j = i + 1, j + 1
        elif best[i][j] == best[i + 1][j]:
            pairs.append((olds[i], None, False))
            i += 1
        else:
            pairs.append((None, news[j], False))
            j += 1
    pairs += [(a, None, False) for a in olds[i:]] + [(None, b, False) for b in news[j:]]
    return pairs


def _compare_page(
    page: str, old: dict[str, Any], new: dict[str, Any], tolerance: float, time_threshold: float
) -> list[Change]:
    changes: list[Change] = []
    if old["status"] != new["status"]:
        changes.append(Change("status", page, page, f"page {old['status']} → {new['status']}"))
    stopped: list[dict[str, Any]] = []  # blocks that ran before and did not run now
    for before, block, edited in align(old["blocks"], new["blocks"], "source"):
        if block is None:
            assert before is not None
            line = f"cell {before['cell']}" if before.get("cell") else f"line {before['line']}"
            changes.append(Change("status", page, page, f"block removed (was at {line})"))
            continue
        where = _where(page, block["line"], block.get("cell"))
        if before is None:
            changes.append(Change("status", page, where, f"new block ({block['status']})"))
            continue
        if block["status"] == "not-run" and before["status"] != "not-run":
            stopped.append(block)  # a consequence of the error above it: one line, no output diff
            continue
        found = _compare_block(page, where, before, block, tolerance)
        for change in found:
            change.edited = edited
        changes += found
    if stopped:
        first = _where(page, stopped[0]["line"], stopped[0].get("cell"))
        count = len(stopped)
        changes.append(
            Change("status", page, first, f"{count} block{'s' * (count != 1)} from here on not run")
        )
    for before, value, edited in align(old.get("inline", []), new.get("inline", []), "source"):
        changes += _compare_value(page, before, value, edited, bool(stopped), tolerance)
    slow, fast = float(old["duration"]), float(new["duration"])
    if max(slow, fast) >= 1.0 and abs(fast - slow) > time_threshold * max(slow, 1e-9):
        changes.append(Change("time", page, page, f"execution time {slow:.1f} s → {fast:.1f} s"))
    return changes


def _compare_block(
    page: str, where: str, before: dict[str, Any], block: dict[str, Any], tolerance: float
) -> list[Change]:
    changes: list[Change] = []
    if before["status"] != block["status"] or before["error"] != block["error"]:
        error = f": {block['error']}" if block["error"] else ""
        changes.append(Change("status", page, where, f"block {before['status']} → {block['status']}{error}"))
    for warning in sorted(_warnings(block) - _warnings(before)):
        changes.append(Change("warning", page, where, f"new warning: {warning[:200]}"))
    old_text, new_text = _text(before, page), _text(block, page)
    if not same_text(old_text, new_text, tolerance):
        lines = line_diff(old_text, new_text, tolerance)
        moved = sum(len(p.numbers) for p in lines)
        what = f"output changed: {moved} number{'s' * (moved != 1)}" if moved else "output changed"
        changes.append(Change("text", page, where, what, lines=lines))
    return changes + _compare_figures(page, where, before, block)


def _compare_value(
    page: str,
    before: dict[str, Any] | None,
    value: dict[str, Any] | None,
    edited: bool,
    stopped: bool,
    tolerance: float,
) -> list[Change]:
    """An inline value's change: added, removed, failing, or reading differently."""
    if value is None:
        assert before is not None
        what = f"inline `{before['source']}` removed (was at line {before['line']})"
        return [Change("inline", page, page, what)]
    where = _where(page, value["line"])
    if value["status"] == "not-run" and stopped:
        return []  # the error above it stopped it; reported once, as the blocks' error
    if before is None:
        shown = value["text"] or value["status"]
        return [Change("inline", page, where, f"new inline `{value['source']}` reads {shown}")]
    changes: list[Change] = []
    if value.get("error") and value["error"] != before.get("error"):
        what = f"inline `{value['source']}` now fails: {value['error']}"
        changes.append(Change("status", page, where, what, edited=edited))
    shown_before = (before["value"], before["status"], before["text"])
    if shown_before == (value["value"], value["status"], value["text"]):
        return changes
    if (
        before["status"] == value["status"] == "ok"
        and same_text(before["value"], value["value"], tolerance)
        and same_text(before["text"], value["text"], tolerance)
    ):
        return changes
    was, now = before["text"] or before["status"], value["text"] or value["status"]
    source = f"`{before['source']}` → `{value['source']}`" if edited else f"`{value['source']}`"
    reads = f"still reads {now}" if was == now else f"reads {was} → {now}"  # a claim that still holds
    shown = f"{source} {reads} (value {before['value']} → {value['value']})"
    numbers = changed_numbers(before["value"], value["value"], tolerance)
    pair = LinePair(before["value"], value["value"], numbers)
    return [*changes, Change("inline", page, where, shown, lines=[pair], edited=edited)]


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

"""Exercises: a task in prose and a `starter`, a `check` and a `solution` block, in that order.

Markdown: an admonition `!!! exercise "Title"` holding the task (a `??? tip "Hint"` box may
nudge) and the three python fences, flagged ```` ```python starter ```` and so on. Notebooks: a
markdown cell tagged `exercise` (first line a `### Title` heading), then code cells tagged
`exercise-starter`, `exercise-check`, `exercise-solution`.

Parsing checks the shape only (every problem at the file and line of the box or fence); what
the parts do is checked when the page runs (execute/exercise.py). The parts of a malformed
exercise are turned into skipped blocks, so nothing runs half an exercise.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from techpath.model import CodeBlock, Exercise, Problem
from techpath.parse.fences import EXERCISE_PARTS, Fence, executable_fences, find_fences

_BOX = re.compile(r"^(?P<indent>[ \t]*)(?P<marker>!!!|\?\?\?\+?)[ \t]+exercise\b(?P<rest>.*)$")
_TITLE = re.compile(r'^[ \t]+"(?P<title>[^"]*)"[ \t]*$')
BOX_EXAMPLE = '!!! exercise "Title"'
ALLOWED_OPTIONS = ("timeout",)  # on a part; the others would change what the reader is shown


@dataclass
class Box:
    """An exercise box being read: where it is, its title, the parts found inside it."""

    title: str
    line: int  # 1-based (for notebooks: 1)
    shown: str  # the file name problems carry ("post.ipynb:cell 4" for notebooks)
    cell: int | None = None
    parts: list[tuple[str, int, str, int]] = field(default_factory=list)  # role, block, shown, line
    wrong: bool = False  # a problem was found already


@dataclass(frozen=True)
class BoxSpan:
    """Where a Markdown exercise box is: its first and last line (0-based) and body indent."""

    start: int
    end: int
    indent: str
    body_indent: str
    marker: str
    title: str | None


def box_spans(text: str) -> list[BoxSpan]:
    """Every `!!! exercise` box of a Markdown text (boxes shown inside fences are text)."""
    lines = text.split("\n")
    fenced: set[int] = set()
    for fence in find_fences(text):
        fenced.update(range(fence.start, fence.end + 1))
    spans = []
    for i, line in enumerate(lines):
        found = _BOX.match(line)
        if found is None or i in fenced:
            continue
        title = _TITLE.match(found["rest"])
        body_indent = found["indent"] + "    "
        end = i
        for j in range(i + 1, len(lines)):
            if lines[j].strip() and not lines[j].startswith(body_indent):
                break
            if lines[j].strip():
                end = j
        spans.append(BoxSpan(i, end, found["indent"], body_indent, found["marker"], title and title["title"]))
    return spans


def markdown_exercises(
    text: str, blocks: list[CodeBlock], shown: str, problems: list[Problem]
) -> tuple[list[CodeBlock], list[Exercise]]:
    """The exercises of a Markdown text, and its blocks with malformed parts made skipped."""
    fences = executable_fences(text)
    boxes: list[tuple[BoxSpan, Box]] = []
    for span in box_spans(text):
        box = Box(span.title or "", span.start + 1, shown, wrong=span.marker != "!!!")
        if span.marker != "!!!":
            problems.append(
                Problem(shown, box.line, f"an exercise box opens with `{BOX_EXAMPLE}`, not {span.marker}")
            )
        if not span.title:
            problems.append(Problem(shown, box.line, f"an exercise needs a title in quotes: `{BOX_EXAMPLE}`"))
        boxes.append((span, box))
    loose: set[int] = set()
    for index, fence in enumerate(fences):
        inside = next((b for s, b in boxes if _holds(s, fence)), None)
        role = fence.options.exercise
        if inside is None:
            if role:
                message = f"a `{role}` block belongs inside an exercise box (`{BOX_EXAMPLE}`)"
                problems.append(Problem(shown, fence.start + 1, message))
                loose.add(index)
            continue
        if not role and not fence.options.skip:
            problems.append(
                Problem(
                    shown,
                    fence.start + 1,
                    "inside an exercise box, a python block is the `starter`, the `check` or the "
                    "`solution` (or is marked skip); move other code above the box",
                )
            )
            loose.add(index)
            continue
        if role:
            inside.wrong |= _wrong_options(fence, shown, problems)
            inside.parts.append((role, index, shown, fence.start + 1))
    return assemble([b for _s, b in boxes], blocks, loose, problems)


def _holds(span: BoxSpan, fence: Fence) -> bool:
    return span.start < fence.start <= span.end and fence.indent.startswith(span.body_indent)


def _wrong_options(fence: Fence, shown: str, problems: list[Problem]) -> bool:
    options = fence.options
    used = [
        name
        for name, on in (
            ("skip", options.skip),
            ("hide", options.hide),
            ("hide-code", options.hide_code),
            ("hide-output", options.hide_output),
            ("standalone", options.standalone),
            ("raises", options.raises is not None),
        )
        if on
    ]
    if used:
        message = f"an exercise's {options.exercise} block takes no {', '.join(used)} (only timeout=)"
        problems.append(Problem(shown, fence.start + 1, message))
    return bool(used)


def assemble(
    boxes: list[Box], blocks: list[CodeBlock], loose: set[int], problems: list[Problem]
) -> tuple[list[CodeBlock], list[Exercise]]:
    """Check each box has one starter, one check, one solution in that order; build the
    exercises. Blocks in `loose` and the parts of every malformed box become skipped blocks."""
    exercises: list[Exercise] = []
    skipped = set(loose)
    for box in boxes:
        found: dict[str, int] = {}
        wrong = box.wrong or not box.title
        for role, block, shown, line in box.parts:
            if role in found:
                message = f'a second `{role}` block in exercise "{box.title}": an exercise has exactly one'
                problems.append(Problem(shown, line, message))
                wrong = True
                continue
            later = [r for r in found if EXERCISE_PARTS.index(r) > EXERCISE_PARTS.index(role)]
            if later:
                message = (
                    f'the `{role}` block of exercise "{box.title}" comes after its `{later[0]}`; '
                    "the order is starter, check, solution"
                )
                problems.append(Problem(shown, line, message))
                wrong = True
            found[role] = block
        missing = [r for r in EXERCISE_PARTS if r not in found]
        if missing:
            names = " and ".join(f"`{r}`" for r in missing)
            message = (
                f'exercise "{box.title}" has no {names} block; it needs a starter, a check and a '
                "solution, in that order (```python starter, ```python check, ```python solution)"
            )
            problems.append(Problem(box.shown, box.line, message))
            wrong = True
        if wrong:
            skipped.update(block for _r, block, _s, _l in box.parts)
            continue
        exercises.append(
            Exercise(
                len(exercises),
                box.title,
                box.line,
                found["starter"],
                found["check"],
                found["solution"],
                box.cell,
            )
        )
    fixed = [
        replace(b, options=replace(b.options, exercise="", skip=True)) if b.index in skipped else b
        for b in blocks
    ]
    return fixed, exercises

"""Math boxes (`??? math "Title"` / `???+ math`) as md_in_html `<details>` blocks.

pymdownx.details gives a box no id, and Python-Markdown does not recognise raw HTML (our output
panels) inside an indented container. Writing each box as `<details markdown="1">` with its
body dedented fixes both: the box carries the id the math index links to, and everything inside
it is top-level Markdown again, so outputs, figures and display math stay inside the box.
"""

from __future__ import annotations

import html
import re

from techpath.parse.boxes import box_body, math_box
from techpath.parse.fences import find_fences
from techpath.site.pages import box_anchor

SOLUTION_OPENING = '<details class="success techpath-solution"'  # an exercise's solution box


def box_titles_of(markdown: str) -> list[str]:
    """Titles of the math boxes, in order (as written, before any rendering)."""
    return [m["title"] for line in markdown.split("\n") if (m := _titled(line))]


def _titled(line: str) -> re.Match[str] | None:
    """A math box the page gives an id: one with a title (parse/boxes.py)."""
    match = math_box(line)
    return match if match is not None and match["title"] is not None else None


def convert_boxes(markdown: str) -> str:
    """Rewrite every math box, at any indentation, as a `<details>` block with an id."""
    lines = markdown.split("\n")
    out: list[str] = []
    seen: dict[str, int] = {}
    i = 0
    while i < len(lines):
        match = _titled(lines[i])
        if match is None:
            out.append(lines[i])
            i += 1
            continue
        indent = match["indent"]
        body, j = box_body(lines, i, indent + "    ")
        anchor = _unique(box_anchor(match["title"]), seen)
        opened = ' open="open"' if match["open"] else ""
        head = [
            f'<details class="math" id="{anchor}"{opened} markdown="1">',
            f'<summary markdown="span">{match["title"]}</summary>',
        ]
        out += _wrapped(indent, head, convert_boxes("\n".join(body)), "</details>")
        i = j
    return "\n".join(out)


def _wrapped(indent: str, head: list[str], inner: str, close: str) -> list[str]:
    """A converted box: its opening tags, its (dedented, converted) body, its closing tag."""
    body = [f"{indent}{line}" if line else "" for line in inner.split("\n")]
    return [f"{indent}{line}" for line in head] + ["", *body, "", f"{indent}{close}"]


def _unique(anchor: str, seen: dict[str, int]) -> str:
    """`anchor`, or `anchor-2`, `anchor-3` for its later uses on the page."""
    seen[anchor] = seen.get(anchor, 0) + 1
    return anchor if seen[anchor] == 1 else f"{anchor}-{seen[anchor]}"


_EXERCISE = re.compile(r'^(?P<indent>[ \t]*)!!![ \t]+exercise[ \t]+"(?P<title>.*)"[ \t]*$')
_SOLUTION = re.compile(r'^(?P<indent>[ \t]*)\?\?\?(?P<open>\+?)[ \t]+success[ \t]+"Solution"[ \t]*$')


def convert_exercises(markdown: str, inside: bool = False) -> str:
    """Exercise boxes (after render/markdown.py wrote their parts) as md_in_html blocks: the box
    an admonition `<div>` with an id, its solution a `<details>`, each body dedented, so the
    solution's output panel is top-level HTML inside the box, as for math boxes."""
    lines = markdown.split("\n")
    shown = {i for f in find_fences(markdown) for i in range(f.start, f.end + 1)}  # code, not boxes
    out: list[str] = []
    seen: dict[str, int] = {}
    i = 0
    while i < len(lines):
        box = _EXERCISE.match(lines[i]) if i not in shown else None
        solution = _SOLUTION.match(lines[i]) if inside and i not in shown else None
        if box is None and solution is None:
            out.append(lines[i])
            i += 1
            continue
        found = box or solution
        assert found is not None
        indent = found["indent"]
        body, j = box_body(lines, i, indent + "    ")
        inner = convert_exercises("\n".join(body), inside=True)
        if box is not None:
            anchor = _unique("exercise-" + box_anchor(box["title"]).removeprefix("math-"), seen)
            head = [
                f'<div class="admonition exercise" id="{anchor}" markdown="1">',
                f'<p class="admonition-title">{html.escape(box["title"])}</p>',
            ]
            out += _wrapped(indent, head, inner, "</div>")
        else:
            opened = ' open="open"' if solution["open"] else ""
            head = [
                # Left out of the search index: it repeats the task's code, and a search for a
                # function name should not land the reader on its solution.
                f'{SOLUTION_OPENING}{opened} data-search-exclude markdown="1">',
                "<summary>Solution</summary>",
            ]
            out += _wrapped(indent, head, inner, "</details>")
        i = j
    return "\n".join(out)

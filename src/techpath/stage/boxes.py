"""Math boxes (`??? math "Title"` / `???+ math`) as md_in_html `<details>` blocks.

pymdownx.details gives a box no id, and Python-Markdown does not recognise raw HTML (our output
panels) inside an indented container. Writing each box as `<details markdown="1">` with its
body dedented fixes both: the box carries the id the math index links to, and everything inside
it is top-level Markdown again, so outputs, figures and display math stay inside the box.
"""

from __future__ import annotations

import html
import re

from techpath.parse.fences import find_fences
from techpath.site.pages import box_anchor

_START = re.compile(r'^(?P<indent>[ \t]*)\?\?\?(?P<open>\+?)[ \t]+math[ \t]+"(?P<title>.*)"[ \t]*$')


def box_titles_of(markdown: str) -> list[str]:
    """Titles of the math boxes, in order (as written, before any rendering)."""
    return [m["title"] for line in markdown.split("\n") if (m := _START.match(line))]


def convert_boxes(markdown: str) -> str:
    """Rewrite every math box, at any indentation, as a `<details>` block with an id."""
    lines = markdown.split("\n")
    out: list[str] = []
    seen: dict[str, int] = {}
    i = 0
    while i < len(lines):
        match = _START.match(lines[i])
        if match is None:
            out.append(lines[i])
            i += 1
            continue
        indent = match["indent"]
        body, j = _body(lines, i, indent + "    ")
        anchor = box_anchor(match["title"])
        seen[anchor] = seen.get(anchor, 0) + 1
        if seen[anchor] > 1:
            anchor += f"-{seen[anchor]}"
        opened = ' open="open"' if match["open"] else ""
        inner = convert_boxes("\n".join(body)).split("\n")
        out.append(f'{indent}<details class="math" id="{anchor}"{opened} markdown="1">')
        out.append(f'{indent}<summary markdown="span">{match["title"]}</summary>')
        out.append("")
        out += [f"{indent}{line}" if line else "" for line in inner]
        out.append("")
        out.append(f"{indent}</details>")
        i = j
    return "\n".join(out)


def _body(lines: list[str], i: int, body_indent: str) -> tuple[list[str], int]:
    """The dedented body of the box opened on line `i`, and the index of the line after it."""
    j = i + 1
    body: list[str] = []
    while j < len(lines) and (lines[j].startswith(body_indent) or not lines[j].strip()):
        body.append(lines[j][len(body_indent) :] if lines[j].strip() else "")
        j += 1
    while body and not body[-1]:
        body.pop()
        j -= 1
    return body, j


_EXERCISE = re.compile(r'^(?P<indent>[ \t]*)!!![ \t]+exercise[ \t]+"(?P<title>.*)"[ \t]*$')
_SOLUTION = re.compile(r'^(?P<indent>[ \t]*)\?\?\?[ \t]+success[ \t]+"Solution"[ \t]*$')


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
        body, j = _body(lines, i, indent + "    ")
        inner = convert_exercises("\n".join(body), inside=True).split("\n")
        if box is not None:
            title = html.escape(box["title"])
            anchor = "exercise-" + box_anchor(box["title"]).removeprefix("math-")
            seen[anchor] = seen.get(anchor, 0) + 1
            anchor += f"-{seen[anchor]}" if seen[anchor] > 1 else ""
            out.append(f'{indent}<div class="admonition exercise" id="{anchor}" markdown="1">')
            out.append(f'{indent}<p class="admonition-title">{title}</p>')
            close = "</div>"
        else:
            out.append(f'{indent}<details class="success techpath-solution" markdown="1">')
            out.append(f'{indent}<summary markdown="span">Solution</summary>')
            close = "</details>"
        out.append("")
        out += [f"{indent}{line}" if line else "" for line in inner]
        out.append("")
        out.append(f"{indent}{close}")
        i = j
    return "\n".join(out)

"""Math boxes in a post's Markdown: `??? math "Title"` (closed) or `???+ math "Title"` (open), at
any indentation, the body being the lines indented four spaces more.

One grammar for every reader of boxes: the page (stage/boxes.py writes each titled box as a
`<details>` with an id), the notebook download (render/notebooks.py: a top-level box becomes
cells tagged `math-box`) and the input gate (parse/gate.py: one front matter `math` concept per
box). A box without a title is still a box (pymdownx titles it "Math"); it gets no id.
"""

from __future__ import annotations

import re

MATH_BOX = re.compile(r'^(?P<indent>[ \t]*)\?\?\?(?P<open>\+?)[ \t]+math(?:[ \t]+"(?P<title>.*)")?[ \t]*$')


def math_box(line: str) -> re.Match[str] | None:
    """The opening line of a math box: its `indent`, `open` ("+" or "") and `title` (None when
    it has none)."""
    return MATH_BOX.match(line)


def math_box_count(markdown: str) -> int:
    return sum(1 for line in markdown.split("\n") if MATH_BOX.match(line))


def box_body(lines: list[str], i: int, body_indent: str) -> tuple[list[str], int]:
    """The dedented body of the box (admonition, details) opened on line `i`, without trailing
    blank lines, and the index of the line after it."""
    j = i + 1
    body: list[str] = []
    while j < len(lines) and (lines[j].startswith(body_indent) or not lines[j].strip()):
        body.append(lines[j][len(body_indent) :] if lines[j].strip() else "")
        j += 1
    while body and not body[-1]:
        body.pop()
        j -= 1
    return body, j

"""Small helpers for finding elements in rendered HTML by string work (no parser round trip,
so the rest of the page stays byte for byte as the generator wrote it)."""

from __future__ import annotations

import re


def element_end(text: str, start: int, tag: str) -> int:
    """The index just after the closing tag of the `tag` element opening at `start` (nested
    elements of the same name counted), or -1."""
    opening, closing = re.compile(rf"<{tag}\b"), f"</{tag}>"
    depth, position = 0, start
    while True:
        next_open = opening.search(text, position)
        next_close = text.find(closing, position)
        if next_close < 0:
            return -1
        if next_open is not None and next_open.start() < next_close:
            depth += 1
            position = next_open.end()
            continue
        depth -= 1
        position = next_close + len(closing)
        if depth == 0:
            return position


def without_elements(text: str, opening: re.Pattern[str], tag: str) -> str:
    """`text` without every `tag` element whose opening tag matches `opening` (and its content)."""
    out, position = [], 0
    for match in opening.finditer(text):
        if match.start() < position:
            continue  # inside one already removed
        end = element_end(text, match.start(), tag)
        if end < 0:
            break
        out.append(text[position : match.start()])
        position = end
    out.append(text[position:])
    return "".join(out)

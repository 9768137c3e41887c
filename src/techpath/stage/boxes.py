"""Math boxes (`??? math "Title"` / `???+ math`) as md_in_html `<details>` blocks.

pymdownx.details gives a box no id, and Python-Markdown does not recognise raw HTML (our output
panels) inside an indented container. Writing each box as `<details markdown="1">` with its
body dedented fixes both: the box carries the id the math index links to, and everything inside
it is top-level Markdown again, so outputs, figures and display math stay inside the box.
"""

from __future__ import annotations

import re

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
        body_indent = indent + "    "
        j = i + 1
        body: list[str] = []
        while j < len(lines) and (lines[j].startswith(body_indent) or not lines[j].strip()):
            body.append(lines[j][len(body_indent) :] if lines[j].strip() else "")
            j += 1
        while body and not body[-1]:
            body.pop()
            j -= 1
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

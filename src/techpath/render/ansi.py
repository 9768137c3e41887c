"""Terminal colours (ANSI SGR codes) as HTML, for markdown-exec's `result="ansi"`: a code block
whose runs of text carry classes for the 16 terminal colours, bold, faint, italic and underline
(techpath.css colours them in light and dark schemes). Any other escape sequence is dropped."""

from __future__ import annotations

import html
import re

_ESCAPE = re.compile(r"\x1b\[([0-9;]*)([A-Za-z])|\x1b[@-_]")
COLOURS = ("black", "red", "green", "yellow", "blue", "magenta", "cyan", "white")


def ansi_html(text: str) -> str:
    """`text` as a highlighted-code-like block with its colours as classes."""
    out: list[str] = []
    state: dict[str, str] = {}
    at = 0
    for match in _ESCAPE.finditer(text):
        out.append(_run(text[at : match.start()], state))
        at = match.end()
        if match[2] == "m":
            _apply(match[1], state)
    out.append(_run(text[at:], state))
    return f'<div class="highlight techpath-ansi"><pre><code>{"".join(out).rstrip()}</code></pre></div>'


def _run(text: str, state: dict[str, str]) -> str:
    if not text:
        return ""
    escaped = html.escape(text, quote=False)
    if not state:
        return escaped
    classes = " ".join(f"techpath-ansi-{value}" for _key, value in sorted(state.items()))
    return f'<span class="{classes}">{escaped}</span>'


def _apply(codes: str, state: dict[str, str]) -> None:
    numbers = [int(c) for c in codes.split(";") if c.isdigit()] or [0]
    i = 0
    while i < len(numbers):
        code = numbers[i]
        if code in (38, 48):  # 256-colour and true-colour forms: not kept, their arguments skipped
            i += 3 if i + 1 < len(numbers) and numbers[i + 1] == 5 else 5
            continue
        if code == 0:
            state.clear()
        elif code in (1, 2):
            state["weight"] = "bold" if code == 1 else "faint"
        elif code == 22:
            state.pop("weight", None)
        elif code in (3, 4):
            state["italic" if code == 3 else "underline"] = "italic" if code == 3 else "underline"
        elif code in (23, 24):
            state.pop("italic" if code == 23 else "underline", None)
        elif 30 <= code <= 37 or 90 <= code <= 97:
            state["fg"] = ("bright-" if code >= 90 else "") + COLOURS[code % 10] + "-fg"
        elif 40 <= code <= 47 or 100 <= code <= 107:
            state["bg"] = ("bright-" if code >= 100 else "") + COLOURS[code % 10] + "-bg"
        elif code == 39:
            state.pop("fg", None)
        elif code == 49:
            state.pop("bg", None)
        i += 1

"""Typeset the math of a page's Markdown with KaTeX before any generator sees it.

The formulas arithmatex would find (`$..$`, `\\(..\\)`, `$$..$$`, `\\[..\\]`, outside code) are
replaced by KaTeX's HTML, so the staged page needs no math extension and no math script. The
HTML is made inert for Markdown: every Markdown-special character in its text is written as a
character reference, so emphasis, emoji or attribute-list rules cannot touch it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from techpath.parse.fences import CODE_SPAN, find_fences

_DISPLAY = re.compile(r"\$\$(?P<a>.+?)\$\$|\\\[(?P<b>.+?)\\\]", re.S)
# Inline math may run over a line break, as arithmatex allows (not over a blank line).
_INLINE = re.compile(
    r"(?<![\\$])\$(?![\s$])(?P<a>(?:\\.|[^\\$\n]|\n(?![ \t]*\n))+?)(?<![\s\\])\$(?!\d)"
    r"|\\\((?P<b>(?:[^\n]|\n(?![ \t]*\n))+?)\\\)"
)
_TEXT = re.compile(r">([^<]+)<")
_SPECIAL = set("\\`*_{}[]()!$:|~^=+")

Typeset = Callable[[str, bool], "tuple[str | None, str | None]"]


@dataclass(frozen=True)
class TexProblem:
    """A formula KaTeX could not typeset, with the 1-based line of the staged Markdown."""

    line: int
    tex: str
    message: str


def inert(fragment: str) -> str:
    """HTML whose text Markdown leaves alone (tags untouched: Markdown stores them as they are)."""

    def encode(match: re.Match[str]) -> str:
        return ">" + "".join(f"&#{ord(c)};" if c in _SPECIAL else c for c in match[1]) + "<"

    return _TEXT.sub(encode, fragment)


def typeset_markdown(markdown: str, typeset: Typeset) -> tuple[str, list[TexProblem]]:
    """Replace the math in `markdown` (outside fenced code and code spans) with KaTeX HTML."""
    lines = markdown.split("\n")
    code = [False] * len(lines)
    for fence in find_fences(markdown):
        for n in range(fence.start, fence.end + 1):
            code[n] = True
    problems: list[TexProblem] = []
    out: list[str] = []
    i = 0
    while i < len(lines):
        if code[i]:
            out.append(lines[i])
            i += 1
            continue
        j = i
        while j < len(lines) and not code[j]:
            j += 1
        out.append(_prose("\n".join(lines[i:j]), i, typeset, problems))
        i = j
    return "\n".join(out), problems


def _prose(text: str, first_line: int, typeset: Typeset, problems: list[TexProblem]) -> str:
    kept: list[str] = []

    def keep(match: re.Match[str]) -> str:
        kept.append(match[0])
        return f"\x00{len(kept) - 1}\x00"

    text = CODE_SPAN.sub(keep, text)

    def render(tex: str, display: bool, at: int) -> str | None:
        html, error = typeset(tex.strip(), display)
        if error is not None or html is None:
            line = first_line + text.count("\n", 0, at) + 1
            problems.append(TexProblem(line, tex.strip(), error or "no output"))
            return None
        return inert(html)

    def display(match: re.Match[str]) -> str:
        html = render(match["a"] if match["a"] is not None else match["b"], True, match.start())
        if html is None:
            return f'<code class="techpath-math-error">{_escape(match[0])}</code>'
        start = text.rfind("\n", 0, match.start()) + 1
        before = text[start : match.start()]
        indent = before if not before.strip() else ""
        return f'\n\n{indent}<div class="techpath-math">{html}</div>\n\n{indent}'

    def inline(match: re.Match[str]) -> str:
        html = render(match["a"] if match["a"] is not None else match["b"], False, match.start())
        if html is None:
            return f'<code class="techpath-math-error">{_escape(match[0])}</code>'
        # Inline math is one line of HTML that never starts a line: Python-Markdown ends the
        # paragraph at a line that starts with a comment (the kept marker) or a block tag
        # (KaTeX's `<math>` follows a newline), which broke `$z = wx + b$` at a line's start
        # into pieces and lost its symbols. An empty span there reads as nothing.
        html = html.replace("\n", " ")
        line_start = text.rfind("\n", 0, match.start()) + 1
        return ("<span></span>" if not text[line_start : match.start()].strip() else "") + html

    text = _DISPLAY.sub(display, text)
    text = _INLINE.sub(inline, text)
    return re.sub(r"\x00(\d+)\x00", lambda m: kept[int(m[1])], text)


def _escape(text: str) -> str:
    return inert(">" + text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") + "<")[1:-1]

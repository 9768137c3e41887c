"""Put the executed inline values into a page's Markdown before it is rendered.

Values are escaped for where they land: in prose (and lists, tables, admonitions, headings) every
ASCII character Markdown or HTML could read as syntax becomes a character reference; inside
`$...$` or `$$...$$` TeX specials are backslash-escaped instead. A value that did not run (a
failed page, a build without execution) shows its expression as code, never a stale number.
"""

from __future__ import annotations

import dataclasses
import re

from techpath.model import InlineResult, PageResult
from techpath.parse.inline import check_source, find_spans, masked, parse_claim
from techpath.render.notebooks import Cell
from techpath.safety.text import visible_bidi

_SAFE = re.compile(r"[A-Za-z0-9 .,%\u00a0-\U0010ffff]")
_MATH = re.compile(r"\$\$.+?\$\$|(?<![\\$])\$(?![\s$]).*?(?<![\s\\])\$", re.S)
_TEX = {
    "\\": r"\backslash{}",
    "{": r"\{",
    "}": r"\}",
    "%": r"\%",
    "#": r"\#",
    "&": r"\&",
    "_": r"\_",
    "$": r"\$",
    "^": r"\^{}",
    "~": r"\~{}",
}


def escape_markdown(text: str) -> str:
    return "".join(c if _SAFE.fullmatch(c) else f"&#{ord(c)};" for c in text)


def escape_tex(text: str) -> str:
    return "".join(_TEX.get(c, c) for c in text)


class InlineFiller:
    """Replaces a page's spans in order; one filler per page, fed the page's texts in order
    (the whole Markdown body, or a notebook's markdown cells one by one)."""

    def __init__(self, result: PageResult | None, style: str = "markdown") -> None:
        self._values: list[InlineResult] = list(result.inline) if result is not None else []
        self._next = 0
        self._style = style  # "markdown" (pages, notebook cells) or "plain" (script comments)

    def fill(self, text: str) -> str:
        self.notes: list[str] = []  # plain style: "value = expression" of each span filled
        spans = find_spans(text)
        if not spans:
            return text
        math = [(m.start(), m.end()) for m in _MATH.finditer(masked(text))]
        out: list[str] = []
        cursor = 0
        for span in spans:
            out.append(text[cursor : span.start])
            cursor = span.end
            in_math = any(a < span.start and span.end < b for a, b in math)
            out.append(self._shown(span.kind, span.source, in_math))
        out.append(text[cursor:])
        return "".join(out)

    def _shown(self, kind: str, source: str, in_math: bool) -> str:
        if check_source(kind, source) is not None:  # reported at parse time; never evaluated
            return self._code(source, in_math)
        value = self._values[self._next] if self._next < len(self._values) else None
        self._next += 1
        if value is not None and value.status == "ok":
            text = visible_bidi(value.text)  # computed text: a bidi override is shown, not obeyed
        elif kind == "claim":
            text = parse_claim(source).literal  # the prose's own literal, checked or not
        else:
            return self._code(source, in_math)
        if self._style == "plain":
            self.notes.append(f"{text} = {parse_claim(source).expression if kind == 'claim' else source}")
            return text
        return escape_tex(text) if in_math else escape_markdown(text)

    def _code(self, source: str, in_math: bool) -> str:
        if in_math:
            return r"\text{" + escape_tex(source) + "}"
        if self._style == "plain":
            return f"[{source}]"
        ticks = "``" if "`" in source else "`"
        return f"{ticks} {source} {ticks}"


def fill_cells(cells: list[Cell], result: PageResult | None, style: str) -> list[Cell]:
    """The cells of a download with the values in their markdown: "markdown" for the notebook,
    "plain" for the script, whose prose also notes where each number came from."""
    filler = InlineFiller(result, style)
    filled = []
    for cell in cells:
        if cell.kind == "markdown":
            source = filler.fill(cell.source)
            if style == "plain" and filler.notes:
                source = source.rstrip("\n") + "\n\n(" + "; ".join(filler.notes) + ")"
            cell = dataclasses.replace(cell, source=source)
        filled.append(cell)
    return filled


def fill_inline(markdown: str, result: PageResult | None) -> str:
    """The page's Markdown with every inline value and claim replaced by its escaped text."""
    return InlineFiller(result).fill(markdown)

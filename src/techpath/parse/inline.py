"""Find inline values and claims in a page's prose.

An inline value is a one-backtick code span starting with `{python}`: `` `{python} expr` `` or,
with a format spec as in an f-string, `` `{python} test_accuracy:.2f` `` (Quarto's form
`` `{python} f"{test_accuracy:.2f}"` `` works too). A claim states a literal the prose keeps and
checks it against an expression: `` `{claim} 0.97 ~ test_accuracy` `` (the value rounds to the
literal's last digit), `` `{claim} 0.97 ~ test_accuracy +- 0.01` `` (within a tolerance, or
`+- 2%` relative), `` `{claim} 37 = correct` `` (exactly); `≈` and `±` may be typed instead.

Spans inside fenced blocks of any language and inside multi-backtick code spans are text, so a
page can show the syntax with ``` `` `{python} x` `` ```.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from techpath.model import CodeBlock, InlineExpr, Problem
from techpath.parse.fences import find_fences

SPAN_KINDS = {"{python}": "value", "{claim}": "claim"}  # how a span starts -> its kind
_RUN = re.compile(r"`+")
_NUMBER = r"[-+]?(?:\d{1,3}(?:,\d{3})+|\d+)?(?:\.\d+)?(?:[eE][-+]?\d+)?%?"
_CLAIM = re.compile(rf"^\s*(?P<literal>{_NUMBER})\s*(?P<op>≈|~=|~|==|=)\s*(?P<rest>.+?)\s*$", re.S)
_TOLERANCE = re.compile(rf"^(?P<expr>.+?)\s*(?:±|\+-|\+/-)\s*(?P<tol>{_NUMBER})\s*$", re.S)


@dataclass(frozen=True)
class Span:
    """One inline value or claim in a text: where it is and what it says."""

    start: int  # offset of the opening backtick
    end: int  # offset just past the closing backtick
    line: int  # 1-based line of the opening backtick in the text
    kind: str  # "value" or "claim"
    source: str  # the text after the marker


@dataclass(frozen=True)
class Claim:
    literal: str  # as written; what the prose shows
    number: float  # the literal's value (97% -> 0.97)
    exact: bool  # `=`: the value must equal the literal
    expression: str
    tolerance: float  # absolute


def masked(text: str) -> str:
    """`text` with front matter and fenced blocks blanked out (same offsets and lines)."""
    lines = text.split("\n")
    hidden: set[int] = set()
    if lines and lines[0].strip() == "---":
        for i in range(1, len(lines)):
            if lines[i].strip() in ("---", "..."):
                hidden.update(range(0, i + 1))
                break
    for fence in find_fences(text):
        hidden.update(range(fence.start, fence.end + 1))
    return "\n".join(" " * len(line) if i in hidden else line for i, line in enumerate(lines))


def find_spans(text: str) -> list[Span]:
    """Every inline value and claim of `text`, in order (CommonMark code-span rules)."""
    plain = masked(text)
    spans: list[Span] = []
    at = 0
    while (opening := _RUN.search(plain, at)) is not None:
        run = opening.group(0)
        backslashes = len(plain[: opening.start()]) - len(plain[: opening.start()].rstrip("\\"))
        if backslashes % 2:  # \` is a literal backtick
            at = opening.start() + 1
            continue
        closing = _RUN.search(plain, opening.end())
        while closing is not None and closing.group(0) != run:
            closing = _RUN.search(plain, closing.end())
        if closing is None:
            at = opening.end()
            continue
        content = plain[opening.end() : closing.start()]
        marker = next((m for m in SPAN_KINDS if content.startswith(m)), None)
        after = content[len(marker) :] if marker is not None else ""
        if len(run) == 1 and after[:1].isspace() and after.strip() and "\n\n" not in content:
            source = " ".join(after.split())
            line = plain.count("\n", 0, opening.start()) + 1
            spans.append(Span(opening.start(), closing.end(), line, SPAN_KINDS[marker], source))
        at = closing.end()
    return spans


def split_format(source: str) -> tuple[str, str, str]:
    """(expression, conversion, format spec) of a value: `x:.2f` -> ("x", "", ".2f"),
    `name!r` -> ("name", "r", ""). Raises SyntaxError when no prefix is an expression."""
    if _parses(source):
        return source, "", ""
    for i, char in enumerate(source):
        if char not in ":!" or not _parses(source[:i]):
            continue
        rest = source[i:]
        conversion = ""
        if rest.startswith("!"):
            if len(rest) < 2 or rest[1] not in "rsa" or (len(rest) > 2 and rest[2] != ":"):
                continue
            conversion, rest = rest[1], rest[2:]
        return source[:i].strip(), conversion, rest[1:] if rest.startswith(":") else rest
    ast.parse(source, mode="eval")  # raises the SyntaxError that names the problem
    raise SyntaxError("not an expression")  # pragma: no cover - the line above raises


def _parses(source: str) -> bool:
    try:
        ast.parse(source.strip() or "(", mode="eval")
    except SyntaxError:
        return False
    return True


def parse_claim(source: str) -> Claim:
    """Read `LITERAL OP EXPRESSION [± TOLERANCE]`; ValueError names what was expected."""
    found = _CLAIM.match(source)
    if not found or not re.search(r"\d", found["literal"]):
        raise ValueError(
            "a claim reads `{claim} LITERAL ~ EXPRESSION` (rounds to the literal), "
            "`{claim} LITERAL ~ EXPRESSION +- TOLERANCE` or `{claim} LITERAL = EXPRESSION`, "
            f"with a number as LITERAL; got {source!r}"
        )
    literal, rest = found["literal"], found["rest"]
    number = _number(literal)
    exact = found["op"] in ("=", "==")
    expression, tolerance = rest, _rounding(literal)
    with_tolerance = _TOLERANCE.match(rest)
    if with_tolerance and _parses(with_tolerance["expr"]):
        if exact:
            raise ValueError(f"an exact claim (=) takes no tolerance; use ~ instead: {source!r}")
        expression = with_tolerance["expr"]
        written = with_tolerance["tol"]
        tolerance = abs(number) * _number(written) if written.endswith("%") else _number(written)
    if not _parses(expression):
        ast.parse(expression, mode="eval")
    return Claim(literal, number, exact, expression.strip(), 0.0 if exact else tolerance)


def _number(text: str) -> float:
    value = float(text.rstrip("%").replace(",", ""))
    return value / 100 if text.endswith("%") else value


def _rounding(literal: str) -> float:
    """Half a unit of the literal's last written digit: 0.97 -> 0.005, 37 -> 0.5, 97% -> 0.005."""
    digits = literal.rstrip("%").replace(",", "").lower().split("e")[0]
    decimals = len(digits.split(".")[1]) if "." in digits else 0
    exponent = int(literal.lower().rstrip("%").split("e")[1]) if "e" in literal.lower() else 0
    half = 0.5 * 10.0 ** (exponent - decimals)
    return half / 100 if literal.endswith("%") else half


def check_source(kind: str, source: str) -> str | None:
    """What is wrong with a span's text before anything runs (None when it is well formed)."""
    try:
        if kind == "claim":
            parse_claim(source)
        else:
            split_format(source)
    except ValueError as exc:
        return str(exc)
    except SyntaxError as exc:
        return f"inline {kind} is not a Python expression ({exc.msg}): {source!r}"
    return None


def inline_exprs(
    text: str,
    blocks: list[CodeBlock],
    shown: str,
    problems: list[Problem],
    cell: int | None = None,
    first_index: int = 0,
    after: int | None = None,
) -> list[InlineExpr]:
    """The inline expressions of a Markdown text (or one notebook cell, with `cell` and the
    index of the block above it as `after`); problems with their text are appended."""
    found: list[InlineExpr] = []
    for span in find_spans(text):
        where = span.line
        if after is None:
            above = [b.index for b in blocks if b.line <= where]
            position = above[-1] if above else -1
        else:
            position = after
        wrong = check_source(span.kind, span.source)
        if wrong is not None:
            problems.append(Problem(f"{shown}:cell {cell}" if cell else shown, where, wrong))
            continue
        index = first_index + len(found)
        found.append(InlineExpr(index, span.kind, span.source, where, position, cell))  # type: ignore[arg-type]
    return found

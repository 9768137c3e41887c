"""Evaluate an inline value or claim in the page's namespace (called by Session.run_inline)."""

from __future__ import annotations

import ast
import math
import numbers
from typing import Any

from techpath.model import BlockError, InlineExpr, InlineResult
from techpath.parse.inline import parse_claim, split_format

MAX_INLINE_CHARS = 200  # a value longer than this is not prose; the error says so


def _compile(expression: str, filename: str, line: int) -> Any:
    tree = ast.parse(expression.strip(), filename=filename, mode="eval")
    ast.increment_lineno(tree, line - 1)
    return compile(tree, filename, "eval")


def evaluate(expr: InlineExpr, namespace: dict[str, Any], filename: str, location: str) -> InlineResult:
    """The value (formatted) or the claim's verdict. Exceptions propagate to the caller, which
    turns them into an error located at the span."""
    line = expr.line
    if expr.kind == "value":
        expression, conversion, spec = split_format(expr.source)
        value = eval(_compile(expression, filename, line), namespace)
        shown = {"r": repr, "s": str, "a": ascii}.get(conversion, lambda v: v)(value)
        text = format(shown, spec)
        if "\n" in text or len(text) > MAX_INLINE_CHARS:
            raise ValueError(
                f"the value of {expression} is {len(text)} characters or spans lines; an inline value "
                f"must be short prose (at most {MAX_INLINE_CHARS} characters on one line)"
            )
        return InlineResult(expr.index, "ok", text=text, value=_short_repr(value))
    claim = parse_claim(expr.source)
    value = eval(_compile(claim.expression, filename, line), namespace)
    result = InlineResult(expr.index, "ok", text=claim.literal, value=_short_repr(value))
    if not _holds(claim.number, claim.exact, claim.tolerance, value):
        off = f"{abs(float(value) - claim.number):.6g}" if _is_number(value) else "n/a"
        how = "exactly" if claim.exact else f"within {claim.tolerance:.6g}"
        result.status = "error"
        result.error = BlockError(
            "ClaimFailed",
            f"the prose says {claim.literal} but {claim.expression} is {_short_repr(value)} "
            f"(expected {claim.number:.6g} {how}; off by {off})",
            line,
            location,
        )
    return result


def _is_number(value: Any) -> bool:
    return (isinstance(value, numbers.Real) and not isinstance(value, bool)) or hasattr(value, "__float__")


def _holds(number: float, exact: bool, tolerance: float, value: Any) -> bool:
    try:
        actual = float(value)
    except (TypeError, ValueError):
        return False
    if math.isnan(actual):
        return False
    return actual == number if exact else abs(actual - number) <= tolerance * (1 + 1e-9)


def _short_repr(value: Any) -> str:
    # A NumPy scalar reads as the number it holds (0.97, not np.float64(0.97)):
    # readers and reviewers compare numbers, not types.
    if getattr(value, "shape", None) == () and hasattr(value, "item"):
        try:
            value = value.item()
        except (TypeError, ValueError):
            pass
    text = repr(value)
    return text if len(text) <= MAX_INLINE_CHARS else text[: MAX_INLINE_CHARS - 3] + "..."

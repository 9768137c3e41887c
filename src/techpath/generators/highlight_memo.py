"""A memo of highlighted code blocks for the build process.

Material's blog renders every post again for each view that shows its excerpt (the blog index,
its archive and category pages), so each code block went through Pygments about four times per
build, and again on every `mkdocs serve` rebuild. pymdownx.highlight calls Pygments'
`highlight(code, lexer, formatter)` once per block; the memo wraps that one function and keys
each answer on the code, the lexer's class and options and the formatter's class and options
(line numbers, highlighted lines, anchors, title, style...). Anything else in an answer would
need another input, so the same key always gives the same HTML. A lexer with filters, or an
option whose value cannot be compared, is passed through unmemoised.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any

from techpath.memo import BoundedMemo

MAX_ENTRIES = 4096  # ~300 distinct blocks on our site; the least recently used go first past this
_MARK = "_techpath_memo"


class HighlightMemo(BoundedMemo[str]):
    def __init__(self, highlight: Callable[..., Any], max_entries: int = MAX_ENTRIES) -> None:
        super().__init__(max_entries)
        self.highlight = highlight

    def __call__(self, code: str, lexer: Any, formatter: Any, outfile: Any = None) -> Any:
        key = None if outfile is not None else _key(code, lexer, formatter)
        if key is None:
            return self.highlight(code, lexer, formatter, outfile)
        return self.answer(key, lambda: self.highlight(code, lexer, formatter))


def install() -> HighlightMemo | None:
    """Put the memo in front of pymdownx.highlight's Pygments call (once per process); the
    memo, or None when pymdownx or Pygments is not installed."""
    try:
        from pymdownx import highlight as module
    except ImportError:
        return None
    current = getattr(module, "highlight", None)
    if current is None:  # pymdownx without Pygments: nothing to memoise
        return None
    if getattr(current, _MARK, False):
        return current
    memo = HighlightMemo(current)
    setattr(memo, _MARK, True)
    module.highlight = memo
    return memo


def _key(code: str, lexer: Any, formatter: Any) -> tuple[Hashable, ...] | None:
    if getattr(lexer, "filters", None):
        return None
    try:
        return (
            code,
            _kind(lexer),
            _frozen(getattr(lexer, "options", None)),
            _kind(formatter),
            _frozen(getattr(formatter, "options", None)),
        )
    except TypeError:
        return None


def _kind(obj: Any) -> str:
    cls = type(obj)
    return f"{cls.__module__}.{cls.__qualname__}"


def _frozen(value: Any) -> Hashable:
    """A comparable copy of an options value; TypeError for anything else (not memoised)."""
    if value is None or isinstance(value, (str, int, float, bool)):
        return (type(value).__name__, value)
    if isinstance(value, (list, tuple)):
        return ("seq", tuple(_frozen(v) for v in value))
    if isinstance(value, (set, frozenset)):
        return ("set", tuple(sorted((_frozen(v) for v in value), key=repr)))
    if isinstance(value, dict):
        return ("map", tuple(sorted(((str(k), _frozen(v)) for k, v in value.items()), key=repr)))
    if isinstance(value, type):  # a Pygments style class
        return ("class", f"{value.__module__}.{value.__qualname__}")
    raise TypeError(f"not memoised: {type(value).__name__}")

"""CSS that stays in its box: declarations that cannot fetch, cover the page or run anything, and
style sheets whose every selector is scoped to one container.

Conservative on purpose: a declaration is dropped when it holds anything this module does not
read with confidence (a backslash escape, `<`, an at-sign, a URL), so a trick that hides `url(`
behind an escape is dropped rather than decoded.
"""

from __future__ import annotations

import re
from collections.abc import Callable

_COMMENT = re.compile(r"/\*.*?(\*/|$)", re.S)
_PROPERTY = re.compile(r"^(--[A-Za-z0-9_-]+|-?[a-z][a-z0-9-]*)$")
_FORBIDDEN_VALUE = (
    "expression(",
    "javascript:",
    "vbscript:",
    "-moz-binding",
    "image(",
    "image-set(",
    "element(",
)
_FORBIDDEN_PROPERTY = {"behavior", "-moz-binding", "binding"}
_LOCAL_URL = re.compile(r"""url\(\s*(["']?)#[A-Za-z0-9_.:-]+\1\s*\)""", re.I)
_ID_IN_SELECTOR = re.compile(r"#(-?[A-Za-z_][\w-]*)")
_PAGE_LEVEL = re.compile(r"^(:root|html|body)(?=$|[\s.#\[:>+~])", re.I)
_KEEP_AT_RULES = ("@media", "@supports")


def declaration_problem(name: str, value: str, allow_local_refs: bool = False) -> str | None:
    """Why `name: value` may not stay, or None. `allow_local_refs` admits `url(#id)` (SVG clips)."""
    prop = name.strip().lower()
    text = value.strip().lower()
    if not _PROPERTY.match(prop) or prop in _FORBIDDEN_PROPERTY:
        return f"property {name.strip()!r} is not allowed"
    if "\\" in text or "<" in text or "@" in text:
        return f"{prop}: escapes, '<' and '@' are not allowed in CSS values"
    if allow_local_refs:
        text = _LOCAL_URL.sub("", text)
    if "url(" in text or any(word in text for word in _FORBIDDEN_VALUE):
        return f"{prop}: CSS may not load anything (url(), image()) or run code"
    if prop == "position" and ("fixed" in text or "sticky" in text):
        return "position: fixed/sticky would let it cover the page"
    return None


def split_top(text: str, separator: str) -> list[str]:
    """Split on `separator` outside strings, parentheses and brackets."""
    parts, depth, quote, current = [], 0, "", []
    for char in text:
        if quote:
            quote = "" if char == quote else quote
        elif char in "\"'":
            quote = char
        elif char in "([":
            depth += 1
        elif char in ")]":
            depth = max(0, depth - 1)
        elif char == separator and depth == 0:
            parts.append("".join(current))
            current = []
            continue
        current.append(char)
    parts.append("".join(current))
    return parts


def clean_declarations(
    text: str,
    allow_local_refs: bool = False,
    extra_check: Callable[[str, str], str | None] | None = None,
) -> tuple[str, list[str]]:
    """A style attribute's value with the unsafe declarations removed, and why each went.
    `extra_check(name, value)` adds the rules of one place (prose: safety/policy.py)."""
    kept, dropped = [], []
    for part in split_top(_COMMENT.sub(" ", text), ";"):
        if not part.strip():
            continue
        name, colon, value = part.partition(":")
        problem = (
            "not a declaration (name: value)"
            if not colon
            else declaration_problem(name, value, allow_local_refs)
        )
        if problem is None and extra_check is not None:
            problem = extra_check(name, value)
        if problem:
            dropped.append(problem)
        else:
            kept.append(f"{name.strip()}: {value.strip()}")
    return "; ".join(kept), dropped


def scope_stylesheet(
    css: str, scope: str, rename_id: Callable[[str], str], allow_local_refs: bool = False
) -> str:
    """Every rule of `css` limited to elements inside `scope` (a selector such as `#o1-box`).

    `:root`, `html` and `body` at the start of a selector become the scope itself; `#id` becomes
    `#` + rename_id(id) so it matches the renamed ids of the output's HTML. @media and @supports
    blocks are kept (their rules scoped); other at-rules (@import, @font-face, ...) are dropped.
    """
    return "".join(_rules(_COMMENT.sub(" ", css), scope, rename_id, allow_local_refs))


def _rules(css: str, scope: str, rename_id: Callable[[str], str], local: bool) -> list[str]:
    out: list[str] = []
    for prelude, body in _blocks(css):
        head = prelude.strip()
        if "<" in head or "\\" in head:
            continue
        if head.startswith("@"):
            if head.lower().startswith(_KEEP_AT_RULES) and "url(" not in head.lower():
                inner = _rules(body, scope, rename_id, local)
                if inner:
                    out.append(f"{head}{{{''.join(inner)}}}")
            continue
        selectors = [_scoped(s, scope, rename_id) for s in split_top(head, ",") if s.strip()]
        declarations, _ = clean_declarations(body, local)
        if selectors and declarations:
            out.append(f"{', '.join(selectors)}{{{declarations}}}")
    return out


def _scoped(selector: str, scope: str, rename_id: Callable[[str], str]) -> str:
    text = _ID_IN_SELECTOR.sub(lambda m: "#" + rename_id(m.group(1)), selector.strip())
    page_level = _PAGE_LEVEL.match(text)
    while page_level:  # html body .x -> scope .x
        text = text[page_level.end() :].lstrip()
        page_level = _PAGE_LEVEL.match(text)
    if not text:
        return scope
    if text[0] in "[:.#" and not text.startswith("::"):
        return f"{scope} {text}" if not text.startswith(("[", ":")) else f"{scope}{text}"
    return f"{scope} {text}"


def _blocks(css: str) -> list[tuple[str, str]]:
    """Top-level `prelude { body }` pairs; statements ending in `;` (@import, @charset) vanish."""
    blocks: list[tuple[str, str]] = []
    depth, quote, start, open_at = 0, "", 0, -1
    for i, char in enumerate(css):
        if quote:
            quote = "" if char == quote else quote
        elif char in "\"'":
            quote = char
        elif char == "{":
            if depth == 0:
                open_at = i
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                blocks.append((css[start:open_at], css[open_at + 1 : i]))
                start = i + 1
            depth = max(depth, 0)
        elif char == ";" and depth == 0:
            start = i + 1  # a statement at-rule such as @import: dropped
    return blocks

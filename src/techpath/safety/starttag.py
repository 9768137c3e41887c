"""A start tag's attributes as a browser reads them (the HTML tokenizer's attribute states).

html.parser is lenient where browsers are exact: it accepts `=+` between a name and its value
and any Unicode space between attributes, so `<p title==" style=position:fixed ">` is one
`title` to it and a `title` plus a `style` to a browser. The policy writes tags again from what
html.parser read (so the page holds only what was checked), and compares that with this reading
to tell the author when the two differ: what they wrote is not what the browser would show.
"""

from __future__ import annotations

import html

_SPACE = "\t\n\f\r "  # ASCII whitespace: the only characters that separate attributes


def browser_attributes(raw: str) -> list[tuple[str, str]]:
    """The attributes of start tag `raw` (`<name ...>`), names lowercased, values decoded, the
    first of two with one name kept (as browsers do)."""
    end = len(raw) - 1 if raw.endswith(">") else len(raw)
    i = 1
    while i < end and raw[i] not in _SPACE + "/>":
        i += 1  # the tag name
    found: list[tuple[str, str]] = []
    while i < end:
        while i < end and raw[i] in _SPACE + "/":
            i += 1
        if i >= end:
            break
        start = i
        i += 1  # a name may start with "=" (the tokenizer's "unexpected equals sign")
        while i < end and raw[i] not in _SPACE + "/=>":
            i += 1
        name, value = raw[start:i].lower(), ""
        while i < end and raw[i] in _SPACE:
            i += 1
        if i < end and raw[i] == "=":
            i += 1
            while i < end and raw[i] in _SPACE:
                i += 1
            if i < end and raw[i] in "\"'":
                close = raw.find(raw[i], i + 1)
                close = end if close < 0 or close > end else close
                value, i = raw[i + 1 : close], close + 1
            else:
                begin = i
                while i < end and raw[i] not in _SPACE:
                    i += 1
                value = raw[begin:i]
        if name not in {n for n, _ in found}:
            found.append((name, html.unescape(value)))
    return found


def read_differently(raw: str, parsed: list[tuple[str, str | None]]) -> bool:
    """Whether a browser reads other attributes from `raw` than html.parser did (`parsed`)."""
    seen: dict[str, str] = {}
    for name, value in parsed:
        seen.setdefault(name, value or "")
    return browser_attributes(raw) != list(seen.items())

"""Check a post's prose against the HTML policy and say where each violation is in the source.

The Markdown is converted with the extensions a Material site uses (snippets excepted: lint
reads only the post), the policy runs on that HTML, and each violation is traced back to the
first source line, from where the last one was found, that holds its evidence (`<svg`, `onload=`,
the decoded URL). Code fences and inline code are masked first: HTML shown as code is text.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

import markdown

from techpath.parse.fences import find_fences, shown_as_code
from techpath.safety.policy import Violation, check_html

EXTENSIONS = [
    "abbr",
    "admonition",
    "attr_list",
    "md_in_html",
    "footnotes",
    "tables",
    "toc",
    "pymdownx.details",
    "pymdownx.superfences",
    "pymdownx.tabbed",
    "pymdownx.inlinehilite",
    "pymdownx.arithmatex",
]
EXTENSION_CONFIGS = {"pymdownx.arithmatex": {"generic": True}, "pymdownx.tabbed": {"alternate_style": True}}
_INLINE_CODE = re.compile(r"(`+)(?!`).*?(?<!`)\1(?!`)")


@dataclass(frozen=True)
class Finding:
    line: int  # 1-based, in the text given to `check_prose` shifted by its `first_line`
    message: str


def render(text: str) -> str:
    """`text` (Markdown without front matter) as the HTML the page will hold."""
    converter = markdown.Markdown(extensions=EXTENSIONS, extension_configs=EXTENSION_CONFIGS)
    return converter.convert(shown_as_code(text))  # options of ours would make superfences refuse


def check_prose(text: str, first_line: int = 1) -> list[Finding]:
    """Every policy violation in the rendered `text`, each at its source line."""
    violations = check_html(render(text))
    if not violations:
        return []
    return locate(violations, text, first_line)


def locate(violations: list[Violation], text: str, first_line: int = 1) -> list[Finding]:
    lines = _searchable_lines(text)
    cursor = 0
    used: dict[str, set[int]] = {}  # a line already blamed for a needle is tried last for it
    findings = []
    for violation in violations:
        found = _find(lines, violation.evidence, cursor, used)
        if found is None:
            index = cursor
        else:
            index, needle = found
            used.setdefault(needle, set()).add(index)
            cursor = index
        findings.append(Finding(first_line + index, violation.message))
    return findings


def _find(
    lines: list[str], evidence: tuple[str, ...], cursor: int, used: dict[str, set[int]]
) -> tuple[int, str] | None:
    """The first line from the cursor on (then from the top, lines not yet blamed first) that
    holds a strong needle; failing that, one that holds a weak needle."""
    split = evidence.index("") if "" in evidence else len(evidence)
    order = [*range(cursor, len(lines)), *range(0, cursor)]
    for needles in (evidence[:split], evidence[split + 1 :]):
        for fresh_only in (True, False):
            for index in order:
                for needle in needles:
                    if needle in lines[index] and not (fresh_only and index in used.get(needle, set())):
                        return index, needle
    return None


def _searchable_lines(text: str) -> list[str]:
    """Source lines, decoded the way a browser reads them, with code masked out."""
    lines = text.split("\n")
    for fence in find_fences(text):
        for i in range(fence.start, min(fence.end + 1, len(lines))):
            lines[i] = ""
    out = []
    for line in lines:
        prose = _INLINE_CODE.sub(lambda m: " " * len(m.group(0)), line)
        out.append(html.unescape(prose).replace("\t", "").lower())
    return out

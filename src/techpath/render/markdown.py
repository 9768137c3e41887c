"""Rewrite a page's Markdown for rendering: our block options disappear, hidden blocks go, and a
placeholder paragraph after each block marks where its output goes into the HTML."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable

from techpath.model import BlockOptions, CodeBlock, PageResult
from techpath.parse.fences import Fence, find_fences


class OutputSlots:
    """Placeholders `TECHPATH<nonce>P<page>B<block>X` put into Markdown, swapped for HTML later.

    The page number is part of the token because a page's Markdown may be rendered inside
    another page too (blog excerpts on the index), and the token must still find its output.
    """

    def __init__(self) -> None:
        self.nonce = secrets.token_hex(4).upper()
        self._pattern = re.compile(rf"(?:<p>)?TECHPATH{self.nonce}P(\d+)B(\d+)X(?:</p>)?")
        self._pages: list[str] = []

    def for_page(self, page: str) -> PageSlots:
        if page not in self._pages:
            self._pages.append(page)
        return PageSlots(self, self._pages.index(page))

    def token(self, page_number: int, index: int) -> str:
        return f"TECHPATH{self.nonce}P{page_number}B{index}X"

    def fill(self, html: str, render: Callable[[str, int], str]) -> str:
        """Replace every token with `render(page, block_index)`."""
        return self._pattern.sub(lambda m: render(self._pages[int(m.group(1))], int(m.group(2))), html)


class PageSlots:
    def __init__(self, slots: OutputSlots, number: int) -> None:
        self._slots, self._number = slots, number

    def token(self, index: int) -> str:
        return self._slots.token(self._number, index)


CHECK_SUMMARY = "Check your answer"
CHECK_LABEL = "Run this after your code: it is silent when your answer passes."
SOLUTION_BOX = '??? success "Solution"'


def block_failed(result: PageResult | None, index: int) -> bool:
    return result is not None and index < len(result.blocks) and result.blocks[index].error is not None


def slot_shown(options: BlockOptions, failed: bool) -> bool:
    """Whether a block's output slot shows anything: an exercise's starter and check, and a
    hidden block, only when they failed; a skipped block never."""
    if options.exercise:
        return options.exercise == "solution" or failed
    return not options.skip and (not options.hide or failed)


def rewrite_markdown(
    body: str,
    slots: PageSlots,
    result: PageResult | None,
    blocks: list[CodeBlock] | None = None,
    early: bool = False,
) -> str:
    """`body` is the page's Markdown without front matter (what MkDocs hands to plugins).
    `blocks`: the post's blocks, whose options win over the fences' (parsing may have turned
    the parts of a malformed exercise into skipped blocks).
    `early`: staged before the result, so the Markdown must not depend on it: every block that
    could show something gets its slot (filled with nothing when `slot_shown` says so) and a
    solution box starts closed (`Stager.resolve` opens it when the solution failed)."""
    lines = body.split("\n")
    out: list[str] = []
    cursor = 0
    index = 0
    for fence in find_fences(body):
        if not fence.executable:
            continue
        out += lines[cursor : fence.start]
        cursor = fence.end + 1
        options = blocks[index].options if blocks is not None and index < len(blocks) else fence.options
        failed = block_failed(result, index)
        if options.exercise:
            out += _exercise_part(fence, lines, options.exercise, slots.token(index), failed, early)
            index += 1
            continue
        if not options.hide and not options.hide_code:
            out.append(f"{fence.indent}{fence.marker}{fence.kept_info}")
            out += lines[fence.start + 1 : fence.end]
            out.append(lines[fence.end] if fence.end > fence.start else f"{fence.indent}{fence.marker}")
        if (not options.skip) if early else slot_shown(options, failed):
            out += ["", f"{fence.indent}{slots.token(index)}", ""]
        index += 1
    out += lines[cursor:]
    return "\n".join(out)


def _exercise_part(
    fence: Fence, lines: list[str], part: str, token: str, failed: bool, early: bool = False
) -> list[str]:
    """An exercise's starter (code), check (a label, then the code to copy) or solution (code
    and its output in a collapsed box, which stage/boxes.py makes a <details>)."""
    indent = fence.indent
    code = [f"{indent}{fence.marker}{fence.kept_info}", *lines[fence.start + 1 : fence.end]]
    code.append(lines[fence.end] if fence.end > fence.start else f"{indent}{fence.marker}")
    slot = ["", f"{indent}{token}", ""]
    with_slot = failed or early  # staged early: the slot is there, empty unless the part failed
    if part == "starter":
        return code + (slot if with_slot else [])
    if part == "check":  # left out of the search index, like the solution: it is the answer's test
        # Closed until the reader wants it (on a phone its code was longer than the task); a
        # failure's output sits outside the box, so it is never hidden.
        return [
            f'{indent}<div class="techpath-check" data-search-exclude markdown="1">',
            f'{indent}<details class="techpath-check__code" markdown="1">',
            f"{indent}<summary>{CHECK_SUMMARY}</summary>",
            "",
            f"{indent}{CHECK_LABEL}",
            "",
            *code,
            "",
            f"{indent}</details>",
            *(slot if with_slot else []),
            "",
            f"{indent}</div>",
        ]
    inner = [("    " + line) if line.strip() else "" for line in [*code, *slot]]
    # an error is never hidden (staged early: Stager.resolve opens it)
    box = SOLUTION_BOX.replace("???", "???+") if failed and not early else SOLUTION_BOX
    return [f"{indent}{box}", "", *inner]


def box_body(lines: list[str], i: int, body_indent: str) -> tuple[list[str], int]:
    """The dedented body of the box (admonition, details) opened on line `i`, without trailing
    blank lines, and the index of the line after it."""
    j = i + 1
    body: list[str] = []
    while j < len(lines) and (lines[j].startswith(body_indent) or not lines[j].strip()):
        body.append(lines[j][len(body_indent) :] if lines[j].strip() else "")
        j += 1
    while body and not body[-1]:
        body.pop()
        j -= 1
    return body, j

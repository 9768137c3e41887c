"""Rewrite a page's Markdown for rendering: our block options disappear, hidden blocks go, and a
placeholder paragraph after each block marks where its output goes into the HTML."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from techpath.model import BlockOptions, CodeBlock, PageResult
from techpath.parse.fences import Fence, find_fences


class OutputSlots:
    """Placeholders `TECHPATH<nonce>P<page>B<block>X` put into Markdown, swapped for HTML later
    (`V<n>` for the n-th markdown-exec view of a page: render/mdexec.py).

    The page number is part of the token because a page's Markdown may be rendered inside
    another page too (blog excerpts on the index), and the token must still find its output.
    """

    def __init__(self) -> None:
        self.nonce = secrets.token_hex(4).upper()
        self._pattern = re.compile(
            rf"(?m)^(?P<indent>[ \t>]*)(?:<p>)?TECHPATH{self.nonce}P(\d+)([BV])(\d+)X(?:</p>)?"
        )
        self._pages: list[str] = []

    def for_page(self, page: str) -> PageSlots:
        if page not in self._pages:
            self._pages.append(page)
        return PageSlots(self, self._pages.index(page))

    def token(self, page_number: int, index: int, kind: str = "B") -> str:
        return f"TECHPATH{self.nonce}P{page_number}{kind}{index}X"

    def fill(
        self,
        html: str,
        render: Callable[[str, int], str],
        render_view: Callable[[str, int], str] | None = None,
        indented: Callable[[str], str] | None = None,
    ) -> str:
        """Replace every token with `render(page, block_index)` (`render_view(page, n)`). A token
        inside a list, a box or a quote gets its replacement indented like it, so it stays
        there, after `indented` (which keeps Markdown from reading its text: an indented raw HTML
        block is read as a paragraph's inline HTML)."""

        def one(match: re.Match[str]) -> str:
            page, index = self._pages[int(match.group(2))], int(match.group(4))
            if match.group(3) == "V":
                text = render_view(page, index) if render_view is not None else ""
            else:
                text = render(page, index)
            indent = match["indent"]
            if not indent or not text:
                return indent + text
            text = indented(text) if indented is not None else text
            return "\n".join(indent + line if line.strip() else indent.rstrip() for line in text.split("\n"))

        return self._pattern.sub(one, html)


class PageSlots:
    def __init__(self, slots: OutputSlots, number: int) -> None:
        self._slots, self._number = slots, number

    def token(self, index: int) -> str:
        return self._slots.token(self._number, index)

    def view_token(self, number: int) -> str:
        return self._slots.token(self._number, number, "V")


@dataclass(frozen=True)
class ViewSlot:
    """A markdown-exec fence in the page: rendered whole (render/mdexec.py), its blocks' panels
    (figures, warnings, errors) after it."""

    fence: Fence
    first_block: int  # index of its first block (the page's blocks run in page order)
    number: int  # 1-based among the page's markdown-exec fences, those in literate blocks counted


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
    views: list[ViewSlot] | None = None,
) -> str:
    """`body` is the page's Markdown without front matter (what MkDocs hands to plugins).
    `blocks`: the post's blocks, whose options win over the fences' (parsing may have turned
    the parts of a malformed exercise into skipped blocks).
    `early`: staged before the result, so the Markdown must not depend on it: every block that
    could show something gets its slot (filled with nothing when `slot_shown` says so) and a
    solution box starts closed (`Stager.resolve` opens it when the solution failed).
    `views` receives the markdown-exec fences, each replaced by its view's slot (and the slots
    of its blocks' panels); fences of ours that only show code get an info string superfences
    takes."""
    lines = body.split("\n")
    out: list[str] = []
    cursor = 0
    index = 0
    numbered = shown_views = 0
    for fence in find_fences(body):
        if fence.kind == "plain" and fence.closed:
            out += lines[cursor : fence.start]
            out += [f"{fence.indent}{fence.marker}{fence.kept_info}", *lines[fence.start + 1 : fence.end + 1]]
            cursor = fence.end + 1
            continue
        if fence.kind == "mdexec" and fence.closed:
            out += lines[cursor : fence.start]
            cursor = fence.end + 1
            owned = [f for f in [fence, *_nested(fence)] if f.executable]
            blank = fence.indent.rstrip()
            out += [blank, f"{fence.indent}{slots.view_token(shown_views)}", blank]
            shown_views += 1
            if views is not None:
                views.append(ViewSlot(fence, index, numbered + 1))
            numbered += 1 + sum(1 for f in _nested(fence) if f.kind == "mdexec")
            for _ in owned:
                options = (
                    blocks[index].options if blocks is not None and index < len(blocks) else fence.options
                )
                if (not options.skip) if early else slot_shown(options, block_failed(result, index)):
                    out += [blank, f"{fence.indent}{slots.token(index)}", blank]
                index += 1
            continue
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


def _nested(fence: Fence) -> list[Fence]:
    """The fences inside a literate block, at any depth, in page order."""
    found: list[Fence] = []
    for child in fence.children:
        found += [child, *_nested(child)]
    return found


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

"""Find the fenced code blocks of a Markdown text, with their options and line numbers.

The page is rendered by pymdownx.superfences, so fences are found the way it finds them, or the
code that runs would not be the code the page shows: a fence opens on any line whose leading
spaces, tabs and `>` are followed by three or more backticks or tildes and an info string it
accepts; every line of its body is indented at least as far as the opening (a line that is not
ends the attempt, and those lines are Markdown); it closes on a line with exactly the opening's
fence at exactly its indentation (a longer fence, or one indented further, is content: an
indented ``` inside a string literal does not end a block); a fence never closed is no fence. A
fence of any language hides what it contains, so a ```` ```python ```` shown inside a
```` ````markdown ```` example is not run, except in markdown-exec's executed `md` blocks,
whose content is Markdown again (their fences are `children`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from markdown.extensions.attr_list import get_attrs

from techpath.model import BlockOptions
from techpath.parse.mdexec import ALWAYS_CLAIMED, LANGUAGES, PYODIDE_ADVICE, MdExec, read_options, truthy

EXECUTED_LANGUAGES = {"python", "py"}
FLAG_OPTIONS = {"skip", "hide", "hide-code", "hide-output", "standalone"}
VALUE_OPTIONS = {"raises", "timeout"}
EXERCISE_PARTS = ("starter", "check", "solution")  # the parts of an exercise (parse/exercises.py)
# Options that belong to pymdownx.highlight / superfences: kept on the fence, not ours.
HIGHLIGHT_OPTIONS = {"title", "linenums", "hl_lines", "anchor_linenums", "line_spans", "linenums_style"}
TAB_LENGTH = 4  # Python-Markdown's (and MkDocs') tab_length
_PREFIX = (" ", "\t", ">")  # what may stand before a fence: indentation and blockquote markers
# superfences' opening line, after the prefix: the fence, a language, then attributes in braces,
# options whose values are quoted, or anything else (which it refuses)
_START = re.compile(
    r"""(?P<marker>`{3,}|~{3,})
    (?:[ \t]*\.?(?P<lang>[\w#.+-]+)(?=[ \t]|$))?
    (?:[ \t]*\{(?P<attrs>[^\n]*)\}
      |(?P<options>(?:[ \t]*[A-Za-z][A-Za-z0-9_]*(?:=(?P<q>["']).*?(?P=q))?(?=[ \t]|$))+)
      |(?P<rest>(?:[ \t]*\S+(?=[ \t]|$))+)
    )?[ \t]*$""",
    re.X,
)
_OPTION = re.compile(r"""(?P<key>[A-Za-z][A-Za-z0-9_]*)(?:=(?P<q>["'])(?P<value>.*?)(?P=q))?""")
_HL_LINES = re.compile(r"\d+(?:-\d+)?(?:[ \t]+\d+(?:-\d+)?)*$")
_LINENUMS = re.compile(r"\d+")
# `raises="..."`: an exception class, maybe by its dotted path (sklearn.exceptions.NotFittedError)
# A Markdown code span: a run of backticks, then the shortest text up to a run of the same length.
CODE_SPAN = re.compile(r"(`+)(?!`).+?(?<!`)\1(?!`)", re.S)


def in_prose(markdown: str, rewrite: Callable[[str], str]) -> str:
    """`markdown` with `rewrite` applied to each run of lines between its fenced code blocks;
    the blocks' lines as written."""
    lines = markdown.split("\n")
    code = {i for f in find_fences(markdown) for i in range(f.start, f.end + 1)}
    out: list[str] = []
    prose: list[str] = []
    for i, line in enumerate(lines):
        if i not in code:
            prose.append(line)
            continue
        if prose:
            out.append(rewrite("\n".join(prose)))
            prose = []
        out.append(line)
    if prose:
        out.append(rewrite("\n".join(prose)))
    return "\n".join(out)


def outside_code_spans(text: str, change: Callable[[str], str]) -> str:
    """`text` with `change` applied to the text between its code spans; the spans as written."""
    out, start = [], 0
    for span in CODE_SPAN.finditer(text):
        out += [change(text[start : span.start()]), span.group(0)]
        start = span.end()
    return "".join([*out, change(text[start:])])


EXCEPTION_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*")
_TOKEN = re.compile(r"""(?P<key>[.#]?[A-Za-z_][-\w]*)(?:=(?P<value>"[^"]*"|'[^']*'|[^\s"'}]+))?""")

Kind = Literal["code", "python", "mdexec", "plain"]


@dataclass
class Fence:
    """A fenced block: where it is, what it says, and what its info string asked for.

    kind: "code" (not ours: shown as written), "python" (a techpath block), "mdexec" (one that
    markdown-exec would claim: rendered by render/mdexec.py) or "plain" (ours to rewrite, shown
    as a plain code block: markdown-exec options that do not run, or that are wrong)."""

    start: int  # 0-based line index of the opening fence
    end: int  # 0-based line index of the closing fence (last line of the text if unclosed)
    indent: str  # what stands before the fence on its line (spaces, tabs, `>`)
    marker: str
    language: str
    code: str  # dedented
    options: BlockOptions = field(default_factory=BlockOptions)
    kept_info: str = ""  # the info string without our options, for the Markdown renderer
    problems: list[str] = field(default_factory=list)
    kind: Kind = "code"
    closed: bool = True
    mdexec: MdExec | None = None
    children: list[Fence] = field(default_factory=list)  # fences of an executed md block

    @property
    def executable(self) -> bool:
        """Whether the fence's code runs (a block of the page)."""
        if not self.closed:
            return False
        if self.kind == "python":
            return True
        return self.kind == "mdexec" and self.mdexec is not None and self.mdexec.runs

    @property
    def first_code_line(self) -> int:
        """1-based line number of the first code line."""
        return self.start + 2


def find_fences(text: str, first_line: int = 0, inside_md: bool = False) -> list[Fence]:
    """The fences of `text` as superfences finds them (`first_line`: where `text` starts in its
    file, 0-based; `inside_md`: the content of markdown-exec's `md` block, where a python fence
    without `exec` is only shown, as markdown-exec renders it)."""
    lines = text.split("\n")
    fences: list[Fence] = []
    i = 0
    while i < len(lines):
        line = lines[i].rstrip("\r")
        ws, ws_len = _leading(line)
        opening = _START.match(line, ws_len)
        fence = _claimed(opening, inside_md) if opening is not None else None
        if fence is None:
            i += 1
            continue
        assert opening is not None
        end, closed = _body_end(lines, i, ws, ws_len, opening["marker"])
        if not closed and fence.kind == "code":
            i = end + 1  # not a fence: superfences leaves these lines to Markdown, unread again
            continue
        body = [_dedent(lines[j].rstrip("\r"), len(ws)) for j in range(i + 1, min(end, len(lines)))]
        fence.start, fence.end = first_line + i, first_line + min(end, len(lines) - 1)
        fence.indent, fence.marker, fence.code, fence.closed = (
            line[:ws_len],
            opening["marker"],
            "\n".join(body),
            closed,
        )
        if not closed:  # the page shows these lines as Markdown: neither run nor rewritten
            fence.problems.append(_unclosed(fence, first_line + end + 1 if end < len(lines) else 0))
        elif ">" not in ws and len(ws) >= TAB_LENGTH and not _in_container(lines, i, len(ws)):
            # an indented code block: superfences' fence is turned back into its text there
            fence.closed = False
            fence.problems.append(INDENTED_CODE)
        if closed and fence.kind == "mdexec" and fence.language in ("md", "markdown"):
            fence.children = find_fences(fence.code, fence.start + 1, inside_md=True)
        fences.append(fence)
        i = end + 1
    return fences


INDENTED_CODE = (
    "this fence is indented four spaces or more under a paragraph, so the page shows it as an "
    "indented code block, fence lines included, and nothing of it runs; unindent it, or put it in "
    "a list item or a box"
)
_CONTAINER = re.compile(r"^[ \t]*(?:[-*+][ \t]|\d+[.)][ \t]|!!!|\?\?\?|===|:[ \t]|\[\^[^\]]+\]:)")


def _in_container(lines: list[str], at: int, width: int) -> bool:
    """Whether an opening fence indented `width` columns sits in a list item, a box, a tab, a
    footnote or a definition (the nearest line above it indented less opens one), rather than
    being an indented code block."""
    for line in reversed(lines[:at]):
        if not line.strip():
            continue
        if len(_leading(line)[0]) < width:
            return _CONTAINER.match(line) is not None
    return False


def _unclosed(fence: Fence, breaking_line: int) -> str:
    what = f"this {fence.language or 'fenced'} block"
    if not breaking_line:
        return f"{what} is never closed (expected {fence.marker} at the indentation of its opening line)"
    return (
        f"{what} stops being a block at line {breaking_line}, which is indented less than its opening "
        f"fence (superfences then shows every line as Markdown); indent the whole block, or close it "
        f"with {fence.marker} before that line"
    )


def executable_fences(text: str) -> list[Fence]:
    """The fences whose code runs, in the order they run: those inside executed `md` blocks
    where those blocks stand. Their positions are the page's blocks' indices."""
    found: list[Fence] = []

    def walk(fences: list[Fence]) -> None:
        for fence in fences:
            if fence.executable:
                found.append(fence)
            walk(fence.children)

    walk(find_fences(text))
    return found


def shown_as_code(text: str) -> str:
    """`text` with each fence of ours opening the way superfences takes it (language and
    highlight options only): what its lines look like on the page when nothing runs."""
    lines = text.split("\n")
    for fence in find_fences(text):
        if fence.kind != "code" and fence.closed:
            lines[fence.start] = f"{fence.indent}{fence.marker}{fence.kept_info or fence.language}"
    return "\n".join(lines)


def _leading(line: str) -> tuple[str, int]:
    """The prefix of spaces, tabs and `>` (tabs expanded) and its length in characters."""
    length = 0
    while length < len(line) and line[length] in _PREFIX:
        length += 1
    return line[:length].expandtabs(TAB_LENGTH), length


def _fence_line(line: str, width: int) -> tuple[str, str]:
    """A body line split as superfences splits it: up to `width` columns of prefix (tabs
    expanded), and the rest."""
    prefix: list[str] = []
    columns = 0
    taken = 0
    for char in line:
        if columns >= width or char not in _PREFIX:
            break
        taken += 1
        if char == "\t":
            size = TAB_LENGTH - (columns % TAB_LENGTH)
            prefix.append(" " * size)
            columns += size
        else:
            prefix.append(char)
            columns += 1
    return "".join(prefix), line[taken:]


def _body_end(lines: list[str], start: int, ws: str, ws_len: int, marker: str) -> tuple[int, bool]:
    """(index of the closing line, True) or (index where superfences gave up, False)."""
    closing = re.compile(re.escape(marker) + r"[ \t]*$")
    width, quotes = len(ws), ws.count(">")
    empty = 0
    for j in range(start + 1, len(lines)):
        prefix, content = _fence_line(lines[j].rstrip("\r"), width)
        level = prefix.count(">")
        if quotes:  # inside a blockquote: quote levels may drop only on lazy continuation lines
            if level > quotes:
                return j, False
            if content == "":
                empty += 1
            elif len(prefix) < ws_len or (empty and level < quotes):
                return j, False
            elif closing.match(content):
                return j, True
            else:
                empty = 0
        elif level:
            return j, False
        elif not (prefix + content).strip():
            empty += 1
        elif len(prefix) != width and content != "":
            return j, False  # not indented enough
        elif closing.match(content) and not content.startswith((" ", "\t")):
            return j, True
        else:
            empty = 0
    return len(lines), False


def _dedent(line: str, width: int) -> str:
    prefix, content = _fence_line(line, width)
    return (prefix + content)[width:]


# -- the info string ---------------------------------------------------------------------------
def _claimed(opening: re.Match[str], inside_md: bool) -> Fence | None:
    """The fence the opening line starts, or None when superfences would refuse the line (and
    nothing of ours rewrites it)."""
    language = opening["lang"] or ""
    values: dict[str, str] = {}
    classes: list[str] = []
    if opening["attrs"] is not None:
        for key, value in get_attrs(opening["attrs"].replace("\t", " " * TAB_LENGTH)):
            if key == ".":
                classes.append(value)
            elif key != "id":
                values[key] = value
        if not language and classes:
            language = classes.pop(0)
    elif opening["options"] is not None:
        for option in _OPTION.finditer(opening["options"]):
            values[option["key"]] = option["value"] if option["value"] is not None else option["key"]
    info = opening.group(0)[len(opening["marker"]) :].strip()
    fence = Fence(0, 0, "", "", language, "")
    rest = opening["rest"]
    if (
        "exec" in values
        or (rest is not None and re.search(r"(?:^|\s)exec=", rest))
        or language in ALWAYS_CLAIMED
    ):
        _markdown_exec(fence, values, rest, opening["attrs"] is not None)
        return fence
    if language in EXECUTED_LANGUAGES and not inside_md:
        fence.kind = "python"
        _read_info(info, fence)
        return fence
    if rest is not None:
        return None
    if opening["options"] is not None and not all(_highlight_option(k, v) for k, v in values.items()):
        return None
    return fence


def _highlight_option(key: str, value: str) -> bool:
    """Whether pymdownx.highlight takes `key="value"` (superfences refuses a fence otherwise)."""
    if key == "hl_lines":
        return _HL_LINES.match(value) is not None
    if key == "linenums":
        return _LINENUMS.match(value) is not None
    return key in ("title", "title_mode") and value != key


def _kept(language: str, values: dict[str, str]) -> str:
    """An info string superfences takes: the language and pymdownx.highlight's options."""
    kept = [f'{k}="{v}"' for k, v in values.items() if k in ("title", "hl_lines", "linenums", "title_mode")]
    return " ".join([language, *kept]).strip()


def _markdown_exec(fence: Fence, values: dict[str, str], rest: str | None, braced: bool) -> None:
    """A fence markdown-exec would claim: it runs or is formatted (kind mdexec), or it is shown
    as plain code with what to write instead (kind plain)."""
    language = fence.language
    fence.kind = "plain"
    if rest is not None:
        fence.kept_info = language
        fence.problems.append(
            f'option values must be quoted, as superfences reads them (exec="1", not exec=1): '
            f"this {language or 'fence'} block's options `{rest.strip()}` were not read"
        )
        return
    timeout = values.pop("timeout", None)
    fence.kept_info = _kept(language, values)
    runs = language in ALWAYS_CLAIMED or truthy(values.get("exec", ""))
    if not runs:  # exec="off": shown as code, as markdown-exec leaves it
        if language in EXECUTED_LANGUAGES:
            fence.kind, fence.options = "python", BlockOptions(skip=True)
        return
    if language not in LANGUAGES:
        fence.problems.append(
            f"exec is markdown-exec's option, and it runs only bash, console, md, markdown, py, "
            f"python, pycon and sh blocks (and formats tree): this {language or 'unnamed'} block is "
            "shown as code; remove exec"
        )
        return
    if language == "pyodide":
        fence.kept_info = "python"
        fence.problems.append(PYODIDE_ADVICE)
        return
    spec = read_options(language, values)
    fence.problems += list(spec.problems)
    seconds = _timeout(timeout, fence.problems)
    if spec.problems:
        return
    fence.kind, fence.mdexec = "mdexec", spec
    if spec.runs:
        fence.options = BlockOptions(
            timeout=seconds,
            language=spec.interpreter,
            mdexec=True,
            session=spec.session,
            returncode=spec.returncode,
            workdir=spec.workdir,
            width=spec.width,
            html=spec.html,
        )


def _timeout(value: str | None, problems: list[str]) -> float | None:
    if value is None:
        return None
    try:
        seconds = float(value)
        if seconds <= 0:
            raise ValueError
    except ValueError:
        problems.append(f'timeout needs a positive number of seconds, e.g. timeout="60" (got {value!r})')
        return None
    return seconds


def _read_info(info: str, fence: Fence) -> None:
    """Split a techpath python block's info string into our options and those we pass through."""
    braced = info.startswith("{") and info.endswith("}")
    body = info[1:-1].strip() if braced else info
    tokens = list(_TOKEN.finditer(body))
    if not tokens:
        return
    if not braced:
        tokens = tokens[1:]
    flags: dict[str, object] = {}
    kept: list[str] = []
    for token in tokens:
        key, value = token["key"], token["value"]
        if braced and key == f".{fence.language}":
            continue
        if value is not None and value[:1] in "\"'":
            value = value[1:-1]
        name = key.lstrip(".")
        if name in FLAG_OPTIONS and value is None:
            flags[name.replace("-", "_")] = True
        elif name == "raises":
            if value and not EXCEPTION_NAME.fullmatch(value):
                # it reaches the download's `except` clause: a name, never an expression
                fence.problems.append(
                    'raises needs an exception class name, e.g. raises="ValueError" or '
                    f'raises="sklearn.exceptions.NotFittedError" (got {value[:60]!r})'
                )
            flags["raises"] = value if value and EXCEPTION_NAME.fullmatch(value) else ""
        elif name == "timeout":
            flags["timeout"] = _timeout(value or "", fence.problems)
        elif name in EXERCISE_PARTS and value is None:
            if "exercise" in flags:
                fence.problems.append(f"a block is one exercise part, not {flags['exercise']} and {name}")
            flags["exercise"] = flags.get("exercise", name)
        elif name in FLAG_OPTIONS:
            fence.problems.append(f"option {name} takes no value (got {name}={value})")
        elif key in HIGHLIGHT_OPTIONS or key.startswith(("#", ".")):
            kept.append(token.group(0))
        else:
            known = ", ".join(sorted(FLAG_OPTIONS | VALUE_OPTIONS | set(EXERCISE_PARTS)))
            fence.problems.append(f"unknown option {name!r} on a python block; expected one of: {known}")
    fence.options = BlockOptions(**flags)  # type: ignore[arg-type]
    if fence.options.skip and (fence.options.hide or fence.options.standalone):
        fence.problems.append("a skipped block cannot also be hide or standalone")
    fence.kept_info = (
        " ".join([fence.language, *kept])
        if not braced
        else "{" + " ".join([f".{fence.language}", *kept]) + "}"
    )

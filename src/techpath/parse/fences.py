"""Find the fenced code blocks of a Markdown text, with their options and line numbers.

Fences may be indented (inside a math box, a tab or a list); a fence of any language hides what
it contains, so a ```` ```python ```` shown inside a ```` ````markdown ```` example is not run.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from techpath.model import BlockOptions

EXECUTED_LANGUAGES = {"python", "py"}
FLAG_OPTIONS = {"skip", "hide", "hide-code", "hide-output", "standalone"}
VALUE_OPTIONS = {"raises", "timeout"}
EXERCISE_PARTS = ("starter", "check", "solution")  # the parts of an exercise (parse/exercises.py)
# Options that belong to pymdownx.highlight / superfences: kept on the fence, not ours.
HIGHLIGHT_OPTIONS = {"title", "linenums", "hl_lines", "anchor_linenums", "line_spans", "linenums_style"}

_OPEN = re.compile(r"^(?P<indent>[ \t]*)(?P<marker>`{3,}|~{3,})[ \t]*(?P<info>.*?)[ \t]*$")
# `raises="..."`: an exception class, maybe by its dotted path (sklearn.exceptions.NotFittedError)
EXCEPTION_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*")
_TOKEN = re.compile(r"""(?P<key>[.#]?[A-Za-z_][-\w]*)(?:=(?P<value>"[^"]*"|'[^']*'|[^\s"'}]+))?""")


@dataclass
class Fence:
    """A fenced block: where it is, what it says, and what its info string asked for."""

    start: int  # 0-based line index of the opening fence
    end: int  # 0-based line index of the closing fence (last line of the text if unclosed)
    indent: str
    marker: str
    language: str
    code: str  # dedented
    options: BlockOptions = field(default_factory=BlockOptions)
    kept_info: str = ""  # the info string without our options, for the Markdown renderer
    problems: list[str] = field(default_factory=list)
    marked: bool = False  # markdown-exec's exec="on": runs under the site's `execute: marked`

    @property
    def executable(self) -> bool:
        return self.language in EXECUTED_LANGUAGES

    @property
    def first_code_line(self) -> int:
        """1-based line number of the first code line."""
        return self.start + 2


def find_fences(text: str) -> list[Fence]:
    lines = text.split("\n")
    fences: list[Fence] = []
    i = 0
    while i < len(lines):
        opening = _OPEN.match(lines[i])
        if not opening or (opening["marker"][0] == "`" and "`" in opening["info"]):
            i += 1
            continue
        indent, marker = opening["indent"], opening["marker"]
        closing = re.compile(rf"^[ \t]*{re.escape(marker[0])}{{{len(marker)},}}[ \t]*$")
        end = i + 1
        while end < len(lines) and not closing.match(lines[end]):
            end += 1
        body = [_dedent(line, len(indent)) for line in lines[i + 1 : end]]
        fence = Fence(i, min(end, len(lines) - 1), indent, marker, "", "\n".join(body))
        _read_info(opening["info"], fence)
        if end >= len(lines) and fence.executable:
            fence.problems.append(f"this {fence.language} block is never closed (expected {marker})")
        fences.append(fence)
        i = end + 1
    return fences


def _dedent(line: str, width: int) -> str:
    stripped = 0
    while stripped < width and stripped < len(line) and line[stripped] in " \t":
        stripped += 1
    return line[stripped:]


def _read_info(info: str, fence: Fence) -> None:
    """Split the info string into language, our options and options we pass through."""
    braced = info.startswith("{") and info.endswith("}")
    body = info[1:-1].strip() if braced else info
    tokens = [m for m in _TOKEN.finditer(body)]
    if not tokens:
        return
    first = tokens[0]
    if braced:
        classes = [t["key"][1:] for t in tokens if t["key"].startswith(".")]
        fence.language = classes[0] if classes else ""
    else:
        fence.language = first["key"]
        tokens = tokens[1:]
    if not fence.executable:
        return
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
            try:
                seconds = float(value or "")
                if seconds <= 0:
                    raise ValueError
                flags["timeout"] = seconds
            except ValueError:
                fence.problems.append(
                    f'timeout needs a positive number of seconds, e.g. timeout="60" (got {value!r})'
                )
        elif name in EXERCISE_PARTS and value is None:
            if "exercise" in flags:
                fence.problems.append(f"a block is one exercise part, not {flags['exercise']} and {name}")
            flags["exercise"] = flags.get("exercise", name)
        elif name in FLAG_OPTIONS:
            fence.problems.append(f"option {name} takes no value (got {name}={value})")
        elif key in HIGHLIGHT_OPTIONS or key.startswith(("#", ".")):
            kept.append(token.group(0))
        elif name in MARKDOWN_EXEC_OPTIONS:
            _markdown_exec_option(name, value, fence, flags)
        else:
            known = ", ".join(sorted(FLAG_OPTIONS | VALUE_OPTIONS | set(EXERCISE_PARTS)))
            fence.problems.append(f"unknown option {name!r} on a python block; expected one of: {known}")
    if fence.marked and "source" not in {t["key"] for t in tokens}:
        flags["hide_code"] = True  # markdown-exec shows only the result unless asked for the source
    fence.options = BlockOptions(**flags)  # type: ignore[arg-type]
    if fence.options.skip and (fence.options.hide or fence.options.standalone):
        fence.problems.append("a skipped block cannot also be hide or standalone")
    fence.kept_info = (
        " ".join([fence.language, *kept])
        if not braced
        else "{" + " ".join([f".{fence.language}", *kept]) + "}"
    )


# markdown-exec's options (https://pawamoy.github.io/markdown-exec/usage/), read so its pages build
# under `execute: marked`: each maps onto ours or is an error saying what to write instead.
MARKDOWN_EXEC_OPTIONS = {"exec", "source", "result", "html", "session", "id"}
_SHOWN_SOURCE = {"above", "material-block"}  # code above its result: what techpath always does


def _markdown_exec_option(name: str, value: str | None, fence: Fence, flags: dict[str, object]) -> None:
    said = f"{name}={value!r}" if value is not None else name
    if name == "exec":
        if (value or "").lower() in ("on", "1", "true", "yes"):
            fence.marked = True
        else:
            fence.problems.append(f'{said}: write exec="on" to run the block, or leave exec out')
    elif name == "source" and value not in _SHOWN_SOURCE:
        fence.problems.append(
            f'{said} is markdown-exec\'s; techpath shows the code above its output: use source="above" '
            "(or leave source out to show only the output)"
        )
    elif name == "result" and value not in ("text", None):
        fence.problems.append(
            f'{said} is markdown-exec\'s; techpath shows printed output as plain text: use result="text" '
            "or leave result out"
        )
    elif name == "html":
        fence.problems.append(
            f"{said} is markdown-exec's; techpath shows printed text as text: end the block with an "
            "object whose _repr_html_() returns the HTML (e.g. IPython.display.HTML) instead of printing it"
        )
    elif name == "id" and value is None:
        fence.problems.append('id needs a value, e.g. id="setup" (techpath names blocks by file:line anyway)')
    # session="name": every block of a page shares one namespace already (`standalone` opts out);
    # id="name": markdown-exec names blocks in its errors, techpath's errors give file:line

"""Posts as notebooks and scripts: the downloads under every post, and `techpath convert`.

A Markdown post is cut into cells: prose becomes markdown cells, each executable fence a code
cell (its options become Jupyter Book tags), each math box a markdown cell tagged `math-box`.
Cells are numbered like the engine numbers blocks, so executed outputs can be put back in.
"""

from __future__ import annotations

import ast
import base64
import builtins
import functools
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from techpath.execute.shown_paths import shown_in_build
from techpath.model import BlockOptions, Output, PageResult, Post
from techpath.parse.boxes import box_body, math_box
from techpath.parse.fences import EXCEPTION_NAME, Fence, executable_fences, find_fences
from techpath.parse.notebook import cell_source, cell_tags, read_notebook
from techpath.parse.tags import tags_for_options
from techpath.safety.figures import figure_problem
from techpath.safety.outputs import scoped_output
from techpath.safety.svg import UnsafeSvg, kept_clean_svg

_EXERCISE = re.compile(r'^!!! exercise\s+"(?P<title>[^"]*)"\s*$')
_HINT = re.compile(r'^(?P<indent>[ \t]*)\?\?\?\+?[ \t]+tip(?:[ \t]+"(?P<title>[^"]*)")?[ \t]*$')
CHECK_HEADER = "# Check your answer: run this cell after yours. It fails until your answer is right."
CHECK_PASSED = 'print("All checks passed.")'


@dataclass
class Cell:
    kind: str  # "markdown", "code" or "raw"
    source: str
    tags: list[str] = field(default_factory=list)
    block: int | None = None  # index of the engine's block, for code cells
    options: BlockOptions = field(default_factory=BlockOptions)


# ---------------------------------------------------------------------------------------------
# Markdown post -> cells


def markdown_cells(text: str) -> list[Cell]:
    """Cells of a Markdown post, front matter first as a raw cell."""
    cells: list[Cell] = []
    body = text
    if text.startswith("---"):
        end = text.find("\n---", 3)
        if end != -1:
            close = text.find("\n", end + 1)
            close = len(text) if close == -1 else close
            cells.append(Cell("raw", text[:close].rstrip()))
            body = text[close + 1 :]
    counter = [0]
    lines = body.split("\n")
    i = 0
    prose: list[str] = []
    while i < len(lines):
        box, exercise = _top_level(math_box(lines[i])), _EXERCISE.match(lines[i])
        if not box and not exercise:
            prose.append(lines[i])
            i += 1
            continue
        _flush(prose, cells, counter)
        prose = []
        j = i + 1
        while j < len(lines) and (not lines[j].strip() or lines[j].startswith("    ")):
            j += 1
        content = "\n".join(line[4:] for line in lines[i + 1 : j]).strip("\n")
        if exercise:
            tag, heading = "exercise", exercise.group("title")
            content = _hints_as_details(content)
        else:
            assert box is not None
            tag = "math-box-open" if box["open"] else "math-box"
            heading = box.group("title") or "Math"
        box_cells: list[Cell] = []
        _flush(f"### {heading}\n\n{content}".split("\n"), box_cells, counter)
        if box_cells and box_cells[0].kind == "markdown":
            box_cells[0].tags.append(tag)
        cells += box_cells
        i = j
    _flush(prose, cells, counter)
    return cells


def _top_level(box: re.Match[str] | None) -> re.Match[str] | None:
    """A math box that starts a cell of its own (a box inside a list or quote stays prose)."""
    return box if box is not None and not box["indent"] else None


def _hints_as_details(text: str) -> str:
    """`??? tip "Hint"` boxes as HTML <details>, which Jupyter renders in a markdown cell."""
    lines = text.split("\n")
    out: list[str] = []
    i = 0
    while i < len(lines):
        hint = _HINT.match(lines[i])
        if hint is None:
            out.append(lines[i])
            i += 1
            continue
        body, i = box_body(lines, i, hint["indent"] + "    ")
        out += [f"<details><summary>{hint['title'] or 'Hint'}</summary>", "", *body, "", "</details>", ""]
    return "\n".join(out).strip("\n")


def exercise_cells(cells: list[Cell], solutions: str = "") -> list[Cell]:
    """The cells with each exercise as a learner meets it: the task, the starter, a check cell
    to run after it (it fails until the answer is right), and, instead of the solution, a note
    naming the `solutions` download. With `solutions=""`: the solved form, where the solution
    takes the starter's place and the check after it passes (the solutions notebook, the
    script)."""
    out: list[Cell] = []
    for cell in cells:
        part = cell.options.exercise if cell.kind == "code" else ""
        if cell.kind == "markdown" and "exercise" in cell.tags:  # the task: say what it is
            source = re.sub(r"^(#+ )", r"\1Exercise: ", cell.source, count=1)
            out.append(Cell("markdown", source, cell.tags, cell.block, cell.options))
        elif part == "check":
            source = f"{CHECK_HEADER}\n{cell.source.rstrip()}\n{CHECK_PASSED}"
            # raises-exception: a notebook runner (nbclient, Jupyter Book) goes on past it
            tags = [*cell.tags, "raises-exception"] if solutions else cell.tags
            out.append(Cell("code", source, tags, cell.block, cell.options))
        elif part == "starter" and not solutions:
            continue  # the solved form shows the solution where the starter was
        elif part == "solution" and solutions:
            note = f"The solution is in the solutions notebook, `{solutions}`."
            out.append(Cell("markdown", note, ["exercise-solution-note"]))
        elif part == "solution":
            check = next((i for i in range(len(out) - 1, -1, -1) if out[i].options.exercise == "check"), None)
            out.insert(check if check is not None else len(out), cell)  # before its check
        else:
            out.append(cell)
    return out


def _flush(lines: list[str], cells: list[Cell], counter: list[int]) -> None:
    """Append prose lines as cells, cutting at executable fences."""
    text = "\n".join(lines)
    cursor = 0
    text_lines = text.split("\n")
    for fence in find_fences(text):
        inner = len(executable_fences(fence.code)) if fence.children else 0
        if not fence.executable and not inner:
            continue
        _add_markdown("\n".join(text_lines[cursor : fence.start]), cells)
        if inner:  # markdown-exec's literate block: its text, its blocks' outputs not kept
            _add_markdown(fence.code, cells)
            counter[0] += inner
        else:
            cells.append(Cell("code", _cell_code(fence), _tags(fence.options), counter[0], fence.options))
            counter[0] += 1
        cursor = fence.end + 1
    _add_markdown("\n".join(text_lines[cursor:]), cells)


def _cell_code(fence: Fence) -> str:
    """A block's code as a notebook cell: a transcript's commands, a shell block as a cell magic."""
    if fence.mdexec is None:
        return fence.code
    code = "\n".join(line for line in fence.mdexec.run_code(fence.code).split("\n") if line.strip())
    shell = fence.options.language
    return f"%%{shell}\n{code}" if shell != "python" else code


def _add_markdown(text: str, cells: list[Cell]) -> None:
    text = text.strip("\n")
    if text.strip():
        cells.append(Cell("markdown", text))


def _tags(options: BlockOptions) -> list[str]:
    return tags_for_options(options)


def notebook_post_cells(path: Path) -> list[Cell]:
    notebook, _ = read_notebook(path)
    cells: list[Cell] = []
    block = 0
    for cell in (notebook or {}).get("cells", []):
        kind = cell.get("cell_type", "markdown")
        if kind == "code":
            cells.append(Cell("code", cell_source(cell), cell_tags(cell), block))
            block += 1
        else:
            cells.append(Cell(kind, cell_source(cell), cell_tags(cell)))
    return cells


def post_cells(post: Post) -> list[Cell]:
    cells = notebook_post_cells(post.path) if post.path.suffix == ".ipynb" else markdown_cells(post.text)
    for cell in cells:  # the engine's view of the options wins (it validated them)
        if cell.block is not None and cell.block < len(post.blocks):
            cell.options = post.blocks[cell.block].options
    return cells


_HTML_COMMENT = re.compile(r"[ \t]*<!--.*?-->[ \t]*\n?", re.S)


def reader_cells(cells: list[Cell], title: str, description: str = "", install: str = "") -> list[Cell]:
    """The cells a reader downloads: the title (and description) first, then a cell naming what
    to install, then the post, without its front matter or HTML comments (`<!-- more -->`)."""
    head = [Cell("markdown", f"# {title}" + (f"\n\n{description}" if description else ""))]
    if install:
        head.append(Cell("code", f"# What this page was verified with:\n{install}"))
    body = []
    for cell in cells:
        if cell.kind == "raw" and cell.source.lstrip().startswith("---"):
            continue  # the page's front matter: for the site, not for the reader
        if cell.kind == "markdown":
            source = _HTML_COMMENT.sub("", cell.source).strip("\n")
            if not source.strip():
                continue
            cell = Cell(cell.kind, source, cell.tags, cell.block, cell.options)
        body.append(cell)
    return head + body


# ---------------------------------------------------------------------------------------------
# cells -> notebook


def to_notebook(
    cells: list[Cell],
    result: PageResult | None = None,
    figure_dir: Path | None = None,
    figure_memo: Path | None = None,
    for_readers: bool = True,
) -> dict[str, Any]:
    """An nbformat 4 notebook; with a result, code cells carry the executed outputs. For
    readers (the downloads) markdown cells are held to the page's HTML policy; `techpath
    convert` writes the author's cells as they are (for_readers=False)."""
    nb_cells = []
    count = 0
    for number, cell in enumerate(cells, start=1):
        entry: dict[str, Any] = {
            "id": f"cell-{number}",
            "cell_type": cell.kind,
            "metadata": {},
            "source": cell.source,
        }
        if cell.tags:
            entry["metadata"]["tags"] = list(cell.tags)
        if cell.kind == "markdown" and for_readers:
            entry["source"] = safe_markdown(cell.source)
        if cell.kind == "code":
            outputs: list[dict[str, Any]] = []
            executed = False
            if result is not None and cell.block is not None and cell.block < len(result.blocks):
                block = result.blocks[cell.block]
                executed = block.status in ("ok", "error")
                outputs = [
                    o
                    for index, out in enumerate(block.outputs)
                    if (o := _nb_output(out, figure_dir, figure_memo, f"nb{number}x{index}-")) is not None
                ]
            if executed:
                count += 1
            for output in outputs:
                if output["output_type"] == "execute_result":
                    output["execution_count"] = count
            entry.update(outputs=outputs, execution_count=count if executed else None)
        nb_cells.append(entry)
    return {
        "cells": nb_cells,
        "metadata": {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def safe_markdown(source: str) -> str:
    """A markdown cell as the notebook may hold it: unchanged when its rendered HTML passes the
    policy the page passed; else the cleaned HTML the page showed (Jupyter renders HTML in a
    markdown cell, and not every notebook viewer sanitises it)."""
    if "<" not in source and "](" not in source and "]:" not in source and "&" not in source:
        return source  # no HTML, link or reference: nothing the policy could refuse
    return _checked_markdown(source)


@functools.lru_cache(maxsize=2048)
def _checked_markdown(source: str) -> str:
    """`safe_markdown` for a cell that may hold HTML: a pure function of the cell, remembered
    because every build writes each cell into two notebooks (the post's and its solutions'),
    and `techpath serve` writes every post's downloads again after each save."""
    from techpath.safety.policy import check_html, clean_html
    from techpath.safety.prose import render

    # Python-Markdown escapes some tags Jupyter's renderer would make elements of (an unquoted
    # <img src=x onerror=...>), so the source is held to the policy as HTML too.
    rendered = render(source)
    if not check_html(rendered) and not check_html(source):
        return source
    return clean_html(rendered)[0]


def _nb_output(
    output: Output, figure_dir: Path | None, memo: Path | None = None, prefix: str = "nb-"
) -> dict[str, Any] | None:
    if output.kind == "stream":
        return {"output_type": "stream", "name": output.name, "text": shown_in_build(output.text)}
    if output.kind in ("result", "display"):
        data = {k: shown_in_build(v) for k, v in output.data.items() if k in ("text/plain", "text/html")}
        if "text/html" in data:  # the page's own cleaning and box: no script, handler or overlay
            box = f'id="{prefix}box" style="contain: paint; overflow: auto"'
            data["text/html"] = f"<div {box}>{scoped_output(str(data['text/html']), prefix)}</div>"
        if output.kind == "result":
            return {"output_type": "execute_result", "data": data, "metadata": {}, "execution_count": None}
        return {"output_type": "display_data", "data": data, "metadata": {}}
    if output.kind == "figure" and figure_dir is not None:
        if figure_problem(output) is not None:
            return None
        raw = (figure_dir / output.data["file"]).read_bytes()
        if output.data.get("format") == "svg":
            try:
                data = {"image/svg+xml": kept_clean_svg(raw, memo).decode("utf-8")}
            except UnsafeSvg:
                return None
        else:  # a PNG figure, or an image a page displayed (execute/figures.py)
            mime = "image/jpeg" if output.data.get("format") == "jpg" else "image/png"
            data = {mime: base64.b64encode(raw).decode("ascii")}
        data["text/plain"] = output.data.get("alt", "Figure")
        return {"output_type": "display_data", "data": data, "metadata": {}}
    if output.kind == "error":
        return {"output_type": "stream", "name": "stderr", "text": shown_in_build(output.text)}
    if output.kind == "note":
        return {"output_type": "stream", "name": "stderr", "text": f"[{output.text}]\n"}
    return None


def notebook_json(notebook: dict[str, Any]) -> str:
    return json.dumps(notebook, indent=1, ensure_ascii=False) + "\n"


# ---------------------------------------------------------------------------------------------
# cells -> script


def to_script(
    cells: list[Cell],
    title: str,
    source_url: str = "",
    result: PageResult | None = None,
    install: str = "",
    data: DataFiles | None = None,
) -> str:
    """A plain Python script in the percent format: runs top to bottom with `python file.py`.

    Prose becomes comments. Hidden blocks stay (they set things up or check numbers). Skipped
    blocks are commented out. A block that raises on purpose is wrapped so the script goes on.
    A block whose value the page displayed prints it. `data`: the files the code reads, named
    at the top, and checked first (a missing one stops the script with a message naming the
    archive that holds them, not a traceback halfway through).

    Nothing but the page's code runs: the head is one string literal whatever the title holds,
    every comment line is a line as Python splits them (a bare `\r` ends a line for Python, and
    it is invisible in a review's diff), and the one option that reaches code, `raises`, is
    written only when it is an exception's dotted name, and then as a string.
    """
    head = [title, ""]
    if source_url:
        head.append(f"From {source_url}")
    head.append("Every block below was executed when the page was built.")
    if install:
        head += ["", "To run it, install what the page was verified with:", f"    {install}"]
    if data is not None:
        head += ["", *data.notice()]
    lines = [_docstring("\n".join(head) + "\n"), ""]
    if data is not None:
        lines += [*data.guard(), ""]
    for cell in cells:
        if cell.kind == "raw" or (cell.kind == "code" and cell.block is None):
            continue  # front matter; the notebook's %pip cell (the docstring names it instead)
        if cell.kind == "markdown":
            prose = _HTML_COMMENT.sub("", cell.source).strip("\n")
            if not prose.strip():
                continue
            lines.append("# %% [markdown]")
            lines += comment_lines(prose)
            lines.append("")
            continue
        options = cell.options
        block = (
            result.blocks[cell.block]
            if result and cell.block is not None and cell.block < len(result.blocks)
            else None
        )
        lines.append("# %%" + ("  (hidden on the page)" if options.hide else ""))
        if options.skip:
            lines.append("# Not run when the page was built:")
            lines += comment_lines(cell.source)
        elif options.raises is not None:
            lines += _wrap_expected_error(cell.source, options.raises)
        else:
            shows_value = block is not None and any(o.kind == "result" for o in block.outputs)
            lines += (_print_last_expression(cell.source) if shows_value else cell.source).split("\n")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def comment_lines(text: str) -> list[str]:
    """`text` as `# ` comment lines: split where Python ends a line and everywhere else a line
    could end (str.splitlines: \\r, \\v, \\f, \\x1c-\\x1e, \\x85, \\u2028, \\u2029), so no part of
    it can leave its comment; a NUL (which stops Python reading the file) is dropped."""
    return [f"# {line.replace(chr(0), '')}".rstrip() for line in text.splitlines()]


def _docstring(text: str) -> str:
    """A module docstring that reads back as exactly `text`: triple-quoted when that is safe,
    else Python's own literal (a title holding \"\"\" or a backslash cannot end it early)."""
    quoted = f'"""{text}"""'
    safe = '"""' not in text and "\\" not in text and not text.endswith('"') and "\r" not in text
    if safe and "\x00" not in text:
        try:
            if ast.literal_eval(quoted) == text:
                return quoted
        except (SyntaxError, ValueError):
            pass
    return repr(text)


@dataclass(frozen=True)
class DataFiles:
    """The data files a post's code reads (paths relative to the post's folder, where its code
    runs) and the archive that holds them with the notebook and the script (render/downloads.py)."""

    names: tuple[str, ...]
    archive: str  # file name of the zip
    archive_url: str = ""  # where it can be downloaded, when the site's address is known

    def notice(self) -> list[str]:
        where = f" ({self.archive_url})" if self.archive_url else ""
        return [
            "It reads these data files, relative to the folder it runs in:",
            *(f"    {name}" for name in self.names),
            f"Download {self.archive}{where} from the post: it holds this script with the data",
            "where the script expects it. Unzip it and run the script in the folder it holds.",
        ]

    def sentence(self) -> str:
        """The same, for the notebook's first cell."""
        files = ", ".join(f"`{name}`" for name in self.names)
        where = f"[{self.archive}]({self.archive_url})" if self.archive_url else f"`{self.archive}`"
        return (
            f"This notebook reads {files} (relative to its own folder): download {where} from the "
            "post, which holds it with the data where it expects it."
        )

    def guard(self) -> list[str]:
        where = f" from {self.archive_url}" if self.archive_url else " from the post"
        # a plain string joined at run time, never an f-string: a file or site name holding
        # {...} must stay text, not become an expression the script evaluates
        message = (
            f" not found: download {self.archive}{where}, unzip it and run this script in the folder it holds"
        )
        return [
            "# %%  (the data files this script reads: stop early, with a message, if one is missing)",
            "import pathlib as _pathlib",
            "",
            f"for _name in {list(self.names)!r}:",
            "    if not _pathlib.Path(_name).exists():",
            f"        raise SystemExit(_name + {message!r})",
        ]


def _wrap_expected_error(source: str, expected: str) -> list[str]:
    body = [f"    {line}" if line.strip() else "" for line in source.split("\n")]
    if not body or not any(body):
        body = ["    pass"]
    name = expected if EXCEPTION_NAME.fullmatch(expected or "") else ""
    builtin = getattr(builtins, name, None)
    if not name or (isinstance(builtin, type) and issubclass(builtin, BaseException)):
        # a built-in class (or any exception): `except ValueError` reads as the page does
        return [
            "try:",
            *body,
            f"except {name or 'Exception'} as error:  # this block fails on purpose",
            '    print(f"{type(error).__name__}: {error}")',
        ]
    # Another class is matched by name, as the engine does (no import needed, nothing evaluated).
    return [
        "try:",
        *body,
        "except Exception as error:  # this block fails on purpose",
        f"    if not {{c.__name__ for c in type(error).__mro__}} & {{{name.rsplit('.', 1)[-1]!r}}}:",
        "        raise",
        '    print(f"{type(error).__name__}: {error}")',
    ]


def _print_last_expression(source: str) -> str:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return source
    if not tree.body or not isinstance(tree.body[-1], ast.Expr):
        return source
    last = tree.body[-1]
    lines = source.split("\n")
    start, end = last.lineno - 1, (last.end_lineno or last.lineno) - 1
    expression = "\n".join(lines[start : end + 1]).strip().rstrip(";")
    return "\n".join([*lines[:start], f"print({expression})", *lines[end + 1 :]])

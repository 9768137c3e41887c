"""Notebook posts: the same post model from an .ipynb.

Front matter is a first raw cell holding the `---` YAML block (the Quarto/jupytext convention).
Code cells become blocks; Jupyter Book's cell tags set their options. A markdown cell tagged
`math-box` (or `math-box-open`) is a math box: its first line, a heading, is the box's title.
Outputs stored in the file are never used: the build executes every cell itself.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

from techpath.model import BlockOptions, CodeBlock, InlineExpr, Post, Problem
from techpath.parse.exercises import Box, assemble
from techpath.parse.fences import in_prose, outside_code_spans
from techpath.parse.frontmatter import PostSchema, split_front_matter, validate_post_meta
from techpath.parse.inline import inline_exprs
from techpath.parse.inputs import declared_inputs
from techpath.parse.tags import EXERCISE_TAG, fence_word, options_for_tags

MATH_BOX_TAGS = {"math-box": "???", "math-box-open": "???+"}
_HEADING = re.compile(r"^\s*#{1,6}\s+(.*?)\s*#*\s*$")


def cell_source(cell: dict[str, Any]) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def cell_tags(cell: dict[str, Any]) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []) or [])


def read_notebook(path: Path) -> tuple[dict[str, Any] | None, list[Problem]]:
    shown = path.as_posix()
    try:
        notebook = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        return None, [Problem(shown, exc.lineno, f"not a valid notebook (JSON error: {exc.msg})")]
    if not isinstance(notebook, dict) or not isinstance(notebook.get("cells"), list):
        return None, [Problem(shown, 1, "not a notebook: expected a JSON object with a list of cells")]
    if notebook.get("nbformat", 4) < 4:
        return None, [Problem(shown, 1, "notebook format 3 or older; save it with a current Jupyter")]
    return notebook, []


def load_notebook_post(path: Path, schema: PostSchema | None) -> Post:
    shown = path.as_posix()
    notebook, problems = read_notebook(path)
    text = path.read_text(encoding="utf-8")
    if notebook is None:
        return Post(path=path, meta={}, blocks=[], text=text, problems=problems)
    cells = notebook["cells"]
    meta: dict[str, Any] = {}
    first = cells[0] if cells else None
    if (
        first is not None
        and first.get("cell_type") == "raw"
        and cell_source(first).lstrip().startswith("---")
    ):
        fm, fm_problems = split_front_matter(cell_source(first), f"{shown}:cell 1")
        problems += fm_problems
        meta = fm.meta
        if schema is not None and meta:
            problems += validate_post_meta(fm, f"{shown}:cell 1", schema)
    elif schema is not None:
        problems.append(
            Problem(
                f"{shown}:cell 1",
                1,
                "no front matter: a notebook post starts with a raw cell holding ---, YAML fields, ---",
            )
        )
    blocks: list[CodeBlock] = []
    inline: list[InlineExpr] = []
    boxes: list[Box] = []
    box: Box | None = None  # the exercise whose parts may follow
    loose: set[int] = set()
    for number, cell in enumerate(cells, start=1):
        where = f"{shown}:cell {number}"
        if cell.get("cell_type") == "markdown":
            inline += inline_exprs(
                cell_source(cell), blocks, shown, problems, number, len(inline), len(blocks) - 1
            )
            if EXERCISE_TAG in cell_tags(cell):
                box = _task_box(cell, where, number, problems)
                boxes.append(box)
        if cell.get("cell_type") != "code":
            continue
        if cell.get("outputs"):
            problems.append(
                Problem(
                    where,
                    1,
                    "stored outputs: commit notebooks without outputs (the build runs every cell); "
                    "run `techpath strip` on the file",
                )
            )
        options = options_for_tags(cell_tags(cell))
        timeout = cell_timeout(cell.get("metadata"), where, problems)
        if timeout is not None:
            options["timeout"] = timeout
        role = options.get("exercise", "")
        if role and box is not None:
            box.parts.append((role, len(blocks), where, 1))
        elif role:
            message = f"a cell tagged exercise-{role} follows a markdown cell tagged `exercise` (the task)"
            problems.append(Problem(where, 1, message))
            loose.add(len(blocks))
        else:
            box = None  # other code ends the exercise
        blocks.append(CodeBlock(len(blocks), cell_source(cell), 1, BlockOptions(**options), cell=number))
    notebook_timeout = cell_timeout(notebook.get("metadata"), f"{shown}:metadata", problems)
    if notebook_timeout and "timeout" not in meta:  # MyST-NB's per-notebook limit
        meta["timeout"] = notebook_timeout
    blocks, exercises = assemble(boxes, blocks, loose, problems)
    inputs, root = declared_inputs(path, meta, 1, problems)
    return Post(path, meta, blocks, text, problems, inputs, root, inline, exercises)


def cell_timeout(metadata: Any, where: str, problems: list[Problem]) -> float | None:
    """`execution: {timeout: N}` in the notebook's metadata (as MyST-NB, jupyter-cache and nbmake
    read it) or a cell's (there a string, "600", as nbformat's schema requires): N seconds; 0 or
    -1 (their "no limit"): no limit of its own, the page's limit holds (returned as 0)."""
    execution = metadata.get("execution") if isinstance(metadata, dict) else None
    if not isinstance(execution, dict) or "timeout" not in execution:
        return None
    value = execution["timeout"]
    if isinstance(value, str):  # nbformat's schema wants strings in a cell's execution metadata
        try:
            value = float(value)
        except ValueError:
            pass
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or 0 < value < 0.001
    ):
        problems.append(
            Problem(where, 1, f"execution.timeout: expected seconds (or -1 for no limit), got {value!r}")
        )
        return None
    return float(value) if value > 0 else 0.0


def _task_box(cell: dict[str, Any], where: str, number: int, problems: list[Problem]) -> Box:
    lines = cell_source(cell).strip("\n").split("\n")
    heading = _HEADING.match(lines[0]) if lines else None
    if heading is None:
        problems.append(Problem(where, 1, "an exercise's task cell starts with its title: `### Title`"))
    return Box(heading.group(1) if heading else "", 1, where, number)


def notebook_markdown(path: Path) -> str:
    """The notebook as a Markdown post, so it renders exactly like one (front matter, prose,
    math boxes, and fences carrying the cells' options in the same order as the blocks)."""
    notebook, _ = read_notebook(path)
    if notebook is None:
        return ""
    parts: list[str] = []
    in_exercise = False  # cells from a task cell to its solution are inside the exercise box
    for number, cell in enumerate(notebook["cells"], start=1):
        source = cell_source(cell).rstrip("\n")
        kind = cell.get("cell_type")
        tags = cell_tags(cell)
        part = ""
        if kind == "raw" and number == 1 and source.lstrip().startswith("---"):
            parts.append(source)
        elif kind == "markdown" and EXERCISE_TAG in tags:
            parts.append(_exercise_box(source))
            in_exercise = True
            continue
        elif kind == "markdown":
            box = next((MATH_BOX_TAGS[t] for t in tags if t in MATH_BOX_TAGS), None)
            source = jupyter_math(shown_fences(source))
            part = _math_box(source, box) if box else source
        elif kind == "code":
            options = [name for tag in tags for name in _fence_words(tag)]
            fence = "```" if "```" not in source else "````"
            part = f"{fence}{' '.join(['python', *options])}\n{source}\n{fence}"
            if not options_for_tags(tags).get("exercise"):
                in_exercise = False
        if part:
            parts.append(_indented(part) if in_exercise else part)
        if "exercise-solution" in tags:
            in_exercise = False
    markdown = "\n\n".join(parts) + "\n"
    # A first line such as `Note: read this first.` is MultiMarkdown meta-data to MkDocs, which
    # would drop it from the page; Jupyter shows it. A leading blank line ends that meta-data.
    return "\n" + markdown if _META_LINE.match(markdown) else markdown


_META_LINE = re.compile(r"[ ]{0,3}[A-Za-z0-9_-]+:")


_PYTHON_FENCE = re.compile(r"^(?P<open>[ \t]*(?:`{3,}|~{3,})[ \t]*)(?:python|py)(?=[ \t]*(?:$|[^\w]))", re.M)


def shown_fences(markdown: str) -> str:
    """A notebook's markdown cell as Jupyter shows it: a ```python fence there is code to read
    (an example, a call signature), never run; written ```python3 (the same highlighting), it is
    no block of the page, whose blocks are the code cells."""
    return _PYTHON_FENCE.sub(lambda m: m["open"] + "python3", markdown)


# Jupyter's inline math: `$...$` within one paragraph, its TeX allowed to start or end with a space.
_JUPYTER_INLINE = re.compile(r"(?<![\\$])\$(?!\$)(?P<tex>(?:\\.|[^\\$\n]|\n(?![ \t]*\n))+?)(?<!\\)\$(?!\$)")


def jupyter_math(markdown: str) -> str:
    """A markdown cell's inline math as Jupyter finds it: `$ x_1 $` is math there (MathJax), while
    arithmatex takes a `$` followed or preceded by a space for a dollar sign, and Markdown then
    reads the formula's `_` and `*` as emphasis. The spaces just inside the dollars are dropped
    (TeX ignores them); fences and code spans are left as written."""
    return in_prose(markdown, lambda prose: outside_code_spans(prose, _tight_math))


def _tight_math(text: str) -> str:
    def tight(m: re.Match[str]) -> str:
        tex = m["tex"].strip()
        return f"${tex}$" if tex else m.group(0)

    return _JUPYTER_INLINE.sub(tight, text)


def _indented(text: str) -> str:
    return "\n".join(("    " + line) if line.strip() else "" for line in text.split("\n"))


def _exercise_box(source: str) -> str:
    """A task cell as the opening of a Markdown exercise box (its heading is the title)."""
    lines = source.split("\n")
    heading = _HEADING.match(lines[0]) if lines else None
    title = heading.group(1) if heading else "Exercise"
    body = _indented("\n".join(lines[1:] if heading else lines)).strip("\n")
    return f'!!! exercise "{title.replace(chr(34), chr(39))}"' + (f"\n\n{body}" if body.strip() else "")


def _fence_words(tag: str) -> list[str]:
    word = fence_word(tag)
    return [word] if word else []


def _math_box(source: str, marker: str) -> str:
    lines = source.split("\n")
    heading = _HEADING.match(lines[0]) if lines else None
    title = heading.group(1) if heading else "Math"
    body = lines[1:] if heading else lines
    indented = "\n".join(("    " + line) if line.strip() else "" for line in body).strip("\n")
    return f'{marker} math "{title.replace(chr(34), chr(39))}"\n\n{indented}'


def strip_outputs(path: Path) -> bool:
    """Remove stored outputs and execution counts in place; True when the file changed."""
    text = path.read_text(encoding="utf-8")
    notebook = json.loads(text)
    for cell in notebook.get("cells", []):
        if cell.get("cell_type") == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
    stripped = json.dumps(notebook, indent=1, ensure_ascii=False) + "\n"
    if stripped != text:
        path.write_text(stripped, encoding="utf-8")
        return True
    return False

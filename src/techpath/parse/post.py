"""Load a post file into a `Post`: front matter, code blocks and every problem found."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from techpath.model import CodeBlock, Exercise, InlineExpr, Post, Problem
from techpath.parse.exercises import markdown_exercises
from techpath.parse.fences import executable_fences, find_fences
from techpath.parse.frontmatter import PostSchema, split_front_matter, validate_post_meta
from techpath.parse.inline import inline_exprs
from techpath.parse.inputs import declared_inputs
from techpath.parse.snippets import Expanded, Snippets


def load_post(path: Path, schema: PostSchema | None = None, snippets: Snippets | None = None) -> Post:
    """Parse a Markdown (or notebook) page. Never raises for bad content: see `Post.problems`.

    Pure parsing: the lint pass (parse/gate.py, `load_checked_post`) is separate.

    With a `schema` the file is a blog post: front matter is required and validated. Without
    one it is a plain page (home, about): front matter is optional. With `snippets` (the site's
    pymdownx.snippets settings), code is read from the page with its includes expanded.
    """
    if path.suffix == ".ipynb":
        from techpath.parse.notebook import load_notebook_post

        return load_notebook_post(path, schema)
    text = path.read_text(encoding="utf-8")
    shown = path.as_posix()
    fm, problems = split_front_matter(text, shown)
    if schema is None:
        problems = [p for p in problems if not p.message.startswith("no front matter")]
    elif fm.meta:
        problems += validate_post_meta(fm, shown, schema)
    expanded = snippets.expand(text) if snippets is not None else Expanded.unchanged(text)
    problems += [Problem(shown, line, message) for line, message in expanded.problems]
    found: list[Problem] = []  # lines of the expanded text, told as the page's below
    blocks = markdown_blocks(expanded.text, shown, found)
    blocks, exercises = markdown_exercises(expanded.text, blocks, shown, found)
    inline = inline_exprs(expanded.text, blocks, shown, found)
    if expanded.changed:
        blocks, inline, exercises, found = _page_lines(expanded, blocks, inline, exercises, found)
    inputs, root = declared_inputs(path, fm.meta, fm.field_lines.get("inputs", 1), problems)
    return Post(path, fm.meta, blocks, text, problems + found, inputs, root, inline, exercises)


def markdown_blocks(text: str, shown: str, problems: list[Problem]) -> list[CodeBlock]:
    """The executable blocks of a Markdown text (problems with fences are appended), in the
    order they run; markdown-exec's blocks run the code it would (a transcript's commands)."""
    _fence_problems(find_fences(text), shown, problems)
    blocks: list[CodeBlock] = []
    for fence in executable_fences(text):
        code = fence.mdexec.run_code(fence.code) if fence.mdexec is not None else fence.code
        blocks.append(CodeBlock(len(blocks), code, fence.first_code_line, fence.options))
    return blocks


def _fence_problems(fences: list, shown: str, problems: list[Problem]) -> None:
    for fence in fences:
        if fence.kind != "code":
            problems += [Problem(shown, fence.start + 1, message) for message in fence.problems]
        _fence_problems(fence.children, shown, problems)


def _page_lines(
    expanded: Expanded,
    blocks: list[CodeBlock],
    inline: list[InlineExpr],
    exercises: list[Exercise],
    problems: list[Problem],
) -> tuple[list[CodeBlock], list[InlineExpr], list[Exercise], list[Problem]]:
    """What was found in the expanded text, with the page's own line numbers."""
    mapped = []
    for block in blocks:
        count = block.source.count("\n") + 1
        lines = tuple(expanded.page_line(block.line + k) for k in range(count))
        consecutive = lines == tuple(range(lines[0], lines[0] + count))
        mapped.append(replace(block, line=lines[0], lines=None if consecutive else lines))
    return (
        mapped,
        [replace(expr, line=expanded.page_line(expr.line)) for expr in inline],
        [replace(exercise, line=expanded.page_line(exercise.line)) for exercise in exercises],
        [replace(problem, line=expanded.page_line(problem.line)) for problem in problems],
    )

"""Load a post file into a `Post`: front matter, code blocks and every problem found."""

from __future__ import annotations

from pathlib import Path

from techpath.model import CodeBlock, Post, Problem
from techpath.parse.exercises import markdown_exercises
from techpath.parse.fences import find_fences
from techpath.parse.frontmatter import PostSchema, split_front_matter, validate_post_meta
from techpath.parse.inline import inline_exprs
from techpath.parse.inputs import declared_inputs


def load_post(path: Path, schema: PostSchema | None = None) -> Post:
    """Parse a Markdown (or notebook) page. Never raises for bad content: see `Post.problems`.

    Pure parsing: the lint pass (contrib/lint.py, `load_checked_post`) is separate.

    With a `schema` the file is a blog post: front matter is required and validated. Without
    one it is a plain page (home, about): front matter is optional.
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
    blocks = markdown_blocks(text, shown, problems)
    blocks, exercises = markdown_exercises(text, blocks, shown, problems)
    inline = inline_exprs(text, blocks, shown, problems)
    inputs, root = declared_inputs(path, fm.meta, fm.field_lines.get("inputs", 1), problems)
    return Post(path, fm.meta, blocks, text, problems, inputs, root, inline, exercises)


def markdown_blocks(text: str, shown: str, problems: list[Problem]) -> list[CodeBlock]:
    """The executable blocks of a Markdown text (problems with fences are appended)."""
    blocks: list[CodeBlock] = []
    for fence in find_fences(text):
        if not fence.executable:
            continue
        problems += [Problem(shown, fence.start + 1, message) for message in fence.problems]
        blocks.append(CodeBlock(len(blocks), fence.code, fence.first_code_line, fence.options))
    return blocks

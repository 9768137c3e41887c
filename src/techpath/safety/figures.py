"""Figure records are hostile input: a result comes from a process that ran a stranger's code,
and a cache entry is a file anyone with the folder could edit. Before a figure's name is joined
onto a path, it must be one the engine itself would have written."""

from __future__ import annotations

import re

from techpath.model import Output, PageResult

# The names execute/session.py gives figures and displayed images: block001-figure1.svg
FIGURE_NAME = re.compile(r"block\d{3}-figure\d{1,4}\.(svg|png|jpg)")
_SIZE = re.compile(r"\d{1,5}")


def figure_problem(output: Output) -> str | None:
    """Why a figure output may not be used, or None."""
    data = output.data if isinstance(output.data, dict) else {}
    name = data.get("file")
    if not isinstance(name, str) or not FIGURE_NAME.fullmatch(name):
        return f"figure file name {str(name)[:80]!r} is not one the engine writes"
    if data.get("format") != name.rsplit(".", 1)[1]:
        return f"figure {name}: format {data.get('format')!r} does not match its file"
    for side in ("width", "height"):
        if side in data and not _SIZE.fullmatch(str(data[side])):
            return f"figure {name}: {side} {str(data[side])[:20]!r} is not a whole number"
    if not isinstance(data.get("alt", ""), str):
        return f"figure {name}: alt text is not text"
    return None


def result_problems(result: PageResult) -> list[str]:
    """Every unusable figure record of `result`."""
    return [
        problem
        for block in result.blocks
        for output in block.outputs
        if output.kind == "figure" and (problem := figure_problem(output)) is not None
    ]


def drop_bad_figures(result: PageResult) -> int:
    """Replace unusable figure records by a note saying why; returns how many were dropped."""
    dropped = 0
    for block in result.blocks:
        for i, output in enumerate(block.outputs):
            if output.kind == "figure" and (problem := figure_problem(output)) is not None:
                block.outputs[i] = Output("note", text=f"figure left out: {problem}")
                dropped += 1
    return dropped

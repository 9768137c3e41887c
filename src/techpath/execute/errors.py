"""A block's failure as the page reports it: the error's type, message and line in the post, and a
traceback that quotes the post and shows the site's paths (never the engine's own frames, never
the page's private mirror)."""

from __future__ import annotations

import os
import traceback
from pathlib import Path
from typing import Any

from techpath.execute import hooks
from techpath.execute.shown_paths import shown_paths
from techpath.model import BlockError, CodeBlock

_INTERNAL = str(Path(__file__).parent)  # frames of the engine itself are left out of tracebacks


class BlockTimeout(BaseException):
    """Raised in the block by SIGALRM; BaseException so `except Exception` in a post can't eat it."""


def in_site(text: str) -> str:
    """Paths inside the page's private mirror of the site (its local modules' files) written as
    the site's own paths, `notebooks/figures/plot.py`: the mirror is this machine's scratch."""
    mirror = hooks.mirror_root
    return text.replace(mirror + os.sep, "") if mirror and mirror in text else text


def innermost_post_line(tb: Any, filename: str, default: int) -> int:
    """The line of the innermost frame of `tb` that runs the post's own code (`filename`)."""
    line = default
    for frame in traceback.extract_tb(tb):
        if frame.filename == filename and frame.lineno:
            line = frame.lineno
    return line


def format_traceback(exc: BaseException, post: str) -> str:
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if not f.filename.startswith(_INTERNAL)]
    text = "".join(traceback.format_list(frames))
    head = "Traceback (most recent call last):\n" if frames else ""
    formatted = head + text + "".join(traceback.format_exception_only(type(exc), exc))
    return shown_paths(in_site(formatted), keep=post)


def exception_message(exc: BaseException) -> str:
    """What the report says of `exc` (a SyntaxError's own message, sys.exit by name)."""
    message = str(exc) if not isinstance(exc, SystemExit) else f"the block called sys.exit({exc.code!r})"
    if isinstance(exc, MemoryError):
        message = message or "the page ran out of its memory limit"
    if isinstance(exc, SyntaxError):
        message = exc.msg
    return message


def exception_line(exc: BaseException, filename: str, first_line: int) -> int:
    if isinstance(exc, SyntaxError) and exc.filename == filename and exc.lineno:
        return exc.lineno
    return innermost_post_line(exc.__traceback__, filename, first_line)


def timeout_error(
    block: CodeBlock, tb: Any, filename: str, post: str, first_line: int, limit: tuple[str, float]
) -> BlockError:
    """The block stopped by its alarm: where it was, and whose limit it hit (`limit`: "page" or
    "block", and that limit in seconds)."""
    line = innermost_post_line(tb, filename, first_line)
    frames = [f for f in traceback.extract_tb(tb) if not f.filename.startswith(_INTERNAL)]
    stack = "".join(traceback.format_list(frames))
    whose, seconds = limit
    if whose == "page":
        message = (
            f"the page did not finish within its limit of {seconds:g} s "
            f"(stopped in block {block.index + 1}, at line {line})"
        )
    else:
        message = f"block {block.index + 1} did not finish within {seconds:g} s (stopped at line {line})"
    stack = shown_paths(in_site("Traceback (most recent call last):\n" + stack), keep=post)
    return BlockError("Timeout", message, line, f"{filename}:{line}", stack)

"""What a block needs around its code, in the page process: its lines as the file numbers them,
the folder and console width markdown-exec's options ask for, its session's namespace, and the
shell that runs markdown-exec's bash, sh and console blocks (a child of the page: the page's
timeouts, memory limit and process tree hold for it too)."""

from __future__ import annotations

import ast
import builtins
import codecs
import contextlib
import io
import os
import re
import signal
import subprocess
import sys
import tokenize
import types
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from techpath import environment
from techpath.model import CodeBlock


class ShellFailed(Exception):
    """A shell block ended with another exit status than its `returncode=`."""


class BlockSetupError(Exception):
    """A block cannot start as its options ask (a workdir that is not there)."""


def ends_with_semicolon(source: str) -> bool:
    """Whether the block's last token is `;`, comments and blank lines after it ignored: the
    value is then not shown, as IPython decides (`plt.plot(x);  # a comment` shows nothing)."""
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    except (tokenize.TokenError, SyntaxError):
        return source.rstrip().endswith(";")
    skipped = (tokenize.ENDMARKER, tokenize.NL, tokenize.NEWLINE, tokenize.COMMENT, tokenize.DEDENT)
    for token in reversed(tokens):
        if token.type not in skipped:
            return token.type == tokenize.OP and token.string == ";"
    return False


def parse(block: CodeBlock, filename: str, in_file: bool) -> ast.Module:
    """The block's code, its line numbers the file's (`in_file`; else the cell's own). Code a
    snippets include brought in has the include's line."""
    if not in_file:
        return ast.parse(block.source, filename=filename, mode="exec")
    if block.lines is None:
        return ast.parse("\n" * (block.line - 1) + block.source, filename=filename, mode="exec")
    try:
        tree = ast.parse(block.source, filename=filename, mode="exec")
    except SyntaxError as exc:
        exc.lineno = block.file_line(exc.lineno or 1)
        exc.end_lineno = None
        raise
    for node in ast.walk(tree):
        if not hasattr(node, "lineno"):
            continue
        start, end = node.lineno, getattr(node, "end_lineno", None) or node.lineno
        node.lineno, node.end_lineno = block.file_line(start), block.file_line(end)
        if node.end_lineno < node.lineno:
            node.end_lineno = node.lineno
        same = node.end_lineno == node.lineno
        if same and (node.end_col_offset or 0) < node.col_offset:
            node.end_col_offset = node.col_offset
    return tree


@contextlib.contextmanager
def working_folder(workdir: str | None, root: Path | None, mdexec: bool = False) -> Iterator[None]:
    """Run in `workdir` (relative to the current folder, inside the page's private folder
    `root`), then come back, as markdown-exec's workdir= does. A markdown-exec block runs from
    `root`, the private copy of the site's folder: markdown-exec runs code where the build
    runs, beside mkdocs.yml (techpath's own blocks run in the page's folder, as Jupyter)."""
    if not workdir and not (mdexec and root is not None):
        yield
        return
    start = root if mdexec and root is not None else Path.cwd()
    target = (start / (workdir or ".")).resolve()
    if root is not None and not target.is_relative_to(root.resolve()):
        raise BlockSetupError(
            f'workdir="{workdir}" leads out of the folder the page runs in (a private copy of its '
            "place in the repository): name a folder inside it"
        )
    if not target.is_dir():
        raise BlockSetupError(
            f'workdir="{workdir}": there is no such folder where the page runs (a private copy of its '
            "folder, holding only the files the page declares under inputs:); declare the files the "
            "block needs, or create the folder in an earlier block"
        )
    previous = os.getcwd()
    os.chdir(target)
    try:
        yield
    finally:
        os.chdir(previous)


@contextlib.contextmanager
def columns(width: int) -> Iterator[None]:
    """COLUMNS set to `width` while the block runs (markdown-exec's width=), then restored."""
    if not width:
        yield
        return
    previous = environment.named("COLUMNS")  # restored after the block
    os.environ["COLUMNS"] = str(width)
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop("COLUMNS", None)
        else:
            os.environ["COLUMNS"] = previous


def run_shell(block: CodeBlock, emit: Callable[[str, str], None]) -> None:
    """Run the block's code with its shell; what it writes (stdout and stderr, as one stream,
    as markdown-exec reads it) goes to `emit` as it comes. A timeout (or any interruption)
    ends the shell's whole process group."""
    shell = block.options.language
    process = subprocess.Popen(
        [shell, "-c", block.source],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    assert process.stdout is not None
    decoder = codecs.getincrementaldecoder("utf-8")("replace")
    try:
        while chunk := process.stdout.read1(1 << 16):
            emit("stdout", decoder.decode(chunk))
        emit("stdout", decoder.decode(b"", final=True))
        code = process.wait()
    except BaseException:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        raise
    finally:
        process.stdout.close()
    expected = block.options.returncode
    if code != expected:
        said = f'returncode="{expected}" expects {expected}' if expected else "it must end with 0"
        raise ShellFailed(
            f"the {shell} block exited with code {code} ({said}; when a command is meant to fail, "
            f'say so with returncode="{code}")'
        )


def session_namespace(name: str, index: int) -> dict[str, Any]:
    """A fresh namespace for markdown-exec's session `name` ("" : the block's own), registered as
    a module, as classes defined in it need (dataclasses and pickle look their module up)."""
    safe = re.sub(r"\W+", "_", name)
    module_name = f"techpath_session_{safe}" if name else f"techpath_block_{index + 1}"
    module = types.ModuleType(module_name)
    module.__builtins__ = builtins  # type: ignore[attr-defined]
    sys.modules[module_name] = module
    return module.__dict__

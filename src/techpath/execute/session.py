"""Run a page's blocks in order in one namespace, inside the page's own process.

Jupyter semantics without a kernel: the value of a trailing expression is displayed, `display()`
works, stdout/stderr and figures are captured in the order they happen. Code is compiled with the
post's file name and real line numbers, so tracebacks point into the .md file.

The session runs blocks; its rooms do the rest: what the page prints (capture.py), the warnings
policy (warning_policy.py), errors and tracebacks (errors.py), figures (figures.py, PageFigures),
IPython's display functions (ipython.py).
"""

from __future__ import annotations

import ast
import builtins
import linecache
import signal
import sys
import time
import types
from pathlib import Path
from typing import Any

from techpath.execute import blocks, figures, hooks, ipython, rich
from techpath.execute.capture import NativeOutput, OutputCapture
from techpath.execute.display import mime_bundle
from techpath.execute.errors import (
    BlockTimeout,
    exception_line,
    exception_message,
    format_traceback,
    timeout_error,
)
from techpath.execute.warning_policy import ADVICE, WarningPolicy
from techpath.model import BlockError, BlockResult, CodeBlock, InlineExpr, InlineResult, Output


def _set_alarm(seconds: float) -> None:
    """Arm (or with 0, disarm) the in-process block timeout where the platform has SIGALRM."""
    if hasattr(signal, "setitimer"):
        signal.setitimer(signal.ITIMER_REAL, seconds)


def _no_input(prompt: object = "") -> str:
    raise EOFError("input() is not available: posts run without a keyboard (stdin is closed)")


class Session:
    """One page's interpreter state. Not thread-safe; lives in the page process only."""

    def __init__(
        self,
        filename: str,
        file_text: str,
        figure_dir: Path,
        allow_warnings: list[dict[str, str]] | None = None,
        line_numbers_in_file: bool = True,
        script_file: str | None = None,
        figure_rc: dict[str, Any] | None = None,
        warnings_policy: str = "error",
    ) -> None:
        self.path = filename
        self.line_numbers_in_file = line_numbers_in_file
        self.filename = filename  # of the block being run: the post, or "post.ipynb:cell 3"
        # A real module registered as __main__, as when Python runs a script: pickle, multiprocessing,
        # dataclasses and typing look post-defined names up in sys.modules["__main__"].
        self.module = types.ModuleType("__main__")
        self.module.__file__ = script_file
        self.module.__builtins__ = builtins  # type: ignore[attr-defined]
        sys.modules["__main__"] = self.module
        self.namespace: dict[str, Any] = self.module.__dict__
        self.namespace["display"] = self.display
        if not line_numbers_in_file:  # a notebook: get_ipython() as in a kernel (execute/ipython.py)
            raw = lambda bundle: self._show_bundle(dict(bundle), "display")  # noqa: E731
            self.namespace["get_ipython"] = ipython.PageShell(self.namespace, raw)
        self.private_root: Path | None = None  # the page's private folder: workdir= stays inside
        self._sessions: dict[str, dict[str, Any]] = {}  # markdown-exec's named sessions
        self.native: NativeOutput | None = None  # set by the page process (child.py)
        self.page_timeout = 0.0
        self._page_limited = False  # the running block's alarm is the page's limit
        self._block: CodeBlock | None = None
        lines = file_text.splitlines(keepends=True)
        linecache.cache[filename] = (len(file_text), None, lines, filename)
        builtins.input = _no_input
        self.capture = OutputCapture()
        self.emit = self.capture.emit
        self.warnings = WarningPolicy(
            warnings_policy, allow_warnings or [], filename, self.emit, self._calling_post_line
        )
        self._import = builtins.__import__
        builtins.__import__ = self._import_and_connect
        self._ipython_connected = False
        self._connect_ipython()
        self.figures = figures.PageFigures(figure_dir, figure_rc or {}, self.capture.add)

    # -- what a block shows --------------------------------------------------------------------
    def display(self, *objects: Any) -> None:
        """Show objects under the block, like Jupyter's display()."""
        for obj in objects:
            self._show(obj, "display")

    def _show(self, obj: Any, kind: str) -> None:
        if obj is None:
            return
        figure_class = getattr(sys.modules.get("matplotlib.figure"), "Figure", None)
        if figure_class is not None and isinstance(obj, figure_class):
            # Not closed: a pyplot figure is shown again when the cell ends, as in Jupyter.
            self.figures.show(obj, kind)
            return
        self._show_bundle(mime_bundle(obj), kind)

    def _warn(self, text: str, line: int) -> None:
        """A note in the output that the build also reports as a warning at file:line: something
        the page asked to show that is not shown as asked."""
        location = self._location(line) if self._block else self.path
        self.capture.outputs.append(Output("note", name="warning", text=text, data={"location": location}))

    def _show_bundle(self, bundle: dict[str, str], kind: str) -> None:
        """A MIME bundle as Jupyter would show it (rich.py decides which part), within the
        output caps; what cannot be shown is a note, and a warning at file:line."""
        self.capture.cap_rich(bundle)
        shown = rich.choose(bundle)
        if shown.image is not None:
            image = figures.image_output(
                shown.image, bundle[shown.image], self.figures.folder, self.figures.next_name(), shown.alt
            )
            if image is not None:
                self.capture.outputs.append(image)
                return
            bundle.pop(shown.image)
            shown = rich.choose(bundle)
        if shown.problem:
            self._warn(shown.problem, self._calling_post_line())
        if shown.kept:
            self.capture.outputs.append(Output(kind, data={m: bundle[m] for m in shown.kept}))  # type: ignore[arg-type]

    # -- imports: import-time warnings (warning_policy.py), IPython's display ----------------
    def _import_and_connect(
        self, name: str, globals: Any = None, locals: Any = None, fromlist: Any = (), level: int = 0
    ) -> Any:
        module = self._import(name, globals, locals, fromlist, level)
        if not self._ipython_connected and name.startswith("IPython"):
            self._connect_ipython()
        if level == 0 and hooks.import_warnings:
            self.warnings.replay_import_warnings(name, fromlist)
        return module

    def _connect_ipython(self) -> None:
        display = ipython.connect_display(self._show, self._show_bundle)
        if display is not None:
            self._ipython_connected = True
            self.namespace["display"] = display

    # -- running -----------------------------------------------------------------------------
    def run_block(self, block: CodeBlock, timeout: float, page_deadline: float | None = None) -> BlockResult:
        """Run one block. `timeout` is its effective limit; `page_deadline` (seconds the page
        has left, when that is sooner) makes the alarm blame the page's limit instead."""
        page_first = page_deadline is not None and page_deadline < timeout
        alarm = max(0.01, page_deadline) if page_first and page_deadline is not None else timeout
        self._page_limited = page_first
        return self._run_block(block, timeout, alarm)

    def run_inline(self, expr: InlineExpr, timeout: float) -> InlineResult:
        """Evaluate an inline value or claim here, between the blocks (execute/inline.py)."""
        from techpath.execute.inline import evaluate

        self.filename = self.path if expr.cell is None else f"{self.path}:cell {expr.cell}"
        location = expr.location(self.path)
        capture = self.capture
        saved, capture.outputs = capture.outputs, []  # anything it prints is not part of a block
        try:
            _set_alarm(timeout)
            return evaluate(expr, self.namespace, self.filename, location)
        except BlockTimeout:
            error = BlockError("Timeout", f"inline {expr.kind} ran over {timeout:g} s", expr.line, location)
        except BaseException as exc:
            message = f"inline {expr.kind} `{expr.source}` failed: {exc}"
            error = BlockError(type(exc).__name__, message, expr.line, location, self._format_traceback(exc))
        finally:
            _set_alarm(0)
            capture.outputs = saved
        return InlineResult(expr.index, "error", error=error)

    def _run_block(self, block: CodeBlock, timeout: float, alarm: float) -> BlockResult:
        self._block = block
        self.filename = self.path if block.cell is None else f"{self.path}:cell {block.cell}"
        self.figures.block_index = block.index
        capture = self.capture
        capture.start_block(html=bool(block.options.html))
        self.warnings.violations = []
        for problem in self.figures.problems:  # the site's settings, said once, where they bit
            self._warn(problem, self._first_line(block))
        self.figures.problems = []
        started = time.perf_counter()
        error: BlockError | None = None
        expected = block.options.raises
        try:
            _set_alarm(alarm)
            self._execute(block)
            if expected is not None:
                wanted = expected or "an exception"
                message = f"expected {wanted} but the block finished without one"
                error = self._error("DidNotRaise", message, block.line)
        except BlockTimeout:
            error = self._timeout_error(block, timeout, sys.exc_info()[2])
        except (blocks.ShellFailed, blocks.BlockSetupError) as exc:
            kind = "ShellExit" if isinstance(exc, blocks.ShellFailed) else "Workdir"
            error = self._error(kind, str(exc), block.file_line() if self.line_numbers_in_file else 1)
        except BaseException as exc:
            if expected is not None and (
                expected == "" or expected.rsplit(".", 1)[-1] in {c.__name__ for c in type(exc).__mro__}
            ):
                capture.add(Output("error", text=self._format_traceback(exc)))
            else:
                error = self._exception_error(block, exc)
        finally:
            _set_alarm(0)
            capture.close_overflow()
        if self.native is not None:  # what C code and subprocesses wrote to fd 1 and 2
            capture.take_native(self.native)
        if not block.options.mdexec:  # markdown-exec shows a figure only when plt.show() asks
            self.figures.flush()
        capture.note_truncation()
        if error is None and self.warnings.violations:
            error = self._warning_error()
        return BlockResult(
            index=block.index,
            status="error" if error else "ok",
            outputs=capture.outputs,
            error=error,
            duration=time.perf_counter() - started,
        )

    def _execute(self, block: CodeBlock) -> None:
        with (
            blocks.working_folder(block.options.workdir, self.private_root, block.options.mdexec),
            blocks.columns(block.options.width),
        ):
            if block.options.language != "python":
                blocks.run_shell(block, self.emit)
                return
            self._execute_python(block)

    def _execute_python(self, block: CodeBlock) -> None:
        namespace = self.namespace_of(block)
        if block.cell is not None:  # tracebacks then read "post.ipynb:cell 3", line 2
            lines = block.source.splitlines(keepends=True)
            linecache.cache[self.filename] = (len(block.source), None, lines, self.filename)
            # %magics and !commands, as a kernel rewrites them (execute/ipython.py)
            tree = ast.parse(ipython.transform(block.source), filename=self.filename, mode="exec")
        else:
            tree = blocks.parse(block, self.filename, self.line_numbers_in_file)
        last_expr = None
        # markdown-exec shows what a block prints, never the value of its last line
        shown = not block.options.mdexec and not blocks.ends_with_semicolon(block.source)
        if tree.body and isinstance(tree.body[-1], ast.Expr) and shown:
            last_expr = ast.Expression(tree.body.pop().value)
        exec(compile(tree, self.filename, "exec"), namespace)
        if last_expr is not None:
            value = eval(compile(last_expr, self.filename, "eval"), namespace)
            self._show(value, "result")

    def namespace_of(self, block: CodeBlock) -> dict[str, Any]:
        """The page's namespace, or a markdown-exec session's (a block without a session gets
        a fresh one, as markdown-exec runs it)."""
        name = block.options.session
        if name is None:
            return self.namespace
        if name not in self._sessions:
            namespace = blocks.session_namespace(name, block.index)
            namespace["display"] = self.display
            if not name:
                return namespace
            self._sessions[name] = namespace
        return self._sessions[name]

    # -- errors ------------------------------------------------------------------------------
    def _location(self, line: int) -> str:
        return f"{self.filename}:{line}"

    def _error(self, kind: str, message: str, line: int, tb: str = "") -> BlockError:
        return BlockError(kind, message, line, self._location(line), tb)

    def _format_traceback(self, exc: BaseException) -> str:
        return format_traceback(exc, str(self.path))

    def _first_line(self, block: CodeBlock) -> int:
        return block.line if self.line_numbers_in_file else 1

    def _exception_error(self, block: CodeBlock, exc: BaseException) -> BlockError:
        line = exception_line(exc, self.filename, self._first_line(block))
        return self._error(type(exc).__name__, exception_message(exc), line, self._format_traceback(exc))

    def _timeout_error(self, block: CodeBlock, timeout: float, tb: Any) -> BlockError:
        limit = ("page", self.page_timeout) if self._page_limited else ("block", timeout)
        return timeout_error(block, tb, self.filename, str(self.path), self._first_line(block), limit)

    def _calling_post_line(self) -> int:
        frame = sys._getframe(1)
        while frame is not None:
            if frame.f_code.co_filename == self.filename:
                return frame.f_lineno
            frame = frame.f_back  # type: ignore[assignment]
        return self._block.line if self._block and self.line_numbers_in_file else 1

    def _warning_error(self) -> BlockError:
        category, text, line = self.warnings.first_violation()
        return self._error(category, text, line, ADVICE)

"""Run a page's blocks in order in one namespace, inside the page's own process.

Jupyter semantics without a kernel: the value of a trailing expression is displayed, `display()`
works, stdout/stderr and figures are captured in the order they happen. Code is compiled with the
post's file name and real line numbers, so tracebacks point into the .md file.
"""

from __future__ import annotations

import ast
import builtins
import io
import linecache
import os
import re
import signal
import sys
import time
import traceback
import types
import warnings
from pathlib import Path
from typing import Any

from techpath.execute import blocks, figures, hooks, ipython, rich
from techpath.execute.display import bundle_from_data, mime_bundle
from techpath.execute.shown_paths import shown_paths
from techpath.model import BlockError, BlockResult, CodeBlock, InlineExpr, InlineResult, Output

POLICY_WARNINGS = (DeprecationWarning, FutureWarning, PendingDeprecationWarning)
MAX_OUTPUT_CHARS = 50_000  # per block; the rest is counted and replaced by a note
MAX_RICH_CHARS = 1_000_000  # per MIME entry of a displayed value (an HTML table, an SVG)
MAX_RICH_PER_BLOCK = 4_000_000  # all rich outputs of one block together
_INTERNAL = str(Path(__file__).parent)  # frames of the engine itself are left out of tracebacks
OVERFLOW_FILE = "techpath-output-overflow.txt"  # in the page's private working folder


class BlockTimeout(BaseException):
    """Raised in the block by SIGALRM; BaseException so `except Exception` in a post can't eat it."""


class _BinaryStream(io.RawIOBase):
    """`sys.stdout.buffer`: bytes written here join the same output, decoded as UTF-8."""

    def __init__(self, text: _Stream) -> None:
        self._text = text

    def write(self, data: Any) -> int:
        raw = bytes(data)
        self._text.write(raw.decode("utf-8", "replace"))
        return len(raw)

    def writable(self) -> bool:
        return True

    def fileno(self) -> int:
        return self._text.fileno()


class _Stream(io.TextIOBase):
    """sys.stdout / sys.stderr replacement that feeds the session's output list.

    It has what scripts expect of the real streams: `buffer` (bytes), `fileno()` (the real file
    descriptor, whose output is captured too), `encoding`, `errors`, `isatty()`.
    """

    def __init__(self, session: Session, name: str) -> None:
        self._session, self.name_ = session, name
        self.buffer = _BinaryStream(self)

    def write(self, text: str) -> int:
        self._session.emit(self.name_, text)
        return len(text)

    def writable(self) -> bool:
        return True

    def fileno(self) -> int:
        return 1 if self.name_ == "stdout" else 2

    @property
    def encoding(self) -> str:
        return "utf-8"

    @property
    def errors(self) -> str:
        return "strict"

    @property
    def name(self) -> str:
        return f"<{self.name_}>"

    def isatty(self) -> bool:
        return False


def _set_alarm(seconds: float) -> None:
    """Arm (or with 0, disarm) the in-process block timeout where the platform has SIGALRM."""
    if hasattr(signal, "setitimer"):
        signal.setitimer(signal.ITIMER_REAL, seconds)


def in_site(text: str) -> str:
    """Paths inside the page's private mirror of the site (its local modules' files) written as
    the site's own paths, `notebooks/figures/plot.py`: the mirror is this machine's scratch."""
    mirror = hooks.mirror_root
    return text.replace(mirror + os.sep, "") if mirror and mirror in text else text


def jupyter_warning_filters() -> None:
    """The warning filters of a Jupyter kernel (Python's defaults, which IPython keeps): a
    DeprecationWarning shows when the page's own code (`__main__`) triggers it, not from inside
    a library; PendingDeprecationWarning, ImportWarning and ResourceWarning are ignored; the rest,
    FutureWarning included, show once per place."""
    warnings.resetwarnings()
    for category in (ResourceWarning, ImportWarning, PendingDeprecationWarning, DeprecationWarning):
        warnings.filterwarnings("ignore", category=category)
    warnings.filterwarnings("default", category=DeprecationWarning, module="__main__")


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
        self.figure_rc = figure_rc or {}
        self.warnings_policy = warnings_policy
        self.figure_dir = figure_dir
        self.allow_warnings = allow_warnings or []
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
        self._rich_chars = 0
        self.native: NativeOutput | None = None  # set by the page process (child.py)
        self.page_timeout = 0.0
        self._outputs: list[Output] = []
        self._chars = 0
        self._dropped_chars = 0
        self._dropped_lines = 0
        self._violations: list[tuple[str, str, int]] = []
        self._block: CodeBlock | None = None
        self._figure_count = 0
        lines = file_text.splitlines(keepends=True)
        linecache.cache[filename] = (len(file_text), None, lines, filename)
        builtins.input = _no_input
        self._stdout, self._stderr = _Stream(self, "stdout"), _Stream(self, "stderr")
        self._overflow: io.TextIOWrapper | None = None
        # where the page starts: a block may change folder (markdown-exec's workdir=) meanwhile
        self._overflow_path = Path.cwd() / OVERFLOW_FILE
        self._limit = MAX_OUTPUT_CHARS
        sys.stdout, sys.stderr = self._stdout, self._stderr
        warnings.showwarning = self._on_warning
        if warnings_policy == "show":
            jupyter_warning_filters()
        else:
            for category in POLICY_WARNINGS:
                warnings.simplefilter("always", category)
        self._replayed: set[str] = set()
        self._import = builtins.__import__
        builtins.__import__ = self._import_and_connect
        self._ipython_connected = False
        self._connect_ipython()
        self._setup_matplotlib()

    # -- output ------------------------------------------------------------------------------
    def emit(self, name: str, text: str) -> None:
        if not text:
            return
        room = self._limit - self._chars
        if len(text) > room:
            self._overflow_to_file(text[room:])
            text = text[:room]
            if not text:
                return
        self._chars += len(text)
        last = self._outputs[-1] if self._outputs else None
        if last is not None and last.kind == "stream" and last.name == name:
            last.text += text
        else:
            self._outputs.append(Output("stream", name=name, text=text))

    def _overflow_to_file(self, rest: str) -> None:
        """Past the limit, print() writes straight to a scratch file (C speed) that is only
        measured: a post printing ten million lines costs seconds, not minutes."""
        if self._overflow is None:
            self._overflow = open(self._overflow_path, "w+", encoding="utf-8", errors="replace")  # noqa: SIM115
            sys.stdout = sys.stderr = self._overflow
        self._overflow.write(rest)

    def _close_overflow(self) -> None:
        if self._overflow is None:
            return
        self._overflow.flush()
        with open(self._overflow_path, "rb") as f:
            while chunk := f.read(1 << 20):
                self._dropped_chars += len(chunk)
                self._dropped_lines += chunk.count(b"\n")
        self._overflow.close()
        self._overflow = None
        os.remove(self._overflow_path)
        sys.stdout, sys.stderr = self._stdout, self._stderr

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
            self._show_figure(obj, kind)
            return
        self._show_bundle(mime_bundle(obj), kind)

    def _warn(self, text: str, line: int) -> None:
        """A note in the output that the build also reports as a warning at file:line: something
        the page asked to show that is not shown as asked."""
        location = self._location(self._block, line) if self._block else self.path
        self._outputs.append(Output("note", name="warning", text=text, data={"location": location}))

    def _show_bundle(self, bundle: dict[str, str], kind: str) -> None:
        """A MIME bundle as Jupyter would show it (rich.py decides which part), within the
        output caps; what cannot be shown is a note, and a warning at file:line."""
        for mime in [m for m in bundle if m != "text/plain"]:
            size = len(bundle[mime])
            if size > MAX_RICH_CHARS or self._rich_chars + size > MAX_RICH_PER_BLOCK:
                del bundle[mime]
                note = (
                    f"{mime} output of {size:,} characters not shown (limit {MAX_RICH_CHARS:,} "
                    f"per output, {MAX_RICH_PER_BLOCK:,} per block); the plain text form is shown"
                )
                self._outputs.append(Output("note", text=note))
            else:
                self._rich_chars += size
        bundle.setdefault("text/plain", "")
        plain = bundle["text/plain"]
        if len(plain) > MAX_OUTPUT_CHARS:
            bundle["text/plain"] = (
                plain[:MAX_OUTPUT_CHARS] + f"\n... ({len(plain) - MAX_OUTPUT_CHARS:,} more characters)"
            )
        shown = rich.choose(bundle)
        if shown.image is not None:
            image = figures.image_output(
                shown.image, bundle[shown.image], self.figure_dir, self._next_figure_name(), shown.alt
            )
            if image is not None:
                self._outputs.append(image)
                return
            bundle.pop(shown.image)
            shown = rich.choose(bundle)
        if shown.problem:
            self._warn(shown.problem, self._calling_post_line())
        if shown.kept:
            self._outputs.append(Output(kind, data={m: bundle[m] for m in shown.kept}))  # type: ignore[arg-type]

    # -- imports: import-time warnings (hooks.import_warnings), IPython's display ------------
    def _import_and_connect(
        self, name: str, globals: Any = None, locals: Any = None, fromlist: Any = (), level: int = 0
    ) -> Any:
        module = self._import(name, globals, locals, fromlist, level)
        if not self._ipython_connected and name.startswith("IPython"):
            self._connect_ipython()
        if level == 0 and hooks.import_warnings:
            self._replay_import_warnings(name, fromlist)
        return module

    def _replay_import_warnings(self, name: str, fromlist: Any) -> None:
        wanted = [name] + [f"{name}.{item}" for item in fromlist or () if isinstance(item, str)]
        for recorded, entries in hooks.import_warnings.items():
            if recorded in self._replayed:
                continue
            if any(w == recorded or w.startswith(recorded + ".") for w in wanted):
                self._replayed.add(recorded)
                for message, category, filename, lineno in entries:
                    warnings.warn_explicit(message, getattr(builtins, category), filename, lineno)

    def _connect_ipython(self) -> None:
        """IPython's `display()` and `publish_display_data()` (what plotly, altair and
        `IPython.display` call) print a repr outside a kernel: here they reach the page's output,
        as in Jupyter. Done once IPython's display module is loaded."""
        functions = sys.modules.get("IPython.core.display_functions")
        if functions is None:
            return
        self._ipython_connected = True
        session = self

        def display(*objs: Any, raw: bool = False, **kwargs: Any) -> None:
            for obj in objs:
                if raw and isinstance(obj, dict):
                    session._show_bundle(bundle_from_data(obj), "display")
                else:
                    session._show(obj, "display")

        def publish_display_data(data: Any, metadata: Any = None, *args: Any, **kwargs: Any) -> None:
            session._show_bundle(bundle_from_data(data), "display")

        def clear_output(wait: bool = False) -> None:  # a static page has nothing to clear
            return None

        replacements = {"display": display, "publish_display_data": publish_display_data}
        replacements["clear_output"] = clear_output
        for module_name in ("IPython.core.display_functions", "IPython.display", "IPython.core.display"):
            module = sys.modules.get(module_name)
            for attribute, function in replacements.items():
                if module is not None and hasattr(module, attribute):
                    setattr(module, attribute, function)
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
        saved, self._outputs = self._outputs, []  # anything it prints is not part of a block
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
            self._outputs = saved
        return InlineResult(expr.index, "error", error=error)

    def _run_block(self, block: CodeBlock, timeout: float, alarm: float) -> BlockResult:
        self._block = block
        self.filename = self.path if block.cell is None else f"{self.path}:cell {block.cell}"
        self._outputs, self._chars, self._dropped_chars, self._dropped_lines = [], 0, 0, 0
        # what a markdown-exec html="1" block prints is its HTML, bounded like a rich output
        self._limit = MAX_RICH_CHARS if block.options.html else MAX_OUTPUT_CHARS
        self._rich_chars = 0
        self._violations = []
        for problem in self._setup_problems:  # the site's settings, said once, where they bit
            self._warn(problem, block.line if self.line_numbers_in_file else 1)
        self._setup_problems = []
        started = time.perf_counter()
        error: BlockError | None = None
        expected = block.options.raises
        try:
            _set_alarm(alarm)
            self._execute(block)
            if expected is not None:
                wanted = expected or "an exception"
                error = self._error(
                    block, "DidNotRaise", f"expected {wanted} but the block finished without one", block.line
                )
        except BlockTimeout:
            error = self._timeout_error(block, timeout, sys.exc_info()[2])
        except (blocks.ShellFailed, blocks.BlockSetupError) as exc:
            kind = "ShellExit" if isinstance(exc, blocks.ShellFailed) else "Workdir"
            error = self._error(block, kind, str(exc), block.file_line() if self.line_numbers_in_file else 1)
        except BaseException as exc:
            if expected is not None and (
                expected == "" or expected.rsplit(".", 1)[-1] in {c.__name__ for c in type(exc).__mro__}
            ):
                self._outputs.append(Output("error", text=self._format_traceback(exc)))
            else:
                error = self._exception_error(block, exc)
        finally:
            _set_alarm(0)
            self._close_overflow()
        if self.native is not None:  # what C code and subprocesses wrote to fd 1 and 2
            outputs, chars, lines = self.native.read(self._limit - self._chars)
            self._outputs += outputs
            self._chars += sum(len(o.text) for o in outputs)
            self._dropped_chars += chars
            self._dropped_lines += lines
        if not block.options.mdexec:  # markdown-exec shows a figure only when plt.show() asks
            self._flush_figures()
        if self._dropped_chars:
            note = (
                f"output truncated: {self._dropped_chars:,} more characters "
                f"({self._dropped_lines:,} lines) not shown"
            )
            self._outputs.append(Output("note", text=note))
        if error is None and self._violations:
            error = self._warning_error(block)
        return BlockResult(
            index=block.index,
            status="error" if error else "ok",
            outputs=self._outputs,
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
        shown = not block.options.mdexec and not block.source.rstrip().endswith(";")
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
    def _location(self, block: CodeBlock, line: int) -> str:
        return f"{self.filename}:{line}"

    def _error(self, block: CodeBlock, kind: str, message: str, line: int, tb: str = "") -> BlockError:
        return BlockError(kind, message, line, self._location(block, line), tb)

    def _innermost_post_line(self, tb: Any, default: int) -> int:
        line = default
        for frame in traceback.extract_tb(tb):
            if frame.filename == self.filename and frame.lineno:
                line = frame.lineno
        return line

    def _format_traceback(self, exc: BaseException) -> str:
        frames = [f for f in traceback.extract_tb(exc.__traceback__) if not f.filename.startswith(_INTERNAL)]
        text = "".join(traceback.format_list(frames))
        head = "Traceback (most recent call last):\n" if frames else ""
        formatted = head + text + "".join(traceback.format_exception_only(type(exc), exc))
        return shown_paths(in_site(formatted), keep=str(self.path))

    def _exception_error(self, block: CodeBlock, exc: BaseException) -> BlockError:
        first_line = block.line if self.line_numbers_in_file else 1
        if isinstance(exc, SyntaxError) and exc.filename == self.filename and exc.lineno:
            line = exc.lineno
        else:
            line = self._innermost_post_line(exc.__traceback__, first_line)
        message = str(exc) if not isinstance(exc, SystemExit) else f"the block called sys.exit({exc.code!r})"
        if isinstance(exc, MemoryError):
            message = message or "the page ran out of its memory limit"
        if isinstance(exc, SyntaxError):
            message = exc.msg
        return self._error(block, type(exc).__name__, message, line, self._format_traceback(exc))

    def _timeout_error(self, block: CodeBlock, timeout: float, tb: Any) -> BlockError:
        first_line = block.line if self.line_numbers_in_file else 1
        line = self._innermost_post_line(tb, first_line)
        frames = [f for f in traceback.extract_tb(tb) if not f.filename.startswith(_INTERNAL)]
        stack = "".join(traceback.format_list(frames))
        if getattr(self, "_page_limited", False):
            message = (
                f"the page did not finish within its limit of {self.page_timeout:g} s "
                f"(stopped in block {block.index + 1}, at line {line})"
            )
        else:
            message = f"block {block.index + 1} did not finish within {timeout:g} s (stopped at line {line})"
        stack = shown_paths(in_site("Traceback (most recent call last):\n" + stack), keep=str(self.path))
        return self._error(block, "Timeout", message, line, stack)

    # -- warnings policy ---------------------------------------------------------------------
    def _on_warning(
        self,
        message: Any,
        category: type[Warning],
        filename: str,
        lineno: int,
        file: Any = None,
        line: str | None = None,
    ) -> None:
        text = str(message)
        strict = self.warnings_policy != "show"
        if strict and issubclass(category, POLICY_WARNINGS) and not self._allowed(category, text):
            post_line = self._calling_post_line()
            where = shown_paths(in_site(f"{filename}:{lineno}"), keep=str(self.path))
            self._violations.append((category.__name__, f"{text} (from {where})", post_line))
            return
        formatted = warnings.formatwarning(message, category, filename, lineno, line)
        self.emit("stderr", shown_paths(in_site(formatted), keep=str(self.path)))

    def _allowed(self, category: type[Warning], text: str) -> bool:
        return any(
            entry.get("category") == category.__name__ and re.search(str(entry.get("match", "")), text)
            for entry in self.allow_warnings
        )

    def _calling_post_line(self) -> int:
        frame = sys._getframe(1)
        while frame is not None:
            if frame.f_code.co_filename == self.filename:
                return frame.f_lineno
            frame = frame.f_back  # type: ignore[assignment]
        return self._block.line if self._block and self.line_numbers_in_file else 1

    def _warning_error(self, block: CodeBlock) -> BlockError:
        category, text, line = self._violations[0]
        more = f" (and {len(self._violations) - 1} more)" if len(self._violations) > 1 else ""
        advice = (
            "Deprecation and future warnings fail the build: update the code, or allow it in the "
            "front matter under allow_warnings with a category, a match and a reason."
        )
        return self._error(block, category, text + more, line, advice)

    # -- figures -----------------------------------------------------------------------------
    def _setup_matplotlib(self) -> None:
        """Route plt.show() to this session through the page backend (see mpl_backend.py), and
        give matplotlib the page's settings now (warm parent) or when the page imports it."""
        hooks.show_figures = self._flush_figures
        hooks.matplotlib_ready = lambda: self._setup_problems.extend(figures.apply_site_rc(self.figure_rc))
        self._setup_problems = figures.apply_rc(self.figure_rc)

    def _flush_figures(self) -> None:
        """Show and close every open figure, in order, in this block's output (Jupyter's
        inline backend at plt.show() and at the end of a cell)."""
        pyplot = sys.modules.get("matplotlib.pyplot")
        if pyplot is None:
            return
        for number in pyplot.get_fignums():
            self._show_figure(pyplot.figure(number), "display")
        pyplot.close("all")

    def _show_figure(self, figure: Any, kind: str) -> None:
        if figures.is_empty(figure):  # Jupyter shows its text, never a blank image
            self._outputs.append(Output(kind, data={"text/plain": repr(figure)}))  # type: ignore[arg-type]
            return
        sys.modules["matplotlib"].rcParams["svg.hashsalt"] = "techpath"
        self._outputs.append(figures.save_figure(figure, self.figure_dir, self._next_figure_name()))

    def _next_figure_name(self) -> str:
        self._figure_count += 1
        index = self._block.index if self._block else 0
        return f"block{index + 1:03d}-figure{self._figure_count}"


class NativeOutput:
    """What was written to file descriptors 1 and 2 (C code, `os.write`, subprocesses).

    The page's fd 1 and 2 point at files opened for appending. After each block the new bytes
    are read up to the block's remaining output budget, the rest is only counted, and the files
    are emptied, so output over the cap never spills into the next block and never piles up.
    """

    def __init__(self, work: Path) -> None:
        self._files = {"stdout": work / "native-stdout.txt", "stderr": work / "native-stderr.txt"}

    def read(self, room: int) -> tuple[list[Output], int, int]:
        """(outputs, characters dropped, lines dropped) since the last call."""
        outputs: list[Output] = []
        dropped_chars = dropped_lines = 0
        for name, path in self._files.items():
            try:
                with open(path, "rb") as f:
                    data = f.read(max(0, room))
                    while chunk := f.read(1 << 20):
                        dropped_chars += len(chunk)
                        dropped_lines += chunk.count(b"\n")
                os.truncate(path, 0)
            except OSError:
                continue
            if data:
                text = data.decode("utf-8", "replace")
                room -= len(text)
                outputs.append(Output("stream", name=name, text=text))
        return outputs, dropped_chars, dropped_lines

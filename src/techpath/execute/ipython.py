"""IPython syntax in notebook cells (`%matplotlib inline`, `%timeit`, `!ls`, `%%writefile`), run
without a kernel.

A notebook cell is Python plus IPython's syntax. When a cell holds any, IPython's own input
transformer (when IPython is installed) turns it into calls on `get_ipython()`, as a kernel
does, and `PageShell` answers the magics notebooks use. A magic it does not run is an error at
the cell's line that names it, never silently skipped. What runs and what each prints follow
IPython (checked with nbclient): `%load`, `%pinfo` (`obj?`) and `%config` print nothing in an
executed notebook, `%matplotlib` of any backend is the page's own figure capture here.
"""

from __future__ import annotations

import ast
import cProfile
import io
import os
import pstats
import re
import runpy
import shlex
import subprocess
import sys
import time
import timeit
from collections.abc import Callable
from typing import Any

from techpath.execute.display import bundle_from_data

_SYNTAX = re.compile(r"^\s*(%|!)|^[^#\n]*=\s*(%|!)\w|\?\s*$", re.MULTILINE)
QUIET = {"load", "pinfo", "pinfo2", "pdoc", "psearch", "config", "xmode", "precision", "autoreload",
         "load_ext", "reload_ext", "unload_ext", "pdb", "matplotlib", "colors", "autosave",
         "autocall", "automagic", "doctest_mode", "notebook", "history"}  # fmt: skip


class UsageError(Exception):
    """What IPython raises for a magic it cannot run (the same name in the error)."""


def has_ipython_syntax(source: str) -> bool:
    return bool(_SYNTAX.search(source))


def transform(source: str) -> str:
    """The cell as plain Python, as IPython's kernel rewrites it; the source itself when it
    has no IPython syntax or IPython is not installed (then Python reports the syntax error)."""
    if not has_ipython_syntax(source):
        return source
    try:
        from IPython.core.inputtransformer2 import TransformerManager
    except ImportError:
        return source
    return str(TransformerManager().transform_cell(source))


def connect_display(
    show: Callable[[Any, str], None], show_bundle: Callable[[dict[str, str], str], None]
) -> Any:
    """IPython's `display()` and `publish_display_data()` (what plotly, altair and
    `IPython.display` call) print a repr outside a kernel: here they reach the page's output
    (`show` an object, `show_bundle` a MIME bundle), as in Jupyter. Returns the page's
    `display`, or None while IPython's display module is not loaded."""
    functions = sys.modules.get("IPython.core.display_functions")
    if functions is None:
        return None

    def display(*objs: Any, raw: bool = False, **kwargs: Any) -> None:
        for obj in objs:
            if raw and isinstance(obj, dict):
                show_bundle(bundle_from_data(obj), "display")
            else:
                show(obj, "display")

    def publish_display_data(data: Any, metadata: Any = None, *args: Any, **kwargs: Any) -> None:
        show_bundle(bundle_from_data(data), "display")

    def clear_output(wait: bool = False) -> None:  # a static page has nothing to clear
        return None

    replacements = {"display": display, "publish_display_data": publish_display_data}
    replacements["clear_output"] = clear_output
    originals = {name: getattr(functions, name, None) for name in replacements}
    for module_name in ("IPython.core.display_functions", "IPython.display", "IPython.core.display"):
        module = sys.modules.get(module_name)
        for attribute, function in replacements.items():
            if module is not None and hasattr(module, attribute):
                setattr(module, attribute, function)
    # A library imported before (the warm parent preloads what pages import: ipywidgets does
    # `from IPython.display import display, clear_output`) holds IPython's own functions, which
    # outside a kernel print a repr and terminal escapes: it gets the page's too.
    for module in list(sys.modules.values()):
        names = getattr(module, "__dict__", None)
        for attribute, original in originals.items():
            if original is not None and isinstance(names, dict) and names.get(attribute) is original:
                setattr(module, attribute, replacements[attribute])
    return display


class PageShell:
    """`get_ipython()` in a notebook page: the magics notebooks use, on the page's namespace."""

    def __init__(self, namespace: dict[str, Any], display: Callable[..., None]) -> None:
        self.user_ns = namespace
        self._display = display

    def __call__(self) -> PageShell:  # the page calls get_ipython()
        return self

    # -- entry points IPython's transformer writes --------------------------------------------
    def run_line_magic(self, name: str, line: str, _stack_depth: int = 1) -> Any:
        if name in QUIET:
            return None
        handler = getattr(self, f"_line_{name}", None)
        if handler is None:
            raise UsageError(_unsupported("%", name))
        return handler(line)

    def run_cell_magic(self, name: str, line: str, cell: str) -> Any:
        handler = getattr(self, f"_cell_{name}", None)
        if handler is None:
            raise UsageError(_unsupported("%%", name))
        return handler(line, cell)

    def system(self, command: str) -> None:
        """`!command`: its output (stdout and stderr together) printed, as in Jupyter."""
        print(_shell(command), end="")

    def getoutput(self, command: str) -> list[str]:
        """`x = !command`: its output lines."""
        return _shell(command).splitlines()

    # -- line magics -------------------------------------------------------------------------
    def _line_time(self, line: str) -> Any:
        return self._time(line)

    def _line_prun(self, line: str) -> Any:
        return self._profile(line, "")

    def _line_timeit(self, line: str) -> None:
        self._timeit(line, "")

    def _line_run(self, line: str) -> None:
        path, *args = line.split()
        saved = sys.argv
        sys.argv = [path, *args]
        try:
            self.user_ns.update(runpy.run_path(path, run_name="__main__"))
        finally:
            sys.argv = saved

    def _line_pylab(self, line: str) -> None:
        exec("import numpy\nimport matplotlib\nfrom matplotlib import pylab, mlab, pyplot\n"
             "np = numpy\nplt = pyplot\nfrom pylab import *\nfrom numpy import *", self.user_ns)  # fmt: skip

    def _line_cd(self, line: str) -> None:
        os.chdir(os.path.expanduser(line.strip() or "~"))

    # -- cell magics -------------------------------------------------------------------------
    def _cell_time(self, line: str, cell: str) -> Any:
        return self._time(cell)

    def _cell_timeit(self, line: str, cell: str) -> None:
        self._timeit(line, cell)

    def _cell_prun(self, line: str, cell: str) -> Any:
        return self._profile(line, cell)

    def _cell_writefile(self, line: str, cell: str) -> None:
        append = "-a" in line.split()
        path = line.replace("-a", "").strip().strip("\"'")
        print(f"{'Appending to' if append else 'Overwriting' if os.path.exists(path) else 'Writing'} {path}")
        with open(path, "a" if append else "w", encoding="utf-8") as f:
            f.write(cell)

    _cell_file = _cell_writefile

    def _cell_bash(self, line: str, cell: str) -> None:
        print(_shell(cell, "bash"), end="")

    def _cell_sh(self, line: str, cell: str) -> None:
        print(_shell(cell, "sh"), end="")

    def _cell_html(self, line: str, cell: str) -> None:
        self._display({"text/html": cell, "text/plain": "<IPython.core.display.HTML object>"})

    _cell_HTML = _cell_html

    def _cell_markdown(self, line: str, cell: str) -> None:
        self._display({"text/markdown": cell, "text/plain": "<IPython.core.display.Markdown object>"})

    def _cell_latex(self, line: str, cell: str) -> None:
        self._display({"text/latex": cell, "text/plain": "<IPython.core.display.Latex object>"})

    def _cell_svg(self, line: str, cell: str) -> None:
        self._display({"image/svg+xml": cell, "text/plain": "<IPython.core.display.SVG object>"})

    # -- timing ------------------------------------------------------------------------------
    def _time(self, code: str) -> Any:
        """`%time`: IPython's report (user, system and total CPU, wall time), printed also
        when the code raises; a cell's last expression is its value, as in IPython."""
        tree = ast.parse(code, "<timed exec>")
        last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
        started, cpu = time.perf_counter(), os.times()
        try:
            exec(compile(tree, "<timed exec>", "exec"), self.user_ns)
            if last is not None:
                return eval(compile(ast.Expression(last.value), "<timed exec>", "eval"), self.user_ns)
            return None
        finally:
            wall, now = time.perf_counter() - started, os.times()
            user, system = now.user - cpu.user, now.system - cpu.system
            print(
                f"CPU times: user {_duration(user)}, sys: {_duration(system)}, "
                f"total: {_duration(user + system)}\nWall time: {_duration(wall)}"
            )

    def _profile(self, line: str, cell: str) -> Any:
        """`%prun [-s key] [-l limit] [-q] [-r] statement`: the statement runs under cProfile
        and IPython's report (pstats, by internal time) is printed where JupyterLab shows it."""
        words, code = shlex.split(line) if cell else [], cell or line
        while not cell and re.match(r"\s*-[A-Za-z]", code):  # options before the statement
            word, _, code = code.lstrip().partition(" ")
            words.append(word)
            if word in ("-s", "-l"):
                value, _, code = code.lstrip().partition(" ")
                words.append(value)
        sort, limits, quiet, keep = [], [], False, False
        while words:
            word = words.pop(0)
            if word in ("-s", "-l") and words:
                (sort if word == "-s" else limits).append(words.pop(0))
            elif word in ("-q", "-r"):
                quiet, keep = quiet or word == "-q", keep or word == "-r"
            else:
                raise UsageError(f"%prun {word}: techpath runs only its -s, -l, -q and -r options")
        profile = cProfile.Profile()
        profile.runctx(code.strip(), self.user_ns, self.user_ns)
        stats = pstats.Stats(profile, stream=io.StringIO()).strip_dirs().sort_stats(*(sort or ["time"]))
        stats.print_stats(*[_number(limit) for limit in limits])
        if not quiet:
            print(stats.stream.getvalue().rstrip())  # type: ignore[attr-defined]
        return stats if keep else None

    def _timeit(self, line: str, cell: str) -> None:
        """`%timeit [-n N] [-r R] statement`: IPython's report (mean ± std. dev. of R runs of
        N loops, N the first power of ten that takes 0.2 s, and its note on a slow run)."""
        options = dict(re.findall(r"-([nr])\s*(\d+)", line))
        statement = cell or re.sub(r"-[nr]\s*\d+|-[oqpt]\b|-c\b", "", line).strip()
        setup = re.sub(r"-[nr]\s*\d+|-[oqpt]\b|-c\b", "", line).strip() if cell else "pass"
        timer = timeit.Timer(statement, setup or "pass", globals=self.user_ns)
        repeat = int(options.get("r", 7))
        number = int(options["n"]) if "n" in options else 0
        for power in range(10 if not number else 0):  # IPython's: the first power of ten over 0.2 s
            number = 10**power
            if timer.timeit(number) >= 0.2:
                break
        runs = [t / number for t in timer.repeat(repeat, number)]
        mean = sum(runs) / len(runs)
        spread = (sum((r - mean) ** 2 for r in runs) / len(runs)) ** 0.5
        loops = "loop" if number == 1 else "loops"
        if max(runs) > 4 * min(runs) and min(runs) > 0 and max(runs) > 1e-6:
            print(
                f"The slowest run took {max(runs) / min(runs):0.2f} times longer than the fastest. "
                "This could mean that an intermediate result is being cached."
            )
        print(
            f"{_duration(mean)} ± {_duration(spread)} per loop (mean ± std. dev. of {repeat} "
            f"run{'s' if repeat != 1 else ''}, {number:,} {loops} each)"
        )


def _shell(command: str, program: str = "sh") -> str:
    completed = subprocess.run(
        [program, "-c", command],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        check=False,
    )
    return completed.stdout


def _duration(seconds: float) -> str:
    """IPython's `_format_time`: 3 significant digits in s, ms, μs (the Greek mu) or ns, and
    days, hours, minutes and seconds from a minute on."""
    if seconds >= 60:
        parts, left = [], seconds
        for unit, length in (("d", 86400), ("h", 3600), ("min", 60), ("s", 1)):
            if int(left / length) > 0:
                parts.append(f"{int(left / length)}{unit}")
                left %= length
            if left < 1:
                break
        return " ".join(parts)
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("\u03bcs", 1e-6), ("ns", 1e-9)):
        if seconds >= scale or unit == "ns":
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds:.3g} s"


def _number(limit: str) -> int | float | str:
    """A `%prun -l` limit as IPython reads it: a count, a fraction, or a regular expression."""
    for kind in (int, float):
        try:
            return kind(limit)
        except ValueError:
            pass
    return limit


def _unsupported(prefix: str, name: str) -> str:
    return (
        f"{prefix}{name} is not run by techpath, which runs notebooks without a Jupyter kernel "
        "(it runs %matplotlib, %time, %timeit, %prun, %run, %pylab, %cd, !commands, %%writefile, "
        "%%bash, %%html, %%markdown, %%latex, %%svg, and ignores %load, %config and help); "
        "remove it or tag the cell skip-execution"
    )

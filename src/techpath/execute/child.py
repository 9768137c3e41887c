"""The page process: isolate itself, run the page's blocks, write results as they happen.

Called in a process forked from the warm parent (warm_parent.py) or in a freshly spawned interpreter
(`python -m techpath.execute.child JOB.json`, the fallback where fork is unsafe). Results go to
`events.jsonl` in the job's result folder, one line per event, flushed as they happen, so the
parent can name the block that was running if this process is killed or crashes.
"""

from __future__ import annotations

import contextlib
import json
import os

try:
    import resource  # POSIX only; on Windows there is no memory ceiling and no peak-memory figure
except ImportError:  # pragma: no cover - exercised on Windows only
    resource = None  # type: ignore[assignment]
import shutil
import signal
import subprocess
import sys
import sysconfig
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import techpath
from techpath.execute import cgroups, hooks, ipython, procs
from techpath.execute.imports import ImportLog
from techpath.execute.overlay import Overlay
from techpath.execute.reads import FileWatch
from techpath.model import (
    BlockOptions,
    BlockResult,
    CodeBlock,
    Exercise,
    ExerciseResult,
    InlineExpr,
    InlineResult,
)

STANDALONE_FLAGS = [
    "-W",
    "error::DeprecationWarning",
    "-W",
    "error::FutureWarning",
    "-W",
    "error::PendingDeprecationWarning",
]


def job_blocks(job: dict[str, Any]) -> list[CodeBlock]:
    return [
        CodeBlock(
            **{
                **b,
                "options": BlockOptions(**b["options"]),
                "lines": tuple(b["lines"]) if b.get("lines") else None,
            }
        )
        for b in job["blocks"]
    ]


def job_inline(job: dict[str, Any]) -> list[InlineExpr]:
    return [InlineExpr(**e) for e in job.get("inline", [])]


def job_exercises(job: dict[str, Any]) -> list[Exercise]:
    return [Exercise(**e) for e in job.get("exercises", [])]


def isolate(job: dict[str, Any]) -> PageContext:
    """Die with the parent, adopt own orphans, own session, no stdin, and a private working
    folder that mirrors the site (execute/overlay.py), with the page's reads recorded."""
    procs.die_with_parent(signal.SIGKILL)  # the build (or warm parent) went: this page goes too
    procs.become_subreaper()  # a double fork inside the page stays below it, to be ended with it
    cgroups.join(job.get("cgroup", ""))  # where the kernel enforces the memory limit
    if hasattr(os, "setsid"):  # its own process group: the parent can stop everything it started
        os.setsid()
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if hasattr(signal, "SIGALRM"):  # elsewhere the parent enforces block timeouts by killing
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        signal.signal(signal.SIGALRM, _raise_timeout)
    os.environ.update(job.get("env") or {})  # MKDOCS_CONFIG_DIR, as markdown-exec sets it
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    # Text written straight to the file descriptors (C libraries, subprocesses) lands here,
    # appended, so the page can empty the files after each block (session.NativeOutput).
    native = Path(job["result_dir"])
    for fd, name in ((1, "native-stdout.txt"), (2, "native-stderr.txt")):
        target = os.open(native / name, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_APPEND, 0o600)
        os.dup2(target, fd)
        os.close(target)
    sys.dont_write_bytecode = True  # a page's local modules leave no __pycache__ behind
    context = PageContext(ImportLog())
    work = Path(job["work_dir"])
    overlay = _site_mirror(job, work)
    if overlay is not None:  # the site as the page's own folder tree (as in Jupyter)
        os.chdir(overlay.prepare(job.get("cwd", ".")))
        hooks.mirror_root = str(overlay.mirror)
        folder = "" if job.get("cwd", ".") == "." else job["cwd"]
        context.watch = FileWatch(overlay, folder, _environment_folders())
        context.watch.install()
    else:  # no site, or no symbolic links here: a private folder holding the declared inputs
        copy_inputs(job, work)
        cwd = work / job.get("cwd", ".")
        cwd.mkdir(parents=True, exist_ok=True)
        os.chdir(cwd)
    _notebook_import_path()
    _prefer_local_modules()
    _limit_threads(job.get("threads"))
    sys.argv = [job["path"]]
    return context


def _site_mirror(job: dict[str, Any], work: Path) -> Overlay | None:
    """The overlay of the job's site, or None where links cannot be made (Windows without the
    symbolic-link privilege): there the page falls back to its declared inputs only."""
    if not job.get("source_root"):
        return None
    probe = work / ".link-probe"
    try:
        os.symlink(job["source_root"], probe)
        probe.unlink()
    except (OSError, NotImplementedError):
        return None
    return Overlay(Path(job["source_root"]), work)


@dataclass
class PageContext:
    """What the page process records about the page besides its outputs."""

    imports: ImportLog
    watch: FileWatch | None = None

    def start(self) -> None:
        self.imports.start()
        if self.watch is not None:
            self.watch.recording = True

    def dependencies(self, import_failed: bool = False) -> dict[str, Any]:
        """What the page used. When an import failed, the page's folder listing counts too: a
        module added next to the page later would make that import work."""
        if self.watch is not None and import_failed:
            self.watch.listings.add(self.watch.page_folder or ".")
        found: dict[str, Any] = self.watch.dependencies() if self.watch is not None else {}
        return {**found, "modules": self.imports.module_paths()}


def _environment_folders() -> list[str]:
    """The interpreter's and its packages' folders: what they hold is covered by the Python
    version and the distributions, not recorded as files the page read. techpath's own package
    too, wherever it is installed: its code is in every key (cache.py, engine_source_hash). An
    editable install inside the site (our repository) used to record ~34 of its files per page,
    so a copy of the site elsewhere found none of its results."""
    folders = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}
    folders.add(str(Path(techpath.__file__).resolve().parent))
    folders.update(p for p in sys.path if p and "site-packages" in p)
    return sorted(folders)


def _notebook_import_path() -> None:
    """sys.path as a Jupyter kernel has it: the working folder ('') after the standard library
    and before the installed packages, so a module next to the notebook imports as there. The
    folder the warm parent was started from is no page's folder: it goes."""
    launched = hooks.launch_folder
    paths = [p for p in sys.path if p != "" and not (launched and p == launched)]
    stdlib = {os.path.realpath(sysconfig.get_paths()[k]) for k in ("stdlib", "platstdlib")}
    position = 0
    for index, entry in enumerate(paths):
        real = os.path.realpath(entry)
        if real in stdlib or any(real.startswith(s + os.sep) for s in stdlib) or entry.endswith(".zip"):
            position = index + 1
        else:
            break
    sys.path[:] = [*paths[:position], "", *paths[position:]]


def _prefer_local_modules() -> None:
    """A module next to the page wins over an installed one of the same name the warm parent
    imported (as '' comes before site-packages in Jupyter): the installed one is forgotten."""
    try:
        here = os.listdir(".")
    except OSError:
        return
    local = {
        name.removesuffix(".py")
        for name in here
        if name.endswith(".py") or os.path.isfile(os.path.join(name, "__init__.py"))
    }
    local &= {name for name in sys.modules if "." not in name}
    for name in local - set(sys.stdlib_module_names) - {"techpath"}:
        module = sys.modules.get(name)
        file = os.path.realpath(getattr(module, "__file__", None) or "")
        if file and not file.startswith(os.path.realpath(".") + os.sep):
            for loaded in [m for m in sys.modules if m == name or m.startswith(name + ".")]:
                del sys.modules[loaded]


def _limit_threads(threads: int | None) -> None:
    """The build's thread budget per page, for libraries already loaded by the warm parent
    (their pools are sized at import) and, through the environment, for anything started later."""
    if not threads:
        return
    for name in hooks.THREAD_VARIABLES:
        os.environ[name] = str(threads)
    if "numpy" in sys.modules and hooks.threads_at_start != threads:
        try:
            from threadpoolctl import threadpool_limits

            threadpool_limits(threads)
        except Exception:  # threadpoolctl missing or a library it cannot drive: env vars only
            pass


def copy_inputs(job: dict[str, Any], folder: Path) -> None:
    """Copy the post's declared input files into `folder` (a standalone check's own folder), at
    the paths the job gives them (the repository's layout, so the post's own relative paths
    work from `cwd`)."""
    for source, relative in job.get("inputs", []):
        target = folder / relative
        if target.resolve().is_relative_to(folder.resolve()):
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)


def _raise_timeout(signum: int, frame: Any) -> None:
    from techpath.execute.errors import BlockTimeout

    raise BlockTimeout()


class EventLog:
    def __init__(self, path: Path) -> None:
        self._file = open(path, "a", encoding="utf-8")  # noqa: SIM115 - open for the page's life

    def write(self, event: dict[str, Any]) -> None:
        self._file.write(json.dumps(event) + "\n")
        self._file.flush()


def run_page(job: dict[str, Any], context: PageContext | None = None) -> None:
    """Execute every block of the job; never raises (errors are results)."""
    from techpath.execute.capture import NativeOutput
    from techpath.execute.names import code_names
    from techpath.execute.session import Session

    result_dir = Path(job["result_dir"])
    events = EventLog(result_dir / "events.jsonl")
    events.write({"event": "baseline", "private_mb": procs.private_mb(os.getpid())})
    session = Session(
        job["path"],
        job["file_text"],
        result_dir,
        allow_warnings=job.get("allow_warnings"),
        line_numbers_in_file=not job.get("notebook", False),
        script_file=write_main_script(job),
        figure_rc=job.get("figure_rc") or {},
        warnings_policy=job.get("warnings", "error"),
    )
    session.native = NativeOutput(result_dir)
    session.private_root = Path(job["work_dir"])  # the mirror of the site's folder (overlay.py)
    if job.get("notebook") and any(ipython.has_ipython_syntax(b.source) for b in job_blocks(job)):
        ipython.transform("%matplotlib inline")  # IPython's transformer: the engine's, not the page's
    if not wait_for_slot(job):
        return
    started = time.perf_counter()  # the page's time limit counts from here, as the parent's does
    if context is not None:  # from here on, what the page imports and reads is its own
        context.start()
    page_timeout = float(job.get("page_timeout") or 0)
    session.page_timeout = page_timeout
    standalone: dict[int, subprocess.Popen[str]] = {}
    standalone_timeouts: dict[int, float] = {}
    failed_block: CodeBlock | None = None  # the block that stopped the page
    failed_type = ""  # and its error's type
    inline = job_inline(job)

    def run_inline(after: int) -> None:  # the prose's values after block `after`, in order
        for expr in (e for e in inline if e.after == after):
            value = InlineResult(expr.index, "not-run") if failed_block is not None else None
            value = value or session.run_inline(expr, float(job["block_timeout"]))
            events.write({"event": "inline", "result": asdict(value)})

    blocks = job_blocks(job)
    exercises = {e.starter: e for e in job_exercises(job)}
    verified: set[int] = set()  # parts whose results were written with their exercise's

    def timeout_of(block: CodeBlock) -> float:  # Limits.for_block, computed by the parent
        timeouts = job.get("timeouts") or []
        if block.index < len(timeouts):
            return float(timeouts[block.index])
        return float(block.options.timeout or job["block_timeout"])

    def on_start(index: int) -> None:
        events.write({"event": "start", "block": index, "time": time.time()})

    def on_result(result: BlockResult) -> None:
        events.write({"event": "block", "result": asdict(result)})

    run_inline(-1)
    for block in blocks:
        if block.index in verified:
            run_inline(block.index)
            continue
        if block.index in exercises and failed_block is None:
            exercise = exercises[block.index]
            outcome = _exercise(session, exercise, blocks, timeout_of, result_dir, on_start, on_result)
            events.write({"event": "exercise", "result": asdict(outcome)})
            verified.update((exercise.check, exercise.solution))
            run_inline(block.index)
            continue
        if block.options.skip or failed_block is not None:
            skipped = BlockResult(block.index, "skipped")
            if not block.options.skip and failed_block is not None:
                skipped = BlockResult.not_reached(block.index, failed_block)
            events.write({"event": "block", "result": asdict(skipped)})
            run_inline(block.index)
            continue
        if block.options.standalone:
            standalone[block.index] = start_standalone(job, block)
            standalone_timeouts[block.index] = timeout_of(block)
        events.write({"event": "start", "block": block.index, "time": time.time()})
        left = page_timeout - (time.perf_counter() - started) if page_timeout else None
        result = session.run_block(block, timeout_of(block), page_deadline=left)
        if block.options.language == "python" and not block.options.mdexec:
            result.names = code_names(block.source, session.namespace_of(block))
        # a failure stops the page (as in Jupyter), but markdown-exec runs every block on its own
        if result.status == "error" and not block.options.mdexec:
            failed_block = block
            failed_type = result.error.type if result.error else ""
        events.write({"event": "block", "result": asdict(result)})
        run_inline(block.index)
    for index, process in standalone.items():
        outcome = finish_standalone(process, job, standalone_timeouts[index])
        events.write({"event": "standalone", "block": index, **outcome})
    if context is not None:  # what the result depends on besides the code (cache.py checks it)
        import_failed = failed_type in ("ModuleNotFoundError", "ImportError")
        events.write({"event": "dependencies", **context.dependencies(import_failed)})
    procs.kill_tree(os.getpid(), include_root=False)  # nothing the page started outlives it
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 if resource is not None else 0.0
    events.write(
        {
            "event": "end",
            "time": time.time(),
            "duration": time.perf_counter() - started,
            "peak_memory_mb": peak_mb,
        }
    )


def wait_for_slot(job: dict[str, Any]) -> bool:
    """A gated page (started while every worker was busy, so that its fork and set-up overlap
    their blocks) waits here until the parent lets it go: one byte on the FIFO `gate` in its
    result folder (runner._let_go). False: the parent closed the gate without letting it go
    (its build ended); the page runs nothing."""
    if not job.get("gated"):
        return True
    fd = os.open(Path(job["result_dir"]) / "gate", os.O_RDONLY | os.O_NONBLOCK)
    try:
        os.set_blocking(fd, True)  # opened without waiting for a writer, read waiting for the byte
        return os.read(fd, 1) == b"1"
    finally:
        os.close(fd)


def _exercise(
    session: Any,
    exercise: Exercise,
    blocks: list[CodeBlock],
    timeout_of: Any,
    scratch: Path,
    on_start: Any,
    on_result: Any,
) -> ExerciseResult:
    from techpath.execute.exercise import fork_available, verify

    if fork_available():
        return verify(session, exercise, blocks, timeout_of, scratch, on_start, on_result)
    for index in (exercise.starter, exercise.check, exercise.solution):  # pragma: no cover - Windows
        on_result(BlockResult(index, "skipped"))
    note = "not verified: checking an exercise forks the page, and this platform has no fork()"
    return ExerciseResult(exercise.index, "skipped", note)


def write_main_script(job: dict[str, Any]) -> str:
    """The page as a Python script (its blocks at their own line numbers), the `__file__` of the
    page's `__main__`: `multiprocessing` in spawn mode and `inspect` read it as they would a
    script's. Blocks that are skipped or must raise are left out, as a script would be fixed."""
    lines: list[str] = []
    for block in job_blocks(job):
        if block.options.skip or block.options.raises is not None or block.options.exercise:
            continue
        if block.options.language != "python" or block.lines is not None:
            continue  # a shell block is no Python; included code has no lines of its own here
        start = 0 if job.get("notebook") else block.line - 1
        if start > len(lines):
            lines += [""] * (start - len(lines))
        lines += block.source.splitlines()
    stem = Path(job["path"]).stem or "page"
    # outside the page's folder, so listing that folder shows what Jupyter would show
    path = Path(job["result_dir"]) / f".{stem}-main.py"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


def start_standalone(job: dict[str, Any], block: CodeBlock) -> subprocess.Popen[str]:
    """Run the block alone in a fresh interpreter, in the background, with the same lines."""
    folder = Path(tempfile.mkdtemp(prefix="standalone-", dir=job["result_dir"]))
    offset = "" if job.get("notebook") else "\n" * (block.line - 1)
    # A pasted recipe runs next to the post's data files, as it would on a reader's machine:
    # the same repository layout as the page, from the post's own folder.
    copy_inputs(job, folder)
    cwd = folder / job.get("cwd", ".")
    cwd.mkdir(parents=True, exist_ok=True)
    script = cwd / "standalone.py"
    script.write_text(offset + block.source + "\n", encoding="utf-8")
    env = {**os.environ, "MPLBACKEND": "Agg", "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.Popen(
        [sys.executable, *STANDALONE_FLAGS, str(script)],
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def finish_standalone(process: subprocess.Popen[str], job: dict[str, Any], timeout: float) -> dict[str, Any]:
    try:
        output, _ = process.communicate(timeout=timeout * 2)
    except subprocess.TimeoutExpired:
        process.kill()
        output, _ = process.communicate()
        return {"ok": False, "output": "timed out when run alone\n" + output[-4000:]}
    return {"ok": process.returncode == 0, "output": output[-4000:].replace("standalone.py", job["path"])}


def _supervise() -> None:
    """Spawn mode on Linux: this process stays a small supervisor (a subreaper, like the warm
    parent) and the page runs in a child. When the build dies, the supervisor is told (SIGTERM)
    and ends the page's whole tree, daemons included, then exits with the page's status."""
    os.setsid()
    pid = os.fork()
    if pid == 0:
        return

    def end_all(signum: int = 0, frame: Any = None) -> None:
        procs.kill_tree(os.getpid(), include_root=False)
        os._exit(128 + signum if signum else 0)

    signal.signal(signal.SIGTERM, end_all)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C: the build decides, not the terminal
    procs.die_with_parent(signal.SIGTERM)
    while True:
        try:
            done, status = os.waitpid(-1, 0)
        except ChildProcessError:
            os._exit(0)
        if done == pid:
            procs.kill_tree(os.getpid(), include_root=False)
            code = os.waitstatus_to_exitcode(status)
            if code < 0:  # die the same way, so the build reads the same cause
                with contextlib.suppress(OSError, ValueError):
                    signal.signal(-code, signal.SIG_DFL)
                os.kill(os.getpid(), -code)
            os._exit(code)


def main() -> None:
    """Spawn mode: `python -m techpath.execute.child JOB.json`."""
    job = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
    if procs.become_subreaper():
        _supervise()  # returns in the page process only
    # The same warm-up as the warm parent's (spawn mode has none): the same import-time warnings
    # recorded for replay, and the same memory baseline, so both modes judge a page alike.
    from techpath.execute.preload import warm_up

    hooks.launch_folder = sys.path[0] if sys.path and not sys.flags.safe_path else None
    hooks.record_thread_budget(os.environ)
    warm_up(job.get("preload") or [])
    run_page(job, isolate(job))
    os._exit(0)


if __name__ == "__main__":
    main()

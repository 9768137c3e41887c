"""Parent side of execution: one scheduler over N workers that enforces limits and collects
results, driving a launcher (launchers.py) that starts and ends the page processes.

Fork launcher (Linux): pages are forked from a warm parent process (warm_parent.py), so numpy,
sklearn and matplotlib are imported and warmed once per build. Spawn launcher (elsewhere): each
page is a fresh interpreter; same isolation, slower start. The scheduler is the same for both.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from techpath import environment
from techpath.execute import cgroups, hooks, procs
from techpath.execute.launchers import ForkLauncher, Launcher, SpawnLauncher
from techpath.model import (
    BlockError,
    BlockResult,
    ExerciseResult,
    InlineResult,
    Limits,
    PageResult,
    Post,
)
from techpath.parse.inputs import placement

MPL_BACKEND = "module://techpath.execute.mpl_backend"  # plt.show() puts figures into the page
GRACE_SECONDS = 2.0  # after a block's own timeout, before the parent kills the process group
POLL_SECONDS = 0.05
MEMORY_POLL_SECONDS = 0.1
LOST_EXIT = -1000  # exit "code" of a page whose warm parent died: an infrastructure failure
GATE = "gate"  # the FIFO in a page's result folder it reads one byte from before its first block


@dataclass
class _Running:
    job_id: int
    post: Post
    result_dir: Path
    work_dir: Path
    started: float | None  # when it was let go to run its blocks; None while it waits (gated)
    gate: tuple[int, int] | None = None  # the FIFO's (reader, writer) this process holds open
    ended: bool = False  # its "end" event was read: it runs no more blocks
    pid: int | None = None
    cgroup: cgroups.PageGroup | None = None  # where cgroup v2 memory.max enforces the limit
    offset: int = 0
    current_block: int | None = None
    block_started: float = 0.0
    killed_because: str = ""
    killed_kind: str = ""  # Timeout or MemoryLimit: which limit the parent enforced
    baseline_mb: float = 0.0  # the page's own private memory before its first block
    memory_checked: float = 0.0
    events: list[dict[str, Any]] = field(default_factory=list)


def fork_is_safe() -> bool:
    """fork() without exec is safe on Linux; macOS system frameworks and Windows need spawn."""
    return sys.platform.startswith("linux") and hasattr(os, "fork")


def thread_env(workers: int) -> dict[str, str]:
    """One BLAS/OpenMP thread per worker when workers fill the cores: no oversubscription."""
    threads = str(max(1, (os.cpu_count() or 1) // max(1, workers)))
    return {name: threads for name in hooks.THREAD_VARIABLES}


def child_env(jobs: int, preload: list[str] | None) -> dict[str, str]:
    """The environment of the warm parent (and of spawned pages) for `jobs` workers."""
    env = {**os.environ, **thread_env(max(1, jobs)), "MPLBACKEND": MPL_BACKEND, "PYTHONHASHSEED": "0"}
    if preload is not None:
        env.update(environment.preload_entry(preload))
    return env


class Runner:
    """Runs posts in isolated page processes. Owns its warm parent; call close() when done."""

    def __init__(
        self,
        jobs: int,
        limits: Limits,
        preload: list[str] | None = None,
        mode: str = "auto",
        log: Callable[[str], None] | None = None,
        keep_warm: float = 0.0,
        cache_dir: Path | None = None,
        page_env: dict[str, str] | None = None,
    ) -> None:
        self.jobs = max(1, jobs)
        self.page_env = dict(page_env or {})
        self.limits = limits
        self.preload = preload
        self.mode = ("fork" if fork_is_safe() else "spawn") if mode == "auto" else mode
        self._log = log or (lambda message: print(message, file=sys.stderr))
        self.keep_warm = keep_warm
        self._cache_dir = cache_dir or Path(".cache/techpath")
        self._scratch = Path(tempfile.mkdtemp(prefix="techpath-run-"))
        self._next_id = 0
        env = self._child_env()
        self.launcher: Launcher
        if self.mode == "fork":
            self.launcher = ForkLauncher(env, self._scratch, keep_warm, self._log)
        else:
            self.launcher = SpawnLauncher(env)
            if mode == "auto":
                self._log(
                    "techpath: no safe fork() on this platform; "
                    "each page starts a fresh interpreter (correct, slower)"
                )
        # The memory limit: cgroup v2 memory.max where this process may create cgroups, else
        # the scheduler polls each page's private memory.
        self.memory_groups, self.memory_method = cgroups.pages_base(limits.memory_mb)

    # -- public ------------------------------------------------------------------------------
    def run(
        self,
        posts: Iterable[Post],
        on_result: Callable[[Post, PageResult, Path], None],
        cancelled: threading.Event | None = None,
    ) -> None:
        """Execute posts; `on_result(post, result, result_dir)` is called as each page finishes.

        The result folder holds the figure files; it is deleted after the callback returns.
        Whatever way this returns (normally, by an exception, Ctrl-C, `cancelled` set), no page
        it started is left running.
        """
        running: dict[int, _Running] = {}
        try:
            self._run(deque(posts), running, on_result, cancelled or threading.Event())
        finally:
            self._stop_all(running)

    def _stop_all(self, running: dict[int, _Running]) -> None:
        for page in running.values():
            self._stop(page)
        for page in running.values():
            self.launcher.release(page.job_id)
            _close_gate(page)
            if page.cgroup is not None:
                page.cgroup.remove()
            shutil.rmtree(page.result_dir, ignore_errors=True)
            shutil.rmtree(page.work_dir, ignore_errors=True)
        running.clear()

    def _run(
        self,
        pending: deque[Post],
        running: dict[int, _Running],
        on_result: Callable[[Post, PageResult, Path], None],
        cancelled: threading.Event,
    ) -> None:
        # One page more than workers where a page can be held at its gate: its fork and set-up
        # overlap the others' compute, so no core waits between pages, but it runs its first
        # block only when a worker is free (_let_go). `jobs` pages execute at once, never more.
        in_flight = self.jobs + 1 if hasattr(os, "mkfifo") else self.jobs

        def refill() -> None:
            self._let_go(running)  # first: a waiting page goes before the next one is written
            while pending and len(running) < in_flight:
                page = self._start(pending.popleft(), gated=self._executing(running) >= self.jobs)
                running[page.job_id] = page

        while (pending or running) and not cancelled.is_set():
            refill()
            done = [(running.pop(job_id), code) for job_id, code in self._wait_for_exits(running)]
            refill()  # before storing results, so the next pages are already running
            for page, exit_code in done:
                self._finish(page, exit_code, on_result)
            self._enforce_deadlines(running.values())

    def prewarm(self) -> None:
        """Start the warm parent now, without waiting, so its imports overlap other work."""
        self.launcher.prewarm()

    def close(self) -> None:
        self.launcher.close()
        shutil.rmtree(self._scratch, ignore_errors=True)

    # -- starting pages ----------------------------------------------------------------------
    def _executing(self, running: dict[int, _Running]) -> int:
        return sum(1 for page in running.values() if page.started is not None and not page.ended)

    def _let_go(self, running: dict[int, _Running]) -> None:
        """Let gated pages, oldest first, run their blocks while fewer than `jobs` do. The
        page's time limits count from here (the page's own too: it starts its clock on the
        byte), not from its fork."""
        waiting = sorted(job_id for job_id, page in running.items() if page.started is None)
        for job_id in waiting[: max(0, self.jobs - self._executing(running))]:
            page = running[job_id]
            page.started = time.monotonic()
            if page.gate is not None:
                os.write(page.gate[1], b"1")

    def _start(self, post: Post, gated: bool = False) -> _Running:
        self._next_id += 1
        job_id = self._next_id
        result_dir = self._scratch / f"page-{job_id}"
        work_dir = self._scratch / f"work-{job_id}"
        result_dir.mkdir()
        work_dir.mkdir()
        post_timeout = post.meta.get("timeout")
        root = post.root or post.path.resolve().parent
        cwd, inputs = placement(post.path, post.inputs, root)
        job = {
            "path": post.display_path,
            "file_text": post.text,
            "notebook": post.path.suffix == ".ipynb",
            "blocks": [asdict(b) for b in post.blocks],
            "inline": [asdict(i) for i in post.inline],
            "exercises": [asdict(e) for e in post.exercises],
            # The same effective limits the parent enforces below (Limits.for_block/for_page).
            "block_timeout": self.limits.default_block(post_timeout),
            "timeouts": [self.limits.for_block(b, post_timeout) for b in post.blocks],
            "page_timeout": self.limits.for_page(post.blocks, post_timeout),
            "threads": int(thread_env(self.jobs)["OMP_NUM_THREADS"]),
            "preload": self.preload or [],
            # The working folder mirrors the site (execute/overlay.py): the page runs in its own
            # folder and reads every file where it is, so ../../data/x.csv reads as in Jupyter.
            # Declared inputs are copied for a standalone check's fresh interpreter.
            "source_root": str(root.resolve()),
            "cwd": cwd,
            "inputs": [list(pair) for pair in inputs],
            "memory_mb": self.limits.memory_mb,
            "cgroup": "",
            "allow_warnings": post.meta.get("allow_warnings", []),
            "warnings": post.warnings,
            "figure_rc": post.figure_rc,
            "env": self.page_env,
            "result_dir": str(result_dir),
            "work_dir": str(work_dir),
            "gated": gated,  # wait for a byte on result_dir/GATE after set-up, before block 1
        }
        page = _Running(job_id, post, result_dir, work_dir, None if gated else time.monotonic())
        if gated:
            page.gate = _open_gate(result_dir / GATE)
        if self.memory_groups is not None:  # the page joins its own cgroup before any block
            page.cgroup = cgroups.PageGroup.create(self.memory_groups, job_id, self.limits.memory_mb)
            job["cgroup"] = str(page.cgroup.path) if page.cgroup else ""
        job_file = result_dir / "job.json"
        job_file.write_text(json.dumps(job), encoding="utf-8")
        self.launcher.start(job_id, job_file)
        return page

    def _child_env(self) -> dict[str, str]:
        return child_env(self.jobs, self.preload)

    # -- waiting -----------------------------------------------------------------------------
    def _wait_for_exits(self, running: dict[int, _Running]) -> list[tuple[int, int]]:
        exits: list[tuple[int, int]] = []
        for message in self.launcher.collect(POLL_SECONDS):
            if message is None:  # the warm parent died: every running page is lost
                return [(job_id, LOST_EXIT) for job_id in running]
            page = running.get(message["id"])
            if page is None:
                continue
            if "pid" in message:
                page.pid = message["pid"]
            elif "refused" in message:
                self._log(f"techpath: the warm parent refused a page: {message['refused']}")
                exits.append((page.job_id, LOST_EXIT))
            elif "exit" in message:
                exits.append((page.job_id, message["exit"]))
        return exits

    def _enforce_deadlines(self, pages: Iterable[_Running]) -> None:
        now = time.monotonic()
        for page in pages:
            self._read_events(page)
            if page.pid is None or page.killed_because:
                continue
            post_timeout = page.post.meta.get("timeout")
            page_limit = self.limits.for_page(page.post.blocks, post_timeout)
            if page.started is not None and now - page.started > page_limit + GRACE_SECONDS:
                page.killed_kind = "Timeout"
                page.killed_because = f"the page did not finish within its limit of {page_limit:g} s"
            elif page.current_block is not None:
                block = page.post.blocks[page.current_block]
                allowed = self.limits.for_block(block, post_timeout)
                if block.options.exercise:  # a starter or solution runs with the check after it
                    check = next(
                        e.check for e in page.post.exercises if block.index in (e.starter, e.solution)
                    )
                    allowed += self.limits.for_block(page.post.blocks[check], post_timeout)
                if now - page.block_started > allowed + GRACE_SECONDS:
                    page.killed_kind = "Timeout"
                    page.killed_because = f"block {block.index + 1} did not finish within {allowed:g} s"
            if not page.killed_because and now - page.memory_checked >= MEMORY_POLL_SECONDS:
                self._check_memory(page, now)
            if page.killed_because:
                self._stop(page)

    def _check_memory(self, page: _Running, now: float) -> None:
        """The memory limit measures memory: the private resident memory of the page's whole
        process tree, less what the page held before its first block (its share of the warm
        imports), polled. Address-space limits would fail pages that start many threads."""
        page.memory_checked = now
        if page.cgroup is not None and page.cgroup.joined():  # the kernel enforces it
            return
        if not self.limits.memory_mb or page.pid is None or not page.events:
            return
        # Private memory costs a page-table walk to measure; resident memory is cheap and never
        # smaller, so the exact figure is read only when the cheap one says it could be over.
        if procs.tree_rss_mb(page.pid) - page.baseline_mb <= self.limits.memory_mb:
            return
        used = procs.tree_private_mb(page.pid) - page.baseline_mb
        if used > self.limits.memory_mb:
            page.killed_kind = "MemoryLimit"
            page.killed_because = memory_message(self.limits.memory_mb, f"the page used {used:,.0f} MB")

    def _stop(self, page: _Running) -> None:
        """End a page and everything it started, through the launcher that started it."""
        self.launcher.kill(page.job_id)

    def _read_events(self, page: _Running) -> None:
        path = page.result_dir / "events.jsonl"
        try:
            with open(path, encoding="utf-8") as f:
                f.seek(page.offset)
                chunk = f.read()
        except FileNotFoundError:
            return
        complete = chunk[: chunk.rfind("\n") + 1]
        page.offset += len(complete.encode("utf-8"))
        for line in complete.splitlines():
            event = json.loads(line)
            page.events.append(event)
            if event["event"] == "baseline":
                page.baseline_mb = float(event.get("private_mb", 0.0))
            elif event["event"] == "start":
                page.current_block, page.block_started = event["block"], time.monotonic()
            elif event["event"] == "block":
                page.current_block = None
            elif event["event"] == "end":
                page.ended = True

    # -- finishing ---------------------------------------------------------------------------
    def _finish(
        self, page: _Running, exit_code: int, on_result: Callable[[Post, PageResult, Path], None]
    ) -> None:
        self.launcher.release(page.job_id)
        _close_gate(page)
        self._read_events(page)
        if page.cgroup is not None:
            if page.cgroup.oom_killed() and not page.killed_because:
                page.killed_kind = "MemoryLimit"
                page.killed_because = memory_message(self.limits.memory_mb, "the kernel stopped the page")
            page.cgroup.remove()
        result = assemble_result(page.post, page.events, exit_code, page.killed_because, page.killed_kind)
        try:
            on_result(page.post, result, page.result_dir)
        finally:
            shutil.rmtree(page.result_dir, ignore_errors=True)
            shutil.rmtree(page.work_dir, ignore_errors=True)


def _open_gate(path: Path) -> tuple[int, int]:
    """A FIFO the gated page reads its go-ahead from. This process holds a reader too, so the
    byte waits in the pipe whether or not the page has opened it yet; when the writer closes
    (the page ended, was stopped, or the build went), the page reads end-of-file and leaves
    without running a block."""
    os.mkfifo(path, 0o600)
    reader = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    return reader, os.open(path, os.O_WRONLY | os.O_NONBLOCK)


def _close_gate(page: _Running) -> None:
    if page.gate is not None:
        for fd in page.gate:
            os.close(fd)
        page.gate = None


def memory_message(limit_mb: int, detail: str) -> str:
    return f"memory limit {limit_mb} MB exceeded ({detail})"


def assemble_result(
    post: Post,
    events: list[dict[str, Any]],
    exit_code: int,
    killed_because: str,
    killed_kind: str = "Timeout",
) -> PageResult:
    """Build the page's result from its event log; blame a crash or kill on the running block."""
    by_index: dict[int, BlockResult] = {}
    inline: dict[int, InlineResult] = {}
    exercises: dict[int, ExerciseResult] = {}
    started: int | None = None
    end: dict[str, Any] = {}
    dependencies: dict[str, Any] = {}
    for event in events:
        kind = event["event"]
        if kind == "start":
            started = event["block"]
        elif kind == "block":
            result = BlockResult.from_json(event["result"])
            by_index[result.index] = result
            started = None
        elif kind == "inline":
            value = InlineResult.from_json(event["result"])
            inline[value.index] = value
        elif kind == "exercise":
            outcome = ExerciseResult.from_json(event["result"])
            exercises[outcome.index] = outcome
        elif kind == "standalone":
            _apply_standalone(post, by_index, event)
        elif kind == "dependencies":
            dependencies = {k: v for k, v in event.items() if k != "event"}
        elif kind == "end":
            end = event
    if not end:
        _blame_running_block(post, by_index, started, exit_code, killed_because, killed_kind)
    blocks = [
        by_index.get(b.index, BlockResult(b.index, "skipped" if b.options.skip else "not-run"))
        for b in post.blocks
    ]
    return PageResult(
        path=post.display_path,
        blocks=blocks,
        duration=float(end.get("duration", 0.0)),
        peak_memory_mb=float(end.get("peak_memory_mb", 0.0)),
        inline=[inline.get(e.index, InlineResult(e.index, "not-run")) for e in post.inline],
        exercises=[exercises.get(e.index, ExerciseResult(e.index, "not-run")) for e in post.exercises],
        dependencies=dependencies if end else {},
    )


def _apply_standalone(post: Post, by_index: dict[int, BlockResult], event: dict[str, Any]) -> None:
    result = by_index.get(event["block"])
    if result is None:
        return
    result.standalone_ok = bool(event["ok"])
    if not event["ok"] and result.error is None:
        block = post.blocks[event["block"]]
        last = event["output"].strip().splitlines()[-1] if event["output"].strip() else "failed"
        result.status = "error"
        result.error = BlockError(
            "Standalone",
            f"this block is marked standalone but fails alone in a fresh interpreter: {last}",
            block.line,
            block.location(post.display_path),
            event["output"],
        )


def _blame_running_block(
    post: Post,
    by_index: dict[int, BlockResult],
    started: int | None,
    exit_code: int,
    killed_because: str,
    killed_kind: str = "Timeout",
) -> None:
    index = started if started is not None else (max(by_index) + 1 if by_index else 0)
    if index >= len(post.blocks):
        index = len(post.blocks) - 1
    if index < 0:
        return
    block = post.blocks[index]
    if killed_because:
        kind, message = killed_kind or "Timeout", killed_because + "; its processes were stopped"
    elif exit_code == LOST_EXIT:
        kind, message = "Infrastructure", "the warm parent process died while this page ran"
    elif exit_code < 0:
        name = signal.Signals(-exit_code).name if -exit_code in signal.valid_signals() else str(-exit_code)
        hint = (
            " (not by techpath: the system's out-of-memory killer, or another process)"
            if name == "SIGKILL"
            else ""
        )
        kind, message = (
            "Crash",
            f"the page's Python process was killed by {name}{hint} while running this block",
        )
    else:
        kind, message = (
            "Crash",
            f"the page's Python process exited with code {exit_code} (os._exit?) while running this block",
        )
    by_index[index] = BlockResult(
        index, "error", error=BlockError(kind, message, block.line, block.location(post.display_path))
    )
    # Blocks after the crash never ran.
    for later in post.blocks[index + 1 :]:
        by_index.setdefault(
            later.index,
            BlockResult(later.index, "skipped")
            if later.options.skip
            else BlockResult.not_reached(later.index, block),
        )

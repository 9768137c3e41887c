"""One scheduler drives either launcher: pages in flight, cancelling, and the memory limit the
kernel enforces (cgroup v2) or the scheduler polls."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from techpath.engine import Engine, Settings
from techpath.execute import cgroups, procs
from techpath.execute import runner as runner_module
from techpath.execute.launchers import Message
from techpath.execute.runner import Runner
from techpath.model import Limits, PageResult, Post
from techpath.parse import load_post
from tests.engine_helpers import write_post


class FakeLauncher:
    """Starts nothing: each page 'exits' when the test lets it, so scheduling can be watched."""

    name = "fake"

    def __init__(self) -> None:
        self.started: list[int] = []
        self.killed: list[int] = []
        self.released: list[int] = []
        self.live: set[int] = set()
        self.max_live = 0
        self.outbox: list[Message] = []

    def start(self, job_id: int, job_file: Path) -> None:
        assert job_file.is_file()
        self.started.append(job_id)
        self.live.add(job_id)
        self.max_live = max(self.max_live, len(self.live))
        self.outbox.append({"id": job_id, "pid": 10_000 + job_id})

    def collect(self, timeout: float) -> list[Message]:
        out, self.outbox = self.outbox, []
        if not out and self.live:  # the oldest page ends
            oldest = min(self.live)
            self.live.discard(oldest)
            out.append({"id": oldest, "exit": 0})
        return out

    def kill(self, job_id: int) -> None:
        self.killed.append(job_id)
        self.live.discard(job_id)

    def release(self, job_id: int) -> None:
        self.released.append(job_id)

    def prewarm(self) -> None: ...

    def close(self) -> None: ...


def _posts(tmp_path: Path, count: int) -> list[Post]:
    return [load_post(write_post(tmp_path, f"p{i}.md", "```python\nx = 1\n```\n")) for i in range(count)]


def _runner(jobs: int) -> tuple[Runner, FakeLauncher]:
    runner = Runner(jobs, Limits(memory_mb=0), mode="spawn", log=lambda _m: None)
    runner.launcher.close()
    fake = FakeLauncher()
    runner.launcher = fake
    return runner, fake


def test_the_scheduler_keeps_one_page_more_than_workers_in_flight(tmp_path: Path) -> None:
    runner, fake = _runner(jobs=2)
    finished: list[str] = []
    try:
        runner.run(_posts(tmp_path, 7), lambda post, _r, _d: finished.append(post.path.name))
    finally:
        runner.close()
    assert fake.max_live == 3
    assert sorted(finished) == [f"p{i}.md" for i in range(7)]
    assert sorted(fake.released) == fake.started == list(range(1, 8))
    assert fake.killed == []


def test_cancelling_ends_every_running_page_through_its_launcher(tmp_path: Path) -> None:
    runner, fake = _runner(jobs=2)
    cancelled = threading.Event()
    results: list[PageResult] = []

    def first_result(_post: Post, result: PageResult, _dir: Path) -> None:
        results.append(result)
        cancelled.set()  # e.g. a build error in mkdocs serve

    try:
        runner.run(_posts(tmp_path, 7), first_result, cancelled)
    finally:
        runner.close()
    assert len(results) == 1
    assert fake.live == set() and sorted(fake.killed) == sorted(set(fake.started) - {1})
    assert len(fake.started) < 7


@pytest.mark.parametrize("mode", ["fork", "spawn"])
def test_the_engine_drives_the_launcher_of_its_mode(mode: str, tmp_path: Path) -> None:
    settings = Settings(jobs=1, mode=mode, preload=[], cache_dir=tmp_path / "c", refresh=True)
    with Engine(settings) as engine:
        result = engine.run(_posts(tmp_path, 1))
        assert engine._runner is not None and engine._runner.launcher.name == mode
    assert all(r.ok for r in result.values())


# -- memory limit: cgroup v2 where writable, polling otherwise ----------------------------------

MOUNTINFO = (
    "25 30 0:23 / /sys/fs/cgroup rw,nosuid - tmpfs tmpfs rw,mode=755\n"
    "26 25 0:24 / /sys/fs/cgroup/unified rw,nosuid - cgroup2 cgroup2 rw\n"
    "27 25 0:25 / /sys/fs/cgroup/memory rw,nosuid - cgroup cgroup rw,memory\n"
)


def test_own_cgroup_is_found_on_the_unified_mount() -> None:
    assert cgroups.own_cgroup(MOUNTINFO, "4:memory:/x\n0::/user.slice/build\n") == Path(
        "/sys/fs/cgroup/unified/user.slice/build"
    )
    assert cgroups.own_cgroup(MOUNTINFO.splitlines()[0], "0::/\n") is None  # no cgroup2 mounted


def test_a_cgroup_without_the_memory_controller_is_refused_with_the_reason(tmp_path: Path) -> None:
    (tmp_path / "cgroup.controllers").write_text("cpu hugetlb\n")
    reason = cgroups.delegable(tmp_path)
    assert "memory controller is not on cgroup v2" in reason and "cpu hugetlb" in reason


MEMORY_HOG = (
    "```python\nimport time\nchunks = []\nwhile True:\n"
    "    chunks.append(bytearray(20_000_000))\n    time.sleep(0.02)\n```\n\n```python\nprint(1)\n```\n"
)
CGROUP_BASE, CGROUP_HOW = cgroups.pages_base(200)


@pytest.mark.parametrize("how", ["cgroup", "polled"])
def test_an_out_of_memory_page_is_named_at_its_block(
    how: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if how == "cgroup" and CGROUP_BASE is None:
        pytest.skip(f"cgroup v2 memory.max is not usable here: {CGROUP_HOW}")
    if how == "polled":
        monkeypatch.setenv("TECHPATH_CGROUP", "0")
    path = write_post(tmp_path, "hog.md", MEMORY_HOG)
    limits = Limits(block_timeout=30, page_timeout=60, memory_mb=200)
    settings = Settings(jobs=1, limits=limits, preload=[], cache_dir=tmp_path / "c", refresh=True)
    with Engine(settings) as engine:
        result = engine.run([load_post(path)])[path.as_posix()]
        assert engine._runner is not None
        assert (engine._runner.memory_groups is not None) == (how == "cgroup")
    error = result.errors[0]
    assert error.type == "MemoryLimit", error
    assert error.message.startswith("memory limit 200 MB exceeded"), error.message
    assert "exited with code" not in error.message
    assert error.location == f"{path.as_posix()}:2"
    assert result.blocks[1].status == "not-run"


@pytest.mark.slow
def test_spawn_mode_does_not_charge_the_imports_to_the_page(tmp_path: Path) -> None:
    """In spawn mode the page first imports what the post imports (hundreds of MB with pandas,
    scikit-learn and matplotlib); the limit counts only what the blocks add to that."""
    code = (
        "import matplotlib.pyplot as plt\nimport pandas as pd\n"
        "from sklearn.linear_model import LogisticRegression\n"
        "X = [[0.0], [1.0], [2.0], [3.0]]\n"
        "print(LogisticRegression().fit(X, [0, 0, 1, 1]).predict([[2.5]]))\n"
        "import time\ntime.sleep(1)  # long enough for the parent to measure it several times"
    )
    path = write_post(tmp_path, "imports.md", f"```python\n{code}\n```\n")
    limits = Limits(block_timeout=60, page_timeout=120, memory_mb=60)
    settings = Settings(jobs=1, mode="spawn", limits=limits, cache_dir=tmp_path / "c", refresh=True)
    with Engine(settings) as engine:
        result = engine.run([load_post(path)])[path.as_posix()]
    assert result.ok, result.errors
    assert result.blocks[0].outputs[0].text == "[1]\n"


# -- at most `jobs` pages execute at once; the page held at its gate only forks and sets up ------

SLEEPER = (
    "```python\nimport time\nstarted = time.time()\ntime.sleep({seconds})\nprint(started, time.time())\n```\n"
)


Spans = list[tuple[float, float]]


def _spans(tmp_path: Path, count: int, seconds: float, **settings: Any) -> tuple[Spans, float]:
    """Run `count` pages that each sleep `seconds`: when each page's block ran, and the wall time."""
    paths = [write_post(tmp_path, f"s{i}.md", SLEEPER.format(seconds=seconds)) for i in range(count)]
    with Engine(Settings(preload=[], cache_dir=tmp_path / "c", refresh=True, **settings)) as engine:
        began = time.monotonic()
        results = engine.run([load_post(p) for p in paths])
        wall = time.monotonic() - began
    spans = []
    for result in results.values():
        assert result.ok, result.errors
        start, end = result.blocks[0].outputs[0].text.split()
        spans.append((float(start), float(end)))
    return spans, wall


def _most_at_once(spans: Spans) -> int:
    moments = sorted([(start, 1) for start, _ in spans] + [(end, -1) for _, end in spans])
    now = most = 0
    for _, step in moments:  # at the same instant an end (-1) sorts before a start
        now += step
        most = max(most, now)
    return most


@pytest.mark.slow  # pages that sleep on purpose: the cores sit idle for seconds
@pytest.mark.parametrize("mode", ["fork", "spawn"])
def test_one_job_executes_one_page_at_a_time(mode: str, tmp_path: Path) -> None:
    """`jobs: 1` ran two pages at once (the one kept in flight ran its blocks too): three pages
    sleeping 1.5 s took 3 s, and a long page shared the cores and hit its time limit."""
    spans, wall = _spans(tmp_path, 3, 1.5, jobs=1, mode=mode)
    assert _most_at_once(spans) == 1, spans
    assert wall >= 3 * 1.5, wall


@pytest.mark.slow  # pages that sleep on purpose: the cores sit idle for seconds
def test_two_jobs_never_execute_three_pages_at_once(tmp_path: Path) -> None:
    spans, _ = _spans(tmp_path, 5, 1.0, jobs=2)
    assert _most_at_once(spans) == 2, spans


@pytest.mark.slow  # pages that sleep on purpose: the cores sit idle for seconds
def test_a_page_held_at_its_gate_keeps_its_whole_time_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The second page waits about 2 s for the first, then sleeps 2 s: 4 s after its fork, over
    its 3 s limit, which counts from when it was let go, in the page and in the scheduler
    (no grace here, so the scheduler's own count would stop it too)."""
    monkeypatch.setattr(runner_module, "GRACE_SECONDS", 0.0)
    limits = Limits(block_timeout=None, page_timeout=3, memory_mb=0)
    spans, _ = _spans(tmp_path, 2, 2.0, jobs=1, limits=limits)
    assert _most_at_once(spans) == 1, spans


def _page_pids(engine: Engine, count: int) -> list[int]:
    """The warm parent's page processes, once there are `count` of them."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        pids = procs.children(pid) if (pid := engine.warm_pid()) else []
        if len(pids) >= count:
            return sorted(pids)
        time.sleep(0.02)
    raise AssertionError(f"the warm parent never had {count} pages")


WAITER = (
    "```python\nimport os, time\nopen({pid_file!r}, 'w').write(str(os.getpid()))\n"
    "while not os.path.exists({release!r}):\n    time.sleep(0.02)\n```\n"
)


def test_a_gated_page_that_dies_before_its_turn_is_reported_and_the_build_goes_on(tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    pids, release = tmp_path / "first.pid", tmp_path / "release"
    first = write_post(site, "a.md", WAITER.format(pid_file=str(pids), release=str(release)))
    second = write_post(site, "b.md", SLEEPER.format(seconds=0))
    third = write_post(site, "c.md", SLEEPER.format(seconds=0))
    settings = Settings(jobs=1, preload=[], cache_dir=tmp_path / "c", refresh=True)
    with Engine(settings) as engine:
        run = engine.start([load_post(p) for p in (first, second, third)])
        while not pids.exists() or not pids.read_text():
            time.sleep(0.02)
        running = int(pids.read_text())
        (gated,) = set(_page_pids(engine, 2)) - {running}
        os.kill(gated, signal.SIGKILL)  # dies at its gate (as in a failed set-up)
        time.sleep(0.3)
        release.touch()
        results = {Path(k).name: v for k, v in run.wait().items()}
    assert results["a.md"].ok and results["c.md"].ok
    error = results["b.md"].errors[0]
    assert error.type == "Crash" and "SIGKILL" in error.message, error


def test_cancel_ends_the_page_held_at_its_gate(tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    pids, release = tmp_path / "first.pid", tmp_path / "never"
    first = write_post(site, "a.md", WAITER.format(pid_file=str(pids), release=str(release)))
    ran = tmp_path / "second-ran"
    second = write_post(site, "b.md", f"```python\nopen({str(ran)!r}, 'w').close()\n```\n")
    settings = Settings(jobs=1, preload=[], cache_dir=tmp_path / "c", refresh=True)
    with Engine(settings) as engine:
        run = engine.start([load_post(first), load_post(second)])
        pages = _page_pids(engine, 2)
        engine.cancel()
        run.wait()
        deadline = time.monotonic() + 10
        while any(Path(f"/proc/{pid}").exists() for pid in pages) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert not any(Path(f"/proc/{pid}").exists() for pid in pages)
    assert not ran.exists()

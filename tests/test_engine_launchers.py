"""One scheduler drives either launcher: pages in flight, cancelling, and the memory limit the
kernel enforces (cgroup v2) or the scheduler polls."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from techpath.engine import Engine, Settings
from techpath.execute import cgroups
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

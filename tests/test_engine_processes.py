"""Nothing outlives a build: a page's whole process tree (even a `setsid` + double fork) is ended
on every exit path of the build: normal end, Ctrl-C, SIGTERM, and the build being SIGKILLed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from techpath.engine import Engine, Settings
from techpath.model import Limits
from techpath.parse import load_post
from tests.engine_helpers import write_post

# A post that starts a daemon the classic way (fork, setsid, fork again; the middle one exits),
# records the daemon's pid and its own, then (when `forever`) never finishes.
DAEMON_POST = """
```python
import os, time
pid_dir = {pid_dir!r}
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        with open(os.path.join(pid_dir, "daemon.tmp"), "w") as f:
            f.write(str(os.getpid()))
        os.rename(os.path.join(pid_dir, "daemon.tmp"), os.path.join(pid_dir, "daemon"))
        while True:
            time.sleep(0.1)
    os._exit(0)
with open(os.path.join(pid_dir, "page"), "w") as f:
    f.write(str(os.getpid()))
deadline = time.time() + 10
while not os.path.exists(os.path.join(pid_dir, "daemon")) and time.time() < deadline:
    time.sleep(0.02)
while {forever}:
    time.sleep(0.1)
```
"""


def alive(pid: int) -> bool:
    """Running (a zombie waiting to be reaped has ended)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def wait_for_file(path: Path, seconds: float = 30) -> int:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if path.exists() and path.read_text().strip():
            return int(path.read_text())
        time.sleep(0.02)
    raise AssertionError(f"{path} never appeared")


def wait_gone(pids: list[int], seconds: float = 10) -> float:
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        if not any(alive(p) for p in pids):
            return time.monotonic() - started
        time.sleep(0.01)
    raise AssertionError(f"still running after {seconds} s: {[p for p in pids if alive(p)]}")


def _site(tmp_path: Path) -> Path:
    """The page's own folder, apart from where it reports its pids: a page may not write into
    its site's files (execute/reads.py), and with no mkdocs.yml its folder is the site."""
    folder = tmp_path / "site"
    folder.mkdir(exist_ok=True)
    return folder


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="subreaper is Linux only")
@pytest.mark.parametrize("mode", ["fork", "spawn"])
def test_a_double_forked_daemon_ends_with_its_page(mode: str, tmp_path: Path) -> None:
    pid_dir = tmp_path / "pids"
    pid_dir.mkdir()
    path = write_post(_site(tmp_path), "daemon.md", DAEMON_POST.format(pid_dir=str(pid_dir), forever=False))
    settings = Settings(jobs=1, mode=mode, preload=[], cache_dir=tmp_path / "c", refresh=True)
    with Engine(settings) as engine:
        result = engine.run([load_post(path)])[path.as_posix()]
        assert result.ok, result.errors
        daemon = wait_for_file(pid_dir / "daemon")
        wait_gone([daemon], seconds=5)  # gone before the engine is even closed


BUILD_SCRIPT = """
import signal
import sys
from pathlib import Path

# What a terminal gives its foreground job: SIGINT unblocked, with Python's handler; or, with
# `ignore-sigint`, what a script gives a job it starts in the background: SIGINT ignored. The
# state this script inherited is recorded, for a failure to report: a suite started in the
# background of a script (as CI may start it) passes SIGINT on ignored.
inherited = (signal.getsignal(signal.SIGINT), sorted(signal.pthread_sigmask(signal.SIG_BLOCK, [])))
Path(sys.argv[3]).mkdir(parents=True, exist_ok=True)
(Path(sys.argv[3]) / "inherited-signals.txt").write_text(repr(inherited))
signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGINT])
ignoring = sys.argv[4:] == ["ignore-sigint"]
signal.signal(signal.SIGINT, signal.SIG_IGN if ignoring else signal.default_int_handler)
from techpath.engine import Engine, Settings
from techpath.model import Limits
from techpath.parse import load_post

settings = Settings(jobs=1, mode=sys.argv[2], preload=[], cache_dir=Path(sys.argv[3]), refresh=True,
                    limits=Limits(block_timeout=600, page_timeout=600))
with Engine(settings) as engine:
    engine.run([load_post(Path(sys.argv[1]))])
"""


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="subreaper is Linux only")
@pytest.mark.parametrize("how", ["ctrl-c", "sigterm", "sigkill"])
@pytest.mark.parametrize("mode", ["fork", "spawn"])
def test_interrupted_build_leaves_nothing_running(how: str, mode: str, tmp_path: Path) -> None:
    pid_dir = tmp_path / "pids"
    pid_dir.mkdir()
    path = write_post(_site(tmp_path), "daemon.md", DAEMON_POST.format(pid_dir=str(pid_dir), forever=True))
    script = tmp_path / "build.py"
    script.write_text(textwrap.dedent(BUILD_SCRIPT))
    env = {**os.environ, "TECHPATH_KEEP_WARM": "0", "PYTHONPATH": str(Path.cwd())}
    build = subprocess.Popen(
        [sys.executable, str(script), str(path), mode, str(tmp_path / "c")],
        env=env,
        start_new_session=True,  # its own process group, like a build started in a terminal
    )
    try:
        page = wait_for_file(pid_dir / "page")
        daemon = wait_for_file(pid_dir / "daemon")
        assert alive(page) and alive(daemon)
        if how == "ctrl-c":  # the terminal sends SIGINT to the whole foreground group
            os.killpg(build.pid, signal.SIGINT)
        else:
            build.send_signal(signal.SIGTERM if how == "sigterm" else signal.SIGKILL)
        try:
            seconds = wait_gone([page, daemon], seconds=15)
        except AssertionError as exc:
            inherited = (tmp_path / "c" / "inherited-signals.txt").read_text()
            raise AssertionError(f"{exc}; the build inherited SIGINT handler and mask {inherited}") from None
        build.wait(timeout=15)
    finally:
        if build.poll() is None:
            build.kill()
            build.wait()  # reaped here, so a failure is reported by this test and not by a later one
    print(f"cleanup after {how} ({mode}): {seconds:.3f} s")


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="subreaper is Linux only")
@pytest.mark.parametrize("mode", ["fork", "spawn"])
def test_a_build_that_ignores_ctrl_c_keeps_its_pages_until_it_ends(mode: str, tmp_path: Path) -> None:
    """A build started in the background of a script ignores SIGINT, so Ctrl-C in that terminal
    (SIGINT to the whole process group) must not stop its pages behind its back, whichever way
    they were started; they end with the build. (The suite once saw the spawn-mode Ctrl-C case
    "fail" because CI passed SIGINT on ignored: the build went on, as it must.)"""
    pid_dir = tmp_path / "pids"
    pid_dir.mkdir()
    path = write_post(_site(tmp_path), "daemon.md", DAEMON_POST.format(pid_dir=str(pid_dir), forever=True))
    script = tmp_path / "build.py"
    script.write_text(textwrap.dedent(BUILD_SCRIPT))
    env = {**os.environ, "TECHPATH_KEEP_WARM": "0", "PYTHONPATH": str(Path.cwd())}
    command = [sys.executable, str(script), str(path), mode, str(tmp_path / "c"), "ignore-sigint"]
    build = subprocess.Popen(command, env=env, start_new_session=True)
    try:
        page = wait_for_file(pid_dir / "page")
        daemon = wait_for_file(pid_dir / "daemon")
        os.killpg(build.pid, signal.SIGINT)
        time.sleep(1.5)  # what a Ctrl-C would stop is stopped within milliseconds
        assert build.poll() is None and alive(page) and alive(daemon)
        build.send_signal(signal.SIGTERM)
        wait_gone([page, daemon], seconds=15)
        build.wait(timeout=15)
    finally:
        if build.poll() is None:
            build.kill()
            build.wait()


def test_a_second_run_on_one_engine_waits_instead_of_hanging(tmp_path: Path) -> None:
    a = write_post(tmp_path, "a.md", "```python\nimport time\ntime.sleep(1)\nprint('a')\n```\n")
    b = write_post(tmp_path, "b.md", "```python\nprint('b')\n```\n")
    settings = Settings(jobs=2, preload=[], cache_dir=tmp_path / "c", refresh=True)
    results: dict[str, object] = {}
    with Engine(settings) as engine:
        first = threading.Thread(target=lambda: results.update(engine.run([load_post(a)])))
        first.start()
        time.sleep(0.2)
        second = engine.run([load_post(b)])
        first.join(timeout=30)
    assert not first.is_alive()
    assert second[b.as_posix()].blocks[0].outputs[0].text == "b\n"
    assert results[a.as_posix()].blocks[0].outputs[0].text == "a\n"  # type: ignore[attr-defined]


def test_cancel_stops_the_running_pages(tmp_path: Path) -> None:
    pid_dir = tmp_path / "pids"
    pid_dir.mkdir()
    path = write_post(_site(tmp_path), "daemon.md", DAEMON_POST.format(pid_dir=str(pid_dir), forever=True))
    settings = Settings(jobs=1, preload=[], cache_dir=tmp_path / "c", refresh=True, limits=Limits(60, 600))
    with Engine(settings) as engine:
        run = engine.start([load_post(path)])
        page = wait_for_file(pid_dir / "page")
        daemon = wait_for_file(pid_dir / "daemon")
        engine.cancel()
        run.wait()
        wait_gone([page, daemon], seconds=5)

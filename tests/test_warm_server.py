"""The shared warm parent: one per Python environment, reused by any site and option set; a
stale socket is replaced; a socket folder another user could control is refused."""

from __future__ import annotations

import os
import signal
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from techpath import environment
from techpath.engine import Engine, Settings
from techpath.execute import sockets
from techpath.execute.client import server_socket_path
from techpath.model import Limits
from tests.engine_helpers import run_one


def _server_pids() -> list[int]:
    """Warm parents in server mode started from this environment's interpreter."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            argv = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"techpath.execute.warm_parent" in argv and b"--socket" in argv:
            index = argv.index(b"--socket") + 1
            if argv[index].decode().startswith(os.environ["XDG_RUNTIME_DIR"]):
                found.append(int(proc.name))
    return found


@pytest.fixture
def runtime_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    folder = tmp_path / "run"
    folder.mkdir(mode=0o700)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(folder))
    yield folder
    for pid in _server_pids():  # started by this test: end it
        os.kill(pid, signal.SIGTERM)


def _settings(tmp_path: Path, name: str, **kw: object) -> Settings:
    return Settings(jobs=1, preload=[], cache_dir=tmp_path / name, refresh=True, keep_warm=30, **kw)  # type: ignore[arg-type]


@pytest.mark.slow
def test_one_warm_parent_serves_every_site_and_option_set(runtime_dir: Path, tmp_path: Path) -> None:
    for i in range(3):  # three sites (cache folders), each with other limits
        limits = Limits(block_timeout=10 + i, memory_mb=500 + i)
        with Engine(_settings(tmp_path, f"site{i}", limits=limits)) as engine:
            _post, result = run_one(engine, tmp_path, f"```python\nprint({i})\n```\n", name=f"p{i}.md")
        assert result.blocks[0].outputs[0].text == f"{i}\n"
    assert len(_server_pids()) == 1
    socket_file = Path(server_socket_path())
    assert socket_file.parent == runtime_dir / "techpath"
    assert (socket_file.parent.stat().st_mode & 0o777) == 0o700
    assert (socket_file.stat().st_mode & 0o077) == 0
    assert socket_file.with_suffix(".log").exists()  # warm-up errors go where the user is told


@pytest.mark.slow
def test_a_stale_socket_is_replaced(runtime_dir: Path, tmp_path: Path) -> None:
    path = server_socket_path()
    dead = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    dead.bind(path)  # a socket file nobody listens on (a crashed warm parent)
    dead.close()
    with Engine(_settings(tmp_path, "c")) as engine:
        _post, result = run_one(engine, tmp_path, "```python\nprint('warm')\n```\n")
    assert result.ok and len(_server_pids()) == 1


@pytest.mark.parametrize("impostor", ["open-mode", "symlink", "other-owner"])
def test_an_impostor_socket_folder_is_refused(impostor: str, runtime_dir: Path, tmp_path: Path) -> None:
    folder = runtime_dir / "techpath"
    if impostor == "open-mode":
        folder.mkdir(mode=0o777)
        folder.chmod(0o777)
    elif impostor == "symlink":
        elsewhere = tmp_path / "elsewhere"
        elsewhere.mkdir(mode=0o700)
        folder.symlink_to(elsewhere)
    else:
        if os.getuid() != 0:
            pytest.skip("making a folder owned by another user needs root")
        folder.mkdir(mode=0o700)
        os.chown(folder, 4242, 4242)
    with pytest.raises(sockets.UnsafeFolder):
        server_socket_path()
    messages: list[str] = []
    with Engine(_settings(tmp_path, "c"), log=messages.append) as engine:
        _post, result = run_one(engine, tmp_path, "```python\nprint('still built')\n```\n")
    assert result.ok  # built with a private warm parent over a pipe instead
    assert any("not sharing a warm parent" in m for m in messages)
    assert _server_pids() == []


def test_peer_credentials_are_read(tmp_path: Path) -> None:
    left, right = socket.socketpair(socket.AF_UNIX)
    with left, right:
        assert sockets.peer_uid(left) == os.getuid() and sockets.same_user(right)


@pytest.mark.slow
def test_an_outdated_warm_parent_is_retired(runtime_dir: Path, tmp_path: Path) -> None:
    import subprocess
    import sys

    path = server_socket_path()
    old = subprocess.Popen(
        [sys.executable, "-m", "techpath.execute.warm_parent", "--socket", path, "--idle", "30",
         "--fingerprint", "an-older-engine"],
        env={**os.environ, **environment.preload_entry([])},
    )  # fmt: skip
    deadline = time.monotonic() + 30
    while not Path(path).exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    with Engine(_settings(tmp_path, "c")) as engine:
        _post, result = run_one(engine, tmp_path, "```python\nprint('new')\n```\n")
    assert result.ok
    assert old.wait(timeout=15) == 0  # it let go of the socket and exited
    assert len(_server_pids()) == 1 and old.pid not in _server_pids()


@pytest.mark.slow
def test_techpath_stop_ends_the_warm_parent(
    runtime_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from techpath.cli import main

    with Engine(_settings(tmp_path, "c")) as engine:
        _post, result = run_one(engine, tmp_path, "```python\nprint('warm')\n```\n")
    assert result.ok
    [pid] = _server_pids()  # kept for the next build (keep_warm=30)
    assert main(["stop"]) == 0
    assert f"stopped warm process pid {pid}" in capsys.readouterr().out
    assert _server_pids() == [] and not Path(server_socket_path()).exists()
    assert main(["stop", "--all"]) == 0
    assert "no warm process was running" in capsys.readouterr().out

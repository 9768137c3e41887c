"""The build's side of the warm parent: start or reach a zygote, send jobs, read its answers."""

from __future__ import annotations

import functools
import hashlib
import json
import os
import selectors
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from techpath.fingerprint import environment_fingerprint

CONNECT_TIMEOUT = 120.0  # seconds to wait for a starting zygote's warm-up


class ZygoteDied(RuntimeError):
    pass


@functools.cache
def engine_source_hash() -> str:
    """Changes whenever the engine's own code changes (an editable install being worked on)."""
    digest = hashlib.sha256()
    for path in sorted(Path(__file__).resolve().parents[1].rglob("*.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()


def server_socket_path(env: dict[str, str], cache_dir: Path) -> str:
    """One shared zygote per project cache, Python, installed packages, engine code and settings."""
    material = [
        sys.executable,
        environment_fingerprint(),
        engine_source_hash(),
        str(cache_dir.resolve()),
        json.dumps({k: v for k, v in sorted(env.items()) if k.startswith(("TECHPATH_", "OMP_", "MPL"))}),
    ]
    key = hashlib.sha256("\n".join(material).encode()).hexdigest()[:24]
    folder = Path(tempfile.gettempdir()) / f"techpath-{os.getuid()}"
    folder.mkdir(mode=0o700, exist_ok=True)
    return str(folder / f"{key}.sock")


class ZygoteClient:
    """A connection to a warm parent, owned by this build (pipe) or shared (socket server)."""

    def __init__(self, env: dict[str, str], socket_path: str | None = None, idle: float = 0.0) -> None:
        self._env = env
        self._socket_path = socket_path
        self._idle = idle
        self._process: subprocess.Popen[bytes] | None = None
        self._socket: socket.socket | None = None
        self._buffer = b""
        self._ready = False
        self._start()

    # -- starting ----------------------------------------------------------------------------
    def _start(self) -> None:
        if self._socket_path is None:
            self._process = subprocess.Popen(
                [sys.executable, "-m", "techpath.execute.zygote"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                env=self._env,
            )
            self._read_fd = self._process.stdout.fileno()  # type: ignore[union-attr]
        else:
            self._socket = self._connect_or_launch(self._socket_path)
            self._read_fd = self._socket.fileno()

    def wait_ready(self) -> None:
        """Block until the zygote has finished its warm-up (started lazily, so it overlaps
        whatever the build does meanwhile)."""
        if self._ready:
            return
        ready = self.messages(timeout=CONNECT_TIMEOUT)
        if not ready or ready[0] is None or not ready[0].get("ready"):
            raise ZygoteDied("the warm parent process (techpath.execute.zygote) failed to start")
        self._ready = True

    def _connect_or_launch(self, path: str) -> socket.socket:
        connection = _try_connect(path)
        if connection is not None:
            return connection
        launcher = subprocess.Popen(
            [sys.executable, "-m", "techpath.execute.zygote", "--socket", path, "--idle", str(self._idle)],
            env=self._env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # outlives this build, and Ctrl-C in the terminal
        )
        deadline = time.monotonic() + CONNECT_TIMEOUT
        while time.monotonic() < deadline:
            connection = _try_connect(path)
            if connection is not None:
                return connection
            if launcher.poll() not in (None, 0):
                raise ZygoteDied(f"the warm parent process exited with code {launcher.returncode}")
            time.sleep(0.01)
        raise ZygoteDied(f"no warm parent answered on {path}")

    # -- talking -----------------------------------------------------------------------------
    def submit(self, job_id: int, job_file: Path) -> None:
        self.wait_ready()
        data = (json.dumps({"id": job_id, "job": str(job_file)}) + "\n").encode()
        try:
            if self._socket is not None:
                self._socket.sendall(data)
            else:
                self._process.stdin.write(data)  # type: ignore[union-attr]
                self._process.stdin.flush()  # type: ignore[union-attr]
        except OSError as exc:
            raise ZygoteDied(str(exc)) from exc

    def messages(self, timeout: float | None) -> list[dict[str, Any] | None]:
        """Complete messages; waits up to `timeout` for the first. None in the list: it died."""
        with selectors.DefaultSelector() as selector:
            selector.register(self._read_fd, selectors.EVENT_READ)
            while b"\n" not in self._buffer and selector.select(timeout=timeout):
                try:
                    data = os.read(self._read_fd, 65536)
                except OSError:
                    data = b""
                if not data:
                    return [None]
                self._buffer += data
        *lines, self._buffer = self._buffer.split(b"\n")
        return [json.loads(line) for line in lines if line.strip()]

    def close(self) -> None:
        if self._socket is not None:
            self._socket.close()  # a shared zygote stays warm for the next build
            self._socket = None
        if self._process is not None:
            if not self._ready:  # started early but never needed: don't wait for its warm-up
                self._process.kill()
            self._process.stdin.close()  # type: ignore[union-attr]
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            self._process.stdout.close()  # type: ignore[union-attr]
            self._process = None


def _try_connect(path: str) -> socket.socket | None:
    client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        client.connect(path)
    except OSError:
        client.close()
        return None
    return client

"""The build's side of the warm parent: start or reach one, send jobs, read its answers."""

from __future__ import annotations

import hashlib
import json
import os
import selectors
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from techpath.execute import sockets
from techpath.fingerprint import engine_source_hash, environment_fingerprint

CONNECT_TIMEOUT = 120.0  # seconds to wait for a starting warm parent's warm-up


_LAUNCHED: list[subprocess.Popen[bytes]] = []  # shared warm parents this process started
_STARTING: dict[str, subprocess.Popen[bytes]] = {}  # socket path -> the one launched for it


class WarmParentDied(RuntimeError):
    pass


def warm_fingerprint() -> str:
    """What a shared warm parent must match: the installed distributions and the engine code."""
    return hashlib.sha256(f"{environment_fingerprint()}\n{engine_source_hash()}".encode()).hexdigest()[:24]


def server_socket_path() -> str:
    """One shared warm parent per Python environment (its interpreter): every site, cache
    folder and option set uses the same one, since those travel with each request."""
    key = hashlib.sha256(os.path.realpath(sys.prefix).encode() + b"\0" + sys.executable.encode()).hexdigest()[
        :16
    ]
    return str(sockets.private_folder(sockets.socket_folder()) / f"{key}.sock")


def log_path(socket_path: str) -> Path:
    """Where a shared warm parent writes its warm-up errors (it has no terminal)."""
    return Path(socket_path).with_suffix(".log")


class WarmParentClient:
    """A connection to a warm parent, owned by this build (pipe) or shared (socket server)."""

    def __init__(
        self,
        env: dict[str, str],
        socket_path: str | None = None,
        idle: float = 0.0,
        scratch: Path | None = None,
        log: Any = None,
    ) -> None:
        self._env = env
        self._socket_path = socket_path
        self._idle = idle
        self._scratch = scratch
        self._log = log or (lambda message: print(message, file=sys.stderr))
        self.server_pid: int | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._socket: socket.socket | None = None
        self._buffer = b""
        self._ready = False
        self._start()

    # -- starting ----------------------------------------------------------------------------
    def _start(self) -> None:
        if self._socket_path is None:
            self._process = subprocess.Popen(
                [sys.executable, "-m", "techpath.execute.warm_parent"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                env=self._env,
            )
            self._read_fd = self._process.stdout.fileno()  # type: ignore[union-attr]
        else:
            self._socket = self._connect_or_launch(self._socket_path)
            self._read_fd = self._socket.fileno()

    @property
    def pid(self) -> int | None:
        """The warm parent's process id: the one this client started, or the shared one's."""
        return self.server_pid or (self._process.pid if self._process is not None else None)

    def wait_ready(self) -> None:
        """Block until the warm parent has finished its warm-up (started lazily, so it overlaps
        whatever the build does meanwhile)."""
        if self._ready:
            return
        ready = self.messages(timeout=CONNECT_TIMEOUT)
        if not ready or ready[0] is None or not ready[0].get("ready"):
            where = f"; see {log_path(self._socket_path)}" if self._socket_path else ""
            raise WarmParentDied(f"the warm parent (techpath.execute.warm_parent) failed to start{where}")
        if self._socket is not None and ready[0].get("fingerprint") != warm_fingerprint():
            self._replace_outdated()
            return self.wait_ready()
        self.server_pid = ready[0].get("pid")
        self._ready = True
        if self._socket is not None:
            hello = {"scratch": str(self._scratch) if self._scratch else "", "idle": self._idle}
            self._send({"hello": hello})

    def _replace_outdated(self) -> None:
        """The warm parent on our socket serves another engine version or set of packages:
        retire it (it finishes its pages, then exits) and start a current one in its place."""
        assert self._socket is not None and self._socket_path is not None
        self._socket.sendall(b'{"quit": true}\n')
        with selectors.DefaultSelector() as selector:  # it closes the connection once it let go
            selector.register(self._socket, selectors.EVENT_READ)
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and selector.select(timeout=1):
                if not self._socket.recv(65536):
                    break
        self._socket.close()
        self._buffer = b""
        self._socket = self._connect_or_launch(self._socket_path)
        self._read_fd = self._socket.fileno()

    def _connect_or_launch(self, path: str) -> socket.socket:
        connection = _try_connect(path)
        if connection is not None:
            return connection
        launcher = _STARTING.get(path)
        if launcher is None or launcher.poll() is not None:  # none launched early (stage/early_launch.py)
            launcher = launch_server(path, self._env, self._idle, self._log)
        deadline = time.monotonic() + CONNECT_TIMEOUT
        while time.monotonic() < deadline:
            connection = _try_connect(path)
            if connection is not None:
                return connection
            if launcher.poll() not in (None, 0):
                raise WarmParentDied(f"the warm parent process exited with code {launcher.returncode}")
            time.sleep(0.01)
        raise WarmParentDied(f"no warm parent answered on {path}")

    # -- talking -----------------------------------------------------------------------------
    def submit(self, job_id: int, job_file: Path) -> None:
        self.wait_ready()
        self._send({"id": job_id, "job": str(job_file)})

    def kill(self, job_id: int) -> None:
        """Ask the warm parent to end that page and its whole process tree."""
        self.wait_ready()
        self._send({"kill": job_id})

    def _send(self, message: dict[str, Any]) -> None:
        data = (json.dumps(message) + "\n").encode()
        try:
            if self._socket is not None:
                self._socket.sendall(data)
            else:
                self._process.stdin.write(data)  # type: ignore[union-attr]
                self._process.stdin.flush()  # type: ignore[union-attr]
        except OSError as exc:
            raise WarmParentDied(str(exc)) from exc

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
        for launcher in list(_LAUNCHED):
            if launcher.poll() is not None:
                _LAUNCHED.remove(launcher)
        for path, launcher in list(_STARTING.items()):
            if launcher.poll() is not None:
                del _STARTING[path]
        if self._socket is not None:
            self._socket.close()  # a shared warm parent stays warm for the next build
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


def launch_server(
    path: str, env: dict[str, str], idle: float, log: Callable[[str], None]
) -> subprocess.Popen[bytes]:
    """Start a shared warm parent on `path` without waiting for it (it binds the socket before
    its imports; a client connects and waits for its "ready")."""
    log_file_path = log_path(path)
    command = [sys.executable, "-m", "techpath.execute.warm_parent", "--socket", path, "--idle", str(idle)]
    with sockets.umask(0o077), open(log_file_path, "ab") as log_file:
        launcher = subprocess.Popen(
            [*command, "--fingerprint", warm_fingerprint()],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=log_file,  # warm-up errors: the user is told where (below)
            start_new_session=True,  # outlives this build, and Ctrl-C in the terminal
        )
    _LAUNCHED.append(launcher)  # it outlives its client: keep the handle, reap it if it ends
    _STARTING[path] = launcher
    log(f"techpath: started a warm parent for later builds (pid {launcher.pid}; log: {log_file_path})")
    return launcher


def _try_connect(path: str) -> socket.socket | None:
    client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        client.connect(path)
    except OSError:
        client.close()
        return None
    if not sockets.same_user(client):  # someone else answers on our socket: never trust it
        client.close()
        raise WarmParentDied(f"{path} is served by another user's process; refusing it")
    return client


def stop_warm_parents(every_environment: bool = False, timeout: float = 10.0) -> list[int]:
    """Ask this environment's shared warm parent (or, with `every_environment`, every one of this
    user's) to let go of its socket and exit once its running pages are done; wait for it.
    Returns the pids that answered. Sockets nobody answers on (a crashed parent) are removed."""
    folder = sockets.socket_folder()
    if every_environment:
        if not folder.is_dir():
            return []
        sockets.check_private(folder)
        paths = sorted(str(p) for p in folder.glob("*.sock"))
    else:
        paths = [server_socket_path()]
    stopped: list[int] = []
    for path in paths:
        connection = _try_connect(path)
        if connection is None:
            if Path(path).is_socket():  # nobody listens: a parent that died without cleaning up
                Path(path).unlink(missing_ok=True)
            continue
        with connection:
            connection.settimeout(timeout)
            buffer = b""
            try:
                while b"\n" not in buffer and (chunk := connection.recv(65536)):
                    buffer += chunk
                pid = int(json.loads(buffer.split(b"\n", 1)[0]).get("pid") or 0)
                connection.sendall(b'{"quit": true}\n')
                while connection.recv(65536):  # it closes our connection when it retires
                    pass
            except (OSError, ValueError):
                continue
        deadline = time.monotonic() + timeout
        while pid and _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.02)
        if pid:
            stopped.append(pid)
    return stopped


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # a zombie (a warm parent this process launched) counts as gone once reaped here
    return not any(launched.pid == pid and launched.poll() is not None for launched in _LAUNCHED)

"""The warm parent: import the heavy libraries once, pay their first-call costs once, then fork
one child per page on request.

Two ways to reach it, same protocol (one JSON object per line):
  * pipe mode (default): the build owns it; requests on stdin, answers on stdout; it exits when
    stdin closes.
  * server mode (`--socket PATH --idle SECONDS`): it outlives the build that started it and serves
    later builds of the same project and environment over a Unix socket, so a one-post edit does
    not pay the imports again. It exits after SECONDS with no client and no page running.

  in:  {"id": 7, "job": "/path/job.json"}         fork a page process for this job
  out: {"ready": true}                            after warm-up (pipe mode) / on connect (server)
       {"id": 7, "pid": 4242}                     the page process started
       {"id": 7, "exit": 0}                       it ended (negative: killed by that signal)
The zygote itself stays single-threaded, which is what makes fork() safe here.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import gc
import importlib
import json
import os
import selectors
import signal
import socket
import sys
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DEFAULT_PRELOAD = [
    "numpy", "scipy", "matplotlib", "matplotlib.pyplot", "pandas", "sklearn",
    "sklearn.datasets", "sklearn.model_selection", "sklearn.metrics", "sklearn.pipeline",
    "sklearn.preprocessing", "sklearn.linear_model", "sklearn.neighbors", "sklearn.tree",
    "sklearn.ensemble", "sklearn.cluster", "sklearn.decomposition", "sklearn.neural_network",
    "sklearn.svm",
]  # fmt: skip


def warm_up(modules: list[str]) -> None:
    """Import, then run each library's lazy first calls once so children inherit them done."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name in modules:
            try:
                importlib.import_module(name)
            except Exception:  # a module missing here is imported (slower) by the post itself
                continue
        _first_calls(modules)


def _first_calls(modules: list[str]) -> None:
    """Lazy work libraries do on first use (dispatch tables, font caches, backends), done once."""
    uses = {name.split(".")[0] for name in modules}
    if "sklearn" in uses:
        try:
            from sklearn.datasets import load_iris
            from sklearn.linear_model import LogisticRegression
            from sklearn.neighbors import KNeighborsClassifier

            X, y = load_iris(return_X_y=True)
            LogisticRegression(max_iter=200).fit(X, y).predict_proba(X[:2])
            KNeighborsClassifier().fit(X, y).predict(X[:2])
        except Exception:
            pass
    if "matplotlib" not in uses:
        return
    try:
        import io

        import matplotlib.pyplot as plt
        import numpy as np

        fig, ax = plt.subplots()
        ax.plot(np.arange(3), np.arange(3), "o-", label="warm")
        ax.hist(np.arange(10), bins=3)
        ax.set_title("warm-up")
        ax.set_xlabel("x")
        ax.legend()
        for fmt in ("svg", "png"):
            fig.savefig(io.BytesIO(), format=fmt)
        plt.close("all")
    except Exception:
        pass


@dataclass
class Connection:
    """One client: where its requests come from, where answers go, its running pages."""

    read_fd: int
    write_fd: int
    buffer: bytes = b""
    pages: set[int] = field(default_factory=set)

    def send(self, message: dict[str, Any]) -> None:
        data = (json.dumps(message) + "\n").encode()
        with contextlib.suppress(OSError):  # the client went away; its pages are stopped below
            while data:
                data = data[os.write(self.write_fd, data) :]


class Zygote:
    def __init__(self, listener: socket.socket | None = None, idle: float = 0.0) -> None:
        self.listener = listener
        self.idle = idle
        self.children: dict[int, tuple[Connection, Any]] = {}  # pid -> (owner, job id)
        self.connections: dict[int, Connection] = {}  # read fd -> connection
        self._selector = selectors.DefaultSelector()
        self._wake_r, wake_w = os.pipe()
        os.set_blocking(wake_w, False)
        signal.set_wakeup_fd(wake_w)
        signal.signal(signal.SIGCHLD, lambda *_: None)
        self._selector.register(self._wake_r, selectors.EVENT_READ, "child")
        if listener is not None:
            self._selector.register(listener, selectors.EVENT_READ, "accept")

    def add_connection(self, connection: Connection) -> None:
        self.connections[connection.read_fd] = connection
        self._selector.register(connection.read_fd, selectors.EVENT_READ, "request")

    def serve(self) -> None:
        last_busy = time.monotonic()
        while True:
            for key, _ in self._selector.select(timeout=1.0):
                if key.data == "child":
                    os.read(self._wake_r, 4096)
                elif key.data == "accept":
                    self._accept()
                else:
                    self._read(self.connections[key.fd])
            self._reap()
            if self.connections or self.children:
                last_busy = time.monotonic()
            elif self.listener is None or time.monotonic() - last_busy > self.idle:
                return

    def _accept(self) -> None:
        assert self.listener is not None
        try:
            client, _ = self.listener.accept()
        except OSError:
            return
        fd = client.detach()
        connection = Connection(fd, fd)
        self.add_connection(connection)
        connection.send({"ready": True})

    def _read(self, connection: Connection) -> None:
        try:
            data = os.read(connection.read_fd, 65536)
        except OSError:
            data = b""
        if not data:
            self._drop(connection)
            return
        connection.buffer += data
        *lines, connection.buffer = connection.buffer.split(b"\n")
        for line in lines:
            if line.strip():
                self._fork(connection, json.loads(line))

    def _drop(self, connection: Connection) -> None:
        """A client left (or its build was interrupted): stop the pages it started."""
        self._selector.unregister(connection.read_fd)
        del self.connections[connection.read_fd]
        for pid in connection.pages:
            _kill_group(pid)
        for fd in {connection.read_fd, connection.write_fd}:
            with contextlib.suppress(OSError):
                os.close(fd)

    def _fork(self, connection: Connection, request: dict[str, Any]) -> None:
        job = json.loads(Path(request["job"]).read_text(encoding="utf-8"))
        pid = os.fork()
        if pid == 0:
            self._become_page(job)
        self.children[pid] = (connection, request["id"])
        connection.pages.add(pid)
        connection.send({"id": request["id"], "pid": pid})

    def _become_page(self, job: dict[str, Any]) -> None:
        code = 0
        try:
            signal.set_wakeup_fd(-1)
            self._selector.close()
            for fd in [self._wake_r, *self.connections]:
                with contextlib.suppress(OSError):
                    os.close(fd)
            if self.listener is not None:
                self.listener.close()
            from techpath.execute.child import isolate, run_page

            isolate(job)
            gc.enable()
            run_page(job)
        except BaseException:
            code = 70
        finally:
            os._exit(code)

    def _reap(self) -> None:
        while self.children:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            owner = self.children.pop(pid, None)
            if owner is not None:
                connection, job_id = owner
                connection.pages.discard(pid)
                if connection.read_fd in self.connections:
                    connection.send({"id": job_id, "exit": os.waitstatus_to_exitcode(status)})


def _kill_group(pid: int) -> None:
    with contextlib.suppress(OSError):
        os.killpg(pid, signal.SIGKILL)


def bind_socket(path: str) -> socket.socket | None:
    """Listen on `path`; None when another live zygote already serves it."""
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        listener.bind(path)
    except OSError as exc:
        if exc.errno != errno.EADDRINUSE:
            raise
        probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            probe.connect(path)
            probe.close()
            listener.close()
            return None  # someone is serving: leave it be
        except OSError:
            os.unlink(path)  # a stale socket left by a crash
            listener.bind(path)
    listener.listen(16)
    os.chmod(path, 0o600)
    return listener


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m techpath.execute.zygote")
    parser.add_argument("--socket", help="serve on this Unix socket instead of stdin/stdout")
    parser.add_argument("--idle", type=float, default=600.0, help="server mode: seconds idle before exiting")
    args = parser.parse_args(argv)
    listed = json.loads(os.environ.get("TECHPATH_PRELOAD", "null"))
    modules = DEFAULT_PRELOAD if listed is None else listed  # [] (posts import nothing) is kept
    listener = None
    if args.socket:
        listener = bind_socket(args.socket)
        if listener is None:
            return
    # No collections while importing (imports make many long-lived objects: collecting them is
    # wasted work, about a fifth of the import time), then freeze them all: the children's
    # collections never walk the inherited heap, which would copy its pages on write.
    gc.disable()
    warm_up(modules)
    gc.freeze()
    zygote = Zygote(listener, args.idle)
    if listener is None:
        stdio = Connection(sys.stdin.fileno(), sys.stdout.fileno())
        zygote.add_connection(stdio)
        stdio.send({"ready": True})
    try:
        zygote.serve()
    finally:
        if args.socket and listener is not None:
            with contextlib.suppress(OSError):
                os.unlink(args.socket)


if __name__ == "__main__":
    main()

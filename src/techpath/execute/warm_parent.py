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
The warm parent itself stays single-threaded, which is what makes fork() safe here.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import gc
import json
import os
import selectors
import signal
import socket
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from techpath import environment
from techpath.execute import hooks, procs, sockets
from techpath.execute.preload import DEFAULT_PRELOAD, warm_up
from techpath.execute.reads import remember_module_files


@dataclass
class Connection:
    """One client: where its requests come from, where answers go, its running pages."""

    read_fd: int
    write_fd: int
    buffer: bytes = b""
    pages: set[int] = field(default_factory=set)
    scratch: Path | None = None  # the client's own folder: the only place jobs may come from
    trusted: bool = False  # pipe mode: the build that started this process

    def send(self, message: dict[str, Any]) -> None:
        data = (json.dumps(message) + "\n").encode()
        with contextlib.suppress(OSError):  # the client went away; its pages are stopped below
            while data:
                data = data[os.write(self.write_fd, data) :]


class WarmParent:
    def __init__(
        self,
        listener: socket.socket | None = None,
        idle: float = 0.0,
        socket_path: str = "",
        fingerprint: str = "",
    ) -> None:
        self.socket_path = socket_path
        self.fingerprint = fingerprint
        procs.become_subreaper()  # orphans of pages come here, where _end_orphans finds them
        signal.signal(signal.SIGTERM, _exit_on_signal)  # so serve()'s cleanup runs
        # Ctrl-C reaches the whole process group: the build's Ctrl-C is this process's too. A
        # build that was started ignoring SIGINT (a job in the background of a script) goes on
        # after a Ctrl-C in that terminal, and its pages with it: the ignore is inherited here
        # and kept, as Python keeps it, or its pages would be lost under a running build.
        if signal.getsignal(signal.SIGINT) is not signal.SIG_IGN:
            signal.signal(signal.SIGINT, _exit_on_signal)
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
        try:
            while True:
                for key, _ in self._selector.select(timeout=1.0):
                    if key.data == "child":
                        os.read(self._wake_r, 4096)
                    elif key.data == "accept":
                        self._accept()
                    elif key.fd in self.connections:
                        self._read(self.connections[key.fd])
                self._reap()
                self._end_orphans()
                if self.connections or self.children:
                    last_busy = time.monotonic()
                elif self.listener is None or time.monotonic() - last_busy > self.idle:
                    return
        finally:  # normal end, Ctrl-C, SIGTERM: no page and nothing a page started survives
            self.stop_everything()

    def stop_everything(self) -> None:
        for pid in list(self.children):
            procs.kill_tree(pid)
        self._end_orphans()
        self._reap()

    def _end_orphans(self) -> None:
        """This process is a child subreaper and only ever forks pages, so a child that is not
        a running page is an orphan a dead page left behind (a double fork, a daemon): end it."""
        for pid in procs.children(os.getpid()):
            if pid not in self.children:
                procs.kill_tree(pid)

    def _accept(self) -> None:
        assert self.listener is not None
        try:
            client, _ = self.listener.accept()
        except OSError:
            return
        if not sockets.same_user(client):  # another user reached the socket: never serve them
            client.close()
            return
        fd = client.detach()
        connection = Connection(fd, fd)
        self.add_connection(connection)
        connection.send({"ready": True, "fingerprint": self.fingerprint, "pid": os.getpid()})

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
            if not line.strip():
                continue
            request = json.loads(line)
            if "hello" in request:
                self._hello(connection, request["hello"])
            elif "quit" in request:
                self._retire(connection)
                return
            elif "kill" in request:
                self._kill_job(connection, request["kill"])
            else:
                self._fork(connection, request)

    def _hello(self, connection: Connection, hello: dict[str, Any]) -> None:
        """A client names its scratch folder (it must be its own, 0700) and its idle time."""
        try:
            scratch = Path(hello["scratch"])
            sockets.check_private(scratch)
            connection.scratch = scratch.resolve()
        except (KeyError, TypeError, sockets.UnsafeFolder) as exc:
            print(f"techpath warm parent: refused a client's scratch folder: {exc}", file=sys.stderr)
        if isinstance(hello.get("idle"), int | float) and hello["idle"] > 0:
            self.idle = float(hello["idle"])

    def _retire(self, connection: Connection) -> None:
        """A client of a newer engine or environment wants this socket: stop listening (the
        client then starts a fresh warm parent there) and exit when the last page is done."""
        if self.listener is not None:
            self._selector.unregister(self.listener)
            if self.socket_path:
                with contextlib.suppress(OSError):
                    os.unlink(self.socket_path)
            self.listener.close()
            self.listener = None
        self._drop(connection)

    def _job_allowed(self, connection: Connection, job_path: Path, job: dict[str, Any] | None) -> str:
        """Empty when the job may run; else why not. Jobs (and the folders they write to) must
        lie in the client's own scratch folder, so no one can make this process read or write
        elsewhere on another's behalf."""
        if connection.trusted:
            return ""
        if connection.scratch is None:
            return "no scratch folder was accepted for this client"
        paths = [job_path] + ([Path(job["result_dir"]), Path(job["work_dir"])] if job else [])
        for path in paths:
            if not path.resolve().is_relative_to(connection.scratch):
                return f"{path} is outside the client's scratch folder"
        return ""

    def _kill_job(self, connection: Connection, job_id: Any) -> None:
        """Stop one of this client's pages (a limit was hit): only pids this process forked."""
        for pid, (owner, owned_id) in self.children.items():
            if owner is connection and owned_id == job_id:
                procs.kill_tree(pid)

    def _drop(self, connection: Connection) -> None:
        """A client left (or its build was interrupted): stop the pages it started."""
        self._selector.unregister(connection.read_fd)
        del self.connections[connection.read_fd]
        for pid in connection.pages:
            procs.kill_tree(pid)
        for fd in {connection.read_fd, connection.write_fd}:
            with contextlib.suppress(OSError):
                os.close(fd)

    def _fork(self, connection: Connection, request: dict[str, Any]) -> None:
        job_path = Path(str(request.get("job", "")))
        job: dict[str, Any] | None = None
        refused = self._job_allowed(connection, job_path, None)
        if not refused:
            try:
                job = json.loads(job_path.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                refused = f"unreadable job file: {exc}"
        if not refused:
            refused = self._job_allowed(connection, job_path, job)
        if refused or job is None:
            connection.send({"id": request.get("id"), "refused": refused})
            return
        missing = [m for m in job.get("preload") or [] if m not in sys.modules]
        if missing:  # another site's imports: warm them here once, for this and later builds
            warm_up(missing)
            gc.freeze()
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
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            from techpath.execute.child import isolate, run_page

            context = isolate(job)
            gc.enable()
            run_page(job, context)
        except BaseException:
            code = 70
        finally:
            os._exit(code)

    def _reap(self) -> None:
        while True:  # orphans adopted as subreaper are reaped here too
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


def _import_page_machinery() -> None:
    """Import what every page runs (execute/child.py and the session it drives) here, once:
    imported after the fork, each page paid for it again (40-50 ms of CPU, about half a light
    page's own compute)."""
    from techpath.execute import capture, child, names, session  # noqa: F401

    remember_module_files()


def _exit_on_signal(signum: int, frame: Any) -> None:
    raise SystemExit(128 + signum)


def bind_socket(path: str) -> socket.socket | None:
    """Listen on `path`; None when another live warm parent already serves it."""
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sockets.check_private(Path(path).parent)
    try:
        with sockets.umask(0o077):  # the socket file is never, even briefly, open to others
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
            with sockets.umask(0o077):
                listener.bind(path)
    listener.listen(16)
    return listener


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m techpath.execute.warm_parent")
    parser.add_argument("--socket", help="serve on this Unix socket instead of stdin/stdout")
    parser.add_argument("--idle", type=float, default=600.0, help="server mode: seconds idle before exiting")
    parser.add_argument("--fingerprint", default="", help="server mode: the environment it serves")
    args = parser.parse_args(argv)
    listed = environment.preload()
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
    hooks.launch_folder = sys.path[0] if sys.path and not sys.flags.safe_path else None
    if hooks.launch_folder:  # the build's folder is no module source for any site's pages
        sys.path.remove(hooks.launch_folder)
    hooks.record_thread_budget(os.environ)
    warm_up(modules)
    _import_page_machinery()
    gc.freeze()
    parent = WarmParent(listener, args.idle, args.socket or "", args.fingerprint)
    if listener is None:
        stdio = Connection(sys.stdin.fileno(), sys.stdout.fileno(), trusted=True)
        parent.add_connection(stdio)
        stdio.send({"ready": True})
    try:
        parent.serve()
    finally:
        if args.socket and parent.listener is not None:  # (a retired one has let it go)
            with contextlib.suppress(OSError):
                os.unlink(args.socket)


if __name__ == "__main__":
    main()

"""How a page process comes to exist: one interface, two implementations.

The scheduler (runner.Runner) writes a job file (the page and its blocks), asks a launcher to
start it, collects the launcher's messages and asks it to end a page's tree. It never knows
which implementation it drives:

  * ForkLauncher (Linux): pages are forked by a warm parent (warm_parent.py) that imported the heavy
    libraries once; messages come from it over a pipe or a socket. This process never signals
    a pid: the warm parent started the page, so it ends the page.
  * SpawnLauncher (elsewhere): each page is a fresh interpreter this process started; messages
    are made here by polling the processes.

Messages are the warm parent's protocol: {"id": 7, "pid": 4242}, {"id": 7, "exit": 0},
{"id": 7, "refused": "why"}, and None when every running page was lost.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from techpath.execute import procs, sockets
from techpath.execute.client import WarmParentClient, WarmParentDied, server_socket_path

Message = dict[str, Any] | None


class Launcher(Protocol):
    name: str

    def start(self, job_id: int, job_file: Path) -> None:
        """Start the page described by the job file (its blocks travel in it)."""

    def collect(self, timeout: float) -> list[Message]:
        """Messages about started pages, waiting at most `timeout` seconds for the first."""

    def kill(self, job_id: int) -> None:
        """End the page and every process it started; its exit is still reported."""

    def release(self, job_id: int) -> None:
        """The page's exit was seen: end what it left behind and forget it."""

    def prewarm(self) -> None: ...

    def close(self) -> None: ...

    @property
    def warm_pid(self) -> int | None:
        """The warm parent's process id, once one runs (None: each page starts afresh)."""


class ForkLauncher:
    name = "fork"

    def __init__(
        self, env: dict[str, str], scratch: Path, keep_warm: float, log: Callable[[str], None]
    ) -> None:
        self._env, self._scratch, self._keep_warm, self._log = env, scratch, keep_warm, log
        self._warm_parent: WarmParentClient | None = None

    def _ensure(self) -> WarmParentClient:
        if self._warm_parent is None:
            path = None
            if self._keep_warm > 0:
                try:
                    path = server_socket_path()
                except sockets.UnsafeFolder as exc:  # never trust a folder others control
                    self._log(f"techpath: not sharing a warm parent: {exc}")
            self._warm_parent = WarmParentClient(
                self._env, path, idle=self._keep_warm, scratch=self._scratch, log=self._log
            )
        return self._warm_parent

    @property
    def warm_pid(self) -> int | None:
        return self._warm_parent.pid if self._warm_parent is not None else None

    def start(self, job_id: int, job_file: Path) -> None:
        try:
            self._ensure().submit(job_id, job_file)
        except WarmParentDied:  # a shared warm parent went away between builds: start afresh
            self._warm_parent = None
            self._ensure().submit(job_id, job_file)

    def collect(self, timeout: float) -> list[Message]:
        if self._warm_parent is None:
            time.sleep(timeout)
            return []
        messages = self._warm_parent.messages(timeout=timeout)
        if None in messages:  # the warm parent died: every running page is lost
            self._warm_parent = None
        return messages

    def kill(self, job_id: int) -> None:
        if self._warm_parent is not None:
            with contextlib.suppress(WarmParentDied):
                self._warm_parent.kill(job_id)

    def release(self, job_id: int) -> None:
        """(the warm parent ended the page's tree before it reported the exit)"""

    def prewarm(self) -> None:
        self._ensure()

    def close(self) -> None:
        if self._warm_parent is not None:
            self._warm_parent.close()
            self._warm_parent = None


class SpawnLauncher:
    name = "spawn"
    warm_pid = None  # each page is a fresh interpreter

    def __init__(self, env: dict[str, str]) -> None:
        self._env = dict(env)
        self._processes: dict[int, subprocess.Popen[bytes]] = {}
        self._announced: list[Message] = []
        self._reported: set[int] = set()

    def start(self, job_id: int, job_file: Path) -> None:
        process = subprocess.Popen(
            [sys.executable, "-m", "techpath.execute.child", str(job_file)],
            env=self._env,
            stdin=subprocess.DEVNULL,
        )
        self._processes[job_id] = process
        self._announced.append({"id": job_id, "pid": process.pid})

    def collect(self, timeout: float) -> list[Message]:
        messages, self._announced = self._announced, []
        if not messages:
            time.sleep(timeout)
        for job_id, process in self._processes.items():
            code = process.poll()
            if code is not None and job_id not in self._reported:
                self._reported.add(job_id)
                messages.append({"id": job_id, "exit": code})
        return messages

    def kill(self, job_id: int) -> None:
        process = self._processes.get(job_id)
        if process is not None:
            # The tree first (stopped, then killed, while the supervisor still holds it): killing
            # the supervisor first would hand its page's daemons to PID 1 before the walk.
            procs.kill_tree(process.pid)
            _kill_group(process.pid)

    def release(self, job_id: int) -> None:
        process = self._processes.pop(job_id, None)
        self._reported.discard(job_id)
        if process is not None:  # anything the page left running in its group dies with it
            _kill_group(process.pid)
            with contextlib.suppress(Exception):
                process.wait(timeout=5)

    def prewarm(self) -> None:
        """(nothing to warm: every page is a fresh interpreter)"""

    def close(self) -> None:
        for job_id in list(self._processes):
            self.kill(job_id)
            self.release(job_id)


def _kill_group(pid: int) -> None:
    try:
        if hasattr(os, "killpg"):
            os.killpg(pid, signal.SIGKILL)
        else:  # pragma: no cover - Windows: no process groups; stop the page process itself
            os.kill(pid, signal.SIGTERM)
    except (ProcessLookupError, PermissionError):
        pass

"""A memory limit the kernel enforces: one cgroup v2 child per page with `memory.max`.

Used where this process sits in a cgroup v2 hierarchy whose memory controller it may hand to
child cgroups (root in a container, or a delegated systemd scope). Each page gets
`<own cgroup>/techpath-<pid>-<job>` with memory.max = the limit and no swap; the page joins it
itself before running a block (child.isolate), so everything it allocates, and everything it
starts, is charged there. Memory a forked page shares copy-on-write with the warm parent stays
charged to the warm parent. After the page ends, `memory.events` says whether the kernel's
out-of-memory killer stopped it, which names the cause. Anywhere else (cgroup v1 or hybrid
machines, no permission, macOS) `pages_base` says why, and the scheduler polls private memory.
"""

from __future__ import annotations

import contextlib
import os
import time
from dataclasses import dataclass
from pathlib import Path

from techpath import environment

MiB = 1024 * 1024


def _unified_mount(mountinfo: str) -> Path | None:
    for line in mountinfo.splitlines():
        left, _, right = line.partition(" - ")
        if right.split(" ", 1)[0] == "cgroup2":
            return Path(left.split()[4])
    return None


def own_cgroup(mountinfo: str, proc_cgroup: str) -> Path | None:
    """This process's cgroup v2 folder, from /proc/self/mountinfo and /proc/self/cgroup."""
    mount = _unified_mount(mountinfo)
    for line in proc_cgroup.splitlines():
        if line.startswith("0::") and mount is not None:
            return mount / line[3:].lstrip("/")
    return None


def delegable(folder: Path) -> str:
    """'' when child cgroups of `folder` can get a memory limit, else the reason they cannot."""
    try:
        controllers = (folder / "cgroup.controllers").read_text().split()
    except OSError as exc:
        return f"cannot read {folder}/cgroup.controllers: {exc.strerror}"
    if "memory" not in controllers:
        on = " ".join(controllers) or "none"
        return f"the memory controller is not on cgroup v2 here ({folder} has: {on})"
    subtree = folder / "cgroup.subtree_control"
    try:
        if "memory" not in subtree.read_text().split():
            subtree.write_text("+memory")  # allowed in the root cgroup or an empty delegated one
    except OSError as exc:
        return f"cannot enable memory for child cgroups of {folder}: {exc.strerror}"
    if not os.access(folder, os.W_OK):
        return f"cannot create cgroups in {folder}"
    return ""


def pages_base(memory_mb: int) -> tuple[Path | None, str]:
    """(folder for page cgroups, how the limit is measured). Off with TECHPATH_CGROUP=0."""
    if not memory_mb:
        return None, "no memory limit"
    if not environment.cgroups_allowed():
        return None, "polled private memory (TECHPATH_CGROUP=0)"
    try:
        folder = own_cgroup(Path("/proc/self/mountinfo").read_text(), Path("/proc/self/cgroup").read_text())
    except OSError:
        folder = None
    if folder is None:
        return None, "polled private memory (no cgroup v2 here)"
    reason = delegable(folder)
    if reason:
        return None, f"polled private memory ({reason})"
    return folder, f"cgroup v2 memory.max under {folder}"


@dataclass
class PageGroup:
    path: Path

    @classmethod
    def create(cls, base: Path, job_id: int, memory_mb: int) -> PageGroup | None:
        path = base / f"techpath-{os.getpid()}-{job_id}"
        try:
            path.mkdir()
            (path / "memory.max").write_text(str(memory_mb * MiB))
            with contextlib.suppress(OSError):  # no swap: the limit is the memory it may use
                (path / "memory.swap.max").write_text("0")
            with contextlib.suppress(OSError):  # an OOM kill ends the whole page, not one thread
                (path / "memory.oom.group").write_text("1")
        except OSError:
            with contextlib.suppress(OSError):
                path.rmdir()
            return None
        return cls(path)

    def joined(self) -> bool:
        with contextlib.suppress(OSError):
            return bool((self.path / "cgroup.procs").read_text().split())
        return False

    def oom_killed(self) -> bool:
        with contextlib.suppress(OSError, ValueError):
            for line in (self.path / "memory.events").read_text().splitlines():
                key, value = line.split()
                if key == "oom_kill" and int(value) > 0:
                    return True
        return False

    def remove(self) -> None:
        with contextlib.suppress(OSError):
            (self.path / "cgroup.kill").write_text("1")
        for _ in range(50):
            try:
                self.path.rmdir()
                return
            except FileNotFoundError:
                return
            except OSError:  # still has a process that is being killed
                time.sleep(0.01)


def join(path: str) -> None:
    """Called by the page process itself, before its first block."""
    if path:
        with contextlib.suppress(OSError):
            Path(path, "cgroup.procs").write_text(str(os.getpid()))

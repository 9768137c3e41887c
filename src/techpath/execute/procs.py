"""Process-tree tools: subreaper and parent-death signal (Linux `prctl`), the descendants of a
process, the memory a tree holds, and ending a whole tree.

Pages may start processes that leave their process group (`setsid`) and lose their parent (a
double fork). A *child subreaper* adopts such orphans instead of PID 1, so they can still be
found as its children and ended. Everything here degrades to a no-op where /proc or prctl do
not exist (macOS, Windows): there the page's process group is what gets stopped.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import functools
import os
import signal
import sys
from pathlib import Path

PR_SET_PDEATHSIG = 1
PR_SET_CHILD_SUBREAPER = 36
_PROC = Path("/proc")


@functools.cache
def _libc() -> ctypes.CDLL:
    """Found once: `find_library` runs `ldconfig` (a process of its own, milliseconds), which
    every page paid twice before it was kept; the warm parent finds it before it forks."""
    return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)


def _prctl(option: int, value: int) -> bool:
    if not sys.platform.startswith("linux"):
        return False
    try:
        return _libc().prctl(option, value, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def become_subreaper() -> bool:
    """Orphaned descendants (double forks, `setsid` daemons) are re-parented to this process."""
    return _prctl(PR_SET_CHILD_SUBREAPER, 1)


def die_with_parent(sig: int = signal.SIGKILL) -> bool:
    """Receive `sig` when the parent dies (checked at once, in case it already has)."""
    parent = os.getppid()
    done = _prctl(PR_SET_PDEATHSIG, int(sig))
    if done and os.getppid() != parent:  # the parent died before the call: act now
        os.kill(os.getpid(), sig)
    return done


def children(pid: int) -> list[int]:
    """Direct children of `pid` (all its threads), from /proc; [] where unavailable."""
    found: list[int] = []
    try:
        tasks = list((_PROC / str(pid) / "task").iterdir())
    except OSError:
        return found
    for task in tasks:
        with contextlib.suppress(OSError, ValueError):
            found += [int(c) for c in (task / "children").read_text().split()]
    return found


def descendants(pid: int) -> list[int]:
    """Every process below `pid`, parents before their children."""
    order: list[int] = []
    queue = children(pid)
    seen: set[int] = set()
    while queue:
        child = queue.pop(0)
        if child in seen:
            continue
        seen.add(child)
        order.append(child)
        queue += children(child)
    return order


def kill_tree(pid: int, include_root: bool = True) -> None:
    """SIGKILL `pid` and everything below it. Stopped first, so nothing forks while we walk."""
    victims = descendants(pid)
    if include_root:
        victims.insert(0, pid)
    for victim in victims:
        with contextlib.suppress(OSError):
            os.kill(victim, signal.SIGSTOP)
    for victim in descendants(pid):  # anything forked between the walk and the stop
        if victim not in victims:
            victims.append(victim)
    for victim in victims:
        with contextlib.suppress(OSError):
            os.kill(victim, signal.SIGKILL)


def private_mb(pid: int) -> float:
    """Memory only this process holds (private resident + swapped), in MB: pages shared
    copy-on-write with a warm parent are not counted. 0.0 when it cannot be read."""
    try:
        text = (_PROC / str(pid) / "smaps_rollup").read_text()
    except OSError:
        return _rss_mb(pid)
    kb = 0
    for line in text.splitlines():
        if line.startswith(("Private_Clean:", "Private_Dirty:", "Swap:")):
            kb += int(line.split()[1])
    return kb / 1024


def _rss_mb(pid: int) -> float:
    try:
        for line in (_PROC / str(pid) / "status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def tree_private_mb(pid: int) -> float:
    """Private memory of `pid` and all its descendants."""
    return sum(private_mb(p) for p in [pid, *descendants(pid)])


def rss_mb(pid: int) -> float:
    """Resident memory of one process, cheaply (/proc/PID/statm; includes shared pages)."""
    try:
        resident = int((_PROC / str(pid) / "statm").read_text().split()[1])
    except (OSError, IndexError, ValueError):
        return 0.0
    return resident * os.sysconf("SC_PAGE_SIZE") / (1024 * 1024)


def tree_rss_mb(pid: int) -> float:
    """Resident memory of `pid` and its descendants: an upper bound of their private memory."""
    return sum(rss_mb(p) for p in [pid, *descendants(pid)])

"""Run one command and measure it: wall time, CPU seconds and peak memory of the whole process
tree it starts, including the warm parent, which lives in its own session and is not our child.

Every process of one measured run carries a marker in its environment (`_TECHPATH_BENCH_RUN`);
a sampler thread finds them in /proc, so the measurement sees the warm parent and its page
processes without any help from techpath itself.
"""

from __future__ import annotations

import os
import signal
import subprocess
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from techpath import environment

MARKER = environment.BENCH_RUN.name
PROC = Path("/proc")
TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


@dataclass
class Measured:
    """What one run of one command cost."""

    seconds: float
    cpu_seconds: float  # the command and every process it waited for, plus marked processes
    peak_rss_mb: float  # the command's own process (ru_maxrss)
    warm_parent_peak_mb: float = 0.0  # the warm parent (VmHWM), 0 when none was seen
    stdout: str = ""
    stderr: str = ""


def new_marker() -> str:
    """A value for MARKER that names the processes of one series of builds."""
    return uuid.uuid4().hex


@dataclass
class _Sample:
    cpu: dict[int, float] = field(default_factory=dict)  # pid -> own + waited children CPU seconds
    warm_peak_kb: int = 0


def run_measured(command: list[str], cwd: Path, env: dict[str, str], poll: float = 0.05) -> Measured:
    """Run `command` to completion; raise RuntimeError (with its output) if it fails.

    The marker in `env` (if any) identifies the run's other processes; CPU time they spend
    between the start and the end of the command is added to the command's own.
    """
    marker = env.get(MARKER)
    if marker:
        settle(marker)
    before = _scan(marker) if marker else _Sample()
    sample = _Sample(cpu=dict(before.cpu))
    stop = threading.Event()

    def sampler() -> None:
        while not stop.wait(poll):
            _merge(sample, _scan(marker))

    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        process = subprocess.Popen(command, cwd=cwd, env=env, stdout=out, stderr=err)
        thread = threading.Thread(target=sampler, daemon=True) if marker else None
        if thread:
            thread.start()
        _pid, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        if thread:
            stop.set()
            thread.join()
        final = _scan(marker) if marker else _Sample()
        _merge(sample, final)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(errors="replace"), err.read().decode(errors="replace")
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed ({process.returncode}):\n{stdout}\n{stderr}")
    own = usage.ru_utime + usage.ru_stime
    # Processes that exited during the command were waited for by it (its children) or by the
    # warm parent (page processes): their CPU is in one of the two already. What is still alive
    # is the warm parent, in its own session and never waited for by the command: add the CPU
    # it (with the page processes it reaped) spent meanwhile.
    others = sum(cpu - before.cpu.get(pid, 0.0) for pid, cpu in final.cpu.items() if pid != process.pid)
    return Measured(
        seconds=seconds,
        cpu_seconds=own + max(others, 0.0),
        peak_rss_mb=usage.ru_maxrss / 1024,
        warm_parent_peak_mb=sample.warm_peak_kb / 1024,
        stdout=stdout,
        stderr=stderr,
    )


def settle(marker: str, timeout: float = 10.0) -> None:
    """Wait until the series' long-lived processes have no children left (the previous build's
    last page processes exited and were reaped), so their CPU is not counted in the next build."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not any(_children(pid) for pid in _marked_pids(marker)):
            return
        time.sleep(0.05)


def _children(pid: int) -> bool:
    try:
        return any((task / "children").read_text().strip() for task in (PROC / str(pid) / "task").iterdir())
    except OSError:
        return False


def stop_marked(marker: str) -> int:
    """End the processes of one series (warm parents kept for the next build); returns how many.

    They were all started by this bench under its own marker; each is signalled by its id.
    """
    stopped = 0
    for pid in _marked_pids(marker):
        try:
            os.kill(pid, signal.SIGTERM)
            stopped += 1
        except (ProcessLookupError, PermissionError):
            continue
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and _marked_pids(marker):
        time.sleep(0.05)
    for pid in _marked_pids(marker):
        try:
            os.kill(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            continue
    return stopped


# -- /proc -----------------------------------------------------------------------------------
def _marked_pids(marker: str) -> list[int]:
    needle = f"{MARKER}={marker}".encode()
    pids = []
    for entry in PROC.iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            environ = (entry / "environ").read_bytes()
        except OSError:
            continue
        if needle in environ.split(b"\0"):
            pids.append(int(entry.name))
    return pids


def _scan(marker: str | None) -> _Sample:
    sample = _Sample()
    if not marker:
        return sample
    for pid in _marked_pids(marker):
        try:
            stat = (PROC / str(pid) / "stat").read_text()
            status = (PROC / str(pid) / "status").read_text()
            cmdline = (PROC / str(pid) / "cmdline").read_bytes()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        # utime, stime, cutime, cstime: own CPU and that of children it waited for
        sample.cpu[pid] = sum(int(v) for v in fields[11:15]) / TICKS
        if b"techpath.execute.warm_parent" in cmdline:
            sample.warm_peak_kb = max(sample.warm_peak_kb, _hwm_kb(status))
    return sample


def _hwm_kb(status: str) -> int:
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def _merge(into: _Sample, new: _Sample) -> None:
    for pid, cpu in new.cpu.items():
        into.cpu[pid] = max(into.cpu.get(pid, 0.0), cpu)
    into.warm_peak_kb = max(into.warm_peak_kb, new.warm_peak_kb)

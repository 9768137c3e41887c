"""Rows of repeated measurements, the targets they are judged by, machine info, and the printed
table. Every row is summarised the same way: the median of its runs, with min and max."""

from __future__ import annotations

import os
import platform
import statistics
import sys
import time
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

LIBRARIES = (
    "techpath",
    "mkdocs",
    "mkdocs-material",
    "numpy",
    "scikit-learn",
    "matplotlib",
    "markdown-exec",
    "mkdocs-jupyter",
)


@dataclass
class Row:
    """One build (or yardstick) measured `len(seconds)` times."""

    name: str
    seconds: list[float] = field(default_factory=list)
    cpu_seconds: list[float] = field(default_factory=list)
    peak_mb: list[float] = field(default_factory=list)  # the build process (ru_maxrss)
    warm_peak_mb: list[float] = field(default_factory=list)  # the warm parent (VmHWM)
    problems: list[str] = field(default_factory=list)  # from checking the built pages
    note: str = ""
    checked: bool = True  # False for yardsticks that build no pages

    def add(
        self,
        seconds: float,
        cpu: float | None = None,
        peak_mb: float | None = None,
        warm_peak_mb: float = 0.0,
    ) -> None:
        self.seconds.append(seconds)
        if cpu is not None:
            self.cpu_seconds.append(cpu)
        if peak_mb is not None:
            self.peak_mb.append(peak_mb)
        if warm_peak_mb:
            self.warm_peak_mb.append(warm_peak_mb)

    @property
    def valid(self) -> bool:
        return not self.problems

    @property
    def median(self) -> float:
        return statistics.median(self.seconds) if self.seconds else float("nan")

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "runs": len(self.seconds),
            "median_s": self.median,
            "min_s": min(self.seconds, default=None),
            "max_s": max(self.seconds, default=None),
            "seconds": self.seconds,
            "cpu_seconds": self.cpu_seconds,
            "peak_mb": self.peak_mb,
            "warm_parent_peak_mb": self.warm_peak_mb,
            "valid": self.valid,
            "problems": self.problems[:20],
            "note": self.note,
        }


@dataclass
class Target:
    """`build` compared with `against`: at most `bound` times it (ratio = build / against), or for
    a speed-up at least `bound` times faster (ratio = against / build)."""

    build: str
    against: str
    bound: float
    speedup: bool = False


def verdict(target: Target, build: Row, against: Row | float, against_valid: bool = True) -> dict[str, Any]:
    """Judge one target. A build whose pages were wrong is INVALID, never a pass."""
    reference = against.median if isinstance(against, Row) else against
    ratio = (reference / build.median) if target.speedup else (build.median / reference)
    if not build.valid or not against_valid:
        status = "INVALID"
    elif target.speedup:
        status = "pass" if ratio >= target.bound else "miss"
    else:
        status = "pass" if ratio <= target.bound else "miss"
    return {
        "build": target.build,
        "against": target.against,
        "ratio": ratio,
        "target": f"{'≥' if target.speedup else '≤'} {target.bound:g}",
        "status": status,
    }


def machine_info() -> dict[str, Any]:
    """Enough to tell two benches' machines apart."""
    versions = {}
    for name in LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {
        "cores": usable,
        "cpu": cpu or platform.processor(),
        "platform": platform.platform(),
        "python": sys.version.split()[0],
        "libraries": versions,
        "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }


def format_rows(rows: list[Row]) -> list[str]:
    lines = [f"{'build':<46}{'median':>8}{'min':>8}{'max':>8}{'cpu s':>8}{'MB build/warm':>14}  note"]
    for row in rows:
        cpu = f"{statistics.median(row.cpu_seconds):8.2f}" if row.cpu_seconds else " " * 8
        peak = (
            f"{max(row.peak_mb):.0f}/{max(row.warm_peak_mb):.0f}"
            if row.warm_peak_mb
            else (f"{max(row.peak_mb):.0f}" if row.peak_mb else "")
        )
        peak = f"{peak:>14}"
        note = row.note
        if not row.valid:
            note = f"INVALID: {row.problems[0]}" + (
                f" (+{len(row.problems) - 1} more)" if len(row.problems) > 1 else ""
            )
        lines.append(
            f"{row.name:<46}{row.median:8.2f}{min(row.seconds):8.2f}{max(row.seconds):8.2f}"
            f"{cpu}{peak}  {note}"
        )
    return lines


def format_verdicts(verdicts: list[dict[str, Any]]) -> list[str]:
    lines = [f"{'check':<28}{'ratio':>8}  {'target':<7} {'':<8}against"]
    for v in verdicts:
        lines.append(f"{v['build']:<28}{v['ratio']:8.2f}  {v['target']:<7} {v['status']:<8}{v['against']}")
    return lines


def format_machine(machine: dict[str, Any]) -> str:
    libs = ", ".join(f"{k} {v}" for k, v in machine["libraries"].items() if v)
    load = machine.get("load_average")
    load_text = f"; load average {load[0]:.2f} at start" if load else ""
    return (
        f"machine: {machine['cores']} cores ({machine['cpu']}), Python {machine['python']}, "
        f"{machine['platform']}{load_text}\nlibraries: {libs}"
    )

"""Where the suite's time goes: with TECHPATH_TEST_TIMES=FILE, one JSON line per test (wall
seconds, and CPU seconds of this process and of the children it waited for), appended by every
xdist worker. The machine is shared, so CPU seconds are the figure to compare between runs;
`python -m tests.timing FILE` prints the costliest tests.

CPU of a child counts when the child is reaped (`subprocess.run` reaps it within the test); the
session's one Chromium is reaped at the end of the session and is not in any test's figure.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

ENV = "TECHPATH_TEST_TIMES"
_OUTCOMES: dict[str, str] = {}  # the test's outcome: failed or error when any phase was


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.failed:
        _OUTCOMES[report.nodeid] = "failed" if report.when == "call" else "error"
    elif report.when == "call" or report.skipped:
        _OUTCOMES.setdefault(report.nodeid, report.outcome)


def _cpu() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    target = os.environ.get(ENV)
    if not target:
        return (yield)
    at, wall, cpu = time.time(), time.monotonic(), _cpu()
    try:
        return (yield)
    finally:
        line = {
            "test": item.nodeid,
            "at": round(at, 2),  # when it started (epoch seconds): the workers' timeline
            "wall": round(time.monotonic() - wall, 2),
            "cpu": round(_cpu() - cpu, 2),
            "outcome": _OUTCOMES.pop(item.nodeid, "?"),
            "worker": os.environ.get("PYTEST_XDIST_WORKER", "main"),
            "load": round(os.getloadavg()[0], 1),
        }
        with open(target, "a", encoding="utf-8") as f:  # one short append per test: atomic enough
            f.write(json.dumps(line) + "\n")


def main(path: str, top: int = 30) -> None:
    rows = [json.loads(line) for line in Path(path).read_text().splitlines() if line.strip()]
    rows.sort(key=lambda r: -r["cpu"])
    total_cpu, total_wall = sum(r["cpu"] for r in rows), sum(r["wall"] for r in rows)
    print(f"{len(rows)} tests: {total_cpu:.0f} CPU s, {total_wall:.0f} s of test wall time (summed)")
    for r in rows[:top]:
        print(f"{r['cpu']:8.1f} CPU s {r['wall']:8.1f} s  load {r['load']:5.1f}  {r['test']}")
    _timeline(rows)
    bad = [r for r in rows if r.get("outcome") in ("failed", "error")]
    for r in bad:
        print(f"{r['outcome']}: {r['test']}")


def _timeline(rows: list[dict], longest: float = 20.0) -> None:
    """Each worker's tests of `longest` seconds or more, at their start from the run's first
    test: a worker waiting on another's build shows as a long test with little CPU."""
    timed = [r for r in rows if "at" in r]
    if not timed:
        return
    start = min(r["at"] for r in timed)
    for worker in sorted({r["worker"] for r in timed}):
        mine = sorted((r for r in timed if r["worker"] == worker), key=lambda r: r["at"])
        end = max(r["at"] + r["wall"] for r in mine) - start
        print(f"{worker}: {len(mine)} tests, last ends at {end:.0f} s")
        for r in mine:
            if r["wall"] >= longest:
                print(f"  {r['at'] - start:7.1f} s  {r['wall']:7.1f} s  {r['cpu']:7.1f} CPU s  {r['test']}")


if __name__ == "__main__":
    main(sys.argv[1], *(int(a) for a in sys.argv[2:3]))

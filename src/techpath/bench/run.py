"""`techpath bench`: techpath and its peers build the same generated posts, each the same number
of times, interleaved (run 1 of every tool, then run 2, ...) so that drift in the machine's load
hits every tool alike. Each build's pages are checked; the table shows medians with min and max."""

from __future__ import annotations

import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

from techpath.bench.corpus import DEFAULT, PEERS, Corpus, edit_one_post, write_sites
from techpath.bench.measure import MARKER, Measured, new_marker, run_measured, stop_marked
from techpath.bench.reference import Reference, cpu_floor, measure_reference, overlapped_limit
from techpath.bench.table import (
    Row,
    Target,
    format_machine,
    format_rows,
    format_verdicts,
    machine_info,
    verdict,
)
from techpath.bench.validity import check_site
from techpath.execute.runner import thread_env

PLAIN = "plain build (execution off)"
COLD = "techpath cold"
WARM = "techpath warm (nothing changed)"
EDIT = "techpath one-post edit"
COLD1 = "techpath cold, 1 worker"
IMPORTS = "imports (fresh interpreter)"
COMPUTE = "compute, sequential, warm process"
EDIT_COMPUTE = "edited post's compute, warm process"
SERVE = "serve: save -> new page served"
PEER_ROWS = {"markdown-exec": "markdown-exec (in-process, no cache)", "mkdocs-jupyter": "mkdocs-jupyter cold"}


def bench_env() -> dict[str, str]:
    env = {
        **os.environ,
        "MPLBACKEND": "Agg",
        "NO_MKDOCS_2_WARNING": "1",
        "PYDEVD_DISABLE_FILE_VALIDATION": "1",
        "TECHPATH_KEEP_WARM": "0",  # the bench's sites set keep_warm themselves
    }
    for name in ("TECHPATH_REFRESH", "TECHPATH_CACHE_DIR", "CI"):
        env.pop(name, None)
    return env


def peer_env(peer: str, env: dict[str, str]) -> dict[str, str]:
    """The environment a peer's build gets: the bench's, except that a Jupyter kernel must keep
    its own inline backend. With MPLBACKEND=Agg inherited, `plt.show()` in mkdocs-jupyter's
    kernels draws nothing and every page lacks its figure (a misconfigured peer, not a slow one)."""
    if peer == "mkdocs-jupyter":
        return {name: value for name, value in env.items() if name != "MPLBACKEND"}
    return env


def mkdocs_build(site: Path, config: str, out: Path, env: dict[str, str]) -> Measured:
    command = [sys.executable, "-m", "mkdocs", "build", "-q", "-f", str(site / config), "-d", str(out)]
    return run_measured(command, site, env)


def run_bench(
    posts: int = 20,
    jobs: int = 2,
    runs: int = 3,
    peers: tuple[str, ...] = PEERS,
    serve: bool = True,
    workdir: Path | None = None,
    keep: bool = False,
    corpus: Corpus = DEFAULT,
) -> dict[str, Any]:
    """Measure everything; returns the report (see format_report, and the JSON of --json)."""
    root = Path(tempfile.mkdtemp(prefix="techpath-bench-", dir=workdir))
    try:
        return _run(root, posts, jobs, runs, peers, serve, corpus)
    finally:
        if keep:
            print(f"bench sites kept in {root}", file=sys.stderr)
        else:
            shutil.rmtree(root, ignore_errors=True)


def _run(
    root: Path, posts: int, jobs: int, runs: int, peers: tuple[str, ...], serve: bool, corpus: Corpus
) -> dict[str, Any]:
    machine = machine_info()
    sites = write_sites(root, posts, jobs=jobs, peers=peers, corpus=corpus)
    env = bench_env()
    plain_env = warm_up(sites["plain"], root, env)
    rows = {name: Row(name) for name in (PLAIN, COLD, WARM, EDIT, COLD1)}
    rows.update({PEER_ROWS[p]: Row(PEER_ROWS[p]) for p in peers})
    references: list[Reference] = []
    for run in range(runs):
        _progress(f"run {run + 1} of {runs}")
        # The yardstick first: its printed lines are what every page must show.
        # With the pages' thread budget (one BLAS/OpenMP thread per worker when the workers
        # fill the cores): `compute / workers` is that work spread over the workers. With a
        # thread per core, a busy machine made small fits several times slower and the limit
        # looser.
        references.append(measure_reference(posts, {**env, **thread_env(jobs)}, corpus=corpus))
        reference = references[-1]
        expected: list[str | None] = list(reference.lines)
        edited = [reference.edit_line, *expected[1:]]

        out = root / f"out-plain-{run}"
        measured = mkdocs_build(sites["plain"], "mkdocs-plain.yml", out, plain_env)
        _record(rows[PLAIN], measured, check_site(out, [None] * posts))

        edit_one_post(sites["techpath"], 0, corpus)  # every series starts from the same posts
        _techpath_series(rows, sites["techpath"], root / f"tp-{run}", env, expected, edited, corpus)
        edit_one_post(sites["techpath"], 0, corpus)
        series = _series_env(env, root / f"tp1-{run}")
        out = root / f"out-tp1-{run}"
        try:
            measured = mkdocs_build(sites["techpath"], "mkdocs-jobs1.yml", out, series)
        finally:
            _end_series(series)
        _record(rows[COLD1], measured, check_site(out, expected) + _cold_problems(measured))

        for peer in peers:
            out = root / f"out-{peer}-{run}"
            _record(
                rows[PEER_ROWS[peer]],
                mkdocs_build(sites[peer], "mkdocs.yml", out, peer_env(peer, env)),
                check_site(out, expected),
            )
    imports = Row(
        IMPORTS, [r.imports for r in references], [r.imports_cpu for r in references], checked=False
    )
    compute = Row(
        COMPUTE, [sum(r.compute) for r in references], [r.compute_cpu for r in references], checked=False
    )
    edit_compute = Row(EDIT_COMPUTE, [r.edit_compute for r in references], checked=False)
    serve_row = None
    if serve:
        from techpath.bench.serve import measure_serve

        edit_one_post(sites["techpath"], 0, corpus)
        serve_row = Row(
            SERVE, note="a code edit of one post: save until the served page shows its new output"
        )
        series = _series_env(env, root / "serve")
        try:
            for seconds in measure_serve(sites["techpath"], series, references[0], runs, corpus):
                serve_row.add(seconds)
        finally:
            _end_series(series)
    report = build_report(machine, posts, jobs, runs, rows, imports, compute, edit_compute, serve_row)
    return {**report, "corpus": corpus.name}


def warm_up(site: Path, root: Path, env: dict[str, str]) -> dict[str, str]:
    """One untimed plain build first: the operating system's file cache is warm for every tool,
    and the plain build's own cache (compiled templates) is as a contributor's would be. Returns
    the environment of the plain builds, whose cache folder persists across the runs."""
    plain_env = {**env, "TECHPATH_CACHE_DIR": str(root / "cache-plain")}
    mkdocs_build(site, "mkdocs-plain.yml", root / "out-warm-up", plain_env)
    shutil.rmtree(root / "out-warm-up", ignore_errors=True)
    return plain_env


def _techpath_series(
    rows: dict[str, Row],
    site: Path,
    cache: Path,
    env: dict[str, str],
    expected: list[str | None],
    edited: list[str | None],
    corpus: Corpus = DEFAULT,
) -> None:
    """Cold (fresh cache, no warm parent), then warm (nothing changed), then one post edited: the
    builds a contributor makes one after another, with the warm parent kept between them."""
    series = _series_env(env, cache)
    try:
        out = cache.with_name(cache.name + "-cold")
        measured = mkdocs_build(site, "mkdocs.yml", out, series)
        _record(rows[COLD], measured, check_site(out, expected) + _cold_problems(measured))
        out = cache.with_name(cache.name + "-warm")
        _record(rows[WARM], mkdocs_build(site, "mkdocs.yml", out, series), check_site(out, expected))
        edit_one_post(site, 1, corpus)
        out = cache.with_name(cache.name + "-edit")
        _record(rows[EDIT], mkdocs_build(site, "mkdocs.yml", out, series), check_site(out, edited))
    finally:
        _end_series(series)


def _cold_problems(measured: Measured) -> list[str]:
    if measured.warm_parent_peak_mb:
        return []
    return ["no warm parent of its own was seen: one started elsewhere served the build"]


def _series_env(env: dict[str, str], cache: Path) -> dict[str, str]:
    """A fresh cache folder (so the first build is cold), a marker naming this series'
    processes (the measurement finds the warm parent by it, and the bench stops it after), and
    a runtime folder of its own for the warm parent's socket: a warm parent of this environment
    started by anything else (an earlier build, a running `techpath serve`, another test
    building at the same moment) can neither serve the series' cold build nor be stopped by
    it. (Stopping the environment's warm parent before each cold build left a race: another
    build could start one in between, and the cold row was INVALID in one CI run.)"""
    runtime = tempfile.mkdtemp(prefix="techpath-bench-")  # short: a socket path has ~100 bytes
    return {**env, "TECHPATH_CACHE_DIR": str(cache), MARKER: new_marker(), "XDG_RUNTIME_DIR": runtime}


def _end_series(series: dict[str, str]) -> None:
    stop_marked(series[MARKER])
    shutil.rmtree(series["XDG_RUNTIME_DIR"], ignore_errors=True)


def _record(row: Row, measured: Measured, problems: list[str]) -> None:
    row.add(measured.seconds, measured.cpu_seconds, measured.peak_rss_mb, measured.warm_parent_peak_mb)
    if problems and not row.problems:
        row.problems = problems
    status = "ok" if not problems else f"INVALID ({problems[0]})"
    _progress(f"{row.name}: {measured.seconds:.2f} s, {measured.cpu_seconds:.2f} cpu s, {status}")


def build_report(
    machine: dict[str, Any],
    posts: int,
    jobs: int,
    runs: int,
    rows: dict[str, Row],
    imports: Row,
    compute: Row,
    edit_compute: Row,
    serve: Row | None = None,
) -> dict[str, Any]:
    """The limit, the CPU floor and every target's verdict from the measured rows."""
    plain = rows[PLAIN]
    limit_s = overlapped_limit(plain.median, imports.median, compute.median, jobs)
    cpu_total = _median(plain.cpu_seconds) + _median(imports.cpu_seconds) + _median(compute.cpu_seconds)
    floor_s = cpu_floor(cpu_total, machine["cores"])
    limit = Row(
        "limit: max(plain, imports) + compute/workers",
        [limit_s],
        note=(
            f"max({plain.median:.2f}, {imports.median:.2f}) + {compute.median:.2f} / {jobs}; "
            f"CPU floor {floor_s:.2f} s = {cpu_total:.2f} cpu s / {machine['cores']} cores"
        ),
        checked=False,
    )
    edit_reference = plain.median + edit_compute.median
    targets = [
        verdict(Target(COLD, "limit", 1.3), rows[COLD], limit_s),
        verdict(Target(WARM, "plain build", 1.1), rows[WARM], plain, plain.valid),
        verdict(Target(EDIT, "plain + edited post's compute", 1.2), rows[EDIT], edit_reference, plain.valid),
    ]
    for peer, bound in (("markdown-exec", 1.5), ("mkdocs-jupyter", 15.0)):
        if PEER_ROWS[peer] in rows:
            peer_row = rows[PEER_ROWS[peer]]
            targets.append(
                verdict(
                    Target(COLD, f"{PEER_ROWS[peer]} (speed-up)", bound, True),
                    rows[COLD],
                    peer_row,
                    peer_row.valid,
                )
            )
    shown = [*rows.values(), imports, compute, edit_compute, limit, *([serve] if serve else [])]
    # CPU seconds barely depend on how busy the machine is, wall time does: on a shared machine
    # these say how much work each build does beyond the unavoidable (no targets; information).
    cpu_ratios = {}
    if rows[COLD].cpu_seconds and cpu_total:
        cpu_ratios["techpath cold cpu / (plain + imports + compute) cpu"] = (
            _median(rows[COLD].cpu_seconds) / cpu_total
        )
    if rows[WARM].cpu_seconds and plain.cpu_seconds:
        cpu_ratios["techpath warm cpu / plain cpu"] = _median(rows[WARM].cpu_seconds) / _median(
            plain.cpu_seconds
        )
    for peer in ("markdown-exec", "mkdocs-jupyter"):
        peer_row = rows.get(PEER_ROWS[peer])
        if peer_row and peer_row.cpu_seconds and rows[COLD].cpu_seconds:
            cpu_ratios[f"{peer} cpu / techpath cold cpu"] = _median(peer_row.cpu_seconds) / _median(
                rows[COLD].cpu_seconds
            )
    return {
        "posts": posts,
        "jobs": jobs,
        "runs": runs,
        "machine": machine,
        "limit_s": limit_s,
        "cpu_floor_s": floor_s,
        "edit_reference_s": edit_reference,
        "rows": [r.as_json() for r in shown],
        "verdicts": targets,
        "cpu_ratios": cpu_ratios,
        "_rows": shown,
    }


def format_report(report: dict[str, Any]) -> str:
    lines = [
        f"techpath bench: {report['posts']} posts ({report.get('corpus', 'default')} corpus), "
        f"{report['jobs']} workers, "
        f"median of {report['runs']} runs (min and max shown)",
        format_machine(report["machine"]),
        "",
        *format_rows(report["_rows"]),
        "",
        *format_verdicts(report["verdicts"]),
        "",
        "CPU seconds (robust to a busy machine; information, no targets):",
        *(f"  {name:<52}{ratio:6.2f}" for name, ratio in report["cpu_ratios"].items()),
    ]
    return "\n".join(lines)


def report_json(report: dict[str, Any]) -> dict[str, Any]:
    """The report without its in-memory rows (what --json writes)."""
    return {k: v for k, v in report.items() if not k.startswith("_")}


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else 0.0


def _progress(message: str) -> None:
    print(f"  {message}", file=sys.stderr, flush=True)

"""`techpath bench --scale`: does a build stay linear as the site grows? Generated sites of
several sizes (techpath and plain only): cold, warm and one-edit times per post, peak memory of
the build process and of the warm parent; then the largest site in four shards whose caches,
merged, let a full build execute nothing."""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from techpath.bench.corpus import edit_one_post, write_sites
from techpath.bench.measure import MARKER, new_marker, run_measured, stop_marked
from techpath.bench.reference import measure_reference
from techpath.bench.run import (
    COLD,
    EDIT,
    PLAIN,
    WARM,
    _progress,
    _record,
    _techpath_series,
    bench_env,
    mkdocs_build,
    warm_up,
)
from techpath.bench.table import Row, format_machine, machine_info
from techpath.bench.validity import check_site
from techpath.cache import Cache

SIZES = (50, 200, 500)
SHARDS = 4


def run_scale(
    sizes: tuple[int, ...] = SIZES,
    jobs: int = 2,
    runs: int = 3,
    shards: int = SHARDS,
    workdir: Path | None = None,
    keep: bool = False,
) -> dict[str, Any]:
    root = Path(tempfile.mkdtemp(prefix="techpath-scale-", dir=workdir))
    try:
        return _scale(root, sorted(sizes), jobs, runs, shards)
    finally:
        if keep:
            print(f"scale sites kept in {root}", file=sys.stderr)
        else:
            shutil.rmtree(root, ignore_errors=True)


def _scale(root: Path, sizes: list[int], jobs: int, runs: int, shards: int) -> dict[str, Any]:
    machine = machine_info()
    env = bench_env()
    results = []
    site = root
    for size in sizes:
        _progress(f"{size} posts")
        site = write_sites(root / f"site-{size}", size, jobs=jobs, peers=())["techpath"]
        reference = measure_reference(size, env)
        plain_env = warm_up(site, root / f"site-{size}", env)
        expected: list[str | None] = list(reference.lines)
        edited = [reference.edit_line, *expected[1:]]
        rows = {name: Row(name) for name in (PLAIN, COLD, WARM, EDIT)}
        for run in range(runs):
            out = root / f"out-plain-{size}-{run}"
            _record(
                rows[PLAIN],
                mkdocs_build(site, "mkdocs-plain.yml", out, plain_env),
                check_site(out, [None] * size),
            )
            edit_one_post(site, 0)
            _techpath_series(rows, site, root / f"tp-{size}-{run}", env, expected, edited)
            for leftover in root.glob(f"*-{size}-{run}*"):  # 500-post sites add up: keep the disk small
                shutil.rmtree(leftover, ignore_errors=True)
        edit_one_post(site, 0)
        results.append(size_summary(size, rows, sum(reference.compute)))
    shard = measure_shards(site, root, env, jobs, shards, results[-1], expected)
    report = {"machine": machine, "jobs": jobs, "runs": runs, "sizes": results, "shards": shard}
    report["verdicts"] = scale_verdicts(results)
    return report


def size_summary(size: int, rows: dict[str, Row], compute: float) -> dict[str, Any]:
    cold, warm, edit, plain = rows[COLD], rows[WARM], rows[EDIT], rows[PLAIN]
    problems = [f"{r.name}: {r.problems[0]}" for r in rows.values() if r.problems]
    return {
        "posts": size,
        "valid": not problems,
        "problems": problems,
        "plain_s": plain.median,
        "cold_s": cold.median,
        "warm_s": warm.median,
        "edit_s": edit.median,
        "compute_s": compute,
        "cold_per_post_s": cold.median / size,
        "warm_per_post_s": warm.median / size,
        "plain_per_post_s": plain.median / size,
        "edit_per_post_s": edit.median / size,
        "build_peak_mb": max(cold.peak_mb + warm.peak_mb + edit.peak_mb),
        "warm_parent_peak_mb": max(cold.warm_peak_mb + warm.warm_peak_mb + edit.warm_peak_mb, default=0.0),
        "rows": [r.as_json() for r in rows.values()],
    }


def measure_shards(
    site: Path,
    root: Path,
    env: dict[str, str],
    jobs: int,
    shards: int,
    whole: dict[str, Any],
    expected: list[str | None],
) -> dict[str, Any]:
    """`techpath check --shard K/N` for every K, each with its own cache (as separate CI jobs
    would have); the caches merged; then a full build, which must execute no page."""
    times = []
    merged = Cache(root / "cache-merged")
    for k in range(1, shards + 1):
        cache = root / f"cache-shard-{k}"
        shard_env = {**env, "TECHPATH_CACHE_DIR": str(cache), MARKER: new_marker()}
        command = [sys.executable, "-m", "techpath.cli", "check", "--shard", f"{k}/{shards}", "-j", str(jobs)]
        try:
            measured = run_measured(command, site, shard_env)
        finally:
            stop_marked(shard_env[MARKER])
        times.append(measured.seconds)
        merged.merge_from(cache)
        _progress(f"shard {k}/{shards}: {measured.seconds:.2f} s")
    out = root / "out-merged"
    build_env = {**env, "TECHPATH_CACHE_DIR": str(merged.root), MARKER: new_marker()}
    try:
        measured = mkdocs_build(site, "mkdocs.yml", out, build_env)
    finally:
        stop_marked(build_env[MARKER])
    report = json.loads((out / "techpath-report.json").read_text(encoding="utf-8"))["posts"]
    executed = sum(not row["from_cache"] for row in report)
    problems = check_site(out, expected)
    _progress(f"full build after merging: {measured.seconds:.2f} s, {executed} pages executed")
    return {
        "shards": shards,
        "posts": whole["posts"],
        "shard_s": times,
        "whole_cold_s": whole["cold_s"],
        "shard_share": [t / whole["cold_s"] for t in times],
        "merged_build_s": measured.seconds,
        "merged_build_executed": executed,
        "merged_build_pages": len(report),
        "merged_build_problems": problems[:20],
    }


def scale_verdicts(sizes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    small, large = sizes[0], sizes[-1]
    valid = small["valid"] and large["valid"]

    def judge(name: str, ratio: float, bound: float) -> dict[str, Any]:
        status = "INVALID" if not valid else ("pass" if ratio <= bound else "miss")
        return {"check": name, "ratio": ratio, "target": f"≤ {bound:g}", "status": status}

    at = f"{large['posts']} vs {small['posts']} posts"
    return [
        judge(f"cold time per post, {at}", large["cold_per_post_s"] / small["cold_per_post_s"], 1.2),
        judge(f"build peak memory, {at}", large["build_peak_mb"] / small["build_peak_mb"], 2.0),
        judge(f"warm / plain at {large['posts']} posts", large["warm_s"] / large["plain_s"], 1.1),
    ]


def format_scale(report: dict[str, Any]) -> str:
    lines = [
        f"techpath bench --scale: {report['jobs']} workers, median of {report['runs']} runs",
        format_machine(report["machine"]),
        "",
        f"{'posts':>6}{'plain/post':>12}{'cold/post':>11}{'warm/post':>11}{'edit s':>9}"
        f"{'warm/plain':>12}{'build MB':>10}{'warm MB':>9}  valid",
    ]
    for s in report["sizes"]:
        lines.append(
            f"{s['posts']:>6}{s['plain_per_post_s']:12.4f}{s['cold_per_post_s']:11.4f}{s['warm_per_post_s']:11.4f}"
            f"{s['edit_s']:9.2f}{s['warm_s'] / s['plain_s']:12.2f}{s['build_peak_mb']:10.0f}"
            f"{s['warm_parent_peak_mb']:9.0f}  {'yes' if s['valid'] else 'INVALID: ' + s['problems'][0]}"
        )
    sh = report["shards"]
    shares = ", ".join(f"{t:.2f} s ({p:.0%})" for t, p in zip(sh["shard_s"], sh["shard_share"], strict=True))
    lines += [
        "",
        f"shards of the {sh['posts']}-post site "
        f"({sh['shards']} x `techpath check --shard K/{sh['shards']}`), "
        f"share of the whole cold build {sh['whole_cold_s']:.2f} s: {shares}",
        f"full build on the merged caches: {sh['merged_build_s']:.2f} s, "
        f"{sh['merged_build_executed']} of {sh['merged_build_pages']} pages executed"
        + (
            f"; INVALID: {sh['merged_build_problems'][0]}" if sh["merged_build_problems"] else "; pages valid"
        ),
        "",
        f"{'check':<40}{'ratio':>8}  {'target':<7} status",
    ]
    for v in report["verdicts"]:
        lines.append(f"{v['check']:<40}{v['ratio']:8.2f}  {v['target']:<7} {v['status']}")
    return "\n".join(lines)

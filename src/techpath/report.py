"""The execution report: per post status, duration, peak memory and library versions; and the
terminal form of failures that the CLI and pytest print."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from techpath.model import PageResult, Problem


def report_rows(results: dict[str, PageResult]) -> list[dict[str, Any]]:
    rows = []
    for path, result in sorted(results.items()):
        counts = {s: sum(b.status == s for b in result.blocks) for s in ("ok", "error", "skipped", "not-run")}
        rows.append(
            {
                "path": path,
                "status": "ok" if result.ok else "failed",
                "blocks": len(result.blocks),
                **{f"blocks_{k.replace('-', '_')}": v for k, v in counts.items()},
                "exercises": len(result.exercises),
                "exercises_verified": sum(e.status == "ok" for e in result.exercises),
                "duration_s": round(result.duration, 3),
                "peak_memory_mb": round(result.peak_memory_mb, 1),
                "executed_at": result.executed_at,
                "from_cache": result.from_cache,
                "versions": result.versions,
                "errors": [e.headline() for e in result.errors],
                "warnings": output_warnings(result),
                # what the cached result is checked against on the next build (dependencies.py)
                "files_read": sorted(p for p, d in result.dependencies.get("files", {}).items() if d),
                "folders_listed": sorted(result.dependencies.get("listings", {})),
                "libraries": result.dependencies.get("distributions", {}),
                "rerun_because": result.rerun_because,
            }
        )
    return rows


def write_report(path: Path, results: dict[str, PageResult]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"posts": report_rows(results)}, indent=2) + "\n", encoding="utf-8")


def output_warnings(result: PageResult) -> list[str]:
    """`file:line: message` for each output a page asked for that is not shown as asked (an
    interactive plot without a static image, a bad `matplotlib_rc` entry)."""
    return [
        f"{output.data.get('location', result.path)}: {output.text}"
        for block in result.blocks
        for output in block.outputs
        if output.kind == "note" and output.name == "warning"
    ]


def format_failures(results: dict[str, PageResult], problems: Iterable[Problem] = ()) -> str:
    """Every problem and failing block, `file:line: Type: message` then the indented traceback,
    and every output warning."""
    parts = [str(p) for p in problems]
    for _, result in sorted(results.items()):
        parts += [f"warning: {w}" for w in output_warnings(result)]
        for error in result.errors:
            parts.append(error.headline())
            if error.traceback.strip():
                parts.append(textwrap.indent(error.traceback.rstrip(), "    "))
    return "\n".join(parts)


def exercise_summary(result: PageResult) -> str:
    """`2 verified`, `1 of 2 failing`, or '' for a page without exercises."""
    total = len(result.exercises)
    if not total:
        return ""
    verified = sum(e.status == "ok" for e in result.exercises)
    failing = sum(e.status == "error" for e in result.exercises)
    if failing:
        return f"{failing} of {total} failing"
    return f"{verified} verified" + (f", {total - verified} not run" if verified < total else "")


def markdown_table_from_rows(rows: list[dict[str, Any]]) -> str:
    """Report rows (as written to techpath-report.json) as a Markdown table, for CI summaries."""
    lines = [
        "| post | status | blocks | time (s) | peak memory (MB) | scikit-learn |",
        "|---|---|---|---|---|---|",
    ]
    for row in rows:
        lines.append(
            f"| {row['path']} | {row['status']} | {row['blocks']} | {row['duration_s']:.2f} | "
            f"{row['peak_memory_mb']:.0f} | {row['versions'].get('scikit-learn', '?')} |"
        )
    return "\n".join(lines)

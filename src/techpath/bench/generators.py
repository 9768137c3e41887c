"""Build time of one site with each generator, cold (empty result cache) and warm (nothing
changed since the last build): `techpath bench --generators`. Kept apart from the main bench
(`run.py`), which compares techpath with its peers; this one compares the generators."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from techpath.options import GENERATORS


def time_generator(site: Path, generator: str, cache: Path, out: Path) -> float:
    """Seconds for `techpath build -g GENERATOR` of `site` with the result cache in `cache`."""
    env = {
        **os.environ,
        "TECHPATH_CACHE_DIR": str(cache),
        "TECHPATH_KEEP_WARM": "0",
        "NO_MKDOCS_2_WARNING": "1",
        "MPLBACKEND": "Agg",
    }
    env.pop("TECHPATH_REFRESH", None)
    command = [sys.executable, "-m", "techpath.cli", "build", "-g", generator, "-d", str(out)]
    t0 = time.perf_counter()
    done = subprocess.run(command, cwd=site, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - t0
    if done.returncode != 0:
        raise RuntimeError(f"{generator} build of {site} failed:\n{done.stdout}\n{done.stderr}")
    return seconds


def measure_generators(
    sites: dict[str, Path], generators: tuple[str, ...] = GENERATORS
) -> list[dict[str, object]]:
    """One row per (site, generator): cold and warm seconds."""
    rows: list[dict[str, object]] = []
    with tempfile.TemporaryDirectory(prefix="techpath-gen-bench-") as scratch:
        for label, site in sites.items():
            for generator in generators:
                cache = Path(scratch) / f"cache-{label}-{generator}"
                out = Path(scratch) / f"site-{label}-{generator}"
                cold = time_generator(site, generator, cache, out)
                warm = time_generator(site, generator, cache, out)
                rows.append({"site": label, "generator": generator, "cold_s": cold, "warm_s": warm})
                print(f"{label} / {generator}: cold {cold:.1f} s, warm {warm:.1f} s", file=sys.stderr)
    return rows


def format_generators(rows: list[dict[str, object]]) -> str:
    lines = [
        "| site | generator | cold build (s) | warm build (s) |",
        "|---|---|---|---|",
    ]
    for row in rows:
        lines.append(f"| {row['site']} | {row['generator']} | {row['cold_s']:.1f} | {row['warm_s']:.1f} |")
    return "\n".join(lines)

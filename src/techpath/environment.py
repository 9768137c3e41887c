"""Every environment variable techpath reads, read here and only here, each one way.

`VARIABLES` declares them: what a user may set (documented, with its meaning, in
docs/use-on-your-site.md by `scripts/settings_docs.py`) and the internal channels between
techpath's own processes (named `_TECHPATH_*`, documented in docs/design.md; nobody should set
them by hand). A flag is on for any value but empty, `0`, `false` or `no` (any case), the way
CI services set `CI`; an empty value counts as unset for every variable.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from techpath.options import GENERATORS, KEEP_WARM_SECONDS


@dataclass(frozen=True)
class Variable:
    name: str
    meaning: str  # Markdown, for the docs
    internal: bool = False  # a channel between techpath's processes or its tests, not for users


CI = Variable(
    "CI",
    "set by every CI service; any value but empty, `0`, `false` or `no` means a CI run: no warm "
    "process outlives the build (whatever `keep_warm` says) and the pytest plugin executes every "
    "post again instead of reading the cache",
)
CACHE_DIR = Variable(
    "TECHPATH_CACHE_DIR",
    "the result cache folder when the plugin's `cache_dir` is not set (default `.cache/techpath`)",
)
REFRESH = Variable("TECHPATH_REFRESH", "a flag: execute every page again, ignoring cached results")
KEEP_WARM = Variable(
    "TECHPATH_KEEP_WARM",
    "seconds the warm process waits for the next build when `keep_warm` is not set "
    f"(default {KEEP_WARM_SECONDS}; `0` keeps none)",
)
GENERATOR = Variable(
    "TECHPATH_GENERATOR",
    "the generator `techpath build` and `techpath serve` use when no `-g` is given, over the "
    f"plugin's `generator`: {', '.join(f'`{g}`' for g in GENERATORS)}",
)
RESULTS = Variable(
    "TECHPATH_RESULTS",
    "a file where a site build also writes the result snapshot `techpath diff` compares "
    "(what `techpath check --results FILE` writes)",
)
CGROUP = Variable(
    "TECHPATH_CGROUP",
    "a flag, on by default: `0` measures each page's memory by polling instead of a cgroup "
    "(for machines where cgroup limits misbehave)",
)
CHROMIUM = Variable(
    "TECHPATH_CHROMIUM",
    "the Chrome or Chromium binary for the browser tests and `techpath diff --html` (default: "
    "`chromium` on the PATH)",
)
RUNTIME_DIR = Variable(
    "XDG_RUNTIME_DIR",
    "where the warm process keeps its socket and log (`techpath/` inside it; default `/tmp/techpath-<uid>`)",
)
STAGE_EARLY = Variable(
    "_TECHPATH_STAGE_EARLY",
    "`0`: the MkDocs plugin stages each page only after its result is in (tests compare both ways)",
    internal=True,
)
PRELOAD = Variable(
    "_TECHPATH_PRELOAD",
    "the modules a page-running process imports first (JSON list), from the build to the warm process",
    internal=True,
)
BENCH_RUN = Variable(
    "_TECHPATH_BENCH_RUN",
    "marks every process of one measured bench run, so the bench finds them all",
    internal=True,
)
VARIABLES = (CI, CACHE_DIR, REFRESH, KEEP_WARM, GENERATOR, RESULTS, CGROUP, CHROMIUM, RUNTIME_DIR,
             STAGE_EARLY, PRELOAD, BENCH_RUN)  # fmt: skip


def _value(variable: Variable, environ: Mapping[str, str] | None = None) -> str | None:
    """The variable's value, stripped; None when it is unset or empty."""
    value = (os.environ if environ is None else environ).get(variable.name, "").strip()
    return value or None


def is_on(value: str | None, default: bool = False) -> bool:
    """The one reading of a flag: unset or empty gives `default`; `0`, `false`, `no` (any case)
    are off; any other value is on."""
    if value is None or not value.strip():
        return default
    return value.strip().lower() not in ("0", "false", "no")


def named(name: str) -> str | None:
    """Any variable a site's mkdocs.yml names with `!ENV`, as MkDocs reads it: its exact value
    (empty included), None when unset."""
    return os.environ.get(name)


def _path(variable: Variable) -> Path | None:
    value = _value(variable)
    return Path(value) if value else None


def in_ci() -> bool:
    return is_on(_value(CI))


def refresh() -> bool:
    return is_on(_value(REFRESH))


def cache_dir() -> Path | None:
    return _path(CACHE_DIR)


def keep_warm() -> float:
    """Seconds the warm process waits for the next build, as the environment asks (the plugin's
    `keep_warm` and CI come first; see engine.Settings.from_site)."""
    value = _value(KEEP_WARM)
    if value is None:
        return float(KEEP_WARM_SECONDS)
    try:
        return float(value)
    except ValueError:
        raise ValueError(f"{KEEP_WARM.name}: expected a number of seconds, got {value!r}") from None


def generator() -> str | None:
    return _value(GENERATOR)


def results_file() -> Path | None:
    return _path(RESULTS)


def cgroups_allowed() -> bool:
    return is_on(_value(CGROUP), default=True)


def chromium() -> str | None:
    return _value(CHROMIUM)


def runtime_dir() -> Path | None:
    return _path(RUNTIME_DIR)


def stage_early() -> bool:
    return is_on(_value(STAGE_EARLY), default=True)


def preload(environ: Mapping[str, str] | None = None) -> list[str] | None:
    """The modules the build asked the warm process to import (None: it did not say)."""
    value = _value(PRELOAD, environ)
    return None if value is None else list(json.loads(value))


def preload_entry(modules: list[str]) -> dict[str, str]:
    """The environment entry that passes `modules` to the warm process (read by `preload`)."""
    return {PRELOAD.name: json.dumps(modules)}


def markdown_table() -> str:
    """The variables a user may set, as a Markdown table (docs/use-on-your-site.md)."""
    rows = [f"| `{v.name}` | {v.meaning} |" for v in VARIABLES if not v.internal]
    return "| variable | meaning |\n|---|---|\n" + "\n".join(rows) + "\n"

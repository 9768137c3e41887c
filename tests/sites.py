"""The sample sites tests read, each built once per test session per generator and options.

A whole-site build costs seconds to minutes; most tests only read what it wrote. So a build is
named by a `SiteSpec` (which site, which generator, strict or relaxed, and any environment that
changes what it writes), built the first time a test asks for it, and handed to every later
test that asks for the same spec. With pytest-xdist the workers share one build through a lock
file, so "once per session" holds however many workers run.

Tests get these through the fixtures in tests/conftest.py (`built_site`, `site_server`,
`generator_sites`, `hostile_site`, `exercise_site`, ...); CONTRIBUTING.md, "Tests: tiers and
shared sites", says which to use. A test that must change a site's sources (add a broken
post, ...) builds its own copy with `run_mkdocs_build` instead: those builds are counted too.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from filelock import FileLock

ROOT = Path(__file__).resolve().parents[1]
GENERATORS = ("mkdocs", "properdocs", "zensical")
OUR_SITE = ROOT / "mkdocs.yml"
EXERCISES = ROOT / "tests" / "exercise_site" / "mkdocs.yml"
BUILDS_LOG = "site-builds.jsonl"  # in the session's shared folder: one line per build


@dataclass(frozen=True)
class SiteSpec:
    """What makes two builds differ. `env` holds environment variables the build needs: the
    options that change its output (a different option is a different build: say why where
    you add one), and where its cache is."""

    config: Path
    generator: str = "mkdocs"
    strict: bool = True
    env: tuple[tuple[str, str], ...] = ()
    # Where the site is written, relative to the build's own folder (the hostile site is built
    # four folders deep, so a post that escapes its folder lands where a test can see it).
    site_path: str = "site"

    @property
    def label(self) -> str:
        name = "ours" if self.config == OUR_SITE else self.config.parent.name
        extra = "" if self.strict else " relaxed"
        extra += "".join(f" {k}={v}" for k, v in self.env if k not in ("SITE_URL", "TECHPATH_CACHE_DIR"))
        return f"{name} ({self.generator}{extra})"

    def key(self) -> str:
        text = json.dumps([str(self.config), self.generator, self.strict, self.env, self.site_path])
        return hashlib.sha256(text.encode()).hexdigest()[:12]


@dataclass
class BuiltSite:
    spec: SiteSpec
    path: Path  # the built site
    log: str  # what the build printed on stderr (MkDocs logs there)


def build_command(spec: SiteSpec, site_dir: Path) -> list[str]:
    if spec.generator == "mkdocs":  # the MkDocs plugin, as `mkdocs build` runs it
        flags = ["--strict"] if spec.strict else []
        return [sys.executable, "-m", "mkdocs", "build", *flags, "-f", str(spec.config), "-d", str(site_dir)]
    flags = ["--strict"] if spec.strict and spec.generator != "zensical" else []
    return [
        *[sys.executable, "-m", "techpath.cli", "build", "-g", spec.generator],
        *["-f", str(spec.config), "-d", str(site_dir), *flags],
    ]


def record_build(shared: Path | None, label: str, seconds: float, shared_build: bool) -> None:
    """Count a whole-site build (the session's summary line reports them)."""
    if shared is None:
        return
    line = json.dumps({"site": label, "seconds": round(seconds, 1), "shared": shared_build})
    with FileLock(str(shared / (BUILDS_LOG + ".lock"))), open(shared / BUILDS_LOG, "a") as f:
        f.write(line + "\n")


@dataclass
class BuildCounter:
    folder: Path | None = None  # set for the session by tests/conftest.py


COUNTER = BuildCounter()


def read_builds(shared: Path) -> list[dict[str, object]]:
    path = shared / BUILDS_LOG
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


@dataclass
class SiteBuilds:
    """The session's registry of shared builds (one per process; xdist workers meet through
    the lock and the `done` file of each build's folder)."""

    shared: Path  # a folder every worker of this session sees
    built: dict[SiteSpec, BuiltSite] = field(default_factory=dict)
    # what must be done before a site is built, by its mkdocs.yml: our site's posts run first
    # (tests/conftest.py), so its builds take every result from the cache
    before: dict[Path, Callable[[], None]] = field(default_factory=dict)

    def get(self, spec: SiteSpec) -> BuiltSite:
        if spec not in self.built:
            if spec.config in self.before:
                self.before[spec.config]()
            self.built[spec] = self._build_once(spec)
        return self.built[spec]

    def folder(self, spec: SiteSpec) -> Path:
        """The build's own folder (known before it is built: a server can be started on it).
        Nothing but the build writes in it; its lock and outcome sit beside it."""
        return self.shared / "sites" / spec.key()

    def site_dir(self, spec: SiteSpec) -> Path:
        return self.folder(spec) / spec.site_path

    def _build_once(self, spec: SiteSpec) -> BuiltSite:
        folder, site_dir = self.folder(spec), self.site_dir(spec)
        site_dir.parent.mkdir(parents=True, exist_ok=True)
        done, log_file = folder.with_suffix(".done.json"), build_log(site_dir)
        with FileLock(str(folder.with_suffix(".lock"))):
            if not done.exists():
                started = time.monotonic()
                env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "TECHPATH_KEEP_WARM": "0", **dict(spec.env)}
                result = subprocess.run(
                    build_command(spec, site_dir),
                    capture_output=True,
                    text=True,
                    env=env,
                    cwd=spec.config.parent,
                )
                log_file.write_text(result.stderr, encoding="utf-8")
                record_build(self.shared, spec.label, time.monotonic() - started, shared_build=True)
                done.write_text(
                    json.dumps({"returncode": result.returncode, "stdout": result.stdout[-4000:]})
                )
        outcome = json.loads(done.read_text())
        log = log_file.read_text(encoding="utf-8")
        assert outcome["returncode"] == 0, f"{spec.label} build failed:\n{outcome['stdout']}\n{log[-6000:]}"
        return BuiltSite(spec, site_dir, log)


def build_log(site_dir: Path) -> Path:
    """What the build of `site_dir` logged (kept beside the site)."""
    return site_dir.parent / "build.log"


def shared_folder(basetemp: Path) -> Path:
    """The folder the whole session shares: pytest's base temp folder, or with xdist the
    controller's (each worker's own is a sub-folder of it)."""
    return basetemp.parent if os.environ.get("PYTEST_XDIST_WORKER") else basetemp

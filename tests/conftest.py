"""Shared fixtures: the real site built once per test session, and a local HTTP server for it."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from techpath import environment
from tests.browser import serve_folder

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parents[1]
# Builds started by tests must not leave a warm parent process behind (see engine.default_keep_warm).
os.environ["TECHPATH_KEEP_WARM"] = "0"
ARTIFACTS = ROOT / "test-artifacts"


def run_mkdocs_build(site_dir: Path, config: Path = ROOT / "mkdocs.yml", strict: bool = True):
    """Build a site the way a user does, in a subprocess; return the finished process.

    strict=False builds like `mkdocs serve` does: failures are logged and shown in the pages.
    """
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    flags = ["--strict"] if strict else []
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", *flags, "-f", str(config), "-d", str(site_dir)],
        capture_output=True,
        text=True,
        env=env,
        cwd=config.parent,
    )


def run_generator_build(generator: str, site_dir: Path) -> subprocess.CompletedProcess[str]:
    """`techpath build -g GENERATOR`: stage the site and build it with that generator."""
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    command = [sys.executable, "-m", "techpath.cli", "build", "-g", generator, "-d", str(site_dir)]
    return subprocess.run(command, capture_output=True, text=True, env=env, cwd=ROOT)


@pytest.fixture(scope="session")
def built_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real site, built with $TECHPATH_GENERATOR (default MkDocs), or the one already built
    at $TECHPATH_TEST_SITE (tests/test_generators.py runs the browser suite on each generator)."""
    if os.environ.get("TECHPATH_TEST_SITE"):
        return Path(os.environ["TECHPATH_TEST_SITE"])
    site_dir = tmp_path_factory.mktemp("site")
    generator = environment.generator() or "mkdocs"
    if generator != "mkdocs":
        result = run_generator_build(generator, site_dir)
        assert result.returncode == 0, f"{generator} build failed:\n{result.stdout}\n{result.stderr}"
        return site_dir
    result = run_mkdocs_build(site_dir)
    assert result.returncode == 0, f"strict build failed:\n{result.stdout}\n{result.stderr}"
    build_log(site_dir).write_text(result.stderr, encoding="utf-8")
    return site_dir


def build_log(site_dir: Path) -> Path:
    """What the build of `site_dir` logged (the `built_site` fixture keeps it beside the site)."""
    return site_dir.with_name(site_dir.name + ".log")


@pytest.fixture(scope="session")
def site_server(built_site: Path) -> Iterator[str]:
    """Serve the built site on a free localhost port; yields the base URL."""
    with serve_folder(built_site) as url:
        yield url


SITE_BUILDS = {"built_site", "site_server", "hostile_site"}  # fixtures that build a whole site


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A test that needs a built site is slow whatever else it does: the fast tier
    (`pytest -m "not slow"`) must not build one."""
    for item in items:
        if SITE_BUILDS & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)

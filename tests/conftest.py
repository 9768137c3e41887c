"""Shared fixtures: the sample sites, each built once per session (tests/sites.py), served on a
local port, one Chromium for the session (tests/browser.py), and the suite's tiers.

CONTRIBUTING.md, "Tests: tiers and shared sites", is the guide to what is here.
"""

from __future__ import annotations

import functools
import os
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from _pytest.nodes import NodeId

from techpath import environment
from techpath.pytest_plugin import run_collected_posts
from tests import sites
from tests.browser import CHROMIUM_HELP, SHARED, find_chromium, serve_folder
from tests.hostile import HostileBuilds
from tests.sites import GENERATORS, ROOT, SiteBuilds, SiteSpec, build_log

pytest_plugins = ["pytester", "tests.timing"]  # TECHPATH_TEST_TIMES=FILE: what each test costs

__all__ = ["ROOT", "build_log", "run_generator_build", "run_mkdocs_build"]

# Builds started by tests must not leave a warm parent process behind (see engine.default_keep_warm).
os.environ["TECHPATH_KEEP_WARM"] = "0"
# The code under test that starts a browser itself (techpath diff's figures) uses the same one.
if not os.environ.get("TECHPATH_CHROMIUM") and find_chromium():
    os.environ["TECHPATH_CHROMIUM"] = str(find_chromium())
ARTIFACTS = ROOT / "test-artifacts"
IN_CI = environment.in_ci()


def _count_own_build(label: str, started: float) -> None:
    sites.record_build(sites.COUNTER.folder, label, time.monotonic() - started, shared_build=False)


@pytest.fixture(scope="session", autouse=True)
def _count_site_builds(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Where this session counts its site builds (the summary line at the end reports them)."""
    sites.COUNTER.folder = sites.shared_folder(tmp_path_factory.getbasetemp())


def run_mkdocs_build(site_dir: Path, config: Path = ROOT / "mkdocs.yml", strict: bool = True):
    """Build a site the way a user does, in a subprocess; return the finished process. For a
    test that changes the site's sources; a test that only reads a sample site uses the shared
    builds (`built_site`, `hostile_site`, `exercise_site`, ...).

    strict=False builds like `mkdocs serve` does: failures are logged and shown in the pages.
    """
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    flags = ["--strict"] if strict else []
    started = time.monotonic()
    try:
        return subprocess.run(
            [sys.executable, "-m", "mkdocs", "build", *flags, "-f", str(config), "-d", str(site_dir)],
            capture_output=True,
            text=True,
            env=env,
            cwd=config.parent,
        )
    finally:
        _count_own_build(f"{config.parent.name} (own mkdocs build)", started)


def run_generator_build(generator: str, site_dir: Path) -> subprocess.CompletedProcess[str]:
    """`techpath build -g GENERATOR` of our site into `site_dir`."""
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    command = [sys.executable, "-m", "techpath.cli", "build", "-g", generator, "-d", str(site_dir)]
    started = time.monotonic()
    try:
        return subprocess.run(command, capture_output=True, text=True, env=env, cwd=ROOT)
    finally:
        _count_own_build(f"ours (own {generator} build)", started)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--changed-posts",
        action="store_true",
        help="the post tier (make check): run the downloaded scripts of the posts changed since "
        "the base branch only (scripts/changed_posts.py), and when only pages and data files "
        "under docs/ changed, sweep only the pages they change in the browser; the full suite "
        "runs every script and sweeps every page",
    )


@functools.cache
def _changed_since_base():
    """scripts/changed_posts.py and the commit this branch left its base branch at (None: no
    base found), asked of git once per test process."""
    from tests.test_scripts import load

    changed = load("changed_posts")
    return changed, changed.base_commit(ROOT, None)


def pytest_configure(config: pytest.Config) -> None:
    """xdist hands out the work units in the order `_schedule_order` gives them. The post tier's
    browser sweeps (tests/browser.py `changed_only`): the pages changed since the base branch,
    when nothing but pages and data files under docs/ changed."""
    if hasattr(config.option, "loadscopereorder"):
        config.option.loadscopereorder = False
    if not config.getoption("changed_posts"):
        return
    from tests import browser

    changed, base = _changed_since_base()
    pages = None if base is None else changed.only_pages_changed(ROOT, base)
    browser.CHANGED_PAGES = None if pages is None else tuple(Path(p) for p in pages)


@pytest.fixture(scope="session")
def downloads_to_run(pytestconfig: pytest.Config) -> frozenset[str] | None:
    """The download names (render/downloads.py: a post's slug) whose scripts a test runs: None,
    every post, in the full suite; with --changed-posts those of the posts changed since the
    base branch. A contributor who wrote one post waits for its script, not for the 27 others,
    which nothing of theirs changed (CI runs them all). No base branch found: every post."""
    if not pytestconfig.getoption("changed_posts"):
        return None
    from techpath.parse import load_post
    from techpath.render.downloads import download_name

    changed, base = _changed_since_base()
    if base is None:
        return None
    posts = ROOT / "docs" / "blog" / "posts"
    pages = [ROOT / page for page in changed.changed_pages(ROOT, base)]
    return frozenset(download_name(load_post(page)) for page in pages if page.is_relative_to(posts))


# -- shared sites ------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def executed_posts(pytestconfig: pytest.Config) -> None:
    """The posts this session collected (the full suite collects them all), executed now if
    they have not been: a build of our site after this takes every result from the cache, so
    each post is executed once per run (afresh in CI), not again by a build running beside
    the posts' own batch. With xdist the workers take turns (techpath/pytest_plugin.py)."""
    run_collected_posts(pytestconfig)


@pytest.fixture(scope="session")
def site_builds(tmp_path_factory: pytest.TempPathFactory, pytestconfig: pytest.Config) -> SiteBuilds:
    """The registry of shared builds: `site_builds.get(SiteSpec(...))` builds once per session."""
    shared = sites.shared_folder(tmp_path_factory.getbasetemp())
    return SiteBuilds(shared, before={sites.OUR_SITE: lambda: run_collected_posts(pytestconfig)})


def our_site(generator: str = "mkdocs") -> SiteSpec:
    """Our site as CI builds it: strict with MkDocs (`make build`); ProperDocs and Zensical as
    `techpath build -g` builds them."""
    return SiteSpec(sites.OUR_SITE, generator, strict=generator == "mkdocs")


class Servers:
    """Folders served on free localhost ports, each once per session."""

    def __init__(self, stack: ExitStack) -> None:
        self._stack, self._urls = stack, {}

    def url(self, folder: Path) -> str:
        if folder not in self._urls:
            self._urls[folder] = self._stack.enter_context(serve_folder(folder))
        return self._urls[folder]


@pytest.fixture(scope="session")
def servers() -> Iterator[Servers]:
    with ExitStack() as stack:
        yield Servers(stack)


def our_built_site(site_builds: SiteBuilds, generator: str = "mkdocs") -> Path:
    """Our site built by `generator`, once per session (MkDocs: the one at $TECHPATH_TEST_SITE
    when that is set, to run the site's tests on a site built elsewhere)."""
    if generator == "mkdocs" and os.environ.get("TECHPATH_TEST_SITE"):
        return Path(os.environ["TECHPATH_TEST_SITE"])
    return site_builds.get(our_site(generator)).path


@pytest.fixture(scope="session")
def built_site(site_builds: SiteBuilds) -> Path:
    """Our site, built strictly with MkDocs."""
    return our_built_site(site_builds)


@pytest.fixture(scope="session")
def hostile_builds(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HostileBuilds]:
    """The hostile site (tests/hostile.py), built relaxed by each generator a test asks for."""
    with HostileBuilds(tmp_path_factory.mktemp("hostile")) as builds:
        yield builds


# fixtures that build a whole site


@pytest.fixture(scope="session")
def site_server(built_site: Path, servers: Servers) -> str:
    """Our MkDocs site served on a free localhost port; the base URL."""
    return servers.url(built_site)


@pytest.fixture(scope="session")
def generator_sites(site_builds: SiteBuilds) -> dict[str, Path]:
    """Our site built by each generator: MkDocs (the strict build above), ProperDocs, Zensical."""
    return {g: our_built_site(site_builds, g) for g in GENERATORS}


@pytest.fixture(params=GENERATORS)
def generator(request: pytest.FixtureRequest) -> str:
    """Each generator in turn, for a test module whose tests run on each generator's site:
    there `built_site` and `site_server` are overridden to take it (tests/test_browser_math.py)."""
    return request.param


def exercise_spec(site_builds: SiteBuilds, generator: str) -> SiteSpec:
    """tests/exercise_site (a Markdown and a notebook post with exercises), with one cache for
    the session outside the repository, shared by the three generators."""
    cache = (("TECHPATH_CACHE_DIR", str(site_builds.shared / "exercise-cache")),)
    return SiteSpec(sites.EXERCISES, generator, strict=generator == "mkdocs", env=cache)


@pytest.fixture(scope="session")
def exercise_site(site_builds: SiteBuilds) -> Path:
    return site_builds.get(exercise_spec(site_builds, "mkdocs")).path


SITE_BUILDS = {  # fixtures that build a whole site: a test using one is slow
    "built_site",
    "site_server",
    "generator_sites",
    "hostile_builds",
    "exercise_site",
    "site_builds",
    "executed_posts",
}
READS_OUR_SITE = {"built_site", "site_server"}


# -- tiers, markers, browser availability --------------------------------------------------------


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """A test that needs a built site is slow whatever else it does (the fast tier must not
    build one); one that reads our MkDocs site, and builds none of its own, is in the post
    tier (`site` marker, `make check`).

    The posts run first: in CI they are executed afresh and stored in the cache, so the builds
    of our site after them take every result from it (each post executed once per run)."""
    for item in items:
        names = set(getattr(item, "fixturenames", ()))
        if SITE_BUILDS & names:
            item.add_marker(pytest.mark.slow)
        if "hostile_builds" in names:  # built per process (for its server's port): on one xdist worker
            item.add_marker(pytest.mark.xdist_group("hostile"))
        elif _uses_a_module_fixture(item):  # set up once per worker that runs one of its tests
            item.add_marker(pytest.mark.xdist_group(item.nodeid.split("::")[0]))
        callspec = getattr(item, "callspec", None)
        on_mkdocs = callspec is None or callspec.params.get("generator", "mkdocs") == "mkdocs"
        if READS_OUR_SITE & names and on_mkdocs and item.get_closest_marker("own_build") is None:
            item.add_marker(pytest.mark.site)
        if _is_post(item):  # one batch (techpath/pytest_plugin.py): one worker runs it, the other works on
            item.add_marker(pytest.mark.xdist_group("posts"))
    _group_suffix(config, items)
    _schedule_order(items)


NEEDS_OUR_SITE = READS_OUR_SITE | {"generator_sites", "executed_posts"}
# Modules whose tests mostly wait (a preview server settling after each save: 468 s of wall for
# 87 CPU s in one CI run): handed out first among their rank, beside the posts' batch.
MOSTLY_WAITING = ("tests/test_preview_sites.py", "tests/test_preview.py")
# Tests that read our site and keep both cores busy by themselves (the downloaded scripts, two at
# a time: 70 CPU s in 37 s of one CI run): handed out right after the waiting ones, before the
# rest that need none of our site, instead of last among those that read it.
BOTH_CORES = ("tests/test_site_build.py::test_every_post_has_downloads_and_every_script_runs",)


def _schedule_order(items: list[pytest.Item]) -> None:
    """The order in which `--dist loadgroup` hands out its work units (pytest_configure turns off
    xdist's own order, largest unit first): the posts first, then every unit that does not read
    our site (those that mostly wait first, then `BOTH_CORES`, then the largest first), then
    those that do.

    In CI the posts' batch executes every post afresh (about 75 s on both cores); the first test
    that reads our site builds it from the cache the batch fills. Handed out in xdist's order, a
    worker took a test of our site while the other was still in the batch and sat in the build's
    lock for 211 s of a 1043 s run. In this order the other worker runs the tests that need none
    of it meanwhile.

    The downloaded scripts' test (`BOTH_CORES`) came last of all and was the run's tail: 37 s
    on both cores after the other worker had ended, while earlier, beside the waiting preview
    tests and the engine's timeout tests, the workers' own CPU averaged 0.5-1.2 cores for a
    minute. Handed out after the waiting units, it builds our site while the other worker runs
    tests that need none of it, and its scripts take those idle cores (docs/design.md, "Round 8")."""

    units: dict[str, list[pytest.Item]] = {}
    for item in items:
        units.setdefault(_group_name(item) or item.nodeid, []).append(item)

    def rank(tests: list[pytest.Item]) -> tuple[int, int, int]:
        if any(_is_post(t) for t in tests):
            return 0, 0, 0
        reads_ours = any(NEEDS_OUR_SITE & set(getattr(t, "fixturenames", ())) for t in tests)
        waits = any(t.nodeid.startswith(MOSTLY_WAITING) for t in tests)
        if any(t.nodeid.startswith(BOTH_CORES) for t in tests):
            return 1, 1, -len(tests)
        return 2 if reads_ours else 1, 0 if waits else 2, -len(tests)

    items[:] = [t for tests in sorted(units.values(), key=rank) for t in tests]


def _group_suffix(config: pytest.Config, items: list[pytest.Item]) -> None:
    """What `--dist loadgroup` schedules by: an xdist worker's test ids end in "@group".
    pytest-xdist 3.8 appends it by setting `item._nodeid`, which pytest 9.2 no longer reads
    (an id is `item._id`): no group held, and every worker ran each module fixture and each
    browser sweep of its own. Appended here once every marker is on."""
    if not getattr(config.option, "loadgroup", False) or not hasattr(items[0] if items else None, "_id"):
        return
    for item in items:
        group = _group_name(item)
        if group and "@" not in item.nodeid.rpartition("]")[2]:
            item._id = NodeId.parse(f"{item.nodeid}@{group}")  # type: ignore[attr-defined]


def _group_name(item: pytest.Item) -> str | None:
    """The xdist group a test's markers put it in (xdist's own naming: the sorted names joined
    by "_"), or None."""
    marks = item.iter_markers("xdist_group")
    names = sorted({str(m.args[0] if m.args else m.kwargs.get("name", "default")) for m in marks})
    return "_".join(names) or None


def _uses_a_module_fixture(item: pytest.Item) -> bool:
    """A module-scoped fixture (a site of the module's own, an engine, a venv) is set up by every
    xdist worker that runs a test of the module: with `--dist loadgroup` they all go to one."""
    info = getattr(item, "_fixtureinfo", None)
    defs = info.name2fixturedefs.values() if info is not None else ()
    return any(d.scope == "module" for chain in defs for d in chain)


def _is_post(item: pytest.Item) -> bool:
    return type(item).__name__ == "PostItem"


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("browser") is not None:
        from tests.browser import chromium_path

        chromium_path()  # skips (locally) or fails (CI) with how to get Chromium


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):
    """CI runs every browser test: there a skipped one is a failure."""
    report = yield
    browser = item.get_closest_marker("browser") is not None
    if IN_CI and browser and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = f"browser test skipped in CI: {report.longrepr}"
    return report


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Count the browser tests skipped for want of Chromium (in the controller with xdist)."""
    skipped = report.when == "setup" and report.skipped and not hasattr(report, "wasxfail")
    if skipped and "browser" in report.keywords:
        _SKIPPED_BROWSER.add(report.nodeid)


_SKIPPED_BROWSER: set[str] = set()


def pytest_sessionfinish(session: pytest.Session) -> None:
    SHARED.stop()


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    if _SKIPPED_BROWSER:
        terminalreporter.write_line(
            f"{len(_SKIPPED_BROWSER)} browser tests skipped: no Chromium here; to run them, {CHROMIUM_HELP}.",
            yellow=True,
            bold=True,
        )
    builds = sites.read_builds(sites.shared_folder(config._tmp_path_factory.getbasetemp()))  # type: ignore[attr-defined]
    if builds:
        shared = Counter(str(b["site"]) for b in builds if b["shared"])
        own = sum(1 for b in builds if not b["shared"])
        seconds = sum(float(b["seconds"]) for b in builds)  # type: ignore[arg-type]
        terminalreporter.write_line(
            f"site builds: {len(shared)} shared ({', '.join(sorted(shared))}), "
            f"{own} by tests of their own sources; {seconds:.0f} s of build time"
        )

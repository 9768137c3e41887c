"""pytest plugin: every Markdown or notebook page with code under docs/ is a test item.

All collected posts run as one batch on the engine (in parallel, through the cache) when the
first of them runs; each item then reports its own post's failures as `file:line: ...`.
In CI (`CI` set: environment.py) the cache is ignored, so every post is executed again on every run:
once per run, also with pytest-xdist, whose workers each collect every post (`_once_per_run`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from techpath import environment
from techpath.model import PageResult, Post

if TYPE_CHECKING:
    from techpath.config import SiteSettings
    from techpath.engine import Settings

_BATCH = pytest.StashKey["_Batch"]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("techpath")
    group.addoption(
        "--techpath-refresh", action="store_true", help="execute posts even when cached (default in CI)"
    )
    group.addoption("--techpath-jobs", type=int, default=0, help="pages run in parallel (default: cores)")
    parser.addini("techpath_docs", "folder whose .md/.ipynb pages are collected as posts", default="docs")


def pytest_configure(config: pytest.Config) -> None:
    config.stash[_BATCH] = _Batch(config)


def pytest_collection_finish(session: pytest.Session) -> None:
    """Only the posts left after `-k`, `-m` and the like run."""
    batch = session.config.stash[_BATCH]
    batch.items = [i for i in session.items if isinstance(i, PostItem)]


def run_collected_posts(config: pytest.Config) -> None:
    """Run the batch of this session's posts now, if it has any and has not run: a test that
    builds the site calls this first, so that the build takes every result from the cache
    instead of executing the posts a second time alongside the batch."""
    batch = config.stash[_BATCH]
    if batch.items and batch.results is None:
        batch.run()


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    if file_path.suffix not in (".md", ".ipynb"):
        return None
    docs = (parent.config.rootpath / parent.config.getini("techpath_docs")).resolve()
    if not file_path.resolve().is_relative_to(docs):
        return None
    return PostFile.from_parent(parent, path=file_path)


class PostFile(pytest.File):
    def collect(self):
        yield PostItem.from_parent(self, name=self.path.name)


class PostFailure(Exception):
    pass


class PostItem(pytest.Item):
    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.config.stash[_BATCH].items.append(self)

    def runtest(self) -> None:
        post, result = self.config.stash[_BATCH].result_for(self)
        from techpath.report import format_failures

        failed = post.problems or (result is not None and not result.ok)
        if failed:
            results = {post.display_path: result} if result is not None else {}
            raise PostFailure(format_failures(results, post.problems))

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, PostFailure):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style)

    def reportinfo(self):
        return self.path, None, f"post {self.path.name}"


class _Batch:
    """Runs every collected post together the first time one is needed."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.items: list[PostItem] = []
        self._posts: dict[Path, Post] = {}
        self.results: dict[str, PageResult] | None = None

    def result_for(self, item: PostItem) -> tuple[Post, PageResult | None]:
        if self.results is None:
            self.run()
        post = self._posts[item.path]
        return post, (self.results or {}).get(post.display_path)

    def run(self) -> None:
        from techpath.config import SiteSettings
        from techpath.engine import Engine
        from techpath.parse.gate import load_checked_post

        root = self.config.rootpath
        site = SiteSettings.load(root)
        policy, prose = site.run_policy(), site.prose_check()
        for item in self.items:
            shown = item.path.relative_to(root) if item.path.is_relative_to(root) else item.path
            self._posts[item.path] = load_checked_post(
                shown, site.schema if site.is_post(item.path) else None, policy, site.snippets, prose
            )
        settings = settings_for(self.config, site)
        with _once_per_run(self.config, settings.cache_dir) as executed_elsewhere:
            if executed_elsewhere:  # by another worker of this run: its results are in the cache
                settings.refresh = False
            with Engine(settings) as engine:
                self.results = engine.run([p for p in self._posts.values() if p.blocks or p.inline])


@contextmanager
def _once_per_run(config: pytest.Config, cache_dir: Path) -> Iterator[bool]:
    """Whether another pytest-xdist worker of this run has already executed the posts. Every
    worker collects every post, and its batch runs when its first post item or a site build
    needs it; the workers take turns on a lock file in the cache folder that holds the id of
    the last run whose batch finished, so the first executes (afresh in CI) and the others
    wait for it and read its results from the cache. Without xdist, or without `fcntl`
    (Windows), each process runs its own batch, as before."""
    run_id = getattr(config, "workerinput", {}).get("testrunuid")
    try:
        import fcntl
    except ImportError:
        fcntl = None
    if not run_id or fcntl is None:
        yield False
        return
    cache_dir.mkdir(parents=True, exist_ok=True)
    with open(cache_dir / "pytest-run", "a+", encoding="utf-8") as mark:
        fcntl.flock(mark, fcntl.LOCK_EX)  # released when the file is closed
        mark.seek(0)
        done = mark.read().strip() == run_id
        yield done
        if not done:  # only a batch that finished counts (an exception skips this)
            mark.seek(0)
            mark.truncate()
            mark.write(run_id)


def settings_for(config: pytest.Config, site: SiteSettings) -> Settings:
    """The site's settings (the same Settings.from_site the MkDocs plugin and the CLI use) with
    this plugin's options; in CI everything is executed afresh."""
    from techpath.engine import Settings

    refresh = config.getoption("techpath_refresh") or environment.in_ci()
    jobs = config.getoption("techpath_jobs")
    return Settings.from_site(site.root, site.options, jobs=jobs, refresh=refresh)

"""pytest plugin: every Markdown or notebook page with code under docs/ is a test item.

All collected posts run as one batch on the engine (in parallel, through the cache) when the
first of them runs; each item then reports its own post's failures as `file:line: ...`.
In CI (`CI` set: environment.py) the cache is ignored, so every post is executed again on every run.
"""

from __future__ import annotations

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
        self._results: dict[str, PageResult] | None = None

    def result_for(self, item: PostItem) -> tuple[Post, PageResult | None]:
        if self._results is None:
            self._run()
        post = self._posts[item.path]
        return post, (self._results or {}).get(post.display_path)

    def _run(self) -> None:
        from techpath.config import SiteSettings
        from techpath.contrib.lint import load_checked_post
        from techpath.engine import Engine

        root = self.config.rootpath
        site = SiteSettings.load(root)
        policy, prose = site.run_policy(), site.prose_check()
        for item in self.items:
            shown = item.path.relative_to(root) if item.path.is_relative_to(root) else item.path
            self._posts[item.path] = load_checked_post(
                shown, site.schema if site.is_post(item.path) else None, policy, site.snippets, prose
            )
        settings = settings_for(self.config, site)
        with Engine(settings) as engine:
            self._results = engine.run([p for p in self._posts.values() if p.blocks or p.inline])


def settings_for(config: pytest.Config, site: SiteSettings) -> Settings:
    """The site's settings (the same Settings.from_site the MkDocs plugin and the CLI use) with
    this plugin's options; in CI everything is executed afresh."""
    from techpath.engine import Settings

    refresh = config.getoption("techpath_refresh") or environment.in_ci()
    jobs = config.getoption("techpath_jobs")
    return Settings.from_site(site.root, site.options, jobs=jobs, refresh=refresh)

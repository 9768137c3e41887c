"""The engine's one entry point: cached execution of a set of posts.

Front ends (MkDocs plugin, pytest plugin, CLI) build `Settings`, call `Engine.run`, and render or
report the `PageResult`s. Nothing here knows about MkDocs or pytest.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from techpath.cache import Cache, cache_key
from techpath.execute.runner import Runner
from techpath.fingerprint import library_versions
from techpath.model import Limits, PageResult, Post

DEFAULT_CACHE_DIR = Path(".cache/techpath")


def default_cache_dir() -> Path:
    return Path(os.environ.get("TECHPATH_CACHE_DIR") or DEFAULT_CACHE_DIR)


@dataclass
class Settings:
    jobs: int = field(default_factory=lambda: os.cpu_count() or 1)
    limits: Limits = field(default_factory=Limits)
    cache_dir: Path = field(default_factory=default_cache_dir)
    refresh: bool = False  # execute even when the cache has a result (and store the new one)
    preload: list[str] | None = None  # modules the warm parent imports; None: the default list
    mode: str = "auto"  # "fork", "spawn" or "auto"


@dataclass
class RunStats:
    executed: int = 0
    from_cache: int = 0
    blocks_executed: int = 0
    seconds: float = 0.0


class Engine:
    """Owns a cache and (lazily) a runner with its warm parent; reuse it across builds."""

    def __init__(self, settings: Settings, log: Callable[[str], None] | None = None) -> None:
        self.settings = settings
        self.cache = Cache(settings.cache_dir)
        self._log = log
        self._runner: Runner | None = None
        self.started = time.time()
        self.used_keys: set[str] = set()
        self.last_stats = RunStats()

    def run(
        self, posts: Iterable[Post], on_result: Callable[[Post, PageResult], None] | None = None
    ) -> dict[str, PageResult]:
        """Results for every post, from the cache when the key matches, else by executing it."""
        t0 = time.perf_counter()
        stats = RunStats()
        results: dict[str, PageResult] = {}
        keys: dict[str, str] = {}
        misses: list[Post] = []
        for post in posts:
            key = keys[post.display_path] = cache_key(post, self.settings.limits)
            self.used_keys.add(key)
            cached = None if self.settings.refresh else self.cache.load(key)
            if cached is None:
                misses.append(post)
                continue
            stats.from_cache += 1
            results[post.display_path] = cached
            if on_result:
                on_result(post, cached)

        def finished(post: Post, result: PageResult, figure_dir: Path) -> None:
            result.executed_at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
            result.versions = library_versions()
            stored = self.cache.store(keys[post.display_path], result, figure_dir)
            stats.executed += 1
            stats.blocks_executed += sum(b.status in ("ok", "error") for b in result.blocks)
            results[post.display_path] = stored
            if on_result:
                on_result(post, stored)

        if misses:
            self._ensure_runner().run(misses, finished)
        stats.seconds = time.perf_counter() - t0
        self.last_stats = stats
        return results

    def evict_unused(self) -> int:
        """Drop cache entries this engine did not use (after a run over the whole site)."""
        return self.cache.evict(self.used_keys, unused_since=self.started)

    def close(self) -> None:
        if self._runner is not None:
            self._runner.close()
            self._runner = None

    def _ensure_runner(self) -> Runner:
        if self._runner is None:
            s = self.settings
            self._runner = Runner(s.jobs, s.limits, preload=s.preload, mode=s.mode, log=self._log)
        return self._runner

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

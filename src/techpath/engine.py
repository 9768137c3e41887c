"""The engine's one entry point: cached execution of a set of posts.

Front ends (MkDocs plugin, pytest plugin, CLI) build `Settings`, call `Engine.run`, and render or
report the `PageResult`s. Nothing here knows about MkDocs or pytest.
"""

from __future__ import annotations

import datetime as dt
import os
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from techpath import environment
from techpath.cache import RESULT_FILE, Cache, cache_key, cacheable
from techpath.dependencies import Dependencies, DistributionIndex, FileDigests, installed_versions
from techpath.execute.preload import modules_to_preload
from techpath.execute.runner import Runner
from techpath.fingerprint import library_versions
from techpath.model import Limits, PageResult, Post
from techpath.options import PluginOptions

DEFAULT_CACHE_DIR = Path(".cache/techpath")


def default_cache_dir() -> Path:
    return environment.cache_dir() or DEFAULT_CACHE_DIR


@dataclass
class Settings:
    jobs: int = field(default_factory=lambda: os.cpu_count() or 1)
    limits: Limits = field(default_factory=Limits)
    cache_dir: Path = field(default_factory=default_cache_dir)
    refresh: bool = False  # execute even when the cache has a result (and store the new one)
    preload: list[str] | None = None  # modules the warm parent imports; None: what the posts import
    mode: str = "auto"  # "fork", "spawn" or "auto"
    keep_warm: float = 0.0  # >0: the warm parent serves later builds for this many idle seconds
    # environment variables every page gets: MKDOCS_CONFIG_DIR, the site's folder, as
    # markdown-exec sets it for the code it runs
    page_env: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_site(
        cls,
        root: Path,
        options: PluginOptions | Mapping[str, Any],
        *,
        jobs: int | None = None,
        refresh: bool | None = None,
        block_timeout: float | None = None,
        memory_mb: int | None = None,
    ) -> Settings:
        """The one way every front end (MkDocs plugin, CLI, pytest plugin) turns a site's
        `techpath` plugin options (from mkdocs.yml) and its own overrides into settings, so all
        three compute the same cache keys and verdicts for the same site. A front end's override
        wins over the option; an option of 0 means its default (options.py); no block timeout
        means the page's limit holds."""
        opts = options if isinstance(options, PluginOptions) else PluginOptions.from_mapping(options)
        default = PluginOptions.default
        per_block = block_timeout or opts.block_timeout or default("block_timeout")
        limits = Limits(
            float(per_block) if per_block else None,
            float(opts.page_timeout or default("page_timeout")),
            int(memory_mb or opts.memory_mb or default("memory_mb")),
        )
        cache_dir = Path(opts.cache_dir) if opts.cache_dir else default_cache_dir()
        if not cache_dir.is_absolute():
            cache_dir = root / cache_dir
        keep_warm = environment.keep_warm() if opts.keep_warm is None else float(opts.keep_warm)
        if environment.in_ci():  # nothing outlives a CI job, whatever mkdocs.yml says
            keep_warm = 0.0
        return cls(
            jobs=jobs or int(opts.jobs or 0) or os.cpu_count() or 1,
            limits=limits,
            cache_dir=cache_dir,
            refresh=bool(refresh) or bool(opts.refresh) or environment.refresh(),
            keep_warm=keep_warm,
            page_env={"MKDOCS_CONFIG_DIR": str(root.resolve())},
        )


@dataclass
class RunStats:
    executed: int = 0  # pages whose code ran (at least one block or inline value)
    from_cache: int = 0  # pages whose code ran in an earlier build, reused
    # pages with no code to run: every block skipped (outside `include`, in `exclude`, `skip`)
    nothing_to_run: int = 0
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
        # One run at a time: a run owns the runner's workers and its warm parent's answers, so a
        # second run (a rebuild while one is running) waits; cancel() ends the running one.
        self._run_lock = threading.Lock()
        self._cancel = threading.Event()
        # What cached results are checked against: file hashes (memoised by size and time) and
        # the map from module folders to distributions, rebuilt when the installed set moves.
        self._digests = FileDigests()
        self._index: DistributionIndex | None = None
        self._installed: dict[str, str] = {}

    def run(
        self, posts: Iterable[Post], on_result: Callable[[Post, PageResult], None] | None = None
    ) -> dict[str, PageResult]:
        """Results for every post, from the cache when the key matches, else by executing it.

        Runs never overlap on one engine: a second call waits for the first to end.
        """
        with self._run_lock:
            self._cancel.clear()
            return self._run(posts, on_result)

    def cancel(self) -> None:
        """End the running run now (a build error): its pages are stopped, it returns early."""
        self._cancel.set()

    def _run(
        self, posts: Iterable[Post], on_result: Callable[[Post, PageResult], None] | None
    ) -> dict[str, PageResult]:
        t0 = time.perf_counter()
        stats = RunStats()
        results: dict[str, PageResult] = {}
        keys: dict[str, str] = {}
        misses: list[Post] = []
        stale: dict[str, str] = {}
        installed = self._installed_now()
        for post in posts:
            key = keys[post.display_path] = cache_key(post, self.settings.limits, env=self.settings.page_env)
            self.used_keys.add(key)
            cached = None if self.settings.refresh else self.cache.load(key)
            if cached is not None:
                reason = self._changed(post, cached, installed)
                if reason:  # what it imported or read moved since it ran: run it again
                    stale[post.display_path] = reason
                    self.cache.discard(key)
                    cached = None
            if cached is None:
                misses.append(post)
                continue
            if _ran(cached):
                stats.from_cache += 1
            else:
                stats.nothing_to_run += 1
            results[post.display_path] = cached
            if on_result:
                on_result(post, cached)

        def finished(post: Post, result: PageResult, figure_dir: Path) -> None:
            result.executed_at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
            result.versions = dict(library_versions())
            result.dependencies = self._resolve(result.dependencies, installed)
            result.rerun_because = stale.get(post.display_path, "")
            if cacheable(result):
                stored = self.cache.store(keys[post.display_path], result, figure_dir)
            else:  # a timeout or crash says nothing about the next run: execute it again then
                stored = self.cache.keep_uncached(result, figure_dir)
            if _ran(result):
                stats.executed += 1
            else:
                stats.nothing_to_run += 1
            stats.blocks_executed += sum(b.status in ("ok", "error") for b in result.blocks)
            results[post.display_path] = stored
            if on_result:
                on_result(post, stored)

        if misses:
            if self.settings.preload is None and self._runner is None:
                self.settings.preload = modules_to_preload(b.source for p in misses for b in p.blocks)
            self._ensure_runner().run(misses, finished, cancelled=self._cancel)
        stats.seconds = time.perf_counter() - t0
        self.last_stats = stats
        return results

    def _installed_now(self) -> dict[str, str]:
        installed = installed_versions()
        if installed != self._installed:  # something was installed or removed: map again
            self._installed, self._index = installed, None
        return installed

    def _changed(self, post: Post, cached: PageResult, installed: dict[str, str]) -> str:
        """Why a cached result no longer holds ('' when it does)."""
        try:
            dependencies = Dependencies.from_json(cached.dependencies)
        except ValueError as exc:
            return str(exc)
        root = post.root or post.path.resolve().parent
        return dependencies.changed(root, installed, self._digests)

    def _resolve(self, recorded: dict[str, Any], installed: dict[str, str]) -> dict[str, Any]:
        """The page's record with the module folders it used turned into distributions and
        their versions (what a later build checks; no machine path is stored)."""
        if not recorded:
            return {}
        modules = [m for m in recorded.get("modules", []) if isinstance(m, str)]
        if self._index is None:
            self._index = DistributionIndex()
        distributions = self._index.distributions(modules, installed)
        return {
            "distributions": distributions,
            "files": recorded.get("files", {}),
            "listings": recorded.get("listings", {}),
        }

    def start(self, posts: list[Post]) -> RunInBackground:
        """Like run(), in a background thread: a build can render other pages meanwhile and
        wait only for the result it needs (`RunInBackground.result`)."""
        return RunInBackground(self, posts)

    def prewarm(self) -> None:
        """Start warming the parent process in the background (cheap if it is already warm)."""
        self._ensure_runner().prewarm()

    def warm_pid(self) -> int | None:
        """The process the pages fork from (`techpath serve` reports it: every save of a
        session runs in the same one)."""
        return self._runner.launcher.warm_pid if self._runner is not None else None

    def all_cached(self, posts: Iterable[Post]) -> bool:
        """Whether a run over `posts` would execute nothing: every page that runs has its
        entry in the cache (and no refresh was asked for). Only a hint for starting the warm
        parent early: `run` still reads and checks each entry."""
        if self.settings.refresh:
            return False
        limits = self.settings.limits
        return all(
            (
                self.cache.entry_dir(cache_key(post, limits, env=self.settings.page_env)) / RESULT_FILE
            ).is_file()
            for post in posts
            if post.runs
        )

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
            self._runner = Runner(
                s.jobs,
                s.limits,
                s.preload,
                s.mode,
                self._log,
                keep_warm=s.keep_warm,
                cache_dir=s.cache_dir,
                page_env=s.page_env,
            )
        return self._runner

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class RunInBackground:
    """A run of the engine on a thread; results become available page by page."""

    def __init__(self, engine: Engine, posts: list[Post]) -> None:
        self._results: dict[str, PageResult] = {}
        self._ready: dict[str, threading.Event] = {p.display_path: threading.Event() for p in posts}
        self._error: BaseException | None = None
        self._thread = threading.Thread(
            target=self._work, args=(engine, posts), name="techpath-run", daemon=True
        )
        self._thread.start()

    def _work(self, engine: Engine, posts: list[Post]) -> None:
        def arrived(post: Post, result: PageResult) -> None:
            self._results[post.display_path] = result
            self._ready[post.display_path].set()

        try:
            engine.run(posts, on_result=arrived)
        except BaseException as exc:  # surfaced to the build by result()/wait()
            self._error = exc
        finally:
            for event in self._ready.values():
                event.set()

    def result(self, path: str) -> PageResult | None:
        """Block until the post at `path` has its result (None if it is not part of this run)."""
        event = self._ready.get(path)
        if event is None:
            return None
        event.wait()
        if self._error is not None:
            raise self._error
        return self._results.get(path)

    def wait(self) -> dict[str, PageResult]:
        """Block until every post is done; all results."""
        self._thread.join()
        if self._error is not None:
            raise self._error
        return dict(self._results)


def _ran(result: PageResult) -> bool:
    """Whether the page's code ran: a block or an inline value that was not skipped."""
    return any(part.status in ("ok", "error") for part in (*result.blocks, *result.inline))

"""The result cache: one folder per executed page, in two levels.

Key = engine version + Python + the post's path and its blocks (code, options, line) in order +
the bytes of the files it declares as inputs + the limits it ran under: what is known before the
page runs. What it imported and read is only known after, so the entry also stores those
dependencies (dependencies.py: the distributions it used with their versions, the site's files
it read with their hashes, the folders it listed), and the engine reuses an entry only while they
all still hold; a stale entry is discarded and the page runs again. Installing an unrelated
package therefore re-executes nothing, and upgrading one re-executes the pages that use it.
Entries are written to a scratch folder and renamed into place, so a crash or two builds at once
never leave a half-written entry: a reader sees a whole entry or none.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
import uuid
from dataclasses import asdict
from pathlib import Path

from techpath import __version__
from techpath.dependencies import Dependencies
from techpath.fingerprint import engine_source_hash, python_fingerprint
from techpath.model import Limits, PageResult, Post
from techpath.safety.figures import drop_bad_figures, result_problems

LAYOUT = "v1"
# Bumped when results gain a field (2: the names in each block, for API links), so older
# entries are executed again instead of being shown without it.
# 3: inline values and claims (PageResult.inline). 4: exercises (PageResult.exercises).
# 5: dependencies recorded as the page ran (PageResult.dependencies), the two-level key.
RESULT_FORMAT = 5
RESULT_FILE = "result.json"

# A failed page is cached only when every error in it is one of these: exceptions that the same
# code, inputs, limits and environment (all in the key) raise again on every run. Anything else
# (a timeout, a crash, a memory kill, an OSError such as a full disk, a network error, a
# standalone check that may have timed out, an engine failure) says something about the machine
# at that moment, so it is executed again next build. See docs/design.md, "Failure caching".
DETERMINISTIC_ERRORS = frozenset(
    {
        "SyntaxError", "IndentationError", "TabError", "NameError", "UnboundLocalError",
        "TypeError", "ValueError", "AttributeError", "KeyError", "IndexError", "LookupError",
        "ZeroDivisionError", "ArithmeticError", "OverflowError", "AssertionError",
        "ImportError", "ModuleNotFoundError", "NotImplementedError", "StopIteration",
        "UnicodeDecodeError", "UnicodeEncodeError", "SystemExit", "DidNotRaise", "ExerciseSolved",
        "DeprecationWarning", "FutureWarning", "PendingDeprecationWarning",
    }
)  # fmt: skip


def cacheable(result: PageResult) -> bool:
    """True when replaying `result` from the cache cannot report something that did not happen."""
    return all(error.type in DETERMINISTIC_ERRORS for error in result.errors)


def cache_key(
    post: Post, limits: Limits, fingerprint: str | None = None, env: dict[str, str] | None = None
) -> str:
    """`env`: the variables every page gets; one is part of the key only for a page whose code
    names it (a page printing MKDOCS_CONFIG_DIR runs again when the site moves; others do not)."""
    digest = hashlib.sha256()
    material = {
        "engine": __version__,
        "engine_source": engine_source_hash(),  # an edited editable install runs pages again
        "results": RESULT_FORMAT,
        # Python itself; the distributions a page uses are checked per entry (dependencies.py)
        "python": fingerprint or python_fingerprint(),
        "path": post.display_path,
        "blocks": [asdict(b) for b in post.blocks],
        "inline": [asdict(i) for i in post.inline],
        "exercises": [asdict(e) for e in post.exercises],
        "allow_warnings": post.meta.get("allow_warnings", []),
        "warnings": post.warnings,
        "figure_rc": post.figure_rc,
        "timeout": post.meta.get("timeout"),
        "limits": asdict(limits),
    }
    named = {k: v for k, v in (env or {}).items() if any(k in b.source for b in post.blocks)}
    if named:
        material["env"] = named
    digest.update(json.dumps(material, sort_keys=True).encode())
    for path in sorted(post.inputs):
        digest.update(path.as_posix().encode())
        digest.update(hashlib.sha256(path.read_bytes()).digest() if path.is_file() else b"missing")
    return digest.hexdigest()


class Cache:
    """A folder of entries; safe to share between concurrent builds."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.entries = root / LAYOUT
        self.scratch = root / "tmp"

    def entry_dir(self, key: str) -> Path:
        return self.entries / key[:2] / key

    def load(self, key: str) -> PageResult | None:
        """The stored result, or None. Marks the entry as used (its mtime) for eviction."""
        folder = self.entry_dir(key)
        try:
            data = json.loads((folder / RESULT_FILE).read_text(encoding="utf-8"))
            result = PageResult.from_json(data)
            if result_problems(result):  # a figure name that would leave the entry's folder
                raise ValueError("unusable figure record")
            Dependencies.from_json(result.dependencies)  # paths that would leave the site
        except FileNotFoundError:
            return None
        except (OSError, ValueError, TypeError, KeyError, AttributeError):
            self._discard(folder)  # unreadable (a disk error, a hand edit): execute again
            return None
        result.from_cache = True
        result.figure_dir = str(folder)
        try:
            os.utime(folder)
        except OSError:
            pass
        return result

    def store(self, key: str, result: PageResult, figure_source: Path) -> PageResult:
        """Atomically add an entry holding `result` and the figure files it names.

        The result came from a process running a post's code: figure records whose names the
        engine would not have written are replaced by a note before any name touches a path."""
        drop_bad_figures(result)
        self.scratch.mkdir(parents=True, exist_ok=True)
        staging = self.scratch / f"{key}.{uuid.uuid4().hex}"
        staging.mkdir()
        for name in _figure_files(result):
            shutil.copyfile(figure_source / name, staging / name)
        (staging / RESULT_FILE).write_text(json.dumps(result.to_json()), encoding="utf-8")
        final = self.entry_dir(key)
        final.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.rename(staging, final)
        except OSError:  # another build stored the same key first: theirs is as good as ours
            shutil.rmtree(staging, ignore_errors=True)
        result.figure_dir = str(final)
        return result

    def keep_uncached(self, result: PageResult, figure_source: Path) -> PageResult:
        """Keep the figures of a result that must not be cached (for this build only); the
        folder is scratch, removed with other leftovers after an hour."""
        self.scratch.mkdir(parents=True, exist_ok=True)
        folder = self.scratch / f"uncached.{uuid.uuid4().hex}"
        folder.mkdir()
        for name in _figure_files(result):
            shutil.copyfile(figure_source / name, folder / name)
        result.figure_dir = str(folder)
        return result

    def merge_from(self, other: Path) -> int:
        """Add the entries of the cache folder `other` that this one lacks (the caches of sharded
        runs become one); returns how many were added. Each entry is copied to scratch and
        renamed into place, so a reader never sees half of one."""
        added = 0
        source = Cache(other).entries
        if not source.is_dir():
            return 0
        for shard in source.iterdir():
            for entry in shard.iterdir():
                final = self.entry_dir(entry.name)
                if final.exists() or not (entry / RESULT_FILE).is_file():
                    continue
                self.scratch.mkdir(parents=True, exist_ok=True)
                staging = self.scratch / f"{entry.name}.{uuid.uuid4().hex}"
                shutil.copytree(entry, staging)
                final.parent.mkdir(parents=True, exist_ok=True)
                try:
                    os.rename(staging, final)
                    added += 1
                except OSError:  # stored meanwhile by someone else
                    shutil.rmtree(staging, ignore_errors=True)
        return added

    def discard(self, key: str) -> None:
        """Remove the entry of `key` (stale: what it depends on changed)."""
        self._discard(self.entry_dir(key))

    def _discard(self, entry: Path) -> None:
        doomed = self.scratch / f"discard.{uuid.uuid4().hex}"
        self.scratch.mkdir(parents=True, exist_ok=True)
        try:
            os.rename(entry, doomed)  # readers see it gone at once, never half-deleted
        except OSError:
            return
        shutil.rmtree(doomed, ignore_errors=True)

    def evict(self, keep: set[str], unused_since: float) -> int:
        """Remove entries not in `keep` and not used since `unused_since` (a time.time()).

        The time guard leaves alone what a concurrent build used after this one started.
        """
        removed = 0
        if not self.entries.is_dir():
            return 0
        for shard in self.entries.iterdir():
            for entry in shard.iterdir():
                if entry.name in keep:
                    continue
                try:
                    if entry.stat().st_mtime >= unused_since:
                        continue
                except OSError:
                    continue
                self._discard(entry)
                removed += 1
        self._clean_scratch(older_than=time.time() - 3600)
        return removed

    def _clean_scratch(self, older_than: float) -> None:
        """Leftovers of crashed builds (staging folders never renamed into place)."""
        if not self.scratch.is_dir():
            return
        for leftover in self.scratch.iterdir():
            try:
                if leftover.stat().st_mtime < older_than:
                    shutil.rmtree(leftover, ignore_errors=True)
            except OSError:
                continue


def _figure_files(result: PageResult) -> list[str]:
    return [o.data["file"] for b in result.blocks for o in b.outputs if o.kind == "figure"]

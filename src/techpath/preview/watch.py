"""What changed on disk: file-system events wake the loop at once (inotify where the system has
it), and a comparison of two snapshots (modification time and size) says exactly which files
changed, so an editor's temporary files or a burst of events for one save never make a round of
their own. With inotify the snapshot is taken again only of the files the events named (a save
costs the same on a site of 500 pages as of 5); a folder event, the polling observer or the first
wait take the whole snapshot again."""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer
from watchdog.observers.polling import PollingObserver

Snapshot = dict[Path, tuple[int, int]]
SETTLE = 0.05  # seconds without events before a burst counts as one save
SKIPPED = (".git", ".cache", "__pycache__", "node_modules", ".venv", "site")


def _skipped_name(name: str) -> bool:
    return name.startswith(".") or name.endswith(("~", ".swp", ".part"))


def counted(path: Path, roots: list[Path]) -> bool:
    """Whether `snapshot(roots)` would hold `path` if it were a file: a watched file, or a file
    under a watched folder, not hidden, in no skipped folder, not an editor's temporary file."""
    for root in roots:
        if path == root:
            return True
        if root in path.parents:
            *folders, name = path.relative_to(root).parts
            return not (_skipped_name(name) or any(f.startswith(".") or f in SKIPPED for f in folders))
    return False


def snapshot(roots: list[Path]) -> Snapshot:
    """(mtime_ns, size) of every file under the watched folders and of every watched file;
    hidden folders, caches and the like skipped."""
    found: Snapshot = {}
    for root in roots:
        if root.is_file():
            stat = root.stat()
            found[root] = (stat.st_mtime_ns, stat.st_size)
            continue
        for directory, folders, files in os.walk(root):
            folders[:] = [f for f in folders if not f.startswith(".") and f not in SKIPPED]
            for name in files:
                if _skipped_name(name):
                    continue
                path = Path(directory) / name
                try:
                    stat = path.stat()
                except OSError:  # gone between listing and stat: the next snapshot sees it
                    continue
                found[path] = (stat.st_mtime_ns, stat.st_size)
    return found


@dataclass(frozen=True)
class Before:
    """What the site's sources were before the first build read them."""

    roots: list[Path]
    files: Snapshot

    def covers(self, path: Path) -> bool:
        return any(path == root or path.is_relative_to(root) for root in self.roots)


def before_build(config_file: Path) -> Before:
    """mkdocs.yml and its docs folder, as they are now: taken before the first build, so a
    save made while it runs is a change (the watcher starts only after it)."""
    from techpath.generators.build import read_config

    config = config_file.resolve()
    docs = (config.parent / str(read_config(config_file).get("docs_dir", "docs"))).resolve()
    return Before([config, docs], snapshot([config, docs]))


def changed(before: Snapshot, after: Snapshot) -> set[Path]:
    """Files added, removed or modified between two snapshots."""
    return {p for p in before.keys() | after.keys() if before.get(p) != after.get(p)}


class _Wake(FileSystemEventHandler):
    """Wakes the loop and notes the files the events named (a folder event: everything)."""

    def __init__(self, watcher: Watcher) -> None:
        self._watcher = watcher

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type in ("opened", "closed_no_write"):
            return  # a read (the build reads the pages): inotify reports those too
        if event.is_directory and event.event_type not in ("moved", "deleted"):
            return
        named = [event.src_path, getattr(event, "dest_path", "")]
        self._watcher.noted([os.fsdecode(p) for p in named if p], whole=event.is_directory)


class Watcher:
    """Watches folders and files; `wait` returns the files that changed since the last call."""

    def __init__(self, roots: list[Path], earlier: Before | None = None) -> None:
        """`earlier`: the sources before the first build read them (`before_build`)."""
        self._roots = sorted({r.resolve() for r in roots if r.exists()})
        self._event = threading.Event()
        self._lock = threading.Lock()
        self._named: set[Path] = set()  # files the events named since the last poll
        self._whole = True  # the next poll snapshots everything (first wait, folder events)
        now = snapshot(self.roots)
        self._seen = now
        if earlier is not None:  # added, changed or removed since: seen as changes
            self._seen = {**{p: v for p, v in now.items() if not earlier.covers(p)}, **earlier.files}
        self._observer = self._start()
        if changed(self._seen, now):  # no event will come for it: the first `wait` returns it
            self._event.set()

    def _start(self):
        for observer_class in (Observer, PollingObserver):  # inotify, else polling (portable)
            observer = observer_class()
            try:
                for root in self.roots:
                    self._schedule(observer, root)
                observer.start()
                self._polling = observer_class is PollingObserver  # its events may lag: snapshot all
                return observer
            except OSError:  # e.g. out of inotify watches
                observer.stop()
        raise RuntimeError("cannot watch the site's files")

    def _schedule(self, observer, root: Path) -> None:
        """Watch a folder with everything under it, or a single file through its folder."""
        folder, recursive = (root, True) if root.is_dir() else (root.parent, False)
        observer.schedule(_Wake(self), str(folder), recursive=recursive)

    def wait(self, timeout: float | None = None) -> set[Path]:
        """Block until some watched file changed (or `timeout`); the files that changed since
        the last call (maybe none, after a spurious event)."""
        if not self._event.wait(timeout):
            return self.poll()
        while True:  # a save is often several events: wait until they stop
            self._event.clear()
            time.sleep(SETTLE)
            if not self._event.is_set():
                break
        return self.poll()

    @property
    def roots(self) -> list[Path]:
        return self._roots

    @roots.setter
    def roots(self, roots: list[Path]) -> None:
        """What the site reads now (a page may declare a new data file): new roots are watched
        too (as the build that declared them read them: not a change)."""
        new = sorted({r.resolve() for r in roots if r.exists()})
        if new == self._roots:
            return
        observer = getattr(self, "_observer", None)
        if observer is not None:
            for root in set(new) - set(self._roots):
                try:
                    self._schedule(observer, root)
                except OSError:  # out of inotify watches: the whole snapshot still sees it
                    pass
        added = snapshot([r for r in new if r not in self._roots])
        with self._lock:
            self._roots = new
            self._seen = {**added, **self._seen}

    def noted(self, paths: list[str], whole: bool = False) -> None:
        """Events named these paths (from the observer's thread)."""
        with self._lock:
            self._named.update(Path(p) for p in paths)
            self._whole = self._whole or whole
        self._event.set()

    def pending(self) -> bool:
        """Whether an event arrived since the last `wait` (a save during a round)."""
        return self._event.is_set()

    def poll(self) -> set[Path]:
        """The files that changed since the last poll."""
        with self._lock:
            named, whole = self._named, self._whole or getattr(self, "_polling", True)
            self._named, self._whole = set(), False
        if whole:
            now = snapshot(self.roots)
            found, self._seen = changed(self._seen, now), now
            return found
        found = set()
        for path in named:
            if not counted(path, self.roots):
                continue
            try:
                stat = path.stat()
                now_seen: tuple[int, int] | None = (stat.st_mtime_ns, stat.st_size)
            except OSError:  # deleted, or a folder's name
                now_seen = None
            if path.is_dir():
                continue
            if self._seen.get(path) != now_seen:
                found.add(path)
                if now_seen is None:
                    self._seen.pop(path, None)
                else:
                    self._seen[path] = now_seen
        return found

    def stop(self) -> None:
        self._observer.stop()
        self._observer.join(timeout=5)

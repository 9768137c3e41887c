"""What changed on disk: file-system events wake the loop at once (inotify where the system has
it), and a comparison of two snapshots (modification time and size of every watched file) says
exactly which files changed, so an editor's temporary files or a burst of events for one save
never make a round of their own."""

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
                if name.startswith(".") or name.endswith(("~", ".swp", ".part")):
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
    def __init__(self, event: threading.Event) -> None:
        self._event = event

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type in ("opened", "closed_no_write"):
            return  # a read (the build reads the pages): inotify reports those too
        if not event.is_directory or event.event_type in ("moved", "deleted"):
            self._event.set()


class Watcher:
    """Watches folders and files; `wait` returns the files that changed since the last call."""

    def __init__(self, roots: list[Path], earlier: Before | None = None) -> None:
        """`earlier`: the sources before the first build read them (`before_build`)."""
        self.roots = sorted({r.resolve() for r in roots if r.exists()})
        self._event = threading.Event()
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
                    folder, recursive = (root, True) if root.is_dir() else (root.parent, False)
                    observer.schedule(_Wake(self._event), str(folder), recursive=recursive)
                observer.start()
                return observer
            except OSError:  # e.g. out of inotify watches
                observer.stop()
        raise RuntimeError("cannot watch the site's files")

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

    def pending(self) -> bool:
        """Whether an event arrived since the last `wait` (a save during a round)."""
        return self._event.is_set()

    def poll(self) -> set[Path]:
        now = snapshot(self.roots)
        found, self._seen = changed(self._seen, now), now
        return found

    def stop(self) -> None:
        self._observer.stop()
        self._observer.join(timeout=5)

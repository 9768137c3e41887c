"""The preview loop: one round per save.

1. **The changed page first.** A page of the last build whose front matter did not change is
   built again alone, with the state the last build left (`SiteBuilder.render`), renamed into
   the served folder, and the browser showing it reloads.
2. **Then the rest.** A whole build (`SiteBuilder.full`, the generator's own build, warm: same
   process, imports, compiled templates, result cache) into a new folder; the files whose bytes
   changed are renamed into the served folder. This brings up to date everything that shows the
   page (blog index and its pagination, archive, categories, tags, neighbours, search index,
   feed, report) and handles whatever the first step cannot (a new, deleted or renamed page, a
   front matter change, mkdocs.yml, templates, snippets, data files). It stops between two
   pages when a newer save arrives; the next round starts at step 1 again.

Rounds never overlap, and each reads the files as they are when it starts, so a newer save is
never followed by an older page. A page that cannot be built (front matter broken, a plugin
error) keeps its last good version, and the error shows in the terminal and over every open page.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

from techpath.preview.server import PreviewServer
from techpath.preview.site_build import Built, Cancelled, SiteBuilder
from techpath.preview.sync import copy_changed, replace_file, sync_tree
from techpath.preview.watch import Watcher, before_build
from techpath.safety.files import ACTIVE_SUFFIXES

Log = Callable[[str], None]


class PreviewLoop:
    def __init__(self, builder: SiteBuilder, served: Path, log: Log) -> None:
        self.builder = builder
        self.server: PreviewServer | None = None  # set once the first build is served
        self.served = served
        self.log = log
        self.built: Built | None = None
        self.watcher: Watcher | None = None
        self.page_errors: dict[Path, str] = {}  # pages that cannot be built now: why
        self.kept: dict[Path, set[str]] = {}  # their last good files, kept in the served folder
        self.build_error = ""

    # -- start and stop ------------------------------------------------------------------------
    def start(self, server: Callable[[], PreviewServer]) -> None:
        """The first whole build, then the server on it and the watcher."""
        started = time.perf_counter()
        earlier = before_build(self.builder.config_file)
        self.built = self.builder.full(None)
        self.watcher = Watcher(self.builder.watched(self.built), earlier)
        self.served.mkdir(parents=True, exist_ok=True)
        sync_tree(self.built.site_dir, self.served)
        self.server = server()
        self._note_left_out(self.built)
        self._show_errors()
        self.log(
            f"built in {time.perf_counter() - started:.1f} s; serving {self.server.url} "
            f"(files in {self.served}); Ctrl-C stops"
        )

    def close(self) -> None:
        if self.watcher is not None:
            self.watcher.stop()
        if self.built is not None:
            self.builder.shutdown(self.built)

    def run(self) -> None:
        """Rounds until interrupted."""
        assert self.watcher is not None
        unsettled = False
        while True:
            changes = self.watcher.wait(timeout=0 if unsettled else None)
            if changes:
                self._settled(False)
                self.first(changes)
                unsettled = True
            if unsettled:
                unsettled = not self.settle()
                self._settled(not unsettled)

    # -- step 1 ----------------------------------------------------------------------------------
    def first(self, changes: set[Path]) -> list[str]:
        """Serve what can be served at once: saved pages built alone, saved files copied."""
        assert self.built is not None
        started = time.perf_counter()
        built = self.built
        docs = self.builder.docs_dir(built)
        pages, files = [], {}
        for path in sorted(changes):
            if not path.is_relative_to(docs) or not path.is_file():
                continue
            if path.suffix in (".md", ".ipynb"):
                if self.builder.can_render(built, path):
                    pages.append(path)
                continue
            if _gated(path):
                continue  # through the file gate in the whole build (safety/files.py), never raw
            dest = self.builder.copy_target(built, path)
            if dest is not None:
                files[path] = dest
        written, problems = self.builder.render(built, pages) if pages else ([], {})
        served = copy_changed(built.site_dir, self.served, written)
        for path, dest in files.items():
            data = path.read_bytes()
            target = self.served / dest
            if not target.is_file() or target.read_bytes() != data:
                replace_file(target, data)
                served.append(dest)
        for path in pages:
            if path in problems:
                self._page_failed(path, problems[path])
            else:
                self.page_errors.pop(path, None)
                self.kept.pop(path, None)
        assert self.server is not None
        self.server.changed(served)
        self._show_errors()
        if pages or files:
            shown = ", ".join(_shown(p, docs) for p in [*pages, *files])
            verdict = "could not be built" if problems else "served"
            note = f" ({self.builder.note})" if pages and self.builder.note else ""
            self.log(
                f"{shown}: {verdict} in {time.perf_counter() - started:.2f} s{note}; "
                "the rest of the site follows"
            )
        return served

    def _page_failed(self, path: Path, why: str) -> None:
        assert self.built is not None
        self.page_errors[path] = why
        dest = self.builder.dest_of(self.built, path)
        if path not in self.kept and dest is not None:
            self.kept[path] = {dest}
        self.log(f"ERROR: {why}")

    # -- step 2 ----------------------------------------------------------------------------------
    def settle(self) -> bool:
        """The whole site built again and every changed file served. False when a newer save
        stopped it (the next round does it again)."""
        assert self.built is not None and self.watcher is not None
        started = time.perf_counter()
        try:
            new = self.builder.full(self.built, cancelled=self.watcher.pending)
        except Cancelled:
            return False
        except Exception as exc:  # a broken mkdocs.yml or plugin error: keep serving
            self.build_error = f"{type(exc).__name__}: {exc}"
            self.log(
                f"ERROR: the site could not be built; still serving the last good build:\n{self.build_error}"
            )
            self._show_errors()
            return True
        old, self.built = self.built, new
        self.build_error = ""
        self.page_errors.clear()
        self._note_left_out(new, old)
        kept = {name for names in self.kept.values() for name in names}
        changed = sync_tree(new.site_dir, self.served, keep=kept.__contains__)
        assert self.server is not None
        self.server.changed(changed)
        self._show_errors()
        self.builder.release(old)
        self.watcher.roots = self.builder.watched(new)  # new pages may declare new data files
        self.log(f"site up to date in {time.perf_counter() - started:.1f} s ({len(changed)} files changed)")
        return True

    def _note_left_out(self, new: Built, old: Built | None = None) -> None:
        """Pages the build left out (their front matter is broken): errors, last version kept."""
        left_out = {p.resolve(): why for p, why in self.builder.left_out(new).items()}
        for path in list(self.kept):
            if path.resolve() not in left_out:
                del self.kept[path]
        for path, why in left_out.items():
            self.page_errors[path] = why
            dest = self.builder.dest_of(old, path) if old is not None else None
            if path not in self.kept and dest is not None:
                self.kept[path] = {dest}

    def _settled(self, settled: bool) -> None:
        if self.server is not None:
            self.server.settled = settled

    def _show_errors(self) -> None:
        parts = [self.build_error] if self.build_error else []
        parts += [self.page_errors[p] for p in sorted(self.page_errors)]
        if self.server is not None:
            self.server.set_error("\n\n".join(parts))


def _gated(path: Path) -> bool:
    """A saved file step 1 must not copy as it is: a symlink (it may lead out of the
    repository), or an active file (SVG, HTML, ...: cleaned or left out by the gate)."""
    return os.path.realpath(path) != str(path.absolute()) or path.suffix.lower() in ACTIVE_SUFFIXES


def _shown(path: Path, docs: Path) -> str:
    try:
        return path.relative_to(docs).as_posix()
    except ValueError:
        return str(path)

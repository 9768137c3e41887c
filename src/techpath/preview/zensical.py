"""`techpath serve` with Zensical: Zensical watches the staged tree and rebuilds what changed
(its own incremental runtime); techpath writes only the staged files whose page changed, and
serves Zensical's output after the HTML phase and the CSP, as `techpath build -g zensical`
finishes it.

A save of one page: that page is staged again alone (`Stager.restage`, `write_pages`), Zensical
rebuilds, and each build it finishes ("No issues found" or its issue count on its output) is
copied into the served folder, only the files whose bytes changed, each finished and renamed
into place. Then the whole site is staged again by the same stager (`restage`): only staged files
whose bytes change are written (a neighbour's previous/next block, the path page, the report
page), and Zensical rebuilds those. A change to mkdocs.yml stages the site anew and restarts
Zensical.

Before Zensical's rebuild ends (1-2 s), the saved page is rendered here with Zensical's own
Markdown configuration and spliced into its last page (preview/splice.py), finished the same way
and served; Zensical's page replaces it once its region is the spliced one, or when the round
settles.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer

from techpath.config import discover
from techpath.execute.procs import die_with_parent
from techpath.generators import highlight_memo
from techpath.generators.build import (
    Staged,
    generator_command,
    page_policies,
    policies_on,
    read_config,
    restage,
    stage,
)
from techpath.preview.address import parse_address, serve_address
from techpath.preview.server import PreviewServer
from techpath.preview.site_build import front_matter
from techpath.preview.splice import Splicer, region_of, url_of
from techpath.preview.sync import copy_changed, files_under, replace_file
from techpath.preview.watch import Watcher, before_build
from techpath.safety import csp
from techpath.site.theme import finish_theme
from techpath.stage.finish import finish_page

DONE = re.compile(r"No issues found|\b\d+ issues?\b")  # what Zensical 0.0.73 prints after a build
_CSP_META = re.compile(r'<meta http-equiv="Content-Security-Policy" content="[^"]*">')
BUILD_TIMEOUT = 120.0
FIRST_BUILD_TIMEOUT = 1800.0  # the whole site through the HTML phase: minutes on 500 pages
OUTPUT_QUIET = 0.1  # seconds without a write to Zensical's output before it is copied
WHATEVER_IT_SAID = 1.0  # seconds without a write after which what it wrote is copied anyway
SETTLED_QUIET = 0.5  # seconds without one before the preview counts as settled
STOP_POLL = 0.05  # seconds between two looks at whether a newer save ends a wait

Stop = Callable[[], bool]


class ZensicalProcess:
    """`zensical serve` on the staged configuration, on a port of its own that nobody reads:
    it is the builder. Its output folder is watched; when Zensical has finished writing (it
    printed the end of a build, closed every file it wrote and wrote nothing for a moment),
    `on_output` copies it. A saved page's output file (`prioritise`) is copied alone as soon
    as Zensical closes it, before the rest of its build.

    Zensical 0.0.73 writes each output file in place (open with O_TRUNC, one write, close) and
    prints the end of a build before it writes the pages (strace): a file is whole only once
    closed, so a file with a write event and no close yet is not read (`writing`), and a copy
    that saw it change while reading it drops what it read (`generation`)."""

    def __init__(self, staged: Staged, root: Path, on_output, log) -> None:
        self.syncs = 0
        self._done = 0.0  # when Zensical last printed the end of a build
        self._first_event = self._last_event = 0.0  # the burst of writes not yet copied
        self._copying = False
        self._copied_from = 0.0  # when the last finished copy started
        self._cond = threading.Condition()
        self._on_output, self._log = on_output, log
        output = staged.built_dir
        assert output is not None
        output.mkdir(parents=True, exist_ok=True)
        self._output = output.resolve()
        self._named: set[str] = set()  # output files the events named since the last copy
        self._writing: set[str] = set()  # written to and not closed yet: maybe half-written
        self._generation: dict[str, int] = {}  # name -> count of its write events
        self._event_at: dict[str, float] = {}  # name -> when an event last named it
        self._priority: set[str] = set()  # the saved pages' output files (`prioritise`)
        self._closed: set[str] = set()  # priority files closed since their last copy
        self.whole = True  # the next copy reads every file (the first build, a folder event, settle)
        self._observer = Observer()
        self._observer.schedule(_Events(self._written), str(self._output), recursive=True)
        self._observer.start()
        command = generator_command("zensical", staged.config_file, strict=False)
        command[1] = "serve"
        command = [c for c in command if c != "--clean"] + ["-a", f"127.0.0.1:{_free_port()}"]
        env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
        self.process = subprocess.Popen(  # cwd: snippets paths are relative to the site's folder
            command,
            cwd=root,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            preexec_fn=_die_with_us,
        )
        self._stopping = False
        self._reader = threading.Thread(target=self._read, name="techpath-zensical-log", daemon=True)
        self._reader.start()
        threading.Thread(target=self._copy, name="techpath-zensical-copy", daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for raw in self.process.stdout:
            line = raw.rsplit("\r", 1)[-1].strip()  # progress lines redraw themselves
            if DONE.search(line):
                with self._cond:
                    self._done = time.monotonic()
                    self._cond.notify_all()
                if line != "No issues found":
                    self._log(f"zensical: {line}")
            elif line and not line.startswith(("Serving ", "Build started", "Build finished")):
                self._log(f"zensical: {line}")
        self.process.stdout.close()  # Zensical ended
        status = self.process.wait()
        if not self._stopping:  # it stopped on its own (an error it printed above)
            self._log(f"ERROR: zensical serve ended (exit status {status}); it starts again at the next save")

    def _written(self, paths: list[str], folder: bool, kind: str = "modified") -> None:
        with self._cond:
            for path in paths:
                try:
                    name = Path(path).relative_to(self._output).as_posix()
                except ValueError:
                    self.whole = True
                    continue
                self._named.add(name)
                if folder:  # a folder's entries changed: its files have events of their own
                    continue
                self._event_at[name] = time.monotonic()
                if kind == "modified":  # not "created": a file in a new folder gets no other event
                    self._writing.add(name)
                    self._generation[name] = self._generation.get(name, 0) + 1
                else:  # closed after writing, moved into place, deleted
                    self._writing.discard(name)
                    if kind == "closed" and name in self._priority:
                        self._closed.add(name)
            # A folder is "modified" with each write to a file in it (watchdog): its files are
            # named by their own events. A folder moved or removed is not: read everything.
            self.whole = self.whole or (folder and kind != "modified")
            now = time.monotonic()
            if not self._first_event:
                self._first_event = now
            self._last_event = now
            self._cond.notify_all()

    def _ready(self) -> bool:
        """A burst of writes is over: Zensical said its build ended after the burst began,
        closed what it wrote and wrote nothing for OUTPUT_QUIET seconds since the later of its
        last write and its end (it prints the end before it writes the pages), or nothing for
        WHATEVER_IT_SAID seconds (a copy then reads only the files it closed)."""
        if not self._first_event:
            return False
        quiet = time.monotonic() - max(self._last_event, self._done)  # its pages follow its end
        done = self._done >= self._first_event and not self._writing
        return (done and quiet >= OUTPUT_QUIET) or quiet >= WHATEVER_IT_SAID

    def prioritise(self, names: set[str]) -> None:
        """Output files to copy alone the moment Zensical closes them (the saved pages), ahead
        of the rest of its build; an empty set ends that."""
        with self._cond:
            self._priority = set(names)
            self._closed &= self._priority

    def stable(self, name: str) -> int | None:
        """A token that changes whenever `name` is written to; None while it is being written."""
        with self._cond:
            return None if name in self._writing else self._generation.get(name, 0)

    def _copy(self) -> None:
        while not self._stopping:
            with self._cond:
                self._cond.wait_for(lambda: self._ready() or self._closed or self._stopping, timeout=0.05)
                if self._stopping:
                    continue
                if self._closed and not self._ready():  # the saved page: served before the rest
                    early, self._closed = set(self._closed), set()
                else:
                    early = None
            if early is not None:
                try:
                    self._on_output(early)
                except Exception as exc:  # the build's copy reads it again
                    self._log(f"ERROR: copying Zensical's output failed: {exc!r}")
                continue
            with self._cond:
                if not self._ready():
                    continue
                self._first_event = 0.0
                self._closed.clear()  # this copy reads them with the rest
                names = None if self.whole else self._named
                self._named, self.whole = set(), False
                self._copying, started = True, time.monotonic()
            try:
                self._on_output(names)
            except Exception as exc:  # the next build is copied all the same
                self._log(f"ERROR: copying Zensical's output failed: {exc!r}")
            with self._cond:
                self.syncs += 1
                self._copying, self._copied_from = False, started
                self._cond.notify_all()

    def wait_built(self, since: float, timeout: float = BUILD_TIMEOUT, stop: Stop = lambda: False) -> bool:
        """Wait until a build Zensical ended after `since` (a monotonic time) is served: copied
        by a copy that started after it said so. A pause of a second in its writes (a loaded
        machine) triggers a copy of what it wrote so far; that copy is not the build. False
        when `timeout` runs out or `stop()` turns true first."""

        def built() -> bool:
            return (self._done > since and self._copied_from > self._done and not self._copying) or (
                self.process.poll() is not None
            )

        return self._wait(built, timeout, stop)

    def _wait(self, done: Stop, timeout: float, stop: Stop) -> bool:
        """Until `done()`; `stop()` is asked every STOP_POLL seconds (nothing notifies us of it)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while not done():
                left = deadline - time.monotonic()
                if left <= 0 or stop():
                    return False
                self._cond.wait(min(left, STOP_POLL))
            return True

    def wait_copied(
        self, names: set[str], since: float, timeout: float = BUILD_TIMEOUT, stop: Stop = lambda: False
    ) -> bool:
        """Wait until each output file in `names` was written after `since` (a monotonic time)
        and is served: closed, and copied by a copy that started after its last event. For the
        files Zensical copies from the docs folder without a build: it prints no end for them."""

        def copied() -> bool:
            if self.process.poll() is not None:
                return True
            at = [self._event_at.get(name, 0.0) for name in names]
            return (
                all(t > since for t in at)
                and not self._writing & names
                and (not at or self._copied_from > max(at))
                and not self._copying
            )

        return self._wait(copied, timeout, stop)

    def idle(self) -> bool:
        """Nothing written that is not copied yet, for a moment, and no copy under way."""
        with self._cond:
            quiet = time.monotonic() - self._last_event >= SETTLED_QUIET
            return not self._first_event and not self._copying and quiet

    def ended(self) -> bool:
        """Zensical stopped on its own (an error in a build stops `zensical serve`)."""
        return not self._stopping and self.process.poll() is not None

    def stop(self) -> None:
        self._stopping = True
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._reader.join(timeout=5)
        self._observer.stop()
        self._observer.join(timeout=5)


class _Events(FileSystemEventHandler):
    def __init__(self, written) -> None:
        self._written = written

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type not in ("opened", "closed_no_write"):
            named = [event.src_path, getattr(event, "dest_path", "")]
            self._written([os.fsdecode(p) for p in named if p], event.is_directory, event.event_type)


class FinishedCopy:
    """Zensical's output copied into the served folder, each changed page finished (HTML phase,
    theme widgets' names, CSP) the way `finish_site` does it for a whole build."""

    def __init__(self, staged: Staged, served: Path, stable=lambda _name: 0) -> None:
        self.staged = staged
        self.served = served
        # name -> a token that changes when the builder writes the file, None while it does:
        # a file read while being written is left for the copy after its close
        self.stable = stable
        self.raw: dict[str, str] = {}  # name -> digest of Zensical's bytes last copied
        self.scripts: dict[str, tuple[str, ...]] = {}  # page -> hashes of its inline scripts
        self.policy: dict[str, str] = {}  # page -> the policy it was given
        self.regions: dict[str, list[str]] = {}  # page -> the staged pages whose regions it holds
        self.keep: set[str] = set()  # served files Zensical does not write (report, kept pages)
        self.own: dict[str, str] = {}  # staged page -> the output file that is that page
        self.spliced: dict[str, str] = {}  # a spliced page -> its text, until Zensical's replaces it
        # a spliced page (`serve_spliced`) -> (its staged page, its region as spliced): Zensical's
        # copy is served once its region is that one; another (an older build's) waits
        self.expected: dict[str, tuple[str, str]] = {}
        self.deferred: set[str] = set()  # Zensical's copies of spliced pages that wait (`release`)
        self.lock = threading.Lock()

    def sync(self, named: set[str] | None = None) -> list[str]:
        """Copy what changed since the last copy; the served names that changed. `named`: only
        the files Zensical wrote or removed since (its output's events), not every file: a
        save of one page costs the same on 500 pages as on 5."""
        with self.lock:
            source = self.staged.built_dir
            assert source is not None
            if named is None:
                names = set(files_under(source))
                gone = set(files_under(self.served)) - names - self.keep
            else:
                names = {n for n in named if (source / n).is_file() and not _partial(n)}
                gone = {n for n in named if not (source / n).exists() and (self.served / n).is_file()}
                gone -= self.keep
            changed, pages = [], {}
            for name in sorted(names):
                before = self.stable(name)
                try:
                    data = (source / name).read_bytes()
                except OSError:  # Zensical replaced or removed it meanwhile: its next build says
                    names.discard(name)
                    continue
                if before is None or self.stable(name) != before or (not data and name.endswith(".html")):
                    continue  # being written (truncated, not yet whole): copied after its close
                digest = hashlib.sha256(data).hexdigest()
                if self.raw.get(name) == digest:
                    continue
                if name.endswith(".html"):
                    text = data.decode("utf-8")
                    if name in self.expected:
                        uri, region = self.expected[name]
                        if region_of(text, self.staged.stager.markers, uri) != region:
                            self.deferred.add(name)  # not the saved version yet: the spliced page stays
                            continue
                        del self.expected[name], self.spliced[name]
                    pages[name] = self._finish(name, text)
                elif _write(self.served / name, data):
                    changed.append(name)
                self.raw[name] = digest
            for name in sorted(gone):
                for known in (self.raw, self.scripts, self.policy, self.regions, self.spliced, self.expected):
                    known.pop(name, None)
                (self.served / name).unlink(missing_ok=True)
                changed.append(name)
            return self._serve(pages, changed)

    def _finish(self, name: str, text: str) -> str:
        """Zensical's page `name` through the HTML phase (the CSP follows in `_serve`)."""
        markers = self.staged.stager.markers
        self.regions[name] = finish_page(text, markers, lambda _u, r: r)[1]
        for uri in self.regions[name]:
            if region_of(text, markers, uri) is not None:  # the page itself, not an excerpt
                self.own[uri] = name
        page = finish_theme(self.staged.stager.finish_file(text))
        self.scripts[name] = tuple(csp.inline_script_hashes(page))
        return page

    def _serve(self, pages: dict[str, str], changed: list[str]) -> list[str]:
        """Finished pages written with their CSP, and every page whose CSP changed with them."""
        policies = self._policies()
        for name, page in pages.items():
            if name in policies:
                self.policy[name] = policies[name]
                page = csp.with_policy(page, policies[name])
            if _write(self.served / name, page.encode("utf-8")):
                changed.append(name)
        for name, text in policies.items():  # pages whose policy changed with the union
            if name not in pages and self.policy.get(name) != text:
                self.policy[name] = text
                served = (self.served / name).read_text(encoding="utf-8")
                page = _with_policy_tag(served, csp.meta_tag(text))
                if _write(self.served / name, page.encode("utf-8")):
                    changed.append(name)
        return changed

    def serve_spliced(self, name: str, uri: str, text: str) -> list[str]:
        """A page made before Zensical's (preview/splice.py) served through the same HTML phase
        and CSP; Zensical's copy of it replaces it once its region is the same (`sync`)."""
        with self.lock:
            region = region_of(text, self.staged.stager.markers, uri)
            assert region is not None
            self.expected[name], self.spliced[name] = (uri, region), text
            self.deferred.discard(name)
            return self._serve({name: self._finish(name, text)}, [])

    def page_text(self, name: str) -> str | None:
        """The page `name` a splice starts from: the spliced page while it is served, else
        Zensical's file (None while Zensical writes it)."""
        with self.lock:
            if name in self.spliced:
                return self.spliced[name]
            assert self.staged.built_dir is not None
            before = self.stable(name)
            try:
                data = (self.staged.built_dir / name).read_bytes()
            except OSError:
                return None
            return data.decode("utf-8") if before is not None and self.stable(name) == before else None

    def release(self) -> set[str]:
        """The spliced pages held (the loop settled): each is read again from Zensical's output."""
        with self.lock:
            names = self.deferred | set(self.expected)
            self.expected.clear()
            self.deferred.clear()
            self.spliced.clear()
            for name in names:
                self.raw.pop(name, None)
            return names

    def _policies(self) -> dict[str, str]:
        """Every page's CSP as `finish_site` gives it: its own inline scripts' hashes, or, when
        pages differ in them, the union of all pages' (in the order of the pages' paths)."""
        if not policies_on(self.staged):
            return {}
        extra = page_policies(self.staged).extra
        union: list[str] = []
        for name in sorted(self.scripts, key=Path):
            union += [h for h in self.scripts[name] if h not in union]
        differ = len(set(self.scripts.values())) > 1
        return {
            name: csp.policy_text(union if differ else list(h), extra) for name, h in self.scripts.items()
        }

    def page_of(self, uri: str) -> str | None:
        """The served page that is the staged page `uri`: the one holding its whole region, not
        a view with its excerpt (a category page that lists one post holds that alone too)."""
        own = self.own.get(uri)
        return own if own in self.regions else None


def _partial(name: str) -> bool:
    """Our own partial files (sync.py), never Zensical's output."""
    return Path(name).name.startswith(".techpath-")


def _with_policy_tag(page: str, tag: str) -> str:
    return _CSP_META.sub(lambda _m: tag, page, count=1)


def _write(target: Path, data: bytes) -> bool:
    """Rename `data` into `target` unless it holds those bytes already; whether it wrote."""
    if target.is_file() and target.stat().st_size == len(data) and target.read_bytes() == data:
        return False
    replace_file(target, data)
    return True


class ZensicalPreview:
    def __init__(self, config_file: Path, address: str, work: Path, log) -> None:
        self.config_file = config_file.resolve()
        self.root = self.config_file.parent
        self.host, self.port = parse_address(address)
        self.out = self.root / ".cache" / "techpath" / "stage" / "zensical-serve"
        self.served = work / "served"
        self.work = work
        self.log = log
        self.staged: Staged | None = None
        self.zensical: ZensicalProcess | None = None
        self.copy: FinishedCopy | None = None
        self.splicer: Splicer | None = None
        self.server: PreviewServer | None = None
        self.watcher: Watcher | None = None
        self.fronts: dict[Path, str] = {}
        self.mount = "/"
        self._config_stamp = 0
        self._report_names: set[str] = set()
        self.page_errors: dict[Path, str] = {}
        highlight_memo.install()  # the lint of a saved page highlights its code: once per process

    # -- start and stop ----------------------------------------------------------------------
    def start(self) -> None:
        started = time.perf_counter()
        earlier = before_build(self.config_file)
        self.served.mkdir(parents=True, exist_ok=True)
        self._stage_anew()
        assert self.staged is not None
        docs = self.staged.stager.site.docs_dir
        self.watcher = Watcher([docs, self.config_file, *self._outside_docs()], earlier)
        self.server = PreviewServer(self.served, self.host, self.port, self.mount)
        self.server.start()
        self.log(
            f"built in {time.perf_counter() - started:.1f} s; serving {self.server.url} "
            f"(files in {self.served}); Ctrl-C stops"
        )

    def _stage_anew(self) -> None:
        """Stage the site (new stager: mkdocs.yml may have changed) and (re)start Zensical."""
        engine = None
        if self.staged is not None:
            engine, self.staged.stager.engine = self.staged.stager.engine, None
            self.staged.stager.close_math()
        if self.zensical is not None:
            self.zensical.stop()
        self._config_stamp = self.config_file.stat().st_mtime_ns
        url, self.mount = serve_address(self.config_file, self.host, self.port)  # as mkdocs serve does
        self.staged = stage(self.config_file, self.out, self.out / "site", self.log, "zensical", engine, url)
        self._remember_fronts()
        self.copy = FinishedCopy(self.staged, self.served)
        self.splicer = Splicer(self.staged.config_file, self.root, self.staged.stager.markers)
        threading.Thread(target=self.splicer.warm, name="techpath-splice-warm", daemon=True).start()
        started = time.monotonic()
        self.zensical = ZensicalProcess(self.staged, self.root, self._zensical_built, self.log)
        self.copy.stable = self.zensical.stable  # before Zensical's first write: seconds away
        if not self.zensical.wait_built(started, timeout=FIRST_BUILD_TIMEOUT):
            raise SystemExit("zensical serve did not finish its first build")
        self._report()

    def _zensical_built(self, named: set[str] | None = None) -> None:
        """Called by the copying thread after each build Zensical finishes: serve it."""
        if self.copy is None:
            return
        changed = self.copy.sync(named)
        if self.server is not None:
            self.server.changed(changed)

    def close(self) -> None:
        if self.watcher is not None:
            self.watcher.stop()
        if self.zensical is not None:
            self.zensical.stop()
        if self.server is not None:
            self.server.stop()
        if self.staged is not None:
            self.staged.stager.finish(keep_engine=False)

    # -- rounds --------------------------------------------------------------------------------
    def run(self) -> None:
        assert self.watcher is not None and self.server is not None
        to_settle = waiting = False
        while True:
            changes = self.watcher.wait(timeout=0.1 if to_settle or waiting else None)
            if changes:
                self.server.settled = False
                if self.zensical is not None and self.zensical.ended():
                    self._stage_anew()  # the whole site staged again, Zensical started again
                else:
                    self.first(changes)
                to_settle = True
            elif to_settle:  # again when a newer save stopped it (its round settles after it)
                settled = self.settle()
                to_settle, waiting = not settled, settled
            elif waiting and self._quiet():  # Zensical's last build is served
                waiting = False
                self.server.settled = True

    def first(self, changes: set[Path]) -> None:
        """Saved pages staged again alone: Zensical rebuilds them, `_zensical_built` serves them."""
        assert self.staged is not None and self.zensical is not None
        snippets = self._snippet_paths()
        if (
            self.config_file in changes
            or self.config_file.stat().st_mtime_ns != self._config_stamp
            or any(p.is_relative_to(base) for p in changes for base in snippets)
        ):  # Zensical does not watch snippets, and reads mkdocs.yml once: it starts again
            self._stage_anew()
            return
        started = time.perf_counter()
        stager = self.staged.stager
        docs = stager.site.docs_dir.resolve()
        pages = [
            p
            for p in sorted(changes)
            if p.is_relative_to(docs) and p.is_file() and p.suffix in (".md", ".ipynb")
            and self.fronts.get(p.resolve()) == front_matter(p)
        ]  # fmt: skip
        if not pages:
            return
        before = time.monotonic()
        assert self.copy is not None
        with self.copy.lock:  # Zensical's builds are copied on another thread, through this stager
            found = stager.restage((p.resolve().relative_to(docs).as_posix(), p) for p in pages)
            saved = {self.copy.page_of(r.uri) for r in found.values() if r is not None}
            self.zensical.prioritise({name for name in saved if name is not None})
            uris = [r.uri for r in found.values() if r is not None]
            previous = {uri: _text(self.staged.docs_dir / uri) for uri in uris}
            written = stager.write_pages(self.staged.docs_dir, uris)
        spliced = self._splice(previous) if written else False
        for path in pages:
            record = found[path.resolve().relative_to(docs).as_posix()]
            if record is None:
                self.page_errors[path] = "\n".join(stager.left_out_problems(path))
                self.log(f"ERROR: {self.page_errors[path]}")
            else:
                self.page_errors.pop(path, None)
        self._show_errors()
        shown = ", ".join(p.relative_to(docs).as_posix() for p in pages)
        note = stager.restage_note()
        note = f" ({note})" if note else ""
        if spliced:
            self.log(
                f"{shown}: served in {time.perf_counter() - started:.2f} s{note}; "
                "Zensical's page and the rest of the site follow"
            )
            assert self.watcher is not None  # a newer save is staged at once, not after this build
            self._wait_served(written, before, stop=self.watcher.pending)
        elif written and self._wait_served(written, before):
            self.log(
                f"{shown}: served in {time.perf_counter() - started:.2f} s{note}; "
                "the rest of the site follows"
            )
        elif not written:
            self.log(f"{shown}: nothing to rebuild")

    def _splice(self, previous: dict[str, str | None]) -> bool:
        """Saved pages rendered here and spliced into Zensical's last page (preview/splice.py),
        served before Zensical's rebuild ends; whether any was."""
        assert self.staged is not None and self.copy is not None and self.splicer is not None
        with self.copy.lock:
            own = dict(self.copy.own)
        urls = {uri: url_of(name) for uri, name in own.items()}
        served: list[str] = []
        for uri, before in previous.items():
            after = _text(self.staged.docs_dir / uri)
            if before is None or after is None or before == after or uri not in own:
                continue
            page = self.copy.page_text(own[uri])
            if page is None:
                continue
            try:
                text = self.splicer.splice(uri, own[uri], before, after, page, urls)
            except Exception as exc:  # Zensical's build serves it
                self.log(f"WARNING: {uri} could not be rendered ahead of Zensical: {exc!r}")
                continue
            if text is not None:
                served += self.copy.serve_spliced(own[uri], uri, text)
        if served and self.server is not None:
            self.server.changed(served)
        return bool(served)

    def settle(self) -> bool:
        """The whole site staged again by the same stager: only changed staged files are
        written, Zensical rebuilds those. False when a newer save stopped the wait for them."""
        assert self.staged is not None and self.zensical is not None
        started = time.perf_counter()
        before = time.monotonic()
        assert self.copy is not None
        with self.copy.lock:
            written = restage(self.staged, self.log)
            self.zensical.whole = True  # the settled site is checked whole, not only by events
        self._remember_fronts()
        self.page_errors = {
            p: "\n".join(self.staged.stager.left_out_problems(p)) for p in self.staged.stager.left_out
        }
        self._show_errors()
        if written:
            # A newer save ends the wait: its page is staged at once, not after this build is
            # served (Zensical builds on; its copy serves what it writes, the next round settles).
            assert self.watcher is not None
            if self._wait_served(written, before, stop=self.watcher.pending) is None:
                self.log(
                    f"a newer save: the rest of the site follows it ({len(written)} staged files rewritten)"
                )
                return False
        else:  # no build to copy: the check runs now, not in the next save's copy
            self.zensical.whole = False
            self._zensical_built(None)
        assert self.copy is not None
        held = self.copy.release()  # spliced pages: Zensical's own now, whatever it wrote
        if held:
            self._zensical_built(held)
        self.zensical.prioritise(set())
        self._report()
        seconds = time.perf_counter() - started
        self.log(f"site up to date in {seconds:.1f} s ({len(written)} staged files rewritten)")
        return True

    def _wait_served(self, written: list[Path], since: float, stop: Stop = lambda: False) -> bool | None:
        """Wait until what Zensical makes of the staged files `written` is served: the end of
        its build for pages, and the copy of each other file it copied before to the same path
        (a download, an image: Zensical copies those alone and prints nothing, so a wait for
        an end would last BUILD_TIMEOUT). Where it puts a file it never copied, or whether it
        publishes it, is its own (the blog serves posts/data/x.csv as data/x.csv; hidden files
        are not published): such a file is copied when Zensical writes it, without a wait.
        None when `stop()` turned true first (a newer save)."""
        assert self.staged is not None and self.zensical is not None
        output = self.staged.built_dir
        assert output is not None
        names = {p.relative_to(self.staged.docs_dir).as_posix() for p in written}
        pages = {n for n in names if n.endswith(".md")}
        files = {n for n in names - pages if (output / n).is_file()}
        process = self.zensical
        if (not pages or process.wait_built(since, stop=stop)) and process.wait_copied(
            files, since, stop=stop
        ):
            return True
        if stop():
            return None
        self.log(
            f"WARNING: Zensical's output for {', '.join(sorted(names))} was not served "
            f"within {BUILD_TIMEOUT:.0f} s"
        )
        return False

    def _quiet(self) -> bool:
        assert self.zensical is not None
        return self.zensical.idle()

    # -- helpers -------------------------------------------------------------------------------
    def _report(self) -> None:
        """The execution report, as `finish_site` writes it into the site."""
        assert self.staged is not None
        folder = Path(tempfile.mkdtemp(prefix="techpath-report-", dir=self.work))
        try:
            name = str(self.staged.stager.site.options.report)
            self.staged.stager.write_results(folder, name)
            assert self.copy is not None
            self._report_names = set(files_under(folder))
            self.copy.keep |= self._report_names
            changed = copy_changed(folder, self.served, files_under(folder))
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        if self.server is not None:
            self.server.changed(changed)

    def _remember_fronts(self) -> None:
        assert self.staged is not None
        self.fronts = {p.resolve(): front_matter(p) for p in discover([self.staged.stager.site.docs_dir])}

    def _outside_docs(self) -> list[Path]:
        """The theme's custom folder, the snippets' base paths, the data files pages declare."""
        assert self.staged is not None
        raw = read_config(self.staged.config_file)
        found = []
        theme = raw.get("theme")
        if isinstance(theme, dict) and isinstance(theme.get("custom_dir"), str):
            found.append(Path(theme["custom_dir"]))
        found += self._snippet_paths()
        for record in self.staged.stager.records.pages.values():
            found += list(record.post.inputs)
        return [p for p in found if p.exists()]

    def _snippet_paths(self) -> list[Path]:
        """pymdownx.snippets' base paths (relative to the site's folder, where Zensical runs)."""
        assert self.staged is not None
        found = []
        for entry in read_config(self.staged.config_file).get("markdown_extensions") or []:
            if isinstance(entry, dict) and "pymdownx.snippets" in entry:
                base = (entry["pymdownx.snippets"] or {}).get("base_path", [])
                found += [(self.root / b).resolve() for b in ([base] if isinstance(base, str) else base)]
        return found

    def _show_errors(self) -> None:
        """The errors over every page; the last good page of each page in error kept."""
        assert self.staged is not None and self.copy is not None
        docs = self.staged.stager.site.docs_dir.resolve()
        kept = set()
        for path in self.page_errors:
            uri = path.resolve().relative_to(docs).as_posix()
            page = self.copy.page_of(uri.removesuffix(".ipynb") + ".md" if uri.endswith(".ipynb") else uri)
            if page is not None:
                kept.add(page)
        self.copy.keep = self._report_names | kept
        if self.server is not None:
            self.server.set_error("\n\n".join(self.page_errors[p] for p in sorted(self.page_errors)))


def serve_zensical(config_file: Path, address: str, log) -> int:
    work = Path(tempfile.mkdtemp(prefix="techpath-serve-"))
    preview = ZensicalPreview(config_file, address, work, log)
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        preview.start()
        preview.run()
    except KeyboardInterrupt:
        log("stopped")
    finally:
        preview.close()
        shutil.rmtree(work, ignore_errors=True)
    return 0


def _text(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, ValueError):
        return None


def _die_with_us() -> None:
    """Zensical ends when the preview does, even when it is killed without a chance to stop it."""
    die_with_parent(signal.SIGTERM)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]

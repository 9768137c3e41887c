"""A build's pages from first read to result: load the site's pages into records (broken posts
left out, with their reasons), execute them with the engine in the background, hand each page's
result over once (failures reported once), and re-read saved pages while serving."""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from techpath import environment
from techpath.config import discover
from techpath.engine import Engine, RunInBackground
from techpath.model import PageResult, Post
from techpath.parse import load_post
from techpath.parse.gate import lint_checks, lint_site, load_checked_post
from techpath.parse.notebook import notebook_markdown
from techpath.render.downloads import download_name
from techpath.report import output_warnings, write_report
from techpath.safety import site as safety
from techpath.safety.policy import Profile
from techpath.safety.prose import ProseCheck
from techpath.safety.prose_memo import remembered, save_memo
from techpath.site.pages import PathEntry
from techpath.site.path_sections import PathSections
from techpath.stage import early_launch
from techpath.stage.boxes import box_titles_of
from techpath.stage.structure import Downloads, PageRecord, SiteRecords

if TYPE_CHECKING:
    from techpath.stage.stager import Stager

Log = Callable[[str], None]

FRONT = re.compile(r"\A(---\s*\n.*?\n---\s*\n)", re.S)
WORDS_PER_MINUTE = 265  # what Material's blog assumes for read time


class PageLifecycle:
    """The records of one build and their results; the engine is the Stager's (a front end may
    hand it over from an earlier staging)."""

    def __init__(self, stager: Stager) -> None:
        self.stager = stager
        self.records = SiteRecords()
        self.run: RunInBackground | None = None
        self.reported: set[str] = set()  # pages whose result was handed over (and failures logged)
        self._restaged = False  # the last `restage` started a run: `restage_note` reports it
        self.sections = PathSections()
        self.notebooks: set[str] = set()
        self.left_out: set[Path] = set()  # posts kept out of the site (never staged or copied)
        self._left_out_why: dict[Path, list[str]] = {}
        self.rules: Profile | None = None  # the site's HTML policy (set by `load`)
        # the prose check, kept across the loads of a site with the same settings (`techpath
        # serve` loads the site again after each save: only changed prose is rendered again)
        self.prose: ProseCheck | None = None

    def load(self, pages: Iterable[tuple[str, Path]]) -> SiteRecords:
        """Parse every page (docs-relative path, file); broken posts are left out, with an error."""
        site = self.stager.site
        self.records, self.reported, self.run = SiteRecords(), set(), None
        self.left_out = set()
        self._left_out_why = {}
        opts = site.options
        self.policy = site.run_policy()
        fresh = site.prose_check()
        if self.prose is None or not self.prose.same_settings(fresh):
            # the site's policy or extensions changed (or a first load): the memos are not
            # theirs; the new check reads the unchanged pages' findings of the last build
            # (safety/prose_memo.py)
            self.prose = remembered(fresh, self.stager.settings.cache_dir)
        self.prose.forget_unused()
        self.rules = self.prose.rules
        self.sections = PathSections.from_config(opts.path_sections, sorted(site.schema.categories))
        pages = list(pages)
        markdown = {uri: path for uri, path in pages if uri.endswith(".md")}
        for uri, path in pages:
            twin = markdown.get(uri.removesuffix(".ipynb") + ".md") if uri.endswith(".ipynb") else None
            if twin is not None:  # both would be the page x.md: the Markdown page is built
                self.stager.error(
                    f"{shown_path(path)}: {shown_path(twin)} is in the same folder, and both would be "
                    f"the same page; {twin.name} is built and this notebook is left out: rename one, "
                    "or leave one out of the site (MkDocs' `exclude_docs`)"
                )
                continue
            record = self._record(uri, path)
            if record is not None:
                self.records.add(record)
        save_memo(self.prose)
        # notebooks by their own names (docs paths), for nav entries and links to point at pages
        self.notebooks = {
            r.uri.removesuffix(".md") + ".ipynb"
            for r in self.records.pages.values()
            if r.source.suffix == ".ipynb"
        }
        posts = [r.post for r in self.records.posts()]
        for problem in lint_site(posts, max_code_line=int(opts.max_code_line)):
            self.stager.error(str(problem))
        return self.records

    def _record(self, uri: str, path: Path, lint: bool = True) -> PageRecord | None:
        """The page's record, or None when it is left out. `lint=False`: the lint's problems are
        the caller's to add (`_lint`), unless the page is left out (nothing of it runs)."""
        site, error = self.stager.site, self.stager.error
        is_post = site.is_post(path)
        schema = site.schema if is_post else None
        post = load_checked_post(shown_path(path), schema, self.policy, site.snippets, self.prose, lint)
        blocked = safety.blocking_problems(post, site.root) if is_post else []
        if not lint and is_post and (unrenderable(post) or blocked):
            post.problems += lint_checks(post, schema, self.prose, site.snippets)
        for problem in post.problems:
            error(str(problem))
        for problem in blocked:
            if not any(problem.message in p.message for p in post.problems):
                error(str(problem))
        if is_post and (unrenderable(post) or blocked):
            self.left_out.add(path.resolve())
            why = [str(p) for p in post.problems] + [
                str(p) for p in blocked if str(p) not in map(str, post.problems)
            ]
            self._left_out_why[path.resolve()] = why or [f"{post.display_path}: no valid front matter"]
            error(f"{post.display_path}: left out of the site until its front matter is fixed")
            return None
        markdown = notebook_markdown(path) if path.suffix == ".ipynb" else post.text
        staged_uri = uri[: -len(".ipynb")] + ".md" if uri.endswith(".ipynb") else uri
        record = PageRecord(staged_uri, path, post, markdown)
        if is_post:
            record.entry = PathEntry.from_post(staged_uri, post)
            record.entry.box_titles = box_titles_of(markdown)
            record.entry.readtime = read_minutes(markdown)
            record.downloads = Downloads.for_name(download_name(post))
        return record

    def start(self) -> None:
        """Start executing every page with code (in the background)."""
        if self.stager.execute:
            engine = self.engine()
            engine.started = dt.datetime.now().timestamp()
            engine.used_keys = set()
            self.run = engine.start([r.post for r in self.records.executable()])

    def engine(self) -> Engine:
        """The Stager's engine, a new one when there is none or the settings changed."""
        stager = self.stager
        if stager.engine is None or stager.engine.settings != stager.settings:
            self.close_engine()
            stager.engine = Engine(stager.settings, log=stager.info)
        return stager.engine

    def restage(self, pages: Iterable[tuple[str, Path]]) -> tuple[dict[str, PageRecord | None], list[str]]:
        """Pages read again after a build: each record replaced and the ones with code executed
        together in the background. Returns docs path -> the new record (None: left out), and
        the docs paths of the records replaced (what later rooms must forget)."""
        found: dict[str, PageRecord | None] = {}
        replaced: list[str] = []
        for uri, path in pages:
            self.left_out.discard(path.resolve())
            record = self._record(uri, path, lint=False)
            found[uri] = record
            if record is None:
                continue
            self.records.add(record)
            self.reported.discard(record.uri)
            replaced.append(record.uri)
        runs = [r.post for r in found.values() if r is not None and r.post.runs]
        if self.stager.execute and runs:
            self.run = self.engine().start(runs)
        self._restaged = bool(self.stager.execute and runs)
        # The lint (it renders the page's prose) runs while the saved page executes in the warm
        # process, not before it starts: a code edit waits for the longer of the two.
        for record in found.values():
            if record is not None:
                self._lint(record)
        return found, replaced

    def _lint(self, record: PageRecord) -> None:
        """The lint's problems of a page read with `lint=False`, added and reported."""
        site = self.stager.site
        schema = site.schema if site.is_post(record.source) else None
        problems = lint_checks(record.post, schema, self.prose, site.snippets)
        record.post.problems += problems
        for problem in problems:
            self.stager.error(str(problem))

    def restage_note(self) -> str:
        """What the last `restage` executed, once it is done ("" if it had no code to run)."""
        engine = self.stager.engine
        if not self._restaged or self.run is None or engine is None:
            return ""
        self._restaged = False
        self.run.wait()
        stats, pid = engine.last_stats, engine.warm_pid()
        where = f"; warm process {pid}" if pid is not None else ""
        pages = "page" if stats.executed == 1 else "pages"
        return f"executed {stats.executed} {pages}, {stats.from_cache} from cache{where}"

    def left_out_problems(self, path: Path) -> list[str]:
        """Why the page at `path` is left out of the site (empty if it is not)."""
        return self._left_out_why.get(path.resolve(), []) if path.resolve() in self.left_out else []

    def prewarm(self, always: bool = False) -> None:
        """Start the warm parent's imports now, so they overlap the generator reading the site;
        not when every page's result is cached already (a warm build executes nothing, and the
        imports cost it about 4 CPU s of our site's 16), unless `always` (`mkdocs serve`: the
        first edit should find the warm parent ready)."""
        if self.stager.execute:
            engine = self.engine()
            if always or not engine.all_cached(self.parsed_pages()):
                engine.prewarm()
                early_launch.settle(used=True)
            else:
                early_launch.settle(used=False)

    def parsed_pages(self) -> Iterable[Post]:
        """The site's pages parsed only (no lint), with the site's run policy: what `load` will
        give the engine."""
        site = self.stager.site
        policy = site.run_policy()
        for path in discover([site.docs_dir]):
            schema = site.schema if site.is_post(path) else None
            yield policy.apply(load_post(shown_path(path), schema, site.snippets))

    def result(self, record: PageRecord) -> PageResult | None:
        """The page's result, waiting for it if it is still executing; failures logged once."""
        if record.uri in self.reported:
            return record.result
        if self.run is None or not record.post.runs:
            return None
        result = self.run.result(record.post.display_path)
        self.reported.add(record.uri)
        record.take_result(result)
        for error in result.errors if result else []:
            self.stager.error(error.headline() + ("\n" + error.traceback if error.traceback else ""))
        for warning in output_warnings(result) if result else []:
            self.stager.error(warning)
        return result

    def wait(self) -> dict[str, PageResult]:
        """Every result (pages never rendered still report their failures)."""
        for record in self.records.executable():
            self.result(record)
        return {r.post.display_path: r.result for r in self.records.executable() if r.result}

    def write_results(self, site_dir: Path, report_name: str) -> None:
        """The execution report in the built site, and (when $TECHPATH_RESULTS names a file) a
        portable result snapshot for `techpath diff` (diff/snapshot.py)."""
        results = self.wait()
        if not results:
            return
        write_report(site_dir / report_name, results)
        target = environment.results_file()
        if target:
            from techpath.diff.snapshot import write_snapshot

            posts = {r.post.display_path: r.post for r in self.records.executable()}
            write_snapshot(target, results, posts)

    def close_engine(self) -> None:
        if self.stager.engine is not None:
            self.stager.engine.close()
            self.stager.engine = None


def read_minutes(markdown: str) -> int:
    """Minutes to read a page's prose and code, at the pace Material's blog assumes."""
    words = len(re.findall(r"\w+", FRONT.sub("", markdown)))
    return max(1, math.ceil(words / WORDS_PER_MINUTE))


def unrenderable(post: Post) -> bool:
    """Front matter the blog plugin would crash on: missing, unparsable, or without a date."""
    return not post.meta or not isinstance(post.meta.get("date"), dt.date)


def shown_path(path: Path) -> Path:
    """Relative to the working folder when possible, so messages read docs/blog/posts/x.md:42."""
    try:
        return path.resolve().relative_to(Path.cwd().resolve())
    except ValueError:
        return path

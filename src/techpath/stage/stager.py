"""The staging code's front door: load the site's pages into records, execute them with the
engine, and turn each page into generator-neutral Markdown. The MkDocs plugin calls
`page_markdown` page by page; `techpath stage` calls `write_tree` and gets a docs folder any
generator can build. The `Stager` coordinates three rooms, one job each:

- stage/lifecycle.py, `PageLifecycle`: records, the engine's run, results, waiting;
- stage/assembly.py, `PageAssembly`: a page's staged Markdown, placeholders, its HTML phase,
  with stage/parts.py, `PageParts`, rendering the parts (outputs, views, post top, sections);
- stage/tree.py, `TreeWriter`: the staged tree, downloads and figures."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from techpath.config import SiteSettings
from techpath.engine import Engine, Settings
from techpath.model import PageResult, Post
from techpath.render.mdexec import Heading, SiteMarkdown
from techpath.safety.files import FileGate
from techpath.safety.svg import evict_unused
from techpath.site.path_sections import PathSections
from techpath.stage.assembly import Link, PageAssembly
from techpath.stage.finish import RegionMarkers
from techpath.stage.lifecycle import PageLifecycle
from techpath.stage.parts import PageParts
from techpath.stage.structure import PageRecord, SiteRecords
from techpath.stage.tree import TreeWriter

Log = Callable[[str], None]


class Stager:
    """Owns the records of one site; reuse it across builds (`load` starts a new build). Front
    ends set its settings (the attributes of `__init__`) and call its methods."""

    def __init__(
        self,
        site: SiteSettings,
        settings: Settings,
        *,
        execute: bool = True,
        katex_dir: Path | None = None,
        repo_url: str | None = None,
        site_url: str | None = None,
        info: Log = print,
        error: Log = print,
    ) -> None:
        self.site = site
        self.settings = settings
        self.execute = execute
        self.katex_dir = katex_dir
        self.repo_url, self.site_url = repo_url, site_url
        self.info, self.error = info, error
        self.engine: Engine | None = None
        # The MkDocs plugin: what a page's result decides (output panels, the post top, the
        # report) is staged as placeholders that `resolve` fills into the rendered HTML, and a
        # page that can (`stage_early`) is staged before its result is in, so MkDocs converts
        # every page while the warm parent imports instead of waiting for each result in turn.
        self.placeholders = False
        self.stage_early = True
        # what of the docs folder besides its pages reaches the staged tree (safety/files.py)
        self.gate: FileGate | None = None
        self.site_markdown: SiteMarkdown | None = None  # the site's extensions, for views
        self.lifecycle = PageLifecycle(self)
        self.assembly = PageAssembly(self)
        self.parts = PageParts(self)
        self.tree = TreeWriter(self)

    # -- what the rooms hold ---------------------------------------------------------------
    @property
    def records(self) -> SiteRecords:
        return self.lifecycle.records

    @property
    def notebooks(self) -> set[str]:
        return self.lifecycle.notebooks

    @property
    def left_out(self) -> set[Path]:
        """Posts kept out of the site (never staged or copied)."""
        return self.lifecycle.left_out

    @property
    def sections(self) -> PathSections:
        return self.lifecycle.sections

    @property
    def markers(self) -> RegionMarkers:
        return self.assembly.markers

    @property
    def figure_memo(self) -> Path:
        """Cleaned SVG figures kept between builds, beside the result cache."""
        return self.settings.cache_dir / "clean-figures"

    # -- one build -------------------------------------------------------------------------
    def load(self, pages: Iterable[tuple[str, Path]]) -> SiteRecords:
        """Parse every page (docs-relative path, file); broken posts are left out, with an error."""
        self.assembly.new_build()
        self.parts.reported_views = set()
        return self.lifecycle.load(pages)

    def start(self) -> None:
        """Start executing every page with code (in the background) and the math renderer."""
        self.lifecycle.start()
        self.parts.open_math()

    def restage(self, pages: Iterable[tuple[str, Path]]) -> dict[str, PageRecord | None]:
        """Pages read again after a build (`techpath serve`, a save): each record replaced and
        the ones with code executed together in the background, alone (the cache answers
        unless their code changed); every other page keeps its record and result. Returns
        docs path -> the new record, or None for a page left out (its problems reported)."""
        found, replaced = self.lifecycle.restage(pages)
        for uri in replaced:
            self.assembly.forget(uri)
        self.parts.open_math()
        return found

    def restage_note(self) -> str:
        """What the last `restage` executed, once it is done ("" if it had no code to run):
        the writer sees that only the saved page ran, and in which warm process."""
        return self.lifecycle.restage_note()

    def left_out_problems(self, path: Path) -> list[str]:
        """Why the page at `path` is left out of the site (empty if it is not)."""
        return self.lifecycle.left_out_problems(path)

    def prewarm(self, always: bool = False) -> None:
        """Start the warm parent's imports now (stage/lifecycle.py says when)."""
        self.lifecycle.prewarm(always)

    def parsed_pages(self) -> Iterable[Post]:
        """The site's pages parsed only (no lint): what `load` will give the engine."""
        return self.lifecycle.parsed_pages()

    def result(self, record: PageRecord) -> PageResult | None:
        """The page's result, waiting for it if it is still executing; failures logged once."""
        return self.lifecycle.result(record)

    def wait(self) -> dict[str, PageResult]:
        """Every result (pages never rendered still report their failures)."""
        return self.lifecycle.wait()

    def write_results(self, site_dir: Path, report_name: str) -> None:
        """The execution report in the built site, and maybe a result snapshot."""
        self.lifecycle.write_results(site_dir, report_name)

    # -- one page --------------------------------------------------------------------------
    def page_markdown(self, uri: str, body: str) -> str:
        """The staged Markdown of a page, from its Markdown without front matter."""
        return self.assembly.page_markdown(uri, body)

    def fills_later(self, uri: str) -> bool:
        """Whether the page's result is filled into its rendered HTML (`resolve`)."""
        return uri in self.assembly.filled_later

    def resolve(self, uri: str, html: str, link: Link) -> str:
        """A page's rendered HTML with what its result decides filled in (stage/assembly.py)."""
        return self.assembly.resolve(uri, html, link)

    def page_html(self, uri: str, content: str, link: Link | None = None) -> str:
        """The HTML phase of a page's rendered content (stage/assembly.py)."""
        return self.assembly.page_html(uri, content, link)

    def other_page_html(self, source: Path, content: str) -> str:
        """A page techpath did not load, held to the site's policy (stage/assembly.py)."""
        return self.assembly.other_page_html(source, content)

    def excerpt_markdown(self, uri: str, markdown: str, separator: str) -> str:
        """A post's staged Markdown as its excerpts need it (stage/finish.py)."""
        return self.assembly.excerpt_markdown(uri, markdown, separator)

    def finish_file(self, page_html: str, link: Link | None = None) -> str:
        """A whole HTML file another generator wrote: each page region in it finished."""
        return self.assembly.finish_file(page_html, link)

    def view_headings(self, uri: str) -> list[Heading]:
        """The headings markdown-exec blocks with updatetoc added to the page, in page order."""
        return self.parts.view_headings(self.records.get(uri))

    def markdown_for_views(self) -> SiteMarkdown:
        return self.parts.markdown_for_views()

    # -- files -----------------------------------------------------------------------------
    def files(self) -> dict[str, Path]:
        """Files the pages link to that exist already: docs path -> source (stage/tree.py)."""
        return self.tree.files()

    def figure_files(self, record: PageRecord) -> dict[str, Path]:
        """One page's cleaned figures: docs path -> source."""
        return self.tree.figure_files(record)

    def write_downloads(self, record: PageRecord, docs: Path, page_url: str = "") -> list[str]:
        """Write the post's notebook and script under `docs`; their docs-relative paths."""
        return self.tree.write_downloads(record, docs, page_url)

    def write_tree(self, out: Path) -> list[Path]:
        """The whole staged docs folder in `out`, written where bytes changed."""
        return self.tree.write_tree(out)

    def write_pages(self, out: Path, uris: Iterable[str]) -> list[Path]:
        """Only these pages' staged files in the staged folder `out`."""
        return self.tree.write_pages(out, uris)

    # -- end -------------------------------------------------------------------------------
    def finish(self, keep_engine: bool) -> None:
        """After a build: stop the math renderer, evict unused cache entries (not while serving:
        the next build does), maybe stop the engine."""
        self.close_math()
        run = self.lifecycle.run
        if run is not None and self.engine is not None:
            run.wait()
            stats = self.engine.last_stats
            early = self.assembly.early
            staged_early = f"; {len(early)} staged before their results" if early else ""
            idle = (
                f"; {stats.nothing_to_run} with nothing to run (outside `include`, in `exclude`, or skipped)"
                if stats.nothing_to_run
                else ""
            )
            self.info(
                f"executed {stats.executed} pages, {stats.from_cache} from cache, in {stats.seconds:.1f} s"
                + idle
                + staged_early
            )
            if not keep_engine:  # while serving, a post left out for a moment keeps its entry
                removed = self.engine.evict_unused()
                if removed:
                    self.info(f"evicted {removed} unused cache entries")
                evict_unused(self.figure_memo, unused_since=self.engine.started)
        self.remove_scratch()
        if not keep_engine:
            self.close_engine()

    def cancel(self) -> None:
        """A failed build: its run must not keep executing pages."""
        if self.engine is not None:
            self.engine.cancel()
        self.close_math()

    def remove_scratch(self) -> None:
        self.tree.remove_scratch()

    def close_math(self) -> None:
        self.parts.close_math()

    def close_engine(self) -> None:
        self.lifecycle.close_engine()

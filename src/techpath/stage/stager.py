"""The staging code: load the site's pages into records, execute them with the engine, and turn
each page into generator-neutral Markdown. The MkDocs plugin calls `page_markdown` page by page;
`techpath stage` calls `write_tree` and gets a docs folder any generator can build."""

from __future__ import annotations

import datetime as dt
import enum
import html
import json
import math
import re
import shutil
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import replace
from pathlib import Path

from techpath import environment
from techpath.config import SiteSettings, discover
from techpath.engine import Engine, RunInBackground, Settings
from techpath.model import BlockResult, PageResult, Post
from techpath.parse import load_post
from techpath.parse.gate import lint_site, load_checked_post
from techpath.parse.inline import find_spans
from techpath.parse.notebook import notebook_markdown
from techpath.render.api_links import link_names, page_urls
from techpath.render.downloads import download_file, download_links, download_name, write_downloads
from techpath.render.html import render_block
from techpath.render.inline import fill_inline
from techpath.render.markdown import OutputSlots, block_failed, rewrite_markdown, slot_shown
from techpath.render.mdexec import Heading, SiteMarkdown, ViewRenderer
from techpath.report import output_warnings, write_report
from techpath.safety import site as safety
from techpath.safety.files import FileGate, Published
from techpath.safety.policy import STRICT, Profile
from techpath.safety.svg import evict_unused, kept_clean_svg
from techpath.safety.text import HTML_SIGNIFICANT, TEXT_FIELDS
from techpath.site.assets import package_assets
from techpath.site.math import MathRenderer
from techpath.site.pages import SECTION_MARKERS as MARKERS  # the old name until the Stager's split
from techpath.site.pages import (
    PathEntry,
    math_index_html,
    path_html,
    path_list_html,
    place,
    post_end_html,
    post_header_html,
    report_html,
)
from techpath.site.path_sections import PathSections as Stages  # the old name until the Stager's split
from techpath.site.post_top import meta_html, place_html
from techpath.stage.boxes import SOLUTION_OPENING, box_titles_of, convert_boxes, convert_exercises
from techpath.stage.finish import TOC_MARKER, excerpt_source, finish_content, finish_page
from techpath.stage.finish import RegionMarkers as Markers  # the old name until the Stager's split
from techpath.stage.fragments import markdown_html, one_block
from techpath.stage.notebook_links import link_to_pages
from techpath.stage.structure import Downloads, PageRecord, SiteRecords
from techpath.stage.texmath import inert, typeset_markdown

Log = Callable[[str], None]
Link = Callable[[str], str]  # docs path -> URL relative to the page the HTML is shown on


class Slot(enum.Enum):
    """What a placeholder stands for when it is not a block's output (those are block indices)."""

    POST_TOP = "the post top"
    REPORT = "the execution report"


_FRONT = re.compile(r"\A(---\s*\n.*?\n---\s*\n)", re.S)
WORDS_PER_MINUTE = 265  # what Material's blog assumes for read time


class Stager:
    """Owns the records of one site; reuse it across builds (`load` starts a new build)."""

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
        self._info, self._error = info, error
        self.engine: Engine | None = None
        self.records = SiteRecords()
        self._run: RunInBackground | None = None
        self._restaged = False  # the last `restage` started a run: `restage_note` reports it
        self._math: MathRenderer | None = None
        self._slots = OutputSlots()
        self._reported: set[str] = set()
        self.markers = Markers.new()
        self._cleaned: set[str] = set()
        self.scratch: Path | None = None  # cleaned figures of this build (see `files`)
        self.stages = Stages()
        self.notebooks: set[str] = set()
        self.left_out: set[Path] = set()  # posts kept out of the site (never staged or copied)
        self._left_out_why: dict[Path, list[str]] = {}
        # The MkDocs plugin: what a page's result decides (output panels, the post top, the
        # report) is staged as placeholders that `resolve` fills into the rendered HTML, and a
        # page that can (`stage_early`) is staged before its result is in, so MkDocs converts
        # every page while the warm parent imports instead of waiting for each result in turn.
        self.placeholders = False
        self.stage_early = True
        # what of the docs folder besides its pages reaches the staged tree (safety/files.py)
        self.gate: FileGate | None = None
        # placeholder -> (page, block index or Slot, is a markdown-exec view's number)
        self._parts: list[tuple[str, int | Slot, bool]] = []
        self.site_markdown: SiteMarkdown | None = None  # the site's extensions, for views
        self._reported_views: set[str] = set()
        self._filled_later: set[str] = set()  # pages with placeholders
        self._early: set[str] = set()  # pages staged before their results
        self._rules: Profile | None = None  # the site's HTML policy (set by `load`)

    # -- one build -------------------------------------------------------------------------
    def load(self, pages: Iterable[tuple[str, Path]]) -> SiteRecords:
        """Parse every page (docs-relative path, file); broken posts are left out, with an error."""
        self.records, self._reported, self._run, self._cleaned = SiteRecords(), set(), None, set()
        self._parts, self._filled_later, self._early = [], set(), set()
        self._reported_views = set()
        self.left_out: set[Path] = set()  # posts kept out of the site (never staged or copied)
        self._left_out_why: dict[Path, list[str]] = {}
        self._slots = OutputSlots()
        opts = self.site.options
        self._policy, self._prose = self.site.run_policy(), self.site.prose_check()
        self._rules = self._prose.rules
        self.stages = Stages.from_config(opts.path_stages, sorted(self.site.schema.categories))
        for uri, path in pages:
            record = self._record(uri, path)
            if record is not None:
                self.records.add(record)
        # notebooks by their own names (docs paths), for nav entries and links to point at pages
        self.notebooks = {
            r.uri.removesuffix(".md") + ".ipynb"
            for r in self.records.pages.values()
            if r.source.suffix == ".ipynb"
        }
        posts = [r.post for r in self.records.posts()]
        for problem in lint_site(posts, max_code_line=int(opts.max_code_line)):
            self._error(str(problem))
        return self.records

    def _record(self, uri: str, path: Path) -> PageRecord | None:
        is_post = self.site.is_post(path)
        post = load_checked_post(
            shown_path(path),
            self.site.schema if is_post else None,
            self._policy,
            self.site.snippets,
            self._prose,
        )
        for problem in post.problems:
            self._error(str(problem))
        blocked = safety.blocking_problems(post, self.site.root) if is_post else []
        for problem in blocked:
            if not any(problem.message in p.message for p in post.problems):
                self._error(str(problem))
        if is_post and (unrenderable(post) or blocked):
            self.left_out.add(path.resolve())
            why = [str(p) for p in post.problems] + [
                str(p) for p in blocked if str(p) not in map(str, post.problems)
            ]
            self._left_out_why[path.resolve()] = why or [f"{post.display_path}: no valid front matter"]
            self._error(f"{post.display_path}: left out of the site until its front matter is fixed")
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
        """Start executing every page with code (in the background) and the math renderer."""
        if self.execute:
            self._ensure_engine()
            assert self.engine is not None
            self.engine.started = dt.datetime.now().timestamp()
            self.engine.used_keys = set()
            self._run = self.engine.start([r.post for r in self.records.executable()])
        self._open_math()

    def _ensure_engine(self) -> None:
        if self.engine is None or self.engine.settings != self.settings:
            self.close_engine()
            self.engine = Engine(self.settings, log=self._info)

    def _open_math(self) -> None:
        if self.katex_dir is not None and self._math is None:
            # formulas typeset by earlier builds are kept beside the result cache
            self._math = MathRenderer(self.katex_dir, memo_file=self.settings.cache_dir / "math.json")

    def restage(self, pages: Iterable[tuple[str, Path]]) -> dict[str, PageRecord | None]:
        """Pages read again after a build (`techpath serve`, a save): each record replaced and
        the ones with code executed together in the background, alone (the cache answers
        unless their code changed); every other page keeps its record and result. Returns
        docs path -> the new record, or None for a page left out (its problems reported)."""
        found: dict[str, PageRecord | None] = {}
        for uri, path in pages:
            self.left_out.discard(path.resolve())
            record = self._record(uri, path)
            found[uri] = record
            if record is None:
                continue
            self.records.add(record)
            for done in (self._reported, self._filled_later, self._early, self._cleaned):
                done.discard(record.uri)
        runs = [r.post for r in found.values() if r is not None and r.post.runs]
        if self.execute and runs:
            self._ensure_engine()
            assert self.engine is not None
            self._run = self.engine.start(runs)
        self._restaged = bool(self.execute and runs)
        self._open_math()
        return found

    def restage_note(self) -> str:
        """What the last `restage` executed, once it is done ("" if it had no code to run):
        the writer sees that only the saved page ran, and in which warm process."""
        if not self._restaged or self._run is None or self.engine is None:
            return ""
        self._restaged = False
        self._run.wait()
        stats, pid = self.engine.last_stats, self.engine.warm_pid()
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
        if self.execute:
            if self.engine is None or self.engine.settings != self.settings:
                self.close_engine()
                self.engine = Engine(self.settings, log=self._info)
            if always or not self.engine.all_cached(self._parsed_pages()):
                self.engine.prewarm()

    def _parsed_pages(self) -> Iterable[Post]:
        """The site's pages parsed only (no lint), with the site's run policy: what `load` will
        give the engine."""
        policy = self.site.run_policy()
        for path in discover([self.site.docs_dir]):
            schema = self.site.schema if self.site.is_post(path) else None
            yield policy.apply(load_post(shown_path(path), schema, self.site.snippets))

    def result(self, record: PageRecord) -> PageResult | None:
        """The page's result, waiting for it if it is still executing; failures logged once."""
        if record.uri in self._reported:
            return record.result
        if self._run is None or not record.post.runs:
            return None
        result = self._run.result(record.post.display_path)
        self._reported.add(record.uri)
        record.take_result(result)
        for error in result.errors if result else []:
            self._error(error.headline() + ("\n" + error.traceback if error.traceback else ""))
        for warning in output_warnings(result) if result else []:
            self._error(warning)
        return result

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

    def wait(self) -> dict[str, PageResult]:
        """Every result (pages never rendered still report their failures)."""
        for record in self.records.executable():
            self.result(record)
        return {r.post.display_path: r.result for r in self.records.executable() if r.result}

    # -- one page --------------------------------------------------------------------------
    def page_markdown(self, uri: str, body: str) -> str:
        """The staged Markdown of a page, from its Markdown without front matter."""
        record = self.records.get(uri)
        if record is None:
            return body
        record.front_lines = _front_lines(record.post.text, body)
        body = link_to_pages(body, uri, self.notebooks)
        if self.site.snippets is not None:  # the code that ran was read from this expansion
            record.body_lines = self.site.snippets.expand(body)
            body = self.site.snippets.page_text(record.body_lines)
        placeholders = self.placeholders and self._run is not None and record.post.runs
        early = placeholders and self._stages_early(record, body)
        result = None if early else self.result(record)
        if placeholders:
            self._filled_later.add(uri)
        slots = self._slots.for_page(uri)
        if record.post.runs:
            body = fill_inline(body, result)  # inline values and claims (render/inline.py)
        blocks = record.post.blocks
        record.views = []
        text = (
            rewrite_markdown(body, slots, result, blocks, early, record.views)
            if "```" in body or "~~~" in body
            else body
        )
        text = convert_boxes(convert_exercises(text))
        text = self._generated_sections(record, text)
        if self._math is not None:
            text, problems = typeset_markdown(text, self._typeset_kept)
            for problem in problems:
                line = _line_of(record.post.text, problem.tex)
                where = f"{record.post.display_path}:{line}" if line else record.post.display_path
                self._error(f"{where}: cannot typeset ${problem.tex}$: {problem.message}")

        def fragment(index: int) -> str:
            return self._placeholder(uri, index) if placeholders else self._output(record, index)

        def view(number: int) -> str:
            return self._placeholder(uri, number, view=True) if placeholders else self._view(record, number)

        text = self._slots.fill(
            text,
            lambda _page, index: self.markers.keep(fragment(index)),
            lambda _page, number: self.markers.keep(view(number)),
            inert_except_images,
        )
        if record.entry is not None:
            top_html = (
                self._placeholder(uri, Slot.POST_TOP)
                if placeholders
                else markdown_html(self._post_top(record))
            )
            top = self.markers.keep(self.markers.top(top_html))
            end = self.markers.keep(markdown_html(self._post_end(record)))
            text = top + TOC_MARKER + "\n\n" + text.lstrip("\n") + "\n\n" + end
        return self.markers.page(uri, text)

    def _stages_early(self, record: PageRecord, body: str) -> bool:
        """Whether the page is staged before its result: only where everything the result
        decides sits in parts `resolve` can fill into the rendered HTML. A `{python}` value is
        prose that Markdown reads (in a heading it names the anchor), so its page waits."""
        if record.uri in self._early:
            return True
        early = (
            self.stage_early
            and record.uri not in self._reported
            and not any(span.kind == "value" for span in find_spans(body))
        )
        if early:
            self._early.add(record.uri)
        return early

    def _placeholder(self, uri: str, index: int | Slot, view: bool = False) -> str:
        self._parts.append((uri, index, view))
        return self.markers.placeholder(len(self._parts) - 1)

    def fills_later(self, uri: str) -> bool:
        """Whether the page's result is filled into its rendered HTML (`resolve`)."""
        return uri in self._filled_later

    def resolve(self, uri: str, html: str, link: Link) -> str:
        """A page's rendered HTML (its content, or a blog excerpt of it) with
        what its result decides filled in, waiting for the result if it is still executing:
        output panels, the post top, a failed solution's box opened, API links. `link` makes
        the figures' and downloads' URLs relative to the page the HTML is shown on (the
        generator has already resolved the rest of the page's links)."""
        record = self.records.get(uri)
        if record is None or uri not in self._filled_later:
            return html
        result = self.result(record)
        pattern = self.markers.placeholders()
        found = [(m.start(), self._parts[int(m[1])]) for m in pattern.finditer(html)]
        for at, (page, index, view) in reversed(found):  # an error is never hidden: its box opens
            if page == uri and isinstance(index, int) and not view and self._failed_solution(record, index):
                html = _opened(html, html.rfind(SOLUTION_OPENING, 0, at))

        def fill(match: re.Match[str]) -> str:
            page, index, view = self._parts[int(match[1])]
            if page != uri:
                return match[0]
            if index is Slot.REPORT:
                return self._report(link)
            if index is Slot.POST_TOP:
                return self._post_top(record, link)
            if view:
                return self._view(record, index, link)
            if not slot_shown(record.post.blocks[index].options, block_failed(result, index)):
                return ""
            return self._output(record, index, link)

        return self._api_links(record, pattern.sub(fill, html))

    def _failed_solution(self, record: PageRecord, index: int) -> bool:
        return record.post.blocks[index].options.exercise == "solution" and block_failed(record.result, index)

    def _typeset_kept(self, tex: str, display: bool) -> tuple[str | None, str | None]:
        assert self._math is not None
        html, error = self._math.render_formula(tex, display)
        return (self.markers.keep(html, block=False) if html is not None else None), error

    def _post_top(self, record: PageRecord, link: Link | None = None) -> str:
        """Above the first paragraph: place on the path, date and times, downloads, header.
        `link`: for HTML filled in after conversion; else links are docs-relative Markdown."""
        entry = record.entry
        assert entry is not None
        top = ""
        where = place(self.records.entries(), record.uri, self.stages)
        path_page = self.site.options.path_page
        to = link or record.link_to
        if where is not None:
            link_html = f"{to(path_page)}#{self.stages.anchor(entry.stage)}" if path_page else ""
            top += place_html(self.stages.short_label(entry.stage), *where, link_html)
        top += meta_html(record.post.meta.get("date"), entry.readtime, record.result)
        downloads = record.downloads
        notebook = downloads.notebook if downloads is not None else ""
        top += download_links(
            record.post, self.repo_url, self.site_url, self._download_href(record, to), notebook
        )
        return top + post_header_html(entry, record.result)

    def _post_end(self, record: PageRecord) -> str:
        entries, path_page = self.records.entries(), self.site.options.path_page
        return post_end_html(entries, record.uri, record.link_to, self.stages, path_page)

    def page_html(self, uri: str, content: str, link: Link | None = None) -> str:
        """The HTML phase of a page's rendered content (see stage/finish.py): the HTML policy on
        its prose, its contents block, API links. A lazily staged page gets its API links in
        `resolve`, which is run here too when `link` is given (a blog excerpt)."""
        record = self.records.get(uri)
        post = record.post if record is not None else None

        def clean(html: str) -> str:
            # reported once per page (a blog index shows the same excerpt again)
            report = self._error if uri not in self._cleaned else (lambda _message: None)
            self._cleaned.add(uri)
            return safety.enforce_prose_policy(html, post, report, self._rules)

        if uri in self._filled_later:
            finished = finish_content(content, self.markers, clean, lambda html: html)
            return self.resolve(uri, finished, link) if link is not None else finished
        return finish_content(content, self.markers, clean, lambda html: self._api_links(record, html))

    def other_page_html(self, source: Path, content: str) -> str:
        """The content of a page made from the docs file `source` that techpath did not load (a
        plugin after ours added or renamed it): held to the site's policy as lint holds that
        file, its problems reported once, with lint's file:line."""
        key = f"other:{source}"
        post = load_checked_post(shown_path(source), None, self._policy, self.site.snippets, self._prose)
        report = self._error if key not in self._cleaned else (lambda _message: None)
        if key not in self._cleaned:
            for problem in post.problems:
                report(str(problem))
        self._cleaned.add(key)
        return safety.enforce_prose_policy(content, post, report, self._rules)

    def _api_links(self, record: PageRecord | None, html: str) -> str:
        if record is None or record.result is None or record.entry is None:
            return html
        result = record.result
        return link_names(html, page_urls((b.names for b in result.blocks), result.versions))

    def excerpt_markdown(self, uri: str, markdown: str, separator: str) -> str:
        """A post's staged Markdown, once its own page is rendered, as its excerpts need it
        (stage/finish.py, `excerpt_source`); other pages' Markdown as it is."""
        record = self.records.get(uri)
        if record is None or record.entry is None:
            return markdown
        return excerpt_source(markdown, separator, self.markers)

    def finish_file(self, page_html: str, link: Link | None = None) -> str:
        """A whole HTML file another generator wrote: each page region in it finished.
        `link`: URLs relative to that file's page, for lazily staged regions (blog excerpts)."""
        return finish_page(page_html, self.markers, lambda uri, region: self.page_html(uri, region, link))[0]

    def _download_href(self, record: PageRecord, to: Link) -> Callable[[str], str]:
        downloads = record.downloads
        assert downloads is not None
        folder = downloads.notebook.rsplit("/", 1)[0]
        name = downloads.notebook.rsplit("/", 1)[1].removesuffix(".ipynb")
        return lambda kind: to(f"{folder}/{download_file(name, kind)}")

    def _output(self, record: PageRecord, index: int, link: Link | None = None) -> str:
        """A block's output panel: as staged Markdown (figures as Markdown images the generator
        links), or with `link` as finished HTML (filled in after conversion)."""
        result = record.result
        if result is None or index >= len(result.blocks):
            return ""
        options = record.post.blocks[index].options
        to = link or record.link_to
        block = result.blocks[index]
        if options.mdexec:  # what it printed is in its view (render/mdexec.py)
            block = replace(
                block, outputs=[o for o in block.outputs if (o.kind, o.name) != ("stream", "stdout")]
            )
        panel = render_block(
            block,
            lambda name: to(record.figures[name].uri),
            show_output=not options.hide_output and not options.hide,
            figure_width=lambda name: record.figures[name].width if name in record.figures else None,
            scope=record.uri,
        )
        panel = one_block(latex_outputs(panel, self._math))
        return markdown_html(panel, images_only=True) if "<img " in panel and link is None else panel

    def _view(self, record: PageRecord, number: int, link: Link | None = None) -> str:
        """A markdown-exec fence as HTML (render/mdexec.py), what is wrong with it reported once
        at its line; the headings it adds to the contents are kept for the generator's ToC."""
        if number >= len(record.views):
            return ""
        slot = record.views[number]
        result = record.result

        def result_of(index: int) -> BlockResult | None:
            return result.blocks[index] if result is not None and index < len(result.blocks) else None

        def clean_svg(data: bytes) -> bytes:  # an SVG a block printed: cleaned like our figures
            return kept_clean_svg(data, self._figure_memo)

        renderer = ViewRenderer(self.markdown_for_views(), result_of, clean_svg, self._rules or STRICT)
        view = renderer.render(slot.fence, slot.first_block, slot.number)
        body_line = slot.fence.start + 1
        line = record.front_lines + (
            record.body_lines.page_line(body_line) if record.body_lines else body_line
        )
        for problem in view.problems:
            message = f"{record.post.display_path}:{line}: {problem}"
            if message not in self._reported_views:
                self._reported_views.add(message)
                self._error(message)
        record.view_headings[number] = view.headings
        if not view.html.strip():
            return ""
        html = view.html
        if self._math is not None:
            html, _ = self._math.render_html(html)
        return one_block(f'<div class="techpath-mdexec">{html}</div>')

    def markdown_for_views(self) -> SiteMarkdown:
        """The site's Markdown extensions: the generator's own when it gave them (the MkDocs
        plugin), else those mkdocs.yml lists."""
        if self.site_markdown is None:
            self.site_markdown = SiteMarkdown(self.site.markdown_extensions)
        return self.site_markdown

    def view_headings(self, uri: str) -> list[Heading]:
        """The headings markdown-exec blocks with updatetoc added to the page, in page order."""
        record = self.records.get(uri)
        if record is None:
            return []
        return [h for _n, found in sorted(record.view_headings.items()) for h in found]

    def _generated_sections(self, record: PageRecord, text: str) -> str:
        if "<!-- techpath:" not in text:
            return text
        entries = self.records.entries()

        def finish(fragment: str) -> str:
            if self._math is not None:
                fragment, _ = self._math.render_html(fragment)
            return self.markers.keep(markdown_html(fragment))

        link, stages = record.link_to, self.stages
        if MARKERS["path"] in text:
            text = text.replace(MARKERS["path"], finish(path_html(entries, link, stages)))
        if MARKERS["path-list"] in text:
            text = text.replace(MARKERS["path-list"], finish(path_list_html(entries, link, stages)))
        if MARKERS["math-index"] in text:
            text = text.replace(MARKERS["math-index"], finish(math_index_html(entries, link, stages)))
        if MARKERS["report"] in text:
            if self.placeholders and self._run is not None:  # every result: filled in by `resolve`
                self._filled_later.add(record.uri)
                report = self.markers.keep(self._placeholder(record.uri, Slot.REPORT))
                text = text.replace(MARKERS["report"], report)
            else:
                text = text.replace(MARKERS["report"], finish(self._report(record.link_to)))
        return text

    def _report(self, link: Link) -> str:
        """The execution report's table, waiting for every result."""
        self.wait()
        rows = [
            (r.entry.title if r.entry else _title(r), link(r.uri), r.result)
            for r in self.records.executable()
            if r.result is not None
        ]
        return report_html(rows)

    # -- files -----------------------------------------------------------------------------
    def files(self) -> dict[str, Path]:
        """Files the pages link to (the package's stylesheets and fonts, figures) that exist
        already: docs path -> source.
        Figures are copies in `scratch`, an SVG rebuilt without anything active (a figure that
        cannot be cleaned is left out, with an error)."""
        found = package_assets(self.katex_dir)
        for record in self.records.pages.values():
            found.update(self.figure_files(record))
        return found

    def figure_files(self, record: PageRecord) -> dict[str, Path]:
        """One page's cleaned figures: docs path -> source."""
        found: dict[str, Path] = {}
        for figure in record.figures.values():
            if self.scratch is None:
                self.scratch = Path(tempfile.mkdtemp(prefix="techpath-figures-"))
            target = self.scratch / figure.uri
            if not target.exists():
                safety.write_figure(figure.source, target, self._error, self._figure_memo)
            if target.exists():
                found[figure.uri] = target
        return found

    @property
    def _figure_memo(self) -> Path:
        """Cleaned SVG figures kept between builds, beside the result cache."""
        return self.settings.cache_dir / "clean-figures"

    def write_downloads(self, record: PageRecord, docs: Path, page_url: str = "") -> list[str]:
        """Write the post's notebook and script under `docs`; their docs-relative paths.
        `page_url`: the post's URL relative to the site (the script names its post)."""
        if record.downloads is None:
            return []
        where = Path(record.downloads.notebook).parent
        folder = docs / where
        base = (self.site_url or "").rstrip("/")
        post_url = f"{base}/{page_url.lstrip('/')}" if base and page_url else ""
        folder_url = f"{base}/{where.as_posix()}/" if base else ""
        write_downloads(
            record.post, record.result, folder, self.site_url, self._figure_memo, post_url, folder_url
        )
        return sorted(p.relative_to(docs).as_posix() for p in folder.iterdir() if p.is_file())

    def write_tree(self, out: Path) -> list[Path]:
        """The whole staged docs folder in `out`. Only files whose bytes change are written (a
        generator watching `out` then rebuilds only what changed); stale files are removed.
        Returns the files written."""
        wanted: dict[Path, bytes | Path] = {}
        staged = {r.source.resolve() for r in self.records.pages.values()} | self.left_out
        docs = self.site.docs_dir.resolve()
        for path in docs.rglob("*"):
            if path.is_file() and path.resolve() not in staged:
                rel = path.relative_to(docs)
                published = self.gate.publish(rel.as_posix(), path) if self.gate else Published(path)
                for problem in published.problems:
                    self._error(str(problem))
                if published.source is not None or published.data is not None:
                    wanted[out / rel] = published.data if published.data is not None else path
        downloads = out.parent / (out.name + ".downloads")
        for record in self.records.pages.values():
            wanted.update(self._staged_files(record, out, downloads))
        for uri, source in self.files().items():
            wanted[out / uri] = source
        written = [path for path, content in wanted.items() if _write_if_changed(path, content)]
        if out.exists():
            for path in out.rglob("*"):
                if path.is_file() and path not in wanted:
                    path.unlink()
        shutil.rmtree(downloads, ignore_errors=True)
        return written

    def write_pages(self, out: Path, uris: Iterable[str]) -> list[Path]:
        """Only these pages' staged files (page, downloads, figures) in the staged folder `out`,
        where their bytes changed (`techpath serve`, after `restage`). Returns the files written."""
        wanted: dict[Path, bytes | Path] = {}
        downloads = out.parent / (out.name + ".downloads-pages")
        for uri in uris:
            record = self.records.get(uri)
            if record is not None:
                wanted.update(self._staged_files(record, out, downloads))
                wanted.update({out / name: source for name, source in self.figure_files(record).items()})
        written = [path for path, content in wanted.items() if _write_if_changed(path, content)]
        shutil.rmtree(downloads, ignore_errors=True)
        return written

    def _staged_files(self, record: PageRecord, out: Path, downloads: Path) -> dict[Path, bytes | Path]:
        """A page's staged Markdown (front matter escaped) and its downloads."""
        match = _FRONT.match(record.markdown)
        front = match[1] if match else ""
        body = record.markdown[len(front) :]
        front = escaped_front_matter(front, record.post.meta)
        found: dict[Path, bytes | Path] = {
            out / record.uri: (front + self.page_markdown(record.uri, body)).encode("utf-8")
        }
        for uri in self.write_downloads(record, downloads):
            found[out / uri] = downloads / uri
        return found

    # -- end -------------------------------------------------------------------------------
    def finish(self, keep_engine: bool) -> None:
        """After a build: stop the math renderer, evict unused cache entries (not while serving:
        the next build does), maybe stop the engine."""
        self.close_math()
        if self._run is not None and self.engine is not None:
            self._run.wait()
            stats = self.engine.last_stats
            early = f"; {len(self._early)} staged before their results" if self._early else ""
            self._info(
                f"executed {stats.executed} pages, {stats.from_cache} from cache, in {stats.seconds:.1f} s"
                + early
            )
            if not keep_engine:  # while serving, a post left out for a moment keeps its entry
                removed = self.engine.evict_unused()
                if removed:
                    self._info(f"evicted {removed} unused cache entries")
                evict_unused(self._figure_memo, unused_since=self.engine.started)
        self.remove_scratch()
        if not keep_engine:
            self.close_engine()

    def cancel(self) -> None:
        """A failed build: its run must not keep executing pages."""
        if self.engine is not None:
            self.engine.cancel()
        self.close_math()

    def remove_scratch(self) -> None:
        if self.scratch is not None:
            shutil.rmtree(self.scratch, ignore_errors=True)
            self.scratch = None

    def close_math(self) -> None:
        if self._math is not None:
            self._math.close()
            self._math = None

    def close_engine(self) -> None:
        if self.engine is not None:
            self.engine.close()
            self.engine = None


_LATEX_OUTPUT = re.compile(r'<pre class="techpath-result techpath-latex"><code>(.*?)</code></pre>', re.S)
_DELIMITERS = (("$$", "$$", True), ("\\[", "\\]", True), ("$", "$", False), ("\\(", "\\)", False))


def latex_outputs(panel: str, typesetter: MathRenderer | None) -> str:
    """`text/latex` outputs (sympy, IPython.display.Latex) typeset as Jupyter shows them; one
    KaTeX cannot read stays LaTeX source."""
    if typesetter is None or "techpath-latex" not in panel:
        return panel

    def typeset(match: re.Match[str]) -> str:
        tex = html.unescape(match.group(1)).strip()
        for start, end, display in _DELIMITERS:
            if tex.startswith(start) and tex.endswith(end) and len(tex) > len(start) + len(end):
                rendered, error = typesetter.render_formula(tex[len(start) : -len(end)], display)
                if rendered is not None and error is None:
                    return f'<div class="techpath-result techpath-latex">{rendered}</div>'
                break
        return match.group(0)

    return _LATEX_OUTPUT.sub(typeset, panel)


def _opened(html: str, box: int) -> str:
    """`html` with the solution box that starts at `box` open (unless it already is: a page
    staged after its result has it open; -1: no box)."""
    if box < 0:
        return html
    end = box + len(SOLUTION_OPENING)
    if re.search(r"\sopen\b", html[box : html.find(">", box) + 1]):
        return html
    return html[:end] + " open" + html[end:]


def escaped_front_matter(front: str, meta: dict) -> str:
    """The front matter with its displayed text fields HTML-escaped, for a generator that runs
    no plugin of ours (the templates print them unescaped; see safety/text.py). Each such field
    is written again as one JSON string, which YAML reads as the same scalar."""
    for name in TEXT_FIELDS:
        value = meta.get(name)
        # A title's apostrophes and ampersands stay: the blog makes its URL from the title, and
        # as text they cannot open a tag; < > and " can (and " ends an attribute).
        dangerous = set('<>"') if name == "title" else HTML_SIGNIFICANT
        if not isinstance(value, str) or not dangerous & set(value):
            continue
        line = re.compile(rf"^{name}:.*(?:\n[ \t]+.*)*$", re.M)
        replacement = f"{name}: {json.dumps(html.escape(value, quote=True))}"
        front = line.sub(lambda _m, text=replacement: text, front, count=1)
    return front


def _write_if_changed(path: Path, content: bytes | Path) -> bool:
    data = content.read_bytes() if isinstance(content, Path) else content
    if path.is_file() and path.stat().st_size == len(data) and path.read_bytes() == data:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return True


def inert_except_images(fragment: str) -> str:
    """Our HTML, its text out of Markdown's reach (`inert`), but for the Markdown images of
    figures, which the generator must still link."""
    images = re.compile(r"(!\[[^\]]*\]\([^)]*\)(?:\{[^}]*\})?)")
    parts = images.split(fragment)
    return "".join(part if number % 2 else inert(part) for number, part in enumerate(parts))


def _front_lines(text: str, body: str) -> int:
    """How many lines of the page's file stand before `body` (its Markdown without the front
    matter, as a generator hands it over): 0 when it is not the file's end."""
    return text.count("\n") - body.count("\n") if text.endswith(body) else 0


def _line_of(text: str, needle: str) -> int:
    """1-based line of `needle` in the source (0 when not found: a notebook's JSON, say)."""
    index = text.find(needle)
    return text.count("\n", 0, index) + 1 if index >= 0 else 0


def _title(record: PageRecord) -> str:
    return str(record.post.meta.get("title") or record.post.path.stem)


def read_minutes(markdown: str) -> int:
    """Minutes to read a page's prose and code, at the pace Material's blog assumes."""
    words = len(re.findall(r"\w+", _FRONT.sub("", markdown)))
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

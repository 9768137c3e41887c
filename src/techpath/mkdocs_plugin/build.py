"""MkDocs adapter, its heavy half (the hooks MkDocs calls are in __init__.py, which imports this
module in `on_config`): maps MkDocs events onto the staging code (`techpath.stage`), which owns one
record per page and turns each page into the same Markdown `techpath stage` writes for
ProperDocs and Zensical, then finishes the rendered HTML the same way (stage/finish.py). Nothing
is rendered here; what stays MkDocs-specific is when things happen (front matter escaped after
the feed read it, the CSP added to every page the theme writes)."""

from __future__ import annotations

import dataclasses
import html
import logging
import os
import re
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from jinja2 import Environment
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page
from mkdocs.structure.toc import AnchorLink, TableOfContents
from mkdocs.utils import get_relative_url

from techpath import environment
from techpath.config import SiteSettings
from techpath.generators import highlight_memo
from techpath.generators.templates import cache_compiled_templates
from techpath.mkdocs_plugin.log import info, log
from techpath.options import PluginOptions
from techpath.parse.snippets import confined_extension
from techpath.render.mdexec import Heading, SiteMarkdown
from techpath.safety import csp
from techpath.safety import site as safety
from techpath.safety.files import FileGate, docs_outside_problem
from techpath.safety.site import snippet_bases
from techpath.site.assets import csp_sources, missing_extensions, scripts, stylesheets
from techpath.site.search import SEARCH_ATTRIBUTES, SearchIndex
from techpath.site.theme import finish_theme
from techpath.stage.finish import excerpt_separator
from techpath.stage.notebook_links import NotebookNames, nav_to_pages
from techpath.stage.options import engine_settings
from techpath.stage.outside_images import publish_outside_images
from techpath.stage.stager import Stager

_NOTEBOOK_NAMES = NotebookNames()
_PAGES_LOG = logging.getLogger("mkdocs.structure.pages")  # where MkDocs reports a page's links


class MkDocsBuild:
    """One MkDocs build's work, event by event (the plugin's hooks in __init__.py call these
    with what each needs). `engine`, `prose`: the engine and the prose check of the build
    before this one (techpath serve); `markers`: its region markers."""

    def __init__(self, *, is_serve: bool, engine: Any, prose: Any = None, markers: Any = None) -> None:
        self._adopted_prose = prose
        self._adopted_markers = markers
        self._toc_depth = 6
        self.stager: Stager | None = None
        self._scratch: Path | None = None
        self._registered: set[str] = set()
        self._is_serve = is_serve
        self._csp = safety.PagePolicies()
        self._files: Files | None = None
        self._docs_dir: Path | None = None
        self._adopted: Any = engine
        self.published: list[str] = []  # site files written by the pages `restage` read again
        self.options = PluginOptions()  # the validated config as typed options (on_config)
        self._gate: FileGate | None = None
        self._search = SearchIndex()  # what techpath adds to Material's search index
        self._searched = False  # the site has Material's search plugin
        self._unindexed: dict[str, str] = {}  # page -> its content while search reads a copy
        self._images: list[str] = []  # CSP img-src sources of other hosts (safety/site.py)

    def on_config(self, config: MkDocsConfig, options: PluginOptions) -> MkDocsConfig:
        highlight_memo.install()  # each code block through Pygments once per process
        config_file = Path(config.config_file_path)
        root = config_file.parent
        self.options = options  # as MkDocs validated it
        site = SiteSettings.load(root, config_file, options)
        site.docs_dir = Path(config.docs_dir)
        if problem := docs_outside_problem(config_file, site.docs_dir):
            raise PluginError(problem)  # else every page is refused and the build "succeeds"
        settings = engine_settings(root, site.docs_dir, options)
        for problem in safety.snippet_config_problems(config.mdx_configs, root):
            log.error(problem)
        loads = {
            "extra_javascript": list(config.extra_javascript),
            "theme": {"custom_dir": config.theme.custom_dir},
        }
        rules = safety.page_rules(options, site.markdown_extensions)
        self._images = safety.image_sources(options, site.markdown_extensions)
        self._gate = FileGate.for_site(root, site.docs_dir, options.static_allow, loads, rules)
        fatal = self._gate.fatal_problems(safety.snippet_bases(config.mdx_configs))
        if fatal:  # before MkDocs walks the docs folder (it follows symlinks) or includes a snippet
            raise PluginError("\n".join(str(p) for p in fatal))
        katex = (root / options.katex_dir).resolve() if options.typeset_math else None
        config.extra_css[:] = stylesheets(config.extra_css, katex is not None)
        config.extra_javascript[:] = scripts(config.extra_javascript, self.options.content_security_policy)
        config.markdown_extensions.extend(missing_extensions(config.markdown_extensions, config.theme.name))
        _confine_snippets(config, root)
        if self.stager is None:
            self.stager = Stager(site, settings, info=info, error=log.error)
            self.stager.engine, self._adopted = self._adopted, None
            self.stager.lifecycle.prose, self._adopted_prose = self._adopted_prose, None
            if self._adopted_markers is not None:
                self.stager.assembly.markers, self._adopted_markers = self._adopted_markers, None
        self._docs_dir = Path(config.docs_dir).resolve()
        stager = self.stager
        stager.site, stager.settings, stager.katex_dir = site, settings, katex
        stager.execute = options.execute is not False
        # results are filled into the rendered pages, and pages are staged before their results
        # where they can (stage/stager.py); _TECHPATH_STAGE_EARLY=0 waits for each result first
        stager.placeholders = True
        stager.stage_early = environment.stage_early()
        stager.repo_url, stager.site_url = config.repo_url, config.site_url
        # markdown-exec blocks' output is converted with the page's own extensions and settings
        stager.site_markdown = SiteMarkdown(config.markdown_extensions, config.mdx_configs)
        self._toc_depth = _toc_depth(config.mdx_configs.get("toc", {}))
        stager.prewarm(always=self._is_serve)  # its imports overlap MkDocs reading the site
        self._searched = any(name in ("search", "material/search") for name in config.plugins)
        return config

    def on_env(self, env: Environment) -> Environment:
        assert self.stager is not None
        return cache_compiled_templates(env, self.stager.settings.cache_dir / "templates")

    def on_files(self, files: Files, config: MkDocsConfig) -> Files:
        assert self.stager is not None
        self._scratch = Path(tempfile.mkdtemp(prefix="techpath-downloads-"))
        self._registered = set()
        font = config.theme.get("font")  # Material loads Google Fonts unless it is false
        sources = csp_sources(self.options.csp_sources, config.theme.name, font, self._images)
        self._csp = safety.PagePolicies(sources)
        self._gate_files(files, config)
        pages = [f for f in files if f.is_documentation_page() or f.src_uri.endswith(".ipynb")]
        records = self.stager.load((f.src_uri, Path(f.abs_src_path)) for f in pages)
        for file in pages:
            uri = (
                file.src_uri.removesuffix(".ipynb") + ".md"
                if file.src_uri.endswith(".ipynb")
                else file.src_uri
            )
            record = records.get(uri)
            if record is None or record.source != Path(file.abs_src_path):  # left out (or a twin's)
                files.remove(file)
            elif uri != file.src_uri:  # a notebook post becomes the Markdown page it stands for
                # (written to a file: the blog plugin reads posts from disk)
                target = self._scratch / "pages" / uri
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(record.markdown, encoding="utf-8")
                files.remove(file)
                page_file = File.generated(config, uri, abs_src_path=str(target))
                page_file.edit_uri = file.src_uri  # "Edit this page" opens the notebook itself
                files.append(page_file)
        if config.nav is not None:  # notebooks listed by their own names
            config.nav = nav_to_pages(config.nav, self.stager.notebooks)
        _NOTEBOOK_NAMES.notebooks = frozenset(self.stager.notebooks)
        if _NOTEBOOK_NAMES not in _PAGES_LOG.filters:
            _PAGES_LOG.addFilter(_NOTEBOOK_NAMES)
        self.stager.start()
        self._register(files, config)
        self._files = files
        return files

    def _gate_files(self, files: Files, config: MkDocsConfig) -> None:
        """Every file MkDocs read from the docs folder through the gate (safety/files.py):
        symlinks out of the repository and active files the site did not allow are left out,
        allowed SVG and HTML are published cleaned."""
        assert self._gate is not None and self._scratch is not None
        sources = csp_sources(
            self.options.csp_sources,
            config.theme.name,
            config.theme.get("font"),
            self._images,
        )
        tag = csp.meta_tag(csp.policy_text([], sources)) if self.options.content_security_policy else None
        gate = dataclasses.replace(self._gate, csp_tag=tag)
        docs = os.path.normpath(config.docs_dir)
        for file in list(files):
            if file.generated_by is not None or os.path.normpath(file.src_dir or "") != docs:
                continue  # the theme's files and other plugins' are not the pull request's
            published = gate.publish(file.src_uri, Path(file.abs_src_path or ""))
            for problem in published.problems:
                log.error(str(problem))
            if published.source is not None:
                continue
            files.remove(file)
            if published.data is not None:
                target = self._scratch / "static" / file.src_uri
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(published.data)
                files.append(File.generated(config, file.src_uri, abs_src_path=str(target)))

    def on_page_markdown(self, markdown: str, page: Page, config: MkDocsConfig, files: Files) -> str:
        assert self.stager is not None
        staged = self.stager.page_markdown(page.file.src_uri, markdown)
        record = self.stager.records.get(page.file.src_uri)
        staged = self._outside_images(staged, page, record, config, files)
        if record is not None and record.entry is not None:
            # One previous/next block ends a post: ours, in path order (not the theme's footer).
            page.meta["hide"] = [*(page.meta.get("hide") or []), "footer"]
            _same_readtime(page, record.entry.readtime)
        if self.stager.fills_later(page.file.src_uri):
            return staged  # its downloads and figures are published in on_page_context
        if record is not None and record.downloads is not None and self._scratch is not None:
            for uri in self.stager.write_downloads(record, self._scratch, page.url):
                self._add(files, config, uri, self._scratch / uri)
        self._register(files, config)  # its figures, known now that its result is in
        return staged

    def _outside_images(
        self, markdown: str, page: Page, record: Any, config: MkDocsConfig, files: Files
    ) -> str:
        """The page's images from outside the docs folder published from the repository, their
        links rewritten (stage/outside_images.py); each one left out is an error at the page."""
        assert self._gate is not None

        def add(uri: str, content: bytes | Path) -> None:
            if files.get_file_from_path(uri) is not None:
                return
            if isinstance(content, bytes):  # a cleaned SVG; the scratch folder may have gone with
                # the last build (`techpath serve` renders a saved page alone after it)
                if self._scratch is None:
                    self._scratch = Path(tempfile.mkdtemp(prefix="techpath-downloads-"))
                (target := self._scratch / "static" / uri).parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(content)
                content = target
            files.append(File.generated(config, uri, abs_src_path=str(content)))

        source = record.source if record is not None else Path(page.file.abs_src_path or "")
        moved = record.moved if record is not None else None
        return publish_outside_images(markdown, source, page.file.src_uri, self._gate, add, log.error, moved)

    def fill_in(self, context: dict, page: Page, config: MkDocsConfig) -> dict:
        """A page whose result is filled in later: filled in now (waiting for it), its files
        published. Material's search then indexes a copy of it (site/search.py)."""
        assert self.stager is not None
        uri = page.file.src_uri
        if self.stager.fills_later(uri) and isinstance(page.content, str):
            page.content = self.stager.resolve(uri, page.content, self._link_from(page))
            self._publish(uri, config, page.url)
        headings = self.stager.view_headings(uri)
        if headings and isinstance(page.content, str):  # markdown-exec's updatetoc
            page.toc = with_headings(page.toc, page.content, headings, self._toc_depth)
            context["toc"] = page.toc
        if self._searched and isinstance(page.content, str):
            tags = [str(t) for t in page.meta.get("tags") or [] if isinstance(t, str | int | float)]
            self._unindexed[uri] = page.content
            page.content = self._search.page(uri, page.url, page.content, tags)
        return context

    def after_search(self, context: dict, page: Page) -> dict:
        original = self._unindexed.pop(page.file.src_uri, None)
        if original is not None:  # without the search's attributes, as its plugin leaves pages
            page.content = SEARCH_ATTRIBUTES.sub("", original)
        return context

    def _link_from(self, page: Page) -> Callable[[str], str]:
        """docs path -> URL relative to `page` (a page's own URL; any other file's path)."""
        files = self._files

        def link(uri: str) -> str:
            target = files.get_file_from_path(uri) if files is not None else None
            return get_relative_url(target.url if target is not None else uri, page.file.url)

        return link

    def _publish(self, uri: str, config: MkDocsConfig, page_url: str = "") -> None:
        """The downloads and figures of a page whose result was filled in after conversion,
        written into the site: MkDocs copied the site's files before its results came in."""
        assert self.stager is not None
        record = self.stager.records.get(uri)
        if record is None:
            return
        sources: dict[str, Path] = {}
        if record.downloads is not None and self._scratch is not None:
            for name in self.stager.write_downloads(record, self._scratch, page_url):
                sources[name] = self._scratch / name
        sources.update(self.stager.figure_files(record))
        site = Path(config.site_dir)
        for name, source in sources.items():
            if name in self._registered:
                continue
            self._registered.add(name)
            target = site / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
            self.published.append(name)

    def page_content(self, html: str, page: Page, config: MkDocsConfig) -> str:
        assert self.stager is not None
        if self.stager.records.get(page.file.src_uri) is None:  # not a page techpath loaded
            source = _docs_source(page.file, config)
            if source is None:  # another plugin made it (a coverage report): its markup, like the theme's
                return html
            return self.stager.other_page_html(source, html)  # from docs/ (a translation, say)
        return self.stager.page_html(page.file.src_uri, html)

    def escape_front_matter(self, html: str, page: Page, config: MkDocsConfig) -> str:
        safety.escape_meta(page.meta)
        separator = excerpt_separator(config)
        if separator and self.stager is not None and isinstance(page.markdown, str):
            # what the blog's views convert again for each excerpt (stage/finish.py)
            page.markdown = self.stager.excerpt_markdown(page.file.src_uri, page.markdown, separator)
        return html

    def finish_regions(self, output: str, page: Page) -> str:
        assert self.stager is not None
        # Blog views show excerpts of posts: those regions are finished here.
        return finish_theme(self.stager.finish_file(output, self._link_from(page)))

    def add_policy(self, output: str) -> str:
        return self._csp.add(output) if self.options.content_security_policy else output

    def finish_template(self, output_content: str, template_name: str) -> str:
        return finish_theme(output_content) if template_name.endswith(".html") else output_content

    def template_policy(self, output_content: str, template_name: str) -> str:
        if template_name.endswith(".html") and self.options.content_security_policy:
            return self._csp.add(output_content)
        return output_content

    def on_post_build(self, config: MkDocsConfig) -> None:
        assert self.stager is not None
        if self._searched:
            index = Path(config.site_dir) / "search" / "search_index.json"
            self._search.write(index, self.stager.records.entries(), self.stager.sections)
        self.stager.write_results(Path(config.site_dir), self.options.report)
        if self.options.content_security_policy:
            self._csp.finish(Path(config.site_dir))
        self.stager.finish(keep_engine=self._is_serve)
        self._clean_scratch()

    def on_build_error(self) -> None:
        if self.stager is not None:
            self.stager.cancel()

    def on_shutdown(self) -> None:
        if self.stager is not None:
            self.stager.close_engine()
        self._clean_scratch()

    # -- techpath serve: pages built again with the state of the build before --------------
    def release(self) -> None:
        """A build `techpath serve` no longer needs: its files go, its engine stays (whoever
        adopted it owns it now; `on_shutdown` of the last build closes it)."""
        self._clean_scratch()
        if self.stager is not None:
            self.stager.close_math()
            self.stager.remove_scratch()
            self.stager.engine = None

    def page_uri(self, source: Path) -> str | None:
        """The docs path of the page built from `source` (a notebook's Markdown page), if this
        build has one."""
        if (
            self.stager is None
            or self._docs_dir is None
            or not source.resolve().is_relative_to(self._docs_dir)
        ):
            return None
        uri = source.resolve().relative_to(self._docs_dir).as_posix()
        uri = uri.removesuffix(".ipynb") + ".md" if uri.endswith(".ipynb") else uri
        return uri if self.stager.records.get(uri) is not None else None

    def restage(self, sources: list[Path]) -> dict[Path, str]:
        """Read these pages again (a save) before `techpath serve` renders them with this
        build's state; they run again in the background (only a page whose code changed
        executes). Returns why a page cannot be built, for the pages that cannot."""
        assert self.stager is not None and self._docs_dir is not None
        self.published = []
        pages = {p: p.resolve().relative_to(self._docs_dir).as_posix() for p in sources}
        found = self.stager.restage((uri, path) for path, uri in pages.items())
        problems: dict[Path, str] = {}
        for path, uri in pages.items():
            record = found[uri]
            if record is None:
                problems[path] = "\n".join(self.stager.left_out_problems(path))
            elif record.source.suffix == ".ipynb" and self._files is not None:
                # the blog plugin reads a post from its file: the notebook's new Markdown page
                if self._scratch is None:
                    self._scratch = Path(tempfile.mkdtemp(prefix="techpath-downloads-"))
                target = self._scratch / "pages" / record.uri
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(record.markdown, encoding="utf-8")
                page_file = self._files.get_file_from_path(record.uri)
                if page_file is not None:
                    page_file.abs_src_path = str(target)
        return problems

    def end_restage(self) -> str:
        """After `techpath serve` rendered the pages of `restage`: what they executed."""
        self._clean_scratch()
        return self.stager.restage_note() if self.stager is not None else ""

    def _register(self, files: Files, config: MkDocsConfig) -> None:
        assert self.stager is not None
        for uri, source in self.stager.files().items():
            self._add(files, config, uri, source)

    def _add(self, files: Files, config: MkDocsConfig, uri: str, source: Path) -> None:
        if uri not in self._registered:
            self._registered.add(uri)
            files.append(File.generated(config, uri, abs_src_path=str(source)))

    def _clean_scratch(self) -> None:
        # Downloads are copied into the site after the pages render; the scratch folder goes last.
        if self._scratch is not None:
            shutil.rmtree(self._scratch, ignore_errors=True)
            self._scratch = None


def _docs_source(file: File, config: MkDocsConfig) -> Path | None:
    """The file of the docs folder a page was made from (another plugin may have renamed it:
    mkdocs-static-i18n serves `index.fr.md` as the French `index.md`), or None for a page a
    plugin generated from something else."""
    if not file.abs_src_path:
        return None
    source = Path(file.abs_src_path).resolve()
    return source if source.is_relative_to(Path(config.docs_dir).resolve()) else None


def _confine_snippets(config: MkDocsConfig, root: Path) -> None:
    """The site's pymdownx.snippets, as MkDocs will build it, replaced by the same extension
    confined to the repository (parse/snippets.py): techpath expands a page's includes itself,
    but docstrings (mkdocstrings) and other plugins' Markdown go through MkDocs' own pass."""
    name = "pymdownx.snippets"
    if name not in config.markdown_extensions:
        return
    settings = dict(config.mdx_configs.get(name) or {})
    if "base_path" in settings:  # MkDocs' `!relative $config_dir` placeholders, as paths
        settings["base_path"] = snippet_bases({name: settings})
    at = config.markdown_extensions.index(name)
    config.markdown_extensions[at] = confined_extension(settings, root)


def _toc_depth(settings: Any) -> int:
    depth = settings.get("toc_depth", 6) if isinstance(settings, dict) else 6
    return int(str(depth).split("-")[-1]) if str(depth).split("-")[-1].isdigit() else 6


def with_headings(toc: TableOfContents, content: str, headings: list[Heading], depth: int) -> TableOfContents:
    """`toc` with the headings markdown-exec blocks wrote, each where it stands in `content`
    (nested by level, as the toc extension nests the page's own); unchanged when a heading of
    `toc` cannot be found in `content`."""
    existing: dict[str, AnchorLink] = {}
    stack = list(toc)
    while stack:
        anchor = stack.pop()
        existing[anchor.id] = anchor
        stack += anchor.children
    added = {h.id: h for h in headings if h.level <= depth and h.id not in existing}
    order: list[AnchorLink] = []
    for match in re.finditer(r'<h([1-6])\b[^>]*\bid="([^"]+)"', content):
        anchor_id = html.unescape(match[2])
        if anchor_id in existing:
            order.append(existing[anchor_id])
        elif anchor_id in added:
            heading = added.pop(anchor_id)
            order.append(AnchorLink(html.escape(heading.title), heading.id, heading.level))
    if len({a.id for a in order} & existing.keys()) != len(existing):
        return toc
    roots: list[AnchorLink] = []
    parents: list[AnchorLink] = []
    for anchor in order:
        anchor.children = []
        while parents and parents[-1].level >= anchor.level:
            parents.pop()
        (parents[-1].children if parents else roots).append(anchor)
        parents.append(anchor)
    return TableOfContents(roots)


def _same_readtime(page: Page, minutes: int) -> None:
    """The blog's read time is the one techpath shows (words of the source), not a count of
    the rendered HTML, which holds the outputs only once their result is in."""
    post_config = getattr(page, "config", None)
    if post_config is not None and hasattr(post_config, "readtime") and not post_config.readtime:
        post_config.readtime = minutes

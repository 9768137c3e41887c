"""MkDocs adapter: maps MkDocs events onto the staging code (`techpath.stage`), which owns one
record per page and turns each page into the same Markdown `techpath stage` writes for
ProperDocs and Zensical, then finishes the rendered HTML the same way (stage/finish.py). Nothing
is rendered here; what stays MkDocs-specific is when things happen (front matter escaped after
the feed read it, the CSP added to every page the theme writes)."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from jinja2 import Environment
from mkdocs.config import base
from mkdocs.config import config_options as c
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.plugins import BasePlugin, CombinedEvent, event_priority, get_plugin_logger
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page
from mkdocs.utils import get_relative_url

from techpath.config import SiteSettings
from techpath.parse.policy import EXECUTE_MODES, SAVED_OUTPUT_POLICIES, WARNING_POLICIES
from techpath.render import highlight_memo
from techpath.safety import site as safety
from techpath.site.assets import csp_sources, missing_extensions, stylesheets
from techpath.site.pages import name_theme_widgets
from techpath.site.templates import cache_compiled_templates
from techpath.stage.notebook_links import nav_to_pages
from techpath.stage.options import GENERATORS, engine_settings
from techpath.stage.stager import Stager

log = get_plugin_logger(__name__)


class TechpathConfig(base.Config):
    """Options of the `techpath` plugin in mkdocs.yml."""

    execute = c.Choice(EXECUTE_MODES, default=True)
    """Execute Python blocks: true (every block), marked (only blocks marked exec="on", as
    markdown-exec does; notebooks run whole), false (code shown without outputs)."""
    include = c.Type(list, default=[])
    """Globs (relative to docs_dir, `*` crosses folders) of the pages that may run; empty: all."""
    exclude = c.Type(list, default=[])
    """Globs of pages that never run (their code is shown, as with `skip`)."""
    warnings = c.Choice(WARNING_POLICIES, default="error")
    """Deprecation and future warnings: error (the block fails unless the page allows the
    warning under allow_warnings) or show (printed under the block like any other warning)."""
    saved_outputs = c.Choice(SAVED_OUTPUT_POLICIES, default="ignore")
    """Notebooks with outputs saved in them: error, ignore (the build's own outputs are shown),
    or strip (as ignore, and the outputs are removed from the file, as `techpath strip` does)."""
    jobs = c.Type(int, default=0)
    """Pages executed in parallel; 0 means one per CPU core."""
    block_timeout = c.Type((int, float), default=30)
    """Seconds a block may run unless it sets `timeout="..."`."""
    page_timeout = c.Type((int, float), default=300)
    """Seconds a whole page may run."""
    memory_mb = c.Type(int, default=2048)
    """Memory a page may add on top of the warm parent process."""
    refresh = c.Type(bool, default=False)
    """Execute everything even when cached results exist (set TECHPATH_REFRESH=1 via !ENV)."""
    cache_dir = c.Optional(c.Type(str))
    """Result cache; default .cache/techpath (or $TECHPATH_CACHE_DIR)."""
    keep_warm = c.Optional(c.Type((int, float)))
    """Seconds the warm parent waits for the next build (serve, or build after build); default
    600 on a contributor's machine, 0 in CI (CI=true) or as set by TECHPATH_KEEP_WARM."""
    report = c.Type(str, default="techpath-report.json")
    """Where the execution report is written, relative to the site folder."""
    max_description = c.Type(int, default=200)
    """Longest allowed `description` in a post's front matter."""
    katex_dir = c.Type(str, default="node_modules/katex")
    """Where KaTeX is installed (relative to mkdocs.yml); `npm ci` puts it in node_modules/."""
    typeset_math = c.Type(bool, default=True)
    """Typeset arithmatex math with KaTeX at build time."""
    generator = c.Choice(GENERATORS, default="mkdocs")
    """What `make build`/`make serve` build the site with (`techpath build` reads it too)."""
    path_stages = c.Type(list, default=[])
    """Blog categories that form the learning path, in reading order (Stage 1, 2, ...). Other
    categories are sequences of their own (essays)."""
    path_page = c.Optional(c.Type(str))
    """The page holding the learning path (`<!-- techpath:path -->`), linked from every post's
    "Stage 2 · 3 of 7" line."""
    max_code_line = c.Type(int, default=0)
    """Longest allowed line in a post's code blocks, in characters; 0 turns the rule off."""
    content_security_policy = c.Type(bool, default=True)
    """Give every page a Content-Security-Policy <meta> (scripts: the site's files and the
    theme's inline scripts by hash; nothing from other hosts)."""
    csp_sources = c.Type(dict, default={})
    """Extra sources per CSP directive, e.g. {img-src: [https://img.example.org]}."""


def _excerpt_separator(config: MkDocsConfig) -> str | None:
    """The blog's excerpt separator, unless the site's theme overrides the excerpt template
    (which might show all of `post.more`, the rest of the post)."""
    custom = config.theme.custom_dir
    if custom and (Path(custom) / "partials" / "post.html").exists():
        return None
    for plugin in config.plugins.values():
        separator = getattr(getattr(plugin, "config", None), "post_excerpt_separator", None)
        if isinstance(separator, str) and separator:
            return separator
    return None


class TechpathPlugin(BasePlugin[TechpathConfig]):
    supports_multiple_instances = False

    def __init__(self) -> None:
        self._stager: Stager | None = None
        self._scratch: Path | None = None
        self._registered: set[str] = set()
        self._is_serve = False
        self._csp = safety.PagePolicies()
        self._files: Files | None = None
        self._docs_dir: Path | None = None
        self._adopted: Any = None  # the engine of the build before this one (techpath serve)

    def on_startup(self, *, command: str, dirty: bool) -> None:
        self._is_serve = command == "serve"

    def on_config(self, config: MkDocsConfig) -> MkDocsConfig:
        highlight_memo.install()  # each code block through Pygments once per process
        config_file = Path(config.config_file_path)
        root = config_file.parent
        site = SiteSettings.load(root, config_file)
        site.docs_dir = Path(config.docs_dir)
        site.plugin = dict(self.config)  # as MkDocs validated it
        settings = engine_settings(root, site.docs_dir, dict(self.config))
        for problem in safety.snippet_config_problems(config.mdx_configs, root):
            log.error(problem)
        katex = (root / self.config.katex_dir).resolve() if self.config.typeset_math else None
        config.extra_css[:] = stylesheets(config.extra_css, katex is not None)
        config.markdown_extensions.extend(missing_extensions(config.markdown_extensions))
        if self._stager is None:
            self._stager = Stager(site, settings, info=log.info, error=log.error)
            self._stager.engine, self._adopted = self._adopted, None
        self._docs_dir = Path(config.docs_dir).resolve()
        stager = self._stager
        stager.site, stager.settings, stager.katex_dir = site, settings, katex
        stager.execute = self.config.execute is not False
        # results are filled into the rendered pages, and pages are staged before their results
        # where they can (stage/stager.py); TECHPATH_LAZY=0 waits for each result first
        stager.placeholders = True
        stager.stage_early = os.environ.get("TECHPATH_LAZY", "1") != "0"
        stager.repo_url, stager.site_url = config.repo_url, config.site_url
        stager.prewarm(always=self._is_serve)  # its imports overlap MkDocs reading the site
        return config

    def on_env(self, env: Environment, *, config: MkDocsConfig, files: Files) -> Environment:
        assert self._stager is not None
        return cache_compiled_templates(env, self._stager.settings.cache_dir / "templates")

    @event_priority(50)  # before the blog plugin reads posts, so broken posts can be held back
    def on_files(self, files: Files, *, config: MkDocsConfig) -> Files:
        assert self._stager is not None
        self._scratch = Path(tempfile.mkdtemp(prefix="techpath-downloads-"))
        self._registered = set()
        font = config.theme.get("font")  # Material loads Google Fonts unless it is false
        self._csp = safety.PagePolicies(csp_sources(self.config.csp_sources, config.theme.name, font))
        pages = [f for f in files if f.is_documentation_page() or f.src_uri.endswith(".ipynb")]
        records = self._stager.load((f.src_uri, Path(f.abs_src_path)) for f in pages)
        for file in pages:
            uri = (
                file.src_uri.removesuffix(".ipynb") + ".md"
                if file.src_uri.endswith(".ipynb")
                else file.src_uri
            )
            record = records.get(uri)
            if record is None:
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
            config.nav = nav_to_pages(config.nav, self._stager.notebooks)
        self._stager.start()
        self._register(files, config)
        self._files = files
        return files

    def on_page_markdown(self, markdown: str, *, page: Page, config: MkDocsConfig, files: Files) -> str:
        assert self._stager is not None
        staged = self._stager.page_markdown(page.file.src_uri, markdown)
        record = self._stager.records.get(page.file.src_uri)
        if record is not None and record.entry is not None:
            # One previous/next block ends a post: ours, in path order (not the theme's footer).
            page.meta["hide"] = [*(page.meta.get("hide") or []), "footer"]
            _same_readtime(page, record.entry.readtime)
        if self._stager.fills_later(page.file.src_uri):
            return staged  # its downloads and figures are published in on_page_context
        if record is not None and record.downloads is not None and self._scratch is not None:
            for uri in self._stager.write_downloads(record, self._scratch):
                self._add(files, config, uri, self._scratch / uri)
        self._register(files, config)  # its figures, known now that its result is in
        return staged

    @event_priority(100)  # before the search plugin indexes the page's content
    def on_page_context(self, context: dict, *, page: Page, config: MkDocsConfig, nav: Any) -> dict:
        """A page whose result is filled in later: filled in now (waiting for it), its files
        published."""
        assert self._stager is not None
        uri = page.file.src_uri
        if self._stager.fills_later(uri) and isinstance(page.content, str):
            page.content = self._stager.resolve(uri, page.content, self._link_from(page))
            self._publish(uri, config)
        return context

    def _link_from(self, page: Page) -> Callable[[str], str]:
        """docs path -> URL relative to `page` (a page's own URL; any other file's path)."""
        files = self._files

        def link(uri: str) -> str:
            target = files.get_file_from_path(uri) if files is not None else None
            return get_relative_url(target.url if target is not None else uri, page.file.url)

        return link

    def _publish(self, uri: str, config: MkDocsConfig) -> None:
        """The downloads and figures of a page whose result was filled in after conversion,
        written into the site: MkDocs copied the site's files before its results came in."""
        assert self._stager is not None
        record = self._stager.records.get(uri)
        if record is None:
            return
        sources: dict[str, Path] = {}
        if record.downloads is not None and self._scratch is not None:
            for name in self._stager.write_downloads(record, self._scratch):
                sources[name] = self._scratch / name
        sources.update(self._stager.figure_files(record))
        site = Path(config.site_dir)
        for name, source in sources.items():
            if name in self._registered:
                continue
            self._registered.add(name)
            target = site / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)

    def _page_content(self, html: str, *, page: Page, config: MkDocsConfig, files: Files) -> str:
        assert self._stager is not None
        return self._stager.page_html(page.file.src_uri, html)

    @event_priority(-80)  # after the feed plugin (-75) read the raw text, before any template
    def _escape_front_matter(self, html: str, *, page: Page, config: MkDocsConfig, files: Files) -> str:
        safety.escape_meta(page.meta)
        separator = _excerpt_separator(config)
        if separator and self._stager is not None and isinstance(page.markdown, str):
            # what the blog's views convert again for each excerpt (stage/finish.py)
            page.markdown = self._stager.excerpt_markdown(page.file.src_uri, page.markdown, separator)
        return html

    on_page_content = CombinedEvent(_page_content, _escape_front_matter)

    def on_post_page(self, output: str, *, page: Page, config: MkDocsConfig) -> str:
        assert self._stager is not None
        # Blog views show excerpts of posts: those regions are finished here.
        output = name_theme_widgets(self._stager.finish_file(output, self._link_from(page)))
        return self._csp.add(output) if self.config.content_security_policy else output

    def on_post_template(self, output_content: str, *, template_name: str, config: MkDocsConfig) -> str:
        # 404.html and other theme pages are written without on_post_page: they get the CSP too
        if self.config.content_security_policy and template_name.endswith(".html"):
            return self._csp.add(output_content)
        return output_content

    def on_post_build(self, *, config: MkDocsConfig) -> None:
        assert self._stager is not None
        self._stager.write_results(Path(config.site_dir), self.config.report)
        if self.config.content_security_policy:
            self._csp.finish(Path(config.site_dir))
        self._stager.finish(keep_engine=self._is_serve)
        self._clean_scratch()

    def on_build_error(self, *, error: Exception) -> None:
        if self._stager is not None:
            self._stager.cancel()

    def on_shutdown(self) -> None:
        if self._stager is not None:
            self._stager.close_engine()
        self._clean_scratch()

    # -- techpath serve: pages built again with the state of the build before --------------
    def adopt(self, previous: TechpathPlugin) -> None:
        """`techpath serve` builds every round with new plugins: this one takes over the
        previous one's engine (its warm parent and cache), which `release` leaves open."""
        self._adopted = previous._stager.engine if previous._stager is not None else None

    def release(self) -> None:
        """A build `techpath serve` no longer needs: its files go, its engine stays (whoever
        adopted it owns it now; `on_shutdown` of the last build closes it)."""
        self._clean_scratch()
        if self._stager is not None:
            self._stager.close_math()
            self._stager.remove_scratch()
            self._stager.engine = None

    def page_uri(self, source: Path) -> str | None:
        """The docs path of the page built from `source` (a notebook's Markdown page), if this
        build has one."""
        if (
            self._stager is None
            or self._docs_dir is None
            or not source.resolve().is_relative_to(self._docs_dir)
        ):
            return None
        uri = source.resolve().relative_to(self._docs_dir).as_posix()
        uri = uri.removesuffix(".ipynb") + ".md" if uri.endswith(".ipynb") else uri
        return uri if self._stager.records.get(uri) is not None else None

    def restage(self, sources: list[Path]) -> dict[Path, str]:
        """Read these pages again (a save) before `techpath serve` renders them with this
        build's state; they run again in the background (only a page whose code changed
        executes). Returns why a page cannot be built, for the pages that cannot."""
        assert self._stager is not None and self._docs_dir is not None
        pages = {p: p.resolve().relative_to(self._docs_dir).as_posix() for p in sources}
        found = self._stager.restage((uri, path) for path, uri in pages.items())
        problems: dict[Path, str] = {}
        for path, uri in pages.items():
            record = found[uri]
            if record is None:
                problems[path] = "\n".join(self._stager.left_out_problems(path))
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
        return self._stager.restage_note() if self._stager is not None else ""

    def _register(self, files: Files, config: MkDocsConfig) -> None:
        assert self._stager is not None
        for uri, source in self._stager.files().items():
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


def _same_readtime(page: Page, minutes: int) -> None:
    """The blog's read time is the one techpath shows (words of the source), not a count of
    the rendered HTML, which holds the outputs only once their result is in."""
    post_config = getattr(page, "config", None)
    if post_config is not None and hasattr(post_config, "readtime") and not post_config.readtime:
        post_config.readtime = minutes

"""MkDocs adapter: parse pages, run the engine, put outputs and figures into pages, typeset math,
write the execution report. The work itself lives in the engine and renderers."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import shutil
import tempfile
import time
from pathlib import Path

from jinja2 import Environment
from mkdocs.config import base
from mkdocs.config import config_options as c
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.plugins import BasePlugin, CombinedEvent, event_priority, get_plugin_logger
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page
from mkdocs.utils import get_relative_url

from techpath.config import discover, read_authors
from techpath.contrib.lint import lint_site, load_checked_post
from techpath.engine import Engine, RunInBackground, Settings
from techpath.execute.preload import modules_to_preload
from techpath.model import PageResult, Post
from techpath.parse.frontmatter import PostSchema
from techpath.parse.notebook import notebook_markdown
from techpath.render.api_links import link_names, page_urls
from techpath.render.downloads import download_links, write_downloads
from techpath.render.figures import readable_width
from techpath.render.html import render_block
from techpath.render.inline import fill_inline
from techpath.render.markdown import OutputSlots, rewrite_markdown
from techpath.report import write_report
from techpath.safety import site as safety
from techpath.site.math import MathRenderer, katex_asset_paths
from techpath.site.pages import (
    MARKERS,
    PathEntry,
    anchor_math_boxes,
    box_titles,
    math_index_html,
    name_theme_widgets,
    neighbours,
    path_html,
    path_list_html,
    path_nav_html,
    place,
    post_header_html,
    report_html,
)
from techpath.site.post_top import TocItem, meta_html, place_html, toc_html
from techpath.site.stages import Stages
from techpath.site.templates import cache_compiled_templates

log = get_plugin_logger(__name__)
FIGURE_DIR = "assets/figures"


class TechpathConfig(base.Config):
    """Options of the `techpath` plugin in mkdocs.yml."""

    execute = c.Type(bool, default=True)
    """Execute Python blocks. Off: code is shown without outputs (fast previews of prose)."""
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


class TechpathPlugin(BasePlugin[TechpathConfig]):
    supports_multiple_instances = False

    def __init__(self) -> None:
        self._engine: Engine | None = None
        self._math: MathRenderer | None = None
        self._slots = OutputSlots()
        self._posts: dict[str, Post] = {}  # src_uri -> parsed page
        self._results: dict[str, PageResult] = {}  # src_uri -> result
        self._figures: dict[tuple[str, str], str] = {}  # (src_uri, file) -> site path
        self._figure_sources: dict[str, Path] = {}  # site path -> file in the cache
        self._figure_widths: dict[str, int] = {}  # site path -> narrowest readable width (px)
        self._run: RunInBackground | None = None
        self._post_pages: dict[str, str] = {}  # src_uri of each blog post -> its page URL
        self._scratch_dirs: list[Path] = []
        self._entries: dict[str, PathEntry] = {}  # src_uri of each post -> its place on the path
        self._pages: dict[str, Page] = {}
        self._files: Files | None = None
        self._is_serve = False
        self._stages = Stages()

        self._csp = safety.PagePolicies()

    # -- lifecycle ---------------------------------------------------------------------------
    def on_startup(self, *, command: str, dirty: bool) -> None:
        self._is_serve = command == "serve"

    def on_config(self, config: MkDocsConfig) -> MkDocsConfig:
        root = Path(config.config_file_path).parent
        if self.config.typeset_math:
            config.extra_css.insert(0, "assets/katex/katex.min.css")
            self._katex_dir = (root / self.config.katex_dir).resolve()
        settings = self._settings(root, Path(config.docs_dir))
        self._templates_dir = settings.cache_dir / "templates"

        for problem in safety.snippet_config_problems(config.mdx_configs, root):
            log.error(problem)
        if self._engine is None or self._engine.settings != settings:
            self._close_engine()
            self._engine = Engine(settings, log=log.info)
        self._engine.started = time.time()
        self._engine.used_keys = set()
        if self.config.execute:
            self._engine.prewarm()  # its imports overlap MkDocs reading the site
        return config

    def on_env(self, env: Environment, *, config: MkDocsConfig, files: Files) -> Environment:
        return cache_compiled_templates(env, self._templates_dir)

    def on_shutdown(self) -> None:
        self._close_engine()

    def on_build_error(self, *, error: Exception) -> None:
        self._close_math()
        if self._engine is not None:  # a failed build's run must not keep executing pages
            self._engine.cancel()

    # -- files: parse every page, execute, register figures -------------------------------------
    @event_priority(50)  # before the blog plugin reads posts, so broken posts can be held back
    def on_files(self, files: Files, *, config: MkDocsConfig) -> Files:
        self._posts, self._results, self._figures, self._figure_sources = {}, {}, {}, {}
        self._run = None
        self._post_pages, self._entries, self._pages, self._files = {}, {}, {}, files
        self._csp = safety.PagePolicies(self.config.csp_sources)
        schema = self._schema(config)
        posts_dir = Path(config.docs_dir) / "blog" / "posts"
        sources = self._notebook_pages(files, config)
        for file in list(files.documentation_pages()):
            source = sources.get(file.src_uri, Path(file.abs_src_path))
            path = _shown_path(source)
            is_post = source.resolve().is_relative_to(posts_dir.resolve())
            post = load_checked_post(path, schema if is_post else None)
            for problem in post.problems:
                log.error(str(problem))
            blocked = safety.blocking_problems(post, Path(config.config_file_path).parent) if is_post else []
            for problem in blocked:
                if not any(problem.message in p.message for p in post.problems):
                    log.error(str(problem))
            if is_post and (_unrenderable(post) or blocked):
                log.error(f"{post.display_path}: left out of the site until its front matter is fixed")
                files.remove(file)
                continue
            self._posts[file.src_uri] = post
            if is_post:
                self._post_pages[file.src_uri] = ""
                self._entries[file.src_uri] = PathEntry.from_post(file.src_uri, post)
        self._stages = self._read_stages(config)
        posts = [self._posts[uri] for uri in self._post_pages]
        for problem in lint_site(posts, max_code_line=self.config.max_code_line):
            log.error(str(problem))
        if self.config.execute:
            assert self._engine is not None
            self._run = self._engine.start([p for p in self._posts.values() if p.blocks or p.inline])
        if self.config.typeset_math:
            self._math = MathRenderer(self._katex_dir, memo_file=self._templates_dir.parent / "math.json")
            for site_path, source in katex_asset_paths(self._katex_dir).items():
                files.append(File.generated(config, site_path, abs_src_path=str(source)))
        return files

    def _notebook_pages(self, files: Files, config: MkDocsConfig) -> dict[str, Path]:
        """Replace each .ipynb with a generated Markdown page (same look as any post, and the
        blog plugin reads front matter from it). Returns page src_uri -> the notebook."""
        sources: dict[str, Path] = {}
        notebooks = [f for f in files if f.src_uri.endswith(".ipynb")]
        if not notebooks:
            return sources
        folder = Path(tempfile.mkdtemp(prefix="techpath-notebooks-"))
        self._scratch_dirs.append(folder)
        for file in notebooks:
            uri = file.src_uri[: -len(".ipynb")] + ".md"
            target = folder / uri
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(notebook_markdown(Path(file.abs_src_path)), encoding="utf-8")
            files.remove(file)
            files.append(File(uri, str(folder), config.site_dir, config.use_directory_urls))
            sources[uri] = Path(file.abs_src_path)
        return sources

    def _result(self, uri: str) -> PageResult | None:
        """The page's result, waiting for it if it is still executing (pages render while later
        pages execute). Its failures are logged once, here."""
        if uri in self._results:
            return self._results[uri]
        post = self._posts.get(uri)
        if self._run is None or post is None or not (post.blocks or post.inline):
            return None
        result = self._run.result(post.display_path)
        if result is None:
            return None
        self._results[uri] = result
        for error in result.errors:
            log.error(error.headline() + ("\n" + error.traceback if error.traceback else ""))
        for block in result.blocks:
            for output in block.outputs:
                if output.kind == "figure":
                    source = Path(result.figure_dir) / output.data["file"]
                    data = source.read_bytes()
                    digest = hashlib.sha256(data).hexdigest()[:16]
                    site_path = f"{FIGURE_DIR}/{digest}{source.suffix}"
                    self._figures[(uri, output.data["file"])] = site_path
                    if source.suffix == ".svg" and str(output.data.get("width", "")).isdigit():
                        self._figure_widths[site_path] = readable_width(data, int(output.data["width"]))
                    self._figure_sources[site_path] = source
        return result

    # -- pages -------------------------------------------------------------------------------
    def on_page_markdown(self, markdown: str, *, page: Page, config: MkDocsConfig, files: Files) -> str:
        if page.file.src_uri in self._entries:
            self._entries[page.file.src_uri].box_titles = box_titles(markdown)
            # One previous/next block ends a post: ours, in path order (not the theme's footer).
            page.meta["hide"] = [*(page.meta.get("hide") or []), "footer"]
            source = self._posts[page.file.src_uri].path
            if source.suffix == ".ipynb" and page.edit_url:  # edit the notebook, not its stand-in
                page.edit_url = page.edit_url[: -len(".md")] + ".ipynb"
        post = self._posts.get(page.file.src_uri)
        if post is None or not (post.blocks or post.inline):
            return markdown
        result = self._result(page.file.src_uri)
        markdown = fill_inline(markdown, result)  # inline values and claims (render/inline.py)
        return rewrite_markdown(markdown, self._slots.for_page(page.file.src_uri), result)

    def _page_content(self, html: str, *, page: Page, config: MkDocsConfig, files: Files) -> str:
        post = self._posts.get(page.file.src_uri)
        html = safety.enforce_prose_policy(html, post, log.error)  # before outputs join the page
        html = anchor_math_boxes(self._fill_outputs(html, page))
        uri = page.file.src_uri
        self._pages[uri] = page
        if uri in self._post_pages:
            self._post_pages[uri] = page.url
            html = self._post_top(page, config) + html + self._post_end(page)
            result = self._results.get(uri)
            if result is not None:
                html = link_names(html, page_urls((b.names for b in result.blocks), result.versions))
        return html

    def _post_top(self, page: Page, config: MkDocsConfig) -> str:
        uri, entries = page.file.src_uri, list(self._entries.values())
        entry, result = self._entries[uri], self._results.get(uri)
        top = ""
        where = place(entries, uri, self._stages)
        if where is not None:
            link = self._url_from(page)(self.config.path_page) if self.config.path_page else ""
            link = f"{link}#{self._stages.anchor(entry.stage)}" if link and link != "#" else ""
            top += place_html(self._stages.short_label(entry.stage), *where, link)
        readtime = getattr(page.config, "readtime", None) if hasattr(page, "config") else None
        top += meta_html(self._posts[uri].meta.get("date"), readtime, result)
        top += download_links(self._posts[uri], config.repo_url, config.site_url, page.url)
        top += post_header_html(entry, result)
        return top + toc_html(TocItem.from_toc(page.toc))

    def _post_end(self, page: Page) -> str:
        previous, following = neighbours(list(self._entries.values()), page.file.src_uri, self._stages)
        return path_nav_html(previous, following, self._url_from(page))

    def _read_stages(self, config: MkDocsConfig) -> Stages:
        blog = config.plugins.get("material/blog") or config.plugins.get("blog")
        categories = getattr(blog, "config", {}).get("categories_allowed", []) if blog else []
        return Stages.from_config(self.config.path_stages, categories)

    @event_priority(-80)  # after the feed plugin (-75) read the raw text, before any template
    def _escape_front_matter(self, html: str, *, page: Page, config: MkDocsConfig, files: Files) -> str:
        safety.escape_meta(page.meta)
        return html

    on_page_content = CombinedEvent(_page_content, _escape_front_matter)

    def _url_from(self, page: Page):
        """src_uri of another page -> a link to it from `page`."""

        def url(uri: str) -> str:
            target = self._files.get_file_from_path(uri) if self._files is not None else None
            return get_relative_url(target.url, page.url) if target is not None else "#"

        return url

    def _generated_sections(self, output: str, page: Page) -> str:
        """Fill the markers of the learning path, the math index and the execution report."""
        if "<!-- techpath:" not in output:
            return output
        for uri, entry in self._entries.items():
            shown = self._pages.get(uri)
            entry.readtime = getattr(getattr(shown, "config", None), "readtime", None) if shown else None
        url = self._url_from(page)
        entries = list(self._entries.values())
        output = output.replace(MARKERS["path"], path_html(entries, url, self._stages))
        output = output.replace(MARKERS["path-list"], path_list_html(entries, url, self._stages))
        output = output.replace(MARKERS["math-index"], math_index_html(entries, url, self._stages))
        rows = []
        for uri, result in self._results.items():
            title = (
                self._entries[uri].title
                if uri in self._entries
                else (self._pages[uri].title if uri in self._pages else uri)
            )
            rows.append((str(title), url(uri), result))
        return output.replace(MARKERS["report"], report_html(rows))

    def on_post_page(self, output: str, *, page: Page, config: MkDocsConfig) -> str:
        # Blog views render post excerpts themselves: fill and typeset what they contain too.
        output = name_theme_widgets(self._generated_sections(self._fill_outputs(output, page), page))
        if self._math is not None:
            output = self._typeset(output, page)
        if self.config.content_security_policy:
            output = self._csp.add(output)
        return output

    def on_post_template(self, output_content: str, *, template_name: str, config: MkDocsConfig) -> str:
        # 404.html and other theme pages are written without on_post_page: they get the CSP too
        if self.config.content_security_policy and template_name.endswith(".html"):
            return self._csp.add(output_content)
        return output_content

    def _typeset(self, output: str, page: Page) -> str:
        assert self._math is not None
        rendered, errors = self._math.render_html(output)
        for error in errors:
            post = self._posts.get(page.file.src_uri)
            line = _line_of(post.text if post else "", error.tex)
            log.error(
                f"{_shown_path(Path(page.file.abs_src_path)).as_posix()}:{line}: "
                f"cannot typeset ${error.tex}$: {error.message}"
            )
        return rendered

    def _fill_outputs(self, html: str, page: Page) -> str:
        def render(uri: str, index: int) -> str:
            result = self._results.get(uri)
            post = self._posts.get(uri)
            if result is None or post is None or index >= len(result.blocks):
                return ""
            options = post.blocks[index].options
            return render_block(
                result.blocks[index],
                lambda name: get_relative_url(self._figures[(uri, name)], page.url),
                show_output=not options.hide_output and not options.hide,
                figure_width=lambda name: self._figure_widths.get(self._figures.get((uri, name), "")),
                scope=uri,
            )

        return self._slots.fill(html, render)

    def on_post_build(self, *, config: MkDocsConfig) -> None:
        self._close_math()
        if self._run is not None:
            self._run.wait()
            for uri, post in self._posts.items():
                if post.blocks or post.inline:
                    self._result(uri)  # pages never rendered still report their failures
            stats = self._engine.last_stats if self._engine else None
            if stats is not None:
                log.info(
                    f"executed {stats.executed} pages, {stats.from_cache} from cache, "
                    f"in {stats.seconds:.1f} s"
                )
        for site_path, source in self._figure_sources.items():
            safety.write_figure(source, Path(config.site_dir) / site_path, log.error)
        if self.config.content_security_policy:
            self._csp.finish(Path(config.site_dir))
        for uri, url in self._post_pages.items():
            if url:
                write_downloads(
                    self._posts[uri], self._results.get(uri), Path(config.site_dir) / url, config.site_url
                )
        for folder in self._scratch_dirs:
            shutil.rmtree(folder, ignore_errors=True)
        self._scratch_dirs = []
        if self._results:
            write_report(Path(config.site_dir) / self.config.report, self._results)
            if os.environ.get("TECHPATH_RESULTS"):  # a result snapshot for `techpath diff`
                from techpath.diff.snapshot import write_snapshot

                posts = {self._posts[u].display_path: self._posts[u] for u in self._results}
                results = {self._posts[u].display_path: r for u, r in self._results.items()}
                write_snapshot(Path(os.environ["TECHPATH_RESULTS"]), results, posts)
        if self._engine is not None and self.config.execute:
            removed = self._engine.evict_unused()
            if removed:
                log.info(f"evicted {removed} unused cache entries")
        if not self._is_serve:
            self._close_engine()

    # -- helpers -----------------------------------------------------------------------------
    def _settings(self, root: Path, docs: Path) -> Settings:
        sources = (p.read_text(encoding="utf-8", errors="replace") for p in discover([docs]))
        settings = Settings.from_site(root, dict(self.config))
        settings.preload = modules_to_preload(sources)
        return settings

    def _schema(self, config: MkDocsConfig) -> PostSchema:
        blog = config.plugins.get("material/blog") or config.plugins.get("blog")
        categories = getattr(blog, "config", {}).get("categories_allowed", []) if blog else []
        authors = read_authors(Path(config.docs_dir) / "blog" / ".authors.yml")
        return PostSchema(frozenset(categories or []), authors, self.config.max_description, dt.date.today())

    def _close_math(self) -> None:
        if self._math is not None:
            self._math.close()
            self._math = None

    def _close_engine(self) -> None:
        if self._engine is not None:
            self._engine.close()
            self._engine = None


def _unrenderable(post: Post) -> bool:
    """Front matter the blog plugin would crash on: missing, unparsable, or without a date."""
    return not post.meta or not isinstance(post.meta.get("date"), dt.date)


def _shown_path(path: Path) -> Path:
    """Relative to the working folder when possible, so messages read docs/blog/posts/x.md:42."""
    try:
        return path.resolve().relative_to(Path.cwd().resolve())
    except ValueError:
        return path


def _line_of(text: str, needle: str) -> int:
    index = text.find(needle)
    return text.count("\n", 0, index) + 1 if index >= 0 else 0

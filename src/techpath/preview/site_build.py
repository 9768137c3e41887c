"""A MkDocs (or ProperDocs) build run in this process, whose state is kept for the next save.

`full` is the generator's own `build()` (so what it writes is what `mkdocs build` writes), with a
small plugin added last that keeps what the build made (files, navigation, template environment)
and stops the build between two pages when a newer save arrives. Every full build loads the
configuration again with new plugin instances: a build that is stopped halfway then leaves the
kept state of the last finished build untouched.

`render` builds single pages again with that kept state: the page object is read again from its
file, then MkDocs' own page steps run for it (`_populate_page`: the page events and Markdown;
`_build_page`: the context events, the template, `on_post_page`), so every plugin sees the
events it sees in a build. What other pages show of it (blog views, search index, feed, ...) is
left to the next full build.
"""

from __future__ import annotations

import importlib
import logging
import re
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import urlsplit

from techpath.generators.templates import cache_compiled_templates

_FRONT = re.compile(r"\A(---\s*\n.*?\n---\s*\n)", re.S)
_PRIORITY = "mkdocs_priority"  # what mkdocs.plugins.event_priority sets on a method


class Cancelled(Exception):
    """A newer save arrived: this full build stops between two pages."""


def generator_modules(generator: str) -> tuple[ModuleType, ModuleType]:
    """The generator's `commands.build` and `config.defaults` modules (MkDocs or ProperDocs)."""
    if generator == "properdocs":
        importlib.import_module("properdocs.replacement")  # mkdocs.* imports (Material's) -> properdocs.*
    return (
        importlib.import_module(f"{generator}.commands.build"),
        importlib.import_module(f"{generator}.config.defaults"),
    )


class _Keep:
    """The plugin added last to every build: keeps its state, stops it on request."""

    def __init__(self, cancelled: Callable[[], bool], templates: Path | None = None) -> None:
        self.cancelled = cancelled
        self.templates = templates  # where compiled templates are kept (no plugin of ours keeps them)
        self.files: Any = None
        self.nav: Any = None
        self.env: Any = None

    def _check(self) -> None:
        if self.cancelled():
            self.stopping = True
            raise Cancelled

    def filter(self, record: logging.LogRecord) -> bool:
        """MkDocs logs "Error reading page ..." for any exception in a page, ours included."""
        return not getattr(self, "stopping", False)

    def on_files(self, files: Any, *, config: Any) -> Any:
        self.files = files
        return files

    def on_nav(self, nav: Any, *, config: Any, files: Any) -> Any:
        self.nav = nav
        return nav

    def on_env(self, env: Any, *, config: Any, files: Any) -> Any:
        if self.templates is not None:
            cache_compiled_templates(env, self.templates)
        self.env = env
        return env

    def on_pre_page(self, page: Any, *, config: Any, files: Any) -> Any:
        self._check()
        return page

    def on_page_context(self, context: Any, *, page: Any, config: Any, nav: Any) -> Any:
        self._check()
        return context


for _name, _priority in (("on_files", -1000), ("on_nav", -1000), ("on_env", -1000)):
    setattr(getattr(_Keep, _name), _PRIORITY, _priority)  # after every other plugin
for _name in ("on_pre_page", "on_page_context"):
    setattr(getattr(_Keep, _name), _PRIORITY, 1000)  # before the page's work starts


@dataclass
class Built:
    """A finished build and what it was built from."""

    config: Any
    files: Any
    nav: Any
    env: Any
    site_dir: Path
    fronts: dict[Path, str] = field(default_factory=dict)  # page source -> its front matter then
    doc_files: Any = None  # its documentation pages, as `_build_page` takes them (once per build)
    by_source: dict[str, Any] | None = None  # resolved source path -> its File (once per build)

    @property
    def techpath(self) -> Any:
        return self.config.plugins.get("techpath")

    def file_for(self, source: Path) -> Any:
        """The File built from `source`, or None."""
        plugin = self.techpath
        uri = plugin.page_uri(source) if plugin is not None else None
        if uri is not None:
            return self.files.get_file_from_path(uri)
        wanted = str(source.resolve())
        if self.by_source is None:  # once per build: a lookup per save, not a walk of every file
            self.by_source = {str(Path(f.abs_src_path).resolve()): f for f in self.files if f.abs_src_path}
        found = self.by_source.get(wanted)
        if found is not None:
            return found
        for file in self.files:  # added since (a plugin's generated file)
            if file.abs_src_path and str(Path(file.abs_src_path).resolve()) == wanted:
                return file
        return None

    def docs_dir(self) -> Path:
        return Path(self.config.docs_dir).resolve()


def front_matter(source: Path) -> str:
    """A page's front matter as written (a notebook's: its first raw cell, as converted)."""
    try:
        if source.suffix == ".ipynb":
            from techpath.parse.notebook import notebook_markdown

            text = notebook_markdown(source)
        else:
            text = source.read_text(encoding="utf-8-sig")
    except (OSError, ValueError):
        return "\0unreadable"
    match = _FRONT.match(text)
    return match[1] if match else ""


class SiteBuilder:
    """Builds one site in this process, again and again: whole (`full`) or page by page (`render`)."""

    def __init__(
        self,
        generator: str,
        config_file: Path,
        host: str,
        port: int,
        work: Path,
        templates: Path | None = None,
    ) -> None:
        """`templates`: a folder to keep the theme's compiled templates in between builds, for a
        site whose build has no techpath plugin to keep them (the staged tree's)."""
        self.generator = generator
        self.templates = templates
        self.config_file = config_file.resolve()
        self.host, self.port = host, port
        self.mount = "/"  # the path part of the site's site_url, as `mkdocs serve` serves it
        self.serve_url = ""
        self.work = work  # each build writes into a new folder here
        self._build, self._config = generator_modules(generator)
        self._load = importlib.import_module(f"{generator}.config").load_config
        self._count = 0
        self.note = ""  # what the last `render` executed, for the terminal

    def load_config(self, site_dir: Path) -> Any:
        """The configuration read again, with new plugin instances (MkDocs keeps plugins that
        have startup/shutdown events between loads; a stopped build must not touch those of
        the last finished one)."""
        option = dict(self._config.MkDocsConfig._schema)["plugins"]
        option.plugin_cache.clear()
        config = self._load(config_file=str(self.config_file), site_dir=str(site_dir))
        if not self.serve_url:
            self.mount = "/" + urlsplit(config.site_url or "/").path.strip("/")
            self.mount = self.mount.rstrip("/") + "/"
            self.serve_url = f"http://{self.host}:{self.port}{self.mount}"
        config.site_url = self.serve_url
        config.plugins.on_startup(command="serve", dirty=False)
        return config

    def full(self, previous: Built | None, cancelled: Callable[[], bool] = lambda: False) -> Built:
        """A whole build, as `mkdocs build` makes it (drafts shown, as `mkdocs serve` shows
        them). Raises Cancelled when `cancelled()` turns true between two pages, and whatever
        the build raises; the caller's `previous` is untouched either way."""
        self._count += 1
        site_dir = self.work / f"build-{self._count}"
        config = None
        try:
            config = self.load_config(site_dir)
            ours = config.plugins.get("techpath")
            if ours is not None and previous is not None and previous.techpath is not None:
                ours.adopt(previous.techpath)
            keep = _Keep(cancelled, self.templates)
            config.plugins["techpath-serve"] = keep
            docs = Path(config.docs_dir).resolve()
            fronts = {p: front_matter(p) for p in _page_sources(docs)}
            logger = logging.getLogger(self._build.__name__)
            logger.addFilter(keep)
            try:
                self._build.build(config, serve_url=self.serve_url)
            finally:
                logger.removeFilter(keep)
        except BaseException:
            if config is not None:
                release(config)
            shutil.rmtree(site_dir, ignore_errors=True)
            raise
        return Built(config, keep.files, keep.nav, keep.env, site_dir, fronts)

    def render(self, built: Built, sources: list[Path]) -> tuple[list[str], dict[Path, str]]:
        """Build the pages made from `sources` again with `built`'s state, into its folder.
        Returns the files written (relative to that folder) and, for the pages that could not
        be built, why."""
        config, files = built.config, built.files
        site = built.site_dir
        # What a page's build writes: its own file, and the figures and downloads our plugin
        # publishes for it. Only those are compared (not the whole site: a save costs the same
        # on 500 pages as on 5); anything another plugin writes waits for the whole build.
        targets = {f.dest_uri for f in map(built.file_for, sources) if f is not None}
        before = _stamps(site, targets)
        problems: dict[Path, str] = {}
        plugin = built.techpath
        if plugin is not None:
            problems.update(plugin.restage(sources))
        if built.doc_files is None:
            built.doc_files = files.documentation_pages(inclusion=self._inclusion())
        doc_files = built.doc_files
        try:
            for source in sources:
                if source in problems:
                    continue
                file = built.file_for(source)
                try:
                    _read_again(file.page, config)
                    self._build._populate_page(file.page, config, files)
                    self._build._build_page(
                        file.page,
                        config,
                        doc_files,
                        built.nav,
                        built.env,
                        excluded=file.inclusion.is_excluded(),
                    )
                except Exception as exc:  # any plugin's error is the writer's to read
                    problems[source] = f"{_shown(source)}: {type(exc).__name__}: {exc}"
                built.fronts[source.resolve()] = front_matter(source)
        finally:
            self.note = plugin.end_restage() if plugin is not None else ""
        targets.update(getattr(plugin, "published", []))
        after = _stamps(site, targets)
        written = sorted(name for name, stamp in after.items() if before.get(name) != stamp)
        return written, problems

    # -- what the loop asks -------------------------------------------------------------------
    def docs_dir(self, built: Built) -> Path:
        """The folder the writer edits."""
        return built.docs_dir()

    def copy_target(self, built: Built, source: Path) -> str | None:
        """Where a saved file that is not a page (an image, a stylesheet) goes in the site."""
        file = built.file_for(source)
        return file.dest_uri if file is not None and not file.is_documentation_page() else None

    def dest_of(self, built: Built, source: Path) -> str | None:
        """The file the page made from `source` was written to."""
        file = built.file_for(source)
        return file.dest_uri if file is not None else None

    def left_out(self, built: Built) -> dict[Path, str]:
        """Pages the build left out (their front matter is broken), with why."""
        stager = getattr(built.techpath, "_stager", None)
        if stager is None:
            return {}
        return {p: "\n".join(stager.left_out_problems(p)) or f"{p}: left out" for p in stager.left_out}

    def watched(self, built: Built) -> list[Path]:
        return watched_paths(built.config, getattr(built.techpath, "_stager", None))

    def release(self, built: Built) -> None:
        """A build replaced by a newer one: its plugins end (the engine stays), its folder goes."""
        release(built.config)
        shutil.rmtree(built.site_dir, ignore_errors=True)

    def shutdown(self, built: Built) -> None:
        """The end of the session: every plugin's `on_shutdown` (ours closes the engine)."""
        built.config.plugins.on_shutdown()
        shutil.rmtree(built.site_dir, ignore_errors=True)

    def _inclusion(self) -> Any:
        files_module = importlib.import_module(f"{self.generator}.structure.files")
        return files_module.InclusionLevel.is_in_serve

    def can_render(self, built: Built, source: Path) -> bool:
        """Whether a save of `source` can be shown by building its page alone: a page of the
        last build whose front matter is unchanged (front matter can move a post in the blog's
        views, change its address or leave it out; that takes a full build)."""
        file = built.file_for(source)
        if file is None or file.page is None or not source.is_file():
            return False
        return built.fronts.get(source.resolve()) == front_matter(source)


def _read_again(page: Any, config: Any) -> None:
    """The page object as its file now reads, its place in the site kept. A blog post reads its
    file when it is made (Material's blog plugin makes posts in `on_files`), so it is made again
    in place; any other page reads its file in `_populate_page`."""
    kept = {
        name: getattr(page, name)
        for name in ("parent", "previous_page", "next_page", "categories")
        if hasattr(page, name)
    }
    if hasattr(page, "excerpt") and hasattr(page, "authors"):  # a Material blog post
        type(page).__init__(page, page.file, config)
        for name, value in kept.items():
            setattr(page, name, value)


def release(config: Any) -> None:
    """The end of a build's plugins (a build replaced by a newer one, or stopped); the engine
    stays with the build that took it over. Then nothing of the build may stay reachable:
    `clear_method_caches`."""
    ours = config.plugins.get("techpath")
    for name, plugin in list(config.plugins.items()):
        if plugin is ours:
            plugin.release()
        elif hasattr(plugin, "on_shutdown"):
            try:
                plugin.on_shutdown()
            except Exception as exc:  # a plugin's cleanup must not stop the preview
                logging.getLogger("techpath.serve").warning(f"{name}: on_shutdown failed: {exc}")
    clear_method_caches(config.plugins.values())


def clear_method_caches(plugins: Iterable[Any]) -> int:
    """Empty the memos (`functools.lru_cache`, `functools.cache`) put on methods in the
    packages of these plugins; how many were emptied. A memo on a method is keyed on the
    instance, and each build here has new plugin instances (`load_config`), so such a memo
    keeps every build it saw alive, whole: its plugins, pages, Markdown and template
    environment. mkdocs-rss-plugin 1.19's `author_name_from_id` kept about 24 MB per save of
    our site, up to 128 builds. Memos of module functions are left alone: they are keyed on
    values (Material's emoji index on its folders, costly to read again), and so are those of
    MkDocs and ProperDocs themselves, keyed on their configuration schema, which outlives
    every build (the hooks' modules, loaded once as `mkdocs serve` loads them)."""
    packages = {type(p).__module__.partition(".")[0] for p in plugins if not isinstance(p, ModuleType)}
    packages -= {"mkdocs", "properdocs", "builtins"}
    cleared = 0
    for name, module in list(sys.modules.items()):
        if name.partition(".")[0] not in packages or not isinstance(module, ModuleType):
            continue
        for cls in list(vars(module).values()):
            if not isinstance(cls, type) or cls.__module__ != name:
                continue  # each class once, in the module that defines it
            for member in list(vars(cls).values()):
                if callable(getattr(member, "cache_clear", None)) and hasattr(member, "cache_info"):
                    member.cache_clear()
                    cleared += 1
    return cleared


def watched_paths(config: Any, stager: Any = None, root: Path | None = None) -> list[Path]:
    """What a build reads: the docs folder, mkdocs.yml, the theme's custom folder, hooks,
    `watch:` entries, the snippets' base paths (relative to `root`, where the build runs) and
    the data files the pages declare."""
    root = root or Path(config.config_file_path).resolve().parent
    paths = [Path(config.docs_dir), Path(config.config_file_path)]
    custom = getattr(config.theme, "custom_dir", None)
    if custom:
        paths.append(Path(custom))
    paths += [Path(p) for p in config.watch or []]
    hooks = getattr(config, "hooks", None)
    if isinstance(hooks, dict):
        paths += [Path(getattr(h, "__file__", "") or "") for h in hooks.values()]
    snippets: Any = (config.mdx_configs or {}).get("pymdownx.snippets", {}).get("base_path", [])
    for base in [snippets] if isinstance(snippets, str) else snippets or []:
        paths.append(root / base)
    for record in getattr(getattr(stager, "records", None), "pages", {}).values():
        paths += list(record.post.inputs)
    return [p.resolve() for p in paths if str(p) and p.exists()]


def _page_sources(docs: Path) -> list[Path]:
    return [p for p in docs.rglob("*") if p.suffix in (".md", ".ipynb") and p.is_file()]


def _stamps(folder: Path, names: set[str]) -> dict[str, tuple[int, int]]:
    found = {}
    for name in names:
        try:
            stat = (folder / name).stat()
        except OSError:
            continue
        found[name] = (stat.st_mtime_ns, stat.st_size)
    return found


def _shown(path: Path) -> str:
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return str(path)


def new_work_folder() -> Path:
    return Path(tempfile.mkdtemp(prefix="techpath-serve-"))

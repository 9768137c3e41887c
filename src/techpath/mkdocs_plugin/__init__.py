"""MkDocs adapter, in two halves. This one is what MkDocs imports before it validates the
plugin's options: the config schema, the plugin class whose `load_config` may start a cold
build's warm parent (stage/early_launch.py), and the event hooks, each handed to the build's
`MkDocsBuild` (build.py). That module, with the staging, rendering, search and safety code it
imports (about 0.4 CPU s), is imported in `on_config`, after the launch: every import before
`load_config` delays the warm parent, which is on a cold build's critical path
(tests/test_early_launch.py checks that none of the heavy modules comes back)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from mkdocs.config import base
from mkdocs.config import config_options as c
from mkdocs.plugins import BasePlugin, CombinedEvent, event_priority

from techpath.mkdocs_plugin.log import info
from techpath.options import OLD_NAMES, OptionSpec, PluginOptions, specs
from techpath.stage.early_launch import launch_if_cold

if TYPE_CHECKING:
    from jinja2 import Environment
    from mkdocs.config.defaults import MkDocsConfig
    from mkdocs.structure.files import Files
    from mkdocs.structure.pages import Page

    from techpath.mkdocs_plugin.build import MkDocsBuild
    from techpath.stage.stager import Stager


class _Declared(c.BaseConfigOption):
    """One option of the declaration (options.py), checked by MkDocs with the declared check."""

    def __init__(self, name: str, spec: OptionSpec) -> None:
        super().__init__()
        self.default = PluginOptions.default(name)
        self._check = spec.check
        self._file = "mkdocs.yml"

    def pre_validation(self, config: base.Config, key_name: str) -> None:
        self._file = Path(config.config_file_path or "mkdocs.yml").name

    def run_validation(self, value: object) -> object:
        problem = self._check(value)
        if problem is not None:
            raise base.ValidationError(f"{problem} (in {self._file})")
        return value


# The plugin's config schema, one MkDocs option per declared option (options.py).
TechpathConfig = type(
    "TechpathConfig",
    (base.Config,),
    {"__doc__": "Options of the `techpath` plugin in mkdocs.yml (declared in options.py)."}
    | {name: _Declared(name, spec) for name, spec in specs()}
    # an old name, still read: the new name's check and default
    | {old: _Declared(name, spec) for name, spec in specs() for old, new in OLD_NAMES.items() if new == name},
)


class TechpathPlugin(BasePlugin[TechpathConfig]):
    """The hooks MkDocs calls, in the order and with the priorities the build needs; the work
    is the build's (build.py), made in `on_config`."""

    supports_multiple_instances = False

    def __init__(self) -> None:
        self._build: MkDocsBuild | None = None
        self._is_serve = False
        self._adopted: Any = None  # the engine of the build before this one (techpath serve)
        self._adopted_prose: Any = None  # and its prose check (stage/lifecycle.py)
        self._adopted_markers: Any = None  # and its region markers (stage/finish.py)

    @property
    def _stager(self) -> Stager | None:
        """The build's pages (`techpath serve` reads which were left out and what to watch)."""
        return self._build.stager if self._build is not None else None

    @property
    def published(self) -> list[str]:
        """Site files written by the pages `restage` read again."""
        return self._build.published if self._build is not None else []

    def _built(self) -> MkDocsBuild:
        assert self._build is not None, "MkDocs calls on_config before any other build event"
        return self._build

    def load_config(self, options: dict[str, Any], config_file_path: str | None = None) -> Any:
        """MkDocs validates the plugin's options while it still loads the rest of the
        configuration: a build that will execute every page starts its warm parent here
        (stage/early_launch.py) rather than in on_config."""
        errors, warnings = super().load_config(options, config_file_path)
        if not errors and config_file_path and self._build is None:  # (not on serve's rebuilds)
            launch_if_cold(Path(config_file_path), PluginOptions.from_mapping(dict(self.config)), info)
        return errors, warnings

    def on_startup(self, *, command: str, dirty: bool) -> None:
        self._is_serve = command == "serve"

    def on_config(self, config: MkDocsConfig) -> MkDocsConfig:
        if self._build is None:
            # The heavy half, imported once the warm parent (if any) is on its way (see above).
            from techpath.mkdocs_plugin.build import MkDocsBuild

            self._build = MkDocsBuild(
                is_serve=self._is_serve,
                engine=self._adopted,
                prose=self._adopted_prose,
                markers=self._adopted_markers,
            )
            self._adopted = self._adopted_prose = self._adopted_markers = None
        return self._build.on_config(config, PluginOptions.from_mapping(dict(self.config)))

    def on_env(self, env: Environment, *, config: MkDocsConfig, files: Files) -> Environment:
        return self._built().on_env(env)

    @event_priority(50)  # before the blog plugin reads posts, so broken posts can be held back
    def on_files(self, files: Files, *, config: MkDocsConfig) -> Files:
        return self._built().on_files(files, config)

    def on_page_markdown(self, markdown: str, *, page: Page, config: MkDocsConfig, files: Files) -> str:
        return self._built().on_page_markdown(markdown, page, config, files)

    @event_priority(100)  # before the search plugin indexes the page's content
    def _fill_in(self, context: dict, *, page: Page, config: MkDocsConfig, nav: Any) -> dict:
        return self._built().fill_in(context, page, config)

    @event_priority(-100)  # after the search plugin indexed the copy: the page itself again
    def _after_search(self, context: dict, *, page: Page, config: MkDocsConfig, nav: Any) -> dict:
        return self._built().after_search(context, page)

    on_page_context = CombinedEvent(_fill_in, _after_search)

    def _page_content(self, html: str, *, page: Page, config: MkDocsConfig, files: Files) -> str:
        return self._built().page_content(html, page, config)

    @event_priority(-80)  # after the feed plugin (-75) read the raw text, before any template
    def _escape_front_matter(self, html: str, *, page: Page, config: MkDocsConfig, files: Files) -> str:
        return self._built().escape_front_matter(html, page, config)

    on_page_content = CombinedEvent(_page_content, _escape_front_matter)

    @event_priority(100)  # before any plugin that rewrites pages (minify drops the region markers)
    def _finish_regions(self, output: str, *, page: Page, config: MkDocsConfig) -> str:
        return self._built().finish_regions(output, page)

    @event_priority(-200)  # last: the hashes are of the inline scripts as the page is written,
    # after every other plugin (mkdocs-minify rewrites the page, mkdocs-static-i18n runs at -100)
    def _add_policy(self, output: str, *, page: Page, config: MkDocsConfig) -> str:
        return self._built().add_policy(output)

    on_post_page = CombinedEvent(_finish_regions, _add_policy)

    # 404.html and other theme pages are written without on_post_page: they get the theme's
    # finishing (before plugins that rewrite pages, as pages do) and the CSP (after them) too
    @event_priority(100)
    def _finish_template(self, output_content: str, *, template_name: str, config: MkDocsConfig) -> str:
        return self._built().finish_template(output_content, template_name)

    @event_priority(-200)  # after mkdocs-minify, as for pages
    def _template_policy(self, output_content: str, *, template_name: str, config: MkDocsConfig) -> str:
        return self._built().template_policy(output_content, template_name)

    on_post_template = CombinedEvent(_finish_template, _template_policy)

    @event_priority(-100)  # after the search plugin wrote its index
    def on_post_build(self, *, config: MkDocsConfig) -> None:
        self._built().on_post_build(config)

    def on_build_error(self, *, error: Exception) -> None:
        if self._build is not None:
            self._build.on_build_error()

    def on_shutdown(self) -> None:
        if self._build is not None:
            self._build.on_shutdown()

    # -- techpath serve: pages built again with the state of the build before --------------
    def adopt(self, previous: TechpathPlugin) -> None:
        """`techpath serve` builds every round with new plugins: this one takes over the
        previous one's engine (its warm parent and cache), which `release` leaves open."""
        stager = previous._stager
        self._adopted = stager.engine if stager is not None else None
        # and its prose check, whose memo spares the lint of every page that did not change
        self._adopted_prose = stager.lifecycle.prose if stager is not None else None
        # and its region markers' key (one per serve process, as in `techpath build`'s one
        # build): an unchanged page's HTML is then the same text, which the HTML phase's
        # parsers remember (safety/html_memo.py)
        self._adopted_markers = stager.markers if stager is not None else None

    def release(self) -> None:
        """A build `techpath serve` no longer needs: its files go, its engine stays (whoever
        adopted it owns it now; `on_shutdown` of the last build closes it)."""
        if self._build is not None:
            self._build.release()

    def page_uri(self, source: Path) -> str | None:
        """The docs path of the page built from `source` (a notebook's Markdown page), if this
        build has one."""
        return self._build.page_uri(source) if self._build is not None else None

    def restage(self, sources: list[Path]) -> dict[Path, str]:
        """Read these pages again (a save) before `techpath serve` renders them with this
        build's state; they run again in the background (only a page whose code changed
        executes). Returns why a page cannot be built, for the pages that cannot."""
        return self._built().restage(sources)

    def end_restage(self) -> str:
        """After `techpath serve` rendered the pages of `restage`: what they executed."""
        return self._build.end_restage() if self._build is not None else ""

"""Site settings read from mkdocs.yml without importing MkDocs: where posts live, what their
front matter may say, and the techpath plugin's options (checked against their one declaration,
options.py). Used by the CLI, the pytest plugin and `techpath stage/build`; the MkDocs plugin
passes the options MkDocs validated (with the same checks) instead.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from techpath import environment
from techpath.options import PluginOptions
from techpath.parse.frontmatter import PostSchema
from techpath.parse.policy import RunPolicy
from techpath.parse.snippets import Snippets

if TYPE_CHECKING:
    from techpath.safety.prose import ProseCheck


class _TolerantLoader(yaml.SafeLoader):
    """Reads mkdocs.yml: `!ENV [NAME, default]` gives the default, other tags give None."""


def _env(loader: _TolerantLoader, node: yaml.Node) -> Any:
    if isinstance(node, yaml.SequenceNode):
        names = loader.construct_sequence(node)
        for name in names[:-1]:
            if (value := environment.named(name)) is not None:
                return value
        return names[-1] if len(names) > 1 else None
    return environment.named(loader.construct_scalar(node))  # type: ignore[arg-type]


def _python_name(loader: _TolerantLoader, suffix: str, node: yaml.Node) -> Any:
    """`!!python/name:module.attribute`, as MkDocs reads it (a superfences custom fence's
    format, say); None when it cannot be imported."""
    import importlib

    module, _, attribute = suffix.rpartition(".")
    try:
        return getattr(importlib.import_module(module), attribute)
    except (ImportError, AttributeError, ValueError):
        return None


@dataclass(frozen=True)
class RelativeTo:
    """MkDocs' `!relative $config_dir/x` or `!relative $docs_dir/x`: a path that SiteSettings.load
    resolves once it knows both folders. A bare `!relative` (the folder of the page being
    rendered) has anchor "page" and is left out of paths that need one folder."""

    anchor: str  # "config_dir", "docs_dir" or "page"
    suffix: str = ""


def _relative(loader: _TolerantLoader, node: yaml.Node) -> RelativeTo:
    value = str(loader.construct_scalar(node) or "")  # type: ignore[arg-type]
    for anchor in ("config_dir", "docs_dir"):
        if value == f"${anchor}" or value.startswith(f"${anchor}/"):
            return RelativeTo(anchor, value[len(anchor) + 1 :].lstrip("/"))
    return RelativeTo("page", value)


def resolve_relative(value: Any, folders: dict[str, Path]) -> Any:
    """`value` (a setting read from mkdocs.yml) with every RelativeTo made a path string as MkDocs
    makes it; one relative to the page being rendered becomes None."""
    if isinstance(value, RelativeTo):
        folder = folders.get(value.anchor)
        return None if folder is None else str(folder / value.suffix) if value.suffix else str(folder)
    if isinstance(value, list):
        return [resolve_relative(v, folders) for v in value]
    if isinstance(value, dict):
        return {k: resolve_relative(v, folders) for k, v in value.items()}
    return value


_TolerantLoader.add_constructor("!ENV", _env)
_TolerantLoader.add_constructor("!relative", _relative)
_TolerantLoader.add_multi_constructor("tag:yaml.org,2002:python/name:", _python_name)
_TolerantLoader.add_multi_constructor("", lambda loader, suffix, node: None)


@dataclass
class SiteSettings:
    root: Path
    docs_dir: Path
    posts_dir: Path
    schema: PostSchema
    options: PluginOptions = field(default_factory=PluginOptions)
    has_blog: bool = False  # the Material blog plugin is configured
    authors_file: Path | None = None
    categories: tuple[str, ...] = ()  # the blog's categories_allowed, in the site's order
    markdown_extensions: list[Any] = field(default_factory=list)  # as mkdocs.yml lists them
    snippets: Snippets | None = None  # pymdownx.snippets, when the site uses it
    config: dict[str, Any] = field(default_factory=dict)  # the whole configuration, as read

    @classmethod
    def load(
        cls, root: Path = Path(), config_file: Path | None = None, options: PluginOptions | None = None
    ) -> SiteSettings:
        """Read `config_file` (default root/mkdocs.yml); paths in it are relative to `root`. The
        techpath plugin's options are `options` when given (the MkDocs plugin's, validated by
        MkDocs), else read from the file: OptionsError (a ValueError) names each bad one."""
        config_file = config_file or root / "mkdocs.yml"
        config = (
            yaml.load(config_file.read_text(encoding="utf-8"), Loader=_TolerantLoader)
            if config_file.exists()
            else {}
        )
        config = config or {}
        extensions_read = config.get("markdown_extensions") or []
        config = resolve_relative(config, {})  # only extensions' paths are read as paths (below)
        docs_dir = root / config.get("docs_dir", "docs")
        plugins = _plugins(config.get("plugins", []))
        has_blog = "blog" in plugins or "material/blog" in plugins
        blog = plugins.get("blog", plugins.get("material/blog", {}))
        blog_dir = docs_dir / blog.get("blog_dir", "blog")
        posts_dir = Path(str(blog.get("post_dir", "{blog}/posts")).replace("{blog}", str(blog_dir)))
        authors_file = Path(
            str(blog.get("authors_file", "{blog}/.authors.yml")).replace("{blog}", str(blog_dir))
        )
        if not authors_file.is_absolute() and not authors_file.exists():
            authors_file = docs_dir / authors_file
        authors = read_authors(authors_file)
        categories = tuple(str(c) for c in blog.get("categories_allowed", []) or [])
        if options is None:
            options = PluginOptions.from_mapping(plugins.get("techpath"), config_file.as_posix())
        schema = PostSchema(
            categories=frozenset(categories),
            authors=authors,
            max_description=int(options.max_description),
            today=dt.date.today(),
            authors_file=authors_file.as_posix(),
            required=frozenset(map(str, options.required_front_matter)),
        )
        folders = {"config_dir": config_file.resolve().parent, "docs_dir": docs_dir.resolve()}
        extensions = resolve_relative(list(extensions_read), folders)
        snippets = extension_options(extensions).get("pymdownx.snippets")
        return cls(
            root,
            docs_dir,
            posts_dir,
            schema,
            options,
            has_blog,
            authors_file,
            categories,
            extensions,
            Snippets.from_config(snippets, root) if snippets is not None else None,
            config,
        )

    @property
    def mdx_configs(self) -> dict[str, dict[str, Any]]:
        """The site's Markdown extensions as MkDocs' mdx_configs: name -> its options."""
        return extension_options(self.markdown_extensions)

    def prose_check(self) -> ProseCheck:
        """How lint and the build check a page's HTML: the site's HTML policy (`html_policy`,
        images from `image_hosts` and the CSP's img-src) on its Markdown converted with the
        extensions mkdocs.yml lists (safety/prose.py)."""
        from techpath.safety.prose import ProseCheck
        from techpath.safety.site import page_rules

        rules = page_rules(self.options, self.markdown_extensions)
        theme = self.config.get("theme")
        return ProseCheck.for_site(
            self.markdown_extensions,
            rules,
            _plugins(self.config.get("plugins", [])),
            theme.get("name") if isinstance(theme, dict) else theme,
            bool(self.options.typeset_math),
        )

    def run_policy(self) -> RunPolicy:
        """What the site lets run and how strict it is (parse/policy.py)."""
        return RunPolicy.from_options(self.docs_dir, self.options)

    def is_post(self, path: Path) -> bool:
        try:
            path.resolve().relative_to(self.posts_dir.resolve())
        except ValueError:
            return False
        return True


def extension_options(entries: list[Any]) -> dict[str, dict[str, Any]]:
    """Markdown extensions (names, or {name: options} as in mkdocs.yml) -> their options."""
    found: dict[str, dict[str, Any]] = {}
    for entry in entries:
        if isinstance(entry, str):
            found[entry] = {}
        elif isinstance(entry, dict):
            for name, options in entry.items():
                found[str(name)] = dict(options or {})
    return found


def read_authors(path: Path) -> frozenset[str]:
    """Author ids in the blog's .authors.yml (empty when there is no such file)."""
    if not path.exists():
        return frozenset()
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return frozenset((data.get("authors") or {}).keys())


def _plugins(entries: list[Any]) -> dict[str, dict[str, Any]]:
    plugins: dict[str, dict[str, Any]] = {}
    for entry in entries or []:
        if isinstance(entry, str):
            plugins[entry] = {}
        elif isinstance(entry, dict):
            for name, options in entry.items():
                plugins[name] = options or {}
    return plugins


def discover(paths: list[Path]) -> list[Path]:
    """Post files named by `paths` (files, or folders searched recursively), sorted, unique."""
    found: set[Path] = set()
    for path in paths:
        if path.is_dir():
            found.update(
                p
                for p in path.rglob("*")
                if p.suffix in (".md", ".ipynb")
                and p.is_file()
                and not any(part.startswith(".") for part in p.relative_to(path).parts)
            )
        elif path.exists():
            found.add(path)
        else:
            raise FileNotFoundError(f"{path}: no such file or folder")
    return sorted(found)

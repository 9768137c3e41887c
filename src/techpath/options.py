"""Every option of the `techpath` plugin (its block in mkdocs.yml), declared once.

Each field of `PluginOptions` carries its default, its check, its help text and its section
(the shape of MyST-NB's `NbParserConfig`). Everything else is produced from it:

- the MkDocs config schema (`mkdocs_plugin.TechpathConfig`, one MkDocs option per field),
- the options of a site read from mkdocs.yml as YAML (`techpath stage/build/check`, the pytest
  plugin): `PluginOptions.from_mapping`, with the same checks and messages as under MkDocs,
- the engine's settings (`engine.Settings.from_site` reads a `PluginOptions`),
- the options table of docs/use-on-your-site.md (`markdown_tables`, written by
  `scripts/settings_docs.py`, kept in sync by tests/test_use_on_your_site.py).

Adding an option is adding one field here (see CONTRIBUTING.md, "Adding a setting"). This module
imports nothing from techpath or MkDocs: the engine and every front end may read it.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

# A check returns None for a valid value, else what was expected and what was found.
Check = Callable[[Any], "str | None"]

EXECUTE_MODES = (True, False, "marked")
WARNING_POLICIES = ("error", "show")
SAVED_OUTPUT_POLICIES = ("error", "ignore", "strip")
GENERATORS = ("mkdocs", "properdocs", "zensical")
KEEP_WARM_SECONDS = 600  # how long the warm process waits when neither mkdocs.yml nor the environment says
# What Jupyter's inline backend does to every figure (matplotlib_inline 0.2.2 sets no rc of its
# own; it saves with bbox_inches="tight", which this rc setting is).
JUPYTER_FIGURE_RC: dict[str, Any] = {"savefig.bbox": "tight"}


def shown(value: Any) -> str:
    """A value as it is written in mkdocs.yml (YAML flow style)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | dict):
        return json.dumps(value)
    return str(value)


def one_of(*choices: Any) -> Check:
    """One of `choices`; true and false match only the YAML booleans (not 1 or 0)."""

    def check(value: Any) -> str | None:
        if any(value is c if isinstance(c, bool) else isinstance(value, str) and value == c for c in choices):
            return None
        return f"expected one of {', '.join(shown(c) for c in choices)}, got {value!r}"

    return check


def of_type(types: type | tuple[type, ...], what: str) -> Check:
    """An instance of `types` (as MkDocs' `Type` option checks it: true counts as a number)."""

    def check(value: Any) -> str | None:
        return None if isinstance(value, types) else f"expected {what}, got {value!r}"

    return check


def optional(inner: Check) -> Check:
    """null (unset), or what `inner` accepts."""
    return lambda value: None if value is None else inner(value)


@dataclass(frozen=True)
class OptionSpec:
    """What the declaration says about one option, besides its name and default."""

    check: Check
    help: str  # the meaning, as the docs table shows it (Markdown)
    section: str  # which table of the docs lists it (one of SECTIONS)


SECTIONS = {
    "run": "Which pages and blocks run",
    "limits": "Execution: limits, cache, warm process",
    "posts": "Posts and the learning path",
    "math": "Math",
    "build": "Building",
    "security": "Security",
}


def option(default: Any, check: Check, help: str, section: str) -> Any:
    """A field of `PluginOptions`: its default (lists and dicts copied per instance) and spec."""
    assert section in SECTIONS, section
    meta = {"spec": OptionSpec(check, help, section)}
    if isinstance(default, list | dict):
        return field(default_factory=lambda: type(default)(default), metadata=meta)
    return field(default=default, metadata=meta)


_WHOLE = of_type(int, "a whole number")
_SECONDS = of_type((int, float), "a number of seconds")
_GLOBS = of_type(list, "a list of globs, e.g. [tutorials/*]")
_TEXT = of_type(str, "text")


@dataclass(frozen=True)
class PluginOptions:
    """The techpath plugin's options, with their defaults (see the module docstring)."""

    execute: bool | str = option(
        True,
        one_of(*EXECUTE_MODES),
        '`true`: every `python` block runs; `marked`: only `exec="on"` blocks (and notebooks); '
        "`false`: code shown without outputs",
        "run",
    )
    include: list[str] = option(
        [], _GLOBS, "globs (relative to `docs_dir`) of the pages that may run; empty: every page", "run"
    )
    exclude: list[str] = option(
        [], _GLOBS, "globs of pages that never run (shown as code, as with `skip`)", "run"
    )
    warnings: str = option(
        "show",
        one_of(*WARNING_POLICIES),
        "deprecation and future warnings are shown as Jupyter shows them (`show`) or fail the block "
        "(`error`)",
        "run",
    )
    saved_outputs: str = option(
        "ignore",
        one_of(*SAVED_OUTPUT_POLICIES),
        "notebooks with saved outputs: `error`, `ignore` (the build's outputs are shown) or `strip` "
        "(also removed from the file)",
        "run",
    )
    jobs: int = option(
        0,
        _WHOLE,
        "pages executed at once, never more (`1`: one page at a time); 0 means one per CPU core",
        "limits",
    )
    block_timeout: float | None = option(
        None,
        optional(_SECONDS),
        'seconds a block may run unless it sets `timeout="..."` (a notebook cell: `timeout` under '
        "`execution` in its metadata); unset: no limit of its own, `page_timeout` holds",
        "limits",
    )
    page_timeout: float = option(
        300,
        _SECONDS,
        "seconds a whole page may run, from its first block: time spent waiting for a free job "
        "does not count",
        "limits",
    )
    memory_mb: int = option(
        2048, _WHOLE, "memory (MB) a page may add on top of the warm parent process", "limits"
    )
    refresh: bool = option(
        False,
        of_type(bool, "true or false"),
        "execute everything even when cached results exist (or `TECHPATH_REFRESH=1` via `!ENV`)",
        "limits",
    )
    cache_dir: str | None = option(
        None,
        optional(_TEXT),
        "result cache; unset means `.cache/techpath`, or `$TECHPATH_CACHE_DIR`",
        "limits",
    )
    keep_warm: float | None = option(
        None,
        optional(_SECONDS),
        f"seconds the warm process waits for the next build; unset means {KEEP_WARM_SECONDS}, or "
        "`$TECHPATH_KEEP_WARM`; always 0 in CI (`CI` set)",
        "limits",
    )
    report: str = option(
        "techpath-report.json",
        _TEXT,
        "where the execution report is written, relative to the site folder",
        "build",
    )
    max_description: int = option(
        200, _WHOLE, "longest allowed `description` in a blog post's front matter", "posts"
    )
    required_front_matter: list[str] = option(
        [],
        of_type(list, "a list of front matter fields, e.g. [title, description, tags]"),
        "fields every blog post must have in its front matter besides `date` (which Material's blog "
        "needs); `authors` and `categories` are required where the blog defines them",
        "posts",
    )
    katex_dir: str = option(
        "node_modules/katex",
        _TEXT,
        "your own KaTeX, relative to mkdocs.yml; when it is not there the KaTeX inside the package is used",
        "math",
    )
    typeset_math: bool = option(
        True, of_type(bool, "true or false"), "typeset arithmatex math with KaTeX at build time", "math"
    )
    generator: str = option(
        "mkdocs",
        one_of(*GENERATORS),
        "what `techpath build` / `techpath serve` build with: `mkdocs`, `properdocs` or `zensical`",
        "build",
    )
    path_sections: list[str] = option(
        [],
        of_type(list, "a list of blog categories"),
        "blog categories that form a learning path, in reading order (pages label them Stage 1, "
        "Stage 2, ...); empty: no path. Its old name `path_stages` is still read",
        "posts",
    )
    path_page: str | None = option(
        None,
        optional(_TEXT),
        # (the marker itself is not quoted here: the page builder would put the path in the table)
        "the page holding the learning path, where an HTML comment `techpath:path` stands on a line of "
        "its own; linked from every post",
        "posts",
    )
    max_code_line: int = option(
        0, _WHOLE, "longest allowed line in code blocks, in characters; 0 turns the rule off", "posts"
    )
    content_security_policy: bool = option(
        True,
        of_type(bool, "true or false"),
        "give every page a Content-Security-Policy meta tag (no scripts from other hosts; Material's "
        "Google Fonts stay allowed unless the theme says `font: false`)",
        "security",
    )
    csp_sources: dict[str, Any] = option(
        {},
        of_type(dict, "a mapping of CSP directives to lists of sources"),
        "extra sources per CSP directive, a mapping such as `img-src: [https://img.example.org]`",
        "security",
    )
    html_policy: str = option(
        "docs",
        one_of("docs", "strict"),
        "what HTML a page's Markdown may hold: `docs` (also the legacy and layout tags READMEs use: "
        "`<tt>`, `<picture>`, `align=`; SVG files under `docs_dir` published cleaned) or `strict` (for "
        "sites whose pages come from strangers' pull requests); both refuse scripts, handlers, "
        "frames, forms and prose laid over the page",
        "security",
    )
    image_hosts: list[str] | None = option(
        None,
        optional(of_type(list, "a list of hosts, e.g. [img.shields.io, '*.githubusercontent.com']")),
        "hosts (CSP host sources) pages may show images from, added to the CSP's `img-src`; unset: "
        "`[img.shields.io]` under `html_policy: docs`, none under `strict`; under `docs` the pinned "
        "emoji set of `pymdownx.emoji` is added too (a strict site lists it here to show emoji images)",
        "security",
    )
    matplotlib_rc: dict[str, Any] = option(
        JUPYTER_FIGURE_RC,
        lambda value: _rc_settings(value),
        "matplotlib settings for every figure, applied after a `matplotlibrc` in the page's folder; "
        "the default is what Jupyter's inline backend does (a legend outside the axes is kept); `{}` "
        "keeps matplotlib's full canvas",
        "run",
    )
    static_allow: list[str] = option(
        [],
        _GLOBS,
        "globs (relative to `docs_dir`, `*` crosses folders) of active files the site publishes: "
        "`.html`, `.htm`, `.xhtml`, `.svg`, `.js`, `.mjs`, `.xml`, `.xsl` and the like under `docs_dir` "
        "are left out (an error naming the file) unless listed here or loaded by your own "
        "`extra_javascript` or theme `custom_dir`; an allowed SVG is cleaned, an allowed HTML page "
        "keeps its body, held to the posts' HTML policy, in a page with the CSP",
        "security",
    )

    @classmethod
    def from_mapping(cls, raw: Mapping[str, Any] | None, source: str | None = None) -> PluginOptions:
        """The options of `raw` (the plugin's block of mkdocs.yml), checked, with the default for
        each option it leaves out or sets to null (config.py's YAML reader gives null for a tag
        only MkDocs resolves; MkDocs itself checks null like any value). Names it does not know
        are ignored (MkDocs warns about them). Raises OptionsError naming `source` (the
        configuration file), every bad option and what was expected."""
        given = raw or {}
        raw = with_new_names(given)
        values: dict[str, Any] = {}
        problems: list[str] = []
        for name, spec in specs():
            if raw.get(name) is None:
                continue
            problem = spec.check(raw[name])
            if problem is not None:
                key = name if given.get(name) else _old_name(name)  # the name the site wrote
                problems.append(f"{source + ': ' if source else ''}techpath option {key}: {problem}")
            else:
                values[name] = raw[name]
        if problems:
            raise OptionsError("\n".join(problems))
        return cls(**values)

    @classmethod
    def default(cls, name: str) -> Any:
        return getattr(_DEFAULTS, name)


class OptionsError(ValueError):
    """Bad values in the plugin's options; the message names the file, each option and what
    was expected."""


# An option's old name (still read from mkdocs.yml, so sites written for it keep building) -> the
# option it is now. "Stage" is the staged tree's word (`techpath stage`); the learning path has
# sections.
OLD_NAMES = {"path_stages": "path_sections"}


def with_new_names(raw: Mapping[str, Any]) -> dict[str, Any]:
    """`raw` with each option given under its old name moved to its name now (the new name wins
    when a site sets both)."""
    moved = {k: v for k, v in raw.items() if k not in OLD_NAMES}
    for old, new in OLD_NAMES.items():
        if raw.get(old) is not None and not raw.get(new):
            moved[new] = raw[old]
    return moved


def _old_name(name: str) -> str:
    return next((old for old, new in OLD_NAMES.items() if new == name), name)


def specs() -> Iterator[tuple[str, OptionSpec]]:
    """(name, spec) of every option, in declaration order."""
    for f in dataclasses.fields(PluginOptions):
        yield f.name, f.metadata["spec"]


def _rc_settings(value: Any) -> str | None:
    """matplotlib rcParams: `group.name` keys, plain values (matplotlib itself checks the rest,
    in the page, and a bad one is reported where it bit)."""
    if not isinstance(value, dict):
        return f"expected a mapping of matplotlib settings such as {{savefig.bbox: tight}}, got {value!r}"
    for key, setting in value.items():
        if not isinstance(key, str) or "." not in key:
            return f"expected matplotlib settings (group.name), got {key!r}"
        if not isinstance(setting, str | int | float | bool | list | type(None)):
            return f"expected a plain value for {key}, got {setting!r}"
    return None


_DEFAULTS = PluginOptions()


def markdown_tables() -> str:
    """The options of every section as Markdown tables (docs/use-on-your-site.md)."""
    parts = []
    for key, title in SECTIONS.items():
        rows = [
            f"| `{name}` | `{shown(PluginOptions.default(name))}` | {spec.help} |"
            for name, spec in specs()
            if spec.section == key
        ]
        parts.append(f"### {title}\n\n| option | default | meaning |\n|---|---|---|\n" + "\n".join(rows))
    return "\n\n".join(parts) + "\n"

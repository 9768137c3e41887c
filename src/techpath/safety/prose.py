"""Check a page's prose against the HTML policy and say where each violation is in the source.

The Markdown is converted with the site's own extensions (`ProseCheck.for_site`: those mkdocs.yml
lists and those the build adds to them (`missing_extensions`: SuperFences under Material), as the
build converts the page; without pymdownx.snippets, whose includes the caller has
expanded already, and without superfences' custom fences, whose formatters could run code), the
policy runs on that HTML, and each violation is traced back to the first source line, from where
the last one was found, that holds its evidence (`<svg`, `onload=`, the decoded URL). Code fences
and inline code are masked first: HTML shown as code is text. `techpath lint` and the build both
check a page this way, so they give the same verdict at the same line.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from typing import Any

import markdown

from techpath.parse.fences import find_fences, shown_as_code
from techpath.safety.policy import STRICT, Profile, Violation, check_html

EXTENSIONS = [
    "abbr",
    "admonition",
    "attr_list",
    "md_in_html",
    "footnotes",
    "tables",
    "toc",
    "pymdownx.details",
    "pymdownx.superfences",
    "pymdownx.tabbed",
    "pymdownx.inlinehilite",
    "pymdownx.arithmatex",
]
EXTENSION_CONFIGS = {"pymdownx.arithmatex": {"generic": True}, "pymdownx.tabbed": {"alternate_style": True}}
_INLINE_CODE = re.compile(r"(`+)(?!`).*?(?<!`)\1(?!`)")


# The extensions the pages rely on whatever the site lists (the build adds them: missing_extensions).
REQUIRED = ("md_in_html", "attr_list")
# Any of these highlights fenced code with Pygments.
HIGHLIGHTERS = frozenset({"pymdownx.superfences", "codehilite", "markdown.extensions.codehilite"})
_LEFT_OUT = ("pymdownx.snippets",)  # includes are expanded before the check (parse/snippets.py)


def missing_extensions(entries: Iterable[Any], theme: Any = None) -> list[str]:
    """The extensions `entries` (names, {name: options} as in mkdocs.yml, or extension objects
    another plugin added) lacks: the required ones, and with Material a code highlighter, so a
    site that only adds the plugin gets highlighted code (Material colours Pygments' spans; with
    neither SuperFences nor CodeHilite, Python-Markdown writes plain `<pre><code>`)."""
    names = {_extension_name(e) for e in entries}
    missing = [e for e in REQUIRED if e not in names]
    if theme == "material" and not names & HIGHLIGHTERS:
        missing.append("pymdownx.superfences")  # highlights with Pygments through pymdownx.highlight
    return missing


def _extension_name(entry: Any) -> str:
    """An entry's extension name. An object another plugin added before ours (mkdocs-autorefs
    adds its `AutorefsExtension`) counts by its class's module (`markdown.extensions.attr_list`
    is "attr_list")."""
    if isinstance(entry, str):
        return entry
    if isinstance(entry, Mapping):
        return str(next(iter(entry), ""))
    return type(entry).__module__.removeprefix("markdown.extensions.")


@dataclass(frozen=True)
class Finding:
    line: int  # 1-based, in the text given to `check_prose` shifted by its `first_line`
    message: str


@dataclass
class ProseCheck:
    """How one site's pages are checked: its HTML policy and its Markdown extensions."""

    rules: Profile = STRICT
    extensions: list[str] = field(default_factory=lambda: list(EXTENSIONS))
    configs: dict[str, dict[str, Any]] = field(default_factory=lambda: dict(EXTENSION_CONFIGS))
    autorefs: bool = False  # the site's plugins add mkdocs-autorefs' extension (autorefs, mkdocstrings)
    # the build typesets `$..$` in the Markdown (parse/texmath.py) before any extension reads it
    typeset_math: bool = False
    _converter: markdown.Markdown | None = field(default=None, repr=False, compare=False)
    # `check`'s converter, without Pygments (`checked_html`)
    _plain: markdown.Markdown | None = field(default=None, repr=False, compare=False)
    # (text, first line) -> findings: this build's answers, and the last build's (`forget_unused`)
    _used: dict[tuple[str, int], tuple[Finding, ...]] = field(default_factory=dict, repr=False, compare=False)
    _memo: dict[tuple[str, int], tuple[Finding, ...]] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def for_site(
        cls,
        entries: list[Any],
        rules: Profile = STRICT,
        plugins: Iterable[str] = (),
        theme: Any = None,
        typeset_math: bool = False,
    ) -> ProseCheck:
        """The check of a site whose mkdocs.yml lists `entries` under markdown_extensions and
        `plugins` (names) under plugins: with the extensions the build adds for `theme` (its
        name; SuperFences under Material), so a fence is code here as on the page, and with
        mkdocs-autorefs' extension when a plugin adds it, so `[text][identifier]` is checked as
        the `<autoref>` the build holds."""
        names: list[str] = []
        configs: dict[str, dict[str, Any]] = {}
        for entry in [*entries, *missing_extensions(entries, theme)]:
            items = (
                [(entry, {})]
                if isinstance(entry, str)
                else list(entry.items())
                if isinstance(entry, dict)
                else []
            )
            for name, options in items:
                if str(name) not in _LEFT_OUT:
                    names.append(str(name))
                    configs[str(name)] = dict(options or {})
        fences = configs.get("pymdownx.superfences")
        if fences is not None:  # custom fences shown as code: their formatters are not run here
            configs["pymdownx.superfences"] = {k: v for k, v in fences.items() if k != "custom_fences"}
        names += [name for name in REQUIRED if name not in names]
        autorefs = any(name in ("autorefs", "mkdocstrings") for name in plugins)
        return cls(rules, names, configs, autorefs, typeset_math)

    def render(self, text: str) -> str:
        """`text` (Markdown without front matter) as the HTML the page will hold."""
        if self._converter is None:
            self._converter = self._markdown(self.extensions, self.configs)
        self._converter.reset()
        return self._converter.convert(shown_as_code(text))  # options of ours would make superfences refuse

    def check(self, text: str, first_line: int = 1) -> list[Finding]:
        """Every policy violation in the rendered `text`, each at its source line. The answer
        depends on nothing but the text and this check's settings, so it is remembered: a
        site staged again (`techpath serve`) renders only the prose that changed."""
        key = (text, first_line)
        found = self._used.get(key)
        if found is None:
            found = self._memo.get(key)
        if found is None:
            violations = check_html(self.checked_html(text), self.rules)
            found = tuple(locate(violations, text, first_line)) if violations else ()
        self._used[key] = found
        return list(found)

    def same_settings(self, other: ProseCheck) -> bool:
        """Whether `other` checks as this one does (policy, extensions, options): its memo may
        then answer for `other`."""
        return all(getattr(self, f.name) == getattr(other, f.name) for f in fields(ProseCheck) if f.compare)

    def forget_unused(self) -> None:
        """Drop what no check asked for since the last call (the old text of an edited page):
        called once per build, the memo holds at most two builds' prose."""
        self._memo, self._used = self._used, {}

    def checked_html(self, text: str) -> str:
        """`text` converted as `check` reads it: as `render` converts it, except that code is
        not highlighted when superfences handles fences. Pygments writes the code's text escaped,
        in spans with classes of its own, which the policy has nothing to say about; walking
        them was 60% of the check's time. The page itself is checked again as built,
        highlighted (`safety.site.enforce_prose_policy`), and anything found there that this
        check did not report is an error at its line."""
        if self._plain is None:
            extensions, configs = list(self.extensions), dict(self.configs)
            # Python-Markdown's fenced_code without Pygments writes a fence's options as
            # attributes of <code> (hl_lines="1"), which the page never holds: there the check
            # reads code highlighted, as before
            if "pymdownx.superfences" in extensions and "codehilite" not in extensions:
                highlight = {**configs.get("pymdownx.highlight", {}), "use_pygments": False}
                configs["pymdownx.highlight"] = highlight
                if "pymdownx.highlight" not in extensions:  # else superfences highlights with its defaults
                    extensions.append("pymdownx.highlight")
            self._plain = self._markdown(extensions, configs)
        self._plain.reset()
        if self.typeset_math:  # the page holds KaTeX's HTML there, never `_` or `{..}` read as Markdown
            from techpath.parse.texmath import typeset_markdown

            text, _ = typeset_markdown(text, lambda tex, display: ("<span>math</span>", None))
        return self._plain.convert(shown_as_code(text))

    def _markdown(self, extensions: list[str], configs: dict[str, dict[str, Any]]) -> markdown.Markdown:
        try:
            return markdown.Markdown(
                extensions=[*extensions, *_autorefs_extension(self.autorefs)], extension_configs=configs
            )
        except Exception:  # an extension that cannot load here fails the build itself, loudly
            return markdown.Markdown(extensions=EXTENSIONS, extension_configs=EXTENSION_CONFIGS)


def _autorefs_extension(wanted: bool) -> list[Any]:
    """mkdocs-autorefs' Markdown extension, without its plugin (it only writes `<autoref>`)."""
    if not wanted:
        return []
    try:
        from mkdocs_autorefs import AutorefsExtension
    except ImportError:  # the build cannot use the plugin either
        return []
    return [AutorefsExtension()]


def render(text: str) -> str:
    """`text` as the HTML a page holds with the extensions a Material site uses."""
    return ProseCheck().render(text)


def check_prose(text: str, first_line: int = 1) -> list[Finding]:
    """Every violation of the strict policy in the rendered `text`, each at its source line."""
    return ProseCheck().check(text, first_line)


def locate(violations: list[Violation], text: str, first_line: int = 1) -> list[Finding]:
    lines = _searchable_lines(text)
    cursor = 0
    used: dict[str, set[int]] = {}  # a line already blamed for a needle is tried last for it
    findings = []
    for violation in violations:
        found = _find(lines, violation.evidence, cursor, used)
        if found is None:
            index = cursor
        else:
            index, needle = found
            used.setdefault(needle, set()).add(index)
            cursor = index
        findings.append(Finding(first_line + index, violation.message))
    return findings


def source_line(violation: Violation, text: str, first_line: int = 1) -> int | None:
    """The first line of `text` that holds strong evidence of `violation`, or None."""
    lines = _searchable_lines(text)
    strong = (
        violation.evidence[: violation.evidence.index("")] if "" in violation.evidence else violation.evidence
    )
    for index, line in enumerate(lines):
        if any(needle and needle in line for needle in strong):
            return first_line + index
    return None


def _find(
    lines: list[str], evidence: tuple[str, ...], cursor: int, used: dict[str, set[int]]
) -> tuple[int, str] | None:
    """The first line from the cursor on (then from the top, lines not yet blamed first) that
    holds a strong needle; failing that, one that holds a weak needle."""
    split = evidence.index("") if "" in evidence else len(evidence)
    order = [*range(cursor, len(lines)), *range(0, cursor)]
    for needles in (evidence[:split], evidence[split + 1 :]):
        for fresh_only in (True, False):
            for index in order:
                for needle in needles:
                    if needle in lines[index] and not (fresh_only and index in used.get(needle, set())):
                        return index, needle
    return None


def _searchable_lines(text: str) -> list[str]:
    """Source lines, decoded the way a browser reads them, with code masked out."""
    lines = text.split("\n")
    for fence in find_fences(text):
        for i in range(fence.start, min(fence.end + 1, len(lines))):
            lines[i] = ""
    out = []
    for line in lines:
        prose = _INLINE_CODE.sub(lambda m: " " * len(m.group(0)), line)
        out.append(html.unescape(prose).replace("\t", "").lower())
    return out

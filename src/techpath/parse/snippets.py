"""pymdownx.snippets includes (`--8<-- "file.py"`), expanded before anything else reads a page.

The page is rendered with its includes expanded (the snippets preprocessor runs before
superfences), so the code that runs is read from the same expanded text: a block that says
`--8<-- "gallery/plot.py"` runs plot.py, not the include line. The expansion is pymdownx's own,
with the site's settings (base_path, check_paths, restrict_base_path, ...), base paths taken
from the site's folder as `techpath build` and `techpath serve` run the generator there. Every
line of the expanded text knows the page line it came from: an included line is the include's.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

MARK = "8<"  # no line holds an include without it: pages without one are not touched


@dataclass(frozen=True)
class Expanded:
    """A page's text with its includes expanded, and the page line of each of its lines."""

    text: str
    lines: tuple[int, ...]  # 1-based page line of each expanded line
    problems: tuple[tuple[int, str], ...] = ()  # (page line, message)

    @classmethod
    def unchanged(cls, text: str) -> Expanded:
        return cls(text, tuple(range(1, text.count("\n") + 2)))

    @property
    def changed(self) -> bool:
        return self.lines != tuple(range(1, len(self.lines) + 1))

    def page_line(self, line: int) -> int:
        """The page line of expanded line `line` (1-based)."""
        if not self.lines:
            return line
        return self.lines[min(max(line, 1), len(self.lines)) - 1]


@dataclass(frozen=True)
class Snippets:
    """A site's pymdownx.snippets settings (`config`: its entry under markdown_extensions)."""

    root: Path
    config: tuple[tuple[str, Any], ...] = field(default=())

    @classmethod
    def from_config(cls, config: Mapping[str, Any] | None, root: Path) -> Snippets:
        settings = dict(config or {})
        base = settings.get("base_path", ["."])
        bases = [base] if isinstance(base, str) else list(base or [])
        # a base relative to the page being rendered (a bare `!relative`, config.py) has no
        # one folder here: left out
        settings["base_path"] = [str((root / str(b)).resolve()) for b in bases if b is not None]
        return cls(root, tuple(sorted((k, _frozen(v)) for k, v in settings.items())))

    @cached_property
    def _preprocessor(self) -> Any:
        import markdown

        settings = {k: (list(v) if isinstance(v, tuple) else v) for k, v in self.config}
        md = markdown.Markdown(
            extensions=["pymdownx.snippets"], extension_configs={"pymdownx.snippets": settings}
        )
        return confine(md.preprocessors["snippet"], self.root)

    def expand(self, text: str) -> Expanded:
        """`text` with every include expanded as the page will show it."""
        appended = dict(self.config).get("auto_append")
        if MARK not in text and not appended:
            return Expanded.unchanged(text)
        preprocessor = self._preprocessor
        source = text.split("\n")
        preprocessor.seen, preprocessor.bases, preprocessor.failed = set(), None, set()
        if appended:  # what its run() appends to every page, told as the page's last line
            source += "\n\n-8<-\n{}\n-8<-\n".format("\n\n".join(appended)).split("\n")
        out: list[str] = []
        origins: list[int] = []
        last = text.count("\n") + 1  # the page's own last line (counted once, not per span)
        try:
            for start, span in _spans(preprocessor, source):
                expanded = preprocessor.parse_snippets(span)
                out += expanded
                origins += [min(start + 1, last)] * len(expanded)
        except Exception as exc:  # SnippetMissingError under check_paths, an unreadable file
            line = min(start + 1, last)
            return Expanded(text, Expanded.unchanged(text).lines, ((line, _message(exc)),))
        return Expanded("\n".join(out), tuple(origins))

    def page_text(self, expanded: Expanded) -> str:
        """The expanded text as a generator should be given it: its snippets pass must leave it
        as it is, so the notation that was escaped (`;--8<--`) is escaped again."""
        if MARK not in expanded.text:
            return expanded.text
        return "\n".join(_escaped(self._preprocessor, line) for line in expanded.text.split("\n"))


def confine(preprocessor: Any, root: Path) -> Any:
    """pymdownx.snippets' `preprocessor` made to refuse every file that resolves outside `root`
    or into its .git folder, checked after resolving (a symlink counts where it leads). The
    refusal is pymdownx's own "missing snippet" error with the reason, so the include line is
    reported (a build with MkDocs' own snippets pass stops there). A base path may then be the
    repository's top, as documentation sites include README.md and CHANGELOG.md from it."""
    from pymdownx.snippets import SnippetMissingError

    from techpath.safety.files import leaves_repository

    found_by = preprocessor.get_snippet_path

    def get_snippet_path(path: str) -> str | None:
        found = found_by(path)
        if found is not None and (problem := leaves_repository(Path(found), root)):
            raise SnippetMissingError(f"Snippet at path '{path}' is refused: {problem}")
        return found

    preprocessor.get_snippet_path = get_snippet_path
    return preprocessor


def confined_extension(settings: Mapping[str, Any], root: Path) -> Any:
    """pymdownx.snippets as a Markdown extension object with `settings`, confined to `root`
    (`confine`): what the MkDocs plugin puts in place of the site's own, for the includes
    techpath does not expand itself (in docstrings that mkdocstrings renders, say)."""
    from pymdownx.snippets import SnippetExtension

    class ConfinedSnippets(SnippetExtension):
        def extendMarkdown(self, md: Any) -> None:
            super().extendMarkdown(md)
            confine(md.preprocessors["snippet"], root)

    return ConfinedSnippets(**dict(settings))


def _frozen(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_frozen(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((k, _frozen(v)) for k, v in value.items()))
    return value


def _spans(preprocessor: Any, lines: list[str]) -> list[tuple[int, list[str]]]:
    """The page cut where pymdownx.snippets reads it: one line at a time, except a block include
    (`--8<--` ... `--8<--`), which is one span; (index of its first line, its lines)."""
    spans: list[tuple[int, list[str]]] = []
    block: list[str] | None = None
    for number, line in enumerate(lines):
        found = preprocessor.RE_ALL_SNIPPETS.match(line)
        marker = found is not None and not found.group("escape") and not found.group("inline_marker")
        if block is not None:
            block.append(line)
            if marker:
                block = None
            continue
        if marker:
            block = [line]
            spans.append((number, block))
        else:
            spans.append((number, [line]))
    return spans


def _message(exc: Exception) -> str:
    return (
        f"pymdownx.snippets: {exc}: the include is not expanded, so neither the page nor the code "
        "that runs has it (paths are relative to the base_path folders of the site's snippets settings)"
    )


def _escaped(preprocessor: Any, line: str) -> str:
    """`line` with `;` before its include notation, if it still has some."""
    if MARK not in line:
        return line
    found = preprocessor.RE_ALL_SNIPPETS.match(line)
    if found:
        at = found.start("escape")
        return line[:at] + ";" + line[at:]
    section = preprocessor.match_section(line)
    if section:
        at = section.start("escape")
        return line[:at] + ";" + line[at:]
    return line

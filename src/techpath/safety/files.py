"""Which files of the docs folder reach the site, and as what.

A generator publishes whatever `docs/` holds, and MkDocs follows symlinks while it walks it, so
a pull request could publish a file from outside the checkout (`/etc/passwd`, the build's
`/proc/self/environ`, `.git/config`) or an `.html`/`.svg`/`.js` file that runs on the site's
origin with no CSP and no policy. So, for every file of the docs folder and of the snippet
folders:

- it is read only when its resolved path is inside the repository and not under `.git`; a
  symlinked *folder* that leaves the repository stops the build before anything is read (MkDocs
  would walk it, and `/` is a folder too), and so does any snippet symlink that leaves it
  (pymdownx.snippets' `restrict_base_path` compares paths without resolving links);
- an active file type is published only when the site lists it in `static_allow` (globs
  relative to the docs folder): an allowed SVG is rebuilt by the SVG cleaner, an allowed HTML
  page keeps only its body, cleaned by the prose policy, in a page of ours that carries the CSP;
  or when the site's configuration loads it itself (`extra_javascript`, the theme's
  `custom_dir`), as it is: those are the maintainers' configuration, not a post's.
"""

from __future__ import annotations

import fnmatch
import html
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from techpath.model import Problem
from techpath.safety.policy import STRICT, Profile, clean_html
from techpath.safety.prose import locate
from techpath.safety.svg import UnsafeSvg, clean_svg

# Files a browser runs or renders as a document of the site's origin.
HTML_SUFFIXES = frozenset({".html", ".htm", ".xhtml", ".xht", ".shtml"})
ACTIVE_SUFFIXES = HTML_SUFFIXES | {
    ".svg",
    ".svgz",
    ".js",
    ".mjs",
    ".cjs",
    ".xml",
    ".xsl",
    ".xslt",
    ".mht",
    ".mhtml",
}
_BODY = re.compile(r"<body\b[^>]*>(.*?)(?:</body\s*>|$)", re.S | re.I)
_TITLE = re.compile(r"<title\b[^>]*>(.*?)</title\s*>", re.S | re.I)


def leaves_repository(path: Path, root: Path) -> str | None:
    """Why the site may not read `path`: it resolves outside `root` or into `.git` (None when
    it may). Checked on the resolved path, so a symlink anywhere on the way counts."""
    target, base = path.resolve(), root.resolve()
    if not target.is_relative_to(base):
        return f"it resolves to {target}, outside the repository ({base}); nothing outside it is published"
    if ".git" in target.relative_to(base).parts:
        return "it resolves into .git, which is never published"
    return None


def docs_outside_problem(config_file: Path, docs_dir: Path) -> str | None:
    """Why a site whose docs folder is not inside the folder of its configuration cannot be built
    (None when it is inside). That folder is the repository: nothing outside it is read, so every
    page would be refused one by one and nothing built."""
    root, docs = config_file.parent.resolve(), docs_dir.resolve()
    if docs.is_relative_to(root):
        return None
    return (
        f"{config_file}: docs_dir is {docs}, outside the folder of {config_file.name} ({root}). "
        f"techpath takes the folder of {config_file.name} as the repository and reads, runs and "
        f"publishes nothing outside it, so no page could be built. Move {config_file.name} to the "
        "top folder of the repository (or to any folder above the pages, their data and figures) "
        "and set docs_dir relative to it (e.g. docs_dir: notebooks)"
    )


def escaping_links(folder: Path, root: Path) -> list[tuple[Path, str]]:
    """Every symlink under `folder` (not followed) whose target the site may not read."""
    found: list[tuple[Path, str]] = []
    if folder.is_symlink() or folder.is_file():
        problem = leaves_repository(folder, root) if folder.is_symlink() else None
        return [(folder, problem)] if problem else []
    for here, folders, files in os.walk(folder):
        for name in sorted(folders) + sorted(files):
            path = Path(here) / name
            if path.is_symlink() and (problem := leaves_repository(path, root)):
                found.append((path, problem))
    return found


@dataclass
class Published:
    """What to publish for one docs file: its own bytes (`source`), new bytes (`data`), or
    nothing (both None); and what was wrong with it."""

    source: Path | None = None
    data: bytes | None = None
    problems: list[Problem] = field(default_factory=list)


@dataclass(frozen=True)
class FileGate:
    root: Path  # the repository: the folder of the site's configuration
    docs_dir: Path
    allowed: tuple[str, ...] = ()  # static_allow: globs relative to docs_dir (`*` crosses folders)
    csp_tag: str | None = None  # the CSP <meta> for a published HTML page (None: added later)
    own: tuple[str, ...] = ()  # what the site's configuration loads itself: published as it is
    rules: Profile = STRICT  # the HTML policy an allowed HTML page's body is held to

    @classmethod
    def for_site(
        cls,
        root: Path,
        docs_dir: Path,
        static_allow: Iterable[str],
        config: dict[str, Any],
        rules: Profile = STRICT,
    ) -> FileGate:
        """The gate of a site: its `static_allow`, plus what its configuration loads itself
        (`extra_javascript` entries and everything under the theme's `custom_dir`). Under the
        `docs` HTML policy every SVG is allowed too (logos and diagrams are documentation's
        images), published through the SVG cleaner like any allowed one."""
        allowed = [str(g) for g in static_allow or ()] + (["*.svg"] if rules.name == "docs" else [])
        own = []
        for entry in config.get("extra_javascript") or []:
            path = entry.get("path") if isinstance(entry, dict) else getattr(entry, "path", entry)
            if isinstance(path, str) and "://" not in path:
                own.append(path.lstrip("/"))
        theme = config.get("theme")
        custom = theme.get("custom_dir") if isinstance(theme, dict) else None
        if isinstance(custom, str):
            folder = (root / custom).resolve()
            if folder.is_relative_to(docs_dir.resolve()):  # templates, not pages: as they are
                own.append(folder.relative_to(docs_dir.resolve()).as_posix() + "/*")
        return cls(root, docs_dir, tuple(allowed), own=tuple(own), rules=rules)

    def shown(self, path: Path) -> str:
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return path.as_posix()

    def fatal_problems(self, snippet_bases: Iterable[str] = ()) -> list[Problem]:
        """Links that stop the build before anything is read: a folder of the docs leaving the
        repository, any snippet leaving it."""
        problems = []
        for path, problem in escaping_links(self.docs_dir, self.root):
            if path.is_dir():
                problems.append(
                    Problem(self.shown(path), 1, f"a symlinked folder the site may not read: {problem}")
                )
        for base in snippet_bases:
            for path, problem in escaping_links(self.root / base, self.root):
                problems.append(
                    Problem(self.shown(path), 1, f"a snippet the site may not include: {problem}")
                )
        return problems

    def lint(self, folder: Path, snippet_bases: Iterable[str] = ()) -> list[Problem]:
        """Every problem the build would find with the files of `folder` (inside the docs) and
        the snippet folders, pages included, without building: for `techpath lint`."""
        problems = self.fatal_problems(snippet_bases)
        fatal = {p.path for p in problems}
        for here, folders, files in os.walk(folder):
            for name in sorted(files) + [f for f in sorted(folders) if (Path(here) / f).is_symlink()]:
                path = Path(here) / name
                if self.shown(path) in fatal:
                    continue
                try:
                    uri = path.relative_to(self.docs_dir).as_posix()
                except ValueError:
                    continue
                if path.suffix not in (".md", ".ipynb"):  # pages are the posts' lint's
                    problems += self.publish(uri, path).problems
        return problems

    def read_problem(self, path: Path) -> Problem | None:
        """Why the docs file at `path` may not be read at all (a page or any other file)."""
        problem = leaves_repository(path, self.root)
        return Problem(self.shown(path), 1, f"left out of the site: {problem}") if problem else None

    def is_allowed(self, uri: str) -> bool:
        return any(fnmatch.fnmatchcase(uri, glob) for glob in self.allowed)

    def is_own(self, uri: str) -> bool:
        return any(fnmatch.fnmatchcase(uri, glob) for glob in self.own)

    def publish(self, uri: str, path: Path) -> Published:
        """What the site may hold for the docs file `uri` (relative to docs_dir) at `path`."""
        if problem := self.read_problem(path):
            return Published(problems=[problem])
        suffix = Path(uri).suffix.lower()
        if suffix not in ACTIVE_SUFFIXES or self.is_own(uri):
            return Published(source=path)
        shown = self.shown(path)
        if not self.is_allowed(uri):
            message = (
                f"left out of the site: a {suffix} file runs in the reader's browser on the site's "
                "origin; list it under static_allow in the techpath plugin's options if the site "
                "needs it (an allowed SVG is cleaned, allowed HTML is held to the posts' policy)"
            )
            return Published(problems=[Problem(shown, 1, message)])
        if suffix == ".svg":
            try:
                return Published(data=clean_svg(path.read_bytes()))
            except UnsafeSvg as exc:
                return Published(problems=[Problem(shown, 1, f"left out of the site: {exc}")])
        if suffix == ".svgz":
            message = "left out of the site: a compressed SVG cannot be checked; commit the .svg"
            return Published(problems=[Problem(shown, 1, message)])
        if suffix in HTML_SUFFIXES:
            text = path.read_text(encoding="utf-8", errors="replace")
            page, found = static_page(text, self.csp_tag, self.rules)
            return Published(data=page.encode("utf-8"), problems=[Problem(shown, n, m) for n, m in found])
        return Published(source=path)  # allowed script or XML: the site's own, as it is


def static_page(text: str, csp_tag: str | None, rules: Profile = STRICT) -> tuple[str, list[tuple[int, str]]]:
    """An allowed HTML file as the site publishes it: its body cleaned by the prose policy (each
    refusal as (line, message)) in a page with the CSP; its title kept as text."""
    body_match = _BODY.search(text)
    body = body_match.group(1) if body_match else text
    offset = text.count("\n", 0, body_match.start(1)) if body_match else 0
    cleaned, violations = clean_html(body, rules)
    problems = [(f.line, f.message) for f in locate(violations, body, offset + 1)]
    title_match = _TITLE.search(text)
    title = html.escape(html.unescape(title_match.group(1)).strip()) if title_match else ""
    # the CSP first in <head>, as on every page (safety/csp.py puts it there when csp_tag is None)
    head = (csp_tag or "") + '<meta charset="utf-8"><meta name="viewport" content="width=device-width">'
    document = (
        f"<!doctype html>\n<html><head>{head}<title>{title}</title></head>\n<body>{cleaned}</body></html>\n"
    )
    return document, problems

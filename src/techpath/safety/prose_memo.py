"""Lint's HTML-policy findings kept between builds, beside the result cache (`prose.json`).

Every build checks every page's prose before it executes anything (`ProseCheck.check`): the page
converted with the site's Markdown extensions and read by the policy's HTML parser, about an
eighth of the CPU of a build of our site whose results all come from the cache. The findings of a
text depend only on that text, its first line, the policy, the extensions with their options,
and the code that converts and checks it; the memo is keyed on all of them, so an unchanged page
is not converted again. A site whose extensions come from anywhere else than Markdown,
pymdown-extensions, Material or mkdocs-autorefs (a local extension may change without a version)
or whose options are not plain data gets no memo. The file holds the texts of the last build only
(it never grows without bound) and is replaced atomically. Its entries are read as untrusted: a
malformed file is ignored, and an entry that hid a violation would not hide it from the build,
whose own policy pass (`enforce_prose_policy`) removes what the page holds and reports it.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import dataclass, field, fields
from importlib import metadata
from pathlib import Path
from typing import Any

from techpath import __version__
from techpath.fingerprint import engine_source_hash
from techpath.safety.prose import Finding, ProseCheck

MEMO_FILE = "prose.json"
# Where an extension may come from, and the distribution whose version keys it.
_KNOWN = {
    "markdown": "markdown",
    "pymdownx": "pymdown-extensions",
    "material": "mkdocs-material",
    "mkdocs_autorefs": "mkdocs-autorefs",
    "pygments": "pygments",  # code highlighted inside the converted prose
}
_BUILT_IN = frozenset(
    [
        "abbr",
        "admonition",
        "attr_list",
        "def_list",
        "fenced_code",
        "footnotes",
        "legacy_attrs",
        "legacy_em",
        "md_in_html",
        "meta",
        "nl2br",
        "sane_lists",
        "smarty",
        "tables",
        "toc",
        "wikilinks",
        "codehilite",
    ]
)


@dataclass
class ProseMemo:
    path: Path
    identity: str
    stored: dict[str, list[list[Any]]] = field(default_factory=dict)
    used: dict[str, list[list[Any]]] = field(default_factory=dict)

    @classmethod
    def open(cls, path: Path, check: ProseCheck) -> ProseMemo | None:
        """The memo of `check` at `path`, or None when `check` cannot be keyed safely."""
        identity = _identity(check)
        if identity is None:
            return None
        return cls(path, identity, _load(path, identity))

    def key(self, text: str, first_line: int) -> str:
        return hashlib.sha256(f"{self.identity}\0{first_line}\0{text}".encode()).hexdigest()

    def get(self, text: str, first_line: int) -> list[Finding] | None:
        key = self.key(text, first_line)
        entry = self.used.get(key, self.stored.get(key))
        if entry is None:
            return None
        self.used[key] = entry
        return [Finding(line, message) for line, message in entry]

    def put(self, text: str, first_line: int, findings: list[Finding]) -> None:
        self.used[self.key(text, first_line)] = [[f.line, f.message] for f in findings]

    def save(self) -> None:
        """Write this build's entries if they differ from the file's (atomically)."""
        if self.used == self.stored:
            return
        scratch = None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            handle, scratch = tempfile.mkstemp(prefix=".prose-", dir=self.path.parent)
            with os.fdopen(handle, "w", encoding="utf-8") as f:
                json.dump({"identity": self.identity, "entries": self.used}, f)
            os.replace(scratch, self.path)
        except OSError:  # a memo that cannot be written only makes the next build slower
            if scratch is not None:
                Path(scratch).unlink(missing_ok=True)
            return
        self.stored = dict(self.used)


@dataclass
class RememberedProseCheck(ProseCheck):
    """A site's `ProseCheck` that answers from its memo first (`remembered`)."""

    memo: ProseMemo | None = field(default=None, repr=False, compare=False)

    def check(self, text: str, first_line: int = 1) -> list[Finding]:
        if self.memo is not None and (known := self.memo.get(text, first_line)) is not None:
            return known
        findings = super().check(text, first_line)
        if self.memo is not None:
            self.memo.put(text, first_line, findings)
        return findings

    def forget_unused(self) -> None:
        """A new build: the file will hold this build's texts only (a check kept across the
        loads of `techpath serve` would otherwise keep every older version of an edited page)."""
        super().forget_unused()
        if self.memo is not None:
            self.memo.used = {}


def remembered(check: ProseCheck, cache_dir: Path) -> ProseCheck:
    """`check` with the memo kept in `cache_dir` (call `save_memo` once the pages are loaded);
    `check` itself when its settings cannot be keyed safely."""
    memo = ProseMemo.open(cache_dir / MEMO_FILE, check)
    if memo is None:
        return check
    settings = {f.name: getattr(check, f.name) for f in fields(check) if f.init and f.name != "memo"}
    return RememberedProseCheck(**settings, memo=memo)


def save_memo(check: ProseCheck) -> None:
    if isinstance(check, RememberedProseCheck) and check.memo is not None:
        check.memo.save()


def _load(path: Path, identity: str) -> dict[str, list[list[Any]]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("identity") != identity:
        return {}
    entries = data.get("entries")
    if not isinstance(entries, dict):
        return {}
    return {key: value for key, value in entries.items() if _well_formed(value)}


def _well_formed(value: object) -> bool:
    return isinstance(value, list) and all(
        isinstance(item, list)
        and len(item) == 2
        and type(item[0]) is int
        and item[0] > 0
        and isinstance(item[1], str)
        for item in value
    )


def _identity(check: ProseCheck) -> str | None:
    """What the findings of `check` depend on besides the text, or None if not all is known."""
    if not all(_known_extension(name) for name in check.extensions):
        return None
    try:
        configs = json.dumps(check.configs, sort_keys=True, default=_named)
    except (TypeError, ValueError):
        return None
    rules = check.rules
    material = {
        "techpath": [__version__, engine_source_hash()],
        "libraries": {name: _version(name) for name in sorted(set(_KNOWN.values()))},
        "rules": [
            rules.name,
            sorted(rules.tags),
            {tag: sorted(names) for tag, names in sorted(rules.attributes.items())},
            list(rules.image_sources),
        ],
        "extensions": list(check.extensions),
        "configs": configs,
        "autorefs": check.autorefs,
        "typeset_math": check.typeset_math,
    }
    return hashlib.sha256(json.dumps(material, sort_keys=True).encode()).hexdigest()


def _known_extension(name: str) -> bool:
    root = name.split(".", 1)[0]
    return name in _BUILT_IN or (root in _KNOWN and root != "pygments")


def _named(value: object) -> str:
    """A function or class named in the options (`!!python/name:`), from a known library."""
    module, name = getattr(value, "__module__", None), getattr(value, "__qualname__", None)
    if not isinstance(module, str) or not isinstance(name, str) or module.split(".", 1)[0] not in _KNOWN:
        raise TypeError(f"cannot key {value!r}")
    return f"{module}.{name}"


def _version(distribution: str) -> str | None:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None

"""What a page's result depends on beyond its own code, recorded as it ran and checked on reuse.

A page's cache key (cache.py) holds what is known before it runs: its code, options, limits,
Python and the engine. What it imports and reads is only known after: the page process records
the modules it used and the site's files it read and listed (execute/imports.py,
execute/reads.py), and this module turns the modules into installed distributions with their
versions, closed over what those distributions require (`import sklearn` uses SciPy and NumPy
even when the page never names them). The cache entry stores the result; a later build reuses
it only while every one of these still holds (`Dependencies.changed`).
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from techpath.execute.reads import file_digest, listing_digest

_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


def normalize(name: str) -> str:
    """PEP 503: `Scikit_Learn` and `scikit-learn` are one project."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _name_version(folder: str) -> tuple[str, str]:
    """`scikit_learn-1.6.1.dist-info` -> ("scikit-learn", "1.6.1") (the installer writes both
    into the folder's name; an egg-info may carry only the name)."""
    stem = folder.rsplit(".", 1)[0]
    name, _, rest = stem.partition("-")
    version = rest.split("-py", 1)[0] if rest else ""
    return normalize(name), version


def installed_versions(path: list[str] | None = None) -> dict[str, str]:
    """{project: version} of every distribution on the import path, from the metadata folders'
    names (a listing per folder; no METADATA file is parsed). The first one found wins, as for
    imports."""
    versions: dict[str, str] = {}
    for entry in sys.path if path is None else path:
        try:
            with os.scandir(entry or ".") as listing:
                names = sorted(e.name for e in listing if e.name.endswith((".dist-info", ".egg-info")))
        except OSError:
            continue
        for folder in names:
            name, version = _name_version(folder)
            if version:
                versions.setdefault(name, version)
            elif name not in versions:
                versions[name] = _egg_version(Path(entry or ".") / folder)
    return versions


def _egg_version(folder: Path) -> str:
    for name in ("PKG-INFO", "METADATA"):
        try:
            for line in (folder / name).read_text(encoding="utf-8", errors="replace").splitlines():
                if line.startswith("Version:"):
                    return line.split(":", 1)[1].strip()
        except OSError:
            continue
    return "?"


class DistributionIndex:
    """Which distribution installed each top-level module folder or file, and what each
    distribution requires. Built lazily from the metadata folders (RECORD, top_level.txt), once
    per build process, off the page processes' way."""

    def __init__(self, path: list[str] | None = None) -> None:
        self._path = list(sys.path if path is None else path)
        self._owners: dict[str, set[str]] | None = None
        self._metadata: dict[str, Path] = {}  # project -> its metadata folder
        self._requires: dict[str, list[str]] = {}

    def owners(self, module_path: str) -> set[str]:
        """Projects that installed `module_path` (a top-level package folder or module file
        below a sys.path entry), by real path."""
        if self._owners is None:
            self._owners = self._scan()
        return self._owners.get(os.path.realpath(module_path), set())

    def _scan(self) -> dict[str, set[str]]:
        owners: dict[str, set[str]] = {}
        for entry in self._path:
            base = os.path.realpath(entry or ".")
            try:
                with os.scandir(base) as listing:
                    folders = [e.name for e in listing if e.name.endswith((".dist-info", ".egg-info"))]
            except OSError:
                continue
            for folder in folders:
                name, _ = _name_version(folder)
                self._metadata.setdefault(name, Path(base) / folder)
                for top in _top_levels(Path(base) / folder):
                    owners.setdefault(os.path.join(base, top), set()).add(name)
        return owners

    def requires(self, project: str) -> list[str]:
        """Projects `project` requires (its Requires-Dist without extras), normalized."""
        if project in self._requires:
            return self._requires[project]
        if self._owners is None:
            self._owners = self._scan()
        folder = self._metadata.get(project)
        found: list[str] = []
        if folder is not None:
            for file in ("METADATA", "PKG-INFO"):
                try:
                    text = (folder / file).read_text(encoding="utf-8", errors="replace")
                except OSError:
                    continue
                for line in text.splitlines():
                    if line == "":  # the headers end where the description starts
                        break
                    if line.startswith("Requires-Dist:"):
                        requirement = line.split(":", 1)[1]
                        marker = requirement.split(";", 1)[1] if ";" in requirement else ""
                        match = _NAME.match(requirement)
                        if match and "extra" not in marker:
                            found.append(normalize(match.group(1)))
                break
        self._requires[project] = found
        return found

    def distributions(self, module_paths: list[str], installed: dict[str, str]) -> dict[str, str]:
        """{project: version} of the distributions that installed `module_paths`, and of every
        installed distribution they require, transitively."""
        todo = [name for path in module_paths for name in sorted(self.owners(path))]
        seen: dict[str, str] = {}
        while todo:
            name = todo.pop()
            if name in seen or name not in installed:
                continue
            seen[name] = installed[name]
            todo += self.requires(name)
        return dict(sorted(seen.items()))


def _top_levels(folder: Path) -> set[str]:
    """First path components of the files a distribution installed into its sys.path entry."""
    tops: set[str] = set()
    try:
        record = (folder / "RECORD").read_text(encoding="utf-8", errors="replace")
        for line in record.splitlines():
            path = line.rsplit(",", 2)[0].strip('"')
            first = path.split("/", 1)[0]
            if first not in ("", "..", "__pycache__") and not first.endswith((".dist-info", ".data")):
                tops.add(first)
        return tops
    except OSError:
        pass
    try:  # an egg-info (setuptools): top_level.txt names its packages
        names = (folder / "top_level.txt").read_text(encoding="utf-8").split()
    except OSError:
        return tops
    for name in names:
        tops.update({name, f"{name}.py"})
    return tops


@dataclass
class Dependencies:
    """What a result depends on besides its key: distributions and their versions, the site's
    files it read (sha256, None when it found the file missing) and folders it listed."""

    distributions: dict[str, str] = field(default_factory=dict)
    files: dict[str, str | None] = field(default_factory=dict)
    listings: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_json(cls, data: Any) -> Dependencies:
        if not isinstance(data, dict):
            raise ValueError("dependencies: expected a mapping")
        parts = {k: data.get(k) or {} for k in ("distributions", "files", "listings")}
        if not all(isinstance(v, dict) for v in parts.values()):
            raise ValueError("dependencies: expected mappings")
        for path in [*parts["files"], *parts["listings"]]:
            if not isinstance(path, str) or path.startswith(("/", "\\")) or ".." in Path(path).parts:
                raise ValueError(f"dependencies: {path!r} is not a path inside the site")
        return cls(**parts)

    def to_json(self) -> dict[str, Any]:
        return {"distributions": self.distributions, "files": self.files, "listings": self.listings}

    def changed(self, root: Path, installed: dict[str, str], digests: FileDigests) -> str:
        """Why the result is stale (the first difference found), or '' when all still hold."""
        for name, version in self.distributions.items():
            now = installed.get(name)
            if now != version:
                return f"{name} {version} -> {now or 'not installed'}"
        for path, digest in self.files.items():
            if digests.file(root / path) != digest:
                return f"{path} changed" if digest else f"{path} appeared"
        for path, digest in self.listings.items():
            if listing_digest(root / path) != digest:
                return f"the files in {path}/ changed"
        return ""


class FileDigests:
    """sha256 of files, recomputed only when a file's size or modification time moved (one
    build checks the same data file for many pages)."""

    def __init__(self) -> None:
        self._memo: dict[Path, tuple[tuple[int, int, int], str | None]] = {}

    def file(self, path: Path) -> str | None:
        try:
            stat = path.stat()
        except OSError:
            return None
        stamp = (stat.st_size, stat.st_mtime_ns, stat.st_ino)
        known = self._memo.get(path)
        if known is not None and known[0] == stamp:
            return known[1]
        digest = file_digest(path)
        self._memo[path] = (stamp, digest)
        return digest

"""What a reader must install to run a post at home: the distributions its code imports, at the
versions the page was verified with (the executed result's versions, else the build's own)."""

from __future__ import annotations

import ast
import csv
import functools
import importlib.metadata
import re
import sys
from collections.abc import Iterable

from techpath.model import PageResult, Post


def imported_modules(sources: Iterable[str]) -> list[str]:
    """Top-level names of every module the code imports, in first-seen order."""
    seen: dict[str, None] = {}
    for source in sources:
        try:
            tree = ast.parse(source)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names = [node.module]
            else:
                continue
            for name in names:
                seen.setdefault(name.split(".")[0], None)
    return list(seen)


@functools.cache
def module_distributions() -> dict[str, list[str]]:
    """Top-level module -> the distributions providing it, as `importlib.metadata`'s
    `packages_distributions()` computes it; read once per process, as the environment
    fingerprint is (fingerprint.py)."""
    # The standard library's version builds a path object for every file of every installed
    # distribution (0.5 CPU s here, and it was called once per post: 15 of a warm build's 43 CPU
    # seconds); reading the RECORD lines as text gives the same names in a fifth of that.
    found: dict[str, list[str]] = {}
    for dist in importlib.metadata.distributions():
        for module in (dist.read_text("top_level.txt") or "").split() or _inferred_modules(dist):
            found.setdefault(module, []).append(dist.metadata["Name"])
    return found


def _inferred_modules(dist: importlib.metadata.Distribution) -> set[str]:
    """The top-level modules of a distribution without top_level.txt, from its file list: the
    first folder of each .py file, or the file's own name for a module at the top."""
    record = dist.read_text("RECORD")
    if record is None:  # an egg-info or other layout: the standard library knows them all
        files = [str(f) for f in dist.files or []]
    else:
        files = [row[0] for row in csv.reader(record.splitlines()) if row]
    modules: set[str] = set()
    for file in files:
        if not file.endswith(".py"):
            continue
        parts = [part for part in file.split("/") if part not in ("", ".")]
        if parts:
            modules.add(parts[0] if len(parts) > 1 else parts[0][: -len(".py")])
    return modules


def requirements(post: Post, result: PageResult | None) -> list[str]:
    """`name==version` for every third-party distribution the post's code imports, sorted."""
    distributions = module_distributions()
    verified = result.versions if result is not None else {}
    pins: dict[str, str] = {}
    for module in imported_modules(b.source for b in post.blocks if not b.options.skip):
        if module in sys.stdlib_module_names or module == "techpath":
            continue
        for dist in distributions.get(module, []):
            name = dist.lower()
            version = verified.get(name)
            if version is None:
                try:
                    version = importlib.metadata.version(dist)
                except importlib.metadata.PackageNotFoundError:
                    continue
            pins[name] = version
    # Both land in a `%pip install` cell and the script's docstring: a name or version that is
    # not one (a result is the page's own output, which its code could forge) is left out.
    return [f"{n}=={v}" for n, v in sorted(pins.items()) if _NAME.fullmatch(n) and _VERSION.fullmatch(v)]


_NAME = re.compile(r"[a-z0-9](?:[a-z0-9._-]*[a-z0-9])?")
_VERSION = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9.+!_-]*[A-Za-z0-9])?")


def pip_line(pins: list[str], magic: bool = True) -> str:
    """`%pip install ...` for a notebook cell, `pip install ...` for a shell."""
    if not pins:
        return ""
    return ("%pip install " if magic else "pip install ") + " ".join(pins)

"""What a reader must install to run a post at home: the distributions its code imports, at the
versions the page was verified with (the executed result's versions, else the build's own)."""

from __future__ import annotations

import ast
import importlib.metadata
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


def requirements(post: Post, result: PageResult | None) -> list[str]:
    """`name==version` for every third-party distribution the post's code imports, sorted."""
    distributions = importlib.metadata.packages_distributions()
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
    return [f"{name}=={version}" for name, version in sorted(pins.items())]


def pip_line(pins: list[str], magic: bool = True) -> str:
    """`%pip install ...` for a notebook cell, `pip install ...` for a shell."""
    if not pins:
        return ""
    return ("%pip install " if magic else "pip install ") + " ".join(pins)

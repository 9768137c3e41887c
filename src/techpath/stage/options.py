"""The engine settings of a site (its techpath options, options.py) for the MkDocs plugin and
`techpath stage`/`techpath build`, so both execute with the same limits."""

from __future__ import annotations

import sys
from pathlib import Path

from techpath.config import discover
from techpath.engine import Settings
from techpath.execute.preload import modules_to_preload
from techpath.options import PluginOptions


def engine_settings(root: Path, docs: Path, options: PluginOptions) -> Settings:
    """`Settings.from_site` (the one way every front end reads the options), preloading what
    the site's pages import."""
    settings = Settings.from_site(root, options)
    settings.preload = site_preload(docs)
    return settings


# docs folder -> (what the scan read: the import path and each file's name, size and mtime; its
# modules). A cold build scans at its early launch and again in on_config (about 0.05 CPU s on a
# 30-post site, on the critical path): the second scan is the first's result when nothing changed.
_scans: dict[Path, tuple[tuple[object, ...], list[str]]] = {}


def site_preload(docs: Path) -> list[str]:
    """The modules the site's pages import: what its warm parent imports before any page."""
    files = discover([docs])
    read = (tuple(sys.path), *(_stamp(p, docs) for p in files))  # which modules are installed, too
    folder = docs.resolve()
    known = _scans.get(folder)
    if known is not None and known[0] == read:
        return list(known[1])
    modules = modules_to_preload(p.read_text(encoding="utf-8", errors="replace") for p in files)
    _scans[folder] = (read, modules)
    return list(modules)


def _stamp(path: Path, docs: Path) -> tuple[str, int, int]:
    status = path.stat()
    return (path.relative_to(docs).as_posix(), status.st_size, status.st_mtime_ns)

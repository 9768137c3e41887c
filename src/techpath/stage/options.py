"""The engine settings of a site (its techpath options, options.py) for the MkDocs plugin and
`techpath stage`/`techpath build`, so both execute with the same limits."""

from __future__ import annotations

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


def site_preload(docs: Path) -> list[str]:
    """The modules the site's pages import: what its warm parent imports before any page."""
    return modules_to_preload(p.read_text(encoding="utf-8", errors="replace") for p in discover([docs]))

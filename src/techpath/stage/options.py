"""The techpath options (the plugin's block in mkdocs.yml) as engine settings, shared by the
MkDocs plugin and `techpath stage`/`techpath build`, so both execute with the same limits."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from techpath.config import discover
from techpath.engine import Settings
from techpath.execute.preload import modules_to_preload
from techpath.parse.policy import JUPYTER_FIGURE_RC

DEFAULTS: dict[str, Any] = {
    "execute": True,
    "include": [],
    "exclude": [],
    "warnings": "show",
    "saved_outputs": "ignore",
    "jobs": 0,
    "block_timeout": None,
    "page_timeout": 300,
    "memory_mb": 2048,
    "refresh": False,
    "cache_dir": None,
    "keep_warm": None,
    "report": "techpath-report.json",
    "katex_dir": "node_modules/katex",
    "typeset_math": True,
    "generator": "mkdocs",
    "max_description": 200,
    "path_stages": [],
    "path_page": None,
    "max_code_line": 0,
    "content_security_policy": True,
    "csp_sources": {},
    "matplotlib_rc": dict(JUPYTER_FIGURE_RC),
}
GENERATORS = ("mkdocs", "properdocs", "zensical")


def options(raw: Mapping[str, Any]) -> dict[str, Any]:
    """The plugin options with defaults filled in."""
    return {**DEFAULTS, **{k: v for k, v in raw.items() if v is not None or k not in DEFAULTS}}


def engine_settings(root: Path, docs: Path, raw: Mapping[str, Any]) -> Settings:
    """`Settings.from_site` (the one way every front end reads the options), preloading what
    the site's pages import."""
    settings = Settings.from_site(root, dict(raw))
    sources = (p.read_text(encoding="utf-8", errors="replace") for p in discover([docs]))
    settings.preload = modules_to_preload(sources)
    return settings

"""The techpath options (the plugin's block in mkdocs.yml) as engine settings, shared by the
MkDocs plugin and `techpath stage`/`techpath build`, so both execute with the same limits."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from techpath.config import discover
from techpath.engine import Settings, default_cache_dir, default_keep_warm
from techpath.execute.preload import modules_to_preload
from techpath.model import Limits

DEFAULTS: dict[str, Any] = {
    "execute": True,
    "jobs": 0,
    "block_timeout": 30,
    "page_timeout": 300,
    "memory_mb": 2048,
    "refresh": False,
    "cache_dir": None,
    "keep_warm": None,
    "report": "techpath-report.json",
    "katex_dir": "node_modules/katex",
    "typeset_math": True,
    "generator": "mkdocs",
}
GENERATORS = ("mkdocs", "properdocs", "zensical")


def options(raw: Mapping[str, Any]) -> dict[str, Any]:
    """The plugin options with defaults filled in."""
    return {**DEFAULTS, **{k: v for k, v in raw.items() if v is not None or k not in DEFAULTS}}


def engine_settings(root: Path, docs: Path, raw: Mapping[str, Any]) -> Settings:
    opts = options(raw)
    cache_dir = Path(opts["cache_dir"]) if opts["cache_dir"] else default_cache_dir()
    if not cache_dir.is_absolute():
        cache_dir = root / cache_dir
    refresh = bool(opts["refresh"]) or os.environ.get("TECHPATH_REFRESH", "") not in ("", "0", "false")
    sources = (p.read_text(encoding="utf-8", errors="replace") for p in discover([docs]))
    keep_warm = opts["keep_warm"]
    return Settings(
        preload=modules_to_preload(sources),
        jobs=int(opts["jobs"]) or os.cpu_count() or 1,
        limits=Limits(float(opts["block_timeout"]), float(opts["page_timeout"]), int(opts["memory_mb"])),
        cache_dir=cache_dir,
        refresh=refresh,
        keep_warm=float(keep_warm) if keep_warm is not None else default_keep_warm(),
    )

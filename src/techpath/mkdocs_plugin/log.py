"""The plugin's logger, for both halves of the plugin (__init__.py and build.py)."""

from __future__ import annotations

from mkdocs.plugins import get_plugin_logger

log = get_plugin_logger("techpath.mkdocs_plugin")


def info(message: str) -> None:
    """The engine's messages start with "techpath: " for the command line; the plugin's logger
    already names techpath (it printed "techpath: techpath: started a warm parent ...")."""
    log.info(message.removeprefix("techpath: "))

"""Start a cold build's warm parent while MkDocs is still loading its configuration.

The plugin's `on_config` starts the warm parent (Stager.prewarm), but MkDocs gets there only
after validating the rest of the configuration and running the other plugins' `on_config`.
MkDocs validates the plugin's own options earlier (`load_config`, right after importing the
plugin; measured: 0.04-0.06 CPU s of the build before `on_config`, since importing the plugin
module itself, about 0.4 CPU s, comes before both), and that is enough to know the site's
folder, its options and so its result cache: when that
cache holds no result at all, the build will execute every page with code, so its warm parent
is launched there, with the same command, environment and import list `on_config` would give it,
as the shared warm parent (server mode) that `on_config`'s engine then connects to instead of
launching its own. Anything else waits for `on_config` as before, so a build that executes
nothing never pays the imports: a warm build has results in its cache, and deciding which pages
are cached needs the whole configuration.
"""

from __future__ import annotations

import contextlib
import subprocess
from collections.abc import Callable
from pathlib import Path

from techpath.cache import Cache
from techpath.engine import Settings
from techpath.execute import sockets
from techpath.execute.client import launch_server, server_socket_path
from techpath.execute.runner import child_env, fork_is_safe
from techpath.options import PluginOptions
from techpath.stage.options import site_preload


def launch_if_cold(config_file: Path, options: PluginOptions, log: Callable[[str], None]) -> bool:
    """Launch the shared warm parent now when this build will surely execute (see above).
    Returns whether it did; never raises (`on_config` reports any problem)."""
    try:
        if options.execute is False:
            return False
        settings = Settings.from_site(config_file.parent, options)
        if settings.keep_warm <= 0 or settings.mode == "spawn" or not fork_is_safe():
            return False  # a build-owned warm parent is started by the engine, in on_config
        if not _no_results(Cache(settings.cache_dir)):
            return False
        docs = docs_dir(config_file)
        preload = site_preload(docs) if docs is not None and docs.is_dir() else []
        if not preload:
            return False  # nothing to import, so nothing to overlap
        path = server_socket_path()
        if Path(path).exists():
            return False  # a warm parent may serve it already: on_config connects, or replaces it
        _launched.append(launch_server(path, child_env(settings.jobs, preload), settings.keep_warm, log))
        log("techpath: no result cached yet: the warm parent starts while MkDocs loads the configuration")
        return True
    except (OSError, ValueError, sockets.UnsafeFolder):
        return False


_launched: list[subprocess.Popen[bytes]] = []  # launched here, not yet claimed by on_config


def settle(used: bool) -> None:
    """`on_config` decided: its engine connects to the warm parent launched early (`used`), or
    the build executes nothing after all (its pages have no code that runs): then that process,
    still importing and serving no one (it accepts clients only once warm), is ended now rather
    than left to idle for `keep_warm` seconds."""
    while _launched:
        launcher = _launched.pop()
        if not used and launcher.poll() is None:
            launcher.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                launcher.wait(timeout=10)


def _no_results(cache: Cache) -> bool:
    """Whether the cache folder holds no page result (missing, or never filled)."""
    try:
        return not any(cache.entries.iterdir())
    except FileNotFoundError:
        return True


def docs_dir(config_file: Path) -> Path | None:
    """The site's docs folder as MkDocs reads it from the configuration file (`docs_dir`,
    relative to the file's folder, default `docs`); None when the file cannot be read here."""
    from mkdocs.utils.yaml import yaml_load

    try:
        with open(config_file, "rb") as f:
            raw = yaml_load(f)
    except Exception:  # MkDocs reports a broken configuration itself
        return None
    value = raw.get("docs_dir", "docs") if isinstance(raw, dict) else None
    if not isinstance(value, str):
        return None
    return (config_file.parent / value).resolve()

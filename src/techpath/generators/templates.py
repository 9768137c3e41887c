"""Keep the theme's compiled templates between builds.

Material's templates are compiled from Jinja source by every build: about a quarter of the CPU
of a plain 20-post build. Jinja's file bytecode cache stores the compiled code keyed by the
template's name and a checksum of its source, with a header naming the Jinja bytecode format and
the Python version, so an edited template or an upgrade simply compiles again. Entries are
written to a temporary file and renamed into place, so concurrent builds never read half of one.
"""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, FileSystemBytecodeCache


def cache_compiled_templates(env: Environment, folder: Path) -> Environment:
    """Make `env` load and store compiled templates in `folder` (created if missing)."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:  # a read-only cache folder: compile every time, as without this
        return env
    env.bytecode_cache = FileSystemBytecodeCache(str(folder))
    return env

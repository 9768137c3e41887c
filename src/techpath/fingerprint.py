"""What the environment contributes to a cache key (Python) and to the warm parent's identity
(Python, every installed distribution and techpath's own code)."""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import os
import platform
import sys
from pathlib import Path

METADATA_SUFFIXES = (".dist-info", ".egg-info")


@functools.cache
def python_fingerprint() -> str:
    """The interpreter: a page's result is reused only under the same Python on the same kind of
    machine. The distributions it used are checked per result (dependencies.py)."""
    return hashlib.sha256(
        "\n".join([sys.version, platform.machine(), platform.system()]).encode()
    ).hexdigest()


@functools.cache
def environment_fingerprint() -> str:
    """A hash that changes when Python or any installed package (name or version) changes."""
    material = [sys.version, platform.machine(), platform.system(), *installed_distributions()]
    return hashlib.sha256("\n".join(material).encode()).hexdigest()


@functools.cache
def engine_source_hash() -> str:
    """Changes whenever techpath's own code changes (an editable install being worked on): part
    of the warm parent's identity and of the key of every cleaned figure (safety/svg.py)."""
    digest = hashlib.sha256()
    for path in sorted(Path(__file__).resolve().parent.rglob("*.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()


def installed_distributions(path: list[str] | None = None) -> list[str]:
    """Every distribution on the import path, as the name of its metadata folder, sorted:
    `numpy-2.1.3.dist-info`. The installer writes name and version into that name (the wheel
    and PEP 376 layouts), so a listing of each folder finds what `importlib.metadata` would,
    without parsing a METADATA file per package (0.3 CPU seconds for ~120 packages, paid by
    every build before its first page could start; the listing takes about a millisecond)."""
    names = []
    for entry in sys.path if path is None else path:
        try:
            with os.scandir(entry or ".") as listing:
                names += [e.name for e in listing if e.name.endswith(METADATA_SUFFIXES)]
        except OSError:  # a zip file or a folder that does not exist: no metadata folders in it
            continue
    return sorted(names)


@functools.cache
def library_versions() -> dict[str, str]:
    """The versions a reader cares about, for the execution report (read once per process)."""
    versions = {"python": platform.python_version()}
    for name in ("scikit-learn", "numpy", "matplotlib", "pandas", "scipy"):
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            pass
    return versions

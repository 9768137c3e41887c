"""What the environment contributes to a cache key: Python and every installed distribution."""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import platform
import sys


@functools.cache
def environment_fingerprint() -> str:
    """A hash that changes when Python or any installed package (name or version) changes."""
    distributions = sorted(
        f"{(d.metadata['Name'] or '').lower()}=={d.version}" for d in importlib.metadata.distributions()
    )
    material = [sys.version, platform.machine(), platform.system(), *distributions]
    return hashlib.sha256("\n".join(material).encode()).hexdigest()


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

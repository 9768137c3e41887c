"""The environment fingerprint sees every installed distribution, by name and version, as
importlib.metadata does, without parsing each package's metadata."""

from __future__ import annotations

import importlib.metadata
import re
from pathlib import Path

from techpath.fingerprint import installed_distributions


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_the_listing_finds_what_importlib_metadata_finds() -> None:
    from_metadata = {
        (canonical(d.metadata["Name"] or ""), d.version) for d in importlib.metadata.distributions()
    }
    from_listing = set()
    for folder in installed_distributions():
        stem = folder.rsplit(".", 1)[0]
        name, _, version = stem.partition("-")
        from_listing.add((canonical(name), version))
    assert from_listing == from_metadata
    assert any(name == "numpy" for name, _ in from_listing)


def test_installing_or_upgrading_a_package_changes_the_listing(tmp_path: Path) -> None:
    (tmp_path / "numpy-2.1.0.dist-info").mkdir()
    (tmp_path / "numpy").mkdir()
    before = installed_distributions([str(tmp_path), str(tmp_path / "missing")])
    assert before == ["numpy-2.1.0.dist-info"]
    (tmp_path / "numpy-2.1.0.dist-info").rename(tmp_path / "numpy-2.2.0.dist-info")
    (tmp_path / "pandas-2.2.3.dist-info").mkdir()
    assert installed_distributions([str(tmp_path)]) == ["numpy-2.2.0.dist-info", "pandas-2.2.3.dist-info"]

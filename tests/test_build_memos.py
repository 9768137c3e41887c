"""What a build keeps instead of recomputing: each memo returns what the computation would,
and a change of its input gives the new answer, never a stale one."""

from __future__ import annotations

import importlib.metadata
from pathlib import Path

from techpath.render import requirements as reqs


def test_module_map_is_the_standard_librarys_for_this_environment() -> None:
    reqs.module_distributions.cache_clear()
    assert reqs.module_distributions() == importlib.metadata.packages_distributions()


def test_modules_of_a_distribution_without_top_level_come_from_its_record(tmp_path: Path) -> None:
    info = tmp_path / "demo-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: Demo\nVersion: 1.0\n")
    (info / "RECORD").write_text(
        "demo_pkg/__init__.py,sha256=x,10\n"
        "demo_pkg/sub/deep.py,sha256=x,10\n"
        '"demo,comma.py",sha256=x,10\n'  # csv quoting, as pip writes a name holding a comma
        "single.py,sha256=x,10\n"
        "data/readme.txt,,\n"
        "demo-1.0.dist-info/METADATA,,\n"
        "../../bin/demo,,\n"
    )
    dist = importlib.metadata.PathDistribution(info)
    assert reqs._inferred_modules(dist) == {"demo_pkg", "demo,comma", "single"}
    assert reqs._inferred_modules(dist) == importlib.metadata._top_level_inferred(dist)


def test_the_module_map_is_read_once_per_process(monkeypatch) -> None:
    calls = []
    real = importlib.metadata.distributions
    monkeypatch.setattr(importlib.metadata, "distributions", lambda: calls.append(1) or real())
    reqs.module_distributions.cache_clear()
    first = reqs.module_distributions()
    assert reqs.module_distributions() is first
    assert len(calls) == 1

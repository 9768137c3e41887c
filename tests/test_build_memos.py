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


def _site(tmp_path: Path, code: str) -> Path:
    (tmp_path / "docs").mkdir(exist_ok=True)
    (tmp_path / "mkdocs.yml").write_text("site_name: t\nplugins:\n  - techpath\n")
    (tmp_path / "docs" / "index.md").write_text(f"# Page\n\n```python\n{code}\n```\n")
    (tmp_path / "docs" / "about.md").write_text("# No code here\n")
    return tmp_path


def _stager(site: Path):
    from techpath.config import SiteSettings
    from techpath.engine import Settings
    from techpath.stage.stager import Stager

    return Stager(SiteSettings.load(site), Settings(cache_dir=site / ".cache"), info=lambda m: None)


def _store_result_for_every_page(stager) -> None:
    from techpath.cache import cache_key
    from techpath.model import BlockResult, PageResult

    for post in stager._parsed_pages():
        if post.runs:
            key = cache_key(post, stager.settings.limits)
            result = PageResult(path=post.display_path, blocks=[BlockResult(0, "ok")])
            stager.engine.cache.store(key, result, Path("."))


def test_a_build_with_every_result_cached_starts_no_warm_parent(tmp_path: Path, monkeypatch) -> None:
    from techpath.engine import Engine

    site = _site(tmp_path, "print(1)")
    monkeypatch.chdir(site)
    started = []
    monkeypatch.setattr(Engine, "prewarm", lambda self: started.append(1))
    stager = _stager(site)
    stager.prewarm()
    assert len(started) == 1  # nothing cached yet: the imports start early
    _store_result_for_every_page(stager)
    stager.prewarm()
    assert len(started) == 1  # every page cached: no warm parent
    stager.prewarm(always=True)
    assert len(started) == 2  # mkdocs serve: warm for the first edit anyway
    (site / "docs" / "index.md").write_text("# Page\n\n```python\nprint(2)\n```\n")
    stager.prewarm()
    assert len(started) == 3  # the code changed: its page will execute
    _store_result_for_every_page(stager)
    stager.settings.refresh = True
    stager.engine.settings.refresh = True
    stager.prewarm()
    assert len(started) == 4  # a refresh executes everything

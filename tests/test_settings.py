"""One Settings.from_site(): the MkDocs plugin, the CLI and the pytest plugin read a site's
options the same way, so they compute the same cache keys (and share the cache)."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest
from mkdocs.config import load_config

from techpath.cache import cache_key
from techpath.cli import add_execution_options, settings_from
from techpath.config import SiteSettings
from techpath.engine import Settings
from techpath.parse import load_post
from techpath.pytest_plugin import settings_for
from techpath.stage.options import engine_settings
from tests.engine_helpers import write_post

MKDOCS_YML = """
site_name: Agreement
plugins:
  - techpath:
      block_timeout: 12
      page_timeout: 100
      memory_mb: 999
      cache_dir: .results
      keep_warm: 300
"""


class _FakePytestConfig:
    def __init__(self, **options: object) -> None:
        self._options = options

    def getoption(self, name: str) -> object:
        return self._options.get(name)


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("TECHPATH_KEEP_WARM", raising=False)
    (tmp_path / "mkdocs.yml").write_text(MKDOCS_YML)
    (tmp_path / "docs").mkdir()
    write_post(tmp_path / "docs", "index.md", "```python\nprint(1)\n```\n")
    return tmp_path


def _three(site: Path) -> list[Settings]:
    config = load_config(str(site / "mkdocs.yml"))
    plugin = config.plugins["techpath"]
    # what TechpathPlugin.on_config (and `techpath build` for the other generators) computes
    from_plugin = engine_settings(site, site / "docs", dict(plugin.config))
    parser = argparse.ArgumentParser()
    add_execution_options(parser)
    site_settings = SiteSettings.load(site)
    from_cli = settings_from(parser.parse_args([]), site_settings.plugin, site_settings.root)
    from_pytest = settings_for(
        _FakePytestConfig(techpath_jobs=0, techpath_refresh=False),  # type: ignore[arg-type]
        site_settings,
    )
    return [from_plugin, from_cli, from_pytest]


def test_plugin_cli_and_pytest_compute_the_same_keys(site: Path) -> None:
    post = load_post(site / "docs" / "index.md")
    settings = _three(site)
    assert {cache_key(post, s.limits) for s in settings} == {cache_key(post, settings[0].limits)}
    assert all(s.limits.block_timeout == 12 and s.limits.memory_mb == 999 for s in settings)
    assert {s.cache_dir for s in settings} == {site / ".results"}
    assert {s.keep_warm for s in settings} == {300.0}


def test_ci_turns_the_warm_parent_off_whatever_mkdocs_yml_says(
    site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CI", "true")
    assert [s.keep_warm for s in _three(site)] == [0.0, 0.0, 0.0]

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
from techpath.options import OptionsError, PluginOptions
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
    from_plugin = engine_settings(site, site / "docs", PluginOptions.from_mapping(dict(plugin.config)))
    parser = argparse.ArgumentParser()
    add_execution_options(parser)
    site_settings = SiteSettings.load(site)
    from_cli = settings_from(parser.parse_args([]), site_settings.options, site_settings.root)
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


def test_yaml_path_checks_options_like_mkdocs(tmp_path: Path) -> None:
    """The options read as YAML (`techpath stage/build/check`) pass the same declared checks:
    every bad one is named with the file and what was expected."""
    (tmp_path / "mkdocs.yml").write_text(
        "site_name: x\nplugins:\n  - techpath:\n      execute: sometimes\n      jobs: many\n"
        "      block_timeout: 12\n      csp_sources: [img-src]\n"
    )
    with pytest.raises(OptionsError) as caught:
        SiteSettings.load(tmp_path)
    where = f"{tmp_path / 'mkdocs.yml'}: techpath option"
    assert str(caught.value).splitlines() == [
        f"{where} execute: expected one of true, false, marked, got 'sometimes'",
        f"{where} jobs: expected a whole number, got 'many'",
        f"{where} csp_sources: expected a mapping of CSP directives to lists of sources, got ['img-src']",
    ]


def test_yaml_null_means_the_default_and_values_keep_their_types(tmp_path: Path) -> None:
    (tmp_path / "mkdocs.yml").write_text(
        "site_name: x\nplugins:\n  - techpath:\n      jobs: null\n      cache_dir: !relative $config_dir/c\n"
        "      execute: marked\n      include: [a/*]\n      max_description: 90\n"
    )
    site = SiteSettings.load(tmp_path)
    assert site.options == PluginOptions(execute="marked", include=["a/*"], max_description=90)
    assert site.schema.max_description == 90
    assert PluginOptions().include is not PluginOptions().include  # defaults are not shared


def test_an_old_option_name_is_still_read_under_mkdocs_and_as_yaml(tmp_path: Path) -> None:
    """`path_stages` is `path_sections`' old name: a site written for it keeps its path, read
    by MkDocs (the plugin's schema) and as YAML alike; the new name wins when both are set."""
    (tmp_path / "docs").mkdir()
    (tmp_path / "mkdocs.yml").write_text(
        "site_name: x\nplugins:\n  - techpath:\n      path_stages: [Tools, Recipes]\n"
    )
    assert SiteSettings.load(tmp_path).options.path_sections == ["Tools", "Recipes"]
    config = load_config(str(tmp_path / "mkdocs.yml"))
    plugin = config.plugins["techpath"]
    assert PluginOptions.from_mapping(dict(plugin.config)).path_sections == ["Tools", "Recipes"]
    both = {"path_stages": ["Old"], "path_sections": ["New"]}
    assert PluginOptions.from_mapping(both).path_sections == ["New"]
    with pytest.raises(OptionsError, match="option path_stages: expected a list of blog categories"):
        PluginOptions.from_mapping({"path_stages": "Tools"})  # named as the site wrote it
    with pytest.raises(OptionsError, match="option path_sections: expected a list of blog categories"):
        PluginOptions.from_mapping({"path_sections": "Tools"})


def test_a_bad_option_stops_techpath_check_with_exit_2(tmp_path: Path) -> None:
    import subprocess
    import sys

    (tmp_path / "mkdocs.yml").write_text("site_name: x\nplugins:\n  - techpath:\n      warnings: loud\n")
    (tmp_path / "docs").mkdir()
    done = subprocess.run(
        [sys.executable, "-m", "techpath.cli", "check"], cwd=tmp_path, capture_output=True, text=True
    )
    assert done.returncode == 2
    assert (
        "techpath check: mkdocs.yml: techpath option warnings: expected one of error, show, got 'loud'"
        in done.stderr
    )
    assert "Traceback" not in done.stderr

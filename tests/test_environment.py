"""The environment is read in one module (techpath/environment.py), each variable one way: a
flag is on for any value but empty, 0, false or no, so `CI=1` means CI everywhere."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from techpath import environment
from techpath.config import SiteSettings
from techpath.engine import Settings
from techpath.options import PluginOptions
from techpath.pytest_plugin import settings_for

SRC = Path(__file__).resolve().parents[1] / "src" / "techpath"


@pytest.mark.parametrize(
    ("value", "on"),
    [("true", True), ("1", True), ("yes", True), ("TRUE", True), ("anything", True), (" 1 ", True),
     ("0", False), ("false", False), ("False", False), ("no", False), (" NO ", False), ("", False)],
)  # fmt: skip
def test_ci_has_one_reading(value: str, on: bool, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CI", value)
    monkeypatch.delenv("TECHPATH_REFRESH", raising=False)
    assert environment.in_ci() is on
    # the warm process and the pytest plugin's refresh follow the same reading
    settings = Settings.from_site(tmp_path, PluginOptions(keep_warm=300))
    assert settings.keep_warm == (0.0 if on else 300.0)

    class Config:
        def getoption(self, name: str) -> object:
            return {"techpath_refresh": False, "techpath_jobs": 1}[name]

    site = SiteSettings(tmp_path, tmp_path / "docs", tmp_path / "docs", SiteSettings.load(tmp_path).schema)
    assert settings_for(Config(), site).refresh is on  # type: ignore[arg-type]


def test_unset_ci_is_not_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    assert environment.in_ci() is False


def test_flags_default_when_unset_or_empty(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TECHPATH_CGROUP", "")
    monkeypatch.delenv("_TECHPATH_STAGE_EARLY", raising=False)
    assert environment.cgroups_allowed() and environment.stage_early()
    monkeypatch.setenv("TECHPATH_CGROUP", "false")
    monkeypatch.setenv("_TECHPATH_STAGE_EARLY", "0")
    assert not environment.cgroups_allowed() and not environment.stage_early()


def test_keep_warm_and_cache_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("TECHPATH_KEEP_WARM", raising=False)
    monkeypatch.setenv("TECHPATH_CACHE_DIR", "")
    assert environment.keep_warm() == 600.0 and environment.cache_dir() is None
    monkeypatch.setenv("TECHPATH_KEEP_WARM", "12.5")
    monkeypatch.setenv("TECHPATH_CACHE_DIR", str(tmp_path / "c"))
    settings = Settings.from_site(tmp_path, PluginOptions())
    assert settings.keep_warm == 12.5 and settings.cache_dir == tmp_path / "c"
    # mkdocs.yml's options win over the environment
    settings = Settings.from_site(tmp_path, PluginOptions(keep_warm=0, cache_dir="mine"))
    assert settings.keep_warm == 0.0 and settings.cache_dir == tmp_path / "mine"
    monkeypatch.setenv("TECHPATH_KEEP_WARM", "ten minutes")
    with pytest.raises(
        ValueError, match=r"TECHPATH_KEEP_WARM: expected a number of seconds, got 'ten minutes'"
    ):
        environment.keep_warm()


def test_preload_channel_round_trips() -> None:
    entry = environment.preload_entry(["numpy", "sklearn"])
    assert list(entry) == ["_TECHPATH_PRELOAD"]
    assert environment.preload(entry) == ["numpy", "sklearn"]
    assert environment.preload({}) is None
    assert environment.preload(environment.preload_entry([])) == []  # "posts import nothing" is kept


def test_only_environment_py_reads_the_environment() -> None:
    """`os.environ.get`, `os.getenv` and `os.environ[...]` reads live in environment.py; other
    modules may copy the whole environment for a child process or write a variable."""
    readers = []
    for path in sorted(SRC.rglob("*.py")):
        if path.name == "environment.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            text = ast.unparse(node) if isinstance(node, ast.Call | ast.Subscript) else ""
            reads = text.startswith(("os.environ.get(", "os.getenv(")) or (
                isinstance(node, ast.Subscript)
                and text.startswith("os.environ[")
                and isinstance(node.ctx, ast.Load)
            )
            if reads:
                readers.append(f"{path.relative_to(SRC)}:{node.lineno}: {text}")
    assert readers == []


def test_every_declared_variable_has_a_distinct_name() -> None:
    names = [v.name for v in environment.VARIABLES]
    assert len(names) == len(set(names))
    assert all(v.name.startswith("_TECHPATH_") == v.internal for v in environment.VARIABLES)

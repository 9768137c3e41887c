"""docs/use-on-your-site.md documents every plugin option with its real default and every
environment variable a user may set, generated from their one declaration, so it cannot drift."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

import yaml
from mkdocs.config.defaults import MkDocsConfig

from techpath import environment
from techpath.mkdocs_plugin import TechpathConfig
from techpath.options import OLD_NAMES, PluginOptions, specs

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "use-on-your-site.md"


def _settings_docs():
    spec = importlib.util.spec_from_file_location("settings_docs", ROOT / "scripts" / "settings_docs.py")
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    sys.modules["settings_docs"] = module
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def documented_options() -> dict[str, object]:
    text = PAGE.read_text(encoding="utf-8")
    section = text.split("## Plugin options", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `([a-z_]+)` \| `([^`]*)` \|", section, re.M)
    return {name: yaml.safe_load(default) for name, default in rows}


def test_the_generated_parts_of_the_page_are_up_to_date() -> None:
    """Fails when an option or variable changed without `python scripts/settings_docs.py`."""
    text = PAGE.read_text(encoding="utf-8")
    assert _settings_docs().rendered(text) == text, "run `python scripts/settings_docs.py`"


def test_a_stale_page_is_caught(tmp_path: Path) -> None:
    docs = _settings_docs()
    text = PAGE.read_text(encoding="utf-8")
    stale = text.replace("| `jobs` | `0` |", "| `jobs` | `4` |")
    assert stale != text and docs.rendered(stale) == text


def test_every_plugin_option_is_documented_with_its_real_default() -> None:
    documented = documented_options()
    schema = {name: option.default for name, option in TechpathConfig._schema if name not in OLD_NAMES}
    assert sorted(documented) == sorted(schema) == sorted(name for name, _ in specs())
    for old, new in OLD_NAMES.items():  # an old name is still read, and its option's row says so
        assert TechpathConfig._schema[[n for n, _ in TechpathConfig._schema].index(old)][0] == old
        row = next(
            line for line in PAGE.read_text(encoding="utf-8").splitlines() if line.startswith(f"| `{new}` |")
        )
        assert f"`{old}`" in row, row
    for name, default in schema.items():
        assert documented[name] == default, f"{name}: page says {documented[name]!r}, plugin has {default!r}"
        assert PluginOptions.default(name) == default


def test_every_variable_a_user_may_set_is_on_the_page_and_internal_ones_in_design_md() -> None:
    text = PAGE.read_text(encoding="utf-8")
    design = (ROOT / "docs" / "design.md").read_text(encoding="utf-8")
    for variable in environment.VARIABLES:
        if variable.internal:
            assert variable.name.startswith("_TECHPATH_"), variable.name
            assert f"`{variable.name}`" in design, f"{variable.name} is not in docs/design.md"
            assert f"`{variable.name}`" not in text
        else:
            assert f"| `{variable.name}` |" in text


def test_mkdocs_reports_a_bad_option_with_the_declared_message(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    config = MkDocsConfig(config_file_path=str(tmp_path / "mkdocs.yml"))
    config.load_dict({"site_name": "x", "plugins": [{"techpath": {"execute": "sometimes"}}]})
    errors, _warnings = config.validate()
    message = " ".join(str(e) for _key, e in errors)
    expected = "expected one of true, false, marked, got 'sometimes' (in mkdocs.yml)"
    assert f"Plugin 'techpath' option 'execute': {expected}" in message


def test_page_is_in_the_nav_and_linked_from_the_readme() -> None:
    config = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    assert "use-on-your-site.md" in config.split("\nnav:", 1)[1].split("\nplugins:", 1)[0]
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    first_block = re.search(r"```bash\n(.*?)```", readme, re.S).group(1)  # type: ignore[union-attr]
    assert first_block == "make serve\nmake test\n"
    assert "(docs/use-on-your-site.md)" in readme

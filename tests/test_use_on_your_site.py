"""docs/use-on-your-site.md documents every plugin option with its real default, so it cannot drift."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from techpath.mkdocs_plugin import TechpathConfig
from techpath.stage.options import DEFAULTS

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "use-on-your-site.md"


def documented_options() -> dict[str, object]:
    text = PAGE.read_text(encoding="utf-8")
    section = text.split("## Plugin options", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `([a-z_]+)` \| `([^`]*)` \|", section, re.M)
    return {name: yaml.safe_load(default) for name, default in rows}


def test_every_plugin_option_is_documented_with_its_real_default() -> None:
    documented = documented_options()
    schema = {name: option.default for name, option in TechpathConfig._schema}
    assert list(documented) == list(schema)  # same options, same order as TechpathConfig
    for name, default in schema.items():
        assert documented[name] == default, f"{name}: page says {documented[name]!r}, plugin has {default!r}"
        assert DEFAULTS[name] == default, f"{name}: stage/options.py disagrees with the plugin"


def test_page_is_in_the_nav_and_linked_from_the_readme() -> None:
    config = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    assert "use-on-your-site.md" in config.split("\nnav:", 1)[1].split("\nplugins:", 1)[0]
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    first_block = re.search(r"```bash\n(.*?)```", readme, re.S).group(1)  # type: ignore[union-attr]
    assert first_block == "make serve\nmake test\n"
    assert "(docs/use-on-your-site.md)" in readme

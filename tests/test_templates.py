"""Compiled theme templates are kept between builds, and an edited template compiles again."""

from __future__ import annotations

from pathlib import Path

from jinja2 import DictLoader, Environment

from techpath.generators.templates import cache_compiled_templates


def test_compiled_templates_are_stored_and_reused(tmp_path: Path) -> None:
    sources = {"main.html": "<p>{{ title }}</p>"}
    first = cache_compiled_templates(Environment(loader=DictLoader(sources)), tmp_path / "templates")
    assert first.get_template("main.html").render(title="a") == "<p>a</p>"
    stored = sorted((tmp_path / "templates").iterdir())
    assert len(stored) == 1

    second = cache_compiled_templates(Environment(loader=DictLoader(sources)), tmp_path / "templates")
    compiled = []
    second.compile = lambda *a, **k: compiled.append(a) or Environment.compile(second, *a, **k)  # type: ignore[method-assign]
    assert second.get_template("main.html").render(title="b") == "<p>b</p>"
    assert compiled == []  # loaded from the cache, not compiled

    sources["main.html"] = "<h1>{{ title }}</h1>"  # a theme upgrade changes the source
    third = cache_compiled_templates(Environment(loader=DictLoader(sources)), tmp_path / "templates")
    assert third.get_template("main.html").render(title="c") == "<h1>c</h1>"
    # The stored entry carries the source's checksum: a stale one is recompiled and replaced.
    assert len(list((tmp_path / "templates").iterdir())) == 1


def test_an_unwritable_cache_folder_leaves_templates_compiling(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    env = cache_compiled_templates(Environment(loader=DictLoader({"a": "x"})), blocker / "templates")
    assert env.bytecode_cache is None and env.get_template("a").render() == "x"

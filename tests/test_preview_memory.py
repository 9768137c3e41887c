"""`techpath serve` keeps its memory flat over hours of saves: a build the preview replaced is
freed whole, and every memo it keeps across builds holds the same number of entries after each
rebuild, a post saved between two (docs/design.md, "The preview loop": memory stays flat)."""

from __future__ import annotations

import gc
import sys
import types
import weakref
from pathlib import Path
from typing import Any

import pytest

from techpath.generators import highlight_memo
from techpath.preview.site_build import Built, SiteBuilder, clear_method_caches
from techpath.render import notebooks
from techpath.safety import svg
from techpath.stage import options as stage_options
from tests.preview import copy_sample, free_port

REBUILDS = 3


_PLUGIN = """
import functools


class Plugin:
    @functools.lru_cache  # as mkdocs-rss-plugin 1.19 memoises author_name_from_id
    def name_of(self, key):
        return key.upper()

    @staticmethod
    @functools.lru_cache  # keyed on values only: kept
    def shared(key):
        return key.lower()
"""


def test_a_memo_on_a_plugins_method_no_longer_keeps_each_build(monkeypatch: pytest.MonkeyPatch) -> None:
    module = types.ModuleType("leaky_plugin.plugin")
    exec(compile(_PLUGIN, "leaky_plugin/plugin.py", "exec"), module.__dict__)
    monkeypatch.setitem(sys.modules, "leaky_plugin", types.ModuleType("leaky_plugin"))
    monkeypatch.setitem(sys.modules, module.__name__, module)
    plugin = module.Plugin
    old = plugin()
    old.name_of("ada")
    plugin.shared("Ada")
    replaced = weakref.ref(old)
    del old
    gc.collect()
    assert replaced() is not None  # the memo keeps the replaced build's plugin
    assert clear_method_caches([types.ModuleType("a hook")]) == 0  # MkDocs lists hooks as modules
    assert clear_method_caches([plugin(), plugin()]) == 1
    gc.collect()
    assert replaced() is None
    assert plugin.shared.cache_info().currsize == 1


def _memo_sizes(built: Built) -> dict[str, int]:
    """Entries of every memo this process keeps across builds."""
    stager = built.techpath._stager
    prose = stager.lifecycle.prose
    memo = highlight_memo.install()
    sizes = {
        "highlighted code": len(memo.entries) if memo is not None else 0,
        "prose findings": len(prose._memo) + len(prose._used),
        "prose findings kept on disk": len(getattr(getattr(prose, "memo", None), "used", {}) or {}),
        "executed keys": len(stager.engine.used_keys) if stager.engine is not None else 0,
        "option scans": len(stage_options._scans),
        "svg styles": svg._clean_style.cache_info().currsize,
        "notebook cells": notebooks._checked_markdown.cache_info().currsize,
        "records": len(stager.records.pages),
    }
    return sizes


@pytest.mark.slow  # builds the sample site five times (about 3 s)
def test_a_replaced_build_is_freed_and_no_memo_grows_per_rebuild(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = copy_sample(tmp_path / "site")
    post = site / "docs" / "blog" / "posts" / "alpha.md"
    original = post.read_text(encoding="utf-8")
    monkeypatch.chdir(site)
    monkeypatch.setenv("TECHPATH_KEEP_WARM", "0")
    monkeypatch.setenv("NO_MKDOCS_2_WARNING", "1")
    builder = SiteBuilder("mkdocs", site / "mkdocs.yml", "127.0.0.1", free_port(), tmp_path / "work")
    built = builder.full(None)
    try:
        sizes: list[dict[str, int]] = []
        for rebuild in range(REBUILDS + 1):
            # a writer's save: a new sentence each time (a memo keyed on text forgets the old one)
            post.write_text(original + f"\nSaved {rebuild} times.\n", encoding="utf-8")
            new = builder.full(built)
            replaced: weakref.ref[Any] = weakref.ref(built.config)
            builder.release(built)
            built = new
            del new
            gc.collect()
            kept = replaced() is not None
            assert not kept, _holders(replaced)
            sizes.append(_memo_sizes(built))
        assert sizes[0]["records"] > 0 and sizes[0]["highlighted code"] > 0
        # the first rebuild moves the first build's prose findings to the memo on disk
        assert sizes[1:] == [sizes[1]] * REBUILDS
    finally:
        builder.shutdown(built)


def _holders(replaced: weakref.ref[Any]) -> str:
    config = replaced()
    return f"still referred to by: {[type(r).__qualname__ for r in gc.get_referrers(config)]}"

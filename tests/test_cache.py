"""The cache: nothing changed executes nothing; an edit re-executes one post; Python, declared
inputs and limits are part of the key (what a page imports and reads: test_dependencies.py);
entries are whole or absent."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from techpath import cache as cache_module
from techpath.cache import Cache, cache_key
from techpath.engine import Engine, Settings
from techpath.model import BlockResult, Limits, Output, PageResult
from techpath.parse import load_post
from tests.engine_helpers import write_post


@pytest.fixture
def posts(tmp_path: Path) -> list[Path]:
    return [write_post(tmp_path, f"p{i}.md", f"```python\nprint({i} * 2)\n```\n") for i in range(3)]


def _run(cache_dir: Path, paths: list[Path], **kw) -> Engine:
    with Engine(Settings(jobs=2, cache_dir=cache_dir, **kw)) as engine:
        engine.run([load_post(p) for p in paths])
    return engine


def test_second_build_executes_nothing_and_an_edit_executes_one(tmp_path: Path, posts: list[Path]) -> None:
    cache_dir = tmp_path / "cache"
    assert _run(cache_dir, posts).last_stats.executed == 3
    again = _run(cache_dir, posts).last_stats
    assert (again.executed, again.from_cache, again.blocks_executed) == (0, 3, 0)
    posts[1].write_text("```python\nprint('edited')\n```\n")
    edited = _run(cache_dir, posts).last_stats
    assert (edited.executed, edited.from_cache) == (1, 2)


def test_refresh_ignores_the_cache(tmp_path: Path, posts: list[Path]) -> None:
    cache_dir = tmp_path / "cache"
    _run(cache_dir, posts)
    assert _run(cache_dir, posts, refresh=True).last_stats.executed == 3


def test_another_python_reexecutes_everything(tmp_path: Path, posts: list[Path], monkeypatch) -> None:
    cache_dir = tmp_path / "cache"
    _run(cache_dir, posts)
    monkeypatch.setattr(cache_module, "python_fingerprint", lambda: "Python 3.14")
    assert _run(cache_dir, posts).last_stats.executed == 3


def test_declared_inputs_and_limits_are_part_of_the_key(tmp_path: Path) -> None:
    data = tmp_path / "data.csv"
    data.write_text("1,2\n")
    post_path = write_post(
        tmp_path, "reads.md", "---\ntitle: t\ninputs: [data.csv]\n---\n\n```python\nprint(1)\n```\n"
    )
    post = load_post(post_path)
    assert post.inputs == [data] and post.problems == []
    key = cache_key(post, Limits())
    data.write_text("1,3\n")
    assert cache_key(load_post(post_path), Limits()) != key
    assert cache_key(post, Limits(block_timeout=5)) != cache_key(post, Limits())


def test_techpath_s_own_code_is_in_the_key_not_in_the_page_s_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An edited editable install runs every page again (the key holds the engine's source
    hash); its files are never recorded as files a page read, so a copy of the site elsewhere
    (a test's, a CI shard's) finds the results of the original."""
    post = load_post(write_post(tmp_path, "p.md", "---\ntitle: t\n---\n\n```python\nprint(1)\n```\n"))
    key = cache_key(post, Limits())
    monkeypatch.setattr(cache_module, "engine_source_hash", lambda: "edited")
    assert cache_key(post, Limits()) != key
    import techpath
    from techpath.execute.child import _environment_folders

    package = str(Path(techpath.__file__).resolve().parent)
    assert package in _environment_folders()


def test_a_corrupt_entry_is_a_miss_and_is_replaced(tmp_path: Path, posts: list[Path]) -> None:
    cache_dir = tmp_path / "cache"
    _run(cache_dir, posts[:1])
    (entry,) = (cache_dir / "v1").glob("*/*/result.json")
    entry.write_text('{"path": "p0.md", "blo')
    assert _run(cache_dir, posts[:1]).last_stats.executed == 1
    assert json.loads(entry.read_text())["blocks"][0]["status"] == "ok"


def test_store_is_atomic_and_the_first_writer_wins(tmp_path: Path) -> None:
    cache = Cache(tmp_path / "cache")
    figures = tmp_path / "figs"
    figures.mkdir()
    (figures / "block001-figure1.svg").write_text("<svg/>")

    def result(text: str) -> PageResult:
        out = [
            Output("stream", name="stdout", text=text),
            Output("figure", data={"file": "block001-figure1.svg", "format": "svg"}),
        ]
        return PageResult("p.md", [BlockResult(0, "ok", outputs=out)])

    cache.store("k" * 64, result("first"), figures)
    cache.store("k" * 64, result("second"), figures)  # a concurrent build with the same key
    loaded = cache.load("k" * 64)
    assert loaded is not None and loaded.blocks[0].outputs[0].text == "first"
    assert (Path(loaded.figure_dir) / "block001-figure1.svg").read_text() == "<svg/>"
    # A crash mid-write leaves only a staging folder, never a visible half entry.
    (cache.scratch / ("j" * 64 + ".crashed")).mkdir()
    assert cache.load("j" * 64) is None
    assert list(cache.scratch.iterdir()) == [cache.scratch / ("j" * 64 + ".crashed")]


def test_unused_entries_are_evicted(tmp_path: Path, posts: list[Path]) -> None:
    cache_dir = tmp_path / "cache"
    _run(cache_dir, posts)
    with Engine(Settings(jobs=2, cache_dir=cache_dir)) as engine:
        engine.run([load_post(p) for p in posts[:2]])  # the third post was deleted
        assert engine.evict_unused() == 1
    assert len(list((cache_dir / "v1").glob("*/*"))) == 2


def test_pages_whose_code_is_all_skipped_are_not_counted_as_executed(
    tmp_path: Path, posts: list[Path]
) -> None:
    """A page outside the site's `include` (or in `exclude`) reaches the engine with every
    block skipped: the build's "executed N pages" counts the pages whose code ran."""
    loaded = [load_post(p) for p in posts]
    for post in loaded[1:]:  # as parse/policy.py leaves a page that may not run
        post.blocks = [replace(b, options=replace(b.options, skip=True)) for b in post.blocks]
    for _ in range(2):  # executed, then from the cache
        with Engine(Settings(jobs=1, cache_dir=tmp_path / "cache")) as engine:
            engine.run(loaded)
        stats = engine.last_stats
        assert stats.executed + stats.from_cache == 1 and stats.nothing_to_run == 2
    assert stats.from_cache == 1

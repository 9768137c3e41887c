"""Results mean what they say: what is cached, which limit is blamed, output caps at the file
descriptor level, one warnings policy in fork and spawn mode, a memory limit that measures memory."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from techpath.cache import cacheable
from techpath.engine import Engine, Settings
from techpath.model import BlockError, BlockResult, Limits, PageResult
from techpath.parse import load_post
from tests.engine_helpers import line_of, run_one, write_post


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    cache = tmp_path_factory.mktemp("cache")
    settings = Settings(
        jobs=2, limits=Limits(block_timeout=2, page_timeout=60, memory_mb=300), cache_dir=cache
    )
    with Engine(settings) as e:
        yield e


# -- failure caching policy --------------------------------------------------------------------


def _page(kind: str) -> PageResult:
    error = BlockError(kind, "x", 1, "p.md:1")
    return PageResult("p.md", [BlockResult(0, "error", error=error)])


def test_only_deterministic_failures_are_cacheable() -> None:
    assert cacheable(PageResult("p.md", [BlockResult(0, "ok")]))
    for kind in ("NameError", "ZeroDivisionError", "SyntaxError", "DeprecationWarning", "DidNotRaise"):
        assert cacheable(_page(kind)), kind
    for kind in ("Timeout", "Crash", "MemoryLimit", "MemoryError", "OSError", "Standalone", "Infrastructure"):
        assert not cacheable(_page(kind)), kind


@pytest.mark.slow  # waits out a limit or a slow writer: 2-5 s with the core idle
def test_a_timeout_is_not_replayed_from_the_cache(tmp_path: Path) -> None:
    path = write_post(tmp_path, "slow.md", '```python timeout="1"\nimport time\ntime.sleep(5)\n```\n')
    ok = write_post(tmp_path, "bad.md", "```python\n1 / 0\n```\n")
    settings = Settings(jobs=2, cache_dir=tmp_path / "cache")
    for _ in range(2):
        with Engine(settings) as engine:
            results = engine.run([load_post(path), load_post(ok)])
            last = engine.last_stats
    assert results[path.as_posix()].errors[0].type == "Timeout"
    assert results[ok.as_posix()].errors[0].type == "ZeroDivisionError"
    # second round: the timeout ran again, the deterministic exception came from the cache
    assert (last.executed, last.from_cache) == (1, 1)


# -- timeouts ----------------------------------------------------------------------------------


@pytest.mark.slow  # waits out a limit or a slow writer: 2-5 s with the core idle
def test_post_timeout_above_the_default_is_honoured_by_the_parent(engine: Engine, tmp_path: Path) -> None:
    body = "---\ntimeout: 8\n---\n\n```python\nimport time\ntime.sleep(4.5)\nprint('done')\n```\n"
    _post, result = run_one(engine, tmp_path, body)
    assert result.ok, result.errors
    assert result.blocks[0].outputs[0].text == "done\n"


@pytest.mark.slow  # waits out a limit or a slow writer: 2-5 s with the core idle
def test_post_timeout_is_the_limit_blamed(engine: Engine, tmp_path: Path) -> None:
    code = "import signal, time\nsignal.signal(signal.SIGALRM, signal.SIG_IGN)\ntime.sleep(30)"
    _post, result = run_one(engine, tmp_path, f"---\ntimeout: 3\n---\n\n```python\n{code}\n```\n")
    error = result.errors[0]
    assert error.type == "Timeout" and "within 3 s" in error.message, error


@pytest.mark.slow  # waits out a limit or a slow writer: 2-5 s with the core idle
def test_page_timeout_is_blamed_on_the_page(tmp_path: Path) -> None:
    settings = Settings(jobs=1, limits=Limits(block_timeout=10, page_timeout=2), cache_dir=tmp_path / "c")
    body = "```python\nimport time\ntime.sleep(1.5)\n```\n\n```python\ntime.sleep(1.5)\n```\n"
    with Engine(settings) as engine:
        _post, result = run_one(engine, tmp_path, body)
    error = result.errors[0]
    assert error.type == "Timeout" and "page" in error.message and "2 s" in error.message, error
    assert error.location.endswith(":7")  # stopped in the second block, where it was


# -- output caps -------------------------------------------------------------------------------


def test_fd_output_over_the_cap_is_cut_with_a_note_and_does_not_spill(engine: Engine, tmp_path: Path) -> None:
    code = "import os\nfor _ in range(2000):\n    os.write(1, b'x' * 99 + b'\\n')"
    _post, result = run_one(engine, tmp_path, f"```python\n{code}\n```\n\n```python\nprint('next')\n```\n")
    first, second = result.blocks
    shown = sum(len(o.text) for o in first.outputs if o.kind == "stream")
    assert shown <= 50_000
    notes = [o.text for o in first.outputs if o.kind == "note"]
    assert notes and "150,000 more characters" in notes[0], first.outputs[-1]
    assert [o.text for o in second.outputs] == ["next\n"]


def test_subprocess_output_is_captured_and_capped(engine: Engine, tmp_path: Path) -> None:
    code = "import subprocess\nsubprocess.run(['sh', '-c', 'yes hello | head -c 80000'])"
    _post, result = run_one(engine, tmp_path, f"```python\n{code}\n```\n\n```python\nprint('next')\n```\n")
    assert any("30,000 more characters" in o.text for o in result.blocks[0].outputs if o.kind == "note")
    assert [o.text for o in result.blocks[1].outputs] == ["next\n"]


def test_huge_rich_output_is_capped(engine: Engine, tmp_path: Path) -> None:
    code = (
        "class Big:\n    def _repr_html_(self):\n        return '<p>' + 'x' * 5_000_000 + '</p>'\n"
        "    def __repr__(self):\n        return 'Big()'\nBig()"
    )
    _post, result = run_one(engine, tmp_path, f"```python\n{code}\n```\n")
    size = len(json.dumps(result.to_json()))
    assert size < 200_000
    notes = [o.text for o in result.blocks[0].outputs if o.kind == "note"]
    assert notes and "text/html output of 5,000,007 characters not shown" in notes[0]
    [shown] = [o for o in result.blocks[0].outputs if o.kind == "result"]
    assert shown.data == {"text/plain": "Big()"}


# -- one warnings policy -----------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["fork", "spawn"])
def test_import_time_warning_fails_the_same_way_in_both_modes(
    mode: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lib = tmp_path / "lib"
    lib.mkdir()
    (lib / "warnslib.py").write_text(
        "import warnings\nwarnings.warn('warnslib is old', DeprecationWarning, stacklevel=2)\nVALUE = 3\n"
    )
    monkeypatch.setenv("PYTHONPATH", str(lib))
    path = write_post(
        tmp_path, "p.md", "```python\nx = 1\n```\n\n```python\nimport warnslib\nwarnslib.VALUE\n```\n"
    )
    settings = Settings(jobs=1, mode=mode, preload=["warnslib"], cache_dir=tmp_path / "c", refresh=True)
    with Engine(settings) as engine:
        result = engine.run([load_post(path)])[path.as_posix()]
    error = result.errors[0]
    assert error.type == "DeprecationWarning" and "warnslib is old" in error.message, error
    assert error.line == line_of(path, "import warnslib")


# -- memory ------------------------------------------------------------------------------------


def test_many_threads_are_not_a_memory_problem(engine: Engine, tmp_path: Path) -> None:
    code = (
        "import threading, time\n"
        "ts = [threading.Thread(target=time.sleep, args=(0.5,)) for _ in range(48)]\n"
        "for t in ts:\n    t.start()\nfor t in ts:\n    t.join()\nprint('ok')"
    )
    # (the module's 2 s block limit is for the timeout tests; here it would be a race with load)
    _post, result = run_one(engine, tmp_path, f'```python timeout="60"\n{code}\n```\n')
    assert result.ok, result.errors


def test_memory_limit_names_the_cause(engine: Engine, tmp_path: Path) -> None:
    code = (
        "import time\nchunks = []\nwhile True:\n"
        "    chunks.append(bytearray(20_000_000))\n    time.sleep(0.02)"
    )
    # timeout="60": the limit this test is about is memory; 2 s (the module's) could run out
    # first on a loaded machine and name the wrong cause
    body = f'```python timeout="60"\n{code}\n```\n\n```python\nprint(1)\n```\n'
    post, result = run_one(engine, tmp_path, body)
    error = result.errors[0]
    assert error.type == "MemoryLimit", error
    assert error.message.startswith("memory limit 300 MB exceeded"), error.message
    assert result.blocks[1].status == "not-run"
    assert error.location == f"{post.display_path}:2"

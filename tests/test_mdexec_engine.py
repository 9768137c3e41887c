"""markdown-exec's blocks run in the engine like every block (a page process, its limits, the
cache): shell blocks with their exit status, folder and width, sessions, transcripts, and
MKDOCS_CONFIG_DIR; what markdown-exec leaves out (a last line's value, figures not shown) stays
out."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from techpath.cache import cache_key
from techpath.engine import Engine, Settings
from techpath.model import Limits, PageResult
from techpath.parse import load_post
from tests.engine_helpers import line_of, write_post


def printed(result: PageResult, index: int) -> str:
    return "".join(o.text for o in result.blocks[index].outputs if o.kind == "stream" and o.name == "stdout")


def run_page(tmp_path: Path, body: str, **settings: object) -> PageResult:
    path = write_post(tmp_path, "page.md", body)
    post = load_post(path)
    assert post.problems == []
    engine_settings = Settings(jobs=1, cache_dir=tmp_path / "cache", **settings)  # type: ignore[arg-type]
    with Engine(engine_settings) as engine:
        return engine.run([post])[post.display_path]


def test_shell_blocks_run_with_their_shell_exit_status_folder_and_width(tmp_path: Path) -> None:
    result = run_page(
        tmp_path,
        """
        ```bash exec="1"
        echo "bash: $((6 * 7))"; echo "to stderr" >&2
        ```

        ```sh exec="1" returncode="3"
        echo "meant to fail"; exit 3
        ```

        ```console exec="1" width="33"
        $ mkdir -p sub && touch sub/made-here
        $ echo "columns=$COLUMNS"
        columns=33
        ```

        ```bash exec="1" workdir="sub"
        ls
        ```

        ```python exec="1" workdir="sub"
        import os
        print(sorted(os.listdir(".")))
        ```

        ```bash exec="1"
        echo "before"; exit 4
        ```

        ```bash exec="1"
        echo "later blocks still run, as markdown-exec runs them"
        ```
        """,
    )
    assert printed(result, 0) == "bash: 42\nto stderr\n"  # stdout and stderr as one, as markdown-exec
    assert printed(result, 1) == "meant to fail\n" and result.blocks[1].error is None
    assert printed(result, 2) == "columns=33\n"
    assert printed(result, 3) == "made-here\n"
    assert printed(result, 4) == "['made-here']\n"
    error = result.blocks[5].error
    where = f"page.md:{line_of(tmp_path / 'page.md', 'exit 4')}"
    assert error is not None and error.type == "ShellExit" and error.location.endswith(where)
    assert "exited with code 4" in error.message and 'returncode="4"' in error.message
    assert printed(result, 5) == "before\n"
    assert result.blocks[6].status == "ok"


def test_a_workdir_outside_the_pages_folder_or_missing_is_an_error(tmp_path: Path) -> None:
    result = run_page(
        tmp_path,
        """
        ```bash exec="1" workdir="../../../../.."
        pwd
        ```

        ```bash exec="1" workdir="nowhere"
        pwd
        ```
        """,
    )
    first, second = (b.error for b in result.blocks)
    assert first is not None and "leads out of the folder the page runs in" in first.message
    assert second is not None and "no such folder where the page runs" in second.message


@pytest.mark.slow  # waits out a limit or a slow writer: 2-5 s with the core idle
def test_a_shell_block_over_its_timeout_is_stopped_with_what_it_started(tmp_path: Path) -> None:
    marker = tmp_path / "still-running"
    started = time.monotonic()
    result = run_page(
        tmp_path,
        f"""
        ```bash exec="1" timeout="1"
        (sleep 3; touch {marker}) &
        sleep 30
        ```
        """,
    )
    assert time.monotonic() - started < 20
    error = result.blocks[0].error
    assert error is not None and error.type == "Timeout"
    time.sleep(3.5)
    assert not marker.exists()  # the background job went with the block


def test_sessions_transcripts_and_what_markdown_exec_shows(tmp_path: Path) -> None:
    result = run_page(
        tmp_path,
        """
        ```python exec="1" session="a"
        x = 1
        x + 100
        ```

        ```python exec="1" session="b"
        x = 2
        ```

        ```pycon exec="1" session="a"
        >>> from dataclasses import dataclass
        >>> @dataclass
        ... class Point:
        ...     y: int
        >>> print(x, Point(3))
        1 Point(y=3)
        ```

        ```python exec="1"
        print("alone:", "x" in globals())
        ```

        ```python exec="1"
        import matplotlib.pyplot as plt
        plt.plot([1, 2])
        ```

        ```python exec="1"
        plt.show()
        ```
        """,
    )
    assert result.blocks[0].outputs == []  # no value of the last line: markdown-exec shows prints only
    assert printed(result, 2) == "1 Point(y=3)\n"
    assert printed(result, 3) == "alone: False\n"
    assert result.blocks[4].outputs == []  # a figure is shown when plt.show() asks, not by itself
    assert [o.kind for o in result.blocks[5].outputs] == []  # ... and block 5 runs alone: no plt


def test_mkdocs_config_dir_is_set_and_keys_only_the_pages_that_read_it(tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    env = {"MKDOCS_CONFIG_DIR": str(site)}
    result = run_page(
        tmp_path,
        """
        ```python exec="1"
        import os
        print(os.environ["MKDOCS_CONFIG_DIR"])
        ```
        """,
        page_env=env,
    )
    assert printed(result, 0) == f"{site}\n"
    reads = load_post(tmp_path / "page.md")
    other = load_post(write_post(tmp_path, "other.md", '```python exec="1"\nprint(1)\n```\n'))
    moved = {"MKDOCS_CONFIG_DIR": "/elsewhere"}
    assert cache_key(reads, Limits(), "f", env) != cache_key(reads, Limits(), "f", moved)
    assert cache_key(other, Limits(), "f", env) == cache_key(other, Limits(), "f", moved)


def test_settings_from_a_site_give_pages_its_folder(tmp_path: Path) -> None:
    settings = Settings.from_site(tmp_path, {})
    assert settings.page_env == {"MKDOCS_CONFIG_DIR": str(tmp_path.resolve())}


def test_output_over_the_limit_in_another_folder_is_cut_not_a_crash(tmp_path: Path) -> None:
    result = run_page(
        tmp_path,
        """
        ```bash exec="1"
        mkdir -p elsewhere
        ```

        ```python exec="1" workdir="elsewhere"
        print("x" * 60_000)
        ```
        """,
    )
    block = result.blocks[1]
    assert block.status == "ok" and len(printed(result, 1)) == 50_000
    assert [o.text[:17] for o in block.outputs if o.kind == "note"] == ["output truncated:"]

"""`techpath check` as a contributor runs it: in a folder, as a subprocess."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.engine_helpers import write_post

POST = """---
title: A post
description: Something short.
date: 2026-01-05
authors: [team]
categories: [Drive a tool]
tags: [demo]
---

Intro.

<!-- more -->

```python
x = 1
```
"""


def techpath(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/bin:/bin", "TECHPATH_CACHE_DIR": str(cwd / ".cache"), "TECHPATH_KEEP_WARM": "0"}
    return subprocess.run(
        [sys.executable, "-m", "techpath.cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )


def _site(tmp_path: Path) -> Path:
    posts = tmp_path / "docs" / "blog" / "posts"
    posts.mkdir(parents=True)
    return posts


def test_version_and_help(tmp_path: Path) -> None:
    assert techpath(tmp_path, "--version").stdout.startswith("techpath ")
    help_text = techpath(tmp_path, "check", "--help").stdout
    for option in ("--jobs", "--refresh", "--timeout"):
        assert option in help_text


def test_all_failures_reported_with_file_and_line(tmp_path: Path) -> None:
    posts = _site(tmp_path)
    write_post(posts, "good.md", POST)
    write_post(posts, "one.md", POST.replace("x = 1", "x = 1\nclf.fit(x)"))
    write_post(posts, "two.md", POST.replace("x = 1", "import numpy as np\nnp.zeros(2) @ np.zeros(3)"))
    result = techpath(tmp_path, "check")
    assert result.returncode == 1, result.stderr
    lines = result.stdout.splitlines()
    assert "docs/blog/posts/one.md:16: NameError: name 'clf' is not defined" in lines
    assert any(line.startswith("docs/blog/posts/two.md:16: ValueError: matmul") for line in lines)
    assert "    Traceback (most recent call last):" in lines
    assert "3 with code: 3 executed" in result.stderr and "2 failed" in result.stderr


def test_success_exits_zero_and_second_run_uses_the_cache(tmp_path: Path) -> None:
    write_post(_site(tmp_path), "good.md", POST)
    first = techpath(tmp_path, "check", "--jobs", "1")
    assert first.returncode == 0 and first.stdout == ""
    second = techpath(tmp_path, "check", "docs/blog/posts/good.md")
    assert "0 executed, 1 from cache" in second.stderr


def test_bad_front_matter_and_unknown_option_are_all_reported(tmp_path: Path) -> None:
    posts = _site(tmp_path)
    write_post(posts, "yaml.md", POST.replace("title: A post", "title: [unclosed"))
    write_post(posts, "tabs.md", POST.replace("tags: [demo]", "tags:\n\t- demo"))
    write_post(posts, "none.md", "Just text.\n\n```python\nprint(1)\n```\n")
    write_post(posts, "option.md", POST.replace("```python\n", '```python hidden timeout="soon"\n'))
    write_post(posts, "long.md", POST.replace("Something short.", "abcde" * 60))
    write_post(posts, "future.md", POST.replace("2026-01-05", "2999-01-01"))
    write_post(posts, "ghost.md", POST.replace("authors: [team]", "authors: [ghost]"))
    write_post(posts, "dup-a.md", POST.replace("title: A post", "title: A post\nslug: same-slug"))
    write_post(posts, "dup-b.md", POST.replace("title: A post", "title: A post\nslug: same-slug"))
    (posts.parent / ".authors.yml").write_text(
        "authors:\n  team:\n    name: Team\n    description: x\n    avatar: a.svg\n"
    )
    result = techpath(tmp_path, "check")
    out = result.stdout
    assert result.returncode == 1
    assert "docs/blog/posts/yaml.md:2: front matter is not valid YAML" in out
    assert "docs/blog/posts/tabs.md:" in out and "tabs" in out.split("tabs.md:")[1].splitlines()[0]
    assert "docs/blog/posts/none.md:1: no front matter" in out
    assert "docs/blog/posts/option.md:14: unknown option 'hidden'" in out
    assert "docs/blog/posts/option.md:14: timeout needs a positive number of seconds" in out
    assert "docs/blog/posts/long.md:3: front matter field 'description': is 300 characters long" in out
    assert "docs/blog/posts/future.md:4: front matter field 'date': 2999-01-01 is in the future" in out
    assert (
        "docs/blog/posts/ghost.md:5: front matter field 'authors': unknown value 'ghost'; "
        "expected one of: team" in out
    )
    assert "docs/blog/posts/dup-a.md:1: slug 'same-slug' is used by several posts" in out
    assert "docs/blog/posts/dup-b.md:1: slug 'same-slug' is used by several posts" in out


def test_missing_path_is_a_usage_error(tmp_path: Path) -> None:
    result = techpath(tmp_path, "check", "nope.md")
    assert result.returncode == 2 and "nope.md: no such file or folder" in result.stderr

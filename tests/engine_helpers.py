"""Write small posts into a temporary folder and run them through a real engine."""

from __future__ import annotations

import textwrap
from pathlib import Path

from techpath.engine import Engine
from techpath.model import PageResult, Post
from techpath.parse import load_post


def write_post(folder: Path, name: str, body: str) -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(body).lstrip("\n"), encoding="utf-8")
    return path


def run_posts(engine: Engine, *paths: Path) -> dict[str, PageResult]:
    posts = [load_post(p) for p in paths]
    return {Path(k).name: v for k, v in engine.run(posts).items()}


def run_one(engine: Engine, folder: Path, body: str, name: str = "post.md") -> tuple[Post, PageResult]:
    path = write_post(folder, name, body)
    post = load_post(path)
    return post, engine.run([post])[post.display_path]


def line_of(path: Path, needle: str) -> int:
    """1-based line of the first line containing `needle`."""
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in {path}")

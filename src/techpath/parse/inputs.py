"""Declared inputs: data files a post reads, anywhere inside its repository.

A post says `inputs: [../../data/iris.csv]` (paths relative to the post, as its code opens
them). The page then runs in a private folder that mirrors the repository from its root, so the
same relative path finds the copy. A path that leaves the repository is an error.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from techpath.model import Problem

ROOT_MARKERS = (".git", "mkdocs.yml", "pyproject.toml")


def project_root(start: Path) -> Path:
    """The nearest folder above `start` that holds a repository marker; else `start`'s folder."""
    folder = start.resolve().parent
    for candidate in (folder, *folder.parents):
        if any((candidate / marker).exists() for marker in ROOT_MARKERS):
            return candidate
    return folder


def declared_inputs(
    path: Path, meta: dict[str, Any], line: int, problems: list[Problem]
) -> tuple[list[Path], Path]:
    """The post's inputs (normalised paths) and its root; problems for missing or outside ones."""
    root = project_root(path)
    shown = path.as_posix()
    inputs: list[Path] = []
    for entry in meta.get("inputs", []) or []:
        if not isinstance(entry, str):
            continue
        candidate = Path(os.path.normpath(path.parent / entry))
        if not candidate.resolve().is_relative_to(root):
            problems.append(
                Problem(shown, line, f"declared input {entry} is outside the repository ({root}); "
                        "keep data files inside it so the build and the downloads can carry them")
            )  # fmt: skip
            continue
        if not candidate.is_file():
            problems.append(Problem(shown, line, f"declared input {candidate.as_posix()} does not exist"))
        inputs.append(candidate)
    return inputs, root


def placement(post_path: Path, inputs: list[Path], root: Path) -> tuple[str, list[tuple[str, str]]]:
    """Where the page runs and where each input goes, relative to the page's private folder:
    (the post's folder relative to root, [(absolute source, relative target)])."""
    base = root.resolve()
    cwd = post_path.resolve().parent.relative_to(base).as_posix()
    return cwd, [(str(i.resolve()), i.resolve().relative_to(base).as_posix()) for i in inputs]

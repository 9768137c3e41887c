"""Paths a post names stay inside the site and the repository.

A slug becomes a folder of the built site and the name of its downloads; declared inputs are
read (hashed, and copied into downloads). A post whose slug or inputs would leave those folders
is held back before anything of it is executed or written.
"""

from __future__ import annotations

import re
from pathlib import Path, PurePosixPath
from typing import Any

from techpath.model import Post, Problem

SLUG = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")
DOWNLOAD_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


def input_problem(name: str, post_dir: Path, root: Path) -> str | None:
    """Why declared input `name` (relative to the post's folder) may not be read, or None."""
    pure = PurePosixPath(name.replace("\\", "/"))
    if pure.is_absolute() or name.startswith("~") or re.match(r"^[A-Za-z]:", name):
        return f"input {name!r}: give a path relative to the post"
    if ".git" in pure.parts:
        return f"input {name!r}: files in .git are never inputs"
    target = (post_dir / pure).resolve()  # through every symlink on the way
    if not target.is_relative_to(root.resolve()):
        return f"input {name!r} is outside the repository ({root.resolve()})"
    if ".git" in target.relative_to(root.resolve()).parts:
        return f"input {name!r} resolves into .git ({target}); files in .git are never inputs"
    return None


def confinement_problems(post: Post, root: Path) -> list[Problem]:
    """Slug and inputs that would leave the site or the repository; each stops the post."""
    meta: dict[str, Any] = post.meta
    shown = post.display_path
    problems = []
    slug = meta.get("slug")
    if slug is not None and (not isinstance(slug, str) or not SLUG.fullmatch(slug)):
        problems.append(Problem(shown, 1, f"slug {slug!r} is not lowercase words joined by hyphens"))
    for name in meta.get("inputs", []) or []:
        if isinstance(name, str) and (problem := input_problem(name, post.path.parent, root)):
            problems.append(Problem(shown, 1, problem))
    return problems


def checked_download_name(name: str) -> str:
    """`name` when it is a plain file name; ValueError otherwise (never a path)."""
    if not DOWNLOAD_NAME.fullmatch(name) or ".." in name:
        raise ValueError(f"download name {name!r} is not a plain file name")
    return name


def snippet_problems(base_paths: list[str], restrict: bool, root: Path) -> list[str]:
    """Ways a pymdownx.snippets configuration could include files it should not. A base path may
    hold the repository's .git folder (documentation sites include README.md from the top):
    every include is checked where it resolves instead (parse/snippets.py, `confine`)."""
    return [] if restrict else ["pymdownx.snippets: restrict_base_path must stay true"]

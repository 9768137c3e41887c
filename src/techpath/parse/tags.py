"""The one table between Jupyter Book cell tags and our block options.

Reading a notebook (tags -> options), turning it into a Markdown post (tags -> fence words) and
writing a downloadable notebook (options -> tags) all use it, so they cannot disagree.
"""

from __future__ import annotations

from typing import Any

from techpath.model import BlockOptions

# (cell tag, fence word, BlockOptions field, value). When writing tags, the first row of a field
# is the tag used.
NOTEBOOK_TAGS: tuple[tuple[str, str, str, Any], ...] = (
    ("remove-cell", "hide", "hide", True),
    ("hide-input", "hide-code", "hide_code", True),
    ("remove-input", "hide-code", "hide_code", True),
    ("remove-output", "hide-output", "hide_output", True),
    ("hide-output", "hide-output", "hide_output", True),
    ("raises-exception", "raises", "raises", ""),
    ("skip-execution", "skip", "skip", True),
    ("standalone", "standalone", "standalone", True),
    ("exercise-starter", "starter", "exercise", "starter"),
    ("exercise-check", "check", "exercise", "check"),
    ("exercise-solution", "solution", "exercise", "solution"),
)
EXERCISE_TAG = "exercise"  # on the markdown cell holding an exercise's task


def options_for_tags(tags: list[str]) -> dict[str, Any]:
    """BlockOptions keyword arguments the tags stand for (unknown tags are ignored)."""
    return {field: value for tag, _word, field, value in NOTEBOOK_TAGS if tag in tags}


def fence_word(tag: str) -> str | None:
    return next((word for name, word, _f, _v in NOTEBOOK_TAGS if name == tag), None)


def tags_for_options(options: BlockOptions) -> list[str]:
    """The cell tags of a block, one per option that is set."""
    tags: list[str] = []
    done: set[str] = set()
    for tag, _word, field, value in NOTEBOOK_TAGS:
        current = getattr(options, field)
        is_set = current is not None if value == "" else current == value
        if is_set and field not in done:
            tags.append(tag)
            done.add(field)
    return tags

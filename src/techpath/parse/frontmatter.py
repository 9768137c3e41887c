"""Split YAML front matter from a post and check it against the post schema.

Every problem names the line of the field it is about, and all problems are reported at once.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from techpath.model import Problem
from techpath.options import PluginOptions
from techpath.safety.text import word_problem

_FENCE = re.compile(r"^---[ \t]*$")
WARNING_CATEGORIES = {"DeprecationWarning", "FutureWarning", "PendingDeprecationWarning"}
# Fields Material for MkDocs itself understands on a page or post; accepted as they are.
MATERIAL_FIELDS = {
    "hide",
    "search",
    "icon",
    "status",
    "subtitle",
    "template",
    "pin",
    "links",
    "readtime",
    "draft",
    "comments",
}


@dataclass(frozen=True)
class PostSchema:
    """What a post's front matter may say. Built from the site's settings (see config.py)."""

    categories: frozenset[str] = frozenset()  # empty: any
    authors: frozenset[str] = frozenset()  # empty: any
    max_description: int = PluginOptions.default("max_description")
    today: dt.date = field(default_factory=dt.date.today)
    authors_file: str = "the blog's .authors.yml"  # named in the hint for an unknown author


@dataclass
class FrontMatter:
    meta: dict[str, Any]
    body_start: int  # 0-based line index where the body starts
    field_lines: dict[str, int]  # field name -> 1-based line in the file


def split_front_matter(text: str, path: str, line_offset: int = 0) -> tuple[FrontMatter, list[Problem]]:
    """Read the `---` YAML block at the top of `text`. `line_offset` shifts reported lines."""
    lines = text.split("\n")
    if not lines or not _FENCE.match(lines[0]):
        return FrontMatter({}, 0, {}), [
            Problem(
                path, 1 + line_offset, "no front matter: a post starts with a --- line, YAML fields, and ---"
            )
        ]
    end = next((i for i in range(1, len(lines)) if _FENCE.match(lines[i])), None)
    if end is None:
        return FrontMatter({}, 0, {}), [
            Problem(path, 1 + line_offset, "front matter never closed: expected a second --- line")
        ]
    source = "\n".join(lines[1:end])
    try:
        node = yaml.compose(source, Loader=yaml.SafeLoader)
        meta = yaml.safe_load(source) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "context_mark", None) or getattr(exc, "problem_mark", None)
        line = (mark.line + 2 if mark else 1) + line_offset
        reason = getattr(exc, "problem", None) or str(exc)
        hint = (
            " (YAML does not allow tabs for indentation; use spaces)"
            if ("\t" in source and "tab" in str(exc).lower()) or "\\t" in str(exc)
            else ""
        )
        return FrontMatter({}, end + 1, {}), [
            Problem(path, line, f"front matter is not valid YAML: {reason}{hint}")
        ]
    if not isinstance(meta, dict):
        return FrontMatter({}, end + 1, {}), [
            Problem(path, 2 + line_offset, "front matter must be a mapping of fields (name: value)")
        ]
    field_lines = {}
    if isinstance(node, yaml.MappingNode):
        for key_node, _ in node.value:
            field_lines[str(key_node.value)] = key_node.start_mark.line + 2 + line_offset
    return FrontMatter(meta, end + 1, field_lines), []


def validate_post_meta(fm: FrontMatter, path: str, schema: PostSchema, first_line: int = 1) -> list[Problem]:
    """All the ways `fm.meta` breaks the post schema."""
    meta = fm.meta
    problems: list[Problem] = []

    def bad(name: str, message: str) -> None:
        problems.append(
            Problem(path, fm.field_lines.get(name, first_line), f"front matter field '{name}': {message}")
        )

    # authors and categories are required where the site defines them (.authors.yml,
    # categories_allowed); a blog without them lets posts leave them out
    required = ["title", "description", "date", *(["authors"] if schema.authors else [])]
    required += [*(["categories"] if schema.categories else []), "tags"]
    for name in required:
        if name not in meta:
            problems.append(Problem(path, first_line, f"front matter field '{name}' is missing"))
    _check_text(meta, "title", bad, max_length=120)
    _check_text(meta, "description", bad, max_length=schema.max_description)
    if "date" in meta:
        date = meta["date"]
        if isinstance(date, dt.datetime):
            date = date.date()
        if not isinstance(date, dt.date):
            bad("date", f"expected a date written YYYY-MM-DD, got {meta['date']!r}")
        elif date > schema.today:
            bad("date", f"{date.isoformat()} is in the future (today is {schema.today.isoformat()})")
    for name, allowed in (("authors", schema.authors), ("categories", schema.categories)):
        values = meta.get(name)
        if name not in meta:
            continue
        if not _is_list_of_str(values) or not values:
            bad(
                name, f"expected a non-empty list, e.g. {name}: [{sorted(allowed)[0] if allowed else 'name'}]"
            )
            continue
        for value in values:
            if allowed and value not in allowed:
                hint = f" (add the author to {schema.authors_file})" if name == "authors" else ""
                bad(name, f"unknown value {value!r}; expected one of: {', '.join(sorted(allowed))}{hint}")
    for name in ("tags", "math"):
        if name in meta and not _is_list_of_str(meta[name]):
            bad(name, f"expected a list of words, e.g. {name}: [classification, iris]")
    if _is_list_of_str(meta.get("tags")):
        for tag in meta["tags"]:
            if (problem := word_problem(tag)) is not None:
                bad("tags", problem)
    if "order" in meta and (
        not isinstance(meta["order"], int) or isinstance(meta["order"], bool) or meta["order"] < 1
    ):
        bad("order", f"expected a whole number from 1 (position on the path), got {meta['order']!r}")
    if "slug" in meta and (
        not isinstance(meta["slug"], str) or not re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", meta["slug"])
    ):
        bad("slug", f"expected lowercase words joined by hyphens, got {meta['slug']!r}")
    if "timeout" in meta and (
        isinstance(meta["timeout"], bool)
        or not isinstance(meta["timeout"], int | float)
        or meta["timeout"] <= 0
    ):
        bad("timeout", f"expected a positive number of seconds per block, got {meta['timeout']!r}")
    if "inputs" in meta and not _is_list_of_str(meta["inputs"]):
        bad("inputs", "expected a list of file paths relative to the post")
    problems += _check_allow_warnings(meta, bad)
    known = {
        "title",
        "description",
        "date",
        "authors",
        "categories",
        "tags",
        "math",
        "order",
        "slug",
        "inputs",
        "allow_warnings",
        "timeout",
    } | MATERIAL_FIELDS
    for name in meta:
        if name not in known:
            bad(name, f"unknown field; known fields: {', '.join(sorted(known - MATERIAL_FIELDS))}")
    return problems


def _check_text(meta: dict[str, Any], name: str, bad: Any, max_length: int) -> None:
    if name not in meta:
        return
    value = meta[name]
    if not isinstance(value, str) or not value.strip():
        bad(name, "expected non-empty text")
    elif len(value) > max_length:
        bad(name, f"is {len(value)} characters long; at most {max_length} expected")


def _is_list_of_str(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) and v.strip() for v in value)


def _check_allow_warnings(meta: dict[str, Any], bad: Any) -> list[Problem]:
    entries = meta.get("allow_warnings", [])
    if not isinstance(entries, list):
        bad("allow_warnings", "expected a list of {category, match, reason}")
        return []
    for entry in entries:
        if not isinstance(entry, dict):
            bad("allow_warnings", "each entry needs category, match and reason")
            continue
        if entry.get("category") not in WARNING_CATEGORIES:
            bad("allow_warnings", f"category must be one of {', '.join(sorted(WARNING_CATEGORIES))}")
        if not isinstance(entry.get("match"), str) or not entry["match"]:
            bad("allow_warnings", "match: a regular expression the warning message must contain")
        if not isinstance(entry.get("reason"), str) or len(entry.get("reason", "").strip()) < 10:
            bad("allow_warnings", "reason: say why this warning is allowed (at least a short sentence)")
    return []

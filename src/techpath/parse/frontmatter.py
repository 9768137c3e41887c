"""Split YAML front matter from a post and check it against the post schema.

Every problem names the line of the field it is about, and all problems are reported at once.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
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
    # fields every post must have besides `date` (the plugin option `required_front_matter`);
    # Material's blog itself needs only the date (its title comes from the first heading)
    required: frozenset[str] = frozenset({"title", "description", "tags"})


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


# -- the fields of a post's front matter, declared once --------------------------------------
# A check gets the field's value and the site's schema and returns what is wrong with it (each
# message is reported at the field's line as "front matter field 'NAME': MESSAGE").
FieldCheck = Callable[[Any, PostSchema], list[str]]


@dataclass(frozen=True)
class Field:
    name: str
    check: FieldCheck
    required: Callable[[PostSchema], bool] = lambda schema: False


def _always(schema: PostSchema) -> bool:
    return True


def _site_requires(name: str) -> Callable[[PostSchema], bool]:
    return lambda schema: name in schema.required


def _text(max_length: Callable[[PostSchema], int]) -> FieldCheck:
    def check(value: Any, schema: PostSchema) -> list[str]:
        if not isinstance(value, str) or not value.strip():
            return ["expected non-empty text"]
        limit = max_length(schema)
        return [f"is {len(value)} characters long; at most {limit} expected"] if len(value) > limit else []

    return check


def _date(value: Any, schema: PostSchema) -> list[str]:
    date = value.date() if isinstance(value, dt.datetime) else value
    if not isinstance(date, dt.date):
        return [f"expected a date written YYYY-MM-DD, got {value!r}"]
    if date > schema.today:
        return [f"{date.isoformat()} is in the future (today is {schema.today.isoformat()})"]
    return []


def _names(
    name: str, allowed: Callable[[PostSchema], frozenset[str]], hint: Callable[[PostSchema], str]
) -> FieldCheck:
    """A non-empty list of names, each in `allowed` (any name when the site allows all)."""

    def check(value: Any, schema: PostSchema) -> list[str]:
        known = allowed(schema)
        if not _is_list_of_str(value) or not value:
            return [f"expected a non-empty list, e.g. {name}: [{sorted(known)[0] if known else 'name'}]"]
        return [
            f"unknown value {v!r}; expected one of: {', '.join(sorted(known))}{hint(schema)}"
            for v in value
            if known and v not in known
        ]

    return check


def _words(name: str, each: Callable[[str], str | None] = lambda word: None) -> FieldCheck:
    def check(value: Any, schema: PostSchema) -> list[str]:
        if not _is_list_of_str(value):
            return [f"expected a list of words, e.g. {name}: [classification, iris]"]
        return [problem for word in value if (problem := each(word)) is not None]

    return check


def _order(value: Any, schema: PostSchema) -> list[str]:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 1:
        return []
    return [f"expected a whole number from 1 (position on the path), got {value!r}"]


def _slug(value: Any, schema: PostSchema) -> list[str]:
    if isinstance(value, str) and re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", value):
        return []
    return [f"expected lowercase words joined by hyphens, got {value!r}"]


def _timeout(value: Any, schema: PostSchema) -> list[str]:
    if not isinstance(value, bool) and isinstance(value, int | float) and value > 0:
        return []
    return [f"expected a positive number of seconds per block, got {value!r}"]


def _paths(value: Any, schema: PostSchema) -> list[str]:
    return [] if _is_list_of_str(value) else ["expected a list of file paths relative to the post"]


def _allow_warnings(value: Any, schema: PostSchema) -> list[str]:
    if not isinstance(value, list):
        return ["expected a list of {category, match, reason}"]
    problems = []
    for entry in value:
        if not isinstance(entry, dict):
            problems.append("each entry needs category, match and reason")
            continue
        if entry.get("category") not in WARNING_CATEGORIES:
            problems.append(f"category must be one of {', '.join(sorted(WARNING_CATEGORIES))}")
        if not isinstance(entry.get("match"), str) or not entry["match"]:
            problems.append("match: a regular expression the warning message must contain")
        if not isinstance(entry.get("reason"), str) or len(entry.get("reason", "").strip()) < 10:
            problems.append("reason: say why this warning is allowed (at least a short sentence)")
    return problems


# In the order they are checked and reported. authors and categories are required where the
# site defines them (.authors.yml, categories_allowed); a blog without them lets posts leave them out.
FIELDS = (
    Field("title", _text(lambda schema: 120), _site_requires("title")),
    Field("description", _text(lambda schema: schema.max_description), _site_requires("description")),
    Field("date", _date, _always),
    Field(
        "authors",
        _names("authors", lambda s: s.authors, lambda s: f" (add the author to {s.authors_file})"),
        lambda s: bool(s.authors),
    ),
    Field(
        "categories", _names("categories", lambda s: s.categories, lambda s: ""), lambda s: bool(s.categories)
    ),
    Field("tags", _words("tags", word_problem), _site_requires("tags")),
    Field("math", _words("math")),
    Field("order", _order),
    Field("slug", _slug),
    Field("timeout", _timeout),
    Field("inputs", _paths),
    Field("allow_warnings", _allow_warnings),
)
KNOWN_FIELDS = frozenset(f.name for f in FIELDS)


def validate_post_meta(fm: FrontMatter, path: str, schema: PostSchema, first_line: int = 1) -> list[Problem]:
    """All the ways `fm.meta` breaks the post schema (FIELDS), each at its field's line: missing
    required fields first, then each field's problems in FIELDS order, then unknown fields."""
    meta = fm.meta
    problems = [
        Problem(path, first_line, f"front matter field '{f.name}' is missing")
        for f in FIELDS
        if f.required(schema) and f.name not in meta
    ]

    def at_field(name: str, message: str) -> Problem:
        return Problem(path, fm.field_lines.get(name, first_line), f"front matter field '{name}': {message}")

    for f in FIELDS:
        if f.name in meta:
            problems += [at_field(f.name, message) for message in f.check(meta[f.name], schema)]
    known = ", ".join(sorted(KNOWN_FIELDS))
    problems += [
        at_field(name, f"unknown field; known fields: {known}")
        for name in meta
        if name not in KNOWN_FIELDS | MATERIAL_FIELDS
    ]
    return problems


def _is_list_of_str(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) and v.strip() for v in value)

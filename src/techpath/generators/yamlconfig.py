"""Read and write mkdocs.yml keeping its tags (`!ENV`, `!!python/name:`) as they were written,
so a staged copy of the configuration means exactly what the original means."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

from techpath import environment


@dataclass
class Tagged:
    tag: str
    value: Any


class _Loader(yaml.SafeLoader):
    pass


class _Dumper(yaml.SafeDumper):
    pass


def _construct(loader: _Loader, suffix: str, node: yaml.Node) -> Tagged:
    if isinstance(node, yaml.SequenceNode):
        value: Any = loader.construct_sequence(node, deep=True)
    elif isinstance(node, yaml.MappingNode):
        value = loader.construct_mapping(node, deep=True)
    else:
        value = loader.construct_scalar(node)  # type: ignore[arg-type]
    return Tagged(suffix, value)


def _represent(dumper: _Dumper, data: Tagged) -> yaml.Node:
    if isinstance(data.value, list):
        return dumper.represent_sequence(data.tag, data.value)
    if isinstance(data.value, dict):
        return dumper.represent_mapping(data.tag, data.value)
    return dumper.represent_scalar(data.tag, data.value)


_Loader.add_multi_constructor("!", lambda loader, suffix, node: _construct(loader, "!" + suffix, node))
_Loader.add_multi_constructor(
    "tag:yaml.org,2002:python/",
    lambda loader, suffix, node: _construct(loader, "tag:yaml.org,2002:python/" + suffix, node),
)
_Dumper.add_representer(Tagged, _represent)


def load(text: str) -> dict[str, Any]:
    return yaml.load(text, Loader=_Loader) or {}


def dump(config: dict[str, Any]) -> str:
    return yaml.dump(config, Dumper=_Dumper, sort_keys=False, allow_unicode=True)


def env_value(value: Any) -> Any:
    """A value as MkDocs reads it when it is `!ENV NAME` or `!ENV [NAME, ..., default]`: the
    first variable that is set, else the default (the last item of a list of two or more)."""
    if not isinstance(value, Tagged) or value.tag != "!ENV":
        return value
    names = value.value if isinstance(value.value, list) else [value.value]
    variables, default = (names[:-1], names[-1]) if len(names) > 1 else (names, None)
    for name in variables:
        if isinstance(name, str) and (found := environment.named(name)) is not None:
            return found
    return default

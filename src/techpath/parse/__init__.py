"""Turn post files (Markdown, notebooks) into `Post` objects; report bad input as `Problem`s.

`load_post` is handed on when first used: importing one light module of this package (inputs.py,
which the engine's runner reads) does not import the whole parser, which a cold build's early
launch of its warm parent would wait for (stage/early_launch.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from techpath.parse.post import load_post

__all__ = ["load_post"]


def __getattr__(name: str) -> Any:
    if name == "load_post":
        from techpath.parse.post import load_post

        return load_post
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

"""Turn post files (Markdown, notebooks) into `Post` objects; report bad input as `Problem`s."""

from techpath.parse.post import load_post

__all__ = ["load_post"]

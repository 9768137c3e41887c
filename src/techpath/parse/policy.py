"""What the site lets run (`execute`, `include`, `exclude`), how strict it is (`warnings`,
`saved_outputs`) and how its figures are drawn (`matplotlib_rc`): the techpath plugin's
site-level options applied to a parsed post, the same way by every front end (the build,
`techpath check`, the pytest plugin)."""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from techpath.model import Post
from techpath.options import JUPYTER_FIGURE_RC, PluginOptions

STORED_OUTPUTS = "stored outputs:"  # how parse/notebook.py's problem for a saved output starts


@dataclass(frozen=True)
class RunPolicy:
    docs_dir: Path
    execute: bool | str = True
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    warnings: str = "show"
    saved_outputs: str = "ignore"
    figure_rc: tuple[tuple[str, Any], ...] = tuple(JUPYTER_FIGURE_RC.items())

    @classmethod
    def from_options(cls, docs_dir: Path, opts: PluginOptions | Mapping[str, Any]) -> RunPolicy:
        """From the plugin's options (a mapping is checked first: OptionsError, a ValueError,
        names a bad value)."""
        if not isinstance(opts, PluginOptions):
            opts = PluginOptions.from_mapping(opts)
        return cls(
            docs_dir,
            opts.execute,
            tuple(str(g) for g in opts.include or ()),
            tuple(str(g) for g in opts.exclude or ()),
            str(opts.warnings),
            str(opts.saved_outputs),
            tuple(sorted(opts.matplotlib_rc.items())),
        )

    def selected(self, path: Path) -> bool:
        """Whether the page at `path` may run: inside `include` (all pages when empty), outside
        `exclude`. Globs match the path relative to docs_dir; `*` crosses folders."""
        try:
            uri = path.resolve().relative_to(self.docs_dir.resolve()).as_posix()
        except ValueError:
            uri = path.as_posix()
        matches = lambda globs: any(fnmatch.fnmatchcase(uri, g) for g in globs)  # noqa: E731
        return (not self.include or matches(self.include)) and not matches(self.exclude)

    def apply(self, post: Post) -> Post:
        """`post` with the site's policy: blocks that may not run become `skip` (shown, not run),
        saved outputs are errors, ignored or stripped, policy warnings fail or are shown."""
        runs = self.selected(post.path)
        if not runs:
            post.blocks = [replace(b, options=replace(b.options, skip=True)) for b in post.blocks]
            post.inline = []
        elif self.execute == "marked" and post.path.suffix == ".md":
            post.blocks = [
                b if b.options.mdexec else replace(b, options=replace(b.options, skip=True))
                for b in post.blocks
            ]
        if self.saved_outputs != "error" and post.path.suffix == ".ipynb":
            saved = [p for p in post.problems if p.message.startswith(STORED_OUTPUTS)]
            post.problems = [p for p in post.problems if p not in saved]
            if saved and self.saved_outputs == "strip":
                from techpath.parse.notebook import strip_outputs

                strip_outputs(post.path)
        post.warnings = self.warnings
        post.figure_rc = dict(self.figure_rc)
        return post

"""The page's working folder: the site's folder made of links, so a page reads every file where
its author left it (as Jupyter runs a notebook in its own folder) while what it writes lands in
its private copy, never in the source tree.

The mirror starts as real folders from its root down to the page's folder, each holding one
symbolic link per entry of the matching source folder. Reading follows the links, from Python
or from C (pandas, h5py, PIL), and listing a folder shows what the source holds. Before a page
changes anything (writes, creates, renames, removes, truncates), the folders above the path are
made real ("materialized": the link replaced by a real folder of links), and an existing file
it opens for writing is replaced by a private copy. The page's audit hook (execute/reads.py)
calls `materialize_*` before each such operation. See docs/design.md, "Pages run where their
authors ran them".
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

EXCLUDED = frozenset({".git"})  # never visible to a page (sec: the repository's own metadata)


class Overlay:
    """`mirror` stands for `source`: mirror/a/b is source/a/b, read through links."""

    def __init__(self, source: Path, mirror: Path, excluded: frozenset[str] = EXCLUDED) -> None:
        self.source = Path(os.path.realpath(source))
        self.mirror = Path(os.path.realpath(mirror))
        self.excluded = excluded

    def prepare(self, folder: str) -> Path:
        """Make the mirror of `folder` (relative to the source, posix) a real folder, with every
        folder above it; returns it (the page's working folder)."""
        parts = [p for p in Path(folder).parts if p not in ("", ".")]
        self.mirror.mkdir(parents=True, exist_ok=True)
        self._populate(self.mirror, self.source)
        self._materialize(parts)
        return self.mirror.joinpath(*parts)

    # -- mapping -----------------------------------------------------------------------------
    def relative(self, path: str) -> str | None:
        """`path` (absolute, already normalised) relative to the mirror's root, or None when it
        lies outside the mirror."""
        mirror = str(self.mirror)
        if path == mirror:
            return "."
        if path.startswith(mirror + os.sep):
            return path[len(mirror) + 1 :]
        return None

    def source_path(self, relative: str) -> Path:
        return self.source / relative

    # -- making parts private ----------------------------------------------------------------
    def materialize_parent(self, path: str) -> None:
        """Before an entry is created, removed or renamed at `path` (absolute, normalised):
        every folder above it becomes real, so the change stays in the mirror."""
        relative = self.relative(path)
        if relative is None or relative == ".":
            return
        parts = Path(relative).parts
        self._materialize(list(parts[:-1]))

    def materialize_file(self, path: str) -> str | None:
        """Before a file at `path` is opened for writing or changed in place: the folders above
        it become real and, when it is a link to a source file, it becomes a private copy (with
        the source's content, so appending and `r+` see what was there). Returns the copied
        file's path relative to the source, if one was copied."""
        relative = self.relative(path)
        if relative is None or relative == ".":
            return None
        parts = Path(relative).parts
        self._materialize(list(parts[:-1]))
        target = self.mirror.joinpath(*parts)
        if not self._is_ours(target):
            return None
        source = Path(os.readlink(target))
        target.unlink()
        if source.is_dir():
            target.mkdir()
            self._populate(target, source)
            return None
        if not source.exists():
            return None
        shutil.copy2(source, target)
        return Path(*parts).as_posix()

    def copy_tree(self, path: str) -> None:
        """Make the folder at `path` and everything below it private copies (before another
        program, which no audit hook watches, runs there)."""
        relative = self.relative(path)
        if relative is None:
            return
        parts = [p for p in Path(relative).parts if p != "."]
        self._materialize(parts)
        folder = self.mirror.joinpath(*parts)
        for root, dirs, files in os.walk(folder):
            for name in [*dirs, *files]:
                entry = Path(root) / name
                if not self._is_ours(entry):
                    continue
                source = Path(os.readlink(entry))
                entry.unlink()
                if source.is_dir():
                    entry.mkdir()
                    self._populate(entry, source)
                elif source.exists():
                    shutil.copy2(source, entry)

    def materialize_tree(self, path: str) -> None:
        """Before a whole folder is removed (shutil.rmtree): it becomes real, so removing it
        unlinks links, never the source's files."""
        relative = self.relative(path)
        if relative is None or relative == ".":
            return
        self._materialize(list(Path(relative).parts))

    def _materialize(self, parts: list[str]) -> None:
        current, source = self.mirror, self.source
        for part in parts:
            current, source = current / part, source / part
            if self._is_ours(current):
                current.unlink()
                current.mkdir()
                self._populate(current, source)
            elif not current.exists():
                return  # the page's own path (or nothing): nothing of the source below it

    def _is_ours(self, path: Path) -> bool:
        """A link this overlay made (into the source), not one the page made itself."""
        if not path.is_symlink():
            return False
        target = os.readlink(path)
        return target == str(self.source) or target.startswith(str(self.source) + os.sep)

    def _populate(self, folder: Path, source: Path) -> None:
        try:
            entries = list(os.scandir(source))
        except OSError:  # no such source folder (the page's own), or unreadable
            return
        for entry in entries:
            if entry.name in self.excluded and source == self.source:
                continue
            link = folder / entry.name
            if not os.path.lexists(link):
                os.symlink(entry.path, link)

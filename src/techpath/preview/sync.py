"""Files reach the served folder only whole: written beside their target, then renamed over it."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path


def replace_file(target: Path, data: bytes) -> None:
    """Write `data` to `target` so that a reader sees the old file or the new one, never a part."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=".techpath-", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def copy_changed(source: Path, target: Path, names: Iterable[str]) -> list[str]:
    """Copy the files `names` (relative paths) from `source` to `target` where their bytes
    differ; the ones copied."""
    copied = []
    for name in sorted(set(names)):
        src = source / name
        if not src.is_file():
            continue
        data = src.read_bytes()
        dst = target / name
        if dst.is_file() and dst.stat().st_size == len(data) and dst.read_bytes() == data:
            continue
        replace_file(dst, data)
        copied.append(name)
    return copied


def sync_tree(source: Path, target: Path, keep: Callable[[str], bool] = lambda _name: False) -> list[str]:
    """Make `target` hold what `source` holds: new and changed files renamed into place, files
    `source` lacks removed (unless `keep(name)`). The names that changed, sorted."""
    wanted = set(files_under(source))
    changed = copy_changed(source, target, wanted)
    for name in files_under(target):
        if name not in wanted and not keep(name):
            (target / name).unlink(missing_ok=True)
            changed.append(name)
    _remove_empty_folders(target)
    return sorted(changed)


def files_under(folder: Path) -> list[str]:
    """Every file below `folder`, as relative POSIX paths (our own partial files skipped)."""
    found = []
    for directory, _folders, files in os.walk(folder):
        base = Path(directory).relative_to(folder)
        found.extend((base / f).as_posix() for f in files if not f.startswith(".techpath-"))
    return found


def _remove_empty_folders(folder: Path) -> None:
    for directory, _folders, _files in os.walk(folder, topdown=False):
        if directory != str(folder) and not os.listdir(directory):
            try:
                os.rmdir(directory)
            except OSError:
                pass  # something was written into it meanwhile

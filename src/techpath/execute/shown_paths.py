"""Paths in tracebacks, warnings and printed output as a reader can use them: relative to the
Python environment (`site-packages/sklearn/base.py`, `<python>/warnings.py`, `<env>/bin/...`),
to the folder the build ran in (`docs/blog/posts/x.md`), `<tmp>/...` or `~/...` - never the
absolute paths of the machine that built the page, which mean nothing to a reader and differ
from one build machine to the next.

Applied where a page runs (tracebacks and warnings, so results and `techpath check` read the
same everywhere) and again where outputs are rendered (results cached before, and whatever a
page printed itself)."""

from __future__ import annotations

import os
import re
import site
import sys
import sysconfig
import tempfile
from functools import lru_cache
from pathlib import Path

from techpath import environment


def shown_paths(text: str, build_dir: str | None = None, keep: str = "") -> str:
    """`text` with every absolute path of this machine's Python environment, temporary folder,
    home folder and (when given) `build_dir` written relative to them. `keep`: a path left as it
    is (the page's own file, named as its errors' locations name it)."""
    if not text or ("/" not in text and "\\" not in text):
        return text
    pattern, shown = _pattern(build_dir or "")
    parts = text.split(keep) if keep else [text]
    return keep.join(pattern.sub(lambda m: _replacement(shown[m[1]], m[2]), part) for part in parts)


def shown_in_build(text: str) -> str:
    """`shown_paths` for what a build writes into pages and downloads: paths in the folder the
    build runs in become relative to it, as the posts' own paths are (docs/blog/posts/x.md)."""
    return shown_paths(text, os.getcwd())


def _replacement(shown: str, separator: str) -> str:
    if shown:
        return shown + separator
    return "" if separator else "."  # the build folder itself: paths below it become relative


@lru_cache(maxsize=8)
def _pattern(build_dir: str) -> tuple[re.Pattern[str], dict[str, str]]:
    shown = _prefixes(build_dir)
    alternatives = "|".join(re.escape(p) for p in sorted(shown, key=len, reverse=True))
    # a prefix counts only as a whole path component: followed by a separator or the path's end
    return re.compile(rf"({alternatives})([/\\]|(?![\w.-]))"), shown


def _prefixes(build_dir: str) -> dict[str, str]:
    """Absolute folder -> how it is shown (longer folders win over the ones holding them)."""
    found: dict[str, str] = {}

    def add(path: str | None, shown: str) -> None:
        if not path:
            return
        for variant in (path, os.path.realpath(path)):
            variant = variant.rstrip("/\\")
            if len(variant) > 1 and variant not in found:
                found[variant] = shown

    paths = sysconfig.get_paths()
    libraries = [paths.get("purelib"), paths.get("platlib"), *_site_packages()]
    for folder in libraries:
        add(folder, Path(folder).name if folder else "")  # site-packages, dist-packages
    add(paths.get("stdlib"), "<python>")
    add(paths.get("platstdlib"), "<python>")
    add(sys.prefix, "<env>")
    add(sys.exec_prefix, "<env>")
    add(sys.base_prefix, "<python>")
    add(sys.base_exec_prefix, "<python>")
    # (not tempfile.gettempdir(): it probes folders by writing files, which a page may not do)
    add(tempfile.tempdir or environment.named("TMPDIR") or "/tmp", "<tmp>")
    home = str(Path.home())
    if build_dir and build_dir.rstrip("/") not in ("", home):
        add(build_dir, "")
    add(home, "~")
    return found


def _site_packages() -> list[str]:
    folders = list(getattr(site, "getsitepackages", list)())
    user = getattr(site, "getusersitepackages", lambda: None)()
    return [*folders, user] if isinstance(user, str) else folders

"""Which modules the warm parent should import: the ones the site's code imports.

Preloading exactly what posts use keeps the warm-up as short as it can be (a site that never
imports pandas does not pay for it) while every page still finds its libraries imported.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from collections.abc import Iterable

# Matches `import a.b, c` and `from a.b import x` anywhere (also inside notebook JSON strings);
# words that only look like modules ("import the data") are dropped below as not installed.
_IMPORT = re.compile(
    r"(?:^|[\s\"'])(?:from\s+([A-Za-z_][\w.]*)\s+import\b|import\s+([A-Za-z_][\w.]*(?:\s*,\s*[A-Za-z_][\w.]*)*))",
    re.MULTILINE,
)
# Imported with a library and always worth having warm when that library is used.
COMPANIONS = {"matplotlib": ["matplotlib.pyplot"], "sklearn": ["sklearn.base", "sklearn.utils"]}


def modules_to_preload(texts: Iterable[str]) -> list[str]:
    """Installed, non-standard-library modules imported by any of `texts`, sorted."""
    names: set[str] = set()
    for text in texts:
        for match in _IMPORT.finditer(text):
            if match.group(1):
                names.add(match.group(1))
            else:
                names.update(part.strip() for part in match.group(2).split(","))
    wanted: set[str] = set()
    for name in names:
        top = name.split(".")[0]
        if top in sys.stdlib_module_names or top == "techpath" or not _installed(top):
            continue
        wanted.add(name)
        wanted.update(COMPANIONS.get(top, []))
    return sorted(wanted)  # submodules are not probed: that would import their packages


def _installed(name: str) -> bool:
    """For a top-level name only: finding a submodule's spec imports its parent package."""
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False

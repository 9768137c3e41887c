"""Which modules the warm parent should import (the ones the site's code imports), and the
warm-up itself: import them, then pay their lazy first calls once.

Preloading exactly what posts use keeps the warm-up as short as it can be (a site that never
imports pandas does not pay for it) while every page still finds its libraries imported. A page
started without a warm parent (spawn mode) runs the same warm-up first (child.py), so it sees the
same import-time warnings.
"""

from __future__ import annotations

import importlib
import importlib.util
import re
import sys
import warnings
from collections.abc import Iterable

from techpath.execute import hooks
from techpath.execute.reads import remember_module_files

# Matches `import a.b, c` and `from a.b import x` anywhere (also inside notebook JSON strings);
# words that only look like modules ("import the data") are dropped below as not installed.
# A dotted name's parts are identifiers: "then import numpy." in prose names `numpy`.
_NAME = r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*"
_IMPORT = re.compile(
    rf"(?:^|[\s\"'])(?:from\s+({_NAME})\s+import\b|import\s+({_NAME}(?:\s*,\s*{_NAME})*))",
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


DEFAULT_PRELOAD = [
    "numpy", "scipy", "matplotlib", "matplotlib.pyplot", "pandas", "sklearn",
    "sklearn.datasets", "sklearn.model_selection", "sklearn.metrics", "sklearn.pipeline",
    "sklearn.preprocessing", "sklearn.linear_model", "sklearn.neighbors", "sklearn.tree",
    "sklearn.ensemble", "sklearn.cluster", "sklearn.decomposition", "sklearn.neural_network",
    "sklearn.svm",
]  # fmt: skip


def warm_up(modules: list[str]) -> None:
    """Import, then run each library's lazy first calls once so children inherit them done.

    Policy warnings raised by an import are recorded (not shown) for the page that imports the
    module to replay (hooks.import_warnings); other warnings of the warm-up are not the posts'.
    """
    from techpath.execute.warning_policy import POLICY_WARNINGS

    for name in modules:
        if name in sys.modules:
            continue
        if importlib.util.find_spec(name.split(".")[0]) is None:
            continue  # not installed on this site (the default list is our site's): nothing to warm
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("ignore")
            for category in POLICY_WARNINGS:
                warnings.simplefilter("always", category)
            try:
                importlib.import_module(name)
            except Exception as exc:  # a module missing here is imported (slower) by the post
                print(f"techpath warm parent: could not import {name}: {exc!r}", file=sys.stderr)
                continue
        recorded = [
            (str(w.message), w.category.__name__, w.filename, w.lineno)
            for w in caught
            if issubclass(w.category, POLICY_WARNINGS)
        ]
        if recorded:
            hooks.import_warnings[name] = recorded
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _first_calls(modules)
    remember_module_files()


def _first_calls(modules: list[str]) -> None:
    """Lazy work libraries do on first use (dispatch tables, font caches, backends), done once."""
    uses = {name.split(".")[0] for name in modules}
    if "sklearn" in uses:
        try:
            from sklearn.datasets import load_iris
            from sklearn.linear_model import LogisticRegression
            from sklearn.neighbors import KNeighborsClassifier

            X, y = load_iris(return_X_y=True)
            LogisticRegression(max_iter=200).fit(X, y).predict_proba(X[:2])
            KNeighborsClassifier().fit(X, y).predict(X[:2])
        except Exception as exc:
            print(f"techpath warm parent: scikit-learn warm-up failed: {exc!r}", file=sys.stderr)
    if "matplotlib" not in uses:
        return
    try:
        import io

        import matplotlib
        import matplotlib.pyplot as plt
        import numpy as np

        hooks.matplotlib_rc_file = matplotlib.matplotlib_fname()  # pages compare with theirs
        fig, ax = plt.subplots()
        ax.plot(np.arange(3), np.arange(3), "o-", label="warm")
        ax.hist(np.arange(10), bins=3)
        ax.set_title("warm-up")
        ax.set_xlabel("x")
        ax.legend()
        for fmt in ("svg", "png"):
            fig.savefig(io.BytesIO(), format=fmt)
        plt.close("all")
    except Exception as exc:
        print(f"techpath warm parent: matplotlib warm-up failed: {exc!r}", file=sys.stderr)

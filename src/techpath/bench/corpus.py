"""Generate the benchmark corpus: N posts, each importing scikit-learn, fitting a model and
drawing a plot, written three ways (techpath Markdown, notebooks for mkdocs-jupyter, markdown-exec
Markdown) with the same code.

Two corpora: `default` (a train/test fit of a model, some of them forests, and a histogram of
its predicted probabilities) and `light` (a five-fold cross-validation of a cheap model and a
scatter plot of the data: pages whose compute is small against the imports, where a cold build's
fixed costs show most)."""

from __future__ import annotations

import json
import re
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

MODELS = [
    ("sklearn.linear_model", "LogisticRegression", "max_iter=500"),
    ("sklearn.ensemble", "RandomForestClassifier", "n_estimators=40, random_state=0"),
    ("sklearn.neighbors", "KNeighborsClassifier", "n_neighbors=7"),
    ("sklearn.tree", "DecisionTreeClassifier", "max_depth=5, random_state=0"),
]
LIGHT_MODELS = [
    ("sklearn.linear_model", "LogisticRegression", ""),
    ("sklearn.neighbors", "KNeighborsClassifier", "n_neighbors=5"),
    ("sklearn.tree", "DecisionTreeClassifier", "max_depth=3, random_state=0"),
    ("sklearn.naive_bayes", "GaussianNB", ""),
]


BASE_SAMPLES = 400


def snippet(i: int, edit: int = 0) -> tuple[str, str]:
    """(model code, plotting code) of post i; the plot code leaves one figure open. `edit` > 0
    gives the code of post i after a contributor's edit number `edit` (see edit_one_post)."""
    module, name, params = MODELS[i % len(MODELS)]
    model = textwrap.dedent(f"""\
        import numpy as np
        import matplotlib.pyplot as plt
        from sklearn.datasets import make_classification
        from sklearn.model_selection import train_test_split
        from {module} import {name}

        X, y = make_classification(n_samples={BASE_SAMPLES + edit}, n_features=8, random_state={i})
        X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
        clf = {name}({params}).fit(X_train, y_train)
        print(f"test accuracy: {{clf.score(X_test, y_test):.3f}}")""")
    plot = textwrap.dedent(f"""\
        fig, ax = plt.subplots(figsize=(5, 3))
        ax.hist(clf.predict_proba(X_test)[:, 1], bins=20)
        ax.set_xlabel("predicted probability of class 1")
        ax.set_ylabel("test points")
        ax.set_title("Post {i}: how sure is the model?")""")
    return model, plot


LIGHT_SAMPLES = 200


def light_snippet(i: int, edit: int = 0) -> tuple[str, str]:
    """Post i of the light corpus: one cross-validation and one scatter plot (as snippet)."""
    module, name, params = LIGHT_MODELS[i % len(LIGHT_MODELS)]
    model = textwrap.dedent(f"""\
        import matplotlib.pyplot as plt
        from sklearn.datasets import make_classification
        from sklearn.model_selection import cross_val_score
        from {module} import {name}

        X, y = make_classification(
            n_samples={LIGHT_SAMPLES + edit}, n_features=4, n_informative=2, random_state={i}
        )
        scores = cross_val_score({name}({params}), X, y, cv=5)
        print(f"cross-validated accuracy: {{scores.mean():.3f}}")""")
    plot = textwrap.dedent(f"""\
        fig, ax = plt.subplots(figsize=(4, 3))
        ax.scatter(X[:, 0], X[:, 1], c=y, s=12, cmap="coolwarm")
        ax.set_xlabel("feature 0")
        ax.set_ylabel("feature 1")
        ax.set_title("Post {i}: the two classes")""")
    return model, plot


@dataclass(frozen=True)
class Corpus:
    """One kind of generated post: its code (`snippet(i, edit)`) and the sample count that a
    contributor's edit number `edit` moves (base_samples + edit)."""

    name: str
    snippet: Callable[[int, int], tuple[str, str]]
    base_samples: int


DEFAULT = Corpus("default", snippet, BASE_SAMPLES)
LIGHT = Corpus("light", light_snippet, LIGHT_SAMPLES)
CORPORA = {c.name: c for c in (DEFAULT, LIGHT)}


SITE_CONFIG = """\
site_name: techpath bench
theme:
  name: material
  font: false
plugins:
  - search
{plugin}
markdown_extensions:
  - pymdownx.superfences
  - pymdownx.highlight
"""


PEERS = ("mkdocs-jupyter", "markdown-exec")


def write_sites(
    root: Path,
    posts: int,
    jobs: int = 2,
    peers: tuple[str, ...] = PEERS,
    keep_warm: float = 120,
    corpus: Corpus = DEFAULT,
) -> dict[str, Path]:
    """Create the sites under `root`; returns flavour -> folder holding mkdocs.yml.

    The techpath folder holds three configurations of one site: mkdocs.yml (`jobs` workers),
    mkdocs-jobs1.yml (one worker) and mkdocs-plain.yml (execution off). `keep_warm` keeps the
    warm parent between the builds of one series, as on a contributor's machine; the bench
    stops it when the series ends.
    """
    sites = {"techpath": root / "techpath", "plain": root / "techpath"}
    if "mkdocs-jupyter" in peers:
        sites["mkdocs-jupyter"] = root / "jupyter"
    if "markdown-exec" in peers:
        sites["markdown-exec"] = root / "markdown-exec"
    folders = {p.name for p in sites.values()}
    for name in folders:
        (root / name / "docs").mkdir(parents=True, exist_ok=True)
        _write(root / name / "docs" / "index.md", "# Bench\n\nGenerated posts.\n")
    techpath = f"  - techpath:\n      typeset_math: false\n      keep_warm: {keep_warm}"
    _write(sites["techpath"] / "mkdocs.yml", SITE_CONFIG.format(plugin=f"{techpath}\n      jobs: {jobs}"))
    _write(sites["techpath"] / "mkdocs-jobs1.yml", SITE_CONFIG.format(plugin=f"{techpath}\n      jobs: 1"))
    _write(
        sites["techpath"] / "mkdocs-plain.yml",
        SITE_CONFIG.format(plugin=techpath + "\n      execute: false"),
    )
    if "mkdocs-jupyter" in sites:
        # Its own cache is on by default: off, or every run after the first would not be cold.
        jupyter = "  - mkdocs-jupyter:\n      execute: true\n      cache: false"
        _write(sites["mkdocs-jupyter"] / "mkdocs.yml", SITE_CONFIG.format(plugin=jupyter))
    if "markdown-exec" in sites:
        _write(sites["markdown-exec"] / "mkdocs.yml", SITE_CONFIG.format(plugin="  - markdown-exec"))
    for i in range(posts):
        model, plot = corpus.snippet(i, 0)
        title = f"# Post {i}\n\nA small model and a plot.\n\n"
        _write(
            sites["techpath"] / "docs" / f"post{i:03d}.md",
            f"{title}```python\n{model}\n```\n\nThe spread of the scores:\n\n"
            f"```python\n{plot}\nplt.show()\n```\n",
        )
        svg = (
            'import io\nbuffer = io.StringIO()\nfig.savefig(buffer, format="svg")\n'
            "plt.close(fig)\nprint(buffer.getvalue())"
        )
        if "markdown-exec" in sites:
            _write(
                sites["markdown-exec"] / "docs" / f"post{i:03d}.md",
                f'{title}```python exec="on" source="above" session="post{i}"\n{model}\n```\n\n'
                f"The spread of the scores:\n\n"
                f'```python exec="on" html="on" source="above" session="post{i}"\n{plot}\n{svg}\n```\n',
            )
        if "mkdocs-jupyter" in sites:
            _write(sites["mkdocs-jupyter"] / "docs" / f"post{i:03d}.ipynb", _notebook(title, model, plot))
    return sites


def edit_one_post(site: Path, edit: int = 1, corpus: Corpus = DEFAULT) -> None:
    """Change post 0's code (as a contributor's edit would); each `edit` number is a new change,
    and edit 0 restores the original."""
    path = site / "docs" / "post000.md"
    text = re.sub(r"n_samples=\d+", f"n_samples={corpus.base_samples + edit}", path.read_text())
    path.write_text(text, encoding="utf-8")


SHOW = "import io\nfig.savefig(io.BytesIO(), format='svg')\nplt.close('all')"


def runnable(i: int, edit: int = 0, corpus: Corpus = DEFAULT) -> str:
    """Post i's code plus what any tool must do to show its output: render the figure as SVG."""
    model, plot = corpus.snippet(i, edit)
    return f"{model}\n{plot}\n{SHOW}"


def _notebook(title: str, model: str, plot: str) -> str:
    def cell(kind: str, source: str) -> dict[str, object]:
        data: dict[str, object] = {"cell_type": kind, "metadata": {}, "source": source}
        if kind == "code":
            data.update(outputs=[], execution_count=None)
        return data

    notebook = {
        "cells": [
            cell("markdown", title.strip()),
            cell("code", model),
            cell("markdown", "The spread of the scores:"),
            cell("code", plot + "\nplt.show()"),
        ],
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    return json.dumps(notebook, indent=1)


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")

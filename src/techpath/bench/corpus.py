"""Generate the benchmark corpus: N posts, each importing scikit-learn, fitting a small model and
drawing a plot, written three ways (techpath Markdown, notebooks for mkdocs-jupyter, markdown-exec
Markdown) with the same code."""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path

MODELS = [
    ("sklearn.linear_model", "LogisticRegression", "max_iter=500"),
    ("sklearn.ensemble", "RandomForestClassifier", "n_estimators=40, random_state=0"),
    ("sklearn.neighbors", "KNeighborsClassifier", "n_neighbors=7"),
    ("sklearn.tree", "DecisionTreeClassifier", "max_depth=5, random_state=0"),
]


def snippet(i: int) -> tuple[str, str]:
    """(model code, plotting code) of post i; the plot code leaves one figure open."""
    module, name, params = MODELS[i % len(MODELS)]
    model = textwrap.dedent(f"""\
        import numpy as np
        import matplotlib.pyplot as plt
        from sklearn.datasets import make_classification
        from sklearn.model_selection import train_test_split
        from {module} import {name}

        X, y = make_classification(n_samples=400, n_features=8, random_state={i})
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


def write_sites(root: Path, posts: int) -> dict[str, Path]:
    """Create the three sites under `root`; returns flavour -> folder holding mkdocs.yml."""
    sites = {
        "techpath": root / "techpath",
        "plain": root / "techpath",  # same site, execution off (see mkdocs-plain.yml)
        "mkdocs-jupyter": root / "jupyter",
        "markdown-exec": root / "markdown-exec",
    }
    for name in ("techpath", "jupyter", "markdown-exec"):
        (root / name / "docs").mkdir(parents=True, exist_ok=True)
    techpath = "  - techpath:\n      typeset_math: false\n      keep_warm: 60"
    _write(sites["techpath"] / "mkdocs.yml", SITE_CONFIG.format(plugin=techpath))
    _write(
        sites["techpath"] / "mkdocs-plain.yml",
        SITE_CONFIG.format(plugin=techpath + "\n      execute: false"),
    )
    jupyter = "  - mkdocs-jupyter:\n      execute: true"
    _write(sites["mkdocs-jupyter"] / "mkdocs.yml", SITE_CONFIG.format(plugin=jupyter))
    _write(sites["markdown-exec"] / "mkdocs.yml", SITE_CONFIG.format(plugin="  - markdown-exec"))
    for flavour in ("techpath", "jupyter", "markdown-exec"):
        _write(root / flavour / "docs" / "index.md", "# Bench\n\nGenerated posts.\n")
    for i in range(posts):
        model, plot = snippet(i)
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
        _write(
            sites["markdown-exec"] / "docs" / f"post{i:03d}.md",
            f'{title}```python exec="on" session="post{i}"\n{model}\n```\n\nThe spread of the scores:\n\n'
            f'```python exec="on" html="on" session="post{i}"\n{plot}\n{svg}\n```\n',
        )
        _write(sites["mkdocs-jupyter"] / "docs" / f"post{i:03d}.ipynb", _notebook(title, model, plot))
    return sites


def edit_one_post(site: Path, edit: int = 1) -> None:
    """Change post 0's code (as a contributor's edit would); each `edit` number is a new change."""
    path = site / "docs" / "post000.md"
    text = re.sub(r"n_samples=\d+", f"n_samples={400 + edit}", path.read_text())
    path.write_text(text, encoding="utf-8")


def all_snippets(posts: int) -> list[str]:
    """Each post's code plus what any tool must do to show its output: render the figure as SVG."""
    show = "import io\nfig.savefig(io.BytesIO(), format='svg')\nplt.close('all')"
    return [f"{model}\n{plot}\n{show}" for model, plot in (snippet(i) for i in range(posts))]


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

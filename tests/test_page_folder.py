"""Pages run where their authors ran them (issue 25): in their own folder, reading the site's
files where they are, writing only into a private copy (execute/overlay.py, execute/reads.py).
What Jupyter does was checked by running the same code with nbclient in the page's folder."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from techpath.engine import Engine, Settings
from techpath.model import Limits, PageResult
from techpath.parse import load_post
from tests.engine_helpers import write_post


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    settings = Settings(
        jobs=1,
        mode="fork",
        limits=Limits(block_timeout=20, page_timeout=60),
        cache_dir=tmp_path_factory.mktemp("cache"),
        refresh=True,
    )
    with Engine(settings) as e:
        yield e


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """A site as a course keeps it: lessons reading a sibling datasets folder."""
    root = tmp_path / "course"
    (root / "docs" / "lessons").mkdir(parents=True)
    (root / "docs" / "datasets").mkdir()
    (root / "mkdocs.yml").write_text("site_name: course\n")
    (root / "docs" / "datasets" / "sizes.csv").write_text("size\n3\n4\n5\n")
    return root


def files_of(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def run(engine: Engine, path: Path) -> PageResult:
    post = load_post(path)
    return engine.run([post])[post.display_path]


def printed(result: PageResult, block: int) -> str:
    return "".join(o.text for o in result.blocks[block].outputs if o.kind == "stream")


def notebook(folder: Path, name: str, *cells: str) -> Path:
    cells_json = [
        {"cell_type": "code", "metadata": {}, "source": source, "outputs": [], "execution_count": None}
        for source in cells
    ]
    path = folder / name
    path.write_text(json.dumps({"cells": cells_json, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    return path


def test_a_page_reads_a_sibling_folder_and_writes_nothing_into_the_site(engine: Engine, site: Path) -> None:
    before = files_of(site)
    page = write_post(
        site / "docs" / "lessons",
        "read.md",
        """
        ```python
        import os
        import pandas as pd
        sizes = pd.read_csv("../datasets/sizes.csv")
        print(int(sizes["size"].sum()))
        sizes.to_csv("doubled.csv")
        with open("../datasets/notes.txt", "w") as f:
            f.write("a note")
        print(sorted(os.listdir(".")), sorted(os.listdir("../datasets")))
        ```

        ```python
        print(open("../datasets/notes.txt").read(), len(pd.read_csv("doubled.csv")))
        ```
        """,
    )
    before = files_of(site)
    result = run(engine, page)
    assert result.ok, result.errors
    assert printed(result, 0) == "12\n['doubled.csv', 'read.md'] ['notes.txt', 'sizes.csv']\n"
    assert printed(result, 1) == "a note 3\n"  # what a block wrote, later blocks read
    assert files_of(site) == before  # nothing landed in the source tree
    assert result.dependencies["files"] == {
        "docs/datasets/sizes.csv": result.dependencies["files"]["docs/datasets/sizes.csv"]
    }
    assert set(result.dependencies["listings"]) == {"docs/lessons", "docs/datasets"}


def test_a_notebook_imports_the_package_beside_it_and_its_files_are_recorded(
    engine: Engine, site: Path
) -> None:
    package = site / "docs" / "lessons" / "figures"
    package.mkdir()
    (package / "__init__.py").write_text("from .shapes import area\n")
    (package / "shapes.py").write_text("def area(w, h):\n    return w * h\n")
    page = notebook(site / "docs" / "lessons", "nb.ipynb", "from figures import area\narea(3, 4)")
    result = run(engine, page)
    assert result.ok, result.errors
    assert result.blocks[0].outputs[0].data["text/plain"] == "12"
    assert set(result.dependencies["files"]) == {
        "docs/lessons/figures/__init__.py",
        "docs/lessons/figures/shapes.py",
    }
    assert not list(package.rglob("__pycache__"))  # no bytecode written beside the source


def test_a_missing_file_names_where_its_path_led_in_the_site(engine: Engine, site: Path) -> None:
    page = notebook(site / "docs" / "lessons", "missing.ipynb", 'open("../datasets/gone.csv")')
    result = run(engine, page)
    (error,) = result.errors
    assert error.type == "FileNotFoundError"
    assert error.location == page.as_posix() + ":cell 1:1"
    assert "'../datasets/gone.csv'" in error.message
    assert "docs/lessons/" in error.message and "docs/datasets/gone.csv in the site" in error.message
    assert str(site) not in error.message  # site-relative, never the build machine's paths
    assert "techpath-run" not in error.message + error.traceback  # nor the private mirror's


def test_a_path_leading_out_of_the_site_says_so(engine: Engine, site: Path) -> None:
    page = notebook(site / "docs" / "lessons", "out.ipynb", 'open("../../../../elsewhere.csv")')
    (error,) = run(engine, page).errors
    assert error.type == "FileNotFoundError" and "outside the site's folder" in error.message


def test_writing_into_the_site_by_an_absolute_path_is_refused(engine: Engine, site: Path) -> None:
    target = site / "docs" / "datasets" / "sizes.csv"
    page = notebook(site / "docs" / "lessons", "abs.ipynb", f"open({str(target)!r}, 'w').write('gone')")
    before = files_of(site)
    (error,) = run(engine, page).errors
    assert error.type == "PermissionError"
    assert "docs/datasets/sizes.csv" in error.message
    assert files_of(site) == before


def test_shell_commands_run_in_a_private_copy_of_the_page_folder(engine: Engine, site: Path) -> None:
    (site / "docs" / "lessons" / "keep.txt").write_text("original\n")
    page = notebook(
        site / "docs" / "lessons",
        "shell.ipynb",
        "!echo replaced > keep.txt && cat keep.txt",
        "print(open('keep.txt').read().strip())",
    )
    before = files_of(site)
    result = run(engine, page)
    assert result.ok, result.errors
    assert printed(result, 0) == "replaced\n" and printed(result, 1) == "replaced\n"
    assert files_of(site) == before


def test_the_page_folder_matplotlibrc_is_read(engine: Engine, site: Path) -> None:
    (site / "docs" / "lessons" / "matplotlibrc").write_text("figure.figsize: 3.0, 2.0\naxes.grid: True\n")
    page = notebook(
        site / "docs" / "lessons",
        "rc.ipynb",
        "import matplotlib.pyplot as plt\nprint(plt.rcParams['figure.figsize'], plt.rcParams['axes.grid'])",
    )
    other = write_post(
        site / "docs",
        "elsewhere.md",
        "```python\nimport matplotlib.pyplot as plt\nprint(plt.rcParams['figure.figsize'])\n```\n",
    )
    assert printed(run(engine, page), 0) == "[3.0, 2.0] True\n"
    assert printed(run(engine, other), 0) == "[6.4, 4.8]\n"  # a folder without one: the defaults


def test_the_repository_metadata_is_out_of_reach(engine: Engine, site: Path) -> None:
    (site / ".git").mkdir()
    (site / ".git" / "config").write_text("[remote]\n")
    page = write_post(site / "docs", "git.md", "```python\nopen('../.git/config')\n```\n")
    (error,) = run(engine, page).errors
    assert error.type == "FileNotFoundError"

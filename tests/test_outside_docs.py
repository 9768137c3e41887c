"""A site whose pages live in a folder of the repository, as a course keeps its notebooks:
images beside the docs folder are shown as Jupyter shows them, nothing outside the repository
is published (stage/outside_images.py), and a docs folder outside the configuration's folder
stops the build with one message instead of refusing every page and exiting 0."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from techpath.stage.outside_images import PREFIX, outside_images

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082"
)


BUILDS = {  # MkDocs with the plugin; ProperDocs and Zensical on the tree `techpath stage` writes
    "mkdocs": [sys.executable, "-m", "mkdocs", "build"],
    "properdocs": [sys.executable, "-m", "techpath.cli", "build", "-g", "properdocs"],
    "zensical": [sys.executable, "-m", "techpath.cli", "build", "-g", "zensical"],
}


def build(config: Path, out: Path, generator: str = "mkdocs") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*BUILDS[generator], "-f", str(config), "-d", str(out)],
        cwd=config.parent,
        capture_output=True,
        text=True,
        env={**os.environ, "TECHPATH_KEEP_WARM": "0", "NO_MKDOCS_2_WARNING": "1"},
        timeout=300,
    )


def lesson(folder: Path, name: str, markdown: str) -> Path:
    cells = [
        {"cell_type": "markdown", "metadata": {}, "source": markdown},
        {
            "cell_type": "code",
            "metadata": {},
            "source": "print(6 * 7)",
            "outputs": [],
            "execution_count": None,
        },
    ]
    path = folder / name
    path.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    return path


def course(tmp_path: Path) -> Path:
    """notebooks/ is the docs folder; figures/ and datasets/ are its siblings."""
    root = tmp_path / "course"
    for folder in ("notebooks", "figures"):
        (root / folder).mkdir(parents=True)
    (root / "figures" / "chart.png").write_bytes(PNG)
    (root / "mkdocs.yml").write_text(
        "site_name: C\ntheme: material\ndocs_dir: notebooks\nplugins:\n  - techpath\n"
    )
    return root


@pytest.mark.parametrize("generator", sorted(BUILDS))
def test_a_notebooks_image_beside_the_docs_folder_is_published_and_shown(
    tmp_path: Path, generator: str
) -> None:
    root = course(tmp_path)
    lesson(root / "notebooks", "trees.ipynb", "# Trees\n\n![A chart](../figures/chart.png)\n")
    built = build(root / "mkdocs.yml", root / "out", generator)
    assert built.returncode == 0, built.stderr
    assert "WARNING" not in built.stderr and "ERROR" not in built.stderr, built.stderr
    assert (root / "out" / PREFIX / "figures" / "chart.png").read_bytes() == PNG
    page = (root / "out" / "trees" / "index.html").read_text()
    assert f'src="../{PREFIX}/figures/chart.png"' in page, page
    assert "42" in page


def test_an_image_outside_the_repository_is_an_error_and_not_published(tmp_path: Path) -> None:
    """By `..` or through a symlink inside the repository that leads out of it."""
    root = course(tmp_path)
    (tmp_path / "secret.png").write_bytes(PNG + b"secret")
    (root / "figures" / "escape.png").symlink_to(tmp_path / "secret.png")
    text = "# Leaks\n\n![a](../../secret.png)\n\n![b](../figures/escape.png)\n\n![](../figures/chart.png)\n"
    lesson(root / "notebooks", "leaks.ipynb", text)
    built = build(root / "mkdocs.yml", root / "out")
    assert "notebooks/leaks.ipynb: image ../../secret.png leads to" in built.stderr, built.stderr
    assert "outside the repository" in built.stderr
    assert "notebooks/leaks.ipynb: image ../figures/escape.png is left out of the site" in built.stderr
    published = [p.read_bytes() for p in (root / "out").rglob("*") if p.is_file()]
    assert not any(PNG + b"secret" in data for data in published)
    assert not (root / "out" / PREFIX / "figures" / "escape.png").exists()
    # the image without alt text is reported once, as its cell wrote it (not again as the HTML
    # a plugin wrote, which names its published copy)
    alt = [line for line in built.stderr.splitlines() if "has no alt text" in line]
    assert len(alt) == 1 and "image ../figures/chart.png has no alt text" in alt[0], built.stderr


def test_only_image_links_outside_code_are_rewritten(tmp_path: Path) -> None:
    root = course(tmp_path)
    (root / "figures" / "notes.txt").write_text("x")
    page = root / "notebooks" / "deep" / "a.md"
    page.parent.mkdir()
    text = (
        "![c](../../figures/chart.png)\n[text](../../figures/notes.txt)\n![t](../../figures/notes.txt)\n"
        "```python\n![c](../../figures/chart.png)\n```\n![in docs](b.png)\n"
        # image syntax shown as code is text, even when it leads out of the repository
        "Write `![c](../../figures/chart.png)` or ``![x](../../../../etc/x.png)`` as code.\n"
    )
    published: list[str] = []

    def publish(uri: str, path: Path) -> None:
        published.append(uri)

    out, refused = outside_images(text, page, "deep/a.md", root / "notebooks", root, publish)
    assert refused == [] and published == [f"{PREFIX}/figures/chart.png"]
    assert out.splitlines() == [
        f"![c](../{PREFIX}/figures/chart.png)",
        *text.splitlines()[1:],
    ]


@pytest.mark.parametrize("generator", sorted(BUILDS))
def test_a_docs_dir_outside_the_configurations_folder_fails_with_one_message(
    tmp_path: Path, generator: str
) -> None:
    """The workaround a user tries next (mkdocs.yml in a subfolder, docs_dir: ..) used to report
    every page outside the repository and exit 0 having run none."""
    root = tmp_path / "course"
    (root / "site").mkdir(parents=True)
    lesson(root, "trees.ipynb", "# Trees\n")
    (root / "a.md").write_text("# A\n")
    config = root / "site" / "mkdocs.yml"
    config.write_text("site_name: C\ndocs_dir: ..\nplugins:\n  - techpath\n")
    built = build(config, tmp_path / "out", generator)
    assert built.returncode != 0, built.stderr
    errors = [line for line in built.stderr.splitlines() if line.startswith("ERROR")]
    assert len(errors) == 1, built.stderr
    assert f"{config}: docs_dir is {root.resolve()}, outside the folder of mkdocs.yml" in errors[0]
    assert "Move mkdocs.yml to the top folder of the repository" in errors[0]
    assert not (tmp_path / "out" / "trees").exists()

"""The page's private mirror of the site (execute/overlay.py): reads reach the source, changes
stay in the mirror. Here the overlay's own operations; the audit hook that calls them before a
page's writes is tested through real pages in tests/test_page_folder.py."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from techpath.execute.overlay import Overlay


@pytest.fixture
def site(tmp_path: Path) -> Path:
    root = tmp_path / "site"
    (root / "docs" / "lessons").mkdir(parents=True)
    (root / "docs" / "datasets").mkdir()
    (root / ".git").mkdir()
    (root / ".git" / "config").write_text("[core]\n")
    (root / "mkdocs.yml").write_text("site_name: s\n")
    (root / "docs" / "datasets" / "a.csv").write_text("x\n1\n")
    (root / "docs" / "lessons" / "page.ipynb").write_text("{}")
    (root / "docs" / "lessons" / "helper.py").write_text("VALUE = 1\n")
    return root


def snapshot(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): p.read_text() for p in sorted(root.rglob("*")) if p.is_file()}


def test_the_page_folder_is_real_and_everything_else_is_a_link(site: Path, tmp_path: Path) -> None:
    overlay = Overlay(site, tmp_path / "mirror")
    cwd = overlay.prepare("docs/lessons")
    assert cwd == overlay.mirror / "docs" / "lessons"
    assert not cwd.is_symlink() and not cwd.parent.is_symlink()
    assert (cwd / "helper.py").is_symlink() and (cwd / "helper.py").read_text() == "VALUE = 1\n"
    assert (cwd.parent / "datasets").is_symlink()
    assert (cwd / ".." / "datasets" / "a.csv").read_text() == "x\n1\n"
    assert sorted(os.listdir(cwd)) == ["helper.py", "page.ipynb"]
    assert not (overlay.mirror / ".git").exists()  # the repository's metadata stays out of reach


def test_writing_over_a_linked_file_writes_a_private_copy(site: Path, tmp_path: Path) -> None:
    before = snapshot(site)
    overlay = Overlay(site, tmp_path / "mirror")
    cwd = overlay.prepare("docs/lessons")
    copied = overlay.materialize_file(str(cwd / "helper.py"))
    assert copied == "docs/lessons/helper.py"
    (cwd / "helper.py").write_text("VALUE = 2\n", encoding="utf-8")
    with open(cwd / "helper.py", "a", encoding="utf-8") as f:  # appending saw the old content
        f.write("# more\n")
    assert (cwd / "helper.py").read_text() == "VALUE = 2\n# more\n"
    assert snapshot(site) == before


def test_a_new_file_in_a_linked_folder_makes_that_folder_private(site: Path, tmp_path: Path) -> None:
    before = snapshot(site)
    overlay = Overlay(site, tmp_path / "mirror")
    cwd = overlay.prepare("docs/lessons")
    target = cwd / ".." / "datasets" / "new.csv"
    overlay.materialize_parent(os.path.normpath(target))
    assert not (cwd.parent / "datasets").is_symlink()
    target.write_text("y\n")
    assert (cwd.parent / "datasets" / "a.csv").read_text() == "x\n1\n"  # its other files still read
    assert sorted(os.listdir(cwd.parent / "datasets")) == ["a.csv", "new.csv"]
    os.remove(cwd.parent / "datasets" / "a.csv")  # removing a link, not the source's file
    assert snapshot(site) == before


def test_removing_a_linked_folder_removes_links_only(site: Path, tmp_path: Path) -> None:
    before = snapshot(site)
    overlay = Overlay(site, tmp_path / "mirror")
    cwd = overlay.prepare("docs/lessons")
    folder = os.path.normpath(cwd / ".." / "datasets")
    overlay.materialize_tree(folder)
    shutil.rmtree(folder)
    assert not os.path.exists(folder)
    assert snapshot(site) == before
    shutil.rmtree(overlay.mirror)  # as the runner cleans up: the site is untouched
    assert snapshot(site) == before


def test_before_another_program_runs_its_folder_becomes_copies(site: Path, tmp_path: Path) -> None:
    overlay = Overlay(site, tmp_path / "mirror")
    cwd = overlay.prepare("docs")
    overlay.copy_tree(str(cwd))
    for path in cwd.rglob("*"):
        assert not path.is_symlink(), path
    (cwd / "lessons" / "helper.py").write_text("changed by a shell\n")  # as `echo > helper.py`
    assert (site / "docs" / "lessons" / "helper.py").read_text() == "VALUE = 1\n"


def test_paths_outside_the_mirror_are_not_its_business(site: Path, tmp_path: Path) -> None:
    overlay = Overlay(site, tmp_path / "mirror")
    overlay.prepare("docs")
    assert overlay.relative(str(tmp_path / "elsewhere" / "x")) is None
    assert overlay.relative(str(overlay.mirror)) == "."
    assert overlay.materialize_file(str(tmp_path / "elsewhere" / "x")) is None

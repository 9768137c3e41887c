"""Declared inputs anywhere inside the repository, read with the path the post uses there;
outside the repository is an error at file:line; the downloads carry the data."""

from __future__ import annotations

import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from techpath.engine import Engine, Settings
from techpath.parse import load_post
from techpath.render.downloads import download_links, write_archive, write_downloads
from tests.engine_helpers import write_post

POST = """---
title: Reads shared data
inputs: [../../data/points.csv]
---

```python
import csv
with open("../../data/points.csv") as f:
    rows = list(csv.reader(f))
print(len(rows), rows[1])
```
"""


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / "docs" / "data").mkdir(parents=True)
    (root / "docs" / "blog" / "posts").mkdir(parents=True)
    (root / "mkdocs.yml").write_text("site_name: x\n")
    (root / "docs" / "data" / "points.csv").write_text("x,y\n1,2\n3,4\n")
    return root


def test_a_post_reads_data_two_folders_up(repo: Path, tmp_path: Path) -> None:
    path = write_post(repo / "docs" / "blog" / "posts", "reads.md", POST)
    post = load_post(path)
    assert post.problems == []
    with Engine(Settings(jobs=1, preload=[], cache_dir=tmp_path / "c", refresh=True)) as engine:
        result = engine.run([post])[post.display_path]
    assert result.ok, result.errors
    assert result.blocks[0].outputs[0].text == "3 ['1', '2']\n"


def test_an_input_outside_the_repository_is_an_error_at_its_line(repo: Path) -> None:
    (repo.parent / "secret.csv").write_text("no\n")
    body = POST.replace("../../data/points.csv]", "../../../../secret.csv]")
    path = write_post(repo / "docs" / "blog" / "posts", "outside.md", body)
    [problem] = load_post(path).problems
    assert problem.line == 3 and "outside the repository" in problem.message
    assert str(problem).startswith(f"{path.as_posix()}:3: declared input ../../../../secret.csv")


def test_the_download_archive_runs_in_a_fresh_folder(repo: Path, tmp_path: Path) -> None:
    path = write_post(repo / "docs" / "blog" / "posts", "reads.md", POST)
    post = load_post(path)
    with Engine(Settings(jobs=1, preload=[], cache_dir=tmp_path / "c", refresh=True)) as engine:
        result = engine.run([post])[post.display_path]
    site_page = tmp_path / "site" / "reads"
    write_downloads(post, result, site_page)
    assert 'href="reads.zip"' in download_links(post)
    fresh = tmp_path / "home"
    with zipfile.ZipFile(site_page / "reads.zip") as zf:
        assert sorted(zf.namelist()) == [
            "reads/blog/posts/reads.ipynb",
            "reads/blog/posts/reads.py",
            "reads/data/points.csv",
        ]
        zf.extractall(fresh)
    run = subprocess.run(
        [sys.executable, "reads.py"], cwd=fresh / "reads" / "blog" / "posts", capture_output=True, text=True
    )
    assert run.returncode == 0, run.stderr
    assert "3 ['1', '2']" in run.stdout


def test_the_download_archive_is_the_same_bytes_whenever_it_is_written(repo: Path, tmp_path: Path) -> None:
    """Each build (and each restage of `techpath serve`) writes the downloads into a scratch
    folder of its own: the same sources must make the same zip, or the preview sees a changed
    file on every save (a Zensical preview waited two minutes for a build that never came)."""
    import os

    path = write_post(repo / "docs" / "blog" / "posts", "reads.md", POST)
    post = load_post(path)
    earlier, later = tmp_path / "earlier", tmp_path / "later"
    write_downloads(post, None, earlier)
    for name in ("reads.ipynb", "reads.py"):  # written a minute before the other build's
        os.utime(earlier / name, (os.path.getmtime(earlier / name) - 60,) * 2)
    (earlier / "reads.zip").unlink()
    write_archive(post, earlier, "reads")
    write_downloads(post, None, later)
    assert (earlier / "reads.zip").read_bytes() == (later / "reads.zip").read_bytes()
    with zipfile.ZipFile(later / "reads.zip") as zf:  # dated by the post and its data, not the build
        stamps = {info.filename: info.date_time for info in zf.infolist()}
    post_time = time.localtime(path.stat().st_mtime)[:5]
    assert stamps["reads/blog/posts/reads.py"][:5] == post_time, stamps
    data_time = time.localtime((repo / "docs" / "data" / "points.csv").stat().st_mtime)[:5]
    assert stamps["reads/data/points.csv"][:5] == data_time, stamps
    edited = POST.replace("print(len(rows), rows[1])", "print(len(rows))")
    write_downloads(load_post(write_post(repo / "docs" / "blog" / "posts", "reads.md", edited)), None, later)
    assert (earlier / "reads.zip").read_bytes() != (later / "reads.zip").read_bytes()  # a real change shows

"""Contributor tools: scaffolding, lint, sharding, and bad front matter reported all at once."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from techpath.cli import in_shard
from techpath.contrib.lint import lint_post, lint_site
from techpath.contrib.scaffold import NewPost, ScaffoldError, create_post
from techpath.parse import load_post
from techpath.parse.frontmatter import PostSchema
from tests.conftest import ROOT, run_mkdocs_build
from tests.test_cli import POST, techpath

SCHEMA = PostSchema(frozenset({"Drive a tool"}), frozenset({"team"}))


@pytest.mark.slow
def test_new_post_builds_strictly_and_checks_green(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    site = tmp_path / "site"
    shutil.copytree(ROOT / "docs", site / "docs")
    shutil.copy(ROOT / "mkdocs.yml", site / "mkdocs.yml")
    shutil.copy(ROOT / "CONTRIBUTING.md", site / "CONTRIBUTING.md")  # included by docs/contributing.md
    (site / "node_modules").symlink_to(ROOT / "node_modules")
    monkeypatch.setenv("TECHPATH_CACHE_DIR", str(ROOT / ".cache" / "techpath"))  # unchanged posts: cached
    made = techpath(site, "new", "Why Scaling Matters!", "--stage", "2", "--tags", "scaling,knn")
    assert made.returncode == 0, made.stderr
    path = site / "docs" / "blog" / "posts" / "why-scaling-matters.md"
    assert path.exists() and "categories: [Recipes from libraries]" in path.read_text()
    again = techpath(site, "new", "Why Scaling Matters!")
    assert again.returncode == 1 and "already exists" in again.stderr
    notebook = techpath(site, "new", "A notebook post", "--notebook")
    assert notebook.returncode == 0
    check = techpath(
        site, "check", "docs/blog/posts/why-scaling-matters.md", "docs/blog/posts/a-notebook-post.ipynb"
    )
    assert check.returncode == 0, check.stdout + check.stderr
    built = run_mkdocs_build(site / "out", site / "mkdocs.yml")
    assert built.returncode == 0, built.stderr
    html = (site / "out" / "blog" / "why-scaling-matters" / "index.html").read_text()
    assert "techpath-output" in html and 'details class="math"' in html


def test_new_explains_how_to_add_an_unknown_author(tmp_path: Path) -> None:
    with pytest.raises(ScaffoldError, match=r"docs/blog/\.authors\.yml; add an entry like"):
        create_post(NewPost("T", author="ada"), tmp_path, {"team"})


def test_lint_rules_name_file_and_line(tmp_path: Path) -> None:
    body = (
        POST.replace("x = 1", "from sklearn.datasets import fetch_openml\nX = fetch_openml('mnist_784')")
        + '\n<script>alert(1)</script>\n<a href="#" onclick="go()">x</a>\n[bad](javascript:alert(1))\n'
        + "![](plot.png)\n<img src='a.png'>\n[missing](nowhere.md) and [nb](first.ipynb)\n"
        + "`<script>` in inline code is fine.\n"
    )
    path = tmp_path / "lint.md"
    path.write_text(body)
    (tmp_path / "first.md").write_text("x")
    messages = [f"{p.line}: {p.message}" for p in lint_post(load_post(path))]
    expected = [
        "19: raw <script> is not allowed in posts",
        "20: inline event handlers (onclick=...) are not allowed in posts",
        "21: javascript: URLs are not allowed in posts",
        "22: image plot.png has no alt text: ![what it shows](...)",
        "23: <img> without alt text",
        "24: link to nowhere.md: no such page",
        "24: link to first.ipynb: link notebook posts as first.md",
    ]
    assert messages[:-1] == expected
    assert messages[-1].startswith("16: downloads a dataset (fetch_*)")


def test_duplicate_slugs_are_reported_for_each_post(tmp_path: Path) -> None:
    a, b = tmp_path / "a.md", tmp_path / "b.md"
    a.write_text(POST.replace("title: A post", "title: A post\nslug: same"))
    b.write_text(POST.replace("title: A post", "title: Another\nslug: same"))
    problems = lint_site([load_post(a, SCHEMA), load_post(b, SCHEMA)])
    assert len(problems) == 2 and all("slug 'same' is used by several posts" in p.message for p in problems)


def test_unknown_author_and_category_are_named() -> None:
    path = Path(__file__).parent / "sample_site" / "docs" / "blog" / "posts" / "good.md"
    problems = load_post(path, PostSchema(frozenset({"Drive a tool"}), frozenset({"ada"}))).problems
    messages = sorted(p.message for p in problems)
    assert any("'authors': unknown value 'team'" in m and ".authors.yml" in m for m in messages)
    assert any("'categories': unknown value 'Samples'; expected one of: Drive a tool" in m for m in messages)


def test_shards_partition_the_posts() -> None:
    paths = [Path(f"docs/blog/posts/p{i}.md") for i in range(40)]
    shards = [[p for p in paths if in_shard(p, (k, 4))] for k in range(1, 5)]
    assert sorted(p for shard in shards for p in shard) == sorted(paths)
    assert all(shards), "a shard is empty"
    assert [p for p in paths if in_shard(p, (2, 4))] == shards[1]  # deterministic

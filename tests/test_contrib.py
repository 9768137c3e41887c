"""Contributor tools: scaffolding, lint, sharding, and bad front matter reported all at once."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from techpath.cli import in_shard
from techpath.contrib.scaffold import NewPost, ScaffoldError, Target, create_post
from techpath.parse import load_post
from techpath.parse.frontmatter import PostSchema
from techpath.parse.gate import lint_post, lint_site
from tests.conftest import ROOT, run_mkdocs_build
from tests.test_cli import POST, techpath

SCHEMA = PostSchema(frozenset({"Drive a tool"}), frozenset({"team"}))


@pytest.mark.slow
@pytest.mark.usefixtures("executed_posts")  # our posts in the cache first: the build runs only the new ones
def test_new_post_builds_strictly_and_checks_green(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    site = tmp_path / "site"
    shutil.copytree(ROOT / "docs", site / "docs")
    shutil.copy(ROOT / "mkdocs.yml", site / "mkdocs.yml")
    shutil.copytree(ROOT / "overrides", site / "overrides")  # theme partials (repository link)
    shutil.copy(ROOT / "CONTRIBUTING.md", site / "CONTRIBUTING.md")  # included by docs/contributing.md
    (site / "node_modules").symlink_to(ROOT / "node_modules")
    # Unchanged posts from the repository's cache, through a copy of it: this build evicts the
    # entries it does not use and stores its own, and other tests read the repository's (with
    # the cache itself, test_lazy_staging.py found our posts re-executed and their times changed).
    # Not `stage/`: the staged trees of other generators' builds (150 MB here), which a build
    # writes under the site's own root whatever its cache is, and this MkDocs build never reads.
    cache, ours = tmp_path / "cache", ROOT / ".cache" / "techpath"
    if ours.is_dir():
        scratch = shutil.ignore_patterns("tmp", "pytest-run")

        def left_out(folder: str, names: list[str]) -> set[str]:
            return scratch(folder, names) | ({"stage"} if Path(folder) == ours else set())

        shutil.copytree(ours, cache, ignore=left_out)
    monkeypatch.setenv("TECHPATH_CACHE_DIR", str(cache))
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
    target = Target(tmp_path, blog=True, authors=("team",), authors_file=Path("site/blog/.authors.yml"))
    with pytest.raises(ScaffoldError, match=r"site/blog/\.authors\.yml; add an entry like"):
        create_post(NewPost("T", author="ada"), target)
    with pytest.raises(ScaffoldError, match=r"unknown category 'Nope'; your site allows: News, Notes"):
        create_post(NewPost("T", category="Nope"), Target(tmp_path, blog=True, categories=("News", "Notes")))
    assert not list(tmp_path.iterdir())  # nothing written


def test_new_on_a_site_without_a_blog_writes_a_plain_page(tmp_path: Path) -> None:
    (tmp_path / "mkdocs.yml").write_text(
        "site_name: Other\ndocs_dir: pages\nmarkdown_extensions:\n"
        "  - pymdownx.emoji:\n      emoji_index: !!python/name:material.extensions.emoji.twemoji\n"
        "plugins:\n  - search\n  - techpath\n"
    )
    made = techpath(tmp_path, "new", "Hello there")
    assert made.returncode == 0, made.stderr
    assert "created pages/hello-there.md" in made.stdout and "your site" in made.stdout
    text = (tmp_path / "pages" / "hello-there.md").read_text()
    assert text.startswith('---\ntitle: "Hello there"\n')
    for field in ("authors:", "categories:", "date:", "<!-- more -->"):
        assert field not in text
    assert "```python standalone" in text


def test_new_writes_under_the_sites_own_blog_dir_authors_and_categories(tmp_path: Path) -> None:
    (tmp_path / "mkdocs.yml").write_text(
        "site_name: Other\nplugins:\n  - material/blog:\n      blog_dir: news\n"
        "      categories_allowed: [Releases, Howto]\n"
    )
    (tmp_path / "docs" / "news").mkdir(parents=True)
    (tmp_path / "docs" / "news" / ".authors.yml").write_text("authors:\n  zoe:\n    name: Zoe\n")
    made = techpath(tmp_path, "new", "Version two", "--category", "2")
    assert made.returncode == 0, made.stderr
    text = (tmp_path / "docs" / "news" / "posts" / "version-two.md").read_text()
    assert "authors: [zoe]\ncategories: [Howto]\n" in text
    for ours in ("team", "Drive a tool", "Recipes from libraries", "first-classifier"):
        assert ours not in text
    bad = techpath(tmp_path, "new", "Other", "--author", "team")
    assert bad.returncode == 1 and "docs/news/.authors.yml" in bad.stderr


def test_new_on_a_blog_without_authors_or_categories_writes_a_post_that_checks(tmp_path: Path) -> None:
    (tmp_path / "mkdocs.yml").write_text("site_name: Other\nplugins:\n  - blog\n  - techpath\n")
    (tmp_path / "docs" / "blog").mkdir(parents=True)  # no .authors.yml, no categories_allowed
    made = techpath(tmp_path, "new", "First news")
    assert made.returncode == 0, made.stderr
    text = (tmp_path / "docs" / "blog" / "posts" / "first-news.md").read_text()
    assert "authors:" not in text and "categories:" not in text
    check = techpath(tmp_path, "check", "docs/blog/posts/first-news.md")
    assert check.returncode == 0, check.stdout + check.stderr


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
        "19: <script> is not allowed in posts (the site runs no script from posts)",
        "20: <a onclick>: event handler attributes (on...) are not allowed",
        "21: <a href>: javascript: URLs are not allowed in links "
        "(use http, https, mailto or a relative link)",
        "22: image plot.png has no alt text: ![what it shows](...)",
        "23: image a.png has no alt text: ![what it shows](...)",
        "24: link to nowhere.md: no such page",
        "24: link to first.ipynb: link notebook posts as first.md",
    ]
    assert messages[0].startswith("16: downloads a dataset (fetch_*)")
    assert messages[1:] == expected


def test_duplicate_slugs_are_reported_for_each_post(tmp_path: Path) -> None:
    a, b = tmp_path / "a.md", tmp_path / "b.md"
    a.write_text(POST.replace("title: A post", "title: A post\nslug: same"))
    b.write_text(POST.replace("title: A post", "title: Another\nslug: same"))
    problems = lint_site([load_post(a, SCHEMA), load_post(b, SCHEMA)])
    assert len(problems) == 2 and all("slug 'same' is used by several posts" in p.message for p in problems)


def test_unknown_author_and_category_are_named() -> None:
    path = Path(__file__).parent / "sample_site" / "docs" / "blog" / "posts" / "good.md"
    schema = PostSchema(
        frozenset({"Drive a tool"}), frozenset({"ada"}), authors_file="site/news/.authors.yml"
    )
    messages = sorted(p.message for p in load_post(path, schema).problems)
    assert any("'authors': unknown value 'team'" in m and "to site/news/.authors.yml)" in m for m in messages)
    assert any("'categories': unknown value 'Samples'; expected one of: Drive a tool" in m for m in messages)


def test_shards_partition_the_posts() -> None:
    paths = [Path(f"docs/blog/posts/p{i}.md") for i in range(40)]
    shards = [[p for p in paths if in_shard(p, (k, 4))] for k in range(1, 5)]
    assert sorted(p for shard in shards for p in shard) == sorted(paths)
    assert all(shards), "a shard is empty"
    assert [p for p in paths if in_shard(p, (2, 4))] == shards[1]  # deterministic


def test_every_declared_front_matter_field_rejects_a_hostile_value_at_its_line(tmp_path: Path) -> None:
    """FIELDS (parse/frontmatter.py) is the one list of fields: each one's check turns a value
    of the wrong kind into `file:line: front matter field 'NAME': ...` at that field's line."""
    from techpath.parse.frontmatter import FIELDS, KNOWN_FIELDS

    names = [f.name for f in FIELDS]
    header = "".join(f"{name}: {{nested: [1, 2]}}\n" for name in names)
    path = tmp_path / "hostile.md"
    path.write_text(f"---\n{header}surprise: 1\n---\n\nText.\n", encoding="utf-8")
    problems = load_post(path, SCHEMA).problems
    for line, name in enumerate(names, start=2):
        at_field = [p for p in problems if p.line == line and p.message.startswith("front matter field")]
        assert at_field, f"{name}: no problem reported at line {line}"
        assert all(p.message.startswith(f"front matter field '{name}': ") for p in at_field)
    unknown = [p for p in problems if "'surprise'" in p.message]
    assert unknown and unknown[0].line == len(names) + 2
    assert ", ".join(sorted(KNOWN_FIELDS)) in unknown[0].message


def test_lint_reads_a_fence_as_the_build_does_when_the_plugin_adds_superfences(tmp_path: Path) -> None:
    """Material without markdown_extensions: the plugin adds SuperFences, so a fence (here with
    a blank line in it) is code on the page and in lint alike: `<TAB>` in it is text."""
    (tmp_path / "docs").mkdir()
    page = "# Keys\n\n```text\nIn [1]: obj.<TAB>\n\nIn [2]: obj.<NAME>\n```\n"
    (tmp_path / "docs" / "keys.md").write_text(page)
    config = "site_name: Keys\ntheme:\n  name: {}\nplugins:\n  - techpath\n"
    (tmp_path / "mkdocs.yml").write_text(config.format("material"))
    clean = techpath(tmp_path, "lint", "docs")
    assert clean.returncode == 0 and "0 problems" in clean.stdout + clean.stderr, clean.stdout + clean.stderr
    (tmp_path / "mkdocs.yml").write_text(config.format("mkdocs"))  # no fences: the page holds <tab>
    raw = techpath(tmp_path, "lint", "docs")
    assert raw.returncode == 1 and "<tab> is not allowed" in raw.stdout + raw.stderr, raw.stdout + raw.stderr

"""The same verified site from MkDocs (plugin), ProperDocs and Zensical (staged tree): per post,
the structure that matters must be identical, and so must the blog index and the feed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.parity import index_entries, post_structure, posts, rss_items

ROOT = Path(__file__).resolve().parents[1]
GENERATORS = ("mkdocs", "properdocs", "zensical")


@pytest.fixture(scope="module")
def sites(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    built = {}
    env = {**os.environ, "TECHPATH_KEEP_WARM": "0", "NO_MKDOCS_2_WARNING": "1"}
    for generator in GENERATORS:
        site = tmp_path_factory.mktemp(generator) / "site"
        command = [sys.executable, "-m", "techpath.cli", "build", "-g", generator, "-d", str(site)]
        subprocess.run(command, cwd=ROOT, env=env, check=True, capture_output=True)
        built[generator] = site
    return built


@pytest.mark.slow
@pytest.mark.parametrize("generator", GENERATORS[1:])
def test_posts_have_the_same_structure(sites: dict[str, Path], generator: str) -> None:
    reference = posts(sites["mkdocs"])
    assert len(reference) >= 17
    assert sorted(posts(sites[generator])) == sorted(reference)
    for slug, page in reference.items():
        expected = post_structure(page)
        assert expected["untypeset math"] == 0
        assert post_structure(sites[generator] / "blog" / slug / "index.html") == expected, slug


@pytest.mark.slow
@pytest.mark.parametrize("generator", GENERATORS[1:])
def test_index_feed_and_files_match(sites: dict[str, Path], generator: str) -> None:
    assert index_entries(sites[generator]) == index_entries(sites["mkdocs"])
    assert rss_items(sites[generator]) == rss_items(sites["mkdocs"])
    assert len(rss_items(sites[generator])) >= 17
    for name in ("techpath-report.json", "assets/katex/katex.min.css"):
        assert (sites[generator] / name).is_file(), name
    figures = sorted(p.name for p in (sites["mkdocs"] / "assets/figures").iterdir())
    assert sorted(p.name for p in (sites[generator] / "assets/figures").iterdir()) == figures


@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.parametrize("generator", GENERATORS[1:])
def test_browser_suite_passes_on(sites: dict[str, Path], generator: str) -> None:
    """The reader's browser tests against this generator's site (named gaps are xfails there)."""
    env = {**os.environ, "TECHPATH_TEST_SITE": str(sites[generator]), "TECHPATH_GENERATOR": generator}
    suite = ["tests/test_browser_reader.py", "tests/test_browser_math.py"]
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *suite],
        cwd=ROOT, env=env, capture_output=True, text=True,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-4000:]

"""A saved page of a Zensical preview made before Zensical's rebuild ends (preview/splice.py):
the page Zensical then writes is the same, byte for byte, but for the table of contents' white
space; what cannot be made the same is refused."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from techpath.preview.splice import Splicer, _as_zensical, _placed, region_of
from techpath.stage.finish import RegionMarkers
from tests.preview import copy_sample

PAGES = {
    "index.md": "",
    "start.md": "start/",
    "blog/posts/beta.md": "blog/beta/",
    "blog/posts/alpha.md": "blog/alpha/",
}


def test_a_new_link_is_placed_as_zensical_places_it() -> None:
    def placed(link: str) -> str | None:
        return _placed(link, "blog/posts/alpha.md", "blog/alpha/", PAGES)

    assert placed("beta.md") == "../beta/"
    assert placed("beta.md#the-recipe") == "../beta/#the-recipe"
    assert placed("alpha.md") == "./"
    assert placed("../../start.md#stage-1") == "../../start/#stage-1"
    assert placed("../../index.md") == "../../"
    assert placed("../../assets/downloads/alpha/alpha.py") == "../../assets/downloads/alpha/alpha.py"
    assert placed("https://example.org/x.md") == "https://example.org/x.md"
    assert placed("#here") == "#here"
    assert placed("gone.md") is None  # a page it cannot place: the save waits for Zensical


def test_what_zensical_drops_is_dropped_from_tags_not_from_text() -> None:
    text = '<code>&lt;div data-search-exclude markdown="1"&gt;</code>'  # a page about the markup
    rendered = f'<p data-search-exclude="data-search-exclude">Write {text}</p>'
    assert _as_zensical(rendered, {}, "a.md", "a/", {}) == f"<p>Write {text}</p>"


class _Build:
    """`techpath build -g zensical` of a site: the staged pages and Zensical's own output (before
    the HTML phase), with the region markers' key of that build written as `KEY`."""

    def __init__(self, site: Path) -> None:
        env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "TECHPATH_KEEP_WARM": "0"}
        command = [sys.executable, "-m", "techpath.cli", "build", "-g", "zensical"]
        result = subprocess.run(command, cwd=site, env=env, capture_output=True, text=True, timeout=900)
        assert result.returncode == 0, result.stdout + result.stderr
        self.stage = site / ".cache" / "techpath" / "stage" / "zensical"
        docs = self.stage / "docs"
        key = re.search(r"techpath:page (\w+) ", (docs / "index.md").read_text(encoding="utf-8"))
        assert key is not None
        self.markers = RegionMarkers("KEY")
        self.staged = {
            p.relative_to(docs).as_posix(): p.read_text(encoding="utf-8").replace(key[1], "KEY")
            for p in docs.rglob("*.md")
        }
        out = self.stage / "site"
        self.pages = {
            p.relative_to(out).as_posix(): p.read_text(encoding="utf-8").replace(key[1], "KEY")
            for p in out.rglob("*.html")
        }
        self.own = {  # staged page -> its output file (not a view that shows its excerpt)
            uri: name
            for name, page in self.pages.items()
            for uri in self.staged
            if region_of(page, self.markers, uri)
        }


def _without_space_between_tags(page: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r">\s+<", "><", page))


@pytest.mark.slow
def test_a_spliced_page_is_the_page_zensical_writes(tmp_path: Path) -> None:
    site = copy_sample(tmp_path / "site")
    before = _Build(site)
    splicer = Splicer(before.stage / "mkdocs.yml", site, before.markers)
    urls = {uri: name.removesuffix("index.html") for uri, name in before.own.items()}
    assert set(before.own) >= {"index.md", "start.md", "blog/posts/alpha.md", "blog/posts/beta.md"}
    for uri, name in before.own.items():  # a save that changes nothing: the same page
        text = before.staged[uri]
        assert splicer.splice(uri, name, text, text, before.pages[name], urls) == before.pages[name], uri
    alpha = site / "docs" / "blog" / "posts" / "alpha.md"
    text = alpha.read_text(encoding="utf-8")
    alpha.write_text(
        text.replace(
            "five numbers", "five small numbers (see [beta](beta.md#the-code), [the start](../../start.md))"
        ),
        encoding="utf-8",
    )
    start = site / "docs" / "start.md"
    start.write_text(
        start.read_text(encoding="utf-8") + "\n## A new section\n\nWith *words*.\n", encoding="utf-8"
    )
    after = _Build(site)
    changed = [uri for uri in before.own if before.staged[uri] != after.staged[uri]]
    assert "blog/posts/alpha.md" in changed and "start.md" in changed
    for uri in changed:
        name = before.own[uri]
        spliced = splicer.splice(uri, name, before.staged[uri], after.staged[uri], before.pages[name], urls)
        assert spliced is not None, uri
        if uri == "start.md":  # a new heading: the table of contents made again, its white space ours
            assert spliced != after.pages[name]
            assert _without_space_between_tags(spliced) == _without_space_between_tags(after.pages[name])
        else:
            assert spliced == after.pages[name], uri
    # refused: a title that may change, a link to a page it cannot place
    name, page = before.own["start.md"], before.pages[before.own["start.md"]]
    old = before.staged["start.md"]
    heading = re.sub(r"(<!-- techpath:page \S+ \S+ -->\n)", r"\1\n# A title of its own\n", old, count=1)
    assert heading != old
    assert splicer.splice("start.md", name, old, heading, page, urls) is None
    unknown = old.replace("<!-- /techpath:page", "See [a page](nowhere.md).\n\n<!-- /techpath:page", 1)
    assert splicer.splice("start.md", name, old, unknown, page, urls) is None
    # a page Zensical wrote otherwise than the module would (an attribute the render has not)
    region = region_of(page, before.markers, "start.md")
    assert region is not None and "<p>" in region
    other = page.replace(region, region.replace("<p>", '<p data-zensical="1">', 1))
    assert splicer.splice("start.md", name, old, after.staged["start.md"], other, urls) is None

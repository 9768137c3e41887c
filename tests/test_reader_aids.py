"""Reading aids as plain functions: stages from the site's config, place on the path, the top of
a post (place, meta, contents), the path list, the line-length lint, readable figure widths and
the downloads a reader runs at home."""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path

import pytest

from techpath.model import BlockResult, Output, PageResult
from techpath.parse import load_post
from techpath.parse.frontmatter import PostSchema
from techpath.parse.gate import code_line_problems, lint_site
from techpath.render.downloads import write_downloads
from techpath.render.figures import readable_width, smallest_text, text_px
from techpath.render.html import render_output
from techpath.site.pages import PathEntry, neighbours, path_list_html, place
from techpath.site.path_sections import PathSections
from techpath.site.post_top import TocItem, meta_html, place_html, toc_html
from tests.test_cli import techpath

SECTIONS = PathSections.from_config(["Tools", "Recipes"], ["Tools", "Recipes", "Essays", "Notes"])


def entry(uri: str, section: str, order: int) -> PathEntry:
    return PathEntry(uri, uri.title(), "", section, order, [])


ENTRIES = [
    entry("b", "Recipes", 1),
    entry("a", "Tools", 2),
    entry("c", "Tools", 1),
    entry("e2", "Essays", 2),
    entry("e1", "Essays", 1),
    entry("n", "Notes", 1),
]


def test_path_sections_come_from_the_config_not_the_code() -> None:
    assert SECTIONS.label("Recipes") == "Stage 2 · Recipes"
    assert SECTIONS.short_label("Tools") == "Stage 1"
    assert SECTIONS.label("Essays") == "Essays"
    assert SECTIONS.anchor("Recipes") == "stage-2" and SECTIONS.anchor("Essays") == "path-essays"
    assert SECTIONS.all(ENTRIES) == ["Tools", "Recipes", "Essays", "Notes"]


def test_place_and_neighbours_follow_path_order() -> None:
    assert place(ENTRIES, "a", SECTIONS) == (2, 2)
    assert place(ENTRIES, "b", SECTIONS) == (1, 1)
    assert place(ENTRIES, "e2", SECTIONS) == (2, 2)
    previous, following = neighbours(ENTRIES, "a", SECTIONS)
    assert (previous.uri, following.uri) == ("c", "b")  # the stages are one sequence
    previous, following = neighbours(ENTRIES, "e1", SECTIONS)
    assert previous is None and following.uri == "e2"  # essays are a sequence of their own
    assert neighbours(ENTRIES, "n", SECTIONS) == (None, None)


def test_path_list_groups_titles_under_stage_labels_in_order() -> None:
    html = path_list_html(ENTRIES, lambda uri: f"/{uri}/", SECTIONS)
    expected = ("Stage 1 · Tools", ">C<", ">A<", "Stage 2 · Recipes", ">B<", "Essays")
    order = [html.index(text) for text in expected]
    assert order == sorted(order)
    assert html.startswith("<details") and "Read the 6 posts in path order" in html


def test_top_of_a_post_says_place_date_reading_and_run_time() -> None:
    assert place_html("Stage 2", 3, 7, "../../start-here/#stage-2") == (
        '<p class="techpath-place" data-search-exclude><a href="../../start-here/#stage-2">'
        "Stage 2 · 3 of 7</a></p>"
    )
    result = PageResult(path="p.md", blocks=[BlockResult(0, "ok")], duration=2.34)
    meta = meta_html(dt.date(2026, 10, 12), 9, result)
    assert '<time datetime="2026-10-12">12 October 2026</time>' in meta
    assert "9 min read" in meta and "code runs in 2.3 s" in meta
    assert "code runs" not in meta_html(dt.date(2026, 10, 12), 9, None)


def test_contents_list_the_sections_under_the_title() -> None:
    toc = [TocItem("Title", "title", [TocItem("The recipe", "the-recipe", [TocItem("A &amp; B", "a-b")])])]
    html = toc_html(toc)
    assert html.startswith('<details class="abstract techpath-toc"')
    assert '<a href="#the-recipe">The recipe</a><ul><li><a href="#a-b">A &amp; B</a>' in html
    assert ">Title<" not in html
    assert toc_html([TocItem("Title", "title")]) == ""


def _post(tmp_path: Path, code: str, name: str = "p.md") -> Path:
    path = tmp_path / name
    path.write_text(
        "---\ntitle: T\ndescription: D.\ndate: 2026-01-01\nauthors: [team]\ncategories: [Tools]\n"
        f"tags: [x]\n---\n\nIntro.\n\n<!-- more -->\n\n```python\n{code}\n```\n\n```text\n{'t' * 90}\n```\n"
    )
    return path


SCHEMA = PostSchema(frozenset({"Tools"}), frozenset({"team"}))


def test_code_lines_over_the_limit_are_reported_with_file_and_line(tmp_path: Path) -> None:
    path = _post(tmp_path, "x = 1\ny = " + "1 + " * 20 + "1")
    post = load_post(path, SCHEMA)
    problems = code_line_problems(post, 79)
    assert [(p.line, p.message.split(";")[0]) for p in problems] == [
        (16, "code line is 85 characters long"),
        (20, "code line is 90 characters long"),
    ]
    assert code_line_problems(post, 0) == []
    assert lint_site([post], max_code_line=100) == []
    assert str(problems[0]).startswith(f"{post.display_path}:16:")


def test_lint_command_uses_the_configured_limit_and_the_flag(tmp_path: Path) -> None:
    site = tmp_path / "site"
    posts = site / "docs" / "blog" / "posts"
    posts.mkdir(parents=True)
    (site / "docs" / "blog" / ".authors.yml").write_text("authors:\n  team:\n    name: Team\n")
    (site / "mkdocs.yml").write_text(
        "site_name: S\nplugins:\n  - blog:\n      categories_allowed: [Tools]\n"
        "  - techpath:\n      max_code_line: 79\n"
    )
    _post(posts, "print(" + "1 + " * 20 + "1)")
    configured = techpath(site, "lint")
    assert configured.returncode == 1
    assert "docs/blog/posts/p.md:15: code line is 88 characters long; the limit is 79" in configured.stdout
    assert techpath(site, "lint", "--max-code-line", "120").returncode == 0


def _figure_svg(width_in: float, font_size: float) -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(width_in, 3))
    ax.plot([0, 1], [0, 1])
    ax.tick_params(labelsize=font_size)
    ax.set_title("Title", fontsize=font_size + 4)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="svg")
    plt.close(fig)
    return buffer.getvalue()


def test_figure_text_size_is_read_from_the_svg() -> None:
    svg = _figure_svg(6, 10)
    assert smallest_text(svg) == pytest.approx(10)
    # 6 in at 72 units per inch = 432 units; shown 576 px wide, 10-unit text is 13.3 px.
    assert text_px(svg, 576) == pytest.approx(10 * 576 / 432)
    assert readable_width(svg, 576) == 476  # the narrowest width with 11 px text
    assert readable_width(svg, 576, min_px=9) == 389
    assert readable_width(_figure_svg(6, 6), 576) > 576  # tiny text: wider than natural


def test_a_figure_carries_its_natural_size_and_its_readable_width() -> None:
    """The image's size attributes are the figure's natural size (the box the browser reserves
    before the image loads); the readable width rides along for the phone's stylesheet."""
    data = {"file": "block001-figure1.svg", "format": "svg", "alt": "A", "width": "576", "height": "384"}
    html = render_output(Output("figure", data=data), lambda name: name, lambda name: 476)
    assert 'width="576" height="384" style="--techpath-readable-width: 476px" loading="lazy"' in html
    # No readable width known (a PNG, an SVG without text): the natural one.
    html = render_output(Output("figure", data=data), lambda name: name)
    assert 'width="576" height="384" style="--techpath-readable-width: 576px"' in html
    # A size the engine could not read (0 x 0): no box to reserve, the browser sizes it once loaded.
    html = render_output(Output("figure", data={**data, "width": "0", "height": "0"}), lambda name: name)
    assert "width=" not in html and "style=" not in html and 'alt="A" loading="lazy"' in html


def test_downloads_start_with_title_and_install_cell_without_front_matter(tmp_path: Path) -> None:
    path = _post(tmp_path, "import numpy as np\nimport sklearn\nprint(np.zeros(2))")
    post = load_post(path, SCHEMA)
    result = PageResult(
        path=str(path), blocks=[BlockResult(0, "ok")], versions={"numpy": "2.0.1", "scikit-learn": "1.5.2"}
    )
    write_downloads(post, result, tmp_path / "out")
    notebook = json.loads((tmp_path / "out" / "p.ipynb").read_text())
    first, second = notebook["cells"][:2]
    assert first["cell_type"] == "markdown" and first["source"] == "# T\n\nD."
    assert second["cell_type"] == "code"
    assert second["source"].endswith("%pip install numpy==2.0.1 scikit-learn==1.5.2")
    assert all(c["cell_type"] != "raw" for c in notebook["cells"])
    text = json.dumps(notebook)
    assert "<!--" not in text and "categories:" not in text
    script = (tmp_path / "out" / "p.py").read_text()
    assert "    pip install numpy==2.0.1 scikit-learn==1.5.2" in script
    assert "<!--" not in script and "categories:" not in script and "%pip" not in script

"""A reader's exercise, on the fixture site tests/exercise_site (a Markdown and a notebook post):
the task, the starter, a check to copy, and the solution with its real output in a closed box
that opens on a click; readable on a 390 px phone in dark mode."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.browser import ARTIFACTS, offline_browser, open_page, wait_for_scheme, wait_until
from tests.conftest import Servers, exercise_spec
from tests.sites import SiteBuilds

pytestmark = [pytest.mark.slow]


# `exercise_site` (tests/conftest.py): the fixture site built strictly by MkDocs, shared.


@pytest.fixture(scope="module")
def server(exercise_site: Path, servers: Servers) -> str:
    return servers.url(exercise_site)


OPEN = "document.querySelector('.exercise details.techpath-solution').open"
OUTPUT = ".exercise details.techpath-solution .techpath-stdout"


@pytest.mark.browser
@pytest.mark.parametrize(
    ("post", "printed"),
    [("practice", "squares: [ 0  1  4  9 16 25]"), ("practice-notebook", "longest: predict")],
)
def test_opening_the_solution_shows_its_output(server: str, post: str, printed: str) -> None:
    with offline_browser(server) as (page, log):
        open_page(page, log, f"{server}/blog/{post}/")
        box = page.locator(".admonition.exercise")
        assert box.locator(".admonition-title").inner_text().strip() in (
            "Square the values",
            "Find the longest word",
        )
        assert "Check your answer" in box.inner_text()
        assert not page.evaluate(OPEN) and not page.locator(OUTPUT).is_visible()
        box.locator("details.techpath-solution > summary").click()
        wait_until(page, OPEN)
        wait_until(page, f"!!document.querySelector({OUTPUT!r})?.offsetHeight")
        assert page.locator(OUTPUT).inner_text().strip() == printed
        if post == "practice":  # the solution's figure, loaded from the site
            figure = box.locator("details.techpath-solution img")
            wait_until(page, "document.querySelector('.exercise details img').naturalWidth > 0")
            assert figure.get_attribute("alt") == "Figure: Squares"
            page.screenshot(path=str(ARTIFACTS / "exercise-solution-open.png"), full_page=True)
        # the page after the exercise ran from the state before it
        after = page.locator(".md-content .techpath-stdout").last.inner_text()
        assert after in ("values are still [0 1 2 3 4 5]", "words are still ['fit', 'predict', 'score']")
        assert log.console_errors == [] and log.csp_violations == [] and log.failed_requests == []


@pytest.mark.browser
def test_an_exercise_reads_on_a_phone_in_dark_mode(server: str) -> None:
    with offline_browser(server, color_scheme="dark", viewport=(390, 844)) as (page, log):
        open_page(page, log, f"{server}/blog/practice/")
        page.locator(".exercise details.techpath-solution > summary").click()
        wait_until(page, OPEN)
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        box = page.locator(".admonition.exercise")
        assert box.bounding_box()["width"] <= 390
        wait_for_scheme(page, "slate")
        # the exercise's own colour (the package stylesheet, site/techpath.css), the dark variant
        border = page.evaluate(
            "getComputedStyle(document.querySelector('.admonition.exercise')).borderLeftColor"
        )
        assert border == "rgb(77, 182, 172)"
        box.screenshot(path=str(ARTIFACTS / "exercise-phone-dark.png"))
        assert log.console_errors == [] and log.csp_violations == []


def test_the_downloads_hold_the_exercise_and_its_solutions(exercise_site: Path) -> None:
    folder = exercise_site / "assets" / "downloads" / "practice"
    notebook = json.loads((folder / "practice.ipynb").read_text())
    tags = [t for c in notebook["cells"] for t in c.get("metadata", {}).get("tags", [])]
    assert {"exercise", "exercise-starter", "exercise-check"} <= set(tags)
    assert "exercise-solution" not in tags
    solutions = json.loads((folder / "practice-solutions.ipynb").read_text())
    [solution] = [c for c in solutions["cells"] if "exercise-solution" in c["metadata"].get("tags", [])]
    assert any(o.get("text") == "squares: [ 0  1  4  9 16 25]\n" for o in solution["outputs"])
    page = (exercise_site / "blog" / "practice" / "index.html").read_text()
    assert "practice-solutions.ipynb" in page and "Download solutions" in page


@pytest.mark.parametrize("generator", ["properdocs", "zensical"])
def test_every_generator_shows_the_solution_box(generator: str, site_builds: SiteBuilds) -> None:
    site = site_builds.get(exercise_spec(site_builds, generator)).path
    page = (site / "blog" / "practice" / "index.html").read_text()
    box = page[page.index('<div class="admonition exercise"') :]
    start = box.index('<details class="success techpath-solution">')
    solution = box[start : box.index("</details>\n</div>", start)]  # (the check has a box of its own)
    assert "<summary>Solution</summary>" in solution
    assert "squares: [ 0  1  4  9 16 25]" in solution and "<img " in solution
    assert "Check your answer" in box[: box.index('<details class="success')]


def test_the_solution_is_left_out_of_the_search_index(exercise_site: Path) -> None:
    index = json.loads((exercise_site / "search" / "search_index.json").read_text())
    text = " ".join(doc["text"] for doc in index["docs"])
    assert "Put the square of every number" in text  # the task is found by search
    assert "values**2" not in text and "squares: [" not in text  # its solution and output are not
    assert "every number should be squared" not in text  # nor its check

"""A reader's exercise, on the fixture site tests/exercise_site (a Markdown and a notebook post):
the task, the starter, a check to copy, and the solution with its real output in a closed box
that opens on a click; readable on a 390 px phone in dark mode."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser import ARTIFACTS, offline_browser, serve_folder, wait_until

pytestmark = [pytest.mark.browser, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "exercise_site"


@pytest.fixture(scope="module")
def exercise_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("exercise-site")
    env = {
        **os.environ,
        "NO_MKDOCS_2_WARNING": "1",
        "TECHPATH_KEEP_WARM": "0",
        "TECHPATH_CACHE_DIR": str(out / "cache"),
    }
    command = [sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(out / "site")]
    built = subprocess.run(command, cwd=FIXTURE, env=env, capture_output=True, text=True)
    assert built.returncode == 0, built.stdout + built.stderr
    return out / "site"


@pytest.fixture(scope="module")
def server(exercise_site: Path) -> Iterator[str]:
    with serve_folder(exercise_site) as url:
        yield url


OPEN = "document.querySelector('.exercise details.techpath-solution').open"
OUTPUT = ".exercise details.techpath-solution .techpath-stdout"


@pytest.mark.parametrize(
    ("post", "printed"),
    [("practice", "squares: [ 0  1  4  9 16 25]"), ("practice-notebook", "longest: predict")],
)
def test_opening_the_solution_shows_its_output(server: str, post: str, printed: str) -> None:
    with offline_browser(server) as (page, log):
        page.goto(f"{server}/blog/{post}/", wait_until="networkidle")
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


def test_an_exercise_reads_on_a_phone_in_dark_mode(server: str) -> None:
    with offline_browser(server, color_scheme="dark", viewport=(390, 844)) as (page, log):
        page.goto(f"{server}/blog/practice/", wait_until="networkidle")
        page.locator(".exercise details.techpath-solution > summary").click()
        wait_until(page, OPEN)
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        box = page.locator(".admonition.exercise")
        assert box.bounding_box()["width"] <= 390
        scheme = page.evaluate("document.body.getAttribute('data-md-color-scheme')")
        assert scheme == "slate"
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
def test_every_generator_shows_the_solution_box(generator: str, tmp_path: Path) -> None:
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "TECHPATH_KEEP_WARM": "0"}
    env["TECHPATH_CACHE_DIR"] = str(tmp_path / "cache")
    command = [sys.executable, "-m", "techpath.cli", "build", "-g", generator, "-d", str(tmp_path / "site")]
    built = subprocess.run(command, cwd=FIXTURE, env=env, capture_output=True, text=True)
    assert built.returncode == 0, built.stdout + built.stderr
    page = (tmp_path / "site" / "blog" / "practice" / "index.html").read_text()
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

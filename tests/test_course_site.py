"""A course site written the way courses are kept (tests/corpora/course_site: notebooks in a
lessons folder reading ../datasets/, a local plotting package, a matplotlibrc, a library that
warns, an interactive chart, a lesson rotted by a newer pandas), built with one plugin line and
compared notebook by notebook with what nbclient makes of the same files in their own folder:
verdict, failing cell, number of outputs and of images."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
COURSE = ROOT / "tests" / "corpora" / "course_site"
LESSONS = sorted((COURSE / "docs" / "lessons").glob("*.ipynb"))

pytestmark = pytest.mark.slow


def tree(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def nbclient_reference(copy: Path) -> dict[str, dict[str, Any]]:
    """Each lesson run by nbclient (a real kernel) in its own folder of a copy of the course."""
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    found = {}
    for lesson in sorted((copy / "docs" / "lessons").glob("*.ipynb")):
        notebook = nbformat.read(lesson, as_version=4)
        client = nbclient.NotebookClient(
            notebook, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(lesson.parent)}}
        )
        failed_cell = None
        try:
            client.execute()
        except nbclient.exceptions.CellExecutionError:
            cells = notebook.cells
            failed_cell = next(
                i + 1
                for i, c in enumerate(cells)
                if any(o.output_type == "error" for o in c.get("outputs", []))
            )
        outputs = images = 0
        for cell in notebook.cells:
            previous = None
            for output in cell.get("outputs", []):
                stream = output.get("name") if output.output_type == "stream" else None
                if stream is None or stream != previous:  # techpath joins consecutive prints
                    outputs += 1
                previous = stream
                images += any(m.startswith("image/") for m in output.get("data", {}))
        found[lesson.name] = {"failed_cell": failed_cell, "outputs": outputs, "images": images}
    return found


def techpath_counts(snapshot: dict[str, Any], notebook: Path) -> dict[str, Any]:
    failed = [b for b in snapshot["blocks"] if b["status"] == "error"]
    cells = json.loads(notebook.read_text())["cells"]
    code_cells = [i + 1 for i, c in enumerate(cells) if c["cell_type"] == "code"]
    outputs = sum(1 for b in snapshot["blocks"] for o in b["outputs"] if o["kind"] != "note") + len(failed)
    images = sum(1 for b in snapshot["blocks"] for o in b["outputs"] if o["kind"] == "figure")
    failed_cell = code_cells[failed[0]["index"]] if failed else None
    return {"failed_cell": failed_cell, "outputs": outputs, "images": images}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    work = tmp_path_factory.mktemp("course")
    before = tree(COURSE)
    env = {
        **os.environ,
        "NO_MKDOCS_2_WARNING": "1",
        "TECHPATH_CACHE_DIR": str(work / "cache"),
        "TECHPATH_RESULTS": str(work / "results.json"),
    }
    command = [
        sys.executable,
        "-m",
        "mkdocs",
        "build",
        "-f",
        str(COURSE / "mkdocs.yml"),
        "-d",
        str(work / "site"),
    ]
    build = subprocess.run(command, capture_output=True, text=True, env=env, cwd=COURSE)
    after = tree(COURSE)
    copy = work / "jupyter"
    shutil.copytree(COURSE, copy)
    return {
        "build": build,
        "site": work / "site",
        "source_untouched": before == after,
        "snapshot": json.loads((work / "results.json").read_text()),
        "reference": nbclient_reference(copy),
    }


def test_the_course_builds_and_writes_nothing_into_its_source(built: dict[str, Any]) -> None:
    assert built["build"].returncode == 0, built["build"].stderr
    assert built["source_untouched"]  # tall_plants.csv and sunlight.png went to the private copy


def test_code_is_highlighted_with_one_plugin_line(built: dict[str, Any]) -> None:
    page = (built["site"] / "lessons" / "01-explore" / "index.html").read_text()
    assert (
        re.search(r'<div class="highlight"><pre( id="[^"]+")?>', page)
        and '<span class="kn">import</span>' in page
    )


@pytest.mark.parametrize("lesson", LESSONS, ids=[p.stem for p in LESSONS])
def test_each_lesson_matches_what_nbclient_makes_of_it(built: dict[str, Any], lesson: Path) -> None:
    snapshot = next(p for p in built["snapshot"]["pages"].values() if p["path"].endswith(lesson.name))
    assert techpath_counts(snapshot, lesson) == built["reference"][lesson.name]


def test_the_rotted_lesson_fails_where_jupyter_fails_and_says_what_did_not_run(built: dict[str, Any]) -> None:
    log = built["build"].stderr
    assert (
        "docs/lessons/05-rot.ipynb:cell 3:2: AttributeError: 'DataFrame' object has no attribute 'append'"
        in log
    )
    page = (built["site"] / "lessons" / "05-rot" / "index.html").read_text()
    assert page.count("Not run: cell 3 failed, and a page stops at its first error (as in Jupyter).") == 2


def test_what_cannot_be_shown_is_reported_at_its_cell(built: dict[str, Any]) -> None:
    log = built["build"].stderr
    assert "docs/lessons/03-rich.ipynb:cell 8:1: application/vnd.vegalite.v5+json output not shown" in log
    page = (built["site"] / "lessons" / "03-rich" / "index.html").read_text()
    assert "application/vnd.vegalite.v5+json output not shown" in page
    assert page.count('class="techpath-figure"') == 2  # the chart's static image and the Image


def test_the_lessons_own_settings_and_helpers_are_used(built: dict[str, Any]) -> None:
    snapshot = {Path(p["path"]).name: p for p in built["snapshot"]["pages"].values()}
    printed = snapshot["02-figures.ipynb"]["blocks"][-1]["outputs"][0]["text"]
    assert printed == "[5.0, 3.5] True\n"  # docs/lessons/matplotlibrc, as matplotlib reads it there
    explore = snapshot["01-explore.ipynb"]["blocks"]
    assert explore[-1]["outputs"][0]["text"] == "12 tall plants written and read back\n"
    warned = "".join(o["text"] for b in snapshot["04-warnings.ipynb"]["blocks"] for o in b["outputs"])
    assert warned.count("FutureWarning: mean_height()") == 1
    assert "DeprecationWarning: old_style()" in warned and "keyword-only" not in warned
    assert "docs/lessons/shaky.py" in warned  # the module's path in the site, not the machine's
    report = json.loads((built["site"] / "techpath-report.json").read_text())
    rows = {Path(r["path"]).name: r for r in report["posts"]}
    assert rows["01-explore.ipynb"]["files_read"] == [
        "docs/datasets/plants.csv",
        "docs/lessons/plotting/__init__.py",
    ]
    assert "pandas" in rows["01-explore.ipynb"]["libraries"]

"""Exercises: parsed with errors at file:line, verified in two forks of the page process (the
starter must run and fail the check, the solution must pass it), nothing leaking into the page."""

from __future__ import annotations

import json
import os
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from techpath.cache import cache_key
from techpath.engine import Engine, Settings
from techpath.model import Limits
from techpath.parse import load_post
from tests.engine_helpers import line_of, run_one, write_post
from tests.test_engine_processes import alive, wait_gone

EXERCISE = """
```python
numbers = [3, 1, 2]
total = 0
```

!!! exercise "Add them up"

    Put the sum of `numbers` in `total`.

    ??? tip "Hint"
        Python has a built-in for it.

    ```python starter
    total = ...
    ```

    ```python check
    assert total == 6, f"expected 6, got {{total!r}}"
    ```

    ```python solution
    {solution}
    print("total:", total)
    ```

```python
print("after the exercise, total is", total)
```
"""


def exercise_post(solution: str = "total = sum(numbers)", starter: str = "total = ...") -> str:
    return EXERCISE.format(solution=solution).replace("total = ...", starter)


@pytest.fixture(scope="module", params=["fork", pytest.param("spawn", marks=pytest.mark.slow)])
def engine(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    yield from _engine(request.param, tmp_path_factory)


@pytest.fixture(scope="module")
def fork_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    yield from _engine("fork", tmp_path_factory)


def _engine(mode: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    settings = Settings(
        jobs=1,
        mode=mode,
        preload=[],
        limits=Limits(block_timeout=10, page_timeout=60),
        cache_dir=tmp_path_factory.mktemp("cache"),
        refresh=True,
    )
    with Engine(settings) as e:
        yield e


# -- parsing ---------------------------------------------------------------------------------


def test_an_exercise_is_three_blocks_in_a_box(tmp_path: Path) -> None:
    path = write_post(tmp_path, "post.md", exercise_post())
    post = load_post(path)
    assert post.problems == []
    [exercise] = post.exercises
    assert exercise.title == "Add them up"
    assert exercise.line == line_of(path, "!!! exercise")
    roles = [post.blocks[i].options.exercise for i in (exercise.starter, exercise.check, exercise.solution)]
    assert roles == ["starter", "check", "solution"]
    assert post.blocks[exercise.starter].line == line_of(path, "total = ...")


BOX = '!!! exercise "T"\n\n'
PART = "    ```python {role}\n    {code}\n    ```\n\n"
STARTER, CHECK, SOLUTION = (
    PART.format(role="starter", code="x = 1"),
    PART.format(role="check", code="assert x == 2"),
    PART.format(role="solution", code="x = 2"),
)
# case: (Markdown after a first block, the text on the line blamed, how many lines below it,
# part of the message, whether the exercise survives)
MALFORMED = {
    "missing check": (BOX + STARTER + SOLUTION, "!!! exercise", 0, "has no `check` block", False),
    "repeated starter": (
        BOX + STARTER + PART.format(role="starter", code="x = 3") + CHECK + SOLUTION,
        "x = 3",
        -1,
        "a second `starter` block",
        False,
    ),
    "out of order": (
        BOX + STARTER + SOLUTION + CHECK,
        "assert x == 2",
        -1,
        "comes after its `solution`",
        False,
    ),
    "outside a box": ("```python check\nassert x == 2\n```\n", "```python check", 0, "belongs inside", False),
    "no title": ("!!! exercise\n\n" + STARTER + CHECK + SOLUTION, "!!! exercise", 0, "needs a title", False),
    "?? box": ('??? exercise "T"\n\n' + STARTER + CHECK + SOLUTION, "??? exercise", 0, "opens with", False),
    "other code in the box": (
        BOX + PART.format(role="", code="y = 1") + STARTER + CHECK + SOLUTION,
        "y = 1",
        -1,
        "inside an exercise box, a python block is",
        True,
    ),
    "an option on a part": (
        BOX + STARTER.replace("starter", "starter hide") + CHECK + SOLUTION,
        "starter hide",
        0,
        "takes no hide",
        False,
    ),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_a_malformed_exercise_is_an_error_at_its_line(case: str, tmp_path: Path) -> None:
    body, needle, below, message, survives = MALFORMED[case]
    path = write_post(tmp_path, "post.md", "```python\nx = 0\n```\n\n" + body)
    post = load_post(path)
    found = [p for p in post.problems if message in p.message]
    assert found, post.problems
    assert found[0].line == line_of(path, needle) + below
    assert found[0].path == path.as_posix()
    assert len(post.exercises) == (1 if survives else 0)
    if not survives:  # nothing of a malformed exercise runs: its parts became skipped blocks
        assert all(b.options.skip and not b.options.exercise for b in post.blocks[1:])


def test_a_box_shown_inside_a_fence_is_text(tmp_path: Path) -> None:
    shown = "````markdown\n" + textwrap.dedent(exercise_post()) + "````\n"
    post = load_post(write_post(tmp_path, "post.md", shown))
    assert post.problems == [] and post.exercises == [] and post.blocks == []


def notebook(cells: list[tuple[str, list[str], str]]) -> str:
    return json.dumps(
        {
            "cells": [
                {"cell_type": kind, "metadata": {"tags": tags}, "source": source}
                | ({"outputs": [], "execution_count": None} if kind == "code" else {})
                for kind, tags, source in cells
            ],
            "metadata": {},
            "nbformat": 4,
            "nbformat_minor": 5,
        }
    )


NOTEBOOK_CELLS = [
    ("code", [], "numbers = [3, 1, 2]\ntotal = 0"),
    ("markdown", ["exercise"], "### Add them up\n\nPut the sum of `numbers` in `total`."),
    ("code", ["exercise-starter"], "total = ..."),
    ("code", ["exercise-check"], 'assert total == 6, "expected 6"'),
    ("code", ["exercise-solution"], "total = sum(numbers)\nprint(total)"),
    ("markdown", [], "After it."),
    ("code", [], "print('after', total)"),
]


def test_a_notebook_exercise_is_tagged_cells(tmp_path: Path) -> None:
    path = tmp_path / "post.ipynb"
    path.write_text(notebook(NOTEBOOK_CELLS))
    post = load_post(path)
    assert post.problems == []
    [exercise] = post.exercises
    assert (exercise.title, exercise.cell, exercise.starter, exercise.solution) == ("Add them up", 2, 1, 3)


def test_a_notebook_part_without_its_task_is_an_error_at_its_cell(tmp_path: Path) -> None:
    path = tmp_path / "post.ipynb"
    path.write_text(notebook([NOTEBOOK_CELLS[0], NOTEBOOK_CELLS[3]]))
    post = load_post(path)
    [problem] = post.problems
    assert str(problem).startswith(f"{path.as_posix()}:cell 2:1: a cell tagged exercise-check")
    assert post.exercises == [] and post.blocks[1].options.skip


# -- running ---------------------------------------------------------------------------------


def test_a_good_exercise_passes_and_leaks_nothing(engine: Engine, tmp_path: Path) -> None:
    post, result = run_one(engine, tmp_path, exercise_post())
    assert result.ok, result.errors
    [outcome] = result.exercises
    assert outcome.status == "ok"
    assert outcome.starter_says == "AssertionError: expected 6, got Ellipsis"
    solution = result.blocks[post.exercises[0].solution]
    assert [o.text for o in solution.outputs] == ["total: 6\n"]
    # the page went on from before the exercise: neither the starter nor the solution leaked
    assert result.blocks[-1].outputs[0].text == "after the exercise, total is 0\n"


def test_an_already_solved_starter_is_an_error_at_the_starter(engine: Engine, tmp_path: Path) -> None:
    post, result = run_one(engine, tmp_path, exercise_post(starter="total = 6"))
    starter = result.blocks[post.exercises[0].starter]
    assert starter.error is not None and starter.error.type == "ExerciseSolved"
    assert starter.error.location == f"{post.display_path}:{line_of(post.path, 'total = 6')}"
    assert "already passes its check" in starter.error.message
    assert result.exercises[0].status == "error"
    assert result.blocks[-1].status == "ok"  # the rest of the page still ran


def test_a_crashing_starter_is_an_error_at_its_line(engine: Engine, tmp_path: Path) -> None:
    post, result = run_one(engine, tmp_path, exercise_post(starter="total = numbers[10]"))
    error = result.blocks[post.exercises[0].starter].error
    assert error is not None and error.type == "IndexError"
    assert error.location == f"{post.display_path}:{line_of(post.path, 'numbers[10]')}"
    assert "starter must run without raising" in error.message


def test_a_failing_solution_is_an_error_at_the_solution(engine: Engine, tmp_path: Path) -> None:
    post, result = run_one(engine, tmp_path, exercise_post(solution="total = sum(numbers) + 1"))
    error = result.blocks[post.exercises[0].solution].error
    assert error is not None and error.type == "AssertionError"
    assert error.location == f"{post.display_path}:{line_of(post.path, 'sum(numbers) + 1')}"
    check_line = line_of(post.path, "assert total == 6")
    assert f"fails its check at {post.display_path}:{check_line}: expected 6, got 7" in error.message


def test_a_raising_solution_is_an_error_at_its_line(engine: Engine, tmp_path: Path) -> None:
    post, result = run_one(engine, tmp_path, exercise_post(solution="total = sum(number)"))
    error = result.blocks[post.exercises[0].solution].error
    assert error is not None and error.type == "NameError"
    assert error.location == f"{post.display_path}:{line_of(post.path, 'sum(number)')}"


@pytest.mark.slow  # waits out a limit or a slow writer: 2-5 s with the core idle
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="subreaper is Linux only")
def test_a_hanging_exercise_times_out_and_leaves_nothing_running(engine: Engine, tmp_path: Path) -> None:
    pid_file = tmp_path / "pids.txt"  # outside the page's site: a page never writes into its site
    tmp_path = tmp_path / "site"
    tmp_path.mkdir()
    hanging = (
        "import os, subprocess, time\n"
        "    child = subprocess.Popen(['sleep', '60'])\n"
        f"    open({str(pid_file)!r}, 'w').write(f'{{os.getpid()}} {{child.pid}}')\n"
        "    while True:\n"
        "        time.sleep(0.05)"
    )
    body = exercise_post(solution=hanging).replace("```python solution", '```python solution timeout="2"')
    post, result = run_one(engine, tmp_path, body)
    error = result.blocks[post.exercises[0].solution].error
    assert error is not None and error.type == "Timeout"
    assert error.location.startswith(f"{post.display_path}:")
    assert result.blocks[-1].status == "ok"
    fork, sleeper = (int(p) for p in pid_file.read_text().split())
    assert fork != os.getpid()
    wait_gone([fork, sleeper], seconds=5)
    assert not alive(sleeper)


def test_the_cache_key_follows_the_exercise_code(tmp_path: Path) -> None:
    limits = Limits()

    def key(body: str) -> str:
        return cache_key(load_post(write_post(tmp_path, "post.md", body)), limits, fingerprint="f")

    base = key(exercise_post())
    assert key(exercise_post(solution="total = sum(sorted(numbers))")) != base
    assert key(exercise_post(starter="total = None")) != base
    assert key(exercise_post().replace("assert total == 6", "assert total == 6.0")) != base
    assert key(exercise_post().replace("Put the sum", "Store the sum")) == base  # prose only


# -- downloads -------------------------------------------------------------------------------


def _run_cells(notebook: dict, folder: Path) -> list[dict]:
    """Execute the notebook's code cells in order in a real kernel (nbclient); its cells."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.reads(json.dumps(notebook), as_version=4)
    NotebookClient(
        nb, timeout=60, kernel_name="python3", resources={"metadata": {"path": str(folder)}}
    ).execute()
    return nb.cells


def _tagged(cells: list[dict], tag: str) -> list[dict]:
    return [c for c in cells if tag in c.get("metadata", {}).get("tags", [])]


def _text(cell: dict) -> str:
    return "".join(o.get("text", "") + o.get("evalue", "") for o in cell.get("outputs", []))


@pytest.mark.slow  # starts a Jupyter kernel (nbclient): seconds before the first cell
def test_the_downloaded_notebook_checks_the_learner(fork_engine: Engine, tmp_path: Path) -> None:
    from techpath.render.downloads import write_downloads

    post, result = run_one(fork_engine, tmp_path, exercise_post())
    assert result.ok, result.errors
    folder = tmp_path / "downloads"
    write_downloads(post, result, folder)
    notebook = json.loads((folder / "post.ipynb").read_text())
    cells = notebook["cells"]
    [task] = _tagged(cells, "exercise")
    assert task["source"].startswith("### Exercise: Add them up")
    assert "<details><summary>Hint</summary>" in task["source"]  # Jupyter shows no ??? boxes
    [starter] = _tagged(cells, "exercise-starter")
    [check] = _tagged(cells, "exercise-check")
    assert _tagged(cells, "exercise-solution") == []  # the solution is a separate download
    assert any("post-solutions.ipynb" in c["source"] for c in cells if c["cell_type"] == "markdown")
    [solution] = _tagged(
        json.loads((folder / "post-solutions.ipynb").read_text())["cells"], "exercise-solution"
    )
    assert solution["source"] == 'total = sum(numbers)\nprint("total:", total)'
    assert [o["text"] for o in solution["outputs"]] == ["total: 6\n"]

    # as downloaded, the check cell fails on the starter (a runner goes on past it) ...
    ran = _run_cells(notebook, tmp_path)
    [checked] = _tagged(ran, "exercise-check")
    assert [o["output_type"] for o in checked.outputs] == ["error"]
    assert checked.outputs[0]["ename"] == "AssertionError"
    assert "expected 6, got Ellipsis" in checked.outputs[0]["evalue"]
    # ... and passes with the solution pasted into the starter cell
    starter["source"] = solution["source"]
    ran = _run_cells(notebook, tmp_path)
    [checked] = _tagged(ran, "exercise-check")
    assert _text(checked) == "All checks passed.\n"
    assert checked.source.startswith(check["source"].split("\n")[0])


def test_both_downloaded_notebooks_reuse_cleaned_figures(
    fork_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The solutions notebook cleans its SVG figures through the memo too: without it every
    save of a post with exercises cleaned each figure again (0.3-0.5 s on first-classifier)."""
    from techpath.render import downloads

    post, result = run_one(fork_engine, tmp_path, exercise_post())
    memos = []
    real = downloads.to_notebook

    def recording(cells, result=None, figure_dir=None, figure_memo=None, **options):
        memos.append(figure_memo)
        return real(cells, result, figure_dir, figure_memo, **options)

    monkeypatch.setattr(downloads, "to_notebook", recording)
    downloads.write_downloads(post, result, tmp_path / "downloads", figure_memo=tmp_path / "memo")
    assert (tmp_path / "downloads" / "post-solutions.ipynb").is_file()
    assert memos == [tmp_path / "memo", tmp_path / "memo"]  # the post's notebook, its solutions


def test_the_downloaded_script_runs_the_solution_and_its_checks(fork_engine: Engine, tmp_path: Path) -> None:
    import subprocess

    from techpath.render.downloads import write_downloads

    post, result = run_one(fork_engine, tmp_path, exercise_post())
    write_downloads(post, result, tmp_path / "downloads")
    script = (tmp_path / "downloads" / "post.py").read_text()
    assert "total = sum(numbers)" in script and "total = ..." not in script
    ran = subprocess.run(
        [sys.executable, "post.py"], cwd=tmp_path / "downloads", capture_output=True, text=True
    )
    assert ran.returncode == 0, ran.stderr
    assert "total: 6\nAll checks passed.\n" in ran.stdout
    # and a wrong solution makes the script fail
    broken = script.replace("total = sum(numbers)", "total = sum(numbers) - 1")
    (tmp_path / "downloads" / "broken.py").write_text(broken)
    ran = subprocess.run(
        [sys.executable, "broken.py"], cwd=tmp_path / "downloads", capture_output=True, text=True
    )
    assert ran.returncode == 1 and "AssertionError: expected 6, got 5" in ran.stderr


# -- authoring -------------------------------------------------------------------------------


@pytest.mark.parametrize("notebook", [False, True])
def test_new_with_an_exercise_writes_one_that_is_verified(
    notebook: bool, fork_engine: Engine, tmp_path: Path
) -> None:
    from techpath.contrib.scaffold import NewPost, Target, create_post
    from techpath.parse.gate import load_checked_post

    path = create_post(NewPost("Practice", notebook=notebook, exercise=True), Target(tmp_path))
    post = load_checked_post(path, None)
    assert post.problems == []
    assert [e.title for e in post.exercises] == ["Centre the numbers"]
    result = fork_engine.run([post])[post.display_path]
    assert result.ok, result.errors
    assert result.exercises[0].status == "ok"
    assert result.exercises[0].starter_says.startswith("AssertionError: the mean of centred should be 0")


def test_the_new_command_takes_an_exercise_option(tmp_path: Path) -> None:
    from tests.test_cli import techpath

    (tmp_path / "mkdocs.yml").write_text("site_name: Other\nplugins:\n  - search\n  - techpath\n")
    made = techpath(tmp_path, "new", "Hello there", "--exercise")
    assert made.returncode == 0, made.stderr
    text = (tmp_path / "docs" / "hello-there.md").read_text()
    assert '!!! exercise "Centre the numbers"' in text and "```python solution" in text


@pytest.mark.slow  # waits out a limit or a slow writer: 2-5 s with the core idle
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="subreaper is Linux only")
def test_a_copy_that_ignores_its_alarm_is_ended_by_the_scheduler(engine: Engine, tmp_path: Path) -> None:
    """A solution stuck where the in-process alarm cannot reach it (here: ignored) is killed
    by the scheduler at the solution's timeout plus the check's, with the page's whole group."""
    pid_file = tmp_path / "pid.txt"  # outside the page's site: a page never writes into its site
    tmp_path = tmp_path / "site"
    tmp_path.mkdir()
    stuck = (
        "import os, signal, time\n"
        "    signal.signal(signal.SIGALRM, signal.SIG_IGN)\n"
        f"    open({str(pid_file)!r}, 'w').write(str(os.getpid()))\n"
        "    while True:\n"
        "        time.sleep(0.05)"
    )
    body = exercise_post(solution=stuck)
    body = body.replace("```python solution", '```python solution timeout="1"')
    body = body.replace("```python check", '```python check timeout="1"')
    post, result = run_one(engine, tmp_path, body)
    error = result.blocks[post.exercises[0].solution].error
    assert error is not None and error.type == "Timeout", result.errors
    assert error.location == post.blocks[post.exercises[0].solution].location(post.display_path)
    wait_gone([int(pid_file.read_text())], seconds=5)


def test_exercises_come_back_from_the_cache(tmp_path: Path) -> None:
    path = write_post(tmp_path, "post.md", exercise_post())
    settings = Settings(jobs=1, preload=[], cache_dir=tmp_path / "cache")
    with Engine(settings) as engine:
        first = engine.run([load_post(path)])[path.as_posix()]
        again = engine.run([load_post(path)])[path.as_posix()]
    assert not first.from_cache and again.from_cache
    assert again.exercises == first.exercises and again.exercises[0].status == "ok"


def test_the_report_and_check_count_verified_exercises(tmp_path: Path) -> None:
    from tests.test_cli import POST, techpath

    posts = tmp_path / "docs" / "blog" / "posts"
    posts.mkdir(parents=True)
    write_post(posts, "good.md", POST.replace("```python\nx = 1\n```", textwrap.dedent(exercise_post())))
    write_post(
        posts,
        "solved.md",
        POST.replace("```python\nx = 1\n```", textwrap.dedent(exercise_post(starter="total = 6"))),
    )
    done = techpath(tmp_path, "check", "--report", "report.json")
    assert done.returncode == 1
    assert "1 of 2 exercises verified" in done.stderr
    assert "solved.md:" in done.stdout and "ExerciseSolved" in done.stdout
    rows = {Path(r["path"]).name: r for r in json.loads((tmp_path / "report.json").read_text())["posts"]}
    assert (rows["good.md"]["exercises"], rows["good.md"]["exercises_verified"]) == (1, 1)
    assert (rows["solved.md"]["exercises"], rows["solved.md"]["exercises_verified"]) == (1, 0)


def test_the_report_page_has_an_exercises_column() -> None:
    from techpath.model import ExerciseResult, PageResult
    from techpath.site.pages import report_html

    result = PageResult("p.md", [], exercises=[ExerciseResult(0, "ok"), ExerciseResult(1, "error")])
    html = report_html([("P", "p/", result), ("Q", "q/", PageResult("q.md", []))])
    assert "<th>Exercises</th>" in html
    assert "<td>1 of 2 failing</td>" in html and "<td>&mdash;</td>" in html


def test_lint_flags_an_answer_that_rebinds_a_name_later_blocks_read(tmp_path: Path) -> None:
    from techpath.parse.gate import lint_post

    path = write_post(tmp_path, "post.md", exercise_post())  # the last block reads `total`
    problems = [p for p in lint_post(load_post(path)) if "rebinds" in p.message]
    assert [(p.line, p.message.split(" rebinds")[0]) for p in problems] == [
        (line_of(path, "total = ..."), 'the starter of exercise "Add them up"'),
        (line_of(path, "total = sum(numbers)"), 'the solution of exercise "Add them up"'),
    ]
    # a later block that binds the name before reading it is its own
    rebound = exercise_post().replace('print("after the exercise', 'total = 1\nprint("after the exercise')
    assert not [
        p for p in lint_post(load_post(write_post(tmp_path, "b.md", rebound))) if "rebinds" in p.message
    ]


def test_a_failing_solution_shows_its_error_in_an_open_box(engine: Engine, tmp_path: Path) -> None:
    from techpath.render.markdown import OutputSlots, rewrite_markdown
    from techpath.stage.boxes import convert_exercises

    post, result = run_one(engine, tmp_path, exercise_post(solution="total = sum(numbers) + 1"))
    slots = OutputSlots().for_page("post.md")
    staged = convert_exercises(rewrite_markdown(post.text, slots, result, post.blocks))
    opened = '<details class="success techpath-solution" open="open" data-search-exclude markdown="1">'
    assert opened in staged
    good, passed = run_one(engine, tmp_path, exercise_post(), name="good.md")
    staged = convert_exercises(rewrite_markdown(good.text, slots, passed, good.blocks))
    assert '<details class="success techpath-solution" data-search-exclude markdown="1">' in staged


def test_a_post_converted_to_a_notebook_keeps_its_exercise(tmp_path: Path) -> None:
    from techpath.render.notebooks import markdown_cells, notebook_json, to_notebook

    markdown = load_post(write_post(tmp_path, "post.md", exercise_post()))
    path = tmp_path / "post.ipynb"
    path.write_text(notebook_json(to_notebook(markdown_cells(markdown.text))))
    notebook = load_post(path)
    assert notebook.problems == []
    assert [(e.title, e.starter, e.check, e.solution) for e in notebook.exercises] == [
        (e.title, e.starter, e.check, e.solution) for e in markdown.exercises
    ]


@pytest.mark.slow  # seconds of OpenMP fitting before the exercise's copies, by design
def test_an_exercise_after_openmp_work_does_not_hang(fork_engine: Engine, tmp_path: Path) -> None:
    """GNU OpenMP is not fork-safe: a copy of a page whose OpenMP pool is running would wait for
    the pool's threads forever in its next parallel region, unless it runs on one thread."""
    setup = (
        '```python timeout="60"\n'
        "from threadpoolctl import threadpool_limits\n"
        "from sklearn.datasets import make_classification\n"
        "from sklearn.ensemble import HistGradientBoostingClassifier\n"
        "threadpool_limits(2)  # a pool of two threads, whatever the machine\n"
        "X, y = make_classification(n_samples=200, random_state=0)\n"
        "HistGradientBoostingClassifier(max_iter=3).fit(X, y)\n"
        "score = 0\n```\n\n"
    )
    box = (
        '!!! exercise "Fit"\n\n    Fit.\n\n    ```python starter\n    score = 0\n    ```\n\n'
        '    ```python check\n    assert score > 0.8, "fit it"\n    ```\n\n'
        '    ```python solution timeout="30"\n'
        "    score = HistGradientBoostingClassifier(max_iter=3).fit(X, y).score(X, y)\n    ```\n"
    )
    _post, result = run_one(fork_engine, tmp_path, setup + box)
    assert result.ok, result.errors
    assert result.exercises[0].status == "ok"

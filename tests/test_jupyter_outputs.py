"""Notebook pages show what Jupyter shows (issue 25). Each expectation here was decided by
running the same cells with nbclient (ipykernel, matplotlib_inline 0.2) in the page's folder:
the kinds and order of the outputs, which figures are drawn, which warnings are printed."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from techpath.engine import Engine, Settings
from techpath.model import BlockOptions, CodeBlock, Limits, Output, PageResult
from techpath.parse import load_post
from techpath.parse.policy import RunPolicy
from techpath.render.html import render_output
from techpath.report import format_failures
from techpath.safety.site import write_figure


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    settings = Settings(
        jobs=1,
        mode="fork",
        limits=Limits(page_timeout=60),
        cache_dir=tmp_path_factory.mktemp("c"),
        refresh=True,
    )
    with Engine(settings) as e:
        yield e


def notebook(folder: Path, name: str, *cells: str | tuple[str, dict[str, Any]], metadata: Any = None) -> Path:
    entries = []
    for cell in cells:
        source, cell_metadata = (cell, {}) if isinstance(cell, str) else cell
        entries.append(
            {
                "cell_type": "code",
                "metadata": cell_metadata,
                "source": source,
                "outputs": [],
                "execution_count": None,
            }
        )
    path = folder / name
    path.write_text(
        json.dumps({"cells": entries, "metadata": metadata or {}, "nbformat": 4, "nbformat_minor": 5})
    )
    return path


def run(engine: Engine, path: Path, **policy: Any) -> PageResult:
    post = RunPolicy(path.parent, **policy).apply(load_post(path))
    return engine.run([post])[post.display_path]


def kinds(result: PageResult, block: int) -> list[str]:
    """The outputs as nbclient lists them: figures, texts of a display/result, streams."""
    found = []
    for output in result.blocks[block].outputs:
        if output.kind == "figure":
            found.append("image")
        elif output.kind in ("result", "display"):
            found.append(output.data.get("text/plain", ""))
        elif output.kind == "stream":
            found.append(output.name)
        else:
            found.append(output.kind)
    return found


def test_figures_as_the_inline_backend_shows_them(engine: Engine, tmp_path: Path) -> None:
    page = notebook(
        tmp_path,
        "figures.ipynb",
        "import matplotlib.pyplot as plt\nplt.figure()\nfig, ax = plt.subplots()\nax.plot([1, 2]);",
        "fig, ax = plt.subplots()\nax.plot([2, 1])\nfig",
        "plt.figure(figsize=(2, 2))\nplt.show()",
        "plt.plot([1]); plt.show()\nplt.plot([2]); plt.show()",
    )
    result = run(engine, page)
    assert result.ok, result.errors
    assert kinds(result, 0) == ["<Figure size 640x480 with 0 Axes>", "image"]  # never a blank image
    assert kinds(result, 1) == ["image", "image"]  # the value, then again as the cell ends
    assert kinds(result, 2) == ["<Figure size 200x200 with 0 Axes>"]
    assert kinds(result, 3) == ["image", "image"]


def test_a_legend_outside_the_axes_is_kept_by_the_tight_box(engine: Engine, tmp_path: Path) -> None:
    source = (
        "import matplotlib.pyplot as plt\nfig, ax = plt.subplots()\nax.plot([1, 2], label='a long label')\n"
        "ax.legend(loc='center left', bbox_to_anchor=(1, 0.5));"
    )
    tight = run(engine, notebook(tmp_path, "tight.ipynb", source))
    canvas = run(engine, notebook(tmp_path, "canvas.ipynb", source), figure_rc=())
    (tight_figure,) = tight.blocks[0].outputs
    (canvas_figure,) = canvas.blocks[0].outputs
    assert canvas_figure.data["width"] == "614"  # 6.4 in at 96 px: the figure's own canvas
    assert int(tight_figure.data["width"]) > 614  # the legend, outside the axes, is in the image
    svg = (Path(tight.figure_dir) / tight_figure.data["file"]).read_text()
    assert "a long label" in svg or "glyph" in svg


def test_rich_outputs_and_what_cannot_be_shown(engine: Engine, tmp_path: Path) -> None:
    png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC"
    page = notebook(
        tmp_path,
        "rich.ipynb",
        "from IPython.display import JSON, Image, Latex, Markdown, display, publish_display_data\n"
        "import base64",
        f"publish_display_data({{'application/vnd.plotly.v1+json': {{'data': []}}, 'image/png': {png!r},"
        " 'text/plain': 'Figure()'})",
        "publish_display_data({'application/vnd.vegalite.v5+json': {'mark': 'bar'},\n"
        "                      'text/plain': 'alt.Chart(...)'})",
        "display(Markdown('**bold**'))\ndisplay(Latex('$x^2$'))\ndisplay(Image(data=base64.b64decode("
        f"{png!r})))\nJSON({{'a': 1}})",
    )
    result = run(engine, page)
    assert result.ok, result.errors
    assert kinds(result, 1) == ["image"]  # the static image of an interactive chart
    note, text = result.blocks[2].outputs
    assert note.kind == "note" and note.name == "warning"
    assert note.text.startswith("application/vnd.vegalite.v5+json output not shown")
    assert note.data["location"] == f"{page.as_posix()}:cell 3:1"
    assert text.data == {"text/plain": "alt.Chart(...)"}
    assert f"warning: {page.as_posix()}:cell 3:1: application/vnd.vegalite" in format_failures(
        {page.name: result}
    )
    markdown, latex, image, json_output = result.blocks[3].outputs
    assert "<strong>bold</strong>" in render_output(markdown, str)
    assert latex.data["text/latex"] == "$x^2$"
    assert image.kind == "figure" and image.data["format"] == "png"
    assert "&quot;a&quot;: 1" in render_output(json_output, str)


def test_warnings_as_a_kernel_shows_them_or_as_errors(engine: Engine, tmp_path: Path) -> None:
    (tmp_path / "lib.py").write_text(
        "import warnings\n"
        "def inside():\n"
        "    warnings.warn('inside', DeprecationWarning)\n"
        "    warnings.warn('changing', FutureWarning)\n"
        "def caller():\n"
        "    warnings.warn('your call', DeprecationWarning, stacklevel=2)\n"
    )
    page = notebook(
        tmp_path, "warn.ipynb", "import lib\nfor _ in range(3):\n    lib.inside()", "lib.caller()"
    )
    shown = run(engine, page)
    assert shown.ok, shown.errors
    first = "".join(o.text for o in shown.blocks[0].outputs)
    assert (
        first.count("FutureWarning: changing") == 1 and "inside" not in first
    )  # once; not the library's own
    assert "DeprecationWarning: your call" in "".join(o.text for o in shown.blocks[1].outputs)
    assert "lib.py" in first and "techpath-run" not in first  # the module's path in the site
    strict = run(engine, page, warnings="error")
    assert [e.type for e in strict.errors] == ["DeprecationWarning"]


def test_blocks_after_a_failure_say_why_they_did_not_run(engine: Engine, tmp_path: Path) -> None:
    page = notebook(tmp_path, "stops.ipynb", "x = 1", "1 / 0", "print(x)", "print(2)")
    result = run(engine, page)
    assert [b.status for b in result.blocks] == ["ok", "error", "not-run", "not-run"]
    for block in result.blocks[2:]:
        (note,) = block.outputs
        assert note.text == "Not run: cell 2 failed, and a page stops at its first error (as in Jupyter)."
        assert "Not run: cell 2 failed" in render_output(note, str)
    markdown = tmp_path / "stops.md"
    markdown.write_text("```python\nx = 1\n```\n\n```python\nundefined\n```\n\n```python\nprint(x)\n```\n")
    (_, _, skipped) = run(engine, markdown).blocks
    assert skipped.outputs[0].text.startswith("Not run: the block at line 6 failed")


def test_ipython_syntax_runs_as_in_a_kernel(engine: Engine, tmp_path: Path) -> None:
    page = notebook(
        tmp_path,
        "magics.ipynb",
        "%matplotlib inline\n%load somewhere.py\nlen?\nx = 3",
        "%timeit -n 2 -r 2 sum(range(x))",
        "listing = !echo one; echo two\nlisting",
        "%%writefile notes.txt\nwritten by a cell magic\n",
        "print(open('notes.txt').read().strip())",
        "def total(n):\n    return sum(range(n))\n%prun -s calls total(1000)",
        "%%time\ny = total(10)\ny + 1",
        "%load_ext line_profiler\n%lprun -f total total(3)",
    )
    result = run(engine, page)
    assert kinds(result, 0) == []  # %matplotlib, %load and help print nothing in an executed notebook
    assert "per loop (mean ± std. dev. of 2 runs, 2 loops each)" in result.blocks[1].outputs[0].text
    assert result.blocks[2].outputs[0].data["text/plain"] == "['one', 'two']"
    assert result.blocks[3].outputs[0].text == "Writing notes.txt\n"
    assert result.blocks[4].outputs[0].text == "written by a cell magic\n"
    # %prun: IPython's pstats report, by the order asked, with the profiled function in it
    profile = result.blocks[5].outputs[0].text
    assert "function calls in" in profile and "Ordered by: call count" in profile
    assert re.search(r"^\s+1\s.*\(total\)$", profile, re.M), profile
    # %time as IPython prints it on Linux, and a multi-line cell's last expression is its value
    timed, value = result.blocks[6].outputs
    assert re.fullmatch(
        r"CPU times: user \S+ [mμn]?s, sys: \S+ [mμn]?s, total: \S+ [mμn]?s\nWall time: \S+ [mμn]?s\n",
        timed.text,
    ), timed.text
    assert value.data["text/plain"] == "46"
    (error,) = result.errors
    assert error.type == "UsageError" and error.location == f"{page.as_posix()}:cell 8:2"
    assert "%lprun is not run by techpath" in error.message


def test_values_as_ipython_prints_them(engine: Engine, tmp_path: Path) -> None:
    """A cell's value in IPython's text (decided with nbclient and IPython's formatter): not
    `repr` for classes, functions, objects without a repr, sets and nested containers."""
    page = notebook(
        tmp_path,
        "values.ipynb",
        "[bool, str, float, int]",
        "def area(w, h=1):\n    return w * h\narea",
        "class Plain:\n    pass\nPlain",
        "{'pear', 'apple', 'fig'}",
        "{'key': list(range(30))}",
        "import numpy as np\nnp.arange(3)",
    )
    result = run(engine, page)
    shown = [b.outputs[0].data["text/plain"] for b in result.blocks]
    assert shown[:5] == [
        "[bool, str, float, int]",
        "<function __main__.area(w, h=1)>",
        "__main__.Plain",
        "{'apple', 'fig', 'pear'}",
        "{'key': [0,\n  1,\n  2,\n  3,\n  4,\n  5,\n  6,\n  7,\n  8,\n  9,\n  10,\n  11,\n  12,\n  13,\n"
        "  14,\n  15,\n  16,\n  17,\n  18,\n  19,\n  20,\n  21,\n  22,\n  23,\n  24,\n  25,\n  26,\n"
        "  27,\n  28,\n  29]}",
    ]
    assert shown[5] == "array([0, 1, 2])"


def test_a_semicolon_before_a_comment_hides_the_value(engine: Engine, tmp_path: Path) -> None:
    """IPython reads the last token, comments and blank lines after it ignored (nbclient: no
    output for `plt.plot(x);  # a comment`); a `;` inside the comment hides nothing."""
    page = notebook(tmp_path, "quiet.ipynb", "x = 3\nx;  # the value is not shown\n", "x  # shown;")
    quiet, loud = run(engine, page).blocks
    assert quiet.outputs == []
    assert [o.data["text/plain"] for o in loud.outputs] == ["3"]


def test_timeit_counts_loops_as_ipython_does(engine: Engine, tmp_path: Path) -> None:
    page = notebook(tmp_path, "loops.ipynb", "%timeit -r 2 sum(range(50))")
    (printed,) = run(engine, page).blocks[0].outputs
    loops = re.search(r"of 2 runs, ([\d,]+) loops? each\)", printed.text)
    assert loops and int(loops[1].replace(",", "")) in {10**k for k in range(10)}, printed.text


def test_durations_as_ipython_writes_them() -> None:
    from techpath.execute.ipython import _duration

    assert [_duration(s) for s in (0, 2.5e-6, 0.0123, 1.5, 65.2, 3725)] == [
        "0 ns", "2.5 \u03bcs", "12.3 ms", "1.5 s", "1min 5s", "1h 2min 5s",
    ]  # fmt: skip


def test_a_cell_and_a_notebook_set_their_own_time_limits(engine: Engine, tmp_path: Path) -> None:
    page = notebook(
        tmp_path,
        "slow.ipynb",
        ("import time\ntime.sleep(5)", {"execution": {"timeout": "1"}}),
        ("print('no limit of its own')", {"execution": {"timeout": -1}}),
        metadata={"execution": {"timeout": 40}},
    )
    post = load_post(page)
    assert [b.options.timeout for b in post.blocks] == [1.0, 0.0]
    assert post.meta["timeout"] == 40
    limits = Limits(block_timeout=None, page_timeout=60)
    assert limits.for_block(post.blocks[1], post.meta["timeout"]) == 60  # -1: the page's limit
    plain = CodeBlock(0, "x", 1, BlockOptions())
    assert limits.for_block(plain) == 60 and Limits(block_timeout=30).for_block(plain) == 30
    result = run(engine, page)
    (error,) = result.errors
    assert error.type == "Timeout" and "within 1 s" in error.message


@pytest.mark.parametrize("value", ["soon", "Infinity", float("inf"), True])
def test_a_bad_cell_time_limit_is_named(tmp_path: Path, value: object) -> None:
    page = notebook(tmp_path, "bad.ipynb", ("x = 1", {"execution": {"timeout": value}}))
    (problem,) = load_post(page).problems
    assert problem.message.startswith("execution.timeout: expected seconds (or -1 for no limit), got")
    assert load_post(page).blocks[0].options.timeout is None  # no limit it did not ask for


def test_a_bad_cell_time_limit_names_the_cell(tmp_path: Path) -> None:
    page = notebook(tmp_path, "bad.ipynb", ("x = 1", {"execution": {"timeout": "soon"}}))
    (problem,) = load_post(page).problems
    assert (
        str(problem)
        == f"{page.as_posix()}:cell 1:1: execution.timeout: expected seconds (or -1 for no limit), got 'soon'"
    )


def test_a_bad_matplotlib_setting_is_reported_where_it_bit(engine: Engine, tmp_path: Path) -> None:
    page = notebook(
        tmp_path, "rc.ipynb", "import matplotlib.pyplot as plt\nprint(plt.rcParams['savefig.bbox'])"
    )
    result = run(engine, page, figure_rc=(("savefig.bbox", "tight"), ("lines.nonsense", 1)))
    assert result.ok
    note, printed = result.blocks[0].outputs
    assert note.name == "warning" and "matplotlib_rc: lines.nonsense" in note.text
    assert printed.text == "tight\n"


def test_output_notes_render_as_notes() -> None:
    html = render_output(Output("note", name="warning", text="<b>x</b>", data={"location": "p.md:3"}), str)
    assert html == '<p class="techpath-note">&lt;b&gt;x&lt;/b&gt;</p>'


HOSTILE_CELL = r"""from IPython.display import SVG, Markdown, display, publish_display_data
display(SVG('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
            '<script>alert(1)</script><rect width="10" height="10" onclick="alert(2)"/></svg>'))
display(Markdown('<script>alert(3)</script>[x](javascript:alert(4))'))
publish_display_data({'image/png': 'PHNjcmlwdD4=', 'text/plain': 'not a png'})
"""


def test_hostile_rich_outputs_stay_inert(engine: Engine, tmp_path: Path) -> None:
    """What a page displays is cleaned like everything else a page's code produces: an SVG with
    a script is a figure file rebuilt without it, Markdown's HTML goes through the same cleaner,
    an image whose bytes are not what its type says is not saved as one."""
    result = run(engine, notebook(tmp_path, "hostile.ipynb", HOSTILE_CELL))
    assert result.ok, result.errors
    svg, markdown, fake = result.blocks[0].outputs
    assert svg.kind == "figure" and svg.data["format"] == "svg"
    target = tmp_path / "published.svg"
    write_figure(Path(result.figure_dir) / svg.data["file"], target, lambda message: None)
    published = target.read_text()
    assert "<script" not in published and "onclick" not in published and "<rect" in published
    html = render_output(markdown, str)
    assert "<script" not in html and "javascript:" not in html
    assert fake.kind == "display" and fake.data == {"text/plain": "not a png"}


def test_a_library_imported_before_the_page_reaches_the_page_display(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The warm parent preloads what pages import; ipywidgets then holds IPython's own
    `display` and `clear_output` (`from IPython.display import ...`), which outside a kernel
    print a repr and terminal escapes. Connecting the page rebinds them in such a module too."""
    import types

    from IPython.core import display_functions

    from techpath.execute import ipython

    for name in ("IPython.core.display_functions", "IPython.display", "IPython.core.display"):
        module = __import__(name, fromlist=["display"])
        for attribute in ("display", "clear_output", "publish_display_data"):
            if hasattr(module, attribute):  # restored after the test
                monkeypatch.setattr(module, attribute, getattr(module, attribute))
    preloaded = types.ModuleType("preloaded_widgets")
    preloaded.display = display_functions.display  # type: ignore[attr-defined]
    preloaded.clear_output = display_functions.clear_output  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "preloaded_widgets", preloaded)
    shown: list[Any] = []
    ipython.connect_display(lambda obj, kind: shown.append((obj, kind)), lambda bundle, kind: None)
    preloaded.clear_output(wait=True)  # type: ignore[attr-defined]
    preloaded.display(42)  # type: ignore[attr-defined]
    assert shown == [(42, "display")]
    assert capsys.readouterr().out == ""  # no repr printed, no "\x1b[2K\r"

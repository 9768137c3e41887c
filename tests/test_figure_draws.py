"""A figure with a tight box is drawn once, not twice (execute/figures.py, `saved_bytes`), and
its file is byte for byte what matplotlib's own `savefig` writes, as Jupyter's inline backend
calls it (`bbox_inches="tight"`, here from the rc setting): every kind of figure below, as SVG
and as PNG, saved once and saved twice. A figure whose SVG would pass the size limit stops
drawing it there and is the PNG matplotlib writes (`save_figure`)."""

from __future__ import annotations

import datetime
import io
from collections.abc import Callable, Iterator
from typing import Any

import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from techpath.execute import figures  # noqa: E402
from techpath.execute.figures import SvgTooLarge, saved_bytes  # noqa: E402


@pytest.fixture(autouse=True)
def tight_box() -> Iterator[None]:
    """The settings a page saves with: the site's default `savefig.bbox: tight`, fixed ids."""
    with plt.rc_context({"savefig.bbox": "tight", "svg.hashsalt": "techpath"}):
        yield
    plt.close("all")


def lines() -> None:
    _, ax = plt.subplots()
    x = np.linspace(0, 10, 50)
    ax.plot(x, np.sin(x), label="sin")
    ax.plot(x, np.cos(x), label="cos")
    ax.legend(loc="best")
    ax.set_title("title")


def legend_outside() -> None:
    _, ax = plt.subplots()
    ax.plot([1, 2, 3], label="a long label")
    ax.legend(loc="center left", bbox_to_anchor=(1, 0.5))


def scatter_colorbar() -> None:
    figure, ax = plt.subplots(figsize=(4, 3))
    rng = np.random.default_rng(0)
    points = ax.scatter(rng.random(40), rng.random(40), c=rng.random(40), s=12, cmap="coolwarm")
    figure.colorbar(points, ax=ax, label="value")
    ax.set_xlabel("feature 0")


def histogram_bars() -> None:
    _, (left, right) = plt.subplots(1, 2, figsize=(6, 3))
    left.hist(np.random.default_rng(1).normal(size=200), bins=20)
    bars = right.bar(["a", "b", "c"], [3, 5, 2], hatch="//")
    right.bar_label(bars)
    right.tick_params(axis="x", rotation=45)


def grid_with_titles() -> None:
    figure, axes = plt.subplots(2, 2, sharex=True, sharey=True)
    for i, ax in enumerate(axes.flat):
        ax.plot(np.arange(3) * i)
    figure.suptitle("grid")
    figure.supxlabel("x")
    figure.align_labels()


def annotations_and_text() -> None:
    _, ax = plt.subplots()
    ax.plot([0, 1], [0, 1])
    ax.annotate("peak", xy=(0.5, 0.5), xytext=(0.8, 1.3), arrowprops={"arrowstyle": "->"})
    ax.text(1.1, 0.2, "outside", transform=ax.transAxes)
    ax.text(0.1, 0.5, "a long text that wraps " * 4, wrap=True)
    ax.set_xlabel(r"$\alpha^2 + \sum_i x_i$")


def scales_and_dates() -> None:
    figure, (logs, dates) = plt.subplots(1, 2)
    logs.loglog(np.logspace(0, 5, 20), np.logspace(0, 3, 20))
    logs.grid(True, which="both")
    days = [datetime.date(2024, 1, 1) + datetime.timedelta(days=10 * i) for i in range(30)]
    dates.plot(days, range(30))
    figure.autofmt_xdate()


def images_and_locators() -> None:
    from mpl_toolkits.axes_grid1 import make_axes_locatable

    figure, (image, heat) = plt.subplots(1, 2)
    shown = image.imshow(np.eye(5))
    figure.colorbar(shown, cax=make_axes_locatable(image).append_axes("right", size="5%", pad=0.05))
    data = np.arange(9).reshape(3, 3)
    heat.imshow(data)
    for i in range(3):
        heat.text(i, i, str(data[i, i]), ha="center")


def special_axes() -> None:
    figure = plt.figure()
    figure.add_subplot(1, 3, 1, projection="polar").plot(np.linspace(0, 6, 20), np.linspace(0, 1, 20))
    figure.add_subplot(1, 3, 2, projection="3d").plot([0, 1], [0, 1], [0, 1])
    equal = figure.add_subplot(1, 3, 3)
    equal.plot([0, 1, 2], [0, 5, 1])
    equal.set_aspect("equal")
    equal.inset_axes([0.6, 0.6, 0.3, 0.3]).plot([2, 1])


def twin_secondary_offset() -> None:
    _, ax = plt.subplots()
    ax.plot(np.arange(10) + 1e6, np.arange(10) * 1e-7)
    ax.twinx().set_ylabel("right")
    ax.secondary_xaxis("top", functions=(lambda x: 2 * x, lambda x: x / 2)).set_xlabel("top")


def fields() -> None:
    _, ax = plt.subplots()
    x, y = np.meshgrid(np.arange(4), np.arange(4))
    quiver = ax.quiver(x, y, np.cos(x), np.sin(y))  # scaled at its first draw
    ax.quiverkey(quiver, 0.9, 1.05, 1, "1 m/s", labelpos="E")
    ax.axline((0, 0), slope=1)


def offset_boxes_and_tables() -> None:
    from matplotlib.offsetbox import AnnotationBbox, TextArea

    _, (box, table) = plt.subplots(1, 2)
    label = AnnotationBbox(TextArea("box"), (0.5, 0.5), xybox=(1.2, 1.1), boxcoords="axes fraction")
    box.add_artist(label)
    table.axis("off")
    table.table(cellText=[["1", "2"], ["3", "4"]], colLabels=["a", "b"], loc="center")


def subfigures_and_figure_legend() -> None:
    figure = plt.figure()
    left, right = figure.subfigures(1, 2)
    left.subplots().plot([1, 2], label="a")
    right.suptitle("sub")
    figure.legend(loc="upper right")
    figure.text(0.5, 0.02, "figure text")


def explicit_tight_layout() -> None:
    figure, axes = plt.subplots(1, 2)
    axes[0].set_ylabel("long y label")
    axes[1].pie([1, 2, 3], labels=["x", "y", "z"], autopct="%1.0f%%")
    figure.tight_layout()


def limits_moved_and_own_formatter() -> None:
    """An equal aspect that moves the limits while the figure is drawn, and an axis with a
    formatter of its own (not one of matplotlib's plain tickers)."""
    from matplotlib.ticker import FuncFormatter

    _, (equal, formatted) = plt.subplots(1, 2)
    equal.plot([0, 3], [0, 1])
    equal.set_aspect("equal", adjustable="datalim")
    formatted.plot([1, 2, 3])
    formatted.yaxis.set_major_formatter(FuncFormatter(lambda value, position: f"{value:g} m"))


def constrained_layout() -> None:  # a layout engine: the first draw is kept
    _, axes = plt.subplots(1, 2, layout="constrained")
    axes[0].set_title("constrained")


FIGURES: list[Callable[[], None]] = [
    lines,
    legend_outside,
    scatter_colorbar,
    histogram_bars,
    grid_with_titles,
    annotations_and_text,
    scales_and_dates,
    images_and_locators,
    special_axes,
    twin_secondary_offset,
    fields,
    offset_boxes_and_tables,
    subfigures_and_figure_legend,
    explicit_tight_layout,
    limits_moved_and_own_formatter,
    constrained_layout,
]


def matplotlib_saves(make: Callable[[], None], times: int, **options: Any) -> bytes:
    plt.close("all")
    make()
    figure = plt.gcf()
    files = []
    for _ in range(times):
        buffer = io.BytesIO()
        figure.savefig(buffer, **options)
        files.append(buffer.getvalue())
    return b"".join(files)


def techpath_saves(make: Callable[[], None], times: int, **options: Any) -> bytes:
    plt.close("all")
    make()
    figure = plt.gcf()
    return b"".join(saved_bytes(figure, **options) for _ in range(times))


SVG = {"format": "svg", "metadata": {"Date": None}}
PNG = {"format": "png", "dpi": 72, "metadata": {"Software": None}}


@pytest.mark.slow  # seconds: the fast tier keeps the two tests below
@pytest.mark.parametrize("make", FIGURES, ids=lambda f: f.__name__)
def test_the_file_is_matplotlib_s_own_byte_for_byte(make: Callable[[], None]) -> None:
    assert techpath_saves(make, 1, **SVG) == matplotlib_saves(make, 1, **SVG)


def test_the_same_as_svg_and_png_and_when_shown_twice() -> None:
    assert techpath_saves(scatter_colorbar, 1, **SVG) == matplotlib_saves(scatter_colorbar, 1, **SVG)
    assert techpath_saves(legend_outside, 1, **PNG) == matplotlib_saves(legend_outside, 1, **PNG)
    assert techpath_saves(legend_outside, 2, **SVG) == matplotlib_saves(legend_outside, 2, **SVG)


def count_draws(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Every real Figure.draw, as whether the renderer's drawing was on (False: a layout draw)."""
    calls: list[bool] = []
    real = matplotlib.figure.Figure.draw

    def draw(self: Any, renderer: Any) -> None:
        inner = getattr(renderer, "_renderer", renderer)  # SVG draws through a mixed-mode renderer
        calls.append("draw_path" not in vars(inner))  # _draw_disabled() shadows draw_path
        real(self, renderer)

    monkeypatch.setattr(matplotlib.figure.Figure, "draw", draw)
    return calls


def test_a_tight_box_is_drawn_once(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = count_draws(monkeypatch)
    matplotlib_saves(lines, 1, **SVG)
    assert calls == [False, True]  # matplotlib: the layout draw, then the file's
    calls.clear()
    techpath_saves(lines, 1, **SVG)
    assert calls == [True]


def test_the_layout_draw_is_kept_where_something_may_read_it(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = count_draws(monkeypatch)
    techpath_saves(constrained_layout, 1, **SVG)  # a layout engine lays the figure out in it
    assert calls == [False, True]
    calls.clear()
    plt.close("all")
    lines()
    seen: list[Any] = []
    plt.gcf().canvas.mpl_connect("draw_event", seen.append)
    saved_bytes(plt.gcf(), **SVG)
    assert calls == [False, True] and len(seen) == 2  # a listener hears both draws, as usual
    calls.clear()
    with plt.rc_context({"savefig.bbox": "standard"}):  # no tight box: one draw, not skipped
        assert techpath_saves(lines, 1, **SVG) == matplotlib_saves(lines, 1, **SVG)
    assert calls == [True, True]


def test_a_save_without_the_expected_draws_is_made_again_the_usual_way() -> None:
    class OneDraw:
        """A figure whose savefig draws once (a matplotlib that made no layout draw)."""

        canvas = plt.figure().canvas

        def __init__(self) -> None:
            self.drawn = 0

        def get_layout_engine(self) -> None:
            return None

        def draw(self, renderer: Any) -> None:
            self.drawn += 1

        def savefig(self, buffer: io.StringIO, **options: Any) -> None:  # an SVG is text
            before = self.drawn
            self.draw(None)
            buffer.write("drawn" if self.drawn > before else "blank")

    figure = OneDraw()
    assert saved_bytes(figure, format="svg") == b"drawn"
    assert figure.drawn == 1 and "draw" not in vars(figure)


def dense_scatter() -> None:
    _, ax = plt.subplots(figsize=(5, 4))
    rng = np.random.default_rng(0)
    ax.scatter(rng.normal(size=6000), rng.normal(size=6000), c=rng.random(6000), s=4)
    ax.set_title("6000 points")


def test_an_svg_past_its_limit_stops_there_and_below_it_is_matplotlib_s_own(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    whole = matplotlib_saves(lines, 1, **SVG)
    characters = len(whole.decode("utf-8"))  # the limit counts characters (tick labels' minus: 3 bytes)
    assert techpath_saves(lines, 1, limit=characters, **SVG) == whole
    written: list[int] = []
    real = figures._LimitedText.write

    def write(self: Any, text: str) -> int:
        written.append(len(text))
        return real(self, text)

    monkeypatch.setattr(figures._LimitedText, "write", write)
    with pytest.raises(SvgTooLarge):
        techpath_saves(lines, 1, limit=characters - 1, **SVG)
    assert sum(written) == characters  # the file's last write was the one past the limit
    written.clear()
    with pytest.raises(SvgTooLarge):
        techpath_saves(lines, 1, limit=characters // 4, **SVG)
    assert characters // 4 < sum(written) <= characters // 4 + written[-1]  # stopped at once


def test_a_figure_past_the_svg_limit_is_the_png_matplotlib_writes(tmp_path: Any) -> None:
    assert len(matplotlib_saves(dense_scatter, 1, **SVG)) > figures.SVG_LIMIT_BYTES
    png = {"format": "png", "dpi": figures.PNG_DPI, "metadata": {"Software": None}}
    plt.close("all")
    dense_scatter()
    output = figures.save_figure(plt.gcf(), tmp_path, "dense")
    assert output.data["format"] == "png"
    assert (tmp_path / "dense.png").read_bytes() == matplotlib_saves(dense_scatter, 1, **png)
    # the stopped SVG left the figure as it was: saved again, it is matplotlib's own
    plt.close("all")
    dense_scatter()
    figure = plt.gcf()
    with pytest.raises(SvgTooLarge):
        saved_bytes(figure, limit=figures.SVG_LIMIT_BYTES, **SVG)
    assert saved_bytes(figure, **SVG) == matplotlib_saves(dense_scatter, 1, **SVG)
    plt.close("all")
    lines()
    output = figures.save_figure(plt.gcf(), tmp_path, "small")
    assert output.data["format"] == "svg"
    assert (tmp_path / "small.svg").read_bytes() == matplotlib_saves(lines, 1, **SVG)

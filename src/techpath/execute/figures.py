"""Figures and images in a page's output, as Jupyter's inline backend shows them.

What IPython does (matplotlib_inline 0.2, IPython.core.pylabtools.print_figure), checked by
running the same cells with nbclient:

- a figure is saved with `bbox_inches="tight"` (here the site's `matplotlib_rc`, whose default
  `savefig.bbox: tight` is exactly that), so a legend placed outside the axes is kept;
- a figure with no axes and no lines draws nothing: Jupyter shows its text form instead
  (`<Figure size 640x480 with 0 Axes>`), never a blank image;
- matplotlib's own defaults otherwise (the inline backend sets no rc of its own since 0.1.4),
  and a `matplotlibrc` in the notebook's folder, which matplotlib reads from the working folder.

The format is ours: SVG, or PNG at 144 dpi when the SVG would pass 400 kB (a dense scatter).
Images a page displays (`IPython.display.Image`, a PNG or JPEG in a MIME bundle, an SVG) become
figure files the same way, so they are cleaned and served like figures.
"""

from __future__ import annotations

import base64
import binascii
import io
import re
import struct
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from techpath.execute import hooks
from techpath.model import Output

SVG_LIMIT_BYTES = 400_000  # larger figures (dense scatter plots) are saved as PNG instead
PNG_DPI = 144
IMAGE_TYPES = {"image/png": "png", "image/jpeg": "jpg", "image/svg+xml": "svg"}
_SVG_SIZE = re.compile(rb'<svg\b[^>]*?\bwidth="(?P<w>[\d.]+)(?P<u>pt|px)?"[^>]*?\bheight="(?P<h>[\d.]+)')
_SVG_SIZE_HW = re.compile(rb'<svg\b[^>]*?\bheight="(?P<h>[\d.]+)(?P<u>pt|px)?"[^>]*?\bwidth="(?P<w>[\d.]+)')


class PageFigures:
    """The page's figures, as Jupyter's inline backend shows them: at plt.show() and at the end of
    a block every open figure joins the block's output (`add`) and is closed. Routes plt.show()
    here through the page backend (mpl_backend.py) and gives matplotlib the page's settings now
    (warm parent) or when the page imports it; `problems` are the site's settings that bit."""

    def __init__(self, folder: Path, site_rc: dict[str, Any], add: Callable[[Output], None]) -> None:
        self.folder, self.site_rc, self._add = folder, site_rc, add
        self.block_index = 0  # of the block running: figure files are named after it
        self._count = 0
        hooks.show_figures = self.flush
        hooks.matplotlib_ready = lambda: self.problems.extend(apply_site_rc(self.site_rc))
        self.problems = apply_rc(self.site_rc)

    def flush(self) -> None:
        """Show and close every open figure, in order (plt.show(), the end of a cell)."""
        pyplot = sys.modules.get("matplotlib.pyplot")
        if pyplot is None:
            return
        for number in pyplot.get_fignums():
            self.show(pyplot.figure(number), "display")
        pyplot.close("all")

    def show(self, figure: Any, kind: str) -> None:
        if is_empty(figure):  # Jupyter shows its text, never a blank image
            self._add(Output(kind, data={"text/plain": repr(figure)}))  # type: ignore[arg-type]
            return
        sys.modules["matplotlib"].rcParams["svg.hashsalt"] = "techpath"
        self._add(save_figure(figure, self.folder, self.next_name()))

    def next_name(self) -> str:
        self._count += 1
        return f"block{self.block_index + 1:03d}-figure{self._count}"


def apply_rc(site_rc: dict[str, Any]) -> list[str]:
    """matplotlib's settings for this page, as a kernel started in the page's folder would have
    them: the settings file matplotlib would pick from there (a `matplotlibrc` in the folder comes
    first; the warm parent imported matplotlib elsewhere), then the site's `matplotlib_rc`.
    Returns problems with the site's settings."""
    matplotlib = sys.modules.get("matplotlib")
    if matplotlib is None:
        return []  # the page imports it itself, in its own folder: the file is read then
    here = matplotlib.matplotlib_fname()
    if here != hooks.matplotlib_rc_file:
        matplotlib.rc_file(here)
    return apply_site_rc(site_rc)


def apply_site_rc(site_rc: dict[str, Any]) -> list[str]:
    """The site's `matplotlib_rc` on top of matplotlib's own settings; a bad entry is left out
    and named."""
    matplotlib = sys.modules.get("matplotlib")
    if matplotlib is None:
        return []
    problems = []
    for key, value in site_rc.items():
        try:
            matplotlib.rcParams[key] = value
        except (KeyError, ValueError) as exc:
            problems.append(f"techpath option matplotlib_rc: {key}: {exc}")
    matplotlib.rcParams["svg.hashsalt"] = "techpath"  # same figure, same bytes
    return problems


def is_empty(figure: Any) -> bool:
    """What IPython's print_figure skips: nothing would be drawn."""
    return not figure.axes and not figure.lines


def figure_text(figure: Any) -> Output:
    """The text form Jupyter shows for a figure it does not draw."""
    return Output("display", data={"text/plain": repr(figure)})


def save_figure(figure: Any, folder: Path, name: str) -> Output:
    """Save `figure` as `name`.svg (or .png when the SVG would pass SVG_LIMIT_BYTES) in
    `folder`; its figure output. The SVG is written as it is drawn, so a figure that will be a
    PNG stops drawing its SVG once the text passes the limit (`SvgTooLarge`) instead of drawing
    all of it for nothing: the same choice, as what was written is the start of the whole file
    and a character is at least a byte (the encoded file is still measured, for the rest)."""
    colours = {"facecolor": figure.get_facecolor(), "edgecolor": figure.get_edgecolor()}
    alt = figure_alt_text(figure)
    try:
        data = saved_bytes(figure, limit=SVG_LIMIT_BYTES, format="svg", metadata={"Date": None}, **colours)
    except SvgTooLarge:
        data = None
    if data is not None and len(data) <= SVG_LIMIT_BYTES:
        return _write(folder, name, "svg", data, alt)
    data = saved_bytes(figure, format="png", dpi=PNG_DPI, metadata={"Software": None}, **colours)
    return _write(folder, name, "png", data, alt)


class SvgTooLarge(Exception):
    """The SVG being saved passed its limit (`saved_bytes(limit=...)`)."""


class _LimitedText(io.StringIO):
    """What an SVG save writes to, with a limit in characters: the write that passes it raises
    SvgTooLarge, which ends the save there (matplotlib restores the figure on the way out)."""

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.left = limit

    def write(self, text: str) -> int:
        written = super().write(text)  # bytes raise TypeError: matplotlib then knows it is text
        self.left -= written
        if self.left < 0:
            raise SvgTooLarge
        return written


def _buffer(options: dict[str, Any], limit: int | None) -> io.StringIO | io.BytesIO:
    """An SVG is written as text and encoded once at the end: the same bytes as matplotlib's
    own UTF-8 writer around a binary file gives, chunk by chunk, with one Python call per
    write fewer."""
    if options.get("format") != "svg":
        return io.BytesIO()
    return io.StringIO() if limit is None else _LimitedText(limit)


def _value(buffer: io.StringIO | io.BytesIO) -> bytes:
    value = buffer.getvalue()
    return value.encode("utf-8") if isinstance(value, str) else value


def saved_bytes(figure: Any, limit: int | None = None, **options: Any) -> bytes:
    """`figure.savefig(buffer, **options)`'s bytes, drawn once instead of twice for a tight box;
    for an SVG with `limit`, SvgTooLarge as soon as its text passes `limit` characters.

    For a tight box (`savefig.bbox: tight`) matplotlib's `print_figure` draws the figure twice:
    first with the renderer's drawing turned off, for the layout, then for real into the file,
    after measuring the box (`get_tightbbox`, which lays out what it measures itself: ticks,
    titles, labels, legends, aspect, axes locators). Without a layout engine that first draw
    leaves nothing the box or the file reads: skipping it gives the same bytes
    (tests/test_figure_draws.py compares every kind of figure, SVG and PNG), at 20-40% less CPU
    per figure. It is drawn as usual when a layout engine runs in it (tight or constrained
    layout), when something listens to the figure's draws (`draw_event`), when the figure's
    `draw` is already replaced, and when matplotlib did not draw as expected (then the figure
    is saved again, the usual way)."""
    buffer = _buffer(options, limit)
    if not _layout_draw_skippable(figure):
        figure.savefig(buffer, **options)
        return _value(buffer)
    draws = []  # renderers handed to the figure's draw, the skipped first one included

    def draw(renderer: Any) -> None:
        draws.append(renderer)
        if len(draws) > 1:
            type(figure).draw(figure, renderer)

    figure.draw = draw
    try:
        figure.savefig(buffer, **options)
    finally:
        del figure.draw
    if len(draws) != 2:  # not the layout draw then the file's: save it as matplotlib would
        buffer = _buffer(options, limit)
        figure.savefig(buffer, **options)
    return _value(buffer)


def _layout_draw_skippable(figure: Any) -> bool:
    listeners = getattr(getattr(figure.canvas, "callbacks", None), "callbacks", None)
    return (
        sys.modules["matplotlib"].rcParams["savefig.bbox"] == "tight"
        and figure.get_layout_engine() is None
        and "draw" not in vars(figure)
        and isinstance(listeners, dict)
        and not listeners.get("draw_event")
    )


def image_output(mime: str, value: str, folder: Path, name: str, alt: str) -> Output | None:
    """An image from a MIME bundle (base64 PNG/JPEG, SVG text) as a figure output; None when the
    value is not an image of that type."""
    fmt = IMAGE_TYPES[mime]
    if fmt == "svg":
        data = value.encode("utf-8")
        if b"<svg" not in data[:4096]:
            return None
    else:
        try:
            data = base64.b64decode(value, validate=False)
        except (binascii.Error, ValueError):
            return None
        signature = b"\x89PNG\r\n\x1a\n" if fmt == "png" else b"\xff\xd8"
        if not data.startswith(signature):
            return None
    return _write(folder, name, fmt, data, alt)


def _write(folder: Path, name: str, fmt: str, data: bytes, alt: str) -> Output:
    (folder / f"{name}.{fmt}").write_bytes(data)
    width, height = image_size(data, fmt)
    return Output(
        "figure",
        data={
            "file": f"{name}.{fmt}",
            "format": fmt,
            "alt": alt,
            "width": str(width),
            "height": str(height),
        },
    )


def image_size(data: bytes, fmt: str) -> tuple[int, int]:
    """Width and height in CSS pixels of the saved image (the tight box, not the figure size):
    SVG in points (72 per inch), PNG at PNG_DPI, JPEG by its own pixels."""
    if fmt == "svg":
        match = _SVG_SIZE.search(data[:4096]) or _SVG_SIZE_HW.search(data[:4096])
        if match:
            scale = 96 / 72 if (match["u"] or b"pt") == b"pt" else 1.0
            return round(float(match["w"]) * scale), round(float(match["h"]) * scale)
        return 0, 0
    if fmt == "png" and data[12:16] == b"IHDR":
        width, height = struct.unpack(">II", data[16:24])
        return round(width * 96 / PNG_DPI), round(height * 96 / PNG_DPI)
    if fmt == "jpg":
        return _jpeg_size(data)
    return 0, 0


def _jpeg_size(data: bytes) -> tuple[int, int]:
    index = 2
    while index + 9 < len(data):
        if data[index] != 0xFF:
            return 0, 0
        marker = data[index + 1]
        length = int.from_bytes(data[index + 2 : index + 4], "big")
        if marker in (0xC0, 0xC1, 0xC2):
            height, width = struct.unpack(">HH", data[index + 5 : index + 9])
            return width, height
        index += 2 + length
    return 0, 0


def figure_alt_text(figure: Any) -> str:
    """A description from the figure's own titles and axis labels."""
    parts = []
    suptitle = figure._suptitle.get_text() if getattr(figure, "_suptitle", None) else ""
    if suptitle:
        parts.append(suptitle)
    for axes in figure.get_axes():
        bits = [axes.get_title()]
        if axes.get_xlabel() or axes.get_ylabel():
            bits.append(
                f"x axis: {axes.get_xlabel() or 'unlabelled'}, y axis: {axes.get_ylabel() or 'unlabelled'}"
            )
        described = "; ".join(b for b in bits if b)
        if described:
            parts.append(described)
    return "Figure: " + (". ".join(parts) if parts else "a plot produced by the code above")

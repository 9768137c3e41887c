"""Which part of a MIME bundle is shown (execute/rich.py), how objects become bundles
(execute/display.py), image sizes from the saved files (execute/figures.py), and what the
package adds to a stranger's site for highlighting (site/assets.py)."""

from __future__ import annotations

import base64
import struct
import zlib

import pytest

from techpath.execute.display import bundle_from_data, mime_bundle
from techpath.execute.figures import image_size
from techpath.execute.rich import choose
from techpath.site.assets import missing_extensions

PLOTLY = "application/vnd.plotly.v1+json"


def png(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\xff\xff\xff" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


@pytest.mark.parametrize(
    ("bundle", "image", "kept", "problem"),
    [
        ({"text/html": "<b>x</b>", "text/plain": "x"}, None, ["text/html", "text/plain"], ""),
        ({PLOTLY: "{}", "image/png": "AAAA", "text/plain": "Figure()"}, "image/png", [], ""),
        ({PLOTLY: "{}", "text/html": "<div></div><script>Plotly.newPlot()</script>"}, None, [], PLOTLY),
        (
            {"application/vnd.dataresource+json": "{}", "text/html": "<table></table>"},
            None,
            ["text/html"],
            "",
        ),
        ({"text/markdown": "**a**", "text/plain": "a"}, None, ["text/markdown", "text/plain"], ""),
        ({"image/svg+xml": "<svg/>", "image/png": "AAAA", "text/plain": "p"}, "image/svg+xml", [], ""),
        ({"text/latex": "$x$", "text/plain": "x"}, None, ["text/latex", "text/plain"], ""),
        ({"application/x-strange": "?", "text/plain": "s"}, None, ["text/plain"], "application/x-strange"),
        ({"text/plain": "just text"}, None, ["text/plain"], ""),
    ],
)
def test_the_part_of_a_bundle_jupyter_would_show(
    bundle: dict[str, str], image: str | None, kept: list[str], problem: str
) -> None:
    shown = choose(bundle)
    assert (shown.image, shown.kept) == (image, kept)
    assert shown.problem.startswith(problem) if problem else shown.problem == ""


def test_an_interactive_output_without_a_static_image_says_how_to_get_one() -> None:
    problem = choose({PLOTLY: "{}", "text/plain": "Figure()"}).problem
    assert "fig.show('png')" in problem and "kaleido" in problem


class Everything:
    def _repr_html_(self) -> str:
        return "<i>h</i>"

    def _repr_png_(self) -> bytes:
        return b"\x89PNG"

    def _repr_json_(self) -> dict[str, int]:
        return {"a": 1}

    def _repr_latex_(self) -> tuple[str, dict[str, str]]:
        return "$y$", {}


class Broken:
    def _repr_html_(self) -> str:
        raise RuntimeError("a repr that fails")


def test_every_repr_method_ipython_calls_is_collected() -> None:
    bundle = mime_bundle(Everything())
    assert bundle["text/html"] == "<i>h</i>"
    assert base64.b64decode(bundle["image/png"]) == b"\x89PNG"
    assert bundle["application/json"] == '{"a": 1}'
    assert bundle["text/latex"] == "$y$"
    # IPython names an object without a repr of its own this way (no "object", as Jupyter shows)
    assert bundle["text/plain"].startswith("<tests.test_rich_outputs.Everything at 0x")
    assert set(mime_bundle(Broken())) == {"text/plain"}  # a failing repr never fails the block
    assert bundle_from_data({"image/png": b"\x89PNG", "text/plain": "p", 3: "x"}) == {
        "image/png": "iVBORw==",
        "text/plain": "p",
    }


def test_image_sizes_come_from_the_saved_file() -> None:
    svg = b'<svg xmlns="http://www.w3.org/2000/svg" width="460.8pt" height="345.6pt" viewBox="0 0 460 345">'
    assert image_size(svg, "svg") == (614, 461)  # points at 96/72
    assert image_size(png(288, 144), "png") == (192, 96)  # saved at 144 dpi, shown at 96
    assert image_size(b"not an image", "png") == (0, 0)


def test_a_material_site_without_a_highlighter_gets_one() -> None:
    assert missing_extensions(["toc"], "material") == ["md_in_html", "attr_list", "pymdownx.superfences"]
    assert "pymdownx.superfences" not in missing_extensions([{"codehilite": {}}], "material")
    assert "pymdownx.superfences" not in missing_extensions(["pymdownx.superfences"], "material")
    assert missing_extensions(["md_in_html", "attr_list"], "mkdocs") == []  # its own highlight.js

    class AutorefsLikeExtension:  # another plugin may add an extension object
        pass

    assert missing_extensions([AutorefsLikeExtension(), "md_in_html", "attr_list"], "material") == [
        "pymdownx.superfences"
    ]


def test_a_widget_is_named_as_one() -> None:
    """ipywidgets' bundle (nbclient keeps the view's JSON and a text form): no static image can
    stand for a widget, so the note says what it is instead of advising plotly's PNG renderer."""
    from techpath.execute.rich import WIDGET, choose

    bundle = {
        WIDGET: '{"model_id": "m1", "version_major": 2}',
        "text/plain": "interactive(children=(IntSlider(value=5), Output()))",
    }
    shown = choose(bundle)
    assert shown.kept == ["text/plain"]
    assert shown.problem.startswith(f"{WIDGET} output not shown: a Jupyter widget (ipywidgets)")
    assert "needs a running kernel" in shown.problem and "plotly" not in shown.problem

"""KaTeX typesetting at build time, on plain HTML as arithmatex produces it."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from techpath.site import math
from techpath.site.math import MathRenderer

KATEX = Path(__file__).resolve().parents[1] / "node_modules" / "katex"


@pytest.fixture(scope="module")
def renderer():
    r = MathRenderer(KATEX)
    yield r
    r.close()


def test_inline_and_display_math_are_typeset_with_mathml(renderer: MathRenderer) -> None:
    html = (
        '<p>A hat: <span class="arithmatex">\\(\\hat{y} &lt; 1\\)</span></p>'
        '<div class="arithmatex">\\[\\sum_{i=1}^{n} x_i\\]</div>'
    )
    out, errors = renderer.render_html(html)
    assert errors == []
    assert "arithmatex" not in out
    assert out.count('class="katex"') == 2
    assert 'class="katex-display"' in out
    assert "<mo>&lt;</mo>" in out  # the escaped "<" reached KaTeX as a real less-than sign
    assert '<annotation encoding="application/x-tex">\\hat{y} &lt; 1</annotation>' in out


def test_bad_tex_is_reported_and_left_visible(renderer: MathRenderer) -> None:
    out, errors = renderer.render_html('<span class="arithmatex">\\(\\frac{1}\\)</span>')
    assert len(errors) == 1 and errors[0].tex == "\\frac{1}"
    assert "techpath-math-error" in out and "\\frac{1}" in out


def test_a_site_without_katex_uses_the_one_in_the_wheel(tmp_path: Path) -> None:
    r = MathRenderer(tmp_path)  # no node_modules/katex here
    out, errors = r.render_html('<span class="arithmatex">\\(x^2\\)</span>')
    r.close()
    assert r.katex_dir == math.BUNDLED_KATEX and errors == [] and 'class="katex"' in out
    assert set(math.katex_asset_paths(tmp_path)) >= {
        "assets/katex/katex.min.css",
        "assets/katex/fonts/KaTeX_Main-Regular.woff2",
    }


def test_quickjs_and_node_typeset_alike() -> None:
    in_process = MathRenderer(KATEX)
    with_node = MathRenderer(KATEX, node=math.find_node())
    for tex, display in [("\\hat{y} < 1", False), ("\\sum_{i=1}^{n} x_i", True), ("\\frac{1}", False)]:
        assert in_process.render_formula(tex, display) == with_node.render_formula(tex, display)
    assert in_process._process is None and with_node._process is not None
    in_process.close()
    with_node.close()


def test_no_typesetter_is_one_line_and_math_stays_source(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "quickjs", None)  # import fails

    def no_node() -> str:
        raise RuntimeError("no node")

    monkeypatch.setattr(math, "find_node", no_node)
    r = MathRenderer(tmp_path)
    page = '<span class="arithmatex">\\(x^2\\)</span>'
    assert r.render_html(page) == (page, [])
    r.close()
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no math typesetter" in err


def test_typeset_formulas_are_kept_between_builds(tmp_path: Path) -> None:
    page = (
        '<p><span class="arithmatex">\\(x^2\\)</span> and <span class="arithmatex">\\(\\frac{1}\\)</span></p>'
    )
    memo = tmp_path / "math.json"
    first = MathRenderer(KATEX, memo_file=memo)
    typeset, errors = first.render_html(page)
    first.close()
    assert memo.is_file() and len(errors) == 1

    # The next build: every formula is known, so Node is never started (this one cannot be).
    second = MathRenderer(KATEX, node=str(tmp_path / "no-node"), memo_file=memo)
    again, errors_again = second.render_html(page)
    assert again == typeset
    assert [e.tex for e in errors_again] == ["\\frac{1}"]  # a bad formula is still an error
    with pytest.raises(OSError):  # a formula not seen before needs Node
        second.render_html('<span class="arithmatex">\\(y^3\\)</span>')
    second.close()


def test_a_memo_from_another_katex_is_ignored(tmp_path: Path) -> None:
    memo = tmp_path / "math.json"
    memo.write_text('{"version": "other", "formulas": [["x^2", false, "<b>stale</b>", null]]}')
    renderer = MathRenderer(KATEX, memo_file=memo)
    out, _ = renderer.render_html('<span class="arithmatex">\\(x^2\\)</span>')
    renderer.close()
    assert "stale" not in out and 'class="katex"' in out
    memo.write_text("{not json")
    renderer = MathRenderer(KATEX, memo_file=memo)
    assert 'class="katex"' in renderer.render_html('<span class="arithmatex">\\(x^2\\)</span>')[0]
    renderer.close()


def test_inline_math_at_the_start_of_a_line_stays_in_its_paragraph(renderer: MathRenderer) -> None:
    import markdown

    from techpath.parse.texmath import typeset_markdown
    from techpath.stage.finish import RegionMarkers

    markers = RegionMarkers.new()

    def typeset(tex: str, display: bool) -> tuple[str | None, str | None]:
        html, error = renderer.render_formula(tex, display)
        return (markers.keep(html, block=False) if html is not None else None), error

    text = "Give the inner sum a name,\n$z = wx + b$, so that the output is\n$\\tanh(z)$. Then go on."
    staged, problems = typeset_markdown(text, typeset)
    assert problems == []
    html = markdown.Markdown(extensions=["md_in_html", "attr_list"]).convert(staged)
    assert html.count("<p>") == 1 and html.count('class="katex"') == 2, html
    assert "<mo>&#61;</mo>" in html or "<mo>=</mo>" in html  # the symbols are all there

"""KaTeX typesetting at build time, on plain HTML as arithmatex produces it."""

from __future__ import annotations

from pathlib import Path

import pytest

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


def test_missing_katex_gives_an_instruction(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="npm ci"):
        MathRenderer(tmp_path)


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

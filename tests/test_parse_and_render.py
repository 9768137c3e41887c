"""Unit tests on plain text: fences and their options, Markdown rewriting, output HTML."""

from __future__ import annotations

import markdown

from techpath.model import BlockError, BlockResult, Output, PageResult
from techpath.parse.fences import find_fences
from techpath.render.html import render_block, sanitize
from techpath.render.markdown import OutputSlots, rewrite_markdown

TEXT = """\
Intro

```python title="a.py" hide-output
a = 1
```

??? math "Box"
    Formula.

    ```py
    b = 2
    ```

````markdown
```python
not_executed = True
```
````

~~~{.python .hide}
secret = 3
~~~
"""


def test_fences_are_found_with_options_lines_and_nesting() -> None:
    fences = [f for f in find_fences(TEXT) if f.executable]
    assert [f.code for f in fences] == ["a = 1", "b = 2", "secret = 3"]
    assert [f.first_code_line for f in fences] == [4, 11, 21]
    assert fences[0].options.hide_output and fences[0].kept_info == 'python title="a.py"'
    assert fences[1].indent == "    "
    assert fences[2].options.hide and fences[2].kept_info == "{.python}"


def test_unknown_and_malformed_options_are_problems() -> None:
    (fence,) = find_fences('```python hidden timeout="-1" skip=yes\nx\n```\n')
    assert len(fence.problems) == 3
    assert "unknown option 'hidden'" in fence.problems[0]
    assert "positive number of seconds" in fence.problems[1]
    assert "takes no value" in fence.problems[2]


def test_unclosed_python_fence_is_a_problem() -> None:
    (fence,) = find_fences("```python\nx = 1\n")
    assert fence.problems == [
        "this python block is never closed (expected ``` at the indentation of its opening line)"
    ]
    assert not fence.executable  # superfences shows those lines as Markdown: nothing of it runs


def test_rewrite_strips_options_drops_hidden_and_places_slots_in_boxes() -> None:
    slots = OutputSlots()
    page = slots.for_page("p.md")
    result = PageResult("p.md", [BlockResult(i, "ok") for i in range(3)])
    out = rewrite_markdown(TEXT, page, result)
    assert '```python title="a.py"\na = 1' in out and "hide-output" not in out
    assert f"    {page.token(1)}" in out  # inside the math box, indented like its block
    assert "secret" not in out and page.token(2) not in out  # hidden, and it did not fail
    assert "not_executed = True" in out  # examples inside other fences are left alone
    html = markdown.markdown(out, extensions=["admonition", "pymdownx.details", "pymdownx.superfences"])
    filled = slots.fill(html, lambda uri, i: f"<div>OUT {uri} {i}</div>")
    assert "<div>OUT p.md 0</div>" in filled and "<div>OUT p.md 1</div>" in filled
    assert "TECHPATH" not in filled


def test_failed_hidden_block_still_shows_its_error() -> None:
    slots = OutputSlots()
    page = slots.for_page("p.md")
    error = BlockError("NameError", "boom", 21, "p.md:21")
    result = PageResult(
        "p.md", [BlockResult(0, "ok"), BlockResult(1, "ok"), BlockResult(2, "error", error=error)]
    )
    assert page.token(2) in rewrite_markdown(TEXT, page, result)


def test_output_html_escapes_text_and_sanitizes_rich_html() -> None:
    block = BlockResult(
        0,
        "ok",
        outputs=[
            Output("stream", name="stdout", text="<b>not bold</b>\n"),
            Output(
                "result",
                data={"text/plain": "T", "text/html": '<table onclick="x()"><tr><td>1</td></tr></table>'},
            ),
            Output("display", data={"text/html": "<script>alert(1)</script><p>kept</p>"}),
        ],
    )
    html = render_block(block, lambda name: name)
    assert "&lt;b&gt;not bold&lt;/b&gt;" in html
    assert (
        "<table><tbody><tr><td>1</td></tr></tbody></table>" in html
        or "<table><tr><td>1</td></tr></table>" in html
    )
    assert "onclick" not in html and "<script" not in html and "alert" not in html and "<p>kept</p>" in html
    assert render_block(BlockResult(0, "ok"), lambda n: n) == ""


def test_sanitizer_keeps_estimator_diagram_pieces() -> None:
    cleaned = sanitize(
        '<style>.sk{color:red}</style><input type="checkbox" id="a" checked><label for="a">x</label>'
    )
    # kept, but scoped to the output's box, with the ids renamed consistently
    assert "<style>#o-box .sk{color: red}</style>" in cleaned
    assert 'type="checkbox"' in cleaned and 'id="o-a"' in cleaned and 'for="o-a"' in cleaned

"""markdown-exec's fences written as it writes them: dedented Markdown and block results in,
HTML out (render/mdexec.py). Nothing runs here: results are made by hand."""

from __future__ import annotations

import html
import re
import textwrap

import pytest

from techpath.model import BlockError, BlockResult, Output
from techpath.parse.fences import find_fences
from techpath.render.markdown import OutputSlots, ViewSlot, rewrite_markdown
from techpath.render.mdexec import SiteMarkdown, View, ViewRenderer

EXTENSIONS = [
    {"toc": {"permalink": True}},
    "admonition",
    "attr_list",
    "md_in_html",
    "pymdownx.superfences",
    {"pymdownx.tabbed": {"alternate_style": True}},
]


def text_of(fragment: str) -> str:
    """What a reader sees of some HTML (tags dropped, entities read)."""
    return html.unescape(re.sub(r"<[^>]+>", "", fragment))


def printed(text: str, index: int = 0) -> BlockResult:
    return BlockResult(index, "ok", [Output("stream", name="stdout", text=text)])


def render(page: str, *results: BlockResult, extensions: list | None = None) -> View:
    """The first markdown-exec fence of `page` as HTML, its blocks' results given in order."""
    text = textwrap.dedent(page)
    views: list[ViewSlot] = []
    rewrite_markdown(text, OutputSlots().for_page("p.md"), None, None, False, views)
    slot = views[0]
    by_index = {r.index: r for r in results}
    renderer = ViewRenderer(SiteMarkdown(extensions or EXTENSIONS), by_index.get)
    return renderer.render(slot.fence, slot.first_block, slot.number)


def test_what_a_block_prints_is_markdown_with_its_ids_prefixed_and_headings_for_the_contents() -> None:
    view = render(
        """
        ```python exec="1"
        print("## Commands\\n\\n**bold** and [a link](#commands)")
        ```
        """,
        printed("## Commands\n\n**bold** and [a link](#commands)\n"),
    )
    assert '<h2 id="exec-1--commands">Commands' in view.html
    assert '<strong>bold</strong> and <a href="#exec-1--commands">a link</a>' in view.html
    assert [(h.level, h.id, h.title) for h in view.headings] == [(2, "exec-1--commands", "Commands")]
    assert view.problems == []


@pytest.mark.parametrize(
    ("options", "anchor", "in_contents"),
    [
        ('idprefix=""', "commands", True),
        ('idprefix="cli-"', "cli-commands", True),
        ('id="super-cli"', "super-cli-commands", True),
        ('idprefix="" updatetoc="no"', "commands", False),
    ],
)
def test_idprefix_id_and_updatetoc(options: str, anchor: str, in_contents: bool) -> None:
    view = render(
        f'```python exec="1" {options}\nprint(1)\n```\n', printed("#### Commands\n\n[to it](#commands)\n")
    )
    assert f'<h4 id="{anchor}">' in view.html and f'href="#{anchor}"' in view.html
    assert bool(view.headings) == in_contents


def test_source_layouts_and_tab_titles() -> None:
    run = printed("I'm the result!\n")
    above = render('```python exec="1" source="above"\nprint("x")\n```\n', run).html
    below = render('```python exec="1" source="below"\nprint("x")\n```\n', run).html
    assert above.index("highlight") < above.index("the result") and below.index("the result") < below.index(
        "highlight"
    )
    block = render('```python exec="1" source="block"\nprint("x")\n```\n', run).html
    assert '<div class="result">' in block
    left = render(
        '```python exec="1" source="tabbed-left" tabs="Code \\| pipe|Out"\nprint("x")\n```\n', run
    ).html
    right = render('```python exec="1" source="tabbed-right"\nprint("x")\n```\n', run).html
    assert left.index(">Code | pipe</label>") < left.index(">Out</label>")
    assert right.index(">Result</label>") < right.index(">Source</label>")
    console = render('```pycon exec="1" source="console"\n>>> print("hi")\nhi\n```\n', printed("hi\n")).html
    assert (
        console.count("<pre") == 1
        and "&gt;&gt;&gt;" in console
        and console.index("print") < console.rindex("hi")
    )


def test_hidden_lines_run_but_are_not_shown_and_title_stays_on_the_source() -> None:
    view = render(
        '```python exec="1" source="above" title="hello.py"\n'
        'print("a")\nprint("<hr>")  # markdown-exec: hide\n```\n',
        printed("a\n<hr>\n"),
    )
    assert "markdown-exec: hide" not in view.html and '<span class="filename">hello.py</span>' in view.html
    assert "<hr" in view.html  # it ran: its output is there


def test_result_wraps_the_output_in_a_code_block_of_that_language() -> None:
    view = render('```console exec="1" result="ini"\n$ cat setup.cfg\n```\n', printed("[tool]\nname = x\n"))
    assert '<span class="k">[tool]</span>' in view.html and "<p>" not in view.html  # the ini lexer


def test_html_output_goes_through_the_html_policy() -> None:
    hostile = '<b>bold</b><script>alert(1)</script><img src="x.png" alt="x" onerror="alert(2)">'
    view = render('```python exec="1" html="1"\nprint(1)\n```\n', printed(hostile))
    assert "<b>bold</b>" in view.html
    assert "<script" not in view.html and "onerror" not in view.html and "alert" not in view.html
    assert any("<script>" in p for p in view.problems) and any("onerror" in p for p in view.problems)
    with_source = render('```python exec="1" html="1" source="above"\nprint(1)\n```\n', printed("<em>x</em>"))
    assert "<em>x</em>" in with_source.html and "TECHPATHMDX" not in with_source.html


def test_a_literate_block_renders_its_markdown_with_its_fences_run_where_they_stand() -> None:
    view = render(
        """
        ````md exec="1" source="tabbed-left"
        A list:

        - one

        ```python exec="1"
        print("**from the nested block**")
        ```

        ```python
        only_shown = True
        ```
        ````
        """,
        printed("**from the nested block**\n"),
    )
    rendered = view.html.split('<div class="tabbed-block">')[2]
    assert "<li>one</li>" in rendered and "<strong>from the nested block</strong>" in rendered
    assert "only_shown" in rendered and "exec=" not in rendered  # the plain fence is shown as code
    source = view.html.split('<div class="tabbed-block">')[1]
    assert "exec=&quot;1&quot;" in source or 'exec="1"' in source  # the source tab shows it as written


def test_a_tree_is_drawn() -> None:
    view = render('```tree icons="basic"\nroot/\n    a.py\n    docs/\n        index.md\n```\n')
    shown = text_of(view.html)
    assert "📁 root/\n├── 📄 a.py\n└── 📁 docs/\n    └── 📄 index.md" in shown


def test_tabs_without_pymdownx_tabbed_are_an_error_not_a_garbled_page() -> None:
    view = render(
        '```python exec="1" source="tabbed-left"\nprint(1)\n```\n',
        printed("1\n"),
        extensions=["pymdownx.superfences"],
    )
    assert view.html == "" and "pymdownx.tabbed" in view.problems[0]


def test_output_that_holds_an_executed_fence_is_refused_and_a_printed_tree_is_drawn() -> None:
    generated = '```python exec="1"\nprint("never run")\n```\n\n```tree\nroot/\n    a.txt\n```\n'
    view = render('```python exec="1"\nprint(1)\n```\n', printed(generated))
    assert "never run" in view.html and "└── 📄 a.txt" in text_of(view.html)
    assert view.problems == [
        "this block's output holds an executed python fence: techpath runs only the code written in "
        "the page, never code a block prints; write that block into the page"
    ]


def test_a_failed_block_shows_what_it_printed_as_code_and_a_skipped_one_its_source() -> None:
    error = BlockError("ShellExit", "exited with code 1", 2, "p.md:2")
    failed = BlockResult(0, "error", [Output("stream", name="stdout", text="**not markdown**\n")], error)
    view = render('```bash exec="1"\necho "**not markdown**"; exit 1\n```\n', failed)
    assert "<strong>" not in view.html and "**not markdown**" in text_of(view.html)
    skipped = render('```bash exec="1"\necho shown\n```\n', BlockResult(0, "skipped"))
    assert "echo shown" in text_of(skipped.html)


def test_the_page_keeps_a_slot_for_each_view_and_its_blocks_panels() -> None:
    page = textwrap.dedent("""\
        ```python
        x = 1
        ```

        ````md exec="1"
        ```python exec="1"
        print(x)
        ```
        ````

        ```bash exec="off"
        echo shown
        ```
        """)
    slots = OutputSlots().for_page("p.md")
    views: list[ViewSlot] = []
    out = rewrite_markdown(page, slots, None, None, True, views)
    assert [(v.first_block, v.number) for v in views] == [(1, 1)]
    assert slots.view_token(0) in out and slots.token(1) in out and slots.token(0) in out
    assert "```bash\necho shown\n```" in out  # exec="off": a fence superfences takes
    assert len(find_fences(out)) == 2


def test_an_svg_printed_as_html_becomes_an_image_of_it_cleaned() -> None:
    import base64

    from techpath.safety.svg import clean_svg

    svg = (
        '<?xml version="1.0"?>\n<svg width="40" height="20" onload="alert(1)">'
        '<script>alert(2)</script><rect width="10" height="10" fill="red"/></svg>'
    )
    text = textwrap.dedent('```python exec="1" html="1"\nprint(1)\n```\n')
    views: list[ViewSlot] = []
    rewrite_markdown(text, OutputSlots().for_page("p.md"), None, None, False, views)
    renderer = ViewRenderer(SiteMarkdown(EXTENSIONS), {0: printed(f"<div>{svg}</div>")}.get, clean_svg)
    view = renderer.render(views[0].fence, 0, 1)
    assert view.problems == [] and "<svg" not in view.html and "<script" not in view.html
    encoded = re.search(r'src="data:image/svg\+xml;base64,([^"]+)"', view.html)
    assert encoded is not None
    image = base64.b64decode(encoded[1]).decode()
    assert "<rect" in image and "script" not in image and "onload" not in image
    # not readable as an SVG file: refused by the policy, with what to write instead
    unreadable = {0: printed("<svg><text>t</text><g></svg>")}
    broken = ViewRenderer(SiteMarkdown(EXTENSIONS), unreadable.get, clean_svg)
    refused = broken.render(views[0].fence, 0, 1)
    assert "<text" not in refused.html and "plt.show()" in refused.problems[0]


def test_terminal_colours_become_classes_and_other_escapes_go() -> None:
    coloured = "\x1b[1;32mready\x1b[0m plain \x1b[31;44mred on blue\x1b[39m still blue\x1b[2K\n"
    view = render('```bash exec="1" result="ansi"\necho\n```\n', printed(coloured))
    assert '<span class="techpath-ansi-green-fg techpath-ansi-bold">ready</span> plain ' in view.html
    assert '<span class="techpath-ansi-blue-bg techpath-ansi-red-fg">red on blue</span>' in view.html
    assert '<span class="techpath-ansi-blue-bg"> still blue</span>' in view.html
    assert "\x1b" not in view.html and "[2K" not in view.html and view.problems == []


def test_a_fence_in_a_list_item_has_its_output_filled_inside_that_item() -> None:
    import markdown

    from techpath.stage.assembly import inert_except_images

    page = '1. Step:\n\n    ```python exec="1"\n    print(1)\n    ```\n\n2. Next.\n'
    slots = OutputSlots()
    out = rewrite_markdown(page, slots.for_page("p.md"), None, None, True, [])
    filled = slots.fill(
        out,
        lambda _page, _index: '\n\n<div class="panel">a*b*c</div>\n\n',
        lambda _page, _number: '\n\n<div class="view">view</div>\n\n',
        inert_except_images,
    )
    rendered = markdown.markdown(filled, extensions=["pymdownx.superfences", "md_in_html"])
    first_item = rendered[rendered.index("<li>") : rendered.index("</li>")]
    assert "view" in first_item and "a&#42;b&#42;c" in first_item  # in the item, not read as Markdown
    assert rendered.count("<ol>") == 1  # the list goes on after it

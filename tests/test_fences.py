"""The fence parser finds exactly the fences pymdownx.superfences finds (so the page and the code
that runs agree block by block), claims markdown-exec's fences, and reads code with the site's
pymdownx.snippets includes expanded. Dedented Markdown in, fences and blocks out."""

from __future__ import annotations

import textwrap
from pathlib import Path

import markdown
import pytest

from techpath.parse import load_post
from techpath.parse.fences import executable_fences, find_fences
from techpath.parse.mdexec import MdExec
from techpath.parse.snippets import Snippets


def superfences_blocks(text: str) -> list[tuple[int, int, str]]:
    """(first line, last line, code) of every block pymdownx.superfences itself stores."""
    md = markdown.Markdown(extensions=["pymdownx.superfences", "admonition", "pymdownx.details"])
    processor = md.preprocessors["fenced_code_block"]
    found: list[tuple[int, int, str]] = []
    original_store, original_block = processor._store, processor.rebuild_block

    def store(source: str, code: str, start: int, end: int) -> None:
        found.append((start, end - 1, last_code[-1]))
        original_store(source, code, start, end)

    last_code: list[str] = []

    def rebuild(lines: list[str]) -> str:
        last_code.append(original_block(lines))
        return last_code[-1]

    processor._store, processor.rebuild_block = store, rebuild
    md.convert(text)
    return found


# Each text is read by both parsers; they must find the same blocks with the same code.
SAME_AS_SUPERFENCES = {
    "a longer closing fence is content": "```text\na\n````\nb\n```\n",
    "an indented closing fence is content": "```text\na\n    ```\nb\n```\n",
    "an indented ``` in a string literal does not close": '```python\ns = """\n    ```\n"""\nprint(s)\n```\n',
    "tildes close only tildes": "~~~text\n```\n~~~\n",
    "a line indented less ends the attempt": "- item\n\n    ```text\n    a\nb\n    ```\n\n```text\nc\n```\n",
    "in a blockquote": "> ```text\n> a\n>\n> b\n> ```\n",
    "in an admonition": "!!! note\n\n    ```text\n    x\n\n    y\n    ```\n",
    "in a nested list": "1. one\n    - two\n\n        ```text\n        deep\n        ```\n",
    "never closed": "```text\nx\n",
    "options superfences refuses": '```text foo="1"\nx\n```\n\n```text\ny\n```\n',
    "highlight options it takes": '```text title="a.py" hl_lines="1"\nx\n```\n',
    "backtick in the info string": "```a`b\nx\n```\n",
    "attributes in braces": "```{.text #anchor}\nx\n```\n",
    "blank lines inside": "  ```text\n  a\n\n  b\n  ```\n",
    "closing fence with trailing spaces": "```text\na\n```   \n",
    "tabs as indentation": "-\titem\n\n\t```text\n\tx\n\t```\n",
    "a fence of four holds a fence of three": "````md\n```text\nx\n```\n````\n",
    "a closing fence indented less than its opening": "    ```text\n    a\n  ```\n    ```\n",
}


@pytest.mark.parametrize("name", sorted(SAME_AS_SUPERFENCES))
def test_fences_are_the_ones_superfences_finds(name: str) -> None:
    text = SAME_AS_SUPERFENCES[name]
    ours = [(f.start, f.end, f.code) for f in find_fences(text) if f.closed]
    assert ours == superfences_blocks(text)


def test_the_code_that_runs_is_the_code_the_page_shows_block_by_block() -> None:
    page = textwrap.dedent('''\
        Intro.

        ```python
        s = """
            ```
        """
        print(s)
        ```

        !!! note

            ```python
            inside = 1
            ```

        ```text
        ```python
        not_run = True
        ```
        ''')
    shown = [code for _s, _e, code in superfences_blocks(page)]
    run = [f.code for f in executable_fences(page)]
    assert run == [c for c in shown if "not_run" not in c and "text" not in c]
    assert run == ['s = """\n    ```\n"""\nprint(s)', "inside = 1"]


def test_a_python_block_that_breaks_its_indentation_is_an_error_and_does_not_run() -> None:
    page = "- step\n\n    ```python\n    x = 1\ny = 2\n    ```\n"
    (fence,) = find_fences(page)
    assert not fence.executable and fence.problems == [
        "this python block stops being a block at line 5, which is indented less than its opening "
        "fence (superfences then shows every line as Markdown); indent the whole block, or close it "
        "with ``` before that line"
    ]
    (unclosed,) = find_fences("```python\nx = 1\n")
    assert not unclosed.executable
    assert unclosed.problems == [
        "this python block is never closed (expected ``` at the indentation of its opening line)"
    ]


# -- markdown-exec's fences ------------------------------------------------------------------------
MDEXEC_PAGE = textwrap.dedent("""\
    ```python exec="1" source="tabbed-left" tabs="Code \\| more|Output" session="s" title="a.py"
    print("hi")
    ```

    ```pycon exec="on" source="console"
    >>> x = 1
    >>> print(x)
    1
    ```

    ```console exec="true" returncode="2" workdir="sub" width="40"
    $ ls
    file
    % echo done
    ```

    ````md exec="1" source="tabbed-right"
    Text with a `python` fence that is only shown:

    ```python
    shown_only = True
    ```

    ```bash exec="1"
    echo nested
    ```
    ````

    ```tree
    root/
        a.py
    ```

    ```bash exec="off"
    echo shown
    ```

    ```python exec="0"
    print("shown, not run")
    ```
    """)


def test_markdown_exec_fences_are_claimed_with_their_options() -> None:
    fences = find_fences(MDEXEC_PAGE)
    assert [f.kind for f in fences] == ["mdexec", "mdexec", "mdexec", "mdexec", "mdexec", "plain", "python"]
    python, pycon, console, literate, tree, bash_off, python_off = fences
    assert python.mdexec == MdExec(
        "python",
        source="tabbed-left",
        tabs=("Code | more", "Output"),
        session="s",
        extra=(("title", "a.py"),),
    )
    assert python.options.mdexec and python.options.session == "s"
    assert (pycon.options.language, console.options.language) == ("python", "sh")
    assert (console.options.returncode, console.options.workdir, console.options.width) == (2, "sub", 40)
    assert [c.language for c in literate.children] == ["python", "bash"]
    assert [c.kind for c in literate.children] == ["code", "mdexec"]  # inside md, no exec: only shown
    # lines of the page, not of the literate block
    assert literate.children[1].start == MDEXEC_PAGE.split("\n").index('```bash exec="1"')
    assert tree.mdexec is not None and not tree.executable
    assert bash_off.kept_info == "bash" and not bash_off.problems
    assert python_off.options.skip and python_off.kept_info == "python"
    runs = executable_fences(MDEXEC_PAGE)
    assert [f.language for f in runs] == ["python", "pycon", "console", "bash", "python"]


def test_transcripts_run_their_commands_on_their_own_lines_and_show_their_prompts() -> None:
    pycon, console = MdExec("pycon"), MdExec("console")
    transcript = ">>> x = 1\n>>> print(x)\n1\n... \n>>> y = 2  # markdown-exec: hide"
    assert pycon.run_code(transcript) == "x = 1\nprint(x)\n\n\ny = 2  # markdown-exec: hide"
    assert pycon.shown_code(transcript) == ">>> x = 1\n>>> print(x)\n..."
    assert console.run_code("$ ls\nfile\n% pwd") == "ls\n\npwd"
    assert console.shown_code("$ ls\nfile\n% pwd") == "$ ls\n% pwd"
    assert MdExec("python").shown_code("a = 1\nb = 2  # markdown-exec: hide\n") == "a = 1"


@pytest.mark.parametrize(
    ("fence", "problem"),
    [
        ("```python exec=1\nx\n```", "option values must be quoted, as superfences reads them"),
        ('```javascript exec="1"\nx\n```', "this javascript block is shown as code; remove exec"),
        ("```pyodide\nx\n```", "pyodide fences load Pyodide, Ace and highlight.js from CDNs"),
        ('```python exec="1" source="left"\nx\n```', 'source="left" is not one of markdown-exec\'s'),
        ('```bash exec="1" returncode="x"\nx\n```', 'returncode="x" needs a whole number'),
        ('```bash exec="1" workdir="/tmp"\nx\n```', "give a folder relative to the site's folder"),
        ('```python exec="1" color="red"\nx\n```', "unknown option 'color' on a markdown-exec python block"),
        ('```python exec="1" tabs="one"\nx\n```', "needs two titles, source first"),
        ('```tree icons="fancy"\nx\n```', 'icons="fancy": expected auto'),
    ],
)
def test_what_markdown_exec_would_garble_is_an_error_and_shown_as_code(fence: str, problem: str) -> None:
    (found,) = find_fences(fence)
    assert found.kind == "plain" and not found.executable
    assert any(problem in p for p in found.problems), found.problems
    assert found.kept_info.split()[0] in ("python", "javascript", "bash", "tree")


def test_a_page_reports_markdown_exec_problems_at_the_fence_line(tmp_path: Path) -> None:
    path = tmp_path / "page.md"
    path.write_text(
        "# T\n\n```pyodide\nprint(1)\n```\n\n"
        '````md exec="1"\n```bash exec="1" returncode="no"\nx\n```\n````\n'
    )
    post = load_post(path)
    assert [(p.line, p.message[:40]) for p in post.problems] == [
        (3, "pyodide fences load Pyodide, Ace and hig"),
        (8, 'returncode="no" needs a whole number, e.'),
    ]
    assert post.blocks == []


# -- snippets ----------------------------------------------------------------------------------------
def _site_with_snippets(tmp_path: Path) -> tuple[Path, Snippets]:
    (tmp_path / "snippets").mkdir()
    (tmp_path / "snippets" / "plot.py").write_text("x = 6 * 7\nprint(x)\n")
    (tmp_path / "secret.txt").write_text("token\n")
    page = tmp_path / "docs" / "page.md"
    page.parent.mkdir()
    page.write_text(
        textwrap.dedent("""\
            # Page

            ```python exec="1" source="above"
            --8<-- "plot.py"
            print("after")
            ```

            ;--8<-- "plot.py"

            ```python
            --8<-- "../secret.txt"
            ```
            """)
    )
    return page, Snippets.from_config({"base_path": ["snippets"], "check_paths": False}, tmp_path)


def test_an_include_inside_an_executed_block_runs_what_the_page_shows(tmp_path: Path) -> None:
    page, snippets = _site_with_snippets(tmp_path)
    post = load_post(page, snippets=snippets)
    first, second = post.blocks
    assert first.source == 'x = 6 * 7\nprint(x)\n\nprint("after")'
    # included lines are the include's line; the page's own keep theirs
    assert [first.file_line(k) for k in range(1, 5)] == [4, 4, 4, 5]
    assert first.location(post.display_path, 4) == f"{post.display_path}:5"
    # restrict_base_path (the default) keeps ../secret.txt out: the include is dropped
    assert second.source == "" and second.line == 12
    unexpanded = load_post(page)  # a site without the snippets extension runs the lines as written
    assert unexpanded.blocks[0].source.startswith('--8<-- "plot.py"')


def test_expansion_is_pymdownx_snippets_own_and_escapes_stay_escaped_for_the_generator(
    tmp_path: Path,
) -> None:
    page, snippets = _site_with_snippets(tmp_path)
    text = page.read_text()
    expanded = snippets.expand(text)
    md = markdown.Markdown(
        extensions=["pymdownx.snippets"],
        extension_configs={"pymdownx.snippets": {"base_path": [str(tmp_path / "snippets")]}},
    )
    assert expanded.text.split("\n") == md.preprocessors["snippet"].run(text.split("\n"))
    staged = snippets.page_text(expanded)
    assert ';--8<-- "plot.py"' in staged  # the generator's own pass turns it back into the text
    assert md.preprocessors["snippet"].run(staged.split("\n")) == expanded.text.split("\n")


def test_a_missing_include_under_check_paths_is_an_error_at_its_line(tmp_path: Path) -> None:
    page, _ = _site_with_snippets(tmp_path)
    page.write_text('# P\n\n```python exec="1"\n--8<-- "nowhere.py"\n```\n')
    strict = Snippets.from_config({"base_path": ["snippets"], "check_paths": True}, tmp_path)
    post = load_post(page, snippets=strict)
    assert [(p.line, p.message[:60]) for p in post.problems] == [
        (4, "pymdownx.snippets: Snippet at path 'nowhere.py' could not be")
    ]


def test_a_fence_in_an_indented_code_block_is_code_on_the_page_and_does_not_run() -> None:
    page = (
        "Para.\n\n    ```python\n    x = 1\n    ```\n\n"
        "!!! note\n\n    text\n\n        ```python\n        y = 2\n        ```\n"
    )
    html = markdown.markdown(page, extensions=["pymdownx.superfences", "admonition"])
    assert html.count("<pre><code>```python") == 2  # superfences turns both back into their text
    fences = find_fences(page)
    assert [f.executable for f in fences] == [False, False]
    assert all("shows it as an indented code block" in f.problems[0] for f in fences)
    in_a_list = find_fences("- step\n\n    ```python\n    z = 3\n    ```\n")
    assert [f.executable for f in in_a_list] == [True]

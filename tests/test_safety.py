"""Units of techpath.safety: each attack class held at the function that stops it."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path

import pytest

from techpath.cache import Cache
from techpath.model import BlockResult, Output, PageResult, Post
from techpath.parse.frontmatter import FrontMatter, PostSchema, validate_post_meta
from techpath.render.html import render_output
from techpath.safety import csp, css
from techpath.safety.outputs import scoped_output
from techpath.safety.paths import checked_download_name, confinement_problems, snippet_problems
from techpath.safety.policy import check_html
from techpath.safety.svg import UnsafeSvg, clean_svg


def _figure(name: str, **extra: str) -> Output:
    return Output("figure", data={"file": name, "format": name.rsplit(".", 1)[-1], **extra})


def test_a_cache_entry_naming_a_file_outside_its_folder_is_discarded(tmp_path: Path) -> None:
    cache = Cache(tmp_path / "cache")
    folder = cache.entry_dir("e" * 64)
    folder.mkdir(parents=True)
    hostile = PageResult("p.md", [BlockResult(0, "ok", outputs=[_figure("../../../../etc/hostname")])])
    (folder / "result.json").write_text(json.dumps(hostile.to_json()))
    assert cache.load("e" * 64) is None
    assert not folder.exists()  # removed: the page executes again


def test_a_result_naming_a_foreign_figure_file_is_stored_without_it(tmp_path: Path) -> None:
    cache = Cache(tmp_path / "cache")
    (tmp_path / "figs").mkdir()
    result = PageResult("p.md", [BlockResult(0, "ok", outputs=[_figure("../secret.svg")])])
    stored = cache.store("f" * 64, result, tmp_path / "figs")
    assert stored.blocks[0].outputs[0].kind == "note"
    assert "not one the engine writes" in stored.blocks[0].outputs[0].text


def test_figure_attributes_are_checked_and_escaped() -> None:
    bad = _figure("block001-figure1.svg", width='1" onload="alert(1)', height="2")
    html = render_output(bad, lambda name: name)
    assert "<img" not in html and html.count("<") == 2  # a note: <p>...</p>, the value as text
    good = _figure("block001-figure1.svg", width="640", height="480", alt='a "quoted" <alt>')
    html = render_output(good, lambda name: name)
    assert 'width="640"' in html and 'alt="a &quot;quoted&quot; &lt;alt&gt;"' in html


def test_svg_loses_every_active_part_and_keeps_the_drawing() -> None:
    evil = (
        b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
        b'onload="alert(1)"><script>alert(2)</script><foreignObject><div/></foreignObject>'
        b'<a xlink:href="javascript:alert(4)"><rect width="10" height="10" onclick="alert(6)"/></a>'
        b'<animate attributeName="href" to="javascript:alert(5)"/><set attributeName="onclick"/>'
        b'<use href="https://evil.example/x.svg#a"/><use xlink:href="#local"/>'
        b"<style>@import url(https://evil.example/a.css); rect{fill:url(https://evil.example/p)}</style>"
        b'<image href="https://evil.example/i.png"/><path d="M0 0L1 1" clip-path="url(#c1)"/></svg>'
    )
    clean = clean_svg(evil).decode()
    for word in ("script", "foreignObject", "onload", "onclick", "javascript", "animate", "evil.example"):
        assert word not in clean, word
    assert 'd="M0 0L1 1"' in clean and 'clip-path="url(#c1)"' in clean and "#local" in clean


def test_svg_attribute_tricks_are_caught_on_the_quick_path_too() -> None:
    """Values without ':' or '(' skip the URL checks: none of these may slip through, whatever
    whitespace or case hides the scheme or the url(), and a style seen before (memoised) is
    cleaned the same way every time."""
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg">'
        '<rect fill="java&#9;script:alert(1)" stroke="VBScript:alert(2)" width="1" height="1"/>'
        '<rect fill="URL(https://evil.example/a)" filter="url( https://evil.example/b)"/>'
        '<rect style="fill: url(https://evil.example/c); stroke: #000" mask="url(#m1)"/>'
        '<rect style="fill: #123; stroke: #000; behavior: x" d="M 0 0 L 1 1 z"/>'
        '<rect style="fill: #123; stroke: #000; behavior: x"/>'
        "</svg>"
    )
    for _ in range(2):  # the second time, the style comes from the memo
        clean = clean_svg(svg.encode()).decode()
        for word in ("script", "evil.example", "VBScript"):
            assert word not in clean, word
        assert 'mask="url(#m1)"' in clean and 'd="M 0 0 L 1 1 z"' in clean
        assert clean.count('style="fill: #123; stroke: #000"') == 2 and 'width="1"' in clean


def test_svg_with_entity_declarations_is_refused() -> None:
    bomb = b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "aaaa">]><svg xmlns="http://www.w3.org/2000/svg">&a;</svg>'
    with pytest.raises(UnsafeSvg):
        clean_svg(bomb)


def test_output_styles_are_scoped_and_ids_prefixed() -> None:
    markup = (
        "<style>:root{--c:red} body{background:url(https://evil.example/x)} .md-header{display:none}"
        "#sk-1 .x{color:red} @media (max-width: 9px){.y{position:fixed;color:blue}}"
        "@import url(https://evil.example/a.css);</style>"
        '<div id="sk-1"><input type="checkbox" id="t"><label for="t">x</label><a href="#t">y</a></div>'
        '<div style="position:fixed;inset:0;background:url(//evil.example/p)">Session expired</div>'
    )
    out = scoped_output(markup, "p-")
    assert "#p-box{--c: red}" in out and "#p-box .md-header{display: none}" in out
    assert "#p-box #p-sk-1 .x{color: red}" in out and "@media (max-width: 9px){#p-box .y{color: blue}}" in out
    assert 'id="p-t"' in out and 'for="p-t"' in out and 'href="#p-t"' in out
    assert "evil.example" not in out and "fixed" not in out and "@import" not in out


def test_css_tricks_that_hide_url_are_dropped() -> None:
    for value in (
        "u\\72l(https://e.x/a)",
        "expression(alert(1))",
        "image-set('https://e.x/a' 1x)",
        "x</style>",
    ):
        assert css.declaration_problem("background", value) is not None, value
    assert css.declaration_problem("color", "red") is None


@pytest.mark.parametrize(
    ("fragment", "word"),
    [
        ('<a href="&#106;avascript:alert(1)">x</a>', "javascript"),
        ('<a href="java&NewLine;script:alert(1)">x</a>', "javascript"),
        ('<a href="  JAVASCRIPT:alert(1)">x</a>', "javascript"),
        ('<a href="vbscript:msgbox(1)">x</a>', "vbscript"),
        ('<img alt="x" src="//evil.example/p.png">', "another host"),
        ('<img alt="x" src="data:text/html;base64,PHNjcmlwdD4=">', "data:"),
        ("<base href='https://evil.example/'>", "<base>"),
        ('<link rel="stylesheet" href="https://evil.example/x.css">', "<link>"),
        ("<embed src=x.swf>", "<embed>"),
        ("<template><img src=x onerror=alert(1)></template>", "<template>"),
        ('<a href="#" data-md-component="search">x</a>', "data-md"),
        ('<button formaction="javascript:alert(1)">x</button>', "<button>"),
    ],
)
def test_policy_refuses(fragment: str, word: str) -> None:
    messages = " ".join(v.message for v in check_html(fragment))
    assert word in messages, fragment


def test_policy_keeps_what_posts_need() -> None:
    fragment = (
        "<details><summary>More</summary><kbd>Ctrl</kbd>+<kbd>C</kbd> H<sub>2</sub>O x<sup>2</sup></details>"
        '<table><tr><th align="left">a</th><td style="text-align: center;">b</td></tr></table>'
        '<img src="plot.png" alt="a plot"><img alt="dot" src="data:image/png;base64,iVBORw0KGgo=">'
        '<a href="https://scikit-learn.org/">docs</a> <a href="../x/">x</a> <a href="#fn:1">1</a>'
        '<input checked="checked" id="__tabbed_1_1" name="__tabbed_1" type="radio">'
    )
    assert check_html(fragment) == []


def test_csp_hashes_inline_scripts_only() -> None:
    page = (
        '<html><head><script>var a=1</script><script src="x.js"></script>'
        '<script id="__config" type="application/json">{"a":1}</script></head><body></body></html>'
    )
    expected = base64.b64encode(hashlib.sha256(b"var a=1").digest()).decode()
    assert csp.inline_script_hashes(page) == [f"'sha256-{expected}'"]
    policy = csp.policy_text(csp.inline_script_hashes(page), {"img-src": ["https://img.example"]})
    assert "'unsafe-inline'" not in policy.split("style-src")[0]
    assert "img-src 'self' data: https://img.example" in policy
    assert csp.with_policy(page, policy).startswith('<html><head><meta http-equiv="Content-Security-Policy"')


def test_inputs_slugs_and_download_names_stay_inside(tmp_path: Path) -> None:
    post_dir = tmp_path / "docs" / "blog" / "posts"
    post_dir.mkdir(parents=True)
    meta = {
        "slug": "../../x",
        "inputs": ["../../../../etc/passwd", "/etc/passwd", "../data/ok.csv", ".git/config"],
    }
    post = Post(post_dir / "p.md", meta, [], "")
    messages = [p.message for p in confinement_problems(post, tmp_path)]
    assert any("slug" in m for m in messages)
    assert sum("outside the repository" in m for m in messages) == 1
    assert any("relative to the post" in m for m in messages) and any(".git" in m for m in messages)
    assert not any("ok.csv" in m for m in messages)
    with pytest.raises(ValueError):
        checked_download_name("../../evil")
    assert checked_download_name("first-classifier") == "first-classifier"


def test_snippets_may_not_reach_the_git_folder(tmp_path: Path) -> None:
    """A base path at the repository's top is allowed (README.md, CHANGELOG.md), but every include
    is checked where it resolves: .git, a symlink into it or out of the repository is refused."""
    import markdown

    from techpath.parse.snippets import Snippets, confined_extension

    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "config").write_text("[core] repositoryformatversion = 0\n")
    (tmp_path / "snippets").mkdir()
    (tmp_path / "README.md").write_text("Read me.\n")
    (tmp_path / "snippets" / "config.md").symlink_to(tmp_path / ".git" / "config")
    outside = tmp_path.parent / f"{tmp_path.name}-outside.md"
    outside.write_text("outside\n")
    (tmp_path / "snippets" / "far.md").symlink_to(outside)
    assert snippet_problems(["."], True, tmp_path) == []
    assert snippet_problems(["snippets"], False, tmp_path)
    settings = {"base_path": [".", "snippets"], "check_paths": True}
    snippets = Snippets.from_config(settings, tmp_path)
    assert snippets.expand('--8<-- "README.md"').text.strip() == "Read me."
    for include in (".git/config", "config.md", "far.md"):
        expanded = snippets.expand(f'--8<-- "{include}"')
        assert "repositoryformatversion" not in expanded.text and "outside" not in expanded.text
        ((line, message),) = expanded.problems
        assert line == 1 and "is refused" in message, message
    # the extension the MkDocs plugin puts in place of the site's own (docstrings, other plugins)
    settings = {"base_path": [str(tmp_path), str(tmp_path / "snippets")], "check_paths": True}
    md = markdown.Markdown(extensions=[confined_extension(settings, tmp_path)])
    assert "Read me." in md.convert('--8<-- "README.md"')
    with pytest.raises(Exception, match=r"is refused: it resolves into \.git"):
        md.convert('--8<-- ".git/config"')


def test_tags_with_html_characters_are_schema_errors() -> None:
    meta = {
        "title": "T", "description": "D", "date": __import__("datetime").date(2026, 1, 1),
        "authors": ["a"], "categories": ["c"], "tags": ["fine", "<svg/onload=alert(1)>"],
    }  # fmt: skip
    problems = validate_post_meta(FrontMatter(meta, 0, {"tags": 7}), "p.md", PostSchema())
    assert [p.line for p in problems if "tags" in p.message] == [7]
    assert "plain words" in problems[0].message


@pytest.mark.parametrize(
    ("fragment", "shown"),
    [  # html.parser reads one title; a browser reads a title and then what the title held
        ('<p title==" style=position:fixed;inset:0;z-index:99999 ">Session expired</p>', "style"),
        ('<details title==" open ontoggle=alert(1) "><summary>x</summary></details>', "ontoggle"),
        ('<p title="x"\u00a0class=md-consent__overlay>y</p>', "md-consent"),
    ],
)
def test_tags_are_written_as_checked_and_differentials_are_refused(fragment: str, shown: str) -> None:
    from techpath.safety.policy import clean_html
    from techpath.safety.starttag import browser_attributes

    out, violations = clean_html(fragment)
    assert any("a browser reads other attributes" in v.message for v in violations)
    # the browser sees the attribute html.parser read, nothing else: the tag is written again
    start = out[: out.index(">") + 1]
    names = [name for name, _ in browser_attributes(start)]
    assert names == ["title"], start
    assert shown not in browser_attributes(start)[0][0]


def test_prose_may_not_cover_the_page_or_dress_as_the_theme() -> None:
    for fragment, word in [
        ('<p style="position:absolute;top:0">x</p>', "position"),
        ('<p style="position: sticky">x</p>', "position"),
        ('<p style="z-index: 99999">x</p>', "z-index"),
        ('<p style="inset: 0">x</p>', "inset"),
        ('<p style="margin-top: -900px">x</p>', "negative"),
        ('<p style="transform: translateY(-100vh)">x</p>', "transform"),
        ('<p style="box-shadow: 0 0 0 100vmax white">x</p>', "box-shadow"),
        ('<div class="md-consent__overlay">x</div>', "md-* classes"),
        ("<p>a\u202eb</p>", "U+202E"),
        ('<p title="a\u2066b">x</p>', "U+2066"),
    ]:
        messages = " ".join(v.message for v in check_html(fragment))
        assert word in messages, fragment
    kept = (
        '<a class="md-button md-button--primary" href="x/">Go</a>'
        '<p style="color: red; margin: 0 1em">a\u200fb</p>'
    )
    assert check_html(kept) == []


def test_text_the_parser_did_not_read_as_a_tag_stays_text() -> None:
    from techpath.safety.policy import clean_html

    out, _ = clean_html('a < b <img src=x onerror=alert(1) alt="x"')
    assert "<img" not in out and "&lt;img" in out


def test_a_download_runs_only_the_code_its_page_shows(tmp_path: Path) -> None:
    import subprocess
    import sys

    from techpath.model import BlockOptions
    from techpath.parse.fences import find_fences
    from techpath.render.notebooks import Cell, to_script

    fence = find_fences(
        "```python raises='(print(\"PWNED-raises\"), Exception)[1]'\nraise ValueError('bad')\n```"
    )[0]
    assert fence.problems and "exception class name" in fence.problems[0]
    assert fence.options.raises == ""  # never the expression
    breaks = "\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
    cells = [
        Cell("markdown", "".join(f'prose{c}print("PWNED-prose-{ord(c)}")' for c in breaks)),
        Cell("code", 'x = 1\rprint("PWNED-skip")', block=0, options=BlockOptions(skip=True)),
        Cell("code", "raise ValueError('bad')", block=1, options=fence.options),
        Cell("code", "raise KeyError('k')", block=2, options=BlockOptions(raises="builtins.KeyError")),
        Cell("code", "print('shown')", block=3),
    ]
    title = 'T"""\nprint("PWNED-title")\n"""\\'
    script = tmp_path / "post.py"
    script.write_text(
        to_script(cells, title, "https://x.example/\rprint('PWNED-url')", None, "pip install a")
    )
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "PWNED" not in done.stdout + done.stderr
    assert done.stdout.splitlines() == ["ValueError: bad", "KeyError: 'k'", "shown"]
    import ast

    assert ast.get_docstring(ast.parse(script.read_text()), clean=False).startswith(title)


def test_notebook_downloads_hold_what_the_page_holds() -> None:
    from techpath.render.notebooks import Cell, to_notebook

    output = Output(
        "result",
        data={
            "text/plain": "x",
            "text/html": "<script>alert(1)</script><img src=x onerror=alert(2)><b>kept</b>",
        },
    )
    result = PageResult("p.md", [BlockResult(0, "ok", outputs=[output])])
    cells = [
        Cell("markdown", 'Text <img src="x.png" alt="x" onerror="alert(3)">\n\n[l](javascript:alert(4))'),
        Cell("markdown", "Plain prose with [a link](https://example.org/) and `code`."),
        Cell("code", "x", block=0),
    ]
    notebook = to_notebook(cells, result)
    text = json.dumps(notebook)
    for word in ("<script", "onerror", "javascript:"):
        assert word not in text, word
    assert "<b>kept</b>" in text
    assert notebook["cells"][1]["source"] == cells[1].source  # clean prose stays Markdown


def test_files_outside_the_repository_or_in_git_are_never_read(tmp_path: Path) -> None:
    from techpath.safety.files import FileGate
    from techpath.safety.paths import input_problem

    repo, outside = tmp_path / "repo", tmp_path / "outside"
    (repo / "docs" / "data").mkdir(parents=True)
    (repo / ".git").mkdir()
    (repo / ".git" / "config").write_text("[core]")
    outside.mkdir()
    (outside / "secret.txt").write_text("secret")
    (repo / "docs" / "leak.txt").symlink_to(outside / "secret.txt")
    (repo / "docs" / "data" / "cfg.csv").symlink_to(Path("../../.git/config"))
    (repo / "docs" / "inside.md").symlink_to(repo / "docs" / "page.md")
    (repo / "docs" / "page.md").write_text("# Page")
    gate = FileGate(repo, repo / "docs")
    leak = gate.publish("leak.txt", repo / "docs" / "leak.txt")
    assert leak.source is None and leak.data is None and "outside the repository" in leak.problems[0].message
    assert "into .git" in gate.publish("data/cfg.csv", repo / "docs" / "data" / "cfg.csv").problems[0].message
    assert gate.publish("inside.md", repo / "docs" / "inside.md").source is not None  # a link inside is fine
    problem = input_problem("data/cfg.csv", repo / "docs", repo)
    assert problem is not None and ".git" in problem
    (repo / "docs" / "folder").symlink_to(outside)
    assert [p.path for p in gate.fatal_problems()] == ["docs/folder"]


def test_active_files_need_the_sites_allowance_and_are_cleaned(tmp_path: Path) -> None:
    from techpath.safety.files import FileGate

    docs = tmp_path / "docs"
    (docs / "js").mkdir(parents=True)
    (docs / "theme").mkdir()
    evil = (
        '<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)">'
        '<script>alert(2)</script><rect width="1"/></svg>'
    )
    for name in ("a.svg", "b.svg"):
        (docs / name).write_text(evil)
    (docs / "page.html").write_text(
        "<html><head><title>T</title><script>x()</script></head>\n<body>\n<p>kept</p>\n"
        "<img src=x alt=y onerror=z()>\n</body></html>"
    )
    (docs / "js" / "site.js").write_text("1")
    (docs / "theme" / "main.html").write_text("{% extends 'base.html' %}")
    config = {"extra_javascript": ["js/site.js"], "theme": {"custom_dir": "docs/theme"}}
    gate = FileGate.for_site(tmp_path, docs, ["a.svg", "page.html"], config)
    assert gate.publish("b.svg", docs / "b.svg").problems[0].message.count("static_allow") == 1
    svg = gate.publish("a.svg", docs / "a.svg")
    assert (
        svg.data is not None
        and b"<rect" in svg.data
        and b"script" not in svg.data
        and b"onload" not in svg.data
    )
    page = gate.publish("page.html", docs / "page.html")
    assert page.data is not None and b"<p>kept</p>" in page.data and b"<title>T</title>" in page.data
    assert b"script" not in page.data and b"onerror" not in page.data
    assert [(p.line, "onerror" in p.message) for p in page.problems] == [(4, True)]
    for uri in ("js/site.js", "theme/main.html"):  # what the site's own configuration loads
        assert gate.publish(uri, docs / uri).source == docs / uri

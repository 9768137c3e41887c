"""Issue 27 as plain functions: paths relative to the environment, exceptions read error-first
with library frames folded, copy buttons that each have their own block, the path moved into
the theme's navigation, landmarks with distinct names, the search index's words and concepts,
and downloads that name their post and the data they need. The browser tests
(test_browser_follow_along.py) check the same on the built site."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import sysconfig
from pathlib import Path

from techpath.execute.shown_paths import shown_paths
from techpath.model import BlockError, BlockResult, Output
from techpath.render.html import render_block
from techpath.render.notebooks import Cell, DataFiles, to_script
from techpath.render.tracebacks import exception_html, parse
from techpath.site.pages import PathEntry, path_menu_html, post_end_html
from techpath.site.path_sections import PathSections
from techpath.site.search import SearchIndex, for_indexing, indexed_text, lesson_words, math_box_entries
from techpath.site.theme import add_reader_script, finish_theme, name_landmarks, number_code_blocks

SITE_PACKAGES = sysconfig.get_paths()["purelib"]
SECTIONS = PathSections.from_config(["Tools", "Recipes"], ["Tools", "Recipes", "Essays"])

# -- paths ---------------------------------------------------------------------------------------


def test_paths_are_shown_relative_to_the_environment_and_the_build() -> None:
    text = (
        f'  File "{SITE_PACKAGES}/sklearn/base.py", line 1403, in wrapper\n'
        f"{sys.prefix}/bin/python: /srv/site/docs/blog/posts/x.md:3: UserWarning"
    )
    shown = shown_paths(text, "/srv/site")
    assert 'File "site-packages/sklearn/base.py", line 1403' in shown
    assert "<env>/bin/python: docs/blog/posts/x.md:3: UserWarning" in shown
    assert SITE_PACKAGES not in shown and sys.prefix not in shown


def test_only_whole_folders_are_replaced_and_other_text_is_left_alone() -> None:
    # a folder whose name merely starts like the build folder is another folder
    assert shown_paths("/srv/site2/data.csv and /srv/site", "/srv/site") == "/srv/site2/data.csv and ."
    assert shown_paths("no path here: 3/4 of the data", "/srv/site") == "no path here: 3/4 of the data"
    assert shown_paths("", "/srv/site") == ""
    # the page's own file stays as its errors' locations name it, even outside the build folder
    own = f"{sys.prefix}/post.md"
    assert shown_paths(f'File "{own}", line 2', keep=own) == f'File "{own}", line 2'


# -- exceptions ----------------------------------------------------------------------------------

TRACEBACK = """Traceback (most recent call last):
  File "docs/blog/posts/grid.md", line 348, in <module>
    search.fit(X, y)
  File "site-packages/sklearn/base.py", line 1403, in wrapper
    return fit_method(estimator, *args, **kwargs)
           ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
  File "site-packages/joblib/parallel.py", line 2012, in __call__
    return output
  File "docs/blog/posts/grid.md", line 12, in helper
    raise ValueError("bad <b>value</b>")
ValueError: bad <b>value</b>
    second line of the message
"""


def test_an_exception_reads_message_first_then_own_frames_with_library_frames_folded() -> None:
    out = exception_html(TRACEBACK)
    message = out.index("techpath-exception__message")
    assert message < out.index("techpath-frame--own")
    assert "ValueError: bad &lt;b&gt;value&lt;/b&gt;\n    second line of the message" in out  # escaped
    assert "<b>" not in out
    assert out.count("techpath-frame--own") == 2
    folded = re.findall(r'<details class="techpath-frames"><summary>([^<]*)</summary>', out)
    assert folded == ["2 frames inside sklearn, joblib"]
    assert "Traceback (most recent call last)" not in out
    assert "site-packages/joblib/parallel.py&quot;, line 2012" in out  # one click away, not lost


def test_chained_exceptions_keep_their_order_and_the_last_one_leads() -> None:
    text = (
        'Traceback (most recent call last):\n  File "p.md", line 2, in <module>\n    int("x")\n'
        "ValueError: invalid literal\n\n"
        "During handling of the above exception, another exception occurred:\n\n"
        'Traceback (most recent call last):\n  File "p.md", line 4, in <module>\n    raise KeyError("k")\n'
        "KeyError: 'k'\n"
    )
    sections = parse(text)
    assert sections is not None and [s.exception for s in sections] == [
        ["ValueError: invalid literal"],
        ["KeyError: 'k'"],
    ]
    out = exception_html(text)
    # the error first; below it the chain in Python's order: the cause, the sentence, the rest
    assert out.index("KeyError: &#x27;k&#x27;") < out.index("ValueError: invalid literal")
    assert out.index("ValueError: invalid literal") < out.index("During handling")


def test_text_that_is_not_a_traceback_is_shown_as_it_is() -> None:
    assert parse("Timeout: the page ran too long") is None
    assert "Timeout: the page ran too long" in exception_html("Timeout: the page ran too long")


def test_a_block_that_raises_on_purpose_is_labelled_as_an_error_and_a_failure_says_where() -> None:
    raised = BlockResult(
        0, "ok", outputs=[Output("stream", name="stdout", text="hi\n"), Output("error", text=TRACEBACK)]
    )
    panel = render_block(raised, lambda name: name)
    assert 'class="techpath-output techpath-raised"' in panel and "techpath-error" not in panel
    failed = BlockResult(
        1, "error", error=BlockError("NameError", "name 'clf' is not defined", 7, "docs/p.md:7", TRACEBACK)
    )
    panel = render_block(failed, lambda name: name)
    assert 'class="techpath-output techpath-error"' in panel
    assert panel.index("NameError: name &#x27;clf&#x27; is not defined") < panel.index("docs/p.md:7")


def test_an_empty_table_header_becomes_a_cell() -> None:
    table = (
        "<table><thead><tr><th></th><th>a</th></tr></thead>"
        "<tbody><tr><th>0</th><td>1</td></tr></tbody></table>"
    )
    panel = render_block(BlockResult(0, "ok", outputs=[Output("result", data={"text/html": table})]), str)
    assert "<th></th>" not in panel and "<td></td><th>a</th>" in panel


# -- the theme's markup --------------------------------------------------------------------------

PAGE = """<html><body>
<div class="md-sidebar md-sidebar--primary"><nav class="md-nav md-nav--primary" aria-label="Navigation">
<ul class="md-nav__list" data-md-scrollfix>
<li class="md-nav__item md-nav__item--active md-nav__item--section md-nav__item--nested">
<div class="md-nav__link md-nav__container"><a href="../" class="md-nav__link ">
<span class="md-ellipsis">
    Posts
  </span></a>
<label class="md-nav__link " for="__nav_3" id="__nav_3_label" tabindex="">
<span class="md-nav__icon md-icon"></span></label></div>
<nav class="md-nav" data-md-level="1" aria-labelledby="__nav_3_label">
<ul class="md-nav__list" data-md-scrollfix>
<li class="md-nav__item"><a href="../archive/">Archive</a></li></ul></nav></li></ul></nav></div>
<div class="md-sidebar md-sidebar--post"><div class="md-sidebar__inner md-post">
<nav class="md-nav md-nav--primary">
<div class="md-post__title"><span class="md-ellipsis">Metadata</span></div><nav class="md-nav"><ul></ul></nav>
</nav></div></div>
<article><div class="admonition exercise" id="exercise-one"><pre><code>a = 1</code></pre>
<details class="success"><pre><code>a = 2</code></pre></details></div>
<pre id="kept"><code>b</code></pre>
<nav class="techpath-path-menu" hidden="hidden" data-search-exclude="data-search-exclude"><p>The path</p><ol>
<li><a class="md-nav__link md-nav__link--active" href="../x/" aria-current="page">X</a></li></ol></nav>
</article>
<script src="../../assets/javascripts/bundle.a5f9d56c.min.js"></script>
</body></html>"""


def test_every_code_block_gets_its_own_id_and_existing_ids_stay() -> None:
    out = number_code_blocks(PAGE)
    ids = re.findall(r'<pre id="([^"]+)"', out)
    assert ids == ["__tp_code_0", "__tp_code_1", "kept"]
    assert len(set(ids)) == len(ids)


def test_the_path_moves_into_the_side_column_and_the_menu() -> None:
    out = finish_theme(PAGE)
    assert "techpath-path-menu" not in out  # the hidden copy is gone
    side = out.index('class="techpath-nav-path techpath-nav-path--side"')
    assert out.index("md-sidebar--post") < side < out.index("<article>")
    menu = out.index('class="techpath-nav-path techpath-nav-path--menu"')
    assert out.index('data-md-level="1"') < menu < out.index("Archive")  # first in the active section
    labels = re.findall(r'<nav class="techpath-nav-path[^"]*" aria-label="([^"]+)"', out)
    assert len(labels) == len(set(labels)) == 2


def test_without_the_themes_markup_the_path_stays_hidden_where_it_was() -> None:
    plain = '<article><nav class="techpath-path-menu" hidden="hidden"><ol><li>X</li></ol></nav></article>'
    assert finish_theme(plain) == plain


def test_landmarks_get_distinct_names_and_an_icon_only_label_gets_text() -> None:
    out = finish_theme(PAGE)
    names = re.findall(r'<nav\b[^>]*aria-label="([^"]+)"', out)
    assert len(names) == len(set(names))
    assert "About this post" in names and "Metadata" in names
    assert '<span class="techpath-sr-only">Posts</span>' in out
    twice = name_landmarks('<nav class="md-post__authors">a</nav><nav class="md-post__authors">b</nav>')
    assert re.findall(r'aria-label="([^"]+)"', twice) == ["Authors", "Authors 2"]
    # names another plugin wrote without quotes (a minified theme page) count, and are no crash
    minified = name_landmarks("<nav class=x aria-label=Tags><nav aria-label='A'><nav class=\"md-tags\">")
    assert minified.endswith('<nav class="md-tags" aria-label="Tags 2">'), minified


def test_the_reader_script_comes_once_before_the_themes_bundle() -> None:
    out = add_reader_script(add_reader_script(PAGE))
    assert out.count("assets/techpath/reader.js") == 1
    assert out.index('<script src="../../assets/techpath/reader.js">') < out.index("bundle.a5f9d56c")
    assert add_reader_script("<p>no theme</p>") == "<p>no theme</p>"
    named = PAGE.replace("<article>", "<article><p>It loads <code>assets/techpath/reader.js</code>.</p>")
    assert add_reader_script(named).count("reader.js") == 2  # the prose, and the script


def test_the_path_menu_marks_the_current_post_and_escapes_titles() -> None:
    entries = [
        PathEntry("b.md", "B <i>", "", "Recipes", 1, []),
        PathEntry("a.md", "A", "", "Tools", 1, []),
        PathEntry("e.md", "E", "", "Essays", 1, []),
    ]
    menu = path_menu_html(entries, "b.md", lambda uri: uri.replace(".md", "/"), SECTIONS, "start/")
    assert re.findall(r'href="([^"]+)"', menu) == ["start/", "a/", "b/", "e/"]
    assert 'aria-current="page">B &lt;i&gt;</a>' in menu
    assert menu.index("Stage 1 · Tools") < menu.index("Stage 2 · Recipes") < menu.index("Essays")
    assert path_menu_html(entries, "other.md", str, SECTIONS) == ""  # not a post
    end = post_end_html(entries, "b.md", lambda uri: uri, SECTIONS)
    assert '<nav class="techpath-path-menu" hidden' in end and "techpath-path-nav__prev" in end


# -- search --------------------------------------------------------------------------------------

FORMULA = (
    '<span class="katex"><span class="katex-mathml"><math><semantics><msup><mi>R</mi><mn>2</mn></msup>'
    '<annotation encoding="application/x-tex">R^2</annotation></semantics></math></span>'
    '<span class="katex-html" aria-hidden="true"><span class="katex-base"><span class="strut"></span>'
    '<span class="mord">R</span><span class="msupsub"><span class="mord">2</span></span></span></span></span>'
)
BOX = (
    f'<details class="math" id="math-what-is-r2"><summary>What is {FORMULA}?</summary>'
    f"<p>The score {FORMULA} compares with the mean.</p>"
    '<div class="techpath-math"><span class="katex-display"><span class="katex">x = y</span></span></div>'
    "<pre><code>r2_score(y, p)\n</code></pre></details>"
)


def test_formulas_are_indexed_once_as_text_and_boxes_are_left_to_their_own_entries() -> None:
    page = f"<h2 id='s'>Section</h2><p>Text {FORMULA} more.</p>{BOX}<p>After.</p>"
    indexed = for_indexing(page)
    assert "R^2" not in indexed and "katex-html" not in indexed  # nested spans removed whole
    assert re.sub(r"<[^>]+>", "", indexed).count("R2") == 1  # the MathML text, once
    assert "math-what-is-r2" not in indexed and "<p>After.</p>" in indexed
    (entry,) = math_box_entries(page, "blog/x/", ["regression"])
    assert entry == {
        "location": "blog/x/#math-what-is-r2",
        "title": "What is R2?",
        "text": "<p>The score R2 compares with the mean.</p><pre><code>r2_score(y, p)\n</code></pre>",
        "tags": ["regression"],
    }
    assert indexed_text("<p>a <span data-search-exclude><span>b</span> c</span> d</p>") == "<p>a d</p>"


def test_a_concept_belongs_to_the_first_post_on_the_path_that_declares_it() -> None:
    entries = [
        PathEntry("late.md", "Late", "", "Recipes", 1, ["Softmax", "Gradients of the loss"]),
        PathEntry("early.md", "Early", "", "Tools", 1, ["Softmax and the sigmoid"]),
        PathEntry("essay.md", "Essay", "", "Essays", 1, ["The gradient"]),
    ]
    assert lesson_words(entries, SECTIONS) == {
        "early.md": ["softmax", "sigmoid"],
        "late.md": ["gradient", "loss"],  # "gradients" is the concept "gradient"
        "essay.md": [],
    }


def test_the_index_gets_boxes_concepts_and_the_concepts_field(tmp_path: Path) -> None:
    index_file = tmp_path / "search_index.json"
    docs = [
        {"location": "blog/early/", "title": "Early", "text": ""},
        {"location": "guide/", "title": "Guide", "text": "", "boost": 0.2},
    ]
    index_file.write_text(json.dumps({"config": {"fields": {"title": {"boost": 1000}}}, "docs": docs}))
    search = SearchIndex()
    search.page("blog/posts/early.md", "blog/early/", BOX)
    search.page("guide.md", "guide/", BOX.replace("math-what-is-r2", "math-g"))
    search.page("hidden.md", "hidden/", BOX.replace("math-what-is-r2", "math-h"))  # search: exclude
    entries = [PathEntry("blog/posts/early.md", "Early", "", "Tools", 1, ["Softmax"])]
    assert search.write(index_file, entries, SECTIONS)
    index = json.loads(index_file.read_text())
    by_location = {d["location"]: d for d in index["docs"]}
    assert by_location["blog/early/"]["concepts"] == "softmax"
    assert by_location["guide/#math-g"]["boost"] == 0.2  # a box weighs what its page weighs
    assert "hidden/#math-h" not in by_location
    assert index["config"]["fields"] == {"title": {"boost": 1000}, "concepts": {"boost": 3000.0}}
    assert not search.write(tmp_path / "missing.json", entries, SECTIONS)


# -- downloads -----------------------------------------------------------------------------------


def test_names_in_a_scripts_data_guard_stay_text(tmp_path: Path) -> None:
    """A data file, archive or site address holding {...} or quotes is printed, never evaluated
    (the guard's message was an f-string once: its braces would have run as code)."""
    payload = "{__import__('os').system('echo PWNED')}"
    data = DataFiles((f"data/{payload}'.csv",), f"p{payload}.zip", f"https://example.org/{payload}/p.zip")
    script = to_script([Cell("code", "print('body')", block=0)], "Post", "", None, "", data)
    path = tmp_path / "post.py"
    path.write_text(script)
    done = subprocess.run([sys.executable, str(path)], cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 1 and "PWNED" not in done.stdout, done.stdout
    assert f"p{payload}.zip from https://example.org/{payload}/p.zip" in done.stderr, done.stderr


def test_a_script_that_needs_data_says_so_and_stops_with_a_message_naming_the_zip(tmp_path: Path) -> None:
    data = DataFiles(("data/a.csv",), "post.zip", "https://example.org/assets/downloads/post/post.zip")
    cells = [Cell("code", "print(open('data/a.csv').read())", block=0)]
    script = to_script(cells, "Post", "https://example.org/blog/post/", None, "pip install x==1", data)
    head = script.split("# %%")[0]
    assert "From https://example.org/blog/post/" in head and "data/a.csv" in head and "post.zip" in head
    path = tmp_path / "post.py"
    path.write_text(script)
    alone = subprocess.run([sys.executable, str(path)], cwd=tmp_path, capture_output=True, text=True)
    assert alone.returncode == 1 and "Traceback" not in alone.stderr
    assert "data/a.csv not found: download post.zip from https://example.org/" in alone.stderr
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "a.csv").write_text("x,y\n")
    with_data = subprocess.run([sys.executable, str(path)], cwd=tmp_path, capture_output=True, text=True)
    assert with_data.returncode == 0 and with_data.stdout == "x,y\n\n"

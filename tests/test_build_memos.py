"""What a build keeps instead of recomputing: each memo returns what the computation would,
and a change of its input gives the new answer, never a stale one."""

from __future__ import annotations

import importlib.metadata
from pathlib import Path

from techpath.render import requirements as reqs


def test_module_map_is_the_standard_librarys_for_this_environment() -> None:
    reqs.module_distributions.cache_clear()
    assert reqs.module_distributions() == importlib.metadata.packages_distributions()


def test_modules_of_a_distribution_without_top_level_come_from_its_record(tmp_path: Path) -> None:
    info = tmp_path / "demo-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: Demo\nVersion: 1.0\n")
    (info / "RECORD").write_text(
        "demo_pkg/__init__.py,sha256=x,10\n"
        "demo_pkg/sub/deep.py,sha256=x,10\n"
        '"demo,comma.py",sha256=x,10\n'  # csv quoting, as pip writes a name holding a comma
        "single.py,sha256=x,10\n"
        "data/readme.txt,,\n"
        "demo-1.0.dist-info/METADATA,,\n"
        "../../bin/demo,,\n"
    )
    dist = importlib.metadata.PathDistribution(info)
    assert reqs._inferred_modules(dist) == {"demo_pkg", "demo,comma", "single"}
    assert reqs._inferred_modules(dist) == importlib.metadata._top_level_inferred(dist)


def test_the_module_map_is_read_once_per_process(monkeypatch) -> None:
    calls = []
    real = importlib.metadata.distributions
    monkeypatch.setattr(importlib.metadata, "distributions", lambda: calls.append(1) or real())
    reqs.module_distributions.cache_clear()
    first = reqs.module_distributions()
    assert reqs.module_distributions() is first
    assert len(calls) == 1


def _site(tmp_path: Path, code: str) -> Path:
    (tmp_path / "docs").mkdir(exist_ok=True)
    (tmp_path / "mkdocs.yml").write_text("site_name: t\nplugins:\n  - techpath\n")
    (tmp_path / "docs" / "index.md").write_text(f"# Page\n\n```python\n{code}\n```\n")
    (tmp_path / "docs" / "about.md").write_text("# No code here\n")
    return tmp_path


def _stager(site: Path):
    from techpath.config import SiteSettings
    from techpath.engine import Settings
    from techpath.stage.stager import Stager

    return Stager(SiteSettings.load(site), Settings(cache_dir=site / ".cache"), info=lambda m: None)


def _store_result_for_every_page(stager) -> None:
    from techpath.cache import cache_key
    from techpath.model import BlockResult, PageResult

    for post in stager.parsed_pages():
        if post.runs:
            key = cache_key(post, stager.settings.limits)
            result = PageResult(path=post.display_path, blocks=[BlockResult(0, "ok")])
            stager.engine.cache.store(key, result, Path("."))


def test_a_build_with_every_result_cached_starts_no_warm_parent(tmp_path: Path, monkeypatch) -> None:
    from techpath.engine import Engine

    site = _site(tmp_path, "print(1)")
    monkeypatch.chdir(site)
    started = []
    monkeypatch.setattr(Engine, "prewarm", lambda self: started.append(1))
    stager = _stager(site)
    stager.prewarm()
    assert len(started) == 1  # nothing cached yet: the imports start early
    _store_result_for_every_page(stager)
    stager.prewarm()
    assert len(started) == 1  # every page cached: no warm parent
    stager.prewarm(always=True)
    assert len(started) == 2  # mkdocs serve: warm for the first edit anyway
    (site / "docs" / "index.md").write_text("# Page\n\n```python\nprint(2)\n```\n")
    stager.prewarm()
    assert len(started) == 3  # the code changed: its page will execute
    _store_result_for_every_page(stager)
    stager.settings.refresh = True
    stager.engine.settings.refresh = True
    stager.prewarm()
    assert len(started) == 4  # a refresh executes everything


SVG = (
    b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
    b'<script>alert(1)</script><rect width="%d" height="5" onclick="x()"/></svg>'
)


def test_a_cleaned_figure_is_kept_and_a_changed_figure_is_cleaned_again(tmp_path: Path, monkeypatch) -> None:
    from techpath.safety import site as safety
    from techpath.safety.svg import clean_svg

    memo, source, target = tmp_path / "memo", tmp_path / "fig.svg", tmp_path / "site" / "fig.svg"
    source.write_bytes(SVG % 3)
    safety.write_figure(source, target, print, memo)
    assert target.read_bytes() == clean_svg(SVG % 3)
    assert b"script" not in target.read_bytes() and b"onclick" not in target.read_bytes()
    assert len(list(memo.glob("*.svg"))) == 1

    from techpath.safety import svg

    calls = []
    monkeypatch.setattr(svg, "clean_svg", lambda data: calls.append(1) or clean_svg(data))
    target.unlink()
    safety.write_figure(source, target, print, memo)  # the same figure: copied from the memo
    assert calls == [] and target.read_bytes() == clean_svg(SVG % 3)

    source.write_bytes(SVG % 4)  # a new result: never the old cleaned file
    safety.write_figure(source, target, print, memo)
    assert calls == [1] and target.read_bytes() == clean_svg(SVG % 4) != clean_svg(SVG % 3)
    assert len(list(memo.glob("*.svg"))) == 2


def test_cleaned_figures_depend_on_the_cleaners_code(tmp_path: Path, monkeypatch) -> None:
    from techpath.safety import site as safety

    source = tmp_path / "fig.svg"
    source.write_bytes(SVG % 3)
    safety.write_figure(source, tmp_path / "a.svg", print, tmp_path / "memo")
    from techpath.safety import svg

    monkeypatch.setattr(svg, "engine_source_hash", lambda: "changed code")

    calls = []
    real = svg.clean_svg
    monkeypatch.setattr(svg, "clean_svg", lambda data: calls.append(1) or real(data))
    safety.write_figure(source, tmp_path / "b.svg", print, tmp_path / "memo")
    assert calls == [1]


def test_unused_cleaned_figures_are_evicted(tmp_path: Path) -> None:
    import os
    import time

    from techpath.safety.svg import evict_unused

    memo = tmp_path / "memo"
    memo.mkdir()
    (memo / "old.svg").write_text("<svg/>")
    (memo / "used.svg").write_text("<svg/>")
    long_ago = time.time() - 3600
    os.utime(memo / "old.svg", (long_ago, long_ago))
    assert evict_unused(memo, unused_since=time.time() - 60) == 1
    assert [p.name for p in memo.iterdir()] == ["used.svg"]


def test_highlight_memo_answers_as_pygments_and_never_with_stale_html() -> None:
    from pygments import highlight
    from pygments.formatters import HtmlFormatter
    from pygments.lexers import get_lexer_by_name

    from techpath.generators.highlight_memo import HighlightMemo

    memo = HighlightMemo(highlight)
    py = get_lexer_by_name("python", stripnl=True)
    plain = HtmlFormatter(cssclass="highlight", wrapcode=True)
    numbered = HtmlFormatter(cssclass="highlight", wrapcode=True, linenos="table", hl_lines=[1])
    cases = [
        ("x = 1\n", py, plain),
        ("x = 2\n", py, plain),  # the code changed
        ("x = 2\n", py, numbered),  # the options changed
        ("x = 2\n", get_lexer_by_name("text", stripnl=True), plain),  # the language changed
    ]
    answers = [memo(code, lexer, formatter) for code, lexer, formatter in cases]
    assert answers == [highlight(c, lexer, f) for c, lexer, f in cases]
    assert len(set(answers)) == 4 and memo.misses == 4 and memo.hits == 0
    again = HtmlFormatter(cssclass="highlight", wrapcode=True)  # a new formatter, same options
    assert memo("x = 1\n", get_lexer_by_name("python", stripnl=True), again) == answers[0]
    assert memo.hits == 1


def test_highlight_memo_in_markdown_gives_the_same_pages(monkeypatch) -> None:
    import markdown
    from pymdownx import highlight as module

    from techpath.generators import highlight_memo

    extensions = ["pymdownx.highlight", "pymdownx.superfences"]
    configs = {"pymdownx.highlight": {"anchor_linenums": True}}
    pages = [
        '```python\nx = 1\n```\n\n```python hl_lines="1"\nx = 1\n```\n',
        '```python\nx = 3\n```\n\n```python linenums="5"\nx = 1\n```\n',
        '```python\nx = 1\n```\n\n```python hl_lines="1"\nx = 1\n```\n',
    ]

    def render(text: str) -> str:
        return markdown.markdown(text, extensions=extensions, extension_configs=configs)

    without = [render(page) for page in pages]
    monkeypatch.setattr(module, "highlight", module.highlight)  # undone after the test
    memo = highlight_memo.install()
    assert memo is not None and highlight_memo.install() is memo  # installed once
    assert [render(page) for page in pages] == without
    assert without[0] != without[1] and memo.hits >= 2  # the third page came from the memo


def test_an_excerpt_renders_as_from_the_whole_post_without_its_heavy_rest() -> None:
    import markdown

    from techpath.stage.finish import RegionMarkers, excerpt_source

    markers = RegionMarkers.new()
    panel = markers.keep('<div class="out"><pre>' + "x" * 5000 + "</pre></div>")
    post = (
        "Intro with [a link][ref], a note[^1] and HTML.\n\n<!-- more -->\n\n"
        f"```python\nprint(1)\n```\n{panel}\n\nMore prose $x$.\n\n"
        "~~~text\nnot [ref]: here\n~~~\n\n"
        "[ref]: https://example.org/\n\n[^1]: The note.\n\n*[HTML]: HyperText Markup Language\n"
    )
    trimmed = excerpt_source(post, "<!-- more -->", markers)
    assert "print(1)" not in trimmed and "xxxx" not in trimmed and "not [ref]" not in trimmed
    assert "[ref]: https://example.org/" in trimmed and "[^1]: The note." in trimmed

    def excerpt(text: str) -> str:
        html = markdown.markdown(text, extensions=["footnotes", "abbr", "md_in_html", "pymdownx.superfences"])
        head, rest = html.split("<!-- more -->", 1)
        assert rest.strip()  # the view still offers "Continue reading"
        return head

    assert excerpt(trimmed) == excerpt(post)
    assert 'href="https://example.org/"' in excerpt(trimmed) and "<abbr" in excerpt(trimmed)
    assert excerpt_source("No separator.", "<!-- more -->", markers) == "No separator."


def test_properdocs_hands_the_blog_views_the_same_trimmed_post_as_the_mkdocs_plugin() -> None:
    """ProperDocs runs no techpath plugin: the staged configuration lists a hook that trims a
    post's Markdown once its page is rendered, as the plugin does, so the blog's views stop
    converting every output panel and code block again (half of its build of our site)."""
    from types import SimpleNamespace

    from techpath.generators import properdocs_hooks
    from techpath.generators.build import PROPERDOCS_HOOKS, for_generator
    from techpath.stage.finish import RegionMarkers, excerpt_source

    config: dict[str, object] = {"hooks": ["mine.py"]}
    for_generator(config, "properdocs")
    assert config["hooks"] == ["mine.py", str(PROPERDOCS_HOOKS)] and PROPERDOCS_HOOKS.is_file()
    for other in ("mkdocs", "zensical"):
        untouched: dict[str, object] = {}
        for_generator(untouched, other)
        assert "hooks" not in untouched
    assert properdocs_hooks.on_page_content.mkdocs_priority == -80  # after the feed read the post

    markers = RegionMarkers.new()
    panel = markers.keep("<pre>" + "x" * 500 + "</pre>")
    body = "Intro.\n\n<!-- more -->\n\n```python\nprint(1)\n```\n" + panel
    blog = SimpleNamespace(config=SimpleNamespace(post_excerpt_separator="<!-- more -->"))
    site = SimpleNamespace(theme=SimpleNamespace(custom_dir=None), plugins={"material/blog": blog})

    def hooked(markdown: str) -> str:
        page = SimpleNamespace(markdown=markdown)
        html = properdocs_hooks.on_page_content("<p>html</p>", page=page, config=site, files=None)
        assert html == "<p>html</p>"
        return page.markdown

    staged = markers.page("blog/posts/a.md", body)
    assert hooked(staged) == excerpt_source(staged, "<!-- more -->", markers) != staged
    assert "xxxx" not in hooked(staged) and "print(1)" not in hooked(staged)
    # a page techpath did not stage, or one whose prose forges a marker later, is left alone
    assert hooked(body) == body
    forged = "Prose first.\n\n" + markers.page("blog/posts/a.md", body)
    assert hooked(forged) == forged
    site.plugins = {}  # no blog: nothing to trim for
    assert hooked(staged) == staged


def test_the_prose_check_remembers_its_answers_and_checks_changed_prose_again(monkeypatch) -> None:
    from techpath.safety.prose import ProseCheck

    check = ProseCheck()
    hostile = "Intro.\n\n<img src=x onerror=alert(1)>\n"
    fresh = ProseCheck().check(hostile, 3)
    rendered: list[str] = []
    real = ProseCheck.checked_html
    monkeypatch.setattr(ProseCheck, "checked_html", lambda self, t: rendered.append(t) or real(self, t))
    first = check.check(hostile, 3)
    assert {f.line for f in first} == {5} and first == fresh
    assert check.check(hostile, 3) == first and len(rendered) == 1  # answered from the memo
    assert check.check(hostile, 1) != first and len(rendered) == 2  # another first line: its own
    assert check.check("Intro.\n\nFixed.\n", 3) == [] and len(rendered) == 3  # the page was edited
    check.forget_unused()  # a build ends: what it asked for is kept
    assert check.check(hostile, 3) == first and len(rendered) == 3
    check.forget_unused()
    check.forget_unused()  # two builds that never asked for the old text: gone
    assert check.check("Intro.\n\nFixed.\n", 3) == [] and len(rendered) == 4


def test_a_site_staged_again_renders_only_the_prose_that_changed(tmp_path: Path, monkeypatch) -> None:
    """`techpath serve` stages the whole site again after each save (ProperDocs, Zensical): the
    lint of the pages that did not change is not done again, and an edited page's new problem
    is reported at its line, never a stale verdict."""
    from techpath.safety.prose import ProseCheck

    site = _site(tmp_path, "print(1)")
    monkeypatch.chdir(site)
    (site / "docs" / "more.md").write_text("# More\n\nPlain prose.\n")
    stager = _stager(site)
    stager.execute = False
    errors: list[str] = []
    stager.error = errors.append
    rendered: list[str] = []
    real = ProseCheck.checked_html
    monkeypatch.setattr(ProseCheck, "checked_html", lambda self, t: rendered.append(t) or real(self, t))
    docs = site / "docs"
    pages = lambda: [(p.name, p) for p in sorted(docs.glob("*.md"))]  # noqa: E731
    stager.load(pages())
    assert len(rendered) == 3 and errors == []
    stager.load(pages())
    assert len(rendered) == 3 and errors == []  # nothing changed: nothing rendered again
    (docs / "more.md").write_text("# More\n\n<img src=x onerror=alert(1)>\n")
    stager.load(pages())
    assert len(rendered) == 4
    assert any("more.md:3" in e for e in errors)  # the new problem, at its line
    # The MkDocs plugin makes a stager per build and hands the last one's check over (adopt):
    # a check of the same settings keeps its memo.
    again = _stager(site)
    again.execute, again.error = False, errors.append
    again.lifecycle.prose = stager.lifecycle.prose
    again.load(pages())
    assert len(rendered) == 4


def test_a_saved_page_starts_executing_before_its_lint_and_its_problems_are_still_reported(
    tmp_path: Path, monkeypatch
) -> None:
    """`techpath serve`: the saved page's code runs in the warm process while its prose is
    linted (the lint renders the page), instead of after; what the lint finds is reported at
    its line and kept on the post (the HTML phase does not report it a second time)."""
    from techpath.engine import Engine
    from techpath.safety.prose import ProseCheck

    site = _site(tmp_path, "print(1)")
    monkeypatch.chdir(site)
    stager = _stager(site)
    errors: list[str] = []
    stager.error = errors.append
    order: list[str] = []
    monkeypatch.setattr(Engine, "start", lambda self, posts: order.append("execute") or None)
    real = ProseCheck.checked_html
    monkeypatch.setattr(ProseCheck, "checked_html", lambda self, t: order.append("lint") or real(self, t))
    page = site / "docs" / "index.md"
    stager.load([("index.md", page)])
    order.clear()
    page.write_text("# Page\n\n<img src=x onerror=alert(1)>\n\n```python\nprint(2)\n```\n")
    found = stager.restage([("index.md", page)])
    assert order == ["execute", "lint"]
    record = found["index.md"]
    assert record is not None and any("onerror" in p.message for p in record.post.problems)
    assert any("index.md:3" in e and "onerror" in e for e in errors)


def test_a_saved_page_is_staged_with_the_figures_of_its_new_result(tmp_path: Path, monkeypatch) -> None:
    """`write_pages` writes the page before its downloads; its figures are known only once its
    result is in (staging the page waits for it), so they are named after that, never before:
    a code edit that draws a new figure finds it in the staged tree beside its page."""
    from techpath.stage.structure import Figure

    site = _site(tmp_path, "print(1)")
    monkeypatch.chdir(site)
    stager = _stager(site)
    stager.execute = False
    page = site / "docs" / "index.md"
    stager.load([("index.md", page)])
    record = stager.restage([("index.md", page)])["index.md"]
    assert record is not None
    drawn = tmp_path / "drawn.svg"
    drawn.write_bytes(SVG % 7)
    staged = stager.page_markdown

    def result_arrives(uri: str, body: str) -> str:  # as the engine's result would, while waited for
        record.figures = {"drawn.svg": Figure("drawn.svg", drawn, "assets/figures/drawn.svg")}
        return staged(uri, body)

    monkeypatch.setattr(stager, "page_markdown", result_arrives)
    out = tmp_path / "staged"
    written = stager.write_pages(out, ["index.md"])
    assert (out / "assets" / "figures" / "drawn.svg").is_file()
    assert {out / "index.md", out / "assets" / "figures" / "drawn.svg"} <= set(written)
    stager.finish(keep_engine=False)


def test_a_renamed_page_leaves_the_staged_tree_before_its_new_name_is_written(
    tmp_path: Path, monkeypatch
) -> None:
    """A generator watching the staged tree (`zensical serve`) may rebuild between two writes:
    the old name is gone before the new one is written, so it never sees the page twice (it
    stopped on "page destination ... has multiple owners" when a post was renamed)."""
    from techpath.stage import tree

    site = _site(tmp_path, "print(1)")
    monkeypatch.chdir(site)
    stager = _stager(site)
    stager.execute = False
    docs, out = site / "docs", tmp_path / "staged"
    stager.load([("index.md", docs / "index.md"), ("about.md", docs / "about.md")])
    stager.start()
    stager.write_tree(out)
    assert (out / "about.md").is_file()
    (docs / "about.md").rename(docs / "about-us.md")
    seen: dict[str, bool] = {}
    real = tree._write_if_changed

    def write(path: Path, content) -> bool:
        seen[path.name] = (out / "about.md").exists()
        return real(path, content)

    monkeypatch.setattr(tree, "_write_if_changed", write)
    stager.load([("index.md", docs / "index.md"), ("about-us.md", docs / "about-us.md")])
    stager.start()
    written = stager.write_tree(out)
    assert out / "about-us.md" in written and not (out / "about.md").exists()
    assert seen["about-us.md"] is False, seen

"""Units of the staging code: math boxes, math typesetting, fragments, the staged config."""

from __future__ import annotations

import html as htmllib
from pathlib import Path

import markdown

from techpath.generators.build import staged_config
from techpath.generators.yamlconfig import Tagged, dump, load
from techpath.parse.texmath import inert, typeset_markdown
from techpath.stage.boxes import box_titles_of, convert_boxes
from techpath.stage.fragments import markdown_html, one_block

EXTENSIONS = ["md_in_html", "attr_list", "pymdownx.superfences", "pymdownx.details"]


def render(text: str) -> str:
    return markdown.markdown(text, extensions=EXTENSIONS)


def test_a_math_box_keeps_its_id_and_an_output_inside_it() -> None:
    panel = one_block('<div class="out"><pre>a\n\nb</pre>\n\n</div>')
    source = f'Intro.\n\n??? math "Why $x$ and `y`"\n    Body.\n\n    {panel}\n\nAfter.'
    converted = convert_boxes(source)
    html = render(converted)
    assert box_titles_of(source) == ["Why $x$ and `y`"]
    assert '<details class="math" id="math-why-x-and-y">' in html
    box = html.split("<details")[1].split("</details>")[0]
    assert '<div class="out">' in box and "<pre>a&#10;&#10;b</pre>" in box and "<code>y</code>" in box
    assert "After." not in box


def test_open_boxes_and_repeated_titles() -> None:
    html = render(convert_boxes('???+ math "A"\n    one\n\n??? math "A"\n    two'))
    assert 'id="math-a" open="open"' in html and 'id="math-a-2"' in html


def test_math_is_typeset_outside_code_only() -> None:
    def fake(tex: str, display: bool) -> tuple[str, None]:
        return (f'<span class="katex">{"D" if display else "I"}:{tex}</span>', None)

    source = "Inline $a_1 * b$ and `$not$`.\n\n```python\nx = '$no$'\n```\n\n$$\nc^2\n$$\n"
    staged, problems = typeset_markdown(source, fake)
    assert problems == []
    assert "`$not$`" in staged and "x = '$no$'" in staged
    html = htmllib.unescape(render(staged))
    assert '<span class="katex">I:a_1 * b</span>' in html  # Markdown did not touch * or _
    assert '<div class="techpath-math"><span class="katex">D:c^2</span></div>' in html


def test_a_formula_katex_rejects_is_reported_with_its_line() -> None:
    staged, problems = typeset_markdown("one\n\ntwo $\\bad{$ here", lambda tex, d: (None, "Undefined"))
    assert [(p.line, p.tex) for p in problems] == [(3, "\\bad{")]
    assert "techpath-math-error" in staged


def test_inert_html_survives_markdown() -> None:
    fragment = inert('<span title="a_b">x_1 *y* :smile: [z](q)</span>')
    # character references are the same text to a browser
    assert htmllib.unescape(render(fragment)) == '<p><span title="a_b">x_1 *y* :smile: [z](q)</span></p>'


def test_fragment_links_become_markdown_links_the_generator_resolves() -> None:
    fragment = '<nav class="n" data-search-exclude><a class="p" href="a.md">← A</a></nav>'
    html = render(markdown_html(fragment))
    assert '<a class="p" href="a.md">← A</a>' in html and html.startswith('<nav class="n"')
    assert "[" not in html


def test_figures_in_an_output_panel_become_images_text_stays_raw() -> None:
    panel = (
        '<div class="techpath-output" data-search-exclude><pre><code>*kept*</code></pre>'
        '<figure class="techpath-figure"><img src="../f.svg" alt="A plot" width="10" height="5"'
        ' style="--techpath-readable-width: 8px" loading="lazy" decoding="async"></figure></div>'
    )
    html = render(markdown_html(panel, images_only=True))
    assert "<code>*kept*</code>" in html
    assert (
        '<img alt="A plot" decoding="async" height="5" loading="lazy" src="../f.svg"'
        ' style="--techpath-readable-width: 8px" width="10"'
    ) in html


def test_staged_config_keeps_tags_and_drops_techpath(tmp_path) -> None:
    raw = load(
        "site_url: !ENV [SITE_URL, 'http://x/']\nplugins:\n  - search\n  - techpath\n"
        "markdown_extensions:\n  - pymdownx.emoji:\n      emoji_index: !!python/name:m.twemoji\n"
    )
    docs = tmp_path / "stage" / "docs"
    config = staged_config(raw, tmp_path, docs, tmp_path / "site", math=True)
    assert config["plugins"] == ["search"]
    assert config["markdown_extensions"][-2:] == ["md_in_html", "attr_list"]
    assert config["docs_dir"] == "docs" and config["extra_css"][0] == "assets/katex/katex.min.css"
    text = dump(config)
    assert "!ENV" in text and "!!python/name:m.twemoji" in text
    assert load(text)["site_url"] == Tagged("!ENV", ["SITE_URL", "http://x/"])


def _clean(fragment: str) -> str:
    from techpath.safety.policy import clean_html

    return clean_html(fragment)[0]


def test_the_html_phase_cleans_prose_and_keeps_only_what_techpath_marked() -> None:
    from techpath.stage.finish import TOC_MARKER, RegionMarkers, finish_content

    markers = RegionMarkers.new()
    ours = markers.keep('<nav class="techpath-downloads" data-search-exclude>x</nav>')
    formula = markers.keep('<span class="katex"><math><mi>x</mi></math></span>', block=False)
    forged = "<!-- techpath:keep 0000 -->\n\n<script>alert(1)</script>\n\n<!-- /techpath:keep 0000 -->"
    source = (
        f"{ours}{TOC_MARKER}\n\n## First part\n\nSee {formula} here.\n\n{forged}\n\n"
        "### Detail\n\n<b onclick=x>b</b>"
    )
    page = markers.page("blog/posts/p.md", source)
    html = markdown.markdown(page, extensions=[*EXTENSIONS, "toc"])
    done = finish_content(html, markers, _clean, lambda h: h)
    assert '<nav class="techpath-downloads" data-search-exclude' in done  # ours, kept as made
    assert "<math><mi>x</mi></math>" in done  # typeset math is ours too
    assert "<script>" not in done and "onclick" not in done  # a forged marker shields nothing
    assert markers.key not in done and "techpath:page" not in done and TOC_MARKER not in done
    contents = done.split('<details class="abstract techpath-toc"')[1].split("</details>")[0]
    assert 'href="#first-part"' in contents and 'href="#detail"' in contents


def test_an_excerpt_on_a_blog_index_is_finished_up_to_the_theme_markup() -> None:
    from techpath.stage.finish import RegionMarkers, finish_page

    markers = RegionMarkers.new()
    index = (
        '<article class="md-post"><div class="md-post__content">'
        f"<!-- techpath:page {markers.key} blog/posts/p.md -->\n<p>intro <b onclick=x>b</b></p>\n"
        '<nav class="md-post__action"><a href="p/">Continue reading</a></nav></div></article>'
    )
    seen: list[str] = []

    def finish(uri: str, content: str) -> str:
        seen.append(uri)
        return _clean(content)

    done, uris = finish_page(index, markers, finish)
    assert uris == seen == ["blog/posts/p.md"]
    assert "onclick" not in done and '<nav class="md-post__action">' in done  # the theme's stays
    assert markers.key not in done


def test_front_matter_for_other_generators_is_escaped_text() -> None:
    from techpath.stage.tree import escaped_front_matter

    front = "---\ntitle: 'A </title><script>x</script>'\n"
    front += 'description: >-\n  "><svg onload=x>\n  more\ndate: 2026-01-01\n---\n'
    meta = {"title": "A </title><script>x</script>", "description": '"><svg onload=x> more'}
    escaped = escaped_front_matter(front, meta)
    data = load(escaped.strip().strip("-"))
    assert data["title"] == "A &lt;/title&gt;&lt;script&gt;x&lt;/script&gt;"
    assert data["description"] == "&quot;&gt;&lt;svg onload=x&gt; more"
    assert str(data["date"]) == "2026-01-01"
    assert (
        escaped_front_matter("---\ntitle: Don't & do\n---\n", {"title": "Don't & do"}).count("Don't & do")
        == 1
    )


def test_package_stylesheets_come_first_and_extensions_once_in_both_front_ends(tmp_path: Path) -> None:
    from techpath.site.assets import FRAME_JS, KATEX_CSS, TECHPATH_CSS, package_assets
    from techpath.site.theme import READER_JS

    raw = {
        "extra_css": ["stylesheets/mine.css", TECHPATH_CSS],
        "markdown_extensions": [{"attr_list": {}}, "toc"],
        "plugins": ["search", {"techpath": {"execute": "marked"}}],
    }
    config = staged_config(raw, tmp_path, tmp_path / "stage" / "docs", tmp_path / "site", math=True)
    assert config["extra_css"] == [KATEX_CSS, TECHPATH_CSS, "stylesheets/mine.css"]
    assert config["markdown_extensions"] == [{"attr_list": {}}, "toc", "md_in_html"]
    assert config["plugins"] == ["search"]
    plain = staged_config(raw, tmp_path, tmp_path / "stage" / "docs", tmp_path / "site", math=False)
    assert plain["extra_css"] == [TECHPATH_CSS, "stylesheets/mine.css"]
    assets = package_assets(None)
    assert list(assets) == [TECHPATH_CSS, FRAME_JS, READER_JS]
    assert ".techpath-output" in assets[TECHPATH_CSS].read_text()
    # the frame guard comes with the CSP (a <meta> cannot say frame-ancestors), once, first
    assert config["extra_javascript"] == [FRAME_JS]
    raw["extra_javascript"] = ["javascripts/mine.js", FRAME_JS]
    config = staged_config(raw, tmp_path, tmp_path / "stage" / "docs", tmp_path / "site", math=True)
    assert config["extra_javascript"] == [FRAME_JS, "javascripts/mine.js"]
    no_csp = staged_config(raw, tmp_path, tmp_path / "s", tmp_path / "site", math=True, frame_guard=False)
    assert no_csp["extra_javascript"] == ["javascripts/mine.js"]
    assert "search_index" in assets[READER_JS].read_text()  # the script that holds the index back
    assert KATEX_CSS in package_assets(tmp_path / "no-katex-here")  # the bundled KaTeX then


def test_csp_allows_material_google_fonts_unless_the_theme_turns_them_off() -> None:
    from techpath.site.assets import csp_sources

    mine = {"img-src": ["https://img.example.org"]}
    assert csp_sources(mine, "material", {"text": "Roboto"}) == {
        "img-src": ["https://img.example.org"],
        "style-src": ["https://fonts.googleapis.com"],
        "font-src": ["https://fonts.gstatic.com"],
    }
    assert csp_sources(mine, "material", False) == mine  # this site: font: false
    assert csp_sources({}, "readthedocs", None) == {}

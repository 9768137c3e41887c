"""Other plugins and documentation sites (issue 25, items 1 and 2), without building a site: the
configuration another plugin leaves, the markup other plugins' extensions write, the `docs` and
`strict` HTML policies, images from listed hosts (policy and CSP agree), lint on every page.
The sites built end to end with those plugins are in tests/test_plugin_docs_site.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from techpath.config import SiteSettings
from techpath.options import PluginOptions
from techpath.parse.gate import lint_page, load_checked_post
from techpath.safety import csp
from techpath.safety.policy import STRICT, clean_html, profile
from techpath.safety.prose import ProseCheck
from techpath.safety.site import image_sources, page_rules
from techpath.site.assets import csp_sources, missing_extensions

DOCS = profile("docs", ("https://img.shields.io",))
HOSTILE = Path(__file__).parent / "hostile_site"


def test_an_extension_object_added_by_another_plugin_first_is_no_crash() -> None:
    """mkdocs-autorefs appends an AutorefsExtension object in its on_config; before ours, the
    list MkDocs hands us holds it (it used to raise "object is not iterable")."""
    from markdown.extensions.attr_list import AttrListExtension

    class AutorefsLike:  # an extension object of another package
        pass

    assert missing_extensions(["toc", AutorefsLike(), {"admonition": {}}]) == ["md_in_html", "attr_list"]
    assert missing_extensions([AttrListExtension(), "md_in_html"]) == []


def _messages(fragment: str, rules=DOCS) -> list[str]:
    return [v.message for v in clean_html(fragment, rules)[1]]


@pytest.mark.parametrize("rules", [STRICT, DOCS], ids=["strict", "docs"])
def test_cross_references_other_plugins_write_pass_with_their_attributes_checked(rules) -> None:
    # what mkdocs-autorefs' extension writes for [text][id] and mkdocstrings for its signatures
    fine = [
        '<autoref identifier="pkg.mod.Thing">Thing</autoref>',
        '<autoref identifier="pkg.mod.fn" optional hover slug="fn">fn</autoref>',
        '<autoref identifier="str" optional domain="py" role="class" origin="pkg.f" filepath="src/pkg/f.py" '
        'lineno="3" backlink-type="used-by" backlink-anchor="pkg.f(x)">str</autoref>',
        '<backlinks identifier="pkg.mod" handler="python" />',
    ]
    for fragment in fine:
        cleaned, violations = clean_html(fragment, rules)
        assert violations == [] and cleaned == fragment, (fragment, violations)
    # autorefs writes the identifier unescaped into title="..." or [text][id], and copies every
    # attribute it does not read into its <a>: each of these would reach the page as markup
    hostile = {
        '<autoref identifier="x&quot; onmouseover=&quot;alert(1)" optional>t</autoref>': "quotes, < and >",
        '<autoref identifier="&lt;img src=x onerror=alert(1)&gt;">t</autoref>': "quotes, < and >",
        '<autoref identifier="x" onclick="alert(1)">t</autoref>': "does not read this attribute",
        '<autoref identifier="x" href="javascript:alert(1)">t</autoref>': "does not read this attribute",
        '<autoref identifier="x" style="position:fixed">t</autoref>': "does not read this attribute",
        '<autoref identifier="x" class="md-consent__overlay">t</autoref>': "md-* classes",
        '<backlinks identifier="x" handler="py&quot;thon" />': "quotes",
        '<backlinks identifier="x" handler="python" onload="alert(1)" />': "does not read",
    }
    for fragment, why in hostile.items():
        cleaned, violations = clean_html(fragment, rules)
        assert any(why in v.message for v in violations), (fragment, violations)
        assert "alert" not in cleaned and "position" not in cleaned and "md-consent" not in cleaned
        # the element goes, its text stays: a tag autorefs cannot read would stop the build
        assert "<autoref" not in cleaned and "<backlinks" not in cleaned, cleaned
    cleaned, violations = clean_html("<autoref>text</autoref> <autoref optional>more</autoref>", rules)
    assert cleaned == "text more" and len(violations) == 2


def test_the_docs_policy_allows_what_readmes_use_and_strict_does_not() -> None:
    readme = (
        '<p align="center"><a href="https://pypi.org/project/x/"><img alt="pypi" '
        'src="https://img.shields.io/pypi/v/x.svg"></a> <tt>x --help</tt> <strike>old</strike></p>\n'
        '<picture><source media="(prefers-color-scheme: dark)"'
        ' srcset="logo-dark.png 1x, logo-dark@2x.png 2x">'
        '<img alt="Logo" src="logo.png" align="right"></picture>\n'
        '<table border="0" cellpadding="4"><tr valign="top"><td width="50%" nowrap>a</td></tr></table>'
    )
    cleaned, violations = clean_html(readme, DOCS)
    assert violations == [] and "<tt>" in cleaned and 'srcset="logo-dark.png 1x' in cleaned
    strict = _messages(readme, STRICT)
    assert {
        "<tt> is not allowed in posts",
        "<picture> is not allowed in posts",
        "<p align>: this attribute is not allowed",
    } <= set(strict)
    assert any("img.shields.io" in m for m in strict)
    # still refused by the docs policy: other hosts (in src and in any srcset candidate), bad align,
    # <center> (GitHub drops it, READMEs use align), audio/video sources
    assert any("evil.example" in m for m in _messages('<img alt="a" src="https://evil.example/t.png">'))
    assert any(
        "evil.example" in m for m in _messages('<source srcset="a.png 1x, https://evil.example/t.png 2x">')
    )
    assert _messages('<p align="x;position:fixed">a</p>') and _messages("<center>a</center>")
    assert _messages('<source src="a.mp4">')
    assert _messages('<img alt="a" src="http://img.shields.io/x.svg">')  # http: mixed content


def test_images_from_other_hosts_follow_the_csp_img_src() -> None:
    """The policy allows exactly the images the page's CSP loads: image_hosts (default for docs:
    img.shields.io) and csp_sources' img-src (which used to widen only the CSP)."""
    docs, strict = PluginOptions(), PluginOptions(html_policy="strict")
    assert image_sources(docs) == ["https://img.shields.io"] and image_sources(strict) == []
    listed = PluginOptions(
        image_hosts=["*.githubusercontent.com"], csp_sources={"img-src": ["https://x.org/b/"]}
    )
    rules = page_rules(listed)
    policy = csp.policy_text([], csp_sources(listed.csp_sources, "mkdocs", None, image_sources(listed)))
    img_src = next(d for d in policy.split("; ") if d.startswith("img-src")).split()[1:]
    assert img_src == ["'self'", "data:", "https://x.org/b/", "https://*.githubusercontent.com"]
    for url, allowed in [
        ("https://avatars.githubusercontent.com/u/1?v=4", True),
        ("https://x.org/b/badge.svg", True),
        ("https://x.org/other.svg", False),
        ("https://img.shields.io/x.svg", False),  # listing hosts replaces the default
        ("https://githubusercontent.com.evil.example/x.png", False),
        ("https://evil.example\\@avatars.githubusercontent.com/x.png", False),  # a browser goes to evil
        ("https://user@evil.example/x.png", False),
    ]:
        found = _messages(f'<img alt="a" src="{url}">', rules)
        assert (found == []) == allowed, (url, found)
    assert _messages('<img alt="a" src="https://img.shields.io/x.svg">', page_rules(strict))


def test_emoji_images_enter_the_csp_under_the_docs_policy_only() -> None:
    """pymdownx.emoji (Material's to_svg too, for any emoji that is not one of its icons) draws
    <img> from one pinned emoji set on a CDN: the docs policy allows those paths; a strict site
    (ours: no page may name a CDN) only what its image_hosts list."""
    emoji = [{"pymdownx.emoji": {"emoji_index": "twemoji"}}]
    drawn = image_sources(PluginOptions(), emoji)
    cdn = [s for s in drawn if s != "https://img.shields.io"]
    assert cdn and all(s.startswith("https://") and s.endswith("/") for s in cdn), drawn
    assert image_sources(PluginOptions(html_policy="strict"), emoji) == []
    pinned = PluginOptions(html_policy="strict", image_hosts=[cdn[0]])
    assert image_sources(pinned, emoji) == [cdn[0]]


def test_every_hostile_post_is_refused_by_the_docs_policy_too() -> None:
    """The attacks of tests/hostile_site, linted as a documentation site would lint them: every
    line the strict policy refuses, the docs policy refuses too (with the same message, but for
    the remote image, which names the host list instead)."""
    extensions = SiteSettings.load(HOSTILE).markdown_extensions
    checks = {name: ProseCheck.for_site(extensions, profile(name)) for name in ("strict", "docs")}
    posts = sorted((HOSTILE / "docs" / "blog" / "posts").glob("*.md")) + sorted(
        (HOSTILE / "docs" / "blog" / "posts").glob("*.ipynb")
    )
    compared = 0
    for path in posts:
        post = load_checked_post(path, None)
        found = {
            name: {(p.path, p.line, p.message) for p in lint_page(post, check)}
            for name, check in checks.items()
        }
        assert found["docs"] == found["strict"], path.name
        compared += len(found["strict"])
    assert compared >= 30


def test_relative_tags_of_mkdocs_yml_are_read_as_mkdocs_reads_them(tmp_path: Path) -> None:
    (tmp_path / "mkdocs.yml").write_text(
        "site_name: x\ndocs_dir: pages\nmarkdown_extensions:\n  - pymdownx.snippets:\n"
        "      base_path:\n        - !relative $config_dir\n        - !relative $docs_dir/snippets\n"
        "        - !relative\n"
    )
    (tmp_path / "pages" / "snippets").mkdir(parents=True)
    (tmp_path / "README.md").write_text("Top.\n")
    (tmp_path / "pages" / "snippets" / "part.md").write_text("Part.\n")
    site = SiteSettings.load(tmp_path)
    assert site.mdx_configs["pymdownx.snippets"]["base_path"] == [
        str(tmp_path),
        str(tmp_path / "pages" / "snippets"),
        None,  # the page's own folder: no one folder
    ]
    assert site.snippets is not None
    assert site.snippets.expand('--8<-- "README.md"\n--8<-- "part.md"').text.split() == ["Top.", "Part."]


def test_lint_checks_every_page_not_only_posts_and_names_the_include_line(tmp_path: Path) -> None:
    """A documentation page (no blog) is held to the site's policy by lint as by the build; what
    an included file holds is reported at the include line of the page."""
    (tmp_path / "mkdocs.yml").write_text(
        "site_name: x\nmarkdown_extensions:\n  - attr_list\n  - pymdownx.snippets:\n"
        "      base_path: [!relative $config_dir]\nplugins:\n  - techpath\n"
    )
    (tmp_path / "docs").mkdir()
    (tmp_path / "README.md").write_text(
        'Badge: ![v](https://img.shields.io/v.svg)\n\n<img alt="t" src="https://t.example/p.png">\n'
    )
    page = tmp_path / "docs" / "index.md"
    page.write_text(
        '---\ntitle: Home\n---\n# Home\n\n<tt>ok</tt>\n\n--8<-- "README.md"\n\n'
        '[x](#a){: onclick="alert(1)" }\n'
    )
    site = SiteSettings.load(tmp_path)
    post = load_checked_post(page, None, site.run_policy(), site.snippets, site.prose_check())
    found = [(p.line, p.message.split(":")[0]) for p in post.problems]
    assert found == [(8, "<img src>"), (10, "<a onclick>")], post.problems


def test_the_prose_check_reads_code_as_text_and_finds_what_the_highlighted_page_holds() -> None:
    """The check converts code without Pygments (its spans were 60% of the check's time): the
    verdicts are those of the page as built, highlighted, at the same lines; code that shows HTML
    stays text; a site that highlights with codehilite, or lists no highlighter, is read alike."""
    from techpath.safety.policy import check_html

    page = (
        "Intro.\n\n```html\n<script>alert(1)</script> <img src=x onerror=alert(2)>\n```\n\n"
        "Prose <img src=x onerror=alert(3)> after it.\n\n"
        '```python hl_lines="1" linenums="3"\nx = "<iframe src=javascript:alert(4)>"\n```\n\n'
        "Inline `<object data=x>` and `#!python y = '<form>'`, then <iframe src=x></iframe>.\n"
    )
    sites = [
        ["pymdownx.superfences", {"pymdownx.highlight": {"anchor_linenums": True}}, "pymdownx.inlinehilite"],
        ["pymdownx.superfences", "pymdownx.inlinehilite"],
        ["fenced_code", "codehilite"],
    ]
    for entries in sites:
        check = ProseCheck.for_site(entries)
        highlighted = check.render(page)
        assert 'class="highlight"' in highlighted or 'class="codehilite"' in highlighted, entries
        found = check.check(page)
        as_built = check_html(highlighted, check.rules)
        assert sorted(f.message for f in found) == sorted(v.message for v in as_built)
        assert sorted({f.line for f in found}) == [7, 13], entries  # the prose's lines, none of the code's
        assert any("<img onerror>" in f.message for f in found if f.line == 7)
        assert any("<iframe>" in f.message for f in found if f.line == 13)

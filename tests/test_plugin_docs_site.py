"""A documentation site with the plugins such sites use (tests/corpora/plugin_docs_site: a package
documented by mkdocstrings, cross-references by mkdocs-autorefs, its README included with
pymdownx.snippets, badges, an SVG diagram, a markdown-exec fence), built with techpath before and
after the other plugins, with the plugins that rewrite pages (macros, section-index,
git-revision-date-localized, minify, Material's blog) and with mkdocs-static-i18n. Each build is
checked for what a reader gets: links that reach the right anchors, badges, outputs, a CSP that
lets every inline script run; and a hostile page stays inert, refused by lint and the build at
the same file:line. (The same corpus built from the wheel in a fresh venv: tests/test_package.py.)
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from techpath.safety import csp
from tests.conftest import run_mkdocs_build

pytestmark = pytest.mark.slow

CORPUS = Path(__file__).parent / "corpora" / "plugin_docs_site"
TECHPATH_LINE = "  - techpath: {execute: marked}\n"
_ERROR = re.compile(r"^ERROR\s+-\s+techpath: (docs/\S+?:\d+): (.*)$", re.M)


def copy_corpus(base: Path, first: bool = False, plugins: str = "", extra: str = "") -> Path:
    """The corpus in `base/site-src`, techpath moved first when `first`, `plugins` (YAML list
    items) added after search, `extra` appended to mkdocs.yml."""
    root = base / "site-src"
    shutil.copytree(CORPUS, root)
    config = root / "mkdocs.yml"
    text = config.read_text()
    assert TECHPATH_LINE in text
    if first:
        text = text.replace(TECHPATH_LINE, "").replace("plugins:\n", "plugins:\n" + TECHPATH_LINE, 1)
    text = text.replace("  - search\n", "  - search\n" + plugins, 1)
    config.write_text(text + extra)
    return root


def build(root: Path, strict: bool = True) -> tuple[Path, str]:
    out = root.parent / "site"
    done = run_mkdocs_build(out, root / "mkdocs.yml", strict=strict)
    assert done.returncode == 0, done.stderr[-4000:]
    assert "Traceback" not in done.stderr, done.stderr[-4000:]
    return out, done.stderr


def lint(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "techpath.cli", "lint"], cwd=root, capture_output=True, text=True
    )


def check_docs_site(out: Path) -> None:
    """What a reader of the corpus must get, whatever the order of the plugins."""
    guide = (out / "guide" / "index.html").read_text()
    home = (out / "index.html").read_text()
    reference = (out / "reference" / "index.html").read_text()
    # cross-references from prose and from docstrings reach the objects' anchors on the reference page
    for target in ("gizmo.Gear", "gizmo.ratio", "gizmo.Train", "gizmo.Train.output_speed"):
        assert f'href="../reference/#{target}"' in guide or f"href=../reference/#{target}" in guide, target
        assert f'id="{target}"' in reference or f"id={target}" in reference, target
    assert re.search(r'href="?#gizmo\.Gear"?', reference)  # a docstring's [`Gear`][gizmo.Gear]
    assert re.search(r'href="?#idlers"?', guide)
    # every cross-reference resolved (Material's blog lists excerpts it renders after autorefs
    # resolved the pages, so <autoref> stays there with or without techpath: not checked there)
    for text in (guide, home, reference):
        assert "<autoref" not in text and "<backlinks" not in text
    # the README's badges, GitHub HTML and keys, as the docs policy allows them
    for badge in (
        "https://img.shields.io/pypi/v/gizmo.svg",
        "https://img.shields.io/badge/docs-mkdocs-blue.svg",
    ):
        assert badge in home, badge
    assert "<tt>gizmo --ratio 12 36</tt>" in home and "<picture>" in home
    assert re.search(r'<source media="?\(prefers-color-scheme: dark\)"? srcset="?logo-dark.png"?>', home)
    assert re.search(r'<p align="?center"?>', home) and "<kbd" in home
    assert "twemoji" in home  # :gear: drawn from the emoji set's CDN path, which the CSP allows
    policy = re.search(r'http-equiv="?Content-Security-Policy"? content="([^"]*)"', home)
    assert policy is not None
    img_src = next(d for d in policy[1].split("; ") if d.startswith("img-src")).split()
    assert "https://img.shields.io" in img_src
    assert any(s.startswith("https://cdn.jsdelivr.net/gh/jdecked/twemoji@") for s in img_src)
    # the SVG diagram is published (docs policy), cleaned of its handler and script
    diagram = (out / "diagram.svg").read_text()
    assert "<circle" in diagram and "onload" not in diagram and "<script" not in diagram
    assert re.search(r'<img alt="?How a gear train passes motion along"? src="?diagram.svg"?', home)
    # the markdown-exec fence ran
    assert "ratio = 3.0" in guide


def check_scripts_allowed(out: Path) -> None:
    """Every inline script of every page has its hash in that page's CSP: nothing another plugin
    rewrote after the hashes were taken."""
    pages = list(out.rglob("*.html"))
    assert pages
    for page in pages:
        text = page.read_text()
        found = re.search(r'http-equiv="?Content-Security-Policy"? content="([^"]*)"', text)
        assert found is not None, page
        missing = [h for h in csp.inline_script_hashes(text) if h not in found[1]]
        assert missing == [], (page, missing)


@pytest.mark.parametrize("first", [False, True], ids=["techpath-last", "techpath-first"])
def test_a_mkdocstrings_site_builds_strict_with_techpath_anywhere(tmp_path: Path, first: bool) -> None:
    root = copy_corpus(tmp_path, first=first)
    out, log = build(root)
    check_docs_site(out)
    check_scripts_allowed(out)
    assert "techpath:" not in log.replace("INFO    -  techpath:", "")
    done = lint(root)
    assert done.returncode == 0, done.stdout + done.stderr


PAGE_REWRITERS = """  - blog
  - macros
  - section-index
  - git-revision-date-localized:
      enable_creation_date: true
  - minify:
      minify_html: true
      minify_js: true
      htmlmin_opts:
        remove_comments: true
"""
BLOG_POST = """---
date: 2026-11-02
categories: [Releases]
---

# Gizmo 1.0

The [`Train`][gizmo.Train] class now takes idlers; this release has {{ gear_count }} gears.

<!-- more -->

```python exec="on" result="text"
print(f"output speed: {60 * 12 / 36:.1f} rpm")
```
"""


def test_plugins_that_rewrite_pages_keep_outputs_links_and_a_working_csp(tmp_path: Path) -> None:
    """techpath first; macros renders the page source, minify rewrites every page after us (with
    its comments gone), the blog lists a post's excerpt: the CSP is taken last, the excerpt's
    region is finished first."""
    root = copy_corpus(tmp_path, first=True, plugins=PAGE_REWRITERS, extra="extra:\n  gear_count: 2\n")
    (root / "docs" / "blog" / "posts").mkdir(parents=True)
    (root / "docs" / "blog" / "index.md").write_text("# Blog\n")
    (root / "docs" / "blog" / "posts" / "release.md").write_text(BLOG_POST)
    (root / "docs" / "guide.md").write_text(
        (root / "docs" / "guide.md").read_text() + "\nThe diagram shows {{ gear_count }} gears.\n"
    )
    for command in (
        ["init", "-q"],
        ["add", "-A"],
        ["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "x"],
    ):
        subprocess.run(["git", *command], cwd=root, check=True)
    out, log = build(root)
    check_docs_site(out)
    check_scripts_allowed(out)
    guide = (out / "guide" / "index.html").read_text()
    assert "The diagram shows 2 gears." in guide  # macros
    assert "git-revision-date-localized-plugin" in guide
    assert "<html lang=en class=no-js>" in guide  # minified (quotes dropped by htmlmin)
    post = next(out.glob("blog/2026/11/02/*/index.html")).read_text()
    assert "output speed: 20.0 rpm" in post and "this release has 2 gears" in post
    assert re.search(r'href="?\.\./\.\./\.\./\.\./\.\./reference/#gizmo\.Train"?', post)
    index = (out / "blog" / "index.html").read_text()
    assert "this release has 2 gears" in index and "output speed" not in index  # the excerpt
    assert "techpath:" not in log.replace("INFO    -  techpath:", "")


HOSTILE_PAGE = """# Hostile

A [cross-reference][a" onmouseover="alert(1)] and [another][<img src=x onerror=alert(2)>].

[a link](#x){: onclick="alert(3)" }

<img alt="pixel" src="https://tracker.example/p.png">

<tt>fine</tt> <p style="position:fixed;inset:0">cover</p>
"""
FRENCH_GUIDE = """# Guide

Un train est fait d'objets [`Gear`][gizmo.Gear].

```python exec="on" result="text"
print(f"rapport = {36 / 12:.1f}")
```

<img alt="piste" src="https://tracker.example/fr.png">
"""
I18N = """  - i18n:
      docs_structure: suffix
      languages:
        - locale: en
          default: true
          name: English
        - locale: fr
          name: Français
"""


def test_translations_and_a_hostile_page_same_verdict_in_lint_and_build(tmp_path: Path) -> None:
    """mkdocs-static-i18n serves guide.fr.md as the French guide: it runs and is held to the
    policy. A hostile page's cross-references, attr_list handler, tracker and overlay are refused
    by lint and by the build at the same file:line, and nothing of them reaches a page."""
    root = copy_corpus(tmp_path, plugins=I18N)
    (root / "docs" / "guide.fr.md").write_text(FRENCH_GUIDE)
    (root / "docs" / "hostile.md").write_text(HOSTILE_PAGE)
    out, log = build(root, strict=False)  # relaxed, as `mkdocs serve`: errors logged, pages written
    assert "rapport = 3.0" in (out / "fr" / "guide" / "index.html").read_text()
    built = {(where, message) for where, message in _ERROR.findall(log)}
    linted = lint(root)
    assert linted.returncode == 1
    found = {tuple(line.split(": ", 1)) for line in linted.stdout.splitlines() if line.startswith("docs/")}
    assert built == found, f"build only: {built - found}\nlint only: {found - built}"
    lines = {int(where.rsplit(":", 1)[1]) for where, _ in built if where.startswith("docs/hostile.md")}
    assert lines == {3, 5, 7, 9}, built
    assert any(where == "docs/guide.fr.md:9" and "tracker.example" in m for where, m in built)
    for page in out.rglob("*.html"):
        text = page.read_text()
        for needle in ("onmouseover", "onerror", "onclick", "tracker.example", "position:fixed", "alert("):
            assert needle not in text, (page, needle)
    assert "<tt>fine</tt>" in (out / "hostile" / "index.html").read_text()

"""The HTML phase's parsers remembered (safety/html_memo.py): a hit gives what the parser
gives, and every input of a page's finishing that is not the parsed text or the policy (the
site's policy option, the API link targets, lint's findings, what is reported) still changes
the finished page, never a stale one."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from types import SimpleNamespace

import markdown
import pytest

from techpath.safety import csp, html_memo
from techpath.safety.policy import STRICT, clean_html, profile

HOSTILE = '<p>Hi <img src="https://img.example.org/a.png" onerror="alert(1)"> <u>there</u></p>'


@pytest.fixture
def parsed(monkeypatch) -> list[str]:
    """The texts the policy's parser read (the memo emptied first)."""
    html_memo.CLEANED.clear()
    html_memo.SCRIPT_HASHES.clear()
    texts: list[str] = []
    monkeypatch.setattr(
        html_memo, "clean_html", lambda text, rules: texts.append(text) or clean_html(text, rules)
    )
    return texts


def test_the_policy_memo_answers_as_the_parser_and_parses_again_for_any_other_text(parsed) -> None:
    fresh = clean_html(HOSTILE, STRICT)
    assert html_memo.cleaned_html(HOSTILE) == fresh and fresh[1]  # a violation found and removed
    assert html_memo.cleaned_html(HOSTILE) == fresh and len(parsed) == 1  # answered from the memo
    edited = HOSTILE.replace("there", "here")
    assert html_memo.cleaned_html(edited) == clean_html(edited, STRICT) and len(parsed) == 2


def test_the_policy_memo_misses_when_any_field_of_the_policy_changes(parsed) -> None:
    """Each field of the profile, changed alone, is another key: the answer is the parser's
    under the new profile (a field added to Profile later is in the key too)."""
    base = profile("strict", ("https://cdn.example.org",))
    changed = {
        "name": dataclasses.replace(base, name="strict2"),
        "tags": dataclasses.replace(base, tags=base.tags - {"u"}),
        "attributes": dataclasses.replace(
            base, attributes={**base.attributes, "img": base.attributes["img"] - {"src"}}
        ),
        "image_sources": dataclasses.replace(base, image_sources=("https://img.example.org",)),
    }
    assert set(changed) == {f.name for f in dataclasses.fields(base)}
    html_memo.cleaned_html(HOSTILE, base)
    answers = {html_memo.cleaned_html(HOSTILE, base)[0]}
    assert len(parsed) == 1
    for number, (name, rules) in enumerate(changed.items(), start=2):
        answer = html_memo.cleaned_html(HOSTILE, rules)
        assert len(parsed) == number, name  # parsed again, never the memo's answer for `base`
        assert answer == clean_html(HOSTILE, rules), name
        answers.add(answer[0])
    assert len(answers) == 3  # the tag and the image source the changes refuse or allow
    # A profile equal field by field (a new build's) is the same key.
    assert html_memo.cleaned_html(HOSTILE, profile("strict", ("https://cdn.example.org",)))
    assert len(parsed) == 5


def test_the_script_hash_memo_answers_as_the_parser_and_misses_on_a_changed_script(parsed) -> None:
    page = "<html><head><script>var a = 1;</script></head><body><script src=x.js></script></body></html>"
    first = html_memo.inline_script_hashes(page)
    assert first == csp.inline_script_hashes(page) and len(first) == 1
    assert html_memo.inline_script_hashes(page) == first and html_memo.SCRIPT_HASHES.hits == 1
    other = page.replace("a = 1", "a = 2")
    assert html_memo.inline_script_hashes(other) == csp.inline_script_hashes(other) != first
    assert html_memo.SCRIPT_HASHES.misses == 2


def test_the_memo_keeps_at_most_its_entries_and_the_last_used_stay(parsed) -> None:
    memo = html_memo.TextMemo(lambda text, _s: text.upper(), max_entries=2)
    memo("a"), memo("b"), memo("a"), memo("c")  # "b" is the least recently used
    assert len(memo.entries) == 2 and memo.misses == 3
    memo("a")
    assert memo.misses == 3
    memo("b")
    assert memo.misses == 4


def _page_with_code(tmp_path: Path, policy: str) -> Path:
    (tmp_path / "docs").mkdir(exist_ok=True)
    (tmp_path / "mkdocs.yml").write_text(
        f"site_name: t\nplugins:\n  - techpath:\n      html_policy: {policy}\n"
    )
    (tmp_path / "docs" / "index.md").write_text("# Page\n\nText.\n")
    return tmp_path


def _finisher(site: Path):
    from techpath.config import SiteSettings
    from techpath.engine import Settings
    from techpath.stage.stager import Stager

    stager = Stager(SiteSettings.load(site), Settings(cache_dir=site / ".cache"), info=lambda m: None)
    stager.execute = False
    errors: list[str] = []
    stager.error = errors.append
    stager.load([("index.md", site / "docs" / "index.md")])
    return stager, errors


CONTENT = markdown.Markdown(extensions=["pymdownx.highlight", "pymdownx.superfences"]).convert(
    "Text <tt>t</tt> <img src=x onerror=alert(1)>\n\n```python\nimport numpy as np\nnp.linalg.norm(x)\n```\n"
)


def _result(version: str):
    from techpath.model import BlockResult, PageResult

    names = {"np.linalg.norm": {"path": "numpy.linalg.norm", "kind": "function"}}
    return PageResult(
        path="index.md", blocks=[BlockResult(0, "ok", names=names)], versions={"numpy": version}
    )


def test_a_page_finished_again_is_finished_anew_around_the_remembered_policy(tmp_path: Path, parsed) -> None:
    """What a page's finishing reads besides its HTML, changed between two finishings of the
    same HTML: the API link targets (the page's result), the site's policy option; and what it
    reports is reported by each build, hit or miss."""
    site = _page_with_code(tmp_path, "strict")
    stager, errors = _finisher(site)
    record = stager.records.get("index.md")
    record.result, record.entry = _result("2.0.0"), SimpleNamespace()  # a post's links
    first = stager.page_html("index.md", CONTENT)
    assert "numpy.org/doc/2.0/" in first and "onerror" not in first and "<tt>" not in first
    reported = list(errors)
    assert any("<tt>" in e for e in reported) and len(parsed) == 1
    stager.assembly.new_build()  # the next build (a serve rebuild) of the same page
    assert stager.page_html("index.md", CONTENT) == first and len(parsed) == 1  # remembered
    assert errors == reported * 2  # reported again, as a parse would
    record.result = _result("2.1.0")  # new API link targets, the same HTML
    relinked = stager.page_html("index.md", CONTENT)
    assert "numpy.org/doc/2.1/" in relinked and "numpy.org/doc/2.0/" not in relinked
    # The site's policy option changed (mkdocs.yml read again): parsed again under the new one.
    docs, errors = _finisher(_page_with_code(tmp_path, "docs"))
    relaxed = docs.page_html("index.md", CONTENT)
    assert len(parsed) == 2 and "<tt>" in relaxed and "onerror" not in relaxed


def _serve_site(site: Path, policy: str) -> Path:
    (site / "docs").mkdir(parents=True, exist_ok=True)
    (site / "mkdocs.yml").write_text(
        "site_name: t\ntheme: material\nplugins:\n"
        f"  - techpath:\n      html_policy: {policy}\n      execute: false\n"
    )
    (site / "docs" / "index.md").write_text("# Home\n\nOld <tt>type</tt> and <img src=x onerror=alert(1)>.\n")
    (site / "docs" / "other.md").write_text("# Other\n\nPlain prose.\n")
    return site


@pytest.mark.slow  # three builds of a two-page site
def test_a_serve_rebuild_finishes_unchanged_pages_from_the_memo_and_a_config_change_misses(
    tmp_path: Path, parsed, monkeypatch
) -> None:
    """`techpath serve -g mkdocs` builds each round with new plugins: the region markers' key
    is handed over with the engine (`adopt`), so an unchanged page is the same text and its
    parsers answer from the memo, the pages written the same. The site's policy option changed
    in mkdocs.yml: every page is parsed again under the new policy."""
    from techpath.preview.site_build import SiteBuilder, release

    monkeypatch.setenv("NO_MKDOCS_2_WARNING", "1")
    site = _serve_site(tmp_path / "site", "strict")
    monkeypatch.chdir(site)
    builder = SiteBuilder("mkdocs", site / "mkdocs.yml", "127.0.0.1", 8000, tmp_path / "work")
    first = builder.full(None)
    misses = (html_memo.CLEANED.misses, html_memo.SCRIPT_HASHES.misses)
    assert misses[0] >= 2 and misses[1] >= 2 and len(parsed) == misses[0]
    second = builder.full(first)
    assert second.techpath._stager.markers == first.techpath._stager.markers
    assert (html_memo.CLEANED.misses, html_memo.SCRIPT_HASHES.misses) == misses  # all remembered

    def pages(built) -> dict[str, str]:
        return {str(p.relative_to(built.site_dir)): p.read_text() for p in built.site_dir.rglob("*.html")}

    assert pages(second) == pages(first) and "<tt>" not in pages(first)["index.html"]
    release(first.config)
    _serve_site(site, "docs")
    third = builder.full(second)
    assert html_memo.CLEANED.misses > misses[0]
    assert "<tt>type</tt>" in pages(third)["index.html"] and "onerror" not in pages(third)["index.html"]
    release(second.config)
    release(third.config)

"""Lint's findings kept between builds (safety/prose_memo.py): the same findings from the memo as
from the check, never a finding of another text, policy or set of extensions, and a malformed
or hostile memo file read as nothing."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from techpath.safety.policy import profile
from techpath.safety.prose import ProseCheck
from techpath.safety.prose_memo import MEMO_FILE, ProseMemo, RememberedProseCheck, remembered, save_memo

PAGE = "# Title\n\nSome text.\n\n<img src=x onerror=alert(1)>\n\n<svg onload=alert(2)></svg>\n"


def _checked(check: ProseCheck, text: str, memo: Path) -> tuple[list[tuple[int, str]], int]:
    """The findings, and how many times the page was converted to get them."""
    check = remembered(check, memo.parent)
    assert isinstance(check, RememberedProseCheck)
    converted = 0
    render = check.checked_html

    def counting(text: str) -> str:
        nonlocal converted
        converted += 1
        return render(text)

    check.checked_html = counting  # type: ignore[method-assign]
    found = [(f.line, f.message) for f in check.check(text, 3)]
    save_memo(check)
    return found, converted


def test_an_unchanged_page_is_not_converted_again_and_gets_the_same_findings(tmp_path: Path) -> None:
    memo = tmp_path / MEMO_FILE
    first, converted = _checked(ProseCheck(), PAGE, memo)
    assert converted == 1 and len(first) >= 2 and {line for line, _ in first} == {7, 9}
    again, converted = _checked(ProseCheck(), PAGE, memo)
    assert (again, converted) == (first, 0)
    plain = ProseCheck().check(PAGE, 3)  # no memo at all: the same verdict
    assert [(f.line, f.message) for f in plain] == first


def test_another_text_policy_or_extension_set_is_checked_afresh(tmp_path: Path) -> None:
    memo = tmp_path / MEMO_FILE
    _checked(ProseCheck(), PAGE, memo)
    assert _checked(ProseCheck(), PAGE, memo)[1] == 0
    assert _checked(ProseCheck(), PAGE + "\nMore.\n", memo)[1] == 1
    assert _checked(ProseCheck(rules=profile("docs")), PAGE, memo)[1] == 1
    fewer = ProseCheck(extensions=["attr_list", "md_in_html", "tables"])
    assert _checked(fewer, PAGE, memo)[1] == 1
    with_options = ProseCheck(configs={"toc": {"permalink": True}})
    assert _checked(with_options, PAGE, memo)[1] == 1
    # the same text starting at another line reports other lines
    assert {f.line for f in remembered(ProseCheck(), tmp_path).check(PAGE, 1)} == {5, 7}


@pytest.mark.parametrize(
    "content",
    [
        "not json",
        "[]",
        '{"identity": "other", "entries": {}}',
        None,  # the right identity, entries that hide every violation of PAGE or are malformed
    ],
)
def test_a_malformed_or_foreign_memo_file_hides_nothing(tmp_path: Path, content: str | None) -> None:
    memo = tmp_path / MEMO_FILE
    check = ProseCheck()
    opened = ProseMemo.open(memo, check)
    assert opened is not None
    if content is None:
        key = opened.key(PAGE, 3)
        bad = {key: [[0, "x"]], "k2": "y", "k3": [["1", "x"]]}
        memo.write_text(json.dumps({"identity": opened.identity, "entries": bad}))
        assert ProseMemo.open(memo, check).stored == {}  # type: ignore[union-attr]
    else:
        memo.write_text(content)
    found, converted = _checked(ProseCheck(), PAGE, memo)
    assert converted == 1 and {line for line, _ in found} == {7, 9}


def test_a_site_whose_extensions_or_options_cannot_be_keyed_gets_no_memo(tmp_path: Path) -> None:
    memo = tmp_path / MEMO_FILE
    assert ProseMemo.open(memo, ProseCheck(extensions=["my_local_extension"])) is None
    unkeyed = ProseCheck(configs={"toc": {"slugify": lambda s, sep: s}})
    assert remembered(unkeyed, tmp_path) is unkeyed  # checked as before, every time
    from material.extensions.emoji import twemoji

    named = ProseCheck(configs={"pymdownx.emoji": {"emoji_index": twemoji}})
    assert ProseMemo.open(memo, named) is not None  # a function of a keyed library, by its name


def test_the_file_keeps_the_last_builds_pages_only(tmp_path: Path) -> None:
    memo = tmp_path / MEMO_FILE
    _checked(ProseCheck(), PAGE, memo)
    _checked(ProseCheck(), "# Other\n", memo)
    entries = json.loads(memo.read_text())["entries"]
    assert len(entries) == 1 and list(tmp_path.iterdir()) == [memo]  # no scratch file left


def test_a_memo_that_cannot_be_written_only_checks_again(tmp_path: Path) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    check = remembered(ProseCheck(), blocked / "cache")
    assert {f.line for f in check.check(PAGE, 3)} == {7, 9}
    save_memo(check)  # the folder cannot be made: no error, nothing written
    assert blocked.read_text() == "not a folder"


@pytest.mark.slow
def test_a_second_build_reports_the_same_refusal_from_the_memo(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Builds of one site with one cache folder: the second reads the page's findings from
    `prose.json` and fails strictly at the same line; a memo that hides the refusal hides it from
    nothing; an edit of the page is checked afresh."""
    from tests.conftest import ROOT, run_mkdocs_build

    site = tmp_path / "site"
    shutil.copytree(ROOT / "tests" / "sample_site", site)
    (site / "mkdocs.yml").write_text(
        (site / "mkdocs.yml")
        .read_text()
        .replace("../../node_modules/katex", str(ROOT / "node_modules" / "katex"))
    )
    page = site / "docs" / "index.md"
    page.write_text(page.read_text() + "\n\nText.\n\n<img src=x onerror=alert(1)>\n")
    line = page.read_text().split("\n").index("<img src=x onerror=alert(1)>") + 1
    monkeypatch.setenv("TECHPATH_CACHE_DIR", str(tmp_path / "cache"))
    verdicts = []
    for _ in range(2):
        built = run_mkdocs_build(tmp_path / "out", site / "mkdocs.yml")
        verdicts.append(
            (built.returncode, [r for r in built.stderr.splitlines() if f"docs/index.md:{line}:" in r])
        )
        assert (tmp_path / "cache" / MEMO_FILE).is_file()
    assert verdicts[0][0] != 0 and verdicts[0][1] and verdicts[1] == verdicts[0]
    memo = json.loads((tmp_path / "cache" / MEMO_FILE).read_text())
    assert any(finding[0] == line for findings in memo["entries"].values() for finding in findings)
    # a memo that hides the refusal: the build's own pass on the page still finds it, at its line
    memo["entries"] = {key: [] for key in memo["entries"]}
    (tmp_path / "cache" / MEMO_FILE).write_text(json.dumps(memo))
    hidden = run_mkdocs_build(tmp_path / "out", site / "mkdocs.yml")
    assert hidden.returncode != 0
    caught = [r for r in hidden.stderr.splitlines() if f"docs/index.md:{line}:" in r and "onerror" in r]
    assert caught and all(
        "a plugin or Markdown extension wrote" in r for r in caught
    )  # not lint's: it read the memo
    page.write_text(page.read_text().replace("<img src=x onerror=alert(1)>", "Fixed."))
    assert run_mkdocs_build(tmp_path / "out", site / "mkdocs.yml").returncode == 0


def test_a_check_kept_across_the_loads_of_serve_writes_only_the_last_builds_texts(tmp_path: Path) -> None:
    """`techpath serve` keeps one check while the site's settings stay (`same_settings`): each
    load starts a build (`forget_unused`), so the file never holds an edited page's older texts."""
    check = remembered(ProseCheck(), tmp_path)
    assert check.same_settings(ProseCheck()) and not check.same_settings(ProseCheck(autorefs=True))
    check.check("The first version.\n", 1)
    save_memo(check)
    check.forget_unused()
    check.check("The saved version.\n", 1)
    save_memo(check)
    entries = json.loads((tmp_path / MEMO_FILE).read_text())["entries"]
    assert len(entries) == 1

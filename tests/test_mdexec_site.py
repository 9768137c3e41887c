"""A documentation site written for markdown-exec (tests/corpora/mdexec_site) built by techpath
with one plugin line: every fence gives the verdict expected.yml names (works, or an error at
its line saying what to write instead), hostile output stays inert, and the page that both can
build (parity.md) reads the same as markdown-exec's own build of it."""

from __future__ import annotations

import html
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml

from tests.conftest import run_mkdocs_build

CORPUS = Path(__file__).parent / "corpora" / "mdexec_site"
VERDICTS = yaml.safe_load((CORPUS / "expected.yml").read_text(encoding="utf-8"))
_ERROR = re.compile(
    r"^ERROR\s+-\s+techpath: docs/(?P<page>[\w/.-]+\.md):(?P<line>\d+): (?P<message>.*)$", re.M
)


def article(page_html: str) -> str:
    return page_html[page_html.index("<article") : page_html.index("</article>")]


def text_of(fragment: str) -> str:
    """What a reader sees: tags and inline SVG icons dropped, entities read, blank lines gone."""
    fragment = re.sub(r"<svg.*?</svg>", "", fragment, flags=re.S)
    return re.sub(r"\n\s*\n+", "\n", html.unescape(re.sub(r"<[^>]+>", "", fragment)))


def toc_anchors(page_html: str) -> list[str]:
    if 'data-md-component="toc"' not in page_html:
        return []
    nav = page_html[page_html.index('data-md-component="toc"') :]
    return re.findall(r'<a href="#([^"]+)" class="md-nav__link">', nav[: nav.index("</nav>")])


class _Ancestors(HTMLParser):
    """The open elements around the first text that holds `needle`."""

    def __init__(self, needle: str) -> None:
        super().__init__()
        self.needle, self.open, self.found = needle, [], None

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag not in ("br", "hr", "img", "input", "meta", "link", "wbr"):
            self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in self.open:
            del self.open[len(self.open) - 1 - self.open[::-1].index(tag) :]

    def handle_data(self, data: str) -> None:
        if self.found is None and self.needle in data:
            self.found = list(self.open)


def line_of(page: str, needle: str) -> int:
    for number, line in enumerate((CORPUS / "docs" / page).read_text(encoding="utf-8").split("\n"), 1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} is on no line of {page}")


@pytest.fixture(scope="module")
def mdexec_build(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The corpus built by MkDocs with techpath (not strict: its errors page must still build)."""
    root = tmp_path_factory.mktemp("mdexec") / "site-src"
    shutil.copytree(CORPUS, root)
    out = root.parent / "site"
    built = run_mkdocs_build(out, root / "mkdocs.yml", strict=False)
    assert built.returncode == 0, built.stderr
    return out, built.stderr


@pytest.mark.slow
def test_every_fence_gives_its_expected_verdict_and_no_other_error(mdexec_build: tuple[Path, str]) -> None:
    out, log = mdexec_build
    reported = [(m["page"], int(m["line"]), m["message"]) for m in _ERROR.finditer(log)]
    expected_errors = [v for v in VERDICTS if v["verdict"] == "error"]
    for verdict in expected_errors:
        where = (verdict["page"], line_of(verdict["page"], verdict["at"]))
        said = [message for page, line, message in reported if (page, line) == where]
        assert any(verdict["says"] in m for m in said), f"{where}: expected {verdict['says']!r}, got {said}"
    expected_lines = {(v["page"], line_of(v["page"], v["at"])) for v in expected_errors}
    unexpected = [r for r in reported if (r[0], r[1]) not in expected_lines]
    assert unexpected == []
    for verdict in (v for v in VERDICTS if v["verdict"] == "works"):
        page = verdict["page"].removesuffix(".md")
        page_html = (out / ("" if page == "index" else page) / "index.html").read_text(encoding="utf-8")
        content = article(page_html)
        seen = text_of(content)
        where = f"{verdict['page']}:{line_of(verdict['page'], verdict['at'])}"
        for shown in verdict.get("shows", []):
            assert shown in seen, f"{where}: {shown!r} is not on the page"
        for hidden in verdict.get("hides", []):
            assert hidden not in seen, f"{where}: {hidden!r} is on the page"
        for markup in verdict.get("html", []):
            assert markup in content, f"{where}: {markup!r} is not in the page's HTML"
        anchors = toc_anchors(page_html)
        assert all(a in anchors for a in verdict.get("toc", [])), (where, anchors)
        assert not any(a in anchors for a in verdict.get("not_toc", [])), (where, anchors)
        if "inside" in verdict:
            tag, needle = verdict["inside"]
            parser = _Ancestors(needle)
            parser.feed(content)
            assert parser.found is not None and tag in parser.found, (where, parser.found)


@pytest.mark.slow
def test_hostile_output_stays_inert_and_errors_do_not_stop_the_site(mdexec_build: tuple[Path, str]) -> None:
    out, _log = mdexec_build
    errors = article((out / "errors" / "index.html").read_text(encoding="utf-8"))
    assert "<b>kept</b>" in errors  # what the policy allows of that output is shown
    assert "onerror" not in errors and "<script" not in errors and "alert(" not in errors
    assert "generated code never runs" in errors  # shown as code: never run
    for page in ("python", "shell", "literate", "tree", "parity", "structure", "pycon"):
        assert (out / page / "index.html").is_file()


def normalized(page_html: str) -> str:
    """A page's article as structure and text: ids and the links to them, the numbering of
    generated ids, our wrapper, highlighting spans and whitespace left out."""
    body = article(page_html)
    body = re.sub(r"<svg.*?</svg>", "[icon]", body, flags=re.S)
    body = re.sub(r'\s(?:id|for|name|href|data-tabs)="[^"]*"', "", body)
    body = body.replace('<div class="techpath-mdexec">', "").replace("&#10;", "\n")
    body = re.sub(r"<span[^>]*>|</span>|</div>", "", body)
    body = re.sub(r"<p>\s*</p>", "", body)
    return re.sub(r"\s+", " ", re.sub(r">\s+<", "><", body))


@pytest.mark.slow
def test_the_parity_page_reads_as_markdown_exec_renders_it(
    mdexec_build: tuple[Path, str], tmp_path: Path
) -> None:
    pytest.importorskip("markdown_exec")
    root = tmp_path / "site-src"
    shutil.copytree(CORPUS, root)
    config = root / "mkdocs.yml"
    text = config.read_text(encoding="utf-8")
    plugin = "  - techpath:\n      execute: marked\n      keep_warm: 0\n"
    assert plugin in text
    config.write_text(text.replace(plugin, "  - markdown-exec\n"), encoding="utf-8")
    theirs = run_mkdocs_build(tmp_path / "site", config, strict=False)
    assert theirs.returncode == 0, theirs.stderr
    ours_dir, _log = mdexec_build
    for page in ("parity", "structure", "pycon", "tree", "shell"):
        ours = normalized((ours_dir / page / "index.html").read_text(encoding="utf-8"))
        reference = normalized((tmp_path / "site" / page / "index.html").read_text(encoding="utf-8"))
        assert ours == reference, page

"""`techpath serve` on a real (small) site, with each generator: saves of every kind, each shown,
and once the preview has settled the served site equals a clean `techpath build` of the same
sources, file by file over HTTP (docs/design.md, "The preview loop")."""

from __future__ import annotations

import json
import os
import re
import signal
import threading
from pathlib import Path

import pytest

from techpath.preview.compare import differences
from tests.preview import Preview, Reloads, clean_build, copy_sample, save

GENERATORS = ("mkdocs", "properdocs", "zensical")


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{path.name} lacks {old!r}"
    save(path, text.replace(old, new))


def _assert_same_as_a_clean_build(preview: Preview, tmp_path: Path) -> None:
    preview.settled()
    _assert_no_wait_timed_out(preview)
    built = clean_build(preview.site, preview.generator, preview.url, tmp_path / "clean")
    assert differences(built, preview.url, preview.served_folder()) == []


def _assert_no_wait_timed_out(preview: Preview) -> None:
    """No round waited out its limit for a build that never came (with Zensical, a rewritten
    download it copies without a build: the round then lasted 120 s and the test idled)."""
    assert "was not served within" not in preview.output(), preview.output()[-3000:]


@pytest.mark.slow
@pytest.mark.parametrize("generator", GENERATORS)
def test_every_kind_of_save_then_the_served_site_equals_a_clean_build(generator: str, tmp_path: Path) -> None:
    site = copy_sample(tmp_path / "site")
    posts = site / "docs" / "blog" / "posts"
    preview = Preview(site, generator)
    try:
        # prose above the excerpt separator: the post, then the index page that lists it
        _edit(posts / "alpha.md", "Alpha adds up five numbers", "Alpha adds up five small numbers")
        preview.wait_text("blog/alpha/", "five small numbers")
        preview.wait_text("blog/page/2/", "five small numbers")
        preview.wait(
            lambda: (
                "five small numbers"
                in (preview.get("search/search_index.json") or preview.get("search.json") or "")
            ),
            "search",
        )
        # code: the post runs again and shows its new output
        _edit(posts / "alpha.md", "np.arange(5)", "np.arange(6)")
        preview.wait_text("blog/alpha/", "alpha sum: 15")
        # front matter: delta moves to another category and another place in the index
        _edit(posts / "delta.md", "categories: [Essays]", "categories: [Advanced]")
        preview.wait_text("blog/category/advanced/", "Delta thinks aloud")
        preview.wait_text("blog/category/essays/", "Delta thinks aloud", present=False)
        # a new post, renamed, then deleted
        text = (posts / "delta.md").read_text(encoding="utf-8")
        save(posts / "epsilon.md", text.replace("Delta", "Epsilon").replace("slug: delta", "slug: epsilon"))
        preview.wait_text("blog/epsilon/", "Epsilon thinks aloud")
        preview.settled()
        (posts / "epsilon.md").rename(posts / "zeta.md")
        preview.settled()
        (posts / "zeta.md").unlink()
        preview.wait(lambda: preview.get("blog/epsilon/") is None, "the deleted post to go")
        # the notebook post
        notebook = json.loads((posts / "gamma.ipynb").read_text(encoding="utf-8"))
        notebook["cells"][1]["source"][0] = "Gamma multiplies two numbers, and says so.\n"
        save(posts / "gamma.ipynb", json.dumps(notebook, indent=1) + "\n")
        preview.wait_text("blog/gamma/", "and says so")
        # files outside docs: the data a post reads, a snippet, a theme override, mkdocs.yml
        save(posts / "data" / "numbers.csv", "1\n4\n9\n16\n25\n")
        preview.wait_text("blog/beta/", "beta rows: 5")
        _edit(site / "snippets" / "notice.md", "comes from a snippet", "comes from an edited snippet")
        preview.wait_text("", "comes from an edited snippet")
        _edit(site / "overrides" / "partials" / "copyright.html", "Preview sample footer", "Edited footer")
        preview.wait_text("blog/delta/", "Edited footer")
        _edit(site / "mkdocs.yml", "site_name: Preview sample", "site_name: Preview renamed")
        preview.wait_text("blog/beta/", "Preview renamed")
        _assert_same_as_a_clean_build(preview, tmp_path)
    finally:
        preview.stop()


@pytest.mark.slow
@pytest.mark.parametrize("generator", GENERATORS)
def test_a_broken_save_keeps_the_last_good_page_and_says_why(generator: str, tmp_path: Path) -> None:
    site = copy_sample(tmp_path / "site")
    alpha = site / "docs" / "blog" / "posts" / "alpha.md"
    good = alpha.read_text(encoding="utf-8")
    preview = Preview(site, generator)
    try:
        save(alpha, good.replace("date: 2026-01-05", "date: someday"))
        preview.wait(lambda: "alpha.md:4" in (preview.state() or {}).get("error", ""), "the error")
        error = (preview.state() or {})["error"]
        assert "front matter field 'date'" in error and "YYYY-MM-DD" in error
        preview.settled()
        assert "Alpha adds up five numbers" in (preview.get("blog/alpha/") or "")  # still served
        assert "Beta reads a file" in (preview.get("blog/beta/") or "")  # and the rest
        assert "alpha.md:4" in preview.output()  # the terminal says it too
        save(alpha, good.replace("Alpha adds up", "Alpha, fixed, adds up"))
        preview.wait_text("blog/alpha/", "Alpha, fixed, adds up")
        preview.wait(lambda: (preview.state() or {}).get("error") == "", "the error to clear")
        _assert_same_as_a_clean_build(preview, tmp_path)
    finally:
        preview.stop()


@pytest.mark.slow
@pytest.mark.parametrize("generator", GENERATORS)
def test_the_saved_page_is_served_alone_first_then_the_pages_that_show_it(
    generator: str, tmp_path: Path
) -> None:
    """A prose save: the post alone is built, served and reloaded in the open tab; only then do
    the blog index, its category page and search follow (the feed shows the description:
    the clean-build comparisons cover it). A code save: only that post
    executes, in the warm process the session keeps. The first page is the one that stays."""
    site = copy_sample(tmp_path / "site")
    alpha = site / "docs" / "blog" / "posts" / "alpha.md"
    preview = Preview(site, generator)
    reloads = None
    try:
        executed_at = _executed_at(preview)
        reloads = Reloads(preview)
        _edit(alpha, "Alpha adds up five numbers", "Alpha adds up five small numbers")
        preview.wait_text("blog/alpha/", "five small numbers")
        first = preview.get("blog/alpha/")
        preview.wait_text("blog/page/2/", "five small numbers")  # the index shows the excerpt
        preview.settled()
        answers = reloads.stop()
        # the saved page alone, reloaded first (with Zensical, which rebuilds it with what shows
        # it in one build, its file is copied the moment Zensical closes it)
        assert answers[0] == ["/blog/alpha/"], answers
        later = {url for answer in answers for url in answer}
        assert {"/blog/page/2/", "/blog/category/basics/"} <= later, answers  # what shows its excerpt
        assert "five small numbers" in (
            preview.get("search/search_index.json") or preview.get("search.json") or ""
        )
        assert _without_reload(preview.get("blog/alpha/")) == _without_reload(first)  # as it stays
        # a code save: that post alone executes, in the same warm process as the last save
        _edit(alpha, "np.arange(5)", "np.arange(6)")
        preview.wait_text("blog/alpha/", "alpha sum: 15")
        preview.settled()
        notes = _served_notes(preview.output())
        assert len(notes) == 2, preview.output()[-3000:]
        prose, code = notes
        assert prose[:2] == ("0", "1") and code[:2] == ("1", "0"), notes  # (executed, from cache)
        assert prose[2] == code[2], notes  # the same warm process
        now = _executed_at(preview)
        assert now["docs/blog/posts/alpha.md"] > executed_at["docs/blog/posts/alpha.md"]
        assert {k: v for k, v in now.items() if k != "docs/blog/posts/alpha.md"} == {
            k: v for k, v in executed_at.items() if k != "docs/blog/posts/alpha.md"
        }  # no other page executed again, by the save or by the whole build after it
        _assert_no_wait_timed_out(preview)
    finally:
        if reloads is not None:
            reloads.stop()
        preview.stop()


@pytest.mark.slow
def test_zensical_stopped_a_save_is_still_served_then_its_own_page_replaces_it(tmp_path: Path) -> None:
    """Zensical's rebuild (1-2 s) is not waited for: with Zensical stopped (SIGSTOP) after its
    first build, a prose save is served with its new link placed as Zensical places it, its
    new heading in the table of contents and its hostile markup cleaned by the HTML phase
    (docs/design.md, "Zensical: the saved page before its rebuild"); a code save shows its
    new output. Once Zensical runs again, the served site equals a clean build."""
    site = copy_sample(tmp_path / "site")
    alpha = site / "docs" / "blog" / "posts" / "alpha.md"
    preview = Preview(site, "zensical")
    zensical = _zensical_of(preview.process.pid)
    try:
        os.kill(zensical, signal.SIGSTOP)
        try:
            heading = (
                '## Counting again\n\nOnce more, with [beta](beta.md) <span onclick="alert(1)">here</span>.'
            )
            _edit(alpha, "## The recipe", heading + "\n\n## The recipe")
            preview.wait_text("blog/alpha/", "Once more, with")
            page = preview.get("blog/alpha/") or ""
            assert '<a href="../beta/">beta</a>' in page  # as Zensical writes the link
            assert page.count('href="#counting-again" class="md-nav__link"') == 2  # sidebar, navigation
            assert "onclick" not in page and "alert(1)" not in page
            assert 'http-equiv="Content-Security-Policy"' in page
            _edit(alpha, "np.arange(5)", "np.arange(6)")
            preview.wait_text("blog/alpha/", "alpha sum: 15")
        finally:
            os.kill(zensical, signal.SIGCONT)
        _assert_same_as_a_clean_build(preview, tmp_path)
    finally:
        preview.stop()


@pytest.mark.slow
def test_zensical_stopped_by_an_error_starts_again_at_the_next_save(tmp_path: Path) -> None:
    """Two posts with one slug stop `zensical serve` ("page destination ... has multiple
    owners"): the preview says so, and the next save stages the site again and starts Zensical
    again, so the writer's later saves are served and the site equals a clean build."""
    site = copy_sample(tmp_path / "site")
    posts = site / "docs" / "blog" / "posts"
    preview = Preview(site, "zensical")
    try:
        twin = (posts / "delta.md").read_text(encoding="utf-8").replace("Delta thinks", "Twin thinks")
        save(posts / "twin.md", twin)  # the same slug as delta.md
        preview.wait(lambda: "zensical serve ended" in preview.output(), "Zensical to stop")
        (posts / "twin.md").unlink()
        _edit(posts / "alpha.md", "Alpha adds up five numbers", "Alpha adds up five small numbers")
        preview.wait_text("blog/alpha/", "five small numbers")
        _assert_same_as_a_clean_build(preview, tmp_path)
    finally:
        preview.stop()


def _zensical_of(pid: int) -> int:
    """The `zensical serve` process the preview `pid` started."""
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    for child in map(int, children):
        command = Path(f"/proc/{child}/cmdline").read_bytes().split(b"\0")
        if any(part.endswith(b"zensical") for part in command) and b"serve" in command:
            return child
    raise AssertionError(f"no zensical serve among {children}")


def _executed_at(preview: Preview) -> dict[str, str]:
    """When each page with code last executed, from the served techpath-report.json."""
    report = json.loads(preview.get("techpath-report.json") or "{}")
    rows = {row["path"]: row["executed_at"] for row in report.get("posts", [])}
    assert "docs/blog/posts/alpha.md" in rows, report
    return rows


def _served_notes(log: str) -> list[tuple[str, str, str]]:
    """(executed, from cache, warm process) of each "served in" line of the preview's log."""
    pattern = r"served in [\d.]+ s \(executed (\d+) pages?, (\d+) from cache; warm process (\d+)\)"
    return re.findall(pattern, log)


@pytest.mark.slow
def test_two_quick_saves_never_show_the_older_after_the_newer(tmp_path: Path) -> None:
    site = copy_sample(tmp_path / "site")
    delta = site / "docs" / "blog" / "posts" / "delta.md"
    text = delta.read_text(encoding="utf-8")
    preview = Preview(site, "mkdocs")
    seen: list[str] = []
    stop = threading.Event()

    def watch() -> None:
        while not stop.is_set():
            page = preview.get("blog/delta/") or ""
            seen.append("second" if "Second save." in page else "first" if "First save." in page else "")

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        save(delta, text + "\nFirst save.\n")
        save(delta, text + "\nSecond save.\n")
        preview.wait_text("blog/delta/", "Second save.")
        preview.settled()
    finally:
        stop.set()
        watcher.join()
        preview.stop()
    after_second = seen[seen.index("second") :]
    assert set(after_second) == {"second"}, seen


def _without_reload(page: str | None) -> str:
    assert page is not None
    return page.split('<script src="/.techpath-preview/livereload.js', 1)[0]

"""The preview's parts, without a site build: the server and its reload protocol, files renamed
into place, what a comparison with a clean build ignores (and what it must not), the watcher."""

from __future__ import annotations

import gzip
import io
import json
import threading
import time
import urllib.error
import urllib.request
import zipfile
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from techpath.preview.compare import normalised
from techpath.preview.server import PREFIX, PreviewServer, page_url
from techpath.preview.sync import files_under, replace_file, sync_tree
from techpath.preview.watch import Watcher, before_build, changed, snapshot


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[PreviewServer, Path]]:
    root = tmp_path / "served"
    (root / "blog" / "x").mkdir(parents=True)
    (root / "index.html").write_text("<html><body><p>home</p></body></html>")
    (root / "blog" / "x" / "index.html").write_text("<html><body><p>post x</p></body></html>")
    (root / "404.html").write_text("<html><body><p>not here</p></body></html>")
    (tmp_path / "secret.txt").write_text("outside the site")
    server = PreviewServer(root, "127.0.0.1", 0)
    server.start()
    try:
        yield server, root
    finally:
        server.stop()


def _get(url: str) -> tuple[int, str, dict[str, str]]:
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: object, **kwargs: object) -> None:
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(url, timeout=10) as response:
            return response.status, response.read().decode(), dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(), dict(error.headers)


def test_pages_get_the_reload_script_as_a_file_the_csp_allows(served: tuple[PreviewServer, Path]) -> None:
    server, _root = served
    status, page, headers = _get(server.url + "blog/x/")
    assert status == 200 and "post x" in page
    assert f'<script src="{PREFIX}livereload.js?epoch=' in page
    assert page.index("livereload.js") < page.index("</body>")
    assert "<script>" not in page  # an inline script would be refused by the page's CSP
    status, script, headers = _get(server.url + PREFIX.lstrip("/") + "livereload.js")
    assert status == 200 and headers["Content-Type"] == "application/javascript"
    assert "location.reload()" in script


def test_paths_stay_inside_the_served_folder(served: tuple[PreviewServer, Path]) -> None:
    server, _root = served
    for hostile in ("../secret.txt", "%2e%2e/secret.txt", "blog/../../secret.txt", "..%2fsecret.txt"):
        status, page, _ = _get(server.url + hostile)
        assert "outside the site" not in page, hostile
        assert status == 404, hostile
    status, page, _ = _get(server.url + "missing/")
    assert status == 404 and "not here" in page  # the site's own 404 page
    status, _, headers = _get(server.url + "blog/x")
    assert status == 302 and headers["Location"] == "/blog/x/"


def test_poll_names_the_pages_that_changed_and_waits_otherwise(served: tuple[PreviewServer, Path]) -> None:
    server, _root = served
    start = server.state_after(0, 0)["epoch"]
    answers: list[dict] = []
    waiting = threading.Thread(target=lambda: answers.append(server.state_after(start, 10)))
    waiting.start()
    time.sleep(0.3)
    assert not answers  # nothing changed yet: the poll waits
    server.changed(["blog/x/index.html", "search/search_index.json"])
    waiting.join(5)
    (state,) = answers
    assert state["epoch"] > start and state["changed"] == ["/blog/x/"] and not state["all"]
    server.changed(["stylesheets/extra.css"])  # every page loads it
    assert server.state_after(state["epoch"], 0)["all"]
    _status, body, _ = _get(server.url + PREFIX.lstrip("/") + f"poll?epoch={start}")
    assert json.loads(body)["changed"] == ["/blog/x/"]


def test_an_error_reaches_every_open_page_and_clears(served: tuple[PreviewServer, Path]) -> None:
    server, _root = served
    epoch = server.state_after(0, 0)["epoch"]
    server.set_error("docs/blog/posts/x.md:4: front matter field 'date': expected a date")
    state = server.state_after(epoch, 1)
    assert state["epoch"] > epoch and "x.md:4" in state["error"] and not state["changed"]
    server.set_error("")
    assert server.state_after(state["epoch"], 1)["error"] == ""


def test_page_urls() -> None:
    assert page_url("index.html") == ""
    assert page_url("blog/x/index.html") == "blog/x/"
    assert page_url("404.html") == "404.html"


def test_files_are_replaced_whole_and_a_tree_synced(tmp_path: Path) -> None:
    target = tmp_path / "served"
    replace_file(target / "a" / "page.html", b"one")
    replace_file(target / "a" / "page.html", b"two")
    assert (target / "a" / "page.html").read_bytes() == b"two"
    assert files_under(target) == ["a/page.html"]  # no partial file left behind
    source = tmp_path / "built"
    (source / "b").mkdir(parents=True)
    (source / "b" / "new.html").write_text("new")
    (source / "a").mkdir()
    (source / "a" / "page.html").write_text("two")
    replace_file(target / "old" / "gone.html", b"stale")
    replace_file(target / "kept" / "page.html", b"last good")
    changed_names = sync_tree(source, target, keep={"kept/page.html"}.__contains__)
    assert changed_names == ["b/new.html", "old/gone.html"]
    assert sorted(files_under(target)) == ["a/page.html", "b/new.html", "kept/page.html"]
    assert not (target / "old").exists()


def test_only_build_times_are_normalised() -> None:
    sitemap = b"<url><loc>http://x/a/</loc><lastmod>2026-01-01</lastmod></url>"
    assert normalised("sitemap.xml", sitemap) == normalised(
        "sitemap.xml", sitemap.replace(b"01-01", b"02-02")
    )
    assert normalised("sitemap.xml", sitemap) != normalised("sitemap.xml", sitemap.replace(b"/a/", b"/b/"))
    zipped = gzip.compress(sitemap, mtime=1)
    assert normalised("sitemap.xml.gz", zipped) == normalised(
        "sitemap.xml.gz", gzip.compress(sitemap, mtime=2)
    )
    feed = (
        b"<channel><pubDate>Mon</pubDate> <lastBuildDate>Mon</lastBuildDate>"
        b"<item><title>A</title><pubDate>Sun, 01 Jan</pubDate></item>"
        b"<item><title>B</title><pubDate>Sat, 02 Jan</pubDate></item></channel>"
    )
    later = feed.replace(b"Mon", b"Tue").replace(b"Sun, 01", b"Fri, 09")
    assert normalised("feed_rss_created.xml", feed) != normalised("feed_rss_created.xml", later)  # post dates
    swapped = feed.replace(b"<title>A</title>", b"<title>C</title>")
    reordered = (
        b"<channel><pubDate>Tue</pubDate> <lastBuildDate>Tue</lastBuildDate>"
        b"<item><title>B</title><pubDate>x</pubDate></item><item><title>A</title><pubDate>y</pubDate></item></channel>"
    )
    assert normalised("feed_rss_updated.xml", feed) == normalised("feed_rss_updated.xml", reordered)
    assert normalised("feed_rss_updated.xml", feed) != normalised("feed_rss_updated.xml", swapped)
    page = b'<body><p>x</p><script src="/.techpath-preview/livereload.js?epoch=12"></script></body>'
    assert normalised("a/index.html", page) == b"<body><p>x</p></body>"
    assert normalised("a/index.html", page.replace(b"<p>x", b"<p>y")) != b"<body><p>x</p></body>"


def _zip(stamp: tuple[int, ...], text: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr(zipfile.ZipInfo("post/post.py", stamp), text)
    return out.getvalue()


def test_a_download_zip_is_compared_by_its_members_not_their_time_stamps() -> None:
    first, later = _zip((2026, 1, 1, 0, 0, 0), b"print(1)"), _zip((2026, 1, 2, 0, 0, 0), b"print(1)")
    assert first != later and normalised("x.zip", first) == normalised("x.zip", later)
    assert normalised("x.zip", first) != normalised("x.zip", _zip((2026, 1, 1, 0, 0, 0), b"print(2)"))


def test_the_watcher_reports_each_changed_file_once(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    (docs / ".hidden").mkdir(parents=True)
    page = docs / "page.md"
    page.write_text("one")
    before = snapshot([docs])
    (docs / ".hidden" / "x.md").write_text("editor state")
    (docs / "page.md.swp").write_text("swap")
    page.write_text("two, longer")
    (docs / "new.md").write_text("new")
    assert changed(before, snapshot([docs])) == {page, docs / "new.md"}
    watcher = Watcher([docs])
    try:
        page.write_text("three, longer still")
        assert watcher.wait(timeout=10) == {page.resolve()}
        assert watcher.wait(timeout=0.2) == set()
    finally:
        watcher.stop()


def test_a_save_is_found_from_the_events_without_walking_the_docs_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A one-page save must cost the same on 500 pages as on 5: after the first wait, the files
    the events named are compared, not a snapshot of every file. What the snapshot would skip
    stays skipped; a deletion and an editor's rename-into-place are seen; a new folder (a folder
    event) takes the whole snapshot again."""
    import techpath.preview.watch as watch

    docs = tmp_path / "docs"
    docs.mkdir()
    pages = [docs / f"post{i:03d}.md" for i in range(50)]
    for page in pages:
        page.write_text("text")
    watcher = Watcher([docs])
    walks = []
    real_snapshot = watch.snapshot
    monkeypatch.setattr(watch, "snapshot", lambda roots: walks.append(roots) or real_snapshot(roots))
    try:
        pages[0].write_text("the first save")
        assert watcher.wait(timeout=10) == {pages[0].resolve()}  # the first poll walks once
        walks.clear()
        pages[7].write_text("a save, longer")
        assert watcher.wait(timeout=10) == {pages[7].resolve()}
        (docs / ".post007.md.swp").write_text("editor state")
        (docs / "post008.md~").write_text("backup")
        assert watcher.wait(timeout=1) == set()
        pages[9].unlink()
        assert watcher.wait(timeout=10) == {pages[9].resolve()}
        temporary = docs / ".post010.md.tmp"
        temporary.write_text("saved by renaming into place")
        temporary.replace(pages[10])
        assert watcher.wait(timeout=10) == {pages[10].resolve()}
        assert walks == []  # none of those saves walked the folder
        (docs / "new").mkdir()
        (docs / "new" / "page.md").write_text("a page in a new folder")
        found = watcher.wait(timeout=10)
        found |= watcher.wait(timeout=0.5)  # the folder's event and the file's may come apart
        assert found == {(docs / "new" / "page.md").resolve()}
    finally:
        watcher.stop()


def test_a_root_added_later_is_watched_and_snapshotted(tmp_path: Path) -> None:
    """A page that declares a new data file: the loop adds it to the watched roots; its saves
    are seen (scheduled on the observer, not only read by the next whole snapshot)."""
    docs, data = tmp_path / "docs", tmp_path / "data"
    docs.mkdir()
    data.mkdir()
    (docs / "page.md").write_text("text")
    table = data / "table.csv"
    table.write_text("a,b\n")
    watcher = Watcher([docs])
    try:
        watcher.roots = [docs, table]
        assert watcher.wait(timeout=0.2) == set()  # added, not changed
        table.write_text("a,b\n1,2\n")
        assert watcher.wait(timeout=10) == {table.resolve()}
    finally:
        watcher.stop()


def test_a_save_made_while_the_first_build_ran_is_not_missed(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    page = docs / "page.md"
    page.write_text("read by the first build")
    gone = docs / "gone.md"
    gone.write_text("deleted while it ran")
    config = tmp_path / "mkdocs.yml"
    config.write_text("site_name: x\n")
    earlier = before_build(config)  # taken before the first build read the files
    page.write_text("saved while it ran, after it read the page")
    gone.unlink()
    (docs / "new.md").write_text("added while it ran")
    watcher = Watcher([docs, config], earlier)
    try:
        assert watcher.pending()  # the loop's first wait returns at once
        assert watcher.wait(timeout=None) == {p.resolve() for p in (page, gone, docs / "new.md")}
        assert watcher.wait(timeout=0.2) == set()
    finally:
        watcher.stop()


class _FilesOnly:
    """A builder whose last build holds every saved file as a plain file to copy."""

    note = ""

    def __init__(self, docs: Path) -> None:
        self.docs = docs

    def docs_dir(self, built: object) -> Path:
        return self.docs

    def can_render(self, built: object, source: Path) -> bool:
        return False

    def copy_target(self, built: object, source: Path) -> str:
        return source.relative_to(self.docs).as_posix()


def test_a_saved_file_reaches_the_preview_at_once_unless_the_file_gate_must_see_it(
    tmp_path: Path, served: tuple[PreviewServer, Path]
) -> None:
    """A stranger's pull request previewed by a maintainer: an SVG with a script, or a symlink
    to a private file, waits for the whole build, which runs the file gate (safety/files.py)."""
    from techpath.preview.loop import PreviewLoop

    server, root = served
    docs = tmp_path / "docs"
    docs.mkdir()
    (tmp_path / "private.txt").write_text("a private key")
    saved = {
        "figure.png": b"\x89PNG plain bytes",
        "logo.svg": b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        "page.html": b"<script>alert(1)</script>",
    }
    for name, data in saved.items():
        (docs / name).write_bytes(data)
    (docs / "key.txt").symlink_to(tmp_path / "private.txt")
    loop = PreviewLoop(_FilesOnly(docs), root, log=lambda _message: None)  # type: ignore[arg-type]
    loop.built, loop.server = SimpleNamespace(site_dir=tmp_path / "built"), server  # type: ignore[assignment]
    shown = loop.first({(docs / name).absolute() for name in [*saved, "key.txt"]})
    assert shown == ["figure.png"]
    assert (root / "figure.png").read_bytes() == saved["figure.png"]
    assert not any((root / name).exists() for name in ("logo.svg", "page.html", "key.txt"))


def test_zensical_output_is_copied_from_the_files_it_named_or_whole(tmp_path: Path) -> None:
    """Zensical's output reaches the served folder by the files its build wrote (a one-page
    save costs the files Zensical wrote, not a read of the whole output); a named file that
    is gone is removed; a whole copy (first build, settle) finds what events did not name."""
    from techpath.preview.zensical import FinishedCopy
    from techpath.stage.finish import RegionMarkers

    out, served = tmp_path / "out", tmp_path / "served"
    for name in ("a/index.html", "b/index.html", "c.css"):
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        (out / name).write_text(f"<p>{name}</p>")
    stager = SimpleNamespace(
        markers=RegionMarkers.new(),
        finish_file=lambda text, *_: text.replace("<p>", "<p class=finished>"),
        site=SimpleNamespace(options=SimpleNamespace(content_security_policy=False)),
    )
    copy = FinishedCopy(SimpleNamespace(built_dir=out, stager=stager), served)  # type: ignore[arg-type]
    assert sorted(copy.sync()) == ["a/index.html", "b/index.html", "c.css"]
    assert (served / "a" / "index.html").read_text() == "<p class=finished>a/index.html</p>"
    (out / "a" / "index.html").write_text("<p>a, edited</p>")
    (out / "b" / "index.html").write_text("<p>b, edited but not named</p>")
    (out / "c.css").unlink()
    assert sorted(copy.sync({"a/index.html", "c.css", "a/.tmp-gone"})) == ["a/index.html", "c.css"]
    assert (served / "a" / "index.html").read_text() == "<p class=finished>a, edited</p>"
    assert not (served / "c.css").exists()
    assert "b/index.html</p>" in (served / "b" / "index.html").read_text()  # not named: not read
    assert copy.sync() == ["b/index.html"]  # the whole copy finds it


FAKE_ZENSICAL = """
import os, time
for name in ("a", "b", "c"):  # an earlier run's output (the stage folder is kept)
    os.makedirs(f"out/{name}", exist_ok=True)
    with open(f"out/{name}/index.html", "w") as page:
        page.write(f"<p>{name} of build 0</p>")
time.sleep(0.5)
build = 0
while True:
    while not os.path.exists(f"go-{build + 1}"):
        time.sleep(0.02)
    build += 1
    print("Build started", flush=True)
    with open("out/search.json", "w") as index:  # written before its end, as Zensical's is
        index.write(f"[{build}]")
    print("No issues found", flush=True)  # before the pages, as Zensical 0.0.73 prints it
    for name in ("a", "b", "c"):
        with open(f"out/{name}/index.html", "w") as page:  # in place: truncated, then written
            page.flush()
            time.sleep(0.3)
            page.write(f"<p>{name} of build {build}</p>")
"""


@pytest.mark.slow  # waits out a limit or a slow writer: 2-5 s with the core idle
def test_zensical_output_is_read_only_once_closed_and_the_saved_page_comes_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A builder that writes its pages in place (truncated, then written 0.3 s later) after it
    printed the end of its build, as Zensical does: no served page is ever empty or missing,
    the saved page (`prioritise`) is served while a page written after it still shows the
    previous build, and once the build is served every page shows it."""
    import sys

    from techpath.preview import zensical
    from techpath.stage.finish import RegionMarkers

    (tmp_path / "serve").write_text(FAKE_ZENSICAL)  # run as `python serve -a ADDRESS`
    monkeypatch.setattr(zensical, "generator_command", lambda *_a, **_k: [sys.executable, "build"])
    out, served = tmp_path / "out", tmp_path / "served"
    stager = SimpleNamespace(
        markers=RegionMarkers.new(),
        finish_file=lambda text, *_: text.replace("<p>", "<p class=finished>"),
        site=SimpleNamespace(options=SimpleNamespace(content_security_policy=False)),
    )
    staged = SimpleNamespace(built_dir=out, stager=stager, config_file=tmp_path / "mkdocs.yml")
    copy = zensical.FinishedCopy(staged, served)  # type: ignore[arg-type]
    process = zensical.ZensicalProcess(staged, tmp_path, copy.sync, print)  # type: ignore[arg-type]
    copy.stable = process.stable
    names = ("a", "b", "c")

    def shown() -> dict[str, str]:
        return {
            n: (served / n / "index.html").read_text() for n in names if (served / n / "index.html").exists()
        }

    try:
        started = time.monotonic()
        (tmp_path / "go-1").touch()
        assert process.wait_built(started, timeout=30)
        assert shown() == {n: f"<p class=finished>{n} of build 1</p>" for n in names}
        process.prioritise({"b/index.html"})
        started = time.monotonic()
        (tmp_path / "go-2").touch()
        seen = []
        while time.monotonic() - started < 10:
            seen.append(shown())
            if all("build 2" in text for text in seen[-1].values()):
                break
            time.sleep(0.01)
        assert process.wait_built(started, timeout=30)
    finally:
        process.stop()
    assert all(
        len(s) == 3
        and all(text.endswith(" of build 1</p>") or text.endswith(" of build 2</p>") for text in s.values())
        for s in seen
    ), seen
    assert any("build 2" in s["b"] and "build 1" in s["c"] for s in seen), seen  # b first
    assert shown() == {n: f"<p class=finished>{n} of build 2</p>" for n in names}


SILENT_COPIER = """
import os, shutil, time
build = 0
while True:
    while not os.path.exists(f"go-{build + 1}"):
        time.sleep(0.02)
    build += 1
    if build == 1:  # a page and a file: a build, its end printed (before its pages, as Zensical's)
        print("Build started", flush=True)
        shutil.copyfile("docs/asset.zip", "out/asset.zip")
        print("No issues found", flush=True)
        os.makedirs("out/page", exist_ok=True)
        with open("out/page/index.html", "w") as page:
            page.write("<p>page</p>")
    else:  # files beside the pages: copied alone, nothing printed, as Zensical 0.0.73 does;
        shutil.copyfile("docs/asset.zip", "out/asset.zip")  # one where it was,
        os.makedirs("out/data", exist_ok=True)  # one where the blog puts it (posts/data -> data)
        shutil.copyfile("docs/posts/data/x.csv", "out/data/x.csv")
"""


@pytest.mark.slow  # waits out a limit: a copy without a build end is read after a second's quiet
def _silent_zensical_preview(tmp_path: Path, docs: Path, out: Path, served: Path) -> tuple[Any, Any]:
    """A Zensical preview of `docs` wired to the fake Zensical in `tmp_path` (SILENT_COPIER),
    its build copied to `served`: the preview and its Zensical process."""
    from techpath.preview import zensical
    from techpath.stage.finish import RegionMarkers

    stager = SimpleNamespace(
        markers=RegionMarkers.new(),
        finish_file=lambda text, *_: text,
        site=SimpleNamespace(options=SimpleNamespace(content_security_policy=False)),
    )
    staged = SimpleNamespace(built_dir=out, docs_dir=docs, stager=stager, config_file=tmp_path / "mkdocs.yml")
    preview = zensical.ZensicalPreview(tmp_path / "mkdocs.yml", "127.0.0.1:0", tmp_path, print)
    preview.staged = staged  # type: ignore[assignment]
    copy = zensical.FinishedCopy(staged, served)  # type: ignore[arg-type]
    process = zensical.ZensicalProcess(staged, tmp_path, copy.sync, print)  # type: ignore[arg-type]
    preview.zensical, copy.stable = process, process.stable
    return preview, process


def test_zensical_copying_a_file_without_a_build_is_served_without_waiting_for_an_end(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A restage that rewrites only files Zensical copies (a download's zip, a data file) gets
    no build end from Zensical: the preview waits for the copy of a file Zensical wrote at its
    path before, not for an end that never comes (it waited BUILD_TIMEOUT, 120 s, and stayed
    unsettled meanwhile), and not for a file whose place in the output it cannot know (the
    blog moves posts/data/x.csv to data/x.csv; a hidden file is not published)."""
    import sys

    from techpath.preview import zensical

    (tmp_path / "serve").write_text(SILENT_COPIER)  # run as `python serve -a ADDRESS`
    monkeypatch.setattr(zensical, "generator_command", lambda *_a, **_k: [sys.executable, "build"])
    docs, out, served = tmp_path / "docs", tmp_path / "out", tmp_path / "served"
    (docs / "posts" / "data").mkdir(parents=True)
    (docs / "asset.zip").write_bytes(b"zip of the first build")
    preview, process = _silent_zensical_preview(tmp_path, docs, out, served)
    try:
        started = time.monotonic()
        (tmp_path / "go-1").touch()
        assert preview._wait_served([docs / "page.md", docs / "asset.zip"], started)
        assert (served / "page" / "index.html").read_text() == "<p>page</p>"
        assert (served / "asset.zip").read_bytes() == b"zip of the first build"
        (docs / "asset.zip").write_bytes(b"zip of the second save")
        (docs / "posts" / "data" / "x.csv").write_text("1\n2\n")
        started = time.monotonic()
        (tmp_path / "go-2").touch()
        written = [docs / "asset.zip", docs / "posts" / "data" / "x.csv", docs / "blog" / ".authors.yml"]
        assert preview._wait_served(written, started)
        assert (served / "asset.zip").read_bytes() == b"zip of the second save"
        assert not process.wait_built(started, timeout=0)  # no end came: a wait for one would time out
    finally:
        process.stop()


def test_a_newer_save_ends_the_wait_for_zensicals_build(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The settle waited for the end of Zensical's whole build before the loop looked at the
    watcher again: a save made meanwhile was staged only after it (8 s at load 10 in a trace).
    A newer save ends the wait at once; the wait says so (None), a timeout still says False."""
    import sys

    from techpath.preview import zensical

    (tmp_path / "serve").write_text(SILENT_COPIER)  # builds only when told: here, never
    monkeypatch.setattr(zensical, "generator_command", lambda *_a, **_k: [sys.executable, "build"])
    docs, out, served = tmp_path / "docs", tmp_path / "out", tmp_path / "served"
    docs.mkdir()
    preview, process = _silent_zensical_preview(tmp_path, docs, out, served)
    try:
        started = time.monotonic()
        saved_at = started + 0.3
        assert (
            preview._wait_served([docs / "page.md"], started, stop=lambda: time.monotonic() > saved_at)
            is None
        )
        assert time.monotonic() - started < 2  # not BUILD_TIMEOUT: the save was seen at once
        assert process.wait_built(started, timeout=0.2) is False  # no newer save: a timeout
    finally:
        process.stop()


def test_the_page_of_a_post_is_the_post_not_a_category_that_lists_it_alone(tmp_path: Path) -> None:
    """A category page that lists a single post holds that post's excerpt and nothing else, as
    the post's own page holds its region: the page a save of the post prioritises, and keeps
    while the post is in error, is the post's own page, whichever Zensical wrote first."""
    from techpath.preview import zensical
    from techpath.stage.finish import RegionMarkers

    markers = RegionMarkers.new()
    stager = SimpleNamespace(markers=markers, finish_file=lambda text, *_: text)
    copy = zensical.FinishedCopy(SimpleNamespace(stager=stager), tmp_path)  # type: ignore[arg-type]
    region = markers.page("blog/posts/only.md", "<p>The whole post.</p>")
    excerpt = region[: region.index(markers.page_end())]  # a view shows the top, no end marker
    copy._finish("blog/category/tools/index.html", f"<main>{excerpt}</main>")
    copy._finish("blog/only/index.html", f"<main>{region}</main>")
    assert copy.regions["blog/category/tools/index.html"] == ["blog/posts/only.md"]
    assert copy.page_of("blog/posts/only.md") == "blog/only/index.html"

"""The workflows' helper scripts in scripts/: which run is main's baseline, which versions moved."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def load(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    sys.modules[name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def run(**overrides) -> dict:
    base = {
        "id": 1,
        "event": "push",
        "head_branch": "main",
        "conclusion": "success",
        "created_at": "2026-11-01T00:00:00Z",
        "head_repository": {"full_name": "owner/site"},
    }
    return {**base, **overrides}


def test_only_a_successful_push_to_main_of_this_repository_is_a_baseline() -> None:
    choose = load("main_results_run").choose_run
    runs = [
        run(id=1),
        run(id=2, created_at="2026-11-03T00:00:00Z"),
        run(id=3, created_at="2026-11-05T00:00:00Z", event="pull_request"),  # a pull request's upload
        run(id=4, created_at="2026-11-05T00:00:00Z", head_repository={"full_name": "fork/site"}),
        run(id=5, created_at="2026-11-05T00:00:00Z", head_branch="feature"),
        run(id=6, created_at="2026-11-05T00:00:00Z", conclusion="failure"),
    ]
    assert choose({"workflow_runs": runs}, "owner/site") == 2
    assert choose({"workflow_runs": runs[2:]}, "owner/site") is None
    assert choose({}, "owner/site") is None


def test_version_label_names_what_moved(tmp_path: Path) -> None:
    def snapshot(versions: dict[str, str]) -> dict:
        return {"format": 1, "pages": {"a.md": {"versions": versions}}}

    old = snapshot({"scikit-learn": "1.8.0", "numpy": "2.4.6"})
    new = snapshot({"scikit-learn": "1.9.0", "numpy": "2.4.6"})
    label = load("version_label").label
    assert label(old, new) == "scikit-learn 1.8.0 → 1.9.0"
    assert label(old, old) == "same library versions"
    (tmp_path / "a.json").write_text(json.dumps(old))
    (tmp_path / "b.json").write_text(json.dumps(new))
    script = str(ROOT / "scripts" / "version_label.py")
    argv = [sys.executable, script, str(tmp_path / "a.json"), str(tmp_path / "b.json")]
    done = subprocess.run(argv, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "scikit-learn 1.8.0 → 1.9.0"


def _site(root: Path, files: dict[str, bytes | str]) -> Path:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content.encode() if isinstance(content, str) else content)
    return root


def _zip(member: str, text: str, when: tuple[int, ...]) -> bytes:
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(zipfile.ZipInfo(member, date_time=when), text)  # type: ignore[arg-type]
    return buffer.getvalue()


def test_compare_builds_ignores_only_what_varies_between_two_builds(tmp_path: Path, capsys) -> None:
    compare_builds = load("compare_builds")
    post = (
        '<p class="techpath-meta">code runs in {t} s</p>'
        '<pre class="techpath-stdout"><code>fit {f} s</code></pre>'
        '<pre id="__tp_code_1" class="techpath-stdout"><code>search {f} s</code></pre>'  # copy button id
    )
    report = "<td>{d} 10:00:0{s} UTC</td><td>&mdash;</td><td>{t} s</td><td>17{s} MB</td>"
    common = {"assets/x.svg": "<svg/>"}
    before = _site(tmp_path / "a", {**common, "p/index.html": post.format(t="0.8", f="3.79"),
                                    "report/index.html": report.format(d="2026-01-01", t="1.00", s=1),
                                    "d.zip": _zip("d/x.csv", "1,2", (2026, 1, 1, 0, 0, 0))})  # fmt: skip
    after = _site(tmp_path / "b", {**common, "p/index.html": post.format(t="1.2", f="4.19"),
                                   "report/index.html": report.format(d="2026-01-02", t="2.50", s=2),
                                   "d.zip": _zip("d/x.csv", "1,2", (2026, 1, 2, 0, 0, 0))})  # fmt: skip
    assert compare_builds.compare(before, after) == 0
    assert "IDENTICAL" in capsys.readouterr().out

    (after / "p" / "index.html").write_text(post.format(t="1.2", f="4.19").replace("fit", "fits"))
    (after / "assets" / "x.svg").write_text("<svg />")
    (after / "only-after.html").write_text("new")
    assert compare_builds.compare(before, after) == 1
    out = capsys.readouterr().out
    assert "DIFFERS: p/index.html" in out and "DIFFERS: assets/x.svg" in out
    assert "only in after: only-after.html" in out

    # prose times are not normalised, only times a page's code printed
    (before / "p" / "index.html").write_text("<p>takes 3 s</p>")
    (after / "p" / "index.html").write_text("<p>takes 4 s</p>")
    (after / "assets" / "x.svg").write_text("<svg/>")
    (after / "only-after.html").unlink()
    assert compare_builds.compare(before, after) == 1
    assert "DIFFERS: p/index.html" in capsys.readouterr().out


def test_compare_builds_zip_members_must_match(tmp_path: Path) -> None:
    compare_builds = load("compare_builds")
    one = compare_builds.normalise("d.zip", _zip("d/x.csv", "1,2", (2026, 1, 1, 0, 0, 0)))
    other = compare_builds.normalise("d.zip", _zip("d/x.csv", "1,3", (2026, 1, 1, 0, 0, 0)))
    assert one != other


def test_compare_builds_ignores_repr_addresses_only_in_notebook_outputs() -> None:
    compare_builds = load("compare_builds")
    line = '   "text/plain": "<__main__.Rich object at 0x{}>"\n'
    assert compare_builds.normalise(
        "p.ipynb", line.format("7fb9bb09b410").encode()
    ) == compare_builds.normalise("p.ipynb", line.format("7fadec4b53d0").encode())
    prose = "<p>the object at 0x{}></p>"
    assert compare_builds.normalise("p.html", prose.format("7f01").encode()) != compare_builds.normalise(
        "p.html", prose.format("7f02").encode()
    )


def test_changed_posts_are_the_pages_this_branch_added_or_edited(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """What `make check` executes: pages edited, committed or not, and new ones; not deleted
    ones, not files outside docs/, not pages main changed after the branch left it."""
    changed = load("changed_posts")

    def git(*args: str) -> None:
        subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *args], cwd=tmp_path, check=True)

    posts = tmp_path / "docs" / "blog" / "posts"
    posts.mkdir(parents=True)
    for name in ("kept.md", "edited.md", "committed.md", "gone.md", "later-on-main.md"):
        (posts / name).write_text(f"# {name}\n")
    git("init", "-q", "-b", "main")
    git("add", ".")
    git("commit", "-q", "-m", "base")
    git("switch", "-q", "-c", "post")
    (posts / "committed.md").write_text("# changed and committed\n")
    git("commit", "-q", "-am", "edit")
    (posts / "edited.md").write_text("# changed, not committed\n")
    (posts / "new.ipynb").write_text("{}")
    (posts / "gone.md").unlink()
    (tmp_path / "README.md").write_text("not a page\n")
    git("switch", "-q", "main")  # main moves on after the branch left it
    (posts / "later-on-main.md").write_text("# changed on main\n")
    git("commit", "-q", "-m", "main moves", "--", "docs/blog/posts/later-on-main.md")
    git("switch", "-q", "post")
    base = changed.base_commit(tmp_path, None)
    assert base is not None
    expected = ["docs/blog/posts/committed.md", "docs/blog/posts/edited.md", "docs/blog/posts/new.ipynb"]
    assert changed.changed_pages(tmp_path, base) == expected
    monkeypatch.chdir(posts)  # what `make check` prints, from anywhere in the repository
    assert changed.main([]) == 0
    assert capsys.readouterr().out.split() == expected
    # Only pages changed (a deleted one counts as another change): the post tier's browser
    # sweeps may narrow to them. Not here: a file outside docs/ changed (README.md).
    assert changed.only_pages_changed(tmp_path, base) is None
    (tmp_path / "README.md").unlink()
    assert changed.only_pages_changed(tmp_path, base) is None  # gone.md was deleted
    git("checkout", "-q", base, "--", "docs/blog/posts/gone.md")
    (posts / "data.csv").write_text("x\n1\n")  # a data file a post reads
    assert changed.only_pages_changed(tmp_path, base) == expected
    (tmp_path / "docs" / "extra.css").write_text("body {}\n")  # changes how every page looks
    assert changed.only_pages_changed(tmp_path, base) is None


def test_the_npm_chromium_is_refused_unless_it_is_the_pinned_package(tmp_path: Path) -> None:
    chromium = load("headless_chromium")
    tarball = tmp_path / "chromium-153.0.0.tgz"
    tarball.write_bytes(b"not the package")
    with pytest.raises(SystemExit, match="is not the pinned sha512-"):
        chromium.install(tarball)
    assert not chromium.DEST.joinpath("unpack").exists()  # nothing unpacked from it

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


def test_the_npm_chromium_is_refused_unless_it_is_the_pinned_package(tmp_path: Path) -> None:
    chromium = load("headless_chromium")
    tarball = tmp_path / "chromium-153.0.0.tgz"
    tarball.write_bytes(b"not the package")
    with pytest.raises(SystemExit, match="is not the pinned sha512-"):
        chromium.install(tarball)
    assert not chromium.DEST.joinpath("unpack").exists()  # nothing unpacked from it

"""A precise cache key (issue 25): a result is reused while the distributions the page imported
(and what they require), the site's files it read and the folders it listed are unchanged.
Fake distributions are installed into a folder on the import path, as pip lays them out."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from techpath.cache import Cache
from techpath.dependencies import Dependencies, DistributionIndex, FileDigests, installed_versions
from techpath.engine import Engine, Settings
from techpath.parse import load_post
from tests.engine_helpers import write_post


def install(
    packages: Path, name: str, version: str, requires: tuple[str, ...] = (), module: str = ""
) -> None:
    """A wheel's layout: the module and name-version.dist-info with METADATA and RECORD."""
    module = module or name
    for old in packages.glob(f"{name}-*.dist-info"):
        for file in old.iterdir():
            file.unlink()
        old.rmdir()
    (packages / module).mkdir(exist_ok=True)
    (packages / module / "__init__.py").write_text(f"VERSION = {version!r}\n")
    info = packages / f"{name}-{version}.dist-info"
    info.mkdir()
    metadata = ["Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}"]
    metadata += [f"Requires-Dist: {r}" for r in requires] + ["", "A description."]
    (info / "METADATA").write_text("\n".join(metadata) + "\n")
    (info / "RECORD").write_text(
        f"{module}/__init__.py,sha256=x,1\n{info.name}/METADATA,,\n{info.name}/RECORD,,\n"
    )


def test_installed_versions_come_from_the_metadata_folder_names(tmp_path: Path) -> None:
    install(tmp_path, "Fake_Lib", "1.2.0")
    (tmp_path / "old_style-0.3-py3.11.egg-info").mkdir()
    assert installed_versions([str(tmp_path)]) == {"fake-lib": "1.2.0", "old-style": "0.3"}


def test_modules_map_to_their_distributions_and_what_those_require(tmp_path: Path) -> None:
    install(tmp_path, "toplib", "2.0", requires=("midlib>=1", "testonly; extra == 'test'"))
    install(tmp_path, "midlib", "1.5", requires=("baselib",))
    install(tmp_path, "baselib", "0.9")
    install(tmp_path, "testonly", "1.0")
    install(tmp_path, "unrelated", "3.0")
    index = DistributionIndex([str(tmp_path)])
    installed = installed_versions([str(tmp_path)])
    used = index.distributions([str(tmp_path / "toplib")], installed)
    assert used == {"baselib": "0.9", "midlib": "1.5", "toplib": "2.0"}  # no extras, nothing unrelated
    assert index.distributions([str(tmp_path / "nowhere")], installed) == {}


def test_a_recorded_dependency_that_moved_is_named(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "a.csv").write_text("1\n")
    digests = FileDigests()
    recorded = Dependencies(
        distributions={"numpy": "2.0.0"},
        files={"data/a.csv": digests.file(tmp_path / "data" / "a.csv"), "data/b.csv": None},
        listings={},
    )
    assert recorded.changed(tmp_path, {"numpy": "2.0.0"}, digests) == ""
    assert recorded.changed(tmp_path, {"numpy": "2.1.0"}, digests) == "numpy 2.0.0 -> 2.1.0"
    assert recorded.changed(tmp_path, {}, digests) == "numpy 2.0.0 -> not installed"
    (tmp_path / "data" / "b.csv").write_text("new\n")
    assert recorded.changed(tmp_path, {"numpy": "2.0.0"}, digests) == "data/b.csv appeared"
    (tmp_path / "data" / "a.csv").write_text("2\n")
    assert recorded.changed(tmp_path, {"numpy": "2.0.0"}, digests) == "data/a.csv changed"


@pytest.mark.parametrize(
    "hostile",
    [{"files": {"../../etc/passwd": None}}, {"listings": {"/etc": "x"}}, {"files": ["a"]}, []],
)
def test_a_cache_entry_whose_dependencies_leave_the_site_is_unusable(hostile: object) -> None:
    with pytest.raises(ValueError):
        Dependencies.from_json(hostile)


# -- through the engine ----------------------------------------------------------------------


@pytest.fixture
def packages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder on the import path of this process and of the warm parent it starts."""
    folder = tmp_path / "site-packages"
    folder.mkdir()
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(folder), os.environ.get("PYTHONPATH", "")]))
    monkeypatch.syspath_prepend(str(folder))
    return folder


def run(cache: Path, *pages: Path) -> tuple[int, dict[str, str]]:
    """Pages executed, and why each re-ran (not from the cache)."""
    with Engine(Settings(jobs=1, mode="fork", preload=[], cache_dir=cache)) as engine:
        results = engine.run([load_post(p) for p in pages])
        return engine.last_stats.executed, {
            Path(k).name: r.rerun_because for k, r in results.items() if not r.from_cache
        }


def test_only_the_pages_that_import_an_upgraded_distribution_run_again(
    tmp_path: Path, packages: Path
) -> None:
    install(packages, "fakelib", "1.0", requires=("fakebase",))
    install(packages, "fakebase", "1.0")
    site = tmp_path / "site"
    site.mkdir()
    uses = write_post(site, "uses.md", "```python\nimport fakelib\nprint(fakelib.VERSION)\n```\n")
    other = write_post(site, "other.md", "```python\nimport json\nprint(json.dumps(1))\n```\n")
    cache = tmp_path / "cache"
    assert run(cache, uses, other)[0] == 2
    assert run(cache, uses, other) == (0, {})
    install(packages, "unrelated_plugin", "0.1")  # pip install of something no page imports
    assert run(cache, uses, other) == (0, {})
    install(packages, "fakebase", "1.1")  # a distribution fakelib requires: its users re-run
    assert run(cache, uses, other) == (1, {"uses.md": "fakebase 1.0 -> 1.1"})
    install(packages, "fakelib", "2.0", requires=("fakebase",))
    assert run(cache, uses, other) == (1, {"uses.md": "fakelib 1.0 -> 2.0"})
    assert run(cache, uses, other) == (0, {})


def test_a_page_runs_again_when_a_file_it_read_or_a_folder_it_listed_changes(tmp_path: Path) -> None:
    site = tmp_path / "site"
    (site / "data").mkdir(parents=True)
    (site / "mkdocs.yml").write_text("site_name: s\n")
    (site / "data" / "a.csv").write_text("1\n")
    reads = write_post(site, "reads.md", "```python\nprint(open('data/a.csv').read())\n```\n")
    lists = write_post(
        site, "lists.md", "```python\nimport glob\nprint(sorted(glob.glob('data/*.csv')))\n```\n"
    )
    cache = tmp_path / "cache"
    assert run(cache, reads, lists)[0] == 2
    (site / "data" / "notes.txt").write_text("unread\n")  # in the listed folder: the lister re-runs
    assert run(cache, reads, lists) == (1, {"lists.md": "the files in data/ changed"})
    (site / "data" / "a.csv").write_text("2\n")
    assert run(cache, reads, lists) == (1, {"reads.md": "data/a.csv changed"})
    (site / "unrelated.txt").write_text("x\n")  # nothing either page used
    assert run(cache, reads, lists) == (0, {})


def test_entries_keep_their_dependencies_through_a_shard_merge(tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    (site / "mkdocs.yml").write_text("site_name: s\n")
    (site / "a.txt").write_text("1\n")
    page = write_post(site, "p.md", "```python\nprint(open('a.txt').read())\n```\n")
    shard = tmp_path / "shard-cache"
    run(shard, page)
    merged = tmp_path / "merged"
    assert Cache(merged).merge_from(shard) == 1
    (entry,) = (merged / "v1").glob("*/*/result.json")
    assert json.loads(entry.read_text())["dependencies"]["files"] == {
        "a.txt": FileDigests().file(site / "a.txt")
    }
    assert run(merged, page) == (0, {})
    (site / "a.txt").write_text("2\n")
    assert run(merged, page) == (1, {"p.md": "a.txt changed"})

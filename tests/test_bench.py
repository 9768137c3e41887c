"""`techpath bench`: built pages are checked (a tool that does not show the output is INVALID,
never fast), the limit is the overlapped formula, the JSON holds every run, and a tiny --scale
run shards, merges and then executes nothing. No test here times anything."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from techpath.bench.measure import MARKER, Measured, new_marker, stop_marked
from techpath.bench.reference import cpu_floor, overlapped_limit
from techpath.bench.run import (
    COLD,
    EDIT,
    PEER_ROWS,
    PLAIN,
    WARM,
    _cold_problems,
    build_report,
    format_report,
    report_json,
)
from techpath.bench.table import Row, Target, verdict
from techpath.bench.validity import check_site
from techpath.cache import Cache

FIGURE_SVG = (
    '<svg xmlns:xlink="http://www.w3.org/1999/xlink" width="360pt" height="216pt"><path d="M0 0"/></svg>'
)
ICON_SVG = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><path d="M1 1"/></svg>'


def write_page(site: Path, i: int, body: str) -> None:
    page = site / f"post{i:03d}" / "index.html"
    page.parent.mkdir(parents=True, exist_ok=True)
    page.write_text(
        f'<html><body>{ICON_SVG}<article class="md-content__inner md-typeset">'
        f"<pre><code>from sklearn.datasets import make_classification</code></pre>{body}"
        f"</article></body></html>",
        encoding="utf-8",
    )


def test_a_page_with_the_printed_line_and_one_figure_is_valid(tmp_path: Path) -> None:
    write_page(tmp_path, 0, f"<pre>test accuracy: 0.870</pre>{FIGURE_SVG}")
    (tmp_path / "assets").mkdir()
    (tmp_path / "assets" / "fig.svg").write_text("<svg/>")
    write_page(tmp_path, 1, '<pre>test accuracy: 0.910</pre><img src="../assets/fig.svg">')
    assert check_site(tmp_path, ["test accuracy: 0.870", "test accuracy: 0.910"]) == []


def test_a_page_without_the_output_is_invalid(tmp_path: Path) -> None:
    write_page(tmp_path, 0, "<p>no output at all</p>")  # a peer that did not execute
    problems = check_site(tmp_path, ["test accuracy: 0.870"])
    assert any("expected 'test accuracy: 0.870', found no accuracy" in p for p in problems)
    assert any("expected 1 figure, found 0" in p for p in problems)  # the theme's icon is no figure


def test_a_wrong_number_or_a_broken_image_is_invalid(tmp_path: Path) -> None:
    write_page(tmp_path, 0, f"<pre>test accuracy: 0.500</pre>{FIGURE_SVG}")
    write_page(tmp_path, 1, '<pre>test accuracy: 0.910</pre><img src="../assets/gone.png">')
    write_page(tmp_path, 2, f"<pre>test accuracy: 0.700</pre>{FIGURE_SVG}{FIGURE_SVG}")
    problems = check_site(tmp_path, ["test accuracy: 0.870", "test accuracy: 0.910", "test accuracy: 0.700"])
    assert "post 0: expected 'test accuracy: 0.870', found test accuracy: 0.500" in problems
    assert any(p.startswith("post 1: image ../assets/gone.png is missing") for p in problems)
    assert "post 2: expected 1 figure, found 2" in problems
    assert len(check_site(tmp_path, [None])) == 1  # a plain build must show no figure either


def test_a_page_that_was_not_built_is_invalid(tmp_path: Path) -> None:
    assert check_site(tmp_path, [None]) == ["post 0: post000/index.html was not built"]


def test_the_limit_overlaps_imports_with_the_plain_build() -> None:
    # The numbers: plain 1.07, imports 1.83, compute 2.12 on 2 workers -> 2.89 s.
    assert overlapped_limit(1.07, 1.83, 2.12, 2) == pytest.approx(1.83 + 1.06)
    assert overlapped_limit(3.0, 1.83, 2.12, 2) == pytest.approx(3.0 + 1.06)
    assert overlapped_limit(1.0, 0.5, 2.0, 1) == pytest.approx(3.0)
    assert cpu_floor(5.02, 2) == pytest.approx(2.51)


def rows(cold: list[float], peer_problems: list[str] | None = None) -> dict[str, Row]:
    built = {
        PLAIN: Row(PLAIN, [1.0, 1.2, 1.1], [0.9, 1.0, 1.1]),
        COLD: Row(COLD, cold),
        WARM: Row(WARM, [1.05, 1.0, 1.1]),
        EDIT: Row(EDIT, [1.8, 1.7, 1.9]),
    }
    peer = PEER_ROWS["markdown-exec"]
    built[peer] = Row(peer, [4.0, 1.0, 4.0], problems=peer_problems or [])
    return built


def machine() -> dict[str, object]:
    return {
        "cores": 2,
        "cpu": "test",
        "platform": "test",
        "python": "3",
        "libraries": {},
        "load_average": None,
    }


def report_for(cold: list[float], peer_problems: list[str] | None = None) -> dict[str, object]:
    imports = Row("imports", [1.8, 1.9, 2.0], [1.7, 1.8, 1.9], checked=False)
    compute = Row("compute", [2.0, 2.2, 2.1], [2.0, 2.0, 2.0], checked=False)
    edit = Row("edit", [0.3, 0.2, 0.4], checked=False)
    return build_report(machine(), 20, 2, 3, rows(cold, peer_problems), imports, compute, edit)


def test_verdicts_use_medians_and_the_overlapped_limit() -> None:
    report = report_for([3.0, 3.5, 9.0])  # one slow outlier: the median ignores it
    assert report["limit_s"] == pytest.approx(1.9 + 2.1 / 2)
    assert report["cpu_floor_s"] == pytest.approx((1.0 + 1.8 + 2.0) / 2)
    by_against = {v["against"]: v for v in report["verdicts"]}
    assert by_against["limit"]["ratio"] == pytest.approx(3.5 / 2.95)
    assert by_against["limit"]["status"] == "pass"
    assert by_against["plain build"]["ratio"] == pytest.approx(1.05 / 1.1)
    assert by_against["plain + edited post's compute"]["ratio"] == pytest.approx(1.8 / (1.1 + 0.3))
    assert by_against["plain + edited post's compute"]["status"] == "miss"
    speedup = by_against[f"{PEER_ROWS['markdown-exec']} (speed-up)"]
    assert speedup["ratio"] == pytest.approx(4.0 / 3.5) and speedup["status"] == "miss"


def test_a_peer_with_wrong_pages_makes_its_comparison_invalid() -> None:
    report = report_for([1.0, 1.0, 1.0], peer_problems=["post 0: expected 1 figure, found 0"])
    speedup = next(v for v in report["verdicts"] if "speed-up" in v["against"])
    assert speedup["status"] == "INVALID"  # 4x faster than a peer that did nothing is no pass
    assert "INVALID: post 0: expected 1 figure, found 0" in format_report(report)


def test_an_invalid_build_never_passes() -> None:
    build = Row(COLD, [0.1], problems=["post 3: test accuracy missing"])
    assert verdict(Target(COLD, "limit", 1.3), build, 10.0)["status"] == "INVALID"


def test_a_cold_build_served_by_a_warm_parent_from_elsewhere_is_invalid() -> None:
    # A warm parent left by any earlier build of this environment serves every site: the
    # "cold" build then skips the imports (it once timed 3.4 s against a 3.6 s limit that way).
    served = Measured(seconds=3.4, cpu_seconds=2.1, peak_rss_mb=45.0, warm_parent_peak_mb=0.0)
    own = Measured(seconds=4.3, cpu_seconds=6.6, peak_rss_mb=45.0, warm_parent_peak_mb=199.0)
    assert _cold_problems(served) and not _cold_problems(own)


def test_the_json_holds_every_run_and_the_machine(tmp_path: Path) -> None:
    data = json.loads(json.dumps(report_json(report_for([3.0, 3.5, 9.0]))))
    cold = next(r for r in data["rows"] if r["name"] == COLD)
    assert cold["seconds"] == [3.0, 3.5, 9.0]
    assert (cold["median_s"], cold["min_s"], cold["max_s"], cold["runs"]) == (3.5, 3.0, 9.0, 3)
    assert data["machine"]["cores"] == 2 and data["runs"] == 3 and data["jobs"] == 2
    assert {"build", "against", "ratio", "target", "status"} <= set(data["verdicts"][0])


def test_the_bench_stops_the_processes_of_its_series() -> None:
    marker = new_marker()
    env = {**os.environ, MARKER: marker}
    # Like a warm parent: its own session, so nothing reaps it when its starter exits.
    process = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(60)"], env=env, start_new_session=True
    )
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and f"{MARKER}={marker}".encode() not in _environ(process.pid):
            time.sleep(0.02)
        assert stop_marked(marker) == 1
        assert process.wait(timeout=10) != 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def _environ(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/environ").read_bytes()
    except OSError:
        return b""


def test_merging_caches_adds_missing_entries_only(tmp_path: Path) -> None:
    first, second = Cache(tmp_path / "a"), Cache(tmp_path / "b")
    for cache, key, text in ((first, "aa11", "one"), (second, "bb22", "two"), (second, "aa11", "other")):
        folder = cache.entry_dir(key)
        folder.mkdir(parents=True)
        (folder / "result.json").write_text(text)
    assert first.merge_from(second.root) == 1
    assert (first.entry_dir("bb22") / "result.json").read_text() == "two"
    assert (first.entry_dir("aa11") / "result.json").read_text() == "one"  # never overwritten
    assert first.merge_from(tmp_path / "missing") == 0


@pytest.mark.slow
def test_a_tiny_scale_run_shards_merges_and_then_executes_nothing(tmp_path: Path) -> None:
    from techpath.bench.scale import format_scale, run_scale

    report = run_scale(sizes=(1, 2), jobs=1, runs=1, shards=2, workdir=tmp_path)
    assert [s["posts"] for s in report["sizes"]] == [1, 2]
    assert all(s["valid"] for s in report["sizes"]), [s["problems"] for s in report["sizes"]]
    assert all(s["build_peak_mb"] > 0 and s["warm_parent_peak_mb"] > 0 for s in report["sizes"])
    shards = report["shards"]
    assert len(shards["shard_s"]) == 2
    assert shards["merged_build_pages"] == 2 and shards["merged_build_executed"] == 0
    assert shards["merged_build_problems"] == []
    assert "pages executed" in format_scale(report)
    assert not list(tmp_path.iterdir())  # the generated sites are removed


@pytest.mark.slow
def test_a_tiny_bench_run_checks_every_build(tmp_path: Path) -> None:
    from techpath.bench.run import run_bench

    report = run_bench(posts=2, jobs=1, runs=1, peers=("markdown-exec",), serve=True, workdir=tmp_path)
    by_name = {r["name"]: r for r in report_json(report)["rows"]}
    for name in (PLAIN, COLD, WARM, EDIT, PEER_ROWS["markdown-exec"]):
        assert by_name[name]["valid"], by_name[name]["problems"]
        assert by_name[name]["runs"] == 1
    assert by_name[COLD]["cpu_seconds"][0] > 0
    assert len(by_name["serve: save -> new page served"]["seconds"]) == 1


@pytest.mark.slow
def test_a_tiny_light_bench_run_checks_every_build(tmp_path: Path) -> None:
    """The light corpus (a cross-validation and a scatter plot per post) through the same
    checks: every build shows each post's cross-validated accuracy and one figure."""
    from techpath.bench.corpus import LIGHT
    from techpath.bench.run import run_bench

    report = run_bench(
        posts=2, jobs=1, runs=1, peers=("markdown-exec",), serve=False, workdir=tmp_path, corpus=LIGHT
    )
    assert report["corpus"] == "light" and "(light corpus)" in format_report(report)
    by_name = {r["name"]: r for r in report_json(report)["rows"]}
    for name in (PLAIN, COLD, WARM, EDIT, PEER_ROWS["markdown-exec"]):
        assert by_name[name]["valid"], by_name[name]["problems"]


def test_the_light_corpus_cross_validates_and_scatters_and_its_edit_moves_the_samples(tmp_path: Path) -> None:
    from techpath.bench.corpus import LIGHT, edit_one_post, write_sites

    site = write_sites(tmp_path, 4, peers=("markdown-exec",), corpus=LIGHT)
    post = (site["techpath"] / "docs" / "post003.md").read_text()
    assert "cross_val_score(GaussianNB(), X, y, cv=5)" in post and "ax.scatter(" in post
    assert "cross_val_score" in (site["markdown-exec"] / "docs" / "post003.md").read_text()
    edit_one_post(site["techpath"], 2, LIGHT)
    assert f"n_samples={LIGHT.base_samples + 2}" in (site["techpath"] / "docs" / "post000.md").read_text()


def test_the_bench_takes_a_corpus_by_name_and_refuses_an_unknown_one(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from techpath.cli import build_parser

    assert build_parser().parse_args(["bench", "--corpus", "light"]).corpus == "light"
    assert build_parser().parse_args(["bench"]).corpus == "default"
    with pytest.raises(SystemExit):
        build_parser().parse_args(["bench", "--corpus", "heavy"])
    assert "invalid choice: 'heavy'" in capsys.readouterr().err


def test_a_light_page_without_its_accuracy_names_what_it_found(tmp_path: Path) -> None:
    write_page(tmp_path, 0, f"<pre>cross-validated accuracy: 0.500</pre>{FIGURE_SVG}")
    problems = check_site(tmp_path, ["cross-validated accuracy: 0.945"])
    assert problems == [
        "post 0: expected 'cross-validated accuracy: 0.945', found cross-validated accuracy: 0.500"
    ]


@pytest.mark.slow
def test_the_mkdocs_jupyter_peer_is_built_as_its_users_would(tmp_path: Path) -> None:
    """Its kernels keep their inline backend: with the bench's MPLBACKEND=Agg inherited, every
    page lacked its figure and the peer's row was INVALID on every run."""
    from techpath.bench.corpus import write_sites
    from techpath.bench.reference import measure_reference
    from techpath.bench.run import bench_env, mkdocs_build, peer_env

    site = write_sites(tmp_path / "corpus", 1, peers=("mkdocs-jupyter",))["mkdocs-jupyter"]
    env = bench_env()
    expected = measure_reference(1, env).lines
    mkdocs_build(site, "mkdocs.yml", tmp_path / "out", peer_env("mkdocs-jupyter", env))
    assert check_site(tmp_path / "out", expected) == []
    assert "MPLBACKEND" in env and "MPLBACKEND" not in peer_env("mkdocs-jupyter", env)


def test_the_serve_bench_edits_show_only_once_built_and_rows_compare_with_the_peer() -> None:
    from techpath.bench.serve_post import PEER, ServeRow, code_edit, format_rows, prose_edit

    appended, shown = code_edit(3, "mkdocs 1.2")
    assert shown not in appended  # the page shows it only once the block executed
    assert "6 * 7" in appended and shown.endswith(": 42")
    assert code_edit(3, "zensical 1.3")[0] != appended  # another server's edit: not in the cache
    appended, shown = prose_edit(3, "mkdocs 1.2")
    assert shown in appended and shown != code_edit(3, "mkdocs 1.2")[1]
    ours, peer = ServeRow("mkdocs", prose=[0.5, 0.7, 0.6]), ServeRow(PEER, prose=[6.0, 6.2, 5.9])
    table = format_rows([ours, peer])
    assert "| techpath serve -g mkdocs |" in table and "0.60 (0.50-0.70)" in table
    assert "10.0x faster" in table  # 6.0 / 0.6, medians of the same run
    assert "mkdocs serve (whole rebuild" in table
    ours.code, ours.code_compute = [2.5], [1.9]
    assert "| 2.50 (2.50-2.50) | 1.90 (1.90-1.90) |" in format_rows([ours])


@pytest.mark.slow
def test_the_serve_bench_times_a_prose_and_a_code_edit_on_a_small_site(tmp_path: Path) -> None:
    from techpath.bench.run import bench_env
    from techpath.bench.serve_post import measure_server
    from tests.preview import copy_sample

    site = copy_sample(tmp_path / "site")
    post = site / "docs" / "blog" / "posts" / "alpha.md"
    before = post.read_bytes()
    env = {**bench_env(), MARKER: new_marker(), "SITE_URL": "http://127.0.0.1:8000/"}
    try:
        row = measure_server("mkdocs", site, site / "mkdocs.yml", post, "blog/alpha", env, 1, code=True)
    finally:
        stop_marked(env[MARKER])
    assert len(row.prose) == len(row.code) == len(row.prose_settled) == len(row.code_settled) == 1
    assert row.prose_settled[0] >= row.prose[0] > 0 and row.code_settled[0] >= row.code[0] > 0
    # the post's own compute, from the settled site's report: part of what the code edit took
    assert len(row.code_compute) == 1 and 0 < row.code_compute[0] < row.code[0]
    assert post.read_bytes() == before  # restored


def test_the_serve_bench_compares_sizes_and_finds_each_peer_its_site(tmp_path: Path) -> None:
    from techpath.bench.corpus import write_sites
    from techpath.bench.serve_post import NAMES, ServeRow, code_edit, size_ratios
    from techpath.bench.serve_scale import peer_target, site_target

    small = [
        ServeRow("mkdocs", prose=[0.4, 0.5, 0.6], prose_settled=[20.0]),
        ServeRow("zensical", prose=[2.0]),
    ]
    big = [
        ServeRow("mkdocs", prose=[0.5, 0.6, 0.7], prose_settled=[200.0]),
        ServeRow("properdocs", prose=[1.0]),
    ]
    table = size_ratios(small, big)
    assert "| techpath serve -g mkdocs | 1.20 | 10.00 | - |" in table  # 0.6 / 0.5, 200 / 20, no code edit
    assert "properdocs" not in table and "zensical" not in table  # measured on one site only
    sites = write_sites(tmp_path / "corpus", 2, peers=("markdown-exec",))
    target = site_target(sites["techpath"], sites["techpath"] / "docs" / "post000.md", "post000")
    exec_site = peer_target("markdown-exec", target, tmp_path / "work", {})
    assert exec_site is not None and exec_site.post == sites["markdown-exec"] / "docs" / "post000.md"
    appended, shown = code_edit(1, "run", exec_site.fence)
    assert appended.strip().startswith('```python exec="on"') and shown not in appended
    assert peer_target("mkdocs", target, tmp_path / "work", {}) == target
    (sites["markdown-exec"] / "docs" / "post000.md").unlink()  # no such post there: cannot run
    assert peer_target("markdown-exec", target, tmp_path / "work", {}) is None
    assert set(NAMES) == {"mkdocs-serve", "zensical-serve", "markdown-exec"}


def test_each_build_series_has_a_warm_parent_socket_of_its_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No other warm parent of this environment (another test's build, a running preview) can
    serve a series' cold build: the series' socket lives in a runtime folder of its own."""
    from techpath.bench.run import _end_series, _series_env
    from techpath.execute.client import server_socket_path

    shared = server_socket_path()
    first, second = _series_env({}, tmp_path / "a"), _series_env({}, tmp_path / "b")
    try:
        assert first["XDG_RUNTIME_DIR"] != second["XDG_RUNTIME_DIR"]
        assert first[MARKER] != second[MARKER] and first["TECHPATH_CACHE_DIR"] == str(tmp_path / "a")
        for series in (first, second):
            folder = Path(series["XDG_RUNTIME_DIR"])
            assert folder.is_dir() and folder.stat().st_mode & 0o777 == 0o700
            monkeypatch.setenv("XDG_RUNTIME_DIR", str(folder))
            assert Path(server_socket_path()).parent.parent == folder
            assert server_socket_path() != shared
    finally:
        _end_series(first)
        _end_series(second)
    assert not Path(first["XDG_RUNTIME_DIR"]).exists() and not Path(second["XDG_RUNTIME_DIR"]).exists()

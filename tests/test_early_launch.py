"""A cold build's warm parent starts while MkDocs still loads its configuration (at the plugin's
`load_config`), only when the build will surely execute (its result cache holds nothing), with
the environment `on_config` would give it; the build then uses that one, and nothing is left
running that a warm build or `techpath stop` would not also leave or end."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from techpath import environment
from techpath.execute import client
from techpath.options import PluginOptions
from techpath.stage import early_launch
from techpath.stage import options as stage_options
from techpath.stage.early_launch import docs_dir, launch_if_cold

CODE = "```python\nimport numpy as np\nprint(np.arange(3).sum())\n```\n"


def _site(tmp_path: Path, config: str = "", docs: str = "docs", code: str = CODE) -> Path:
    site = tmp_path / "site"
    (site / docs).mkdir(parents=True)
    (site / "mkdocs.yml").write_text(f"site_name: t\n{config}plugins:\n  - techpath:\n      keep_warm: 30\n")
    (site / docs / "index.md").write_text(f"# Page\n\n{code}")
    return site


@pytest.fixture
def launches(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[tuple[str, dict[str, str], float]]:
    """`launch_server` recorded instead of run; the runtime folder and cache are the test's."""
    calls: list[tuple[str, dict[str, str], float]] = []
    record = lambda path, env, idle, log: calls.append((path, env, idle))  # noqa: E731
    monkeypatch.setattr(early_launch, "launch_server", record)
    runtime = tmp_path / "run"
    runtime.mkdir(mode=0o700)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(runtime))
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv(environment.CACHE_DIR.name, raising=False)
    return calls


def _launch(site: Path, **options: Any) -> bool:
    opts = PluginOptions.from_mapping({"keep_warm": 30, **options})
    return launch_if_cold(site / "mkdocs.yml", opts, lambda message: None)


def test_an_empty_cache_launches_the_warm_parent_with_the_sites_imports(launches, tmp_path: Path) -> None:
    site = _site(tmp_path)
    assert _launch(site, jobs=2)
    [(path, env, idle)] = launches
    assert path == client.server_socket_path() and idle == 30
    assert environment.preload(env) == ["numpy"]  # what on_config's engine would preload
    assert env["OMP_NUM_THREADS"] == str(max(1, (os.cpu_count() or 1) // 2))
    assert env["MPLBACKEND"].startswith("module://techpath")


def test_a_cache_with_any_result_waits_for_on_config(launches, tmp_path: Path) -> None:
    site = _site(tmp_path)
    entry = site / ".cache" / "techpath" / "v1" / "ab" / "abcdef"
    entry.mkdir(parents=True)
    assert not _launch(site)  # a warm build may execute nothing: it must not pay the imports
    assert launches == []


@pytest.mark.parametrize(
    "options",
    [{"execute": False}, {"keep_warm": 0}],
    ids=["execution-off", "build-owned-warm-parent"],
)
def test_no_early_launch_without_a_shared_warm_parent_to_run(launches, tmp_path: Path, options) -> None:
    assert not _launch(_site(tmp_path), **options)
    assert launches == []


def test_no_early_launch_in_ci(launches, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")  # nothing outlives a CI job: its warm parent is the build's
    assert not _launch(_site(tmp_path))
    assert launches == []


def test_a_site_that_imports_nothing_has_nothing_to_overlap(launches, tmp_path: Path) -> None:
    assert not _launch(_site(tmp_path, code="```python\nprint(1)\n```\n"))
    assert launches == []


def test_an_existing_socket_is_left_to_on_config(launches, tmp_path: Path) -> None:
    path = Path(client.server_socket_path())
    path.write_text("")  # a live warm parent, or a stale socket on_config replaces
    assert not _launch(_site(tmp_path))
    assert launches == []


def test_the_docs_folder_is_the_one_the_configuration_names(launches, tmp_path: Path) -> None:
    site = _site(tmp_path, config="docs_dir: content\n", docs="content")
    assert docs_dir(site / "mkdocs.yml") == (site / "content").resolve()
    assert _launch(site)
    assert environment.preload(launches[0][1]) == ["numpy"]


@pytest.mark.parametrize(
    "config",
    ["site_name: [unclosed\n", "- a list\n- not a mapping\n", "docs_dir: [1, 2]\n", "INHERIT: missing.yml\n"],
    ids=["broken-yaml", "not-a-mapping", "docs-dir-not-text", "missing-parent"],
)
def test_a_configuration_it_cannot_read_is_left_to_mkdocs(launches, tmp_path: Path, config: str) -> None:
    site = _site(tmp_path)
    (site / "mkdocs.yml").write_text(config)
    assert docs_dir(site / "mkdocs.yml") is None
    assert not _launch(site)  # never raises: MkDocs reports the configuration's problems


def test_the_second_scan_of_unchanged_pages_reuses_the_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A cold build scans the pages' imports at the launch and again in on_config: the second
    reads nothing when no file changed, and scans again when one did (or one came or went)."""
    site = _site(tmp_path)
    docs = site / "docs"
    scans: list[int] = []
    scan = stage_options.modules_to_preload
    monkeypatch.setattr(stage_options, "modules_to_preload", lambda texts: scans.append(1) or scan(texts))
    assert stage_options.site_preload(docs) == ["numpy"]
    assert stage_options.site_preload(docs) == ["numpy"] and len(scans) == 1
    (docs / "index.md").write_text("```python\nimport yaml\n```\n")  # another size
    assert stage_options.site_preload(docs) == ["yaml"] and len(scans) == 2
    (docs / "more.md").write_text("```python\nimport numpy\n```\n")
    assert stage_options.site_preload(docs) == ["numpy", "yaml"] and len(scans) == 3
    (docs / "more.md").unlink()
    assert stage_options.site_preload(docs) == ["yaml"] and len(scans) == 4
    found = stage_options.site_preload(docs)
    found.append("os")  # a caller's change to its list is not the memo's
    assert stage_options.site_preload(docs) == ["yaml"] and len(scans) == 4


# -- what MkDocs imports before the launch -----------------------------------------------------

# What the build needs only from on_config on (about 0.4 CPU s together): none of it may come back
# into the import path up to load_config, where it would delay every cold build's warm parent.
HEAVY = (
    "techpath.mkdocs_plugin.build",
    "techpath.stage.stager",
    "techpath.render",
    "techpath.site",
    "techpath.safety.site",
    "techpath.parse.post",
    "techpath.generators",
)

_IMPORTED = """
import sys
from pathlib import Path
from techpath.mkdocs_plugin import TechpathPlugin
plugin = TechpathPlugin()
errors, _ = plugin.load_config({"keep_warm": 30}, sys.argv[1])
assert not errors, errors
if sys.argv[2:]:
    import techpath.mkdocs_plugin.build
print("\\n".join(sorted(name for name in sys.modules if name.startswith("techpath"))))
"""


def _imported(site: Path, runtime: Path, then_build: bool = False) -> list[str]:
    """The techpath modules a fresh interpreter holds after MkDocs' plugin loading: the plugin
    module imported, its options validated (load_config, which runs launch_if_cold to the end:
    the socket exists, so nothing is launched)."""
    env = {**os.environ, "XDG_RUNTIME_DIR": str(runtime), "NO_MKDOCS_2_WARNING": "1"}
    env.pop("CI", None)
    env.pop(environment.CACHE_DIR.name, None)
    argv = [sys.executable, "-c", _IMPORTED, str(site / "mkdocs.yml"), *(["build"] if then_build else [])]
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


def test_loading_the_plugin_imports_nothing_the_launch_does_not_need(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = _site(tmp_path)
    runtime = tmp_path / "run"
    runtime.mkdir(mode=0o700)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(runtime))
    Path(client.server_socket_path()).write_text("")  # launch_if_cold reads all, launches nothing
    loaded = _imported(site, runtime)
    assert "techpath.stage.early_launch" in loaded and "techpath.stage.options" in loaded
    assert [name for name in loaded if name.startswith(HEAVY)] == []
    # the check sees them once the heavy half is imported (as on_config does)
    built = _imported(site, runtime, then_build=True)
    assert {name for name in built if name.startswith(HEAVY)} >= {
        "techpath.mkdocs_plugin.build",
        "techpath.stage.stager",
    }


# -- the real thing: MkDocs builds, one warm parent -------------------------------------------


def _server_pids(runtime: Path) -> list[int]:
    found = []
    for proc in Path("/proc").iterdir():
        try:
            argv = (proc / "cmdline").read_bytes().split(b"\0") if proc.name.isdigit() else []
        except OSError:
            continue
        if b"techpath.execute.warm_parent" not in argv or b"--socket" not in argv:
            continue
        if argv[argv.index(b"--socket") + 1].decode().startswith(str(runtime)):
            found.append(int(proc.name))
    return found


@pytest.fixture
def runtime(tmp_path: Path) -> Iterator[Path]:
    folder = tmp_path / "run"
    folder.mkdir(mode=0o700)
    yield folder
    for pid in _server_pids(folder):  # the test's own warm parent
        os.kill(pid, signal.SIGTERM)


def _build(site: Path, runtime: Path) -> str:
    env = {**os.environ, "XDG_RUNTIME_DIR": str(runtime), "NO_MKDOCS_2_WARNING": "1"}
    env.pop("CI", None)
    env.pop(environment.CACHE_DIR.name, None)
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "-f", str(site / "mkdocs.yml")],
        cwd=site,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return done.stderr


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="a shared warm parent is fork mode's")
def test_a_cold_build_runs_its_pages_in_the_warm_parent_launched_early(tmp_path: Path, runtime: Path) -> None:
    site = _site(tmp_path)
    log = _build(site, runtime)
    assert log.count("started a warm parent") == 1  # launched once, at load_config, and used
    assert "the warm parent starts while MkDocs loads the configuration" in log
    assert "executed 1 pages, 0 from cache" in log
    assert ">3</" in (site / "site" / "index.html").read_text()
    [pid] = _server_pids(runtime)  # kept for later builds, as keep_warm says
    log = _build(site, runtime)  # warm: nothing executes, nothing is launched
    assert "executed 0 pages, 1 from cache" in log and "warm parent" not in log
    assert _server_pids(runtime) == [pid]
    env = {**os.environ, "XDG_RUNTIME_DIR": str(runtime)}
    subprocess.run([sys.executable, "-m", "techpath.cli", "stop"], env=env, check=True, capture_output=True)
    assert _server_pids(runtime) == []


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="a shared warm parent is fork mode's")
def test_a_warm_parent_launched_for_nothing_is_ended_at_on_config(tmp_path: Path, runtime: Path) -> None:
    """The imports were read from the page's text, but no code runs (a text fence): on_config
    finds nothing to execute, and the process launched early does not outlive the build."""
    site = _site(tmp_path, code="```text\nimport numpy as np\n```\n")
    log = _build(site, runtime)
    assert "the warm parent starts while MkDocs loads the configuration" in log
    assert _server_pids(runtime) == []


def test_prose_that_ends_a_sentence_on_a_module_name_preloads_the_module_itself() -> None:
    """Prose "then import numpy." once asked the warm parent for `numpy.`, which it failed
    to import and reported on every build; the name is the module, the dot the sentence's."""
    texts = ["First we import numpy. Then, from matplotlib.pyplot import plot.", "import numpy..x"]
    assert stage_options.modules_to_preload(texts) == ["matplotlib.pyplot", "numpy"]

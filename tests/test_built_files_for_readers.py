"""What a reader takes home from the built site (issue 27): no path of the build machine in any
file, and downloads that say where they come from and what they need."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TEXT_SUFFIXES = {".html", ".json", ".ipynb", ".py", ".xml", ".txt", ".js", ".css", ".svg"}


def _machine_paths() -> list[str]:
    """Absolute paths that exist only on the machine that built the site."""
    found = {
        str(ROOT),
        sys.prefix,
        sys.exec_prefix,
        sysconfig.get_paths()["purelib"],
        sysconfig.get_paths()["stdlib"],
        str(Path.home()),
        tempfile.gettempdir(),
    }
    if sys.base_prefix not in ("/usr", "/usr/local"):  # a system Python's prefix is not this machine's
        found.add(sys.base_prefix)
    found |= {os.path.realpath(p) for p in found}
    return sorted((p for p in found if len(p) > 4), key=len, reverse=True)


def test_no_absolute_build_machine_path_in_any_built_file(built_site: Path) -> None:
    """Tracebacks, warnings and every other output: paths are relative to the environment
    (site-packages/sklearn/..., <python>/...), in pages, notebooks, scripts and the index."""
    paths = _machine_paths()
    pattern = re.compile("|".join(re.escape(p) + r"(?=[/\\\"'\s<]|$)" for p in paths))
    hits: dict[str, list[str]] = {}
    checked = 0
    for file in built_site.rglob("*"):
        if not file.is_file() or file.suffix not in TEXT_SUFFIXES:
            continue
        checked += 1
        text = file.read_text(encoding="utf-8", errors="replace")
        found = [text[max(0, m.start() - 20) : m.end() + 40] for m in pattern.finditer(text)]
        if found:
            hits[file.relative_to(built_site).as_posix()] = found[:3]
    assert checked > 100
    assert hits == {}, f"{len(hits)} files: {hits}"


def test_a_script_links_its_post_and_names_the_data_it_needs(built_site: Path, tmp_path: Path) -> None:
    scripts = sorted(p for p in built_site.glob("assets/downloads/*/*.py") if p.stem == p.parent.name)
    assert scripts
    for script in scripts:
        head = script.read_text().split('"""')[1]
        from_line = re.search(r"^From (\S+)$", head, re.M)
        assert from_line and from_line[1].rstrip("/").endswith(f"/blog/{script.stem}"), (script.name, head)
    with_data = [s for s in scripts if s.with_suffix(".zip").exists()]
    assert with_data, "a post with data files (the messy tabular data post) is expected"
    for script in with_data:
        head = script.read_text().split("# %%")[0]
        assert script.with_suffix(".zip").name in head, head
        alone = subprocess.run(
            [sys.executable, str(script)],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
            env={"MPLBACKEND": "Agg", "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
        )
        assert alone.returncode != 0
        assert script.with_suffix(".zip").name in alone.stderr and "Traceback" not in alone.stderr, (
            alone.stderr
        )


def test_every_page_loads_the_reader_script_before_the_themes_bundle(built_site: Path) -> None:
    """The script that holds the search index back must run before the theme asks for it."""
    pages = [p for p in built_site.rglob("*.html") if "assets/javascripts/bundle." in p.read_text()]
    late = [
        p.relative_to(built_site).as_posix()
        for p in pages
        if not re.search(r'assets/techpath/reader\.js"></script>\s*<script src="[^"]*bundle\.', p.read_text())
    ]
    assert len(pages) > 40 and late == [], late

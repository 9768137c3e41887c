"""The wheel stands alone: built, measured, installed into a fresh venv outside the repository."""

from __future__ import annotations

import re
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_wheel_installs_alone_and_pip_check_is_clean(wheel_venv: WheelVenv) -> None:
    wheel, alone = wheel_venv.wheel, wheel_venv.alone
    twine = subprocess.run(
        [sys.executable, "-m", "twine", "check", "--strict", wheel], capture_output=True, text=True
    )
    assert twine.returncode == 0, twine.stdout + twine.stderr
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        metadata = archive.read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
    requires = [line for line in metadata.splitlines() if line.startswith("Requires-Dist:")]
    core = [line for line in requires if "extra ==" not in line]
    print(f"\nwheel {wheel.name}: {wheel.stat().st_size / 1e3:.0f} kB, {len(core)} core dependencies")
    assert "techpath/site/katex/katex.min.js" in names
    assert "techpath/site/katex/fonts/KaTeX_Main-Regular.woff2" in names
    assert not any(name in line for line in core for name in ("nodejs", "scikit-learn", "pandas", "scipy"))
    # what the fresh venv said with the wheel (and what it pulled in) alone installed
    assert alone.check.returncode == 0, alone.check.stdout + alone.check.stderr
    assert str(wheel_venv.venv) in alone.where  # the installed copy, not the repository's src/


# A stranger's documentation site: no blog, three pages and a notebook (with saved outputs) in
# nav, math, an illustrative fence that must not run, a markdown-exec page; configured only as
# docs/use-on-your-site.md says, with one plugin line.
STRANGER_SITE = {
    "mkdocs.yml": """site_name: Acme Docs
theme:
  name: material
  palette:
    - media: "(prefers-color-scheme: light)"
      scheme: default
    - media: "(prefers-color-scheme: dark)"
      scheme: slate
nav:
  - Home: index.md
  - Guide: guide.md
  - Analysis: analysis.ipynb
  - Recipes: recipes.md
markdown_extensions:
  - pymdownx.superfences
  - pymdownx.arithmatex:
      generic: true
plugins:
  - search
  - techpath: {execute: marked}
""",
    "docs/index.md": """# Acme

The [analysis notebook](analysis.ipynb#results) has the numbers; the [guide](guide.md) fits
$y = a x + b$.

```python
import acme  # illustrative: no such package, so this must not run
acme.launch(rockets=3)
```
""",
    "docs/guide.md": """# Guide

$$
L(a, b) = \\frac{1}{n} \\sum_{i=1}^{n} (y_i - a x_i - b)^2
$$

```python exec="on" source="above"
total = sum(range(10))
print(f"total = {total}")
```
""",
    "docs/recipes.md": """# Recipes

```python exec="on"
print("only the output of this block is shown")
```

```python exec="on" source="material-block" session="plots"
import matplotlib.pyplot as plt
plt.plot([1, 2, 3], [1, 4, 9])
plt.show()
```
""",
}
BROKEN_PAGE = (
    '# Broken\n\nText.\n\n```python exec="on" source="above"\nx = 1\nprint(x + undefined_name)\n```\n'
)


def _stranger_notebook() -> str:
    import json

    cells = [
        {"cell_type": "markdown", "metadata": {}, "source": ["# Analysis\n\n## Results\n\nThe mean of $x$:"]},
        {
            "cell_type": "code",
            "metadata": {},
            "execution_count": 3,
            "source": ["xs = [1, 2, 3, 4]\n", "print(sum(xs) / len(xs))"],
            "outputs": [{"output_type": "stream", "name": "stdout", "text": ["2.5\n"]}],
        },
    ]
    metadata = {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}}
    return json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": metadata, "cells": cells})


def _our_processes(venv: Path) -> list[str]:
    found = []
    for proc in Path("/proc").iterdir():
        try:
            command = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if str(venv) in command:
            found.append(f"{proc.name}: {command}")
    return found


# What the documentation corpus (tests/corpora/plugin_docs_site) needs beside techpath, at the
# versions of the lock: the fresh venv holds the wheel, Material and these, nothing of the repository.
DOCS_PLUGINS = ("mkdocs-material", "mkdocstrings", "mkdocstrings-python", "mkdocs-autorefs", "griffelib")


def _locked(name: str) -> str:
    found = re.search(rf"^{re.escape(name)}==(\S+)", (ROOT / "requirements.lock").read_text(), re.M)
    return f"{name}=={found[1]}" if found else name


@dataclass
class Alone:
    """What the fresh venv said with only the wheel installed: `pip check`, and where
    `techpath` is imported from."""

    check: subprocess.CompletedProcess[str]
    where: str


@dataclass
class WheelVenv:
    wheel: Path
    venv: Path
    alone: Alone


@pytest.fixture(scope="module")
def wheel_venv(tmp_path_factory: pytest.TempPathFactory) -> WheelVenv:
    """The wheel, built once, and one venv outside the repository for this module: first the
    wheel alone is installed (with what it requires) and the venv is asked what a stranger's
    would say, then the documentation plugins go beside it for the sites built from it. One
    wheel and one venv, where each test built its own (about 30 CPU seconds each)."""
    base = tmp_path_factory.mktemp("wheel-venv")
    dist = base / "dist"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", dist, ROOT],
        check=True,
    )
    (wheel,) = dist.glob("techpath-*.whl")
    venv = base / "venv"
    # Our pip drives the venv (`--python`) instead of a copy of pip installed into it (ensurepip:
    # about 5 CPU seconds), and nothing is byte-compiled ahead (about 10): a module is compiled
    # when a build of the venv first imports it, as a stranger's would be. What is resolved,
    # installed and checked is the same: the wheel and what it requires (pip 22.3+ has --python).
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", venv], check=True, cwd=base)
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--python", venv / "bin" / "python"]
    subprocess.run([*pip, "install", "-q", "--no-compile", wheel], check=True, cwd=base)
    check = subprocess.run([*pip, "check"], capture_output=True, text=True, cwd=base)
    probe = "import techpath.mkdocs_plugin, techpath.site.math as m; print(m.BUNDLED_KATEX)"
    where = subprocess.run(
        [venv / "bin" / "python", "-c", probe], capture_output=True, text=True, check=True, cwd=base
    )
    subprocess.run(
        [*pip, "install", "-q", "--no-compile", wheel, *map(_locked, DOCS_PLUGINS)], check=True, cwd=base
    )
    return WheelVenv(wheel, venv, Alone(check, where.stdout))


@pytest.fixture(scope="module")
def fresh_venv(wheel_venv: WheelVenv) -> Path:
    """The venv with the wheel and the documentation plugins."""
    return wheel_venv.venv


def _stranger_env(venv: Path) -> dict[str, str]:
    """As on CI (the docs' example): nothing of ours may outlive the build; no repository paths."""
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith(("TECHPATH_", "PYTHON", "VIRTUAL_ENV"))}
    env.update(CI="true", NO_MKDOCS_2_WARNING="1", PATH=f"{venv / 'bin'}:/usr/bin:/bin")
    return env


@pytest.mark.slow
def test_a_documentation_site_with_mkdocstrings_builds_from_the_wheel(
    fresh_venv: Path, tmp_path: Path
) -> None:
    """The corpus built as a stranger builds it: `mkdocs build --strict` of the venv, one plugin
    line; its cross-references, badges, diagram and outputs as tests/test_plugin_docs_site.py
    checks them, and lint from the wheel agrees: nothing to report."""
    from tests.test_plugin_docs_site import check_docs_site, check_scripts_allowed, copy_corpus

    root = copy_corpus(tmp_path)
    env = _stranger_env(fresh_venv)
    built = subprocess.run(
        [fresh_venv / "bin" / "mkdocs", "build", "--strict", "-d", tmp_path / "site"],
        cwd=root, env=env, capture_output=True, text=True,
    )  # fmt: skip
    assert built.returncode == 0, built.stderr[-4000:]
    check_docs_site(tmp_path / "site")
    check_scripts_allowed(tmp_path / "site")
    linted = subprocess.run(
        [fresh_venv / "bin" / "techpath", "lint"], cwd=root, env=env, capture_output=True, text=True
    )
    assert linted.returncode == 0, linted.stdout + linted.stderr
    assert _our_processes(fresh_venv) == []


@pytest.mark.slow
@pytest.mark.browser
def test_a_strangers_site_builds_from_the_wheel_alone_and_reads_well(
    fresh_venv: Path, tmp_path: Path
) -> None:
    from tests.browser import BLOCKED_ERROR, offline_browser, serve_folder, wait_until

    venv = fresh_venv
    site = tmp_path / "acme"
    for name, text in STRANGER_SITE.items():
        (site / name).parent.mkdir(parents=True, exist_ok=True)
        (site / name).write_text(text)
    (site / "docs" / "analysis.ipynb").write_text(_stranger_notebook())
    env = _stranger_env(venv)
    mkdocs = [venv / "bin" / "mkdocs", "build", "--strict"]
    built = subprocess.run(mkdocs, cwd=site, env=env, capture_output=True, text=True)
    assert built.returncode == 0, built.stderr
    assert "Traceback" not in built.stderr
    out = site / "site"
    home, guide = (out / "index.html").read_text(), (out / "guide" / "index.html").read_text()
    recipes, analysis = (
        (out / "recipes" / "index.html").read_text(),
        (out / "analysis" / "index.html").read_text(),
    )
    assert 'href="analysis/#results"' in home and "launch" in home and "techpath-output" not in home
    # what a markdown-exec block prints is Markdown, as markdown-exec renders it
    assert "<p>total = 45</p>" in guide and 'class="katex' in guide and "techpath-output" not in guide
    assert "<p>only the output of this block is shown</p>" in recipes
    assert "techpath-output" in recipes and "techpath-figure" in recipes  # plt.show(): techpath's panel
    assert "2.5" in analysis and 'href="../analysis/"' in guide  # the notebook is a page in nav
    assert (out / "assets" / "katex" / "fonts" / "KaTeX_Main-Regular.woff2").exists()
    assert (out / "assets" / "techpath" / "techpath.css").exists()
    assert _our_processes(venv) == []

    shots = ROOT / "test-artifacts" / "stranger"
    shots.mkdir(parents=True, exist_ok=True)
    with serve_folder(out) as url:
        base = url + "/"
        for scheme in ("light", "dark"):
            with offline_browser(base, color_scheme=scheme, viewport=(390, 844)) as (page, log):
                page.goto(base + "guide/")
                wait_until(page, "document.fonts.check('16px KaTeX_Main')")
                page.screenshot(path=str(shots / f"guide-390-{scheme}.png"), full_page=True)
                page.goto(base + "recipes/")
                style = page.evaluate(
                    "(() => { const s = getComputedStyle(document.querySelector('.techpath-output'));"
                    " return [s.borderLeftStyle, s.borderLeftWidth, s.backgroundColor]; })()"
                )
                label = page.evaluate(
                    "getComputedStyle(document.querySelector('.techpath-output'), '::before').content"
                )
                page.screenshot(path=str(shots / f"recipes-390-{scheme}.png"), full_page=True)
                assert style[0] == "solid" and style[1] != "0px" and style[2] != "rgba(0, 0, 0, 0)", style
                assert label == '"Output"'
                # Material's default Google Fonts are allowed by the CSP; this machine is offline,
                # so the test browser blocks them and nothing else
                google = ("https://fonts.googleapis.com/", "https://fonts.gstatic.com/")
                assert log.csp_violations == [], log.csp_violations
                assert all(url.startswith(google) for url in log.blocked_requests), log.blocked_requests
                assert [e for e in log.console_errors if BLOCKED_ERROR not in e] == []

    (site / "docs" / "broken.md").write_text(BROKEN_PAGE)
    broken = subprocess.run(mkdocs, cwd=site, env=env, capture_output=True, text=True)
    assert broken.returncode != 0
    assert "docs/broken.md:7: NameError: name 'undefined_name' is not defined" in broken.stderr
    assert "Traceback (most recent call last)" not in broken.stderr.split("docs/broken.md:7")[0]
    assert _our_processes(venv) == []

"""The wheel stands alone: built, measured, installed into a fresh venv outside the repository."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_wheel_installs_alone_and_pip_check_is_clean(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", dist, ROOT],
        check=True,
    )
    (wheel,) = dist.glob("techpath-*.whl")
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

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", venv], check=True, cwd=tmp_path)
    pip = venv / "bin" / "pip"
    subprocess.run([pip, "install", "-q", "--disable-pip-version-check", wheel], check=True, cwd=tmp_path)
    check = subprocess.run([pip, "check"], capture_output=True, text=True, cwd=tmp_path)
    assert check.returncode == 0, check.stdout + check.stderr
    python = venv / "bin" / "python"
    probe = "import techpath.mkdocs_plugin, techpath.site.math as m; print(m.BUNDLED_KATEX)"
    where = subprocess.run([python, "-c", probe], capture_output=True, text=True, check=True, cwd=tmp_path)
    assert str(venv) in where.stdout  # the installed copy, not the repository's src/

"""A headless Chromium for the browser tests, without root: `make chromium`.

The npm package @sparticuz/chromium ships Chromium's headless shell for x86-64 Linux together
with the libraries a bare system lacks (NSS, NSPR, expat) and a font; what it needs from the
system is glibc and libgcc_s, which every glibc system has. This fetches the pinned version from
the npm registry (`npm pack`, with the Node.js of .venv), checks it against the pinned hash,
unpacks it into .venv/chromium/ and writes .venv/chromium/chrome, a launcher that points the
binary at its libraries and fonts. tests/browser.py finds it there. Nothing is downloaded when
the tests run.
"""

from __future__ import annotations

import base64
import hashlib
import platform
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE, VERSION = "@sparticuz/chromium", "153.0.0"
INTEGRITY = "sha512-jiGWqSvPMdu4+P9TilYqAR7yEGPEHINx+lCvE/NqNO/EHYzF/x1hUiI5T6ioVIt7dEy7n88byyT0vk+dnsgQwA=="
DEST = ROOT / ".venv" / "chromium"
LAUNCHER = DEST / "chrome"
# Fonts: the package's own (Open Sans), then whatever the system has (DejaVu on Debian, ...).
FONTS_CONF = """<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "fonts.dtd">
<fontconfig>
  <dir>{fonts}</dir>
  <dir>/usr/share/fonts</dir>
  <dir>/usr/local/share/fonts</dir>
  <dir prefix="xdg">fonts</dir>
  <cachedir>{cache}</cachedir>
</fontconfig>
"""
LAUNCHER_SCRIPT = """#!/bin/sh
# Chromium's headless shell from {package} {version} (scripts/headless_chromium.py)
here="$(dirname "$0")"
export LD_LIBRARY_PATH="$here/lib${{LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}}"
export FONTCONFIG_PATH="$here/fontconfig"
exec "$here/headless-shell" "$@"
"""


def integrity(path: Path) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(path.read_bytes()).digest()).decode()


def unbrotli(source: Path, target: Path) -> None:
    """Python's standard library has no Brotli; the Node.js in .venv does."""
    script = (
        "const fs = require('fs'), zlib = require('zlib');"
        "fs.writeFileSync(process.argv[2], zlib.brotliDecompressSync(fs.readFileSync(process.argv[1])))"
    )
    subprocess.run([str(ROOT / ".venv" / "bin" / "node"), "-e", script, str(source), str(target)], check=True)


def install(tarball: Path) -> None:
    found = integrity(tarball)
    if found != INTEGRITY:
        raise SystemExit(f"{tarball.name}: hash {found} is not the pinned {INTEGRITY}")
    shutil.rmtree(DEST, ignore_errors=True)
    work = DEST / "unpack"
    work.mkdir(parents=True)
    with tarfile.open(tarball) as archive:
        archive.extractall(work, filter="data")
    bin_dir = work / "package" / "bin"
    unbrotli(bin_dir / "chromium.br", DEST / "headless-shell")
    (DEST / "headless-shell").chmod(0o755)
    for name, into in (("al2023.tar.br", DEST), ("fonts.tar.br", DEST / "fonts")):  # lib/, fonts/
        unbrotli(bin_dir / name, work / "part.tar")
        into.mkdir(exist_ok=True)
        with tarfile.open(work / "part.tar") as archive:
            archive.extractall(into, filter="data")
    (DEST / "fontconfig").mkdir()
    conf = FONTS_CONF.format(fonts=DEST / "fonts" / "fonts", cache=DEST / "fontconfig" / "cache")
    (DEST / "fontconfig" / "fonts.conf").write_text(conf)
    LAUNCHER.write_text(LAUNCHER_SCRIPT.format(package=PACKAGE, version=VERSION))
    LAUNCHER.chmod(0o755)
    shutil.rmtree(work)


def main() -> int:
    if sys.platform != "linux" or platform.machine() not in ("x86_64", "AMD64"):
        print(f"{PACKAGE} ships Chromium for x86-64 Linux only; install Chromium and set TECHPATH_CHROMIUM")
        return 1
    if LAUNCHER.exists() and (DEST / "VERSION").exists() and (DEST / "VERSION").read_text() == VERSION:
        print(f"{LAUNCHER} is there ({PACKAGE} {VERSION})")
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        npm = [str(ROOT / ".venv" / "bin" / "npm"), "pack", f"{PACKAGE}@{VERSION}", "--pack-destination", tmp]
        subprocess.run([*npm, "--silent", "--no-audit", "--no-fund"], check=True, stdout=subprocess.DEVNULL)
        (tarball,) = Path(tmp).glob("*.tgz")
        install(tarball)
    (DEST / "VERSION").write_text(VERSION)
    version = subprocess.run([str(LAUNCHER), "--version"], capture_output=True, text=True)
    print(f"{LAUNCHER}: {version.stdout.strip() or version.stderr.strip()[-200:]}")
    return 0 if version.returncode == 0 else 1


if __name__ == "__main__":
    sys.exit(main())

"""The hostile test site (tests/hostile_site) as the tests build it: a copy, with the symlinks a
pull request could commit (never committed here: pytest, ruff and every tool that walks the
repository would follow them), built relaxed by each generator and served.

The copy sits in `outside/../repo`: `outside/` holds files with a marker no page may show, and
`repo/.git/config` (a fake one) holds another.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HOSTILE = ROOT / "tests" / "hostile_site"
GENERATORS = ("mkdocs", "properdocs", "zensical")
# The build's environment holds this; /proc/self/environ published would show it.
ENV_SECRET = "TECHPATH_TEST_ENV_SECRET"


@dataclass(frozen=True)
class HostileCopy:
    root: Path  # the site's repository (mkdocs.yml)
    outside: Path  # files outside it
    marker: str  # in every file outside the repository and in its .git/config


def hostile_copy(base: Path, fatal: str = "") -> HostileCopy:
    """tests/hostile_site copied to `base/repo`, with symlinks out of it (leaves: to files; the
    build leaves each out) and, with `fatal`, one that stops the build: "folder" (a docs folder
    linked outside) or "snippet" (a snippet linked to .git/config)."""
    marker = "TECHPATH-OUTSIDE-" + secrets.token_hex(6)
    root, outside = base / "repo", base / "outside"
    shutil.copytree(HOSTILE, root, symlinks=True)
    config = root / "mkdocs.yml"
    katex = (ROOT / "node_modules" / "katex").as_posix()
    config.write_text(config.read_text().replace("../../node_modules/katex", katex))
    (root / ".git").mkdir()
    (root / ".git" / "config").write_text(f"[core]\n\trepositoryformatversion = 0\n# {marker}\n")
    outside.mkdir()
    (outside / "secret.md").write_text(f"# Outside\n\n{marker}\n")
    (outside / "secret.txt").write_text(f"{marker}\n")
    post = (HOSTILE / "docs" / "blog" / "posts" / "neighbour.md").read_text()
    (outside / "secret-post.md").write_text(
        post.replace("Nothing else.", f'```python\nprint("{marker}")\n```')
    )
    docs = root / "docs"
    links = {
        docs / "leak.md": outside / "secret.md",
        docs / "assets" / "leak.txt": outside / "secret.txt",
        docs / "assets" / "passwd.txt": Path("/etc/passwd"),
        docs / "assets" / "environ.txt": Path("/proc/self/environ"),
        docs / "blog" / "posts" / "leak-post.md": outside / "secret-post.md",
        docs / "git-config.md": root / ".git" / "config",
        docs / "blog" / "posts" / "data" / "config.csv": Path("../../../../.git/config"),
    }
    if fatal == "folder":
        links[docs / "outside-folder"] = outside
    elif fatal == "snippet":
        links[root / "snippets" / "config.md"] = Path("../.git/config")
    for link, target in links.items():
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(target)
    return HostileCopy(root, outside, marker)


def build(copy: HostileCopy, generator: str, site: Path, site_url: str) -> subprocess.CompletedProcess[str]:
    """`techpath build -g GENERATOR`, relaxed (errors logged, pages written, as serve does)."""
    env = {
        **os.environ,
        "TECHPATH_KEEP_WARM": "0",
        "NO_MKDOCS_2_WARNING": "1",
        "SITE_URL": site_url + "/",
        ENV_SECRET: copy.marker,
    }
    command = [sys.executable, "-m", "techpath.cli", "build", "-g", generator, "-d", str(site)]
    return subprocess.run(command, cwd=copy.root, env=env, capture_output=True, text=True)


def lint(copy: HostileCopy) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    command = [sys.executable, "-m", "techpath.cli", "lint"]
    return subprocess.run(command, cwd=copy.root, env=env, capture_output=True, text=True)


@dataclass(frozen=True)
class HostileBuild:
    generator: str
    copy: HostileCopy
    site: Path
    url: str  # where it is served
    log: str  # what the build printed


class HostileBuilds:
    """One copy of the hostile site, built by each generator when a test first asks for it and
    served until the session ends (the URL is known before the build: instant navigation needs it)."""

    def __init__(self, base: Path) -> None:
        from contextlib import ExitStack

        self.base = base
        self.copy = hostile_copy(base)
        self._servers = ExitStack()
        self._built: dict[str, HostileBuild] = {}

    def __enter__(self) -> HostileBuilds:
        return self

    def __exit__(self, *exc: object) -> None:
        self._servers.close()

    def get(self, generator: str) -> HostileBuild:
        if generator not in self._built:
            from tests.browser import serve_folder

            # four folders deep, so a slug that climbs out would land in base/generator
            site = self.base / generator / "a" / "b" / "c" / "site"
            url = self._servers.enter_context(serve_folder(site))
            done = build(self.copy, generator, site, url)
            assert done.returncode == 0, f"{generator}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
            self._built[generator] = HostileBuild(generator, self.copy, site, url, done.stdout + done.stderr)
        return self._built[generator]

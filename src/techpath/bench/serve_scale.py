"""The serve loop on the generated N-post bench site (`techpath bench --serve-scale N`): does a
one-post save cost the same on 500 posts as on our 27? The site is written once into a folder
that can be kept (`--serve-site DIR`), its result cache warmed once by a build (its cold
execution takes minutes), then each server is timed on the same edits of post 0, as
`--serve-post` times them on our site. The peers need sites of their own: the markdown-exec
flavour of the same posts (`mkdocs serve` with markdown-exec executes every post on each save),
and the staged tree (`techpath stage`) for `zensical serve` alone."""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from techpath.bench.corpus import write_sites
from techpath.bench.measure import MARKER, new_marker, stop_marked
from techpath.generators.build import read_config


@dataclass(frozen=True)
class Target:
    """What one server is timed on: a site, its configuration, the post edited, its page."""

    site: Path
    config: Path
    post: Path
    url: str
    code: bool = True  # whether a code edit is timed (a notebook, or a server that runs nothing: no)
    fence: str = "python"


def scale_site(root: Path, posts: int, env: dict[str, str], progress=print) -> Path:
    """The `posts`-post bench site under `root` (techpath and markdown-exec flavours), written
    unless it is there, and its result cache warmed by one build. Returns the techpath site."""
    site = root / "techpath"
    docs = site / "docs"
    wanted = {f"post{i:03d}.md" for i in range(posts)}
    present = {p.name for p in docs.glob("post*.md")} if docs.is_dir() else set()
    if present != wanted or not (root / "markdown-exec" / "mkdocs.yml").is_file():
        progress(f"writing the {posts}-post site in {root}")
        for stale in present - wanted:
            (docs / stale).unlink()
        write_sites(root, posts, jobs=2, peers=("markdown-exec",))
    progress(f"warming the {posts}-post site's result cache (a build; minutes when cold)")
    out = root / "warm-build"
    command = [sys.executable, "-m", "mkdocs", "build", "-q", "-f", str(site / "mkdocs.yml"), "-d", str(out)]
    env = {**env, MARKER: new_marker()}
    try:
        subprocess.run(command, cwd=site, env=env, check=True, stdout=subprocess.DEVNULL)
    finally:
        stop_marked(env[MARKER])  # its warm parent would stay on beside the servers measured
    return site


def site_target(site: Path, post: Path, url: str) -> Target:
    return Target(site, site / "mkdocs.yml", post, url, code=post.suffix == ".md")


def peer_target(server: str, target: Target, work: Path, env: dict[str, str]) -> Target | None:
    """Where a peer is timed on the same edit, or None where it cannot run on this site."""
    if server == "markdown-exec":  # the generated site's markdown-exec flavour only
        flavour = target.site.parent / "markdown-exec"
        post = flavour / target.post.relative_to(target.site)
        if not (flavour / "mkdocs.yml").is_file() or not post.is_file():
            return None
        return Target(flavour, flavour / "mkdocs.yml", post, target.url, fence='python exec="on"')
    if server == "zensical-serve":
        return staged_target(target, work / "staged", env)
    return target


def staged_target(target: Target, out: Path, env: dict[str, str]) -> Target:
    """The site staged by `techpath stage` (every page's results already in it), for `zensical
    serve` alone; its output goes beside the staged tree, not into the site's folder."""
    command = [sys.executable, "-m", "techpath.cli", "stage", "-f", str(target.config), "--out", str(out)]
    subprocess.run(command, cwd=target.site, env=env, check=True, stdout=subprocess.DEVNULL)
    config = out / "mkdocs.yml"
    text = config.read_text(encoding="utf-8")
    config.write_text(re.sub(r"(?m)^site_dir: .*$", f"site_dir: {out / 'site'}", text), encoding="utf-8")
    docs = target.site / str(read_config(target.config).get("docs_dir", "docs"))
    post = out / "docs" / target.post.relative_to(docs).with_suffix(".md")
    return Target(target.site, config, post, target.url, code=False)

"""Per-post structure of a built site, to compare what MkDocs, ProperDocs and Zensical made."""

from __future__ import annotations

import hashlib
import html as htmllib
import re
from pathlib import Path

_COUNTED = {
    "output panels": r'class="techpath-output',
    "figures": r'class="techpath-figure"',
    "math boxes": r'<details class="math" id="math-',
    "typeset math": r'class="katex"',
    "untypeset math": r'class="arithmatex"',
    "verified line": r'class="techpath-verified"',
    "rich HTML outputs": r'class="techpath-html"',
    "tables": r"<table",
    "error panels": r"techpath-error",
}

_FIGURE_SIZE = {
    "width": r'\bwidth="(\d+)"',
    "height": r'\bheight="(\d+)"',
    "readable": r"--techpath-readable-width: (\d+)px",
}


def post_structure(page: Path) -> dict[str, object]:
    html = page.read_text(encoding="utf-8")
    found: dict[str, object] = {name: len(re.findall(rx, html)) for name, rx in _COUNTED.items()}
    panels = re.findall(r'<div class="techpath-output.*?</div>', html, re.S)
    # Style sheets inside rich outputs and blank lines are layout, not what the code printed.
    text = re.sub(r"<style>.*?</style>", "", "".join(panels), flags=re.S)
    # (a tag counts as a space: the whitespace between block tags depends on who wrote them)
    text = re.sub(r"\s+", " ", htmllib.unescape(re.sub(r"<[^>]+>", " ", text)))
    found["output text"] = hashlib.sha256(text.encode()).hexdigest()[:16]  # what the code printed
    # Each figure's box before its image loads: its size attributes and readable width.
    found["figure sizes"] = [
        {name: (m[1] if (m := re.search(rx, img)) else None) for name, rx in _FIGURE_SIZE.items()}
        for img in re.findall(r'<figure class="techpath-figure".*?(<img [^>]*>)', html, re.S)
    ]
    found["box ids"] = re.findall(r'<details class="math" id="(math-[a-z0-9-]+)"', html)
    found["downloads"] = sorted(set(re.findall(r'href="[^"]*/([^/"]+\.(?:ipynb|py))"', html)))
    nav = re.search(r'class="techpath-path-nav".*?</nav>', html, re.S)
    found["previous/next"] = re.findall(r"techpath-path-nav__(prev|next)", nav[0]) if nav else []
    found["previous/next targets"] = re.findall(r'href="\.\./([^"/]+)/"', nav[0]) if nav else []
    # The post top: place on the path (linked to its stage), date and times, downloads, contents.
    for part in ("place", "meta", "downloads", "toc"):
        found[f"post top: {part}"] = len(re.findall(rf'class="[^"]*techpath-{part}\b', html))
    place = re.search(r'class="techpath-place"[^>]*><a href="[^"#]*(#[^"]*)"', html)
    found["place links to"] = place[1] if place else None
    found["contents entries"] = _contents(html)
    found["CSP"] = security(html)
    return found


def _contents(html: str) -> list[str]:
    toc = re.search(r'<details class="abstract techpath-toc".*?</details>', html, re.S)
    return re.findall(r'href="(#[^"]+)"', toc[0]) if toc else []


def security(html: str) -> dict[str, object]:
    """What every page must carry whoever built it: one CSP <meta>, first in <head>, with no
    'unsafe-inline' for scripts; and no marker of the staging code left over."""
    metas = re.findall(r'<meta http-equiv="Content-Security-Policy" content="([^"]*)">', html)
    script_src = re.search(r"script-src ([^;]*)", metas[0]) if metas else None
    return {
        "policies": len(metas),
        "first in head": bool(re.search(r'<head>\s*<meta http-equiv="Content-Security-Policy"', html)),
        "unsafe-inline scripts": bool(script_src and "'unsafe-inline'" in script_src[1]),
        "staging markers": len(re.findall(r"<!-- /?techpath:(?:keep|page|toc|lazy)", html)),
    }


def posts(site: Path, blog_dir: str = "blog") -> dict[str, Path]:
    """Post pages of a built site: slug -> index.html (blog views excluded)."""
    skip = {"archive", "category", "page", "tags"}
    return {
        p.parent.name: p for p in sorted((site / blog_dir).glob("*/index.html")) if p.parent.name not in skip
    }


def index_entries(site: Path, blog_dir: str = "blog") -> list[str]:
    html = (site / blog_dir / "index.html").read_text(encoding="utf-8")
    return sorted(set(re.findall(r'<h2[^>]*>\s*<a [^>]*href="([^"#]+)"', html)))


def rss_items(site: Path) -> list[str]:
    feed = site / "feed_rss_created.xml"
    if not feed.exists():
        return []
    return sorted(re.findall(r"<item>.*?<link>([^<]+)</link>", feed.read_text(encoding="utf-8"), re.S))

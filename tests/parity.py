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


def post_structure(page: Path) -> dict[str, object]:
    html = page.read_text(encoding="utf-8")
    found: dict[str, object] = {name: len(re.findall(rx, html)) for name, rx in _COUNTED.items()}
    panels = re.findall(r'<div class="techpath-output.*?</div>', html, re.S)
    # Style sheets inside rich outputs and blank lines are layout, not what the code printed.
    text = re.sub(r"<style>.*?</style>", "", "".join(panels), flags=re.S)
    text = re.sub(r"\s+", " ", htmllib.unescape(re.sub(r"<[^>]+>", "", text)))
    found["output text"] = hashlib.sha256(text.encode()).hexdigest()[:16]  # what the code printed
    found["box ids"] = re.findall(r'<details class="math" id="(math-[a-z0-9-]+)"', html)
    found["downloads"] = sorted(set(re.findall(r'href="[^"]*/([^/"]+\.(?:ipynb|py))"', html)))
    nav = re.search(r'class="techpath-path-nav".*?</nav>', html, re.S)
    found["previous/next"] = re.findall(r"techpath-path-nav__(prev|next)", nav[0]) if nav else []
    return found


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

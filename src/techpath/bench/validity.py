"""Did a tool really build what was asked? A built bench site is valid only if every post's page
shows the code, the accuracy the code prints (the exact line a reference run printed) and
exactly one figure that a browser could display. A misconfigured peer that skips execution
would otherwise just time fast."""

from __future__ import annotations

import html
import re
from pathlib import Path
from urllib.parse import unquote

ARTICLE = re.compile(r'<article class="md-content__inner[^"]*">(.*?)</article>', re.S)
IMG = re.compile(r"<img\b[^>]*?\bsrc=\"([^\"]+)\"", re.S)
# Matplotlib's inline SVG states its size in points; theme icons use a bare viewBox.
FIGURE_SVG = re.compile(r'<svg\b[^>]*\bwidth="[\d.]+pt"', re.S)
TAG = re.compile(r"<[^>]+>")
MIN_DATA_URI = 200  # characters: a real plot is kilobytes


def page_path(site_dir: Path, i: int) -> Path:
    """The built page of post i (directory URLs, MkDocs' default)."""
    return site_dir / f"post{i:03d}" / "index.html"


def check_site(
    site_dir: Path, expected: list[str | None], code_marker: str = "make_classification"
) -> list[str]:
    """Problems with the built site in `site_dir`; [] when every post is as expected.

    `expected[i]` is the line post i must print (None: a build with execution off, which must
    show the code and no figure).
    """
    problems = []
    for i, line in enumerate(expected):
        problems += [
            f"post {i}: {p}" for p in check_page(site_dir, page_path(site_dir, i), line, code_marker)
        ]
    return problems


def check_page(site_dir: Path, page: Path, line: str | None, code_marker: str) -> list[str]:
    """Problems with one built page (see check_site)."""
    if not page.is_file():
        return [f"{page.relative_to(site_dir).as_posix()} was not built"]
    text = page.read_text(encoding="utf-8", errors="replace")
    match = ARTICLE.search(text)
    article = match.group(1) if match else text
    visible = html.unescape(TAG.sub("", article))
    problems = []
    if code_marker not in visible:
        problems.append("the code is not shown")
    figures, broken = _figures(article, page, site_dir)
    problems += broken
    if line is None:
        if figures:
            problems.append(f"{figures} figures in a build with execution off")
        return problems
    if line not in visible:
        found = re.search(r"(?:test|cross-validated) accuracy: [\d.]+", visible)
        problems.append(f"expected {line!r}, found {found.group(0) if found else 'no accuracy'}")
    if figures != 1:
        problems.append(f"expected 1 figure, found {figures}")
    return problems


def _figures(article: str, page: Path, site_dir: Path) -> tuple[int, list[str]]:
    """How many displayable figures the page's content holds, and problems with broken ones."""
    count = len(FIGURE_SVG.findall(article))
    broken = []
    for src in IMG.findall(article):
        if src.startswith("data:image/"):
            if len(src) < MIN_DATA_URI:
                broken.append("an empty inline image")
                continue
            count += 1
            continue
        target = (page.parent / unquote(src.split("#")[0].split("?")[0])).resolve()
        if not target.is_relative_to(site_dir.resolve()) or not target.is_file():
            broken.append(f"image {src} is missing from the site")
        elif target.stat().st_size == 0:
            broken.append(f"image {src} is empty")
        else:
            count += 1
    return count, broken

"""The safety checks a site generator's front end calls, one function per moment of the build.
Plain functions of data and paths: the MkDocs plugin (or any other front end) supplies them."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from techpath.model import Post, Problem
from techpath.safety import csp
from techpath.safety.paths import confinement_problems, snippet_problems
from techpath.safety.policy import clean_html
from techpath.safety.prose import locate
from techpath.safety.svg import UnsafeSvg, kept_clean_svg
from techpath.safety.text import escape_meta

__all__ = [
    "PagePolicies",
    "blocking_problems",
    "enforce_prose_policy",
    "escape_meta",
    "snippet_config_problems",
    "write_figure",
]


def snippet_config_problems(mdx_configs: dict[str, Any], root: Path) -> list[str]:
    """Problems with the site's pymdownx.snippets settings (empty when it is not used)."""
    settings = mdx_configs.get("pymdownx.snippets")
    if settings is None:
        return []
    base = settings.get("base_path", ["."])
    bases = [base] if isinstance(base, str) else list(base)
    return snippet_problems([str(b) for b in bases], bool(settings.get("restrict_base_path", True)), root)


def blocking_problems(post: Post, root: Path) -> list[Problem]:
    """Problems that keep a post out of the site before any of it is executed or written
    (those lint already reported when the post was loaded are not repeated, but still block)."""
    return confinement_problems(post, root)


def enforce_prose_policy(page_html: str, post: Post | None, report: Callable[[str], None]) -> str:
    """The page's rendered prose with every policy violation removed, each one reported as an
    error (so a strict build fails) with the source line it came from."""
    cleaned, violations = clean_html(page_html)
    if not violations:
        return page_html
    shown = post.display_path if post is not None else "page"
    known = {p.message for p in post.problems} if post is not None else set()
    if post is not None and post.path.suffix == ".md":
        for finding in locate(violations, post.text):
            if finding.message not in known:  # lint, run when the post was loaded, said it already
                report(f"{shown}:{finding.line}: {finding.message}")
    else:
        for violation in violations:
            if violation.message not in known:
                report(f"{shown}: {violation.message} (techpath lint names the cell and line)")
    return cleaned


def write_figure(source: Path, target: Path, report: Callable[[str], None], memo: Path | None = None) -> None:
    """Copy a figure into the site; an SVG is rebuilt without anything active first (kept in
    `memo` between builds: safety/svg.py, `kept_clean_svg`)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    data = source.read_bytes()
    if source.suffix == ".svg":
        try:
            data = kept_clean_svg(data, memo)
        except UnsafeSvg as exc:
            report(f"{source.name}: figure left out of the site: {exc}")
            return
    target.write_bytes(data)


_CSP_META = re.compile(r'<meta http-equiv="Content-Security-Policy" content="[^"]*">')


class PagePolicies:
    """Adds the CSP to each page as it is written; at the end of the build every page gets the
    hashes of all pages' inline scripts, because instant navigation keeps the first page's
    policy while it swaps in the others."""

    def __init__(self, extra: dict[str, list[str]] | None = None) -> None:
        self.extra = extra or {}
        self.hashes: list[str] = []
        self._pages_hashes: set[tuple[str, ...]] = set()
        self.unified = False  # `finish` gave every page the union

    def add(self, page_html: str) -> str:
        hashes = csp.inline_script_hashes(page_html)
        self._pages_hashes.add(tuple(hashes))
        self.hashes += [h for h in hashes if h not in self.hashes]
        # a page written again after `finish` (techpath serve) gets the union the others have
        return csp.with_policy(
            page_html, csp.policy_text(self.hashes if self.unified else hashes, self.extra)
        )

    def finish(self, site_dir: Path) -> None:
        """Give every page the union of hashes when pages differ in their inline scripts."""
        if len(self._pages_hashes) <= 1:
            return
        self.unified = True
        tag = csp.meta_tag(csp.policy_text(self.hashes, self.extra))
        for page in site_dir.rglob("*.html"):
            text = page.read_text(encoding="utf-8")
            updated = _CSP_META.sub(lambda _: tag, text, count=1)
            if updated != text:
                page.write_text(updated, encoding="utf-8")

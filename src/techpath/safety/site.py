"""The safety checks a site generator's front end calls, one function per moment of the build.
Plain functions of data and paths: the MkDocs plugin (or any other front end) supplies them."""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from techpath.model import Post, Problem
from techpath.options import PluginOptions
from techpath.safety import csp
from techpath.safety.html_memo import cleaned_html, inline_script_hashes
from techpath.safety.paths import confinement_problems, snippet_problems
from techpath.safety.policy import STRICT, Profile, profile
from techpath.safety.prose import source_line
from techpath.safety.svg import UnsafeSvg, kept_clean_svg
from techpath.safety.text import escape_meta

__all__ = [
    "DOCS_IMAGE_HOSTS",
    "PagePolicies",
    "blocking_problems",
    "enforce_prose_policy",
    "escape_meta",
    "image_sources",
    "page_rules",
    "snippet_bases",
    "snippet_config_problems",
    "write_figure",
]


# Badges are the remote images of documentation (README.md included into the home page):
# shields.io draws each from its URL, so what the reviewer saw is what readers get.
DOCS_IMAGE_HOSTS = ("img.shields.io",)


def image_sources(options: PluginOptions, extensions: Iterable[Any] = ()) -> list[str]:
    """CSP img-src sources of the hosts pages may show images from: the site's `image_hosts`, or
    its HTML policy's default, each host as an https source; and under the docs policy, the
    images the site's Markdown `extensions` write themselves (`extension_image_sources`). A strict
    site loads images only from hosts it lists (ours: none, every page works offline), so an emoji
    drawn from a CDN is refused there at its file:line like any remote image."""
    hosts = options.image_hosts
    docs = options.html_policy == "docs"
    if hosts is None:
        hosts = list(DOCS_IMAGE_HOSTS) if docs else []
    listed = [h if "://" in h or h.endswith(":") else f"https://{h}" for h in map(str, hosts)]
    drawn = extension_image_sources(extensions) if docs else []
    return listed + [s for s in drawn if s not in listed]


def extension_image_sources(extensions: Iterable[Any]) -> list[str]:
    """Where the Markdown extensions a site lists (as mkdocs.yml lists them) load images from:
    pymdownx.emoji draws `:smile:` as an image of an emoji set on a CDN. Each is a path prefix
    pinned to one release of one set (a CSP source with a path), not the CDN's whole host, which
    serves any repository's files an author could change after the review."""
    settings = None
    for entry in extensions:
        if entry == "pymdownx.emoji":
            settings = {}
        elif isinstance(entry, dict) and "pymdownx.emoji" in entry:
            settings = dict(entry["pymdownx.emoji"] or {})
    if settings is None:
        return []
    chosen = dict(settings.get("options") or {})
    paths = [str(chosen[k]) for k in ("image_path", "non_standard_image_path") if chosen.get(k)]
    if not paths:
        from pymdownx import emoji

        paths = [str(value) for name, value in vars(emoji).items() if name.endswith("_CDN")]
    return [p for p in paths if p.startswith("https://")]


def page_rules(options: PluginOptions, extensions: Iterable[Any] = ()) -> Profile:
    """The site's HTML policy (safety/policy.py): its profile, with images allowed from exactly the
    remote sources the page's CSP img-src lists (`image_sources` and `csp_sources`' img-src)."""
    listed = (options.csp_sources or {}).get("img-src") or []
    return profile(options.html_policy, tuple(image_sources(options, extensions) + [str(s) for s in listed]))


def snippet_bases(mdx_configs: dict[str, Any]) -> list[str]:
    """The folders (or files) pymdownx.snippets includes from (none when it is not used)."""
    settings = mdx_configs.get("pymdownx.snippets")
    if settings is None:
        return []
    base = (settings or {}).get("base_path", ["."])
    bases = []
    for entry in [base] if isinstance(base, str) else list(base or []):
        try:  # MkDocs' bare `!relative` is the folder of the page being rendered: none here
            bases.append(os.fspath(entry))
        except Exception:
            continue
    return bases


def snippet_config_problems(mdx_configs: dict[str, Any], root: Path) -> list[str]:
    """Problems with the site's pymdownx.snippets settings (empty when it is not used)."""
    settings = mdx_configs.get("pymdownx.snippets")
    if settings is None:
        return []
    restrict = bool((settings or {}).get("restrict_base_path", True))
    return snippet_problems(snippet_bases(mdx_configs), restrict, root)


def blocking_problems(post: Post, root: Path) -> list[Problem]:
    """Problems that keep a post out of the site before any of it is executed or written
    (those lint already reported when the post was loaded are not repeated, but still block)."""
    return confinement_problems(post, root)


def enforce_prose_policy(
    page_html: str,
    post: Post | None,
    report: Callable[[str], None],
    rules: Profile | None = None,
    moved: dict[str, str] | None = None,
) -> str:
    """The page's rendered prose with every violation of `rules` (default: strict) removed. What
    lint found on the page's source when it was loaded (`post.problems`, already reported with
    lint's file:line) is not reported again; anything else is HTML a plugin or Markdown extension
    wrote for the page, which lint does not run: reported as an error (a strict build fails) at
    the source line that holds its evidence, if one does. `moved`: site path -> link as written,
    for images the page shows from outside the docs folder (stage/outside_images.py): a message
    about such an image names it as lint did."""
    cleaned, violations = cleaned_html(page_html, rules or STRICT)  # remembered: safety/html_memo.py
    if not violations:
        return page_html
    shown = post.display_path if post is not None else "page"
    known = Counter(p.message for p in post.problems) if post is not None else Counter()
    unexplained = []
    for violation in violations:
        message = violation.message
        for uri, written in (moved or {}).items():  # the link as the page wrote it
            message = re.sub(r"\S*" + re.escape(uri), lambda _m, w=written: w, message)
        if known[message] > 0:
            known[message] -= 1
        else:
            unexplained.append(violation)
    note = "in HTML that a plugin or Markdown extension wrote for this page"
    for violation in unexplained:
        line = source_line(violation, post.text) if post is not None and post.path.suffix == ".md" else None
        report(f"{shown}{f':{line}' if line else ''}: {violation.message} ({note})")
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
        hashes = inline_script_hashes(page_html)  # remembered: safety/html_memo.py
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

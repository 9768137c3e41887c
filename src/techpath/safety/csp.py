"""The Content-Security-Policy every page carries: the second wall behind the HTML policy.

Scripts run only from the site's own files and as the inline scripts the theme itself writes,
each allowed by its SHA-256 hash computed from the finished page (no 'unsafe-inline' for
scripts). No connections, images, fonts, frames or form targets outside the site.
"""

from __future__ import annotations

import base64
import hashlib
import html
from html.parser import HTMLParser

DEFAULT_POLICY: dict[str, list[str]] = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    # Material and the outputs use style attributes; styles cannot run code or, with img-src
    # and font-src below, fetch from other hosts.
    "style-src": ["'self'", "'unsafe-inline'"],
    "img-src": ["'self'", "data:"],
    "font-src": ["'self'"],
    "connect-src": ["'self'"],
    "worker-src": ["'self'"],
    "manifest-src": ["'self'"],
    "media-src": ["'self'"],
    "object-src": ["'none'"],
    "frame-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'none'"],
}
_NOT_SCRIPT_TYPES = {"application/json", "application/ld+json", "text/template", "text/x-template"}


class _InlineScripts(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.scripts: list[str] = []
        self._current: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script":
            values = dict(attrs)
            runs = (values.get("type") or "text/javascript").lower() not in _NOT_SCRIPT_TYPES
            self._current = [] if "src" not in values and runs else None

    def handle_data(self, data: str) -> None:
        if self._current is not None:
            self._current.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._current is not None:
            self.scripts.append("".join(self._current))
            self._current = None


def inline_script_hashes(page_html: str) -> list[str]:
    """`'sha256-...'` for every inline script of the page that a browser would run."""
    finder = _InlineScripts()
    finder.feed(page_html)
    finder.close()
    hashes = []
    for script in finder.scripts:
        digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")
        if f"'sha256-{digest}'" not in hashes:
            hashes.append(f"'sha256-{digest}'")
    return hashes


def policy_text(hashes: list[str], extra: dict[str, list[str]] | None = None) -> str:
    """The policy as one header value; `extra` adds sources per directive (site settings)."""
    policy = {name: list(sources) for name, sources in DEFAULT_POLICY.items()}
    for name, sources in (extra or {}).items():
        policy.setdefault(name, []).extend(s for s in sources if s not in policy.get(name, []))
    policy["script-src"] += [h for h in hashes if h not in policy["script-src"]]
    return "; ".join(f"{name} {' '.join(sources)}" for name, sources in policy.items())


def meta_tag(policy: str) -> str:
    if '"' in policy:
        raise ValueError("a CSP source may not contain a double quote")
    return f'<meta http-equiv="Content-Security-Policy" content="{html.escape(policy, quote=False)}">'


def with_policy(page_html: str, policy: str) -> str:
    """`page_html` with the policy as the first element of <head> (before any script runs)."""
    tag = meta_tag(policy)
    start = page_html.find("<head>")
    if start < 0:
        return page_html
    start += len("<head>")
    return page_html[:start] + tag + page_html[start:]

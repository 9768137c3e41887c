"""Generated HTML made fit for a Markdown page that any generator renders.

Raw HTML passes through Python-Markdown untouched, so a link or image written in it would keep
the path it was given; but only the generator knows the URL a page ends up at (the blog plugin
moves posts). So links and images in our fragments become Markdown links to docs-relative
files, inside `markdown="1"` containers, and each generator resolves them to its own URLs.
Text in the fragments is made inert (`texmath.inert`) so Markdown does not re-read it.
"""

from __future__ import annotations

import html
import re

from techpath.parse.texmath import inert

_LINK = re.compile(r'<a (?P<pre>[^>]*?)href="(?P<href>[^"]*)"(?P<attrs>[^>]*)>(?P<inner>.*?)</a>', re.S)
_IMG = re.compile(r'<img src="(?P<src>[^"]*)" alt="(?P<alt>[^"]*)"(?P<attrs>[^>]*?)/?>')
_CONTAINER = re.compile(
    r"<(div|nav|ol|ul|li|table|thead|tbody|tr|td|th|h2|p|figure|details|summary)(?=[ >])([^>]*)>"
)
# Elements that hold text: their Markdown is read as one line (no <p> added inside).
_SPAN = {"nav", "li", "td", "th", "h2", "p", "figure", "summary"}
_ATTR = re.compile(r'([\w-]+)(?:="([^"]*)")?')


def _attr_list(attrs: str) -> str:
    """HTML attributes as an attr_list (`class` as `.name`, the others as key="value")."""
    parts = []
    for name, value in _ATTR.findall(attrs):
        if name == "class":
            parts += [f".{c}" for c in value.split()]
        elif name == "download":
            parts.append('download=""')
        else:
            parts.append(f'{name}="{value}"')
    return "{ " + " ".join(parts) + " }" if parts else ""


def _md_escape(text: str) -> str:
    return re.sub(r"([\\`*_\[\]])", r"\\\1", html.unescape(text))


_PRE = re.compile(r"(<pre\b.*?</pre>)", re.S)


def one_block(fragment: str) -> str:
    """`fragment` with no blank line in it: a blank line ends a raw HTML block that sits inside
    a math box, and the rest of a printed table would become Markdown. Newlines in `<pre>` are
    written as `&#10;` (the same text to a browser); empty lines elsewhere are dropped."""
    parts = _PRE.split(fragment)
    return "".join(
        part.replace("\n", "&#10;") if part.startswith("<pre") else re.sub(r"\n\s*\n", "\n", part)
        for part in parts
    )


def markdown_html(fragment: str, images_only: bool = False) -> str:
    """`fragment` (our own generated HTML) with its links and images as Markdown syntax.

    `images_only` (output panels): only figures change; text and any links a library's HTML
    holds stay raw, exactly as the code produced them."""
    if not images_only:
        fragment = inert(fragment)
    fragment = _IMG.sub(lambda m: f"![{_md_escape(m['alt'])}]({m['src']}){_attr_list(m['attrs'])}", fragment)
    if images_only:
        fragment = fragment.replace(
            '<figure class="techpath-figure">', '<figure class="techpath-figure" markdown="span">'
        )
        return fragment.replace("data-search-exclude>", 'data-search-exclude markdown="1">', 1)
    fragment = _LINK.sub(
        lambda m: f"[{m['inner']}]({m['href']}){_attr_list(m['pre'] + m['attrs'])}", fragment
    )
    return _CONTAINER.sub(lambda m: f'<{m[1]}{m[2]} markdown="{"span" if m[1] in _SPAN else "1"}">', fragment)

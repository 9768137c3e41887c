"""Links from names in highlighted code to the API pages of scikit-learn, NumPy, pandas and
matplotlib, for the versions the page was executed with.

The engine tells which library object each dotted name is (execute/names.py); here that public
path becomes the URL each project documents it at. The URL schemes (checked against each
project's documentation layout; tests/test_api_links.py holds them to it):

- scikit-learn: https://scikit-learn.org/<major.minor>/modules/generated/<path>.html
  (a method is an anchor on its class's page: ...<Class>.html#<path>)
- NumPy: https://numpy.org/doc/<major.minor>/reference/generated/<path>.html
- pandas: https://pandas.pydata.org/pandas-docs/version/<version>/reference/api/<path>.html
- matplotlib: https://matplotlib.org/<version>/api/_as_gen/<path>.html for pyplot functions and
  Axes methods; Figure and its methods are anchors on .../api/figure_api.html
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping

_DISTRIBUTIONS = {"sklearn": "scikit-learn", "numpy": "numpy", "pandas": "pandas", "matplotlib": "matplotlib"}
_RELEASE = re.compile(r"^(\d+)\.(\d+)(?:\.(\d+))?$")


def _minor(version: str) -> str | None:
    match = _RELEASE.match(version)
    return f"{match[1]}.{match[2]}" if match else None


def api_url(path: str, kind: str, versions: Mapping[str, str]) -> str | None:
    """The documentation URL of a public dotted path, or None (unknown library or layout, or a
    pre-release version whose versioned documentation does not exist)."""
    library = path.split(".")[0]
    version = versions.get(_DISTRIBUTIONS.get(library, ""), "")
    if not _RELEASE.match(version):
        return None
    if library == "sklearn":
        if kind == "method":
            page = path.rsplit(".", 1)[0]
            return f"https://scikit-learn.org/{_minor(version)}/modules/generated/{page}.html#{path}"
        return f"https://scikit-learn.org/{_minor(version)}/modules/generated/{path}.html"
    if library == "numpy":
        return f"https://numpy.org/doc/{_minor(version)}/reference/generated/{path}.html"
    if library == "pandas":
        return f"https://pandas.pydata.org/pandas-docs/version/{version}/reference/api/{path}.html"
    if library == "matplotlib":
        if path.startswith("matplotlib.pyplot.") and path.count(".") == 2 and kind == "function":
            return f"https://matplotlib.org/{version}/api/_as_gen/{path}.html"
        if path.startswith("matplotlib.axes.Axes.") and kind == "method":
            return f"https://matplotlib.org/{version}/api/_as_gen/{path}.html"
        if path == "matplotlib.figure.Figure" or (
            path.startswith("matplotlib.figure.Figure.") and kind == "method"
        ):
            return f"https://matplotlib.org/{version}/api/figure_api.html#{path}"
    return None


# A dotted name as Pygments marks it up: name spans joined by "." operator spans.
_NAME = r'<span class="n[a-z]?">(?P<{g}>[A-Za-z_][A-Za-z0-9_]*)</span>'
_CHAIN = re.compile(
    _NAME.format(g="head")
    + r'(?P<rest>(?:<span class="o">\.</span><span class="n[a-z]?">[A-Za-z_][A-Za-z0-9_]*</span>)*)'
)
_PART = re.compile(r'<span class="n[a-z]?">([A-Za-z_][A-Za-z0-9_]*)</span>')
# Highlighted blocks (pymdownx.highlight). Any language: only names the page's executed code
# resolved are linked, and other lexers rarely mark up `name.name` chains the same way.
_PYTHON_BLOCK = re.compile(r'(<div class="(?:language-[\w-]+ )?highlight">)(.*?)(</code></pre></div>)', re.S)


def link_names(page_html: str, urls: Mapping[str, str]) -> str:
    """Wrap each dotted name of the page's Python blocks that has a URL in a link to it. The
    longest known prefix of a chain is linked (`np.random.default_rng` as a whole)."""
    if not urls:
        return page_html

    def link_chain(match: re.Match[str]) -> str:
        spans = [match["head"], *_PART.findall(match["rest"])]
        for end in range(len(spans), 0, -1):
            url = urls.get(".".join(spans[:end]))
            if url is None:
                continue
            text = match.group(0)
            cut = _nth_span_end(text, end)
            return (
                f'<a class="techpath-api" href="{html.escape(url)}" title="API reference">'
                f"{text[:cut]}</a>{text[cut:]}"
            )
        return match.group(0)

    def link_block(block: re.Match[str]) -> str:
        return block[1] + _CHAIN.sub(link_chain, block[2]) + block[3]

    return _PYTHON_BLOCK.sub(link_block, page_html)


def _nth_span_end(text: str, count: int) -> int:
    """Index just after the `count`-th name span (and the dots between them) in a chain."""
    position = 0
    for _ in range(count):
        match = _PART.search(text, position)
        assert match is not None
        position = match.end()
    return position


def page_urls(
    blocks: Iterable[Mapping[str, Mapping[str, str]]], versions: Mapping[str, str]
) -> dict[str, str]:
    """Dotted name in the code -> URL, for one page (links are made per page). A name that means
    different objects in different blocks (`model` refitted as another estimator) gets no link."""
    urls: dict[str, str | None] = {}
    for names in blocks:
        for dotted, info in names.items():
            url = api_url(str(info.get("path", "")), str(info.get("kind", "")), versions)
            if url is None:
                continue
            urls[dotted] = url if urls.get(dotted, url) == url else None
    return {dotted: url for dotted, url in urls.items() if url is not None}

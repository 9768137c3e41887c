"""What the package adds to every site it builds, in one place for the MkDocs plugin and for the
staged configuration of the other generators (generators/build.py): the KaTeX stylesheet and fonts,
techpath's own stylesheet and reader script, and the Markdown extensions the staged pages rely on."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from techpath.safety.prose import missing_extensions as missing_extensions  # its home: the check's extensions
from techpath.site.math import katex_asset_paths
from techpath.site.theme import READER_JS

KATEX_CSS = "assets/katex/katex.min.css"
TECHPATH_CSS = "assets/techpath/techpath.css"
_PACKAGE_CSS = Path(__file__).with_name("techpath.css")
FRAME_JS = "assets/techpath/frame.js"  # a framed page becomes a link to itself (frame.js)
_PACKAGE_FRAME_JS = Path(__file__).with_name("frame.js")
_PACKAGE_JS = Path(__file__).with_name("reader.js")  # site/theme.py loads it before the theme's bundle


def stylesheets(extra_css: Iterable[Any], math: bool) -> list[Any]:
    """`extra_css` with the package's stylesheets first (KaTeX's when math is typeset), so the
    site's own stylesheets come after them and override them."""
    ours = [KATEX_CSS, TECHPATH_CSS] if math else [TECHPATH_CSS]
    return [*ours, *[entry for entry in extra_css if str(entry) not in ours]]


def scripts(extra_javascript: Iterable[Any], frame_guard: bool) -> list[Any]:
    """`extra_javascript` with the package's frame guard first when the site has a CSP (the
    guard is the part of it a <meta> cannot carry: frame-ancestors)."""
    rest = [entry for entry in extra_javascript if str(entry) != FRAME_JS]
    return [FRAME_JS, *rest] if frame_guard else rest


def csp_sources(
    extra: Mapping[str, list[str]] | None, theme_name: Any, theme_font: Any, images: Iterable[str] = ()
) -> dict[str, list[str]]:
    """Extra CSP sources: the site's `csp_sources`, the hosts its pages may show images from
    (`images`: safety/site.py, `image_sources`), plus Google Fonts where Material loads them
    (its default, unless the theme says `font: false`), so the theme the site chose still works."""
    merged = {str(k): [str(v) for v in values] for k, values in (extra or {}).items()}
    for source in images:
        if source not in merged.setdefault("img-src", []):
            merged["img-src"].append(source)
    if theme_name == "material" and theme_font is not False:
        for directive, source in (
            ("style-src", "https://fonts.googleapis.com"),
            ("font-src", "https://fonts.gstatic.com"),
        ):
            if source not in merged.setdefault(directive, []):
                merged[directive].append(source)
    return merged


def package_assets(katex_dir: Path | None) -> dict[str, Path]:
    """Files the pages load at reading time: site path -> source in the package."""
    found = {TECHPATH_CSS: _PACKAGE_CSS, FRAME_JS: _PACKAGE_FRAME_JS, READER_JS: _PACKAGE_JS}
    if katex_dir is not None:
        found.update(katex_asset_paths(katex_dir))
    return found

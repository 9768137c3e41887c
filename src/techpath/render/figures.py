"""How small a figure may be shown before its text becomes unreadable.

matplotlib writes SVG text either as glyph outlines scaled by `scale(s -s)` (s = font size / 100,
in the SVG's user units) or as `<text>` with a font size. From the smallest text and the SVG's
viewBox we know the display width at which that text is `min_px` CSS pixels tall: the figure is
never shown narrower than that (on a phone it scrolls inside its box instead).
"""

from __future__ import annotations

import math
import re

# Text in a figure is never shown smaller than this (CSS px): the size of the smallest text we
# hold readable on a phone anywhere on the site (math scripts, tables). A figure whose own text is
# smaller at a phone's width scrolls inside its box instead (and opens full size on a tap).
MIN_TEXT_PX = 11.0
_VIEWBOX = re.compile(rb'<svg\b[^>]*\bviewBox="\s*[-\d.]+\s+[-\d.]+\s+(?P<w>[\d.]+)\s+[\d.]+\s*"')
_GLYPH_SCALE = re.compile(rb"scale\((?P<s>\d*\.?\d+) -(?P=s)\)")
_FONT_SIZE = re.compile(rb"font(?:-size)?:\s*(?:[a-z]+\s+)*(?P<px>\d*\.?\d+)px")


def smallest_text(svg: bytes) -> float | None:
    """Smallest font size in the SVG's user units, or None when it has no text."""
    sizes = [float(m["s"]) * 100 for m in _GLYPH_SCALE.finditer(svg)]
    sizes += [float(m["px"]) for m in _FONT_SIZE.finditer(svg)]
    sizes = [s for s in sizes if s > 0]
    return min(sizes) if sizes else None


def text_px(svg: bytes, shown_width: float) -> float | None:
    """The smallest text's size in CSS pixels when the figure is shown `shown_width` px wide."""
    viewbox = _VIEWBOX.search(svg)
    smallest = smallest_text(svg)
    if viewbox is None or smallest is None:
        return None
    return smallest * shown_width / float(viewbox["w"])


def readable_width(svg: bytes, natural_width: int, min_px: float = MIN_TEXT_PX) -> int:
    """The narrowest display width (CSS px) that keeps every text at least `min_px` (wider than
    the natural width when the figure's own text is smaller than that)."""
    at_natural = text_px(svg, natural_width)
    if at_natural is None or at_natural <= 0:
        return natural_width
    return math.ceil(natural_width * min_px / at_natural)

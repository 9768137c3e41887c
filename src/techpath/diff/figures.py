"""Measure how much a figure changed: rasterise both versions, compare pixels, draw the difference.

PNG figures are decoded with Pillow. SVG figures are rasterised by a headless Chromium through
Playwright (the browser the site's tests use; `TECHPATH_CHROMIUM` names it, else `chromium`,
`chromium-browser` or `google-chrome` on the PATH), started once and only when an SVG changed.
Without a browser an SVG change is still reported, as not measured.
"""

from __future__ import annotations

import atexit
import base64
import io
import shutil
from typing import Any

import numpy as np
from PIL import Image

from techpath import environment

PIXEL_THRESHOLD = 16  # a channel difference (0-255) below this is antialiasing noise


class _Browser:
    def __init__(self) -> None:
        self._playwright: Any = None
        self._browser: Any = None
        self.failed = ""

    def page(self) -> Any:
        if self._browser is None and not self.failed:
            executable = environment.chromium() or next(
                (p for n in ("chromium", "chromium-browser", "google-chrome") if (p := shutil.which(n))), None
            )
            try:
                from playwright.sync_api import sync_playwright

                self._playwright = sync_playwright().start()
                self._browser = self._playwright.chromium.launch(
                    executable_path=executable, args=["--no-sandbox", "--disable-gpu"]
                )
                atexit.register(self.close)
            except Exception as exc:  # no Playwright, no browser: SVGs are compared by bytes
                self.failed = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
                return None
        return self._browser.new_page(device_scale_factor=1) if self._browser is not None else None

    def close(self) -> None:
        if self._browser is not None:
            self._browser.close()
            self._browser = None
        if self._playwright is not None:
            self._playwright.stop()
            self._playwright = None


_BROWSER = _Browser()


def close_browser() -> None:
    _BROWSER.close()
    _BROWSER.failed = ""


def rasterise(figure: dict[str, Any]) -> Image.Image | None:
    raw = base64.b64decode(figure.get("data", ""))
    if not raw:
        return None
    if figure.get("format") != "svg":
        return Image.open(io.BytesIO(raw)).convert("RGB")
    page = _BROWSER.page()
    if page is None:
        return None
    try:
        uri = "data:image/svg+xml;base64," + base64.b64encode(raw).decode("ascii")
        page.set_content(f'<body style="margin:0;background:#fff"><img id="f" src="{uri}"></body>')
        page.wait_for_function("document.getElementById('f').complete")
        png = page.locator("#f").screenshot()
    finally:
        page.close()
    return Image.open(io.BytesIO(png)).convert("RGB")


def _png(image: Image.Image) -> str:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def difference(old: Image.Image, new: Image.Image) -> tuple[float, float, Image.Image]:
    """(fraction of pixels changed, mean channel difference 0-1, the difference picture: the
    new figure faded to grey with changed pixels in red)."""
    width, height = max(old.width, new.width), max(old.height, new.height)
    canvas = []
    for image in (old, new):
        padded = Image.new("RGB", (width, height), "white")
        padded.paste(image, (0, 0))
        canvas.append(np.asarray(padded, dtype=np.int16))
    a, b = canvas
    delta = np.abs(a - b).max(axis=2)
    mask = delta > PIXEL_THRESHOLD
    grey = (0.7 * 255 + 0.3 * b.mean(axis=2)).astype(np.uint8)
    picture = np.stack([grey, grey, grey], axis=2)
    picture[mask] = (220, 20, 60)
    return float(mask.mean()), float(delta.mean() / 255), Image.fromarray(picture)


def measure(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    a, b = rasterise(old), rasterise(new)
    if a is None or b is None:
        why = _BROWSER.failed or "a figure is empty"
        return {"summary": f"bytes differ, not measured ({why})", "measured": False}
    changed, mean, picture = difference(a, b)
    return {
        "measured": True,
        "changed_pixels": changed,
        "mean_difference": mean,
        "summary": f"{changed:.1%} of pixels differ (mean difference {mean:.3f})",
        "old_png": _png(a),
        "new_png": _png(b),
        "diff_png": _png(picture),
    }

"""Which part of a MIME bundle a page shows, the way Jupyter picks one, on a site that runs no
JavaScript from other hosts.

Jupyter renders the richest type it has a renderer for. Here: HTML (cleaned), Markdown, images
(SVG, PNG, JPEG, saved as figure files), LaTeX, JSON and text. A bundle whose rich part needs
JavaScript (plotly, Vega/Altair, Bokeh, widgets: `application/vnd.*`, `application/javascript`)
shows its static image when it carries one; otherwise its text form is shown and a note says why,
which the build reports as a warning at the block's file and line: nothing is dropped silently.
"""

from __future__ import annotations

from dataclasses import dataclass, field

IMAGES = ("image/svg+xml", "image/png", "image/jpeg")
SHOWN = ("text/html", "text/markdown", *IMAGES, "text/latex", "application/json", "text/plain")
_REPR_NAMES = ("<IPython.core.display.", "<Figure size")


@dataclass
class Shown:
    """What to show: an image type to save as a figure, or the bundle's entries to keep."""

    image: str | None = None
    kept: list[str] = field(default_factory=list)
    problem: str = ""  # why part of the bundle is not shown ('' when nothing is left out)
    alt: str = ""


def needs_script(mime: str) -> bool:
    return mime.startswith("application/vnd.") or mime == "application/javascript"


def choose(bundle: dict[str, str]) -> Shown:
    plain = ["text/plain"] if bundle.get("text/plain") else []
    image = next((m for m in IMAGES if m in bundle), None)
    alt = _alt(bundle.get("text/plain", ""))
    scripted = [m for m in bundle if needs_script(m)]
    html = bundle.get("text/html")
    if scripted:
        if image is not None:
            return Shown(image=image, alt=alt)
        if html is not None and "<script" not in html.lower():
            return Shown(kept=["text/html", *plain])
        return Shown(kept=plain, problem=_needs_javascript(scripted[0]))
    if html is not None:
        return Shown(kept=["text/html", *plain])
    if "text/markdown" in bundle:
        return Shown(kept=["text/markdown", *plain])
    if image is not None:
        return Shown(image=image, alt=alt)
    for mime in ("text/latex", "application/json"):
        if mime in bundle:
            return Shown(kept=[mime, *plain])
    others = sorted(m for m in bundle if m not in SHOWN)
    if others:
        problem = (
            f"{others[0]} output not shown: techpath shows HTML, Markdown, images (SVG, PNG, "
            "JPEG), LaTeX, JSON and text; the text form is shown instead"
        )
        return Shown(kept=plain, problem=problem)
    return Shown(kept=plain)


WIDGET = "application/vnd.jupyter.widget-view+json"


def _needs_javascript(mime: str) -> str:
    if mime == WIDGET:  # no static image can stand for it: it talks to a running kernel
        return (
            f"{mime} output not shown: a Jupyter widget (ipywidgets) needs a running kernel, which "
            "a built page has not; its text form is shown instead, after what the code displayed "
            "for its starting values. To show a result, call the function with fixed values"
        )
    return (
        f"{mime} output not shown: Jupyter draws it with JavaScript, which this site does not load "
        "from other hosts. Give it a static image (plotly: fig.show('png') or "
        "plotly.io.renderers.default = 'png', with kaleido installed; Altair: "
        "alt.renderers.enable('png'), with vl-convert); its text form is shown instead"
    )


def _alt(plain: str) -> str:
    if not plain or plain.startswith(_REPR_NAMES):
        return "Image displayed by the code above"
    return plain[:300]

"""HTML for a block's outputs. Text is escaped; rich HTML is sanitized; figures are <img>s."""

from __future__ import annotations

import html
from collections.abc import Callable

import nh3

from techpath.model import BlockError, BlockResult, Output

_TAGS = set(nh3.ALLOWED_TAGS) | {"style", "input", "label"}
_ATTRIBUTES = {
    "*": {"class", "id", "style", "title", "role", "aria-label", "aria-hidden", "tabindex"},
    "a": {"href", "title"},
    "img": {"src", "alt", "width", "height"},
    "input": {"type", "checked", "disabled", "id", "class"},
    "label": {"for"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
}


def sanitize(fragment: str) -> str:
    """Keep tables, styles and the estimator-diagram toggles; drop scripts and event handlers."""
    return nh3.clean(
        fragment,
        tags=_TAGS,
        clean_content_tags={"script"},
        attributes=_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
        strip_comments=True,
    )


def render_block(
    block: BlockResult,
    figure_url: Callable[[str], str],
    show_output: bool = True,
    figure_width: Callable[[str], int | None] | None = None,
) -> str:
    """The output panel under a block ('' when there is nothing to show). Errors always show.

    `figure_width(file)`: the narrowest width a figure may be shown at (see render/figures.py).
    """
    parts = [render_output(o, figure_url, figure_width) for o in block.outputs] if show_output else []
    parts = [p for p in parts if p]
    if block.error is not None:
        parts.append(render_error(block.error))
    if not parts:
        return ""
    classes = "techpath-output techpath-error" if block.error is not None else "techpath-output"
    # Outputs stay out of the search index: it is sent to every page, and numbers and tables
    # would bloat it without helping anyone find a post.
    return f'<div class="{classes}" data-search-exclude>' + "".join(parts) + "</div>"


def render_output(
    output: Output,
    figure_url: Callable[[str], str],
    figure_width: Callable[[str], int | None] | None = None,
) -> str:
    if output.kind == "stream":
        css = "techpath-stderr" if output.name == "stderr" else "techpath-stdout"
        return _pre(output.text, css)
    if output.kind in ("result", "display"):
        if "text/html" in output.data:
            return f'<div class="techpath-html">{sanitize(output.data["text/html"])}</div>'
        return _pre(output.data.get("text/plain", ""), "techpath-result")
    if output.kind == "figure":
        return _figure(output, figure_url, figure_width)
    if output.kind == "error":  # an expected exception: shown, not a failure
        return _pre(output.text, "techpath-traceback")
    if output.kind == "note":
        return f'<p class="techpath-note">{html.escape(output.text)}</p>'
    return ""


def _figure(
    output: Output, figure_url: Callable[[str], str], figure_width: Callable[[str], int | None] | None
) -> str:
    """The figure, linked to its own file: a tap opens it full size (techpath.js shows it in a
    dialog when scripts run; without them the browser opens the file)."""
    d = output.data
    url = html.escape(figure_url(d["file"]))
    width, height = str(d.get("width", "")), str(d.get("height", ""))  # the engine stores strings
    shown = figure_width(d["file"]) if figure_width is not None else None
    if shown and width.isdigit() and height.isdigit() and int(width):
        width, height = str(shown), str(round(int(height) * shown / int(width)))
    return (
        f'<figure class="techpath-figure"><a class="techpath-zoom" href="{url}" '
        f'title="Open the figure full size"><img src="{url}" alt="{html.escape(d.get("alt", "Figure"))}" '
        f'width="{width}" height="{height}" loading="lazy" decoding="async"></a></figure>'
    )


def render_error(error: BlockError) -> str:
    text = error.headline() + ("\n\n" + error.traceback.rstrip() if error.traceback.strip() else "")
    return _pre(text, "techpath-traceback")


def _pre(text: str, css: str) -> str:
    if not text:
        return ""
    return f'<pre class="{css}"><code>{html.escape(text.rstrip(chr(10)))}</code></pre>'

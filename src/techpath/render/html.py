"""HTML for a block's outputs. Text is escaped; rich HTML is sanitized; figures are <img>s."""

from __future__ import annotations

import hashlib
import html
import json
import re
from collections.abc import Callable

from techpath.execute.shown_paths import shown_in_build
from techpath.model import BlockError, BlockResult, Output
from techpath.render.tracebacks import exception_html
from techpath.safety.figures import figure_problem
from techpath.safety.outputs import scoped_output
from techpath.safety.text import visible_bidi

# pandas' corner cell above the index: an empty header names no column (WCAG), a plain cell is right
_EMPTY_HEADER = re.compile(r"<th(\s[^>]*)?>\s*</th>")


def sanitize(fragment: str, prefix: str = "o-") -> str:
    """Rich HTML kept inside its box (see techpath.safety.outputs); ids get `prefix`."""
    return scoped_output(fragment, prefix)


def render_block(
    block: BlockResult,
    figure_url: Callable[[str], str],
    show_output: bool = True,
    figure_width: Callable[[str], int | None] | None = None,
    scope: str = "",
) -> str:
    """The output panel under a block ('' when there is nothing to show). Errors always show.

    `figure_width(file)`: the narrowest width a figure may be shown at (see render/figures.py).
    `scope` names the page (its path); it makes the ids of rich outputs unique on any page
    that shows this block, the post itself or a blog index holding several posts' excerpts."""
    parts = []
    if show_output:
        for number, output in enumerate(block.outputs):
            digest = hashlib.sha256(f"{scope}:{block.index}:{number}".encode()).hexdigest()[:8]
            parts.append(render_output(output, figure_url, figure_width, f"o{digest}-"))
    parts = [p for p in parts if p]
    if block.error is not None:
        parts.append(render_error(block.error))
    if not parts:
        return ""
    classes = "techpath-output"
    if block.error is not None:  # the block failed: the build reports it too
        classes += " techpath-error"
    elif any(o.kind == "error" for o in block.outputs):  # it raised on purpose: read as an error
        classes += " techpath-raised"
    # Outputs stay out of the search index: it is sent to every page, and numbers and tables
    # would bloat it without helping anyone find a post.
    return f'<div class="{classes}" data-search-exclude>' + "".join(parts) + "</div>"


def render_output(
    output: Output,
    figure_url: Callable[[str], str],
    figure_width: Callable[[str], int | None] | None = None,
    prefix: str = "o-",
) -> str:
    if output.kind == "stream":
        css = "techpath-stderr" if output.name == "stderr" else "techpath-stdout"
        return _pre(shown_in_build(output.text), css)
    if output.kind in ("result", "display"):
        html_source = output.data.get("text/html")
        if html_source is None and "text/markdown" in output.data:
            html_source = markdown_output(output.data["text/markdown"])
        if html_source is not None:
            clean = sanitize(shown_in_build(html_source), prefix)
            inner = _EMPTY_HEADER.sub(r"<td\1></td>", clean)
            # contain: paint clips whatever the output draws to its own box (fixed positions too)
            box = f'class="techpath-html" id="{prefix}box" style="contain: paint; overflow: auto"'
            return f"<div {box}>{inner}</div>"
        if "text/latex" in output.data:
            return _pre(shown_in_build(output.data["text/latex"]), "techpath-result techpath-latex")
        if "application/json" in output.data:
            return _pre(shown_in_build(pretty_json(output.data["application/json"])), "techpath-result")
        return _pre(shown_in_build(output.data.get("text/plain", "")), "techpath-result")
    if output.kind == "figure":
        problem = figure_problem(output)
        if problem is not None:  # the cache and the engine drop these; never trusted here either
            return f'<p class="techpath-note">{html.escape(problem)}</p>'
        return _figure(output, figure_url, figure_width)
    if output.kind == "error":  # an expected exception: shown, not a failure
        return exception_html(shown_in_build(output.text))
    if output.kind == "note":
        return f'<p class="techpath-note">{html.escape(output.text)}</p>'
    return ""


def _figure(
    output: Output, figure_url: Callable[[str], str], figure_width: Callable[[str], int | None] | None
) -> str:
    """The figure, linked to its own file: a tap opens it full size (techpath.js shows it in a
    dialog when scripts run; without them the browser opens the file).

    `width` and `height` are its natural size, so the browser reserves its box (natural size,
    capped at the column, aspect ratio kept) before the image loads; `--techpath-readable-width`
    is the narrowest width that keeps its text readable (render/figures.py), the width a phone
    shows it at (techpath.css)."""
    d = output.data
    url = html.escape(figure_url(d["file"]))
    width, height = str(d.get("width", "")), str(d.get("height", ""))  # the engine stores strings
    size = ""  # unknown (0 when the engine could not read it): the browser sizes it once loaded
    if width.isdigit() and height.isdigit() and int(width) and int(height):
        readable = (figure_width(d["file"]) if figure_width is not None else None) or width
        size = f'width="{width}" height="{height}" style="--techpath-readable-width: {readable}px" '
    return (
        f'<figure class="techpath-figure"><a class="techpath-zoom" href="{url}" '
        f'title="Open the figure full size"><img src="{url}" alt="{html.escape(d.get("alt", "Figure"))}" '
        f"{size}"
        'loading="lazy" decoding="async"></a></figure>'
    )


def markdown_output(text: str) -> str:
    """What a `text/markdown` output looks like in Jupyter: its Markdown as HTML (then cleaned
    like any rich HTML)."""
    import markdown

    return markdown.markdown(text, extensions=["tables", "fenced_code"])


def pretty_json(text: str) -> str:
    try:
        return json.dumps(json.loads(text), indent=2, ensure_ascii=False)
    except ValueError:
        return text


def render_error(error: BlockError) -> str:
    """A failed block: its error type and message first, where it happened, then the frames."""
    message = f"{error.type}: {shown_in_build(error.message)}"
    return exception_html(shown_in_build(error.traceback), message, shown_in_build(error.location))


def _pre(text: str, css: str) -> str:
    if not text:
        return ""
    shown = visible_bidi(text.rstrip(chr(10)))  # a printed bidi override is shown, not obeyed
    return f'<pre class="{css}"><code>{html.escape(shown)}</code></pre>'

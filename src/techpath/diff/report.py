"""The diff as a Markdown summary (for a GitHub job summary) and a self-contained HTML report."""

from __future__ import annotations

import html
import re
from collections import Counter

from techpath.diff.compare import NUMBER, Change, LinePair

SUMMARY_LIMIT = 200_000  # bytes; GitHub's job summary allows 1 MiB
LABELS = {  # kind: (one, many)
    "page": ("page added or removed", "pages added or removed"),
    "status": ("status change", "status changes"),
    "inline": ("inline value changed", "inline values changed"),
    "figure": ("figure changed", "figures changed"),
    "warning": ("new warning", "new warnings"),
    "text": ("text output changed", "text outputs changed"),
    "time": ("execution time moved", "execution times moved"),
}


def headline(changes: list[Change], label: str = "") -> str:
    """`scikit-learn 1.9.1 → 1.8.0: 2 inline values changed, 1 figure changed, 3 text outputs
    changed (7 numbers moved) in 2 pages.`"""
    if not changes:
        return f"No executed output changed{f' ({label})' if label else ''}."
    counts = Counter(c.kind for c in changes)
    pages = len({c.page for c in changes})
    parts = [f"{counts[k]} {LABELS[k][counts[k] != 1]}" for k in LABELS if counts[k]]
    moved = sum(len(p.numbers) for c in changes for p in c.lines)
    numbers = f" ({moved} number{'s' * (moved != 1)} moved)" if moved else ""
    return f"{label + ': ' if label else ''}{', '.join(parts)}{numbers} in {pages} page{'s' * (pages != 1)}."


def markdown_summary(changes: list[Change], label: str = "", limit: int = SUMMARY_LIMIT) -> str:
    """Most important first; stops before `limit` bytes with a line saying how many were left."""
    out = [f"## What this change moved\n\n{headline(changes, label)}\n"]
    size = len(out[0].encode())
    for number, change in enumerate(changes):
        where = _code_span(change.where)
        part = [f"- **{change.kind}** {where}{_edited(change)}: {_md_inline(change.summary)}"]
        if change.lines:
            shown = []
            for pair in change.lines[:20]:
                if pair.old is not None:
                    shown.append(f"  - {_one_line(pair.old[:300])}")
                if pair.new is not None:
                    shown.append(f"  + {_one_line(pair.new[:300])}")
            if len(change.lines) > 20:
                shown.append(f"  ... {len(change.lines) - 20} more changed lines")
            fence = "`" * max(3, _longest_backticks("".join(shown)) + 1)  # no output line closes it
            part += [f"  {fence}diff", *shown, f"  {fence}"]
            moved = [f"{a} → {b}" for p in change.lines for a, b in p.numbers][:10]
            if moved:
                part.append("  numbers: " + ", ".join(moved))
        text = "\n".join(part) + "\n"
        if size + len(text.encode()) > limit - 200:
            out.append(f"\n... {len(changes) - number} more changes: see the HTML report.\n")
            break
        out.append(text)
        size += len(text.encode())
    return "\n".join(out)


def _edited(change: Change) -> str:
    """Marks a change whose block's code (or value's expression) was edited: the others moved
    because of something above them or a library."""
    return " (code edited)" if change.edited else ""


def _one_line(text: str) -> str:
    return " ".join(text.splitlines())


def _longest_backticks(text: str) -> int:
    return max((len(run) for run in re.findall(r"`+", text)), default=0)


def _code_span(text: str) -> str:
    """`text` as one Markdown code span, whatever backticks it holds (a page path is a file
    name a pull request chose): fenced by a longer run of backticks, as CommonMark reads it."""
    text = _one_line(text)
    ticks = "`" * (_longest_backticks(text) + 1)
    pad = " " if "`" in text else ""
    return f"{ticks}{pad}{text}{pad}{ticks}"


def _md_inline(text: str) -> str:
    return text.replace("|", "\\|").replace("<", "&lt;")


def _marked(line: str, numbers: list[tuple[str, str]], side: int) -> str:
    """The line, escaped, with the numbers that moved in <mark>."""
    moved = {pair[side] for pair in numbers}
    out, cursor = [], 0
    for match in NUMBER.finditer(line):
        out.append(html.escape(line[cursor : match.start()]))
        token = html.escape(match.group(0))
        out.append(f"<mark>{token}</mark>" if match.group(0) in moved else token)
        cursor = match.end()
    out.append(html.escape(line[cursor:]))
    return "".join(out)


def _lines_html(lines: list[LinePair]) -> str:
    rows = []
    for pair in lines:
        if pair.old is not None:
            rows.append(f'<div class="old">- {_marked(pair.old, pair.numbers, 0)}</div>')
        if pair.new is not None:
            rows.append(f'<div class="new">+ {_marked(pair.new, pair.numbers, 1)}</div>')
    return f'<pre class="diff">{"".join(rows)}</pre>'


def _figure_html(change: Change) -> str:
    figure = change.figure
    if not figure.get("measured"):
        return ""
    cells = []
    for key, title in (("old_png", "before"), ("new_png", "after"), ("diff_png", "difference")):
        cells.append(
            f'<figure><img alt="{title}" src="data:image/png;base64,{figure[key]}">'
            f"<figcaption>{title}</figcaption></figure>"
        )
    return f'<div class="figures">{"".join(cells)}</div>'


CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"
STYLE = """
body{font-family:system-ui,sans-serif;margin:2rem;color:#222;max-width:110rem}
h1{font-size:1.5rem} h2{font-size:1.15rem;margin-top:2rem;border-bottom:1px solid #ccc}
.change{margin:1rem 0;padding:.5rem 1rem;border-left:4px solid #888;background:#fafafa}
.kind-status,.kind-page{border-color:#c0392b}.kind-inline{border-color:#8e44ad}
.kind-figure{border-color:#2471a3}.kind-warning{border-color:#d68910}.kind-time{border-color:#999}
.where{font-family:monospace}.diff{background:#fff;padding:.5rem;overflow:auto}
.old{color:#922}.new{color:#262}mark{background:#ffe066;color:#000;font-weight:bold}
.figures{display:flex;gap:1rem;flex-wrap:wrap}.figures figure{margin:0;flex:1 1 30%}
.figures img{max-width:100%;border:1px solid #ccc;background:#fff}
figcaption{text-align:center;font-size:.9rem;color:#555}
"""


def html_report(changes: list[Change], label: str = "") -> str:
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        f"<meta http-equiv='Content-Security-Policy' content=\"{CSP}\">",
        f"<title>techpath diff</title><style>{STYLE}</style></head><body>",
        f"<h1>What this change moved</h1><p>{html.escape(headline(changes, label))}</p>",
    ]
    page = None
    for change in changes:
        if change.page != page:
            page = change.page
            parts.append(f"<h2>{html.escape(page)}</h2>")
        parts.append(
            f'<div class="change kind-{change.kind}"><p><strong>{change.kind}</strong> '
            f'<span class="where">{html.escape(change.where)}</span>{_edited(change)}: '
            f"{html.escape(change.summary)}</p>"
            + (_lines_html(change.lines) if change.lines else "")
            + _figure_html(change)
            + "</div>"
        )
    parts.append("</body></html>")
    return "\n".join(parts)

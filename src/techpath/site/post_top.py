"""What a reader sees above a post's first paragraph, on a phone as on a desktop: where the post
sits on the path ("Stage 2 · 3 of 7"), when it was written, how long it reads and runs, and a
collapsible table of contents (the theme's own contents column is hidden on narrow screens)."""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from techpath.model import PageResult


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


@dataclass
class TocItem:
    """One heading: its text, its anchor and the headings under it (MkDocs' page.toc shape)."""

    title: str
    anchor: str
    children: list[TocItem] = field(default_factory=list)

    @classmethod
    def from_toc(cls, items: Iterable[object]) -> list[TocItem]:
        """From MkDocs' AnchorLink objects (or anything with title, id and children)."""
        return [
            cls(
                str(getattr(i, "title", "")),
                str(getattr(i, "id", "")),
                cls.from_toc(getattr(i, "children", [])),
            )
            for i in items
        ]


def place_html(stage_label: str, position: int, count: int, link: str) -> str:
    """ "Stage 2 · 3 of 7", linked to the stage on the path page."""
    return (
        f'<p class="techpath-place" data-search-exclude><a href="{_e(link)}">'
        f"{_e(stage_label)} · {position} of {count}</a></p>"
    )


def meta_html(date: object, readtime: int | None, result: PageResult | None) -> str:
    """Date, reading time and the time the page's code took when it was last executed."""
    parts = []
    if isinstance(date, dt.datetime):
        date = date.date()
    if isinstance(date, dt.date):
        parts.append(f'<time datetime="{date.isoformat()}">{date.strftime("%-d %B %Y")}</time>')
    if readtime:
        parts.append(f"{int(readtime)} min read")
    if result is not None and result.blocks:
        parts.append(f"code runs in {_duration(result.duration)}")
    if not parts:
        return ""
    return '<p class="techpath-meta" data-search-exclude>' + " · ".join(parts) + "</p>"


def _duration(seconds: float) -> str:
    if seconds < 10:
        return f"{seconds:.1f} s"
    if seconds < 120:
        return f"{seconds:.0f} s"
    return f"{seconds / 60:.1f} min"


def toc_html(items: Sequence[TocItem]) -> str:
    """A collapsed "Contents" block of the post's sections (the h1 title itself is left out)."""
    sections = items[0].children if len(items) == 1 else list(items)
    if not sections:
        return ""
    return (
        '<details class="abstract techpath-toc" data-search-exclude><summary>Contents</summary>'
        + _toc_list(sections)
        + "</details>"
    )


def _toc_list(items: Sequence[TocItem]) -> str:
    entries = []
    for item in items:
        children = _toc_list(item.children) if item.children else ""
        entries.append(f'<li><a href="#{_e(item.anchor)}">{_e(html.unescape(item.title))}</a>{children}</li>')
    return "<ul>" + "".join(entries) + "</ul>"

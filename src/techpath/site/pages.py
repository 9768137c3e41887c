"""Reading aids generated from the posts' front matter and results: the learning path, "previous /
next on the path", "Math you'll meet", the math index, the "Verified with" line and the execution
report page. Plain functions from data to HTML; the MkDocs plugin supplies URLs."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from techpath.model import PageResult, Post
from techpath.report import exercise_summary
from techpath.site.path_sections import PathSections

# Where a page asks for a generated section: the comment in its Markdown that the staging path
# replaces with that section's HTML.
SECTION_MARKERS = {
    "path": "<!-- techpath:path -->",
    "path-list": "<!-- techpath:path-list -->",
    "math-index": "<!-- techpath:math-index -->",
    "report": "<!-- techpath:report -->",
}


@dataclass
class PathEntry:
    uri: str
    title: str
    description: str
    section: str  # its category: a section of the path (site/path_sections.py) or not
    order: int
    concepts: list[str]
    box_titles: list[str] = field(default_factory=list)
    readtime: int | None = None

    @classmethod
    def from_post(cls, uri: str, post: Post) -> PathEntry:
        meta = post.meta
        categories = meta.get("categories") or [""]
        order = meta.get("order") if isinstance(meta.get("order"), int) else 99
        return cls(
            uri=uri,
            title=str(meta.get("title", post.path.stem)),
            description=str(meta.get("description", "")),
            section=str(categories[0]),
            order=order,
            concepts=[str(c) for c in meta.get("math", []) or []],
        )


def box_anchor(title: str) -> str:
    text = re.sub(r"<[^>]+>|\$", "", html.unescape(title)).lower()
    return "math-" + (re.sub(r"[^a-z0-9]+", "-", text).strip("-") or "box")


def ordered(entries: list[PathEntry], sections: PathSections) -> list[PathEntry]:
    return sorted(entries, key=lambda e: (sections.rank(e.section), e.order, e.title))


def by_section(entries: list[PathEntry], sections: PathSections) -> list[tuple[str, list[PathEntry]]]:
    """Each section that has posts, in reading order, with its posts in reading order."""
    path = ordered(entries, sections)
    groups = [(section, [e for e in path if e.section == section]) for section in sections.all(entries)]
    return [(section, members) for section, members in groups if members]


def neighbours(
    entries: list[PathEntry], uri: str, sections: PathSections
) -> tuple[PathEntry | None, PathEntry | None]:
    """Previous and next on the path. The path's sections are one sequence; every other category
    (essays) is a sequence of its own."""
    path = ordered(entries, sections)
    current = next((e for e in path if e.uri == uri), None)
    if current is None:
        return None, None
    same = [e for e in path if sections.sequence(e.section) == sections.sequence(current.section)]
    i = same.index(current)
    return (same[i - 1] if i > 0 else None), (same[i + 1] if i + 1 < len(same) else None)


def place(entries: list[PathEntry], uri: str, sections: PathSections) -> tuple[int, int] | None:
    """(position, count) of a post within its section: "3 of 7"."""
    entry = next((e for e in entries if e.uri == uri), None)
    if entry is None:
        return None
    members = [e for e in ordered(entries, sections) if e.section == entry.section]
    return members.index(entry) + 1, len(members)


def inline_markdown(text: str) -> str:
    """Escape a box title, keeping its `code` and $math$ (typeset later with the page)."""
    parts = re.split(r"(`[^`]+`|\$[^$]+\$)", text)
    out = []
    for part in parts:
        if part.startswith("`") and part.endswith("`") and len(part) > 1:
            out.append(f"<code>{_e(part[1:-1])}</code>")
        elif part.startswith("$") and part.endswith("$") and len(part) > 1:
            out.append(f'<span class="arithmatex">\\({_e(part[1:-1])}\\)</span>')
        else:
            out.append(_e(part))
    return "".join(out)


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def path_html(entries: list[PathEntry], url: Callable[[str], str], sections: PathSections) -> str:
    parts = ['<div class="techpath-path" data-search-exclude>']  # each post is indexed itself
    for section, members in by_section(entries, sections):
        parts.append(f'<h2 id="{sections.anchor(section)}">{_e(sections.label(section))}</h2><ol>')
        for entry in members:
            minutes = f" · {entry.readtime} min read" if entry.readtime else ""
            concepts = ", ".join(_e(c) for c in entry.concepts)
            math = f'<br><span class="techpath-path__math">Math: {concepts}</span>' if concepts else ""
            parts.append(
                f'<li><a href="{_e(url(entry.uri))}"><strong>{_e(entry.title)}</strong></a>'
                f'<span class="techpath-path__meta">{minutes}</span><br>{_e(entry.description)}{math}</li>'
            )
        parts.append("</ol>")
    parts.append("</div>")
    return "".join(parts)


def path_list_html(entries: list[PathEntry], url: Callable[[str], str], sections: PathSections) -> str:
    """The posts in reading order under their section labels, titles only, in a collapsed block
    (for the blog index, whose own list is newest first)."""
    count = len(entries)
    parts = [
        '<details class="abstract techpath-path-list" data-search-exclude>'
        f"<summary>Read the {count} posts in path order</summary>"
    ]
    for section, members in by_section(entries, sections):
        parts.append(
            f'<p class="techpath-path-list__stage"><strong>{_e(sections.label(section))}</strong></p><ol>'
        )
        parts += [f'<li><a href="{_e(url(e.uri))}">{_e(e.title)}</a></li>' for e in members]
        parts.append("</ol>")
    parts.append("</details>")
    return "".join(parts)


def post_header_html(entry: PathEntry | None, result: PageResult | None) -> str:
    """Under the title: when and with what the code was verified, and the math in the boxes."""
    parts = []
    if result is not None and result.executed_at:
        versions = result.versions
        date = result.executed_at[:10]
        status = "Verified" if result.ok else "Failed"
        sklearn, numpy, python = (_e(versions.get(name, "?")) for name in ("scikit-learn", "numpy", "python"))
        parts.append(
            f'<p class="techpath-verified" data-search-exclude>{status} with scikit-learn {sklearn}, '
            f"NumPy {numpy} and Python {python} on {_e(date)}.</p>"
        )
    if entry is not None and entry.box_titles:
        links = []
        for concept, title in zip(entry.concepts or entry.box_titles, entry.box_titles, strict=False):
            links.append(f'<a href="#{box_anchor(title)}">{_e(concept)}</a>')
        parts.append(
            '<p class="techpath-math-meet" data-search-exclude><strong>Math you\'ll meet:</strong> '
            + " · ".join(links)
            + "</p>"
        )
    return "".join(parts)


def post_end_html(
    entries: list[PathEntry],
    uri: str,
    url: Callable[[str], str],
    sections: PathSections,
    path_page: str | None = None,
) -> str:
    """What ends a post: previous / next in path order, and the path itself for the theme's
    navigation (hidden here; site/theme.py moves it into the side column and the menu)."""
    previous, following = neighbours(entries, uri, sections)
    menu = path_menu_html(entries, uri, url, sections, url(path_page) if path_page else "")
    hidden = f'<nav class="techpath-path-menu" hidden data-search-exclude>{menu}</nav>' if menu else ""
    return path_nav_html(previous, following, url) + hidden


def path_menu_html(
    entries: list[PathEntry],
    current: str,
    url: Callable[[str], str],
    sections: PathSections,
    path_link: str = "",
) -> str:
    """The path as navigation: every section with its posts in reading order, the current post
    marked (aria-current, and Material's active link, which the theme scrolls into view)."""
    if not any(e.uri == current for e in entries):
        return ""
    title = f'<a href="{_e(path_link)}">The path</a>' if path_link else "The path"
    parts = [f'<p class="techpath-nav-path__title">{title}</p>']
    for section, members in by_section(entries, sections):
        parts.append(f'<p class="techpath-nav-path__stage">{_e(sections.label(section))}</p><ol>')
        for entry in members:
            here = entry.uri == current
            css = "md-nav__link md-nav__link--active" if here else "md-nav__link"
            aria = ' aria-current="page"' if here else ""
            parts.append(f'<li><a class="{css}" href="{_e(url(entry.uri))}"{aria}>{_e(entry.title)}</a></li>')
        parts.append("</ol>")
    return "".join(parts)


def path_nav_html(previous: PathEntry | None, following: PathEntry | None, url: Callable[[str], str]) -> str:
    if previous is None and following is None:
        return ""
    parts = ['<nav class="techpath-path-nav" aria-label="On the path" data-search-exclude>']
    if previous is not None:
        link = _e(url(previous.uri))
        parts.append(f'<a class="techpath-path-nav__prev" href="{link}">← Previous: {_e(previous.title)}</a>')
    if following is not None:
        link = _e(url(following.uri))
        parts.append(f'<a class="techpath-path-nav__next" href="{link}">Next: {_e(following.title)} →</a>')
    parts.append("</nav>")
    return "".join(parts)


def math_index_html(entries: list[PathEntry], url: Callable[[str], str], sections: PathSections) -> str:
    """Every math box on the site, grouped by concept, each linking to (and opening) its box."""
    by_concept: dict[str, list[tuple[PathEntry, str]]] = {}
    for entry in ordered(entries, sections):
        for concept, title in zip(entry.concepts, entry.box_titles, strict=False):
            by_concept.setdefault(concept, []).append((entry, title))
    # left out of search: every box is an entry of its own (site/search.py)
    parts = ['<div class="techpath-math-index md-typeset__table" data-search-exclude>'
             "<table><thead><tr><th>Concept</th>"
             "<th>Question the box answers</th>"
             "<th>Post</th></tr></thead><tbody>"]  # fmt: skip
    for concept in sorted(by_concept, key=str.lower):
        for entry, title in by_concept[concept]:
            link = f"{url(entry.uri)}#{box_anchor(title)}"
            parts.append(
                f'<tr><td>{_e(concept)}</td><td><a href="{_e(link)}">{inline_markdown(title)}</a></td>'
                f'<td><a href="{_e(url(entry.uri))}">{_e(entry.title)}</a></td></tr>'
            )
    parts.append("</tbody></table></div>")
    return "".join(parts)


def report_html(rows: list[tuple[str, str, PageResult]]) -> str:
    """rows: (title, url, result) for every page whose code was executed."""
    parts = ['<div class="techpath-report md-typeset__table" data-search-exclude>'
             "<table><thead><tr><th>Page</th><th>Status</th>"
             "<th>Last executed</th><th>Exercises</th>"
             "<th>Duration</th><th>Peak memory</th><th>Python</th><th>scikit-learn</th><th>NumPy</th>"
             "<th>matplotlib</th></tr></thead><tbody>"]  # fmt: skip
    for title, link, result in sorted(rows, key=lambda r: r[0].lower()):
        v = result.versions
        status = "passed" if result.ok else f"failed ({len(result.errors)})"
        parts.append(
            f'<tr><td><a href="{_e(link)}">{_e(title)}</a></td><td>{status}</td>'
            f"<td>{_e(result.executed_at.replace('T', ' ').replace('+00:00', ' UTC'))}</td>"
            f"<td>{_e(exercise_summary(result)) or '&mdash;'}</td>"
            f"<td>{result.duration:.2f} s</td><td>{result.peak_memory_mb:.0f} MB</td>"
            f"<td>{_e(v.get('python', '?'))}</td><td>{_e(v.get('scikit-learn', '?'))}</td>"
            f"<td>{_e(v.get('numpy', '?'))}</td><td>{_e(v.get('matplotlib', '?'))}</td></tr>"
        )
    parts.append("</tbody></table></div>")
    return "".join(parts)

"""What techpath changes in the theme's own markup of a finished HTML page (Material for MkDocs,
as every generator renders it), for every site it builds:

- accessible names for the theme's unnamed widgets (the search dialog, the loading bar, a
  navigation section whose title is a link to its index page: its label holds only an icon) and
  a distinct name for each of its navigation landmarks (a post's side column, its metadata and
  tags, the authors of each post on a blog index), and the page-loading bar kept out of the
  accessibility tree (decoration, outside landmarks);
- an id on every code block, so each copy button copies its own block: Material names a block
  after its nearest ancestor with an id, so blocks inside one exercise or math box (which carry
  ids to be linked) all copied the first of them;
- the reader script (`assets/techpath/reader.js`) before the theme's bundle, so it can hold the
  search index back until the search box is used;
- the learning path in the navigation of a post (written hidden at the post's end): moved into
  the post's side column, shown on wide screens, and into the menu (the drawer) on narrow ones.

Plain string work on the rendered page: where the theme's markup is not found, the page is left
as it is (other themes, Zensical's templates)."""

from __future__ import annotations

import re

from techpath.site.markup import element_end

READER_JS = "assets/techpath/reader.js"

# Material's search dialog and loading bar have ARIA roles but no accessible names.
_UNNAMED = [
    ('class="md-search" data-md-component="search" role="dialog"',
     'class="md-search" data-md-component="search" role="dialog" aria-label="Search"'),
    ('role="progressbar"', 'role="progressbar" aria-label="Page loading" aria-hidden="true"'),
]  # fmt: skip
# A section with an index page (navigation.indexes): its title is the link, its <label> (which
# names the section's <nav> through aria-labelledby) holds only the expand icon.
_SECTION_LABEL = re.compile(
    r'<span class="md-ellipsis">\s*(?P<title>[^<]*?)\s*</span>\s*</a>\s*'
    r'<label class="md-nav__link[^"]*" for="(?P<for>__nav_[\w]+)" id="(?P=for)_label"[^>]*>'
    r'(?!<span class="techpath-sr-only">)'
)
_NAV = re.compile(r'<nav\b(?:[^>]*\bclass="(?P<class>[^"]*)")?[^>]*>')
# quoted or not: a page minified by another plugin (mkdocs-minify) drops the quotes
_ARIA_LABEL = re.compile(r"""aria-label(?:ledby)?=(?:"([^"]*)"|'([^']*)'|([^\s>"']+))""")
# Names for the theme's unnamed <nav>s by class; a metadata list is named by its heading.
_NAV_NAMES = [
    ("md-post__authors", "Authors"),
    ("md-post__action", "Continue reading"),
    ("md-tags", "Tags"),
    ("md-nav--primary", "About this post"),
]
_TITLE_BEFORE = re.compile(
    r'class="md-post__title">\s*<span class="md-ellipsis">(?P<title>[^<]+)</span>\s*</div>\s*$'
)
_PRE = re.compile(r"<pre\b(?![^>]*\bid=)([^>]*)>")
_BUNDLE = re.compile(r'<script src="(?P<base>[^"]*?)assets/javascripts/bundle\.[0-9a-f]+\.min\.js"')
_POST_SIDEBAR = '<div class="md-sidebar__inner md-post">'
_ACTIVE_SECTION = re.compile(r'<li class="md-nav__item md-nav__item--active[^"]*md-nav__item--nested[^"]*">')
_LIST = '<ul class="md-nav__list" data-md-scrollfix>'
_MENU = re.compile(r'<nav\b[^>]*\bclass="techpath-path-menu"[^>]*>')


def finish_theme(page_html: str) -> str:
    """The theme's markup of one HTML page finished (see the module's docstring)."""
    page_html = name_theme_widgets(page_html)
    page_html = number_code_blocks(page_html)
    page_html = add_reader_script(page_html)
    return move_path_menu(page_html)


def name_theme_widgets(page_html: str) -> str:
    for old, new in _UNNAMED:
        if new not in page_html:
            page_html = page_html.replace(old, new, 1)
    page_html = _SECTION_LABEL.sub(
        lambda m: f'{m[0]}<span class="techpath-sr-only">{m["title"]}</span>', page_html
    )
    return name_landmarks(page_html)


def name_landmarks(page_html: str) -> str:
    """Every <nav> without a name gets one, distinct within the page (axe: landmark-unique)."""
    used: dict[str, int] = {}
    for match in _NAV.finditer(page_html):
        label = _ARIA_LABEL.search(match[0])
        if label is not None:
            used[next(v for v in label.groups() if v is not None)] = 1

    def name(match: re.Match[str]) -> str:
        tag = match[0]
        classes = match["class"] or ""
        if "aria-label" in tag or not classes.startswith("md-"):  # the theme's own only
            return tag
        title = _TITLE_BEFORE.search(page_html, max(0, match.start() - 400), match.start())
        label = next((n for c, n in _NAV_NAMES if c in classes.split()), None)
        label = label or (title["title"].strip() if title else "Section")
        used[label] = used.get(label, 0) + 1
        if used[label] > 1:
            label = f"{label} {used[label]}"
        return tag[:-1] + f' aria-label="{label}">'

    return _NAV.sub(name, page_html)


def number_code_blocks(page_html: str) -> str:
    """Every <pre> without an id gets one that is unique in the page (Material then names the
    block `__code_<id>` and its copy button targets exactly that block)."""
    count = iter(range(1_000_000))
    return _PRE.sub(lambda m: f'<pre id="__tp_code_{next(count)}"{m[1]}>', page_html)


def add_reader_script(page_html: str) -> str:
    """The reader script, loaded just before the theme's bundle (same relative base)."""
    if re.search(rf'<script src="[^"]*{re.escape(READER_JS)}"', page_html):
        return page_html  # (a page may name the file in its prose: only the tag counts)
    match = _BUNDLE.search(page_html)
    if match is None:
        return page_html
    tag = f'<script src="{match["base"]}{READER_JS}"></script>\n    '
    return page_html[: match.start()] + tag + page_html[match.start() :]


def move_path_menu(page_html: str) -> str:
    """The path a post carries at its end, hidden (site/pages.py, `post_end_html`), moved into
    the theme's navigation; left where it is (hidden) when the theme has no place for it."""
    found = _MENU.search(page_html)
    end = element_end(page_html, found.start(), "nav") if found else -1
    if found is None or end < 0:
        return page_html
    at = found.start()
    inner = page_html[found.end() : end - len("</nav>")]
    moved = add_path_menu(page_html[:at] + page_html[end:], inner)
    return moved if moved != page_html[:at] + page_html[end:] else page_html


def add_path_menu(page_html: str, menu: str, label: str = "The learning path") -> str:
    """`menu` (the path's stages and posts: site/pages.py, `path_menu_html`) in the post's side
    column (shown on wide screens) and first in the active section of the site navigation (the
    menu on narrow screens). Each is its own landmark with its own name."""
    at = page_html.find(_POST_SIDEBAR)
    nav = page_html.find("<nav", at) if at >= 0 else -1
    end = element_end(page_html, nav, "nav") if nav >= 0 else -1
    if end > 0:
        side = f'<nav class="techpath-nav-path techpath-nav-path--side" aria-label="{label}">{menu}</nav>'
        page_html = page_html[:end] + side + page_html[end:]
    section = _ACTIVE_SECTION.search(page_html)
    start = page_html.find(_LIST, section.end() if section else 0)
    if start >= 0:
        start += len(_LIST)
        drawer = (
            f'<li class="md-nav__item"><nav class="techpath-nav-path techpath-nav-path--menu" '
            f'aria-label="{label} (menu)">{menu}</nav></li>'
        )
        page_html = page_html[:start] + drawer + page_html[start:]
    return page_html

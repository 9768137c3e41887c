"""The parts of a staged page that techpath writes itself, one `*_html` method each: a block's
output panel, a markdown-exec view, the post top and end, the generated sections (the path, its
list, the math index) and the execution report. Each is staged Markdown when the page is staged
with its result, or finished HTML when `link` is given (a placeholder filled in by `resolve`)."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

from techpath.model import BlockResult
from techpath.render.downloads import download_file, download_links
from techpath.render.html import render_block
from techpath.render.mdexec import Heading, SiteMarkdown, ViewRenderer
from techpath.safety.policy import STRICT
from techpath.safety.svg import kept_clean_svg
from techpath.site.math import MathRenderer
from techpath.site.pages import (
    SECTION_MARKERS,
    math_index_html,
    path_html,
    path_list_html,
    place,
    post_end_html,
    post_header_html,
    report_html,
)
from techpath.site.post_top import meta_html, place_html
from techpath.stage.fragments import markdown_html, one_block
from techpath.stage.structure import PageRecord

if TYPE_CHECKING:
    from techpath.stage.stager import Stager

Link = Callable[[str], str]  # docs path -> URL relative to the page the HTML is shown on


class PageParts:
    """Renders the parts; the math renderer is opened per build (`open_math`)."""

    def __init__(self, stager: Stager) -> None:
        self.stager = stager
        self.math: MathRenderer | None = None
        self.reported_views: set[str] = set()

    def open_math(self) -> None:
        stager = self.stager
        if stager.katex_dir is not None and self.math is None:
            # formulas typeset by earlier builds are kept beside the result cache
            self.math = MathRenderer(stager.katex_dir, memo_file=stager.settings.cache_dir / "math.json")

    def close_math(self) -> None:
        if self.math is not None:
            self.math.close()
            self.math = None

    def section_html(self, marker: str, record: PageRecord) -> str:
        """A generated section's HTML (not the report: see `report_html`)."""
        entries, link, sections = self.stager.records.entries(), record.link_to, self.stager.sections
        if marker == SECTION_MARKERS["path"]:
            return path_html(entries, link, sections)
        if marker == SECTION_MARKERS["path-list"]:
            return path_list_html(entries, link, sections)
        return math_index_html(entries, link, sections)

    def typeset(self, fragment: str) -> str:
        if self.math is not None:
            fragment, _ = self.math.render_html(fragment)
        return fragment

    def report_html(self, link: Link) -> str:
        """The execution report's table, waiting for every result."""
        self.stager.wait()
        rows = [
            (r.entry.title if r.entry else _title(r), link(r.uri), r.result)
            for r in self.stager.records.executable()
            if r.result is not None
        ]
        return report_html(rows)

    def post_top_html(self, record: PageRecord, link: Link | None = None) -> str:
        """Above the first paragraph: place on the path, date and times, downloads, header.
        `link`: for HTML filled in after conversion; else links are docs-relative Markdown."""
        stager, entry = self.stager, record.entry
        assert entry is not None
        top = ""
        where = place(stager.records.entries(), record.uri, stager.sections)
        path_page = stager.site.options.path_page
        to = link or record.link_to
        if where is not None:
            link_html = f"{to(path_page)}#{stager.sections.anchor(entry.section)}" if path_page else ""
            top += place_html(stager.sections.short_label(entry.section), *where, link_html)
        top += meta_html(record.post.meta.get("date"), entry.readtime, record.result)
        downloads = record.downloads
        notebook = downloads.notebook if downloads is not None else ""
        top += download_links(
            record.post, stager.repo_url, stager.site_url, _download_href(record, to), notebook
        )
        return top + post_header_html(entry, record.result)

    def post_end_html(self, record: PageRecord) -> str:
        stager = self.stager
        entries, path_page = stager.records.entries(), stager.site.options.path_page
        return post_end_html(entries, record.uri, record.link_to, stager.sections, path_page)

    def output_html(self, record: PageRecord, index: int, link: Link | None = None) -> str:
        """A block's output panel: as staged Markdown (figures as Markdown images the generator
        links), or with `link` as finished HTML (filled in after conversion)."""
        result = record.result
        if result is None or index >= len(result.blocks):
            return ""
        options = record.post.blocks[index].options
        to = link or record.link_to
        block = result.blocks[index]
        if options.mdexec:  # what it printed is in its view (render/mdexec.py)
            block = replace(
                block, outputs=[o for o in block.outputs if (o.kind, o.name) != ("stream", "stdout")]
            )
        panel = render_block(
            block,
            lambda name: to(record.figures[name].uri),
            show_output=not options.hide_output and not options.hide,
            figure_width=lambda name: record.figures[name].width if name in record.figures else None,
            scope=record.uri,
        )
        panel = one_block(latex_outputs(panel, self.math))
        return markdown_html(panel, images_only=True) if "<img " in panel and link is None else panel

    def view_html(self, record: PageRecord, number: int, link: Link | None = None) -> str:
        """A markdown-exec fence as HTML (render/mdexec.py), what is wrong with it reported once
        at its line; the headings it adds to the contents are kept for the generator's ToC."""
        if number >= len(record.views):
            return ""
        slot = record.views[number]
        result = record.result

        def result_of(index: int) -> BlockResult | None:
            return result.blocks[index] if result is not None and index < len(result.blocks) else None

        def clean_svg(data: bytes) -> bytes:  # an SVG a block printed: cleaned like our figures
            return kept_clean_svg(data, self.stager.figure_memo)

        rules = self.stager.lifecycle.rules or STRICT
        renderer = ViewRenderer(self.markdown_for_views(), result_of, clean_svg, rules)
        view = renderer.render(slot.fence, slot.first_block, slot.number)
        body_line = slot.fence.start + 1
        line = record.front_lines + (
            record.body_lines.page_line(body_line) if record.body_lines else body_line
        )
        for problem in view.problems:
            message = f"{record.post.display_path}:{line}: {problem}"
            if message not in self.reported_views:
                self.reported_views.add(message)
                self.stager.error(message)
        record.view_headings[number] = view.headings
        if not view.html.strip():
            return ""
        return one_block(f'<div class="techpath-mdexec">{self.typeset(view.html)}</div>')

    def markdown_for_views(self) -> SiteMarkdown:
        """The site's Markdown extensions: the generator's own when it gave them (the MkDocs
        plugin), else those mkdocs.yml lists."""
        if self.stager.site_markdown is None:
            self.stager.site_markdown = SiteMarkdown(self.stager.site.markdown_extensions)
        return self.stager.site_markdown

    def view_headings(self, record: PageRecord | None) -> list[Heading]:
        """The headings markdown-exec blocks with updatetoc added to the page, in page order."""
        if record is None:
            return []
        return [h for _n, found in sorted(record.view_headings.items()) for h in found]


def _download_href(record: PageRecord, to: Link) -> Callable[[str], str]:
    downloads = record.downloads
    assert downloads is not None
    folder = downloads.notebook.rsplit("/", 1)[0]
    name = downloads.notebook.rsplit("/", 1)[1].removesuffix(".ipynb")
    return lambda kind: to(f"{folder}/{download_file(name, kind)}")


_LATEX_OUTPUT = re.compile(r'<pre class="techpath-result techpath-latex"><code>(.*?)</code></pre>', re.S)
_DELIMITERS = (("$$", "$$", True), ("\\[", "\\]", True), ("$", "$", False), ("\\(", "\\)", False))


def latex_outputs(panel: str, typesetter: MathRenderer | None) -> str:
    """`text/latex` outputs (sympy, IPython.display.Latex) typeset as Jupyter shows them; one
    KaTeX cannot read stays LaTeX source."""
    if typesetter is None or "techpath-latex" not in panel:
        return panel

    def typeset(match: re.Match[str]) -> str:
        tex = html.unescape(match.group(1)).strip()
        for start, end, display in _DELIMITERS:
            if tex.startswith(start) and tex.endswith(end) and len(tex) > len(start) + len(end):
                rendered, error = typesetter.render_formula(tex[len(start) : -len(end)], display)
                if rendered is not None and error is None:
                    return f'<div class="techpath-result techpath-latex">{rendered}</div>'
                break
        return match.group(0)

    return _LATEX_OUTPUT.sub(typeset, panel)


def _title(record: PageRecord) -> str:
    return str(record.post.meta.get("title") or record.post.path.stem)

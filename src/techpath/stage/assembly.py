"""One page's staged Markdown as a pipeline (`page_markdown`): links to notebook pages, snippets,
inline values, output slots, boxes, generated sections, math, the parts (stage/parts.py) or
placeholders for them, the post top and end. Then its HTML phase (`page_html`): the prose policy,
and what the result decides filled into the placeholders (`resolve`)."""

from __future__ import annotations

import enum
import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from techpath.parse.gate import load_checked_post
from techpath.parse.inline import find_spans
from techpath.parse.texmath import inert, typeset_markdown
from techpath.render.api_links import link_names, page_urls
from techpath.render.inline import fill_inline
from techpath.render.markdown import OutputSlots, block_failed, rewrite_markdown, slot_shown
from techpath.safety import site as safety
from techpath.site.pages import SECTION_MARKERS
from techpath.stage.boxes import SOLUTION_OPENING, convert_boxes, convert_exercises
from techpath.stage.finish import TOC_MARKER, RegionMarkers, excerpt_source, finish_content, finish_page
from techpath.stage.fragments import markdown_html
from techpath.stage.lifecycle import shown_path
from techpath.stage.notebook_links import HeadingAnchors, jupyter_fragments, link_to_pages
from techpath.stage.structure import PageRecord

if TYPE_CHECKING:
    from techpath.stage.stager import Stager

Link = Callable[[str], str]  # docs path -> URL relative to the page the HTML is shown on


class Slot(enum.Enum):
    """What a placeholder stands for when it is not a block's output (those are block indices)."""

    POST_TOP = "the post top"
    REPORT = "the execution report"


class PageAssembly:
    """Stages pages and finishes their HTML; its state (placeholders, pages filled later or
    staged early, pages whose prose was checked) is one build's."""

    def __init__(self, stager: Stager) -> None:
        self.stager = stager
        self.markers = RegionMarkers.new()
        self._anchors: HeadingAnchors | None = None  # the site's heading anchors, per page
        self.new_build()

    def new_build(self) -> None:
        self.slots = OutputSlots()
        # placeholder -> (page, block index or Slot, is a markdown-exec view's number)
        self.parts: list[tuple[str, int | Slot, bool]] = []
        self.filled_later: set[str] = set()  # pages with placeholders
        self.early: set[str] = set()  # pages staged before their results
        self.cleaned: set[str] = set()  # pages whose prose problems were reported

    def forget(self, uri: str) -> None:
        """A page read again (`restage`): staged anew."""
        for done in (self.filled_later, self.early, self.cleaned):
            done.discard(uri)

    def page_markdown(self, uri: str, body: str) -> str:
        """The staged Markdown of a page, from its Markdown without front matter."""
        stager, parts = self.stager, self.stager.parts
        record = stager.records.get(uri)
        if record is None:
            return body
        record.front_lines = _front_lines(record.post.text, body)
        body = link_to_pages(body, uri, stager.notebooks)
        if record.source.suffix == ".ipynb":  # links to headings written as Jupyter writes them
            body = self._jupyter_fragments(body, uri)
        if stager.site.snippets is not None:  # the code that ran was read from this expansion
            record.body_lines = stager.site.snippets.expand(body)
            body = stager.site.snippets.page_text(record.body_lines)
        placeholders = stager.placeholders and stager.lifecycle.run is not None and record.post.runs
        early = placeholders and self._stages_early(record, body)
        result = None if early else stager.result(record)
        if placeholders:
            self.filled_later.add(uri)
        slots = self.slots.for_page(uri)
        if record.post.runs:
            body = fill_inline(body, result)  # inline values and claims (render/inline.py)
        record.views = []
        text = (
            rewrite_markdown(body, slots, result, record.post.blocks, early, record.views)
            if "```" in body or "~~~" in body
            else body
        )
        text = convert_boxes(convert_exercises(text))
        text = self._generated_sections(record, text)
        if parts.math is not None:
            text, problems = typeset_markdown(text, self._typeset_kept)
            for problem in problems:
                line = _line_of(record.post.text, problem.tex)
                where = f"{record.post.display_path}:{line}" if line else record.post.display_path
                stager.error(f"{where}: cannot typeset ${problem.tex}$: {problem.message}")

        def fragment(index: int) -> str:
            return self._placeholder(uri, index) if placeholders else parts.output_html(record, index)

        def view(number: int) -> str:
            return (
                self._placeholder(uri, number, view=True) if placeholders else parts.view_html(record, number)
            )

        text = self.slots.fill(
            text,
            lambda _page, index: self.markers.keep(fragment(index)),
            lambda _page, number: self.markers.keep(view(number)),
            inert_except_images,
        )
        if record.entry is not None:
            top_html = (
                self._placeholder(uri, Slot.POST_TOP)
                if placeholders
                else markdown_html(parts.post_top_html(record))
            )
            top = self.markers.keep(self.markers.top(top_html))
            end = self.markers.keep(markdown_html(parts.post_end_html(record)))
            text = top + TOC_MARKER + "\n\n" + text.lstrip("\n") + "\n\n" + end
        return self.markers.page(uri, text)

    def _jupyter_fragments(self, body: str, uri: str) -> str:
        if self._anchors is None:
            site = self.stager.parts.markdown_for_views()  # the toc settings the site renders with
            self._anchors = HeadingAnchors(site.settings.get("toc"), "attr_list" in site.names)
        if not self._anchors.usable:
            return body

        def page(target: str) -> str | None:
            found = self.stager.records.get(target)
            return None if found is None else body if target == uri else found.markdown

        return jupyter_fragments(body, uri, page, self._anchors)

    def _stages_early(self, record: PageRecord, body: str) -> bool:
        """Whether the page is staged before its result: only where everything the result
        decides sits in parts `resolve` can fill into the rendered HTML. A `{python}` value is
        prose that Markdown reads (in a heading it names the anchor), so its page waits."""
        if record.uri in self.early:
            return True
        early = (
            self.stager.stage_early
            and record.uri not in self.stager.lifecycle.reported
            and not any(span.kind == "value" for span in find_spans(body))
        )
        if early:
            self.early.add(record.uri)
        return early

    def _placeholder(self, uri: str, index: int | Slot, view: bool = False) -> str:
        self.parts.append((uri, index, view))
        return self.markers.placeholder(len(self.parts) - 1)

    def _generated_sections(self, record: PageRecord, text: str) -> str:
        if "<!-- techpath:" not in text:
            return text
        parts = self.stager.parts

        def finish(fragment: str) -> str:
            return self.markers.keep(markdown_html(parts.typeset(fragment)))

        for name in ("path", "path-list", "math-index"):
            if SECTION_MARKERS[name] in text:
                section = finish(parts.section_html(SECTION_MARKERS[name], record))
                text = text.replace(SECTION_MARKERS[name], section)
        marker = SECTION_MARKERS["report"]
        if marker in text:
            if self.stager.placeholders and self.stager.lifecycle.run is not None:  # filled by `resolve`
                self.filled_later.add(record.uri)
                text = text.replace(marker, self.markers.keep(self._placeholder(record.uri, Slot.REPORT)))
            else:
                text = text.replace(marker, finish(parts.report_html(record.link_to)))
        return text

    def _typeset_kept(self, tex: str, display: bool) -> tuple[str | None, str | None]:
        math = self.stager.parts.math
        assert math is not None
        html, error = math.render_formula(tex, display)
        return (self.markers.keep(html, block=False) if html is not None else None), error

    def resolve(self, uri: str, html: str, link: Link) -> str:
        """A page's rendered HTML (its content, or a blog excerpt of it) with
        what its result decides filled in, waiting for the result if it is still executing:
        output panels, the post top, a failed solution's box opened, API links. `link` makes
        the figures' and downloads' URLs relative to the page the HTML is shown on (the
        generator has already resolved the rest of the page's links)."""
        stager, parts = self.stager, self.stager.parts
        record = stager.records.get(uri)
        if record is None or uri not in self.filled_later:
            return html
        result = stager.result(record)
        pattern = self.markers.placeholders()
        found = [(m.start(), self.parts[int(m[1])]) for m in pattern.finditer(html)]
        for at, (page, index, view) in reversed(found):  # an error is never hidden: its box opens
            if page == uri and isinstance(index, int) and not view and _failed_solution(record, index):
                html = _opened(html, html.rfind(SOLUTION_OPENING, 0, at))

        def fill(match: re.Match[str]) -> str:
            page, index, view = self.parts[int(match[1])]
            if page != uri:
                return match[0]
            if index is Slot.REPORT:
                return parts.report_html(link)
            if index is Slot.POST_TOP:
                return parts.post_top_html(record, link)
            if view:
                return parts.view_html(record, index, link)
            if not slot_shown(record.post.blocks[index].options, block_failed(result, index)):
                return ""
            return parts.output_html(record, index, link)

        return _api_links(record, pattern.sub(fill, html))

    def page_html(self, uri: str, content: str, link: Link | None = None) -> str:
        """The HTML phase of a page's rendered content (see stage/finish.py): the HTML policy on
        its prose, its contents block, API links. A lazily staged page gets its API links in
        `resolve`, which is run here too when `link` is given (a blog excerpt)."""
        record = self.stager.records.get(uri)
        post = record.post if record is not None else None

        def clean(html: str) -> str:
            # reported once per page (a blog index shows the same excerpt again)
            report = self.stager.error if uri not in self.cleaned else (lambda _message: None)
            self.cleaned.add(uri)
            moved = record.moved if record is not None else None
            return safety.enforce_prose_policy(html, post, report, self.stager.lifecycle.rules, moved)

        if uri in self.filled_later:
            finished = finish_content(content, self.markers, clean, lambda html: html)
            return self.resolve(uri, finished, link) if link is not None else finished
        return finish_content(content, self.markers, clean, lambda html: _api_links(record, html))

    def other_page_html(self, source: Path, content: str) -> str:
        """The content of a page made from the docs file `source` that techpath did not load (a
        plugin after ours added or renamed it): held to the site's policy as lint holds that
        file, its problems reported once, with lint's file:line."""
        key, lifecycle = f"other:{source}", self.stager.lifecycle
        post = load_checked_post(
            shown_path(source), None, lifecycle.policy, self.stager.site.snippets, lifecycle.prose
        )
        report = self.stager.error if key not in self.cleaned else (lambda _message: None)
        if key not in self.cleaned:
            for problem in post.problems:
                report(str(problem))
        self.cleaned.add(key)
        return safety.enforce_prose_policy(content, post, report, lifecycle.rules)

    def excerpt_markdown(self, uri: str, markdown: str, separator: str) -> str:
        """A post's staged Markdown, once its own page is rendered, as its excerpts need it
        (stage/finish.py, `excerpt_source`); other pages' Markdown as it is."""
        record = self.stager.records.get(uri)
        if record is None or record.entry is None:
            return markdown
        return excerpt_source(markdown, separator, self.markers)

    def finish_file(self, page_html: str, link: Link | None = None) -> str:
        """A whole HTML file another generator wrote: each page region in it finished.
        `link`: URLs relative to that file's page, for lazily staged regions (blog excerpts)."""
        return finish_page(page_html, self.markers, lambda uri, region: self.page_html(uri, region, link))[0]


def _api_links(record: PageRecord | None, html: str) -> str:
    if record is None or record.result is None or record.entry is None:
        return html
    result = record.result
    return link_names(html, page_urls((b.names for b in result.blocks), result.versions))


def _failed_solution(record: PageRecord, index: int) -> bool:
    return record.post.blocks[index].options.exercise == "solution" and block_failed(record.result, index)


def _opened(html: str, box: int) -> str:
    """`html` with the solution box that starts at `box` open (unless it already is: a page
    staged after its result has it open; -1: no box)."""
    if box < 0:
        return html
    end = box + len(SOLUTION_OPENING)
    if re.search(r"\sopen\b", html[box : html.find(">", box) + 1]):
        return html
    return html[:end] + " open" + html[end:]


def inert_except_images(fragment: str) -> str:
    """Our HTML, its text out of Markdown's reach (`inert`), but for the Markdown images of
    figures, which the generator must still link."""
    images = re.compile(r"(!\[[^\]]*\]\([^)]*\)(?:\{[^}]*\})?)")
    parts = images.split(fragment)
    return "".join(part if number % 2 else inert(part) for number, part in enumerate(parts))


def _front_lines(text: str, body: str) -> int:
    """How many lines of the page's file stand before `body` (its Markdown without the front
    matter, as a generator hands it over): 0 when it is not the file's end."""
    return text.count("\n") - body.count("\n") if text.endswith(body) else 0


def _line_of(text: str, needle: str) -> int:
    """1-based line of `needle` in the source (0 when not found: a notebook's JSON, say)."""
    index = text.find(needle)
    return text.count("\n", 0, index) + 1 if index >= 0 else 0

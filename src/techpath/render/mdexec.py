"""markdown-exec's blocks, rendered as it renders them: what a block prints is Markdown (or HTML
with `html`, or a code block with `result`), shown with its source where `source` says, in
tabs named by `tabs`, converted with the site's own Markdown extensions. Every id the
conversion writes gets a prefix (`exec-N--`, or `idprefix` / `id`), headings can join the
page's table of contents (`updatetoc`), and the HTML goes through the site's HTML policy
(safety/policy.py) like the page's own prose, so a hostile block's output stays inert.

Unlike markdown-exec, nothing runs here: blocks ran in the page's own process (the engine), and
this only writes their results. Output that itself holds an executed fence (a block printing
```` ```python exec="1" ````) is an error: generated code is never run.
"""

from __future__ import annotations

import base64
import html
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from xml.etree.ElementTree import Element

import markdown
from markdown.treeprocessors import Treeprocessor

from techpath.model import BlockResult
from techpath.parse.fences import Fence, find_fences
from techpath.parse.mdexec import MdExec, truthy
from techpath.render import tree
from techpath.render.ansi import ansi_html
from techpath.safety.policy import STRICT, Profile, clean_html
from techpath.safety.svg import UnsafeSvg

_HEADING = re.compile(r"[hH][1-6]")
_TOKEN = "TECHPATHMDX{}Z"
_TOKEN_PATTERN = re.compile(r"(?:<p>)?TECHPATHMDX(\d+)Z(?:</p>)?")
ResultOf = Callable[[int], BlockResult | None]
CleanSvg = Callable[[bytes], bytes]
_SVG_TOKEN = re.compile(r"TECHPATHSVG\d+Z")
_SVG_TAG = re.compile(r"<(/?)svg\b[^>]*>", re.I)
_PROLOGUE = re.compile(r"(?:<\?xml[^>]*\?>\s*)?(?:<!DOCTYPE[^>]*>\s*)?\Z", re.I)
SVG_ADVICE = (
    "this block's HTML holds an inline SVG the HTML policy refuses ({count} parts removed: an inline "
    "SVG can carry scripts and styles for the whole page): let techpath capture the figure instead "
    "(plt.show() for matplotlib: it is saved and shown as an image), or save the SVG to a file "
    "next to the page and print an <img> of it"
)


@dataclass(frozen=True)
class Heading:
    """A heading a block wrote, for the page's table of contents."""

    level: int
    id: str
    title: str


@dataclass
class View:
    """A markdown-exec fence as HTML, the headings it adds to the contents, and what is wrong."""

    html: str
    headings: list[Heading] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


class _Ids(Treeprocessor):
    """Prefix every id (and the links to them), then note the headings: after `toc` made ids."""

    def __init__(self, md: markdown.Markdown) -> None:
        super().__init__(md)
        self.prefix = ""
        self.headings: list[Heading] = []

    def run(self, root: Element) -> None:
        for element in root.iter():
            if self.prefix:
                for name in ("id", "name"):
                    if element.get(name):
                        element.set(name, self.prefix + element.get(name, ""))
                href = element.get("href")
                if href and href.startswith("#"):
                    element.set("href", "#" + self.prefix + href[1:])
                if element.tag == "label" and element.get("for"):
                    element.set("for", self.prefix + element.get("for", ""))
            if _HEADING.fullmatch(str(element.tag)) and element.get("id"):
                title = element.get("data-toc-label") or "".join(
                    text for child in [element] for text in _text_without_permalink(child)
                )
                self.headings.append(Heading(int(str(element.tag)[1]), element.get("id", ""), title.strip()))


def _text_without_permalink(element: Element) -> Iterable[str]:
    if element.text:
        yield element.text
    for child in element:
        if "headerlink" not in (child.get("class") or ""):
            yield from _text_without_permalink(child)
        if child.tail:
            yield child.tail


class SiteMarkdown:
    """The site's Markdown extensions (names and their settings, as in mkdocs.yml), for
    converting blocks' output as the page's own text is converted."""

    def __init__(self, extensions: Iterable[Any], configs: Mapping[str, Any] | None = None) -> None:
        names: list[str] = []
        settings: dict[str, Any] = {}
        for entry in extensions:
            if isinstance(entry, str):
                names.append(entry)
            elif isinstance(entry, dict):  # {name: options}, as mkdocs.yml writes it
                for name, options in entry.items():
                    names.append(str(name))
                    settings[str(name)] = dict(options or {})
            # an extension object (another plugin's) keeps its state for the page: left out
        settings.update({k: dict(v or {}) for k, v in (configs or {}).items() if k in names})
        for needed in ("tables", "md_in_html", "pymdownx.superfences"):  # markdown-exec adds them too
            if needed not in names:
                names.append(needed)
        self.names = names
        self.settings = settings
        self._md: markdown.Markdown | None = None
        self._ids: _Ids | None = None
        self._generated: list[str] = []

    @property
    def tabbed(self) -> bool:
        return "pymdownx.tabbed" in self.names

    def _instance(self) -> tuple[markdown.Markdown, _Ids]:
        if self._md is None or self._ids is None:
            settings = {k: dict(v) for k, v in self.settings.items()}
            fences = settings.setdefault("pymdownx.superfences", {})
            fences["custom_fences"] = [*fences.get("custom_fences", []), *self._claims()]
            self._md = markdown.Markdown(extensions=self.names, extension_configs=settings)
            self._ids = _Ids(self._md)
            self._md.treeprocessors.register(self._ids, "techpath_mdexec_ids", 4)  # right after toc
        return self._md, self._ids

    def _claims(self) -> list[dict[str, Any]]:
        """Fences in a block's output that markdown-exec would have run or formatted: a tree is
        drawn; anything that would run is refused (the page runs only the code it shows)."""

        def validator(language: str, inputs: dict, options: dict, attrs: dict, md: Any) -> bool:
            claimed = language in ("tree", "pyodide") or truthy(inputs.get("exec", "no"))
            options.update(inputs)
            return claimed

        def formatter(src: str, language: str, class_name: str, options: dict, md: Any, **_: Any) -> str:
            if language == "tree":
                drawn, _icons = tree.draw(tree.parse_tree(src), options.get("icons", "basic"), material=False)
                return f'<div class="highlight"><pre><code>{html.escape(drawn)}</code></pre></div>'
            self._generated.append(language)
            return f"<pre><code>{html.escape(src)}</code></pre>"

        names = ("bash", "console", "md", "markdown", "py", "python", "pycon", "pyodide", "sh", "tree")
        return [{"name": n, "class": n, "validator": validator, "format": formatter} for n in names]

    def convert(self, text: str, prefix: str) -> tuple[str, list[Heading], list[str]]:
        """(HTML, headings, languages of generated fences that would have run)."""
        md, ids = self._instance()
        md.reset()
        ids.prefix, ids.headings, self._generated = prefix, [], []
        converted = md.convert(text)
        return converted, list(ids.headings), list(self._generated)


class ViewRenderer:
    """Renders one page's markdown-exec fences, numbering them as markdown-exec numbers its
    conversions (`exec-N--`), in page order."""

    def __init__(
        self,
        site: SiteMarkdown,
        result_of: ResultOf,
        clean_svg: CleanSvg | None = None,
        rules: Profile = STRICT,
    ) -> None:
        self.site = site
        self.rules = rules  # the site's HTML policy, which what a block prints is held to
        self.result_of = result_of
        self.clean_svg = clean_svg  # an SVG file's bytes, rebuilt without anything active
        self._count = 0
        self._images: dict[str, str] = {}

    def render(self, fence: Fence, first_block: int, number: int) -> View:
        """`fence` (a top-level markdown-exec fence) whose first block is `first_block` and which
        is the page's `number`-th (1-based, counting those inside literate blocks)."""
        self._count, self._images = number - 1, {}
        view = View("")
        view.html, view.headings = self._fence(fence, [first_block], view.problems, top=True)
        cleaned, violations = clean_html(view.html, self.rules)
        if violations and "<svg" in view.html.lower():  # one advice, not one line per SVG part
            view.problems.append(SVG_ADVICE.format(count=len(violations)))
        else:
            view.problems += [v.message for v in violations]
        # SVGs made images after the policy: what it would refuse in them the cleaner removed
        view.html = _SVG_TOKEN.sub(lambda m: self._images.get(m[0], ""), cleaned)
        return view

    def _svgs_as_images(self, output: str) -> str:
        """`output` (a block's HTML) with each SVG the cleaner accepts as an image token."""
        if self.clean_svg is None or "<svg" not in output.lower():
            return output
        pieces: list[str] = []
        at = 0
        for start, end in _svg_spans(output):
            image = svg_image(output[start:end], self.clean_svg)
            if image is None:
                continue
            token = f"TECHPATHSVG{len(self._images)}Z"
            self._images[token] = image
            pieces += [output[at:start], token]
            at = end
        return "".join(pieces) + output[at:]

    # -- one fence ---------------------------------------------------------------------------
    def _fence(
        self, fence: Fence, block: list[int], problems: list[str], top: bool
    ) -> tuple[str, list[Heading]]:
        spec = fence.mdexec
        assert spec is not None
        self._count += 1
        prefix = (
            spec.idprefix
            if spec.idprefix is not None
            else (f"{spec.id}-" if spec.id else f"exec-{self._count}--")
        )
        if spec.language == "tree":
            return self._tree(fence, spec, prefix, problems)
        stash: dict[str, str] = {}
        if spec.language in ("md", "markdown"):
            output: str | None = self._literate(fence, block, problems, stash)
        else:
            result = self.result_of(block[0])
            block[0] += 1
            if result is None or result.status in ("skipped", "not-run"):
                return self._convert(
                    _code_block(fence.language, fence.code, spec.extra), prefix, problems, stash
                )
            if result.error is not None:  # the error's panel follows the view; here what it printed
                printed = _printed(result)
                shown = (
                    _code_block("sh" if spec.interpreter != "python" else "text", printed) if printed else ""
                )
                return self._convert(shown, prefix, problems, stash) if shown else ("", [])
            output = _printed(result)
        if not output and not spec.source:
            return "", []
        if spec.html:
            token = _TOKEN.format(len(stash))
            stash[token] = self._svgs_as_images(output or "")
            output = f'<div class="{token}"></div>' if spec.source else token
            if not spec.source:
                return output.replace(token, stash[token]), []
        elif spec.result == "ansi" and spec.source != "console":  # terminal colours as classes
            token = _TOKEN.format(len(stash))
            stash[token] = ansi_html(output or "")
            output = token
        elif spec.result and spec.source != "console":
            output = _code_block(spec.result, output or "")
        if spec.source:
            problem = self._source_problem(spec)
            if problem:
                problems.append(problem)
                return "", []
            output = add_source(spec, spec.shown_code(fence.code), output or "")
        converted, headings = self._convert(output or "", prefix, problems, stash)
        return converted, headings if spec.updatetoc and top else []

    def _literate(self, fence: Fence, block: list[int], problems: list[str], stash: dict[str, str]) -> str:
        """An `md` block's text, its fences that run or are formatted replaced by their HTML."""
        lines = fence.code.split("\n")
        first = fence.start + 1
        for child in reversed(fence.children):
            start, end = child.start - first, child.end - first
            if child.kind == "mdexec" and child.closed:
                continue
            if child.kind == "plain" and child.closed:
                lines[start : end + 1] = [
                    f"{child.indent}{child.marker}{child.kept_info}",
                    *lines[start + 1 : end],
                    f"{child.indent}{child.marker}",
                ]
        rendered: list[tuple[Fence, str]] = []
        for child in fence.children:  # in page order: they ran in this order
            if child.kind == "mdexec" and child.closed:
                child_html, _ = self._fence(child, block, problems, top=False)
                rendered.append((child, child_html))
        for child, child_html in reversed(rendered):
            start, end = child.start - first, child.end - first
            token = _TOKEN.format(len(stash))
            stash[token] = child_html
            lines[start : end + 1] = ["", f"{child.indent}{token}", ""]
        return "\n".join(lines)

    def _tree(
        self, fence: Fence, spec: MdExec, prefix: str, problems: list[str]
    ) -> tuple[str, list[Heading]]:
        material = tree.material_icons() is not None and spec.icons != "basic"
        drawn, icons = tree.draw(tree.parse_tree(fence.code), spec.icons, material)
        converted, headings = self._convert(
            _code_block(spec.result or "bash", drawn, spec.extra), prefix, problems, {}
        )
        for number, name in enumerate(icons):
            converted = converted.replace(f"{tree.ICON_TOKEN}{number}X", tree.icon_svg(name), 1)
        return converted, headings

    def _source_problem(self, spec: MdExec) -> str:
        if spec.source.startswith("tabbed") and not self.site.tabbed:
            return (
                f'source="{spec.source}" writes its tabs with pymdownx.tabbed: add it to the site\'s '
                "markdown_extensions (alternate_style: true, as Material asks)"
            )
        return ""

    def _convert(
        self, text: str, prefix: str, problems: list[str], stash: dict[str, str]
    ) -> tuple[str, list[Heading]]:
        converted, headings, generated = self.site.convert(text, prefix)
        for language in generated:
            problems.append(
                f"this block's output holds an executed {language} fence: techpath runs only the code "
                "written in the page, never code a block prints; write that block into the page"
            )

        def fill(match: re.Match[str]) -> str:
            return stash.get(_TOKEN.format(match[1]), match[0])

        converted = re.sub(
            r'<div class="(TECHPATHMDX\d+Z)"></div>', lambda m: stash.get(m[1], m[0]), converted
        )
        return _TOKEN_PATTERN.sub(fill, converted), headings


def svg_image(markup: str, clean: CleanSvg) -> str | None:
    """An inline SVG as an image of it cleaned (an image runs no script and loads nothing; the
    cleaner is the one our figures go through), or None when it cannot be cleaned."""
    svg = markup[markup.lower().index("<svg") :]
    if "xmlns=" not in svg[: svg.index(">")]:  # inline HTML may leave it out; a file may not
        svg = '<svg xmlns="http://www.w3.org/2000/svg"' + svg[4:]
    try:
        cleaned = clean(svg.encode("utf-8"))
    except UnsafeSvg:
        return None
    data = base64.b64encode(cleaned).decode("ascii")
    return (
        f'<img class="techpath-svg" src="data:image/svg+xml;base64,{data}" '
        'alt="An SVG image the code above printed" style="max-width: 100%; height: auto">'
    )


def _svg_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each outermost <svg> element, with an XML prologue or doctype before it."""
    spans: list[tuple[int, int]] = []
    depth, start = 0, 0
    for tag in _SVG_TAG.finditer(text):
        if tag[1]:
            depth -= 1
            if depth == 0:
                spans.append((start, tag.end()))
        elif not tag[0].endswith("/>"):
            if depth == 0:
                prologue = _PROLOGUE.search(text, spans[-1][1] if spans else 0, tag.start())
                start = prologue.start() if prologue else tag.start()
            depth += 1
    return spans


def _printed(result: BlockResult) -> str:
    return "".join(o.text for o in result.outputs if o.kind == "stream" and o.name == "stdout")


def _code_block(language: str, code: str, extra: Iterable[tuple[str, str]] = ()) -> str:
    """`code` as a fenced block superfences reads whatever it holds (a fence longer than any
    run of backticks in it)."""
    runs = [len(m) for m in re.findall(r"`{3,}", code)]
    fence = "`" * max(8, max(runs, default=0) + 1)
    options = " ".join(f'{name}="{value}"' for name, value in extra)
    return f"{fence}{language} {options}".rstrip() + f"\n{code}\n{fence}"


def add_source(spec: MdExec, source: str, output: str) -> str:
    """The source placed with the output where `source=` says (markdown-exec's layouts)."""
    if spec.source == "console":
        return _code_block(spec.result or spec.language, source + "\n" + output, spec.extra)
    code = _code_block(spec.language, source, spec.extra)
    if spec.source == "above":
        return code + "\n\n" + output
    if spec.source == "below":
        return output + "\n\n" + code
    if spec.source in ("block", "material-block"):
        return code + f'\n\n<div class="result" markdown="1" >\n\n{output}\n\n</div>'
    tabs = [(spec.tabs[0], code), (spec.tabs[1], output)]
    if spec.source == "tabbed-right":
        tabs.reverse()
    parts = []
    for title, text in tabs:
        parts.append(f'=== "{title}"')
        parts.append("\n".join("    " + line if line else line for line in text.split("\n")))
        parts.append("")
    return "\n".join(parts)


def view_fences(text: str) -> list[Fence]:
    """The top-level markdown-exec fences of a text, in order."""
    return [f for f in find_fences(text) if f.kind == "mdexec" and f.closed]

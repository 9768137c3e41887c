"""One record per page: what the staging code knows about it, in small classes.

The MkDocs plugin used to keep seven dicts keyed by page path and reset them by hand; here a
page's post, result, place on the path, figures and downloads live together in a `PageRecord`,
and `SiteRecords` is the whole site for one build (a new build makes a new one).
"""

from __future__ import annotations

import hashlib
import posixpath
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from techpath.model import PageResult, Post
from techpath.render.figures import readable_width
from techpath.site.pages import PathEntry

FIGURE_DIR = "assets/figures"
DOWNLOAD_DIR = "assets/downloads"


@dataclass(frozen=True)
class Figure:
    """A figure a block produced: the file in the cache and where it goes in the docs tree."""

    name: str  # file name inside the result's figure folder
    source: Path
    uri: str  # docs-relative path, named by content so identical figures share one file
    width: int | None = None  # narrowest width (px) at which its smallest text stays readable

    @classmethod
    def from_result(cls, result: PageResult, name: str, natural_width: object = None) -> Figure:
        source = Path(result.figure_dir) / name
        data = source.read_bytes()
        digest = hashlib.sha256(data).hexdigest()[:16]
        width = None
        if source.suffix == ".svg" and str(natural_width or "").isdigit():
            width = readable_width(data, int(str(natural_width)))
        return cls(name, source, f"{FIGURE_DIR}/{digest}{source.suffix}", width)


@dataclass(frozen=True)
class Downloads:
    """The notebook and script a post offers, as docs-relative paths."""

    notebook: str
    script: str

    @classmethod
    def for_name(cls, name: str) -> Downloads:
        return cls(f"{DOWNLOAD_DIR}/{name}/{name}.ipynb", f"{DOWNLOAD_DIR}/{name}/{name}.py")


@dataclass
class PageRecord:
    """A page of the site: a blog post (with `entry`) or any other Markdown page."""

    uri: str  # docs-relative path of the staged Markdown page (a notebook post's ends in .md)
    source: Path  # the file as written: .md or .ipynb
    post: Post
    markdown: str  # the page's Markdown, front matter included (notebooks converted)
    entry: PathEntry | None = None  # place on the learning path; blog posts only
    result: PageResult | None = None
    figures: dict[str, Figure] = field(default_factory=dict)  # name in the result -> figure
    downloads: Downloads | None = None
    # markdown-exec's fences as the page was staged (render/markdown.py, ViewSlot), the headings
    # each added to the contents, and how to find their lines in the file
    views: list[Any] = field(default_factory=list)
    view_headings: dict[int, list[Any]] = field(default_factory=dict)
    front_lines: int = 0
    body_lines: Any = None  # parse/snippets.py Expanded, when the staged text was expanded
    moved: dict[str, str] = field(default_factory=dict)  # images published from outside the docs

    @property
    def is_post(self) -> bool:
        return self.entry is not None

    def link_to(self, uri: str) -> str:
        """A relative Markdown link from this page to another docs-relative path."""
        return posixpath.relpath(uri, posixpath.dirname(self.uri) or ".")

    def take_result(self, result: PageResult | None) -> None:
        """Attach the page's result and name its figures."""
        self.result = result
        self.figures = {}
        if result is None or not result.figure_dir:
            return
        for block in result.blocks:
            for output in block.outputs:
                if output.kind == "figure" and output.data["file"] not in self.figures:
                    name = output.data["file"]
                    self.figures[name] = Figure.from_result(result, name, output.data.get("width"))


@dataclass
class SiteRecords:
    """Every page of one build, in the order the site lists them."""

    pages: dict[str, PageRecord] = field(default_factory=dict)

    def add(self, record: PageRecord) -> None:
        self.pages[record.uri] = record

    def get(self, uri: str) -> PageRecord | None:
        return self.pages.get(uri)

    def posts(self) -> list[PageRecord]:
        return [r for r in self.pages.values() if r.is_post]

    def entries(self) -> list[PathEntry]:
        return [r.entry for r in self.pages.values() if r.entry is not None]

    def executable(self) -> list[PageRecord]:
        return [r for r in self.pages.values() if r.post.runs]

"""A search index that finds the lesson (Material's search plugin, with MkDocs).

Material indexes each page's sections by headings; techpath adjusts what it reads and adds what
it cannot know:

- Formulas are indexed once, as text: KaTeX writes each one three times (its HTML, MathML for
  screen readers, the TeX source), which made snippets read "z0z_0z0". Inline formulas keep
  their MathML text ("R2"), display formulas are left out (their words are in the prose).
- A math box is its own entry, titled with its question and linked to the box (techpath.js
  opens it), instead of anonymous text inside the section around it.
- A post's page entry gets a `concepts` field: the words of the math concepts it is the first
  on the learning path to declare (front matter `math:`), boosted above titles. "softmax"
  then finds the post that teaches it first (logistic regression) before the posts that use it.

The site's own weights (field boosts, a page's `search: boost`) are kept; techpath only adds
the `concepts` field to the index's configuration when the site did not set it."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

from techpath.site.markup import without_elements
from techpath.site.pages import PathEntry, ordered
from techpath.site.path_sections import PathSections

# What Material's search plugin removes from a page once it has indexed it.
SEARCH_ATTRIBUTES = re.compile(r'\s?data-search-\w+="[^"]+"')
# A concept is the post's topic: above a title (Material's 1000), because lunr favours short
# fields and a section titled "Check the gradient" in a later post outranked the post that
# teaches gradients at 1000 (measured with 32 posts; 3000 puts all 14 test queries first).
CONCEPT_BOOST = 3000.0
_KEEP = {"p", "code", "pre", "li"}  # the tags Material keeps in an entry's text
_SKIPPED = {"script", "style"}
_VOID = {"br", "hr", "img", "input", "meta", "link", "source", "wbr", "area", "col", "embed"}
_MATH_BOX = re.compile(r'<details class="math"(?P<attrs>[^>]*)>(?P<body>.*?)</details>', re.S)
_SUMMARY = re.compile(r"<summary>(.*?)</summary>", re.S)
_ID = re.compile(r'\bid="([^"]+)"')
# What Material would index three times (KaTeX's HTML and TeX beside its MathML), display
# formulas, and math boxes (entries of their own). Removed from the copy Material indexes:
# its `data-search-exclude` stops at the first nested element of the same tag.
_NOT_INDEXED = [
    (re.compile(r'<span\b[^>]*\bclass="katex-display"'), "span"),
    (re.compile(r'<span\b[^>]*\bclass="katex-html"'), "span"),
    (re.compile(r"<annotation\b"), "annotation"),
    (re.compile(r'<details\b[^>]*\bclass="math"'), "details"),
]
_STOP = {"a", "an", "and", "as", "at", "by", "for", "in", "is", "of", "on", "or", "the", "to", "with"}


def for_indexing(page_html: str) -> str:
    """`page_html` as Material's search should read it: without the formula copies, display
    formulas and math boxes (`math_box_entries` makes the boxes entries of their own)."""
    for opening, tag in _NOT_INDEXED:
        page_html = without_elements(page_html, opening, tag)
    return page_html


def math_box_entries(page_html: str, location: str, tags: Iterable[str] = ()) -> list[dict]:
    """One search entry per math box of a page: its question as title, its words as text."""
    entries = []
    for box in _MATH_BOX.finditer(page_html):
        anchor = _ID.search(box["attrs"])
        summary = _SUMMARY.search(box["body"])
        if anchor is None or summary is None:
            continue
        entry: dict = {
            "location": f"{location}#{anchor[1]}",
            "title": indexed_text(summary[1], keep_tags=False),
            "text": indexed_text(box["body"][summary.end() :]),
        }
        if tags:
            entry["tags"] = list(tags)
        entries.append(entry)
    return entries


def indexed_text(fragment: str, keep_tags: bool = True) -> str:
    """The words of an HTML fragment as Material's index holds them: escaped text, paragraph
    and code tags kept, formulas once (MathML text), display formulas and skipped parts out."""
    reader = _Words(keep_tags)
    reader.feed(for_indexing(fragment))
    reader.close()
    return re.sub(r"[ \t\n]+", " ", "".join(reader.out)).strip() if not keep_tags else reader.text()


class _Words(HTMLParser):
    def __init__(self, keep_tags: bool) -> None:
        super().__init__(convert_charrefs=True)
        self.keep_tags = keep_tags
        self.out: list[str] = []
        self._stack: list[tuple[str, bool]] = []  # (tag, skipped)

    def _skipping(self) -> bool:
        return any(skipped for _, skipped in self._stack)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _VOID:
            return
        skipped = tag in _SKIPPED or any(name == "data-search-exclude" for name, _ in attrs)
        self._stack.append((tag, skipped))
        if self.keep_tags and tag in _KEEP and not self._skipping():
            self.out.append(f"<{tag}>")

    def handle_endtag(self, tag: str) -> None:
        if not self._stack or self._stack[-1][0] != tag:
            return
        skipping = self._skipping()
        self._stack.pop()
        if self.keep_tags and tag in _KEEP and not skipping:
            self.out.append(f"</{tag}>")

    def handle_data(self, data: str) -> None:
        if not self._skipping():
            self.out.append(html.escape(data, quote=False))

    def text(self) -> str:
        joined = "".join(self.out)
        parts = re.split(r"(<pre>.*?</pre>)", joined, flags=re.S)  # code keeps its lines
        return "".join(p if p.startswith("<pre>") else re.sub(r"\s+", " ", p) for p in parts).strip()


def lesson_words(entries: list[PathEntry], sections: PathSections) -> dict[str, list[str]]:
    """post uri -> the words of its math concepts that no post before it on the path declares
    (the path first, in reading order, then the other sequences)."""
    seen: set[str] = set()
    found: dict[str, list[str]] = {}
    for entry in ordered(entries, sections):
        words = []
        for concept in entry.concepts:
            for word in map(_singular, re.findall(r"[a-z0-9]+", concept.lower())):
                if word not in seen and word not in _STOP and len(word) > 1:
                    seen.add(word)
                    words.append(word)
        found[entry.uri] = words
    return found


def _singular(word: str) -> str:
    """ "gradients" and "gradient" are one concept (a query for either matches the singular as a
    prefix); words such as "loss" and "variance" stay as they are."""
    if len(word) > 4 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


@dataclass
class SearchIndex:
    """What techpath adds to Material's search index over one build (kept across `serve`
    rebuilds, where only changed pages are rendered again): per page, its math box entries."""

    boxes: dict[str, list[dict]] = field(default_factory=dict)  # page location -> entries
    locations: dict[str, str] = field(default_factory=dict)  # docs path -> page location

    def page(self, uri: str, location: str, page_html: str, tags: Iterable[str] = ()) -> str:
        """Record the page's math boxes; return the copy of its HTML Material should index."""
        self.locations[uri] = location
        self.boxes[location] = math_box_entries(page_html, location, tags)
        return for_indexing(page_html)

    def write(self, index_file: Path, entries: list[PathEntry], sections: PathSections) -> bool:
        """Add the boxes and the posts' concepts to the index Material wrote (False: none)."""
        if not index_file.is_file():
            return False
        index = json.loads(index_file.read_text(encoding="utf-8"))
        docs = [d for d in index.get("docs", []) if "#math-" not in str(d.get("location", ""))]
        words = lesson_words(entries, sections)
        concepts = {
            self.locations[uri]: " ".join(w) for uri, w in words.items() if w and uri in self.locations
        }
        for doc in docs:
            if doc.get("location") in concepts:
                doc["concepts"] = concepts[doc["location"]]
        pages = {d.get("location"): d for d in docs}
        for location, boxes in self.boxes.items():
            page = pages.get(location)
            if page is None:  # a page left out of search (`search: exclude`) keeps its boxes out
                continue
            docs += [{**box, "boost": page["boost"]} if "boost" in page else box for box in boxes]
        index["docs"] = docs
        fields = index.setdefault("config", {}).setdefault("fields", {})
        fields.setdefault("concepts", {"boost": CONCEPT_BOOST})
        index_file.write_text(json.dumps(index, separators=(",", ":")), encoding="utf-8")
        return True

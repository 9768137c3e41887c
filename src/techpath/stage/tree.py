"""Writing what staging made: the staged docs folder (`write_tree`, `write_pages`), each post's
downloads, and the cleaned figures and package assets its pages link to (`files`)."""

from __future__ import annotations

import html
import json
import re
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from techpath.render.downloads import write_downloads
from techpath.safety import site as safety
from techpath.safety.files import Published
from techpath.safety.text import HTML_SIGNIFICANT, TEXT_FIELDS
from techpath.site.assets import package_assets
from techpath.stage.lifecycle import FRONT
from techpath.stage.outside_images import publish_outside_images
from techpath.stage.structure import PageRecord

if TYPE_CHECKING:
    from techpath.stage.stager import Stager


class TreeWriter:
    """Writes files; figures are cleaned into `scratch`, a folder of this build."""

    def __init__(self, stager: Stager) -> None:
        self.stager = stager
        self.scratch: Path | None = None  # cleaned figures of this build (see `files`)

    def files(self) -> dict[str, Path]:
        """Files the pages link to (the package's stylesheets and fonts, figures) that exist
        already: docs path -> source.
        Figures are copies in `scratch`, an SVG rebuilt without anything active (a figure that
        cannot be cleaned is left out, with an error)."""
        found = package_assets(self.stager.katex_dir)
        for record in self.stager.records.pages.values():
            found.update(self.figure_files(record))
        return found

    def figure_files(self, record: PageRecord) -> dict[str, Path]:
        """One page's cleaned figures: docs path -> source."""
        found: dict[str, Path] = {}
        for figure in record.figures.values():
            if self.scratch is None:
                self.scratch = Path(tempfile.mkdtemp(prefix="techpath-figures-"))
            target = self.scratch / figure.uri
            if not target.exists():
                safety.write_figure(figure.source, target, self.stager.error, self.stager.figure_memo)
            if target.exists():
                found[figure.uri] = target
        return found

    def write_downloads(self, record: PageRecord, docs: Path, page_url: str = "") -> list[str]:
        """Write the post's notebook and script under `docs`; their docs-relative paths.
        `page_url`: the post's URL relative to the site (the script names its post)."""
        if record.downloads is None:
            return []
        site_url = self.stager.site_url
        where = Path(record.downloads.notebook).parent
        folder = docs / where
        base = (site_url or "").rstrip("/")
        post_url = f"{base}/{page_url.lstrip('/')}" if base and page_url else ""
        folder_url = f"{base}/{where.as_posix()}/" if base else ""
        write_downloads(
            record.post, record.result, folder, site_url, self.stager.figure_memo, post_url, folder_url
        )
        return sorted(p.relative_to(docs).as_posix() for p in folder.iterdir() if p.is_file())

    def write_tree(self, out: Path) -> list[Path]:
        """The whole staged docs folder in `out`. Only files whose bytes change are written (a
        generator watching `out` then rebuilds only what changed); stale files are removed
        first. Returns the files written."""
        stager = self.stager
        wanted: dict[Path, bytes | Path] = {}
        staged = {r.source.resolve() for r in stager.records.pages.values()} | stager.left_out
        docs = stager.site.docs_dir.resolve()
        for path in docs.rglob("*"):
            if path.is_file() and path.resolve() not in staged:
                rel = path.relative_to(docs)
                published = stager.gate.publish(rel.as_posix(), path) if stager.gate else Published(path)
                for problem in published.problems:
                    stager.error(str(problem))
                if published.source is not None or published.data is not None:
                    wanted[out / rel] = published.data if published.data is not None else path
        downloads = out.parent / (out.name + ".downloads")
        for record in stager.records.pages.values():
            wanted.update(self._staged_files(record, out, downloads))
        for uri, source in self.files().items():
            wanted[out / uri] = source
        # Stale files go first: a generator watching `out` that rebuilds between the two steps
        # then misses a renamed page for a moment, never holds it twice (Zensical's serve
        # stopped on "page destination ... has multiple owners" when a post was renamed).
        if out.exists():
            for path in out.rglob("*"):
                if path.is_file() and path not in wanted:
                    path.unlink()
        written = [path for path, content in wanted.items() if _write_if_changed(path, content)]
        shutil.rmtree(downloads, ignore_errors=True)
        return written

    def write_pages(self, out: Path, uris: Iterable[str]) -> list[Path]:
        """Only these pages' staged files (page, downloads, figures) in the staged folder `out`,
        where their bytes changed (`techpath serve`, after `restage`). Returns the files written."""
        downloads = out.parent / (out.name + ".downloads-pages")
        records = [r for r in map(self.stager.records.get, uris) if r is not None]
        written = []
        # Its figures, then the page, written before its downloads are made: a generator
        # watching `out` (Zensical) starts rebuilding the page while they are.
        for record in records:
            images: dict[str, bytes | Path] = {}
            page = self._staged_page(record, images)  # waits for its result, which names its figures
            files: dict[Path, bytes | Path] = {
                out / n: f for n, f in (self.figure_files(record) | images).items()
            }
            files[out / record.uri] = page
            written += [path for path, content in files.items() if _write_if_changed(path, content)]
        for record in records:
            files = {out / uri: downloads / uri for uri in self.write_downloads(record, downloads)}
            written += [path for path, content in files.items() if _write_if_changed(path, content)]
        shutil.rmtree(downloads, ignore_errors=True)
        return written

    def _staged_files(self, record: PageRecord, out: Path, downloads: Path) -> dict[Path, bytes | Path]:
        """A page's staged Markdown and its downloads."""
        images: dict[str, bytes | Path] = {}
        found: dict[Path, bytes | Path] = {out / record.uri: self._staged_page(record, images)}
        found.update((out / uri, content) for uri, content in images.items())
        for uri in self.write_downloads(record, downloads):
            found[out / uri] = downloads / uri
        return found

    def _staged_page(self, record: PageRecord, images: dict[str, bytes | Path]) -> bytes:
        """A page's staged Markdown, its front matter escaped; the images it shows from outside
        the docs folder added to `images` (stage/outside_images.py)."""
        match = FRONT.match(record.markdown)
        front = match[1] if match else ""
        body = record.markdown[len(front) :]
        front = escaped_front_matter(front, record.post.meta)
        staged = self.stager.page_markdown(record.uri, body)
        if self.stager.gate is not None:
            gate, add = self.stager.gate, images.__setitem__
            staged = publish_outside_images(
                staged, record.source, record.uri, gate, add, self.stager.error, record.moved
            )
        return (front + staged).encode("utf-8")

    def remove_scratch(self) -> None:
        if self.scratch is not None:
            shutil.rmtree(self.scratch, ignore_errors=True)
            self.scratch = None


def escaped_front_matter(front: str, meta: dict) -> str:
    """The front matter with its displayed text fields HTML-escaped, for a generator that runs
    no plugin of ours (the templates print them unescaped; see safety/text.py). Each such field
    is written again as one JSON string, which YAML reads as the same scalar."""
    for name in TEXT_FIELDS:
        value = meta.get(name)
        # A title's apostrophes and ampersands stay: the blog makes its URL from the title, and
        # as text they cannot open a tag; < > and " can (and " ends an attribute).
        dangerous = set('<>"') if name == "title" else HTML_SIGNIFICANT
        if not isinstance(value, str) or not dangerous & set(value):
            continue
        line = re.compile(rf"^{name}:.*(?:\n[ \t]+.*)*$", re.M)
        replacement = f"{name}: {json.dumps(html.escape(value, quote=True))}"
        front = line.sub(lambda _m, text=replacement: text, front, count=1)
    return front


def _write_if_changed(path: Path, content: bytes | Path) -> bool:
    data = content.read_bytes() if isinstance(content, Path) else content
    if path.is_file() and path.stat().st_size == len(data) and path.read_bytes() == data:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return True

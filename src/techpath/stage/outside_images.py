"""Images a page shows from outside the docs folder, as Jupyter shows them.

A course keeps `notebooks/` as its docs folder and its figures beside it: a markdown cell's
`![](../figures/x.png)` shows in Jupyter (the file is there, relative to the notebook), but
MkDocs publishes only the docs folder, so the link would be broken. An image link of a page that
leads out of the docs folder is published when it stays inside the repository (the folder of the
site's configuration): under `PREFIX`, at its path in the repository, through the same gate as
every file of the docs folder (safety/files.py: its resolved path must stay in the repository and
out of `.git`, an SVG is cleaned or refused). The link is rewritten to the published copy. One
that leaves the repository (`../../../etc/passwd.png`, or a symlink out of it) is left out and
reported at the page, naming the link. Only images (by suffix) and only image syntax: a page
cannot publish any other file this way.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote

from techpath.parse.fences import in_prose, outside_code_spans

if TYPE_CHECKING:
    from techpath.safety.files import FileGate

PREFIX = "assets/techpath/repository"  # where the published copies go in the built site
IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".gif", ".webp", ".avif", ".bmp", ".ico", ".svg"})
_IMAGE = re.compile(r"(!\[[^\]\n]*\]\()(<[^>\n]+>|[^)\s]+)((?:\s+\"[^\"\n]*\")?\))")


def outside_images(
    markdown: str,
    page: Path,
    page_uri: str,
    docs_dir: Path,
    root: Path,
    publish: Callable[[str, Path], str | None],
    moved: dict[str, str] | None = None,
) -> tuple[str, list[str]]:
    """`markdown` (of the page at `page`, `page_uri` in the docs) with each image link that leads
    out of `docs_dir` pointing at its published copy. `publish(uri, path)` publishes the file at
    `path` as site file `uri` and returns None, or why it may not. Returns the markdown and a
    message for each image left out; `moved` gets each published uri -> the link as written (the
    HTML policy's messages about the page name the link as its author wrote it)."""
    docs, base = docs_dir.resolve(), root.resolve()
    refused: list[str] = []

    def replace(match: re.Match[str]) -> str:
        link = match.group(2)
        target = link[1:-1] if link.startswith("<") else link
        path_part = re.split(r"[?#]", target, maxsplit=1)[0]
        if not path_part or "://" in target or target.startswith(("/", "data:", "mailto:")):
            return match.group(0)
        if Path(path_part).suffix.lower() not in IMAGE_SUFFIXES:
            return match.group(0)
        lexical = Path(posixpath.normpath((page.parent.resolve() / unquote(path_part)).as_posix()))
        if lexical.is_relative_to(docs):
            return match.group(0)  # MkDocs publishes and checks it
        if not lexical.is_relative_to(base):
            refused.append(
                f"image {target} leads to {lexical}, outside the repository ({base}); "
                "nothing outside it is published: copy the image into the repository"
            )
            return match.group(0)
        if not lexical.is_file():
            return match.group(0)  # MkDocs reports the broken link as it does any other
        uri = f"{PREFIX}/{lexical.relative_to(base).as_posix()}"
        if problem := publish(uri, lexical):
            refused.append(f"image {target} is left out of the site: {problem}")
            return match.group(0)
        if moved is not None:
            moved[uri] = target
        new = posixpath.relpath(uri, posixpath.dirname(page_uri) or ".")
        return f"{match.group(1)}{new}{match.group(3)}"

    def rewrite(prose: str) -> str:  # image syntax shown as code (`![](../x.png)`) is text
        return "\n".join(
            outside_code_spans(line, lambda t: _IMAGE.sub(replace, t)) for line in prose.split("\n")
        )

    return in_prose(markdown, rewrite), refused


def publish_outside_images(
    markdown: str,
    page: Path,
    page_uri: str,
    gate: FileGate,
    add: Callable[[str, bytes | Path], None],
    error: Callable[[str], None],
    moved: dict[str, str] | None = None,
) -> str:
    """`outside_images` through the site's gate: `add(uri, content)` is called for each image
    the gate lets through (its cleaned bytes, or its path), `error` with each one left out,
    naming the page."""

    def publish(uri: str, path: Path) -> str | None:
        published = gate.publish(uri, path)
        if published.problems:
            return "; ".join(p.message.removeprefix("left out of the site: ") for p in published.problems)
        add(uri, published.data if published.data is not None else published.source or path)
        return None

    markdown, refused = outside_images(markdown, page, page_uri, gate.docs_dir, gate.root, publish, moved)
    for message in refused:
        error(f"{gate.shown(page)}: {message}")
    return markdown

"""Post lint: what a reviewer should not have to catch by eye.

In the prose: no raw <script>/<iframe>, inline event handlers or javascript: URLs; every image
has alt text; links to other pages point at files that exist. In the code: no downloads
(`fetch_*` datasets, URLs) — posts run offline. Across posts: no two posts share a slug.
"""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

from techpath.model import Post, Problem
from techpath.parse import load_post
from techpath.parse.fences import find_fences
from techpath.parse.frontmatter import PostSchema

_PROSE_RULES = [
    (re.compile(r"<\s*script\b", re.I), "raw <script> is not allowed in posts"),
    (re.compile(r"<\s*iframe\b", re.I), "raw <iframe> is not allowed in posts"),
    (
        re.compile(r"<[^>]*\son[a-z]+\s*=", re.I),
        "inline event handlers (onclick=...) are not allowed in posts",
    ),
    (re.compile(r"javascript\s*:", re.I), "javascript: URLs are not allowed in posts"),
]
_MD_IMAGE = re.compile(r"!\[(?P<alt>[^\]]*)\]\((?P<src>[^)\s]+)")
_HTML_IMG = re.compile(r"<img\b(?P<attrs>[^>]*)>", re.I)
_MD_LINK = re.compile(r"(?<!!)\[[^\]]*\]\((?P<target>[^)\s#]+)(?:#[^)\s]*)?(?:\s+\"[^\"]*\")?\)")
_CODE_RULES = [
    (re.compile(r"\bfetch_[a-z0-9_]+\s*\("), "downloads a dataset (fetch_*); use one that ships with "
     "scikit-learn (load_iris, load_digits, ...) or make_* / NumPy with a fixed seed"),
    (re.compile(r"\b(urlopen|urlretrieve)\s*\(|\brequests\.(get|post)\s*\(|\bhttpx\.\w+\s*\("),
     "downloads from the network; posts must run offline"),
    (re.compile(r"""\b(read_[a-z]+|load[a-z_]*|open)\s*\(\s*["']https?://"""),
     "reads a URL; posts must run offline"),
]  # fmt: skip


def load_checked_post(path: Path, schema: PostSchema | None = None) -> Post:
    """What the front ends load: the parsed post (`load_post`, pure) and, for blog posts, the
    lint pass's problems. Parsing never imports the linter, so there is no import cycle."""
    post = load_post(path, schema)
    if schema is not None:
        post.problems += lint_post(post)
    return post


def lint_post(post: Post) -> list[Problem]:
    shown = post.display_path
    problems: list[Problem] = []
    if post.path.suffix == ".md":
        problems += _lint_prose(post.text, shown, post.path.parent)
        boxes = len(re.findall(r"^\s*\?\?\?\+?\s+math\b", post.text, re.M))
    else:
        from techpath.parse.notebook import notebook_markdown

        boxes = len(re.findall(r"^\?\?\?\+?\s+math\b", notebook_markdown(post.path), re.M))
    concepts = post.meta.get("math", []) or []
    if isinstance(concepts, list) and len(concepts) != boxes:
        problems.append(
            Problem(
                shown,
                1,
                f"front matter lists {len(concepts)} math concepts but the post has {boxes} math boxes; "
                "list one concept per box, in order (math: [...])",
            )
        )
    for block in post.blocks:
        for offset, line in enumerate(block.source.split("\n"), start=1):
            for pattern, message in _CODE_RULES:
                if pattern.search(line):
                    where, number = _where(shown, block.cell, block.line + offset - 1, offset)
                    problems.append(Problem(where, number, message))
    return problems


def _where(shown: str, cell: int | None, file_line: int, cell_line: int) -> tuple[str, int]:
    return (f"{shown}:cell {cell}", cell_line) if cell is not None else (shown, file_line)


def _lint_prose(text: str, shown: str, folder: Path) -> list[Problem]:
    lines = text.split("\n")
    in_code = [False] * len(lines)
    for fence in find_fences(text):
        for i in range(fence.start, fence.end + 1):
            in_code[i] = True
    problems = []
    for number, line in enumerate(lines, start=1):
        if in_code[number - 1]:
            continue
        prose = re.sub(r"`[^`]*`", "", line)  # inline code may show HTML as an example
        for pattern, message in _PROSE_RULES:
            if pattern.search(prose):
                problems.append(Problem(shown, number, message))
        for image in _MD_IMAGE.finditer(prose):
            if not image["alt"].strip():
                problems.append(
                    Problem(shown, number, f"image {image['src']} has no alt text: ![what it shows](...)")
                )
        for tag in _HTML_IMG.finditer(prose):
            if not re.search(r"\balt\s*=\s*\"[^\"]+\"", tag["attrs"]):
                problems.append(Problem(shown, number, "<img> without alt text"))
        for link in _MD_LINK.finditer(prose):
            target = link["target"]
            if re.match(r"^[a-z]+:", target) or target.startswith("/"):
                continue
            if target.endswith(".ipynb"):
                page = Path(target).with_suffix(".md").as_posix()
                problems.append(Problem(shown, number, f"link to {target}: link notebook posts as {page}"))
            elif target.endswith(".md") and not _page_exists(folder / target):
                problems.append(Problem(shown, number, f"link to {target}: no such page"))
    return problems


def _page_exists(path: Path) -> bool:
    """A link to x.md reaches x.md, or the page made from the notebook x.ipynb."""
    return path.exists() or path.with_suffix(".ipynb").exists()


def lint_site(posts: list[Post]) -> list[Problem]:
    """Problems between posts: the same slug twice."""
    by_slug: dict[str, list[Post]] = defaultdict(list)
    for post in posts:
        slug = post.meta.get("slug") or _slugify(str(post.meta.get("title", post.path.stem)))
        by_slug[str(slug)].append(post)
    problems = []
    for slug, same in by_slug.items():
        if len(same) > 1:
            names = ", ".join(p.display_path for p in same)
            for post in same:
                problems.append(
                    Problem(
                        post.display_path,
                        1,
                        f"slug {slug!r} is used by several posts ({names}); "
                        "give each a unique slug: in its front matter",
                    )
                )
    return problems


def _slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")

"""The input gate: what every front end (the staging path, `techpath check` and `lint`, the pytest
plugin) loads a post through before anything runs, `load_checked_post`: the parsed post
(parse/post.py, pure), the site's run policy applied, and the post lint's problems.

The post lint is what a reviewer should not have to catch by eye. In the prose: the HTML policy
of `techpath.safety` (checked on the rendered Markdown of posts and of notebook markdown cells;
it also asks every image for alt text); links to other pages point at files that exist. In the
code: no downloads (`fetch_*` datasets, URLs): posts run offline. Across posts: no two posts
share a slug.
"""

from __future__ import annotations

import ast
import json
import re
from collections import defaultdict
from pathlib import Path

from techpath.model import Post, Problem
from techpath.parse import load_post
from techpath.parse.boxes import math_box_count
from techpath.parse.fences import find_fences
from techpath.parse.frontmatter import PostSchema, split_front_matter
from techpath.parse.policy import RunPolicy
from techpath.parse.snippets import Snippets
from techpath.safety.paths import confinement_problems
from techpath.safety.prose import ProseCheck
from techpath.safety.text import bidi_problem, line_break_problem

_MD_LINK = re.compile(r"(?<!!)\[[^\]]*\]\((?P<target>[^)\s#]+)(?:#[^)\s]*)?(?:\s+\"[^\"]*\")?\)")
_CODE_RULES = [
    (re.compile(r"\bfetch_[a-z0-9_]+\s*\("), "downloads a dataset (fetch_*); use one that ships with "
     "scikit-learn (load_iris, load_digits, ...) or make_* / NumPy with a fixed seed"),
    (re.compile(r"\b(urlopen|urlretrieve)\s*\(|\brequests\.(get|post)\s*\(|\bhttpx\.\w+\s*\("),
     "downloads from the network; posts must run offline"),
    (re.compile(r"""\b(read_[a-z]+|load[a-z_]*|open)\s*\(\s*["']https?://"""),
     "reads a URL; posts must run offline"),
]  # fmt: skip


def load_checked_post(
    path: Path,
    schema: PostSchema | None = None,
    policy: RunPolicy | None = None,
    snippets: Snippets | None = None,
    prose: ProseCheck | None = None,
    lint: bool = True,
) -> Post:
    """What the front ends load: the parsed post (`load_post`, pure; code read with the site's
    snippets expanded), the site's run policy applied (parse/policy.py) and the lint pass's
    problems (`lint_checks`; with `lint=False` the caller runs them later). Parsing never
    imports the linter, so there is no import cycle."""
    post = load_post(path, schema, snippets)
    if policy is not None:
        post = policy.apply(post)
    if lint:
        post.problems += lint_checks(post, schema, prose, snippets)
    return post


def lint_checks(
    post: Post, schema: PostSchema | None, prose: ProseCheck | None, snippets: Snippets | None = None
) -> list[Problem]:
    """The lint pass's problems: every check for blog posts (`schema` given), the site's HTML
    policy (`prose`, when given) for every other page."""
    if schema is not None:
        return lint_post(post, prose, snippets)
    if prose is not None:
        return lint_page(post, prose, snippets)
    return []


def lint_page(post: Post, prose: ProseCheck, snippets: Snippets | None = None) -> list[Problem]:
    """The HTML policy on a page's rendered prose (a Markdown page with its includes expanded,
    or each markdown cell of a notebook), each problem at file:line or file:cell N:line."""
    if post.path.suffix == ".md":
        return _policy(post.text, post.display_path, prose, snippets)
    return _notebook_policy(post.text, post.display_path, prose)


def lint_post(post: Post, prose: ProseCheck | None = None, snippets: Snippets | None = None) -> list[Problem]:
    shown = post.display_path
    prose = prose or ProseCheck()
    problems: list[Problem] = lint_page(post, prose, snippets)
    if post.path.suffix == ".md":
        problems += _lint_prose(post.text, shown, post.path.parent)
        boxes = math_box_count(post.text)
    else:
        from techpath.parse.notebook import notebook_markdown

        boxes = math_box_count(notebook_markdown(post.path))
    problems += [p for p in confinement_problems(post, Path.cwd()) if "slug" not in p.message]
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
    problems += _exercise_rebinds(post)
    problems += _invisible_characters(post)
    for block in post.blocks:
        for offset, line in enumerate(block.source.split("\n"), start=1):
            for pattern, message in _CODE_RULES:
                if pattern.search(line):
                    where, number = _where(shown, block.cell, block.file_line(offset), offset)
                    problems.append(Problem(where, number, message))
    return sorted(problems, key=lambda p: (p.path, p.line))


def _exercise_rebinds(post: Post) -> list[Problem]:
    """A starter or solution that rebinds a name a later block reads. On the page the exercise
    runs in a fork, but the downloads run the starter (notebook) or the solution (script)
    inline, so that later block would see another value there."""
    problems: list[Problem] = []
    for exercise in post.exercises:
        later = [
            b for b in post.blocks[exercise.solution + 1 :] if not b.options.exercise and not b.options.skip
        ]
        for part in ("starter", "solution"):
            block = post.blocks[getattr(exercise, part)]
            for name in sorted(_names(block.source)[0]):
                first = next(((b, r) for b in later if (r := _reads_first(b.source, name)) is not None), None)
                if first is None or not first[1]:  # no later block uses it, or one binds it first
                    continue
                reader = first[0]
                where, number = _where(post.display_path, block.cell, block.line, 1)
                read_at = f"cell {reader.cell}" if reader.cell is not None else f"line {reader.line}"
                problems.append(
                    Problem(
                        where,
                        number,
                        f'the {part} of exercise "{exercise.title}" rebinds `{name}`, which the block '
                        f"at {read_at} reads; the downloads run the {part} inline, so that block would "
                        "see another value there: give the answer a name of its own",
                    )
                )
    return problems


def _invisible_characters(post: Post) -> list[Problem]:
    """Line breaks other than \\n anywhere, and bidi controls where the HTML policy does not
    look (a Markdown post's front matter, a notebook's code and raw cells: the policy sees the
    rendered prose and code of a page)."""
    problems: list[Problem] = []
    if post.path.suffix == ".md":
        front, _ = split_front_matter(post.text, post.display_path)
        for number, line in enumerate(post.text.split("\n"), start=1):
            bidi = bidi_problem(line) if number <= front.body_start else None
            for message in (line_break_problem(line), bidi):
                if message:
                    problems.append(Problem(post.display_path, number, message))
        return problems
    from techpath.parse.notebook import cell_source

    try:
        cells = json.loads(post.text).get("cells", [])
    except (ValueError, AttributeError):
        return []
    for number, cell in enumerate(cells, start=1):
        if not isinstance(cell, dict):
            continue
        for offset, line in enumerate(cell_source(cell).split("\n"), start=1):
            bidi = bidi_problem(line) if cell.get("cell_type") != "markdown" else None
            for message in (line_break_problem(line), bidi):
                if message:
                    problems.append(Problem(f"{post.display_path}:cell {number}", offset, message))
    return problems


def _names(source: str) -> tuple[set[str], set[str]]:
    """(names bound, names read) at the top level of `source` (not inside functions, classes or
    comprehensions, whose names are their own)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set(), set()
    bound: set[str] = set()
    read: set[str] = set()
    scopes = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda, ast.comprehension)
    todo: list[ast.AST] = list(tree.body)
    while todo:
        node = todo.pop()
        if isinstance(node, ast.Name):
            (bound if isinstance(node.ctx, ast.Store) else read).add(node.id)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            bound |= {(a.asname or a.name).split(".")[0] for a in node.names}
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(node.name)
        if not isinstance(node, scopes):
            todo += list(ast.iter_child_nodes(node))
    return bound, read


def _reads_first(source: str, name: str) -> bool | None:
    """True: the block reads `name` without binding it; False: it binds it (what it reads after
    is its own); None: it does neither."""
    bound, read = _names(source)
    if name in bound:
        return False
    return True if name in read else None


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
        prose = re.sub(r"`[^`]*`", "", line)  # inline code may show a link as an example
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


def _policy(text: str, shown: str, prose: ProseCheck, snippets: Snippets | None = None) -> list[Problem]:
    """The HTML policy on the page's rendered prose (its body, after the front matter, with its
    includes expanded as the build expands them: a refusal in an included file is reported at
    the include's line)."""
    front, _ = split_front_matter(text, shown)
    body = "\n".join(text.split("\n")[front.body_start :])
    expanded = snippets.expand(body) if snippets is not None else None
    if expanded is None or not expanded.changed:
        return [Problem(shown, f.line, f.message) for f in prose.check(body, front.body_start + 1)]
    return [
        Problem(shown, front.body_start + expanded.page_line(f.line), f.message)
        for f in prose.check(expanded.text)
    ]


def _notebook_policy(text: str, shown: str, prose: ProseCheck | None = None) -> list[Problem]:
    """The HTML policy on each markdown cell of a notebook, reported as file:cell N:line."""
    from techpath.parse.notebook import cell_source, jupyter_math

    try:
        cells = json.loads(text).get("cells", [])
    except (ValueError, AttributeError):
        return []  # the notebook reader already reports unreadable files
    problems = []
    for number, cell in enumerate(cells, start=1):
        if isinstance(cell, dict) and cell.get("cell_type") == "markdown":
            # the cell as the page renders it (its inline math as Jupyter finds it; lines kept)
            for finding in (prose or ProseCheck()).check(jupyter_math(cell_source(cell))):
                problems.append(Problem(f"{shown}:cell {number}", finding.line, finding.message))
    return problems


def _page_exists(path: Path) -> bool:
    """A link to x.md reaches x.md, or the page made from the notebook x.ipynb."""
    return path.exists() or path.with_suffix(".ipynb").exists()


def lint_site(posts: list[Post], max_code_line: int = 0) -> list[Problem]:
    """Problems between posts (the same slug twice) and, with `max_code_line` > 0, code lines
    longer than the site allows (a block wider than the text column scrolls sideways)."""
    problems = [p for post in posts for p in code_line_problems(post, max_code_line)]
    by_slug: dict[str, list[Post]] = defaultdict(list)
    for post in posts:
        slug = post.meta.get("slug") or _slugify(str(post.meta.get("title", post.path.stem)))
        by_slug[str(slug)].append(post)
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


def code_line_problems(post: Post, limit: int) -> list[Problem]:
    """Every line over `limit` characters in a code block readers see: every fence of a Markdown
    post (Python or not, hidden blocks excepted), every code cell of a notebook post."""
    if limit <= 0:
        return []
    if post.path.suffix == ".md":
        blocks = [
            (None, fence.first_code_line, fence.code)
            for fence in find_fences(post.text)
            if not fence.options.hide
        ]
    else:
        blocks = [(b.cell, b.line, b.source) for b in post.blocks if not b.options.hide]
    problems = []
    for cell, first_line, code in blocks:
        for offset, line in enumerate(code.split("\n"), start=1):
            if len(line) > limit:
                where, number = _where(post.display_path, cell, first_line + offset - 1, offset)
                problems.append(
                    Problem(
                        where,
                        number,
                        f"code line is {len(line)} characters long; the limit is {limit} "
                        "(wrap it: break after a comma or an operator inside brackets)",
                    )
                )
    return problems


def _slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")

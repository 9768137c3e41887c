"""`techpath new "Title"`: a page that builds and checks green the moment it is created: a post in
the site's Material blog (its own folder, authors and categories) or, without a blog, a plain page."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from techpath.render.notebooks import markdown_cells, notebook_json, to_notebook

STAGES = {
    "1": "Drive a tool",
    "2": "Recipes from libraries",
    "3": "Implement it yourself",
    "essay": "Essays",
}


def slugify(title: str) -> str:
    text = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "post"


@dataclass
class NewPost:
    title: str
    category: str | None = None  # a name from categories_allowed, or its position from 1
    author: str | None = None  # an id from the blog's .authors.yml
    tags: tuple[str, ...] = ("draft",)
    notebook: bool = False
    exercise: bool = False  # add an exercise skeleton (its starter fails the check, its solution passes)


@dataclass(frozen=True)
class Target:
    """Where `techpath new` writes and what the site allows, read from the site's own mkdocs.yml."""

    folder: Path  # the blog's posts folder, or docs_dir for a site without a blog
    blog: bool = False
    authors: tuple[str, ...] = ()  # ids in the blog's .authors.yml, sorted
    categories: tuple[str, ...] = ()  # the blog's categories_allowed, in order
    authors_file: Path | None = None


class ScaffoldError(Exception):
    pass


def pick_category(request: NewPost, target: Target) -> str | None:
    allowed = target.categories
    if request.category is None:
        return allowed[0] if allowed else None
    if request.category.isdigit() and allowed:
        index = int(request.category)
        if not 1 <= index <= len(allowed):
            raise ScaffoldError(
                f"category {index}: your site has {len(allowed)} categories (1 to {len(allowed)})"
            )
        return allowed[index - 1]
    if allowed and request.category not in allowed:
        raise ScaffoldError(
            f"unknown category {request.category!r}; your site allows: {', '.join(allowed)} "
            "(categories_allowed of the blog plugin in mkdocs.yml)"
        )
    return request.category


def pick_author(request: NewPost, target: Target) -> str | None:
    if request.author is None:
        return target.authors[0] if target.authors else None
    if target.authors and request.author not in target.authors:
        where = target.authors_file.as_posix() if target.authors_file else "your blog's .authors.yml"
        raise ScaffoldError(
            f"author {request.author!r} is not in {where}; add an entry like\n\n"
            f"  {request.author}:\n    name: Your Name\n    description: One line about you\n"
            f"    avatar: assets/avatars/{request.author}.svg\n\nand put a small picture at that path."
        )
    return request.author


def create_post(request: NewPost, target: Target, today: dt.date | None = None) -> Path:
    """Write a blog post (site with a blog) or a plain page; refuses to overwrite."""
    category, author = pick_category(request, target), pick_author(request, target)
    slug = slugify(request.title)
    folder = target.folder
    path = folder / (f"{slug}.ipynb" if request.notebook else f"{slug}.md")
    others = [p for p in folder.glob(f"{slug}.*") if p.suffix in (".md", ".ipynb")]
    if others:
        raise ScaffoldError(
            f"{others[0].as_posix()} already exists; choose another title (nothing was written)"
        )
    day = today or dt.date.today()
    text = post_template(request, slug, day, category, author) if target.blog else page_template(request)
    folder.mkdir(parents=True, exist_ok=True)
    if request.notebook:
        path.write_text(notebook_json(to_notebook(markdown_cells(text), for_readers=False)), encoding="utf-8")
    else:
        path.write_text(text, encoding="utf-8")
    return path


RECIPE = """```python standalone
import numpy as np

rng = np.random.default_rng(0)
x = rng.normal(loc=5.0, scale=2.0, size=1000)
print(f"mean {x.mean():.2f}, standard deviation {x.std():.2f}")
```

```python hide
assert 4.8 < x.mean() < 5.2  # guards the number quoted below
```

The mean comes out close to 5, the centre we asked for.
"""


EXERCISE = """!!! exercise "Centre the numbers"

    One idea, two to four sentences: subtract the mean from `x` and store the result in
    `centred`, so that its mean is 0. Name the variables the checks read.

    ??? tip "Hint"
        One nudge, not the answer: NumPy subtracts a number from every element of an array.

    ```python starter
    centred = x
    ```

    ```python check
    assert centred.shape == x.shape, "keep one value for every number of x"
    assert abs(centred.mean()) < 1e-9, f"the mean of centred should be 0, not {centred.mean():.3f}"
    ```

    ```python solution
    centred = x - x.mean()
    print(f"mean after centring: {abs(centred.mean()):.3f}")
    ```
"""


def _recipe(request: NewPost) -> str:
    return RECIPE + ("\n" + EXERCISE if request.exercise else "")


def page_template(request: NewPost) -> str:
    """A plain page: only title and description, nothing a site without a blog would reject."""
    title = request.title.replace('"', "'")
    return f"""---
title: "{title}"
description: "One sentence: what the reader can do after this page."
---

# {request.title}

Two to four sentences: the problem the reader has and what this page gives them.

{_recipe(request)}"""


def post_template(
    request: NewPost, slug: str, today: dt.date, category: str | None, author: str | None
) -> str:
    """A Material blog post; authors and categories only when the site defines them."""
    tags = ", ".join(request.tags)
    title = request.title.replace('"', "'")
    lines = [f'title: "{title}"', 'description: "One sentence: what the reader can do after this post."']
    lines.append(f"date: {today.isoformat()}")
    if author:
        lines.append(f"authors: [{author}]")
    if category:
        lines.append(f"categories: [{category}]")
    lines += [f"tags: [{tags}]", "math: [Mean]", "order: 99", f"slug: {slug}"]
    head = "\n".join(lines)
    return f"""---
{head}
---

Two to four sentences: the problem a practitioner has and what this post gives them.

<!-- more -->

## The recipe

The smallest complete program that solves the problem. It must run when pasted alone.

{_recipe(request)}
??? math "What is the mean, exactly?"
    The mean of $n$ numbers $x_1, \\dots, x_n$ is

    $$
    \\bar{{x}} = \\frac{{1}}{{n}} \\sum_{{i=1}}^{{n}} x_i
    $$

    where $\\bar{{x}}$ is the mean and $\\sum$ adds the terms for $i$ from $1$ to $n$. Check it:

    ```python
    x.sum() / len(x), x.mean()
    ```

## What you learned

- One bullet per idea the reader can now use.
"""

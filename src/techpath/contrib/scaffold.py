"""`techpath new "Title"`: a post that builds and checks green the moment it is created."""

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
    stage: str = "1"
    author: str = "team"
    tags: tuple[str, ...] = ("draft",)
    notebook: bool = False


class ScaffoldError(Exception):
    pass


def create_post(request: NewPost, posts_dir: Path, authors: set[str], today: dt.date | None = None) -> Path:
    """Write the post; refuses to overwrite and explains how to fix an unknown author."""
    if request.stage not in STAGES:
        raise ScaffoldError(f"unknown stage {request.stage!r}; expected one of: {', '.join(STAGES)}")
    if authors and request.author not in authors:
        raise ScaffoldError(
            f"author {request.author!r} is not in docs/blog/.authors.yml; add an entry like\n\n"
            f"  {request.author}:\n    name: Your Name\n    description: One line about you\n"
            f"    avatar: assets/avatars/{request.author}.svg\n\nand put a small picture at that path."
        )
    slug = slugify(request.title)
    path = posts_dir / (f"{slug}.ipynb" if request.notebook else f"{slug}.md")
    others = [p for p in posts_dir.glob(f"{slug}.*") if p.suffix in (".md", ".ipynb")]
    if others:
        raise ScaffoldError(f"{others[0]} already exists; choose another title (nothing was written)")
    text = post_template(request, slug, today or dt.date.today())
    posts_dir.mkdir(parents=True, exist_ok=True)
    if request.notebook:
        path.write_text(notebook_json(to_notebook(markdown_cells(text))), encoding="utf-8")
    else:
        path.write_text(text, encoding="utf-8")
    return path


def post_template(request: NewPost, slug: str, today: dt.date) -> str:
    tags = ", ".join(request.tags)
    title = request.title.replace('"', "'")
    return f'''---
title: "{title}"
description: "One sentence: what the reader can do after this post."
date: {today.isoformat()}
authors: [{request.author}]
categories: [{STAGES[request.stage]}]
tags: [{tags}]
math: [Mean]
order: 99
slug: {slug}
---

Two to four sentences: the problem a practitioner has and what this post gives them.

<!-- more -->

## The recipe

The smallest complete program that solves the problem. It must run when pasted alone.

```python standalone
import numpy as np

rng = np.random.default_rng(0)
x = rng.normal(loc=5.0, scale=2.0, size=1000)
print(f"mean {{x.mean():.2f}}, standard deviation {{x.std():.2f}}")
```

```python hide
assert 4.8 < x.mean() < 5.2  # guards the number quoted below
```

The mean comes out close to 5, the centre we asked for.

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

Next on the path: link the next post, e.g. [Your first classifier](first-classifier.md).
'''

"""The set-up page's list of libraries stays complete as posts are added.

docs/setup.md checks, in a hidden block, that the libraries it tells readers to install are
exactly those the posts import. The page runs in a private folder holding only its declared
inputs, so it can only read the posts listed under `inputs:`; this test makes sure every post
is listed, so a new post cannot slip past that check.
"""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"


def front_matter(page: Path) -> dict:
    text = page.read_text(encoding="utf-8")
    _, header, _ = text.split("---\n", 2)
    return yaml.safe_load(header)


def test_every_post_is_an_input_of_the_setup_page() -> None:
    declared = {(DOCS / name).resolve() for name in front_matter(DOCS / "setup.md")["inputs"]}
    posts = {p.resolve() for suffix in ("*.md", "*.ipynb") for p in (DOCS / "blog" / "posts").glob(suffix)}
    missing = sorted(p.name for p in posts - declared)
    assert not missing, f"add these posts to the inputs of docs/setup.md: {missing}"
    gone = sorted(p.name for p in declared - posts)
    assert not gone, f"docs/setup.md declares inputs that are not posts: {gone}"

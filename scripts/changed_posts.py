"""The pages under docs/ changed since the base branch (committed, staged, edited or new), for
`make check`: `python scripts/changed_posts.py` prints them, `--check` runs `techpath check` on
them. The base is where this branch left main: `git merge-base HEAD REF` with REF from
`--base`, $TECHPATH_BASE, else origin/main, else main.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

PAGES = (".md", ".ipynb")
# Files a post reads (CONTENT.md, "Data files"): changing one changes that post's outputs only.
DATA = (".csv", ".tsv", ".txt", ".json", ".npy", ".npz", ".parquet")


def git(root: Path, *args: str) -> str | None:
    done = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True)
    return done.stdout if done.returncode == 0 else None


def base_commit(root: Path, ref: str | None) -> str | None:
    """The commit this branch started from, or None when no candidate ref exists."""
    for candidate in (ref, os.environ.get("TECHPATH_BASE"), "origin/main", "main"):
        if candidate:
            found = git(root, "merge-base", "HEAD", candidate)
            if found:
                return found.strip()
    return None


def changed_pages(root: Path, base: str, docs: str = "docs") -> list[str]:
    """Pages that differ from `base` in the working tree (deleted ones left out), and new ones
    git does not track yet: what a contributor wrote, committed or not."""
    edited = git(root, "diff", "--name-only", "--diff-filter=d", base, "--", docs) or ""
    new = git(root, "ls-files", "--others", "--exclude-standard", "--", docs) or ""
    names = {line.strip() for line in (edited + new).splitlines() if line.strip()}
    return sorted(n for n in names if n.endswith(PAGES) and (root / n).is_file())


def only_pages_changed(root: Path, base: str, docs: str = "docs") -> list[str] | None:
    """The changed pages, when every file changed since `base` (deleted, edited or new) is a
    page or a data file under docs/: what a contributor who wrote a post touches. None after
    any other change (a template, a stylesheet, an image, mkdocs.yml, the toolkit, a deleted
    page), which may change how every page looks."""
    edited = git(root, "diff", "--name-only", base) or ""
    new = git(root, "ls-files", "--others", "--exclude-standard") or ""
    for name in {line.strip() for line in (edited + new).splitlines() if line.strip()}:
        if not (name.startswith(docs + "/") and name.endswith(PAGES + DATA) and (root / name).is_file()):
            return None
    return changed_pages(root, base, docs)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", help="branch or commit this branch started from (default: main)")
    parser.add_argument("--check", action="store_true", help="run `techpath check` on them")
    args = parser.parse_args(argv)
    root = Path((git(Path.cwd(), "rev-parse", "--show-toplevel") or ".").strip()).resolve()
    base = base_commit(root, args.base)
    if base is None:
        print("changed_posts: no main branch to compare with; pass --base REF", file=sys.stderr)
        return 2
    pages = changed_pages(root, base)
    if not args.check:
        print("\n".join(pages))
        return 0
    if not pages:
        print(f"No page under docs/ changed since {base[:10]}: nothing to execute.")
        return 0
    print(f"Executing the {len(pages)} page(s) changed since {base[:10]}: {' '.join(pages)}", flush=True)
    techpath = Path(sys.executable).with_name("techpath")
    return subprocess.call([str(techpath), "check", *pages], cwd=root)


if __name__ == "__main__":
    sys.exit(main())

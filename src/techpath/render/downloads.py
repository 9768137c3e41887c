"""The "Download notebook / script" links under a post's title, and the files they point to."""

from __future__ import annotations

import html
import os
import re
import time
import zipfile
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

from techpath.model import PageResult, Post
from techpath.render.inline import fill_cells
from techpath.render.notebooks import (
    DataFiles,
    exercise_cells,
    notebook_json,
    post_cells,
    reader_cells,
    to_notebook,
    to_script,
)
from techpath.render.requirements import pip_line, requirements
from techpath.safety.paths import checked_download_name

_SUFFIX = {"notebook": ".ipynb", "script": ".py", "zip": ".zip", "solutions": "-solutions.ipynb"}


def download_file(name: str, kind: str) -> str:
    """The file name of one download: notebook, script, zip, or the exercises' solutions."""
    return name + _SUFFIX[kind]


def download_name(post: Post) -> str:
    """The file name of the post's downloads: its slug, or its file's name made plain (`odd
    name (1).md` gives `odd-name-1`); never a path (ValueError), see safety.paths."""
    slug = post.meta.get("slug")
    if slug:
        return checked_download_name(str(slug))
    plain = re.sub(r"[^A-Za-z0-9._-]+", "-", post.path.stem).strip("-.")
    return checked_download_name(re.sub(r"\.{2,}", ".", plain) or "post")


def download_links(
    post: Post,
    repo_url: str | None = None,
    site_url: str | None = None,
    href: Callable[[str], str] | None = None,
    notebook_path: str = "",
) -> str:
    """Links only: the site itself loads nothing from Colab or JupyterLite.
    `href("notebook" | "script" | "zip")`: where the files are, from the page (default: beside
    it); `notebook_path`: the notebook's path in the site, for JupyterLite's absolute URL."""
    name = download_name(post)
    where = href or (lambda kind: download_file(name, kind))
    links = [
        f'<a href="{html.escape(where("notebook"))}" download>Download notebook</a>',
        f'<a href="{html.escape(where("script"))}" download>Download script</a>',
    ]
    if post.exercises:  # the notebook has the exercises to do; this one has them done
        links.append(f'<a href="{html.escape(where("solutions"))}" download>Download solutions</a>')
    if post.inputs:  # the code reads data files: offer them laid out as the code expects
        links.append(
            f'<a href="{html.escape(where("zip"))}" download>Download notebook, script and data (.zip)</a>'
        )
    colab = colab_url(post, repo_url)
    if colab:
        links.append(f'<a href="{html.escape(colab)}">Open in Colab</a>')
    lite = jupyterlite_url(post, repo_url, site_url, notebook_path or f"{name}.ipynb")
    if lite:
        links.append(f'<a href="{html.escape(lite)}">Open in JupyterLite</a>')
    return (
        '<nav class="techpath-downloads" aria-label="Downloads" data-search-exclude>'
        + " · ".join(links)
        + "</nav>\n"
    )


def colab_url(post: Post, repo_url: str | None, branch: str = "main") -> str:
    """Colab opens notebooks stored on GitHub: offered for notebook posts of a GitHub repo."""
    if not repo_url or post.path.suffix != ".ipynb" or "github.com/" not in repo_url:
        return ""
    repo = repo_url.rstrip("/").split("github.com/", 1)[1]
    return f"https://colab.research.google.com/github/{repo}/blob/{branch}/{post.path.as_posix()}"


JUPYTERLITE = "https://jupyterlite.github.io/demo/lab/index.html"


def jupyterlite_url(post: Post, repo_url: str | None, site_url: str | None, notebook_path: str) -> str:
    """JupyterLite's public demo opens a notebook from a URL (`?fromURL=`): offered when the site
    is published (a repo_url, and a site_url other hosts can reach). `notebook_path`: the
    notebook's path in the site."""
    if not repo_url or not site_url or not site_url.startswith("https://"):
        return ""
    notebook = f"{site_url.rstrip('/')}/{notebook_path.lstrip('/')}"
    return f"{JUPYTERLITE}?fromURL={quote(notebook, safe='')}"


def write_downloads(
    post: Post,
    result: PageResult | None,
    folder: Path,
    site_url: str | None = None,
    figure_memo: Path | None = None,
    page_url: str = "",
    folder_url: str = "",
) -> None:
    """Write <name>.ipynb (with the executed outputs) and <name>.py into the page's folder
    (cleaned SVG figures kept in `figure_memo`: safety/svg.py, `kept_clean_svg`).
    `page_url`: the post's address, named at the top of the script (else `site_url`);
    `folder_url`: the address of the downloads' folder, for the data archive's link."""
    name = download_name(post)
    title = str(post.meta.get("title") or name)
    pins = requirements(post, result)
    data = data_files(post, name, folder_url)
    description = str(post.meta.get("description") or "")
    if data is not None:
        description = (description + "\n\n" if description else "") + data.sentence()
    head = (title, description, pip_line(pins))
    solutions = download_file(name, "solutions") if post.exercises else ""
    # The page shows title and description as text; so does the notebook (Jupyter renders the
    # HTML in a markdown cell), while the script's comments hold them as written.
    shown = (html.escape(head[0], quote=False), html.escape(head[1], quote=False), head[2])
    cells = reader_cells(exercise_cells(fill_cells(post_cells(post), result, "markdown"), solutions), *shown)
    # The script runs each exercise's solution and its checks, so running it proves them again.
    script_cells = reader_cells(exercise_cells(fill_cells(post_cells(post), result, "plain")), *head)
    figure_dir = Path(result.figure_dir) if result is not None and result.figure_dir else None
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.ipynb").write_text(
        notebook_json(to_notebook(cells, result, figure_dir, figure_memo)), encoding="utf-8"
    )
    if solutions:
        solved = exercise_cells(fill_cells(post_cells(post), result, "markdown"))
        solved_head = (f"{shown[0]}: solutions", *shown[1:])
        (folder / solutions).write_text(
            notebook_json(to_notebook(reader_cells(solved, *solved_head), result, figure_dir, figure_memo)),
            encoding="utf-8",
        )
    script = to_script(
        script_cells, title, page_url or site_url or "", result, pip_line(pins, magic=False), data
    )
    (folder / f"{name}.py").write_text(script, encoding="utf-8")
    if post.inputs:
        write_archive(post, folder, name)


def data_files(post: Post, name: str, folder_url: str = "") -> DataFiles | None:
    """The data files the post's code reads, relative to its folder, and the archive with them."""
    if not post.inputs:
        return None
    post_dir = post.path.resolve().parent
    names = tuple(
        os.path.relpath(p.resolve(), post_dir).replace(os.sep, "/") for p in post.inputs if p.is_file()
    )
    archive = download_file(name, "zip")
    return DataFiles(names, archive, f"{folder_url.rstrip('/')}/{archive}" if folder_url else "")


def write_archive(post: Post, folder: Path, name: str) -> Path:
    """<name>.zip: the notebook, the script and the post's data files, at the same places
    relative to each other as in the repository (the smallest folder holding them all), so
    `python <name>.py` run beside the script finds ../../data/x.csv as the post does."""
    post_dir = post.path.resolve().parent
    files = [p.resolve() for p in post.inputs if p.is_file()]
    base = Path(os.path.commonpath([post_dir, *(f.parent for f in files)]))
    archive = folder / f"{name}.zip"
    # Dated by their sources, not by when they were written (a scratch folder, each build):
    # the same sources make the same bytes, so `techpath serve` does not see a changed zip on
    # every restage (Zensical copies it silently and the preview waited for a build end).
    made = post.path.stat().st_mtime if post.path.is_file() else None
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        where = post_dir.relative_to(base)
        for kind in ("notebook", "script", "solutions"):
            file = download_file(name, kind)
            if kind != "solutions" or post.exercises:
                _add(zf, folder / file, (Path(name) / where / file).as_posix(), made)
        for data in files:
            _add(zf, data, (Path(name) / data.relative_to(base)).as_posix(), None)
    return archive


def _add(zf: zipfile.ZipFile, path: Path, arcname: str, mtime: float | None) -> None:
    """`path` into the archive, dated `mtime` (None: its own), never before 1980 (zip's epoch)."""
    info = zipfile.ZipInfo.from_file(path, arcname, strict_timestamps=False)  # dated by the file
    if mtime is not None:
        info.date_time = max(time.localtime(mtime)[:6], (1980, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    zf.writestr(info, path.read_bytes())

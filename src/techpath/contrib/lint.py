"""`techpath lint`'s file checks: what the build would leave out of the site among the files of the
docs folder (the posts' own checks are the input gate's, parse/gate.py)."""

from __future__ import annotations

from pathlib import Path

from techpath.model import Problem
from techpath.safety.files import FileGate
from techpath.safety.policy import Profile


def lint_files(
    root: Path,
    docs_dir: Path,
    config: dict,
    static_allow: list[str],
    paths: list[Path],
    rules: Profile | None = None,
) -> list[Problem]:
    """What the build would leave out of the site among the files `paths` name (default: the
    whole docs folder and the snippet folders): symlinks that leave the repository or reach
    .git (pages: cli.load_site_posts), active files (.html, .svg, .js, ...) the site does not
    allow, refusals of the HTML policy in allowed HTML files (safety/files.py)."""
    gate = FileGate.for_site(
        root.resolve(), docs_dir.resolve(), static_allow, config, *([rules] if rules else [])
    )
    docs = docs_dir.resolve()
    if not paths:
        from techpath.config import extension_options
        from techpath.safety.site import snippet_bases

        return gate.lint(docs, snippet_bases(extension_options(config.get("markdown_extensions") or [])))
    problems: list[Problem] = []
    for path in paths:
        absolute = path if path.is_absolute() else Path.cwd() / path
        if absolute.is_dir() and not absolute.is_symlink():
            problems += gate.lint(absolute)
        elif absolute.suffix not in (".md", ".ipynb") and absolute.parent.resolve().is_relative_to(docs):
            uri = (absolute.parent.resolve() / absolute.name).relative_to(docs).as_posix()
            problems += gate.publish(uri, absolute).problems
    return problems

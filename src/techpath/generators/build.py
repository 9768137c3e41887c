"""`techpath stage` and `techpath build`: stage the site, then let the chosen generator build it.

MkDocs builds with the techpath plugin (which calls the same staging code page by page);
ProperDocs and Zensical build the staged tree with a copy of mkdocs.yml that points at it and
lists no techpath plugin (Zensical would ignore it anyway; ProperDocs does not need it).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from techpath import environment
from techpath.config import SiteSettings, discover
from techpath.engine import Engine
from techpath.generators import yamlconfig
from techpath.generators.properdocs_hooks import NOTEBOOKS_FILE
from techpath.options import GENERATORS
from techpath.safety import site as safety
from techpath.safety.files import FileGate, docs_outside_problem
from techpath.site.assets import csp_sources, missing_extensions, scripts, stylesheets
from techpath.site.theme import finish_theme
from techpath.stage.notebook_links import nav_to_pages
from techpath.stage.options import engine_settings
from techpath.stage.stager import Stager

_RELATIVE_KEYS = ("docs_dir", "site_dir")
PROPERDOCS_HOOKS = Path(__file__).with_name("properdocs_hooks.py")


@dataclass
class Staged:
    config_file: Path  # the staged configuration, for the generator's -f
    docs_dir: Path
    site_dir: Path
    stager: Stager
    built_dir: Path | None = None  # where the generator writes, when it cannot write site_dir


def read_config(config_file: Path) -> dict[str, Any]:
    return yamlconfig.load(config_file.read_text(encoding="utf-8"))


def chosen_generator(config_file: Path) -> str:
    """The generator the site owner picked: `generator:` in the techpath plugin's options,
    overridden by $TECHPATH_GENERATOR."""
    site = SiteSettings.load(config_file.parent, config_file)
    name = environment.generator() or site.options.generator
    if name not in GENERATORS:
        raise SystemExit(f"{config_file}: generator must be one of {', '.join(GENERATORS)}, got {name!r}")
    return name


def stage(
    config_file: Path,
    out: Path,
    site_dir: Path | None = None,
    log=print,
    generator: str = "mkdocs",
    engine: Engine | None = None,
    site_url: str | None = None,
) -> Staged:
    """Run the engine over the site and write the staged docs tree and configuration in `out`
    (with `engine`: an engine kept from an earlier staging, warm; with `site_url`: the site's
    address replaced, as `mkdocs serve` replaces it with the address it serves at)."""
    root = config_file.resolve().parent
    site = SiteSettings.load(root, config_file)
    if problem := docs_outside_problem(config_file, site.docs_dir):
        raise SystemExit(f"ERROR: {problem}")  # else every page is refused and nothing built
    raw = read_config(config_file)
    if site_url is not None:
        raw["site_url"] = site_url
    # the downloads name the site as MkDocs reads site_url (`!ENV [SITE_URL, default]` resolved)
    site_url = yamlconfig.env_value(raw.get("site_url"))
    opts = site.options
    katex = (root / opts.katex_dir).resolve() if opts.typeset_math else None
    stager = Stager(
        site,
        engine_settings(root, site.docs_dir, opts),
        execute=opts.execute is not False,
        katex_dir=katex,
        repo_url=raw.get("repo_url"),
        site_url=site_url if isinstance(site_url, str) else None,
        info=log,
        error=lambda message: log(f"ERROR: {message}"),
    )
    for problem in safety.snippet_config_problems(site.mdx_configs, root):
        log(f"ERROR: {problem}")
    rules = safety.page_rules(opts, site.markdown_extensions)
    stager.gate = FileGate.for_site(root, site.docs_dir, opts.static_allow, raw, rules)
    fatal = stager.gate.fatal_problems(safety.snippet_bases(site.mdx_configs))
    if fatal:  # before anything is read through them
        raise SystemExit("\n".join(f"ERROR: {problem}" for problem in fatal))
    docs = site.docs_dir.resolve()
    stager.load(_readable_pages(stager, docs, log))
    stager.engine = engine
    stager.start()
    staged_docs = out / "docs"
    stager.write_tree(staged_docs)
    target = (site_dir or root / str(raw.get("site_dir", "site"))).resolve()
    # Zensical builds only inside the folder of its configuration: build there, move afterwards.
    built = (out / "site").resolve() if generator == "zensical" else target
    guard = bool(opts.content_security_policy)
    config = staged_config(raw, root, staged_docs.resolve(), built, katex is not None, guard)
    if "nav" in config:  # notebooks listed by their own names
        config["nav"] = nav_to_pages(config["nav"], stager.notebooks)
    for_generator(config, generator)
    if generator == "properdocs":  # its hooks name notebooks in its messages (properdocs_hooks.py)
        (out / NOTEBOOKS_FILE).write_text(json.dumps(sorted(stager.notebooks)), encoding="utf-8")
    staged_file = out / "mkdocs.yml"
    staged_file.write_text(yamlconfig.dump(config), encoding="utf-8")
    return Staged(staged_file, staged_docs, target, stager, built)


def for_generator(config: dict[str, Any], generator: str) -> None:
    """What one generator needs in the staged configuration besides what every one reads."""
    if generator == "properdocs":  # the blog's views convert each post's excerpt only, as with MkDocs
        config["hooks"] = [*(config.get("hooks") or []), str(PROPERDOCS_HOOKS)]
    if generator == "zensical" and isinstance(config.get("theme"), dict):
        # Zensical's default look is its "modern" variant; "classic" is Material's, which our
        # styles and the other two generators use. A site that names a variant keeps it.
        config["theme"].setdefault("variant", "classic")


def _readable_pages(stager: Stager, docs: Path, log=print) -> list[tuple[str, Path]]:
    """The docs folder's pages the gate lets be read (safety/files.py); the others reported."""
    pages = []
    for page in discover([docs]):
        if stager.gate is not None and (problem := stager.gate.read_problem(page)):
            log(f"ERROR: {problem}")  # a Problem prints as file:line: message
        else:
            pages.append((page.relative_to(docs).as_posix(), page))
    return pages


def restage(staged: Staged, log=print) -> list[Path]:
    """The whole site staged again by the same stager (`techpath serve`: its markers stay the
    same, so a staged file is rewritten only when the page it stands for changed). Returns the
    staged files written."""
    stager = staged.stager
    stager.load(_readable_pages(stager, stager.site.docs_dir.resolve(), log))
    stager.start()
    return stager.write_tree(staged.docs_dir)


def staged_config(
    raw: dict[str, Any], root: Path, docs: Path, site: Path, math: bool, frame_guard: bool = True
) -> dict[str, Any]:
    """The site's configuration pointed at the staged tree, without the techpath plugin."""
    config = dict(raw)
    # Relative to the staged configuration's folder (Zensical accepts nothing else).
    config["docs_dir"] = os.path.relpath(docs, docs.parent)
    config["site_dir"] = os.path.relpath(site, docs.parent) if site.is_relative_to(docs.parent) else str(site)
    theme = config.get("theme")
    if isinstance(theme, dict) and isinstance(theme.get("custom_dir"), str):
        theme["custom_dir"] = str((root / theme["custom_dir"]).resolve())
    plugins = []
    for entry in config.get("plugins") or []:
        name = entry if isinstance(entry, str) else next(iter(entry), "")
        if name != "techpath":
            plugins.append(entry)
    config["plugins"] = plugins
    config["extra_css"] = stylesheets(config.get("extra_css") or [], math)
    config["extra_javascript"] = scripts(config.get("extra_javascript") or [], frame_guard)
    config.pop("watch", None)
    extensions = list(config.get("markdown_extensions") or [])
    theme_name = theme.get("name") if isinstance(theme, dict) else theme
    config["markdown_extensions"] = extensions + missing_extensions(extensions, theme_name)
    return config


def finish_site(staged: Staged, report_name: str, site_dir: Path | None = None) -> safety.PagePolicies:
    """What the MkDocs plugin does as pages are written, for a site another generator built:
    the HTML phase of every page region (policy, contents, API links; stage/finish.py),
    accessible names for the theme's widgets, the CSP, and the execution report. Returns the
    pages' policies (for pages written again later, `finish_pages`)."""
    site_dir = site_dir or staged.site_dir
    policies = page_policies(staged)
    finish_pages(staged, policies, sorted(site_dir.rglob("*.html")))
    if policies_on(staged):
        policies.finish(site_dir)
    staged.stager.write_results(site_dir, report_name)
    return policies


def page_policies(staged: Staged) -> safety.PagePolicies:
    opts = staged.stager.site.options
    theme = read_config(staged.config_file).get("theme")
    theme = theme if isinstance(theme, dict) else {"name": theme}
    images = safety.image_sources(opts, staged.stager.site.markdown_extensions)
    return safety.PagePolicies(csp_sources(opts.csp_sources, theme.get("name"), theme.get("font"), images))


def policies_on(staged: Staged) -> bool:
    return bool(staged.stager.site.options.content_security_policy)


def finish_pages(staged: Staged, policies: safety.PagePolicies, pages: list[Path]) -> None:
    """The HTML phase and the CSP of these pages, in place."""
    csp = policies_on(staged)
    for page in pages:
        text = page.read_text(encoding="utf-8")
        done = finish_theme(staged.stager.finish_file(text))
        if csp:
            done = policies.add(done)
        if done != text:
            page.write_text(done, encoding="utf-8")


def generator_command(generator: str, config_file: Path, strict: bool) -> list[str]:
    """The command that builds `config_file` with `generator` (from this environment)."""
    bin_dir = Path(sys.executable).parent
    exe = str(bin_dir / generator) if (bin_dir / generator).exists() else generator
    if shutil.which(exe) is None:
        raise SystemExit(f"{generator} is not installed; `make venv` installs it from the lock file")
    command = [exe, "build", "-f", str(config_file)]
    if generator == "zensical":
        command.append("--clean")
    if strict and generator != "zensical":
        command.append("--strict")
    return command


def build(config_file: Path, generator: str, site_dir: Path | None, strict: bool, log=print) -> int:
    """Build the site with `generator`; exit status of the generator."""
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    if generator == "mkdocs":
        command = [*generator_command("mkdocs", config_file, strict)]
        if site_dir is not None:
            command += ["-d", str(site_dir)]
        return subprocess.call(command, env=env)
    root = config_file.resolve().parent
    out = root / ".cache" / "techpath" / "stage" / generator
    staged = stage(config_file, out, site_dir, log, generator)
    report = staged.stager.site.options.report
    try:
        status = subprocess.call(generator_command(generator, staged.config_file, strict), env=env, cwd=root)
        if status == 0 and staged.built_dir not in (None, staged.site_dir):
            shutil.rmtree(staged.site_dir, ignore_errors=True)
            shutil.copytree(staged.built_dir, staged.site_dir)
        if status == 0:
            finish_site(staged, report)
    finally:
        staged.stager.finish(keep_engine=False)
    return status

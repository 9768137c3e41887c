"""The preview of a site another generator builds from the staged tree (ProperDocs): the staging
code writes the staged pages, ProperDocs builds them in this process (`SiteBuilder`), and the
HTML phase and the CSP are applied to what it wrote, as `techpath build -g properdocs` does.

A save of one page: that page is staged again alone (`Stager.restage`, `write_pages`; only its
staged files whose bytes change are written), ProperDocs builds its staged page alone with the
state of its last build, and the HTML phase finishes the file. A whole build stages the site again
(only changed staged files are written) and builds it whole.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

from techpath.config import discover
from techpath.generators import highlight_memo
from techpath.generators.build import Staged, finish_pages, finish_site, restage, stage
from techpath.preview.address import serve_address
from techpath.preview.site_build import Built, SiteBuilder, front_matter, watched_paths
from techpath.safety.site import PagePolicies


class StagedBuilder:
    """What the preview loop asks of a builder, for a generator that builds the staged tree."""

    def __init__(self, generator: str, config_file: Path, host: str, port: int, work: Path, log) -> None:
        self.generator = generator
        self.config_file = config_file.resolve()
        self.root = self.config_file.parent
        self.out = self.root / ".cache" / "techpath" / "stage" / f"{generator}-serve"
        self.host, self.port, self.work = host, port, work
        self.log = log
        self.staged: Staged | None = None
        self.inner: SiteBuilder | None = None
        self.policies: PagePolicies | None = None
        self.fronts: dict[Path, str] = {}
        self.note = ""  # what the last `render` executed, for the terminal
        self._config_stamp = 0
        highlight_memo.install()  # each code block through Pygments once per process, as in MkDocs

    @property
    def mount(self) -> str:
        return self.inner.mount if self.inner is not None else "/"

    @property
    def docs(self) -> Path:
        assert self.staged is not None
        return self.staged.stager.site.docs_dir.resolve()

    def _staged_path(self, source: Path) -> Path | None:
        """The staged file made from `source` (a notebook's staged Markdown page)."""
        assert self.staged is not None
        if not source.resolve().is_relative_to(self.docs):
            return None
        uri = source.resolve().relative_to(self.docs).as_posix()
        if source.suffix == ".ipynb":
            uri = uri.removesuffix(".ipynb") + ".md"
        return self.staged.docs_dir / uri

    # -- builds ----------------------------------------------------------------------------------
    def full(self, previous: Built | None, cancelled: Callable[[], bool] = lambda: False) -> Built:
        stamp = self.config_file.stat().st_mtime_ns
        if self.staged is None or stamp != self._config_stamp:  # mkdocs.yml read again
            engine = self.staged.stager.engine if self.staged is not None else None
            if self.staged is not None:
                self.staged.stager.engine = None  # handed over to the new staging
                self.staged.stager.close_math()
            url, _mount = serve_address(self.config_file, self.host, self.port)
            self.staged = stage(
                self.config_file, self.out, self.out / "site", self.log, self.generator, engine, url
            )
            self._config_stamp = stamp
        else:  # the same stager: a staged file is written only when its page changed
            restage(self.staged, self.log)
        staged = self.staged
        self.fronts = {p.resolve(): front_matter(p) for p in discover([self.docs])}
        if self.inner is None:
            # The staged tree's build runs no plugin of ours: what the MkDocs plugin keeps between
            # builds in `serve` (compiled templates, highlighted code) is kept here. A folder of
            # its own: Jinja's bytecode does not record the environment that compiled it.
            templates = staged.stager.settings.cache_dir / f"templates-{self.generator}"
            self.inner = SiteBuilder(
                self.generator, staged.config_file, self.host, self.port, self.work, templates
            )
        built = self.inner.full(previous, cancelled)
        report = str(staged.stager.site.options.report)
        self.policies = finish_site(staged, report, built.site_dir)
        return built

    def render(self, built: Built, sources: list[Path]) -> tuple[list[str], dict[Path, str]]:
        assert self.staged is not None and self.inner is not None and self.policies is not None
        stager = self.staged.stager
        found = stager.restage((p.resolve().relative_to(self.docs).as_posix(), p) for p in sources)
        problems: dict[Path, str] = {}
        pages: dict[Path, Path] = {}  # staged page -> source
        for source in sources:
            uri = source.resolve().relative_to(self.docs).as_posix()
            record = found[uri]
            if record is None:
                problems[source] = "\n".join(stager.left_out_problems(source)) or f"{uri}: left out"
            else:
                pages[self.staged.docs_dir / record.uri] = source
        written_staged = stager.write_pages(
            self.staged.docs_dir, [p.relative_to(self.staged.docs_dir).as_posix() for p in pages]
        )
        written, failed = self.inner.render(built, list(pages))
        problems.update({pages[p]: why for p, why in failed.items()})
        # new figures, new downloads: files the generator would copy as they are
        for path in written_staged:
            name = path.relative_to(self.staged.docs_dir).as_posix()
            if path not in pages:
                target = built.site_dir / self._dest(built, path, name)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, target)
                written.append(target.relative_to(built.site_dir).as_posix())
        html = [built.site_dir / name for name in written if name.endswith(".html")]
        finish_pages(self.staged, self.policies, html)
        for source in pages.values():
            self.fronts[source.resolve()] = front_matter(source)
        self.note = stager.restage_note()
        return sorted(set(written)), problems

    def _dest(self, built: Built, staged_file: Path, name: str) -> str:
        file = built.file_for(staged_file)
        return file.dest_uri if file is not None else name

    # -- what the loop asks -------------------------------------------------------------------
    def docs_dir(self, built: Built) -> Path:
        return self.docs

    def can_render(self, built: Built, source: Path) -> bool:
        staged = self._staged_path(source)
        if staged is None or not source.is_file():
            return False
        file = built.file_for(staged)
        return (
            file is not None
            and file.page is not None
            and self.fronts.get(source.resolve()) == front_matter(source)
        )

    def copy_target(self, built: Built, source: Path) -> str | None:
        staged = self._staged_path(source)
        file = built.file_for(staged) if staged is not None else None
        return file.dest_uri if file is not None and not file.is_documentation_page() else None

    def dest_of(self, built: Built, source: Path) -> str | None:
        staged = self._staged_path(source)
        file = built.file_for(staged) if staged is not None else None
        return file.dest_uri if file is not None else None

    def left_out(self, built: Built) -> dict[Path, str]:
        assert self.staged is not None
        stager = self.staged.stager
        return {p: "\n".join(stager.left_out_problems(p)) or f"{p}: left out" for p in stager.left_out}

    def watched(self, built: Built) -> list[Path]:
        assert self.staged is not None and self.inner is not None
        staged_docs, staged_config = self.staged.docs_dir.resolve(), self.staged.config_file.resolve()
        paths = [
            p
            for p in watched_paths(built.config, self.staged.stager, self.root)
            if p not in (staged_docs, staged_config)
        ]
        return sorted({*paths, self.docs, self.config_file})

    def release(self, built: Built) -> None:
        assert self.inner is not None
        self.inner.release(built)

    def shutdown(self, built: Built) -> None:
        assert self.inner is not None
        self.inner.shutdown(built)
        if self.staged is not None:
            self.staged.stager.finish(keep_engine=False)

"""`techpath serve`: preview the site with the chosen generator, rebuilt on every save.

MkDocs serves with the plugin (its own watcher calls the staging code). For ProperDocs and
Zensical the generator serves the staged tree and rebuilds when a staged file changes; this
watcher re-stages the site when a source file changes. The engine stays warm between rounds
and its cache holds every unchanged post, so an edit to one post executes only that post, and
only staged files whose bytes changed are rewritten.
"""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

from techpath.stage.build import generator_command, stage

POLL_SECONDS = 0.5


def snapshot(folder: Path) -> dict[Path, float]:
    """Modification times of every file under `folder` (hidden folders skipped)."""
    return {
        p: p.stat().st_mtime
        for p in folder.rglob("*")
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(folder).parts)
    }


def serve(config_file: Path, generator: str, address: str = "127.0.0.1:8000") -> int:
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    if generator in ("mkdocs", "properdocs"):
        from techpath.preview.run import serve_in_process

        os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")
        return serve_in_process(config_file, generator, address)
    root = config_file.resolve().parent
    out = root / ".cache" / "techpath" / "stage" / f"{generator}-serve"
    staged = stage(config_file, out, out / "site", generator=generator)
    staged.stager.close_math()
    command = generator_command(generator, staged.config_file, strict=False)
    command[1] = "serve"
    command = [c for c in command if c != "--clean"] + ["-a", address]
    server = subprocess.Popen(command, env=env, cwd=root)  # snippets paths are relative to it
    docs = staged.stager.site.docs_dir
    seen = snapshot(docs)
    try:
        while server.poll() is None:
            time.sleep(POLL_SECONDS)
            now = snapshot(docs)
            if now == seen:
                continue
            changed = sorted(str(p.relative_to(docs)) for p in set(now) ^ set(seen) | {
                p for p in now if p in seen and now[p] != seen[p]
            })  # fmt: skip
            seen = now
            started = time.perf_counter()
            stager = staged.stager
            stager.load((p.resolve().relative_to(docs.resolve()).as_posix(), p) for p in _pages(docs))
            stager.start()
            written = stager.write_tree(staged.docs_dir)
            stager.close_math()
            print(
                f"techpath: {', '.join(changed)} changed; re-staged in "
                f"{time.perf_counter() - started:.1f} s, {len(written)} staged files rewritten",
                flush=True,
            )
    except KeyboardInterrupt:
        pass
    finally:
        server.terminate()
        server.wait(timeout=10)
        staged.stager.finish(keep_engine=False)
    return server.returncode or 0


def _pages(docs: Path) -> list[Path]:
    from techpath.config import discover

    return discover([docs])

"""`techpath serve`: preview the site with the chosen generator, served again on every save.

The loop lives in `techpath.preview` (docs/design.md, "The preview loop"): MkDocs (with the
plugin) and ProperDocs (through the staged tree) build in this process and keep their state
between saves; Zensical rebuilds the staged tree with its own incremental runtime.
"""

from __future__ import annotations

import os
from pathlib import Path


def serve(config_file: Path, generator: str, address: str = "127.0.0.1:8000") -> int:
    os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")
    if generator == "zensical":
        from techpath.preview.run import log_to_terminal, say
        from techpath.preview.zensical import serve_zensical

        log_to_terminal()
        return serve_zensical(config_file, address, say)
    from techpath.preview.run import serve_in_process

    return serve_in_process(config_file, generator, address)

"""`techpath serve` with MkDocs or ProperDocs: the preview loop in this process."""

from __future__ import annotations

import logging
import shutil
import signal
import sys
from pathlib import Path

from techpath.preview.address import parse_address
from techpath.preview.loop import PreviewLoop
from techpath.preview.server import PreviewServer
from techpath.preview.site_build import SiteBuilder, new_work_folder
from techpath.preview.staged import StagedBuilder


def serve_in_process(config_file: Path, generator: str, address: str) -> int:
    host, port = parse_address(address)
    log_to_terminal()
    work = new_work_folder()
    builder: SiteBuilder | StagedBuilder
    if generator == "mkdocs":  # the plugin stages each page as MkDocs builds it
        builder = SiteBuilder(generator, config_file, host, port, work)
    else:
        builder = StagedBuilder(generator, config_file, host, port, work, say)
    loop = PreviewLoop(builder, work / "served", say)
    server: PreviewServer | None = None

    def start_server() -> PreviewServer:
        nonlocal server
        server = PreviewServer(work / "served", host, port, builder.mount)
        server.start()
        return server

    signal.signal(signal.SIGTERM, _interrupt)  # `kill` ends the preview as Ctrl-C does: cleaned up
    try:
        loop.start(start_server)
        loop.run()
    except KeyboardInterrupt:
        say("stopped")
    finally:
        if server is not None:
            server.stop()
        loop.close()
        shutil.rmtree(work, ignore_errors=True)
    return 0


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def say(message: str) -> None:
    logger = logging.getLogger("mkdocs.techpath.serve")
    if message.startswith("ERROR: "):
        logger.error(message.removeprefix("ERROR: "))
    else:
        logger.info(message)


class _Format(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        level = record.levelname if record.levelno != logging.INFO else "INFO"
        prefix = f"{level:<8}-  "
        return prefix + record.getMessage().replace("\n", "\n" + " " * len(prefix))


def log_to_terminal() -> None:
    """MkDocs' own command line sets this up; here the build runs without it."""
    for name in ("mkdocs", "properdocs"):
        logger = logging.getLogger(name)
        if not any(getattr(h, "_techpath", False) for h in logger.handlers):
            handler = logging.StreamHandler(sys.stderr)
            handler.setFormatter(_Format())
            handler._techpath = True  # type: ignore[attr-defined]
            logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False

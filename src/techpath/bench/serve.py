"""Editing feel: with `mkdocs serve` running, how long after saving a post is its rebuilt page
served? Measured from outside, as a reader's browser would see it: poll the page over HTTP
until the new output appears."""

from __future__ import annotations

import html
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import IO

from techpath.bench.corpus import DEFAULT, Corpus, edit_one_post
from techpath.bench.measure import MARKER, stop_marked
from techpath.bench.reference import Reference, measure_reference
from techpath.bench.validity import TAG

POLL = 0.02  # seconds between requests: small against the latency measured
START_TIMEOUT = 900.0
EDIT_TIMEOUT = 300.0


def measure_serve(
    site: Path, env: dict[str, str], reference: Reference, edits: int, corpus: Corpus = DEFAULT
) -> list[float]:
    """Seconds from saving post 0 to its page showing the new output, for `edits` edits in a row.

    Each edit is new code (edit numbers 1, 2, ...), so each one re-executes the post as a
    contributor's change would. Only the first edit's printed line is known from `reference`;
    the others are computed here first, outside the timed part.
    """
    lines = [reference.edit_line] + [
        measure_reference(1, env, edit=e, corpus=corpus).edit_line for e in range(2, edits + 1)
    ]
    port = _free_port()
    command = [
        sys.executable,
        "-m",
        "mkdocs",
        "serve",
        "-f",
        str(site / "mkdocs.yml"),
        "-a",
        f"127.0.0.1:{port}",
    ]
    with tempfile.TemporaryFile() as log:  # a file, not a pipe: a full pipe would stall the server
        return _serve_and_edit(command, site, env, reference, lines, port, log, corpus)


def _serve_and_edit(
    command: list[str],
    site: Path,
    env: dict[str, str],
    reference: Reference,
    lines: list[str],
    port: int,
    log: IO[bytes],
    corpus: Corpus,
) -> list[float]:
    server = subprocess.Popen(command, cwd=site, env=env, stdout=subprocess.DEVNULL, stderr=log)
    url = f"http://127.0.0.1:{port}/post000/"
    latencies = []
    try:
        _wait_for(url, [reference.lines[0]], server, log, START_TIMEOUT)
        for edit, line in enumerate(lines, start=1):
            time.sleep(1.0)  # let the watcher settle after the previous rebuild
            edit_one_post(site, edit, corpus)
            saved = time.perf_counter()
            # The new code and its new output: the code alone shows the page was rebuilt even
            # if an edit happens to print the same accuracy as the one before.
            _wait_for(url, [f"n_samples={corpus.base_samples + edit}", line], server, log, EDIT_TIMEOUT)
            latencies.append(time.perf_counter() - saved)
    finally:
        _stop(server)
        stop_marked(env[MARKER])
        edit_one_post(site, 0, corpus)
    return latencies


def _wait_for(
    url: str, texts: list[str], server: subprocess.Popen[bytes], log: IO[bytes], timeout: float
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            log.seek(0)
            error = log.read().decode(errors="replace")
            raise RuntimeError(f"mkdocs serve exited ({server.returncode}):\n{error[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                page = html.unescape(TAG.sub("", response.read().decode(errors="replace")))
                if all(text in page for text in texts):
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(POLL)
    raise RuntimeError(f"{url} did not show {texts!r} within {timeout:.0f} s")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _stop(server: subprocess.Popen) -> None:
    """End `mkdocs serve`: politely first, then for certain."""
    server.terminate()
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()

"""`techpath bench --serve-post FILE --serve-url PATH`: on any site (ours, the generated 500-post
one), seconds from saving an edit of one post until its page is served, for each way of serving
the site, measured in the same run from outside over HTTP, as a browser sees it.

Servers: `techpath serve -g mkdocs|properdocs|zensical` (the incremental preview), and peers:
the previous behaviour, `mkdocs serve` with the plugin (every save rebuilds the whole site);
`zensical serve` alone on the staged tree (Zensical's own incremental rebuild of the same edit,
nothing executed); `mkdocs serve` with markdown-exec on the generated site's markdown-exec
flavour (bench/serve_scale.py). Edits: prose (a sentence appended: nothing executes, the
results come from the cache) and code (a Python block appended whose printed line is computed,
so it shows only once executed). For techpath serve, also the seconds until every page that
shows the post (blog views, search, feed) is up to date: the preview says so in
`.techpath-preview/state`.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from techpath.bench.serve import START_TIMEOUT, _free_port, _stop, _wait_for

SERVERS = ("mkdocs", "properdocs", "zensical", "mkdocs-serve", "zensical-serve", "markdown-exec")
PEER = "mkdocs-serve"  # the previous behaviour: `mkdocs serve`, a whole rebuild per save
PEERS = (PEER, "zensical-serve", "markdown-exec")  # no preview state to settle: served = done
NAMES = {
    PEER: "mkdocs serve (whole rebuild: the previous behaviour)",
    "zensical-serve": "zensical serve on the staged tree (peer, nothing executed)",
    "markdown-exec": "mkdocs serve with markdown-exec (peer)",
}
EDIT_TIMEOUT = 600.0


@dataclass
class ServeRow:
    server: str
    prose: list[float] = field(default_factory=list)
    prose_settled: list[float] = field(default_factory=list)
    code: list[float] = field(default_factory=list)
    code_settled: list[float] = field(default_factory=list)
    # the edited post's own execution in the warm process (the execution report's duration_s):
    # what a code edit cannot be served sooner than
    code_compute: list[float] = field(default_factory=list)
    first_build: float = 0.0

    def as_json(self) -> dict[str, object]:
        keys = ("server", "first_build", "prose", "prose_settled", "code", "code_settled", "code_compute")
        return {k: getattr(self, k) for k in keys}


def server_command(server: str, config: Path, port: int) -> list[str]:
    if server in (PEER, "markdown-exec"):
        return [sys.executable, "-m", "mkdocs", "serve", "-f", str(config), "-a", f"127.0.0.1:{port}"]
    if server == "zensical-serve":
        zensical = str(Path(sys.executable).with_name("zensical"))
        return [zensical, "serve", "-f", str(config), "-a", f"127.0.0.1:{port}"]
    cli = [sys.executable, "-m", "techpath.cli", "serve", "-f", str(config), "-g", server]
    return [*cli, "-a", f"127.0.0.1:{port}"]


def prose_edit(edit: int, run: str) -> tuple[str, str]:
    """(text appended to the post, text its page then shows)."""
    marker = f"Bench prose edit {edit} of {run}."
    return f"\n\n{marker}\n", marker


def code_edit(edit: int, run: str, fence: str = "python") -> tuple[str, str]:
    """A block whose output differs from its source: the page shows it only once it ran. `run`
    is new for every server measured: the same code again would be answered by the cache.
    `fence`: the fence's info string (markdown-exec's is `python exec="on"`)."""
    source = f'print("Bench code edit {edit} of {run}:", 6 * 7)'
    return f"\n\n```{fence}\n{source}\n```\n", f"Bench code edit {edit} of {run}: 42"


def measure_server(
    server: str,
    site: Path,
    config: Path,
    post: Path,
    url_path: str,
    env: dict[str, str],
    edits: int,
    code: bool,
    fence: str = "python",
) -> ServeRow:
    """Start `server` on the site, then `edits` prose edits and (if `code`) `edits` code edits
    of `post`, each timed from the save to its page showing it. The post is restored after."""
    original = post.read_bytes()
    port = _free_port()
    base = f"http://127.0.0.1:{port}/"
    url = base + url_path.strip("/") + "/"
    row = ServeRow(server)
    run = f"{server} {os.getpid()}.{time.time_ns()}"  # no edit repeats one of another server
    kinds = [("prose", prose_edit)] + ([("code", lambda e, r: code_edit(e, r, fence))] if code else [])
    with tempfile.TemporaryFile() as log:  # a file, not a pipe: a full pipe would stall it
        process = subprocess.Popen(
            server_command(server, config, port), cwd=site, env=env, stdout=subprocess.DEVNULL, stderr=log
        )
        try:
            started = time.perf_counter()
            _wait_for(url, [], process, log, START_TIMEOUT)
            row.first_build = time.perf_counter() - started
            _settle(server, base, process, log)
            count = 0
            for kind, make in kinds:
                for _ in range(edits):
                    count += 1
                    appended, shown = make(count, run)
                    time.sleep(1.0)  # let the watcher settle after the previous round
                    post.write_bytes(original + appended.encode())
                    saved = time.perf_counter()
                    _wait_for(url, [shown], process, log, EDIT_TIMEOUT)
                    getattr(row, kind).append(time.perf_counter() - saved)
                    _settle(server, base, process, log)
                    if server != "zensical-serve":  # timed to the page only (see _settle)
                        getattr(row, f"{kind}_settled").append(time.perf_counter() - saved)
                    if kind == "code" and server not in PEERS:
                        row.code_compute += _post_compute(base, post, site)
        finally:
            post.write_bytes(original)
            _stop(process)
    return row


def _post_compute(base: str, post: Path, site: Path) -> list[float]:
    """The seconds the settled site's execution report gives the post (its last execution):
    [] when the report is not at its default place or does not name the post."""
    try:
        with urllib.request.urlopen(base + "techpath-report.json", timeout=5) as response:
            rows = json.loads(response.read()).get("posts", [])
    except (urllib.error.URLError, ConnectionError, TimeoutError, ValueError, AttributeError):
        return []
    relative = post.resolve().relative_to(site.resolve()).as_posix()
    found = [r for r in rows if isinstance(r, dict) and relative.endswith(str(r.get("path", "\0")))]
    return [float(found[0]["duration_s"])] if len(found) == 1 else []


def _settle(server: str, base: str, process: subprocess.Popen[bytes], log: IO[bytes]) -> None:
    """Until techpath serve says every save is shown everywhere (twice, a moment apart).
    A peer has no such state (`mkdocs serve` serves a page only once the whole site is rebuilt;
    `zensical serve` is timed to the page only): nothing to wait for."""
    if server in PEERS:
        return
    deadline = time.monotonic() + EDIT_TIMEOUT
    last = None
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log.seek(0)
            raise RuntimeError(f"{server} exited:\n{log.read().decode(errors='replace')[-3000:]}")
        try:
            with urllib.request.urlopen(base + ".techpath-preview/state", timeout=5) as response:
                state = json.loads(response.read())
        except (urllib.error.URLError, ConnectionError, TimeoutError, ValueError):
            state = None
        if state and state["settled"]:
            if last == state["epoch"]:
                return
            last = state["epoch"]
            time.sleep(0.2)
            continue
        last = None
        time.sleep(0.05)
    raise RuntimeError(f"{server} did not settle within {EDIT_TIMEOUT:.0f} s")


def format_rows(rows: list[ServeRow]) -> str:
    def cell(values: list[float]) -> str:
        if not values:
            return "-"
        return f"{statistics.median(values):.2f} ({min(values):.2f}-{max(values):.2f})"

    peer = next((r for r in rows if r.server == PEER and r.prose), None)
    lines = [
        "| server | first build s | prose edit -> page served s | all pages up to date s "
        "| code edit -> page served s | the post's compute s | all pages up to date s "
        "| prose vs mkdocs serve |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        name = NAMES.get(row.server, f"techpath serve -g {row.server}")
        ratio = "-"
        if peer is not None and row.prose:
            ratio = f"{statistics.median(peer.prose) / statistics.median(row.prose):.1f}x faster"
            ratio = "1.0x" if row is peer else ratio
        lines.append(
            f"| {name} | {row.first_build:.1f} | {cell(row.prose)} | {cell(row.prose_settled)} "
            f"| {cell(row.code)} | {cell(row.code_compute)} | {cell(row.code_settled)} | {ratio} |"
        )
    return "\n".join(lines)


def size_ratios(small: list[ServeRow], big: list[ServeRow]) -> str:
    """Each server's median on the big site over its median on the small one, per column."""
    lines = [
        "| server | prose edit -> page | all pages up to date | code edit -> page |",
        "|---|---|---|---|",
    ]
    by_server = {row.server: row for row in small}
    for row in big:
        other = by_server.get(row.server)
        if other is None:
            continue
        cells = []
        for kind in ("prose", "prose_settled", "code"):
            a, b = getattr(other, kind), getattr(row, kind)
            cells.append(f"{statistics.median(b) / statistics.median(a):.2f}" if a and b else "-")
        lines.append(
            f"| {NAMES.get(row.server, f'techpath serve -g {row.server}')} | " + " | ".join(cells) + " |"
        )
    return "\n".join(lines)

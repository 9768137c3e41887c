"""The preview's HTTP server: serves a folder of built files and tells open pages when to reload.

Files are only ever replaced by renaming a finished file over the old one (preview/sync.py), so a
request reads either the old page or the new one, never half of one. Every HTML page gets one
`<script src=...>` before `</body>`: the page's Content-Security-Policy allows scripts from the
site only, so MkDocs' inline live-reload script would be refused. The script long-polls
`poll?epoch=N` and reloads only when its own page changed (or when something every page loads
did), and shows the current build error over the page.
"""

from __future__ import annotations

import json
import mimetypes
import posixpath
import threading
import time
import urllib.parse
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

PREFIX = "/.techpath-preview/"
SCRIPT = Path(__file__).with_name("livereload.js")
POLL_SECONDS = 25.0
HISTORY = 200  # epochs remembered for pages that poll late; older pages reload whatever changed


@dataclass(frozen=True)
class Change:
    epoch: int
    urls: frozenset[str]  # URL paths of the pages that changed ("/blog/x/")
    everything: bool  # something every page loads changed (a stylesheet, a script)


class PreviewServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, root: Path, host: str, port: int, mount: str = "/") -> None:
        self.root = root.resolve()
        self.mount = "/" + mount.strip("/") + "/" if mount.strip("/") else "/"
        self._cond = threading.Condition()
        self._epoch = int(time.time() * 1000)
        self._history: deque[Change] = deque(maxlen=HISTORY)
        self._error = ""
        self.settled = True  # no save waits to be shown everywhere (tests and the bench read it)
        super().__init__((host, port), _Handler)
        self._thread = threading.Thread(target=self.serve_forever, name="techpath-http", daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}{self.mount}"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self.shutdown()
        self.server_close()

    # -- what the build tells the pages ----------------------------------------------------
    def changed(self, files: list[str]) -> None:
        """Files (paths relative to the served folder) were replaced: open pages showing one of
        them reload; a change to anything else a page loads reloads every page."""
        if not files:
            return
        urls = frozenset(self.mount + page_url(f) for f in files if f.endswith(".html"))
        everything = any(_reloads_every_page(f) for f in files)
        self._publish(Change(self._next_epoch(), urls, everything))

    def set_error(self, text: str) -> None:
        """The build error every open page shows ("" clears it)."""
        if text != self._error:
            self._error = text
            self._publish(Change(self._next_epoch(), frozenset(), False))

    def _next_epoch(self) -> int:
        return max(self._epoch + 1, int(time.time() * 1000))

    def _publish(self, change: Change) -> None:
        with self._cond:
            self._history.append(change)
            self._epoch = change.epoch
            self._cond.notify_all()

    def state_after(self, epoch: int, timeout: float) -> dict[str, object]:
        """What changed after `epoch`, waiting up to `timeout` seconds for something to."""
        with self._cond:
            self._cond.wait_for(lambda: self._epoch > epoch, timeout=timeout)
            newer = [c for c in self._history if c.epoch > epoch]
            # a page older than every remembered change may have missed some: it reloads
            lost = len(self._history) == HISTORY and self._history[0].epoch > epoch
            urls = sorted({u for c in newer for u in c.urls})
            everything = lost or any(c.everything for c in newer)
            return {
                "epoch": self._epoch,
                "changed": urls,
                "all": everything,
                "error": self._error,
                "settled": self.settled,
            }

    # -- files -------------------------------------------------------------------------------
    def resolve(self, url_path: str) -> tuple[Path | None, str | None]:
        """(file to serve, or None; a redirect target, or None)."""
        if not (url_path + "/").startswith(self.mount):
            return None, (self.mount if url_path in ("", "/") else None)
        relative = posixpath.normpath("/" + url_path[len(self.mount) :]).lstrip("/")
        if url_path.endswith("/") and relative not in ("", "."):
            relative += "/index.html"
        elif relative in ("", "."):
            relative = "index.html"
        path = (self.root / relative).resolve()
        if not path.is_relative_to(self.root):
            return None, None
        if path.is_dir():
            return None, url_path + "/" if (path / "index.html").is_file() else None
        return (path if path.is_file() else None), None

    def page_bytes(self, path: Path) -> bytes:
        data = path.read_bytes()
        if path.suffix != ".html":
            return data
        tag = f'<script src="{PREFIX}livereload.js?epoch={self._epoch}"></script>'.encode()
        end = data.rfind(b"</body>")
        return data[:end] + tag + data[end:] if end >= 0 else data + tag


def page_url(file: str) -> str:
    """ "blog/x/index.html" -> "blog/x/"; "404.html" stays."""
    return file[: -len("index.html")] if file == "index.html" or file.endswith("/index.html") else file


def _reloads_every_page(file: str) -> bool:
    """A stylesheet, script, font or theme image every page may load; not a page, not a
    content-addressed figure or download (a page that shows a new one changed too), not the
    search index, feed or sitemap (no page shows them)."""
    if file.endswith((".html", ".json", ".xml", ".xml.gz", ".map")):
        return False
    return not file.startswith(("assets/figures/", "assets/downloads/", "search/"))


class _Handler(BaseHTTPRequestHandler):
    server: PreviewServer

    def log_message(self, format: str, *args: object) -> None:
        pass  # the terminal is for the build's messages

    def do_HEAD(self) -> None:
        self._get(head=True)

    def do_GET(self) -> None:
        self._get(head=False)

    def _get(self, head: bool) -> None:
        parsed = urllib.parse.urlsplit(self.path)
        path = urllib.parse.unquote(parsed.path)
        if path.startswith(PREFIX):
            return self._preview(path[len(PREFIX) :], urllib.parse.parse_qs(parsed.query), head)
        file, redirect = self.server.resolve(path)
        if redirect is not None:
            self.send_response(302)
            self.send_header("Location", urllib.parse.quote(redirect))
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        status = 200
        if file is None:
            status, file = 404, self.server.root / "404.html"
        try:
            data = self.server.page_bytes(file)
        except OSError:  # no 404 page, or the file went away between resolve and read
            status, data, file = 404, b"404 Not Found", Path("404.txt")
        self._send(status, data, _content_type(file), head)

    def _preview(self, name: str, query: dict[str, list[str]], head: bool) -> None:
        if name == "livereload.js":
            return self._send(200, SCRIPT.read_bytes(), "application/javascript", head)
        if name in ("poll", "state"):  # state: at once (for tests and the bench)
            try:
                epoch = int(query.get("epoch", ["0"])[0])
            except ValueError:
                epoch = 0
            state = self.server.state_after(epoch, POLL_SECONDS if name == "poll" and not head else 0)
            return self._send(200, json.dumps(state).encode(), "application/json", head)
        self._send(404, b"404 Not Found", "text/plain", head)

    def _send(self, status: int, data: bytes, content_type: str, head: bool) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-cache")
        self.end_headers()
        if not head:
            try:
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the browser went on to another page


def _content_type(path: Path) -> str:
    if path.suffix in (".js", ".mjs"):
        return "application/javascript"
    guess, _ = mimetypes.guess_type(path.name)
    if guess and (guess.startswith("text/") or guess in ("application/json", "image/svg+xml")):
        return guess + "; charset=utf-8"
    return guess or "application/octet-stream"

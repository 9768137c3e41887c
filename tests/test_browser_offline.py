"""The browser tests' offline guard itself: a page's request off its site is recorded and never
reaches its target, another port of this machine included (tests/browser.py, offline_browser)."""

from __future__ import annotations

import functools
import http.server
import threading
from pathlib import Path

import pytest

from tests.browser import BLOCKED_ERROR, offline_browser, serve_folder, wait_until


class _Counting(http.server.SimpleHTTPRequestHandler):
    hits: list[str]

    def do_GET(self) -> None:
        self.hits.append(self.path)
        super().do_GET()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.mark.browser
@pytest.mark.slow  # the fast tier starts no browser (Makefile, test-fast)
def test_requests_off_the_site_are_recorded_and_reach_nothing(tmp_path: Path) -> None:
    other_dir, site_dir = tmp_path / "other", tmp_path / "site"
    other_dir.mkdir(), site_dir.mkdir()
    (other_dir / "x.js").write_text("window.reached = true;")
    hits: list[str] = []
    handler = type("Handler", (_Counting,), {"hits": hits})
    other = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(handler, directory=str(other_dir))
    )
    threading.Thread(target=other.serve_forever, daemon=True).start()
    port = other.server_address[1]
    try:
        with serve_folder(site_dir) as base:
            wanted = [
                "http://example.com/x.js",
                f"http://127.0.0.1:{port}/x.js",
                f"http://localhost:{port}/x.js",
            ]
            # the scripts load (or fail) before the load event; the fetch and the socket end
            # after it, each recorded in `window.ended` when its attempt is over
            scripts = "".join(f'<script src="{u}"></script>' for u in wanted)
            ended = "<script>window.ended = [];</script>"
            fetches = (
                f"<script>fetch('http://127.0.0.1:{port}/fetched')"
                ".then(() => ended.push('fetch reached'), () => ended.push('fetch refused'))</script>"
            )
            socket = (
                f"<script>new WebSocket('ws://127.0.0.1:{port}/ws')"
                ".addEventListener('close', () => ended.push('socket closed'))</script>"
            )
            (site_dir / "index.html").write_text(f"<p>page</p>{scripts}{ended}{fetches}{socket}")
            (site_dir / "x.js").write_text("window.local = true;")
            with offline_browser(base) as (page, log):
                page.goto(f"{base}/", wait_until="load")
                wait_until(page, "window.ended.length === 2")  # every attempt made and over
                assert sorted(page.evaluate("window.ended")) == ["fetch refused", "socket closed"]
                page.add_script_tag(url=f"{base}/x.js")
                assert page.evaluate("window.local === true && window.reached === undefined")
        expected = {*wanted, f"http://127.0.0.1:{port}/fetched", f"ws://127.0.0.1:{port}/ws"}
        assert set(log.blocked_requests) == expected, log.blocked_requests
        assert hits == [], f"reached another local port: {hits}"
        assert any(BLOCKED_ERROR in e for e in log.console_errors), log.console_errors
        assert log.failed_requests == []  # the site's own request succeeded
    finally:
        other.shutdown()
        other.server_close()

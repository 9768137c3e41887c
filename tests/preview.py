"""Helpers for the preview tests: `techpath serve` on a copy of tests/preview_site, driven from
outside the way a writer's editor and browser drive it (save a file, read pages over HTTP)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

SAMPLE = Path(__file__).resolve().parent / "preview_site"
TIMEOUT = 300.0  # a whole build of the sample site takes a few seconds; a loaded machine, far more


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def copy_sample(target: Path) -> Path:
    shutil.copytree(SAMPLE, target, ignore=shutil.ignore_patterns(".cache", "site"))
    return target


def _ctrl_c_as_in_a_terminal() -> None:
    """SIGINT as a terminal gives its foreground job (`stop` sends it, as a writer's Ctrl-C). A
    suite started in the background of a script (as CI may start it) passes SIGINT on ignored,
    and Python then never turns it into KeyboardInterrupt: `stop` waited out its 60 s for every
    preview (a clean-clone run took 839 s in pytest instead of 425). tests/test_engine_processes.py
    sets the same for the builds it interrupts."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGINT])


class Preview:
    """`techpath serve -g GENERATOR` running on a copy of the sample site."""

    def __init__(self, site: Path, generator: str) -> None:
        self.site = site
        self.generator = generator
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 (closed in stop); a file: a full pipe would stall it
        env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "TECHPATH_KEEP_WARM": "0"}
        command = [
            sys.executable,
            "-m",
            "techpath.cli",
            "serve",
            "-g",
            generator,
            "-a",
            f"127.0.0.1:{self.port}",
        ]
        self.process = subprocess.Popen(
            command, cwd=site, env=env, stdout=self.log, stderr=self.log, preexec_fn=_ctrl_c_as_in_a_terminal
        )
        try:
            self.wait(lambda: self.state() is not None, "the first build to be served")
        except BaseException:
            self.stop()  # nothing left running when the test fails here
            raise

    # -- reading ---------------------------------------------------------------------------------
    def get(self, path: str) -> str | None:
        """The page at `path` as served (None: 404 or not serving yet)."""
        try:
            with urllib.request.urlopen(self.url + path, timeout=30) as response:
                return response.read().decode("utf-8")
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            return None

    def state(self) -> dict | None:
        text = self.get(".techpath-preview/state")
        return json.loads(text) if text else None

    def output(self) -> str:
        self.log.seek(0)
        return self.log.read().decode(errors="replace")

    def served_folder(self) -> Path:
        for line in self.output().splitlines():
            if "(files in " in line:
                return Path(line.split("(files in ", 1)[1].split(")", 1)[0])
        raise AssertionError(f"the preview did not say where its files are:\n{self.output()[-3000:]}")

    # -- waiting ---------------------------------------------------------------------------------
    def wait(self, condition: Callable[[], object], what: str, timeout: float = TIMEOUT) -> float:
        """Seconds until `condition()` holds; fails the test with the preview's log otherwise."""
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            if self.process.poll() is not None:
                raise AssertionError(
                    f"techpath serve exited ({self.process.returncode}):\n{self.output()[-3000:]}"
                )
            if condition():
                return time.monotonic() - started
            time.sleep(0.05)
        raise AssertionError(f"timed out waiting for {what}:\n{self.output()[-3000:]}")

    def wait_text(self, path: str, text: str, present: bool = True) -> float:
        return self.wait(
            lambda: (text in (self.get(path) or "")) == present,
            f"{path} {'' if present else 'not '}showing {text!r}",
        )

    def settled(self) -> None:
        """Wait until every save is shown everywhere (the preview says so, twice in a row a
        moment apart, so a save whose round has not started yet is not missed)."""

        def quiet() -> bool:
            first = self.state()
            time.sleep(0.5)
            second = self.state()
            return bool(
                first
                and second
                and first["settled"]
                and second["settled"]
                and first["epoch"] == second["epoch"]
            )

        self.wait(quiet, "the preview to settle")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


class Reloads:
    """What an open browser tab is told, in order: the preview's poll (the one the reload script
    long-polls), asked again as soon as it answers. Each answer that names pages is kept."""

    def __init__(self, preview: Preview) -> None:
        self.preview = preview
        self.answers: list[list[str]] = []
        self._stop = threading.Event()
        state = preview.state()
        assert state is not None
        self._epoch = state["epoch"]
        self._thread = threading.Thread(target=self._poll, daemon=True)
        self._thread.start()

    def _poll(self) -> None:
        while not self._stop.is_set():
            text = self.preview.get(f".techpath-preview/poll?epoch={self._epoch}")
            if text is None:
                time.sleep(0.05)
                continue
            answer = json.loads(text)
            self._epoch = answer["epoch"]
            if answer["changed"] or answer["all"]:
                self.answers.append(["*"] if answer["all"] else answer["changed"])

    def stop(self) -> list[list[str]]:
        """The answers so far (the thread may still wait in a poll: it is a daemon)."""
        self._stop.set()
        return list(self.answers)


def clean_build(site: Path, generator: str, url: str, target: Path) -> Path:
    """`techpath build -g GENERATOR` of the same sources, with site_url set to the preview's
    address (the preview serves under it, as `mkdocs serve` does)."""
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "TECHPATH_KEEP_WARM": "0", "SITE_URL": url}
    command = [sys.executable, "-m", "techpath.cli", "build", "-g", generator, "-d", str(target)]
    result = subprocess.run(command, cwd=site, env=env, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout + result.stderr
    return target


def save(path: Path, text: str) -> None:
    """Save as an editor does: the whole file at once."""
    path.write_text(text, encoding="utf-8")

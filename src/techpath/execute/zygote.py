"""The warm parent: import the heavy libraries once, pay their first-call costs once, then fork
one child per page on request.

Protocol on stdin/stdout, one JSON object per line:
  in:  {"id": 7, "job": "/path/job.json"}         fork a page process for this job
  out: {"ready": true}                            after warm-up
       {"id": 7, "pid": 4242}                     the page process started
       {"id": 7, "exit": 0}                       it ended (negative: killed by that signal)
The zygote itself stays single-threaded, which is what makes fork() safe here.
"""

from __future__ import annotations

import gc
import importlib
import json
import os
import selectors
import signal
import sys
import warnings
from pathlib import Path
from typing import Any

DEFAULT_PRELOAD = [
    "numpy",
    "scipy",
    "matplotlib",
    "matplotlib.pyplot",
    "pandas",
    "sklearn",
    "sklearn.datasets",
    "sklearn.model_selection",
    "sklearn.metrics",
    "sklearn.pipeline",
    "sklearn.preprocessing",
    "sklearn.linear_model",
    "sklearn.neighbors",
    "sklearn.tree",
    "sklearn.ensemble",
    "sklearn.cluster",
    "sklearn.decomposition",
    "sklearn.neural_network",
    "sklearn.svm",
]


def warm_up(modules: list[str]) -> None:
    """Import, then run each library's lazy first calls once so children inherit them done."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name in modules:
            try:
                importlib.import_module(name)
            except Exception:  # a module missing here is imported (slower) by the post itself
                continue
        _first_calls()


def _first_calls() -> None:
    try:
        import io

        import matplotlib.pyplot as plt
        import numpy as np
        from sklearn.datasets import load_iris
        from sklearn.linear_model import LogisticRegression
        from sklearn.neighbors import KNeighborsClassifier

        X, y = load_iris(return_X_y=True)
        LogisticRegression(max_iter=200).fit(X, y).predict_proba(X[:2])
        KNeighborsClassifier().fit(X, y).predict(X[:2])
        fig, ax = plt.subplots()
        ax.plot(np.arange(3), np.arange(3), "o-", label="warm")
        ax.set_title("warm-up")
        ax.legend()
        for fmt in ("svg", "png"):
            fig.savefig(io.BytesIO(), format=fmt)
        plt.close("all")
    except Exception:
        pass


class Zygote:
    def __init__(self) -> None:
        self.children: dict[int, Any] = {}  # pid -> job id
        self._wake_r, wake_w = os.pipe()
        os.set_blocking(wake_w, False)
        signal.set_wakeup_fd(wake_w)
        signal.signal(signal.SIGCHLD, lambda *_: None)

    def send(self, message: dict[str, Any]) -> None:
        sys.__stdout__.write(json.dumps(message) + "\n")  # type: ignore[union-attr]
        sys.__stdout__.flush()  # type: ignore[union-attr]

    def serve(self) -> None:
        selector = selectors.DefaultSelector()
        selector.register(sys.stdin, selectors.EVENT_READ, "job")
        selector.register(self._wake_r, selectors.EVENT_READ, "child")
        open_input = True
        while open_input or self.children:
            for key, _ in selector.select(timeout=1.0):
                if key.data == "child":
                    os.read(self._wake_r, 4096)
                elif (line := sys.stdin.readline()) == "":
                    selector.unregister(sys.stdin)
                    open_input = False
                    self._stop_children()
                else:
                    self._fork(json.loads(line))
            self._reap()

    def _fork(self, request: dict[str, Any]) -> None:
        job = json.loads(Path(request["job"]).read_text(encoding="utf-8"))
        pid = os.fork()
        if pid == 0:
            self._become_page(job)
        self.children[pid] = request["id"]
        self.send({"id": request["id"], "pid": pid})

    def _become_page(self, job: dict[str, Any]) -> None:
        code = 0
        try:
            signal.set_wakeup_fd(-1)
            os.close(self._wake_r)
            from techpath.execute.child import isolate, run_page

            isolate(job)
            run_page(job)
        except BaseException:
            code = 70
        finally:
            os._exit(code)

    def _reap(self) -> None:
        while self.children:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            job_id = self.children.pop(pid, None)
            if job_id is not None:
                self.send({"id": job_id, "exit": os.waitstatus_to_exitcode(status)})

    def _stop_children(self) -> None:
        for pid in list(self.children):
            try:
                os.killpg(pid, signal.SIGKILL)
            except OSError:
                pass


def main() -> None:
    modules = json.loads(os.environ.get("TECHPATH_PRELOAD", "null")) or DEFAULT_PRELOAD
    warm_up(modules)
    gc.collect()
    gc.freeze()  # inherited objects stay out of the children's collections: fewer copy-on-write faults
    zygote = Zygote()
    zygote.send({"ready": True})
    zygote.serve()


if __name__ == "__main__":
    main()

"""The bench's yardsticks, measured outside any site generator: the cost of the imports, and each
post's compute run sequentially in one process that has already imported the libraries (the
warm process), with the line each post prints (what every tool's page must show)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from dataclasses import dataclass

from techpath.bench.corpus import DEFAULT, Corpus, runnable

IMPORTS = "import numpy, matplotlib, matplotlib.pyplot, sklearn, sklearn.datasets, sklearn.model_selection"


@dataclass
class Reference:
    """One measurement of the yardsticks."""

    imports: float  # seconds to import the libraries in a fresh interpreter
    imports_cpu: float
    compute: list[float]  # seconds per post, in the warm process
    compute_cpu: float
    lines: list[str]  # what each post prints
    edit_compute: float  # the edited post 0's compute, in the same warm process, after the rest
    edit_line: str


def measure_reference(posts: int, env: dict[str, str], edit: int = 1, corpus: Corpus = DEFAULT) -> Reference:
    """Run the imports and every post (then the edited post 0) in one fresh interpreter."""
    code = textwrap.dedent(f"""\
        import contextlib, io, json, sys, time
        wall, cpu = time.perf_counter(), time.process_time()
        {IMPORTS}
        imports, imports_cpu = time.perf_counter() - wall, time.process_time() - cpu
        snippets = json.loads(sys.stdin.read())
        times, lines = [], []
        cpu = time.process_time()
        for source in snippets:
            out = io.StringIO()
            t = time.perf_counter()
            with contextlib.redirect_stdout(out):
                exec(compile(source, "snippet", "exec"), {{"__name__": "__main__"}})
            times.append(time.perf_counter() - t)
            lines.append(out.getvalue().strip())
        compute_cpu = time.process_time() - cpu
        print(json.dumps(dict(imports=imports, imports_cpu=imports_cpu, times=times, lines=lines,
                              compute_cpu=compute_cpu)))""")
    snippets = [runnable(i, 0, corpus) for i in range(posts)] + [runnable(0, edit, corpus)]
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, input=json.dumps(snippets), capture_output=True, text=True
    )
    if done.returncode != 0:
        raise RuntimeError(f"the reference run failed:\n{done.stderr}")
    data = json.loads(done.stdout.strip().splitlines()[-1])
    *times, edit_time = data["times"]
    *lines, edit_line = data["lines"]
    share = edit_time / sum(data["times"]) if sum(data["times"]) else 0.0
    return Reference(
        imports=data["imports"],
        imports_cpu=data["imports_cpu"],
        compute=times,
        compute_cpu=data["compute_cpu"] * (1 - share),
        lines=lines,
        edit_compute=edit_time,
        edit_line=edit_line,
    )


def overlapped_limit(plain: float, imports: float, compute: float, workers: int) -> float:
    """The fastest a cold build can be: the warm parent imports while the generator reads the
    site (so the longer of the two counts), then the compute is split over the workers."""
    return max(plain, imports) + compute / max(workers, 1)


def cpu_floor(cpu_seconds: float, cores: int) -> float:
    """All the CPU work a cold build must do, spread perfectly over the cores."""
    return cpu_seconds / max(cores, 1)

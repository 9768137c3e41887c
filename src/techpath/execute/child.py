"""The page process: isolate itself, run the page's blocks, write results as they happen.

Called in a process forked from the warm parent (zygote.py) or in a freshly spawned interpreter
(`python -m techpath.execute.child JOB.json`, the fallback where fork is unsafe). Results go to
`events.jsonl` in the job's result folder, one line per event, flushed as they happen, so the
parent can name the block that was running if this process is killed or crashes.
"""

from __future__ import annotations

import json
import os

try:
    import resource  # POSIX only; on Windows there is no memory ceiling and no peak-memory figure
except ImportError:  # pragma: no cover - exercised on Windows only
    resource = None  # type: ignore[assignment]
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from techpath.model import BlockOptions, BlockResult, CodeBlock, Output

STANDALONE_FLAGS = [
    "-W",
    "error::DeprecationWarning",
    "-W",
    "error::FutureWarning",
    "-W",
    "error::PendingDeprecationWarning",
]


def job_blocks(job: dict[str, Any]) -> list[CodeBlock]:
    return [CodeBlock(**{**b, "options": BlockOptions(**b["options"])}) for b in job["blocks"]]


def isolate(job: dict[str, Any]) -> None:
    """Own process group, no stdin, private working folder, memory ceiling."""
    if hasattr(os, "setsid"):  # its own process group: the parent can stop everything it started
        os.setsid()
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if hasattr(signal, "SIGALRM"):  # elsewhere the parent enforces block timeouts by killing
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        signal.signal(signal.SIGALRM, _raise_timeout)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    work = Path(job["work_dir"])
    # Text written straight to the file descriptors (C libraries, subprocesses) lands here.
    for fd, name in ((1, "native-stdout.txt"), (2, "native-stderr.txt")):
        target = os.open(work / name, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.dup2(target, fd)
        os.close(target)
    for source, relative in job.get("inputs", []):
        target = work / relative
        if target.resolve().is_relative_to(work.resolve()):
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
    os.chdir(work)
    if job.get("memory_mb") and resource is not None:
        limit = _current_address_space() + int(job["memory_mb"]) * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    sys.argv = [job["path"]]


def _raise_timeout(signum: int, frame: Any) -> None:
    from techpath.execute.session import BlockTimeout

    raise BlockTimeout()


def _current_address_space() -> int:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


class EventLog:
    def __init__(self, path: Path) -> None:
        self._file = open(path, "a", encoding="utf-8")  # noqa: SIM115 - open for the page's life

    def write(self, event: dict[str, Any]) -> None:
        self._file.write(json.dumps(event) + "\n")
        self._file.flush()


def run_page(job: dict[str, Any]) -> None:
    """Execute every block of the job; never raises (errors are results)."""
    from techpath.execute.names import code_names
    from techpath.execute.session import Session

    started = time.perf_counter()
    result_dir = Path(job["result_dir"])
    events = EventLog(result_dir / "events.jsonl")
    session = Session(
        job["path"],
        job["file_text"],
        result_dir,
        allow_warnings=job.get("allow_warnings"),
        line_numbers_in_file=not job.get("notebook", False),
    )
    native = NativeOutput(Path(job["work_dir"]))
    standalone: dict[int, subprocess.Popen[str]] = {}
    failed = False
    for block in job_blocks(job):
        if block.options.skip:
            events.write({"event": "block", "result": asdict(BlockResult(block.index, "skipped"))})
            continue
        if failed:
            events.write({"event": "block", "result": asdict(BlockResult(block.index, "not-run"))})
            continue
        if block.options.standalone:
            standalone[block.index] = start_standalone(job, block)
        events.write({"event": "start", "block": block.index, "time": time.time()})
        result = session.run_block(block, block.options.timeout or job["block_timeout"])
        result.outputs += native.read()
        result.names = code_names(block.source, session.namespace)
        failed = result.status == "error"
        events.write({"event": "block", "result": asdict(result)})
    for index, process in standalone.items():
        events.write({"event": "standalone", "block": index, **finish_standalone(process, job)})
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 if resource is not None else 0.0
    events.write(
        {
            "event": "end",
            "time": time.time(),
            "duration": time.perf_counter() - started,
            "peak_memory_mb": peak_mb,
        }
    )


class NativeOutput:
    """Reads what was written to file descriptors 1 and 2 since the last call."""

    def __init__(self, work: Path) -> None:
        self._files = {"stdout": work / "native-stdout.txt", "stderr": work / "native-stderr.txt"}
        self._offsets = {"stdout": 0, "stderr": 0}

    def read(self) -> list[Output]:
        outputs = []
        for name, path in self._files.items():
            try:
                with open(path, "rb") as f:
                    f.seek(self._offsets[name])
                    data = f.read(50_000)
                    self._offsets[name] = f.tell()
            except OSError:
                continue
            if data:
                outputs.append(Output("stream", name=name, text=data.decode("utf-8", "replace")))
        return outputs


def start_standalone(job: dict[str, Any], block: CodeBlock) -> subprocess.Popen[str]:
    """Run the block alone in a fresh interpreter, in the background, with the same lines."""
    folder = Path(tempfile.mkdtemp(prefix="standalone-", dir=job["work_dir"]))
    offset = "" if job.get("notebook") else "\n" * (block.line - 1)
    script = folder / "standalone.py"
    script.write_text(offset + block.source + "\n", encoding="utf-8")
    env = {**os.environ, "MPLBACKEND": "Agg", "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.Popen(
        [sys.executable, *STANDALONE_FLAGS, str(script)],
        cwd=folder,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def finish_standalone(process: subprocess.Popen[str], job: dict[str, Any]) -> dict[str, Any]:
    try:
        output, _ = process.communicate(timeout=job["block_timeout"] * 2)
    except subprocess.TimeoutExpired:
        process.kill()
        output, _ = process.communicate()
        return {"ok": False, "output": "timed out when run alone\n" + output[-4000:]}
    return {"ok": process.returncode == 0, "output": output[-4000:].replace("standalone.py", job["path"])}


def main() -> None:
    """Spawn mode: `python -m techpath.execute.child JOB.json`."""
    job = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
    isolate(job)
    run_page(job)
    os._exit(0)


if __name__ == "__main__":
    main()

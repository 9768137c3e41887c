"""Verify an exercise inside the page process, by forking it twice at the exercise.

One copy runs the starter, then the check: the starter must run, the check must fail (else the
exercise is solved before the reader starts). Another copy runs the solution, then the check:
both must pass. The page itself runs neither, so the blocks after the exercise see the state
before it. The copies are children of the page process: in its process group, its cgroup and
under its timeouts; each is waited for, and nothing it started outlives it.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

from techpath.execute import procs
from techpath.model import BlockError, BlockResult, CodeBlock, Exercise, ExerciseResult

# How a check's failure against the starter must look: an exception of the check itself, not
# the machine giving up on it.
NOT_A_FAILURE = frozenset({"Timeout", "Crash", "MemoryLimit"})


def fork_available() -> bool:
    return hasattr(os, "fork")


def _one_thread_per_pool() -> None:
    """The copy's native thread pools run on one thread. GNU OpenMP (scikit-learn's wheels
    bundle it) is not fork-safe: a pool the page already started has no threads in the copy,
    and its next parallel region waits for them forever. With one thread it never uses them."""
    if "numpy" not in sys.modules and "sklearn" not in sys.modules:
        return
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(1)
    except Exception:  # threadpoolctl missing, or a library it cannot drive: nothing to limit
        pass


def run_in_fork(
    session: Any,
    parts: list[CodeBlock],
    timeout_of: Callable[[CodeBlock], float],
    out: Path,
) -> tuple[list[BlockResult], str]:
    """Run `parts` in order in a forked copy of this process (stopping at the first error).
    Returns their results and, if the copy died before finishing, why."""
    from techpath.execute.names import code_names

    out.unlink(missing_ok=True)
    pid = os.fork()
    if pid == 0:  # the copy: run, write the results, leave without running any exit handler
        code = 0
        try:
            procs.die_with_parent(signal.SIGKILL)
            _one_thread_per_pool()
            results = []
            for block in parts:
                result = session.run_block(block, timeout_of(block))
                result.names = code_names(block.source, session.namespace)
                results.append(asdict(result))
                if result.status == "error":
                    break
            out.write_text(json.dumps(results), encoding="utf-8")
            procs.kill_tree(os.getpid(), include_root=False)
        except BaseException:  # the parent reports the missing results
            code = 70
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    code = os.waitstatus_to_exitcode(status)
    try:
        results = [BlockResult.from_json(r) for r in json.loads(out.read_text(encoding="utf-8"))]
    except (OSError, ValueError):
        results = []
    finally:
        out.unlink(missing_ok=True)
    if len(results) == len(parts) or (results and results[-1].status == "error"):
        return results, ""
    if code < 0:
        name = signal.Signals(-code).name if -code in signal.valid_signals() else str(-code)
        return results, f"killed by {name}"
    return results, f"exit code {code} (os._exit?)"


def verify(
    session: Any,
    exercise: Exercise,
    blocks: list[CodeBlock],
    timeout_of: Callable[[CodeBlock], float],
    scratch: Path,
    on_start: Callable[[int], None] = lambda index: None,
    on_result: Callable[[BlockResult], None] = lambda result: None,
) -> ExerciseResult:
    """Both runs of an exercise. Each part's result goes to `on_result` as soon as it is known
    (the starter's and check's before the solution runs, so a kill then loses neither); the
    exercise's own is returned."""
    started = time.perf_counter()
    starter, check, solution = (blocks[i] for i in (exercise.starter, exercise.check, exercise.solution))
    path = session.path
    on_start(starter.index)
    first, died = run_in_fork(
        session, [starter, check], timeout_of, scratch / f"exercise-{exercise.index}-a.json"
    )
    starter_result = BlockResult(starter.index, "ok", duration=first[0].duration if first else 0.0)
    check_result = BlockResult(check.index, "ok")
    starter_says = ""
    if died:
        starter_result.error = _crash([starter, check], first, died, path)
    elif first[0].error is not None:
        error = first[0].error
        starter_result.error = replace(
            error,
            message=f"the exercise's starter must run without raising (readers start from it): "
            f"{error.message}",
        )
    elif first[1].error is None:
        starter_result.error = BlockError(
            "ExerciseSolved",
            f'the starter of exercise "{exercise.title}" already passes its check: leave the reader '
            "something to do (the check must fail on the starter), or make the check stricter",
            starter.line,
            starter.location(path),
        )
    elif first[1].error.type in NOT_A_FAILURE:
        error = first[1].error
        starter_result.error = replace(
            error, message=f"the check, run after the starter, did not fail cleanly: {error.message}"
        )
    else:
        starter_says = f"{first[1].error.type}: {first[1].error.message}"
    starter_result.status = "error" if starter_result.error is not None else "ok"
    on_result(starter_result)
    on_result(check_result)
    on_start(solution.index)
    second, died = run_in_fork(
        session, [solution, check], timeout_of, scratch / f"exercise-{exercise.index}-b.json"
    )
    solution_result = second[0] if second else BlockResult(solution.index, "ok")
    if died:
        solution_result.error = _crash([solution, check], second, died, path)
    elif second[0].error is not None:
        error = second[0].error
        solution_result.error = replace(error, message=f"the exercise's solution raised: {error.message}")
    elif second[1].error is not None:
        error = second[1].error
        solution_result.error = BlockError(
            error.type,
            f'the solution of exercise "{exercise.title}" fails its check at {error.location}: '
            f"{error.message}",
            solution.line,
            solution.location(path),
            error.traceback,
        )
    solution_result.status = "error" if solution_result.error is not None else "ok"
    on_result(solution_result)
    ok = starter_result.error is None and solution_result.error is None
    return ExerciseResult(
        exercise.index, "ok" if ok else "error", starter_says, time.perf_counter() - started
    )


def _crash(parts: list[CodeBlock], results: list[BlockResult], died: str, path: str) -> BlockError:
    """The copy running `parts` ended before writing its results: blame the part it was in."""
    running = parts[min(len(results), len(parts) - 1)]
    run = parts[0].options.exercise
    message = f"the exercise's {running.options.exercise} (in the {run}'s run) ended its process: {died}"
    return BlockError("Crash", message, running.line, running.location(path))

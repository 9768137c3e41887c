"""Hooks from libraries into the page's session. One page per process, so one of each."""

from __future__ import annotations

from collections.abc import Callable, Mapping

show_figures: Callable[[], None] | None = None  # called by plt.show() (see mpl_backend.py)
# called when the page itself imports pyplot (mpl_backend.py): the site's matplotlib settings
matplotlib_ready: Callable[[], None] | None = None
# the page's private mirror of the site (execute/overlay.py): its paths are shown site-relative
mirror_root: str | None = None
# the settings file matplotlib read when the warm parent imported it (execute/figures.py)
matplotlib_rc_file: str | None = None

# sys.path[0] of the warm parent (or spawned page) as Python started it: the folder the build
# was started from, which is no page's folder (execute/child.py puts the page's own there).
launch_folder: str | None = None

# Policy warnings (deprecation, future) raised while the warm parent imported a module, by the
# module name it was importing: {"sklearn": [(message, category name, filename, lineno)]}.
# A page replays them when it first imports that module, so a library that warns at import fails
# the same block in fork mode (imported in the parent) as in spawn mode (imported by the page).
import_warnings: dict[str, list[tuple[str, str, str, int]]] = {}

# The resolved path (os.path.realpath) of every module file the warm-up imported, by the
# module's absolute __file__ (execute/reads.py, `remember_module_files`). At its end a page asks
# which of its modules are the site's own; resolving the two thousand library paths it
# inherited, in every page, cost more CPU than a light page's own code.
module_realpaths: dict[str, str] = {}

# The modules present when their files were last resolved (`remember_module_files`): their names,
# and their resolved paths, names and files as three strings of NUL-separated fields. A page
# reads its site's modules among them from the strings, without touching the inherited module
# objects: each one touched in a forked page copies a page of memory (1,800 modules: 12 ms).
inherited_names: frozenset[str] = frozenset()
inherited_files: tuple[str, str, str] = ("", "", "")

# The thread budget the process was started with (all of the BLAS/OpenMP variables agreeing),
# read before any library sized its pool: a page with the same budget need not resize them.
# Resizing an inherited OpenBLAS pool in a forked page costs 20-35 ms, and raising it starts
# threads that spin for the rest of the page (twice its CPU time, measured).
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "VECLIB_MAXIMUM_THREADS")
threads_at_start: int | None = None


def record_thread_budget(environ: Mapping[str, str]) -> None:
    global threads_at_start
    values = {environ.get(name) for name in THREAD_VARIABLES}
    value = values.pop() if len(values) == 1 else None
    threads_at_start = int(value) if value is not None and value.isdigit() else None

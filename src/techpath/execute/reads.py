"""What a page reads, and where its writes go: an audit hook (PEP 578) in the page's process.

Python raises an audit event before every file is opened (`open`, `os.open`, `io.open`, and so
pandas, NumPy, PIL and matplotlib), before a folder is listed and before a path is created,
renamed, removed or changed. The hook:

- records each file of the site a page reads (through the overlay's links, or by an absolute
  path into the site), the folders its code lists and the files it looked for in vain, so the
  cache can check them on the next build (cache.py, `Dependencies`);
- makes the overlay's part private before a write (execute/overlay.py), so nothing a page writes
  lands in the source tree, and refuses a write into the source tree by an absolute path;
- turns a missing file into an error that names where the path led, relative to the site.

It never changes what a successful call does. Writes by C code that opens files itself, and by
other programs a page starts, bypass it: a page that starts one first gets a private copy of its
own folder (see `_before_subprocess`).
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
import sys
import threading
from pathlib import Path
from typing import Any

from techpath.execute import hooks
from techpath.execute.overlay import Overlay

_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
_IMPORT_MACHINERY = "<frozen importlib"


class FileWatch:
    """The page's audit hook and what it recorded. One per page process."""

    def __init__(self, overlay: Overlay, page_folder: str, environment: list[str]) -> None:
        self.overlay = overlay
        self.page_folder = page_folder  # relative to the site, for messages ("" at its root)
        self._source = str(overlay.source)
        # the interpreter and its packages: covered by the distributions, never recorded
        self._environment = tuple(os.path.realpath(p) + os.sep for p in environment if p)
        self.reads: set[str] = set()  # files of the site the page read (relative, posix)
        self.missing: set[str] = set()  # files of the site it looked for that were not there
        self.listings: set[str] = set()  # folders of the site its code listed
        self._copied_folder = False
        self._cwd: str | None = None
        self._seen: set[str] = set()  # absolute paths already recorded as read
        self._listed: set[str] = set()
        self.recording = False  # from the page's first block on: the engine's own reads aside
        self._local = threading.local()
        self._handlers = {
            "open": self._on_open,
            "os.chdir": self._on_chdir,
            "os.listdir": self._on_listing,
            "os.scandir": self._on_listing,
            "os.mkdir": lambda a: self._before_entry(a[0]),
            "os.rmdir": lambda a: self._before_entry(a[0]),
            "os.remove": lambda a: self._before_entry(a[0]),
            "os.rename": lambda a: (self._before_entry(a[0]), self._before_entry(a[1])),
            "os.symlink": lambda a: self._before_entry(a[1]),
            "os.link": lambda a: self._before_entry(a[1]),
            "os.truncate": lambda a: self._before_change(a[0]),
            "os.chmod": lambda a: self._before_change(a[0]),
            "os.chown": lambda a: self._before_change(a[0]),
            "os.utime": lambda a: self._before_change(a[0]),
            "shutil.rmtree": lambda a: self._before_tree(a[0]),
            "sqlite3.connect": self._on_sqlite,
            "subprocess.Popen": lambda a: self._before_subprocess(a[2]),
            "os.system": lambda a: self._before_subprocess(None),
            "os.posix_spawn": lambda a: self._before_subprocess(None),
            "os.spawn": lambda a: self._before_subprocess(None),
        }

    def install(self) -> None:
        sys.addaudithook(self._hook)

    def _hook(self, event: str, args: tuple[Any, ...]) -> None:
        handler = self._handlers.get(event)
        if handler is None or getattr(self._local, "busy", False):
            return
        self._local.busy = True  # the hook's own file work raises events too
        try:
            handler(args)
        finally:
            self._local.busy = False

    # -- paths -------------------------------------------------------------------------------
    def _absolute(self, path: Any) -> str | None:
        if path is None or isinstance(path, int):
            return None
        try:
            text = os.fsdecode(os.fspath(path))
        except TypeError:
            return None
        if os.path.isabs(text):
            return os.path.normpath(text)
        if self._cwd is None:  # known until the page changes folder (the os.chdir event)
            self._cwd = os.getcwd()
        return os.path.normpath(os.path.join(self._cwd, text))

    def _on_chdir(self, args: tuple[Any, ...]) -> None:
        self._cwd = None

    def _in_source(self, real: str) -> str | None:
        """`real` (a resolved path) relative to the site, unless it is outside it or part of
        the Python environment."""
        if not (real == self._source or real.startswith(self._source + os.sep)):
            return None
        if (real + os.sep).startswith(self._environment):
            return None
        return Path(os.path.relpath(real, self._source)).as_posix()

    def _site_path(self, absolute: str) -> str | None:
        """Where `absolute` (normalised, not resolved) lies in the site: through the mirror, or
        directly; None elsewhere. Read as written: no path is resolved on the way (the mirror is
        links, and resolving each component costs a system call)."""
        relative = self.overlay.relative(absolute)
        if relative is not None:
            return relative.replace(os.sep, "/")
        return self._in_source(absolute)

    # -- events ------------------------------------------------------------------------------
    def _on_open(self, args: tuple[Any, ...]) -> None:
        path, _mode, flags = args
        absolute = self._absolute(path)
        if absolute is None:
            return
        if isinstance(flags, int) and flags & _WRITE_FLAGS:
            self._before_change(path, absolute)
            return
        if absolute in self._seen:  # read before: one dictionary lookup (pages reread data)
            return
        in_site = self._site_path(absolute)
        if in_site is None and os.path.isabs(os.fsdecode(os.fspath(path))):
            return  # a library, the standard library, a temporary file: not the site's
        if _by_import_system():
            return  # modules are recorded by file at the end; a missing .pyc is no missing data
        try:
            found = os.stat(absolute)
        except OSError:
            self._missing(path, absolute)
            return
        if in_site is None or stat.S_ISDIR(found.st_mode):
            return
        if self.recording and self._is_source_file(in_site, found) and not in_site.endswith(".pyc"):
            self.reads.add(in_site)
            self._seen.add(absolute)

    def _is_source_file(self, in_site: str, found: os.stat_result) -> bool:
        """Whether the file opened is the site's own (reached through the mirror's links, or
        directly), not a private file the page wrote nor the Python environment's (a .venv
        inside the site): the same file as the source's."""
        if (self._source + os.sep + in_site + os.sep).startswith(self._environment):
            return False
        try:
            source = os.stat(self.overlay.source_path(in_site))
        except OSError:
            return False
        return (source.st_ino, source.st_dev) == (found.st_ino, found.st_dev)

    def _missing(self, given: Any, absolute: str) -> None:
        """A file the page wanted to read is not there: say where its path led, in the site."""
        in_site = self._site_path(absolute)
        shown = os.fsdecode(os.fspath(given))
        if in_site is not None:
            if self.recording:
                self.missing.add(in_site)
            folder = self.page_folder or "."
            raise FileNotFoundError(
                errno.ENOENT,
                f"No such file or directory: {shown!r} (the page runs in its own folder, "
                f"{folder}/, as in Jupyter, so this is {in_site} in the site, which has no such "
                "file)",
            )
        if not os.path.isabs(shown) and self.overlay.relative(os.getcwd()) is not None:
            raise FileNotFoundError(
                errno.ENOENT,
                f"No such file or directory: {shown!r} (it leads outside the site's folder; a "
                "page reads files inside the site, relative to its own folder)",
            )

    def _on_listing(self, args: tuple[Any, ...]) -> None:
        path = args[0] if args else None
        if isinstance(path, int) or not self.recording:
            return
        absolute = self._absolute("." if path is None else path)
        if absolute is None or absolute in self._listed:
            return
        in_site = self._site_path(absolute)
        if in_site is None or _by_import_system():
            return  # not the site's, or the import system scanning sys.path (imports are recorded by module)
        if os.path.isdir(self.overlay.source_path(in_site)):
            self.listings.add(in_site)
            self._listed.add(absolute)

    def _before_change(self, path: Any, absolute: str | None = None) -> None:
        """A file's content or attributes are about to change."""
        absolute = absolute or self._absolute(path)
        if absolute is None:
            return
        if self.overlay.relative(absolute) is not None:
            copied = self.overlay.materialize_file(absolute)
            if copied is not None and self.recording:  # the copy starts from the source's content
                self.reads.add(copied)
            return
        self._refuse_source(path, absolute)

    def _before_entry(self, path: Any) -> None:
        """An entry is about to be created, removed or renamed at `path`."""
        absolute = self._absolute(path)
        if absolute is None:
            return
        if self.overlay.relative(absolute) is not None:
            self.overlay.materialize_parent(absolute)
            return
        self._refuse_source(path, absolute)

    def _before_tree(self, path: Any) -> None:
        absolute = self._absolute(path)
        if absolute is None:
            return
        if self.overlay.relative(absolute) is not None:
            self.overlay.materialize_tree(absolute)
            return
        self._refuse_source(path, absolute)

    def _refuse_source(self, given: Any, absolute: str) -> None:
        relative = self._in_source(os.path.realpath(absolute))
        if relative is None:
            return
        raise PermissionError(
            errno.EACCES,
            f"a page may not change the site's own files ({relative}); write to a relative path "
            "instead: it lands in the page's private working folder",
            os.fsdecode(os.fspath(given)),
        )

    def _on_sqlite(self, args: tuple[Any, ...]) -> None:
        database = args[0] if args else None
        if isinstance(database, str) and (database == ":memory:" or database.startswith("file:")):
            return
        self._before_change(database)  # SQLite reads and writes the file from C

    def _before_subprocess(self, cwd: Any) -> None:
        """Another program reads and writes without this hook: before it starts in the page's
        folder, that folder (and everything below it) becomes a private copy."""
        folder = self._absolute(os.getcwd() if cwd is None else cwd)
        if folder is None or self._copied_folder or self.overlay.relative(folder) is None:
            return
        self._copied_folder = True
        self.overlay.copy_tree(folder)

    # -- the record --------------------------------------------------------------------------
    def module_files(self) -> set[str]:
        """Source files of the site the page imported (its local modules). Those of the modules
        it inherited from the warm-up are read from `hooks.inherited_files`, resolved before the
        fork, and only the modules it added are looked at: touching every inherited module
        object would copy a page of memory for each. (A module object a page puts by hand under
        the name of one it inherited, outside the site, is not looked at.)"""
        found: set[str] = set()
        inherited = hooks.inherited_files if self._source in hooks.inherited_files[0] else ("", "", "")
        reals, names, files = (text.split("\0") for text in inherited)
        for real, name, file in zip(reals, names, files, strict=True):
            if real == self._source or real.startswith(self._source + os.sep):
                now = getattr(sys.modules.get(name), "__file__", None)
                self._add_module_file(found, now, real if now == file else None)
        for name in sys.modules.keys() - hooks.inherited_names:
            self._add_module_file(found, getattr(sys.modules.get(name), "__file__", None))
        return found

    def _add_module_file(self, found: set[str], file: Any, real: str | None = None) -> None:
        """Add `file` (a module's `__file__`, resolved as `real` when known) if it is the site's."""
        if not isinstance(file, str):
            return
        relative = self._in_source(real or hooks.module_realpaths.get(file) or os.path.realpath(file))
        if relative is not None:
            found.add(relative)

    def dependencies(self) -> dict[str, dict[str, str | None]]:
        """{"files": {path: sha256 or None when absent}, "listings": {folder: sha256 of names}},
        paths relative to the site."""
        files: dict[str, str | None] = dict.fromkeys(sorted(self.missing - self.reads))
        for relative in sorted(self.reads | self.module_files()):
            files[relative] = file_digest(self.overlay.source_path(relative))
        listings = {f: listing_digest(self.overlay.source_path(f)) for f in sorted(self.listings)}
        return {"files": files, "listings": {k: v for k, v in listings.items() if v is not None}}


def remember_module_files() -> None:
    """Resolve the files of the modules imported so far, once, for every page forked after
    (hooks.module_realpaths), and note which modules those are (hooks.inherited_names and
    inherited_files, read by `FileWatch.module_files`). Only absolute paths: a relative one
    resolves from the page's own folder. A module file cannot move under a page without a
    reinstall, which retires the warm parent (its fingerprint changes). On the warm-up's serial
    path: `realpath_in_folders` resolves each folder once (1,800 module files lie in 200
    folders for scikit-learn and matplotlib)."""
    folders: dict[str, str] = {}
    reals, names, files = [], [], []
    for name, module in list(sys.modules.items()):
        file = getattr(module, "__file__", None)
        if isinstance(file, str) and os.path.isabs(file) and "\0" not in file + name:
            if file not in hooks.module_realpaths:
                hooks.module_realpaths[file] = realpath_in_folders(file, folders)
            reals.append(hooks.module_realpaths[file])
            names.append(name)
            files.append(file)
    hooks.inherited_names = frozenset(names)
    hooks.inherited_files = ("\0".join(reals), "\0".join(names), "\0".join(files))


def realpath_in_folders(file: str, folders: dict[str, str]) -> str:
    """`os.path.realpath(file)`, with the real paths of folders kept in `folders` between calls:
    a path whose last part is no link resolves to its folder's real path and that part, which
    is what realpath computes, one lstat instead of one per part of the path."""
    folder, name = os.path.split(file)
    if name in ("", ".", "..") or os.path.islink(file):
        return os.path.realpath(file)
    real = folders.get(folder)
    if real is None:
        real = folders[folder] = os.path.realpath(folder)
    return os.path.join(real, name)


def _by_import_system() -> bool:
    """Whether the event comes from the import system (frames: this function, the handler, the
    hook, then whoever raised the event)."""
    caller = sys._getframe(3)
    return caller.f_code.co_filename.startswith(_IMPORT_MACHINERY)


def file_digest(path: Path) -> str | None:
    try:
        with open(path, "rb") as f:
            return hashlib.file_digest(f, "sha256").hexdigest()
    except OSError:
        return None


def listing_digest(folder: Path) -> str | None:
    try:
        names = sorted(os.listdir(folder))
    except OSError:
        return None
    return hashlib.sha256("\n".join(names).encode("utf-8", "surrogateescape")).hexdigest()

"""Where the shared warm parent listens, and who may talk to it.

The socket lives in a folder only this user can enter: `$XDG_RUNTIME_DIR/techpath` when that is
set (a per-user, per-login folder), else `<tmp>/techpath-<uid>`. A folder someone else made
first, a symlink, or one others can read or write is refused (the build then runs its own warm
parent over a pipe), because whoever owns the folder could answer as the warm parent. Both
sides check the other's user id on the connected socket (`SO_PEERCRED`).
"""

from __future__ import annotations

import contextlib
import os
import socket
import stat
import struct
import tempfile
from collections.abc import Iterator
from pathlib import Path

from techpath import environment


class UnsafeFolder(RuntimeError):
    """The socket folder could belong to, or be changed by, another user."""


def socket_folder() -> Path:
    runtime = environment.runtime_dir()
    if runtime and runtime.is_absolute():
        return runtime / "techpath"
    return Path(tempfile.gettempdir()) / f"techpath-{os.getuid()}"


def private_folder(folder: Path) -> Path:
    """Create `folder` (0700) if missing; refuse it unless it is a real folder of ours, 0700."""
    with contextlib.suppress(FileExistsError), umask(0o077):
        os.mkdir(folder, 0o700)
    check_private(folder)
    return folder


def check_private(folder: Path, uid: int | None = None) -> None:
    """Raise UnsafeFolder unless `folder` itself (not a link to it) is owned by `uid` (default:
    this user) and closed to everyone else."""
    uid = os.getuid() if uid is None else uid
    try:
        info = os.lstat(folder)
    except OSError as exc:
        raise UnsafeFolder(f"{folder}: {exc.strerror}") from exc
    if stat.S_ISLNK(info.st_mode) or not stat.S_ISDIR(info.st_mode):
        raise UnsafeFolder(f"{folder} is not a folder (a symbolic link or a file)")
    if info.st_uid != uid:
        raise UnsafeFolder(f"{folder} belongs to user id {info.st_uid}, not {uid}")
    if info.st_mode & 0o077:
        raise UnsafeFolder(
            f"{folder} is open to other users (mode {stat.S_IMODE(info.st_mode):o}, 700 expected)"
        )


@contextlib.contextmanager
def umask(mask: int) -> Iterator[None]:
    old = os.umask(mask)
    try:
        yield
    finally:
        os.umask(old)


def peer_uid(sock: socket.socket) -> int | None:
    """User id of the process at the other end of a Unix socket (None where unsupported)."""
    option = getattr(socket, "SO_PEERCRED", None)
    if option is None:  # pragma: no cover - macOS has getpeereid, not exposed by Python
        return None
    data = sock.getsockopt(socket.SOL_SOCKET, option, struct.calcsize("3i"))
    _pid, uid, _gid = struct.unpack("3i", data)
    return uid


def same_user(sock: socket.socket) -> bool:
    uid = peer_uid(sock)
    return uid is None or uid == os.getuid()

"""Atomic file writes: a file is either written completely or not at all.

``atomic_write`` writes to a temporary file in the target's directory, flushes and
fsyncs it, and only then renames it over the target (``os.replace`` is atomic on
POSIX and on Windows). If anything raises inside the ``with`` block -- including
``KeyboardInterrupt`` -- the temporary file is deleted and the target is left untouched,
so a crash never leaves a half-written vector file, checkpoint or model behind.

A process killed outright (SIGKILL, a power cut) cannot remove its temporary file, so the
name of every temporary file says whose it is: ``.NAME.HOST-PID.XXXXXXXX.tmp``. The next
write of the same target on the same host removes those whose process is no longer alive,
and never another live process's (:func:`remove_stale`; the folders of spilled counts in
:mod:`embedlib._spill` are named and cleaned up the same way). :func:`check_writable`
fails early, as the write itself would, so that a long run can check its output first.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import stat
import tempfile
import threading
from contextlib import contextmanager
from pathlib import Path

__all__ = ["atomic_write", "check_writable", "fsync_directory", "owner_prefix", "remove_stale",
           "remove_temporaries"]

_MODES = ("w", "wt", "wb")


@contextmanager
def atomic_write(path, mode: str = "wb"):
    """Open a temporary file for writing that replaces ``path`` when the block succeeds.

    Parameters
    ----------
    path : str or os.PathLike
        The file to create or replace. Its directory must exist.
    mode : {"wb", "w", "wt"}
        ``"wb"`` yields a binary file object; ``"w"``/``"wt"`` a text file object that
        writes UTF-8 with ``"\\n"`` line endings on every platform.

    Yields
    ------
    file object
        Write to it inside the ``with`` block; do not close it yourself.

    Notes
    -----
    On success the data is flushed and ``fsync``-ed before the rename, and the directory
    is ``fsync``-ed after it (best effort), so the new content survives a power loss. While
    the block runs, a thread writes out to the disk what has reached the file so far, so
    that the final ``fsync`` waits for little. The
    new file gets the permissions of the file it replaces, or ``0o666 & ~umask`` for a
    new file, as a plain ``open`` would. On any exception the temporary file is removed
    and the exception propagates. The temporary file is ``.NAME.HOST-PID.XXXXXXXX.tmp``
    beside ``path``; stale ones of dead processes are removed first.
    """
    if mode not in _MODES:
        raise ValueError(f"mode must be one of {', '.join(map(repr, _MODES))}, got {mode!r}")
    path = Path(os.fspath(path))
    directory = path.parent
    fd, tmp_name = _create_temporary(path)
    try:
        permissions = _permissions_for(path)
        if "b" in mode:
            f = os.fdopen(fd, "wb")
        else:
            f = os.fdopen(fd, "w", encoding="utf-8", newline="\n")
    except BaseException:
        os.close(fd)
        _remove(tmp_name)
        raise
    try:
        with f:
            with _syncing_behind(f.fileno()):
                yield f
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp_name, permissions)
        os.replace(tmp_name, path)
    except BaseException:
        _remove(tmp_name)
        raise
    fsync_directory(directory)


#: How often the background thread of :func:`_syncing_behind` writes out what has reached
#: the file so far (seconds).
SYNC_INTERVAL = 0.02


@contextmanager
def _syncing_behind(fd: int):
    """Write the file's data to the disk while the caller goes on writing it.

    A thread calls ``fdatasync`` every :data:`SYNC_INTERVAL` seconds until the block ends,
    so that the disk writes the first megabytes while the caller formats the next ones and
    the final ``fsync`` has only the last few to wait for (36 MB written over 0.1 s: 8-19 ms
    left to wait instead of 55-66 ms, on a virtual disk). The thread stops, and is joined, before the block exits;
    an error it met is raised then, since the final ``fsync`` on the same file would no
    longer report it.
    """
    stop = threading.Event()
    failed = []

    def sync():
        while not stop.wait(SYNC_INTERVAL):
            try:
                _datasync(fd)
            except OSError as e:
                failed.append(e)
                return

    thread = threading.Thread(target=sync, name="embedlib-sync", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
    if failed:
        raise failed[0]


_datasync = getattr(os, "fdatasync", os.fsync)


def check_writable(path) -> None:
    """Raise now the error :func:`atomic_write` would raise before writing ``path``: its
    directory missing (FileNotFoundError), ``path`` a directory (IsADirectoryError), or no
    file can be created beside it (the OSError, naming ``path``). It creates the temporary
    file and removes it: a read-only or special file system fails here, whatever
    :func:`os.access` says."""
    fd, tmp_name = _create_temporary(Path(os.fspath(path)))
    os.close(fd)
    _remove(tmp_name)


def _create_temporary(path: Path) -> tuple[int, str]:
    """The open temporary file of a write of ``path`` (after removing stale ones)."""
    directory = path.parent
    if not directory.is_dir():
        raise FileNotFoundError(f"cannot write {path}: directory {directory} does not exist")
    if path.is_dir():
        raise IsADirectoryError(f"cannot write {path}: it is a directory")
    remove_temporaries(path)
    try:
        return tempfile.mkstemp(dir=directory, prefix=owner_prefix(f".{path.name}."),
                                suffix=".tmp")
    except OSError as e:
        error = type(e)(f"cannot write {path}: cannot create a file in {directory} "
                        f"({e.strerror or e})")
        error.errno = e.errno
        raise error from None


# ---------------------------------------------------------------------- whose temporary files
def _host() -> str:
    return re.sub(r"[^A-Za-z0-9]", "", socket.gethostname())[:32] or "host"


def owner_prefix(base: str) -> str:
    """``base`` followed by this process's tag ``HOST-PID.``: the start of the name of a
    temporary file or folder that :func:`remove_stale` may remove once the process is gone."""
    return f"{base}{_host()}-{os.getpid()}."


def remove_stale(directory, base: str, suffix: str = "", *, mine: bool = False) -> list[str]:
    """Remove the temporary files and folders in ``directory`` named
    ``base + "HOST-PID." + ... + suffix`` that this host's process PID left behind when it
    died; returns their names. Those of live processes (and of other hosts, and names
    without a tag) are left alone. With ``mine``, this process's own are removed too: for
    a process that is stopping and writes nothing there any more. Best effort: an entry
    that cannot be removed stays."""
    host, me, removed = _host(), str(os.getpid()), []
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return removed
    for entry in entries:
        name = entry.name
        if not (name.startswith(base) and name.endswith(suffix)):
            continue
        tag = name[len(base):].split(".", 1)[0]
        owner, _, pid = tag.rpartition("-")
        if owner != host or not pid.isdigit() or (_alive(int(pid)) and not (mine and pid == me)):
            continue
        try:
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(entry.path)
            else:
                os.unlink(entry.path)
            removed.append(name)
        except OSError:
            pass
    return removed


def remove_temporaries(path, *, mine: bool = False) -> list[str]:
    """Remove the stale temporary files of writes of ``path`` (see :func:`remove_stale`)."""
    path = Path(os.fspath(path))
    return remove_stale(path.parent, f".{path.name}.", ".tmp", mine=mine)


def _alive(pid: int) -> bool:
    """Whether process ``pid`` exists (True when that cannot be known)."""
    if pid == os.getpid() or os.name != "posix":  # os.kill(pid, 0) ends a process on Windows
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:         # PermissionError: it exists, as another user's
        return True
    return True


def _permissions_for(path: Path) -> int:
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _remove(name: str) -> None:
    try:
        os.unlink(name)
    except FileNotFoundError:
        pass


def fsync_directory(directory: Path) -> None:
    """Make the rename durable; not possible on every platform/file system, so best effort."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)

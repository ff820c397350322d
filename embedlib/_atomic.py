"""Atomic file writes: a file is either written completely or not at all.

``atomic_write`` writes to a temporary file in the target's directory, flushes and
fsyncs it, and only then renames it over the target (``os.replace`` is atomic on
POSIX and on Windows). If anything raises inside the ``with`` block -- including
``KeyboardInterrupt`` -- the temporary file is deleted and the target is left untouched,
so a crash never leaves a half-written vector file, checkpoint or model behind.
"""

from __future__ import annotations

import os
import stat
import tempfile
from contextlib import contextmanager
from pathlib import Path

__all__ = ["atomic_write"]

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
    is ``fsync``-ed after it (best effort), so the new content survives a power loss. The
    new file gets the permissions of the file it replaces, or ``0o666 & ~umask`` for a
    new file, as a plain ``open`` would. On any exception the temporary file is removed
    and the exception propagates.
    """
    if mode not in _MODES:
        raise ValueError(f"mode must be one of {', '.join(map(repr, _MODES))}, got {mode!r}")
    path = Path(os.fspath(path))
    directory = path.parent
    if not directory.is_dir():
        raise FileNotFoundError(f"cannot write {path}: directory {directory} does not exist")
    if path.is_dir():
        raise IsADirectoryError(f"cannot write {path}: it is a directory")
    permissions = _permissions_for(path)

    fd, tmp_name = tempfile.mkstemp(dir=directory, prefix=f".{path.name}.", suffix=".tmp")
    try:
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
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp_name, permissions)
        os.replace(tmp_name, path)
    except BaseException:
        _remove(tmp_name)
        raise
    _fsync_directory(directory)


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


def _fsync_directory(directory: Path) -> None:
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

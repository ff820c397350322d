"""Runs of finished co-occurrence rows spilled to disk, and the private folder they go in.

:func:`embedlib.cooccur.cooccurrence` with a ``memory_limit`` writes each full buffer of
rows to a run file and reads the runs back, in row order, into the result. The folder is
named ``embedlib-cooccur-HOST-PID.XXXXXXXX`` (see :mod:`embedlib._atomic`), so that a
later count removes the folder a killed process left behind; errors name the folder and
the parameter that chooses it.
"""

from __future__ import annotations

import os
import tempfile

import numpy as np

from ._atomic import owner_prefix, remove_stale
from ._errors import spell

__all__ = ["spill_directory", "remove_spill_directories", "write_run", "read_run"]

_PREFIX = "embedlib-cooccur-"


def _parent(tmp_dir) -> str:
    return tempfile.gettempdir() if tmp_dir is None else os.fspath(tmp_dir)


def remove_spill_directories(tmp_dir, *, mine: bool = False) -> list[str]:
    """Remove the folders in ``tmp_dir`` (None: the system's temporary directory) that
    counts killed before their end left behind, and with ``mine`` this process's own
    (see :func:`embedlib._atomic.remove_stale`); returns their names."""
    return remove_stale(_parent(tmp_dir), _PREFIX, mine=mine)


def spill_directory(tmp_dir) -> tempfile.TemporaryDirectory:
    """A new private folder in ``tmp_dir`` (None: the system's temporary directory), once
    the stale ones there are removed."""
    parent = _parent(tmp_dir)
    remove_stale(parent, _PREFIX)
    try:
        return tempfile.TemporaryDirectory(prefix=owner_prefix(_PREFIX), dir=parent)
    except OSError as e:
        raise type(e)(f"cannot create a folder for spilled counts in {parent} "
                      f"({e.strerror or e}); choose another {spell('tmp_dir')}") from None


def write_run(directory: str, name: str, idx: np.ndarray, val: np.ndarray) -> str:
    """Write the columns ``idx`` (int32) and values ``val`` (float64) of a run; its path."""
    path = os.path.join(directory, name)
    try:
        with open(path, "wb") as f:
            # f.write, not ndarray.tofile: a Ctrl-C inside tofile's file handling can come
            # out as a TypeError instead of KeyboardInterrupt
            f.write(memoryview(np.ascontiguousarray(idx, np.int32)).cast("B"))
            f.write(memoryview(np.ascontiguousarray(val, np.float64)).cast("B"))
    except OSError as e:
        raise type(e)(f"cannot spill counts to {directory} ({e.strerror or e}); free space "
                      f"there or choose another {spell('tmp_dir')}") from None
    return path


def read_run(path: str, indices: np.ndarray, data: np.ndarray) -> None:
    """Read the run at ``path`` into ``indices`` (int32 or int64) and ``data`` (float64),
    whose lengths are the run's, and delete the file."""
    with open(path, "rb") as f:
        if indices.dtype == np.int32:
            _read_into(f, indices)
        else:
            indices[:] = np.fromfile(f, np.int32, len(indices))
        _read_into(f, data)
    os.unlink(path)


def _read_into(f, out: np.ndarray) -> None:
    view = memoryview(out).cast("B")
    got = f.readinto(view)
    if got != len(view):
        raise OSError(f"short read from spilled run {f.name}: {got} of {len(view)} bytes")

"""The folder where the data sets that are read or downloaded once are kept."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

__all__ = ["data_dir"]


def data_dir(cache_dir=None) -> Path:
    """The directory for cached data sets, created if needed.

    ``cache_dir`` if given, else ``$EMBEDLIB_DATA``, else the user cache folder that
    ``platformdirs`` names for ``embedlib``: ``$XDG_CACHE_HOME/embedlib`` (by default
    ``~/.cache/embedlib``) on Linux, ``~/Library/Caches/embedlib`` on macOS,
    ``%LOCALAPPDATA%\\embedlib\\Cache`` on Windows.
    """
    if cache_dir is None:
        cache_dir = os.environ.get("EMBEDLIB_DATA") or None
    if cache_dir is None:
        cache_dir = platformdirs.user_cache_dir("embedlib", appauthor=False)
    path = Path(cache_dir).expanduser()
    path.mkdir(parents=True, exist_ok=True)
    return path

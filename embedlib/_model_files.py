"""The file of a saved model (:meth:`embedlib.base.Model.save`): one ``.npz`` archive of
numpy arrays and one JSON text (array ``model``: the class, the layout version, the
parameters, the state and the epoch statistics), written atomically, read without pickles.
What the arrays mean is the model's business; this module only writes and reads them and
says what is wrong with a file that is not one."""

from __future__ import annotations

import json
import os
import zipfile

import numpy as np

from ._atomic import atomic_write

__all__ = ["write_model_file", "read_model_file"]


def write_model_file(path, arrays: dict, meta: dict) -> None:
    """Write ``arrays`` (``words`` as a sequence of str, if present) and ``meta`` (with the
    embedlib version added) to ``path`` atomically; a word npz cannot store (one ending
    with NUL) is a ValueError naming its row."""
    arrays = dict(arrays)
    words = arrays.get("words")
    if words is not None:
        for i, w in enumerate(words):
            if w.endswith("\0"):
                raise ValueError(f"word {w!r} (row {i}) ends with NUL, which npz cannot store")
        arrays["words"] = np.array(words, dtype=str)
    meta = dict(meta, embedlib=_version(),
                params={k: _jsonable(v) for k, v in meta.get("params", {}).items()})
    arrays["model"] = np.array(json.dumps(meta))
    with atomic_write(path, "wb") as f:
        np.savez(f, **arrays)


def read_model_file(name: str) -> tuple[dict, dict]:
    """``(meta, arrays)`` of a file :func:`write_model_file` wrote: FileNotFoundError if
    there is none, ValueError naming the file if it is not an npz archive, holds no model
    description (a file of vectors) or an invalid one."""
    if not os.path.isfile(name):
        raise FileNotFoundError(f"model file not found: {name}")
    if not zipfile.is_zipfile(name):
        raise ValueError(f"{name}: not a saved model (not an .npz archive)")
    try:
        with np.load(name, allow_pickle=False) as data:
            arrays = {key: data[key] for key in data.files}
    except (zipfile.BadZipFile, EOFError, OSError, ValueError) as e:
        raise ValueError(f"{name}: not a saved model ({e})") from None
    if "model" not in arrays:
        raise ValueError(f"{name}: not a saved embedlib model (no array 'model'); a file "
                         "of vectors is read with Embeddings.load")
    try:
        meta = json.loads(str(arrays.pop("model")))
        meta["model"]       # a KeyError, or a TypeError if it is not an object
    except (ValueError, KeyError, TypeError) as e:
        raise ValueError(f"{name}: the model description is not valid ({e})") from None
    return meta, arrays


def _version() -> str:
    """The installed embedlib's version, as its metadata gives it."""
    from importlib.metadata import PackageNotFoundError, version
    try:
        return version("embedlib")
    except PackageNotFoundError:
        return "unknown"


def _jsonable(value):
    """A parameter value as JSON can hold it (numpy scalars and paths as Python values)."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    return value

"""The checks of the words and arrays an :class:`~embedlib.embeddings.Embeddings` is made
of: types, shapes and values, each error naming the argument (and the word)."""

from __future__ import annotations

import numpy as np


def readonly(a: np.ndarray | None) -> np.ndarray | None:
    if a is None:
        return None
    view = a.view()
    view.flags.writeable = False
    return view


def _as_real_array(name: str, value, dtype, ndim: int) -> np.ndarray:
    arr = np.asarray(value)
    if arr.dtype.kind not in "fiub":
        raise TypeError(f"{name} must be a real-valued array, got dtype {arr.dtype}")
    if arr.ndim != ndim:
        want = "(n_words, vector_size)" if ndim == 2 else "(n_words,)"
        raise ValueError(f"{name} must be a {ndim}-D array of shape {want}, got shape {arr.shape}")
    return np.ascontiguousarray(arr, dtype=dtype)


def _per_word(name: str, value, dtype, n: int) -> np.ndarray:
    """A 1-D array with one value per word (counts, biases)."""
    arr = _as_real_array(name, value, dtype, 1)
    if arr.shape != (n,):
        raise ValueError(f"{name} must have shape ({n},), got {arr.shape}")
    return arr


def checked_words(words) -> tuple[tuple[str, ...], dict[str, int]]:
    """(words as a tuple of str, word -> row), or an error naming the bad word."""
    if isinstance(words, (str, bytes)):
        raise TypeError("words must be a sequence of str, not a single string")
    words = tuple(words)
    for i, w in enumerate(words):
        if not isinstance(w, str):
            raise TypeError(f"words must be str, got {type(w).__name__} {w!r} at position {i}")
    if any(type(w) is not str for w in words):  # e.g. numpy.str_ from an array of words
        words = tuple(str(w) for w in words)
    index = {w: i for i, w in enumerate(words)}
    if len(index) != len(words):
        seen = set()
        for i, w in enumerate(words):
            if w in seen:
                raise ValueError(f"duplicate word {w!r} in words (positions {index[w]} and "
                                 f"{i}); each word must appear once")
            seen.add(w)
    return words, index


def checked_arrays(words, vectors, context, counts, bias, context_bias, syn1=None):
    """(vectors, context, counts, bias, context_bias, syn1) as the arrays ``Embeddings`` stores
    (float32, int64 counts, C-contiguous), or a TypeError/ValueError naming the argument."""
    n = len(words)
    vectors = _as_real_array("vectors", vectors, np.float32, 2)
    if vectors.shape[0] != n:
        raise ValueError(f"vectors has {vectors.shape[0]} rows but there are {n} words")
    if vectors.shape[1] < 1:
        raise ValueError(f"vectors must have at least one column, got shape {vectors.shape}")
    d = vectors.shape[1]
    if context is not None:
        context = _as_real_array("context", context, np.float32, 2)
        if context.shape != (n, d):
            raise ValueError(f"context must have the shape of vectors {(n, d)}, "
                             f"got {context.shape}")
    if counts is not None:
        counts = np.asarray(counts)
        if counts.dtype.kind not in "iu" and counts.size:
            raise TypeError(f"counts must be integers, got dtype {counts.dtype}")
        counts = _per_word("counts", counts, np.int64, n)
        if n and counts.min() < 0:
            raise ValueError(f"counts must be >= 0, got {counts.min()} "
                             f"for word {words[int(counts.argmin())]!r}")
    if bias is not None:
        bias = _per_word("bias", bias, np.float32, n)
    if context_bias is not None:
        context_bias = _per_word("context_bias", context_bias, np.float32, n)
    if syn1 is not None:
        syn1 = _as_real_array("syn1", syn1, np.float32, 2)
        if syn1.shape != (max(n - 1, 0), d):
            raise ValueError(f"syn1 must have one row per inner node of the tree, shape "
                             f"{(max(n - 1, 0), d)}, got {syn1.shape}")
    return vectors, context, counts, bias, context_bias, syn1

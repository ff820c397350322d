"""The arguments of the queries of :class:`~embedlib.embeddings.Embeddings`.

A query term is a word, a row number (an int, as in gensim), a raw vector, or a
``(term, weight)`` pair; ``positive`` and ``negative`` take one term or a list of them.
:func:`weighted` turns an argument into ``(key, weight)`` pairs and :func:`query_target`
adds them up into the unit vector the query compares every word with.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence

import numpy as np

# A query vector shorter than this fraction of the sum of its terms' lengths is zero: its
# terms cancel (the same word positive and negative) and it has no direction.
_CANCELLED = 1e-6


def is_row_number(key) -> bool:
    return isinstance(key, (numbers.Integral, np.integer)) and not isinstance(key, bool)


def query_array(v: np.ndarray, d: int) -> np.ndarray:
    """A raw query vector as float64, checked: length ``d``, finite, not zero."""
    if v.shape != (d,):
        raise ValueError(f"query vectors must have shape ({d},), got {v.shape}")
    v = v.astype(np.float64)
    if not np.isfinite(v).all():
        raise ValueError("a query vector has NaN or infinite values")
    if not v.any():
        raise ValueError("a query vector is zero; it has no direction to compare")
    return v


def query_target(emb, items, n_search: int) -> tuple[np.ndarray, set]:
    """(unit float64 target, rows to exclude from the results) for ``(key, weight)``
    items: the weighted sum of the words' unit vectors and of the vectors as given. A
    target with no direction (its terms cancel) is a ValueError."""
    target = np.zeros(emb.vector_size, dtype=np.float64)
    scale, exclude, weights = 0.0, set(), {}
    for key, weight in items:
        if isinstance(key, np.ndarray):
            v = query_array(key, emb.vector_size)
        else:
            row = emb._query_row(key)
            v = emb.normalized()[row].astype(np.float64)
            weights[row] = weights.get(row, 0.0) + weight
            if row < n_search:
                exclude.add(row)
        target += weight * v
        scale += abs(weight) * np.linalg.norm(v)
    norm = np.linalg.norm(target)
    if not norm > _CANCELLED * scale:
        cancelled = [emb.words[r] for r, w in weights.items() if w == 0]
        why = (f": {cancelled[0]!r} is both positive and negative" if cancelled
               else ": its terms cancel")
        raise ValueError(f"the query vector is zero{why}; no word is similar to it")
    return target / norm, exclude


def is_weighted(item) -> bool:
    """Whether ``item`` is a (key, weight) pair: a word, row number or vector and a number."""
    return (isinstance(item, (tuple, list)) and len(item) == 2
            and isinstance(item[1], numbers.Real) and not isinstance(item[1], bool)
            and (isinstance(item[0], (str, np.ndarray)) or is_row_number(item[0])))


def weighted(x, sign: float) -> list:
    """A query argument as (key, weight) pairs; a bare key gets the weight ``sign``, and
    a pair keeps its own (gensim's convention, in ``negative`` too)."""
    return [(item[0], float(item[1])) if is_weighted(item) else (_key(item), sign)
            for item in as_items(x)]


def _key(item):
    if isinstance(item, (np.ndarray, str)) or is_row_number(item):
        return item
    if isinstance(item, numbers.Number):
        raise TypeError(f"query items must be words or vectors, got {item!r}")
    raise TypeError(f"query items must be words, row numbers, vectors or (word, weight) "
                    f"pairs, got {type(item).__name__} {item!r}")


def as_items(x) -> list:
    """A query argument as a list: one word, row number, vector or (word, weight) pair
    becomes a one-element list."""
    if x is None:
        return []
    if isinstance(x, str) or is_row_number(x) or (is_weighted(x) and isinstance(x, tuple)):
        return [x]
    if isinstance(x, np.ndarray):
        return [x] if x.ndim == 1 else list(x)
    if isinstance(x, numbers.Number):
        raise TypeError(f"query items must be words or vectors, got {x!r}")
    if isinstance(x, Sequence) or hasattr(x, "__iter__"):
        return list(x)
    raise TypeError(f"query items must be words or vectors, got {type(x).__name__}")

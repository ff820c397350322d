"""The arithmetic behind the queries of :class:`~embedlib.embeddings.Embeddings`.

Functions of arrays and row numbers only: ``Embeddings`` turns words into rows, checks the
arguments and calls these. The formulas (cosine on unit rows, 3CosAdd, 3CosMul) are stated
in the docstring of :mod:`embedlib.embeddings`.
"""

from __future__ import annotations

import numpy as np

METHODS = ("add", "mul")
COSMUL_EPSILON = 1e-3  # Levy & Goldberg (2014), footnote 7
# Score matrices in batched analogy solving hold at most this many float32 entries each
# (64 MiB); questions are processed in chunks of rows that fit.
MAX_SCORE_ELEMENTS = 1 << 24
_NORM_CHUNK_ROWS = 1 << 16


def unit_rows(vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(rows scaled to unit Euclidean length, which rows are finite). Norms are accumulated
    in float64; all-zero rows stay zero and so do rows with a NaN or an infinity, so that
    no NaN (and no floating-point warning) comes out. Computed in blocks of rows, so that
    the float64 copy stays small."""
    unit = np.empty_like(vectors)
    finite = np.ones(len(vectors), dtype=bool)
    for start in range(0, len(vectors), _NORM_CHUNK_ROWS):
        block = vectors[start:start + _NORM_CHUNK_ROWS].astype(np.float64)
        ok = np.isfinite(block).all(axis=1)
        if not ok.all():
            block[~ok] = 0.0
            finite[start:start + len(block)] = ok
        norms = np.sqrt(np.einsum("ij,ij->i", block, block))
        norms[norms == 0] = 1.0
        unit[start:start + _NORM_CHUNK_ROWS] = block / norms[:, None]
    return unit, finite


def cosines(query: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Cosine of the vector ``query`` with each row (float64); 0 where either is zero."""
    rows = np.asarray(rows, dtype=np.float64)
    query = np.asarray(query, dtype=np.float64)
    den = np.linalg.norm(rows, axis=1) * np.linalg.norm(query)
    dots = rows @ query
    return np.divide(dots, den, out=np.zeros_like(dots), where=den > 0)


def cosmul_scores(cand: np.ndarray, positive, negative, epsilon: float) -> np.ndarray:
    """The multiplicative objective of Levy & Goldberg (2014, eq. 4) for every row of the
    unit matrix ``cand``: the product of the shifted cosines ``(cos + 1) / 2`` with the unit
    vectors ``positive`` over the product of those with ``negative``, plus ``epsilon``."""
    num = np.ones(len(cand), dtype=np.float64)
    den = np.ones(len(cand), dtype=np.float64)
    for terms, out in ((positive, num), (negative, den)):
        for v in terms:
            out *= (cand @ v.astype(np.float32) + 1.0) / 2.0
    return num / (den + epsilon)


def top_k(scores: np.ndarray, k: int) -> np.ndarray:
    """Indices of the ``k`` largest scores, best first; ties go to the smaller index."""
    n = len(scores)
    k = min(k, n)
    if k <= 0:
        return np.empty(0, dtype=np.int64)
    if k < n:
        candidates = np.argpartition(-scores, k - 1)[:k]
    else:
        candidates = np.arange(n)
    order = np.lexsort((candidates, -scores[candidates]))
    return candidates[order]


def analogy_candidates(unit: np.ndarray, n_search: int, method: str) -> np.ndarray:
    """Candidate matrix for :func:`analogy_scores`: the first ``n_search`` unit rows; for
    "mul" with a ones column appended so that one product yields the shifted cosine
    (cos + 1) / 2."""
    if method == "add":
        return unit[:n_search]
    cand = np.empty((n_search, unit.shape[1] + 1), dtype=np.float32)
    cand[:, :-1] = unit[:n_search]
    cand[:, -1] = 1.0
    return cand


def analogy_scores(unit: np.ndarray, a, b, c, cand: np.ndarray, method: str,
                   epsilon: float, out: np.ndarray | None = None) -> np.ndarray:
    """Score matrix (len(a), len(cand)) of every candidate for questions (rows a, b, c).

    ``cand`` comes from :func:`analogy_candidates`. For "add" the scores are dot products
    with ``b - a + c`` (unit vectors; not divided by the target's norm, which does not
    change the argmax); for "mul" the 3CosMul objective with ``epsilon`` added to the
    denominator.
    """
    if method == "add":
        query = unit[b] - unit[a]
        query += unit[c]
        return np.matmul(query, cand.T, out=out)

    # 3CosMul (Levy & Goldberg 2014) with cos' = (cos + 1) / 2 = [u/2, 1/2] . [x, 1].
    def shifted(rows, constant):
        q = np.empty((len(rows), unit.shape[1] + 1), dtype=np.float32)
        np.multiply(unit[rows], 0.5, out=q[:, :-1])
        q[:, -1] = constant
        return q
    s = np.matmul(shifted(b, 0.5), cand.T, out=out)
    t = shifted(c, 0.5) @ cand.T
    s *= t
    np.matmul(shifted(a, 0.5 + epsilon), cand.T, out=t)
    s /= t
    return s


def solve_analogies(unit: np.ndarray, a: np.ndarray, b: np.ndarray, c: np.ndarray,
                    n_search: int, method: str, epsilon: float, groups: np.ndarray | None,
                    max_elements: int, banned: np.ndarray | None = None) -> np.ndarray:
    """The best candidate row per question (-1 if none is left), among the first
    ``n_search`` rows minus the question rows, the rows in ``banned`` and, with ``groups``,
    every row in the group of a question word. Questions go ``max_elements // n_search``
    at a time through one score matrix (three products for "mul"). Ties go to the lower
    row."""
    n_q = len(a)
    predicted = np.full(n_q, -1, dtype=np.int64)
    if n_q == 0 or n_search == 0:
        return predicted
    chunk = max(1, min(n_q, max_elements // n_search))
    buf = np.empty((chunk, n_search), dtype=np.float32)
    cand = analogy_candidates(unit, n_search, method)
    for start in range(0, n_q, chunk):
        ca, cb, cc = a[start:start + chunk], b[start:start + chunk], c[start:start + chunk]
        q = len(ca)
        s = analogy_scores(unit, ca, cb, cc, cand, method, epsilon, out=buf[:q])
        if banned is not None and len(banned):
            s[:, banned] = -np.inf
        rows = np.arange(q)
        for col in (ca, cb, cc):
            inside = col < n_search
            s[rows[inside], col[inside]] = -np.inf
        pred = s.argmax(axis=1)
        if groups is not None:
            _exclude_groups(s, pred, groups, (ca, cb, cc), n_search)
        pred[s[rows, pred] == -np.inf] = -1
        predicted[start:start + q] = pred
    return predicted


def _exclude_groups(s: np.ndarray, pred: np.ndarray, groups: np.ndarray, question_rows,
                    n_search: int) -> None:
    """Move each answer ``pred`` (in place) off the rows that share a group with a
    question word, to the best candidate left in ``s``."""
    rows = np.arange(len(pred))
    qa, qb, qc = (np.where(x < n_search, groups[np.minimum(x, n_search - 1)], -1)
                  for x in question_rows)
    while True:
        gp = groups[pred]
        alive = s[rows, pred] > -np.inf
        bad = alive & ((gp == qa) | (gp == qb) | (gp == qc))
        if not bad.any():
            break
        s[rows[bad], pred[bad]] = -np.inf
        pred[bad] = s[bad].argmax(axis=1)

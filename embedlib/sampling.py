"""Frequent-word subsampling, the noise distribution, and the random numbers kernels draw.

Subsampling (Mikolov et al. 2013b). A word with relative frequency ``f`` is kept with
probability

* ``keep = sqrt(t/f) + t/f`` (the word2vec C code, and gensim; ``formula="c"``), or
* ``keep = sqrt(t/f)`` (the paper: discard with probability ``1 - sqrt(t/f)``;
  ``formula="paper"``),

clipped to [0, 1], with ``t = sample``. ``sample=0`` keeps every word.

Noise distribution. Negative words are drawn from ``P_n(w) ∝ count(w)**ns_exponent``
(0.75 in the paper). Draws use Walker's alias method: two arrays as long as the
vocabulary and O(1) work per draw, where the C tool uses a 100M-entry table (and
binary search on a cumulative table costs O(log V)).

Random numbers. Each kernel carries a 64-bit state and advances it with SplitMix64
(Steele, Lea & Flood 2014), so a seed reproduces a run exactly.
"""

from __future__ import annotations

import numba
import numpy as np

from ._jit import INLINE

__all__ = ["keep_probabilities", "noise_distribution", "AliasTable", "splitmix64",
           "rand_float", "rand_below", "alias_draw", "packed_alias_draw", "SUBSAMPLE_FORMULAS"]

#: The ``formula`` of :func:`keep_probabilities`: the C code's and the paper's.
SUBSAMPLE_FORMULAS = ("c", "paper")


def keep_probabilities(counts, sample: float, formula: str = "c") -> np.ndarray:
    """Probability of keeping each word under frequent-word subsampling (float32)."""
    counts = np.asarray(counts, dtype=np.float64)
    if sample == 0:
        return np.ones(len(counts), dtype=np.float32)
    f = counts / counts.sum()
    r = sample / np.maximum(f, 1e-300)
    if formula == "c":
        keep = np.sqrt(r) + r
    elif formula == "paper":
        keep = np.sqrt(r)
    else:
        raise ValueError(f"subsampling formula must be one of {SUBSAMPLE_FORMULAS}, got "
                         f"{formula!r}")
    return np.minimum(keep, 1.0).astype(np.float32)


def noise_distribution(counts, exponent: float = 0.75) -> np.ndarray:
    """``count**exponent``, normalized (float64)."""
    p = np.asarray(counts, dtype=np.float64) ** exponent
    return p / p.sum()


class AliasTable:
    """Walker's alias table for O(1) draws from a discrete distribution.

    Draw: pick a column ``i`` uniformly, keep it with probability ``prob[i]``, else
    take ``alias[i]``. The training kernels read ``packed``, the same table in one array
    (:func:`packed_alias_draw`).
    """

    def __init__(self, p):
        p = np.asarray(p, dtype=np.float64)
        if p.ndim != 1 or len(p) == 0 or np.any(p < 0) or not np.isfinite(p).all() or p.sum() <= 0:
            raise ValueError("alias table needs a non-empty, non-negative, finite distribution")
        self.p = p / p.sum()
        self.prob, self.alias = _build_alias(self.p)

    def __len__(self):
        return len(self.prob)

    @property
    def packed(self) -> np.ndarray:
        """``prob`` and ``alias`` in one uint64 per column: ``ceil(prob * 2**24)`` in the
        high 32 bits (the coin's threshold), ``alias`` in the low 32. A draw then reads one
        entry instead of two, and chooses between ``i`` and the alias without a branch."""
        threshold = np.ceil(self.prob.astype(np.float64) * 2.0 ** 24).astype(np.uint64)
        return (threshold << np.uint64(32)) | self.alias.astype(np.uint64)

    def sample(self, n: int, seed: int = 0) -> np.ndarray:
        """``n`` draws (for tests and plots; kernels draw inline)."""
        out = np.empty(n, dtype=np.int32)
        _sample_many(self.prob, self.alias, np.uint64(seed), out)
        return out


@numba.njit(cache=True)
def _build_alias(p):
    n = len(p)
    prob = np.empty(n, dtype=np.float32)
    alias = np.arange(n).astype(np.int32)
    scaled = p * n
    small = np.empty(n, dtype=np.int64)
    large = np.empty(n, dtype=np.int64)
    ns = 0
    nl = 0
    for i in range(n):
        if scaled[i] < 1.0:
            small[ns] = i
            ns += 1
        else:
            large[nl] = i
            nl += 1
    while ns > 0 and nl > 0:
        ns -= 1
        s = small[ns]
        l = large[nl - 1]
        prob[s] = scaled[s]
        alias[s] = l
        scaled[l] = (scaled[l] + scaled[s]) - 1.0
        if scaled[l] < 1.0:
            nl -= 1
            small[ns] = l
            ns += 1
    for i in range(nl):
        prob[large[i]] = 1.0
    for i in range(ns):  # only rounding leftovers
        prob[small[i]] = 1.0
    return prob, alias


@numba.njit(**INLINE)  # inlined into the kernels that draw
def splitmix64(state):
    """Advance ``state``; return ``(new_state, 64 random bits)``."""
    state = state + np.uint64(0x9E3779B97F4A7C15)
    z = state
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return state, z ^ (z >> np.uint64(31))


@numba.njit(**INLINE)
def rand_float(bits):
    """Uniform float32 in [0, 1) from the top 24 bits."""
    return np.float32(bits >> np.uint64(40)) * np.float32(1.0 / 16777216.0)


@numba.njit(**INLINE)
def rand_below(bits, n):
    """Uniform integer in [0, n) from the top 32 bits (Lemire's multiply-shift)."""
    return np.int64(((bits >> np.uint64(32)) * np.uint64(n)) >> np.uint64(32))


@numba.njit(**INLINE)
def alias_draw(bits, prob, alias):
    """One draw from an alias table using 64 random bits (32 for the column, 24 for the coin)."""
    i = rand_below(bits, len(prob))
    coin = np.float32(bits & np.uint64(0xFFFFFF)) * np.float32(1.0 / 16777216.0)
    if coin < prob[i]:
        return i
    return np.int64(alias[i])


@numba.njit(**INLINE)
def packed_alias_draw(bits, table):
    """:func:`alias_draw` from :attr:`AliasTable.packed`: the same draw for the same bits.

    The coin ``c / 2**24`` (``c`` the low 24 bits) is below ``prob[i]`` exactly when the
    integer ``c`` is below ``ceil(prob[i] * 2**24)``: both sides are exact in binary."""
    i = rand_below(bits, len(table))
    entry = table[i]
    alias = np.int64(entry & np.uint64(0xFFFFFFFF))
    return i if (bits & np.uint64(0xFFFFFF)) < (entry >> np.uint64(32)) else alias


@numba.njit(cache=True)
def _sample_many(prob, alias, state, out):
    for j in range(len(out)):
        state, bits = splitmix64(state)
        out[j] = alias_draw(bits, prob, alias)

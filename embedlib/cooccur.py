"""Co-occurrence counting: the matrix X that GloVe factorizes and PMI reweights.

``X[i, j]`` is the weighted number of times word ``j`` occurs within ``window`` tokens of
word ``i`` in the same sentence (line of the corpus), where an occurrence at distance
``δ`` counts

* ``1/δ`` with ``weighting="harmonic"`` (the default, as the GloVe tool's ``cooccur``),
* ``1`` with ``weighting="uniform"`` (a plain count),
* ``(window - δ + 1) / window`` with ``weighting="linear"`` (the expected weight of
  word2vec's randomly shrunk window, for comparisons with SGNS).

With ``symmetric=True`` (default) the context reaches ``window`` tokens on both sides, so
``X`` is symmetric: the same nonzero pattern, and values equal up to float64 rounding
(``X[i, j]`` and ``X[j, i]`` add the same weights in different orders). With
``symmetric=False`` only the left context counts: ``X[i, j]`` is the weight of ``j``
occurring *before* ``i``; then ``X.T`` holds the right contexts and ``X + X.T`` is the
symmetric matrix. A word meets itself only at a distance (the two ``is`` of "it is what it
is"); ``include_self=True`` also counts each token as part of its own context, once, with
weight 1 -- the convention of some tutorials, which adds ``count(i)`` to ``X[i, i]``.
Tokens outside the vocabulary were removed when the corpus was encoded, so windows span
the remaining words (as in ``cooccur``).

The algorithm (chapter *Counting co-occurrences*): an inverted index lists, for every
word ``i``, the positions where it occurs. Row ``i`` of ``X`` is then accumulated in a
dense scratch vector of length V (a sparse accumulator) by visiting the windows around
those positions, and written out with sorted column indices. Rows are computed one after
the other, so no table of all pairs is ever held: the working memory beyond the result
is the index (8 bytes per token), the accumulator (9 bytes per vocabulary word and
thread) and a buffer for finished rows (12 bytes per entry). With ``memory_limit`` the
buffer is bounded: when it fills, its rows -- a sorted run, as ``cooccur``'s overflow
files are -- are spilled to a temporary file, and at the end the runs, which hold
disjoint ranges of rows, are merged into the result by concatenation. Each entry is
summed in one place in one fixed order (the positions of ``i`` in increasing order;
around each, the left context from the nearest word outwards, then the right), so the
result is the same bit for bit whatever ``memory_limit`` and ``workers`` are.

The result is a ``scipy.sparse.csr_matrix`` of float64 (sums of ``1/δ`` are fractions,
rounded at 1e-16 relative; the trainers convert what they need), with sorted indices and
no explicit zeros; row and column ``i`` are the word ``corpus.vocab.words[i]``. Each count
is logged at INFO on the ``embedlib.cooccur`` logger (words, window, nonzeros, seconds).
"""

from __future__ import annotations

import logging
import os
import time
from collections import namedtuple
from dataclasses import dataclass

import numba
import numpy as np

from ._lazy import module
from ._checks import check_choice, check_directory, check_int, parse_memory
from ._errors import ParameterError, spell
from ._jit import AHEAD, EXACT, prefetch
from ._parallel import run_threads
from ._spill import read_run, spill_directory, write_run
from .corpus import Corpus

sp = module("scipy.sparse")  # imported when first used (start-up of commands that need none)

__all__ = ["cooccurrence", "check_cooccurrence", "counting_memory", "distance_weights",
           "parse_memory", "WEIGHTINGS"]

WEIGHTINGS = ("harmonic", "uniform", "linear")

logger = logging.getLogger(__name__)

_SCRATCH_BYTES_PER_WORD = 9     # per thread: accumulator (float64) + bitmap (1 bit), rounded up
_ENTRY_BYTES = 12               # a finished entry: column (int32) + value (float64)
_DEFAULT_CHUNK_ENTRIES = 1 << 22  # per thread when memory_limit is None (48 MiB)


def distance_weights(window: int, weighting: str) -> np.ndarray:
    """``weights[δ]`` for δ = 0..window (``weights[0]`` is unused, set to 0)."""
    d = np.arange(window + 1, dtype=np.float64)
    if weighting == "harmonic":
        w = 1.0 / np.maximum(d, 1.0)
    elif weighting == "uniform":
        w = np.ones(window + 1)
    else:
        w = (window - d + 1.0) / window
    w[0] = 0.0
    return w


@dataclass(frozen=True)
class CountingPlan:
    """How a counting run uses memory (bytes), for error messages and the book."""

    index: int        # inverted index of positions and the padded token stream
    scratch: int      # accumulator per thread
    largest_row: int  # buffer for the largest possible row
    workers: int
    chunk_entries: int  # buffer capacity per thread, in entries

    @property
    def minimum(self) -> int:
        """The smallest memory_limit that can count with one thread."""
        return self.index + self.scratch + self.largest_row


def counting_memory(corpus: Corpus, window: int = 10, *, symmetric: bool = True,
                    include_self: bool = False) -> int:
    """The smallest ``memory_limit`` (bytes) with which :func:`cooccurrence` counts ``corpus``."""
    counts = np.bincount(corpus.tokens, minlength=len(corpus.vocab))
    bound = _row_bounds(counts, window, symmetric, include_self)
    return _plan(corpus.n_tokens, len(corpus), len(counts), bound, None, 1).minimum


def _row_bounds(counts: np.ndarray, window: int, symmetric: bool, include_self: bool):
    """Upper bound on the number of nonzeros of each row."""
    per = (2 if symmetric else 1) * window
    return np.minimum(counts * per + int(include_self), len(counts)).astype(np.int64)


def _plan(n_tokens: int, n_sentences: int, V: int, bound: np.ndarray,
          memory_limit: int | None, workers: int) -> CountingPlan:
    n_stream = n_tokens + n_sentences + 1
    # stream (int32), positions of each word (int32 or int64), per-word arrays (int64)
    index = 4 * n_stream + (4 if n_stream < 2**31 else 8) * n_tokens + 8 * 4 * (V + 1)
    scratch = _SCRATCH_BYTES_PER_WORD * V
    largest = int(bound.max(initial=1)) * _ENTRY_BYTES
    if memory_limit is None:
        chunk = max(_DEFAULT_CHUNK_ENTRIES, int(bound.max(initial=1)))
        return CountingPlan(index, scratch, largest, workers, chunk)
    for t in range(workers, 0, -1):  # fewer threads if the limit cannot hold one chunk each
        per_thread = (memory_limit - index) // t - scratch
        if per_thread >= largest:
            return CountingPlan(index, scratch, largest, t, per_thread // _ENTRY_BYTES)
    plan = CountingPlan(index, scratch, largest, 1, 0)
    raise ParameterError(
        f"{spell('memory_limit')} of {memory_limit:,} bytes is too small to hold one chunk: "
        f"counting this corpus needs at least {plan.minimum:,} bytes ({index:,} for the index "
        f"of {n_tokens:,} token positions, {scratch:,} for the accumulator over {V:,} words, "
        f"{largest:,} for the largest row); raise {spell('memory_limit')}", "memory_limit")


# ------------------------------------------------------------------------------- kernels
# Index of the lowest set bit of a 64-bit word by de Bruijn multiplication (Leiserson,
# Prokop & Randall 1998): the bitmap of touched columns is read in column order with it.
_DEBRUIJN = np.uint64(0x03F79D71B4CB0A89)
_DEBRUIJN_TABLE = np.zeros(64, np.int64)
for _b in range(64):
    _DEBRUIJN_TABLE[((int(_DEBRUIJN) << _b) & 0xFFFFFFFFFFFFFFFF) >> 58] = _b


@numba.njit(**EXACT)
def _inverted_index(tokens, offsets, V, occ_start, occ_pos, stream):
    """Lay the corpus out for counting.

    ``stream`` holds the sentences separated by -1 (and starts and ends with -1), so a
    window stops at a sentence boundary without looking sentences up. ``occ_pos`` lists,
    word by word and in increasing order, the positions in ``stream`` where each word
    occurs: those of word ``i`` are ``occ_pos[occ_start[i]:occ_start[i + 1]]``.
    """
    counts = np.zeros(V + 1, np.int64)
    for p in range(len(tokens)):
        counts[tokens[p] + 1] += 1
    for i in range(V):
        counts[i + 1] += counts[i]
    for i in range(V + 1):
        occ_start[i] = counts[i]
    stream[0] = -1
    r = 1
    for s in range(len(offsets) - 1):
        for p in range(offsets[s], offsets[s + 1]):
            w = tokens[p]
            stream[r] = w
            occ_pos[counts[w]] = r
            counts[w] += 1
            r += 1
        stream[r] = -1
        r += 1


# count_rows's arguments, one bundle per role: the corpus laid out for counting (see
# _inverted_index), how an occurrence counts, and one thread's accumulator and buffer.
Index = namedtuple("Index", "stream occ_start occ_pos")
Rule = namedtuple("Rule", "weights window symmetric self_weight")
Buffer = namedtuple("Buffer", "acc bits out_idx out_val")


@numba.njit(**EXACT)
def count_rows(index, rule, buffer, bound, row, row_end, row_nnz):
    """Rows ``row, row+1, ...`` of X (until ``row_end`` or until the buffer is full).

    For word ``i`` and each position ``p`` where it occurs, every token ``j`` at distance
    ``1 <= δ <= window`` in the same sentence (on the left only if not ``symmetric``) adds
    ``weights[δ]`` to ``X[i, j]``; then ``self_weight * count(i)`` is added to ``X[i, i]``
    (0 unless each token counts as its own context). The row is summed in the dense
    accumulator ``acc`` (all zeros between rows; weights are positive, so ``acc[j] == 0``
    means "not touched yet") with a bitmap ``bits`` of the touched columns, read back in
    column order into ``out_idx``/``out_val``; the row's length goes to ``row_nnz[i]``. A
    row starts only if ``bound[i]`` more entries fit. Returns (next row, entries written).
    """
    stream, occ_start, occ_pos = index
    weights, window, symmetric, self_weight = rule
    acc, bits, out_idx, out_val = buffer
    cap = len(out_idx)
    n_occ = len(occ_pos)
    n = 0
    one = np.uint64(1)
    while row < row_end:
        if n + bound[row] > cap:
            break
        a = occ_start[row]
        b = occ_start[row + 1]
        for o in range(a, b):
            if o + AHEAD < n_occ:                   # the window AHEAD occurrences ahead
                ahead = occ_pos[o + AHEAD]
                prefetch(stream, ahead - window)
                prefetch(stream, ahead + window)
            p = occ_pos[o]
            for dist in range(1, window + 1):       # left context, nearest first
                j = stream[p - dist]
                if j < 0:
                    break
                if acc[j] == 0.0:
                    bits[j >> 6] |= one << np.uint64(j & 63)
                acc[j] += weights[dist]
            if symmetric:
                for dist in range(1, window + 1):   # right context
                    j = stream[p + dist]
                    if j < 0:
                        break
                    if acc[j] == 0.0:
                        bits[j >> 6] |= one << np.uint64(j & 63)
                    acc[j] += weights[dist]
        if self_weight != 0.0 and b > a:
            if acc[row] == 0.0:
                bits[row >> 6] |= one << np.uint64(row & 63)
            acc[row] += self_weight * (b - a)
        m = n
        for wi in range(len(bits)):
            word = bits[wi]
            if word == 0:
                continue
            bits[wi] = 0
            base = wi << 6
            while word != 0:
                low = word & (~word + one)
                j = base + _DEBRUIJN_TABLE[(low * _DEBRUIJN) >> np.uint64(58)]
                out_idx[m] = j
                out_val[m] = acc[j]
                acc[j] = 0.0
                m += 1
                word ^= low
        row_nnz[row] = m - n
        n = m
        row += 1
    return row, n


# ------------------------------------------------------------------------------- driver
def cooccurrence(corpus: Corpus, window: int = 10, *, weighting: str = "harmonic",
                 symmetric: bool = True, include_self: bool = False, memory_limit=None,
                 tmp_dir=None, workers: int | None = None) -> sp.csr_matrix:
    """The word-word co-occurrence matrix X of an encoded corpus.

    Parameters
    ----------
    corpus : Corpus
        The encoded corpus (:class:`~embedlib.corpus.Corpus`); row/column ``i`` is
        ``corpus.vocab.words[i]``.
    window : int
        Largest distance counted (GloVe's default is 10, its ``cooccur`` tool's 15).
    weighting : {"harmonic", "uniform", "linear"}
        Weight of an occurrence at distance δ: ``1/δ``, ``1`` or ``(window - δ + 1)/window``.
    symmetric : bool
        Count contexts on both sides (True) or only on the left (``X[i, j]``: ``j`` before ``i``).
    include_self : bool
        Also count every token as its own context once (weight 1): ``X[i, i] += count(i)``.
    memory_limit : int or str, optional
        Bound on the working memory of counting, in bytes (or ``"512M"``, ``"4G"``): the
        position index, the accumulators and the buffers of finished rows, which are spilled
        to disk when full. Not counted: the corpus and the returned matrix. None: no bound,
        nothing written to disk. A limit that cannot hold the index, one accumulator and
        the largest row is a ValueError, raised before any work.
    tmp_dir : path, optional
        Where spilled runs go: a private folder ``embedlib-cooccur-HOST-PID.XXXXXXXX``,
        removed afterwards, also on error; one left by a process that was killed is
        removed by the next spilled count. Default: the system's temporary directory. A
        path that is missing, not a directory or not writable is an OSError naming it.
    workers : int, optional
        Threads (None: all cores); rows are split between them. The result does not depend
        on it.

    Returns
    -------
    scipy.sparse.csr_matrix
        float64, shape (V, V), sorted indices, no explicit zeros.
    """
    if not isinstance(corpus, Corpus):
        raise TypeError(f"corpus must be an embedlib Corpus (Corpus.from_file or "
                        f"Corpus.from_sentences), got {type(corpus).__name__}")
    window = check_int("window", window, 1, 100_000)
    check_choice("weighting", weighting, WEIGHTINGS)
    check_choice("symmetric", symmetric, (True, False))
    check_choice("include_self", include_self, (True, False))
    if workers is not None:
        workers = check_int("workers", workers, 1, 1024)
    if memory_limit is not None:
        memory_limit = parse_memory(memory_limit)
    if tmp_dir is not None:
        tmp_dir = check_directory("tmp_dir", tmp_dir)
    V = len(corpus.vocab)
    tokens, offsets = corpus.tokens, corpus.offsets
    if corpus.n_tokens == 0:
        raise ValueError("the corpus has no in-vocabulary tokens: nothing to count")
    counts = np.bincount(tokens, minlength=V)
    bound = _row_bounds(counts, window, symmetric, include_self)
    T = max(1, min(workers or os.cpu_count() or 1, V))   # workers was checked to be >= 1
    plan = _plan(len(tokens), len(corpus), V, bound, memory_limit, T)  # raises if too small
    T = plan.workers

    t0 = time.perf_counter()
    index = _index(tokens, offsets, V)
    rule = Rule(distance_weights(window, weighting), window, symmetric,
                1.0 if include_self else 0.0)
    row_nnz = np.zeros(V, np.int64)
    ranges = _split_rows(counts, T)

    spill_dir = None if memory_limit is None else spill_directory(tmp_dir)
    try:
        pieces = _count_parallel(index, rule, bound, row_nnz, ranges, plan.chunk_entries,
                                 spill_dir.name if spill_dir else None)
        del index
        X = _assemble(pieces, row_nnz, V)
        _log_count(corpus, X, window, weighting, symmetric, time.perf_counter() - t0)
        return X
    finally:
        if spill_dir is not None:
            spill_dir.cleanup()


def _log_count(corpus, X, window, weighting, symmetric, seconds) -> None:
    logger.info("%s: co-occurrences of %d words (window %d, %s, %s): %d nonzeros in %.2f s",
                corpus.source or "the corpus", X.shape[0], window, weighting,
                "both sides" if symmetric else "left context", X.nnz, seconds)


def _index(tokens, offsets, V: int) -> Index:
    """The corpus laid out for counting (see :func:`_inverted_index`)."""
    occ_start = np.empty(V + 1, np.int64)
    n_stream = len(tokens) + len(offsets)  # tokens and one -1 before every sentence and at the end
    occ_pos = np.empty(len(tokens), np.int32 if n_stream < 2**31 else np.int64)
    stream = np.empty(n_stream, np.int32)
    _inverted_index(tokens, offsets, V, occ_start, occ_pos, stream)
    return Index(stream, occ_start, occ_pos)


def _split_rows(counts: np.ndarray, T: int) -> list[tuple[int, int]]:
    """Contiguous row ranges with about equal numbers of token occurrences (the work)."""
    work = np.cumsum(counts.astype(np.float64) + 1.0)
    cuts = np.searchsorted(work, work[-1] * np.arange(1, T) / T)
    bounds = np.unique(np.concatenate([[0], cuts, [len(counts)]]))
    return [(int(a), int(b)) for a, b in zip(bounds[:-1], bounds[1:])]


def _count_parallel(index, rule, bound, row_nnz, ranges, chunk, spill_dir):
    """Count the row ranges in threads; returns, in row order, the finished runs: arrays
    (in memory) or (path, n) of spilled files."""
    V = len(row_nnz)
    pieces = [[] for _ in ranges]

    def work(t, stop):  # stop is set on any error: the other threads stop after their chunk
        row, end = ranges[t]
        cap = min(chunk, max(int(bound[row:end].sum()), 1))
        buf = Buffer(np.zeros(V, np.float64), np.zeros((V + 63) // 64, np.uint64),
                     np.empty(cap, np.int32), np.empty(cap, np.float64))
        while row < end and not stop.is_set():
            nxt, n = count_rows(index, rule, buf, bound, row, end, row_nnz)
            if nxt == row:  # cannot happen: the plan makes room for the largest row
                raise RuntimeError(f"row {row} does not fit in a chunk of {cap} entries")
            if spill_dir is None:     # keep the run; fresh buffers for the next one
                pieces[t].append((buf.out_idx[:n], buf.out_val[:n]))
                if nxt < end:
                    buf = buf._replace(out_idx=np.empty(cap, np.int32),
                                       out_val=np.empty(cap, np.float64))
            else:
                name = f"run-{t}-{len(pieces[t])}.bin"
                pieces[t].append((write_run(spill_dir, name, buf.out_idx[:n],
                                            buf.out_val[:n]), n))
            row = nxt

    # on Ctrl-C the threads finish writing their chunk before the caller cleans up
    run_threads(work, len(ranges))
    return [p for run in pieces for p in run]


def _assemble(pieces, row_nnz: np.ndarray, V: int) -> sp.csr_matrix:
    """Concatenate the runs (disjoint, increasing row ranges) into one CSR matrix."""
    nnz = int(row_nnz.sum())
    idx_dtype = np.int32 if max(nnz, V) < 2**31 else np.int64
    indptr = np.zeros(V + 1, idx_dtype)
    np.cumsum(row_nnz, out=indptr[1:])
    indices = np.empty(nnz, idx_dtype)
    data = np.empty(nnz, np.float64)
    pos = 0
    for piece in pieces:
        if isinstance(piece[0], str):
            path, n = piece
            read_run(path, indices[pos:pos + n], data[pos:pos + n])
        else:
            idx, val = piece
            n = len(idx)
            indices[pos:pos + n] = idx
            data[pos:pos + n] = val
        pos += n
    if pos != nnz:
        raise RuntimeError(f"co-occurrence runs hold {pos} entries, expected {nnz}")
    X = sp.csr_matrix((data, indices, indptr), shape=(V, V), copy=False)
    X.has_sorted_indices = True
    return X


def check_cooccurrence(X, name: str = "X") -> sp.csr_matrix:
    """``X`` as a float64 CSR matrix with sorted indices and no explicit zeros, or a clear
    error: not 2-D and square, negative or non-finite entries, or no positive entry.

    Accepts anything ``scipy.sparse.csr_matrix`` accepts (sparse matrices and arrays,
    dense arrays). Never modifies ``X``.
    """
    if sp.issparse(X):
        X = sp.csr_matrix(X, dtype=np.float64, copy=True)
    else:
        arr = np.asarray(X)
        if arr.dtype.kind not in "fiub":
            raise TypeError(f"{name} must be a real-valued matrix, got dtype {arr.dtype}")
        if arr.ndim != 2:
            raise ValueError(f"{name} must be a 2-D matrix, got shape {arr.shape}")
        X = sp.csr_matrix(arr.astype(np.float64))
    if X.shape[0] != X.shape[1]:
        raise ValueError(f"{name} must be square (words x context words over one vocabulary), "
                         f"got shape {X.shape}")
    if X.shape[0] == 0:
        raise ValueError(f"{name} is empty (shape {X.shape}): nothing to learn from")
    if not np.isfinite(X.data).all():
        raise ValueError(f"{name} has non-finite entries (NaN or inf)")
    if X.nnz and X.data.min() < 0:
        raise ValueError(f"{name} has negative entries (smallest {X.data.min()!r}); "
                         "co-occurrence counts are >= 0")
    X.eliminate_zeros()
    if X.nnz == 0:
        raise ValueError(f"{name} has no positive entry (all zeros): nothing to learn from")
    X.sum_duplicates()
    X.sort_indices()
    return X

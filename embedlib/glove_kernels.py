"""Numba kernels for GloVe: the AdaGrad step on one nonzero, an epoch's share, the shuffle.

Notation (chapter *GloVe*): ``W`` holds the word vectors ``w_i``, ``C`` the context vectors
``c_j`` (the paper's ``w~_j``), ``b`` and ``b_ctx`` the two biases. The cost is

    J = Σ_{i,j: X_ij > 0} f(X_ij) (w_i·c_j + b_i + b_ctx_j - log X_ij)²,
    f(x) = min(1, (x / x_max)^alpha).

Like the GloVe tool (``glove.c``), a step on the nonzero ``(i, j)`` descends the term
``J_ij / 2 = ½ f(X_ij) e²`` with ``e = w_i·c_j + b_i + b_ctx_j - log X_ij``, whose gradient is

    ∂/∂w_i = f e c_j,   ∂/∂c_j = f e w_i,   ∂/∂b_i = ∂/∂b_ctx_j = f e,

by AdaGrad (Duchi, Hazan & Singer 2011) in the form ``glove.c`` uses: every gradient
component ``g`` is clipped to ``[-clip, clip]`` and scaled, ``u = eta · clip(g)``; the
parameter moves by ``-u / sqrt(G)`` with ``G`` its accumulator *before* this step, and then
``G += u²``. Accumulators start at 1, so the first step is exactly ``-eta · g`` (the tests
check it against finite differences). ``glove.c`` (since v1.2) leaves ``eta`` out of the
bias steps; here it applies to every parameter, as in the paper and ``glove.c`` v1.0 (on
the benchmark corpus the two give the same quality). In float32 with ``fastmath``, LLVM
computes ``u / sqrt(G)`` as ``u`` times a reciprocal square root estimate refined by one
Newton step (relative error below 3e-7, deterministic); the float64 path is exact.

Memory layout. A parameter and its accumulator are used together, so they are stored
together: ``Wg[i, 0]`` is ``w_i`` and ``Wg[i, 1]`` its accumulator (shape ``(V, 2, d)``);
``Cg`` likewise for ``C``; ``bg[i] = (b_i, G)`` and ``cg[j] = (b_ctx_j, G)``. With
``tied=True`` the caller passes ``Wg`` as ``Cg`` and ``bg`` as ``cg`` (one matrix, one bias).

Threads run :func:`train_share` on disjoint shares of a shuffled order without locks
(Hogwild; Recht et al. 2011). The nonzeros are visited in a fresh uniformly random order
each epoch, built in parallel as in Sanders (1998): each thread deals its block of the
previous order into ``T · B`` buckets at random (:func:`deal`), the buckets are gathered
in bucket order (:func:`gather`), and each thread shuffles its ``B`` buckets
(Fisher-Yates, :func:`shuffle_buckets`) and trains on them. Uniform bucket labels and
uniform shuffles within buckets make a uniform permutation. The buckets are small (about
32k nonzeros, 128 KiB of indices), so the random swaps of the shuffle stay in cache,
where one Fisher-Yates over the whole order misses the cache at every swap.
"""

from __future__ import annotations

from collections import namedtuple

import numba
import numpy as np

from ._jit import AHEAD, EXACT, FAST_DIVIDE, prefetch, prefetch_span
from .sampling import rand_below, splitmix64

__all__ = ["Params", "Step", "record_dtype", "glove_update", "train_share", "cost_terms",
           "shuffle_buckets", "deal", "gather"]

Params = namedtuple("Params", "Wg Cg bg cg")
Params.__doc__ = """The parameters with their accumulators, in the layout above (with
``tied``, ``Cg is Wg`` and ``cg is bg``)."""
Step = namedtuple("Step", "eta clip tied")
Step.__doc__ = "The step's settings: learning rate, clipping bound, one matrix or two."


def record_dtype(dtype=np.float32) -> np.dtype:
    """One nonzero as the trainer reads it: (i, j, log X_ij, f(X_ij)), 16 bytes in float32."""
    return np.dtype([("i", np.int32), ("j", np.int32), ("log_x", dtype), ("f_x", dtype)])


@numba.njit(inline="always", **FAST_DIVIDE)
def glove_update(Wg, Cg, bg, cg, i, j, log_x, f_x, eta, clip, tied):
    """One AdaGrad step on the term of nonzero ``(i, j)``; returns ``½ f(X_ij) e²``.

    ``e = w_i·c_j + b_i + b_ctx_j - log X_ij`` and the gradients are those of the module
    docstring, all taken at the current parameters before any of them moves. With
    ``tied`` and ``i == j`` the term is ``½ f (w_i·w_i + 2 b_i - log X_ii)²``, whose
    gradients ``2 f e w_i`` and ``2 f e`` are applied once to the single row.

    Rows are indexed in place (``Wg[i, 0, t]``, no views) and the function is inlined into
    its caller; ``eta · clip(g)`` is computed as ``clip(eta · g)`` with the bound
    ``eta · clip`` (equal up to rounding), one multiplication fewer per component.
    """
    d = Wg.shape[2]
    lim = Wg.dtype.type(eta * clip)
    dot = Wg.dtype.type(0.0)
    for t in range(d):
        dot += Wg[i, 0, t] * Cg[j, 0, t]
    e = dot + bg[i, 0] + cg[j, 0] - log_x
    fe = f_x * e
    if tied and i == j:
        g = (fe + fe) * Wg.dtype.type(eta)          # eta · ∂/∂w_i of ½ f e², w_i = c_i
        for t in range(d):
            u = min(max(g * Wg[i, 0, t], -lim), lim)
            Wg[i, 0, t] -= u / np.sqrt(Wg[i, 1, t])
            Wg[i, 1, t] += u * u
        u = min(max(g, -lim), lim)
        bg[i, 0] -= u / np.sqrt(bg[i, 1])
        bg[i, 1] += u * u
    else:
        g = fe * Wg.dtype.type(eta)
        for t in range(d):
            wt = Wg[i, 0, t]
            ct = Cg[j, 0, t]
            uw = min(max(g * ct, -lim), lim)        # eta · clip(f e c_j)
            uc = min(max(g * wt, -lim), lim)        # eta · clip(f e w_i)
            Wg[i, 0, t] = wt - uw / np.sqrt(Wg[i, 1, t])
            Cg[j, 0, t] = ct - uc / np.sqrt(Cg[j, 1, t])
            Wg[i, 1, t] += uw * uw
            Cg[j, 1, t] += uc * uc
        u = min(max(g, -lim), lim)
        bg[i, 0] -= u / np.sqrt(bg[i, 1])
        cg[j, 0] -= u / np.sqrt(cg[j, 1])
        bg[i, 1] += u * u
        cg[j, 1] += u * u
    return 0.5 * fe * e


@numba.njit(**FAST_DIVIDE)
def train_share(params, records, order, start, stop, step):
    """Steps on the nonzeros ``records[order[k]]``, ``start <= k < stop``, in that order.

    Returns the sum of ``½ f(X_ij) e²`` over them, each at the parameters just before its
    step (float64): what ``glove.c`` prints as the cost, before dividing by the count.
    The record and the rows of the nonzero ``AHEAD`` steps ahead are prefetched.
    """
    Wg, Cg, bg, cg = params
    eta, clip, tied = step
    cost = 0.0
    rw = Wg.shape[1] * Wg.shape[2]     # floats per row of Wg (and Cg): vector + accumulator
    for k in range(start, stop):
        if k + 2 * AHEAD < stop:
            prefetch(records, order[k + 2 * AHEAD])
        if k + AHEAD < stop:
            ahead = records[order[k + AHEAD]]
            prefetch_span(Wg, ahead.i * rw, rw)
            prefetch_span(Cg, ahead.j * rw, rw)
        r = records[order[k]]
        cost += glove_update(Wg, Cg, bg, cg, r.i, r.j, r.log_x, r.f_x, eta, clip, tied)
    return cost


@numba.njit(**EXACT)
def cost_terms(params, indptr, indices, data, x_max, alpha):
    """J = Σ f(X_ij) (w_i·c_j + b_i + b_ctx_j - log X_ij)² over a CSR matrix, in float64."""
    Wg, Cg, bg, cg = params
    J = 0.0
    d = Wg.shape[2]
    for i in range(len(indptr) - 1):
        for k in range(indptr[i], indptr[i + 1]):
            j = indices[k]
            x = data[k]
            dot = 0.0
            for t in range(d):
                dot += np.float64(Wg[i, 0, t]) * np.float64(Cg[j, 0, t])
            e = dot + np.float64(bg[i, 0]) + np.float64(cg[j, 0]) - np.log(x)
            f = 1.0 if x >= x_max else (x / x_max) ** alpha
            J += f * e * e
    return J


@numba.njit(**EXACT)
def shuffle_buckets(a, starts, first, last, seed):
    """Fisher-Yates shuffle of each bucket ``a[starts[b]:starts[b + 1]]``, ``first <= b <
    last``, in place, one SplitMix64 stream from ``seed`` running through them."""
    state = np.uint64(seed)
    for b in range(first, last):
        lo = starts[b]
        for k in range(starts[b + 1] - 1, lo, -1):
            state, bits = splitmix64(state)
            r = lo + rand_below(bits, k - lo + 1)
            tmp = a[k]
            a[k] = a[r]
            a[r] = tmp


@numba.njit(**EXACT)
def deal(bucket, start, stop, n_buckets, seed, counts):
    """Draw a bucket uniformly in ``[0, n_buckets)`` for each position ``start..stop-1``;
    ``counts[b]`` receives how many went to bucket ``b``."""
    state = np.uint64(seed)
    for k in range(start, stop):
        state, bits = splitmix64(state)
        b = rand_below(bits, n_buckets)
        bucket[k] = b
        counts[b] += 1


@numba.njit(**EXACT)
def gather(src, bucket, start, stop, cursor, dst):
    """``dst[cursor[b]++] = src[k]`` for ``k`` in ``start..stop-1`` with ``b = bucket[k]``."""
    for k in range(start, stop):
        b = bucket[k]
        dst[cursor[b]] = src[k]
        cursor[b] += 1

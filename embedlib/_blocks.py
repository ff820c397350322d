"""Six output rows at a time: the register-blocked loops of the negative-sampling kernels.

The dot products of one input row with a group of ``BLOCK`` output rows share each load of
the input row, and each update of an input row adds the whole group's contribution in one
pass (:mod:`embedlib.w2v_kernels`). Batches are padded to a multiple of ``BLOCK`` with rows
whose gradient is zero. Every function here is inlined into its caller.

Rows are named by a matrix and a row number (``C, c0``: the row ``C[c0]``), never passed
as row views: a view is a new array object, and Numba counts references to it with two
atomic operations each time one is made, which in these loops cost more than the
arithmetic. ``d`` is the number of columns to run over. The training loops pass the padded
row width as a compile-time constant (see :data:`embedlib._jit.LANES`), so that the loops
have a fixed trip count and compile to straight vector code. ``first`` writes ``y = ...``
instead of ``y += ...``: the first block of a sum needs no zeroed ``y``.
"""

from __future__ import annotations

import numba

from ._jit import INLINE

__all__ = ["BLOCK", "pad_outputs", "dots6", "axpy6", "distinct6", "gather_scatter6"]

BLOCK = 6


@numba.njit(**INLINE)
def pad_outputs(O, o, n_out):
    """Pad ``O[o, :n_out]`` to whole blocks with copies of ``O[o, 0]``; returns the new
    length."""
    n = n_out
    while n % BLOCK:
        O[o, n] = O[o, 0]
        n += 1
    return n


@numba.njit(**INLINE)
def dots6(X, x, C, c0, c1, c2, c3, c4, c5, D, i, j, d):
    """D[i, j:j+6] = X[x] · C[c_u] for six output rows c_0..c_5, in one pass over X[x]."""
    a0 = a1 = a2 = a3 = a4 = a5 = X.dtype.type(0.0)
    for t in range(d):
        v = X[x, t]
        a0 += v * C[c0, t]
        a1 += v * C[c1, t]
        a2 += v * C[c2, t]
        a3 += v * C[c3, t]
        a4 += v * C[c4, t]
        a5 += v * C[c5, t]
    D[i, j] = a0
    D[i, j + 1] = a1
    D[i, j + 2] = a2
    D[i, j + 3] = a3
    D[i, j + 4] = a4
    D[i, j + 5] = a5


@numba.njit(**INLINE)
def axpy6(Y, y, C, c0, c1, c2, c3, c4, c5, G, i, j, d, first=False):
    """Y[y] += Σ_{u<6} G[i, j+u] C[c_u] in one pass over Y[y] (``first``: Y[y] = Σ ...)."""
    g0 = G[i, j]
    g1 = G[i, j + 1]
    g2 = G[i, j + 2]
    g3 = G[i, j + 3]
    g4 = G[i, j + 4]
    g5 = G[i, j + 5]
    if first:
        for t in range(d):
            Y[y, t] = (g0 * C[c0, t] + g1 * C[c1, t] + g2 * C[c2, t] + g3 * C[c3, t]
                       + g4 * C[c4, t] + g5 * C[c5, t])
    else:
        for t in range(d):
            Y[y, t] += (g0 * C[c0, t] + g1 * C[c1, t] + g2 * C[c2, t] + g3 * C[c3, t]
                        + g4 * C[c4, t] + g5 * C[c5, t])


@numba.njit(**INLINE)
def distinct6(c0, c1, c2, c3, c4, c5):
    """Whether six row numbers are distinct."""
    return (c0 != c1 and c0 != c2 and c0 != c3 and c0 != c4 and c0 != c5
            and c1 != c2 and c1 != c3 and c1 != c4 and c1 != c5
            and c2 != c3 and c2 != c4 and c2 != c5
            and c3 != c4 and c3 != c5 and c4 != c5)


@numba.njit(**INLINE)
def gather_scatter6(Y, y, X, x, C, c0, c1, c2, c3, c4, c5, G, j, d, first=False):
    """In one pass: Y[y] += Σ_u G[0, j+u] C[c_u] (old rows), then C[c_u] += G[0, j+u] X[x]
    (``first``: Y[y] = Σ ...).

    Element by element every row is read before it is written, so the result is that of
    the two steps one after the other even when two of the rows are the same (LLVM checks
    at run time whether the rows overlap, and runs the loop one element at a time if they
    do). Y[y] and X[x] must not be one of the rows.
    """
    g0 = G[0, j]
    g1 = G[0, j + 1]
    g2 = G[0, j + 2]
    g3 = G[0, j + 3]
    g4 = G[0, j + 4]
    g5 = G[0, j + 5]
    if first:
        for t in range(d):
            v = X[x, t]
            Y[y, t] = (g0 * C[c0, t] + g1 * C[c1, t] + g2 * C[c2, t] + g3 * C[c3, t]
                       + g4 * C[c4, t] + g5 * C[c5, t])
            C[c0, t] += g0 * v
            C[c1, t] += g1 * v
            C[c2, t] += g2 * v
            C[c3, t] += g3 * v
            C[c4, t] += g4 * v
            C[c5, t] += g5 * v
    else:
        for t in range(d):
            v = X[x, t]
            Y[y, t] += (g0 * C[c0, t] + g1 * C[c1, t] + g2 * C[c2, t] + g3 * C[c3, t]
                        + g4 * C[c4, t] + g5 * C[c5, t])
            C[c0, t] += g0 * v
            C[c1, t] += g1 * v
            C[c2, t] += g2 * v
            C[c3, t] += g3 * v
            C[c4, t] += g4 * v
            C[c5, t] += g5 * v

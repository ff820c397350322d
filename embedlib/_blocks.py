"""Six output rows at a time: the register-blocked loops of the negative-sampling kernels.

The dot products of one input row with a group of ``BLOCK`` output rows share each load of
the input row, and each update of an input row adds the whole group's contribution in one
pass (:mod:`embedlib.w2v_kernels`). Batches are padded to a multiple of ``BLOCK`` with rows
whose gradient is zero. Every function here is inlined into its caller.
"""

from __future__ import annotations

import numba

from ._jit import INLINE

__all__ = ["BLOCK", "pad_outputs", "dots6", "axpy6", "distinct6", "gather_scatter6", "dots2",
           "axpy2"]

BLOCK = 6


@numba.njit(**INLINE)
def pad_outputs(outs, n_out):
    """Pad ``outs[:n_out]`` to whole blocks with copies of ``outs[0]``; returns the new length."""
    n = n_out
    while n % BLOCK:
        outs[n] = outs[0]
        n += 1
    return n


@numba.njit(**INLINE)
def dots6(x, c0, c1, c2, c3, c4, c5, D, i, j):
    """D[i, j:j+6] = x · c_u for six output rows c_0..c_5, in one pass over x."""
    d = x.shape[0]
    a0 = a1 = a2 = a3 = a4 = a5 = x.dtype.type(0.0)
    for t in range(d):
        v = x[t]
        a0 += v * c0[t]
        a1 += v * c1[t]
        a2 += v * c2[t]
        a3 += v * c3[t]
        a4 += v * c4[t]
        a5 += v * c5[t]
    D[i, j] = a0
    D[i, j + 1] = a1
    D[i, j + 2] = a2
    D[i, j + 3] = a3
    D[i, j + 4] = a4
    D[i, j + 5] = a5


@numba.njit(**INLINE)
def axpy6(y, c0, c1, c2, c3, c4, c5, G, i, j):
    """y += Σ_{u<6} G[i, j+u] c_u in one pass over y."""
    d = y.shape[0]
    g0 = G[i, j]
    g1 = G[i, j + 1]
    g2 = G[i, j + 2]
    g3 = G[i, j + 3]
    g4 = G[i, j + 4]
    g5 = G[i, j + 5]
    for t in range(d):
        y[t] += g0 * c0[t] + g1 * c1[t] + g2 * c2[t] + g3 * c3[t] + g4 * c4[t] + g5 * c5[t]


@numba.njit(**INLINE)
def distinct6(outs, j):
    """Whether the six rows ``outs[j:j+6]`` are distinct."""
    for u in range(j, j + BLOCK):
        for v in range(u + 1, j + BLOCK):
            if outs[u] == outs[v]:
                return False
    return True


@numba.njit(**INLINE)
def gather_scatter6(y, h, c0, c1, c2, c3, c4, c5, G, j):
    """In one pass: y += Σ_u G[0, j+u] c_u (old rows), then c_u += G[0, j+u] h.

    The six rows must be distinct (each is read before it is written, element by element).
    """
    d = y.shape[0]
    g0 = G[0, j]
    g1 = G[0, j + 1]
    g2 = G[0, j + 2]
    g3 = G[0, j + 3]
    g4 = G[0, j + 4]
    g5 = G[0, j + 5]
    for t in range(d):
        x = h[t]
        y[t] += g0 * c0[t] + g1 * c1[t] + g2 * c2[t] + g3 * c3[t] + g4 * c4[t] + g5 * c5[t]
        c0[t] += g0 * x
        c1[t] += g1 * x
        c2[t] += g2 * x
        c3[t] += g3 * x
        c4[t] += g4 * x
        c5[t] += g5 * x


@numba.njit(**INLINE)
def dots2(x, c0, c1, D, i, j):
    """D[i, j:j+2] = x · c_u for two output rows (the tail of a batch that is not a whole
    number of blocks)."""
    d = x.shape[0]
    a0 = a1 = x.dtype.type(0.0)
    for t in range(d):
        v = x[t]
        a0 += v * c0[t]
        a1 += v * c1[t]
    D[i, j] = a0
    D[i, j + 1] = a1


@numba.njit(**INLINE)
def axpy2(y, c0, c1, G, i, j):
    """y += G[i, j] c_0 + G[i, j+1] c_1 in one pass over y."""
    d = y.shape[0]
    g0 = G[i, j]
    g1 = G[i, j + 1]
    for t in range(d):
        y[t] += g0 * c0[t] + g1 * c1[t]

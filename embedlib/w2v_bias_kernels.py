"""Numba kernels of the per-word biases of word2vec (``bias=True``): the biases in the scores
of negative sampling and their steps, for skip-gram and CBOW, and the private copies of hot
rows. Conventions as in :mod:`embedlib.w2v_kernels`."""

from __future__ import annotations

import numba

from ._jit import INLINE

@numba.njit(**INLINE)
def add_bias_scores(D, i, n, b_in, bc, outs):
    """D[i, j] += b_in + b~[outs[j]] for j < n: the two biases in the scores of input i."""
    for j in range(n):
        D[i, j] += b_in + bc[outs[j]]


@numba.njit(**INLINE)
def mean_bias(bw, ctx, m):
    """(1/m) Σ_{i<m} b[ctx[i]]: CBOW's input bias, the mean of the context words' biases."""
    acc = 0.0
    for i in range(m):
        acc += bw[ctx[i]]
    return bw.dtype.type(acc / m)


@numba.njit(**INLINE)
def sg_bias_steps(D, m, n_out, bw, bc, ctx, outs):
    """The biases' steps from the steps of the scores G = D (skip-gram): b[ctx[i]] +=
    Σ_j G[i, j], b~[outs[j]] += Σ_i G[i, j]. Every step is a sum of coefficients taken
    before any bias moved, so W is C (one bias array) needs nothing more."""
    for i in range(m):
        g = 0.0
        for j in range(n_out):
            g += D[i, j]
        bw[ctx[i]] += g
    for j in range(n_out):
        g = 0.0
        for i in range(m):
            g += D[i, j]
        bc[outs[j]] += g


@numba.njit(**INLINE)
def cbow_bias_steps(D, m, n_out, bw, bc, ctx, outs, in_scale):
    """The biases' steps from G = D[0] (CBOW): b~[outs[j]] += G[0, j], and every context
    word's bias += ``in_scale`` Σ_j G[0, j] (1 as the C code treats the input rows, 1/m for
    the exact gradient of the mean)."""
    g = 0.0
    for j in range(n_out):
        g += D[0, j]
        bc[outs[j]] += D[0, j]
    g *= in_scale
    for i in range(m):
        bw[ctx[i]] += g


@numba.njit(**INLINE)
def _checkout_biases(bw, bc, hot, row0, bh0, tied):
    """Private copies of the hot words' biases (as :func:`_checkout` for their rows)."""
    for r in range(hot):
        bw[row0 + r] = bh0[0, r] = bw[r]
        if not tied:
            bc[row0 + r] = bh0[1, r] = bc[r]


@numba.njit(**INLINE)
def _checkin_biases(bw, bc, hot, row0, bh0, tied):
    for r in range(hot):
        bw[r] += bw[row0 + r] - bh0[0, r]
        if not tied:
            bc[r] += bc[row0 + r] - bh0[1, r]


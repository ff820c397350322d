"""Numba kernels of word2vec's full softmax (for teaching and small vocabularies): the step
on every output row for one hidden vector, and CBOW with it. Conventions as in
:mod:`embedlib.w2v_kernels`."""

from __future__ import annotations

import math

import numba
import numpy as np

from ._jit import FAST

@numba.njit(**FAST)
def softmax_output_update(C, h, targets, n_t, lr, grad_h, scores, bias, bc):
    """Full-softmax step on all output rows for one hidden vector ``h``.

    p(o | h) = exp(h·c_o) / Σ_w exp(h·c_w); L = Σ_{o in targets} -log p(o | h). Then
    ∂L/∂(h·c_w) = n_t p_w - #{o = w}, ∂L/∂h = Σ_w (n_t p_w - #{o = w}) c_w and
    ∂L/∂c_w = (n_t p_w - #{o = w}) h (chapter *Skip-gram with the full softmax*). Sets
    ``grad_h = -lr ∂L/∂h``, updates every row of ``C`` and returns L.

    With ``bias`` the scores are h·c_w + b~_w (``bc`` = b~) and ∂L/∂b~_w = n_t p_w - #{o =
    w}. The input word's bias would add the same constant to every score, which the
    softmax cancels: it has no gradient and is not an argument.
    """
    V, d = C.shape
    mx = -np.inf
    for w in range(V):
        dot = C.dtype.type(0.0)
        for t in range(d):
            dot += h[t] * C[w, t]
        if bias:
            dot += bc[w]
        scores[w] = dot
        if dot > mx:
            mx = dot
    z = 0.0
    for w in range(V):
        z += math.exp(scores[w] - mx)
    log_z = mx + math.log(z)
    loss = 0.0
    for i in range(n_t):
        loss += log_z - scores[targets[i]]
    # scores <- -lr ∂L/∂(h·c_w)
    for w in range(V):
        scores[w] = -lr * n_t * math.exp(scores[w] - log_z)
    for i in range(n_t):
        scores[targets[i]] += lr
    for t in range(d):
        grad_h[t] = 0.0
    for w in range(V):
        g = scores[w]
        for t in range(d):
            grad_h[t] += g * C[w, t]
            C[w, t] += g * h[t]
    if bias:
        for w in range(V):
            bc[w] += scores[w]
    return loss


@numba.njit(**FAST)
def cbow_softmax_update(W, C, ctx, m, center, lr, h, grad_h, scores, cbow_exact, bias,
                        bc):
    """CBOW with the full softmax: h = mean of the context rows predicts ``center`` (with
    ``bias``, output biases as in :func:`softmax_output_update`)."""
    target = np.empty(1, np.int64)
    target[0] = center
    return cbow_softmax_target(W, C, ctx, m, target, lr, h, grad_h, scores, cbow_exact, bias,
                               bc)


@numba.njit(**FAST)
def cbow_softmax_target(W, C, ctx, m, target, lr, h, grad_h, scores, cbow_exact, bias, bc):
    """:func:`cbow_softmax_update` with the center word given as ``target[0]``, so that it
    allocates nothing (the training kernel, which has no reference counting, passes a
    one-word slice of its sentence)."""
    d = W.shape[1]
    inv = W.dtype.type(1.0 / m)
    for t in range(d):
        h[t] = 0.0
    for i in range(m):
        for t in range(d):
            h[t] += W[ctx[i], t]
    for t in range(d):
        h[t] *= inv
    loss = softmax_output_update(C, h, target, 1, lr, grad_h, scores, bias, bc)
    if cbow_exact:
        for t in range(d):
            grad_h[t] *= inv
    for i in range(m):
        wi = ctx[i]
        for t in range(d):
            W[wi, t] += grad_h[t]
    return loss


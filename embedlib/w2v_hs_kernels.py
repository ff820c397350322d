"""Numba kernels of hierarchical softmax for word2vec: a word's path in the Huffman tree
(``embedlib.huffman``), the step on its inner nodes' rows of ``S`` (the C code's ``syn1``)
for skip-gram and CBOW, and the input rows' step. Conventions as in
:mod:`embedlib.w2v_kernels`, whose ``train_job`` calls them."""

from __future__ import annotations

import numba

from ._blocks import BLOCK, axpy2, axpy6, dots2, dots6
from ._jit import INLINE
from ._sigmoid import _one_minus_sigmoid_and_loss, one_minus_sigmoid

@numba.njit(**INLINE)
def load_path(word, path_codes, path_points, path_offsets, nodes, signs, hot_lo=-1, srow0=0):
    """Copy the path of ``word`` in the Huffman tree (``embedlib.huffman``) to ``nodes``
    (the inner nodes, rows of ``S``) and ``signs`` (s_j = 1 - 2 code_j); returns its length.

    Nodes from ``hot_lo`` up (the ones nearest the root, on most paths) are this thread's
    private rows from ``srow0`` on (see :func:`~embedlib.w2v_kernels.train_job`); -1: none are."""
    a = path_offsets[word]
    n = path_offsets[word + 1] - a
    for j in range(n):
        p = path_points[a + j]
        nodes[j] = p - hot_lo + srow0 if (hot_lo >= 0 and p >= hot_lo) else p
        signs[j] = 1.0 - 2.0 * path_codes[a + j]
    return n


@numba.njit(**INLINE)
def _checkout_nodes(S, hot, hot_lo, srow0, Sh0):
    """Private copies ``S[srow0 + r]`` of the ``hot`` inner nodes ``hot_lo + r`` (those
    nearest the root), and a snapshot of them (see :func:`~embedlib.w2v_kernels.train_job`)."""
    d = S.shape[1]
    for r in range(hot):
        for t in range(d):
            S[srow0 + r, t] = Sh0[r, t] = S[hot_lo + r, t]


@numba.njit(**INLINE)
def _checkin_nodes(S, hot, hot_lo, srow0, Sh0):
    """Add what the job changed in its private copies of the hot inner nodes to the shared
    rows."""
    d = S.shape[1]
    for r in range(hot):
        for t in range(d):
            S[hot_lo + r, t] += S[srow0 + r, t] - Sh0[r, t]


@numba.njit(**INLINE)
def _hs_coefficients(D, i, signs, n_path, n_pad, lr, compute_loss, exact):
    """Turn scores D[i, j] = w·v_j into steps G[i, j] = -lr ∂L/∂(w·v_j) (in place).

    The loss of node j is -log σ(s_j x) with x = w·v_j, so -lr ∂L/∂x = lr s_j (1 - σ(s_j x)):
    the negative-sampling coefficient with label 1 - code_j. Padding gets 0. Returns the loss.
    """
    loss = 0.0
    for j in range(n_path):
        s = signs[j]
        x = s * D[i, j]
        if compute_loss:
            g, ell = _one_minus_sigmoid_and_loss(x, exact)
            loss += ell
        else:
            g = one_minus_sigmoid(x, exact)
        D[i, j] = s * lr * g
    for j in range(n_path, n_pad):
        D[i, j] = 0.0
    return loss


@numba.njit(**INLINE)
def mean_of_rows(W, ctx, m, h):
    """h = (1/m) Σ_{i<m} W[ctx[i]]: CBOW's hidden layer."""
    d = W.shape[1]
    inv = W.dtype.type(1.0 / m)
    for t in range(d):
        h[t] = 0.0
    for i in range(m):
        wr = W[ctx[i]]
        for t in range(d):
            h[t] += wr[t]
    for t in range(d):
        h[t] *= inv


@numba.njit(**INLINE)
def _pad_path(nodes, n_path):
    """(end of the whole blocks, padded length): a path is processed BLOCK nodes at a time,
    then two at a time, padded to an even length with a copy of ``nodes[0]``."""
    n6 = n_path - n_path % BLOCK
    n2 = n_path + n_path % 2
    if n2 > n_path:
        nodes[n_path] = nodes[0]
    return n6, n2


@numba.njit(**INLINE)
def _path_dots(x, S, nodes, n6, n2, D, i):
    """D[i, j] = x·S[nodes[j]] for j < n2."""
    for j in range(0, n6, BLOCK):
        dots6(x, S[nodes[j]], S[nodes[j + 1]], S[nodes[j + 2]], S[nodes[j + 3]],
              S[nodes[j + 4]], S[nodes[j + 5]], D, i, j)
    for j in range(n6, n2, 2):
        dots2(x, S[nodes[j]], S[nodes[j + 1]], D, i, j)


@numba.njit(**INLINE)
def _path_axpy(y, S, nodes, n6, n2, D, i):
    """y = Σ_{j<n2} D[i, j] S[nodes[j]] (y is overwritten)."""
    for t in range(y.shape[0]):
        y[t] = 0.0
    for j in range(0, n6, BLOCK):
        axpy6(y, S[nodes[j]], S[nodes[j + 1]], S[nodes[j + 2]], S[nodes[j + 3]],
              S[nodes[j + 4]], S[nodes[j + 5]], D, i, j)
    for j in range(n6, n2, 2):
        axpy2(y, S[nodes[j]], S[nodes[j + 1]], D, i, j)


@numba.njit(**INLINE)  # inlined into train_job, where exact=False folds away
def sg_hs_update(W, S, ctx, m, nodes, signs, n_path, lr, D, E, compute_loss, exact):
    """One skip-gram hierarchical-softmax step for one center word (HogBatch form).

    The inputs are the rows ``w_i = W[ctx[i]]``, ``i < m`` (the words around the center),
    as in :func:`~embedlib.w2v_kernels.sgns_update`; the output is the center word's path
    through the Huffman tree: inner nodes ``v_j = S[nodes[j]]`` with signs ``s_j = 1 - 2 code_j``, ``j < n_path``
    (:func:`load_path`). The loss is the negative log-probability of the center word,

        L = Σ_i Σ_j -log σ(s_j w_i·v_j),

    with ∂L/∂v_j = Σ_i -s_j (1 - σ(s_j w_i·v_j)) w_i and ∂L/∂w_i = Σ_j -s_j (1 - σ(s_j w_i·v_j)) v_j
    (module ``embedlib.huffman``). Both are taken at the current parameters; the step of
    every node row is applied here, the steps of the inputs are left in ``E[i] = -lr ∂L/∂w_i``
    for :func:`add_input_steps` (after a negative-sampling step at the same parameters, when
    both objectives are trained). ``S`` is never ``W`` or ``C``, and the nodes of a path are
    distinct.

    Scratch: ``nodes`` and ``signs`` have room for ``n_path`` rounded up to 2; ``D`` holds
    the scores, ``E`` the input steps.
    """
    d = W.shape[1]
    n6, n2 = _pad_path(nodes, n_path)
    lr = W.dtype.type(lr)
    loss = 0.0
    for i in range(m):
        wr = W[ctx[i]]
        _path_dots(wr, S, nodes, n6, n2, D, i)
        loss += _hs_coefficients(D, i, signs, n_path, n2, lr, compute_loss, exact)
        _path_axpy(E[i], S, nodes, n6, n2, D, i)
    # nodes: v_j += Σ_i G[i, j] w_i, four input rows per pass, then the rest
    m4 = m - m % 4
    for j in range(n_path):
        vr = S[nodes[j]]
        for i in range(0, m4, 4):
            g0 = D[i, j]
            g1 = D[i + 1, j]
            g2 = D[i + 2, j]
            g3 = D[i + 3, j]
            w0 = W[ctx[i]]
            w1 = W[ctx[i + 1]]
            w2 = W[ctx[i + 2]]
            w3 = W[ctx[i + 3]]
            for t in range(d):
                vr[t] += g0 * w0[t] + g1 * w1[t] + g2 * w2[t] + g3 * w3[t]
        i = m4
        if m - i >= 2:
            g0 = D[i, j]
            g1 = D[i + 1, j]
            w0 = W[ctx[i]]
            w1 = W[ctx[i + 1]]
            for t in range(d):
                vr[t] += g0 * w0[t] + g1 * w1[t]
            i += 2
        if i < m:
            g0 = D[i, j]
            w0 = W[ctx[i]]
            for t in range(d):
                vr[t] += g0 * w0[t]
    return loss


@numba.njit(**INLINE)
def cbow_hs_update(W, S, ctx, m, nodes, signs, n_path, lr, h, E, D, cbow_exact,
                   compute_loss, exact):
    """One CBOW hierarchical-softmax step: the mean of the context predicts the center word.

    h = (1/m) Σ_i w_i with w_i = W[ctx[i]];  L = Σ_j -log σ(s_j h·v_j) over the center
    word's path (``nodes``, ``signs``: see :func:`sg_hs_update`). ∂L/∂v_j = -s_j (1 -
    σ(s_j h·v_j)) h and ∂L/∂h = Σ_j -s_j (1 - σ(s_j h·v_j)) v_j, both at the current
    parameters. The node rows are stepped here; ``E[0]`` receives the step of every context
    row for :func:`add_input_steps`: -lr ∂L/∂h undivided (as the C code and gensim do,
    ``cbow_exact=False``) or divided by m (the exact gradient of the mean).
    """
    d = W.shape[1]
    n6, n2 = _pad_path(nodes, n_path)
    lr = W.dtype.type(lr)
    inv = W.dtype.type(1.0 / m)
    mean_of_rows(W, ctx, m, h)
    _path_dots(h, S, nodes, n6, n2, D, 0)
    loss = _hs_coefficients(D, 0, signs, n_path, n2, lr, compute_loss, exact)
    e = E[0]
    _path_axpy(e, S, nodes, n6, n2, D, 0)
    for j in range(n_path):
        vr = S[nodes[j]]
        g = D[0, j]
        for t in range(d):
            vr[t] += g * h[t]
    if cbow_exact:
        for t in range(d):
            e[t] *= inv
    return loss


@numba.njit(**INLINE)
def add_input_steps(W, ctx, m, E, sg):
    """Apply the input steps a hierarchical-softmax update left in ``E``: ``W[ctx[i]] +=
    E[i]`` for skip-gram, ``W[ctx[i]] += E[0]`` for every context row of CBOW."""
    d = W.shape[1]
    for i in range(m):
        wr = W[ctx[i]]
        e = E[i] if sg else E[0]
        for t in range(d):
            wr[t] += e[t]


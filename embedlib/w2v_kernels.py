"""Numba kernels for word2vec: skip-gram and CBOW, negative sampling and the full softmax.

Notation (as in the book): ``W`` holds the word (input) vectors, ``C`` the context (output)
vectors, ``k`` the number of negative samples, ``σ`` the logistic function. With
``tied=True`` the caller passes the same array as ``W`` and ``C``.

Every update function computes the loss and its gradient at the current parameters, then
applies ``θ ← θ - lr · ∂L/∂θ`` and returns the loss (float64). Tests call them with
float64 arrays and compare the step with finite differences of the returned loss.

Which word is the input. For negative sampling the kernels follow the word2vec C code:
around a center word, each context word's row of ``W`` is the input and the center word's
row of ``C`` is the positive output (with ``k`` noise rows of ``C`` as negatives). Pairs in
a symmetric window are symmetric, so this is the skip-gram of the paper with the two
names exchanged; it lets one center word's outputs be shared by its whole window. The
full-softmax trainer, which exists for teaching, uses the textbook direction: the center
word's row of ``W`` predicts each context word over all rows of ``C``.
"""

from __future__ import annotations

import math
from collections import namedtuple

import numba
import numpy as np

from ._blocks import BLOCK, axpy6, distinct6, dots6, gather_scatter6, pad_outputs
from ._jit import FAST, INLINE, LANES, prefetch_span, wide_vectors
from .sampling import alias_draw, rand_below, rand_float, splitmix64

SG_NS, CBOW_NS, SG_SOFTMAX, CBOW_SOFTMAX = 0, 1, 2, 3


# σ and -log σ on [-SIG_MAX, SIG_MAX]: σ at cell midpoints (error below 5e-4, three times
# finer than the C tool's table), -log σ at cell edges, interpolated linearly (error below
# 1e-6). The float32 kernels use these tables; with exact=True they use exp and log1p.
SIG_MAX = 8.0
SIG_SCALE = 256.0
_N_CELLS = int(2 * SIG_MAX * SIG_SCALE)
_SIGMOID = (1.0 / (1.0 + np.exp(-((np.arange(_N_CELLS) + 0.5) / SIG_SCALE - SIG_MAX)))
            ).astype(np.float32)
_NEG_LOG_SIGMOID = np.log1p(np.exp(-(np.arange(_N_CELLS + 1) / SIG_SCALE - SIG_MAX))
                            ).astype(np.float32)


@numba.njit(**INLINE)
def one_minus_sigmoid(x, exact):
    """1 - σ(x) = σ(-x): the factor in every negative-sampling gradient."""
    if exact:
        return 1.0 / (1.0 + math.exp(x))
    if x >= SIG_MAX:
        return np.float32(0.0)
    if x <= -SIG_MAX:
        return np.float32(1.0)
    # clamped, so that a NaN score (a diverging run) cannot index outside the table
    i = min(max(int((x + np.float32(SIG_MAX)) * np.float32(SIG_SCALE)), 0), _N_CELLS - 1)
    return np.float32(1.0) - _SIGMOID[i]


@numba.njit(**INLINE)
def neg_log_sigmoid(x, exact):
    """-log σ(x) = log(1 + e^-x), the loss of one term."""
    if exact or x >= SIG_MAX or x <= -SIG_MAX:
        return math.log1p(math.exp(-abs(x))) + max(-x, 0.0)
    f = (x + np.float32(SIG_MAX)) * np.float32(SIG_SCALE)
    i = min(max(int(f), 0), _N_CELLS - 1)
    frac = f - i
    return _NEG_LOG_SIGMOID[i] + frac * (_NEG_LOG_SIGMOID[i + 1] - _NEG_LOG_SIGMOID[i])


@numba.njit(**INLINE)
def _step_and_loss(x, compute_loss, exact):
    """(1 - σ(x), -log σ(x)) from one look-up of the tables (the loss only if
    ``compute_loss``): what :func:`one_minus_sigmoid` and :func:`neg_log_sigmoid` return,
    with the cell index computed once."""
    if exact or x >= SIG_MAX or x <= -SIG_MAX:
        g = one_minus_sigmoid(x, exact)
        return g, (neg_log_sigmoid(x, exact) if compute_loss else 0.0)
    f = (x + np.float32(SIG_MAX)) * np.float32(SIG_SCALE)
    i = min(max(int(f), 0), _N_CELLS - 1)
    g = np.float32(1.0) - _SIGMOID[i]
    if not compute_loss:
        return g, 0.0
    frac = f - i
    return g, _NEG_LOG_SIGMOID[i] + frac * (_NEG_LOG_SIGMOID[i + 1] - _NEG_LOG_SIGMOID[i])


@numba.njit(**INLINE)
def _ns_coefficients(D, i, n_out, n_pad, lr, compute_loss, exact):
    """Turn scores D[i, j] = w·c_j into steps G[i, j] = -lr ∂L/∂(w·c_j) (in place).

    Output 0 is the positive (label 1): -lr ∂L/∂x = lr (1 - σ(x)). Outputs 1.. are noise
    (label 0): -lr ∂L/∂x = -lr σ(x) = -lr (1 - σ(-x)). Padding gets 0. Returns the loss.
    """
    g, loss = _step_and_loss(D[i, 0], compute_loss, exact)
    D[i, 0] = lr * g
    for j in range(1, n_out):
        g, term = _step_and_loss(-D[i, j], compute_loss, exact)
        loss += term
        D[i, j] = -lr * g
    for j in range(n_out, n_pad):
        D[i, j] = 0.0
    return loss


@numba.njit(**INLINE)  # inlined into train_job, where exact=False folds away
def sgns_update(W, C, ctx, m, outs, n_out, lr, Cb, D, Wb, tied, compute_loss, exact, d=0):
    """One skip-gram negative-sampling step for one center word (HogBatch form).

    Inputs are the rows ``w_i = W[ctx[i]]``, ``i < m`` (the words around the center);
    outputs are ``c_0 = C[outs[0]]`` (the center word, label 1) and ``c_j = C[outs[j]]``,
    ``1 <= j < n_out`` (noise words, label 0). The loss of the batch is

        L = Σ_i [ -log σ(w_i·c_0) - Σ_{j≥1} log σ(-w_i·c_j) ]

    with ∂L/∂w_i = Σ_j (σ(w_i·c_j) - y_j) c_j and ∂L/∂c_j = Σ_i (σ(w_i·c_j) - y_j) w_i
    (chapter *Negative sampling*). All gradients are taken at the current parameters,
    then applied (``θ ← θ - lr ∂L/∂θ``), so repeated rows get the exact gradient of L.
    With ``tied`` (``W is C``) the input rows are copied to ``Wb`` first, since a row can be
    both an input and an output.

    Scratch: ``outs`` and ``ctx`` have room for padding (``n_out`` rounded up to BLOCK,
    ``m`` rounded up to 2), ``Cb`` holds copies of the output rows, ``D`` the scores.
    ``d`` is the number of columns the loops run over (0: all of ``W``'s); the training
    loop passes the padded row width as a compile-time constant, so that every row loop
    has a fixed trip count (straight vector code, no remainder loop).
    """
    if d == 0:
        d = W.shape[1]
    return _sgns_step(W, C, ctx, m, outs.reshape((1, outs.shape[0])), 0, n_out, lr, Cb, D, Wb,
                      tied, compute_loss, exact, d)


@numba.njit(**INLINE)
def _sgns_step(W, C, ctx, m, O, o, n_out, lr, Cb, D, Wb, tied, compute_loss, exact, d):
    """:func:`sgns_update` with the outputs in row ``o`` of the 2-D array ``O``."""
    n_pad = pad_outputs(O, o, n_out)
    for j in range(n_pad):
        r = O[o, j]
        for t in range(d):
            Cb[j, t] = C[r, t]
    lr = W.dtype.type(lr)
    loss = 0.0
    for i in range(m):
        r = ctx[i]
        for j in range(0, n_pad, BLOCK):
            dots6(W, r, Cb, j, j + 1, j + 2, j + 3, j + 4, j + 5, D, i, j, d)
        loss += _ns_coefficients(D, i, n_out, n_pad, lr, compute_loss, exact)
    # outputs: c_j += Σ_i G[i, j] w_i, two input rows per pass
    m2 = m
    if m2 % 2:
        ctx[m2] = ctx[0]
        for j in range(n_pad):
            D[m2, j] = 0.0
        m2 += 1
    if tied:
        for i in range(m2):
            r = ctx[i]
            for t in range(d):
                Wb[i, t] = W[r, t]
    X = Wb if tied else W
    for j in range(n_pad):
        r = O[o, j]
        for i in range(0, m2, 2):
            g0 = D[i, j]
            g1 = D[i + 1, j]
            x0 = i if tied else ctx[i]
            x1 = i + 1 if tied else ctx[i + 1]
            for t in range(d):
                C[r, t] += g0 * X[x0, t] + g1 * X[x1, t]
    # inputs: w_i += Σ_j G[i, j] c_j, from the copies of the output rows
    for i in range(m):
        r = ctx[i]
        for j in range(0, n_pad, BLOCK):
            axpy6(W, r, Cb, j, j + 1, j + 2, j + 3, j + 4, j + 5, D, i, j, d)
    return loss


@numba.njit(**INLINE)
def _mean_of_rows(H, W, ctx, m, inv, d):
    """H[0] = inv · Σ_{i<m} W[ctx[i]], adding up to four rows per pass (m >= 1)."""
    i = 0
    while i < m:
        r0 = ctx[i]
        left = m - i
        if left >= 4:
            r1, r2, r3 = ctx[i + 1], ctx[i + 2], ctx[i + 3]
            if i == 0:
                for t in range(d):
                    H[0, t] = (W[r0, t] + W[r1, t]) + (W[r2, t] + W[r3, t])
            else:
                for t in range(d):
                    H[0, t] += (W[r0, t] + W[r1, t]) + (W[r2, t] + W[r3, t])
            i += 4
        elif left >= 2:
            r1 = ctx[i + 1]
            if i == 0:
                for t in range(d):
                    H[0, t] = W[r0, t] + W[r1, t]
            else:
                for t in range(d):
                    H[0, t] += W[r0, t] + W[r1, t]
            i += 2
        else:
            if i == 0:
                for t in range(d):
                    H[0, t] = W[r0, t]
            else:
                for t in range(d):
                    H[0, t] += W[r0, t]
            i += 1
    for t in range(d):
        H[0, t] *= inv


@numba.njit(**INLINE)
def cbow_ns_update(W, C, ctx, m, outs, n_out, lr, h, grad_h, D, cbow_exact, compute_loss, exact,
                   d=0):
    """One CBOW negative-sampling step: predict the center word from the mean of its context.

    h = (1/m) Σ_i w_i with w_i = W[ctx[i]];  L = -log σ(h·c_0) - Σ_{j≥1} log σ(-h·c_j).
    ∂L/∂c_j = (σ(h·c_j) - y_j) h and ∂L/∂h = Σ_j (σ(h·c_j) - y_j) c_j; the exact gradient
    for each w_i is ∂L/∂h / m (``cbow_exact=True``). The C code and gensim add the
    undivided ∂L/∂h to every w_i (``cbow_exact=False``, the default): chapter *CBOW*
    measures the difference.

    ``d``: the columns to run over, as in :func:`sgns_update`.
    """
    if d == 0:
        d = W.shape[1]
    return _cbow_step(W, C, ctx, m, outs.reshape((1, outs.shape[0])), 0, n_out, lr,
                      h.reshape((1, h.shape[0])), grad_h.reshape((1, grad_h.shape[0])), D,
                      cbow_exact, compute_loss, exact, d)


@numba.njit(**INLINE)
def _cbow_step(W, C, ctx, m, O, o, n_out, lr, H, G, D, cbow_exact, compute_loss, exact, d):
    """:func:`cbow_ns_update` with the outputs in row ``o`` of ``O`` and h, ∂L/∂h in the
    one-row arrays ``H`` and ``G``."""
    n_pad = pad_outputs(O, o, n_out)
    lr = W.dtype.type(lr)
    inv = W.dtype.type(1.0 / m)
    _mean_of_rows(H, W, ctx, m, inv, d)
    # scores and ∂L/∂h from the output rows as they are, before any of them moves
    for j in range(0, n_pad, BLOCK):
        dots6(H, 0, C, O[o, j], O[o, j + 1], O[o, j + 2], O[o, j + 3], O[o, j + 4],
              O[o, j + 5], D, 0, j, d)
    loss = _ns_coefficients(D, 0, n_out, n_pad, lr, compute_loss, exact)
    for j in range(0, n_pad, BLOCK):
        c0, c1, c2 = O[o, j], O[o, j + 1], O[o, j + 2]
        c3, c4, c5 = O[o, j + 3], O[o, j + 4], O[o, j + 5]
        first = j == 0
        if distinct6(c0, c1, c2, c3, c4, c5):
            gather_scatter6(G, 0, H, 0, C, c0, c1, c2, c3, c4, c5, D, j, d, first)
        else:  # a noise word drawn twice: all six rows read before any is written
            axpy6(G, 0, C, c0, c1, c2, c3, c4, c5, D, 0, j, d, first)
            for u in range(j, j + BLOCK):
                r = O[o, u]
                g = D[0, u]
                for t in range(d):
                    C[r, t] += g * H[0, t]
    if cbow_exact:
        for t in range(d):
            G[0, t] *= inv
    for i in range(m):
        r = ctx[i]
        for t in range(d):
            W[r, t] += G[0, t]
    return loss


@numba.njit(**FAST)
def softmax_output_update(C, h, targets, n_t, lr, grad_h, scores):
    """Full-softmax step on all output rows for one hidden vector ``h``.

    p(o | h) = exp(h·c_o) / Σ_w exp(h·c_w); L = Σ_{o in targets} -log p(o | h). Then
    ∂L/∂(h·c_w) = n_t p_w - #{o = w}, ∂L/∂h = Σ_w (n_t p_w - #{o = w}) c_w and
    ∂L/∂c_w = (n_t p_w - #{o = w}) h (chapter *Skip-gram with the full softmax*). Sets
    ``grad_h = -lr ∂L/∂h``, updates every row of ``C`` and returns L.
    """
    V, d = C.shape
    mx = -np.inf
    for w in range(V):
        dot = C.dtype.type(0.0)
        for t in range(d):
            dot += h[t] * C[w, t]
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
    return loss


@numba.njit(**INLINE)
def _row_of(w, hot, row0):
    """The row that holds word ``w`` in this thread: its private copy for the ``hot`` most
    frequent words (ids below ``hot``), else the shared row ``w``."""
    return w + row0 if w < hot else w


@numba.njit(**INLINE)
def _draw_outputs(state, center, O, o, negative, noise_prob, noise_alias, hot, row0):
    """O[o, 0] = center (the positive), then ``negative`` draws from the noise table; a
    draw equal to the center is skipped, as in the C code. Returns (state, number of
    outputs). Everything is a row (see :func:`_row_of`)."""
    O[o, 0] = center
    n_out = 1
    for _ in range(negative):
        state, bits = splitmix64(state)
        neg = _row_of(alias_draw(bits, noise_prob, noise_alias), hot, row0)
        if neg != center:
            O[o, n_out] = neg
            n_out += 1
    return state, n_out


@numba.njit(**INLINE)
def _checkout(W, C, hot, row0, Wh0, Ch0, tied):
    """Private copies of the hot rows (and a snapshot to measure what the job changes)."""
    d = W.shape[1]
    for r in range(hot):
        for t in range(d):
            W[row0 + r, t] = Wh0[r, t] = W[r, t]
        if not tied:
            for t in range(d):
                C[row0 + r, t] = Ch0[r, t] = C[r, t]


@numba.njit(**INLINE)
def _checkin(W, C, hot, row0, Wh0, Ch0, tied):
    """Add what the job changed in its private copies to the shared hot rows."""
    d = W.shape[1]
    for r in range(hot):
        for t in range(d):
            W[r, t] += W[row0 + r, t] - Wh0[r, t]
        if not tied:
            for t in range(d):
                C[r, t] += C[row0 + r, t] - Ch0[r, t]


# The arguments of train_job, one bundle per role, built by Word2Vec._kernel_args.
Weights = namedtuple("Weights", "W C")
Weights.__doc__ = "The matrices training writes: ``W`` and ``C`` (the same array when tied)."
Data = namedtuple("Data", "tokens offsets keep noise_prob noise_alias")
Data.__doc__ = """What every job reads and no job writes: the encoded corpus (``tokens`` and
sentence ``offsets``), the ``keep`` probabilities of subsampling, the noise alias table."""
Config = namedtuple("Config", "mode window negative cbow_exact tied compute_loss alpha "
                              "min_alpha hot width")
Config.__doc__ = """The objective (``mode``: ``SG_NS``, ``CBOW_NS``, ``SG_SOFTMAX`` or
``CBOW_SOFTMAX``) and its schedule, the same for every job of a run. ``width`` is a tuple
with one entry per :data:`~embedlib._jit.LANES` columns of W and C (see
:func:`row_width`): its type, not its value, carries the row width into the compiled
kernel."""


def row_width(n_columns: int) -> tuple:
    """The ``width`` marker of rows with ``n_columns`` (a multiple of LANES) columns.

    A tuple's length is part of its Numba type, so :func:`train_job` is compiled once per
    row width, with the width as a constant: its row loops then have a fixed trip count.
    """
    if n_columns <= 0 or n_columns % LANES:
        raise ValueError(f"rows must have a positive multiple of {LANES} columns, got "
                         f"{n_columns}")
    return (0,) * (n_columns // LANES)
Scratch = namedtuple("Scratch", "row0 total buf ctx outs Cb D Wb Wh0 Ch0 h grad_h scores "
                                "stats")
Scratch.__doc__ = """What one thread owns: the first of its private hot rows (``row0``), the
tokens of its share over all epochs (``total``), its scratch arrays and its ``stats``."""


@numba.njit(**FAST, _nrt=False)
def train_job(weights, data, config, scratch, s_begin, s_end, done0, seed):
    """Train on sentences ``s_begin..s_end`` of an encoded corpus.

    Per sentence: drop words by subsampling (``keep`` probabilities); per remaining center
    word: shrink the window to ``b`` in 1..window uniformly, draw ``negative`` noise words
    from the alias table (a draw equal to the center word is skipped, as in the C code),
    and take one step of the objective ``mode`` at learning rate

        lr = alpha - (alpha - min_alpha) · progress,  progress = (done0 + tokens seen) / total.

    ``seed`` starts the job's random stream. ``stats`` receives [loss sum, examples, tokens
    processed, center words trained]. ``outs`` has two rows: the outputs of the current
    center and of the next one.

    Hot rows. With several threads, the rows of the most frequent words are written by all
    of them all the time, and each write moves the row's cache lines from one core to the
    other. With ``hot > 0`` the job works on private copies of the rows of the ``hot``
    most frequent words (rows ``row0 .. row0 + hot`` of W and C, made at the start) and
    adds what it changed to the shared rows at the end: the other threads see those
    words' updates once per job instead of at once. ``hot = 0`` (one thread) trains the
    shared rows directly.
    """
    W, C = weights
    tokens, offsets, keep, noise_prob, noise_alias = data
    mode, window, negative, cbow_exact, tied, compute_loss, alpha, min_alpha, hot, width = config
    wide_vectors()
    d = len(width) * LANES  # a compile-time constant: fixed-length row loops
    row0, total, buf, ctx, outs, Cb, D, Wb, Wh0, Ch0, h, grad_h, scores, stats = scratch
    H = h.reshape((1, h.shape[0]))      # one-row views: rows are indexed, never sliced
    G = grad_h.reshape((1, grad_h.shape[0]))
    _checkout(W, C, hot, row0, Wh0, Ch0, tied)
    state = np.uint64(seed)
    loss = 0.0
    examples = 0
    centers = 0
    seen = 0
    span = alpha - min_alpha
    for s in range(s_begin, s_end):
        a = offsets[s]
        b = offsets[s + 1]
        n = 0
        for p in range(a, b):
            w = tokens[p]
            kp = keep[w]
            if kp < 1.0:
                state, bits = splitmix64(state)
                if rand_float(bits) >= kp:
                    continue
            buf[n] = _row_of(w, hot, row0)
            n += 1
        length = b - a
        ns = mode == SG_NS or mode == CBOW_NS
        n_next = 0
        if ns and n > 0:
            state, n_next = _draw_outputs(state, buf[0], outs, 0, negative, noise_prob,
                                          noise_alias, hot, row0)
        for pos in range(n):
            progress = (done0 + seen + (pos * length) / n) / total
            lr = max(alpha - span * progress, min_alpha)
            center = buf[pos]
            if ns:
                # this center's outputs were drawn one step ahead; draw the next center's
                # now and prefetch their rows, so that their cache misses overlap this step
                cur = pos & 1
                n_out = n_next
                if pos + 1 < n:
                    nxt = cur ^ 1
                    state, n_next = _draw_outputs(state, buf[pos + 1], outs, nxt, negative,
                                                  noise_prob, noise_alias, hot, row0)
                    for j in range(n_next):
                        prefetch_span(C, outs[nxt, j] * d, d)
                    if pos + 1 + window < n:
                        prefetch_span(W, buf[pos + 1 + window] * d, d)
            state, bits = splitmix64(state)
            win = window - rand_below(bits, window)
            lo = max(pos - win, 0)
            hi = min(pos + win + 1, n)
            m = 0
            for q in range(lo, hi):
                if q != pos:
                    ctx[m] = buf[q]
                    m += 1
            if m == 0:
                continue
            centers += 1
            if ns:
                if mode == SG_NS:
                    loss += _sgns_step(W, C, ctx, m, outs, cur, n_out, lr, Cb, D, Wb, tied,
                                       compute_loss, False, d)
                    examples += m
                else:
                    loss += _cbow_step(W, C, ctx, m, outs, cur, n_out, lr, H, G, D,
                                       cbow_exact, compute_loss, False, d)
                    examples += 1
            elif mode == SG_SOFTMAX:
                for t in range(d):
                    h[t] = W[center, t]
                loss += softmax_output_update(C, h, ctx, m, lr, grad_h, scores)
                for t in range(d):
                    W[center, t] += grad_h[t]
                examples += m
            else:  # CBOW_SOFTMAX
                loss += cbow_softmax_update(W, C, ctx, m, center, lr, h, grad_h, scores,
                                            cbow_exact)
                examples += 1
        seen += length
    _checkin(W, C, hot, row0, Wh0, Ch0, tied)
    stats[0] += loss
    stats[1] += examples
    stats[2] += seen
    stats[3] += centers


@numba.njit(**FAST)
def cbow_softmax_update(W, C, ctx, m, center, lr, h, grad_h, scores, cbow_exact):
    """CBOW with the full softmax: h = mean of the context rows predicts ``center``."""
    d = W.shape[1]
    inv = W.dtype.type(1.0 / m)
    for t in range(d):
        h[t] = 0.0
    for i in range(m):
        for t in range(d):
            h[t] += W[ctx[i], t]
    for t in range(d):
        h[t] *= inv
    loss = softmax_output_update(C, h, (center,), 1, lr, grad_h, scores)
    if cbow_exact:
        for t in range(d):
            grad_h[t] *= inv
    for i in range(m):
        wi = ctx[i]
        for t in range(d):
            W[wi, t] += grad_h[t]
    return loss

"""Numba kernels for word2vec: skip-gram and CBOW; negative sampling, hierarchical softmax
and the full softmax.

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
word's row of ``W`` predicts each context word over all rows of ``C``. Hierarchical
softmax follows the C code too: the context rows of ``W`` are the inputs, the center word's
path through the Huffman tree (``embedlib.huffman``) the outputs, rows of a third matrix
``S`` (the C code's ``syn1``; ``C`` is its ``syn1neg``).

This module holds the epoch job and the negative-sampling steps; the steps of hierarchical
softmax (:mod:`embedlib.w2v_hs_kernels`), of the full softmax
(:mod:`embedlib.w2v_softmax_kernels`) and of the biases (:mod:`embedlib.w2v_bias_kernels`)
live beside it and are importable from here too.
"""

from __future__ import annotations

from collections import namedtuple

import numba
import numpy as np

from ._blocks import BLOCK, axpy6, distinct6, dots6, gather_scatter6, pad_outputs
from ._jit import INLINE, KERNEL, prefetch_span
# the kernels of the other output layers and of the biases live in modules of their own;
# they are imported here, where train_job calls them, under the names chapters call them by
from ._sigmoid import SIG_MAX, SIG_SCALE, neg_log_sigmoid, one_minus_sigmoid  # noqa: F401
from .sampling import packed_alias_draw, rand_below, rand_float, splitmix64
from .w2v_bias_kernels import (_checkin_biases, _checkout_biases, add_bias_scores,
                               cbow_bias_steps, mean_bias, sg_bias_steps)
from .w2v_hs_kernels import (_checkin_nodes, _checkout_nodes, add_input_steps,
                             cbow_hs_update, load_path, mean_of_rows, sg_hs_update)
from .w2v_softmax_kernels import (cbow_softmax_target, cbow_softmax_update,  # noqa: F401
                                  softmax_output_update)

SG_NS, CBOW_NS, SG_SOFTMAX, CBOW_SOFTMAX = 0, 1, 2, 3


@numba.njit(**INLINE)
def _ns_coefficients(D, i, n_out, n_pad, lr, compute_loss, exact):
    """Turn scores D[i, j] = w·c_j into steps G[i, j] = -lr ∂L/∂(w·c_j) (in place).

    Output 0 is the positive (label 1): -lr ∂L/∂x = lr (1 - σ(x)). Outputs 1.. are noise
    (label 0): -lr ∂L/∂x = -lr σ(x) = -lr (1 - σ(-x)). Padding gets 0. Returns the loss.
    """
    loss = 0.0
    x = D[i, 0]
    if compute_loss:
        loss += neg_log_sigmoid(x, exact)
    D[i, 0] = lr * one_minus_sigmoid(x, exact)
    for j in range(1, n_out):
        x = -D[i, j]
        if compute_loss:
            loss += neg_log_sigmoid(x, exact)
        D[i, j] = -lr * one_minus_sigmoid(x, exact)
    for j in range(n_out, n_pad):
        D[i, j] = 0.0
    return loss


@numba.njit(**INLINE)  # inlined into train_job, where exact=False folds away
def sgns_update(W, C, ctx, m, outs, n_out, lr, Cb, D, Wb, tied, compute_loss, exact, bias,
                bw, bc):
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

    With ``bias`` every score has the two words' biases, x_ij = w_i·c_j + b[ctx[i]] +
    b~[outs[j]] (``bw`` = b, ``bc`` = b~; the same array when tied), and ∂L/∂b[ctx[i]] =
    Σ_j (σ(x_ij) - y_j), ∂L/∂b~[outs[j]] = Σ_i (σ(x_ij) - y_j)
    (:func:`~embedlib.w2v_bias_kernels.add_bias_scores`,
    :func:`~embedlib.w2v_bias_kernels.sg_bias_steps`).

    Scratch: ``outs`` and ``ctx`` have room for padding (``n_out`` rounded up to BLOCK,
    ``m`` rounded up to 2), ``Cb`` holds copies of the output rows, ``D`` the scores.
    """
    d = W.shape[1]
    n_pad = pad_outputs(outs, n_out)
    for j in range(n_pad):
        cr = C[outs[j]]
        cb = Cb[j]
        for t in range(d):
            cb[t] = cr[t]
    lr = W.dtype.type(lr)
    loss = 0.0
    for i in range(m):
        wr = W[ctx[i]]
        for j in range(0, n_pad, BLOCK):
            dots6(wr, Cb[j], Cb[j + 1], Cb[j + 2], Cb[j + 3], Cb[j + 4], Cb[j + 5], D, i, j)
        if bias:
            add_bias_scores(D, i, n_pad, bw[ctx[i]], bc, outs)
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
            wr = W[ctx[i]]
            wb = Wb[i]
            for t in range(d):
                wb[t] = wr[t]
    for j in range(n_pad):
        cr = C[outs[j]]
        for i in range(0, m2, 2):
            g0 = D[i, j]
            g1 = D[i + 1, j]
            w0 = Wb[i] if tied else W[ctx[i]]
            w1 = Wb[i + 1] if tied else W[ctx[i + 1]]
            for t in range(d):
                cr[t] += g0 * w0[t] + g1 * w1[t]
    # inputs: w_i += Σ_j G[i, j] c_j, from the copies of the output rows
    for i in range(m):
        wr = W[ctx[i]]
        for j in range(0, n_pad, BLOCK):
            axpy6(wr, Cb[j], Cb[j + 1], Cb[j + 2], Cb[j + 3], Cb[j + 4], Cb[j + 5], D, i, j)
    if bias:
        sg_bias_steps(D, m, n_out, bw, bc, ctx, outs)
    return loss


@numba.njit(**INLINE)
def cbow_ns_update(W, C, ctx, m, outs, n_out, lr, h, grad_h, D, cbow_exact, compute_loss, exact,
                   bias, bw, bc):
    """One CBOW negative-sampling step: predict the center word from the mean of its context.

    h = (1/m) Σ_i w_i with w_i = W[ctx[i]];  L = -log σ(h·c_0) - Σ_{j≥1} log σ(-h·c_j).
    ∂L/∂c_j = (σ(h·c_j) - y_j) h and ∂L/∂h = Σ_j (σ(h·c_j) - y_j) c_j; the exact gradient
    for each w_i is ∂L/∂h / m (``cbow_exact=True``). The C code and gensim add the
    undivided ∂L/∂h to every w_i (``cbow_exact=False``, the default): chapter *CBOW*
    measures the difference.

    With ``bias`` the input has the mean of the context words' biases too, as h is the mean
    of their rows: x_j = h·c_j + b_h + b~[outs[j]] with b_h = (1/m) Σ_i b[ctx[i]]. Then
    ∂L/∂b~[outs[j]] = σ(x_j) - y_j and ∂L/∂b_h = Σ_j (σ(x_j) - y_j), which reaches every
    context word's bias as ∂L/∂h reaches its row: undivided, or divided by m with
    ``cbow_exact`` (:func:`~embedlib.w2v_bias_kernels.mean_bias`,
    :func:`~embedlib.w2v_bias_kernels.cbow_bias_steps`).
    """
    d = W.shape[1]
    n_pad = pad_outputs(outs, n_out)
    lr = W.dtype.type(lr)
    inv = W.dtype.type(1.0 / m)
    mean_of_rows(W, ctx, m, h)
    # scores and ∂L/∂h from the output rows as they are, before any of them moves
    for j in range(0, n_pad, BLOCK):
        dots6(h, C[outs[j]], C[outs[j + 1]], C[outs[j + 2]], C[outs[j + 3]], C[outs[j + 4]],
               C[outs[j + 5]], D, 0, j)
    if bias:
        add_bias_scores(D, 0, n_pad, mean_bias(bw, ctx, m), bc, outs)
    loss = _ns_coefficients(D, 0, n_out, n_pad, lr, compute_loss, exact)
    for t in range(d):
        grad_h[t] = 0.0
    for j in range(0, n_pad, BLOCK):
        if outs[j:j + BLOCK].size == BLOCK and distinct6(outs, j):
            gather_scatter6(grad_h, h, C[outs[j]], C[outs[j + 1]], C[outs[j + 2]],
                             C[outs[j + 3]], C[outs[j + 4]], C[outs[j + 5]], D, j)
        else:  # a noise word drawn twice: read all six rows before writing any
            axpy6(grad_h, C[outs[j]], C[outs[j + 1]], C[outs[j + 2]], C[outs[j + 3]],
                   C[outs[j + 4]], C[outs[j + 5]], D, 0, j)
            for u in range(j, j + BLOCK):
                cr = C[outs[u]]
                g = D[0, u]
                for t in range(d):
                    cr[t] += g * h[t]
    if cbow_exact:
        for t in range(d):
            grad_h[t] *= inv
    for i in range(m):
        wr = W[ctx[i]]
        for t in range(d):
            wr[t] += grad_h[t]
    if bias:
        cbow_bias_steps(D, m, n_out, bw, bc, ctx, outs, inv if cbow_exact else 1.0)
    return loss


@numba.njit(**INLINE)
def _row_of(w, hot, row0):
    """The row that holds word ``w`` in this thread: its private copy for the ``hot`` most
    frequent words (ids below ``hot``), else the shared row ``w``."""
    return w + row0 if w < hot else w


@numba.njit(**INLINE)
def _draw_outputs(state, center, outs, negative, noise, hot, row0):
    """outs[0] = center (the positive), then ``negative`` draws from the noise table; a draw
    equal to the center is skipped, as in the C code. Returns (state, number of outputs).
    Everything is a row (see :func:`_row_of`)."""
    outs[0] = center
    n_out = 1
    for _ in range(negative):
        state, bits = splitmix64(state)
        neg = _row_of(packed_alias_draw(bits, noise), hot, row0)
        if neg != center:
            outs[n_out] = neg
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


@numba.njit(**INLINE)
def _others(clock, slot):
    """The tokens the other threads have done, from their slots of the shared clock."""
    n = np.int64(0)
    for k in range(0, len(clock), CLOCK_STRIDE):
        if k != slot:
            n += clock[k]
    return n


# The arguments of train_job, one bundle per role, built by Word2Vec._kernel_args.
Weights = namedtuple("Weights", "W C S bw bc")
Weights.__doc__ = """The arrays training writes: ``W`` and ``C`` (the same array when tied),
``S``, the inner nodes' vectors of hierarchical softmax (``syn1``; unused without it), and
the per-word biases ``bw`` = b and ``bc`` = b~ (the same array when tied; unused without
``bias``)."""
Data = namedtuple("Data", "tokens offsets keep noise path_codes path_points "
                          "path_offsets")
Data.__doc__ = """What every job reads and no job writes: the encoded corpus (``tokens`` and
sentence ``offsets``), the ``keep`` probabilities of subsampling, the ``noise`` alias table
(``embedlib.sampling.AliasTable.packed``), and
the Huffman tree of hierarchical softmax (``embedlib.huffman.HuffmanTree``'s ``codes``,
``points`` and ``offsets``)."""
Config = namedtuple("Config", "mode window negative cbow_exact tied compute_loss alpha "
                              "min_alpha hot hs bias")
Config.__doc__ = """The objective (``mode``: ``SG_NS``, ``CBOW_NS``, ``SG_SOFTMAX`` or
``CBOW_SOFTMAX``) and its schedule, the same for every job of a run. In the two sampled
modes ``negative`` may be 0 (no negative sampling) and ``hs`` adds hierarchical softmax;
``bias`` adds per-word biases to the scores of negative sampling and the softmax."""
Scratch = namedtuple("Scratch", "row0 total clock slot buf ctx outs Cb D Wb Wh0 Ch0 h grad_h "
                                "scores stats nodes signs Dh E Sh0 bh0")
Scratch.__doc__ = """What one thread owns: the first of its private hot rows (``row0``), the
tokens of the whole run (``total``: epochs times the corpus), its scratch arrays and its
``stats``; and the run's ``clock``, shared by all threads, in which the thread writes the
tokens it has done at ``clock[slot]`` (one slot per thread, :data:`CLOCK_STRIDE` apart)."""

#: The distance between two threads' slots in the shared clock: one 64-byte cache line.
CLOCK_STRIDE = 8
#: How many tokens a thread trains between two readings of the other threads' slots.
CLOCK_READ = 4096


@numba.njit(**KERNEL)
def train_job(weights, data, config, scratch, s_begin, s_end, done0, seed):
    """Train on sentences ``s_begin..s_end`` of an encoded corpus.

    Per sentence: drop words by subsampling (``keep`` probabilities); per remaining center
    word: shrink the window to ``b`` in 1..window uniformly, draw ``negative`` noise words
    from the alias table (a draw equal to the center word is skipped, as in the C code),
    and take one step of the objective ``mode`` (with ``hs``, a hierarchical-softmax step
    first, at the same parameters: their input steps add up) at learning rate

        lr = alpha - (alpha - min_alpha) · progress,  progress = (done0 + tokens seen) / total.

    Progress is global, as in the C code and gensim: ``done0 + tokens seen`` counts this
    thread's tokens (over all epochs, ``done0`` those of its earlier jobs), ``clock`` adds the
    other threads' (read every :data:`CLOCK_READ` tokens), and ``total`` is the tokens of the
    whole run, so all threads decay their rate together and a thread that runs behind does
    not end on a rate of its own. With one thread the clock adds nothing.

    ``seed`` starts the job's random stream. ``stats`` receives [loss sum, examples, tokens
    processed, center words trained]. ``outs`` has two rows: the outputs of the current
    center and of the next one.

    Hot rows. With several threads, the rows of the most frequent words are written by all
    of them all the time, and each write moves the row's cache lines from one core to the
    other. With ``hot > 0`` the job works on private copies of the rows of the ``hot``
    most frequent words (rows ``row0 .. row0 + hot`` of W and C, made at the start) and
    adds what it changed to the shared rows at the end: the other threads see those
    words' updates once per job instead of at once. ``hot = 0`` (one thread) trains the
    shared rows directly. With ``hs`` the same holds for the ``hot`` inner nodes nearest the
    root, which are on almost every path: S has a row per inner node (V - 1), then each
    thread's private rows, from ``row0 - 1`` on.
    """
    W, C, S, bw, bc = weights
    tokens, offsets, keep, noise, path_codes, path_points, path_offsets = data
    (mode, window, negative, cbow_exact, tied, compute_loss, alpha, min_alpha, hot, hs,
     bias) = config
    (row0, total, clock, slot, buf, ctx, outs, Cb, D, Wb, Wh0, Ch0, h, grad_h, scores, stats,
     nodes, signs, Dh, E, Sh0, bh0) = scratch
    _checkout(W, C, hot, row0, Wh0, Ch0, tied)
    if bias:
        _checkout_biases(bw, bc, hot, row0, bh0, tied)
    # S has V - 1 shared rows (one per inner node), then the threads' private rows, as W
    hot_lo = len(keep) - 1 - hot
    srow0 = row0 - 1
    if hs:
        _checkout_nodes(S, hot, hot_lo, srow0, Sh0)
    state = np.uint64(seed)
    loss = 0.0
    loss_hs = 0.0  # apart, so that the sum of the other losses is the same with hs off
    examples = 0
    centers = 0
    seen = 0
    done = np.int64(done0)
    others = _others(clock, slot)
    read_at = CLOCK_READ
    span = alpha - min_alpha
    d = W.shape[1]
    for s in range(s_begin, s_end):
        if seen >= read_at:
            others = _others(clock, slot)
            read_at = seen + CLOCK_READ
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
        ns = (mode == SG_NS or mode == CBOW_NS) and negative > 0
        sg = mode == SG_NS
        n_next = 0
        if ns and n > 0:
            state, n_next = _draw_outputs(state, buf[0], outs[0], negative, noise, hot,
                                          row0)
        for pos in range(n):
            progress = (done0 + seen + others + (pos * length) / n) / total
            lr = max(alpha - span * progress, min_alpha)
            center = buf[pos]
            if ns:
                # this center's outputs were drawn one step ahead; draw the next center's
                # now and prefetch their rows, so that their cache misses overlap this step
                cur = outs[pos & 1]
                n_out = n_next
                if pos + 1 < n:
                    nxt = outs[(pos + 1) & 1]
                    state, n_next = _draw_outputs(state, buf[pos + 1], nxt, negative, noise,
                                                  hot, row0)
                    for j in range(n_next):
                        prefetch_span(C, nxt[j] * d, d)
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
            if hs:  # at the parameters as they are, before a negative-sampling step
                word = center - row0 if center >= row0 else center   # a hot row's word
                n_path = load_path(word, path_codes, path_points, path_offsets, nodes, signs,
                                   hot_lo, srow0)
                if sg:
                    loss_hs += sg_hs_update(W, S, ctx, m, nodes, signs, n_path, lr, Dh, E,
                                            compute_loss, False)
                else:
                    loss_hs += cbow_hs_update(W, S, ctx, m, nodes, signs, n_path, lr, h, E,
                                              Dh, cbow_exact, compute_loss, False)
            if ns:
                if mode == SG_NS:
                    loss += sgns_update(W, C, ctx, m, cur, n_out, lr, Cb, D, Wb, tied,
                                        compute_loss, False, bias, bw, bc)
                    examples += m
                else:
                    loss += cbow_ns_update(W, C, ctx, m, cur, n_out, lr, h, grad_h, D,
                                           cbow_exact, compute_loss, False, bias, bw, bc)
                    examples += 1
            elif mode == SG_SOFTMAX:
                for t in range(d):
                    h[t] = W[center, t]
                loss += softmax_output_update(C, h, ctx, m, lr, grad_h, scores, bias, bc)
                for t in range(d):
                    W[center, t] += grad_h[t]
                examples += m
            elif mode == CBOW_SOFTMAX:
                loss += cbow_softmax_target(W, C, ctx, m, buf[pos:pos + 1], lr, h, grad_h,
                                            scores, cbow_exact, bias, bc)
                examples += 1
            if hs:
                add_input_steps(W, ctx, m, E, sg)
                if not ns:
                    examples += m if sg else 1
        seen += length
        clock[slot] = done + seen
    _checkin(W, C, hot, row0, Wh0, Ch0, tied)
    if bias:
        _checkin_biases(bw, bc, hot, row0, bh0, tied)
    if hs:
        _checkin_nodes(S, hot, hot_lo, srow0, Sh0)
    stats[0] += loss
    if hs:
        stats[0] += loss_hs
    stats[1] += examples
    stats[2] += seen
    stats[3] += centers



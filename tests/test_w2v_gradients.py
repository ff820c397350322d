"""Each word2vec objective's step against finite differences of its loss.

The update functions compute the loss and the gradient at the current parameters and apply
θ ← θ - lr ∂L/∂θ. With float64 arrays and ``exact=True`` (exp and log1p instead of the
float32 tables), ``(θ_before - θ_after) / lr`` must equal the central finite difference of
the loss the same function returns.
"""

import numpy as np
import pytest
from conftest import central_differences

from embedlib import w2v_kernels as K

V, d = 12, 7
LR = 1e-5
EPS = 1e-6
RTOL = 1e-6  # central differences in float64: truncation ~EPS^2, rounding ~1e-16/EPS
NO_BIAS = np.zeros(1)  # the bias arrays of a model without biases (never read)


def params(seed, tied=False):
    rng = np.random.default_rng(seed)
    W = rng.normal(0, 0.5, (V, d))
    C = W if tied else rng.normal(0, 0.5, (V, d))
    return W, C


def sgns_loss_and_step(W, C, ctx, outs, lr, tied=False, bias=False, b=NO_BIAS, bc=NO_BIAS):
    """One exact (float64) step of ``sgns_update``, with the padding and scratch it needs."""
    m, n_out = len(ctx), len(outs)
    n_pad = -(-n_out // K.BLOCK) * K.BLOCK
    c = np.zeros(2 * m + 2, np.int32)
    c[:m] = ctx
    o = np.zeros(n_pad, np.int32)
    o[:n_out] = outs
    Cb = np.empty((n_pad, d))
    D = np.empty((len(c), n_pad))
    Wb = np.empty((len(c), d))
    return K.sgns_update(W, C, c, m, o, n_out, lr, Cb, D, Wb, tied, True, True, bias, b, bc)


def cbow_loss_and_step(W, C, ctx, outs, lr, cbow_exact):
    m, n_out = len(ctx), len(outs)
    n_pad = -(-n_out // K.BLOCK) * K.BLOCK
    o = np.zeros(n_pad, np.int32)
    o[:n_out] = outs
    return K.cbow_ns_update(W, C, np.array(ctx, np.int32), m, o, n_out, lr, np.empty(d),
                            np.empty(d), np.empty((2, n_pad)),
                            cbow_exact, True, True, False, NO_BIAS, NO_BIAS)


def sg_softmax_loss_and_step(W, C, center, ctx, lr):
    h = W[center].copy()
    grad_h = np.empty(d)
    loss = K.softmax_output_update(C, h, np.array(ctx, np.int64), len(ctx), lr, grad_h,
                                   np.empty(V), False, NO_BIAS)
    W[center] += grad_h
    return loss


def cbow_softmax_loss_and_step(W, C, ctx, center, lr, cbow_exact):
    return K.cbow_softmax_update(W, C, np.array(ctx, np.int64), len(ctx), center, lr,
                                 np.empty(d), np.empty(d), np.empty(V), cbow_exact, False,
                                 NO_BIAS)


def check_step(step, W, C, tied, input_scale=None):
    """Compare the applied step with -lr × the finite-difference gradient of the loss."""
    W0, C0 = W.copy(), C.copy()
    loss0 = step(W.copy(), W.copy() if tied else C.copy(), 0.0)

    def loss_at(Wx, Cx):
        return step(Wx, Wx if tied else Cx, 0.0)

    Wn, Cn = W0.copy(), (None if tied else C0.copy())
    loss = step(Wn, Wn if tied else Cn, LR)
    assert loss == pytest.approx(loss0, rel=1e-12)
    # numerical gradient
    gW = central_differences(lambda Wx: loss_at(Wx, C0.copy()), W0, EPS)
    if tied:
        step_W = (W0 - Wn) / LR
        np.testing.assert_allclose(step_W, gW, rtol=RTOL, atol=1e-8)
        assert np.abs(gW).max() > 1e-3
        return
    gC = central_differences(lambda Cx: loss_at(W0.copy(), Cx), C0, EPS)
    step_W = (W0 - Wn) / LR
    step_C = (C0 - Cn) / LR
    scale = 1.0 if input_scale is None else input_scale
    np.testing.assert_allclose(step_W, scale * gW, rtol=RTOL, atol=1e-8)
    np.testing.assert_allclose(step_C, gC, rtol=RTOL, atol=1e-8)
    assert np.abs(gW).max() > 1e-3 and np.abs(gC).max() > 1e-3  # the check is not vacuous


@pytest.mark.parametrize("tied", [False, True])
def test_skipgram_negative_sampling(tied):
    W, C = params(0, tied)
    # repeats on purpose, and rows that are both input and output (which matters when tied)
    ctx, outs = [1, 2, 2, 5, 3], [3, 7, 9, 7, 1, 11]
    check_step(lambda W_, C_, lr: sgns_loss_and_step(W_, C_, ctx, outs, lr, tied), W, C, tied)


def test_skipgram_negative_sampling_several_blocks():
    W, C = params(1)
    ctx, outs = [4, 1, 8], [2, 3, 5, 6, 7, 9, 10, 11, 0]  # 9 outputs: two blocks, padded
    check_step(lambda W_, C_, lr: sgns_loss_and_step(W_, C_, ctx, outs, lr), W, C, False)


@pytest.mark.parametrize("tied", [False, True])
def test_cbow_negative_sampling_exact(tied):
    W, C = params(2, tied)
    ctx, outs = [1, 2, 4, 6], [3, 7, 9, 0]
    check_step(lambda W_, C_, lr: cbow_loss_and_step(W_, C_, ctx, outs, lr, True), W, C, tied)


def test_cbow_negative_sampling_c_update_is_m_times_the_gradient():
    """The C code's CBOW adds ∂L/∂h undivided to each of the m context rows."""
    W, C = params(3)
    ctx, outs = [1, 2, 4, 6, 8], [3, 7, 9]
    check_step(lambda W_, C_, lr: cbow_loss_and_step(W_, C_, ctx, outs, lr, False), W, C,
               False, input_scale=len(ctx))


@pytest.mark.parametrize("tied", [False, True])
def test_skipgram_full_softmax(tied):
    W, C = params(4, tied)
    check_step(lambda W_, C_, lr: sg_softmax_loss_and_step(W_, C_, 5, [1, 2, 2, 9], lr),
               W, C, tied)


def test_cbow_full_softmax():
    W, C = params(5)
    check_step(lambda W_, C_, lr: cbow_softmax_loss_and_step(W_, C_, [1, 3, 4], 6, lr, True),
               W, C, False)


def test_losses_are_the_closed_forms():
    """The returned loss equals the formula evaluated with numpy."""
    W, C = params(6)
    ctx, outs = [1, 2], [3, 7, 9]
    sig = lambda x: 1 / (1 + np.exp(-x))
    expected = sum(-np.log(sig(W[i] @ C[outs[0]])) - sum(np.log(sig(-W[i] @ C[o]))
                                                         for o in outs[1:]) for i in ctx)
    assert sgns_loss_and_step(W.copy(), C.copy(), ctx, outs, 0.0) == pytest.approx(expected)
    scores = C @ W[5]
    logp = scores - np.log(np.exp(scores).sum())
    assert sg_softmax_loss_and_step(W.copy(), C.copy(), 5, [1, 2], 0.0) == pytest.approx(
        -(logp[1] + logp[2]))


def test_float32_tables_match_exact_functions():
    xs = np.linspace(-12, 12, 20001).astype(np.float32)
    got_s = np.array([K.one_minus_sigmoid(x, False) for x in xs])
    got_l = np.array([K.neg_log_sigmoid(x, False) for x in xs])
    x64 = xs.astype(np.float64)
    exact_s = 1 / (1 + np.exp(x64))
    exact_l = np.logaddexp(0, -x64)
    assert np.abs(got_s - exact_s).max() < 6e-4   # midpoint table, step 1/256, clipped at 8
    assert np.abs(got_l - exact_l).max() < 2e-5   # linear interpolation
    exact_flags = np.array([K.neg_log_sigmoid(x, True) for x in x64])
    np.testing.assert_allclose(exact_flags, exact_l, rtol=1e-12)


# ---------------------------------------------------------------- hierarchical softmax
from embedlib.huffman import hs_log_probabilities, huffman_tree  # noqa: E402

TREE = huffman_tree(np.array([40, 31, 22, 20, 13, 9, 8, 5, 3, 3, 2, 1]))  # V = 12 words


def check_named_steps(step, params, tied=False, input_scale=None):
    """``step(P, lr)`` takes a dict of arrays (``"W"``, and ``"C"``, ``"S"``, ... as the
    objective has them; with ``tied`` the step uses ``P["W"]`` as C), applies one update and
    returns the loss. Every array's step must be -lr × the finite-difference gradient of the
    loss (the inputs' ``input_scale`` times it for the C code's CBOW)."""
    P0 = {k: v.copy() for k, v in params.items()}

    def copies():
        return {k: v.copy() for k, v in P0.items()}

    loss0 = step(copies(), 0.0)
    after = copies()
    assert step(after, LR) == pytest.approx(loss0, rel=1e-12)
    for name in P0:
        def loss_at(X, name=name):
            P = copies()
            P[name] = X
            return step(P, 0.0)
        g = central_differences(loss_at, P0[name], EPS)
        scale = input_scale if (name == "W" and input_scale is not None) else 1.0
        np.testing.assert_allclose((P0[name] - after[name]) / LR, scale * g, rtol=RTOL,
                                   atol=1e-8, err_msg=name)
        assert np.abs(g).max() > 1e-3, name   # the check is not vacuous


def path_buffers(word, n_ctx):
    kp = -(-TREE.max_length // K.BLOCK) * K.BLOCK
    nodes, signs = np.zeros(kp, np.int32), np.zeros(kp)
    n = K.load_path(word, TREE.codes, TREE.points, TREE.offsets, nodes, signs)
    return nodes, signs, n, np.empty((2 * n_ctx + 2, kp)), np.empty((2 * n_ctx + 2, d))


def hs_params(seed, tied=False):
    W, C = params(seed, tied)
    S = np.random.default_rng(seed + 100).normal(0, 0.5, (V - 1, d))
    return dict(W=W, S=S) if tied else dict(W=W, C=C, S=S)


def sg_step(P, ctx, center, outs, lr, tied=False):
    """What train_job does for one skip-gram center word with ``hs``: the HS step (inputs
    deferred), then negative sampling if ``outs``, then the HS input steps."""
    W, S = P["W"], P["S"]
    c = np.zeros(2 * len(ctx) + 2, np.int32)
    c[:len(ctx)] = ctx
    nodes, signs, n, D, E = path_buffers(center, len(ctx))
    loss = K.sg_hs_update(W, S, c, len(ctx), nodes, signs, n, lr, D, E, True, True)
    if outs:
        loss += sgns_loss_and_step(W, W if tied else P["C"], ctx, outs, lr, tied)
    K.add_input_steps(W, c, len(ctx), E, True)
    return loss


def cbow_step(P, ctx, center, outs, lr, cbow_exact):
    W, S = P["W"], P["S"]
    c = np.array(ctx, np.int32)
    nodes, signs, n, D, E = path_buffers(center, len(ctx))
    loss = K.cbow_hs_update(W, S, c, len(ctx), nodes, signs, n, lr, np.empty(d), E, D,
                            cbow_exact, True, True)
    if outs:
        loss += cbow_loss_and_step(W, P["C"], ctx, outs, lr, cbow_exact)
    K.add_input_steps(W, c, len(ctx), E, False)
    return loss


def test_skipgram_hierarchical_softmax():
    P = hs_params(7)
    del P["C"]
    # word 11 has the longest path (two blocks of nodes); context words repeat
    check_named_steps(lambda P_, lr: sg_step(P_, [1, 2, 2, 5, 11], 11, None, lr), P)
    check_named_steps(lambda P_, lr: sg_step(P_, [3, 0, 7], 0, None, lr), P)


@pytest.mark.parametrize("tied", [False, True])
def test_skipgram_hierarchical_softmax_with_negative_sampling(tied):
    """Both objectives at the same parameters: the steps are those of the summed loss."""
    P = hs_params(8, tied)
    check_named_steps(lambda P_, lr: sg_step(P_, [1, 2, 4, 4], 9, [9, 3, 7, 1], lr, tied), P)


@pytest.mark.parametrize("with_ns", [False, True])
def test_cbow_hierarchical_softmax_exact(with_ns):
    P = hs_params(9)
    if not with_ns:
        del P["C"]
    outs = [6, 3, 7, 0] if with_ns else None
    check_named_steps(lambda P_, lr: cbow_step(P_, [1, 2, 4, 8], 6, outs, lr, True), P)


def test_cbow_hierarchical_softmax_c_update_is_m_times_the_gradient():
    P = hs_params(10)
    del P["C"]
    ctx = [1, 2, 4, 6, 8]
    check_named_steps(lambda P_, lr: cbow_step(P_, ctx, 10, None, lr, False), P,
                      input_scale=len(ctx))


def test_hierarchical_softmax_loss_is_minus_log_probability():
    """The kernels' loss is -log p(center | input) of the tree's probabilities, which sum
    to 1 over the vocabulary."""
    P = hs_params(11)
    W, S = P["W"], P["S"]
    ctx, center = [2, 5, 9], 4
    loss = sg_step({"W": W.copy(), "S": S.copy()}, ctx, center, None, 0.0)
    logp = [hs_log_probabilities(W[i], S, TREE) for i in ctx]
    assert all(np.exp(lp).sum() == pytest.approx(1.0, abs=1e-12) for lp in logp)
    assert loss == pytest.approx(-sum(lp[center] for lp in logp), rel=1e-12)
    h = W[ctx].mean(axis=0)
    loss = cbow_step({"W": W.copy(), "S": S.copy()}, ctx, center, None, 0.0, True)
    assert loss == pytest.approx(-hs_log_probabilities(h, S, TREE)[center], rel=1e-12)


# ---------------------------------------------------------------- per-word biases
def bias_params(seed, tied=False, inputs=True):
    """W (and C), with biases b (and b~) drawn so that they move the scores."""
    W, C = params(seed, tied)
    rng = np.random.default_rng(seed + 200)
    P = dict(W=W, b=rng.normal(0, 0.5, V))
    if not tied:
        P.update(C=C, b_ctx=rng.normal(0, 0.5, V))
    if not inputs:       # the full softmax has no input bias (see softmax_output_update)
        del P["b"]
    return P


def roles(P, tied):
    """(W, C, b, b~) of a parameter dict: one matrix and one bias vector when tied."""
    W = P["W"]
    C = W if tied else P["C"]
    b = P.get("b", NO_BIAS)
    return W, C, b, (b if tied else P["b_ctx"])


def sgns_bias_step(P, ctx, outs, lr, tied):
    W, C, b, bc = roles(P, tied)
    return sgns_loss_and_step(W, C, ctx, outs, lr, tied, True, b, bc)


@pytest.mark.parametrize("tied", [False, True])
def test_skipgram_negative_sampling_with_biases(tied):
    P = bias_params(12, tied)
    ctx, outs = [1, 2, 2, 5, 3], [3, 7, 9, 7, 1, 11, 4]   # repeats, and inputs as outputs
    check_named_steps(lambda P_, lr: sgns_bias_step(P_, ctx, outs, lr, tied), P)


def test_biased_scores_are_the_closed_form():
    P = bias_params(13)
    W, C, b, bc = P["W"], P["C"], P["b"], P["b_ctx"]
    ctx, outs = [1, 2], [3, 7, 9]
    sig = lambda x: 1 / (1 + np.exp(-x))
    x = lambda i, o: W[i] @ C[o] + b[i] + bc[o]
    expected = sum(-np.log(sig(x(i, outs[0]))) - sum(np.log(sig(-x(i, o))) for o in outs[1:])
                   for i in ctx)
    got = sgns_bias_step({k: v.copy() for k, v in P.items()}, ctx, outs, 0.0, False)
    assert got == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("tied", [False, True])
def test_skipgram_full_softmax_with_biases(tied):
    P = bias_params(14, tied, inputs=tied)

    def step(P_, lr):
        W, C, _, bc = roles(P_, tied)
        h = W[5].copy()
        grad_h = np.empty(d)
        loss = K.softmax_output_update(C, h, np.array([1, 2, 2, 9], np.int64), 4, lr,
                                       grad_h, np.empty(V), True, bc)
        W[5] += grad_h
        return loss

    check_named_steps(step, P)


def test_cbow_full_softmax_with_biases():
    P = bias_params(15, inputs=False)

    def step(P_, lr):
        W, C, _, bc = roles(P_, False)
        return K.cbow_softmax_update(W, C, np.array([1, 3, 4], np.int64), 3, 6, lr,
                                     np.empty(d), np.empty(d), np.empty(V), True, True, bc)

    check_named_steps(step, P)


def cbow_bias_step(P, ctx, outs, lr, tied, cbow_exact):
    W, C, b, bc = roles(P, tied)
    n_pad = -(-len(outs) // K.BLOCK) * K.BLOCK
    o = np.zeros(n_pad, np.int32)
    o[:len(outs)] = outs
    return K.cbow_ns_update(W, C, np.array(ctx, np.int32), len(ctx), o, len(outs), lr,
                            np.empty(d), np.empty(d), np.empty((2, n_pad)), cbow_exact, True,
                            True, True, b, bc)


@pytest.mark.parametrize("tied", [False, True])
def test_cbow_negative_sampling_with_biases_exact(tied):
    """The input bias is the mean of the context words' biases."""
    P = bias_params(16, tied)
    ctx, outs = [1, 2, 4, 6], [3, 7, 9, 0, 2]
    check_named_steps(lambda P_, lr: cbow_bias_step(P_, ctx, outs, lr, tied, True), P)


def test_cbow_negative_sampling_with_biases_c_update():
    """Without cbow_exact each context word's bias gets the undivided step, as its row."""
    P = bias_params(17)
    ctx, outs = [1, 2, 4, 6, 8], [3, 7, 9]
    P0 = {k: v.copy() for k, v in P.items()}
    exact, c_like = ({k: v.copy() for k, v in P0.items()} for _ in range(2))
    cbow_bias_step(exact, ctx, outs, LR, False, True)
    cbow_bias_step(c_like, ctx, outs, LR, False, False)
    np.testing.assert_allclose(c_like["b"] - P0["b"], len(ctx) * (exact["b"] - P0["b"]),
                               rtol=1e-9)
    np.testing.assert_array_equal(c_like["b_ctx"], exact["b_ctx"])
    assert np.abs(exact["b"] - P0["b"]).max() > 0

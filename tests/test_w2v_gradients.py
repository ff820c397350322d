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


def params(seed, tied=False):
    rng = np.random.default_rng(seed)
    W = rng.normal(0, 0.5, (V, d))
    C = W if tied else rng.normal(0, 0.5, (V, d))
    return W, C


def sgns_loss_and_step(W, C, ctx, outs, lr, tied=False):
    m, n_out = len(ctx), len(outs)
    n_pad = -(-n_out // K.BLOCK) * K.BLOCK
    c = np.zeros(2 * m + 2, np.int32)
    c[:m] = ctx
    o = np.zeros(n_pad, np.int32)
    o[:n_out] = outs
    Cb = np.empty((n_pad, d))
    D = np.empty((len(c), n_pad))
    Wb = np.empty((len(c), d))
    return K.sgns_update(W, C, c, m, o, n_out, lr, Cb, D, Wb, tied, True, True)


def cbow_loss_and_step(W, C, ctx, outs, lr, cbow_exact):
    m, n_out = len(ctx), len(outs)
    n_pad = -(-n_out // K.BLOCK) * K.BLOCK
    o = np.zeros(n_pad, np.int32)
    o[:n_out] = outs
    return K.cbow_ns_update(W, C, np.array(ctx, np.int32), m, o, n_out, lr, np.empty(d),
                            np.empty(d), np.empty((2, n_pad)),
                            cbow_exact, True, True)


def sg_softmax_loss_and_step(W, C, center, ctx, lr):
    h = W[center].copy()
    grad_h = np.empty(d)
    loss = K.softmax_output_update(C, h, np.array(ctx, np.int64), len(ctx), lr, grad_h,
                                   np.empty(V))
    W[center] += grad_h
    return loss


def cbow_softmax_loss_and_step(W, C, ctx, center, lr, cbow_exact):
    return K.cbow_softmax_update(W, C, np.array(ctx, np.int64), len(ctx), center, lr,
                                 np.empty(d), np.empty(d), np.empty(V), cbow_exact)


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

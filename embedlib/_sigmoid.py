"""σ and -log σ as word2vec's kernels compute them: interpolated tables in float32, exp and
log1p with ``exact=True`` (the tests' float64 arithmetic)."""

from __future__ import annotations

import math

import numba
import numpy as np

from ._jit import INLINE

__all__ = ["SIG_MAX", "SIG_SCALE", "one_minus_sigmoid", "neg_log_sigmoid",
           "_one_minus_sigmoid_and_loss"]

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
def _one_minus_sigmoid_and_loss(x, exact):
    """(1 - σ(x), -log σ(x)) from one table index: what :func:`one_minus_sigmoid` and
    :func:`neg_log_sigmoid` return, computed together."""
    if exact or x >= SIG_MAX or x <= -SIG_MAX:
        return one_minus_sigmoid(x, exact), neg_log_sigmoid(x, exact)
    f = (x + np.float32(SIG_MAX)) * np.float32(SIG_SCALE)
    i = min(max(int(f), 0), _N_CELLS - 1)
    frac = f - i
    return (np.float32(1.0) - _SIGMOID[i],
            _NEG_LOG_SIGMOID[i] + frac * (_NEG_LOG_SIGMOID[i + 1] - _NEG_LOG_SIGMOID[i]))


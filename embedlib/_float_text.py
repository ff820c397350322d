"""float32 values as decimal text in a Numba kernel: the bytes of Python's ``"%.{p}g" % x``
for whole blocks of rows, for the text writers of :mod:`embedlib.formats`.

Correct rounding. For ``|x|`` in [1e-14, 10^p) and ``p <= 9`` the ``p`` significant digits
are ``n = round(x · 10^s)`` with ``s = p - 1 - floor(log10 |x|)`` in [0, 22], where
``10^s`` is exact in float64. It is split into ``P_hi`` (its top 29 bits) and ``P_lo = P -
P_hi`` (at most 24 bits), so that both products with the 24-bit float32 ``x`` are exact and
``x · 10^s = a + b`` holds exactly. Knuth's two-sum turns ``a + b`` into the rounded sum and
its exact error; the error decides the ties and near-ties that the rounded sum alone would
get wrong. Rounding is to the nearest, ties to even, as Python's correctly rounded
conversion does. A block holding a value outside that range (or a NaN, an infinity, or a
``p`` above 9) is formatted by Python instead: :func:`format_rows` returns ``None``.

Most values are far from a tie: then the float64 product ``x · 10^s``, within 2^-19 of the
exact one (the digits stay below 10^10), rounds to the same integer, and the two-sum is
skipped.

Speed. The helpers are inlined into the block's kernel, which keeps no reference
counts (calls per value, each passing the output array and counting its references, cost a
fifth of the time), and with the default 9 digits the last 8 are made at
once in the bytes of one 64-bit integer. One thread formats a value in about 34 ns on
this project's machines, against 61-66 ns before these three changes
(``bench/results/vector_files.md``).

These kernels use :data:`~embedlib._jit.EXACT`: the exact products and two-sums need float
arithmetic evaluated as written.
"""

from __future__ import annotations

import math

import numba
import numpy as np
from numba.cpython.unsafe.numbers import leading_zeros

from ._jit import EXACT

_HELPER = dict(EXACT, inline="always")  # inlined into _format_block

__all__ = ["text_lines", "text_lines_python", "format_rows", "MAX_PRECISION"]

#: The largest number of significant digits the kernel writes (float32 round trips at 9).
MAX_PRECISION = 9
_POW10 = np.array([10.0 ** i for i in range(23)])           # exact in float64
_HI_MASK = np.uint64(0xFFFFFFFFFFFFFFFF ^ ((1 << 24) - 1))  # keeps 28 + 1 mantissa bits
_POW10_HI = (_POW10.view(np.uint64) & _HI_MASK).view(np.float64)
_POW10_LO = _POW10 - _POW10_HI
_POW10_ANY = np.array([10.0 ** i for i in range(-20, 21)])  # 10^k at [k + 20], rounded
_PAIRS = np.array([ord(c) for i in range(100) for c in f"{i:02d}"], dtype=np.uint8)
_INT10 = np.array([10 ** i for i in range(19)], dtype=np.int64)
_TWO52 = 2.0 ** 52
_NEAR_TIE = 0.5 - 2.0 ** -10                 # beyond it, the exact sum decides
_LOW, _HIGH = 1e-14, 1e9


@numba.njit(**_HELPER)
def _digits(ax, k, p):
    """round(ax · 10^(p - 1 - k)) to the nearest integer, ties to even, exactly."""
    s = p - 1 - k
    q = ax * _POW10[s]                         # within half an ulp (2^-19) of the exact product
    rq = (q + _TWO52) - _TWO52
    if abs(q - rq) < _NEAR_TIE:                # not near a tie: the rounded product decides
        return np.int64(rq)
    a = ax * _POW10_HI[s]
    b = ax * _POW10_LO[s]
    hi = a + b                                 # two-sum: hi + err == a + b exactly
    bb = hi - a
    err = (a - (hi - bb)) + (b - bb)
    r = (hi + _TWO52) - _TWO52                 # to the nearest integer, ties to even
    d = hi - r
    if d == 0.5 and err > 0.0:
        r += 1.0
    elif d == -0.5 and err < 0.0:
        r -= 1.0
    return np.int64(r)


@numba.njit(**_HELPER)
def _write_int(out, pos, v, width):
    """The ``width`` decimal digits of ``v`` (leading zeros included) at ``out[pos:]``."""
    i = pos + width
    while i - pos >= 2:
        q = v // 100
        r = 2 * (v - 100 * q)
        out[i - 2] = _PAIRS[r]
        out[i - 1] = _PAIRS[r + 1]
        v = q
        i -= 2
    if i > pos:
        out[pos] = 48 + v
    return pos + width


_M32 = np.uint64(0x0000007F0000007F)
_M16 = np.uint64(0x000F000F000F000F)
_ASCII = np.uint64(0x3030303030303030)


@numba.njit(**_HELPER)
def _write_nine(out, pos, n):
    """The 9 digits of ``10^8 <= n < 10^9`` at ``out[pos:]``: the first, then the other 8 at
    once in the bytes of one 64-bit integer (two 4-digit halves in 32-bit lanes, each split
    into 2-digit 16-bit lanes, each into two digits)."""
    d0 = n // 100000000
    r = n - 100000000 * d0
    hi = r // 10000
    x = np.uint64(hi) | (np.uint64(r - 10000 * hi) << np.uint64(32))
    y = ((x * np.uint64(10486)) >> np.uint64(20)) & _M32
    v = y | ((x - y * np.uint64(100)) << np.uint64(16))
    t = ((v * np.uint64(103)) >> np.uint64(10)) & _M16
    dw = t | ((v - t * np.uint64(10)) << np.uint64(8))
    w = dw + _ASCII
    p = np.uint64(pos)
    out[p] = 48 + d0
    for i in range(8):
        out[p + np.uint64(1 + i)] = np.uint8((w >> np.uint64(8 * i)) & np.uint64(255))
    if dw == 0:
        return 1
    return 9 - (np.int64(leading_zeros(dw)) >> 3)


@numba.njit(**_HELPER)
def _write_value(out, pos, x, p):
    """``"%.{p}g" % x`` at ``out[pos:]``; returns the end (``-1``: outside the kernel's range)."""
    out[pos] = 45                              # "-", kept only for a negative sign
    pos += np.int64(math.copysign(1.0, x) < 0.0)
    ax = abs(x)
    if ax == 0.0:
        out[pos] = 48
        return pos + 1
    if not (ax >= _LOW and ax < _HIGH):        # also NaN
        return -1
    # floor(log10 ax): from the binary exponent (floor(e2 log10 2) is k or k - 1), then
    # one comparison; a rounded table entry that errs is caught by the digit count below
    e2 = np.int64((np.float64(ax).view(np.uint64) >> np.uint64(52)) & np.uint64(0x7FF)) - 1023
    k = (e2 * 78913) >> 18
    if ax >= _POW10_ANY[k + 21]:
        k += 1
    if p - 1 - k > 22 or p - 1 - k < 0:
        return -1
    n = _digits(ax, k, p)
    if n >= _INT10[p] or n < _INT10[p - 1]:    # log10 one off, or rounded up to 10^p
        k += 1 if n >= _INT10[p] else -1
        if p - 1 - k > 22 or p - 1 - k < 0:
            return -1
        n = _digits(ax, k, p)
    # all p digits of n, then the point (moving the digits before it one byte left), the
    # trailing zeros dropped, and the exponent
    if 0 <= k < p or k < -4 or k >= p:
        start = pos + 1
    else:                                      # "0.000ddd"
        out[pos] = 48
        out[pos + 1] = 46
        out[pos + 2] = 48                      # up to three zeros: the digits, or what follows
        out[pos + 3] = 48
        out[pos + 4] = 48                      # the value, overwrite the ones not needed
        start = pos + 1 - k
    if p == 9:
        nd = _write_nine(out, start, n)
    else:
        _write_int(out, start, n, p)
        nd = p
        while nd > 1 and out[start + nd - 1] == 48:
            nd -= 1
    if -4 <= k < 0:
        return start + nd
    if 0 <= k < p:
        for i in range(k + 1):
            out[pos + i] = out[pos + 1 + i]
        if nd <= k + 1:
            return pos + k + 1
        out[pos + k + 1] = 46
        return pos + nd + 1
    out[pos] = out[pos + 1]
    if nd > 1:
        out[pos + 1] = 46
        pos += nd + 1
    else:
        pos += 1
    out[pos] = 101                             # "e"
    out[pos + 1] = 45 if k < 0 else 43
    ek = abs(k)
    return _write_int(out, pos + 2, ek, 2 if ek < 100 else 3)


@numba.njit(**EXACT, _nrt=False)  # allocates nothing: no reference counts
def _format_block(blob, starts, rows, p, out):
    """``word v1 ... vd\\n`` per row into ``out``; returns the bytes written (-1: a value
    outside the kernel's range)."""
    pos = 0
    for i in range(rows.shape[0]):
        for j in range(starts[i], starts[i + 1]):
            out[pos] = blob[j]
            pos += 1
        for t in range(rows.shape[1]):
            out[pos] = 32
            pos = _write_value(out, pos + 1, np.float64(rows[i, t]), p)
            if pos < 0:
                return -1
        out[pos] = 10
        pos += 1
    return pos


def text_lines(words, rows: np.ndarray, precision: int) -> bytes:
    """``word v1 ... vd\\n`` for each word and row, values as ``"%.{precision}g"``: by the
    kernel where it can (:func:`format_rows`), else by :func:`text_lines_python`."""
    lines = format_rows(words, rows, precision)
    return text_lines_python(words, rows, precision) if lines is None else lines


def text_lines_python(words, rows: np.ndarray, precision: int) -> bytes:
    """:func:`text_lines` one value at a time in Python."""
    fmt = " ".join([f"%.{precision}g"] * rows.shape[1])
    return "".join([f"{w} {fmt % tuple(row)}\n"
                    for w, row in zip(words, rows.tolist())]).encode("utf-8")


def format_rows(words, rows: np.ndarray, precision: int) -> bytes | None:
    """The UTF-8 lines ``word v1 ... vd`` of ``words`` and the float32 ``rows``, each value as
    ``"%.{precision}g"``; ``None`` when the kernel cannot write them (see the module)."""
    if rows.dtype != np.float32 or precision > MAX_PRECISION:
        return None
    encoded = [w.encode("utf-8") for w in words]
    starts = np.zeros(len(encoded) + 1, dtype=np.int64)
    np.cumsum([len(e) for e in encoded], out=starts[1:])
    blob = np.frombuffer(b"".join(encoded), dtype=np.uint8)
    # per value at most: space, sign, 9 digits, point, "e-NN"
    out = np.empty(int(starts[-1]) + rows.shape[0] * (rows.shape[1] * 16 + 1), dtype=np.uint8)
    end = _format_block(blob, starts, np.ascontiguousarray(rows), precision, out)
    return None if end < 0 else out[:end].tobytes()

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

These kernels use :data:`~embedlib._jit.EXACT`: the exact products and two-sums need float
arithmetic evaluated as written.
"""

from __future__ import annotations

import math

import numba
import numpy as np

from ._jit import EXACT

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
_LOW, _HIGH = 1e-14, 1e9


@numba.njit(**EXACT)
def _digits(ax, k, p):
    """round(ax · 10^(p - 1 - k)) to the nearest integer, ties to even, exactly."""
    s = p - 1 - k
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


@numba.njit(**EXACT)
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


@numba.njit(**EXACT)
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
        for i in range(-k - 1):
            out[pos + 2 + i] = 48
        start = pos + 1 - k
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


@numba.njit(**EXACT)
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

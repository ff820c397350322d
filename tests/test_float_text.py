"""The text writers' formatting kernel writes the bytes of Python's ``%.{p}g``."""

import numpy as np
import pytest

from embedlib import _float_text as ft


def python_lines(words, rows, p):
    return ft.text_lines_python(words, rows, p)


def edge_values():
    """Powers of ten and their float32 neighbours, halves (ties), signed zeros, the
    kernel's range limits and a few values past them."""
    vals = [0.0, -0.0, 0.5, 1.5, 2.5, -2.5, 0.125, 1e-5, 1e-14, 9.99e-15, 123.456, 1e7,
            12345678.0, 99999999.0, 1e8, 1e9, 3.4e38, 1e-45]
    for e in range(-16, 11):
        v = np.float32(10.0 ** e)
        for direction in (0.0, np.inf):
            w = v
            for _ in range(4):
                vals += [w, -w]
                w = np.nextafter(w, np.float32(direction))
    return np.array(vals, dtype=np.float32)


@pytest.mark.parametrize("p", range(1, 10))
def test_same_bytes_as_python(p):
    rng = np.random.default_rng(p)
    normal = rng.standard_normal((300, 20)).astype(np.float32)
    dyadic = (rng.integers(-2**20, 2**20, size=(300, 20))
              / 2.0 ** rng.integers(0, 24, size=(300, 1))).astype(np.float32)  # many ties
    for rows in (normal, dyadic, edge_values().reshape(-1, 1)):
        for i in range(0, len(rows), 10):
            block = rows[i:i + 10]
            words = [f"w{j}é" for j in range(len(block))]
            assert ft.text_lines(words, block, p) == python_lines(words, block, p)


def test_kernel_covers_trained_values_and_defers_the_rest():
    rng = np.random.default_rng(0)
    rows = (rng.standard_normal((50, 30)) * 0.3).astype(np.float32)
    words = [f"w{i}" for i in range(50)]
    assert ft.format_rows(words, rows, 9) == python_lines(words, rows, 9)
    assert ft.format_rows(words[:1], np.array([[np.nan]], np.float32), 9) is None
    assert ft.format_rows(words[:1], np.array([[3e9]], np.float32), 9) is None
    assert ft.format_rows(words[:1], rows[:1].astype(np.float64), 9) is None
    assert ft.format_rows(words[:1], rows[:1], 12) is None
    assert ft.text_lines(words[:1], np.array([[np.inf, 3e9]], np.float32), 9) == b"w0 inf 3e+09\n"


def test_random_bit_patterns():
    rng = np.random.default_rng(7)
    bits = rng.integers(0, 2**32, size=(2000, 5), dtype=np.uint64).astype(np.uint32)
    rows = bits.view(np.float32)
    rows = rows[np.isfinite(rows).all(axis=1)]
    for i in range(0, len(rows), 1):
        block = rows[i:i + 1]
        assert ft.text_lines(["w"], block, 9) == python_lines(["w"], block, 9)


@pytest.mark.parametrize("p", [6, 9])
def test_values_near_a_tie(p):
    """Values whose scaled product ``x · 10^s`` lies within 2^-12 of a half, where the kernel
    leaves the rounded product for the exact two-sum, and on both sides of that limit."""
    rng = np.random.default_rng(11 + p)
    x = (10.0 ** rng.uniform(-14, 9, 2_000_000)).astype(np.float32)
    x = x[(x >= 1e-14) & (x < 1e9)]
    k = np.floor(np.log10(x.astype(np.float64)))
    q = x.astype(np.float64) * 10.0 ** (p - 1 - k)
    frac = np.abs(q - np.floor(q) - 0.5)
    near = x[frac < 2.0 ** -12]
    assert len(near) > 200
    rows = np.concatenate([near, -near]).reshape(-1, 1)
    for i in range(0, len(rows), 50):
        block = rows[i:i + 50]
        assert ft.text_lines(["w"] * len(block), block, p) == python_lines(["w"] * len(block), block, p)


#: float32 values whose exact product ``x · 10^s`` (9 digits) is not a half, but rounds in
#: float64 to one, found by a search over every float32 in [1e-14, 1e-5): only the two-sum's
#: error tells which way they round.
NEAR_TIES = [0x298bbed6, 0x29d3d951, 0x2a0bbed6, 0x2ad19e41, 0x2cd3032b, 0x2d0dd635, 0x2d8dd635,
             0x2e9d634e, 0x2fccfac3, 0x307c1a23, 0x335bb491, 0x3480428a, 0x354063cf, 0x36448c6f,
             0x37014cb2]


def test_values_whose_rounded_product_is_a_half():
    from fractions import Fraction
    x = np.array(NEAR_TIES, dtype=np.uint32).view(np.float32)
    for v in x:
        exact = Fraction(float(v)) * Fraction(10) ** (8 - int(np.floor(np.log10(float(v)))))
        rounded = float(v) * 10.0 ** (8 - int(np.floor(np.log10(float(v)))))
        assert exact.denominator != 2 and rounded % 1 == 0.5  # what makes them hard
    rows = np.concatenate([x, -x]).reshape(-1, 1)
    assert ft.text_lines(["w"] * len(rows), rows, 9) == python_lines(["w"] * len(rows), rows, 9)

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

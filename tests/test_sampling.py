import numba
import numpy as np
import pytest

from embedlib.sampling import AliasTable, keep_probabilities, noise_distribution


def test_keep_probability_formulas():
    counts = np.array([1000, 100, 10, 1])
    t = 1e-2
    f = counts / counts.sum()
    c = keep_probabilities(counts, t, "c")
    paper = keep_probabilities(counts, t, "paper")
    np.testing.assert_allclose(c, np.minimum(1, np.sqrt(t / f) + t / f), rtol=1e-6)
    np.testing.assert_allclose(paper, np.minimum(1, np.sqrt(t / f)), rtol=1e-6)
    assert np.all(c >= paper)
    assert np.all(keep_probabilities(counts, 0, "c") == 1)
    with pytest.raises(ValueError, match="formula"):
        keep_probabilities(counts, t, "other")


def alias_implied(table):
    """The distribution an alias table draws from, computed exactly from its arrays."""
    n = len(table)
    p = table.prob.astype(np.float64) / n
    np.add.at(p, table.alias, (1 - table.prob.astype(np.float64)) / n)
    return p


@pytest.mark.parametrize("seed", range(5))
def test_alias_table_represents_the_distribution(seed):
    rng = np.random.default_rng(seed)
    counts = rng.zipf(1.3, size=500).astype(float)
    p = noise_distribution(counts, 0.75)
    table = AliasTable(p)
    np.testing.assert_allclose(alias_implied(table), p, atol=1e-7)


def test_alias_draws_follow_the_distribution():
    p = np.array([0.5, 0.25, 0.125, 0.0625, 0.0625])
    draws = AliasTable(p).sample(400_000, seed=3)
    freq = np.bincount(draws, minlength=len(p)) / len(draws)
    # 5 standard errors of a binomial proportion
    assert np.all(np.abs(freq - p) < 5 * np.sqrt(p * (1 - p) / len(draws)))


def test_the_packed_table_draws_what_the_alias_table_draws():
    from embedlib.sampling import alias_draw, packed_alias_draw
    rng = np.random.default_rng(7)
    table = AliasTable(noise_distribution(rng.zipf(1.3, size=300).astype(float), 0.75))
    bits = rng.integers(0, 2**63, size=200_000, dtype=np.int64).astype(np.uint64) * np.uint64(2)
    bits ^= rng.integers(0, 2, size=len(bits)).astype(np.uint64)   # all 64 bits random
    # the coins on either side of each threshold, where rounding would show first
    i = np.arange(len(table), dtype=np.uint64)
    column = ((i << np.uint64(32)) + np.uint64(len(table) - 1)) // np.uint64(len(table))
    edge = np.ceil(table.prob.astype(np.float64) * 2.0 ** 24).astype(np.uint64)
    below = (column << np.uint64(32)) | (edge - np.uint64(1))     # keeps column i
    inside = edge < 2**24                                          # prob[i] < 1
    above = (column[inside] << np.uint64(32)) | edge[inside]        # takes alias[i]
    n_random = len(bits)
    bits = np.concatenate([bits, below, above])
    packed = table.packed

    @numba.njit
    def both(bits, prob, alias, packed):
        out = np.empty((2, len(bits)), np.int64)
        for k in range(len(bits)):
            out[0, k] = alias_draw(bits[k], prob, alias)
            out[1, k] = packed_alias_draw(bits[k], packed)
        return out

    a, b = both(bits, table.prob, table.alias, packed)
    assert np.array_equal(a, b)
    n = len(table)
    assert np.array_equal(a[n_random:n_random + n], np.arange(n))
    assert np.array_equal(a[n_random + n:], table.alias[inside])
    assert inside.sum() > 100 and (table.alias[inside] != np.arange(n)[inside]).all()


def test_noise_distribution_exponent():
    counts = np.array([16.0, 1.0])
    np.testing.assert_allclose(noise_distribution(counts, 0.75), [8 / 9, 1 / 9])
    np.testing.assert_allclose(noise_distribution(counts, 0.0), [0.5, 0.5])


def test_alias_table_rejects_bad_input():
    with pytest.raises(ValueError):
        AliasTable([])
    with pytest.raises(ValueError):
        AliasTable([0.5, -0.1])

"""PMI, shifted PPMI with context smoothing, and truncated-SVD embeddings."""

import numpy as np
import pytest
import scipy.sparse as sp
from conftest import topic_precision

from embedlib.pmi import PPMISVD, pmi, ppmi, svd_embeddings, truncated_svd


def counts_matrix(n=30, density=0.3, seed=0, symmetric=False):
    rng = np.random.default_rng(seed)
    X = rng.poisson(3.0, (n, n)) * (rng.random((n, n)) < density)
    if symmetric:
        X = X + X.T
    return X.astype(np.float64)


def dense_pmi(X, cds):
    """The definition, on a dense matrix: log P(i,j) / (P(i) P_cds(j))."""
    N = X.sum()
    p_ij = X / N
    p_i = X.sum(axis=1) / N
    c = X.sum(axis=0) ** cds
    p_j = c / c.sum()
    with np.errstate(divide="ignore"):
        return np.log(p_ij) - np.log(p_i)[:, None] - np.log(p_j)[None, :]


@pytest.mark.parametrize("cds", [1.0, 0.75])
def test_pmi_matches_the_definition(cds):
    X = counts_matrix()
    M = pmi(sp.csr_matrix(X), cds=cds)
    ref = dense_pmi(X, cds)
    nz = X > 0
    assert M.nnz == nz.sum()
    np.testing.assert_allclose(M.toarray()[nz], ref[nz], rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("k, cds", [(1, 1.0), (5, 1.0), (5, 0.75), (2.5, 0.75)])
def test_shifted_ppmi(k, cds):
    X = counts_matrix(seed=1)
    M = ppmi(X, k=k, cds=cds)
    ref = np.maximum(np.nan_to_num(dense_pmi(X, cds), neginf=0.0) - np.log(k), 0.0)
    ref[X == 0] = 0.0
    np.testing.assert_allclose(M.toarray(), ref, rtol=1e-12, atol=1e-12)
    assert np.all(M.data > 0)                       # sparse: no stored zeros
    if k > 1:
        assert M.nnz < ppmi(X, cds=cds).nnz


def test_smoothing_raises_rare_contexts():
    X = counts_matrix(seed=2)
    plain, smooth = pmi(X, cds=1.0).toarray(), pmi(X, cds=0.75).toarray()
    col = X.sum(axis=0)
    rare, frequent = np.argmin(np.where(col > 0, col, np.inf)), np.argmax(col)
    rows = (X[:, rare] > 0) & (X[:, frequent] > 0)
    if rows.any():
        # smoothing lifts P(rare context), so PMI with it drops more than with a frequent one
        assert np.all((plain - smooth)[rows, rare] > (plain - smooth)[rows, frequent])


@pytest.mark.parametrize("solver", ["arpack", "randomized"])
def test_truncated_svd_matches_numpy(solver):
    X = counts_matrix(n=40, density=0.5, seed=3)
    M = ppmi(X)
    U, s, V = truncated_svd(M, 6, solver=solver, seed=4)
    Ur, sr, Vtr = np.linalg.svd(M.toarray())
    np.testing.assert_allclose(s, sr[:6], rtol=1e-6)
    # same singular vectors up to sign (randomized: approximate, as close gaps converge
    # slowly under power iteration), and our sign convention holds
    tol = 1e-6 if solver == "arpack" else 1e-3
    for a in range(6):
        sign = np.sign(Ur[np.argmax(np.abs(Ur[:, a])), a])
        np.testing.assert_allclose(U[:, a], sign * Ur[:, a], atol=tol)
        np.testing.assert_allclose(V[:, a], sign * Vtr[a], atol=tol)
        assert U[np.argmax(np.abs(U[:, a])), a] > 0


@pytest.mark.parametrize("eig", [0.0, 0.5, 1.0])
def test_eigenvalue_weighting(eig):
    X = counts_matrix(n=40, density=0.5, seed=5)
    M = ppmi(X)
    words = [f"w{i}" for i in range(40)]
    emb = svd_embeddings(M, words, 5, eig=eig, seed=1)
    U, s, V = truncated_svd(M, 5, seed=1)
    np.testing.assert_allclose(emb.vectors, U * s ** eig, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(emb.context, V * s ** eig, rtol=1e-5, atol=1e-6)
    if eig == 1.0:   # W Cᵀ with eig = 1/2 is the rank-5 approximation of M
        half = svd_embeddings(M, words, 5, eig=0.5, seed=1)
        best = (U * s) @ V.T
        np.testing.assert_allclose(half.vectors @ half.context.T, best, atol=1e-5)


def test_svd_is_deterministic_for_a_seed():
    M = ppmi(counts_matrix(n=50, density=0.3, seed=6))
    words = [str(i) for i in range(50)]
    for solver in ("arpack", "randomized"):
        a = svd_embeddings(M, words, 8, solver=solver, seed=3)
        b = svd_embeddings(M, words, 8, solver=solver, seed=3)
        assert np.array_equal(a.vectors, b.vectors)


@pytest.mark.parametrize("output", ["W", "sum", "concat"])
def test_ppmi_svd_neighbours_land_in_the_planted_topic(planted, output):
    topics, corpus = planted
    model = PPMISVD(vector_size=6, window=5, output=output).fit(corpus)
    assert topic_precision(model.wv, topics) > 0.9
    assert model.wv.words == corpus.vocab.words
    assert len(model.singular_values_) == 6 and np.all(np.diff(model.singular_values_) <= 0)
    assert model.vectors("W").context is not None


def test_fit_on_a_matrix_with_words():
    X = counts_matrix(n=20, density=0.6, seed=7, symmetric=True)
    words = [f"w{i}" for i in range(20)]
    model = PPMISVD(vector_size=3, cds=1.0).fit(sp.csr_matrix(X), vocab=words)
    assert model.wv.vectors.shape == (20, 3) and model.wv.counts is None


@pytest.mark.parametrize("call, error, match", [
    (lambda: pmi(sp.csr_matrix((4, 4))), ValueError, "all zeros"),
    (lambda: pmi(sp.csr_matrix((0, 0))), ValueError, "empty"),
    (lambda: pmi(np.ones((3, 3)), cds=0), ValueError, "cds must be"),
    (lambda: ppmi(np.ones((3, 3)), k=0), ValueError, "k must be > 0"),
    (lambda: truncated_svd(sp.eye(5), 5), ValueError, "smaller than"),
    (lambda: truncated_svd(sp.eye(5), 2, solver="lapack"), ValueError, "solver must be"),
    (lambda: svd_embeddings(sp.eye(5), list("abcd"), 2), ValueError, "5 rows but there are 4"),
    (lambda: svd_embeddings(sp.eye(5), list("abcde"), 2, eig=2), ValueError, "eig must be"),
    (lambda: PPMISVD(eig=-1), ValueError, "eig must be"),
    (lambda: PPMISVD(output="X"), ValueError, "output must be"),
    (lambda: PPMISVD(vector_size=2, cds=1).fit(np.ones((3, 3)), vocab=list("abc")),
     ValueError, "all zeros"),
])
def test_bad_input(call, error, match):
    with pytest.raises(error, match=match):
        call()

"""Explicit PMI embeddings: (shifted) positive PMI and its truncated SVD.

From the same co-occurrence counts ``X`` GloVe fits (chapter *Why two matrices*), with
``N = Σ_ij X_ij``, row sums ``X_i*`` and column sums ``X_*j``::

    PMI(i, j)    = log [ P(i, j) / (P(i) P_cds(j)) ]
                 = log X_ij - log X_i* - log P_cds(j),
    P(i, j) = X_ij / N,  P(i) = X_i* / N,  P_cds(j) = X_*j^cds / Σ_j' X_*j'^cds,
    SPPMI_k(i, j) = max(PMI(i, j) - log k, 0).

``cds = 1`` is the plain PMI; ``cds = 0.75`` is the context distribution smoothing of
Levy, Goldberg & Dagan (2015), which raises the probability of rare contexts as word2vec's
noise distribution does. ``k = 1`` is PPMI; ``k > 1`` is the shifted PPMI that skip-gram
with ``k`` negative samples implicitly factorizes (Levy & Goldberg 2014). Pairs with
``X_ij = 0`` have PMI = -inf and SPPMI = 0, so the matrices stay sparse.

Embeddings (Levy et al. 2015, section 3.3): the truncated SVD ``M ≈ U_d Σ_d V_dᵀ`` gives
``W = U_d Σ_d^eig`` and ``C = V_d Σ_d^eig``, with the eigenvalue weighting ``eig`` (their
``p``) in {0, 0.5, 1}; ``eig = 1`` is the plain factorization ``W = U Σ``.

References
----------
Levy, O., Goldberg, Y. (2014). Neural Word Embedding as Implicit Matrix Factorization.
NIPS 2014.

Levy, O., Goldberg, Y., Dagan, I. (2015). Improving Distributional Similarity with
Lessons Learned from Word Embeddings. TACL 3, 211-225.
"""

from __future__ import annotations

import numpy as np

from ._lazy import module
from ._checks import check_choice, check_float, check_int
from ._errors import ParameterError, spell
from .base import CountModel
from .cooccur import check_cooccurrence
from .embeddings import Embeddings

sp = module("scipy.sparse")  # imported when first used (start-up of commands that need none)

__all__ = ["pmi", "ppmi", "truncated_svd", "svd_embeddings", "PPMISVD", "SOLVERS"]

SOLVERS = ("arpack", "randomized")


def pmi(X, *, cds: float = 1.0) -> sp.csr_matrix:
    """PMI of every nonzero of ``X`` (float64 CSR with the sparsity of ``X``).

    Zeros of ``X`` (PMI = -inf) are not stored; a stored value can be negative or zero.
    """
    X = check_cooccurrence(X)
    cds = check_float("cds", cds, 0, 10, low_open=True)
    rows = np.repeat(np.arange(X.shape[0]), np.diff(X.indptr))
    row_sum = np.asarray(X.sum(axis=1)).ravel()
    col_sum = np.asarray(X.sum(axis=0)).ravel()
    used = col_sum > 0
    log_col = np.zeros_like(col_sum)
    log_col[used] = cds * np.log(col_sum[used])
    # log P_cds(j) = cds log X_*j - log Σ_j' X_*j'^cds, the sum taken stably in logs
    log_norm = np.logaddexp.reduce(log_col[used])
    values = np.log(X.data) - np.log(row_sum[rows]) - (log_col[X.indices] - log_norm)
    return sp.csr_matrix((values, X.indices.copy(), X.indptr.copy()), shape=X.shape)


def ppmi(X, *, k: float = 1.0, cds: float = 1.0) -> sp.csr_matrix:
    """Shifted positive PMI, ``max(PMI - log k, 0)``, without its zeros (float64 CSR).

    ``k = 1`` (default) is PPMI; ``cds`` as in :func:`pmi`.
    """
    k = check_float("k", k, 0, None, low_open=True)
    M = pmi(X, cds=cds)
    M.data -= np.log(k)
    np.maximum(M.data, 0.0, out=M.data)
    M.eliminate_zeros()
    return M


def truncated_svd(M, rank: int, *, solver: str = "arpack", seed: int = 1):
    """The ``rank`` largest singular triplets of ``M``: ``U (n, rank)``, ``s`` descending,
    ``V (m, rank)``, with each component's sign fixed so that the entry of largest
    magnitude in its column of ``U`` is positive. Deterministic for a given ``seed``.

    ``solver="arpack"`` (scipy's ``svds``, Lanczos to machine precision) or "randomized"
    (Halko, Martinsson & Tropp 2011, with 10 oversamples and 7 power iterations).
    """
    check_choice("solver", solver, SOLVERS)
    seed = check_int("seed", seed, 0, 2**63 - 1)
    n, m = M.shape
    rank = check_int("vector_size", rank, 1)
    if rank >= min(n, m):
        raise ParameterError(f"{spell('vector_size')} must be smaller than the number of words "
                             f"({min(n, m)}, the matrix's smallest dimension), got {rank}",
                             "vector_size")
    rng = np.random.default_rng(seed)
    if solver == "arpack":
        from scipy.sparse.linalg import svds
        v0 = rng.uniform(-1.0, 1.0, min(n, m))
        U, s, Vt = svds(sp.csr_matrix(M, dtype=np.float64), k=rank, v0=v0)
    else:
        U, s, Vt = _randomized_svd(sp.csr_matrix(M, dtype=np.float64), rank, rng)
    order = np.argsort(-s, kind="stable")
    U, s, V = U[:, order], s[order], Vt[order].T
    signs = np.sign(U[np.argmax(np.abs(U), axis=0), np.arange(rank)])
    signs[signs == 0] = 1.0
    return U * signs, s, V * signs


def _randomized_svd(M, rank, rng, oversample=10, power_iter=7):
    k = min(rank + oversample, min(M.shape))
    Q = M @ rng.standard_normal((M.shape[1], k))
    Q, _ = np.linalg.qr(Q)
    for _ in range(power_iter):
        Z, _ = np.linalg.qr(M.T @ Q)
        Q, _ = np.linalg.qr(M @ Z)
    B = (M.T @ Q).T                       # = Qᵀ M, (k, m)
    Ub, s, Vt = np.linalg.svd(B, full_matrices=False)
    return (Q @ Ub)[:, :rank], s[:rank], Vt[:rank]


def svd_embeddings(M, words, vector_size: int = 100, *, eig: float = 0.5,
                   solver: str = "arpack", seed: int = 1, counts=None) -> Embeddings:
    """Embeddings ``W = U_d Σ_d^eig`` (context ``C = V_d Σ_d^eig``) of a matrix ``M``.

    ``M`` is typically :func:`ppmi` of a co-occurrence matrix; ``words`` label its rows.
    ``eig`` is the eigenvalue weighting p of Levy et al. (2015): 0, 0.5 or 1 (any value in
    [0, 1] is accepted). float32 vectors; see :func:`truncated_svd` for the solver.
    """
    eig = check_float("eig", eig, 0, 1)
    words = tuple(words)
    if M.shape[0] != len(words):
        raise ValueError(f"M has {M.shape[0]} rows but there are {len(words)} words")
    if M.shape[0] != M.shape[1]:
        raise ValueError(f"M must be square (words x context words), got shape {M.shape}")
    if sp.issparse(M) and M.nnz == 0 or not sp.issparse(M) and not np.any(M):
        raise ValueError("M is all zeros: nothing to factorize")
    U, s, V = truncated_svd(M, vector_size, solver=solver, seed=seed)
    weight = s ** eig
    return Embeddings(words, (U * weight).astype(np.float32),
                      (V * weight).astype(np.float32), counts)


class PPMISVD(CountModel):
    """Word vectors from the truncated SVD of the (shifted, smoothed) PPMI matrix.

    Levy, Goldberg & Dagan (2015): PPMI_k(w, c) = max(PMI(w, c) - log k, 0), with the
    context distribution raised to ``cds``; M ≈ U Σ Vᵀ, W = U Σ^eig, C = V Σ^eig.

    Parameters
    ----------
    vector_size : int
        Rank d of the factorization.
    k : float
        Shift, ``max(PMI - log k, 0)``; 1 is PPMI.
    cds : float
        Context distribution smoothing exponent: 0.75 (the default) as recommended by
        Levy et al. (2015), 1 for the plain PMI.
    eig : float
        Eigenvalue weighting p: W = U Σ^p (0.5 by default; 0 and 1 are the other usual
        choices).
    output : {"W", "C", "sum", "concat"}
        Which vectors :attr:`wv` holds.
    solver, seed
        See :func:`truncated_svd`.
    window, weighting, symmetric, min_count, max_vocab_size, memory_limit, tmp_dir, workers
        How a corpus given to :meth:`fit` is counted (defaults: GloVe's, so that both
        models see the same counts).

    Attributes
    ----------
    W_, C_ : numpy.ndarray
        The word and context vectors (float32).
    singular_values_ : numpy.ndarray
        The d largest singular values of the matrix.
    cooccurrence_ : scipy.sparse.csr_matrix
        The counts, with ``words_`` (the words of its rows) and ``vocab_`` (the corpus's
        :class:`~embedlib.corpus.Vocabulary`, or None for a matrix fit with a list of
        words; ``vocab`` is an alias).

    The vectors to use are :attr:`wv`, those ``output`` names; :meth:`vectors` gives the
    others.
    """

    def __init__(self, *, vector_size=100, k=1.0, cds=0.75, eig=0.5, output="W",
                 solver="arpack", seed=1, window=10, weighting="harmonic", symmetric=True,
                 min_count=5, max_vocab_size=None, memory_limit=None, tmp_dir=None,
                 workers=None):
        self._set_params(locals())

    def _validate(self):
        super()._validate()     # counting, output, vector_size, seed, workers
        check_float("k", self.k, 0, None, low_open=True)
        check_float("cds", self.cds, 0, 10, low_open=True)
        check_float("eig", self.eig, 0, 1)
        check_choice("solver", self.solver, SOLVERS)

    def _fit_counts(self, X) -> None:
        """Reweight by SPPMI, factorize."""
        M = ppmi(X, k=self.k, cds=self.cds)
        if M.nnz == 0:
            raise ParameterError(f"the shifted PPMI matrix is all zeros (no pair has PMI "
                                 f"above log k = {np.log(self.k):.3g}): lower {spell('k')}", "k")
        U, s, V = truncated_svd(M, self.vector_size, solver=self.solver, seed=self.seed)
        self.singular_values_ = s
        weight = s ** float(self.eig)
        self._W = (U * weight).astype(np.float32)
        self._C = (V * weight).astype(np.float32)

    @property
    def W_(self) -> np.ndarray:
        """Word vectors W = U Σ^eig, one row per word (float32)."""
        self._check_fitted()
        return self._W

    @property
    def C_(self) -> np.ndarray:
        """Context vectors C = V Σ^eig, one row per context word (float32)."""
        self._check_fitted()
        return self._C

"""GloVe: global vectors from weighted least squares on log co-occurrence counts.

Pennington, Socher & Manning (2014) fit word vectors ``w_i``, context vectors ``c_j``
(their ``w~_j``) and two biases to the nonzero co-occurrence counts ``X_ij``:

    J = Σ_{X_ij > 0} f(X_ij) (w_i·c_j + b_i + b_ctx_j - log X_ij)²,
    f(x) = min(1, (x / x_max)^alpha),

with AdaGrad over the nonzeros in random order, as their tool ``glove.c`` does; the
defaults are theirs (x_max 100, alpha 0.75, eta 0.05, window 10 with 1/distance weights,
vectors W + C). The chapter *GloVe* derives J; :mod:`embedlib.glove_kernels` holds the
step and states exactly what it computes.

>>> from embedlib.glove import GloVe
>>> model = GloVe(vector_size=100, epochs=25).fit("corpus.txt.gz")      # doctest: +SKIP
>>> model.wv.most_similar("king")                                     # doctest: +SKIP
>>> model.history_[-1].cost                                           # doctest: +SKIP

Training runs in ``workers`` threads that share the parameters without locks (Hogwild;
Recht et al. 2011); each epoch visits every nonzero once in a fresh random order (see
:mod:`embedlib.glove_kernels`). With ``workers=1`` a seed reproduces the vectors bit for
bit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._lazy import module
from . import _glove_train as T
from . import glove_kernels as K
from ._checks import check_choice, check_float, check_int
from .base import OUTPUTS, BaseEpochStats, CountModel, TrainingError  # noqa: F401 (as before)
from .base import NotFittedError, saved_array
from .cooccur import check_cooccurrence
from .corpus import Corpus, Vocabulary
from .embeddings import Embeddings

sp = module("scipy.sparse")  # imported when first used (start-up of commands that need none)

__all__ = ["GloVe", "GloVeEpochStats", "weighting_function"]


def weighting_function(x, x_max: float = 100.0, alpha: float = 0.75) -> np.ndarray:
    """GloVe's weight ``f(x) = min(1, (x / x_max)^alpha)`` (float64), elementwise."""
    x = np.asarray(x, dtype=np.float64)
    return np.minimum(1.0, (x / x_max) ** alpha)


@dataclass(frozen=True)
class GloVeEpochStats(BaseEpochStats):
    """What one epoch did.

    ``cost`` is the mean over the nonzeros of ``½ f(X_ij) e_ij²``, each term taken at the
    parameters just before its own step, summed in float64: the number ``glove.c`` prints
    after each iteration, so the two logs compare directly. At fixed parameters it equals
    ``J / (2 · nnz)`` (see :meth:`GloVe.cost`). During training it sits above ``J / (2 · nnz)`` at the epoch's start
    and end alike, since each term is measured when it is most out of date. ``seconds`` is wall-clock time (shuffle
    included); ``cpu_seconds`` the CPU time of the process over the epoch, all threads
    together, so ``cpu_seconds / seconds`` is the number of cores the epoch actually got.
    ``loss`` is an alias of ``cost`` (the name every trainer's statistics have);
    ``epochs`` is the number of epochs of the run.
    """

    epoch: int
    cost: float
    updates: int
    seconds: float
    cpu_seconds: float = float("nan")
    epochs: int = 0

    _metric, _work, _unit = "cost", "updates", "updates/s"

    @property
    def loss(self) -> float:
        """Alias of ``cost`` (the name every trainer's statistics have)."""
        return self.cost

    @property
    def updates_per_sec(self) -> float:
        """Nonzero updates per second (infinite if no time was measured)."""
        return self.rate[0]


class GloVe(CountModel):
    """GloVe word vectors trained by AdaGrad on a co-occurrence matrix.

    The cost is J = Σ_ij f(X_ij) (w_i·c_j + b_i + b_ctx_j - log X_ij)² over the nonzeros
    of X, with f(x) = min(1, (x / x_max)^alpha) (Pennington, Socher & Manning 2014).
    Parameter names and defaults are the paper's and ``glove.c``'s.

    Parameters
    ----------
    vector_size : int
        Dimension d of W and C.
    x_max, alpha : float
        The weighting function f(x) = min(1, (x / x_max)^alpha). On small corpora a
        smaller x_max (e.g. 10) often does better.
    eta : float
        AdaGrad's initial learning rate (every accumulator starts at 1).
    epochs : int
        Passes over the nonzeros (``glove.c``: 25; the paper: 50 below 300 dimensions).
    workers : int or None
        Training (and counting) threads; None means all cores.
    seed : int
        Seed of the initialization and of every shuffle.
    tied : bool
        One matrix and one bias vector for both roles (C is W, b_ctx is b).
    clip : float
        Every gradient component is clipped to [-clip, clip] (``glove.c``'s
        ``grad_clip_value``, 100).
    output : {"W", "C", "sum", "concat"}
        Which vectors :attr:`wv` holds: W, C, W + C (the paper's choice; alias "W+C") or
        [W, C].
    window, weighting, symmetric
        How co-occurrences are counted when :meth:`fit` gets a corpus (see
        :func:`embedlib.cooccur.cooccurrence`): window 10 with 1/distance weights on both
        sides, as in the paper.
    min_count, max_vocab_size : int
        Vocabulary limits when :meth:`fit` reads a corpus.
    memory_limit, tmp_dir
        Bound on the working memory of counting, and where spilled runs go.
    verbose : bool
        Show a progress bar with updates/s and the cost.
    callbacks : sequence
        Callables ``f(model, stats)`` (or objects with ``on_epoch_end``) run after each
        epoch with its :class:`GloVeEpochStats`.

    Attributes
    ----------
    W_, C_, b_, b_ctx_ : numpy.ndarray
        Views of the trained parameters.
    history_ : list of GloVeEpochStats
        One entry per epoch; ``cost_history_`` lists the mean costs.
    cooccurrence_ : scipy.sparse.csr_matrix
        The counts X the model was fit on, with ``words_`` (the words of its rows) and
        ``vocab_`` (the corpus's :class:`~embedlib.corpus.Vocabulary`, or None for a
        matrix fit with a list of words; ``vocab`` is an alias).

    epochs_trained_ : int
        The epochs trained so far.

    The vectors to use are :attr:`wv`: the ``output`` vectors (W + C by default) with both
    biases; :meth:`vectors` gives the others.

    Training in parts: :meth:`build_vocab` (count, or take the matrix, and initialize)
    then :meth:`train` (once or several times) does what :meth:`fit` does; :meth:`save`
    writes the whole model to one ``.npz`` (with the AdaGrad accumulators and the order
    of the nonzeros reached) and :meth:`load` reads it back to train further, with the
    same result as one run.
    """

    _fitted_attr = "_params"

    def __init__(self, *, vector_size=100, x_max=100.0, alpha=0.75, eta=0.05, epochs=25,
                 workers=None, seed=1, tied=False, clip=100.0, output="sum", window=10,
                 weighting="harmonic", symmetric=True, min_count=5, max_vocab_size=None,
                 memory_limit=None, tmp_dir=None, verbose=True, callbacks=()):
        self._set_params(locals())

    def _validate(self):
        super()._validate()     # counting, output, vector_size, epochs, workers, seed, ...
        check_float("x_max", self.x_max, 0, None, low_open=True)
        check_float("alpha", self.alpha, 0, 100)
        check_float("eta", self.eta, 0, None, low_open=True)
        check_choice("tied", self.tied, (True, False))
        check_float("clip", self.clip, 0, None, low_open=True)

    # -- fitting ------------------------------------------------------------------------
    def _fit_counts(self, X: sp.csr_matrix) -> None:
        records = self._records(X)
        self._start(X.shape[0])
        self._train(records, 0, self.epochs)

    def build_vocab(self, data, vocab=None, *, encoding_errors: str = "strict") -> "GloVe":
        """Count the co-occurrences of ``data`` (or take the matrix) and initialize the
        parameters, without training; returns ``self``. ``data`` and ``vocab`` are what
        :meth:`fit` takes; :meth:`train` then runs the epochs on ``cooccurrence_``."""
        with self._fitting():
            self._start(self._take_counts(data, vocab, encoding_errors).shape[0])
        return self

    def train(self, data=None, epochs: int | None = None, *,
              encoding_errors: str = "strict") -> "GloVe":
        """Train ``epochs`` more epochs (all that are left of ``epochs`` by default);
        returns ``self``.

        ``data``: None trains on ``cooccurrence_`` (the matrix of :meth:`build_vocab`,
        :meth:`fit`, the last :meth:`train`, or the one a saved model holds); a matrix of
        the vocabulary's shape; or a corpus, counted with the model's vocabulary (its
        other words are dropped). New data becomes ``cooccurrence_``; data with the same
        nonzeros as ``cooccurrence_`` (the same corpus counted again) keeps the order of
        the nonzeros reached, so it goes on exactly as ``data=None``. AdaGrad goes on
        from the accumulators reached (GloVe has no learning-rate schedule), and each
        epoch visits the nonzeros in a fresh order drawn from the one reached, so
        ``train(epochs=5)`` twice on a model made with ``epochs=10`` gives exactly the
        vectors of ``fit`` (one worker, one seed), also through :meth:`save` and
        :meth:`load`. Training past ``epochs`` is allowed. If training diverges the model
        is left unfitted; an interruption keeps the parameters reached.
        """
        if "_params" not in vars(self):
            raise NotFittedError(f"this {type(self).__name__} has no parameters yet: call "
                                 "build_vocab() or fit() first (or load a saved model)")
        self._validate()
        done = self.epochs_trained_
        if epochs is None:
            epochs = self.epochs - done
            if epochs < 1:
                raise ValueError(f"all {self.epochs} planned epochs are done; pass epochs= to "
                                 "train more")
        check_int("epochs", epochs, 1, 100_000)
        X = self._train_counts(data, encoding_errors)
        try:
            self._train(self._records(X), done, epochs)
        except TrainingError:
            self._forget()
            raise
        return self

    def _train_counts(self, data, encoding_errors) -> sp.csr_matrix:
        """The matrix train() trains on; new data replaces ``cooccurrence_``."""
        n = len(self.words_)
        if data is None:
            X = vars(self).get("cooccurrence_")
            if X is None:
                raise ValueError("this model has no co-occurrence matrix (it was saved "
                                 "without one): pass the data to train on")
            return X
        if sp.issparse(data) or isinstance(data, np.ndarray):
            X = check_cooccurrence(data)
            if X.shape[0] != n:
                raise ValueError(f"the matrix has {X.shape[0]} rows but the model has {n} "
                                 "words")
        else:
            if not isinstance(self.vocab_, Vocabulary):
                raise TypeError("this model was fit on a matrix with a list of words, not on "
                                "a corpus: train it on a matrix")
            X = self._count(Corpus.coerce_to(data, self.vocab_,
                                             encoding_errors=encoding_errors), True)
        if not T.same_matrix(X, vars(self).get("cooccurrence_")):
            self._order = None      # a fresh order of the new nonzeros
        self.cooccurrence_ = X
        return X

    def _start(self, n: int) -> None:
        self._init_weights(n)
        self.epochs_trained_ = 0
        self.history_ = []
        self._order = None

    def _train(self, records, first, count) -> None:
        trainer = T.Trainer(self, records, first + count, vars(self).get("_order"))
        try:
            trainer.run(first, count)
        finally:
            self._order = trainer.order    # where the next epoch's shuffle starts

    def _records(self, X: sp.csr_matrix) -> np.ndarray:
        """The nonzeros as the kernels read them: (i, j, log X_ij, f(X_ij)), float32."""
        rec = np.empty(X.nnz, K.record_dtype(np.float32))
        rec["i"] = np.repeat(np.arange(X.shape[0], dtype=np.int32), np.diff(X.indptr))
        rec["j"] = X.indices
        rec["log_x"] = np.log(X.data)
        rec["f_x"] = weighting_function(X.data, self.x_max, self.alpha)
        return rec

    def _init_weights(self, n: int):
        """W, C and both biases uniform in [-0.5, 0.5)/d (as ``glove.c``); accumulators 1."""
        d = self.vector_size
        rng = np.random.default_rng(self.seed)

        def matrix():
            P = np.empty((n, 2, d), dtype=np.float32)
            P[:, 0] = (rng.random((n, d), dtype=np.float32) - np.float32(0.5)) / np.float32(d)
            P[:, 1] = 1.0
            return P

        def biases():
            B = np.empty((n, 2), dtype=np.float32)
            B[:, 0] = (rng.random(n, dtype=np.float32) - np.float32(0.5)) / np.float32(d)
            B[:, 1] = 1.0
            return B

        Wg, bg = matrix(), biases()
        if self.tied:
            self._params = K.Params(Wg, Wg, bg, bg)
        else:
            self._params = K.Params(Wg, matrix(), bg, biases())

    # -- results ------------------------------------------------------------------------
    def _view(self, name: str) -> np.ndarray:
        self._check_fitted()
        return getattr(self._params, name)[:, 0]    # the values, not the accumulators

    W_ = property(lambda self: self._view("Wg"), doc="""Word vectors W, (V, d) float32 (a
        view of the training state).""")
    C_ = property(lambda self: self._view("Cg"), doc="""Context vectors C (the paper's W~),
        (V, d) float32; the same array as ``W_`` when tied.""")
    b_ = property(lambda self: self._view("bg"), doc="Word biases b, (V,) float32.")
    b_ctx_ = property(lambda self: self._view("cg"), doc="""Context biases b_ctx (the
        paper's b~), (V,) float32; the same array as ``b_`` when tied.""")

    def _biases(self) -> dict:
        return dict(bias=self.b_, context_bias=self.b_ctx_)

    # -- saved models -------------------------------------------------------------------
    _stats_class = GloVeEpochStats

    def save(self, path, *, cooccurrence: bool = True) -> None:
        """Write the whole model to one ``.npz`` file (see :meth:`Model.save
        <embedlib.base.Model.save>`): W, C, both biases, their AdaGrad accumulators, the
        order of the nonzeros reached and, with ``cooccurrence`` (the default), the matrix
        ``cooccurrence_``, so that :meth:`train` goes on without the data. Without it the
        file is smaller and :meth:`train` needs the data again."""
        super().save(path, cooccurrence=cooccurrence)

    def _saved_state(self, cooccurrence=True):
        P = self._params
        arrays = dict(words=self.words_, W=P.Wg[:, 0], W_adagrad=P.Wg[:, 1], bias=P.bg[:, 0],
                      bias_adagrad=P.bg[:, 1])
        if not self.tied:
            arrays.update(C=P.Cg[:, 0], C_adagrad=P.Cg[:, 1], context_bias=P.cg[:, 0],
                          context_bias_adagrad=P.cg[:, 1])
        if isinstance(self.vocab_, Vocabulary):
            arrays["counts"] = self.vocab_.counts
        X = vars(self).get("cooccurrence_")
        if cooccurrence and X is not None:
            arrays.update(X_data=X.data, X_indices=X.indices, X_indptr=X.indptr)
            if vars(self).get("_order") is not None:
                arrays["order"] = self._order
        return arrays, dict(epochs_trained=int(self.epochs_trained_),
                            cooccurrence=bool(cooccurrence and X is not None))

    def _restore(self, arrays, state):
        words = tuple(saved_array(arrays, "words").tolist())
        n, d = len(words), self.vector_size
        self.words_ = words
        self.vocab_ = (Vocabulary(words, saved_array(arrays, "counts", (n,), np.int64),
                                  {w: i for i, w in enumerate(words)})
                       if "counts" in arrays else None)
        self._start(n)
        P = self._params
        pairs = [("W", P.Wg), ("bias", P.bg)]
        if not self.tied:
            pairs += [("C", P.Cg), ("context_bias", P.cg)]
        for key, target in pairs:
            shape = (n, d) if target.ndim == 3 else (n,)
            target[:, 0] = saved_array(arrays, key, shape)
            target[:, 1] = saved_array(arrays, key + "_adagrad", shape)
        if state["cooccurrence"]:
            X = sp.csr_matrix((saved_array(arrays, "X_data"), saved_array(arrays, "X_indices"),
                               saved_array(arrays, "X_indptr")), shape=(n, n))
            self.cooccurrence_ = check_cooccurrence(X)
            if "order" in arrays:
                self._order = saved_array(arrays, "order", (X.nnz,))
        self.epochs_trained_ = int(state["epochs_trained"])

    @property
    def cost_history_(self) -> list[float]:
        """Mean cost of each epoch (see :class:`GloVeEpochStats`)."""
        return [s.cost for s in self.history_]

    def vectors(self, which: str = "sum") -> Embeddings:
        """Embeddings of ``which`` in "W", "C", "sum" (W + C), "concat" ([W, C]).

        Every result carries ``bias`` (b) and ``context_bias`` (b_ctx) and the corpus counts;
        for "W" the context matrix C is attached too (so ``combine`` works on it).
        """
        return super().vectors(which)

    def cost(self, X=None) -> float:
        """J = Σ f(X_ij) (w_i·c_j + b_i + b_ctx_j - log X_ij)² at the current parameters.

        Exactly the paper's cost (no ½), summed in float64 over the nonzeros of ``X``
        (default: the matrix the model was trained on, ``cooccurrence_``).
        """
        self._check_fitted()
        X = self.cooccurrence_ if X is None else check_cooccurrence(X)
        if X.shape[0] != len(self.words_):
            raise ValueError(f"X has {X.shape[0]} rows but the model has {len(self.words_)} "
                             "words")
        return float(K.cost_terms(self._params, X.indptr, X.indices, X.data,
                                  float(self.x_max), float(self.alpha)))

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

import os
import threading
import time
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from . import glove_kernels as K
from ._checks import check_callbacks, check_choice, check_float, check_int
from ._parallel import run_threads
from ._checks import parse_memory
from .cooccur import WEIGHTINGS, check_cooccurrence, cooccurrence
from .corpus import Corpus, Vocabulary
from .embeddings import Embeddings
from .word2vec import TrainingError

__all__ = ["GloVe", "GloVeEpochStats", "TrainingError", "OUTPUTS", "weighting_function"]

#: Which vectors a model hands out: W, C (the paper's W~), their sum, or [W, C].
OUTPUTS = ("W", "C", "sum", "concat")
_COMBINE = {"W": "W", "C": "C", "sum": "W+C", "W+C": "W+C", "concat": "concat"}
_JOB = 1 << 18  # nonzeros per job: the unit of progress reports and divergence checks
_BUCKET = 1 << 15  # nonzeros per bucket of the shuffle (128 KiB of int32 indices: in L2)


def weighting_function(x, x_max: float = 100.0, alpha: float = 0.75) -> np.ndarray:
    """GloVe's weight ``f(x) = min(1, (x / x_max)^alpha)`` (float64), elementwise."""
    x = np.asarray(x, dtype=np.float64)
    return np.minimum(1.0, (x / x_max) ** alpha)


@dataclass(frozen=True)
class GloVeEpochStats:
    """What one epoch did.

    ``cost`` is the mean over the nonzeros of ``½ f(X_ij) e_ij²``, each term taken at the
    parameters just before its own step, summed in float64: the number ``glove.c`` prints
    after each iteration, so the two logs compare directly. At fixed parameters it equals
    ``J / (2 · nnz)`` (see :meth:`GloVe.cost`). During training it sits above ``J / (2 · nnz)`` at the epoch's start
    and end alike, since each term is measured when it is most out of date. ``seconds`` is wall-clock time (shuffle
    included); ``cpu_seconds`` the CPU time of the process over the epoch, all threads
    together, so ``cpu_seconds / seconds`` is the number of cores the epoch actually got.
    """

    epoch: int
    cost: float
    updates: int
    seconds: float
    cpu_seconds: float = float("nan")

    @property
    def loss(self) -> float:
        """Alias of ``cost`` (the name word2vec's statistics use)."""
        return self.cost

    @property
    def updates_per_sec(self) -> float:
        return self.updates / self.seconds if self.seconds > 0 else float("inf")


class GloVe:
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
        The counts X the model was fit on (with ``words_`` and, from a corpus, ``vocab``).
    """

    def __init__(self, *, vector_size=100, x_max=100.0, alpha=0.75, eta=0.05, epochs=25,
                 workers=None, seed=1, tied=False, clip=100.0, output="sum", window=10,
                 weighting="harmonic", symmetric=True, min_count=5, max_vocab_size=None,
                 memory_limit=None, tmp_dir=None, verbose=True, callbacks=()):
        self.vector_size = vector_size
        self.x_max = x_max
        self.alpha = alpha
        self.eta = eta
        self.epochs = epochs
        self.workers = workers
        self.seed = seed
        self.tied = tied
        self.clip = clip
        self.output = output
        self.window = window
        self.weighting = weighting
        self.symmetric = symmetric
        self.min_count = min_count
        self.max_vocab_size = max_vocab_size
        self.memory_limit = memory_limit
        self.tmp_dir = tmp_dir
        self.verbose = verbose
        self.callbacks = callbacks
        self._validate()

    # -- parameters ---------------------------------------------------------------------
    def _validate(self):
        check_int("vector_size", self.vector_size, 1, 100_000)
        check_float("x_max", self.x_max, 0, None, low_open=True)
        check_float("alpha", self.alpha, 0, 100)
        check_float("eta", self.eta, 0, None, low_open=True)
        check_int("epochs", self.epochs, 1, 100_000)
        if self.workers is not None:
            check_int("workers", self.workers, 1, 1024)
        check_int("seed", self.seed, 0, 2**63 - 1)
        check_choice("tied", self.tied, (True, False))
        check_float("clip", self.clip, 0, None, low_open=True)
        check_choice("output", self.output, tuple(_COMBINE))
        check_int("window", self.window, 1, 100_000)
        check_choice("weighting", self.weighting, WEIGHTINGS)
        check_choice("symmetric", self.symmetric, (True, False))
        check_int("min_count", self.min_count, 1)
        if self.max_vocab_size is not None:
            check_int("max_vocab_size", self.max_vocab_size, 1)
        if self.memory_limit is not None:
            parse_memory(self.memory_limit)
        self._callbacks = check_callbacks(self.callbacks)

    @property
    def n_workers(self) -> int:
        return self.workers if self.workers is not None else (os.cpu_count() or 1)

    def get_params(self) -> dict:
        names = ("vector_size", "x_max", "alpha", "eta", "epochs", "workers", "seed", "tied",
                 "clip", "output", "window", "weighting", "symmetric", "min_count",
                 "max_vocab_size", "memory_limit", "tmp_dir", "verbose", "callbacks")
        return {n: getattr(self, n) for n in names}

    def __repr__(self) -> str:
        defaults = GloVe.__init__.__kwdefaults__
        changed = [f"{k}={v!r}" for k, v in self.get_params().items() if v != defaults[k]]
        return f"GloVe({', '.join(changed)})"

    # -- fitting ------------------------------------------------------------------------
    def fit(self, data, vocab=None, *, encoding_errors: str = "strict") -> "GloVe":
        """Count co-occurrences if needed, then train; returns ``self``.

        ``data`` is a :class:`~embedlib.corpus.Corpus`, a path to a text file (plain or
        .gz, one sentence per line), an iterable of token lists -- or a co-occurrence
        matrix (scipy.sparse or dense, square), in which case ``vocab`` must give the
        words of its rows: a :class:`~embedlib.corpus.Vocabulary` or a sequence of str.
        """
        self._validate()
        if sp.issparse(data) or isinstance(data, np.ndarray):
            X = check_cooccurrence(data)
            words, vocab = _words_of(vocab, X.shape[0])
        else:
            if vocab is not None:
                raise TypeError("vocab is only for a co-occurrence matrix; a corpus brings "
                                "its own vocabulary")
            corpus = Corpus.coerce(data, min_count=self.min_count,
                                   max_vocab_size=self.max_vocab_size,
                                   encoding_errors=encoding_errors)
            X = cooccurrence(corpus, self.window, weighting=self.weighting,
                             symmetric=self.symmetric, memory_limit=self.memory_limit,
                             tmp_dir=self.tmp_dir, workers=self.workers)
            X = check_cooccurrence(X)
            vocab = corpus.vocab
            words = vocab.words
        records = self._records(X)
        self.words_ = tuple(words)
        self.vocab = vocab
        self.cooccurrence_ = X
        self._init_weights(X.shape[0])
        self.history_ = []
        self._wv = None
        try:
            self._train(records)
        except BaseException:  # a failed fit leaves the model unfitted, not half-trained
            for name in ("_params", "_wv"):
                self.__dict__.pop(name, None)
            raise
        return self

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

    def _train(self, records: np.ndarray):
        n = len(records)
        T = max(1, min(self.n_workers, n))
        E = self.epochs
        params = self._params
        step = K.Step(float(self.eta), float(self.clip), bool(self.tied))
        order = np.arange(n, dtype=np.int32 if n < 2**31 else np.int64)
        # buckets of about _BUCKET nonzeros, B per thread (T * B < 2**16)
        B = max(1, min(n // (T * _BUCKET), (2**16 - 1) // T))
        other = np.empty_like(order) if T * B > 1 else None
        bucket = np.empty(n, np.uint8 if T * B <= 256 else np.uint16) if T * B > 1 else None
        seeds = _seeds(self.seed, E, T)
        stop = threading.Event()
        # Divergence: a non-finite cost, or a mean cost 1000 times that of all-zero parameters
        # (which predict log X_ij = 0); clipping can keep an exploding run finite.
        zero_cost = float(np.sum(0.5 * records["f_x"].astype(np.float64)
                                 * records["log_x"].astype(np.float64) ** 2)) / n
        limit = 1000.0 * max(zero_cost, 1.0)

        bar = None
        if self.verbose:
            from tqdm.auto import tqdm
            bar = tqdm(total=E * n, unit="upd", unit_scale=True, desc="GloVe", smoothing=0.1)
        try:
            for epoch in range(E):
                t0 = time.perf_counter()
                c0 = time.process_time()
                if T * B == 1:
                    starts = np.array([0, n], dtype=np.int64)
                else:
                    order, other, starts = _deal_order(order, other, bucket, T, B, seeds[epoch])
                stats = np.zeros(T, dtype=np.float64)
                progress = [0] * T

                def work(t, stop, starts=starts, stats=stats, progress=progress, epoch=epoch,
                         order=order):
                    K.shuffle_buckets(order, starts, t * B, (t + 1) * B, seeds[epoch, t, 1])
                    a, b = int(starts[t * B]), int(starts[(t + 1) * B])
                    for s in range(a, b, _JOB):
                        if stop.is_set():
                            return
                        e = min(s + _JOB, b)
                        stats[t] += K.train_share(params, records, order, s, e, step)
                        progress[t] += e - s
                        if not stats[t] <= limit * progress[t]:  # also catches NaN
                            stop.set()
                            return

                def postfix(epoch=epoch, stats=stats, progress=progress):
                    return dict(epoch=epoch + 1, cost=f"{stats.sum() / max(sum(progress), 1):.4f}")

                run_threads(work, T, stop=stop, bar=bar, progress=progress, postfix=postfix)
                seconds = time.perf_counter() - t0
                cpu_seconds = time.process_time() - c0
                done = sum(progress)
                cost = float(stats.sum()) / max(done, 1)
                if stop.is_set() or not cost <= limit or not _finite(*params):
                    raise TrainingError(
                        f"GloVe diverged in epoch {epoch + 1}: mean cost {cost:.6g} after "
                        f"{done:,} of {n:,} updates (NaN, infinite, or over 1000 times the "
                        f"{zero_cost:.4g} of all-zero parameters). Try a smaller learning rate "
                        f"than eta={self.eta:g} (e.g. eta={self.eta / 10:g}).")
                es = GloVeEpochStats(epoch=epoch + 1, cost=cost, updates=n, seconds=seconds,
                                     cpu_seconds=cpu_seconds)
                self.history_.append(es)
                if bar is not None:
                    bar.set_postfix(epoch=epoch + 1, cost=f"{cost:.4f}")
                self._wv = None
                for cb in self._callbacks:
                    (cb.on_epoch_end if hasattr(cb, "on_epoch_end") else cb)(self, es)
        finally:
            if bar is not None:
                bar.close()

    # -- results ------------------------------------------------------------------------
    @property
    def W_(self) -> np.ndarray:
        """Word vectors W, (V, d) float32 (a view of the training state)."""
        return self._params.Wg[:, 0]

    @property
    def C_(self) -> np.ndarray:
        """Context vectors C (the paper's W~), (V, d) float32; the same array as ``W_`` when
        tied."""
        return self._params.Cg[:, 0]

    @property
    def b_(self) -> np.ndarray:
        return self._params.bg[:, 0]

    @property
    def b_ctx_(self) -> np.ndarray:
        return self._params.cg[:, 0]

    @property
    def cost_history_(self) -> list[float]:
        """Mean cost of each epoch (see :class:`GloVeEpochStats`)."""
        return [s.cost for s in self.history_]

    @property
    def wv(self) -> Embeddings:
        """The ``output`` vectors (W + C by default) with both biases."""
        if not hasattr(self, "_params"):
            raise AttributeError("the model is not fitted yet: call fit() first")
        if self._wv is None:
            self._wv = self.vectors(self.output)
        return self._wv

    def vectors(self, which: str = "sum") -> Embeddings:
        """Embeddings of ``which`` in "W", "C", "sum" (W + C), "concat" ([W, C]).

        Every result carries ``bias`` (b) and ``context_bias`` (b_ctx) and the corpus counts;
        for "W" the context matrix C is attached too (so ``combine`` works on it).
        """
        check_choice("which", which, tuple(_COMBINE))
        if not hasattr(self, "_params"):
            raise AttributeError("the model is not fitted yet: call fit() first")
        counts = self.vocab.counts if isinstance(self.vocab, Vocabulary) else None
        W, C = self.W_, self.C_
        kind = _COMBINE[which]
        if kind == "W":
            vectors, context = W, C
        elif kind == "C":
            vectors, context = C, None
        elif kind == "W+C":
            vectors, context = W + C, None
        else:
            vectors, context = np.hstack([W, C]), None
        return Embeddings(self.words_, vectors, context, counts, bias=self.b_,
                          context_bias=self.b_ctx_)

    def cost(self, X=None) -> float:
        """J = Σ f(X_ij) (w_i·c_j + b_i + b_ctx_j - log X_ij)² at the current parameters.

        Exactly the paper's cost (no ½), summed in float64 over the nonzeros of ``X``
        (default: the matrix the model was trained on, ``cooccurrence_``).
        """
        if not hasattr(self, "_params"):
            raise AttributeError("the model is not fitted yet: call fit() first")
        X = self.cooccurrence_ if X is None else check_cooccurrence(X)
        if X.shape[0] != len(self.words_):
            raise ValueError(f"X has {X.shape[0]} rows but the model has {len(self.words_)} "
                             "words")
        return float(K.cost_terms(self._params, X.indptr, X.indices, X.data,
                                  float(self.x_max), float(self.alpha)))


def _words_of(vocab, n: int):
    """(words, Vocabulary or None) for a matrix with ``n`` rows."""
    if vocab is None:
        raise TypeError("fitting on a co-occurrence matrix needs vocab=: the words of its "
                        "rows (a Vocabulary or a sequence of str)")
    if isinstance(vocab, Vocabulary):
        words = vocab.words
    else:
        if isinstance(vocab, (str, bytes)):
            raise TypeError("vocab must be a sequence of words, not a single string")
        words = tuple(vocab)
        vocab = None
    if len(words) != n:
        raise ValueError(f"vocab has {len(words)} words but the matrix has {n} rows")
    return words, vocab


def _seeds(seed: int, epochs: int, T: int) -> np.ndarray:
    """Seeds per (epoch, thread): [dealing into buckets, shuffling the thread's buckets]."""
    ss = np.random.SeedSequence([seed, 0x676C6F76])
    return ss.generate_state(epochs * T * 2, dtype=np.uint64).reshape(epochs, T, 2)


def _deal_order(order, other, bucket, T, B, seeds):
    """A fresh random split of ``order`` into T * B buckets (shuffled later by their threads;
    thread t owns buckets t*B .. (t+1)*B - 1, which lie next to each other).

    Each thread deals its block of ``order`` into random buckets; the buckets are then
    gathered into ``other``. Returns (new order, spare array, bucket starts (T*B + 1)).
    """
    n = len(order)
    blocks = [(t * n // T, (t + 1) * n // T) for t in range(T)]
    counts = np.zeros((T, T * B), dtype=np.int64)
    run_threads(lambda t, _: K.deal(bucket, *blocks[t], T * B, seeds[t, 0], counts[t]), T)
    starts = np.concatenate([[0], np.cumsum(counts.sum(axis=0))])
    cursor = starts[:-1][None, :] + np.cumsum(counts, axis=0) - counts
    run_threads(lambda t, _: K.gather(order, bucket, *blocks[t], cursor[t], other), T)
    return other, order, starts


def _finite(*arrays) -> bool:
    return all(bool(np.isfinite(a).all()) for a in arrays)

"""word2vec: skip-gram and CBOW, with negative sampling or the full softmax.

Mikolov et al. (2013a) introduce the two architectures, Mikolov et al. (2013b) negative
sampling and frequent-word subsampling. The defaults follow the word2vec C tool and gensim.

>>> from embedlib import Word2Vec
>>> model = Word2Vec(sg=1, vector_size=100, window=5, negative=5, epochs=5).fit("corpus.txt.gz")
>>> model.wv.most_similar("king")                                   # doctest: +SKIP

Training runs in Numba kernels (:mod:`embedlib.w2v_kernels`) over the integer-encoded
corpus, in ``workers`` threads that share the matrices without locks (Hogwild; Recht et
al. 2011). Each thread owns a contiguous share of the corpus holding the same number of
tokens, cut into jobs of about ``batch_words`` tokens; each job gets its own random
stream, derived from ``seed``, the epoch and the job's index. With ``workers=1`` a seed
reproduces the vectors bit for bit.
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass

import numpy as np

from . import w2v_kernels as K
from ._checks import check_callbacks, check_choice, check_float, check_int
from ._parallel import run_threads
from .corpus import Corpus
from .sampling import AliasTable, keep_probabilities, noise_distribution

__all__ = ["Word2Vec", "EpochStats", "TrainingError"]

#: With several threads, each works on private copies of the rows of this many most frequent
#: words and merges them into the shared rows after every job (see w2v_kernels.train_job).
HOT_ROWS = 256


class TrainingError(RuntimeError):
    """Training produced non-finite values or could not run."""


@dataclass(frozen=True)
class EpochStats:
    """What one epoch did. ``loss`` is the mean loss per training example: per (center,
    context) pair for skip-gram, per center word for CBOW; summed in float64."""

    epoch: int
    loss: float
    examples: int
    words: int
    centers: int
    seconds: float
    alpha_end: float

    @property
    def words_per_sec(self) -> float:
        return self.words / self.seconds if self.seconds > 0 else float("inf")


class Word2Vec:
    """Skip-gram or CBOW word vectors, trained with negative sampling or the full softmax.

    Parameter names follow gensim's where gensim has the parameter.

    Parameters
    ----------
    sg : {0, 1}
        1 for skip-gram, 0 for CBOW (the default, as in gensim and the C tool).
    vector_size : int
        Dimension d of the vectors.
    window : int
        Maximum distance between a center word and a context word. For each center word
        the window shrinks to a size drawn uniformly from 1..window (the C code's ``b``),
        which weights a context word at distance δ by (window - δ + 1) / window.
    negative : int
        Number k of noise words per positive example (negative sampling). Skip-gram draws
        them once per center word and shares them across its window (the batching of Ji et
        al. 2016, which lets one pass update the whole window); the C code draws fresh ones
        for every (center, context) pair. Each pair still meets k noise words.
    ns_exponent : float
        The noise distribution is unigram ** ns_exponent (0.75 in the paper).
        The unigram counts are those of the whole corpus, before subsampling (as in the
        reference C code).
    softmax : bool
        Train the full softmax instead of negative sampling. Costs O(V·d) per example:
        for small vocabularies and for teaching.
    sample : float
        Subsampling threshold t (0 disables subsampling).
    subsample_formula : {"c", "paper"}
        ``"c"``: keep = sqrt(t/f) + t/f (the C code and gensim); ``"paper"``:
        keep = sqrt(t/f).
    min_count, max_vocab_size : int
        Vocabulary limits (see :class:`embedlib.corpus.Corpus`).
    epochs : int
        Passes over the corpus.
    alpha : float or None
        Initial learning rate; None means 0.025 for skip-gram and 0.05 for CBOW (the C
        tool's defaults). It decays linearly to ``min_alpha`` over all epochs.
    min_alpha : float
        Final learning rate.
    workers : int or None
        Training threads (None: all cores). They share W and C without locks; with more
        than one, each thread trains private copies of the rows of the ``HOT_ROWS`` most
        frequent words and merges them after every job of ``batch_words`` tokens, so that
        the rows every thread writes all the time do not bounce between cores.
    seed : int
        Seed of the initialization and of every random draw.
    tied : bool
        One matrix for words and contexts (``C is W``), initialized like W.
    cbow_exact : bool
        CBOW only. False (the default) adds the hidden layer's gradient undivided to every
        context vector, as the C code and gensim do; True divides it by the number of
        context words, the exact gradient of the mean.
    compute_loss : bool
        Accumulate the training loss.
    batch_words : int
        Tokens per job (the unit of work and of progress reports).
    verbose : bool
        Show a progress bar with words/s and the loss.
    callbacks : sequence
        Callables ``f(model, stats)``, or objects with ``on_epoch_end(model, stats)``, run
        after each epoch.

    Attributes
    ----------
    wv : Embeddings
        After :meth:`fit`: the word vectors W and the context vectors C.
    vocab : Vocabulary
        The vocabulary, sorted by frequency.
    history_ : list of EpochStats
        One entry per epoch; ``loss_history_`` lists the mean losses.
    """

    def __init__(self, *, sg=0, vector_size=100, window=5, negative=5, ns_exponent=0.75,
                 softmax=False, sample=1e-3, subsample_formula="c", min_count=5,
                 max_vocab_size=None, epochs=5, alpha=None, min_alpha=0.0001, workers=None,
                 seed=1, tied=False, cbow_exact=False, compute_loss=True, batch_words=10000,
                 verbose=True, callbacks=()):
        self.sg = sg
        self.vector_size = vector_size
        self.window = window
        self.negative = negative
        self.ns_exponent = ns_exponent
        self.softmax = softmax
        self.sample = sample
        self.subsample_formula = subsample_formula
        self.min_count = min_count
        self.max_vocab_size = max_vocab_size
        self.epochs = epochs
        self.alpha = alpha
        self.min_alpha = min_alpha
        self.workers = workers
        self.seed = seed
        self.tied = tied
        self.cbow_exact = cbow_exact
        self.compute_loss = compute_loss
        self.batch_words = batch_words
        self.verbose = verbose
        self.callbacks = callbacks
        self._validate()

    # -- parameters ---------------------------------------------------------------------
    def _validate(self):
        check_choice("sg", self.sg, (0, 1, True, False))
        check_int("vector_size", self.vector_size, 1, 100_000)
        check_int("window", self.window, 1, 10_000)
        check_int("negative", self.negative, 0 if self.softmax else 1, 1000)
        check_float("ns_exponent", self.ns_exponent, -10, 10)
        check_float("sample", self.sample, 0, 1)
        check_choice("subsample_formula", self.subsample_formula, ("c", "paper"))
        check_int("min_count", self.min_count, 1)
        if self.max_vocab_size is not None:
            check_int("max_vocab_size", self.max_vocab_size, 1)
        check_int("epochs", self.epochs, 1, 100_000)
        if self.alpha is not None:
            check_float("alpha", self.alpha, 0, 10, low_open=True)
        check_float("min_alpha", self.min_alpha, 0, 10)
        if self.min_alpha > self.learning_rate:
            raise ValueError(f"min_alpha ({self.min_alpha}) must not exceed alpha "
                             f"({self.learning_rate})")
        if self.workers is not None:
            check_int("workers", self.workers, 1, 1024)
        check_int("seed", self.seed, 0, 2**63 - 1)
        check_int("batch_words", self.batch_words, 1)
        self._callbacks = check_callbacks(self.callbacks)

    @property
    def learning_rate(self) -> float:
        """The initial learning rate actually used (``alpha`` or the architecture's default)."""
        if self.alpha is not None:
            return float(self.alpha)
        return 0.025 if self.sg else 0.05

    @property
    def n_workers(self) -> int:
        return self.workers if self.workers is not None else (os.cpu_count() or 1)

    @property
    def mode(self) -> int:
        if self.softmax:
            return K.SG_SOFTMAX if self.sg else K.CBOW_SOFTMAX
        return K.SG_NS if self.sg else K.CBOW_NS

    def get_params(self) -> dict:
        names = ("sg", "vector_size", "window", "negative", "ns_exponent", "softmax", "sample",
                 "subsample_formula", "min_count", "max_vocab_size", "epochs", "alpha",
                 "min_alpha", "workers", "seed", "tied", "cbow_exact", "compute_loss",
                 "batch_words", "verbose", "callbacks")
        return {n: getattr(self, n) for n in names}

    def __repr__(self) -> str:
        defaults = Word2Vec.__init__.__kwdefaults__
        changed = [f"{k}={v!r}" for k, v in self.get_params().items() if v != defaults[k]]
        return f"Word2Vec({', '.join(changed)})"

    # -- training -----------------------------------------------------------------------
    def fit(self, corpus, *, encoding_errors: str = "strict") -> "Word2Vec":
        """Build the vocabulary from ``corpus`` and train; returns ``self``.

        ``corpus``: a :class:`~embedlib.corpus.Corpus`, a path to a text file (plain or
        .gz, one sentence per line), or an iterable of token lists.
        """
        self._validate()
        corpus = Corpus.coerce(corpus, min_count=self.min_count,
                               max_vocab_size=self.max_vocab_size,
                               encoding_errors=encoding_errors)
        if corpus.n_tokens == 0:
            raise ValueError("the corpus has no in-vocabulary tokens")
        self.vocab = corpus.vocab
        plan = self._plan(corpus)
        n_threads = len(plan[2])
        # a small share of a small vocabulary, so that most updates still meet at once
        hot = 0 if (n_threads == 1 or self.softmax) else min(HOT_ROWS,
                                                             len(corpus.vocab) // 16)
        self._init_weights(len(corpus.vocab), extra_rows=n_threads * hot)
        self.history_ = []
        self._train(corpus, plan, hot)
        self._make_wv()
        return self

    def _init_weights(self, n, extra_rows=0):
        """W uniform in [-0.5, 0.5)/d (as the C tool), C zero (or C is W when tied).

        The training matrices have rows padded with zeros to whole 64-byte cache lines and
        start on a cache line: vector loops then need no remainder, and two threads
        updating neighbouring rows never write to the same line. The padding stays zero
        (its gradient is zero) and is cut off in :attr:`wv`. ``extra_rows`` at the end hold
        each thread's private copies of the hot rows (see :func:`w2v_kernels.train_job`).
        """
        d = self.vector_size
        dp = -(-d // 16) * 16
        rng = np.random.default_rng(self.seed)
        W = _padded((n + extra_rows, dp), np.float32)
        W[:n, :d] = (rng.random((n, d), dtype=np.float32) - np.float32(0.5)) / np.float32(d)
        C = W if self.tied else _padded((n + extra_rows, dp), np.float32)
        self._W, self._C = W, C

    def _make_wv(self):
        """The trained vectors as Embeddings (a copy without the padding)."""
        from .embeddings import Embeddings

        n, d = len(self.vocab), self.vector_size
        self.wv = Embeddings(self.vocab.words, self._W[:n, :d],
                             None if self.tied else self._C[:n, :d], counts=self.vocab.counts)

    def _plan(self, corpus):
        """Cut the corpus into jobs of about batch_words tokens and deal them to workers."""
        lengths = np.diff(corpus.offsets)
        cum = np.cumsum(lengths)
        n_sent = len(lengths)
        # job boundaries at sentence ends, about batch_words tokens apart
        targets = np.arange(self.batch_words, cum[-1], self.batch_words)
        cuts = np.unique(np.searchsorted(cum, targets, side="left") + 1)
        cuts = cuts[(cuts > 0) & (cuts < n_sent)]
        bounds = np.concatenate([[0], cuts, [n_sent]]).astype(np.int64)
        job_tokens = np.array([corpus.offsets[b] - corpus.offsets[a]
                               for a, b in zip(bounds[:-1], bounds[1:])], dtype=np.int64)
        n_jobs = len(job_tokens)
        T = min(self.n_workers, n_jobs)
        # contiguous shares with equal token counts
        starts = np.concatenate([[0], np.cumsum(job_tokens)])
        share_cuts = np.searchsorted(starts, np.arange(1, T) * starts[-1] / T)
        owners = np.split(np.arange(n_jobs), share_cuts)
        owners = [o for o in owners if len(o)]
        return bounds, job_tokens, owners

    def _train(self, corpus, plan, hot):
        vocab = corpus.vocab
        V, d = len(vocab), self._W.shape[1]  # the padded width
        keep = keep_probabilities(vocab.counts, self.sample, self.subsample_formula)
        noise = AliasTable(noise_distribution(vocab.counts, self.ns_exponent))
        bounds, job_tokens, owners = plan
        T = len(owners)
        max_len = int(np.diff(corpus.offsets).max())
        w2 = 2 * self.window + 2                         # room to pad to an even count
        kk = -(-(self.negative + 1) // K.BLOCK) * K.BLOCK  # padded to whole blocks
        softmax = self.softmax
        share_tokens = [int(job_tokens[o].sum()) for o in owners]
        alpha0, min_alpha = self.learning_rate, float(self.min_alpha)
        E = self.epochs
        compute_loss = bool(self.compute_loss)
        weights = K.Weights(self._W, self._C)
        data = K.Data(corpus.tokens, corpus.offsets, keep, noise.prob, noise.alias)
        config = K.Config(self.mode, self.window, self.negative, bool(self.cbow_exact),
                          bool(self.tied), compute_loss, alpha0, min_alpha, hot)
        scratch = [K.Scratch(
            row0=V + t * hot, total=float(max(E * share_tokens[t], 1)),
            buf=_padded(max_len, np.int32), ctx=_padded(w2, np.int32),
            outs=_padded((2, kk), np.int32), Cb=_padded((kk, d), np.float32),
            D=_padded((w2, kk), np.float32), Wb=_padded((w2 if self.tied else 1, d), np.float32),
            Wh0=_padded((max(hot, 1), d), np.float32), Ch0=_padded((max(hot, 1), d), np.float32),
            h=_padded(d, np.float32), grad_h=_padded(d, np.float32),
            scores=_padded(V if softmax else 1, np.float32), stats=_padded(4, np.float64))
            for t in range(T)]
        W, C = self._W, self._C
        job_seeds = _job_seeds(self.seed, E, len(job_tokens))

        bar = None
        if self.verbose:
            from tqdm.auto import tqdm
            bar = tqdm(total=E * int(job_tokens.sum()), unit="word", unit_scale=True,
                       desc="word2vec", smoothing=0.1)
        try:
            for epoch in range(E):
                for sc in scratch:
                    sc.stats[:] = 0
                progress = [0] * T

                def work(t, stop, epoch=epoch, progress=progress):
                    done = epoch * share_tokens[t]
                    for j in owners[t]:
                        if stop.is_set():
                            return
                        K.train_job(weights, data, config, scratch[t], bounds[j],
                                    bounds[j + 1], float(done), job_seeds[epoch, j])
                        done += int(job_tokens[j])
                        progress[t] += int(job_tokens[j])

                def postfix(epoch=epoch):
                    tot = sum(sc.stats for sc in scratch)
                    if compute_loss and tot[1] > 0:
                        return dict(epoch=epoch + 1, loss=f"{tot[0] / tot[1]:.4f}")
                    return dict(epoch=epoch + 1)

                t0 = time.perf_counter()
                run_threads(work, T, progress=progress, bar=bar, postfix=postfix)
                seconds = time.perf_counter() - t0
                tot = sum(sc.stats for sc in scratch)
                loss = tot[0] / tot[1] if (compute_loss and tot[1] > 0) else float("nan")
                if compute_loss and tot[1] > 0 and not math.isfinite(loss):
                    raise TrainingError(
                        f"training diverged in epoch {epoch + 1} (loss {loss}); "
                        f"try a smaller alpha than {alpha0}")
                frac = (epoch + 1) / E
                es = EpochStats(epoch=epoch + 1, loss=float(loss), examples=int(tot[1]),
                                words=int(tot[2]), centers=int(tot[3]), seconds=seconds,
                                alpha_end=max(min_alpha, alpha0 - (alpha0 - min_alpha) * frac))
                self.history_.append(es)
                if bar is not None:
                    bar.set_postfix(epoch=epoch + 1, loss=f"{es.loss:.4f}")
                if self._callbacks:
                    self._make_wv()
                for cb in self._callbacks:
                    (cb.on_epoch_end if hasattr(cb, "on_epoch_end") else cb)(self, es)
        finally:
            if bar is not None:
                bar.close()
        if not np.isfinite(W).all() or not np.isfinite(C).all():  # cheap beside training
            raise TrainingError(f"training produced non-finite vectors; try a smaller alpha "
                                f"than {alpha0}")

    @property
    def loss_history_(self) -> list[float]:
        """Mean training loss of each epoch."""
        return [s.loss for s in self.history_]


def _padded(shape, dtype) -> np.ndarray:
    """A zeroed array that starts on a 64-byte cache line and shares no line with any other
    array (threads write their scratch arrays constantly; two of them in one line would
    bounce it between cores)."""
    dtype = np.dtype(dtype)
    n = int(np.prod(shape))
    pad = 128 // dtype.itemsize
    raw = np.zeros(n + 3 * pad, dtype=dtype)
    start = (-raw.ctypes.data % 64) // dtype.itemsize + pad
    return raw[start:start + n].reshape(shape)


def _job_seeds(seed: int, epochs: int, n_jobs: int) -> np.ndarray:
    """One independent 64-bit seed per (epoch, job), from ``seed``."""
    ss = np.random.SeedSequence([seed, 0x77327663])
    return ss.generate_state(epochs * n_jobs, dtype=np.uint64).reshape(epochs, n_jobs)

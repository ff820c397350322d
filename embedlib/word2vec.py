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
from dataclasses import dataclass

import numpy as np

from . import w2v_kernels as K
from ._checks import check_choice, check_float, check_int
from ._parallel import run_threads
from ._trainer import EpochTrainer, epoch_seeds
from .base import BaseEpochStats, Model, TrainingError
from .corpus import Corpus
from .sampling import AliasTable, keep_probabilities, noise_distribution

__all__ = ["Word2Vec", "EpochStats"]

#: With several threads, each works on private copies of the rows of this many most frequent
#: words and merges them into the shared rows after every job (see w2v_kernels.train_job).
HOT_ROWS = 256


@dataclass(frozen=True)
class EpochStats(BaseEpochStats):
    """What one epoch did. ``loss`` is the mean loss per training example: per (center,
    context) pair for skip-gram, per center word for CBOW; summed in float64.

    ``examples`` counts the training examples, ``words`` the corpus tokens the epoch went
    through, ``centers`` the center words trained on (after subsampling), ``alpha_end``
    the learning rate at the epoch's end; ``epochs`` is the number of epochs of the run,
    ``seconds`` the epoch's wall-clock time and ``cpu_seconds`` the CPU time of the
    process over it (all threads together).
    """

    epoch: int
    loss: float
    examples: int
    words: int
    centers: int
    seconds: float
    alpha_end: float
    epochs: int = 0
    cpu_seconds: float = float("nan")

    @property
    def words_per_sec(self) -> float:
        """Corpus tokens per second (infinite if no time was measured)."""
        return self.rate[0]


class Word2Vec(Model):
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
    W_, C_ : numpy.ndarray
        After :meth:`fit`: the word vectors W and the context vectors C, (V, d) float32
        views of the training state (``C_`` is ``W_`` when tied).
    vocab_ : Vocabulary
        The vocabulary, sorted by frequency (``vocab`` is an alias); ``words_`` its words.
    history_ : list of EpochStats
        One entry per epoch; ``loss_history_`` lists the mean losses.

    The vectors to use are :attr:`wv`: copies of W and C (no C when tied) with the
    corpus counts; :meth:`vectors` gives C, W + C or [W, C] instead.
    """

    def __init__(self, *, sg=0, vector_size=100, window=5, negative=5, ns_exponent=0.75,
                 softmax=False, sample=1e-3, subsample_formula="c", min_count=5,
                 max_vocab_size=None, epochs=5, alpha=None, min_alpha=0.0001, workers=None,
                 seed=1, tied=False, cbow_exact=False, compute_loss=True, batch_words=10000,
                 verbose=True, callbacks=()):
        self._set_params(locals())

    # -- parameters ---------------------------------------------------------------------
    def _validate(self):
        super()._validate()     # vector_size, min_count, max_vocab_size, epochs, workers, ...
        check_choice("sg", self.sg, (0, 1, True, False))
        check_int("window", self.window, 1, 10_000)
        check_int("negative", self.negative, 0 if self.softmax else 1, 1000)
        check_float("ns_exponent", self.ns_exponent, -10, 10)
        check_float("sample", self.sample, 0, 1)
        check_choice("subsample_formula", self.subsample_formula, ("c", "paper"))
        if self.alpha is not None:
            check_float("alpha", self.alpha, 0, 10, low_open=True)
        check_float("min_alpha", self.min_alpha, 0, 10)
        if self.min_alpha > self.learning_rate:
            raise ValueError(f"min_alpha ({self.min_alpha}) must not exceed alpha "
                             f"({self.learning_rate})")
        check_int("batch_words", self.batch_words, 1)

    @property
    def learning_rate(self) -> float:
        """The initial learning rate actually used (``alpha`` or the architecture's default)."""
        if self.alpha is not None:
            return float(self.alpha)
        return 0.025 if self.sg else 0.05

    @property
    def mode(self) -> int:
        """The kernel's objective: ``w2v_kernels.SG_NS``, ``CBOW_NS``, ``SG_SOFTMAX`` or
        ``CBOW_SOFTMAX``."""
        if self.softmax:
            return K.SG_SOFTMAX if self.sg else K.CBOW_SOFTMAX
        return K.SG_NS if self.sg else K.CBOW_NS

    # -- training -----------------------------------------------------------------------
    def fit(self, corpus, *, encoding_errors: str = "strict") -> "Word2Vec":
        """Build the vocabulary from ``corpus`` and train; returns ``self``.

        ``corpus``: a :class:`~embedlib.corpus.Corpus`, a path to a text file (plain or
        .gz, one sentence per line), or an iterable of token lists. A fit that fails
        (bad input, divergence, Ctrl-C) leaves the model unfitted.
        """
        with self._fitting():
            corpus = Corpus.coerce(corpus, min_count=self.min_count,
                                   max_vocab_size=self.max_vocab_size,
                                   encoding_errors=encoding_errors)
            if corpus.n_tokens == 0:
                raise ValueError("the corpus has no in-vocabulary tokens")
            self.vocab_ = corpus.vocab
            plan = self._plan(corpus)
            n_threads = len(plan[2])
            # a small share of a small vocabulary, so that most updates still meet at once
            hot = 0 if (n_threads == 1 or self.softmax) else min(HOT_ROWS,
                                                                 len(corpus.vocab) // 16)
            self._init_weights(len(corpus.vocab), extra_rows=n_threads * hot)
            self._train(corpus, plan, hot)
        return self

    def _init_weights(self, n, extra_rows=0):
        """W uniform in [-0.5, 0.5)/d (as the C tool), C zero (or C is W when tied).

        The training matrices have rows padded with zeros to whole 64-byte cache lines and
        start on a cache line: vector loops then need no remainder, and two threads
        updating neighbouring rows never write to the same line. The padding stays zero
        (its gradient is zero) and is cut off in :attr:`W_`. ``extra_rows`` at the end hold
        each thread's private copies of the hot rows (see :func:`w2v_kernels.train_job`).
        """
        d = self.vector_size
        dp = -(-d // 16) * 16
        rng = np.random.default_rng(self.seed)
        W = _padded((n + extra_rows, dp), np.float32)
        W[:n, :d] = (rng.random((n, d), dtype=np.float32) - np.float32(0.5)) / np.float32(d)
        C = W if self.tied else _padded((n + extra_rows, dp), np.float32)
        self._W, self._C = W, C

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

    def _kernel_args(self, corpus, plan, hot):
        """The arguments of :func:`w2v_kernels.train_job` but the job's own: the bundles
        (Weights, Data, Config) and one Scratch per thread."""
        vocab = corpus.vocab
        V, d = len(vocab), self._W.shape[1]  # the padded width
        _, job_tokens, owners = plan
        noise = AliasTable(noise_distribution(vocab.counts, self.ns_exponent))
        data = K.Data(corpus.tokens, corpus.offsets,
                      keep_probabilities(vocab.counts, self.sample, self.subsample_formula),
                      noise.prob, noise.alias)
        config = K.Config(self.mode, self.window, self.negative, bool(self.cbow_exact),
                          bool(self.tied), bool(self.compute_loss), self.learning_rate,
                          float(self.min_alpha), hot, K.row_width(d))
        max_len = int(np.diff(corpus.offsets).max())
        w2 = 2 * self.window + 2                         # room to pad to an even count
        kk = -(-(self.negative + 1) // K.BLOCK) * K.BLOCK  # padded to whole blocks
        scratch = [K.Scratch(
            row0=V + t * hot, total=float(max(self.epochs * int(job_tokens[o].sum()), 1)),
            buf=_padded(max_len, np.int32), ctx=_padded(w2, np.int32),
            outs=_padded((2, kk), np.int32), Cb=_padded((kk, d), np.float32),
            D=_padded((w2, kk), np.float32), Wb=_padded((w2 if self.tied else 1, d), np.float32),
            Wh0=_padded((max(hot, 1), d), np.float32), Ch0=_padded((max(hot, 1), d), np.float32),
            h=_padded(d, np.float32), grad_h=_padded(d, np.float32),
            scores=_padded(V if self.softmax else 1, np.float32), stats=_padded(4, np.float64))
            for t, o in enumerate(owners)]
        return K.Weights(self._W, self._C), data, config, scratch

    def _train(self, corpus, plan, hot):
        _Trainer(self, corpus, plan, hot).run()
        if not np.isfinite(self._W).all() or not np.isfinite(self._C).all():
            raise TrainingError(f"training produced non-finite vectors; try a smaller alpha "
                                f"than {self.learning_rate}")   # cheap beside training

    # -- results ------------------------------------------------------------------------
    @property
    def W_(self) -> np.ndarray:
        """Word vectors W, (V, d) float32 (a view of the training state, without padding)."""
        self._check_fitted()
        return self._W[:len(self.vocab_), :self.vector_size]

    @property
    def C_(self) -> np.ndarray:
        """Context vectors C, (V, d) float32 (a view; the same array as ``W_`` when tied)."""
        self._check_fitted()
        return self._C[:len(self.vocab_), :self.vector_size]

    @property
    def words_(self) -> tuple[str, ...]:
        """The words of the rows of W and C (those of ``vocab_``)."""
        return self.vocab_.words

    def _context(self):
        return None if self.tied else self.C_

    @property
    def loss_history_(self) -> list[float]:
        """Mean training loss of each epoch."""
        return [s.loss for s in self.history_]


class _Trainer(EpochTrainer):
    """Word2Vec's epochs: each thread runs train_job on the jobs of its share."""

    stats = EpochStats
    desc = "word2vec"
    unit = "word"

    def __init__(self, model, corpus, plan, hot):
        super().__init__(model)
        self.bounds, self.job_tokens, self.owners = plan
        self.total = int(self.job_tokens.sum())
        self.weights, self.data, self.config, self.scratch = model._kernel_args(corpus, plan,
                                                                                hot)
        self.share_tokens = [int(self.job_tokens[o].sum()) for o in self.owners]
        self.seeds = epoch_seeds(model.seed, 0x77327663, model.epochs, len(self.job_tokens))

    def _totals(self) -> np.ndarray:
        """[loss sum, examples, tokens, centers] of the epoch so far, all threads."""
        return sum(sc.stats for sc in self.scratch)

    def _mean_loss(self, tot) -> float:
        if self.config.compute_loss and tot[1] > 0:
            return float(tot[0] / tot[1])
        return float("nan")

    def run_epoch(self, epoch, bar):
        for sc in self.scratch:
            sc.stats[:] = 0
        progress = [0] * len(self.owners)
        seeds, bounds, job_tokens = self.seeds[epoch], self.bounds, self.job_tokens

        def work(t, stop):
            done = epoch * self.share_tokens[t]
            for j in self.owners[t]:
                if stop.is_set():
                    return
                K.train_job(self.weights, self.data, self.config, self.scratch[t], bounds[j],
                            bounds[j + 1], float(done), seeds[j])
                done += int(job_tokens[j])
                progress[t] += int(job_tokens[j])

        def postfix():
            loss = self._mean_loss(self._totals())
            return dict(epoch=epoch + 1) if math.isnan(loss) else dict(
                epoch=epoch + 1, loss=f"{loss:.4f}")

        run_threads(work, len(self.owners), progress=progress, bar=bar, postfix=postfix)
        tot = self._totals()
        alpha0, min_alpha = self.config.alpha, self.config.min_alpha
        frac = (epoch + 1) / self.model.epochs
        return dict(loss=self._mean_loss(tot), examples=int(tot[1]), words=int(tot[2]),
                    centers=int(tot[3]),
                    alpha_end=max(min_alpha, alpha0 - (alpha0 - min_alpha) * frac))

    def diverged(self, stats):
        if self.config.compute_loss and stats.examples > 0 and not math.isfinite(stats.loss):
            return (f"training diverged in epoch {stats.epoch} (loss {stats.loss}); "
                    f"try a smaller alpha than {self.config.alpha}")
        return None


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

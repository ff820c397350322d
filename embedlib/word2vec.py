"""word2vec: skip-gram and CBOW, with negative sampling, hierarchical softmax or the full
softmax.

Mikolov et al. (2013a) introduce the two architectures, Mikolov et al. (2013b) negative
sampling, hierarchical softmax over a Huffman tree and frequent-word subsampling. The
defaults follow the word2vec C tool and gensim.

>>> from embedlib import Word2Vec
>>> model = Word2Vec(sg=1, vector_size=100, window=5, negative=5, epochs=5).fit("corpus.txt.gz")
>>> model.wv.most_similar("king")                                   # doctest: +SKIP

Training runs in Numba kernels (:mod:`embedlib.w2v_kernels`) over the integer-encoded
corpus, in ``workers`` threads that share the matrices without locks (Hogwild; Recht et
al. 2011). Each thread owns a contiguous share of the corpus holding the same number of
tokens, cut into jobs of about ``batch_words`` tokens (a thread that finishes its share
first takes the last jobs of the others'); each job gets its own random stream, derived
from ``seed``, the epoch and the job's index. With ``workers=1`` a seed reproduces the
vectors bit for bit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import _w2v_train as T
from . import w2v_kernels as K
from ._checks import check_choice, check_float, check_int
from ._errors import ParameterError, spell
from .base import BaseEpochStats, Model, NotFittedError, TrainingError, saved_array
from .corpus import Vocabulary
from .huffman import huffman_tree
from .sampling import SUBSAMPLE_FORMULAS

__all__ = ["Word2Vec", "EpochStats"]

#: With several threads, each works on private copies of the rows of up to this many most
#: frequent words (all of a smaller vocabulary) and merges them into the shared rows after
#: every job (see w2v_kernels.train_job). bench/results/hot_rows.md measured the choice.
HOT_ROWS = 2048
#: The private rows of all threads together: with many threads each gets fewer (never fewer
#: than 256), so that the copies do not grow with the number of threads.
HOT_ROWS_TOTAL = 8192
#: A job's updates of its private rows reach the other threads when the job ends. With
#: fewer jobs than this per thread in an epoch, a job is a large part of the training and
#: only a sixteenth of the vocabulary (at most 256 words) is private.
HOT_MIN_JOBS = 100


def hot_rows(n_threads: int, n_words: int, n_jobs: int, softmax: bool = False) -> int:
    """The private hot rows of each thread, for ``n_jobs`` jobs an epoch: 0 with one thread,
    and for the full softmax, which writes every row of C at every step.

    At most ``n_words - 1``: hierarchical softmax makes the same number of its inner nodes
    private, and a tree has ``n_words - 1``."""
    if n_threads == 1 or softmax:
        return 0
    if n_jobs < HOT_MIN_JOBS * n_threads:
        return min(256, n_words // 16)
    return min(HOT_ROWS, max(n_words - 1, 0), max(256, HOT_ROWS_TOTAL // n_threads))


@dataclass(frozen=True)
class EpochStats(BaseEpochStats):
    """What one epoch did. ``loss`` is the mean loss per training example: per (center,
    context) pair for skip-gram, per center word for CBOW; summed in float64 (with both
    hierarchical softmax and negative sampling, the sum of the two losses).

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
    """Skip-gram or CBOW word vectors, trained with negative sampling, hierarchical softmax
    (or both) or the full softmax.

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
        for every (center, context) pair. Each pair still meets k noise words. 0 turns
        negative sampling off (then ``hs=1`` or ``softmax=True`` is needed).
    hs : {0, 1}
        1 trains hierarchical softmax (gensim's ``hs``, the C tool's ``-hs``): the center
        word's probability is a product of sigmoids along its path in the Huffman tree of
        the word counts (``embedlib.huffman``), whose inner nodes have their own output
        vectors (:attr:`syn1_`). With ``negative=0`` it is the only objective; with
        ``negative > 0`` both are trained, as the C tool does, each with its own output
        matrix (``syn1_`` and ``C_``), their gradients taken at the same parameters and
        summed on the inputs. The C tool's default alpha stays; gensim's ``hs=1, negative=0``
        is the usual comparison.
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
        than one, each thread trains private copies of the rows of the most frequent words
        and merges them after every job of ``batch_words`` tokens, so that the rows every
        thread writes all the time do not bounce between cores: ``HOT_ROWS`` (2,048) words,
        or all but one word of a smaller vocabulary, fewer per thread beyond 4 threads;
        a sixteenth of the vocabulary, at most 256 words, when an epoch has fewer than
        ``HOT_MIN_JOBS`` (100) jobs per thread.
    seed : int
        Seed of the initialization and of every random draw.
    tied : bool
        One matrix for words and contexts (``C is W``), initialized like W. The inner nodes
        of hierarchical softmax keep their own vectors.
    bias : bool
        Per-word biases in every score: a (word, context) pair scores w·c + b_w + b~_c,
        with one bias b per word and one b~ per context (:attr:`b_`, :attr:`b_ctx_`), both
        starting at 0; with ``tied``, one vector and one bias per word (w_i·w_j + b_i +
        b_j). For negative sampling and the full softmax, skip-gram and CBOW (whose input
        bias is the mean of the context words' biases, as its input vector is the mean of
        their rows). The full softmax cancels the input word's bias (it adds the same
        constant to every score), so there untied ``b_`` stays 0. Hierarchical softmax
        scores inner nodes, not context words, and refuses it.
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
        views of the training state (``C_`` is ``W_`` when tied, None with ``hs=1,
        negative=0``). C is the C tool's and gensim's ``syn1neg`` with negative sampling.
    b_, b_ctx_ : numpy.ndarray or None
        With ``bias``: the word biases b and the context biases b~, (V,) float32 views
        (``b_ctx_`` is ``b_`` when tied); None without.
    tree_ : HuffmanTree or None
        With ``hs=1``: the Huffman tree built from the vocabulary's counts; ``syn1_`` holds
        the output vectors of its V - 1 inner nodes (the C tool's and gensim's ``syn1``).
    vocab_ : Vocabulary
        The vocabulary, sorted by frequency (``vocab`` is an alias); ``words_`` its words.
    history_ : list of EpochStats
        One entry per epoch; ``loss_history_`` lists the mean losses.
    epochs_trained_ : int
        The epochs trained so far (by :meth:`fit`, or by :meth:`train` calls since
        :meth:`build_vocab`); ``alpha_reached_`` is the learning rate they ended at.

    The vectors to use are :attr:`wv`: copies of W and C (no C when tied) with the
    corpus counts; :meth:`vectors` gives C, W + C or [W, C] instead.

    Training in parts: :meth:`build_vocab` then :meth:`train` (once or several times)
    does what :meth:`fit` does; :meth:`save` writes the whole model to one ``.npz`` and
    :meth:`load` reads it back to train further, with the same result as one run.
    """

    def __init__(self, *, sg=0, vector_size=100, window=5, negative=5, ns_exponent=0.75,
                 softmax=False, hs=0, sample=1e-3, subsample_formula="c", min_count=5,
                 max_vocab_size=None, epochs=5, alpha=None, min_alpha=0.0001, workers=None,
                 seed=1, tied=False, bias=False, cbow_exact=False, compute_loss=True, batch_words=10000,
                 verbose=True, callbacks=()):
        self._set_params(locals())

    # -- parameters ---------------------------------------------------------------------
    def _validate(self):
        super()._validate()     # vector_size, min_count, max_vocab_size, epochs, workers, ...
        check_choice("sg", self.sg, (0, 1, True, False))
        check_int("window", self.window, 1, 10_000)
        check_choice("hs", self.hs, (0, 1, True, False))
        check_choice("bias", self.bias, (True, False))
        if self.bias and self.hs:
            raise ParameterError(f"{spell('bias')} is not defined for hierarchical softmax "
                                 "(it scores inner nodes of the tree, not context words); "
                                 f"use negative sampling or {spell('softmax')}", "bias")
        if self.hs and self.softmax:
            raise ParameterError(f"{spell('hs')} and {spell('softmax')} are two output layers "
                                 "for the same distribution; choose one", "hs")
        if self.negative == 0 and not (self.hs or self.softmax):
            raise ParameterError(f"{spell('negative', 0)} leaves no output layer to train: turn "
                                 f"on {spell('hs')} or {spell('softmax')}", "negative")
        check_int("negative", self.negative, 0, 1000)
        check_float("ns_exponent", self.ns_exponent, -10, 10)
        check_float("sample", self.sample, 0, 1)
        check_choice("subsample_formula", self.subsample_formula, SUBSAMPLE_FORMULAS)
        if self.alpha is not None:
            check_float("alpha", self.alpha, 0, 10, low_open=True)
        check_float("min_alpha", self.min_alpha, 0, 10)
        if self.min_alpha > self.learning_rate:
            raise ParameterError(f"{spell('min_alpha')} ({self.min_alpha}) must not exceed "
                                 f"{spell('alpha')} ({self.learning_rate})", "min_alpha")
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
        ``CBOW_SOFTMAX`` (the NS modes also run hierarchical softmax, with or without
        negative sampling)."""
        if self.softmax:
            return K.SG_SOFTMAX if self.sg else K.CBOW_SOFTMAX
        return K.SG_NS if self.sg else K.CBOW_NS

    # -- training -----------------------------------------------------------------------
    def fit(self, corpus, *, encoding_errors: str = "strict") -> "Word2Vec":
        """Build the vocabulary from ``corpus`` and train all ``epochs``; returns ``self``.

        ``corpus``: a :class:`~embedlib.corpus.Corpus`, a path to a text file (plain or
        .gz, one sentence per line), or an iterable of token lists. A fit that fails
        (bad input, divergence, Ctrl-C) leaves the model unfitted. The same as
        :meth:`build_vocab` then :meth:`train` of every epoch, reading the corpus once.
        """
        with self._fitting():
            corpus = T.new_corpus(self, corpus, encoding_errors)
            plan, hot = self._schedule(corpus)
            self._start(corpus.vocab, extra_rows=len(plan[2]) * hot)
            self._train(corpus, plan, hot)
        return self

    def build_vocab(self, corpus, *, encoding_errors: str = "strict") -> "Word2Vec":
        """Read the vocabulary of ``corpus`` and initialize the weights, without training;
        returns ``self``.

        Afterwards :meth:`train` runs the epochs (``epochs_trained_`` is 0). ``corpus`` is
        what :meth:`fit` takes; the vocabulary's counts fix the noise distribution, the
        subsampling and the Huffman tree for every later :meth:`train`. A failure leaves
        the model unfitted.
        """
        with self._fitting():
            encoded = T.new_corpus(self, corpus, encoding_errors)
            self._start(encoded.vocab)
            key = T.corpus_key(corpus)
            if key is not None:   # a file: the first train() on it need not read it again
                self._handoff = (key, encoded)
        return self

    def train(self, corpus, epochs: int | None = None, *,
              encoding_errors: str = "strict") -> "Word2Vec":
        """Train ``epochs`` more epochs on ``corpus``; returns ``self``.

        The model must have a vocabulary and weights (:meth:`build_vocab`, :meth:`fit` or
        :meth:`load`). The learning rate follows the schedule of the model's ``epochs``:
        it decays linearly from ``alpha`` to ``min_alpha`` over ``epochs`` passes, and a
        call runs the next ``epochs`` of them (all that are left by default), so
        ``train(c, epochs=5)`` twice on a model made with ``epochs=10`` gives exactly the
        vectors of ``fit(c)`` (with one worker and the same seed), also through
        :meth:`save` and :meth:`load`. Each epoch's random streams derive from ``seed``,
        the epoch's number and the job's index, so nothing else is needed to go on.

        Training past the planned epochs is allowed: the rate stays at ``min_alpha``.
        ``corpus`` may be another corpus than the vocabulary's: its words that the
        vocabulary does not have are dropped (as gensim does without ``update=True``), and
        the noise distribution, subsampling and tree stay those of the vocabulary's counts;
        the schedule then counts the new corpus's tokens. Parameters that shape the
        weights (``vector_size``, ``tied``, ``hs``, ``softmax``, whether ``negative`` is 0)
        cannot change between calls; the others (``epochs``, ``alpha``, ``window``,
        ``workers``, ...) may, and apply from this call on.

        If training diverges the model is left unfitted, as after a failed fit. An
        interruption (Ctrl-C) keeps the weights as they are, part way into an epoch;
        ``epochs_trained_`` and ``history_`` count the whole epochs only.
        """
        if "_W" not in vars(self):
            raise NotFittedError(f"this {type(self).__name__} has no vocabulary yet: call "
                                 "build_vocab() or fit() first (or load a saved model)")
        self._validate()
        changed = [k for k, v in self._layout().items() if self._shape[k] != v]
        if changed:
            raise ValueError(f"{', '.join(changed)} changed since the weights were made "
                             f"(they have {', '.join(self._shape[k] for k in changed)}); "
                             "build_vocab() or fit() again to use the new value")
        done = self.epochs_trained_
        if epochs is None:
            epochs = self.epochs - done
            if epochs < 1:
                raise ValueError(f"all {self.epochs} planned epochs are done; pass epochs= to "
                                 f"train more (at the final rate min_alpha={self.min_alpha})")
        check_int("epochs", epochs, 1, 100_000)
        corpus = T.known_corpus(self, corpus, encoding_errors)
        plan, hot = self._schedule(corpus)
        T.make_room(self, len(plan[2]) * hot)
        try:
            self._train(corpus, plan, hot, first=done, count=epochs)
        except TrainingError:
            self._forget()
            raise
        return self

    def _layout(self) -> dict:
        """The parameters that shape the weights, as they are now."""
        return dict(vector_size=f"vector_size={self.vector_size}",
                    tied=f"tied={bool(self.tied)}", hs=f"hs={int(self.hs)}",
                    softmax=f"softmax={bool(self.softmax)}", bias=f"bias={bool(self.bias)}",
                    negative="negative=0" if self.negative == 0 else "negative>0")

    def _schedule(self, corpus):
        """The jobs of ``corpus`` dealt to the workers, and the number of hot rows."""
        plan = self._plan(corpus)
        n_threads = len(plan[2])
        return plan, hot_rows(n_threads, len(corpus.vocab), len(plan[1]), self.softmax)

    def _start(self, vocab, extra_rows=0):
        """The state before the first epoch: vocabulary, tree, initial weights."""
        self.vocab_ = vocab
        self.tree_ = huffman_tree(vocab.counts) if self.hs else None
        self._init_weights(len(vocab), extra_rows)
        self._shape = self._layout()
        self.epochs_trained_ = 0
        self.history_ = []

    @property
    def _pure_hs(self) -> bool:
        """Hierarchical softmax alone: no per-word output matrix C."""
        return bool(self.hs) and self.negative == 0

    def _init_weights(self, n, extra_rows=0):
        """The initial weights (see :func:`embedlib._w2v_train.init_weights`)."""
        self._W, self._C, self._S = T.init_weights(self, n, extra_rows)
        self._bw, self._bc = T.new_biases(self, n + extra_rows)

    def _plan(self, corpus):
        """Cut the corpus into jobs of about batch_words tokens and deal them to workers."""
        return T.plan_jobs(corpus, self.batch_words, self.n_workers)

    def _train(self, corpus, plan, hot, first=0, count=None):
        """Epochs ``first .. first + count - 1`` (all by default) on the encoded corpus."""
        count = self.epochs - first if count is None else count
        T.Trainer(self, corpus, plan, hot, first + count).run(first, count)
        arrays = (self._W, self._C, self._S) + ((self._bw, self._bc) if self.bias else ())
        if not all(np.isfinite(a).all() for a in arrays):
            raise TrainingError(f"training produced non-finite vectors; try a smaller "
                                f"{spell('alpha')} than {self.learning_rate}")   # cheap beside training

    # -- results ------------------------------------------------------------------------
    @property
    def W_(self) -> np.ndarray:
        """Word vectors W, (V, d) float32 (a view of the training state, without padding)."""
        self._check_fitted()
        return self._W[:len(self.vocab_), :self.vector_size]

    @property
    def C_(self) -> np.ndarray | None:
        """Context vectors C, (V, d) float32 (a view; the same array as ``W_`` when tied);
        None with hierarchical softmax alone (``hs=1, negative=0``), which has no C."""
        self._check_fitted()
        if self._pure_hs:
            return None
        return self._C[:len(self.vocab_), :self.vector_size]

    @property
    def syn1_(self) -> np.ndarray | None:
        """The inner nodes' output vectors of hierarchical softmax, (V - 1, d) float32 (a
        view; the C tool's and gensim's ``syn1``), or None without ``hs``. Row ``a`` is inner
        node ``a`` of ``tree_``; the root is the last row."""
        self._check_fitted()
        if not self.hs:
            return None
        return self._S[:len(self.vocab_) - 1, :self.vector_size]

    @property
    def b_(self) -> np.ndarray | None:
        """Word biases b, (V,) float32 (a view), or None without ``bias``."""
        self._check_fitted()
        return None if self._bw is None else self._bw[:len(self.vocab_)]

    @property
    def b_ctx_(self) -> np.ndarray | None:
        """Context biases b~, (V,) float32 (a view; the same array as ``b_`` when tied),
        or None without ``bias``."""
        self._check_fitted()
        return None if self._bc is None else self._bc[:len(self.vocab_)]

    def _biases(self) -> dict:
        if not self.bias:
            return {}
        return dict(bias=self.b_, context_bias=None if self.tied else self.b_ctx_)

    @property
    def words_(self) -> tuple[str, ...]:
        """The words of the rows of W and C (those of ``vocab_``)."""
        return self.vocab_.words

    def _context(self):
        return None if self.tied else self.C_

    def _extras(self) -> dict:
        return {} if not self.hs else dict(syn1=self.syn1_)

    @property
    def loss_history_(self) -> list[float]:
        """Mean training loss of each epoch."""
        return [s.loss for s in self.history_]

    @property
    def alpha_reached_(self) -> float:
        """The learning rate at the end of the last epoch trained (where the next one
        starts); ``alpha`` before any."""
        self._check_fitted()
        return self.history_[-1].alpha_end if self.history_ else self.learning_rate

    # -- saved models -------------------------------------------------------------------
    _stats_class = EpochStats

    def _saved_state(self):
        arrays = dict(words=self.vocab_.words, counts=self.vocab_.counts, **T.saved_arrays(self))
        return arrays, dict(epochs_trained=int(self.epochs_trained_))

    def _restore(self, arrays, state):
        words = tuple(saved_array(arrays, "words").tolist())
        counts = saved_array(arrays, "counts", (len(words),), np.int64)
        self._start(Vocabulary(words, counts, {w: i for i, w in enumerate(words)}))
        T.restore_weights(self, arrays)
        self.epochs_trained_ = int(state["epochs_trained"])

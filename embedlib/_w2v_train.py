"""How :class:`~embedlib.word2vec.Word2Vec` trains: its weights as the kernels hold them,
the jobs dealt to the threads, the kernels' argument bundles, and the epoch loop.

The weights are padded (rows of whole cache lines, private rows of the hot words at the
end: :func:`init_weights`, :func:`make_room`); the corpus is cut into jobs of about
``batch_words`` tokens in contiguous shares, one a thread (:func:`plan_jobs`); each thread
runs :func:`embedlib.w2v_kernels.train_job` on its jobs, and a thread that finishes its share
first takes jobs from the end of the others' (:class:`Trainer`). A saved model
holds the arrays of :func:`saved_arrays`.
"""

from __future__ import annotations

import collections
import math
import os
import threading

import numpy as np

from . import w2v_kernels as K
from ._errors import spell
from ._parallel import run_threads
from ._trainer import EpochTrainer, epoch_seeds
from .base import require_pairs, saved_array
from .corpus import Corpus
from .huffman import huffman_tree
from .sampling import AliasTable, keep_probabilities, noise_distribution

__all__ = ["init_weights", "new_biases", "make_room", "new_corpus", "known_corpus",
           "saved_arrays", "restore_weights", "plan_jobs", "kernel_args", "Trainer",
           "corpus_key", "padded"]


def init_weights(model, n, extra_rows=0):
    """The initial ``(W, C, S)`` of ``model`` for ``n`` words: W uniform in [-0.5, 0.5)/d (as
    the C tool), C zero (or C is W when tied), the inner nodes' vectors S of hierarchical
    softmax zero (as the C tool's syn1).

    The training matrices have rows padded with zeros to whole 64-byte cache lines and
    start on a cache line: vector loops then need no remainder, and two threads
    updating neighbouring rows never write to the same line. The padding stays zero
    (its gradient is zero) and is cut off in ``Word2Vec.W_``. ``extra_rows`` at the end
    hold each thread's private copies of the hot rows (see
    :func:`embedlib.w2v_kernels.train_job`).
    Without negative sampling and the softmax there is no C: the kernels get W in its
    place (with ``tied`` set), and never write it as C.
    """
    d = model.vector_size
    dp = -(-d // 16) * 16
    rng = np.random.default_rng(model.seed)
    W = padded((n + extra_rows, dp), np.float32)
    W[:n, :d] = (rng.random((n, d), dtype=np.float32) - np.float32(0.5)) / np.float32(d)
    C = W if model.tied or model._pure_hs else padded((n + extra_rows, dp), np.float32)
    S = padded((n - 1 + extra_rows if model.hs else 0, dp), np.float32)
    return W, C, S


def new_biases(model, rows, old=None):
    """``(b, b~)``: zero biases for ``rows`` rows (b~ is b when tied), ``(None, None)``
    without ``bias``; with ``old`` (a previous (b, b~)), its words' values kept."""
    if not model.bias:
        return None, None
    n = len(model.vocab_)
    bw = padded(rows, np.float32)
    bc = bw if model.tied else padded(rows, np.float32)
    if old is not None:
        bw[:n] = old[0][:n]
        bc[:n] = old[1][:n]
    return bw, bc


def make_room(model, extra_rows):
    """Reallocate the weights of ``model`` if the threads need another number of private
    rows (its words' values kept)."""
    n, dp = len(model.vocab_), model._W.shape[1]
    if model._W.shape[0] == n + extra_rows:
        return
    W = padded((n + extra_rows, dp), np.float32)
    W[:n] = model._W[:n]
    if model._C is model._W:
        C = W
    else:
        C = padded((n + extra_rows, dp), np.float32)
        C[:n] = model._C[:n]
    S = padded((n - 1 + extra_rows if model.hs else 0, dp), np.float32)
    if model.hs:
        S[:n - 1] = model._S[:n - 1]
    model._W, model._C, model._S = W, C, S
    model._bw, model._bc = new_biases(model, n + extra_rows, (model._bw, model._bc))


def new_corpus(model, corpus, encoding_errors) -> Corpus:
    """``corpus`` encoded with a vocabulary of its own (``min_count``, ``max_vocab_size``);
    a CorpusError if there is nothing to train on."""
    corpus = Corpus.coerce(corpus, min_count=model.min_count,
                           max_vocab_size=model.max_vocab_size, encoding_errors=encoding_errors)
    require_pairs(corpus)
    return corpus


def known_corpus(model, corpus, encoding_errors) -> Corpus:
    """``corpus`` encoded with the model's vocabulary (unknown words dropped; the one
    build_vocab() read if it is the same file); a CorpusError, as :func:`new_corpus`, if
    there is nothing to train on."""
    handoff = vars(model).pop("_handoff", None)
    if handoff is not None and handoff[0] == corpus_key(corpus):
        return handoff[1]
    corpus = Corpus.coerce_to(corpus, model.vocab_, encoding_errors=encoding_errors)
    require_pairs(corpus, model_vocab=True)
    return corpus


def saved_arrays(model) -> dict:
    """The trained arrays a saved model holds, named as in a vectors file: ``W``, ``C``
    (unless tied or pure hierarchical softmax), ``syn1`` (with ``hs``), ``bias`` and
    ``context_bias`` (with ``bias``; one when tied)."""
    arrays = dict(W=model.W_)
    if not (model.tied or model._pure_hs):
        arrays["C"] = model.C_
    if model.hs:
        arrays["syn1"] = model.syn1_
    arrays.update({k: v for k, v in model._biases().items() if v is not None})
    return arrays


def restore_weights(model, arrays) -> None:
    """Copy the :func:`saved_arrays` of a saved model into the initial weights of
    ``model`` (made for its vocabulary); a ValueError names a missing or misshapen one."""
    n, d = len(model.vocab_), model.vector_size
    model._W[:n, :d] = saved_array(arrays, "W", (n, d))
    if not (model.tied or model._pure_hs):
        model._C[:n, :d] = saved_array(arrays, "C", (n, d))
    if model.hs:
        model._S[:n - 1, :d] = saved_array(arrays, "syn1", (n - 1, d))
    if model.bias:
        model._bw[:n] = saved_array(arrays, "bias", (n,))
        if not model.tied:
            model._bc[:n] = saved_array(arrays, "context_bias", (n,))


def plan_jobs(corpus, batch_words, n_workers):
    """Cut the corpus into jobs of about batch_words tokens and deal them to workers."""
    lengths = np.diff(corpus.offsets)
    cum = np.cumsum(lengths)
    n_sent = len(lengths)
    # job boundaries at sentence ends, about batch_words tokens apart
    targets = np.arange(batch_words, cum[-1], batch_words)
    cuts = np.unique(np.searchsorted(cum, targets, side="left") + 1)
    cuts = cuts[(cuts > 0) & (cuts < n_sent)]
    bounds = np.concatenate([[0], cuts, [n_sent]]).astype(np.int64)
    job_tokens = np.array([corpus.offsets[b] - corpus.offsets[a]
                           for a, b in zip(bounds[:-1], bounds[1:])], dtype=np.int64)
    n_jobs = len(job_tokens)
    T = min(n_workers, n_jobs)
    # contiguous shares with equal token counts
    starts = np.concatenate([[0], np.cumsum(job_tokens)])
    share_cuts = np.searchsorted(starts, np.arange(1, T) * starts[-1] / T)
    owners = np.split(np.arange(n_jobs), share_cuts)
    owners = [o for o in owners if len(o)]
    return bounds, job_tokens, owners


def kernel_args(model, corpus, plan, hot):
    """The arguments of :func:`embedlib.w2v_kernels.train_job` but the job's own: the bundles
    (Weights, Data, Config) and one Scratch per thread."""
    vocab = corpus.vocab
    V, d = len(vocab), model._W.shape[1]  # the padded width
    _, job_tokens, owners = plan
    noise = AliasTable(noise_distribution(vocab.counts, model.ns_exponent))
    tree = model.tree_ if model.hs else huffman_tree(np.ones(1, np.int64))  # an empty path
    data = K.Data(corpus.tokens, corpus.offsets,
                  keep_probabilities(vocab.counts, model.sample, model.subsample_formula),
                  noise.packed, tree.codes, tree.points, tree.offsets)
    config = K.Config(model.mode, model.window, model.negative, bool(model.cbow_exact),
                      bool(model.tied or model._pure_hs), bool(model.compute_loss),
                      model.learning_rate, float(model.min_alpha), hot, bool(model.hs),
                      bool(model.bias))
    kp = tree.max_length + 2  # a path, rounded up to an even length
    max_len = int(np.diff(corpus.offsets).max())
    w2 = 2 * model.window + 2                         # room to pad to an even count
    kk = -(-(model.negative + 1) // K.BLOCK) * K.BLOCK  # padded to whole blocks
    clock = padded(K.CLOCK_STRIDE * len(owners), np.int64)  # shared by the threads
    scratch = [K.Scratch(
        row0=V + t * hot, total=float(max(model.epochs * int(job_tokens.sum()), 1)),
        clock=clock, slot=K.CLOCK_STRIDE * t,
        buf=padded(max_len, np.int32), ctx=padded(w2, np.int32),
        outs=padded((2, kk), np.int32), Cb=padded((kk, d), np.float32),
        D=padded((w2, kk), np.float32), Wb=padded((w2 if model.tied else 1, d), np.float32),
        Wh0=padded((max(hot, 1), d), np.float32), Ch0=padded((max(hot, 1), d), np.float32),
        h=padded(d, np.float32), grad_h=padded(d, np.float32),
        scores=padded(V if model.softmax else 1, np.float32), stats=padded(4, np.float64),
        nodes=padded(kp, np.int32), signs=padded(kp, np.float32),
        Dh=padded((w2, kp), np.float32), E=padded((w2 if model.hs else 1, d), np.float32),
        Sh0=padded((max(hot, 1) if model.hs else 1, d), np.float32),
        bh0=padded((2, max(hot, 1) if model.bias else 1), np.float32))
        for t, o in enumerate(owners)]
    no_bias = padded(1, np.float32)
    bw, bc = (model._bw, model._bc) if model.bias else (no_bias, no_bias)
    return K.Weights(model._W, model._C, model._S, bw, bc), data, config, scratch


class Trainer(EpochTrainer):
    """Word2Vec's epochs: each thread runs train_job on the jobs of its share, then on jobs
    taken from the end of the others' shares."""

    desc = "word2vec"
    unit = "word"

    def __init__(self, model, corpus, plan, hot, end):
        super().__init__(model)
        self.stats = model._stats_class              # word2vec.EpochStats
        self.bounds, self.job_tokens, self.owners = plan
        self.total = int(self.job_tokens.sum())
        self.weights, self.data, self.config, self.scratch = kernel_args(model, corpus, plan,
                                                                         hot)
        self.share_tokens = [int(self.job_tokens[o].sum()) for o in self.owners]
        # one row per epoch up to ``end``: epoch e's streams do not depend on how many follow
        self.seeds = epoch_seeds(model.seed, 0x77327663, max(model.epochs, end),
                                 len(self.job_tokens))

    def _totals(self) -> np.ndarray:
        """[loss sum, examples, tokens, centers] of the epoch so far, all threads."""
        return sum(sc.stats for sc in self.scratch)

    def _mean_loss(self, tot) -> float:
        if self.config.compute_loss and tot[1] > 0:
            return float(tot[0] / tot[1])
        return float("nan")

    def run_epoch(self, epoch, bar):
        for t, sc in enumerate(self.scratch):
            sc.stats[:] = 0
            sc.clock[sc.slot] = epoch * self.share_tokens[t]  # the global clock at its start
        progress = [0] * len(self.owners)
        seeds, bounds, job_tokens = self.seeds[epoch], self.bounds, self.job_tokens

        shares = [collections.deque(o) for o in self.owners]
        lock = threading.Lock()

        def next_job(t):
            """The next job of thread t's share; once it is empty, the last job of the share
            with the most left (so that no thread idles at the end of an epoch while another
            still has work, and each thread keeps to its own part of the corpus until then)."""
            with lock:
                if shares[t]:
                    return shares[t].popleft()
                rest = max(shares, key=len)
                return rest.pop() if rest else None

        def work(t, stop):
            done = epoch * self.share_tokens[t]  # the global clock adds the other threads'
            while not stop.is_set():
                j = next_job(t)
                if j is None:
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
                    f"try a smaller {spell('alpha')} than {self.config.alpha}")
        return None


def corpus_key(corpus):
    """What identifies a corpus file between build_vocab() and train() (path, size and
    modification time), or None for a corpus that is not a path."""
    if isinstance(corpus, (str, os.PathLike)):
        try:
            st = os.stat(corpus)
        except OSError:
            return None
        return os.fspath(corpus), st.st_size, st.st_mtime_ns
    return None


def padded(shape, dtype) -> np.ndarray:
    """A zeroed array that starts on a 64-byte cache line and shares no line with any other
    array (threads write their scratch arrays constantly; two of them in one line would
    bounce it between cores)."""
    dtype = np.dtype(dtype)
    n = int(np.prod(shape))
    pad = 128 // dtype.itemsize
    raw = np.zeros(n + 3 * pad, dtype=dtype)
    start = (-raw.ctypes.data % 64) // dtype.itemsize + pad
    return raw[start:start + n].reshape(shape)

"""How :class:`~embedlib.glove.GloVe` trains: the epoch loop (:class:`Trainer`), the random
order of the nonzeros dealt to the threads in buckets (:func:`deal_order`), and whether new
counts continue that order (:func:`same_matrix`). See :mod:`embedlib.glove_kernels` for
the AdaGrad step.
"""

from __future__ import annotations

import threading

import numpy as np

from . import glove_kernels as K
from ._errors import spell
from ._parallel import run_threads
from ._trainer import EpochTrainer, epoch_seeds

__all__ = ["Trainer", "deal_order", "same_matrix"]

_JOB = 1 << 18  # nonzeros per job: the unit of progress reports and divergence checks
_BUCKET = 1 << 15  # nonzeros per bucket of the shuffle (128 KiB of int32 indices: in L2)


class Trainer(EpochTrainer):
    """GloVe's epochs: a fresh random order of the nonzeros, then each thread's share."""

    desc = "GloVe"
    unit = "upd"

    def __init__(self, model, records, end, order=None):
        super().__init__(model)
        self.stats = model._stats_class              # glove.GloVeEpochStats
        n = self.total = len(records)
        T = self.T = max(1, min(model.n_workers, n))
        self.records, self.params = records, model._params
        self.step = K.Step(float(model.eta), float(model.clip), bool(model.tied))
        dtype = np.int32 if n < 2**31 else np.int64
        if order is not None and order.shape == (n,) and order.dtype == dtype:
            self.order = order          # the permutation a previous run reached
        else:
            self.order = np.arange(n, dtype=dtype)
        # buckets of about _BUCKET nonzeros, B per thread (T * B < 2**16)
        B = self.B = max(1, min(n // (T * _BUCKET), (2**16 - 1) // T))
        many = T * B > 1
        self.other = np.empty_like(self.order) if many else None
        self.bucket = np.empty(n, np.uint8 if T * B <= 256 else np.uint16) if many else None
        self.seeds = epoch_seeds(model.seed, 0x676C6F76, max(model.epochs, end), T, 2)
        self.stop = threading.Event()
        # Divergence: a non-finite cost, or a mean cost 1000 times that of all-zero
        # parameters (which predict log X_ij = 0); clipping can keep an exploding run finite.
        self.zero_cost = float(np.sum(0.5 * records["f_x"].astype(np.float64)
                                      * records["log_x"].astype(np.float64) ** 2)) / n
        self.limit = 1000.0 * max(self.zero_cost, 1.0)

    def run_epoch(self, epoch, bar):
        T, B, n, seeds = self.T, self.B, self.total, self.seeds[epoch]
        if T * B == 1:
            starts = np.array([0, n], dtype=np.int64)
        else:
            self.order, self.other, starts = deal_order(self.order, self.other, self.bucket,
                                                         T, B, seeds)
        order, costs, progress = self.order, np.zeros(T, dtype=np.float64), [0] * T

        def work(t, stop):
            K.shuffle_buckets(order, starts, t * B, (t + 1) * B, seeds[t, 1])
            a, b = int(starts[t * B]), int(starts[(t + 1) * B])
            for s in range(a, b, _JOB):
                if stop.is_set():
                    return
                e = min(s + _JOB, b)
                costs[t] += K.train_share(self.params, self.records, order, s, e, self.step)
                progress[t] += e - s
                if not costs[t] <= self.limit * progress[t]:  # also catches NaN
                    stop.set()
                    return

        def postfix():
            return dict(epoch=epoch + 1, cost=f"{costs.sum() / max(sum(progress), 1):.4f}")

        run_threads(work, T, stop=self.stop, bar=bar, progress=progress, postfix=postfix)
        self.done = sum(progress)
        return dict(cost=float(costs.sum()) / max(self.done, 1), updates=n)

    def diverged(self, stats):
        if self.stop.is_set() or not stats.cost <= self.limit or not _finite(*self.params):
            eta = self.model.eta
            return (f"GloVe diverged in epoch {stats.epoch}: mean cost {stats.cost:.6g} "
                    f"after {self.done:,} of {self.total:,} updates (NaN, infinite, or over "
                    f"1000 times the {self.zero_cost:.4g} of all-zero parameters). Try a "
                    f"smaller learning rate than {spell('eta', eta)} (e.g. "
                    f"{spell('eta', eta / 10)}).")
        return None


def deal_order(order, other, bucket, T, B, seeds):
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


def same_matrix(X, Y) -> bool:
    """Whether two CSR matrices hold the same nonzeros in the same order (then training on
    X goes on in the order of the nonzeros reached on Y)."""
    return (Y is not None and X.shape == Y.shape and X.nnz == Y.nnz
            and np.array_equal(X.indptr, Y.indptr) and np.array_equal(X.indices, Y.indices)
            and np.array_equal(X.data, Y.data))


def _finite(*arrays) -> bool:
    return all(bool(np.isfinite(a).all()) for a in arrays)

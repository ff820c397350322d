"""The epoch loop every iterative model trains with (word2vec, GloVe).

A model's trainer is a subclass of :class:`EpochTrainer` that knows its kernel: it runs
one epoch in threads (:func:`embedlib._parallel.run_threads`) and says whether the epoch
diverged. The loop around it is the same for every model: the progress bar (set up and
closed, also on an error), the timing of each epoch, the epoch statistics appended to
``model.history_`` and logged at INFO on ``embedlib._trainer``, the divergence check, and
the callbacks.
"""

from __future__ import annotations

import logging
import math
import time

import numpy as np

from .base import TrainingError

logger = logging.getLogger(__name__)

__all__ = ["EpochTrainer", "epoch_seeds"]


class EpochTrainer:
    """Trains ``model`` for ``model.epochs`` epochs, or for some of them.

    A subclass sets ``stats`` (its :class:`~embedlib.base.BaseEpochStats` dataclass),
    ``desc`` and ``unit`` (the progress bar's label and unit) and ``total`` (units of work
    per epoch), and implements :meth:`run_epoch` and :meth:`diverged`.
    """

    stats: type
    desc: str
    unit: str
    total: int

    def __init__(self, model):
        self.model = model

    def run_epoch(self, epoch: int, bar) -> dict:
        """Train epoch ``epoch`` (from 0), advancing the tqdm ``bar`` (or None) as work is
        done; return the fields of ``stats`` that are the model's own."""
        raise NotImplementedError

    def diverged(self, stats) -> str | None:
        """What went wrong in the epoch just run (the TrainingError's message), or None."""
        return None

    def run(self, first: int = 0, count: int | None = None) -> None:
        """The loop over epochs ``first .. first + count - 1`` (from 0; all of
        ``model.epochs`` by default). ``model.history_`` gets one ``stats`` per epoch (a
        new list when ``first`` is 0) and ``model.epochs_trained_`` the epochs done, updated
        after each one, so that an interruption leaves them true."""
        model = self.model
        count = model.epochs - first if count is None else count
        epochs = max(model.epochs, first + count)   # what "epoch 3/10" counts to
        if first == 0:
            model.history_ = []
        history = model.history_
        bar = None
        if model.verbose:
            from tqdm.auto import tqdm
            bar = tqdm(total=count * self.total, unit=self.unit, unit_scale=True,
                       desc=self.desc, smoothing=0.1)
        try:
            for epoch in range(first, first + count):
                t0, c0 = time.perf_counter(), time.process_time()
                fields = self.run_epoch(epoch, bar)
                stats = self.stats(epoch=epoch + 1, epochs=epochs,
                                   seconds=time.perf_counter() - t0,
                                   cpu_seconds=time.process_time() - c0, **fields)
                message = self.diverged(stats)
                if message is not None:
                    raise TrainingError(message)
                history.append(stats)
                logger.info("%s %s", self.desc, stats)  # e.g. "word2vec epoch 1/5: loss ..."
                model.epochs_trained_ = epoch + 1
                if bar is not None:
                    metric, value = stats._metric, getattr(stats, stats._metric)
                    shown = {"epoch": stats.epoch}
                    if math.isfinite(value):  # not "loss=nan" when the loss is not computed
                        shown[metric] = f"{value:.4f}"
                    bar.set_postfix(shown)
                model._wv = None            # the vectors changed: callbacks see new ones
                for cb in model._callbacks:
                    (cb.on_epoch_end if hasattr(cb, "on_epoch_end") else cb)(model, stats)
        finally:
            if bar is not None:
                bar.close()


def epoch_seeds(seed: int, salt: int, epochs: int, *shape: int) -> np.ndarray:
    """Independent 64-bit seeds, ``(epochs, *shape)``, from ``seed``; ``salt`` keeps the
    streams of different models apart."""
    ss = np.random.SeedSequence([seed, salt])
    n = epochs * int(np.prod(shape, dtype=np.int64))
    return ss.generate_state(n, dtype=np.uint64).reshape(epochs, *shape)

"""What every model shares: parameters, learned state, the vectors it hands out, its errors.

The conventions are scikit-learn's. A model's constructor takes keyword parameters and
stores them as given; :meth:`Model.get_params` and :meth:`Model.set_params` read the
constructor's signature, so a parameter is declared once. ``fit`` learns from data and
returns the model. What it learned ends in an underscore (``W_``, ``C_``, ``vocab_``,
``history_``); asking for it before ``fit`` raises :class:`NotFittedError`. The vectors
come out as :class:`~embedlib.embeddings.Embeddings`: :meth:`Model.vectors` picks W, C,
their sum or their concatenation (the names in :data:`OUTPUTS`), :attr:`Model.wv` is the
model's choice. An invalid parameter is a :class:`ParameterError` (a ValueError; a
:class:`ParameterTypeError`, also a TypeError, for a wrong type) whose ``param`` is its
name; a corpus with nothing to learn from is a :class:`~embedlib.corpus.CorpusError`
(:func:`require_pairs`).

:class:`CountModel` is the base of the models fit on co-occurrence counts (GloVe, the SVD
of PPMI): the counting parameters, and a ``fit`` that takes a corpus or a matrix.
:class:`BaseEpochStats` is what every trainer reports after each epoch.

Models that train in epochs (word2vec, GloVe) can be saved whole and loaded to train
further (:meth:`Model.save`, :meth:`Model.load`): one ``.npz`` file holding the
parameters, the vocabulary, every array training reads and the epochs done, without
pickles.
"""

from __future__ import annotations

import dataclasses
import inspect
import math
import os
from contextlib import contextmanager

import numpy as np

from ._lazy import module
from ._model_files import read_model_file, write_model_file
from ._checks import check_callbacks, check_choice, check_directory, check_int, parse_memory
from ._errors import (CorpusError, NotFittedError, ParameterError, ParameterTypeError,
                      TrainingError, spell)
from .cooccur import WEIGHTINGS, check_cooccurrence, cooccurrence
from .corpus import Corpus, Vocabulary
from .embeddings import Embeddings

sp = module("scipy.sparse")  # imported when first used (start-up of commands that need none)

__all__ = ["OUTPUTS", "TrainingError", "NotFittedError", "ParameterError",
           "ParameterTypeError", "Model", "CountModel", "BaseEpochStats", "require_pairs",
           "MODEL_FORMAT", "load_model"]

#: The layout of saved models (:meth:`Model.save`); a file of another layout is refused.
MODEL_FORMAT = 1

#: Which vectors a model hands out (its ``output`` parameter, :meth:`Model.vectors`): the
#: word vectors W, the context vectors C (GloVe's W~), their sum W + C, or [W, C] side by
#: side. "W+C" is accepted for "sum".
OUTPUTS = ("W", "C", "sum", "concat")
_COMBINE = {"W": "W", "C": "C", "sum": "W+C", "W+C": "W+C", "concat": "concat"}


# Parameters several models have, checked in one place.
_SHARED_CHECKS = {
    "vector_size": lambda v: check_int("vector_size", v, 1, 100_000),
    "epochs": lambda v: check_int("epochs", v, 1, 100_000),
    "workers": lambda v: v is None or check_int("workers", v, 1, 1024),
    "seed": lambda v: check_int("seed", v, 0, 2**63 - 1),
    "min_count": lambda v: check_int("min_count", v, 1),
    "max_vocab_size": lambda v: v is None or check_int("max_vocab_size", v, 1),
}


class Model:
    """The base of every model: parameters, the fitted-state check, vectors.

    A subclass's ``__init__`` lists its parameters as keyword arguments and calls
    ``self._set_params(locals())``, which stores them and checks them with ``_validate``
    (which subclasses extend). Its ``fit`` runs inside ``with self._fitting():``, so that
    a failed fit leaves the model unfitted, and sets ``words_`` and ``vocab_``; the
    subclass defines ``W_`` and ``C_`` and names in ``_fitted_attr`` the attribute that
    exists once they are learned.
    """

    #: The attribute that exists once the parameters are learned.
    _fitted_attr = "_W"

    #: Every model class by name, for :func:`load_model`.
    _classes: dict = {}

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        Model._classes[cls.__name__] = cls

    # -- parameters ---------------------------------------------------------------------
    @classmethod
    def _param_names(cls) -> list[str]:
        params = inspect.signature(cls.__init__).parameters.values()
        return [p.name for p in params if p.name != "self"
                and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]

    def _set_params(self, values: dict) -> None:
        for name in self._param_names():
            setattr(self, name, values[name])
        self._validate()

    def _validate(self) -> None:
        """Check every parameter; subclasses extend it (a ValueError or TypeError naming
        the parameter and the value)."""
        names = self._param_names()
        for name in names:
            if name in _SHARED_CHECKS:
                _SHARED_CHECKS[name](getattr(self, name))
        if "callbacks" in names:
            self._callbacks = check_callbacks(self.callbacks)

    def get_params(self, deep: bool = True) -> dict:
        """The constructor's parameters and their values, in the signature's order.

        ``deep`` is there for scikit-learn's signature; no embedlib model holds another.
        """
        return {name: getattr(self, name) for name in self._param_names()}

    def set_params(self, **params) -> "Model":
        """Change parameters (checked as the constructor checks them); returns ``self``.

        An unknown name or an invalid value raises an error and changes nothing. What the
        model learned stays until the next ``fit``.
        """
        names = self._param_names()
        for name in params:
            if name not in names:
                raise ValueError(f"{type(self).__name__} has no parameter {name!r}; its "
                                 f"parameters are {', '.join(names)}")
        old = self.get_params()
        for name, value in params.items():
            setattr(self, name, value)
        try:
            self._validate()
        except BaseException:
            for name, value in old.items():
                setattr(self, name, value)
            self._validate()
            raise
        return self

    def __repr__(self) -> str:
        params = inspect.signature(type(self).__init__).parameters
        changed = [f"{k}={v!r}" for k, v in self.get_params().items()
                   if v != params[k].default]
        return f"{type(self).__name__}({', '.join(changed)})"

    @property
    def n_workers(self) -> int:
        """The number of threads ``workers`` asks for (None: every core)."""
        return self.workers if self.workers is not None else (os.cpu_count() or 1)

    # -- fitted state -------------------------------------------------------------------
    def _check_fitted(self) -> None:
        if self._fitted_attr not in vars(self):
            raise NotFittedError(f"this {type(self).__name__} is not fitted yet: call fit() "
                                 "first")

    def _forget(self) -> None:
        """Drop everything learned: the attributes ending in "_" and the private state
        (but ``_callbacks``, which ``_validate`` derives from a parameter)."""
        params = set(self._param_names())
        for name in [n for n in vars(self) if n not in params and n != "_callbacks"
                     and (n.endswith("_") or n.startswith("_"))]:
            delattr(self, name)

    @contextmanager
    def _fitting(self):
        """Validate, forget the last fit, and on an error (or Ctrl-C) forget this one."""
        self._validate()
        self._forget()
        try:
            yield
        except BaseException:
            self._forget()
            raise

    # -- saved models -------------------------------------------------------------------
    #: The EpochStats class of the model's ``history_`` (models that can be saved).
    _stats_class = None

    def save(self, path, **options) -> None:
        """Write the whole model to one ``.npz`` file, to :meth:`load` and train further.

        The file holds the parameters (all but ``callbacks``, which are code), the
        vocabulary (words and counts), every array that training reads and writes, the
        epochs trained and their statistics: numpy arrays and one JSON text (array
        ``model``), no pickles. Its arrays ``words``, ``W``, ``C``, ``counts``, ``bias``,
        ``context_bias``, ``syn1`` are those of a vectors file, so
        :meth:`Embeddings.load <embedlib.embeddings.Embeddings.load>` reads the vectors
        from it too. The file is written atomically.
        """
        self._check_fitted()
        if self._stats_class is None:
            raise TypeError(f"{type(self).__name__} models cannot be saved whole; save "
                            "their vectors with model.wv.save(path)")
        arrays, state = self._saved_state(**options)
        params = {k: v for k, v in self.get_params().items() if k != "callbacks"}
        write_model_file(path, arrays, dict(
            model=type(self).__name__, format=MODEL_FORMAT, params=params, state=state,
            history=[dataclasses.asdict(h) for h in self.history_]))

    @classmethod
    def load(cls, path):
        """A model written by :meth:`save`, ready to train further or to give its vectors.

        ``callbacks`` are not saved: set them with :meth:`set_params`. Raises
        FileNotFoundError, or ValueError naming the file if it is not a saved model of
        this class (a file of vectors, another model, another layout).
        """
        name = os.fspath(path)
        meta, arrays = read_model_file(name)
        kind = meta["model"]
        if cls is Model and kind in Model._classes:
            return Model._classes[kind].load(path)
        if kind != cls.__name__:
            raise ValueError(f"{name} holds a {kind} model, not a {cls.__name__}: load it "
                             f"with {kind}.load")
        if meta.get("format") != MODEL_FORMAT:
            raise ValueError(f"{name}: model file layout {meta.get('format')!r}; this "
                             f"embedlib reads layout {MODEL_FORMAT}")
        try:
            model = cls(**meta["params"])
            model._restore(arrays, meta["state"])
            model.history_ = [cls._stats_class(**h) for h in meta["history"]]
        except (KeyError, TypeError, ValueError) as e:
            raise ValueError(f"{name}: cannot restore the model: {e}") from None
        return model

    def _saved_state(self, **options) -> tuple[dict, dict]:
        """(arrays, JSON-able state) that :meth:`_restore` turns back into the model."""
        raise NotImplementedError

    def _restore(self, arrays: dict, state: dict) -> None:
        raise NotImplementedError

    @property
    def vocab(self):
        """Alias of ``vocab_``: the :class:`~embedlib.corpus.Vocabulary` of the corpus the
        model was fit on (None for a matrix fit with a list of words)."""
        self._check_fitted()
        return self.vocab_

    # -- vectors ------------------------------------------------------------------------
    def _context(self) -> np.ndarray | None:
        """The context matrix the embeddings carry (None: a model with one matrix)."""
        return self.C_

    def _biases(self) -> dict:
        return {}

    def _extras(self) -> dict:
        """Further arrays the "W" embeddings carry (word2vec's ``syn1``)."""
        return {}

    def vectors(self, which: str = "W") -> Embeddings:
        """Embeddings of ``which`` in "W", "C", "sum" (W + C), "concat" ([W, C]).

        Copies of the learned vectors, with the corpus counts (if the model was fit on a
        corpus) and any biases; for "W" the context matrix C is attached too (unless the
        model has only one), so that :meth:`Embeddings.combine
        <embedlib.embeddings.Embeddings.combine>` works on it, and the inner nodes'
        vectors of hierarchical softmax (``syn1``) if the model has them.
        """
        check_choice("which", which, tuple(_COMBINE))
        self._check_fitted()
        kind = _COMBINE[which]
        if kind == "W":
            return self._embeddings(np.array)
        full = self._embeddings(np.asarray)     # combine makes new arrays
        out = full.combine(kind)
        if full.bias is None:
            return out
        return Embeddings(out.words, out.vectors, counts=out.counts, bias=full.bias,
                          context_bias=full.context_bias)

    def _embeddings(self, take) -> Embeddings:
        """W with C attached, the counts, the biases and the extras; ``take`` is np.array
        (copies) or np.asarray (views where the layout allows)."""
        vocab = self.vocab_
        counts = vocab.counts if isinstance(vocab, Vocabulary) else None
        C = self._context()
        extras = {k: take(v) for k, v in self._extras().items()}
        return Embeddings(self.words_, take(self.W_), None if C is None else take(C), counts,
                          **self._biases(), **extras)

    @property
    def wv(self) -> Embeddings:
        """The vectors the model hands out (``output``, or W with C for word2vec), as
        :class:`~embedlib.embeddings.Embeddings`; computed once per fit (and per epoch for
        callbacks)."""
        wv = vars(self).get("_wv")
        if wv is None:
            wv = self._wv = self.vectors(getattr(self, "output", "W"))
        return wv


class CountModel(Model):
    """A model fit on co-occurrence counts X: given as a matrix, or counted from a corpus.

    Subclasses have the counting parameters ``window``, ``weighting``, ``symmetric``,
    ``min_count``, ``max_vocab_size``, ``memory_limit``, ``tmp_dir`` and ``workers``
    (see :func:`embedlib.cooccur.cooccurrence`) with the same defaults, and an ``output``
    in :data:`OUTPUTS`; they implement ``_fit_counts(X)``. After :meth:`fit`: ``words_``
    (the words of the rows of X), ``vocab_`` and ``cooccurrence_`` (X).
    """

    def _validate(self) -> None:
        super()._validate()
        check_choice("output", self.output, tuple(_COMBINE))
        check_int("window", self.window, 1, 100_000)
        check_choice("weighting", self.weighting, WEIGHTINGS)
        check_choice("symmetric", self.symmetric, (True, False))
        if self.memory_limit is not None:
            parse_memory(self.memory_limit)
        if self.tmp_dir is not None:
            check_directory("tmp_dir", self.tmp_dir)

    def fit(self, data, vocab=None, *, encoding_errors: str = "strict"):
        """Count co-occurrences if ``data`` is a corpus, then learn from them; returns
        ``self``.

        ``data`` is a :class:`~embedlib.corpus.Corpus`, a path to a text file (plain or
        .gz, one sentence per line), an iterable of token lists -- or a co-occurrence
        matrix (scipy.sparse or dense, square), in which case ``vocab`` must give the
        words of its rows: a :class:`~embedlib.corpus.Vocabulary` or a sequence of str.
        ``encoding_errors``: see :meth:`embedlib.corpus.Corpus.from_file`.
        """
        with self._fitting():
            self._fit_counts(self._take_counts(data, vocab, encoding_errors))
        return self

    def _take_counts(self, data, vocab, encoding_errors) -> sp.csr_matrix:
        """The co-occurrence matrix of ``data`` (counted if it is a corpus), with
        ``words_``, ``vocab_`` and ``cooccurrence_`` set."""
        if sp.issparse(data) or isinstance(data, np.ndarray):
            X = check_cooccurrence(data)
            words, vocab = _words_of(vocab, X.shape[0])
        else:
            if vocab is not None:
                raise TypeError("vocab is only for a co-occurrence matrix; a corpus "
                                "brings its own vocabulary")
            corpus = Corpus.coerce(data, min_count=self.min_count,
                                   max_vocab_size=self.max_vocab_size,
                                   encoding_errors=encoding_errors)
            X = self._count(corpus)
            vocab = corpus.vocab
            words = vocab.words
        self.words_ = tuple(words)
        self.vocab_ = vocab
        self.cooccurrence_ = X
        return X

    def _count(self, corpus, model_vocab: bool = False) -> sp.csr_matrix:
        """The co-occurrences of an encoded corpus, with the model's counting parameters
        (``model_vocab``: see :func:`require_pairs`)."""
        require_pairs(corpus, model_vocab)
        return check_cooccurrence(cooccurrence(
            corpus, self.window, weighting=self.weighting, symmetric=self.symmetric,
            memory_limit=self.memory_limit, tmp_dir=self.tmp_dir, workers=self.workers))

    def _fit_counts(self, X: sp.csr_matrix) -> None:
        raise NotImplementedError


def require_pairs(corpus: Corpus, model_vocab: bool = False) -> None:
    """A :class:`~embedlib.corpus.CorpusError` unless some sentence of ``corpus`` has two
    in-vocabulary words: otherwise no word has a context word, and there is neither a
    training example (word2vec) nor a co-occurrence (GloVe, PPMI) to learn from.
    ``model_vocab``: the corpus was read with a trained model's vocabulary (not its own)."""
    lengths = np.diff(corpus.offsets)
    if len(lengths) and lengths.max() >= 2:
        return
    where = corpus.source or "the corpus"
    dropped = corpus.n_raw_tokens - corpus.n_tokens
    rare = "" if not dropped else (
        f" {dropped:,} tokens are not in the model's vocabulary." if model_vocab else
        f" Or lower {spell('min_count')}: {dropped:,} tokens were dropped as too rare.")
    raise CorpusError(
        f"{where}: no sentence has two in-vocabulary words, so no word has a context to "
        f"learn from ({len(lengths):,} sentences, {corpus.n_tokens:,} tokens kept of "
        f"{corpus.n_raw_tokens:,}); each line is a sentence: is the corpus one word per "
        f"line?{rare}", path=corpus.source)


def load_model(path) -> Model:
    """The model a file written by :meth:`Model.save` holds, of whichever class it is
    (:class:`~embedlib.word2vec.Word2Vec`, :class:`~embedlib.glove.GloVe`)."""
    return Model.load(path)


def saved_array(arrays: dict, key: str, shape=None, dtype=None) -> np.ndarray:
    """``arrays[key]`` from a saved model, checked: a ValueError names a missing array or
    one of the wrong shape."""
    if key not in arrays:
        raise ValueError(f"array {key!r} is missing")
    a = arrays[key]
    if shape is not None and a.shape != tuple(shape):
        raise ValueError(f"array {key!r} has shape {a.shape}, expected {tuple(shape)}")
    return a if dtype is None else a.astype(dtype, copy=False)


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


class BaseEpochStats:
    """What a trainer reports after each epoch; a subclass is a frozen dataclass with at
    least ``epoch`` (from 1), ``epochs`` (of the run), ``loss`` (the mean training loss,
    NaN if not computed), ``seconds`` (wall-clock) and a count of the work done.

    ``str(stats)`` is the line the command line prints, e.g. ``epoch 2/5: loss 2.318204,
    1,503,118 words/s``.
    """

    __slots__ = ()

    #: The field the progress bar shows as the loss; the field that counts the epoch's work
    #: and the name of its rate.
    _metric, _work, _unit = "loss", "words", "words/s"

    @property
    def rate(self) -> tuple[float, str]:
        """(units of work per second, their name), e.g. ``(1.5e6, "words/s")``; the rate is
        infinite if no time was measured."""
        work = getattr(self, self._work)
        return (work / self.seconds if self.seconds > 0 else float("inf")), self._unit

    def __str__(self) -> str:
        loss = f"{self.loss:.6f}" if math.isfinite(self.loss) else "n/a"
        of = f"/{self.epochs}" if self.epochs else ""
        line = f"epoch {self.epoch}{of}: loss {loss}"
        speed, unit = self.rate
        if math.isfinite(speed):
            line += f", {speed:,.0f} {unit}"
        return line

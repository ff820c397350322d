"""embedlib: word embeddings (word2vec, GloVe, PMI/SVD) in Numba-accelerated Python.

The companion library of the book *Word Embeddings from First Principles*: every chapter
imports it, and it is meant to be reused on its own.

The names below are imported when first used (PEP 562), so that ``import embedlib`` and the
commands that only read vectors (``embedlib eval``, ``embedlib neighbors``) do not import
Numba and the training kernels: ``embedlib.Word2Vec`` imports :mod:`embedlib.word2vec` at the
first access, ``embedlib.datasets`` the subpackage.
"""

import importlib
import sys
import types

from ._errors import CorpusError, NotFittedError, ParameterError, ParameterTypeError, TrainingError

__all__ = ["Corpus", "CorpusError", "Vocabulary", "Embeddings", "Word2Vec", "EpochStats",
           "TrainingError", "NotFittedError", "ParameterError", "ParameterTypeError", "GloVe",
           "GloVeEpochStats", "PPMISVD", "cooccurrence", "pmi", "ppmi", "svd_embeddings",
           "evaluate_similarity", "evaluate_analogies", "load_vectors", "load_model"]
__version__ = "0.1.0"

# name -> the module that defines it
_LAZY = {
    "Corpus": "corpus", "Vocabulary": "corpus",
    "Embeddings": "embeddings",
    "Word2Vec": "word2vec", "EpochStats": "word2vec",
    "GloVe": "glove", "GloVeEpochStats": "glove",
    "PPMISVD": "pmi", "pmi": "pmi", "ppmi": "pmi", "svd_embeddings": "pmi",
    "cooccurrence": "cooccur",
    "evaluate_similarity": "evaluation", "evaluate_analogies": "evaluation",
    "load_model": "base",
}


def __getattr__(name):
    if name in _LAZY:
        value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    elif name == "datasets":
        value = importlib.import_module(".datasets", __name__)
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value  # later accesses do not come here
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__) | {"datasets"})


class _Package(types.ModuleType):
    """``embedlib.pmi`` is the function, as ``from .pmi import pmi`` made it when this module
    imported everything at once: the import system, which binds a submodule to its package
    once the submodule is loaded, gets the function of the same name instead."""

    def __setattr__(self, name, value):
        if name == "pmi" and isinstance(value, types.ModuleType):
            value = value.pmi
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package


def load_vectors(path, format=None, **options):
    """Read vectors in word2vec text or binary format, GloVe's text format or embedlib's
    .npz (``.gz`` for the text formats); ``options`` are those of :meth:`Embeddings.load`
    (``encoding_errors``, ``limit``, ``nonfinite``). Returns an :class:`Embeddings`."""
    from .embeddings import Embeddings
    return Embeddings.load(path, format=format, **options)

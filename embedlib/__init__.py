"""embedlib: word embeddings (word2vec, GloVe, PMI/SVD) in Numba-accelerated Python.

The companion library of the book *Word Embeddings from First Principles*: every chapter
imports it, and it is meant to be reused on its own.
"""

from __future__ import annotations

import importlib

#: Where each public name lives. They are imported on first access (PEP 562), so that a
#: command that trains word2vec does not import the evaluators, GloVe or SciPy's sparse
#: matrices; ``from embedlib import X`` and ``embedlib.X`` work as with eager imports.
_PUBLIC = {
    "NotFittedError": "_errors", "ParameterError": "_errors",
    "ParameterTypeError": "_errors", "TrainingError": "_errors",
    "load_model": "base", "cooccurrence": "cooccur",
    "Corpus": "corpus", "CorpusError": "corpus", "Vocabulary": "corpus",
    "Embeddings": "embeddings",
    "evaluate_analogies": "evaluation", "evaluate_similarity": "evaluation",
    "GloVe": "glove", "GloVeEpochStats": "glove",
    "PPMISVD": "pmi", "pmi": "pmi", "ppmi": "pmi", "svd_embeddings": "pmi",
    "EpochStats": "word2vec", "Word2Vec": "word2vec",
}
#: Subpackages reachable as attributes after ``import embedlib``.
_SUBPACKAGES = ("datasets",)

__all__ = ["Corpus", "CorpusError", "Vocabulary", "Embeddings", "Word2Vec", "EpochStats",
           "TrainingError", "NotFittedError", "ParameterError", "ParameterTypeError", "GloVe",
           "GloVeEpochStats", "PPMISVD", "cooccurrence", "pmi", "ppmi", "svd_embeddings",
           "evaluate_similarity", "evaluate_analogies", "load_vectors", "load_model"]
__version__ = "0.1.0"


def load_vectors(path, format=None, **options) -> Embeddings:
    """Read vectors in word2vec text or binary format, GloVe's text format or embedlib's
    .npz (``.gz`` for the text formats); ``options`` are those of :meth:`Embeddings.load`
    (``encoding_errors``, ``limit``, ``nonfinite``)."""
    from .embeddings import Embeddings
    return Embeddings.load(path, format=format, **options)


def __getattr__(name: str):
    if name in _PUBLIC:
        value = getattr(importlib.import_module(f".{_PUBLIC[name]}", __name__), name)
    elif name in _SUBPACKAGES:
        value = importlib.import_module(f".{name}", __name__)
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_PUBLIC) | set(_SUBPACKAGES))

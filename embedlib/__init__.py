"""embedlib: word embeddings (word2vec, GloVe, PMI/SVD) in Numba-accelerated Python.

The companion library of the book *Word Embeddings from First Principles*: every chapter
imports it, and it is meant to be reused on its own.
"""

from . import datasets  # noqa: F401  (so that embedlib.datasets.X works after import embedlib)
from ._errors import NotFittedError, ParameterError, ParameterTypeError, TrainingError
from .base import load_model
from .cooccur import cooccurrence
from .corpus import Corpus, CorpusError, Vocabulary
from .embeddings import Embeddings
from .evaluation import evaluate_analogies, evaluate_similarity
from .glove import GloVe, GloVeEpochStats
from .pmi import PPMISVD, pmi, ppmi, svd_embeddings
from .word2vec import EpochStats, Word2Vec

__all__ = ["Corpus", "CorpusError", "Vocabulary", "Embeddings", "Word2Vec", "EpochStats",
           "TrainingError", "NotFittedError", "ParameterError", "ParameterTypeError", "GloVe",
           "GloVeEpochStats", "PPMISVD", "cooccurrence", "pmi", "ppmi", "svd_embeddings",
           "evaluate_similarity", "evaluate_analogies", "load_vectors", "load_model"]
__version__ = "0.1.0"


def load_vectors(path, format=None, **options) -> Embeddings:
    """Read vectors in word2vec text or binary format, GloVe's text format or embedlib's
    .npz (``.gz`` for the text formats); ``options`` are those of :meth:`Embeddings.load`
    (``encoding_errors``, ``limit``, ``nonfinite``)."""
    return Embeddings.load(path, format=format, **options)

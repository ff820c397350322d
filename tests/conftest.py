"""What several test modules share: planted topic corpora, the precision of neighbours on
them, central finite differences, hand-made vectors and a check for files left behind.

The helpers are imported as ``from conftest import ...`` (pytest puts this folder on
``sys.path``); ``planted``, ``toy_embeddings`` and ``leftovers`` are fixtures.
"""

from __future__ import annotations

import numpy as np
import pytest

from embedlib import Corpus
from embedlib.embeddings import Embeddings

def topic_corpus(n_topics=4, words_per_topic=8, n_sentences=800, length=10, seed=0):
    """Sentences that each draw all their words from one topic: ``(topics, Corpus)``, with
    ``topics[k]`` the words ``t{k}w0``, ``t{k}w1``, ... of topic ``k``."""
    rng = np.random.default_rng(seed)
    topics = [[f"t{k}w{i}" for i in range(words_per_topic)] for k in range(n_topics)]
    sents = [list(rng.choice(topics[rng.integers(n_topics)], size=length))
             for _ in range(n_sentences)]
    return topics, Corpus.from_sentences(sents, min_count=1)


@pytest.fixture(scope="module")
def planted(request):
    """``topic_corpus(**PLANTED)`` with the test module's ``PLANTED`` settings (a dict;
    the defaults if it has none), made once per module."""
    return topic_corpus(**getattr(request.module, "PLANTED", {}))


def topic_precision(wv, topics, topn=5):
    """The share of each word's ``topn`` nearest neighbours that are in its own topic."""
    hits = total = 0
    for words in topics:
        for w in words:
            hits += sum(other in words for other, _ in wv.most_similar(w, topn=topn))
            total += topn
    return hits / total


def central_differences(f, x, eps):
    """The gradient of the scalar ``f`` at the array ``x``: for every entry,
    ``(f(x + eps e_i) - f(x - eps e_i)) / (2 eps)``, ``f`` called on copies of ``x``."""
    x = np.asarray(x)
    grad = np.zeros(x.shape)
    for idx in np.ndindex(x.shape):
        plus, minus = x.copy(), x.copy()
        plus[idx] += eps
        minus[idx] -= eps
        grad[idx] = (f(plus) - f(minus)) / (2 * eps)
    return grad


# ====================================================================== vectors, files, data sets
# Used by test_embeddings, test_evaluation, test_formats and test_datasets.

@pytest.fixture
def toy_embeddings() -> Embeddings:
    """Hand-made 3-D vectors: axis 0 = "is a person", axis 1 = "female", axis 2 = "royal".

    king - man + woman = (1,0,1) - (1,0,0) + (1,1,0) = (1,1,1) = queen; "prince" and
    "princess" are decoys near king/queen, "apple" is unrelated. On unit vectors
    king - man + woman = (√2 - 1, 1/√2, 1/√2): cosine 0.975 with queen, 0.946 with
    princess, 0.707 with prince -> queen. queen - king + man points to woman (0.973;
    princess 0.773). man - woman + king is the first target again -> queen.
    """
    words = ["man", "woman", "king", "queen", "prince", "princess", "apple"]
    vectors = [[1, 0, 0], [1, 1, 0], [1, 0, 1], [1, 1, 1], [1, 0, 0.8], [1, 0.8, 0.8], [0, 0, -1]]
    return Embeddings(words, np.array(vectors, dtype=np.float64))


def _leftovers(directory) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


@pytest.fixture
def leftovers():
    """``leftovers(directory)``: the names of the files in ``directory``, sorted, to check
    that a write or a download left no temporary file behind."""
    return _leftovers

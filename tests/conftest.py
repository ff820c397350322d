"""What several test modules share: planted topic corpora, the precision of neighbours on
them, and central finite differences.

The helpers are imported as ``from conftest import ...`` (pytest puts this folder on
``sys.path``); ``planted`` is a fixture.
"""

import numpy as np
import pytest

from embedlib import Corpus


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

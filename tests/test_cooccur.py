"""Co-occurrence counting against hand computations and a brute-force reference."""


import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from embedlib import Corpus
from embedlib import cooccur
from embedlib.cooccur import (check_cooccurrence, cooccurrence, counting_memory,
                              distance_weights, parse_memory)

WINTER = "Winter is coming and it is here.".lower().replace(".", "").split()


def winter_corpus():
    return Corpus.from_sentences([WINTER], min_count=1)


def as_dict(X, corpus):
    words = corpus.vocab.words
    C = X.tocoo()
    return {(words[i], words[j]): v for i, j, v in zip(C.row, C.col, C.data)}


def symmetric_dict(half):
    out = {}
    for (a, b), v in half.items():
        out[(a, b)] = out.get((a, b), 0) + v
        if a != b:
            out[(b, a)] = out.get((b, a), 0) + v
    return out


# "winter is coming and it is here", window 2. The pairs of positions at distance 1 and 2:
#   d=1: winter-is, is-coming, coming-and, and-it, it-is, is-here
#   d=2: winter-coming, is-and, coming-it, and-is, it-here
# "is" is at positions 1 and 5 (distance 4 > 2), so it never meets itself; "is-and" occurs
# twice at distance 2 (positions 1-3 and 3-5).
HARMONIC = symmetric_dict({
    ("winter", "is"): 1.0, ("is", "coming"): 1.0, ("coming", "and"): 1.0,
    ("and", "it"): 1.0, ("it", "is"): 1.0, ("is", "here"): 1.0,
    ("winter", "coming"): 0.5, ("is", "and"): 0.5 + 0.5, ("coming", "it"): 0.5,
    ("it", "here"): 0.5,
})
UNIFORM = symmetric_dict({
    ("winter", "is"): 1, ("is", "coming"): 1, ("coming", "and"): 1, ("and", "it"): 1,
    ("it", "is"): 1, ("is", "here"): 1, ("winter", "coming"): 1, ("is", "and"): 2,
    ("coming", "it"): 1, ("it", "here"): 1,
})
# Counting each token as its own context adds its count to the diagonal ("is" twice).
SELF = {("winter", "winter"): 1, ("is", "is"): 2, ("coming", "coming"): 1,
        ("and", "and"): 1, ("it", "it"): 1, ("here", "here"): 1}


@pytest.mark.parametrize("weighting, expected", [("harmonic", HARMONIC), ("uniform", UNIFORM)])
@pytest.mark.parametrize("include_self", [False, True])
def test_winter_is_coming_by_hand(weighting, expected, include_self):
    corpus = winter_corpus()
    X = cooccurrence(corpus, window=2, weighting=weighting, include_self=include_self)
    want = dict(expected)
    if include_self:
        want.update(SELF)
    assert as_dict(X, corpus) == pytest.approx(want, rel=0, abs=0)
    assert X.dtype == np.float64 and X.has_sorted_indices
    # X_i is the total count sum_k X_ik, not the number of distinct context words
    i = corpus.vocab["is"]
    assert X[i].sum() == sum(v for (a, _), v in want.items() if a == "is")
    assert X[i].nnz == (6 if include_self else 5)    # winter, coming, and, it, here


def test_left_context_only():
    corpus = winter_corpus()
    X = cooccurrence(corpus, window=2, symmetric=False)
    d = as_dict(X, corpus)
    # row = the word, column = a word before it
    assert d[("is", "winter")] == 1.0 and ("winter", "is") not in d
    assert d[("is", "and")] == 0.5 and d[("and", "is")] == 0.5   # "is and is": once each way
    sym = cooccurrence(corpus, window=2)
    np.testing.assert_array_equal((X + X.T).toarray(), sym.toarray())


def brute_force(sentences, V, window, weighting, symmetric, include_self):
    w = distance_weights(window, weighting)
    X = np.zeros((V, V))
    for s in sentences:
        for p, i in enumerate(s):
            for q, j in enumerate(s):
                delta = p - q
                if 0 < abs(delta) <= window and (symmetric or delta > 0):
                    X[i, j] += w[abs(delta)]
            if include_self:
                X[i, i] += 1.0
    return X


sentences_strategy = st.lists(st.lists(st.integers(0, 7), min_size=0, max_size=15),
                              min_size=1, max_size=8)


@settings(max_examples=60, deadline=None)
@given(sents=sentences_strategy, window=st.integers(1, 6),
       weighting=st.sampled_from(["harmonic", "uniform", "linear"]),
       symmetric=st.booleans(), include_self=st.booleans())
def test_counts_match_brute_force(sents, window, weighting, symmetric, include_self):
    words = [[f"w{t}" for t in s] for s in sents]
    if not any(words):
        words[0] = ["w0"]
    corpus = Corpus.from_sentences(words, min_count=1)
    encoded = [list(corpus.tokens[a:b]) for a, b in zip(corpus.offsets[:-1], corpus.offsets[1:])]
    V = len(corpus.vocab)
    X = cooccurrence(corpus, window, weighting=weighting, symmetric=symmetric,
                     include_self=include_self, workers=2)
    ref = brute_force(encoded, V, window, weighting, symmetric, include_self)
    np.testing.assert_allclose(X.toarray(), ref, rtol=1e-12, atol=0)
    assert X.shape == (V, V) and X.has_sorted_indices
    assert np.all(X.data > 0)
    if symmetric:
        np.testing.assert_allclose(X.toarray(), X.T.toarray(), rtol=1e-12, atol=0)
    else:
        both = cooccurrence(corpus, window, weighting=weighting, symmetric=True,
                            include_self=include_self)
        diag = np.diag(np.bincount(corpus.tokens, minlength=V)) if include_self else 0
        np.testing.assert_allclose((X + X.T).toarray() - diag, both.toarray(), rtol=1e-12)


def random_corpus(n_sent=120, V=40, seed=0):
    rng = np.random.default_rng(seed)
    zipf = 1.0 / np.arange(1, V + 1)
    sents = [[f"w{t}" for t in rng.choice(V, size=rng.integers(0, 30), p=zipf / zipf.sum())]
             for _ in range(n_sent)]
    return Corpus.from_sentences(sents, min_count=1)


def test_many_tiny_spilled_chunks_give_the_same_matrix(tmp_path, monkeypatch):
    corpus = random_corpus()
    one = cooccurrence(corpus, 5, workers=1)
    runs = []
    real = cooccur._assemble
    monkeypatch.setattr(cooccur, "_assemble",
                        lambda pieces, *a: runs.append(len(pieces)) or real(pieces, *a))
    smallest = counting_memory(corpus, 5)
    for workers in (1, 2, 3):
        X = cooccurrence(corpus, 5, memory_limit=smallest, tmp_dir=tmp_path, workers=workers)
        assert np.array_equal(X.indptr, one.indptr)
        assert np.array_equal(X.indices, one.indices)
        assert np.array_equal(X.data, one.data)      # bit for bit
    assert min(runs) > 10                             # many runs were spilled and merged
    assert list(tmp_path.iterdir()) == []             # and removed


def test_memory_limit_too_small_is_a_clear_error_and_writes_nothing(tmp_path):
    corpus = random_corpus()
    smallest = counting_memory(corpus, 5)
    with pytest.raises(ValueError, match="too small to hold one chunk"):
        cooccurrence(corpus, 5, memory_limit=smallest - 1, tmp_dir=tmp_path)
    assert list(tmp_path.iterdir()) == []
    cooccurrence(corpus, 5, memory_limit=smallest, tmp_dir=tmp_path)


def test_spill_files_are_removed_when_counting_fails(tmp_path, monkeypatch):
    corpus = random_corpus()
    calls = []
    real = cooccur.count_rows

    def failing(*args):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real(*args)

    monkeypatch.setattr(cooccur, "count_rows", failing)
    with pytest.raises(KeyboardInterrupt):
        cooccurrence(corpus, 5, memory_limit=counting_memory(corpus, 5), tmp_dir=tmp_path,
                     workers=1)
    assert list(tmp_path.iterdir()) == []


def test_sentences_are_not_crossed():
    corpus = Corpus.from_sentences([["a", "b"], ["c", "d"]], min_count=1)
    d = as_dict(cooccurrence(corpus, 10, weighting="uniform"), corpus)
    assert d == {("a", "b"): 1, ("b", "a"): 1, ("c", "d"): 1, ("d", "c"): 1}


def test_a_word_meets_itself_at_a_distance():
    corpus = Corpus.from_sentences([["it", "is", "what", "it", "is"]], min_count=1)
    d = as_dict(cooccurrence(corpus, 3), corpus)
    assert d[("it", "it")] == pytest.approx(2 / 3)       # distance 3, counted from both ends
    assert d[("is", "is")] == pytest.approx(2 / 3)


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(window=0), ValueError, "window must be"),
    (dict(window=2.5), TypeError, "window must be an integer"),
    (dict(weighting="gaussian"), ValueError, "weighting must be one of"),
    (dict(memory_limit="lots"), ValueError, "memory_limit must be"),
    (dict(memory_limit=0), ValueError, "memory_limit must be"),
    (dict(workers=0), ValueError, "workers must be"),
    (dict(tmp_dir="/nonexistent/embedlib"), FileNotFoundError, "tmp_dir"),
])
def test_bad_parameters(kwargs, error, match):
    with pytest.raises(error, match=match):
        cooccurrence(winter_corpus(), **kwargs)


def test_only_an_encoded_corpus():
    with pytest.raises(TypeError, match="Corpus"):
        cooccurrence([WINTER])


def test_parse_memory():
    assert parse_memory(1000) == 1000
    assert parse_memory("512M") == 512 << 20
    assert parse_memory("1.5GB") == 3 << 29
    assert parse_memory("4g") == 4 << 30
    for bad in ("", "-1G", "4X", True, 0):
        with pytest.raises((ValueError, TypeError)):
            parse_memory(bad)


def test_check_cooccurrence():
    X = check_cooccurrence(np.array([[0, 2.0], [2.0, 0]]))
    assert sp.isspmatrix_csr(X) and X.nnz == 2 and X.dtype == np.float64
    with pytest.raises(ValueError, match="square"):
        check_cooccurrence(np.ones((2, 3)))
    with pytest.raises(ValueError, match="empty"):
        check_cooccurrence(sp.csr_matrix((0, 0)))
    with pytest.raises(ValueError, match="all zeros"):
        check_cooccurrence(sp.csr_matrix((3, 3)))
    with pytest.raises(ValueError, match="negative"):
        check_cooccurrence(np.array([[1.0, -1.0], [0, 1]]))
    with pytest.raises(ValueError, match="non-finite"):
        check_cooccurrence(np.array([[np.nan, 1.0], [0, 1]]))

"""Queries that have no answer are errors, and vectors that are not finite never show up
in an answer: no arbitrary words at cosine 0, no NaN scores, no numpy warning."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from embedlib import formats
from embedlib.embeddings import Embeddings
from embedlib.evaluation import evaluate_analogies, evaluate_similarity


@pytest.fixture(autouse=True)
def no_warnings():
    """Any warning (numpy's RuntimeWarning on 0/0 or inf/inf above all) fails the test."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


def with_bad_rows():
    """Eight random words, and "nan", "inf" and "zero" at rows 2, 5 and 7."""
    rng = np.random.default_rng(0)
    words = ["a", "b", "nan", "c", "d", "inf", "e", "zero", "f", "g"]
    vectors = rng.standard_normal((10, 4))
    vectors[2, 1] = np.nan
    vectors[5] = [np.inf, 1, 2, -np.inf]
    vectors[7] = 0.0
    return Embeddings(words, vectors)


# ---------------------------------------------------------------------------- not finite
def test_rows_that_are_not_finite_are_left_out_of_every_result():
    emb = with_bad_rows()
    unit = emb.normalized()
    assert np.isfinite(unit).all() and not unit[[2, 5, 7]].any()
    for query in ("a", ["a", "b"], "g"):
        got = [w for w, _ in emb.most_similar(query, topn=20)]
        assert "nan" not in got and "inf" not in got and len(got) == 10 - 2 - len(
            [query] if isinstance(query, str) else query)
    scores = emb.most_similar("a", topn=None)
    assert np.isnan(scores[[2, 5]]).all() and np.isfinite(np.delete(scores, [2, 5])).all()
    for method in ("add", "mul"):
        got = [w for w, _ in emb.analogy("a", "b", "c", method=method, topn=20)]
        assert {"nan", "inf"}.isdisjoint(got) and len(got) == 5
    cosmul = [w for w, _ in emb.most_similar_cosmul(["a", "b"], ["c"], topn=20)]
    assert {"nan", "inf"}.isdisjoint(cosmul) and len(cosmul) == 5
    assert {"nan", "inf"}.isdisjoint(emb.closer_than("a", "zero"))
    rows = emb._solve_analogies(np.zeros(6, int), np.ones(6, int), np.arange(3, 9) % 5 + 3,
                                method="add")
    assert not set(rows.tolist()) & {2, 5}


@pytest.mark.parametrize("call", [
    lambda e: e.most_similar("nan"),
    lambda e: e.most_similar(["a"], ["inf"]),
    lambda e: e.similarity("a", "nan"),
    lambda e: e.analogy("a", "inf", "b"),
    lambda e: e.most_similar_cosmul(["a", "nan"]),
    lambda e: e.get_vector("inf", norm=True),
    lambda e: e.distances("nan"),
    lambda e: e.n_similarity(["a", "nan"], ["b"]),
    lambda e: e.doesnt_match(["a", "b", "inf"]),
])
def test_a_query_word_that_is_not_finite_is_an_error_naming_it(call):
    with pytest.raises(ValueError, match=r"word '(nan|inf)' \(row [25]\) has NaN or infinite"):
        call(with_bad_rows())


def test_evaluators_treat_words_that_are_not_finite_as_unknown(tmp_path):
    emb = with_bad_rows()
    r = evaluate_similarity(emb, [("a", "b", 1.0), ("a", "nan", 2.0), ("inf", "c", 3.0),
                                  ("c", "d", 4.0), ("d", "zero", 5.0)])
    assert (r.n_found, r.n_pairs) == (3, 5) and not math.isnan(r.spearman)
    (tmp_path / "q.txt").write_text(": s\na b c d\na b nan d\nINF a b c\n")
    r = evaluate_analogies(emb, tmp_path / "q.txt")
    assert (r.n_attempted, r.n_total) == (1, 3)


def test_an_all_nan_file_scores_nothing(tmp_path):
    """An all-NaN file used to score 10% on analogies where the real vectors score 0%."""
    rng = np.random.default_rng(1)
    words = [f"w{i}" for i in range(40)]
    path = tmp_path / "nan.txt"
    Embeddings(words, np.full((40, 3), np.nan)).save(path)
    with pytest.raises(ValueError, match=r"nan\.txt, line 2 \(word 'w0'\): value 1 is nan"):
        Embeddings.load(path)
    with pytest.warns(formats.NonFiniteWarning, match="40 words"):
        emb = Embeddings.load(path, nonfinite="warn")
    questions = [" ".join(rng.choice(words, 4, replace=False)) for _ in range(30)]
    (tmp_path / "q.txt").write_text(": s\n" + "\n".join(questions) + "\n")
    r = evaluate_analogies(emb, tmp_path / "q.txt")
    assert r.n_attempted == 0 and r.n_correct == 0 and math.isnan(r.accuracy)
    s = evaluate_similarity(emb, [("w1", "w2", 1.0), ("w3", "w4", 2.0), ("w5", "w6", 3.0)])
    assert s.n_found == 0 and math.isnan(s.spearman)
    with pytest.raises(ValueError, match="NaN or infinite"):
        emb.most_similar("w1")


# ---------------------------------------------------------------------------- no direction
@pytest.mark.parametrize("call, match", [
    (lambda e: e.most_similar("a", "a"), "query vector is zero: 'a' is both positive and neg"),
    (lambda e: e.most_similar(["a", "b"], ["b", "a"]), "'(a|b)' is both positive and negative"),
    (lambda e: e.most_similar([("a", 2.0)], [("a", -2.0)]), "zero"),  # -2.0 as given: adds
    (lambda e: e.most_similar(np.zeros(4)), "query vector is zero"),
    (lambda e: e.most_similar(["a", np.zeros(4)]), "query vector is zero"),
    (lambda e: e.most_similar([e.get_vector("a", norm=True)], ["a"]), "zero: its terms cancel"),
    (lambda e: e.most_similar("zero"), r"word 'zero' \(row 7\) has an all-zero vector"),
    (lambda e: e.similar_by_vector(np.zeros(4)), "query vector is zero"),
    (lambda e: e.analogy("zero", "a", "b"), "all-zero vector"),
    (lambda e: e.most_similar_cosmul("a", "a"), "'a' is both positive and negative"),
    (lambda e: e.most_similar_cosmul(np.zeros(4)), "query vector is zero"),
    (lambda e: e.most_similar_cosmul([], ["a"]), "at least one positive word"),
    (lambda e: e.distances(np.zeros(4)), "query vector is zero"),
    (lambda e: e.n_similarity(["a"], []), "ws2 is empty"),
    (lambda e: e.n_similarity(["zero"], ["a"]), "mean vector of a list is zero"),
    (lambda e: e.most_similar(np.full(4, np.nan)), "query vector has NaN"),
])
def test_queries_without_direction_are_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call(with_bad_rows())


def test_weights_cancel_and_opposite_words_in_doesnt_match():
    emb = Embeddings(["a", "b", "c"], [[1.0, 0.0], [-1.0, 0.0], [0.0, 1.0]])
    with pytest.raises(ValueError, match="zero: 'a' is both"):
        emb.most_similar([("a", 1.0), ("a", -1.0)])
    with pytest.raises(ValueError, match="add up to zero"):
        emb.doesnt_match(["a", "b"])
    assert emb.doesnt_match(["a", "b", "c"]) in ("a", "b")


def test_zero_rows_keep_their_documented_cosine_of_zero():
    emb = with_bad_rows()
    assert emb.similarity("a", "zero") == 0.0 and emb.distance("a", "zero") == 1.0
    assert dict(emb.most_similar("a", topn=20))["zero"] == 0.0
    assert emb.distances("a", ["zero"]).tolist() == [1.0]
    assert emb.cosine_similarities(np.zeros(4), emb.vectors[:2]).tolist() == [0.0, 0.0]


# ---------------------------------------------------------------------------- arguments
@pytest.mark.parametrize("pairs, error, match", [
    ([("a", "b")], ValueError, r"pair 0 is \('a', 'b'\); expected a \(word1, word2, score\)"),
    ([("a", "b", 1.0), "abc"], ValueError, "pair 1 is 'abc'"),
    ([("a", "b", "high")], ValueError, "the score 'high' is not a number"),
    ([("a", "b", float("nan"))], ValueError, "the score is not finite"),
    ([], ValueError, "no word pairs in the given pairs"),
    (42, TypeError, "path_or_pairs must be a path or an iterable"),
])
def test_word_pairs_given_in_python_are_checked(pairs, error, match):
    with pytest.raises(error, match=match):
        evaluate_similarity(with_bad_rows(), pairs)


@pytest.mark.parametrize("positive, match", [
    ([("a", "b")], "query items must be words, row numbers, vectors or"),
    ([2.5], "query items must be words or vectors, got 2.5"),
    ([{"a"}], "query items must be words, row numbers, vectors"),
])
def test_query_items_that_are_not_terms(positive, match):
    with pytest.raises(TypeError, match=match):
        with_bad_rows().most_similar(positive)

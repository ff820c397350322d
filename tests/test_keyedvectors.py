"""gensim's KeyedVectors API on Embeddings: every method against gensim's KeyedVectors
loaded from the same file (same neighbours, scores to float tolerance), and the
conversions both ways."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from embedlib.embeddings import Embeddings

gensim_models = pytest.importorskip("gensim.models", reason="gensim (test extra) is the "
                                    "reference")
KeyedVectors = gensim_models.KeyedVectors

N, D = 400, 16


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    """(ours, gensim's) from one word2vec binary file: clustered random vectors with
    counts, so that neighbours are not all at one distance."""
    rng = np.random.default_rng(42)
    centers = rng.standard_normal((20, D))
    vectors = (centers[rng.integers(0, 20, N)] + 0.7 * rng.standard_normal((N, D)))
    words = [f"w{i}" for i in range(N)]
    words[5], words[6] = "King", "queen"
    path = tmp_path_factory.mktemp("kv") / "v.bin"
    Embeddings(words, vectors.astype(np.float32)).save(path)
    return Embeddings.load(path), KeyedVectors.load_word2vec_format(str(path), binary=True)


def same_results(ours, theirs, atol=1e-6):
    assert [w for w, _ in ours] == [w for w, _ in theirs]
    np.testing.assert_allclose([s for _, s in ours], [s for _, s in theirs], atol=atol)


# ---------------------------------------------------------------------------- lookup
def test_lookup_names(pair):
    emb, kv = pair
    assert list(emb.index_to_key) == kv.index_to_key
    assert emb.key_to_index == kv.key_to_index
    assert emb.vector_size == kv.vector_size == D and len(emb) == len(kv)
    for key in ("w7", 7, np.int64(7), "King"):
        np.testing.assert_array_equal(emb[key], kv[key])
        np.testing.assert_array_equal(emb.get_vector(key), kv.get_vector(key))
        np.testing.assert_allclose(emb.get_vector(key, norm=True), kv.get_vector(key, norm=True),
                                   atol=1e-7)
        assert emb.get_index(key) == kv.get_index(key)
    for keys in (["w1", "w2"], [3, "w9", 0], ("w4",), ["w3", "w8"]):
        np.testing.assert_array_equal(emb[keys], kv[keys])
    np.testing.assert_array_equal(emb[iter(["w3", "w8"])], kv[["w3", "w8"]])
    for key in ("w3", 3, N - 1, N, -1, "nope"):
        assert emb.has_index_for(key) == kv.has_index_for(key), key
    assert not emb.has_index_for(True)  # gensim takes True for row 1
    assert emb.get_index("nope", default=-1) == kv.get_index("nope", default=-1) == -1
    assert not emb.get_vector("w1").flags.writeable
    with pytest.raises(KeyError, match=f"row {N} out of range"):
        emb[N]


def test_case_hint_for_a_word_in_another_case(pair):
    emb, _ = pair
    with pytest.raises(KeyError, match="words are case-sensitive, and 'King' is in the vocab"):
        emb["king"]
    with pytest.raises(KeyError, match="'QUEEN' not in vocabulary; .*'queen' is in the"):
        emb.most_similar("QUEEN")
    with pytest.raises(KeyError) as info:
        emb["nowhere"]
    assert "case" not in str(info.value)


# ---------------------------------------------------------------------------- most_similar
@pytest.mark.parametrize("positive, negative", [
    (["w1"], []),
    (["w2", "w9"], ["w30"]),
    ([("w2", 2.0), ("w9", 0.5)], []),                     # weighted words
    (["w2"], [("w30", 1.5)]),                             # a pair keeps its weight, as given
    ([("w3", -1.0), "w8"], ["w11"]),
    ([3, 8], [11]),                                        # row numbers are keys
    ("w4", "w7"),                                          # one word, not a list
])
def test_most_similar_matches_gensim(pair, positive, negative):
    emb, kv = pair
    for restrict in (None, 150):
        same_results(emb.most_similar(positive, negative, topn=10, restrict_vocab=restrict),
                     kv.most_similar(positive, negative, topn=10, restrict_vocab=restrict))


def test_one_weighted_word_is_a_query_too(pair):
    emb, kv = pair  # gensim needs the list: [("w4", 2.0)]
    same_results(emb.most_similar(("w4", 2.0)), kv.most_similar([("w4", 2.0)]))
    same_results(emb.most_similar(("w4", 2.0)), emb.most_similar("w4"))


def test_vectors_as_queries_are_used_as_given(pair):
    emb, kv = pair
    v = np.random.default_rng(0).standard_normal(D).astype(np.float32) * 3.0
    for positive, negative in ([[v], []], [["w1", v], []], [[("w1", 2.0), (v, 0.5)], ["w2"]],
                               [["w1"], [v]]):
        same_results(emb.most_similar(positive, negative), kv.most_similar(positive, negative))
    same_results(emb.similar_by_vector(v, topn=7), kv.similar_by_vector(v, topn=7))
    np.testing.assert_allclose(emb.most_similar(v, topn=None), kv.most_similar(v, topn=None),
                               atol=1e-6)


def test_similar_by_word_and_key(pair):
    emb, kv = pair
    same_results(emb.similar_by_word("w10", topn=5), kv.similar_by_word("w10", topn=5))
    same_results(emb.similar_by_key(10, topn=5, restrict_vocab=50),
                 kv.similar_by_key(10, topn=5, restrict_vocab=50))
    np.testing.assert_allclose(emb.similar_by_word("w10", topn=None),
                               kv.similar_by_word("w10", topn=None), atol=1e-6)


def test_most_similar_cosmul_matches_gensim(pair):
    emb, kv = pair
    for positive, negative in ((["w1"], []), (["w2", "w9"], ["w30"]), ("w4", "w7"),
                               (["w7", "w8"], ["w9", "w10"])):
        same_results(emb.most_similar_cosmul(positive, negative, topn=10),
                     kv.most_similar_cosmul(positive, negative, topn=10))
        np.testing.assert_allclose(emb.most_similar_cosmul(positive, negative, topn=None),
                                   kv.most_similar_cosmul(positive, negative, topn=None),
                                   rtol=1e-5)
    unit = kv.get_vector("w3", norm=True)  # a unit vector: gensim's convention agrees
    same_results(emb.most_similar_cosmul([unit], ["w4"]), kv.most_similar_cosmul([unit], ["w4"]))


def test_most_similar_cosmul_restrict_vocab(pair):
    emb, _ = pair
    full = emb.most_similar_cosmul(["w2", "w9"], ["w30"], topn=None)
    got = emb.most_similar_cosmul(["w2", "w9"], ["w30"], topn=5, restrict_vocab=100)
    best = [i for i in np.argsort(-full[:100]) if i not in (2, 9, 30)][:5]
    assert [w for w, _ in got] == [emb.words[i] for i in best]
    np.testing.assert_allclose([s for _, s in got], full[best])


# ---------------------------------------------------------------------------- the others
def test_doesnt_match_n_similarity_distances_rank(pair):
    emb, kv = pair
    for words in (["w1", "w2", "w3", "w40"], ["w100", "King", "queen", "w7", "w8"]):
        assert emb.doesnt_match(words) == kv.doesnt_match(words)
    for ws1, ws2 in ((["w1", "w2"], ["w3"]), (["w4"], ["w4"]), (["w15", "w16", "w7"], ["w8", "w9"])):
        assert emb.n_similarity(ws1, ws2) == pytest.approx(kv.n_similarity(ws1, ws2), abs=1e-6)
    assert emb.distance("w1", "w2") == pytest.approx(kv.distance("w1", "w2"), abs=1e-6)
    np.testing.assert_allclose(emb.distances("w1"), kv.distances("w1"), atol=1e-6)
    np.testing.assert_allclose(emb.distances("w1", ["w2", "w3", "w1"]),
                               kv.distances("w1", ["w2", "w3", "w1"]), atol=1e-6)
    v = emb["w12"] * 2
    np.testing.assert_allclose(emb.distances(v, ["w2", "w12"]), kv.distances(v, ["w2", "w12"]),
                               atol=1e-6)
    np.testing.assert_allclose(Embeddings.cosine_similarities(v, emb.vectors[:20]),
                               KeyedVectors.cosine_similarities(v, kv.vectors[:20]), atol=1e-6)
    for a, b in (("w1", "w2"), ("w10", "w300"), ("w3", "w3")):
        assert emb.rank(a, b) == kv.rank(a, b)
        assert emb.closer_than(a, b) == kv.closer_than(a, b)


def test_doesnt_match_leaves_out_unknown_words_with_a_warning(pair):
    emb, kv = pair
    with pytest.warns(UserWarning, match="leaving out .*'zzz'") as rec:
        assert emb.doesnt_match(["w1", "zzz", "w2", "w90"]) == kv.doesnt_match(["w1", "w2", "w90"])
    assert rec[0].filename == __file__
    with pytest.raises(ValueError, match="at least one word"), pytest.warns(UserWarning):
        emb.doesnt_match(["zzz"])


def test_get_vecattr_counts(tmp_path):
    emb = Embeddings(["a", "b"], np.eye(2), counts=[7, 3])
    kv = emb.to_gensim()
    assert emb.get_vecattr("b", "count") == kv.get_vecattr("b", "count") == 3
    with pytest.raises(KeyError, match="no counts"):
        Embeddings(["a"], np.ones((1, 2))).get_vecattr("a", "count")


# ---------------------------------------------------------------------------- evaluation
def test_evaluate_word_pairs_matches_gensim(pair, tmp_path):
    emb, kv = pair
    rng = np.random.default_rng(3)
    lines = ["# word1\tword2\tscore"]
    for _ in range(80):
        a, b = rng.integers(0, N, 2)
        lines.append(f"w{a}\tw{b}\t{rng.uniform(0, 10):.2f}")
    lines += ["KING\tw3\t4.0", "w1\tabsent\t2.0", "queen\tw9\t7.5"]
    (tmp_path / "pairs.tsv").write_text("\n".join(lines) + "\n")
    for kwargs in ({}, {"restrict_vocab": 200}, {"case_insensitive": False},
                   {"dummy4unknown": True}):
        (p, pp), (s, sp), oov = emb.evaluate_word_pairs(tmp_path / "pairs.tsv", **kwargs)
        (gp, gpp), (gs, gsp), goov = kv.evaluate_word_pairs(str(tmp_path / "pairs.tsv"), **kwargs)
        assert p == pytest.approx(gp, abs=1e-6) and s == pytest.approx(gs, abs=1e-9)
        assert pp == pytest.approx(gpp, rel=1e-4) and sp == pytest.approx(gsp, rel=1e-6)
        assert oov == pytest.approx(goov)
        assert 0 < oov < 100


def analogy_file(emb, path, rng):
    """Questions over the words, with answers that 3CosAdd finds often but not always."""
    lines = []
    for section in ("first", "second"):
        lines.append(f": {section}")
        for _ in range(60):
            a, b, c = (emb.words[i] for i in rng.choice(150, 3, replace=False))
            best = emb.analogy(a, b, c, topn=3)
            d = best[int(rng.integers(0, 2))][0] if rng.random() < 0.7 else f"w{rng.integers(N)}"
            lines.append(f"{a} {b} {c} {d}")
    lines.append("w1 w2 w3 unknownword")
    path.write_text("\n".join(lines) + "\n")


def test_evaluate_word_analogies_matches_gensim(pair, tmp_path):
    emb, kv = pair
    analogy_file(emb, tmp_path / "q.txt", np.random.default_rng(4))
    for kwargs in ({}, {"restrict_vocab": 120}, {"case_insensitive": False},
                   {"dummy4unknown": True}):
        score, sections = emb.evaluate_word_analogies(tmp_path / "q.txt", **kwargs)
        gscore, gsections = kv.evaluate_word_analogies(str(tmp_path / "q.txt"), **kwargs)
        assert score == gscore and 0.2 < score < 0.9
        assert sections == gsections


def test_evaluate_word_analogies_with_cosmul_is_the_mul_method(pair, tmp_path):
    from embedlib.evaluation import evaluate_analogies

    emb, _ = pair
    analogy_file(emb, tmp_path / "q.txt", np.random.default_rng(5))
    score, sections = emb.evaluate_word_analogies(tmp_path / "q.txt",
                                                  similarity_function="most_similar_cosmul")
    result = evaluate_analogies(emb, tmp_path / "q.txt", method="mul")
    assert score == result.accuracy and len(sections[-1]["correct"]) == result.n_correct
    with pytest.raises(ValueError, match="similarity_function must be one of"):
        emb.evaluate_word_analogies(tmp_path / "q.txt", similarity_function="cosine")


# ---------------------------------------------------------------------------- conversion
def test_to_gensim_and_back(pair):
    emb, _ = pair
    counted = Embeddings(emb.words, emb.vectors, counts=np.arange(N, 0, -1))
    kv = counted.to_gensim()
    assert isinstance(kv, KeyedVectors) and kv.index_to_key == list(emb.words)
    np.testing.assert_array_equal(kv.vectors, emb.vectors)
    assert kv.get_vecattr("w3", "count") == N - 3
    same_results(emb.most_similar("w3"), kv.most_similar("w3"))
    kv.vectors[0] = 0.0  # a copy: ours stay as they were
    assert emb.vectors[0].any()
    back = Embeddings.from_gensim(kv)
    assert back.words == emb.words and back.counts.tolist() == counted.counts.tolist()
    np.testing.assert_array_equal(back.vectors[1:], emb.vectors[1:])


def test_from_a_gensim_word2vec_model_with_its_context_matrix():
    sentences = [["a", "b", "c", "d"], ["b", "c", "a"], ["d", "a", "b"]] * 20
    model = gensim_models.Word2Vec(sentences, vector_size=8, min_count=1, negative=5, seed=1,
                                   workers=1, epochs=2)
    emb = Embeddings.from_gensim(model)
    assert list(emb.words) == model.wv.index_to_key
    np.testing.assert_array_equal(emb.vectors, model.wv.vectors)
    np.testing.assert_array_equal(emb.context, model.syn1neg)
    assert emb.counts.tolist() == [model.wv.get_vecattr(w, "count") for w in emb.words]
    with pytest.raises(TypeError, match="from_gensim takes a gensim KeyedVectors"):
        Embeddings.from_gensim(np.zeros(3))
    kv = KeyedVectors(2)
    kv.add_vectors([1, 2], np.eye(2))
    with pytest.raises(TypeError, match=r"gensim key 1 \(row 0\) is not a str"):
        Embeddings.from_gensim(kv)


def test_to_gensim_without_gensim_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "gensim", None)
    monkeypatch.setitem(sys.modules, "gensim.models", None)
    with pytest.raises(ImportError, match=r"pip install 'embedlib\[gensim\]'"):
        Embeddings(["a"], np.ones((1, 2))).to_gensim()

"""The Embeddings type: validation, lookup, cosine queries, analogies, combinations."""

from __future__ import annotations

import numpy as np
import pytest

from embedlib.embeddings import COSMUL_EPSILON, Embeddings


def random_embeddings(n=50, d=8, seed=0, **extra):
    rng = np.random.default_rng(seed)
    return Embeddings([f"w{i}" for i in range(n)], rng.standard_normal((n, d)), **extra)


def unit(v):
    v = np.asarray(v, dtype=np.float64)
    return v / np.linalg.norm(v)


# ---------------------------------------------------------------------------- construction
def test_container_basics():
    vectors = np.asfortranarray(np.arange(12, dtype=np.float64).reshape(4, 3))
    emb = Embeddings(["a", "b", "c", "d"], vectors, counts=[4, 3, 2, 1])
    assert emb.words == ("a", "b", "c", "d") and isinstance(emb.words, tuple)
    assert emb.vectors.dtype == np.float32 and emb.vectors.flags.c_contiguous
    np.testing.assert_array_equal(emb.vectors, vectors)
    assert emb.counts.dtype == np.int64
    assert emb.index == {"a": 0, "b": 1, "c": 2, "d": 3}
    assert len(emb) == 4 and emb.vector_size == 3
    assert "c" in emb and "z" not in emb and ["unhashable"] not in emb
    assert list(emb) == ["a", "b", "c", "d"]
    assert emb.get_index("c") == 2
    np.testing.assert_array_equal(emb["b"], [3, 4, 5])
    np.testing.assert_array_equal(emb[["d", "a"]], [[9, 10, 11], [0, 1, 2]])
    assert emb.context is None and emb.bias is None and emb.context_bias is None
    assert "4 words" in repr(emb) and "3 dims" in repr(emb)


def test_unknown_word_error_names_the_word():
    emb = random_embeddings()
    with pytest.raises(KeyError, match="word 'foo' not in vocabulary"):
        emb["foo"]
    with pytest.raises(KeyError, match="'bar'"):
        emb[["w1", "bar"]]
    with pytest.raises(KeyError, match="'baz'"):
        emb.get_index("baz")
    with pytest.raises(KeyError, match="'qux'"):
        emb.similarity("w1", "qux")


def test_arrays_are_read_only():
    emb = random_embeddings(context=np.zeros((50, 8)))
    for a in (emb.vectors, emb.context, emb.normalized()):
        with pytest.raises(ValueError):
            a[0, 0] = 1.0


def test_duplicate_words_are_named():
    with pytest.raises(ValueError, match="duplicate word 'b'"):
        Embeddings(["a", "b", "c", "b"], np.zeros((4, 2)))


@pytest.mark.parametrize("kwargs,match", [
    (dict(words=["a", "b"], vectors=np.zeros((3, 2))), "vectors has 3 rows but there are 2 words"),
    (dict(words=["a", "b"], vectors=np.zeros(2)), "vectors must be a 2-D array"),
    (dict(words=["a", "b"], vectors=np.zeros((2, 0))), "at least one column"),
    (dict(words=["a", "b"], vectors=np.zeros((2, 3)), context=np.zeros((2, 4))),
     r"context must have the shape of vectors \(2, 3\)"),
    (dict(words=["a", "b"], vectors=np.zeros((2, 3)), counts=[1, 2, 3]), r"counts must have shape \(2,\)"),
    (dict(words=["a", "b"], vectors=np.zeros((2, 3)), counts=[1, -2]), "counts must be >= 0.*'b'"),
    (dict(words=["a", "b"], vectors=np.zeros((2, 3)), bias=np.zeros(3)), r"bias must have shape \(2,\)"),
    (dict(words=["a", "b"], vectors=np.zeros((2, 3)), context_bias=np.zeros((2, 1))),
     "context_bias must be a 1-D"),
])
def test_shape_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        Embeddings(**kwargs)


def test_type_errors():
    with pytest.raises(TypeError, match="single string"):
        Embeddings("abc", np.zeros((3, 2)))
    with pytest.raises(TypeError, match="words must be str.*position 1"):
        Embeddings(["a", 7], np.zeros((2, 2)))
    with pytest.raises(TypeError, match="vectors must be a real-valued array"):
        Embeddings(["a"], np.array([["x", "y"]]))
    with pytest.raises(TypeError, match="counts must be integers"):
        Embeddings(["a"], np.zeros((1, 2)), counts=[1.5])


# ---------------------------------------------------------------------------- cosine
def test_normalized_rows_are_unit_and_zero_rows_stay_zero():
    vectors = np.array([[3.0, 4.0], [0.0, 0.0], [-1e-20, 0.0], [1e20, 1e20]])
    emb = Embeddings(["a", "b", "c", "d"], vectors)
    u = emb.normalized()
    np.testing.assert_allclose(u, [[0.6, 0.8], [0, 0], [-1, 0], [2 ** -0.5, 2 ** -0.5]], rtol=1e-6)
    assert not np.isnan(u).any()
    assert emb.normalized() is u  # cached


def test_similarity():
    emb = Embeddings(["a", "b", "c", "z"], [[1.0, 0.0], [1.0, 1.0], [-2.0, 0.0], [0.0, 0.0]])
    assert emb.similarity("a", "b") == pytest.approx(2 ** -0.5)
    assert emb.similarity("a", "c") == pytest.approx(-1.0)
    assert emb.similarity("b", "b") == pytest.approx(1.0)
    assert emb.similarity("a", "z") == 0.0


def brute_most_similar(emb, positive, negative, topn, restrict=None):
    """Reference: one Python cosine per word."""
    target = sum(unit(emb[w]) for w in positive) - sum((unit(emb[w]) for w in negative), np.zeros(emb.vector_size))
    target = unit(target)
    n = restrict or len(emb)
    scores = [(w, float(unit(emb[w]) @ target)) for w in emb.words[:n]
              if w not in positive and w not in negative]
    scores.sort(key=lambda x: -x[1])
    return scores[:topn]


@pytest.mark.parametrize("positive,negative,restrict", [
    (["w3"], [], None), (["w3", "w7"], ["w1"], None), (["w10"], ["w2", "w4"], 20), (["w40"], [], 10)])
def test_most_similar_matches_brute_force(positive, negative, restrict):
    emb = random_embeddings()
    got = emb.most_similar(positive, negative, topn=7, restrict_vocab=restrict)
    want = brute_most_similar(emb, positive, negative, 7, restrict)
    assert [w for w, _ in got] == [w for w, _ in want]
    np.testing.assert_allclose([s for _, s in got], [s for _, s in want], rtol=1e-5, atol=1e-6)
    if restrict:
        assert all(emb.get_index(w) < restrict for w, _ in got)


def test_most_similar_inputs():
    emb = random_embeddings()
    assert emb.most_similar("w5", topn=3) == emb.most_similar(["w5"], topn=3)
    # a raw vector is a query too, and excludes nothing
    by_vector = emb.most_similar(emb["w5"] * 3.0, topn=3)
    assert by_vector[0][0] == "w5" and by_vector[0][1] == pytest.approx(1.0, abs=1e-6)
    assert [w for w, _ in by_vector[1:]] == [w for w, _ in emb.most_similar("w5", topn=2)]
    assert emb.most_similar("w5", topn=0) == []
    assert len(emb.most_similar("w5", topn=1000)) == 49
    all_scores = emb.most_similar("w5", topn=None)
    assert all_scores.shape == (50,) and all_scores[5] == pytest.approx(1.0, abs=1e-6)
    with pytest.raises(ValueError, match="at least one"):
        emb.most_similar([])
    with pytest.raises(ValueError, match="restrict_vocab"):
        emb.most_similar("w1", restrict_vocab=0)
    with pytest.raises(ValueError, match=r"shape \(8,\)"):
        emb.most_similar(np.zeros(3))


def test_most_similar_agrees_with_gensim():
    KeyedVectors = pytest.importorskip("gensim.models", reason="gensim (test extra) is the reference").KeyedVectors
    emb = random_embeddings(n=300, d=16, seed=5)
    kv = KeyedVectors(16)
    kv.add_vectors(list(emb.words), emb.vectors)
    for pos, neg, restrict in [(["w1"], [], None), (["w2", "w9"], ["w30"], None), (["w4"], ["w5"], 100)]:
        ours = emb.most_similar(pos, neg, topn=10, restrict_vocab=restrict)
        theirs = kv.most_similar(positive=pos, negative=neg, topn=10, restrict_vocab=restrict)
        assert [w for w, _ in ours] == [w for w, _ in theirs]
        np.testing.assert_allclose([s for _, s in ours], [s for _, s in theirs], atol=1e-6)


# ---------------------------------------------------------------------------- analogies
@pytest.mark.parametrize("method", ["add", "mul"])
def test_analogy_toy_answer(method, toy_embeddings):
    emb = toy_embeddings
    (best, score), = emb.analogy("man", "king", "woman", method=method)
    assert best == "queen"
    if method == "add":
        # on unit vectors the target is king/√2 - man + woman/√2 = (√2 - 1, 1/√2, 1/√2),
        # whose cosine with queen (1, 1, 1) is (√2 - 1 + √2) / (√3 · √(4 - 2√2)) = 0.97529
        want = (2 * 2 ** 0.5 - 1) / (3 ** 0.5 * (4 - 2 * 2 ** 0.5) ** 0.5)
        assert score == pytest.approx(want, abs=1e-6)
    (best, _), = emb.analogy("king", "man", "queen", method=method)
    assert best == "woman"


def test_analogy_excludes_question_words():
    # target b - a + c points straight at c, which must not be returned
    emb = Embeddings(["a", "b", "c", "x", "y"],
                     [[1, 0], [1, 0.01], [0, 1], [0.1, 1], [-1, 0]])
    got = emb.analogy("a", "b", "c", topn=5)
    assert [w for w, _ in got] == ["x", "y"]
    assert emb.most_similar(["b", "c"], ["a"], topn=1)[0][0] == "x"


def test_add_and_mul_can_disagree():
    """3CosMul dampens one dominating similarity (Levy & Goldberg 2014, section 4).

    Unit vectors in 2-D at angles: a = 90°, b = 0°, c = 60°; candidates x1 = 30°, x2 = 45°.
    3CosAdd scores cos(x,b) - cos(x,a) + cos(x,c):
      x1: cos30 - cos60 + cos30 = 1.232;  x2: cos45 - cos45 + cos15 = 0.966  -> x1.
    3CosMul with cos' = (cos+1)/2:
      x1: (0.933 * 0.933) / (0.75 + 1e-3) = 1.159;  x2: (0.854 * 0.983) / (0.854 + 1e-3) = 0.982 -> x1.
    Not a disagreement yet; add x3 = 10° for which cos(x,a) is small:
      add: cos10 - cos80 + cos50 = 0.985 - 0.174 + 0.643 = 1.454 -> x3
      mul: (0.992 * 0.821) / (0.587 + 1e-3) = 1.386 vs x1 1.159            -> x3
    Finally x4 = -30° (far from a):  add: 0.866 - (-0.5) + 0 = 1.366 (< x3)
      mul: (0.933 * 0.5) / (0.25 + 1e-3) = 1.859 (> x3)  -> add picks x3, mul picks x4.
    """
    deg = np.deg2rad
    angles = {"a": 90, "b": 0, "c": 60, "x1": 30, "x2": 45, "x3": 10, "x4": -30}
    emb = Embeddings(list(angles), [[np.cos(deg(t)), np.sin(deg(t))] for t in angles.values()])
    add = emb.analogy("a", "b", "c", method="add", topn=4)
    mul = emb.analogy("a", "b", "c", method="mul", topn=4)
    assert add[0][0] == "x3" and mul[0][0] == "x4"
    mul_scores = dict(mul)
    cos = lambda s, t: np.cos(deg(angles[s] - angles[t]))  # noqa: E731
    shifted = lambda s, t: (cos(s, t) + 1) / 2  # noqa: E731
    for x in ("x1", "x2", "x3", "x4"):
        want = shifted(x, "b") * shifted(x, "c") / (shifted(x, "a") + COSMUL_EPSILON)
        assert mul_scores[x] == pytest.approx(want, rel=1e-5)
    add_scores = dict(add)
    target = unit(emb["b"]) - unit(emb["a"]) + unit(emb["c"])
    for x in ("x1", "x2", "x3", "x4"):
        assert add_scores[x] == pytest.approx(unit(emb[x]) @ unit(target), abs=1e-6)


def brute_analogy(emb, a, b, c, method, n, groups=None):
    """Reference solver in float64, one candidate at a time."""
    u = emb.normalized().astype(np.float64)
    banned = {a, b, c} if groups is None else {r for r in range(n) if groups[r] in
                                               {groups[a], groups[b], groups[c]}}
    best, best_score = -1, -np.inf
    for x in range(n):
        if x in banned:
            continue
        cb, ca, cc = u[x] @ u[b], u[x] @ u[a], u[x] @ u[c]
        if method == "add":
            s = cb - ca + cc
        else:
            s = ((cb + 1) / 2) * ((cc + 1) / 2) / ((ca + 1) / 2 + COSMUL_EPSILON)
        if s > best_score:
            best, best_score = x, s
    return best


@pytest.mark.parametrize("method", ["add", "mul"])
@pytest.mark.parametrize("restrict", [None, 60])
def test_batched_solver_matches_reference_and_chunking(method, restrict):
    emb = random_embeddings(n=120, d=10, seed=7)
    n = restrict or len(emb)
    rng = np.random.default_rng(8)
    q = rng.integers(0, n, size=(40, 3))
    want = [brute_analogy(emb, a, b, c, method, n) for a, b, c in q]
    for max_elements in (10 ** 9, 3 * n, 1):  # one chunk, chunks of 3 questions, of 1
        got = emb._solve_analogies(q[:, 0], q[:, 1], q[:, 2], method=method,
                                   restrict_vocab=restrict, max_elements=max_elements)
        assert got.tolist() == want
    # the single-question API agrees
    for (a, b, c), w in zip(q[:10], want):
        (word, _), = emb.analogy(f"w{a}", f"w{b}", f"w{c}", method=method, restrict_vocab=restrict)
        assert word == f"w{w}"


def test_batched_solver_groups_exclude_variants():
    emb = random_embeddings(n=30, d=4, seed=9)
    groups = np.arange(30) // 3  # rows 3k, 3k+1, 3k+2 are "the same word"
    rng = np.random.default_rng(10)
    q = rng.choice(np.arange(0, 30, 3), size=(25, 3))
    got = emb._solve_analogies(q[:, 0], q[:, 1], q[:, 2], groups=groups)
    want = [brute_analogy(emb, a, b, c, "add", 30, groups) for a, b, c in q]
    assert got.tolist() == want
    for g, row in zip(got, q):
        assert groups[g] not in groups[row]


def test_batched_solver_with_no_candidate_left():
    emb = Embeddings(["a", "b", "c"], np.eye(3))
    assert emb._solve_analogies([0], [1], [2]).tolist() == [-1]
    assert emb.analogy("a", "b", "c", topn=3) == []


def test_analogy_argument_errors(toy_embeddings):
    emb = toy_embeddings
    with pytest.raises(ValueError, match="method must be one of"):
        emb.analogy("man", "king", "woman", method="cos")
    with pytest.raises(KeyError, match="'duke'"):
        emb.analogy("man", "duke", "woman")


# ---------------------------------------------------------------------------- combine
def test_combine():
    rng = np.random.default_rng(11)
    W, C = rng.standard_normal((5, 3)), rng.standard_normal((5, 3))
    emb = Embeddings(list("abcde"), W, C, counts=[5, 4, 3, 2, 1], bias=np.ones(5))
    W32, C32 = W.astype(np.float32), C.astype(np.float32)
    np.testing.assert_array_equal(emb.combine("W").vectors, W32)
    np.testing.assert_array_equal(emb.combine("C").vectors, C32)
    np.testing.assert_array_equal(emb.combine("W+C").vectors, W32 + C32)
    cat = emb.combine("concat")
    assert cat.vector_size == 6
    np.testing.assert_array_equal(cat.vectors[:, :3], W32)
    np.testing.assert_array_equal(cat.vectors[:, 3:], C32)
    for which in ("W", "C", "W+C", "concat"):
        out = emb.combine(which)
        assert out.words == emb.words and out.context is None and out.bias is None
        np.testing.assert_array_equal(out.counts, emb.counts)
    with pytest.raises(ValueError, match="which must be one of"):
        emb.combine("W-C")
    with pytest.raises(ValueError, match="needs the context matrix C.*none"):
        Embeddings(["a"], np.ones((1, 2))).combine("W+C")
    assert Embeddings(["a"], np.ones((1, 2))).combine("W").vector_size == 2

"""GloVe: the kernel's step against finite differences of J, training, outputs, bad input."""

import numpy as np
import pytest
import scipy.sparse as sp
from conftest import central_differences, topic_corpus, topic_precision

from embedlib import TrainingError
from embedlib import glove_kernels as K
from embedlib.glove import GloVe, weighting_function

V, d = 6, 5
EPS = 1e-6
RTOL = 1e-6  # central differences in float64: truncation ~EPS^2, rounding ~1e-16/EPS
NO_CLIP = 1e300
SLOTS = {"W": 0, "C": 1, "b": 2, "b_ctx": 3}  # where each parameter is in (Wg, Cg, bg, cg)


def params(seed, tied=False, random_accumulators=False):
    """Float64 parameters in the kernels' layout: (Wg, Cg, bg, cg)."""
    rng = np.random.default_rng(seed)

    def matrix():
        P = np.empty((V, 2, d))
        P[:, 0] = rng.normal(0, 0.5, (V, d))
        P[:, 1] = rng.uniform(1, 3, (V, d)) if random_accumulators else 1.0
        return P

    def biases():
        B = np.empty((V, 2))
        B[:, 0] = rng.normal(0, 0.5, V)
        B[:, 1] = rng.uniform(1, 3, V) if random_accumulators else 1.0
        return B

    Wg, bg = matrix(), biases()
    if tied:
        return Wg, Wg, bg, bg
    return Wg, matrix(), bg, biases()


def copy(P, tied):
    Wg, Cg, bg, cg = (a.copy() for a in P)
    return (Wg, Wg, bg, bg) if tied else (Wg, Cg, bg, cg)


def term_cost(P, i, j, log_x, f_x, tied):
    """½ f (w_i·c_j + b_i + b_ctx_j - log x)² from the kernel, at eta = 0 (nothing moves)."""
    return K.glove_update(*copy(P, tied), i, j, log_x, f_x, 0.0, NO_CLIP, tied)


def numerical_gradient(P, i, j, log_x, f_x, tied):
    """Central differences of the term's cost with respect to every parameter."""
    def cost_with(slot):
        def cost(values):
            Q = copy(P, tied)
            Q[slot][:, 0] = values
            return term_cost(Q, i, j, log_x, f_x, tied)
        return cost

    names = ("W", "b") if tied else ("W", "C", "b", "b_ctx")
    return {name: central_differences(cost_with(SLOTS[name]), P[SLOTS[name]][:, 0], EPS)
            for name in names}


def analytic_gradient(P, i, j, log_x, f_x, tied):
    """The gradient the module docstring states, for comparison with both."""
    W, C, b, bc = P[0][:, 0], P[1][:, 0], P[2][:, 0], P[3][:, 0]
    e = W[i] @ C[j] + b[i] + bc[j] - log_x
    g = {k: np.zeros_like(v) for k, v in (("W", W), ("C", C), ("b", b), ("b_ctx", bc))}
    g["W"][i] += f_x * e * C[j]
    g["C"][j] += f_x * e * W[i]
    g["b"][i] += f_x * e
    g["b_ctx"][j] += f_x * e
    if tied:
        return {"W": g["W"] + g["C"], "b": g["b"] + g["b_ctx"]}
    return g


CASES = [(1, 2, False), (3, 3, False), (1, 2, True), (4, 4, True)]


@pytest.mark.parametrize("i, j, tied", CASES)
def test_first_step_is_eta_times_the_gradient_of_half_J(i, j, tied):
    P = params(seed=i + 10 * j, tied=tied)
    log_x, f_x, eta = np.log(7.0), 0.6, 1e-3
    num = numerical_gradient(P, i, j, log_x, f_x, tied)
    ana = analytic_gradient(P, i, j, log_x, f_x, tied)
    Q = copy(P, tied)
    cost = K.glove_update(*Q, i, j, log_x, f_x, eta, NO_CLIP, tied)
    assert cost == pytest.approx(term_cost(P, i, j, log_x, f_x, tied), rel=1e-15)
    for name, g in num.items():
        np.testing.assert_allclose(ana[name], g, rtol=RTOL, atol=1e-9)
        before, after = P[SLOTS[name]], Q[SLOTS[name]]
        step = (before[:, 0] - after[:, 0]) / eta            # accumulators were 1
        np.testing.assert_allclose(step, g, rtol=RTOL, atol=1e-9)
        np.testing.assert_allclose(after[:, 1], 1 + (eta * g) ** 2, rtol=1e-12)


@pytest.mark.parametrize("i, j, tied", CASES)
def test_later_steps_divide_by_the_root_of_the_accumulator(i, j, tied):
    P = params(seed=5 + i, tied=tied, random_accumulators=True)
    log_x, f_x, eta = np.log(3.0), 1.0, 1e-2
    num = numerical_gradient(P, i, j, log_x, f_x, tied)
    Q = copy(P, tied)
    K.glove_update(*Q, i, j, log_x, f_x, eta, NO_CLIP, tied)
    for name, g in num.items():
        before, after = P[SLOTS[name]], Q[SLOTS[name]]
        np.testing.assert_allclose(before[:, 0] - after[:, 0],
                                   eta * g / np.sqrt(before[:, 1]), rtol=RTOL, atol=1e-11)
        np.testing.assert_allclose(after[:, 1], before[:, 1] + (eta * g) ** 2, rtol=1e-12)


def test_gradient_components_are_clipped():
    P = params(seed=0)
    log_x, f_x, eta, clip = np.log(50.0), 1.0, 0.1, 1e-3
    g = analytic_gradient(P, 1, 2, log_x, f_x, False)
    Q = copy(P, False)
    K.glove_update(*Q, 1, 2, log_x, f_x, eta, clip, False)
    for slot, name in enumerate(("W", "C", "b", "b_ctx")):
        np.testing.assert_allclose(P[slot][:, 0] - Q[slot][:, 0],
                                   eta * np.clip(g[name], -clip, clip), rtol=1e-12, atol=1e-15)


def test_train_share_is_the_steps_in_order():
    P = params(seed=1)
    rec = np.zeros(4, K.record_dtype(np.float64))
    rec["i"], rec["j"] = [0, 1, 2, 1], [1, 0, 2, 3]
    rec["log_x"], rec["f_x"] = np.log([2.0, 2.0, 5.0, 1.0]), [0.3, 0.3, 0.8, 0.1]
    order = np.array([2, 0, 3, 1], np.int32)
    Q, R = copy(P, False), copy(P, False)
    total = K.train_share(K.Params(*Q), rec, order, 0, 4, K.Step(0.05, 100.0, False))
    expect = sum(K.glove_update(*R, r["i"], r["j"], r["log_x"], r["f_x"], 0.05, 100.0, False)
                 for r in rec[order])
    assert total == pytest.approx(expect, rel=1e-12)
    for a, b in zip(Q, R):
        np.testing.assert_allclose(a, b, rtol=1e-12)


def test_shuffle_buckets_permutes_each_bucket_and_is_seeded():
    starts = np.array([0, 100, 400, 1000])
    a = np.arange(1000, dtype=np.int32)
    K.shuffle_buckets(a, starts, 1, 3, 7)          # buckets 1 and 2; bucket 0 untouched
    assert np.array_equal(a[:100], np.arange(100))
    for lo, hi in ((100, 400), (400, 1000)):
        assert sorted(a[lo:hi]) == list(range(lo, hi))
        assert not np.array_equal(a[lo:hi], np.arange(lo, hi))
    b = np.arange(1000, dtype=np.int32)
    K.shuffle_buckets(b, starts, 1, 3, 7)
    assert np.array_equal(a, b)


def test_deal_and_gather_split_into_buckets():
    n, nb = 5000, 7
    src = np.arange(n, dtype=np.int32)[::-1].copy()
    bucket = np.empty(n, np.uint8)
    counts = np.zeros(nb, np.int64)
    K.deal(bucket, 0, n, nb, 3, counts)
    assert counts.sum() == n and np.array_equal(counts, np.bincount(bucket, minlength=nb))
    starts = np.concatenate([[0], np.cumsum(counts)])
    cursor, dst = starts[:-1].copy(), np.empty_like(src)
    K.gather(src, bucket, 0, n, cursor, dst)
    for b in range(nb):     # bucket b holds its elements, in their order in src
        assert np.array_equal(dst[starts[b]:starts[b + 1]], src[bucket == b])


# ------------------------------------------------------------------------ training
def test_cost_decreases_and_neighbours_land_in_the_planted_topic(planted):
    topics, corpus = planted
    model = GloVe(vector_size=16, window=5, epochs=15, workers=1, x_max=10, verbose=False)
    model.fit(corpus)
    costs = model.cost_history_
    assert len(costs) == 15 and all(np.isfinite(costs))
    assert all(b < a for a, b in zip(costs[:8], costs[1:8]))   # falls fast, then
    assert costs[-1] < costs[0] / 1000 and costs[-1] <= min(costs) * 1.01  # stays at its floor
    assert topic_precision(model.wv, topics) > 0.9
    h = model.history_[-1]
    assert h.updates == model.cooccurrence_.nnz and h.updates_per_sec > 0 and h.loss == h.cost
    assert h.cpu_seconds >= 0


def test_epoch_cost_is_glove_c_normalization():
    """With a vanishing learning rate the epoch cost is J / (2 nnz) at the initial parameters."""
    _, corpus = topic_corpus(n_sentences=100)
    model = GloVe(vector_size=8, epochs=1, eta=1e-12, workers=1, verbose=False).fit(corpus)
    nnz = model.cooccurrence_.nnz
    assert model.history_[0].cost == pytest.approx(model.cost() / (2 * nnz), rel=1e-5)


def test_cost_is_the_papers_J():
    X = sp.csr_matrix(np.array([[0, 3.0, 150.0], [3.0, 1.0, 0], [150.0, 0, 2.0]]))
    model = GloVe(vector_size=3, epochs=2, workers=1, verbose=False).fit(X, vocab=list("abc"))
    W, C = model.W_.astype(np.float64), model.C_.astype(np.float64)
    b, bc = model.b_.astype(np.float64), model.b_ctx_.astype(np.float64)
    Xc = X.tocoo()
    e = np.einsum("kd,kd->k", W[Xc.row], C[Xc.col]) + b[Xc.row] + bc[Xc.col] - np.log(Xc.data)
    J = np.sum(weighting_function(Xc.data, 100.0, 0.75) * e ** 2)
    assert model.cost() == pytest.approx(J, rel=1e-12)
    assert model.cost(X * 2) != pytest.approx(J)


def test_one_worker_and_a_seed_reproduce_bit_for_bit(planted):
    _, corpus = planted
    kw = dict(vector_size=12, epochs=3, workers=1, verbose=False)
    a = GloVe(seed=7, **kw).fit(corpus)
    b = GloVe(seed=7, **kw).fit(corpus)
    c = GloVe(seed=8, **kw).fit(corpus)
    assert np.array_equal(a.W_, b.W_) and np.array_equal(a.C_, b.C_)
    assert np.array_equal(a.b_, b.b_) and np.array_equal(a.b_ctx_, b.b_ctx_)
    assert a.cost_history_ == b.cost_history_
    assert not np.array_equal(a.W_, c.W_)


def test_several_workers_train_as_well(planted):
    topics, corpus = planted
    one = GloVe(vector_size=16, window=5, epochs=10, workers=1, x_max=10, verbose=False)
    three = GloVe(vector_size=16, window=5, epochs=10, workers=3, x_max=10, verbose=False)
    one.fit(corpus)
    three.fit(corpus)
    assert three.cost_history_[-1] == pytest.approx(one.cost_history_[-1], rel=0.2)
    assert topic_precision(three.wv, topics) > 0.9


@pytest.mark.parametrize("workers, bucket", [(3, 1 << 15), (3, 50), (1, 50)])
def test_the_order_is_a_fresh_permutation_each_epoch(monkeypatch, workers, bucket):
    """Every nonzero is visited exactly once per epoch, in an order that changes."""
    from embedlib import _glove_train, glove
    monkeypatch.setattr(_glove_train, "_BUCKET", bucket)   # 50: many buckets per thread
    seen = []
    real = K.train_share

    def spy(params, records, order, start, stop, *rest):
        seen.append(order[start:stop].copy())
        return real(params, records, order, start, stop, *rest)

    monkeypatch.setattr(glove.K, "train_share", spy)
    X = sp.random(60, 60, density=0.5, random_state=1, format="csr") * 10
    words = [str(i) for i in range(60)]
    GloVe(vector_size=4, epochs=2, workers=workers, verbose=False).fit(X, vocab=words)
    n = X.nnz
    visited = np.concatenate(seen)
    assert len(visited) == 2 * n
    first, second = visited[:n], visited[n:]
    assert sorted(first) == list(range(n)) and sorted(second) == list(range(n))
    assert not np.array_equal(first, second)


def test_outputs_and_biases(planted):
    _, corpus = planted
    model = GloVe(vector_size=8, epochs=2, workers=1, verbose=False).fit(corpus)
    wv = model.wv
    np.testing.assert_array_equal(wv.vectors, model.W_ + model.C_)
    np.testing.assert_array_equal(wv.bias, model.b_)
    np.testing.assert_array_equal(wv.context_bias, model.b_ctx_)
    assert wv.words == corpus.vocab.words
    np.testing.assert_array_equal(wv.counts, corpus.vocab.counts)
    W = model.vectors("W")
    np.testing.assert_array_equal(W.vectors, model.W_)
    np.testing.assert_array_equal(W.context, model.C_)
    np.testing.assert_array_equal(W.combine("W+C").vectors, wv.vectors)
    np.testing.assert_array_equal(model.vectors("C").vectors, model.C_)
    assert model.vectors("concat").vector_size == 16
    assert GloVe(output="W", vector_size=8, epochs=1, workers=1, verbose=False).fit(
        corpus).wv.vector_size == 8


def test_tied_has_one_matrix_and_one_bias(planted):
    topics, corpus = planted
    model = GloVe(vector_size=16, window=5, epochs=10, workers=1, tied=True, x_max=10,
                  verbose=False).fit(corpus)
    assert np.shares_memory(model.W_, model.C_) and np.array_equal(model.W_, model.C_)
    assert np.array_equal(model.b_, model.b_ctx_)
    assert all(np.isfinite(model.cost_history_))
    assert model.cost_history_[-1] < model.cost_history_[0]


def test_fit_on_a_path_and_callbacks(tmp_path, planted):
    _, corpus = planted
    path = tmp_path / "c.txt"
    path.write_text("\n".join(" ".join(s) for s in corpus))
    calls = []
    model = GloVe(vector_size=4, epochs=3, workers=2, min_count=1, verbose=True,
                  callbacks=[lambda m, s: calls.append((s.epoch, m.wv.vector_size))])
    model.fit(str(path))
    assert calls == [(1, 4), (2, 4), (3, 4)]
    assert model.vocab.words == corpus.vocab.words


def test_fit_on_dense_and_sparse_arrays():
    X = np.array([[0, 3.0, 1.0], [3.0, 2.0, 0.5], [1.0, 0.5, 0]])
    kw = dict(vector_size=3, epochs=2, workers=1, verbose=False)
    a = GloVe(**kw).fit(X, vocab=["x", "y", "z"])
    b = GloVe(**kw).fit(sp.csr_array(X), vocab=("x", "y", "z"))
    assert np.array_equal(a.W_, b.W_) and a.wv.words == ("x", "y", "z") and a.vocab is None


def test_divergence_is_a_clear_error_and_leaves_the_model_unfitted(planted):
    _, corpus = planted
    model = GloVe(vector_size=8, epochs=3, eta=1e3, workers=1, verbose=False)
    with pytest.raises(TrainingError, match="smaller learning rate"):
        model.fit(corpus)
    with pytest.raises(AttributeError, match="not fitted"):
        model.wv
    with pytest.raises(TrainingError, match="eta=100"):
        GloVe(vector_size=8, epochs=3, eta=1e3, clip=1e30, workers=2, verbose=False).fit(corpus)


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(x_max=0), ValueError, "x_max must be > 0"),
    (dict(x_max=-5.0), ValueError, "x_max must be > 0"),
    (dict(alpha=-0.1), ValueError, "alpha must be"),
    (dict(eta=0), ValueError, "eta must be > 0"),
    (dict(window=0), ValueError, "window must be"),
    (dict(vector_size=0), ValueError, "vector_size must be"),
    (dict(epochs=0), ValueError, "epochs must be"),
    (dict(workers=0), ValueError, "workers must be"),
    (dict(clip=0), ValueError, "clip must be > 0"),
    (dict(output="W~"), ValueError, "output must be one of"),
    (dict(weighting="none"), ValueError, "weighting must be one of"),
    (dict(x_max=float("nan")), ValueError, "x_max must be"),
    (dict(callbacks=[3]), TypeError, "callback"),
])
def test_bad_parameters(kwargs, error, match):
    with pytest.raises(error, match=match):
        GloVe(**kwargs)


@pytest.mark.parametrize("X, vocab, error, match", [
    (sp.csr_matrix((3, 3)), list("abc"), ValueError, "all zeros"),
    (sp.csr_matrix((0, 0)), [], ValueError, "empty"),
    (np.ones((2, 3)), list("ab"), ValueError, "square"),
    (-np.ones((2, 2)), list("ab"), ValueError, "negative"),
    (np.ones((2, 2)), list("abc"), ValueError, "3 words but the matrix has 2 rows"),
    (np.ones((2, 2)), None, TypeError, "needs vocab"),
])
def test_bad_matrices(X, vocab, error, match):
    model = GloVe(vector_size=2, epochs=1, verbose=False)
    with pytest.raises(error, match=match):
        model.fit(X, vocab=vocab)
    assert not hasattr(model, "words_")      # nothing half-done


def test_unfitted_model():
    with pytest.raises(AttributeError, match="not fitted"):
        GloVe().wv
    with pytest.raises(AttributeError, match="not fitted"):
        GloVe().cost()

import numpy as np
import pytest
from conftest import topic_precision

from embedlib import CorpusError, TrainingError, Word2Vec

PLANTED = dict(n_topics=5, n_sentences=1500)  # the planted fixture's corpus (conftest)


@pytest.mark.parametrize("sg", [1, 0])
@pytest.mark.parametrize("softmax", [False, True])
def test_neighbours_land_in_the_planted_topic(planted, sg, softmax):
    topics, corpus = planted
    model = Word2Vec(sg=sg, softmax=softmax, vector_size=20, window=4, sample=0, epochs=5,
                     workers=1, seed=3, verbose=False).fit(corpus)
    assert topic_precision(model.wv, topics) > 0.95
    losses = model.loss_history_
    assert len(losses) == 5 and all(np.isfinite(losses))
    assert losses[-1] < losses[0]


@pytest.mark.parametrize("sg", [1, 0])
def test_one_worker_and_a_seed_reproduce_bit_for_bit(planted, sg):
    _, corpus = planted
    kw = dict(sg=sg, vector_size=16, epochs=2, workers=1, verbose=False, batch_words=500)
    a = Word2Vec(seed=7, **kw).fit(corpus)
    b = Word2Vec(seed=7, **kw).fit(corpus)
    c = Word2Vec(seed=8, **kw).fit(corpus)
    assert np.array_equal(a.wv.vectors, b.wv.vectors)
    assert np.array_equal(a.wv.context, b.wv.context)
    assert a.loss_history_ == b.loss_history_
    assert not np.array_equal(a.wv.vectors, c.wv.vectors)


def test_several_workers_reach_the_same_quality_and_loss(planted):
    topics, corpus = planted
    kw = dict(sg=1, vector_size=20, window=4, sample=0, epochs=5, seed=3, verbose=False,
              batch_words=1000)
    one = Word2Vec(workers=1, **kw).fit(corpus)
    two = Word2Vec(workers=2, **kw).fit(corpus)
    assert topic_precision(two.wv, topics) > 0.95
    # the loss is a mean per example, whatever the number of workers
    assert two.history_[0].examples == pytest.approx(one.history_[0].examples, rel=0.02)
    np.testing.assert_allclose(two.loss_history_, one.loss_history_, rtol=0.03)


def test_tied_model_has_one_matrix(planted):
    _, corpus = planted
    model = Word2Vec(sg=1, tied=True, vector_size=10, epochs=1, workers=1,
                     verbose=False).fit(corpus)
    assert model.wv.context is None
    assert np.isfinite(model.loss_history_[0])


def test_loss_per_example_matches_its_definition_at_initialization():
    """With C = 0 every score is 0, so each term of an example costs log 2. An example has
    the positive term and k noise terms, less the draws that hit the center word and are
    skipped (probability 1/V for V equally frequent words)."""
    rng = np.random.default_rng(0)
    words = [f"w{i}" for i in range(20)]
    sents = [list(rng.permutation(words)) for _ in range(500)]
    k = 3
    model = Word2Vec(sg=1, negative=k, vector_size=8, alpha=1e-9, min_alpha=1e-9, epochs=1,
                     sample=0, min_count=1, workers=1, verbose=False).fit(sents)
    expected = np.log(2) * (1 + k * (1 - 1 / len(words)))
    assert model.loss_history_[0] == pytest.approx(expected, rel=0.01)
    assert model.history_[0].examples > 0


def test_epoch_callbacks_and_history(planted):
    _, corpus = planted
    seen = []

    class Recorder:
        def on_epoch_end(self, model, stats):
            seen.append(("obj", stats.epoch, model.wv.vectors.shape))

    model = Word2Vec(vector_size=8, epochs=3, workers=1, verbose=False,
                     callbacks=[lambda m, s: seen.append(("fn", s.epoch, s.loss)), Recorder()])
    model.fit(corpus)
    assert [e[:2] for e in seen] == [("fn", 1), ("obj", 1), ("fn", 2), ("obj", 2), ("fn", 3),
                                     ("obj", 3)]
    h = model.history_
    assert [s.epoch for s in h] == [1, 2, 3]
    assert all(s.words == corpus.n_tokens for s in h)
    assert h[-1].alpha_end == pytest.approx(model.min_alpha)


def test_progress_bar_only_when_verbose(planted, capsys):
    _, corpus = planted
    Word2Vec(vector_size=8, epochs=1, workers=1, verbose=False).fit(corpus)
    assert capsys.readouterr().err == ""
    Word2Vec(vector_size=8, epochs=1, workers=1, verbose=True).fit(corpus)
    err = capsys.readouterr().err
    assert "word2vec" in err and "loss" in err


def test_progress_bar_shows_no_loss_when_it_is_not_computed(planted, capsys):
    _, corpus = planted
    Word2Vec(vector_size=8, epochs=2, workers=1, compute_loss=False, verbose=True).fit(corpus)
    err = capsys.readouterr().err
    assert "epoch=2" in err and "loss" not in err and "nan" not in err


def test_defaults_follow_the_c_tool():
    assert Word2Vec(sg=1).learning_rate == 0.025
    assert Word2Vec(sg=0).learning_rate == 0.05
    assert Word2Vec(sg=0, alpha=0.01).learning_rate == 0.01


def test_initialization(planted):
    _, corpus = planted
    m = Word2Vec(vector_size=10, epochs=1, workers=1, verbose=False)
    m._init_weights(len(corpus.vocab))
    W = m._W[:, :10]
    assert m._W.dtype == np.float32 and np.abs(W).max() <= 0.5 / 10 and W.std() > 0.02
    assert np.all(m._C == 0)
    # rows padded to whole cache lines, with zeros
    assert m._W.shape[1] == 16 and m._W.ctypes.data % 64 == 0 and np.all(m._W[:, 10:] == 0)


def test_padding_stays_zero_and_is_not_exported(planted):
    _, corpus = planted
    m = Word2Vec(sg=1, vector_size=10, epochs=1, workers=1, verbose=False).fit(corpus)
    assert np.all(m._W[:, 10:] == 0) and np.all(m._C[:, 10:] == 0)
    assert m.wv.vectors.shape == (len(corpus.vocab), 10)
    np.testing.assert_array_equal(m.wv.vectors, m._W[:, :10])


@pytest.mark.parametrize("kw,msg", [
    (dict(vector_size=0), "vector_size"), (dict(window=0), "window"),
    (dict(negative=0), "negative"), (dict(sample=-1e-3), "sample"),
    (dict(alpha=0), "alpha"), (dict(alpha=float("nan")), "alpha"),
    (dict(alpha=0.01, min_alpha=0.1), "min_alpha"), (dict(epochs=0), "epochs"),
    (dict(workers=0), "workers"), (dict(sg=2), "sg"), (dict(min_count=0), "min_count"),
    (dict(subsample_formula="x"), "subsample_formula"), (dict(vector_size=10.5), "vector_size"),
    (dict(callbacks=[42]), "callback"),
])
def test_bad_parameters_name_the_parameter(kw, msg):
    with pytest.raises((ValueError, TypeError), match=msg):
        Word2Vec(**kw)


def test_corpus_errors_surface_from_fit(tmp_path):
    with pytest.raises(FileNotFoundError):
        Word2Vec(verbose=False).fit(tmp_path / "missing.txt")
    with pytest.raises(CorpusError, match="min_count"):
        Word2Vec(min_count=100, verbose=False).fit([["a", "b"]] * 3)


def test_divergence_is_reported():
    sents = [["a", "b", "c", "d", "e"] * 4] * 200
    with pytest.raises(TrainingError, match="smaller alpha"):
        Word2Vec(sg=1, alpha=10, min_alpha=10, sample=0, min_count=1, vector_size=8,
                 epochs=3, workers=1, verbose=False).fit(sents)


@pytest.mark.parametrize("every", [False, True])
@pytest.mark.parametrize("sg,tied,hs", [(1, False, 0), (0, False, 0), (1, True, 0),
                                        (1, False, 1), (0, False, 1)])
def test_private_hot_rows_merge_back_exactly(planted, sg, tied, hs, every):
    """A thread that trains private copies of the hot rows (and hot inner nodes) and adds
    their change back at the end of each job computes what it would have computed on the
    shared rows (with one thread nothing else writes them): the same vectors up to
    rounding. ``every``: as many hot rows as ``hot_rows`` allows, V - 1 (every inner node
    of the tree)."""
    from embedlib.huffman import huffman_tree

    _, corpus = planted
    n_hot = len(corpus.vocab) - 1 if every else 10

    def train(hot):
        m = Word2Vec(sg=sg, tied=tied, hs=hs, negative=0 if hs else 5, vector_size=12,
                     epochs=2, workers=1, verbose=False, batch_words=700)
        m.vocab_ = corpus.vocab
        m.tree_ = huffman_tree(corpus.vocab.counts) if hs else None
        plan = m._plan(corpus)
        m._init_weights(len(corpus.vocab), extra_rows=hot)
        m._train(corpus, plan, hot)
        return m

    shared, private = train(0), train(n_hot)
    assert private.wv.vectors.shape == shared.wv.vectors.shape
    np.testing.assert_allclose(private.wv.vectors, shared.wv.vectors, rtol=1e-4, atol=1e-5)
    if not (tied or hs):
        np.testing.assert_allclose(private.wv.context, shared.wv.context, rtol=1e-4,
                                   atol=1e-5)
    if hs:
        np.testing.assert_allclose(private.syn1_, shared.syn1_, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(private.loss_history_, shared.loss_history_, rtol=1e-5)


def test_how_many_rows_are_private():
    """Up to HOT_ROWS words (all but one of a small vocabulary) when an epoch has many jobs;
    a sixteenth of the vocabulary when it has few; none with one thread or the full
    softmax; fewer per thread with many threads."""
    from embedlib.word2vec import HOT_MIN_JOBS, HOT_ROWS, hot_rows

    many = 2 * HOT_MIN_JOBS
    assert hot_rows(2, 28191, many) == HOT_ROWS
    assert hot_rows(2, 1035, many) == 1034
    assert hot_rows(2, 1035, many - 1) == 1035 // 16
    assert hot_rows(2, 28191, many - 1) == 256
    assert hot_rows(1, 28191, many) == hot_rows(2, 28191, many, softmax=True) == 0
    assert hot_rows(16, 28191, 16 * HOT_MIN_JOBS) == 512
    assert hot_rows(64, 28191, 64 * HOT_MIN_JOBS) == 256
    assert hot_rows(2, 1, many) == 0


@pytest.mark.parametrize("sg", [1, 0])
def test_two_workers_with_every_row_private(planted, sg):
    """Jobs of 50 tokens give 300 an epoch, enough for every row but one to be private to
    each thread (merged after every job): the run learns the topics and ends at the loss
    of one worker."""
    topics, corpus = planted
    kw = dict(sg=sg, vector_size=20, window=4, sample=0, epochs=5, seed=3, verbose=False,
              batch_words=50)
    two = Word2Vec(workers=2, **kw)
    plan, hot = two._schedule(corpus)
    assert hot == len(corpus.vocab) - 1
    two.fit(corpus)
    one = Word2Vec(workers=1, **kw).fit(corpus)
    assert topic_precision(two.wv, topics) > 0.95
    np.testing.assert_allclose(two.loss_history_, one.loss_history_, rtol=0.03)


# ---------------------------------------------------------------- hierarchical softmax
@pytest.mark.parametrize("sg", [1, 0])
@pytest.mark.parametrize("negative", [0, 5])
def test_hierarchical_softmax_learns_the_planted_topics(planted, sg, negative):
    topics, corpus = planted
    model = Word2Vec(sg=sg, hs=1, negative=negative, vector_size=20, window=4, sample=0,
                     epochs=5, workers=1, seed=3, verbose=False).fit(corpus)
    assert topic_precision(model.wv, topics) > 0.95
    losses = model.loss_history_
    assert all(np.isfinite(losses)) and losses[-1] < losses[0]
    V = len(corpus.vocab)
    assert model.syn1_.shape == (V - 1, 20) and model.tree_.n_words == V
    assert np.abs(model.syn1_).max() > 0.1            # the tree's vectors were trained
    if negative:
        assert model.C_.shape == (V, 20) and np.abs(model.C_).max() > 0.1
    else:
        assert model.C_ is None and model.wv.context is None
    np.testing.assert_array_equal(model.wv.syn1, model.syn1_)


def test_hierarchical_softmax_probabilities_sum_to_one_and_find_the_topic(planted):
    """From the trained syn1 and the tree: p(w | h) sums to 1 over the vocabulary, and a
    word's row puts most of the mass on the words of its topic (the input is a context
    word, the output the center, as the kernels train them)."""
    from embedlib.huffman import hs_log_probabilities

    topics, corpus = planted
    model = Word2Vec(sg=1, hs=1, negative=0, vector_size=20, window=4, sample=0, epochs=5,
                     workers=1, seed=3, verbose=False).fit(corpus)
    index = corpus.vocab.index
    for words in topics:
        for w in words[:3]:
            p = np.exp(hs_log_probabilities(model.W_[index[w]], model.syn1_, model.tree_))
            assert p.sum() == pytest.approx(1.0, abs=1e-9)
            assert p[[index[x] for x in words]].sum() > 0.8
    # CBOW's input is the mean of the context rows
    model = Word2Vec(sg=0, hs=1, negative=0, vector_size=20, window=4, sample=0, epochs=5,
                     workers=1, seed=3, verbose=False).fit(corpus)
    words = topics[1]
    h = model.W_[[index[x] for x in words[:4]]].mean(axis=0)
    p = np.exp(hs_log_probabilities(h, model.syn1_, model.tree_))
    assert p.sum() == pytest.approx(1.0, abs=1e-9)
    assert p[[index[x] for x in words]].sum() > 0.8


@pytest.mark.parametrize("sg,negative", [(1, 0), (0, 0), (1, 3)])
def test_hierarchical_softmax_one_worker_reproduces_bit_for_bit(planted, sg, negative):
    _, corpus = planted
    kw = dict(sg=sg, hs=1, negative=negative, vector_size=16, epochs=2, workers=1,
              verbose=False, batch_words=500)
    a = Word2Vec(seed=7, **kw).fit(corpus)
    b = Word2Vec(seed=7, **kw).fit(corpus)
    c = Word2Vec(seed=8, **kw).fit(corpus)
    assert np.array_equal(a.W_, b.W_) and np.array_equal(a.syn1_, b.syn1_)
    assert a.loss_history_ == b.loss_history_
    assert not np.array_equal(a.W_, c.W_)


@pytest.mark.parametrize("sg", [1, 0])
def test_hierarchical_softmax_with_several_workers(planted, sg):
    topics, corpus = planted
    kw = dict(sg=sg, hs=1, negative=0, vector_size=20, window=4, sample=0, epochs=5, seed=3,
              verbose=False, batch_words=1000)
    one = Word2Vec(workers=1, **kw).fit(corpus)
    two = Word2Vec(workers=2, **kw).fit(corpus)
    assert topic_precision(two.wv, topics) > 0.95
    np.testing.assert_allclose(two.loss_history_, one.loss_history_, rtol=0.03)
    # the private copies of the hot rows were merged back; their rows are not exported
    assert two.syn1_.shape == one.syn1_.shape
    assert np.all(two._S[:, 20:] == 0) and np.all(two._W[:, 20:] == 0)


def test_hierarchical_softmax_vectors_in_npz(planted, tmp_path):
    from embedlib import Embeddings

    _, corpus = planted
    model = Word2Vec(sg=1, hs=1, negative=0, vector_size=8, epochs=1, workers=1,
                     verbose=False).fit(corpus)
    model.wv.save(tmp_path / "v.npz")
    back = Embeddings.load(tmp_path / "v.npz")
    np.testing.assert_array_equal(back.syn1, model.syn1_)
    assert back.context is None
    with pytest.raises(ValueError, match="syn1 must have one row per inner node"):
        Embeddings(back.words, back.vectors, syn1=back.syn1[:-1])


@pytest.mark.parametrize("kw,msg", [
    (dict(hs=1, softmax=True), "choose one"), (dict(hs=2), "hs"),
    (dict(negative=0, hs=0), "no output layer"),
])
def test_bad_hierarchical_softmax_parameters(kw, msg):
    with pytest.raises((ValueError, TypeError), match=msg):
        Word2Vec(**kw)

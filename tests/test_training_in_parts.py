"""Models that keep training: build_vocab / train beside fit, save / load in between, and
what training past the plan or on another corpus does."""

import numpy as np
import pytest
import scipy.sparse as sp

from embedlib import Corpus, CorpusError, Embeddings, GloVe, NotFittedError, TrainingError
from embedlib import Word2Vec

PLANTED = dict(n_topics=4, n_sentences=600)

W2V_CASES = [dict(sg=1), dict(sg=0), dict(sg=1, hs=1, negative=0),
             dict(sg=0, hs=1, negative=3, tied=True), dict(sg=1, tied=True, sample=1e-2)]


def w2v(**kw):
    base = dict(vector_size=12, epochs=6, workers=1, seed=4, verbose=False, batch_words=700)
    return Word2Vec(**dict(base, **kw))


@pytest.mark.parametrize("kw", W2V_CASES)
def test_word2vec_in_parts_through_a_file_is_one_fit(planted, tmp_path, kw):
    """epochs=6: train 3, save, load, train 3 gives the vectors, losses and learning rates
    of fit, bit for bit."""
    _, corpus = planted
    whole = w2v(**kw).fit(corpus)
    first = w2v(**kw).build_vocab(corpus)
    assert first.epochs_trained_ == 0 and first.history_ == []
    first.train(corpus, epochs=3)
    assert first.epochs_trained_ == 3 and 0 < first.alpha_reached_ < first.learning_rate
    first.save(tmp_path / "model.npz")
    second = Word2Vec.load(tmp_path / "model.npz")
    assert second.get_params() == first.get_params()
    assert second.vocab_.words == corpus.vocab.words
    np.testing.assert_array_equal(second.vocab_.counts, corpus.vocab.counts)
    assert second.epochs_trained_ == 3 and second.alpha_reached_ == first.alpha_reached_
    np.testing.assert_array_equal(second.W_, first.W_)
    second.train(corpus, epochs=3)
    assert np.array_equal(second.W_, whole.W_)
    if whole.C_ is not None:
        assert np.array_equal(second.C_, whole.C_)
    if kw.get("hs"):
        assert np.array_equal(second.syn1_, whole.syn1_)
    assert second.loss_history_ == whole.loss_history_
    assert [s.alpha_end for s in second.history_] == [s.alpha_end for s in whole.history_]
    assert [s.epoch for s in second.history_] == list(range(1, 7))


def test_train_runs_the_planned_epochs_left_by_default(planted):
    _, corpus = planted
    whole = w2v().fit(corpus)
    parts = w2v().build_vocab(corpus).train(corpus, epochs=2).train(corpus)
    assert parts.epochs_trained_ == 6 and np.array_equal(parts.W_, whole.W_)
    with pytest.raises(ValueError, match="all 6 planned epochs are done; pass epochs="):
        parts.train(corpus)


def test_past_the_plan_the_rate_stays_at_min_alpha(planted):
    """With min_alpha=0 an epoch past the plan moves nothing; with min_alpha > 0 it trains
    at that rate."""
    _, corpus = planted
    model = w2v(epochs=2, min_alpha=0.0).fit(corpus)
    before = model.W_.copy()
    model.train(corpus, epochs=1)
    np.testing.assert_array_equal(model.W_, before)
    assert model.epochs_trained_ == 3 and model.history_[-1].alpha_end == 0.0
    assert str(model.history_[-1]).startswith("epoch 3/3:")
    model = w2v(epochs=2, min_alpha=1e-3).fit(corpus)
    before = model.W_.copy()
    model.train(corpus, epochs=2)
    assert not np.array_equal(model.W_, before)
    assert [s.alpha_end for s in model.history_[2:]] == [1e-3, 1e-3]


def test_a_new_corpus_keeps_the_vocabulary_and_drops_unknown_words(planted, tmp_path):
    topics, corpus = planted
    model = w2v(sg=1, epochs=1).fit(corpus)
    words = model.vocab_.words
    other = [["unknown", topics[0][0], "words", topics[0][1]] * 3] * 50
    before = model.W_.copy()
    model.train(other, epochs=1)
    assert model.vocab_.words == words and model.epochs_trained_ == 2
    changed = np.flatnonzero(np.any(model.W_ != before, axis=1))
    assert set(model.vocab_.words[i] for i in changed) == set(topics[0][:2])
    # a Corpus with a vocabulary of its own is re-encoded with the model's
    own = Corpus.from_sentences(other, min_count=1)
    model.train(own, epochs=1)
    assert model.history_[-1].words == 50 * 6
    path = tmp_path / "new.txt"
    path.write_text("only unseen tokens here\n")
    with pytest.raises(CorpusError, match="no token is in the given vocabulary"):
        model.train(path, epochs=1)
    assert model.epochs_trained_ == 3


def test_train_rereads_a_changed_file_and_not_an_unchanged_one(tmp_path, monkeypatch):
    reads = []
    from_file = Corpus.from_file.__func__
    monkeypatch.setattr(Corpus, "from_file", classmethod(
        lambda cls, *a, **kw: reads.append(a[0]) or from_file(cls, *a, **kw)))
    path = tmp_path / "c.txt"
    path.write_text("a b c d e f\n" * 50)
    model = w2v(min_count=1, epochs=1).build_vocab(path)
    model.train(path)                     # what build_vocab read
    assert model.history_[-1].words == 300 and len(reads) == 1
    model.train(path, epochs=1)           # read again (the encoding is not kept)
    assert len(reads) == 2
    path.write_text("a b c\n" * 40)
    model.train(path, epochs=1)
    assert model.history_[-1].words == 120 and len(reads) == 3
    model = w2v(min_count=1, epochs=1).build_vocab(path)
    path.write_text("a b\n" * 30)         # changed after build_vocab: read again
    model.train(path)
    assert model.history_[-1].words == 60 and len(reads) == 5


def test_train_needs_a_vocabulary_and_the_same_shapes(planted):
    _, corpus = planted
    with pytest.raises(NotFittedError, match="build_vocab"):
        w2v().train(corpus)
    model = w2v().build_vocab(corpus)
    model.set_params(vector_size=20)
    with pytest.raises(ValueError, match="vector_size changed"):
        model.train(corpus, epochs=1)
    model.set_params(vector_size=12, hs=1)
    with pytest.raises(ValueError, match="hs changed"):
        model.train(corpus, epochs=1)
    model.set_params(hs=0, window=2, epochs=3)        # these may change
    model.train(corpus)
    assert model.epochs_trained_ == 3
    with pytest.raises(ValueError, match="epochs"):
        model.train(corpus, epochs=0)


def test_an_interrupted_train_keeps_the_whole_epochs(planted):
    _, corpus = planted

    def stop(model, stats):
        if stats.epoch == 4:
            raise KeyboardInterrupt

    model = w2v(callbacks=[stop]).build_vocab(corpus).train(corpus, epochs=2)
    with pytest.raises(KeyboardInterrupt):
        model.train(corpus, epochs=3)
    assert model.epochs_trained_ == 4 and len(model.history_) == 4
    assert np.isfinite(model.W_).all()


def test_divergence_in_train_leaves_the_model_unfitted():
    sents = [["a", "b", "c", "d", "e"] * 4] * 200
    model = Word2Vec(sg=1, min_count=1, vector_size=8, epochs=3, sample=0, workers=1,
                     verbose=False).build_vocab(sents)
    model.set_params(alpha=10, min_alpha=10)
    with pytest.raises(TrainingError):
        model.train(sents)
    with pytest.raises(NotFittedError):
        model.W_


def test_a_model_file_holds_vectors_too(planted, tmp_path):
    _, corpus = planted
    model = w2v(hs=1).fit(corpus)
    model.save(tmp_path / "m.npz")
    emb = Embeddings.load(tmp_path / "m.npz")
    np.testing.assert_array_equal(emb.vectors, model.W_)
    np.testing.assert_array_equal(emb.context, model.C_)
    np.testing.assert_array_equal(emb.syn1, model.syn1_)
    np.testing.assert_array_equal(emb.counts, model.vocab_.counts)
    with np.load(tmp_path / "m.npz", allow_pickle=False) as data:
        assert "model" in data.files        # and nothing that needs a pickle


def test_load_model_reads_either_model(planted, tmp_path):
    from embedlib import load_model

    _, corpus = planted
    w2v(epochs=1).fit(corpus).save(tmp_path / "w.npz")
    glove(epochs=1).fit(corpus).save(tmp_path / "g.npz")
    assert type(load_model(tmp_path / "w.npz")) is Word2Vec
    assert type(load_model(tmp_path / "g.npz")).__name__ == "GloVe"
    assert load_model(tmp_path / "g.npz").train(epochs=1).epochs_trained_ == 2


def test_loading_what_is_not_a_model(planted, tmp_path):
    _, corpus = planted
    with pytest.raises(FileNotFoundError, match="model file not found"):
        Word2Vec.load(tmp_path / "missing.npz")
    model = w2v(epochs=1).fit(corpus)
    model.wv.save(tmp_path / "vectors.npz")
    with pytest.raises(ValueError, match="vectors.npz: not a saved embedlib model.*Embeddings"):
        Word2Vec.load(tmp_path / "vectors.npz")
    (tmp_path / "junk.npz").write_bytes(b"not a zip file")
    with pytest.raises(ValueError, match="junk.npz: not a saved model"):
        Word2Vec.load(tmp_path / "junk.npz")
    GloVe(vector_size=4, epochs=1, min_count=1, verbose=False).fit(
        corpus).save(tmp_path / "glove.npz")
    with pytest.raises(ValueError, match="holds a GloVe model, not a Word2Vec"):
        Word2Vec.load(tmp_path / "glove.npz")
    with pytest.raises(NotFittedError):
        w2v().save(tmp_path / "unfitted.npz")
    assert not (tmp_path / "unfitted.npz").exists()
    # a file whose arrays do not fit its parameters names the array
    model.save(tmp_path / "m.npz")
    with np.load(tmp_path / "m.npz") as data:
        arrays = {k: data[k] for k in data.files}
    arrays["W"] = arrays["W"][:, :5]
    np.savez(tmp_path / "bad.npz", **arrays)
    with pytest.raises(ValueError, match="bad.npz: cannot restore the model: array 'W' has "
                                         "shape"):
        Word2Vec.load(tmp_path / "bad.npz")


# ---------------------------------------------------------------- GloVe
def glove(**kw):
    base = dict(vector_size=8, epochs=6, workers=1, seed=2, verbose=False, min_count=1,
                window=4)
    return GloVe(**dict(base, **kw))


@pytest.mark.parametrize("tied", [False, True])
def test_glove_in_parts_through_a_file_is_one_fit(planted, tmp_path, tied):
    _, corpus = planted
    whole = glove(tied=tied).fit(corpus)
    first = glove(tied=tied).build_vocab(corpus).train(epochs=2)
    first.save(tmp_path / "g.npz")
    second = GloVe.load(tmp_path / "g.npz")
    assert second.epochs_trained_ == 2 and second.words_ == whole.words_
    assert (second.cooccurrence_ != whole.cooccurrence_).nnz == 0
    second.train(epochs=4)
    for name in ("W_", "C_", "b_", "b_ctx_"):
        assert np.array_equal(getattr(second, name), getattr(whole, name)), name
    np.testing.assert_array_equal(second._params.Wg[:, 1], whole._params.Wg[:, 1])  # AdaGrad
    assert second.cost_history_ == whole.cost_history_


def test_glove_file_without_the_matrix(planted, tmp_path):
    _, corpus = planted
    model = glove(epochs=2).fit(corpus)
    X = model.cooccurrence_
    model.save(tmp_path / "small.npz", cooccurrence=False)
    model.save(tmp_path / "full.npz")
    assert (tmp_path / "small.npz").stat().st_size < (tmp_path / "full.npz").stat().st_size
    back = GloVe.load(tmp_path / "small.npz")
    with pytest.raises(ValueError, match="no co-occurrence matrix.*pass the data"):
        back.train(epochs=1)
    back.train(X, epochs=1)
    assert back.epochs_trained_ == 3
    with pytest.raises(ValueError, match="rows but the model has"):
        back.train(sp.csr_matrix(X[:5, :5]), epochs=1)
    # a corpus is counted with the model's vocabulary
    back.train(corpus, epochs=1)
    assert back.cooccurrence_.shape == X.shape and back.epochs_trained_ == 4


def test_glove_fit_on_a_matrix_with_words_saves_and_trains(tmp_path):
    X = sp.random(30, 30, density=0.3, random_state=0, format="csr") * 20 + 0
    X.data += 1.0
    model = glove(epochs=2).build_vocab(X, vocab=[f"w{i}" for i in range(30)])
    model.train(epochs=1).save(tmp_path / "m.npz")
    back = GloVe.load(tmp_path / "m.npz")
    assert back.vocab_ is None and back.words_ == model.words_
    with pytest.raises(TypeError, match="train it on a matrix"):
        back.train([["w1", "w2"]], epochs=1)
    with pytest.raises(NotFittedError, match="build_vocab"):
        glove().train(epochs=1)

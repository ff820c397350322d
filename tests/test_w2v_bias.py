"""Word2Vec with per-word biases (``bias=True``): the model, its vectors and its files.

The steps themselves are checked against finite differences in test_w2v_gradients.py;
here: what training with biases does to the model, tied and untied, skip-gram and CBOW,
negative sampling and the full softmax, with one worker and with the hot rows of two."""

import numpy as np
import pytest

from embedlib import Embeddings, ParameterError, Word2Vec

PLANTED = dict(n_topics=4, n_sentences=600)

OBJECTIVES = [dict(sg=1), dict(sg=0), dict(sg=1, softmax=True, negative=0),
              dict(sg=0, softmax=True, negative=0)]


def w2v(**kw):
    base = dict(vector_size=12, epochs=3, workers=1, seed=5, verbose=False, min_count=1,
                batch_words=700)
    return Word2Vec(**dict(base, **kw))


@pytest.mark.parametrize("tied", [False, True])
@pytest.mark.parametrize("kw", OBJECTIVES)
def test_biases_train_and_reach_the_vectors(planted, kw, tied):
    _, corpus = planted
    m = w2v(bias=True, tied=tied, **kw).fit(corpus)
    b, bc = m.b_, m.b_ctx_
    assert b.shape == bc.shape == (len(corpus.vocab),) and b.dtype == np.float32
    assert np.isfinite(b).all() and np.isfinite(bc).all()
    assert np.abs(bc).max() > 1e-3            # the context biases moved
    wv = m.wv
    np.testing.assert_array_equal(wv.bias, b)
    if tied:
        assert bc is b or np.shares_memory(bc, b)
        assert wv.context is None and wv.context_bias is None   # one vector, one bias a word
    else:
        np.testing.assert_array_equal(wv.context_bias, bc)
    if kw.get("softmax") and not tied:
        # the input word's bias adds the same constant to every score: the softmax cancels it
        assert not b.any()
    else:
        assert np.abs(b).max() > 1e-3


def test_without_bias_the_model_has_none(planted):
    _, corpus = planted
    m = w2v().fit(corpus)
    assert m.b_ is None and m.b_ctx_ is None
    assert m.wv.bias is None and m.wv.context_bias is None


@pytest.mark.parametrize("sg", [1, 0])
def test_biases_lower_the_loss_of_a_tied_model(planted, sg):
    """The control the book needs: a tied model with biases fits the planted corpus better
    than one without (its average pair no longer has to come from w_i.w_j alone)."""
    _, corpus = planted
    plain = w2v(sg=sg, tied=True, epochs=4).fit(corpus).loss_history_[-1]
    biased = w2v(sg=sg, tied=True, bias=True, epochs=4).fit(corpus).loss_history_[-1]
    assert biased < 0.9 * plain


@pytest.mark.parametrize("tied", [False, True])
def test_two_workers_merge_the_hot_biases(planted, tied):
    """With two threads the biases of the hot words are private copies merged after each
    job: the run ends near the one-thread run, and the hot words' biases moved."""
    _, corpus = planted
    one = w2v(sg=1, bias=True, tied=tied).fit(corpus)
    two = w2v(sg=1, bias=True, tied=tied, workers=2, batch_words=300).fit(corpus)
    assert two.loss_history_[-1] == pytest.approx(one.loss_history_[-1], rel=0.05)
    assert np.abs(two.b_[:2]).min() > 1e-3        # the most frequent words' (hot) biases
    np.testing.assert_allclose(two.b_, one.b_, atol=0.5)


def test_seeded_biased_runs_repeat_bit_for_bit(planted):
    _, corpus = planted
    a, b = (w2v(sg=0, bias=True).fit(corpus) for _ in range(2))
    assert np.array_equal(a.b_, b.b_) and np.array_equal(a.b_ctx_, b.b_ctx_)
    assert np.array_equal(a.W_, b.W_)


@pytest.mark.parametrize("kw", [dict(sg=1), dict(sg=0, tied=True),
                                dict(sg=1, softmax=True, negative=0)])
def test_saved_biases_train_on_as_one_run(planted, tmp_path, kw):
    _, corpus = planted
    whole = w2v(bias=True, epochs=4, **kw).fit(corpus)
    first = w2v(bias=True, epochs=4, **kw).build_vocab(corpus).train(corpus, epochs=2)
    first.save(tmp_path / "m.npz")
    second = Word2Vec.load(tmp_path / "m.npz")
    np.testing.assert_array_equal(second.b_, first.b_)
    second.train(corpus, epochs=2)
    assert np.array_equal(second.b_, whole.b_) and np.array_equal(second.b_ctx_, whole.b_ctx_)
    assert np.array_equal(second.W_, whole.W_)
    emb = Embeddings.load(tmp_path / "m.npz")       # the model file is a vectors file too
    np.testing.assert_array_equal(emb.bias, first.b_)
    assert (emb.context_bias is None) == bool(kw.get("tied"))


def test_biases_in_the_npz_vectors_file(planted, tmp_path):
    _, corpus = planted
    m = w2v(bias=True).fit(corpus)
    m.wv.save(tmp_path / "v.npz")
    back = Embeddings.load(tmp_path / "v.npz")
    np.testing.assert_array_equal(back.bias, m.b_)
    np.testing.assert_array_equal(back.context_bias, m.b_ctx_)
    s = m.vectors("sum")                            # every choice of vectors carries them
    np.testing.assert_array_equal(s.bias, m.b_)


def test_bias_with_hierarchical_softmax_is_refused():
    with pytest.raises(ParameterError, match="bias is not defined for hierarchical softmax") \
            as e:
        Word2Vec(hs=1, negative=0, bias=True)
    assert e.value.param == "bias"
    with pytest.raises(ParameterError, match="bias"):
        Word2Vec(hs=1, negative=5, bias=True)


def test_bias_cannot_change_between_train_calls(planted):
    _, corpus = planted
    m = w2v(bias=True).build_vocab(corpus)
    m.set_params(bias=False)
    with pytest.raises(ValueError, match=r"bias changed since the weights were made \(they "
                                         r"have bias=True\)"):
        m.train(corpus, epochs=1)

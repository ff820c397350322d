"""What every model shares (embedlib.base): parameters from the signature, learned state
with a trailing underscore, the not-fitted error, vectors through Embeddings.combine, and
the epoch statistics the command line prints."""

import inspect
import math

import numpy as np
import pytest

from embedlib import (PPMISVD, EpochStats, GloVe, GloVeEpochStats, NotFittedError,
                      TrainingError, Word2Vec)
from embedlib.base import OUTPUTS, BaseEpochStats, CountModel, Model

SMALL = {Word2Vec: dict(vector_size=6, epochs=2, workers=1, seed=2, verbose=False),
         GloVe: dict(vector_size=6, epochs=2, workers=1, seed=2, verbose=False),
         PPMISVD: dict(vector_size=4, window=3)}
MODELS = list(SMALL)


def fitted(cls, corpus, **kw):
    return cls(**{**SMALL[cls], **kw}).fit(corpus)


@pytest.mark.parametrize("cls", MODELS)
def test_params_are_the_signature_stored_verbatim(cls):
    names = [n for n in inspect.signature(cls.__init__).parameters if n != "self"]
    model = cls(**SMALL[cls])
    params = model.get_params()
    assert list(params) == names
    assert all(params[k] == v for k, v in SMALL[cls].items())
    assert cls(**params).get_params() == params
    assert repr(model) == f"{cls.__name__}(" + ", ".join(
        f"{k}={v!r}" for k, v in params.items()
        if v != inspect.signature(cls.__init__).parameters[k].default) + ")"


@pytest.mark.parametrize("cls", MODELS)
def test_set_params_checks_and_changes_nothing_on_error(cls):
    model = cls(**SMALL[cls])
    assert model.set_params(vector_size=9, seed=4) is model
    assert model.vector_size == 9 and model.seed == 4
    with pytest.raises(ValueError, match="vector_size must be"):
        model.set_params(seed=5, vector_size=0)
    assert model.vector_size == 9 and model.seed == 4
    with pytest.raises(ValueError, match="has no parameter 'dim'"):
        model.set_params(dim=3)


def test_count_models_declare_the_same_counting_defaults():
    counting = ("window", "weighting", "symmetric", "min_count", "max_vocab_size",
                "memory_limit", "tmp_dir", "workers")
    glove, svd = (inspect.signature(c.__init__).parameters for c in (GloVe, PPMISVD))
    assert {n: glove[n].default for n in counting} == {n: svd[n].default for n in counting}
    assert issubclass(GloVe, CountModel) and issubclass(PPMISVD, CountModel)
    assert issubclass(Word2Vec, Model)
    assert glove["output"].default in OUTPUTS and svd["output"].default in OUTPUTS


@pytest.mark.parametrize("cls", MODELS)
@pytest.mark.parametrize("name", ["wv", "W_", "C_", "vocab"])
def test_learned_state_before_fit_is_a_clear_error(cls, name):
    model = cls(**SMALL[cls])
    with pytest.raises(NotFittedError, match=f"this {cls.__name__} is not fitted yet"):
        getattr(model, name)
    assert not hasattr(model, name)          # NotFittedError is an AttributeError
    with pytest.raises(NotFittedError):
        model.vectors("sum")


@pytest.mark.parametrize("cls", MODELS)
def test_learned_state_and_its_aliases(cls, planted):
    _, corpus = planted
    model = fitted(cls, corpus)
    V, d = len(corpus.vocab), model.vector_size
    assert model.vocab is model.vocab_ is corpus.vocab
    assert model.words_ == corpus.vocab.words
    assert model.W_.shape == model.C_.shape == (V, d)
    W, C = model.W_.astype(np.float32), model.C_.astype(np.float32)
    full = model.vectors("W")
    np.testing.assert_array_equal(full.vectors, W)
    np.testing.assert_array_equal(full.context, C)
    np.testing.assert_array_equal(model.vectors("C").vectors, C)
    np.testing.assert_array_equal(model.vectors("sum").vectors, W + C)
    np.testing.assert_array_equal(model.vectors("W+C").vectors, W + C)
    np.testing.assert_array_equal(model.vectors("concat").vectors, np.hstack([W, C]))
    np.testing.assert_array_equal(full.counts, corpus.vocab.counts)
    with pytest.raises(ValueError, match="which must be one of"):
        model.vectors("W~")
    assert model.wv is model.wv                          # computed once
    # the vectors handed out are copies: training state cannot change them underneath
    assert not np.shares_memory(model.wv.vectors, model.W_)


def test_word2vec_vectors_are_copies_even_without_padding(planted):
    _, corpus = planted
    model = fitted(Word2Vec, corpus, vector_size=16)   # rows need no padding: W_ contiguous
    assert model.W_.flags.c_contiguous
    assert not np.shares_memory(model.wv.vectors, model._W)
    np.testing.assert_array_equal(model.wv.vectors, model.W_)
    tied = fitted(Word2Vec, corpus, tied=True)
    assert tied.wv.context is None and np.shares_memory(tied.W_, tied.C_)
    with pytest.raises(ValueError, match="needs the context matrix"):
        tied.vectors("sum")


@pytest.mark.parametrize("cls", [Word2Vec, GloVe])
def test_callbacks_see_the_vectors_of_each_epoch(cls, planted):
    _, corpus = planted
    seen = []
    model = fitted(cls, corpus, epochs=3,
                   callbacks=[lambda m, s: seen.append((s.epoch, m.wv.vectors.copy()))])
    assert [e for e, _ in seen] == [1, 2, 3]
    assert not np.array_equal(seen[0][1], seen[1][1])
    np.testing.assert_array_equal(seen[-1][1], model.wv.vectors)


@pytest.mark.parametrize("cls, kw", [
    (Word2Vec, dict(sg=1, alpha=10, min_alpha=10, sample=0, epochs=3)),
    (GloVe, dict(eta=1e3, epochs=3)),
])
def test_a_failed_fit_forgets_the_model_it_had(cls, kw, planted):
    _, corpus = planted
    model = fitted(cls, corpus)                 # fitted once, then a fit that diverges
    assert hasattr(model, "history_")
    model.set_params(**kw)
    with pytest.raises(TrainingError):
        model.fit(corpus)
    for name in ("wv", "W_", "vocab", "history_"):
        assert not hasattr(model, name), name
    assert model.get_params()["epochs"] == 3     # the parameters stay


def test_a_new_fit_replaces_what_was_learned_and_nothing_else(planted):
    _, corpus = planted
    model = fitted(Word2Vec, corpus)
    first = model.wv
    model.note = "kept"                          # not learned: fit leaves it alone
    model.fit(corpus)
    assert model.note == "kept" and model.wv is not first
    np.testing.assert_array_equal(model.wv.vectors, first.vectors)   # same seed


def test_a_failed_count_fit_leaves_nothing_half_done(planted):
    _, corpus = planted
    model = PPMISVD(vector_size=3, k=1e9)      # no pair has PMI above log k
    with pytest.raises(ValueError, match="all zeros"):
        model.fit(corpus)
    assert not hasattr(model, "words_") and not hasattr(model, "cooccurrence_")


@pytest.mark.parametrize("cls", [Word2Vec, GloVe])
def test_history_holds_one_stats_per_epoch(cls, planted):
    _, corpus = planted
    model = fitted(cls, corpus, epochs=3)
    assert [s.epoch for s in model.history_] == [1, 2, 3]
    for s in model.history_:
        assert isinstance(s, BaseEpochStats) and s.epochs == 3
        assert s.seconds > 0 and s.cpu_seconds >= 0 and math.isfinite(s.loss)
        assert str(s).startswith(f"epoch {s.epoch}/3: loss {s.loss:.6f}, ")


def test_epoch_stats_print_as_the_command_line_reports_them():
    w2v = EpochStats(epoch=2, loss=1.23456789, examples=10, words=3000, centers=5,
                     seconds=1.5, alpha_end=0.01, epochs=5)
    assert str(w2v) == "epoch 2/5: loss 1.234568, 2,000 words/s"
    nan = EpochStats(epoch=1, loss=float("nan"), examples=0, words=10, centers=0,
                     seconds=0.0, alpha_end=0.01)
    assert str(nan) == "epoch 1: loss n/a"          # no speed when no time was measured
    glove = GloVeEpochStats(epoch=3, cost=0.5, updates=4_000_000, seconds=2.0, epochs=3)
    assert str(glove) == "epoch 3/3: loss 0.500000, 2,000,000 updates/s"
    assert glove.loss == glove.cost and glove.rate == (2e6, "updates/s")

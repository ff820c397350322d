"""``embedlib train ... --save-model MODEL`` and ``embedlib continue MODEL CORPUS``: models
saved from the command line and trained further, with the library's results bit for bit.
Bad input (missing, corrupt or foreign model files) is in test_bad_input.py."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from embedlib import Corpus, Embeddings, GloVe, Word2Vec, cli, load_model

TOPICS = [[f"t{k}w{i}" for i in range(6)] for k in range(4)]
FAST = ["-q", "--workers", "1", "--min-count", "1", "--vector-size", "8"]


def run(capsys, *argv):
    status = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    assert "Traceback" not in err and out == ""
    return status, err


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    rng = np.random.default_rng(1)
    lines = [" ".join(rng.choice(TOPICS[rng.integers(4)], size=8)) for _ in range(300)]
    path = tmp_path_factory.mktemp("corpus") / "corpus.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("model", ["sgns", "cbow"])
def test_save_model_then_continue_is_what_the_library_does(capsys, corpus, tmp_path, model):
    m, out = tmp_path / "m.npz", tmp_path / "m2.npz"
    status, err = run(capsys, "train", model, corpus, "-o", tmp_path / "v.txt", "--save-model",
                      m, "--epochs", "2", "--bias", *FAST)
    assert status == 0 and f"wrote {m} (Word2Vec model, 2 epochs trained)" in err
    saved = Word2Vec.load(m)
    np.testing.assert_array_equal(saved.W_, Embeddings.load(tmp_path / "v.txt").vectors)
    assert saved.bias and saved.epochs_trained_ == 2
    before = digest(m)
    status, err = run(capsys, "continue", m, corpus, "--epochs", "3", "-o", out, "-q")
    assert status == 0 and "epoch 3/5" in err and "epoch 5/5" in err
    assert digest(m) == before                        # -o leaves MODEL as it was
    ref = Word2Vec.load(m).set_params(verbose=False).train(corpus, epochs=3)
    got = Word2Vec.load(out)
    assert got.epochs_trained_ == 5 and got.loss_history_ == ref.loss_history_
    for name in ("W_", "C_", "b_", "b_ctx_"):
        assert np.array_equal(getattr(got, name), getattr(ref, name)), name


def test_continue_runs_the_planned_epochs_left_as_one_run(capsys, corpus, tmp_path):
    """A model saved after 2 of its 4 planned epochs: continue (no --epochs) trains the
    other 2 and replaces MODEL with the vectors of a 4-epoch fit, bit for bit."""
    c = Corpus.from_file(corpus, min_count=1)
    kw = dict(sg=1, vector_size=8, epochs=4, workers=1, min_count=1, seed=3, verbose=False)
    Word2Vec(**kw).build_vocab(c).train(c, epochs=2).save(tmp_path / "m.npz")
    status, err = run(capsys, "continue", tmp_path / "m.npz", corpus, "-q")
    assert status == 0 and f"wrote {tmp_path / 'm.npz'} (Word2Vec model, 4 epochs" in err
    whole = Word2Vec(**kw).fit(c)
    back = Word2Vec.load(tmp_path / "m.npz")
    assert np.array_equal(back.W_, whole.W_) and np.array_equal(back.C_, whole.C_)
    status, err = run(capsys, "continue", tmp_path / "m.npz", corpus, "-q")
    assert status == 1 and "all 4 planned epochs of the model are done; pass --epochs N" in err


@pytest.mark.parametrize("tied", [False, True])
def test_glove_k_plus_k_epochs_on_the_command_line_are_2k(capsys, corpus, tmp_path, tied):
    """GloVe has no rate schedule: 2 epochs, saved, and 2 more are 4 epochs, AdaGrad
    accumulators and the order of the nonzeros included (the corpus counted again gives the
    same matrix, so the order reached goes on)."""
    extra = ["--tied"] if tied else []
    args = ["--window", "3", "--x-max", "10", *extra, *FAST]
    assert run(capsys, "train", "glove", corpus, "-o", tmp_path / "g2.txt", "--save-model",
               tmp_path / "g.npz", "--epochs", "2", *args)[0] == 0
    assert run(capsys, "continue", tmp_path / "g.npz", corpus, "--epochs", "2", "-q")[0] == 0
    assert run(capsys, "train", "glove", corpus, "-o", tmp_path / "g4.npz", "--save-model",
               tmp_path / "g4m.npz", "--epochs", "4", *args)[0] == 0
    parts, whole = GloVe.load(tmp_path / "g.npz"), GloVe.load(tmp_path / "g4m.npz")
    assert parts.epochs_trained_ == 4 and parts.cost_history_ == whole.cost_history_
    for name in ("W_", "C_", "b_", "b_ctx_"):
        assert np.array_equal(getattr(parts, name), getattr(whole, name)), name
    np.testing.assert_array_equal(parts._params.Wg[:, 1], whole._params.Wg[:, 1])
    np.testing.assert_array_equal(Embeddings.load(tmp_path / "g4.npz").vectors,
                                  parts.wv.vectors)


def test_continue_on_another_corpus_drops_its_unknown_words(capsys, corpus, tmp_path):
    assert run(capsys, "train", "sgns", corpus, "-o", tmp_path / "v.txt", "--save-model",
               tmp_path / "m.npz", "--epochs", "1", *FAST)[0] == 0
    other = tmp_path / "other.txt"
    other.write_text("t0w1 t0w2 unknown t0w3\nt1w1 t1w2 t1w3\n")
    status, err = run(capsys, "continue", tmp_path / "m.npz", other, "--epochs", "1",
                      "--workers", "1", "-q")
    assert status == 0
    assert f"corpus {other}: 2 lines, 7 tokens; 6 tokens in the model's vocabulary" in err
    m = load_model(tmp_path / "m.npz")
    assert m.epochs_trained_ == 2 and "unknown" not in m.vocab_.index
    assert m.history_[-1].words == 6


def test_svd_has_no_model_to_save(capsys, corpus, tmp_path):
    assert cli.main(["train", "svd", str(corpus), "-o", str(tmp_path / "s.txt"),
                     "--save-model", str(tmp_path / "s.npz")]) == 2
    assert "unrecognized arguments: --save-model" in capsys.readouterr().err

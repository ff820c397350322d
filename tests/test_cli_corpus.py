"""``embedlib encode`` and ``embedlib cooccur``, and training from what they write."""

import numpy as np
import scipy.sparse as sp

from embedlib import Corpus, Embeddings, cooccurrence
from embedlib.cli import main
from embedlib.counts_file import load_counts
from conftest import topic_lines

FAST = ["-q", "--workers", "1", "--vector-size", "8", "--epochs", "2", "--seed", "4"]


def _corpus(tmp_path):
    a, b = tmp_path / "a.txt", tmp_path / "b.txt.gz"
    lines = topic_lines(300)
    a.write_text("\n".join(lines[:150]) + "\n")
    import gzip
    b.write_bytes(gzip.compress(("\n".join(lines[150:]) + "\n").encode()))
    both = tmp_path / "both.txt"
    both.write_text("\n".join(lines) + "\n")
    return a, b, both


def test_encode_several_files_then_train_gives_what_training_on_the_text_gives(tmp_path,
                                                                              capsys):
    a, b, both = _corpus(tmp_path)
    enc = tmp_path / "enc"
    assert main(["encode", str(a), str(b), "-o", str(enc), "--min-count", "2",
                 "--workers", "2"]) == 0
    err = capsys.readouterr().err
    assert "wrote" in err and "encoded corpus" in err
    c = Corpus.load(enc)
    ref = Corpus.from_file(both, min_count=2)
    assert c.vocab.words == ref.vocab.words and np.array_equal(c.tokens, ref.tokens)
    for algo in ("sgns", "cbow"):
        assert main(["train", algo, str(enc), "-o", str(tmp_path / f"{algo}-enc.txt"),
                     "--min-count", "2", *FAST]) == 0
        assert main(["train", algo, str(both), "-o", str(tmp_path / f"{algo}-txt.txt"),
                     "--min-count", "2", *FAST]) == 0
        x = Embeddings.load(tmp_path / f"{algo}-enc.txt")
        y = Embeddings.load(tmp_path / f"{algo}-txt.txt")
        assert x.words == y.words and np.array_equal(x.vectors, y.vectors)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["a.txt", "b.txt.gz", "both.txt", "enc", "sgns-enc.txt", "sgns-txt.txt",
         "cbow-enc.txt", "cbow-txt.txt"])


def test_cooccur_writes_the_counts_that_glove_and_svd_train_from(tmp_path, capsys):
    _, _, both = _corpus(tmp_path)
    enc, counts = tmp_path / "enc", tmp_path / "X.npz"
    assert main(["encode", str(both), "-o", str(enc), "--min-count", "1"]) == 0
    assert main(["cooccur", str(enc), "-o", str(counts), "--window", "4",
                 "--memory-limit", "64M"]) == 0
    X, vocab, how = load_counts(counts)
    corpus = Corpus.from_file(both, min_count=1)
    assert vocab.words == corpus.vocab.words
    assert (X != cooccurrence(corpus, 4)).nnz == 0 and sp.isspmatrix_csr(X)
    assert how == {"window": 4, "weighting": "harmonic", "symmetric": True}
    for algo, extra in (("glove", FAST), ("svd", ["--vector-size", "4"])):
        assert main(["train", algo, str(counts), "-o", str(tmp_path / f"{algo}-X.txt"),
                     *extra]) == 0
        assert main(["train", algo, str(both), "-o", str(tmp_path / f"{algo}-t.txt"),
                     "--window", "4", "--min-count", "1", *extra]) == 0
        x = Embeddings.load(tmp_path / f"{algo}-X.txt")
        y = Embeddings.load(tmp_path / f"{algo}-t.txt")
        assert x.words == y.words
        np.testing.assert_allclose(x.vectors, y.vectors, rtol=1e-5, atol=1e-6)
    assert "counts" in capsys.readouterr().err

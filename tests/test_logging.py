"""The embedlib logger: what gensim users see at INFO, and silence when logging is not
configured."""

from __future__ import annotations

import logging
import subprocess
import sys
import textwrap

import numpy as np

import embedlib
from conftest import topic_corpus


def test_silent_without_logging_configuration(tmp_path):
    """verbose=False and no logging configured: train, save, load and query print nothing."""
    topics, _ = topic_corpus(n_sentences=200)
    rng = np.random.default_rng(0)
    lines = [" ".join(rng.choice(topics[rng.integers(4)], 8)) for _ in range(300)]
    (tmp_path / "corpus.txt").write_text("\n".join(lines) + "\n")
    script = textwrap.dedent("""
        import embedlib
        from embedlib import Embeddings, GloVe, Word2Vec
        w2v = Word2Vec(sg=1, vector_size=8, epochs=2, min_count=1, workers=1, seed=1,
                       verbose=False).fit("corpus.txt")
        glove = GloVe(vector_size=8, epochs=2, min_count=1, workers=1, seed=1,
                      verbose=False).fit("corpus.txt")
        w2v.wv.save("w2v.txt.gz")
        glove.wv.save("glove.txt", format="glove")
        emb = Embeddings.load("w2v.txt.gz")
        Embeddings.load("glove.txt", limit=5)
        emb.most_similar("t0w1")
        embedlib.evaluate_similarity(emb, [("t0w1", "t0w2", 1.0), ("t0w1", "t1w1", 0.0)])
    """)
    result = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "" and result.stderr == ""
    assert (tmp_path / "w2v.txt.gz").exists()


def test_info_messages_gensim_users_expect(tmp_path, caplog):
    _, corpus_tokens = topic_corpus(n_sentences=100)
    sentences = list(corpus_tokens)
    with caplog.at_level(logging.INFO, logger="embedlib"):
        model = embedlib.Word2Vec(vector_size=8, epochs=2, min_count=1, workers=1, seed=1,
                                  verbose=False).fit(sentences)
        model.wv.save(tmp_path / "v.bin")
        embedlib.Embeddings.load(tmp_path / "v.bin")
    messages = [(r.name, r.getMessage()) for r in caplog.records]
    corpus = [m for name, m in messages if name == "embedlib.corpus"]
    assert corpus == [f"the corpus: 100 sentences, 1000 tokens; vocabulary "
                      f"{len(model.wv)} words (min_count=1), 1000 tokens kept"]
    epochs = [m for name, m in messages if name == "embedlib._trainer"]
    assert [m.split(":")[0] for m in epochs] == ["word2vec epoch 1/2", "word2vec epoch 2/2"]
    assert all(" loss " in m and m.endswith(" words/s") for m in epochs)
    assert [m.split()[0] for name, m in messages if name == "embedlib.formats"] == \
        ["wrote", "read"]
    assert all(r.levelno == logging.INFO for r in caplog.records)

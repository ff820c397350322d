"""Do two versions of embedlib train the same vectors, bit for bit, with one worker?

    python bench/same_results.py save OUT.npz [--corpus PATH] [--lines N]
    python bench/same_results.py compare A.npz B.npz

``save`` trains every model the library has (skip-gram and CBOW with negative sampling,
CBOW with the exact gradient, tied skip-gram, both with the full softmax, GloVe untied and
tied, on a large and a small matrix, PPMI-SVD with both solvers) on the first ``--lines``
lines of the corpus, seeded and with ``workers=1``, and writes their vectors, context
vectors, biases and per-epoch losses to ``OUT.npz``, together with the co-occurrence
matrices counted with one and two threads and with spilled runs. Run it once with each
version on ``PYTHONPATH`` (for an old commit: ``git worktree add ../old REV`` and
``PYTHONPATH=../old python bench/same_results.py save old.npz``); ``compare`` then lists
every array that differs and exits 1 if any does (with ``--new-ok``, arrays only B has,
from runs of parameters A's version lacks and skipped, are listed but are no difference). Refactorings that must not change
results are checked this way; it is not a test (it takes about a minute).
"""

from __future__ import annotations

import argparse
import gzip
import sys
import tempfile
from pathlib import Path

import numpy as np

DEFAULT_CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpora" / "nltk_mix.txt.gz"


def _w2v_runs():
    common = dict(vector_size=50, window=5, epochs=2, workers=1, seed=3, batch_words=4000,
                  verbose=False, min_count=3)
    return {
        "sgns": dict(common, sg=1),
        "sgns_d64": dict(common, sg=1, vector_size=64, negative=8, sample=1e-4),
        "cbow": dict(common, sg=0),
        "cbow_exact": dict(common, sg=0, cbow_exact=True),
        "tied": dict(common, sg=1, tied=True),
        "tied_cbow": dict(common, sg=0, tied=True),
        "softmax": dict(common, sg=1, softmax=True, negative=0, max_vocab_size=300),
        "cbow_softmax": dict(common, sg=0, softmax=True, negative=0, max_vocab_size=300),
        "no_loss": dict(common, sg=1, compute_loss=False, subsample_formula="paper"),
        # per-word biases (skipped by a version without them)
        "sgns_bias": dict(common, sg=1, bias=True),
        "cbow_bias": dict(common, sg=0, bias=True),
        "tied_cbow_bias": dict(common, sg=0, tied=True, bias=True),
        "softmax_bias": dict(common, sg=1, softmax=True, negative=0, max_vocab_size=300,
                             bias=True),
    }


def save(out: str, corpus_path: str, lines: int) -> None:
    import scipy.sparse as sp

    import embedlib
    from embedlib import GloVe, PPMISVD, Word2Vec, cooccurrence
    from embedlib.corpus import Corpus

    print(f"embedlib from {Path(embedlib.__file__).parent}", file=sys.stderr)
    with gzip.open(corpus_path, "rt") as f:
        sents = [line.split() for _, line in zip(range(lines), f)]
    arrays = {}

    def keep(name, **values):
        for key, value in values.items():
            if value is not None:
                arrays[f"{name}/{key}"] = np.asarray(value)

    for name, kw in _w2v_runs().items():
        corpus = Corpus.from_sentences(sents, min_count=kw["min_count"],
                                       max_vocab_size=kw.get("max_vocab_size"))
        try:
            m = Word2Vec(**kw)
        except TypeError as e:          # a parameter this version does not have
            print(f"{name}: skipped ({e})", file=sys.stderr)
            continue
        m.fit(corpus)
        keep(name, W=m.wv.vectors, C=m.wv.context, loss=m.loss_history_,
             examples=[s.examples for s in m.history_], b=m.wv.bias, b_ctx=m.wv.context_bias)
        print(f"{name}: loss {m.loss_history_}", file=sys.stderr)

    corpus = Corpus.from_sentences(sents, min_count=3)
    X1 = cooccurrence(corpus, 10, workers=1)
    X2 = cooccurrence(corpus, 10, workers=2)
    with tempfile.TemporaryDirectory() as tmp:
        Xs = cooccurrence(corpus, 5, weighting="linear", symmetric=False, workers=2,
                          memory_limit=40 << 20, tmp_dir=tmp)
    for name, X in (("X_1", X1), ("X_2", X2), ("X_spill", Xs)):
        keep(name, data=X.data, indices=X.indices, indptr=X.indptr)

    small = sp.csr_matrix(X1[:200, :200])
    for name, X, kw in (("glove", X1, {}), ("glove_tied", X1, dict(tied=True)),
                        ("glove_small", small, dict(x_max=10.0, output="W"))):
        words = corpus.vocab.words[:X.shape[0]]
        m = GloVe(vector_size=30, epochs=3, workers=1, seed=5, verbose=False, **kw)
        m.fit(X, vocab=words)
        keep(name, W=m.W_, C=m.C_, b=m.b_, b_ctx=m.b_ctx_, cost=m.cost_history_,
             wv=m.wv.vectors, J=m.cost())
        print(f"{name}: cost {m.cost_history_}", file=sys.stderr)
    m = GloVe(vector_size=20, epochs=2, workers=1, seed=2, window=4, min_count=3,
              verbose=False).fit(corpus)
    keep("glove_corpus", W=m.W_, C=m.C_, cost=m.cost_history_)

    for solver in ("arpack", "randomized"):
        m = PPMISVD(vector_size=20, k=5, solver=solver, output="sum").fit(small,
                                                                          vocab=words)
        keep(f"svd_{solver}", W=m.W_, C=m.C_, wv=m.wv.vectors, s=m.singular_values_)
    np.savez_compressed(out, **arrays)
    print(f"wrote {len(arrays)} arrays to {out}", file=sys.stderr)


def compare(a: str, b: str, new_ok: bool = False) -> int:
    A, B = np.load(a), np.load(b)
    new = sorted(set(B.files) - set(A.files)) if new_ok else []
    bad = sorted((set(A.files) ^ set(B.files)) - set(new))
    common = sorted(set(A.files) & set(B.files))
    for key in common:
        x, y = A[key], B[key]
        same = x.shape == y.shape and x.dtype == y.dtype and np.array_equal(x, y,
                                                                            equal_nan=True)
        if not same:
            bad.append(key)
    for key in new:
        print(f"only in {b}: {key}")
    for key in bad:
        print(f"differs: {key}")
    print(f"{len(common) - len(set(bad) & set(common))} arrays identical, {len(bad)} differ"
          + (f", {len(new)} new" if new else ""))
    return 1 if bad else 0


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("save")
    s.add_argument("out")
    s.add_argument("--corpus", default=str(DEFAULT_CORPUS))
    s.add_argument("--lines", type=int, default=1500)
    c = sub.add_parser("compare")
    c.add_argument("a")
    c.add_argument("b")
    c.add_argument("--new-ok", action="store_true",
                   help="arrays only in B (runs of features A lacks) are not differences")
    args = p.parse_args(argv)
    if args.command == "save":
        save(args.out, args.corpus, args.lines)
        return 0
    return compare(args.a, args.b, args.new_ok)


if __name__ == "__main__":
    sys.exit(main())

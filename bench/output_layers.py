"""Cost per training example of the three output layers: full softmax, hierarchical
softmax and negative sampling, as the vocabulary grows.

    python bench/output_layers.py [--corpus PATH] [--lines 3000] [--rounds 3]

For each vocabulary size V (the V most frequent words of the first ``--lines`` lines of
the corpus) and each architecture, the three objectives train one epoch with one worker
(dim 100, window 5, sample 1e-3, negative 5); the time per example is the epoch's seconds
over its examples ((center, context) pairs for skip-gram, center words for CBOW). The
full softmax costs O(V) per example, so it trains on the first sentences only (about as
many examples as take a few seconds); the cost per example does not depend on how many
there are. Objectives alternate within each round (the order turns every round) and the
report gives the median over the rounds, the mean code length of the center words
(what hierarchical softmax pays per example: one sigmoid per node) and the load average.
The report goes to ``bench/results/output_layers.md``.
"""

from __future__ import annotations

import argparse
import datetime
import gzip
import os
import platform
import statistics
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DEFAULT_CORPUS = ROOT.parent / "shared" / "corpora" / "nltk_mix.txt.gz"
OBJECTIVES = {"negative sampling (k=5)": dict(negative=5),
              "hierarchical softmax": dict(hs=1, negative=0),
              "full softmax": dict(softmax=True, negative=0)}


def head(corpus, n_sentences):
    """The first ``n_sentences`` sentences of an encoded corpus (same vocabulary)."""
    from embedlib import Corpus
    n = min(n_sentences, len(corpus))
    end = int(corpus.offsets[n])
    return Corpus(corpus.vocab, corpus.tokens[:end], corpus.offsets[:n + 1])


def mean_code_length(corpus, sample):
    """The mean code length over the center words training sees (after subsampling)."""
    from embedlib.huffman import huffman_tree
    from embedlib.sampling import keep_probabilities
    counts = corpus.vocab.counts
    f = counts * keep_probabilities(counts, sample)
    return float((huffman_tree(counts).lengths * f).sum() / f.sum())


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    ap.add_argument("--lines", type=int, default=3000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 4000, 16000])
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "output_layers.md")
    args = ap.parse_args(argv)
    from embedlib import Corpus, Word2Vec

    with gzip.open(args.corpus, "rt") as f:
        sents = [line.split() for _, line in zip(range(args.lines), f)]
    common = dict(vector_size=100, window=5, sample=1e-3, epochs=1, workers=1, seed=1,
                  verbose=False, min_count=1)
    # compile (or load from the cache) before timing
    for kw in OBJECTIVES.values():
        for sg in (0, 1):
            Word2Vec(sg=sg, **dict(common, **kw)).fit(sents[:20])
    load0 = os.getloadavg()
    rows = []
    for V in args.sizes:
        corpus = Corpus.from_sentences(sents, min_count=1, max_vocab_size=V)
        V = len(corpus.vocab)
        L = mean_code_length(corpus, common["sample"])
        for sg in (1, 0):
            # about 2e8 multiply-adds for the softmax: a few seconds
            per_example = 3 * V * 100 * (4.5 if sg else 1)
            n_soft = max(5, int(len(corpus) * min(1.0, 2e8 / (per_example * corpus.n_tokens))))
            inputs = {name: (head(corpus, n_soft) if "full" in name else corpus)
                      for name in OBJECTIVES}
            times = {name: [] for name in OBJECTIVES}
            names = list(OBJECTIVES)
            for r in range(args.rounds):
                for name in (names if r % 2 == 0 else names[::-1]):
                    m = Word2Vec(sg=sg, **dict(common, **OBJECTIVES[name])).fit(inputs[name])
                    s = m.history_[0]
                    times[name].append(s.seconds / s.examples)
            med = {name: statistics.median(t) for name, t in times.items()}
            ns = med["negative sampling (k=5)"]
            for name in names:
                rows.append((V, "skip-gram" if sg else "CBOW", name, 1e6 * med[name],
                             med[name] / ns, L))
                print(f"V={V} {'sg' if sg else 'cbow'} {name}: {1e6 * med[name]:.3f} us per "
                      f"example ({med[name] / ns:.2f}x negative sampling)", flush=True)
    load1 = os.getloadavg()
    lines = [
        "# Cost per training example: full softmax, hierarchical softmax, negative sampling",
        "",
        f"Date: {datetime.date.today().isoformat()}. Machine: {os.cpu_count()} cores "
        f"({platform.processor() or platform.machine()}), Python {platform.python_version()}. "
        f"Load average (1, 5, 15 min) before {', '.join(f'{x:.1f}' for x in load0)}, after "
        f"{', '.join(f'{x:.1f}' for x in load1)}.",
        "",
        f"Corpus: the first {args.lines} lines of `{args.corpus.name}`, vocabulary cut to the V "
        "most frequent words. One worker, dim 100, window 5, sample 1e-3, one epoch; seconds "
        "per example (skip-gram: (center, context) pair; CBOW: center word), median of "
        f"{args.rounds} rounds with the objectives alternating. Mean code length: the mean "
        "number of tree nodes on the path of a center word (after subsampling), the number "
        "of sigmoids hierarchical softmax computes per example, against k + 1 = 6 for "
        "negative sampling and V exponentials for the full softmax.",
        "",
        "| V | model | objective | µs per example | over negative sampling | "
        "mean code length |",
        "|---|---|---|---|---|---|",
    ]
    for V, model, name, us, ratio, L in rows:
        lines.append(f"| {V:,} | {model} | {name} | {us:.3f} | {ratio:.2f} | {L:.2f} |")
    text = "\n".join(lines) + "\n"
    print(text)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())

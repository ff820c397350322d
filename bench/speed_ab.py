"""Training speed of two versions of embedlib, side by side: word2vec epochs, and GloVe.

    python bench/speed_ab.py OLD_TREE NEW_TREE [--rounds 5] [--workers 2] [--glove]
                             [--new-kw JSON]

Each measurement is a fresh process with one tree on ``PYTHONPATH``: it encodes the corpus
(not timed), then trains skip-gram for one epoch and CBOW for two (dim 100, window 5,
negative 5, sample 1e-3, the benchmark's settings) and reports the seconds of every epoch
from ``history_``; with ``--glove``, also two GloVe epochs on the co-occurrences of the
first 15,000 lines. The two trees run alternately (A B B A ...), so that a change in the
machine's load falls on both; the report gives, per model, the median seconds per epoch
of each tree, their ratio (new / old: below 1 is faster) and the load average before and
after. Kernels are compiled (or loaded from the Numba cache) in a warm-up process first.

``--new-kw '{"bias": true}'`` adds Word2Vec parameters to the new tree's runs only: with the
same tree twice, the cost of a feature (``bench/speed_ab.py . . --new-kw '{"bias": true}'``).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

DEFAULT_CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpora" / "nltk_mix.txt.gz"

CHILD = r"""
import gzip, json, sys
from embedlib import Corpus, GloVe, Word2Vec, cooccurrence
path, workers, glove, quick = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "1", sys.argv[4] == "1"
extra = json.loads(sys.argv[5])
if quick:
    with gzip.open(path, "rt") as f:
        corpus = Corpus.from_sentences([l.split() for _, l in zip(range(300), f)], min_count=1)
else:
    corpus = Corpus.from_file(path, min_count=5)
out = {}
kw = dict(vector_size=100, window=5, negative=5, sample=1e-3, workers=workers, seed=1,
          verbose=False, **extra)
out["sgns"] = [s.seconds for s in Word2Vec(sg=1, epochs=1, **kw).fit(corpus).history_]
out["cbow"] = [s.seconds for s in Word2Vec(sg=0, epochs=2, **kw).fit(corpus).history_]
if glove:
    with gzip.open(path, "rt") as f:
        small = Corpus.from_sentences([l.split() for _, l in zip(range(15000), f)], min_count=5)
    X = cooccurrence(small, 10, workers=workers)
    g = GloVe(vector_size=100, epochs=2, workers=workers, verbose=False)
    out["glove"] = [s.seconds for s in g.fit(X, vocab=small.vocab.words).history_]
print(json.dumps(out))
"""


def measure(tree: str, corpus: str, workers: int, glove: bool, quick: bool = False,
            extra: str = "{}") -> dict:
    env = dict(os.environ, PYTHONPATH=tree)
    r = subprocess.run([sys.executable, "-c", CHILD, corpus, str(workers), str(int(glove)),
                        str(int(quick)), extra], env=env, capture_output=True, text=True,
                       check=True)
    return json.loads(r.stdout.strip().splitlines()[-1])


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("old")
    p.add_argument("new")
    p.add_argument("--corpus", default=str(DEFAULT_CORPUS))
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--glove", action="store_true")
    p.add_argument("--new-kw", default="{}", help="JSON: Word2Vec parameters of the new runs")
    args = p.parse_args(argv)
    trees = {"old": args.old, "new": args.new}
    extra = {"old": "{}", "new": args.new_kw}
    for name, tree in trees.items():     # compile or load the kernels once
        measure(tree, args.corpus, args.workers, args.glove, quick=True, extra=extra[name])
    load0 = os.getloadavg()
    times = {name: {} for name in trees}
    for r in range(args.rounds):
        order = ("old", "new") if r % 2 == 0 else ("new", "old")
        for name in order:
            got = measure(trees[name], args.corpus, args.workers, args.glove,
                          extra=extra[name])
            for model, seconds in got.items():
                times[name].setdefault(model, []).extend(seconds)
            print(f"round {r + 1} {name}: " + ", ".join(
                f"{m} {' '.join(f'{s:.2f}' for s in v)}" for m, v in got.items()),
                file=sys.stderr)
    load1 = os.getloadavg()
    print(f"workers {args.workers}, {args.rounds} rounds; load average before "
          f"{load0[0]:.2f}, after {load1[0]:.2f}")
    for model in times["old"]:
        old = statistics.median(times["old"][model])
        new = statistics.median(times["new"][model])
        print(f"{model}: old {old:.3f} s/epoch, new {new:.3f} s/epoch, new/old "
              f"{new / old:.3f} (medians of {len(times['old'][model])} epochs each)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

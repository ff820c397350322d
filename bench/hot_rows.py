"""Private hot rows of two workers: how many, measured on vocabularies of several sizes.

    python bench/hot_rows.py [--corpus PATH] [--min-counts 400 100 20 5] [--rounds 6]
                             [--models cbow sgns] [--seeds 3] [--rows N ...] [--out PATH]

With several threads, word2vec's threads train private copies of the rows of the most frequent
words and add what they changed to the shared rows after every job
(``embedlib.word2vec.hot_rows``). This compares, on the same corpus read with several
``min_count`` values (so several vocabulary sizes):

* one worker;
* two workers with the rule before: a sixteenth of the vocabulary, at most 256 words;
* two workers with ``hot_rows`` as it is now;
* with ``--rows``, two workers with each of those numbers of private rows (speed only).

Speed: one-epoch fits from the Python API in one process, on one encoded corpus per
vocabulary, the three settings alternating (rotated every round), dim 100, window 5, negative
5, sample 1e-3; medians and best over the rounds, and the speed-up of two workers over one
(median over median). Quality: 5 epochs, ``--seeds`` seeds, two workers with each rule: the
last epoch's loss, WordSim353 and SimLex-999 (Spearman, pairs in the vocabulary) and the
analogies (3CosAdd). Results are appended to ``bench/results/hot_rows.md``.
"""

from __future__ import annotations

import argparse
import datetime
import gzip
import os
import platform
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

import embedlib.word2vec as w2v
from embedlib import Corpus, Word2Vec
from embedlib.evaluation import evaluate_analogies, evaluate_similarity, evaluation_file

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = ROOT.parent / "shared" / "corpora" / "nltk_mix.txt.gz"
NOW = w2v.hot_rows


def before(n_threads, n_words, n_jobs, softmax=False):
    """The rule before: a sixteenth of the vocabulary, at most 256 words."""
    return 0 if n_threads == 1 or softmax else min(256, n_words // 16)


def fit(corpus, rule, workers, **kw):
    w2v.hot_rows = rule
    try:
        return Word2Vec(workers=workers, vector_size=100, window=5, negative=5, sample=1e-3,
                        verbose=False, **kw).fit(corpus)
    finally:
        w2v.hot_rows = NOW


SETTINGS = (("1 worker", NOW, 1), ("2 workers, before", before, 2), ("2 workers, now", NOW, 2))


def fixed(n):
    """A rule that gives every thread ``n`` private rows (within the vocabulary)."""
    return lambda n_threads, n_words, n_jobs, softmax=False: (
        0 if n_threads == 1 or softmax else min(n, max(n_words - 1, 0)))


def speed(corpus, sg, rounds, settings):
    times = {name: [] for name, _, _ in settings}
    for name, rule, workers in settings:   # compile or load the kernels
        fit(corpus, rule, workers, sg=sg, epochs=1, seed=1)
    for r in range(rounds):
        k = r % len(settings)
        for name, rule, workers in settings[k:] + settings[:k]:
            m = fit(corpus, rule, workers, sg=sg, epochs=1, seed=r + 1)
            times[name].append(m.history_[-1].seconds)
        print(f"  round {r + 1}: " + ", ".join(f"{n} {v[-1]:.3f}" for n, v in times.items()),
              file=sys.stderr, flush=True)
    return times


def quality(corpus, sg, seeds, files):
    out = {}
    for name, rule, workers in SETTINGS[1:]:
        rows = []
        for seed in range(1, seeds + 1):
            m = fit(corpus, rule, workers, sg=sg, epochs=5, seed=seed,
                    alpha=0.025 if sg else 0.05)
            ws = evaluate_similarity(m.wv, files["wordsim353"])
            sl = evaluate_similarity(m.wv, files["simlex999"])
            an = evaluate_analogies(m.wv, files["questions-words"])
            rows.append((m.loss_history_[-1], ws.spearman, sl.spearman, 100 * an.accuracy,
                         ws.n_found, sl.n_found))
        out[name] = rows
        print(f"  {name}: " + " ".join(f"{statistics.mean(r[i] for r in rows):.4f}"
                                       for i in range(4)), file=sys.stderr, flush=True)
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    ap.add_argument("--min-counts", type=int, nargs="+", default=[400, 100, 20, 5])
    ap.add_argument("--rounds", type=int, default=6)
    ap.add_argument("--models", nargs="+", default=["cbow", "sgns"], choices=["cbow", "sgns"])
    ap.add_argument("--seeds", type=int, default=3, help="seeds of the quality runs (0: none)")
    ap.add_argument("--rows", type=int, nargs="*", default=[],
                    help="also two workers with this many private rows each")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "hot_rows.md")
    args = ap.parse_args(argv)
    if not args.corpus.exists():
        print(f"hot_rows.py: no corpus at {args.corpus} (give --corpus)", file=sys.stderr)
        return 2
    files = {n: evaluation_file(n) for n in ("wordsim353", "simlex999", "questions-words")}
    tmp = Path(tempfile.mkdtemp())
    try:
        text = tmp / "corpus.txt"
        opener = gzip.open if args.corpus.suffix == ".gz" else open
        with opener(args.corpus, "rb") as f, open(text, "wb") as g:
            shutil.copyfileobj(f, g)
        load0 = os.getloadavg()
        lines = []
        for mc in args.min_counts:
            corpus = Corpus.from_file(text, min_count=mc, workers=2)
            V = len(corpus.vocab)
            n_jobs = len(w2v.Word2Vec(workers=2)._plan(corpus)[1])
            hot = {"2 workers, before": before(2, V, n_jobs), "2 workers, now": NOW(2, V, n_jobs)}
            print(f"min_count {mc}: V = {V}, {corpus.n_tokens} tokens, {n_jobs} jobs; hot rows "
                  f"{hot}", file=sys.stderr, flush=True)
            for model in args.models:
                sg = int(model == "sgns")
                settings = SETTINGS + tuple((f"2 workers, {n} rows", fixed(n), 2)
                                            for n in args.rows)
                t = speed(corpus, sg, args.rounds, settings)
                one = statistics.median(t["1 worker"])
                cells = []
                for name, _, _ in settings:
                    med = statistics.median(t[name])
                    scale = f"{one / med:.2f}x" if name != "1 worker" else ""
                    cells.append(f"{med:.3f} ({min(t[name]):.3f}) {scale}".strip())
                lines.append(f"| {V:,} | {model} | {hot['2 workers, before']} | "
                             f"{hot['2 workers, now']} | " + " | ".join(cells) + " |")
                if args.seeds and model == "cbow":
                    q = quality(corpus, sg, args.seeds, files)
                    for name, rows in q.items():
                        mean = [statistics.mean(r[i] for r in rows) for i in range(4)]
                        lines.append(
                            f"|  | quality, {name} | 5 epochs, {args.seeds} seeds | loss "
                            f"{mean[0]:.4f} | WordSim353 {mean[1]:.3f} ({rows[0][4]} pairs) | "
                            f"SimLex-999 {mean[2]:.3f} ({rows[0][5]} pairs) | analogies "
                            f"{mean[3]:.2f}% |")
        load1 = os.getloadavg()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    head = (f"## {datetime.date.today()}: {platform.machine()}, {os.cpu_count()} cores, "
            f"Python {platform.python_version()}, {args.rounds} rounds\n\n"
            f"Corpus {args.corpus.name}, one epoch per fit (CBOW and skip-gram, dim 100, window "
            f"5, negative 5, sample 1e-3). Load average (1, 5, 15 min) before "
            f"{', '.join(f'{x:.1f}' for x in load0)}, after "
            f"{', '.join(f'{x:.1f}' for x in load1)}. Seconds per epoch: median (best); "
            f"two workers over one: median over median.\n\n"
            "| V | model | hot rows before | hot rows now | 1 worker s | 2 workers, before | "
            "2 workers, now |" + "".join(f" 2 workers, {n} rows |" for n in args.rows)
            + "\n|---|---|---|---|---|---|---|" + "---|" * len(args.rows) + "\n")
    text = head + "\n".join(lines) + "\n"
    print(text)
    if not args.out.exists():
        args.out.write_text("# Private hot rows of two workers\n\nSee bench/hot_rows.py.\n\n")
    with open(args.out, "a") as f:
        f.write("\n" + text)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""embedlib's count-based engine on one corpus: counting, GloVe speed and quality, SVD-PPMI,
SGNS and the ``mittens`` package's GloVe beside it.

    python bench/glove.py [--corpus PATH] [--out bench/results/glove.md] [--quick]

1. Counting: ``cooccurrence`` with window 10 and 1/distance weights (GloVe's setting), with
   1 and 2 threads, and with a memory limit that forces spilled runs: seconds, nonzeros.
2. GloVe speed at 100 dimensions: seconds per epoch and nonzero updates per second with 1
   and 2 workers (runs alternating between the two, median over epochs).
3. GloVe quality after 15 and 50 epochs for W, C (the paper's W~) and W + C, at x_max 100
   (the default) and 10; Spearman on WordSim353 and SimLex-999 and analogy accuracy on
   questions-words.txt (restrict_vocab 30000, 3CosAdd), all by embedlib's evaluators.
4. Beside it: embedlib skip-gram with negative sampling and SVD of the shifted PPMI matrix
   of the same counts; and mittens (full-batch AdaGrad on a dense matrix) against embedlib
   GloVe on the same counts restricted to the most frequent words.

The machine's load average is recorded beside every timing: other processes on a shared
machine slow the runs down, and the notes say so.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DEFAULT_CORPUS = ROOT.parent / "shared" / "corpora" / "nltk_mix.txt.gz"


def eval_files():
    from gensim.test.utils import datapath
    return datapath("wordsim353.tsv"), datapath("simlex999.txt"), datapath("questions-words.txt")


def quality(emb):
    from embedlib.evaluation import evaluate_analogies, evaluate_similarity
    ws, sl, qw = eval_files()
    an = evaluate_analogies(emb, qw, restrict_vocab=30000)
    return dict(ws353=evaluate_similarity(emb, ws).spearman,
                simlex=evaluate_similarity(emb, sl).spearman,
                analogy=100 * an.accuracy, coverage=100 * an.coverage)


def load() -> float:
    return os.getloadavg()[0]


def wait_quiet(minutes: float, threshold: float = 1.0):
    """Wait up to ``minutes`` for the 1-minute load average to fall below ``threshold``."""
    deadline = time.time() + 60 * minutes
    while load() >= threshold and time.time() < deadline:
        time.sleep(15)
    return load()


def log(msg):
    print(msg, flush=True)


def bench_counting(corpus, repeats):
    from embedlib.cooccur import cooccurrence, counting_memory
    rows = []
    X = None
    for workers in (1, 2):
        times = []
        for _ in range(repeats):
            la = load()
            t0 = time.perf_counter()
            X = cooccurrence(corpus, 10, workers=workers)
            times.append(time.perf_counter() - t0)
        rows.append((f"{workers} thread{'s' * (workers > 1)}, in memory", min(times), X.nnz, la))
        log(f"counting, {workers} workers: {min(times):.2f} s, {X.nnz:,} nonzeros (load {la:.1f})")
    limit = max(counting_memory(corpus, 10), 64 << 20)
    la = load()
    t0 = time.perf_counter()
    Xs = cooccurrence(corpus, 10, workers=2, memory_limit=limit)
    secs = time.perf_counter() - t0
    same = (Xs != X).nnz == 0
    rows.append((f"2 threads, memory_limit {limit / 2**20:.0f} MiB (spilled runs)", secs, Xs.nnz,
                 la))
    log(f"counting with a {limit / 2**20:.0f} MiB limit: {secs:.2f} s, identical: {same}")
    return X, rows, same


def bench_speed(X, vocab, epochs, rounds):
    from embedlib.glove import GloVe
    per = {1: [], 2: []}
    cpu = {1: [], 2: []}
    loads = {1: [], 2: []}
    for _ in range(rounds):
        for workers in (1, 2):
            loads[workers].append(load())
            m = GloVe(vector_size=100, epochs=epochs, workers=workers, verbose=False)
            m.fit(X, vocab=vocab)
            per[workers] += [h.seconds for h in m.history_]
            cpu[workers] += [h.cpu_seconds for h in m.history_]
            log(f"speed, {workers} workers: " + ", ".join(
                f"{h.updates_per_sec / 1e6:.2f}M/s ({h.cpu_seconds / h.seconds:.2f} cores)"
                for h in m.history_))
    nnz = X.nnz
    out = {}
    for w in (1, 2):
        sec = statistics.median(per[w])
        cpu_sec = statistics.median(cpu[w])
        out[w] = dict(seconds=sec, rate=nnz / sec, best=nnz / min(per[w]),
                      cores=cpu_sec / sec, cpu_rate=nnz / cpu_sec,
                      load=statistics.mean(loads[w]))
    return out


def bench_glove_quality(X, vocab, x_max, checkpoints, workers):
    from embedlib.glove import GloVe
    results = {}

    def at_checkpoint(model, stats):
        if stats.epoch in checkpoints:
            for which, label in (("W", "W"), ("C", "C (W~)"), ("sum", "W + C")):
                results[(stats.epoch, label)] = quality(model.vectors(which))
            log(f"GloVe x_max={x_max}, epoch {stats.epoch}: cost {stats.cost:.4f}, " + ", ".join(
                f"{k[1]} ws {v['ws353']:.3f}" for k, v in results.items() if k[0] == stats.epoch))

    m = GloVe(vector_size=100, x_max=x_max, epochs=max(checkpoints), workers=workers,
              verbose=False, callbacks=[at_checkpoint])
    la = load()
    t0 = time.perf_counter()
    m.fit(X, vocab=vocab)
    secs = time.perf_counter() - t0
    return results, secs, la, m


def agreement(model):
    """Where W and C disagree: the eigendirections of sym(WᵀC) with negative eigenvalues
    (there w_i and c_i point opposite ways, and W + C cancels them)."""
    from embedlib import Embeddings
    W, C = model.W_.astype(np.float64), model.C_.astype(np.float64)
    ev, U = np.linalg.eigh((W.T @ C + C.T @ W) / 2)
    pos = U[:, ev >= 0]
    words, counts = model.words_, model.vocab.counts
    return dict(negative=int((ev < 0).sum()), share=float(np.abs(ev[ev < 0]).sum()
                                                          / np.abs(ev).sum()),
                w_pos=quality(Embeddings(words, (W @ pos).astype(np.float32), counts=counts)))


def bench_sgns(corpus, workers):
    from embedlib import Word2Vec
    la = load()
    t0 = time.perf_counter()
    m = Word2Vec(sg=1, vector_size=100, window=5, negative=5, sample=1e-3, epochs=5,
                 workers=workers, seed=1, verbose=False).fit(corpus)
    secs = time.perf_counter() - t0
    return {"W": quality(m.wv), "W + C": quality(m.wv.combine("W+C"))}, secs, la


def bench_svd(X, vocab):
    """SVD of the PPMI matrix (k 1, cds 0.75), factorized once, at eig 0, 0.5 and 1."""
    from embedlib import Embeddings
    from embedlib.pmi import ppmi, truncated_svd
    la = load()
    t0 = time.perf_counter()
    U, s, V = truncated_svd(ppmi(X, k=1, cds=0.75), 100, seed=1)
    secs = time.perf_counter() - t0
    out = {}
    for eig in (0.0, 0.5, 1.0):
        w = s ** eig
        emb = Embeddings(vocab.words, (U * w).astype(np.float32), (V * w).astype(np.float32),
                         vocab.counts)
        out[eig] = {"W": quality(emb), "W + C": quality(emb.combine("W+C"))}
        log(f"SVD-PPMI eig={eig}: W ws {out[eig]['W']['ws353']:.3f}")
    return out, secs, la


def bench_mittens(X, vocab, n_words, iters, epochs):
    """mittens' numpy GloVe and embedlib's on X restricted to the n_words most frequent words."""
    from embedlib import Embeddings
    from embedlib.glove import GloVe
    try:
        import mittens
        from mittens.np_mittens import GloVe as MGloVe
    except ImportError:
        return None
    Xr = X[:n_words, :n_words].tocsr()
    words = vocab.words[:n_words]
    counts = vocab.counts[:n_words]
    dense = Xr.toarray()
    np.random.seed(1)
    mg = MGloVe(n=100, xmax=100, alpha=0.75, max_iter=iters, learning_rate=0.05,
                display_progress=0)
    la = load()
    t0 = time.perf_counter()
    G = mg.fit(dense)
    m_secs = time.perf_counter() - t0
    del dense
    m_q = quality(Embeddings(words, G.astype(np.float32), counts=counts))
    log(f"mittens {n_words} words, {iters} iterations: {m_secs:.1f} s, ws {m_q['ws353']:.3f}")
    t0 = time.perf_counter()
    e = GloVe(vector_size=100, epochs=epochs, workers=2, verbose=False).fit(Xr, vocab=words)
    e_secs = time.perf_counter() - t0
    e_q = quality(Embeddings(words, e.wv.vectors, counts=counts))
    return dict(version=mittens.__version__, n_words=n_words, nnz=Xr.nnz, iters=iters,
                m_secs=m_secs, m_q=m_q, m_load=la, epochs=epochs, e_secs=e_secs, e_q=e_q)


def qrow(label, q):
    return (f"| {label} | {q['ws353']:.3f} | {q['simlex']:.3f} | {q['analogy']:.2f} | "
            f"{q['coverage']:.1f} |")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "glove.md")
    ap.add_argument("--quick", action="store_true", help="fewer epochs and rounds (smoke test)")
    ap.add_argument("--wait-quiet", type=float, default=0, metavar="MINUTES",
                    help="before each timing section, wait up to MINUTES for a load average "
                         "below 1 (a shared machine)")
    ap.add_argument("--mittens-words", type=int, default=2000,
                    help="vocabulary of the dense matrix mittens gets (default 2000)")
    ap.add_argument("--mittens-iters", type=int, default=500,
                    help="mittens' full-batch iterations (default 500)")
    args = ap.parse_args(argv)
    if not args.corpus.exists():
        sys.exit(f"corpus not found: {args.corpus} (pass --corpus PATH)")
    from embedlib import Corpus
    from embedlib.glove import GloVe

    checkpoints = (2, 3) if args.quick else (15, 50)
    speed_epochs, rounds = (2, 1) if args.quick else (3, 2)
    load_start = os.getloadavg()
    started = time.perf_counter()

    t0 = time.perf_counter()
    corpus = Corpus.from_file(args.corpus, min_count=5)
    encode_s = time.perf_counter() - t0
    log(f"{corpus}, {corpus.n_raw_tokens:,} raw tokens, encoded in {encode_s:.1f} s")
    # compile every kernel before timing anything
    small = [["a", "b", "c", "a"], ["b", "c", "a", "b"]] * 50
    for w in (1, 2):
        GloVe(vector_size=4, epochs=1, workers=w, min_count=1, verbose=False).fit(small)

    wait_quiet(args.wait_quiet)
    X, count_rows, spill_same = bench_counting(corpus, 1 if args.quick else 3)
    vocab = corpus.vocab
    wait_quiet(args.wait_quiet)
    speed = bench_speed(X, vocab, speed_epochs, rounds)
    glove_q = {}
    glove_runs = {}
    for x_max in (100, 10):
        res, secs, la, model = bench_glove_quality(X, vocab, x_max, checkpoints, workers=2)
        glove_q[x_max] = res
        glove_runs[x_max] = (secs, la, model.history_, agreement(model))
    sgns_q, sgns_s, sgns_load = bench_sgns(corpus, workers=2)
    log(f"SGNS: {sgns_s:.1f} s, ws {sgns_q['W']['ws353']:.3f}")
    svd, svd_s, svd_load = bench_svd(X, vocab)
    mit = bench_mittens(X, vocab, args.mittens_words,
                        20 if args.quick else args.mittens_iters, checkpoints[-1])
    total_min = (time.perf_counter() - started) / 60
    load_end = os.getloadavg()

    nnz = X.nnz
    one, two = speed[1], speed[2]
    count_1 = count_rows[0][1]
    count_2 = count_rows[1][1]
    lines = [
        "# GloVe, PPMI-SVD and co-occurrence counting: embedlib on one corpus",
        "",
        f"Date: {datetime.date.today().isoformat()}. Machine: {os.cpu_count()} cores "
        f"({platform.processor() or platform.machine()}), Python {platform.python_version()}, "
        f"numpy {np.__version__}. Whole run: {total_min:.0f} min. Load average (1 min) at "
        f"start {load_start[0]:.1f}, at the end {load_end[0]:.1f}; beside each timing below. "
        "A load above ~0.3 means other processes shared the 2 cores: those timings are "
        "upper bounds.",
        "",
        f"Corpus: `{args.corpus.name}`, {corpus.n_raw_tokens:,} tokens, vocabulary "
        f"{len(vocab):,} (min_count 5), encoded in {encode_s:.1f} s. Co-occurrences: window 10, "
        f"1/distance weights, both sides: **{nnz:,} nonzeros** (the GloVe C tool counts 14.1M on "
        "this corpus with the same settings).",
        "",
        "## Counting",
        "",
        "| run | seconds | nonzeros | load |",
        "|---|---|---|---|",
    ]
    for label, secs, n, la in count_rows:
        lines.append(f"| {label} | {secs:.2f} | {n:,} | {la:.1f} |")
    lines += ["", f"The spilled run gives the same matrix bit for bit: {spill_same}.", "",
              "## GloVe training speed (100 dimensions)", "",
              "| workers | seconds per epoch (median) | nonzero updates/s (median) | best epoch "
              "| per worker | cores obtained | per CPU-second of a worker | load |",
              "|---|---|---|---|---|---|---|---|"]
    for w in (1, 2):
        s = speed[w]
        lines.append(f"| {w} | {s['seconds']:.2f} | {s['rate'] / 1e6:.2f}M | "
                     f"{s['best'] / 1e6:.2f}M | {s['rate'] / w / 1e6:.2f}M | {s['cores']:.2f} | "
                     f"{s['cpu_rate'] / 1e6:.2f}M | {s['load']:.1f} |")
    lines += ["", "\"Cores obtained\" is the process's CPU time over wall time during the epochs: "
              "below the number of workers, other processes were using the cores. The last "
              "column, updates per CPU-second of one worker, is what a worker does when it "
              "runs, whatever the load."]
    lines += ["",
              "The GloVe C tool on the same machine and counts, with nothing else running "
              "(`../shared/PERFORMANCE.md`, double precision): 0.70M nonzero updates/s with 1 "
              "thread, 1.22M/s with 2. (The 0.5M per thread quoted in the issue came from a "
              "loaded machine.)", ""]
    lines += ["## Quality", "",
              "Spearman on WordSim353 and SimLex-999; analogy accuracy (%) on questions-words.txt "
              "over the questions whose words are among the 30,000 most frequent (coverage %).",
              "", "| model | WordSim353 | SimLex-999 | analogy % | analogy coverage % |",
              "|---|---|---|---|---|"]
    for x_max in (100, 10):
        for (epoch, label), q in sorted(glove_q[x_max].items()):
            lines.append(qrow(f"GloVe x_max {x_max}, {epoch} epochs, {label}", q))
    for eig, q in svd.items():
        for label, qq in q.items():
            lines.append(qrow(f"SVD of PPMI (k 1, cds 0.75, eig {eig}), {label}", qq))
    for label, q in sgns_q.items():
        lines.append(qrow(f"embedlib SGNS (window 5, negative 5, 5 epochs), {label}", q))
    lines += [""]
    for x_max in (100, 10):
        secs, la, hist, _ = glove_runs[x_max]
        lines.append(f"GloVe x_max {x_max}: {len(hist)} epochs with 2 workers in {secs:.0f} s "
                     f"(load {la:.1f}); cost {hist[0].cost:.4f} after epoch 1, "
                     f"{hist[-1].cost:.4f} after epoch {len(hist)} (glove.c's normalization).")
    lines += ["", "Why W + C loses analogies here: in some directions W and C point opposite "
              "ways (negative eigenvalues of the symmetric part of WᵀC: the factorization of "
              "a matrix that is not positive semidefinite), and W + C cancels them. W "
              "projected on the other directions behaves like W + C:", "",
              "| model | directions where W and C disagree | share of the spectrum | "
              "W on the agreeing directions: WordSim353 | SimLex-999 | analogy % |",
              "|---|---|---|---|---|---|"]
    for x_max in (100, 10):
        a = glove_runs[x_max][3]
        lines.append(f"| GloVe x_max {x_max}, {checkpoints[-1]} epochs | {a['negative']} of 100 | "
                     f"{100 * a['share']:.0f}% | {a['w_pos']['ws353']:.3f} | "
                     f"{a['w_pos']['simlex']:.3f} | {a['w_pos']['analogy']:.2f} |")
    lines.append("")
    lines.append(f"SGNS: {sgns_s:.0f} s with 2 workers (load {sgns_load:.1f}). PPMI and its "
                 f"rank-100 SVD (ARPACK): {svd_s:.0f} s (load {svd_load:.1f}).")
    lines += ["", "## mittens on the same counts", ""]
    if mit is None:
        lines.append("mittens could not be imported (`pip install mittens`); not run.")
    else:
        lines += [
            f"mittens {mit['version']} (its NumPy implementation: full-batch AdaGrad on the dense "
            f"matrix) needs the whole V x V matrix in memory, so both run on the counts "
            f"restricted to the {mit['n_words']:,} most frequent words ({mit['nnz']:,} "
            "nonzeros); x_max 100, alpha 0.75, learning rate 0.05, 100 dimensions, W + C. "
            "Evaluated like the rest (fewer questions are covered).", "",
            "| model | seconds | WordSim353 | SimLex-999 | analogy % | analogy coverage % |",
            "|---|---|---|---|---|---|",
            f"| mittens, {mit['iters']} iterations | {mit['m_secs']:.0f} | "
            f"{mit['m_q']['ws353']:.3f} | {mit['m_q']['simlex']:.3f} | "
            f"{mit['m_q']['analogy']:.2f} | {mit['m_q']['coverage']:.1f} |",
            f"| embedlib GloVe, {mit['epochs']} epochs, 2 workers | {mit['e_secs']:.0f} | "
            f"{mit['e_q']['ws353']:.3f} | {mit['e_q']['simlex']:.3f} | "
            f"{mit['e_q']['analogy']:.2f} | {mit['e_q']['coverage']:.1f} |", "",
            f"(load during mittens: {mit['m_load']:.1f})"]

    # targets
    wc_vs_w = []
    for x_max in (100, 10):
        for epoch in checkpoints:
            q = glove_q[x_max]
            wc_vs_w.append((x_max, epoch, q[(epoch, "W + C")]["ws353"], q[(epoch, "W")]["ws353"],
                            q[(epoch, "W + C")]["simlex"], q[(epoch, "W")]["simlex"],
                            q[(epoch, "W + C")]["analogy"], q[(epoch, "W")]["analogy"]))
    lines += ["", "## Targets", "",
              f"- At least 1.5M nonzero updates/s per worker at 100 dimensions: 1 worker "
              f"{one['rate'] / 1e6:.2f}M/s, 2 workers {two['rate'] / 2e6:.2f}M/s per worker "
              f"({'met' if min(one['rate'], two['rate'] / 2) >= 1.5e6 else 'missed'}); "
              f"{one['rate'] / 0.70e6:.1f}x the C tool's quiet 1-thread figure.",
              f"- 2 workers at least 1.8x one: {two['rate'] / one['rate']:.2f}x "
              f"({'met' if two['rate'] / one['rate'] >= 1.8 else 'missed'}); "
              f"{two['rate'] / 1.22e6:.1f}x the C tool with 2 threads.",
              f"- Counting faster than one epoch: {count_1:.2f} s (1 thread) against "
              f"{one['seconds']:.2f} s per epoch with 1 worker; {count_2:.2f} s (2 threads) "
              f"against {two['seconds']:.2f} s with 2 "
              f"({'met' if count_1 < one['seconds'] and count_2 < two['seconds'] else 'missed'}).",
              "- W + C at least as good as W alone (WordSim353, SimLex-999, analogy %): " +
              "; ".join(f"x_max {x}, {e} epochs: {a:.3f}/{b:.3f}, {c:.3f}/{d:.3f}, {g:.1f}/{h:.1f}"
                        for x, e, a, b, c, d, g, h in wc_vs_w) + ".",
              ""]
    text = "\n".join(lines)
    print(text)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)


if __name__ == "__main__":
    main()

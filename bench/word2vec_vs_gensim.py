"""embedlib's word2vec against gensim's, on the same corpus with the same hyperparameters.

    python bench/word2vec_vs_gensim.py [--corpus PATH] [--epochs 5] [--seeds 3] [--hs]
        [--whole-only] [--rounds 2]

For each architecture (skip-gram, CBOW) and worker count (1, 2), and each seed, the runs
alternate (embedlib, gensim corpus_file, gensim iterable) so that drift in the machine's
speed hits all of them alike; the table reports training words/s (raw corpus tokens x
epochs / training seconds; vocabulary building excluded for all), the ratio to gensim's
corpus_file mode, and quality as the mean over seeds: Spearman on WordSim353 and
SimLex-999, and analogy accuracy on questions-words.txt (restrict_vocab=30000), all
computed by embedlib's evaluators on every model's vectors. It also reports Numba's
first-call compilation cost, with an empty and with a warm cache.

With ``--hs`` both train hierarchical softmax instead of negative sampling (``hs=1,
negative=0``) and the report goes to ``bench/results/word2vec_hs.md``.

Whole processes. A user waits for the whole command, not for the training loop, so the report
also has a table of whole processes from start to the written text vectors, 2 workers: the
``embedlib train sgns|cbow`` command, a Python process running gensim's ``build_vocab`` and
``train`` with ``corpus_file`` and ``save_word2vec_format``, and the word2vec C tool when the
environment variable ``W2V_C`` names its binary. The systems alternate within each of
``--rounds`` rounds (default 2); the table gives the best wall time, the CPU time (user + system)
the process obtained, its peak resident memory, words/s over the whole process (raw tokens x
epochs / wall seconds; gensim's own log counts the words left after subsampling, which is
fewer) and the quality of the vectors read back from the text file, with the load average
before and after each run so that a loaded machine shows. embedlib's phases (start-up and
import, reading the corpus, training, writing) come from its report on stderr; gensim's from
timers in its script. ``--whole-only`` runs only this table.

Needs gensim (``pip install -e .[bench]``) and the corpus (default:
``../shared/corpora/nltk_mix.txt.gz`` beside the project).
"""

from __future__ import annotations

import argparse
import datetime
import gzip
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DEFAULT_CORPUS = ROOT.parent / "shared" / "corpora" / "nltk_mix.txt.gz"
HYPER = dict(vector_size=100, window=5, negative=5, sample=1e-3, min_count=5)


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


def run_embedlib(corpus, sg, workers, seed, epochs):
    from embedlib import Word2Vec
    model = Word2Vec(sg=sg, workers=workers, seed=seed, epochs=epochs, verbose=False, **HYPER)
    # the vocabulary is built with the corpus (timed apart); fit() then only trains
    t0 = time.perf_counter()
    model.fit(corpus)
    seconds = time.perf_counter() - t0
    return seconds, model.wv, model.history_[-1].loss


def run_gensim(path, sg, workers, seed, epochs, corpus_file):
    from gensim.models import Word2Vec as GW
    from gensim.models.word2vec import LineSentence
    from embedlib import Embeddings
    alpha = 0.025 if sg else 0.05
    model = GW(sg=sg, workers=workers, seed=seed, epochs=epochs, alpha=alpha, **HYPER)
    if corpus_file:
        model.build_vocab(corpus_file=str(path))
    else:
        model.build_vocab(LineSentence(str(path)))
    t0 = time.perf_counter()
    if corpus_file:
        model.train(corpus_file=str(path), total_examples=model.corpus_count,
                    total_words=model.corpus_total_words, epochs=epochs)
    else:
        model.train(LineSentence(str(path)), total_examples=model.corpus_count,
                    total_words=model.corpus_total_words, epochs=epochs)
    seconds = time.perf_counter() - t0
    kv = model.wv
    emb = Embeddings(list(kv.index_to_key), kv.vectors,
                     model.syn1neg if HYPER["negative"] else None,
                     counts=[kv.get_vecattr(w, "count") for w in kv.index_to_key])
    return seconds, emb


GENSIM_WHOLE = r"""
import json, sys, time
t0 = time.perf_counter()
from gensim.models import Word2Vec
path, out, sg, workers, seed, epochs, alpha = sys.argv[1:8]
t1 = time.perf_counter()
m = Word2Vec(sg=int(sg), workers=int(workers), seed=int(seed), epochs=int(epochs),
             alpha=float(alpha), vector_size=100, window=5, negative=5, sample=1e-3, min_count=5)
m.build_vocab(corpus_file=path)
t2 = time.perf_counter()
m.train(corpus_file=path, total_examples=m.corpus_count, total_words=m.corpus_total_words,
        epochs=int(epochs))
t3 = time.perf_counter()
m.wv.save_word2vec_format(out)
t4 = time.perf_counter()
print(json.dumps({"import": t1 - t0, "read": t2 - t1, "train": t3 - t2, "write": t4 - t3}))
"""


def timed_process(cmd):
    """Run ``cmd`` under ``/usr/bin/time``; its wall seconds, CPU seconds (user + system),
    peak resident memory (MB), stdout and stderr, and the 1-minute load average before it.
    (The peak RSS that ``wait4`` gives a child of this process would include this process's
    own memory, copied at the fork; ``time`` is small.)"""
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        stats = Path(tmp) / "time"
        t0 = time.perf_counter()
        r = subprocess.run(["/usr/bin/time", "-f", "%M %U %S", "-o", str(stats), *cmd],
                           capture_output=True, text=True)
        wall = time.perf_counter() - t0
        if r.returncode != 0:
            raise RuntimeError(f"{cmd[0]} failed ({r.returncode}): {r.stderr[-2000:]}")
        kb, user, system = stats.read_text().split()[-3:]
    return dict(wall=wall, cpu=float(user) + float(system), rss=int(kb) / 1024, load=load,
                stdout=r.stdout, stderr=r.stderr)


def embedlib_phases(stderr: str, wall: float) -> dict:
    """Seconds of each phase from the report of ``embedlib train`` on stderr."""
    import re
    read = float(re.search(r"\(read in ([0-9.]+) s\)", stderr).group(1))
    train = float(re.search(r"trained in ([0-9.]+) s", stderr).group(1))
    write = float(re.search(r"^wrote .* in ([0-9.]+) s$", stderr, re.M).group(1))
    return {"import": wall - read - train - write, "read": read, "train": train, "write": write}


def whole_processes(plain: Path, arch: str, workers: int, epochs: int, rounds: int,
                    w2v_c: str | None) -> list[dict]:
    """Every run of every system, alternating within each round."""
    from embedlib import load_vectors
    sg = arch == "sg"
    alpha = 0.025 if sg else 0.05
    exe = Path(sys.executable).parent / "embedlib"
    runs = []
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "vectors.txt"
        for rnd in range(rounds):
            seed = rnd + 1
            systems = {
                "embedlib CLI": [str(exe), "train", "sgns" if sg else "cbow", str(plain),
                                 "-o", str(out), "--workers", str(workers), "--seed",
                                 str(seed), "--epochs", str(epochs), "--alpha", str(alpha),
                                 "-q"],
                "gensim corpus_file": [sys.executable, "-c", GENSIM_WHOLE, str(plain),
                                       str(out), str(int(sg)), str(workers), str(seed),
                                       str(epochs), str(alpha)],
            }
            if w2v_c:
                systems["word2vec C"] = [w2v_c, "-train", str(plain), "-output", str(out),
                                         "-cbow", str(int(not sg)), "-size", "100",
                                         "-window", "5", "-negative", "5", "-hs", "0",
                                         "-sample", "1e-3", "-threads", str(workers),
                                         "-iter", str(epochs), "-min-count", "5",
                                         "-alpha", str(alpha), "-binary", "0"]
            for name, cmd in systems.items():
                r = timed_process(cmd)
                if name == "embedlib CLI":
                    r["phases"] = embedlib_phases(r["stderr"], r["wall"])
                elif name == "gensim corpus_file":
                    import json
                    r["phases"] = json.loads(r["stdout"].strip().splitlines()[-1])
                else:
                    r["phases"] = {}
                r.update(quality(load_vectors(out)), system=name, round=rnd,
                         load_after=os.getloadavg()[0])
                del r["stdout"], r["stderr"]
                out.unlink()
                runs.append(r)
                print(f"{arch} whole process, round {rnd + 1}, {name}: {r['wall']:.2f} s wall, "
                      f"{r['cpu']:.2f} s CPU, {r['rss']:.0f} MB, load {r['load']:.1f}, "
                      f"ws353={r['ws353']:.3f} simlex={r['simlex']:.3f} "
                      f"analogy={r['analogy']:.1f}%", flush=True)
    return runs


def whole_table(runs_by_arch: dict, raw: int, epochs: int) -> list[str]:
    """The markdown of the whole-process table and its phase breakdown."""
    lines = ["| model | system | best wall s | CPU s (of that run) | peak RSS MB | words/s, whole "
             "process | ratio to gensim (wall) | load before, after | WordSim353 | SimLex-999 | "
             "analogy % |", "|---|---|---|---|---|---|---|---|---|---|---|"]
    phases = []
    for arch, runs in runs_by_arch.items():
        best = {}
        for r in runs:
            if r["system"] not in best or r["wall"] < best[r["system"]]["wall"]:
                best[r["system"]] = r
        ref = best["gensim corpus_file"]["wall"]
        label = "skip-gram" if arch == "sg" else "CBOW"
        for name, b in best.items():
            mine = [r for r in runs if r["system"] == name]
            q = {k: statistics.mean(r[k] for r in mine) for k in ("ws353", "simlex", "analogy")}
            lines.append(f"| {label} | {name} | {b['wall']:.2f} | {b['cpu']:.2f} | "
                         f"{b['rss']:.0f} | {raw * epochs / b['wall'] / 1e3:,.0f}k | "
                         f"{ref / b['wall']:.2f}x | {b['load']:.1f}, {b['load_after']:.1f} | "
                         f"{q['ws353']:.3f} | {q['simlex']:.3f} | {q['analogy']:.2f} |")
            if b["phases"]:
                ph = b["phases"]
                phases.append(f"{label}, {name} (best run): " + ", ".join(
                    f"{k} {v:.2f} s" for k, v in ph.items()) +
                    f"; training alone {raw * epochs / ph['train'] / 1e3:,.0f}k words/s")
    return lines + [""] + [f"- {p}" for p in phases]


def jit_cost():
    """Seconds for the first fit() in a fresh process, with an empty and a warm cache."""
    code = ("import time; t=time.perf_counter(); import embedlib; "
            "s=[['a','b','c','d'][i % 4:] + ['e'] for i in range(200)]; "
            "embedlib.Word2Vec(sg=1, min_count=1, epochs=1, workers=1, verbose=False).fit(s); "
            "embedlib.Word2Vec(sg=0, min_count=1, epochs=1, workers=1, verbose=False).fit(s); "
            "print(time.perf_counter()-t)")
    out = {}
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache, PYTHONPATH=str(ROOT))
        for label in ("empty cache", "warm cache"):
            r = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                               text=True, check=True)
            out[label] = float(r.stdout.strip().splitlines()[-1])
    return out


def write_whole(args, plain: Path, corpus) -> None:
    """Run the whole-process table and write ``bench/results/word2vec_whole.md``."""
    import gensim
    raw = corpus.n_raw_tokens
    load_before = os.getloadavg()
    w2v_c = os.environ.get("W2V_C")
    runs = {arch: whole_processes(plain, arch, 2, args.epochs, args.rounds, w2v_c)
            for arch in args.arch}
    load_after = os.getloadavg()
    lines = [
        "# word2vec: whole processes, embedlib against gensim",
        "",
        f"Date: {datetime.date.today().isoformat()}. Machine: {os.cpu_count()} cores "
        f"({platform.processor() or platform.machine()}), Python {platform.python_version()}, "
        f"gensim {gensim.__version__}, numpy {np.__version__}. Load average (1, 5, 15 min) "
        f"before {', '.join(f'{x:.1f}' for x in load_before)}, after "
        f"{', '.join(f'{x:.1f}' for x in load_after)}; the 1-minute load before and after "
        "each run is in the table. On 2 cores, a run that obtained less CPU time than about "
        "twice its training time shared the machine.",
        "",
        f"Corpus: `{args.corpus.name}` decompressed to a plain text file (gensim's corpus_file "
        f"reads plain text), {raw:,} tokens, vocabulary {len(corpus.vocab):,} (min_count 5). "
        f"Same hyperparameters for every system: dim 100, window 5, negative 5, sample 1e-3, "
        f"{args.epochs} epochs, 2 workers; alpha 0.025 (skip-gram), 0.05 (CBOW); seed = round. "
        "Each process runs from start to the written word2vec text file; best wall time of "
        f"{args.rounds} rounds, systems alternating within each round. Words/s: raw tokens x "
        "epochs / wall seconds of the whole process (gensim's log counts the words left after "
        "subsampling, fewer than the raw tokens counted here). Quality: mean over the rounds, "
        "of the vectors read back from the text file, by embedlib's evaluators (Spearman on "
        "WordSim353 and SimLex-999, 3CosAdd accuracy on questions-words.txt, restrict_vocab "
        "30000)." + ("" if w2v_c else " The word2vec C tool was not run (set W2V_C to the "
                                      "path of its binary)."),
        "",
    ] + whole_table(runs, raw, args.epochs) + [""]
    text = "\n".join(lines)
    print(text)
    out = args.out.parent / "word2vec_whole.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--arch", nargs="+", default=["sg", "cbow"], choices=["sg", "cbow"])
    ap.add_argument("--no-iterable", action="store_true", help="skip gensim's iterable mode")
    ap.add_argument("--hs", action="store_true",
                    help="hierarchical softmax (hs=1, negative=0) for both systems")
    ap.add_argument("--whole-only", action="store_true",
                    help="only the whole-process table (2 workers)")
    ap.add_argument("--rounds", type=int, default=2,
                    help="rounds of the whole-process table (best of them is reported)")
    ap.add_argument("--out", type=Path, default=None,
                    help="the report (default bench/results/word2vec.md, or word2vec_hs.md "
                         "with --hs)")
    args = ap.parse_args(argv)
    if args.hs:
        HYPER.update(hs=1, negative=0)
    if args.out is None:
        args.out = ROOT / "bench" / "results" / ("word2vec_hs.md" if args.hs else "word2vec.md")
    if not args.corpus.exists():
        sys.exit(f"corpus not found: {args.corpus} (pass --corpus PATH)")
    try:
        import gensim
    except ImportError:
        sys.exit("gensim is not installed: pip install -e .[bench]")
    from embedlib import Corpus

    tmp = Path(tempfile.mkdtemp())
    plain = tmp / "corpus.txt"  # gensim's corpus_file mode reads plain text
    with gzip.open(args.corpus, "rb") as src, open(plain, "wb") as dst:
        shutil.copyfileobj(src, dst)

    load_before = os.getloadavg()
    t0 = time.perf_counter()
    corpus = Corpus.from_file(args.corpus, min_count=HYPER["min_count"])
    encode_s = time.perf_counter() - t0
    raw = corpus.n_raw_tokens
    print(f"{corpus}, {raw} raw tokens, encoded in {encode_s:.1f} s", flush=True)
    # compile before timing anything
    from embedlib import Word2Vec
    for sg in (0, 1):
        Word2Vec(sg=sg, min_count=1, epochs=1, workers=1, verbose=False).fit(
            [["a", "b", "c"], ["b", "c", "a"]])

    if args.whole_only:
        write_whole(args, plain, corpus)
        shutil.rmtree(tmp, ignore_errors=True)
        return

    systems = [("embedlib", None), ("gensim corpus_file", True)]
    if not args.no_iterable:
        systems.append(("gensim iterable", False))
    rows = []
    for arch in args.arch:
        sg = int(arch == "sg")
        for workers in args.workers:
            res = {name: [] for name, _ in systems}
            for seed in range(1, args.seeds + 1):
                for name, cf in systems:
                    if name == "embedlib":
                        secs, emb, _ = run_embedlib(corpus, sg, workers, seed, args.epochs)
                    else:
                        secs, emb = run_gensim(plain, sg, workers, seed, args.epochs, cf)
                    q = quality(emb)
                    wps = raw * args.epochs / secs
                    res[name].append(dict(wps=wps, **q))
                    print(f"{arch} workers={workers} seed={seed} {name}: {wps / 1e3:.0f}k words/s "
                          f"ws353={q['ws353']:.3f} simlex={q['simlex']:.3f} "
                          f"analogy={q['analogy']:.1f}% ({q['coverage']:.0f}% covered)",
                          flush=True)
            ref = res["gensim corpus_file"]
            for name, _ in systems:
                r = res[name]
                ratios = [a["wps"] / b["wps"] for a, b in zip(r, ref)]
                rows.append((arch, workers, name,
                             statistics.mean(x["wps"] for x in r),
                             statistics.mean(ratios),
                             statistics.mean(x["ws353"] for x in r),
                             statistics.mean(x["simlex"] for x in r),
                             statistics.mean(x["analogy"] for x in r),
                             statistics.mean(x["coverage"] for x in r)))
    jit = jit_cost()
    load_after = os.getloadavg()
    if not args.hs:
        write_whole(args, plain, corpus)
    shutil.rmtree(tmp, ignore_errors=True)

    scaling = []
    for arch in args.arch:
        for name, _ in systems:
            w = {r[1]: r[3] for r in rows if r[0] == arch and r[2] == name}
            if 1 in w and 2 in w:
                scaling.append(f"{arch}, {name}: {w[2] / w[1]:.2f}x")

    lines = [
        "# word2vec: embedlib against gensim",
        "",
        f"Date: {datetime.date.today().isoformat()}. Machine: {os.cpu_count()} cores "
        f"({platform.processor() or platform.machine()}), Python {platform.python_version()}, "
        f"gensim {gensim.__version__}, numpy {np.__version__}. Load average (1, 5, 15 min) "
        f"before the run {', '.join(f'{x:.1f}' for x in load_before)}, after it "
        f"{', '.join(f'{x:.1f}' for x in load_after)}: other processes running at the same "
        "time slow both systems and make the ratios less certain.",
        "",
        f"Corpus: `{args.corpus.name}`, {raw:,} tokens, vocabulary {len(corpus.vocab):,} "
        f"(min_count 5). Hyperparameters for both: dim 100, window 5, "
        f"{'hierarchical softmax (hs=1, negative=0)' if args.hs else 'negative 5'}, "
        f"sample 1e-3, {args.epochs} epochs; alpha 0.025 (skip-gram) and 0.05 (CBOW). "
        f"Speed: raw tokens x epochs / training seconds, mean over {args.seeds} seeds, runs "
        "alternating between the systems; ratio: embedlib (or gensim iterable) over gensim "
        "corpus_file in the same seed's round. Quality: mean over the seeds; Spearman x 1 on "
        "WordSim353 and SimLex-999, analogy accuracy on questions-words.txt "
        "(restrict_vocab 30000, 3CosAdd), all computed by embedlib's evaluators.",
        "",
        "| model | workers | system | words/s | ratio to gensim corpus_file | WordSim353 | "
        "SimLex-999 | analogy % | analogy coverage % |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for arch, workers, name, wps, ratio, ws, sl, an, cov in rows:
        lines.append(f"| {'skip-gram' if arch == 'sg' else 'CBOW'} | {workers} | {name} | "
                     f"{wps / 1e3:,.0f}k | {ratio:.2f} | {ws:.3f} | {sl:.3f} | {an:.2f} | "
                     f"{cov:.1f} |")
    lines += ["", "Scaling, 2 workers over 1: " + "; ".join(scaling) + ".", "",
              f"Corpus encoding by embedlib (read, count, encode; once per corpus): "
              f"{encode_s:.1f} s.", "",
              "First-call cost of Numba compilation (a fresh process fitting skip-gram and "
              f"CBOW on a tiny corpus): {jit['empty cache']:.1f} s with an empty cache, "
              f"{jit['warm cache']:.1f} s with a warm cache.", ""]
    text = "\n".join(lines)
    print(text)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)


if __name__ == "__main__":
    main()

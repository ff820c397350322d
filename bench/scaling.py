"""Two workers against one, and against what the machine gives two independent processes.

    python bench/scaling.py [--corpus PATH] [--rounds 3] [--models sgns cbow glove]

For skip-gram, CBOW and GloVe, each round runs three things in turn, from the same encoded
corpus (GloVe: from the same co-occurrence counts), so that reading is not timed:

1. one ``embedlib train`` process with ``--workers 1``;
2. one process with ``--workers 2``;
3. two processes with ``--workers 1`` at the same time (different seeds).

Training seconds come from each process's own report (``trained in ... s``). The speed-up of 2
workers is (1) / (2). The third run is the machine's ceiling for any two-thread program that
shares nothing: two independent processes each train at some fraction of the speed of one
alone (the cores share the L3 cache, the memory bandwidth and, in a virtual machine, the host),
so 2 x (1) / (mean of the two times in 3) is the most two workers could reach. The report
gives medians over the rounds, the load average before each round and the CPU time the
processes obtained. Results are appended to ``bench/results/scaling.md``.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = ROOT.parent / "shared" / "corpora" / "nltk_mix.txt.gz"
EXE = str(Path(sys.executable).parent / "embedlib")
ARGS = {
    "sgns": ["--epochs", "2", "--alpha", "0.025"],
    "cbow": ["--epochs", "3", "--alpha", "0.05"],
    "glove": ["--epochs", "3"],
}


def start(model, source, out, workers, seed):
    cmd = [EXE, "train", model, str(source), "-o", str(out), "--workers", str(workers),
           "--seed", str(seed), "-q", *ARGS[model]]
    return subprocess.Popen(["/usr/bin/time", "-f", "%U %S", "-o", f"{out}.time", *cmd],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def finish(proc, out):
    err = proc.communicate()[1]
    if proc.returncode != 0:
        sys.exit(f"embedlib failed ({proc.returncode}): {err[-2000:]}")
    user, system = Path(f"{out}.time").read_text().split()[-2:]
    train = float(re.search(r"trained in ([0-9.]+) s", err).group(1))
    return train, float(user) + float(system)


def run(model, source, tmp, workers, seeds):
    """Processes with ``workers`` each, one per seed, started together; their training
    seconds and CPU seconds."""
    outs = [Path(tmp) / f"{model}-{s}.txt" for s in seeds]
    procs = [start(model, source, o, workers, s) for o, s in zip(outs, seeds)]
    return [finish(p, o) for p, o in zip(procs, outs)]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--models", nargs="+", default=["sgns", "cbow", "glove"],
                    choices=["sgns", "cbow", "glove"])
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "scaling.md")
    args = ap.parse_args(argv)
    if not args.corpus.exists():
        sys.exit(f"corpus not found: {args.corpus} (pass --corpus)")
    rows, loads = [], []
    with tempfile.TemporaryDirectory() as tmp:
        enc, counts = Path(tmp) / "enc", Path(tmp) / "counts.npz"
        subprocess.run([EXE, "encode", str(args.corpus), "-o", str(enc)], check=True,
                       capture_output=True)
        if "glove" in args.models:
            subprocess.run([EXE, "cooccur", str(enc), "-o", str(counts)],
                           check=True, capture_output=True)
        results = {m: {"one": [], "two": [], "pair": [], "cpu2": []} for m in args.models}
        for rnd in range(args.rounds):
            for model in args.models:
                source = counts if model == "glove" else enc
                loads.append(os.getloadavg()[0])
                (t1, _), = run(model, source, tmp, 1, [rnd + 1])
                (t2, c2), = run(model, source, tmp, 2, [rnd + 1])
                pair = run(model, source, tmp, 1, [rnd + 1, rnd + 101])
                r = results[model]
                r["one"].append(t1)
                r["two"].append(t2)
                r["pair"].append(statistics.mean(t for t, _ in pair))
                r["cpu2"].append(c2)
                print(f"round {rnd + 1} {model}: 1 worker {t1:.2f} s, 2 workers {t2:.2f} s "
                      f"({t1 / t2:.2f}x), two 1-worker processes {pair[0][0]:.2f} and "
                      f"{pair[1][0]:.2f} s (ceiling {2 * t1 / r['pair'][-1]:.2f}x)",
                      flush=True)
        for model, r in results.items():
            one, two, pair = (statistics.median(r[k]) for k in ("one", "two", "pair"))
            speedups = [a / b for a, b in zip(r["one"], r["two"])]
            ceilings = [2 * a / b for a, b in zip(r["one"], r["pair"])]
            rows.append(f"| {model} | {' '.join(ARGS[model][:2])} | {one:.2f} | {two:.2f} | "
                        f"{statistics.median(speedups):.2f}x ({min(speedups):.2f}-"
                        f"{max(speedups):.2f}) | {pair:.2f} | {statistics.median(ceilings):.2f}x "
                        f"({min(ceilings):.2f}-{max(ceilings):.2f}) | "
                        f"{statistics.median(speedups) / statistics.median(ceilings):.0%} | "
                        f"{statistics.median(r['cpu2']):.1f} |")
    load_after = os.getloadavg()
    today = datetime.date.today().isoformat()
    text = [
        f"## {today}: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, {args.rounds} rounds",
        "",
        f"Corpus {args.corpus.name}, encoded once (GloVe: its co-occurrence counts, window 10). "
        f"Defaults otherwise (dim 100; word2vec window 5, negative 5, sample 1e-3). Load "
        f"average (1 min) before each round's models: {', '.join(f'{x:.1f}' for x in loads)}; "
        f"after: {load_after[0]:.1f}, {load_after[1]:.1f}, {load_after[2]:.1f}.",
        "",
        "| model | epochs | 1 worker s | 2 workers s | 2 workers over 1 (median, range) | "
        "two 1-worker processes at once, s each | ceiling 2 x (1 alone) / (1 of two) | "
        "share of the ceiling | CPU s of the 2-worker run |",
        "|---|---|---|---|---|---|---|---|---|",
        *rows,
        "",
    ]
    print("\n".join(text))
    if not args.out.exists():
        args.out.write_text("# Scaling: 2 workers over 1, beside the machine's ceiling\n\n"
                            "See bench/scaling.py. Medians over rounds; training seconds from "
                            "each process's report.\n\n")
    with open(args.out, "a") as f:
        f.write("\n".join(text) + "\n")


if __name__ == "__main__":
    main()

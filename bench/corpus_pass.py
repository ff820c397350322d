"""The corpus pass at scale: embedlib encode against gensim's and the C tool's vocabulary pass.

    python bench/corpus_pass.py [--sizes 1 10 100] [--rounds 2] [--word2vec PATH]
                                [--main PATH] [--no-epoch] [--out bench/results/corpus_pass.md]

The NLTK mix is repeated 1, 10 (and 100) times into plain text files in a temporary folder
(gensim's ``corpus_file`` reads plain text only), removed at the end. Each size runs, as
whole child processes, alternating, ``--rounds`` times:

* ``embedlib encode X -o DIR --workers 2`` (count and encode, written to ``.npy``);
* ``Corpus.from_file`` of the code at ``--main`` (the Python pass it replaces; x1 and x10
  only, as it holds the corpus in memory);
* gensim ``Word2Vec(min_count=5, workers=2).build_vocab(corpus_file=X)`` (counting only);
* word2vec.c ``-train X -save-vocab V -min-count 5`` (counting only; ``--word2vec``, if
  given: build it with ``gcc -O3 -march=native -pthread word2vec.c -lm``);

then one epoch of skip-gram from the encoded directory (``embedlib train sgns DIR -o
v.npz --epochs 1 --workers 2``; not with ``--no-epoch``). Time is wall time of the child,
memory its peak resident set (``VmHWM``) and peak ``RssAnon`` (anonymous memory), both
sampled every 50 ms from ``/proc/PID/status`` (the pages of a memory-mapped corpus are
page cache and not counted in ``RssAnon``). The load average before each run is kept.
The table gives the best of the rounds and the ratios to gensim. Not a test.
"""

from __future__ import annotations

import argparse
import datetime
import gzip
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MIX = ROOT.parent / "shared" / "corpora" / "nltk_mix.txt.gz"
PY = sys.executable


def run_sampled(argv, env=None) -> dict:
    """Wall time, peak RSS (``VmHWM``) and peak ``RssAnon`` (MB) of one child process,
    sampled from ``/proc/PID/status`` every 50 ms, and the load average before it."""
    load = os.getloadavg()[0]
    t = time.perf_counter()
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    anon = hwm = 0
    while proc.poll() is None:
        try:
            with open(f"/proc/{proc.pid}/status") as f:
                for line in f:
                    if line.startswith("RssAnon:"):
                        anon = max(anon, int(line.split()[1]))
                    elif line.startswith("VmHWM:"):
                        hwm = max(hwm, int(line.split()[1]))
        except OSError:
            pass
        time.sleep(0.05)
    seconds = time.perf_counter() - t
    if proc.returncode != 0:
        raise RuntimeError(f"{argv} failed: {proc.stderr.read().decode(errors='replace')}")
    return dict(seconds=seconds, rss=hwm / 1024, anon=anon / 1024, load=load)


def commands(text: Path, work: Path, args, size: int) -> dict:
    enc = work / f"enc{size}"
    cmds = {"embedlib encode": ([PY, "-m", "embedlib", "encode", str(text), "-o", str(enc),
                                 "--workers", "2", "--min-count", "5"], None)}
    if args.main and size <= 10:
        env = dict(os.environ, PYTHONPATH=str(args.main), PYTHONDONTWRITEBYTECODE="1")
        cmds["Python pass (main)"] = ([PY, "-c", "from embedlib import Corpus; "
                                       f"Corpus.from_file({str(text)!r}, min_count=5)"], env)
    cmds["gensim build_vocab"] = ([PY, "-c", "from gensim.models import Word2Vec; "
                                   "Word2Vec(min_count=5, workers=2).build_vocab("
                                   f"corpus_file={str(text)!r})"], None)
    if args.word2vec:
        cmds["word2vec.c vocab"] = ([str(args.word2vec), "-train", str(text), "-save-vocab",
                                     str(work / "vocab.txt"), "-min-count", "5"], None)
    return cmds


def bench_size(size: int, work: Path, args, tokens_x1: int) -> list[dict]:
    text = work / f"mix_x{size}.txt"
    with open(text, "wb") as out:
        one = gzip.decompress(MIX.read_bytes())
        for _ in range(size):
            out.write(one)
    rows: dict[str, list[dict]] = {}
    cmds = commands(text, work, args, size)
    for _ in range(args.rounds):
        for name, (argv, env) in cmds.items():
            rows.setdefault(name, []).append(run_sampled(argv, env))
            print(size, name, rows[name][-1], flush=True)
    if args.epoch:
        epoch = [PY, "-m", "embedlib", "train", "sgns", str(work / f"enc{size}"), "-o",
                 str(work / "v.npz"), "--epochs", "1", "--workers", "2", "-q"]
        rows["sgns epoch from DIR"] = [run_sampled(epoch)]
        print(size, "epoch", rows["sgns epoch from DIR"][-1], flush=True)
    text.unlink()
    shutil.rmtree(work / f"enc{size}", ignore_errors=True)
    best = []
    for name, runs in rows.items():
        b = min(runs, key=lambda r: r["seconds"])
        best.append(dict(size=size, name=name, tokens=tokens_x1 * size,
                         loads=[r["load"] for r in runs], **b))
    return best


def table(results: list[dict], rounds: int) -> str:
    lines = ["| size | process | time (s) | ns / token | peak RSS (MB) | peak RssAnon (MB) | "
             "gensim time / this | load averages |", "|---|---|---|---|---|---|---|---|"]
    for r in results:
        gensim = next(x for x in results if x["size"] == r["size"]
                      and x["name"] == "gensim build_vocab")["seconds"]
        ratio = f"{gensim / r['seconds']:.2f}x" if r["name"] != "sgns epoch from DIR" else "-"
        lines.append(f"| x{r['size']} | {r['name']} | {r['seconds']:.2f} | "
                     f"{1e9 * r['seconds'] / r['tokens']:.0f} | {r['rss']:.0f} | "
                     f"{r['anon']:.0f} | {ratio} | "
                     f"{', '.join(f'{x:.1f}' for x in r['loads'])} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sizes", type=int, nargs="+", default=[1, 10])
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--word2vec", type=Path, help="a word2vec.c binary")
    p.add_argument("--main", type=Path, help="a checkout of the code to compare with")
    p.add_argument("--no-epoch", dest="epoch", action="store_false",
                   help="skip the skip-gram epoch from the encoded directory")
    p.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "corpus_pass.md")
    args = p.parse_args(argv)
    tokens_x1 = sum(len(line.split()) for line in gzip.open(MIX, "rt", encoding="utf-8"))
    results = []
    with tempfile.TemporaryDirectory(prefix="corpus-pass-bench-") as work:
        for size in args.sizes:
            results += bench_size(size, Path(work), args, tokens_x1)
    when = datetime.date.today().isoformat()
    text = (f"# Corpus pass at scale ({when}, {os.cpu_count()} cores, rounds alternating: "
            f"best of {args.rounds})\n\n"
            f"NLTK mix ({tokens_x1:,} tokens, 21.4 MB) repeated; min_count 5; whole child "
            "processes (import and start-up included). See bench/corpus_pass.py.\n\n"
            + table(results, args.rounds) + "\n")
    print(text)
    if args.out.parent.is_dir():
        args.out.write_text(text if not args.out.exists() else
                            args.out.read_text() + "\n" + text)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The corpus pass on Dask (a LocalCluster on this machine) against the local pass.

    python bench/distributed_pass.py [--sizes 1 4] [--files 8] [--rounds 2]
                                     [--partition-size 16M] [--window 10]
                                     [--out bench/results/distributed_pass.md]

The NLTK mix is repeated ``size`` times and cut, at line ends, into ``--files`` plain text
files in a temporary folder (removed at the end). Each size runs, as whole child
processes, alternating, ``--rounds`` times:

* *local*: ``Corpus.from_file(files, workers=2, directory=DIR)`` then
  ``cooccurrence(corpus, window, workers=2)``;
* *dask*: a ``LocalCluster`` of 2 worker processes of one thread (its start timed apart),
  ``embedlib.distributed.encode_files(files, DIR, partition_size=...)`` then
  ``embedlib.distributed.cooccurrence(corpus, window, partition_size=...)``.

Each child times its steps with ``time.perf_counter`` (the Numba cache is warm: one run of
each is made first and not counted). After the rounds, the two encoded directories are
compared (vocabulary, counts, tokens, offsets: equal) and so are the matrices (the same
nonzeros; the largest relative difference of the values is reported). On one machine the
cluster cannot be faster than the threads of the local pass: what this measures is the
overhead of the tasks (start-up, pickling the partial counts, the shards written and
streamed into one file), not the speed-up of more machines. Not a test.
"""

from __future__ import annotations

import argparse
import datetime
import gzip
import json
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


# ------------------------------------------------------------------------------ children
def child(mode: str, out: str, files: list[str], window: int, partition_size: str) -> None:
    import scipy.sparse as sp

    from embedlib import Corpus, cooccurrence

    times = {}
    if mode == "local":
        t = time.perf_counter()
        corpus = Corpus.from_file(files, min_count=5, workers=2, directory=out)
        times["encode"] = time.perf_counter() - t
        t = time.perf_counter()
        X = cooccurrence(corpus, window, workers=2)
        times["cooccur"] = time.perf_counter() - t
    else:
        from embedlib import distributed as D
        t = time.perf_counter()
        with D.cluster(n_workers=2) as client:
            times["cluster start"] = time.perf_counter() - t
            t = time.perf_counter()
            corpus = D.encode_files(files, out, client=client, min_count=5,
                                    partition_size=partition_size)
            times["encode"] = time.perf_counter() - t
            t = time.perf_counter()
            X = D.cooccurrence(corpus, window, client=client, partition_size=partition_size)
            times["cooccur"] = time.perf_counter() - t
    sp.save_npz(Path(out) / "X.npz", X)
    times["tokens"] = int(corpus.n_raw_tokens)
    times["nnz"] = int(X.nnz)
    print(json.dumps(times))


# -------------------------------------------------------------------------------- parent
def make_files(work: Path, size: int, n_files: int) -> list[Path]:
    lines = gzip.decompress(MIX.read_bytes()).splitlines(keepends=True) * size
    per = -(-len(lines) // n_files)
    paths = []
    for k in range(n_files):
        p = work / f"mix_x{size}_{k}.txt"
        p.write_bytes(b"".join(lines[k * per:(k + 1) * per]))
        paths.append(p)
    return paths


def run_child(mode, out: Path, files, args) -> dict:
    shutil.rmtree(out, ignore_errors=True)
    load = os.getloadavg()[0]
    r = subprocess.run([PY, __file__, "--child", mode, str(out), str(args.window),
                        args.partition_size, *map(str, files)], capture_output=True,
                       text=True)
    if r.returncode != 0:
        raise RuntimeError(f"{mode} failed: {r.stderr}")
    times = json.loads(r.stdout.strip().splitlines()[-1])
    times["load"] = load
    return times


def compare(a: Path, b: Path) -> float:
    import numpy as np
    import scipy.sparse as sp

    from embedlib import Corpus

    x, y = Corpus.load(a), Corpus.load(b)
    assert x.vocab.words == y.vocab.words and np.array_equal(x.vocab.counts, y.vocab.counts)
    assert np.array_equal(x.tokens, y.tokens) and np.array_equal(x.offsets, y.offsets)
    X, Y = sp.load_npz(a / "X.npz"), sp.load_npz(b / "X.npz")
    assert np.array_equal(X.indptr, Y.indptr) and np.array_equal(X.indices, Y.indices)
    return float(np.max(np.abs(X.data - Y.data) / Y.data))


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sizes", type=int, nargs="+", default=[1, 4])
    p.add_argument("--files", type=int, default=8)
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--partition-size", default="16M")
    p.add_argument("--window", type=int, default=10)
    p.add_argument("--out", type=Path,
                   default=ROOT / "bench" / "results" / "distributed_pass.md")
    args = p.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory(prefix="distributed-pass-bench-") as work:
        work = Path(work)
        for size in args.sizes:
            files = make_files(work, size, args.files)
            mb = sum(f.stat().st_size for f in files) / 1e6
            for mode in ("local", "dask"):  # warm the Numba cache, not counted
                run_child(mode, work / mode, files[:1], args)
            runs = {"local": [], "dask": []}
            for _ in range(args.rounds):
                for mode in runs:
                    runs[mode].append(run_child(mode, work / mode, files, args))
                    print(size, mode, runs[mode][-1], flush=True)
            rel = compare(work / "dask", work / "local")
            for mode, rs in runs.items():
                best = {k: min(r[k] for r in rs) for k in ("encode", "cooccur")}
                start = min(r.get("cluster start", 0.0) for r in rs)
                rows.append(dict(size=size, mb=mb, mode=mode, tokens=rs[0]["tokens"],
                                 nnz=rs[0]["nnz"], start=start, rel=rel,
                                 loads=[r["load"] for r in rs], **best))
            for f in files:
                f.unlink()
    lines = ["| size | files | MB | run | cluster start (s) | encode (s) | ns / token | "
             "cooccur (s) | local / this (encode, cooccur) | load averages |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        local = next(x for x in rows if x["size"] == r["size"] and x["mode"] == "local")
        lines.append(
            f"| x{r['size']} | {args.files} | {r['mb']:.0f} | {r['mode']} | "
            f"{r['start']:.1f} | {r['encode']:.2f} | {1e9 * r['encode'] / r['tokens']:.0f} | "
            f"{r['cooccur']:.2f} | {local['encode'] / r['encode']:.2f}x, "
            f"{local['cooccur'] / r['cooccur']:.2f}x | "
            f"{', '.join(f'{x:.1f}' for x in r['loads'])} |")
    checks = "; ".join(f"x{r['size']}: {r['tokens']:,} tokens, {r['nnz']:,} nonzeros, "
                       f"largest relative difference {r['rel']:.1e}"
                       for r in rows if r["mode"] == "dask")
    when = datetime.date.today().isoformat()
    text = (f"# The corpus pass on Dask ({when}, {os.cpu_count()} cores, rounds alternating: "
            f"best of {args.rounds})\n\n"
            f"NLTK mix repeated and cut into {args.files} files; min_count 5; window "
            f"{args.window}; partition size {args.partition_size}; local: 2 threads; dask: a "
            "LocalCluster of 2 worker processes of one thread. Times inside the child "
            "process, the cluster's start apart. See bench/distributed_pass.py.\n\n"
            + "\n".join(lines) + "\n\n"
            f"The encoded directories were equal and the matrices had the same nonzeros "
            f"({checks}).\n")
    print(text)
    if args.out.parent.is_dir():
        args.out.write_text(text if not args.out.exists() else
                            args.out.read_text() + "\n" + text)
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        mode, out, window, size, *files = sys.argv[2:]
        child(mode, out, files, int(window), size)
    else:
        sys.exit(main())

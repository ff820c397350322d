"""Start-up: the embedlib command's whole process on tiny inputs, beside the floors it cannot
go below (Python, NumPy, Numba and its first cached kernel) and gensim on the same input.

    python bench/startup.py [--rounds 8] [--out bench/results/startup.md]

Each case is a child process, timed from its start to its exit (wall seconds, and its peak
resident memory from ``/usr/bin/time``). Every case runs once before the timing, so that the
kernels are compiled and cached: what is measured is a warm start, as a user has it from
the second run on. Each round runs every case once, in a rotating order, so that a change
in the machine's load falls on all of them; the report gives the median and the fastest
of the rounds, and the load average before and after.

The corpus is 1,000 lines of 12 words drawn from 2,000 (12,000 tokens); training is one
epoch, one worker, dim 100. The vectors for ``neighbors`` are 30,000 x 100 random float32
in the word2vec binary format.
"""

from __future__ import annotations

import argparse
import datetime
import importlib.util
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent

#: Numba's floor: its import, its CPU target's set-up (with the command's shortcut for the
#: BLAS check) and one small cached kernel, the least that any training command does
NUMBA_FLOOR = ("from embedlib._lazy import quick_blas_check; quick_blas_check()\n"
               "import numpy as np\n"
               "from embedlib.sampling import splitmix64\n"
               "splitmix64(np.uint64(1))\n")

GENSIM_TINY = ("import sys\n"
               "from gensim.models import Word2Vec\n"
               "m = Word2Vec(corpus_file=sys.argv[1], vector_size=100, min_count=1, epochs=1,\n"
               "             workers=1, seed=1)\n"
               "m.wv.save_word2vec_format(sys.argv[2])\n")


def cases(tmp: Path, gensim: bool) -> dict[str, list[str]]:
    py = sys.executable
    exe = [py, "-m", "embedlib"]
    corpus, vectors = tmp / "corpus.txt", tmp / "vectors.bin"
    out = str(tmp / "out.txt")
    train = ["--epochs", "1", "--workers", "1", "--min-count", "1", "-q", "-o", out]
    c = {
        "python -c pass": [py, "-c", "pass"],
        "import numpy": [py, "-c", "import numpy"],
        "import numba": [py, "-c", "import numba"],
        "Numba's floor (import, target, one cached kernel)": [py, "-c", NUMBA_FLOOR],
        "the same, objects frozen before the exit (as the command does)": [
            py, "-c", NUMBA_FLOOR + "import gc; gc.freeze()\n"],
        "embedlib --version": [*exe, "--version"],
        "embedlib neighbors (30,000 x 100 binary)": [*exe, "neighbors", str(vectors), "w1",
                                                     "--topn", "3"],
        "embedlib encode": [*exe, "encode", str(corpus), "-o", str(tmp / "encoded"),
                            "--min-count", "1"],
        "embedlib train cbow": [*exe, "train", "cbow", str(corpus), *train],
        "embedlib train sgns": [*exe, "train", "sgns", str(corpus), *train],
        "embedlib train glove": [*exe, "train", "glove", str(corpus), *train],
    }
    if gensim:
        c["gensim Word2Vec CBOW (corpus_file, save_word2vec_format)"] = [
            py, "-c", GENSIM_TINY, str(corpus), out]
    return c


def make_inputs(tmp: Path) -> None:
    rng = np.random.default_rng(0)
    words = [f"w{i}" for i in range(2000)]
    ids = rng.zipf(1.3, size=(1000, 12)) % len(words)
    (tmp / "corpus.txt").write_text("".join(" ".join(words[i] for i in row) + "\n"
                                            for row in ids))
    from embedlib import Embeddings
    Embeddings([f"w{i}" for i in range(30_000)],
               rng.standard_normal((30_000, 100)).astype(np.float32)).save(tmp / "vectors.bin")


def timed(cmd: list[str], tmp: Path) -> tuple[float, float]:
    """Wall seconds and peak resident MB of one child process."""
    stats = tmp / "time.txt"
    t0 = time.perf_counter()
    r = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", str(stats), *cmd], cwd=tmp,
                       capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:4])} failed ({r.returncode}): {r.stderr[-2000:]}")
    return wall, int(stats.read_text().split()[-1]) / 1024


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=8)
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "startup.md")
    args = ap.parse_args()
    gensim = importlib.util.find_spec("gensim") is not None
    extras = [m for m in ("coverage", "yaml") if importlib.util.find_spec(m) is not None]
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        make_inputs(tmp)
        todo = cases(tmp, gensim)
        for cmd in todo.values():  # compile and cache every kernel first
            timed(cmd, tmp)
        walls = {name: [] for name in todo}
        rss = {}
        names = list(todo)
        for r in range(args.rounds):
            k = r % len(names)
            for name in names[k:] + names[:k]:
                wall, mb = timed(todo[name], tmp)
                walls[name].append(wall)
                rss[name] = max(rss.get(name, 0.0), mb)
            print(f"round {r + 1}: " + ", ".join(f"{walls[n][-1]:.2f}" for n in names),
                  flush=True)
    load_after = os.getloadavg()
    lines = [
        "# Start-up: the command's whole process on tiny inputs",
        "",
        f"Date: {datetime.date.today().isoformat()}. Machine: {os.cpu_count()} cores "
        f"({platform.processor() or platform.machine()}), Python {platform.python_version()}, "
        f"numpy {np.__version__}, numba {__import__('numba').__version__}. Load average "
        f"(1, 5, 15 min) before {', '.join(f'{x:.1f}' for x in load_before)}, after "
        f"{', '.join(f'{x:.1f}' for x in load_after)}. {args.rounds} rounds, rotating order; "
        "every case ran once before, so the kernels came from Numba's cache. "
        + (f"Installed beside the package, and imported by Numba at its import: "
           f"{', '.join(extras)} (a plain `pip install embedlib` has neither)."
           if extras else "Numba found neither coverage nor yaml to import.")
        + " See bench/startup.py.",
        "",
        "| process | median s | fastest s | peak RSS MB |",
        "|---|---|---|---|",
    ]
    for name in names:
        lines.append(f"| {name} | {statistics.median(walls[name]):.2f} | "
                     f"{min(walls[name]):.2f} | {rss[name]:.0f} |")
    text = "\n".join(lines) + "\n"
    print(text)
    notes = ""
    if args.out.exists():  # keep the hand-written notes below the generated part
        old = args.out.read_text()
        if "\n## Notes" in old:
            notes = old[old.index("\n## Notes"):]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text + notes)


if __name__ == "__main__":
    main()

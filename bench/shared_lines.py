"""Two threads writing rows of one shared matrix against each writing a matrix of its own, round
after round: whether the cost of cache lines that move between the cores changes over time
(bench/results/scaling.md uses it to explain the slow stretches of two-worker training).

    python bench/shared_lines.py [--seconds 45] [--updates 3000000]
                                 [--out bench/results/shared_lines.md]

Each round times three runs of the same kernel, which updates ``--updates`` random rows of a
28,192 x 112 float32 matrix (the shape of word2vec's W on the NLTK mix, padded), half of the
draws among its first 2,000 rows, as frequent words are: both threads on one shared matrix
(the Hogwild case of the word2vec and GloVe threads), each thread on a matrix of its own, and
one thread alone. A round whose shared run takes more than 1.6 times its private run is
counted as slow. A benchmark, not a test: run it on a quiet machine.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import statistics
import threading
import time
from pathlib import Path

import numba
import numpy as np

ROWS, WIDTH, FREQUENT = 28_192, 112, 2_000
SLOW = 1.6


@numba.njit(cache=True, nogil=True)
def update_rows(A, n, seed):
    """``n`` updates of random rows of ``A`` (a linear congruential generator's draws; every
    other draw among the first FREQUENT rows)."""
    s = np.uint64(seed)
    for _ in range(n):
        s = s * np.uint64(6364136223846793005) + np.uint64(1442695040888963407)
        r = np.int64((s >> np.uint64(33)) % np.uint64(A.shape[0]))
        if (s >> np.uint64(20)) & np.uint64(1):
            r = r % FREQUENT
        for t in range(A.shape[1]):
            A[r, t] = A[r, t] * np.float32(0.999) + np.float32(1e-3)


def two_threads(arrays, n) -> float:
    """Wall seconds of two threads, thread k updating ``arrays[k]``."""
    def work(k):
        update_rows(arrays[k], n, k + 1)
    threads = [threading.Thread(target=work, args=(k,)) for k in range(2)]
    t = time.perf_counter()
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=45.0)
    ap.add_argument("--updates", type=int, default=3_000_000)
    ap.add_argument("--out", type=Path,
                    default=Path(__file__).parent / "results" / "shared_lines.md")
    args = ap.parse_args()
    shared = np.zeros((ROWS, WIDTH), np.float32)
    own = [np.zeros((ROWS, WIDTH), np.float32) for _ in range(2)]
    update_rows(shared, 10, 1)                      # compiled (or loaded) before timing
    load0 = os.getloadavg()
    rounds = []
    end = time.time() + args.seconds
    while time.time() < end:
        s = two_threads([shared, shared], args.updates)
        p = two_threads(own, args.updates)
        t = time.perf_counter()
        update_rows(own[0], args.updates, 3)
        rounds.append((s, p, time.perf_counter() - t))
        print(f"shared {s:.3f} s, own {p:.3f} s, one thread {rounds[-1][2]:.3f} s", flush=True)
    load1 = os.getloadavg()
    slow = [r for r in rounds if r[0] > SLOW * r[1]]
    fast = [r for r in rounds if r[0] <= SLOW * r[1]]
    # the slow stretches: runs of consecutive slow rounds
    stretches, run = [], 0
    for r in rounds:
        if r[0] > SLOW * r[1]:
            run += 1
        elif run:
            stretches.append(run)
            run = 0
    if run:
        stretches.append(run)

    def med(rows, k):
        return f"{statistics.median(r[k] for r in rows):.3f}" if rows else "-"

    lines = [
        "# Shared cache lines: two threads on one matrix against one matrix each",
        "",
        f"Date: {datetime.date.today()}. Machine: {os.cpu_count()} cores "
        f"({platform.machine()}), Python {platform.python_version()}, numba "
        f"{numba.__version__}. Load average (1, 5, 15 min) before "
        f"{', '.join(f'{x:.1f}' for x in load0)}, after {', '.join(f'{x:.1f}' for x in load1)}. "
        f"`python bench/shared_lines.py --seconds {args.seconds:g} --updates {args.updates}`: "
        f"{len(rounds)} rounds, each {args.updates:,} row updates per thread of a "
        f"{ROWS:,} x {WIDTH} float32 matrix. A round is slow when its shared run takes more "
        f"than {SLOW} times its run on the threads' own matrices.",
        "",
        "| rounds | count | both threads, one shared matrix s (median) | each thread its own matrix s | one thread alone s |",
        "|---|---|---|---|---|",
        f"| all | {len(rounds)} | {med(rounds, 0)} | {med(rounds, 1)} | {med(rounds, 2)} |",
        f"| slow | {len(slow)} | {med(slow, 0)} | {med(slow, 1)} | {med(slow, 2)} |",
        f"| the others | {len(fast)} | {med(fast, 0)} | {med(fast, 1)} | {med(fast, 2)} |",
        "",
        f"Slow rounds came in {len(stretches)} stretches of consecutive rounds "
        f"({', '.join(map(str, stretches)) or 'none'} rounds long).",
        "",
    ]
    args.out.write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()

"""The time of one random cache-line load by working-set size: the latency the word2vec kernels
hide with prefetching (bench/results/cbow_profile.md uses it for its bound).

    python bench/memory_latency.py [--sizes 0.25 1 8 16 64 512]
                                   [--out bench/results/memory_latency.md]

A chain of dependent loads: an array of int64 holds one random cycle through its cache lines
(each line's first item is the index of the next line to visit), so every load must wait for
the one before and the CPU cannot overlap them. Time per load = wall time / loads, best of 3.
A benchmark, not a test: run it on a quiet machine.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import time
from pathlib import Path

import numba
import numpy as np


@numba.njit(cache=True)
def chase(nxt, steps):
    """Follow the chain for ``steps`` loads; returns where it ends (so that it is not optimized
    away)."""
    i = 0
    for _ in range(steps):
        i = nxt[i]
    return i


def latency_ns(megabytes: float, steps: int = 2_000_000) -> float:
    n = int(megabytes * 2**20) // 8
    lines = n // 8
    order = np.random.default_rng(0).permutation(lines) * 8
    nxt = np.zeros(n, np.int64)
    nxt[order] = np.roll(order, -1)  # one cycle through every line, in random order
    chase(nxt, 1000)
    best = float("inf")
    for _ in range(3):
        t = time.perf_counter()
        chase(nxt, steps)
        best = min(best, time.perf_counter() - t)
    return best / steps * 1e9


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", type=float, nargs="+", default=[0.25, 1, 8, 16, 64, 512],
                    help="working sets in MB")
    ap.add_argument("--out", default=str(Path(__file__).parent / "results" /
                                         "memory_latency.md"))
    a = ap.parse_args()
    load0 = os.getloadavg()
    rows = [(mb, latency_ns(mb)) for mb in a.sizes]
    load1 = os.getloadavg()
    lines = [f"# Memory latency: one random cache line by working-set size "
             f"({datetime.date.today()}, {os.cpu_count()} cores, {platform.machine()})", "",
             f"A chain of dependent loads through a random cycle of cache lines, best of 3; "
             f"load average before {load0[0]:.1f}, after {load1[0]:.1f}. See "
             "bench/memory_latency.py.", "",
             "| working set | ns per load |", "|---|---|"]
    lines += [f"| {mb:g} MB | {ns:.1f} |" for mb, ns in rows]
    text = "\n".join(lines) + "\n"
    print(text)
    Path(a.out).write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()

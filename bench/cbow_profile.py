"""Where CBOW's training time goes: the work per center word counted, and the step replayed.

    python bench/cbow_profile.py [CORPUS] [--epochs 1] [--replay 2000000]
                                 [--out bench/results/cbow_profile.md]

1. **Counts.** The encoded corpus goes through the sampling of a CBOW step (subsampling
   with the C code's formula, the shrunk window, ``negative`` draws that skip the center)
   without training: per center word, the context rows ``m`` read (the mean) and written
   (the input step), the output rows touched, and the 100-float row operations (a sum, a
   dot or an axpy over one row): ``m`` + ``n_out`` (dots) + ``n_out`` (∂L/∂h) + ``n_out``
   (output steps) + ``m``. The rows of the first ``--replay`` centers are recorded.
2. **The step replayed.** The training kernel's own step (``cbow_ns_update``) on the
   recorded rows, nothing else: once on rows folded into a few that stay in L1/L2 (the
   arithmetic, the sigmoid table and the loss alone), once on the real rows of
   V x 100 matrices (the cache misses added).
   A prototype replays two centers at a time, their stages interleaved (``replay2``).
3. **The training kernel.** CBOW epochs with 1 and 2 workers, seconds per center trained
   from ``Word2Vec.history_``; what it adds to the replay is subsampling, random numbers,
   the window and the prefetching.

A benchmark, not a test: run it on a quiet machine; the load average is reported.
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

from embedlib._blocks import BLOCK, dots6, gather_scatter6
from embedlib._jit import KERNEL
from embedlib.w2v_hs_kernels import mean_of_rows
from embedlib.w2v_kernels import _ns_coefficients, cbow_ns_update

DEFAULT_CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpora" / "nltk_mix.txt.gz"


@numba.njit(cache=True)
def _splitmix(state):
    state = (state + np.uint64(0x9E3779B97F4A7C15)) & np.uint64(0xFFFFFFFFFFFFFFFF)
    z = state
    z = ((z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)) & np.uint64(0xFFFFFFFFFFFFFFFF)
    z = ((z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)) & np.uint64(0xFFFFFFFFFFFFFFFF)
    return state, z ^ (z >> np.uint64(31))


@numba.njit(cache=True)
def record_steps(tokens, offsets, keep, cum_noise, window, negative, seed, limit):
    """One epoch's sampling without training: per center word, its context rows (``ctx``,
    ``m`` of them) and output rows (``outs``, ``n_out``: the center, then the noise words
    that are not the center); the first ``limit`` centers are recorded. Returns the counts
    over the whole epoch [centers, Σ m, Σ n_out] and the record."""
    state = np.uint64(seed)
    buf = np.empty(100000, np.int64)
    ctx = np.zeros((limit, 2 * window), np.int32)
    ms = np.zeros(limit, np.int64)
    outs = np.zeros((limit, 12), np.int32)
    n_outs = np.zeros(limit, np.int64)
    centers = 0
    sum_m = 0
    sum_out = 0
    for s in range(len(offsets) - 1):
        n = 0
        for p in range(offsets[s], offsets[s + 1]):
            w = tokens[p]
            state, z = _splitmix(state)
            if (z >> np.uint64(11)) * (1.0 / 9007199254740992.0) < keep[w] and n < len(buf):
                buf[n] = w
                n += 1
        for pos in range(n):
            state, z = _splitmix(state)
            win = window - np.int64(z % np.uint64(window))
            lo = max(pos - win, 0)
            hi = min(pos + win + 1, n)
            m = hi - lo - 1
            if m <= 0:
                continue
            k = centers
            n_out = 1
            if k < limit:
                outs[k, 0] = buf[pos]
                j = 0
                for q in range(lo, hi):
                    if q != pos:
                        ctx[k, j] = buf[q]
                        j += 1
                ms[k] = m
            for _ in range(negative):
                state, z = _splitmix(state)
                u = (z >> np.uint64(11)) * (1.0 / 9007199254740992.0)
                neg = np.searchsorted(cum_noise, u)
                if neg != buf[pos]:
                    if k < limit:
                        outs[k, n_out] = neg
                    n_out += 1
            if k < limit:
                n_outs[k] = n_out
            centers += 1
            sum_m += m
            sum_out += n_out
    return (centers, sum_m, sum_out), ctx, ms, outs, n_outs


@numba.njit(**KERNEL)
def _replay(W, C, ctx, ms, outs, n_outs, fold, h, grad_h, D, c, o, bw):
    """The CBOW negative-sampling step of the training kernel (``cbow_ns_update``, loss
    included) on the recorded rows, nothing else: no subsampling, no random numbers, no
    prefetching. With ``fold``, context row ``r`` becomes ``r % 16`` and output ``j``'s row
    ``r`` becomes ``8 j + r % 8`` (the outputs of a step stay distinct), so that the 112 rows
    used stay in L1 and L2: the step's arithmetic alone."""
    loss = 0.0
    for k in range(len(ms)):
        m = ms[k]
        for i in range(m):
            c[i] = ctx[k, i] % 16 if fold else ctx[k, i]
        for j in range(n_outs[k]):
            o[j] = 8 * j + outs[k, j] % 8 if fold else outs[k, j]
        loss += cbow_ns_update(W, C, c, m, o, n_outs[k], 0.025, h, grad_h, D, False, True,
                               False, False, bw, bw)
    return loss


def replay(W, C, ctx, ms, outs, n_outs, fold):
    """:func:`_replay` with its scratch arrays (compiled as the training kernel is: without
    reference counting, so it cannot allocate them itself)."""
    d = W.shape[1]
    return _replay(W, C, ctx, ms, outs, n_outs, fold, np.zeros(d, np.float32),
                   np.zeros(d, np.float32), np.zeros((1, 12), np.float32),
                   np.zeros(ctx.shape[1], np.int32), np.zeros(12, np.int32),
                   np.zeros(1, np.float32))


@numba.njit(fastmath=True, inline="always")
def _gs(grad_h, h, C, outs, n_pad, D, i):
    d = h.shape[0]
    for t in range(d):
        grad_h[t] = 0.0
    for j in range(0, n_pad, BLOCK):
        gather_scatter6(grad_h, h, C[outs[j]], C[outs[j + 1]], C[outs[j + 2]],
                        C[outs[j + 3]], C[outs[j + 4]], C[outs[j + 5]], D[i:i+1], j)

@numba.njit(**KERNEL)
def _replay2(W, C, ctx, ms, outs, n_outs, fold, hA, hB, gA, gB, D, cA, cB, oA, oB):
    """A prototype of the next step for the kernel: two centers at a time (``k`` and
    ``k + half`` of the record), their steps interleaved stage by stage (the two means, the
    two blocks of dots, the two sigmoids, ...), so that the CPU overlaps two independent
    chains. Only centers with six distinct outputs are replayed (it does not handle a noise
    word drawn twice, and the two centers' rows may meet), so it is the speed of the idea,
    not a kernel; the same centers are replayed one at a time beside it."""
    d = W.shape[1]
    half = len(ms) // 2
    loss = 0.0
    lr = np.float32(0.025)
    for k in range(half):
        kb = k + half
        mA = ms[k]; mB = ms[kb]
        for i in range(mA):
            cA[i] = ctx[k, i] % 16 if fold else ctx[k, i]
        for i in range(mB):
            cB[i] = ctx[kb, i] % 16 if fold else ctx[kb, i]
        for j in range(6):
            oA[j] = 8 * j + outs[k, j] % 8 if fold else outs[k, j]
            oB[j] = 8 * j + 4 + outs[kb, j] % 4 if fold else outs[kb, j]
        mean_of_rows(W, cA, mA, hA)
        mean_of_rows(W, cB, mB, hB)
        dots6(hA, C[oA[0]], C[oA[1]], C[oA[2]], C[oA[3]], C[oA[4]], C[oA[5]], D, 0, 0)
        dots6(hB, C[oB[0]], C[oB[1]], C[oB[2]], C[oB[3]], C[oB[4]], C[oB[5]], D, 1, 0)
        loss += _ns_coefficients(D, 0, 6, 6, lr, True, False)
        loss += _ns_coefficients(D, 1, 6, 6, lr, True, False)
        _gs(gA, hA, C, oA, 6, D, 0)
        _gs(gB, hB, C, oB, 6, D, 1)
        for i in range(mA):
            wr = W[cA[i]]
            for t in range(d):
                wr[t] += gA[t]
        for i in range(mB):
            wr = W[cB[i]]
            for t in range(d):
                wr[t] += gB[t]
    return loss


def replay2(W, C, ctx, ms, outs, n_outs, fold):
    """:func:`_replay2` with its scratch arrays."""
    d, w = W.shape[1], ctx.shape[1]
    z = np.zeros
    return _replay2(W, C, ctx, ms, outs, n_outs, fold, z(d, np.float32), z(d, np.float32),
                    z(d, np.float32), z(d, np.float32), z((2, 12), np.float32),
                    z(w, np.int32), z(w, np.int32), z(12, np.int32), z(12, np.int32))


def per_call(f, *args, n: int, repeat: int = 5) -> float:
    f(*args)  # compile or load
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        f(*args)
        best = min(best, time.perf_counter() - t)
    return best / n * 1e9


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("corpus", nargs="?", default=str(DEFAULT_CORPUS))
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--replay", type=int, default=2_000_000, help="centers replayed")
    ap.add_argument("--ghz", type=float, default=2.6, help="clock, for the peak line")
    ap.add_argument("--out", default=str(Path(__file__).parent / "results" / "cbow_profile.md"))
    a = ap.parse_args()
    if not Path(a.corpus).exists():
        raise SystemExit(f"cbow_profile: corpus {a.corpus} not found; pass its path")
    from embedlib import Corpus, Word2Vec
    from embedlib.sampling import keep_probabilities, noise_distribution

    load0 = os.getloadavg()
    corpus = Corpus.from_file(a.corpus, min_count=5)
    V, d, window, negative = len(corpus.vocab), 100, 5, 5
    keep = keep_probabilities(corpus.vocab.counts, 1e-3).astype(np.float64)
    cum = np.cumsum(noise_distribution(corpus.vocab.counts, 0.75))
    cum /= cum[-1]
    limit = min(a.replay, corpus.n_tokens)
    (centers, sum_m, sum_out), ctx, ms, outs, n_outs = record_steps(
        corpus.tokens, corpus.offsets, keep, cum, window, negative, 1, limit)
    limit = min(limit, centers)
    ctx, ms, outs, n_outs = ctx[:limit], ms[:limit], outs[:limit], n_outs[:limit]
    m, n_out = sum_m / centers, sum_out / centers
    row_ops = 2 * m + 3 * n_out

    rng = np.random.default_rng(0)
    W = ((rng.random((V, d)) - 0.5) / d).astype(np.float32)
    C = np.zeros((V, d), np.float32)
    t_cached = per_call(replay, W, C, ctx, ms, outs, n_outs, True, n=limit)
    t_rows = per_call(replay, W, C, ctx, ms, outs, n_outs, False, n=limit)
    six = n_outs == 6
    sel = (ctx[six], ms[six], outs[six], n_outs[six])
    n6 = int(six.sum())
    t_one = {f: per_call(replay, W, C, *sel, f, n=n6) for f in (True, False)}
    t_two = {f: per_call(replay2, W, C, *sel, f, n=n6) for f in (True, False)}

    measured = {}
    for workers in (1, 2):
        model = Word2Vec(sg=0, vector_size=d, window=window, negative=negative, sample=1e-3,
                         epochs=a.epochs, workers=workers, seed=1, verbose=False).fit(corpus)
        secs = sum(s.seconds for s in model.history_)
        trained = sum(s.centers for s in model.history_)
        measured[workers] = (secs / trained * 1e9, trained / secs)
    load1 = os.getloadavg()
    t1 = measured[1][0]
    flops = row_ops * 2 * d
    lines = [
        f"# CBOW: where the time goes ({datetime.date.today()}, {os.cpu_count()} cores, "
        f"{platform.machine()})",
        "",
        f"Corpus {Path(a.corpus).name}: {corpus.n_tokens:,} tokens, V = {V:,}; dim {d}, "
        f"window {window}, negative {negative}, sample 1e-3. Load average before "
        f"{load0[0]:.1f}, {load0[1]:.1f}, after {load1[0]:.1f}, {load1[1]:.1f}. "
        "See bench/cbow_profile.py.",
        "",
        "Per center word trained (one epoch's sampling):",
        "",
        "| quantity | per center |",
        "|---|---|",
        f"| centers per token of the encoded corpus | {centers / corpus.n_tokens:.3f} |",
        f"| context rows m (read for the mean, written by the input step) | {m:.2f} |",
        f"| output rows (the center and the noise words) | {n_out:.2f} |",
        f"| 100-float row operations (2 m + 3 n_out) | {row_ops:.1f} |",
        f"| floating-point operations (2 per element of a row op) | {flops:,.0f} |",
        f"| rows not in cache (1 entering the window + the outputs) | {1 + n_out:.2f} |",
        f"| bytes of those rows, read and written back | {(1 + n_out) * 2 * 4 * d:,.0f} |",
        "",
        f"The step replayed on the first {limit:,} centers' recorded rows (the training "
        "kernel's own `cbow_ns_update`, loss included, compiled as the kernel is: fastmath, "
        "no reference counting), and the training kernel itself:",
        "",
        "| run | ns per center | share of the 1-worker kernel | GFLOP/s |",
        "|---|---|---|---|",
        f"| step on rows kept in L1/L2 (arithmetic, sigmoid table, loss) | {t_cached:.0f} | "
        f"{t_cached / t1:.0%} | {flops / t_cached:.1f} |",
        f"| step on the real rows (adds the cache misses) | {t_rows:.0f} | {t_rows / t1:.0%} | "
        f"{flops / t_rows:.1f} |",
        f"| training kernel, 1 worker (adds subsampling, random numbers, window, prefetch) | "
        f"{t1:.0f} | 100% | {flops / t1:.1f} |",
        f"| training kernel, 2 workers (wall time per center) | {measured[2][0]:.0f} | "
        f"{measured[2][0] / t1:.0%} | {flops / measured[2][0]:.1f} |",
        "",
        f"Two centers interleaved (prototype, `replay2`), on the {n6:,} recorded centers with six "
        "distinct outputs, against the same centers one at a time:",
        "",
        "| rows | one at a time (ns per center) | two interleaved | speed-up |",
        "|---|---|---|---|",
        f"| kept in L1/L2 | {t_one[True]:.0f} | {t_two[True]:.0f} | "
        f"{t_one[True] / t_two[True]:.2f}x |",
        f"| the real rows | {t_one[False]:.0f} | {t_two[False]:.0f} | "
        f"{t_one[False] / t_two[False]:.2f}x |",
        "",
        "The kernel prefetches the next center's rows while it trains this one; the replay "
        "does not, so on the real rows it can take longer than the kernel.",
        "",
        f"2 workers: {t1 / measured[2][0]:.2f}x one. Peak of one core for float32 FMA "
        f"(AVX-512, 2 units, {a.ghz} GHz): {a.ghz * 2 * 2 * 16:.0f} GFLOP/s.",
        "",
    ]
    text = "\n".join(lines)
    print(text)
    out = Path(a.out)
    # the hand-written notes after the tables ("## Notes" on) are kept from the last run
    old = out.read_text(encoding="utf-8") if out.exists() else ""
    notes = old[old.index("\n## Notes"):] if "\n## Notes" in old else ""
    body = text.rstrip("\n") + "\n"
    if notes:
        body += "\n" + notes.lstrip("\n")
    out.write_text(body, encoding="utf-8")


if __name__ == "__main__":
    main()

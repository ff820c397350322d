"""Writing and reading vector files: the gzip level of ``.txt.gz`` / ``.bin.gz``, and the
readers against the plain files and gensim's ``load_word2vec_format``.

    python bench/vector_files.py [--words 100000] [--dim 100] [--rounds 3]

The vectors are trained word2vec vectors when ``--vectors FILE`` is given, else random
normal float32 (their text compresses a little worse than trained vectors'). Each round
times every variant once, in a rotating order, so that a change in the machine's load
falls on all of them; the report gives the median seconds, the file size and the ratio
to plain text, and the load average before and after. Everything runs in this process
(the readers' and writers' own time, no start-up). The text writers format their lines in
``formats.WRITE_THREADS`` threads; "text, one thread" is the plain text writer with one.
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import os
import statistics
import tempfile
import time
from pathlib import Path
from unittest import mock

import numpy as np

from embedlib import _float_text, formats
from embedlib.embeddings import Embeddings


def timed(f) -> float:
    t = time.perf_counter()
    f()
    return time.perf_counter() - t


def save_with(emb, path, **settings):
    """``emb.save(path)`` with some of :mod:`embedlib.formats`' settings changed for the call:
    ``GZIP_LEVEL`` (another gzip level), ``WRITE_THREADS`` (1: one formatting thread) or
    ``_text_lines`` (``_float_text.text_lines_python``: the values formatted one at a time in
    Python, the writer before the formatting kernel; the same bytes)."""
    with contextlib.ExitStack() as stack:
        for name, value in settings.items():
            stack.enter_context(mock.patch.object(formats, name, value))
        emb.save(path)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--words", type=int, default=100_000)
    ap.add_argument("--dim", type=int, default=100)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--vectors", help="a vector file to take the vectors from")
    args = ap.parse_args()
    if args.vectors:
        emb = Embeddings.load(args.vectors, limit=args.words)
    else:
        rng = np.random.default_rng(0)
        emb = Embeddings([f"w{i}" for i in range(args.words)],
                         rng.standard_normal((args.words, args.dim)).astype(np.float32))
    tmp = Path(tempfile.mkdtemp(prefix="bench-vectors-"))
    text, binary = tmp / "v.txt", tmp / "v.bin"
    emb.save(text)
    emb.save(binary)
    writes = {"text": lambda: emb.save(text), "binary": lambda: emb.save(binary),
              "text, one thread": lambda: save_with(emb, tmp / "v-1t.txt", WRITE_THREADS=1),
              "text, per value in Python": lambda: save_with(
                  emb, tmp / "v-py.txt", _text_lines=_float_text.text_lines_python)}
    for level in (1, 3, 6, 9):
        writes[f"text.gz level {level}"] = (
            lambda level=level: save_with(emb, tmp / f"v{level}.txt.gz", GZIP_LEVEL=level))
    writes["binary.gz level 1"] = lambda: emb.save(tmp / "v.bin.gz")
    reads = {"text": lambda: Embeddings.load(text), "binary": lambda: Embeddings.load(binary),
             "text.gz level 1": lambda: Embeddings.load(tmp / "v1.txt.gz"),
             "binary.gz level 1": lambda: Embeddings.load(tmp / "v.bin.gz")}
    try:
        from gensim.models import KeyedVectors
        reads["gensim text"] = lambda: KeyedVectors.load_word2vec_format(str(text))
        reads["gensim binary"] = lambda: KeyedVectors.load_word2vec_format(str(binary),
                                                                           binary=True)
    except ImportError:
        pass
    load_before = os.getloadavg()
    for table, name in ((writes, "write"), (reads, "read")):
        times = {k: [] for k in table}
        keys = list(table)
        for r in range(args.rounds):
            for k in keys[r % len(keys):] + keys[:r % len(keys)]:
                times[k].append(timed(table[k]))
        base = statistics.median(times["text"])
        print(f"\n{name} ({len(emb):,} words x {emb.vector_size})   median s   x text   MB")
        for k, ts in times.items():
            f = {"text": text, "binary": binary, "text.gz level 1": tmp / "v1.txt.gz",
                 "binary.gz level 1": tmp / "v.bin.gz",
                 "text, per value in Python": tmp / "v-py.txt",
                 "text, one thread": tmp / "v-1t.txt"}.get(k.replace("gensim ", ""))
            if k.startswith("text.gz level"):
                f = tmp / f"v{k.split()[-1]}.txt.gz"
            size = f"{f.stat().st_size / 1e6:7.1f}" if f is not None else ""
            print(f"  {k:24s} {statistics.median(ts):8.2f}   {statistics.median(ts) / base:5.2f}"
                  f"   {size}")
    print(f"\nload average before {load_before}, after {os.getloadavg()}")
    assert (tmp / "v-py.txt").read_bytes() == text.read_bytes()
    assert (tmp / "v-1t.txt").read_bytes() == text.read_bytes()
    print(f"text writer threads: {formats.WRITE_THREADS}")
    assert gzip.decompress((tmp / "v1.txt.gz").read_bytes()) == text.read_bytes()


if __name__ == "__main__":
    main()

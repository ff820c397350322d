"""Reading text corpora in chunks of bytes and the passes over them (count, encode).

What runs where:

* The calling thread reads each file in chunks of ``chunk_size`` bytes (``.gz`` files are
  decompressed with :mod:`zlib`, chunk by chunk, which releases the GIL) and cuts every
  chunk just after its last ASCII white-space byte; the rest goes to the next chunk.
* Chunk ``k`` goes to worker ``k % workers`` (a thread of its own), which runs the Numba
  kernel :func:`embedlib._scan.scan` on it without the GIL. In the counting pass each worker
  has its own hash table, so the result does not depend on timing; the tables are merged
  at the end. The counting pass also writes each token's index in its worker's table
  (:class:`Counted` says how to map those to the merged table). The encoding pass, for a
  given vocabulary or after pruning, looks words up in the one final table.
* The calling thread takes the results back in chunk order: it keeps line numbers (for
  error messages), counts the lines that held invalid UTF-8, and writes the ids and
  sentence ends where they go (``output``).

At most ``2 * workers`` chunks are in flight, so memory is a few chunks plus the hash
tables, whatever the size of the corpus.
"""

from __future__ import annotations

import os
import queue
import zlib
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import _scan as S
from ._errors import spell

#: Bytes read per chunk by default (4 MiB): large enough that Python's share per chunk is
#: negligible, small enough that a few chunks in flight cost little memory.
CHUNK_SIZE = 1 << 22

class CorpusReadError(ValueError):
    """Raised by this module (``path``: the file, ``line``: from 1, or None);
    :mod:`embedlib.corpus_store` turns it into a CorpusError."""

    def __init__(self, message: str, path=None, line: int | None = None):
        super().__init__(message)
        self.path = None if path is None else str(path)
        self.line = line


@dataclass(frozen=True)
class Source:
    """One input file: ``name`` as the caller gave it (for messages), its absolute path,
    size and modification time when it was opened, whether it is gzip-compressed, and the
    open file (``raw``). Every pass reads that open file from its start, so a file
    replaced on disk (renamed over) meanwhile is not seen: the passes read one file whole.
    """

    name: str
    path: Path
    size: int
    mtime_ns: int
    gz: bool
    raw: object = field(repr=False, compare=False)

    @classmethod
    def of(cls, path) -> "Source":
        p = Path(os.fspath(path))
        if not p.exists():
            raise FileNotFoundError(f"corpus file not found: {p}")
        if p.is_dir():
            raise CorpusReadError(f"corpus path is a directory, not a file: {p}", p)
        try:
            raw = open(p, "rb", buffering=0)
        except OSError as e:
            raise CorpusReadError(f"{p}: cannot read ({e.strerror or e})", p) from None
        st = os.fstat(raw.fileno())
        return cls(str(p), p.resolve(), st.st_size, st.st_mtime_ns, p.suffix == ".gz", raw)

    def record(self) -> dict:
        """What a manifest keeps of the file."""
        return {"path": str(self.path), "size": self.size, "mtime_ns": self.mtime_ns}

    def changed(self) -> str | None:
        """What differs now (in the open file) from when it was opened, or None."""
        st = os.fstat(self.raw.fileno())
        if st.st_size != self.size or st.st_mtime_ns != self.mtime_ns:
            return f"{self.name} changed while it was read"
        return None

    def close(self) -> None:
        self.raw.close()


def open_sources(paths) -> list[Source]:
    """The sources of ``paths``, opened (closed again if one of them fails)."""
    sources: list[Source] = []
    try:
        for p in paths:
            sources.append(Source.of(p))
    except BaseException:
        for s in sources:
            s.close()
        raise
    return sources


@dataclass
class Chunk:
    """Bytes ``buf[:n]`` of file ``file`` (an index), starting at global byte ``base``;
    ``file_base`` is the global byte where the file starts."""

    file: int
    file_base: int
    base: int
    buf: np.ndarray
    n: int


# ------------------------------------------------------------------------------- reading
class _Gunzip:
    """``readinto`` over the decompressed bytes of a gzip file (several members allowed,
    zero padding after them ignored, as :mod:`gzip` does)."""

    PIECE = 1 << 20

    def __init__(self, f):
        self.f = f
        self.d = zlib.decompressobj(31)
        self.seen = False  # any compressed byte read

    def readinto(self, mv) -> int:
        want, got = len(mv), 0
        while got < want:
            d = self.d
            if d.eof:
                tail = d.unused_data.lstrip(b"\0")
                while len(tail) < 2:
                    more = self.f.read(self.PIECE)
                    if not more:
                        if tail:
                            raise OSError("Not a gzipped file (trailing garbage)")
                        return got
                    tail = (tail + more).lstrip(b"\0")
                if tail[:2] != b"\x1f\x8b":
                    raise OSError(f"Not a gzipped file ({tail[:2]!r})")
                self.d = d = zlib.decompressobj(31)
                data = tail
            elif d.unconsumed_tail:
                data = d.unconsumed_tail
            else:
                data = self.f.read(self.PIECE)
                if not data:
                    if not self.seen:
                        return got  # an empty file: no text, not an error (as gzip.open)
                    raise EOFError("Compressed file ended before the end-of-stream marker "
                                   "was reached")
                self.seen = True
            out = d.decompress(data, want - got)
            mv[got:got + len(out)] = out
            got += len(out)
        return got


class BufferPool:
    """Chunk buffers (uint8, ``chunk_size + 1`` bytes: room for a final newline), reused."""

    def __init__(self, chunk_size: int):
        self.size = chunk_size + 1
        self.free: list[np.ndarray] = []

    def get(self) -> np.ndarray:
        return self.free.pop() if self.free else np.empty(self.size, np.uint8)

    def put(self, buf: np.ndarray) -> None:
        if len(buf) == self.size:
            self.free.append(buf)


def read_chunks(sources: Sequence[Source], pool: BufferPool) -> Iterator[Chunk]:
    """The chunks of ``sources``, one after the other, each cut after an ASCII white-space
    byte. A file's last chunk gets a ``\\n`` if it does not end with one, so that its last
    line ends there (as a line without a final newline does in Python)."""
    base = 0
    for fi, src in enumerate(sources):
        file_base = base
        try:
            src.raw.seek(0)
            stream = _Gunzip(src.raw) if src.gz else src.raw
            for buf, n in _file_chunks(stream, pool):
                yield Chunk(fi, file_base, base, buf, n)
                base += n
        except (OSError, EOFError, zlib.error) as e:
            raise CorpusReadError(f"{src.name}: cannot read ({e})", src.name) from None


def _file_chunks(stream, pool: BufferPool):
    buf = pool.get()
    filled = 0
    eof = False
    open_line = False  # bytes were yielded after the last newline
    while True:
        mv = memoryview(buf)
        while filled < len(buf) - 1 and not eof:
            k = stream.readinto(mv[filled:len(buf) - 1])
            if not k:
                eof = True
            else:
                filled += k
        if eof:
            if filled:
                if buf[filled - 1] != 10:
                    buf[filled] = 10
                    filled += 1
                yield buf, filled
            elif open_line:  # the last chunk ended in white space other than a newline
                buf[0] = 10
                yield buf, 1
            else:
                pool.put(buf)
            return
        cut = S.last_space(buf, filled) + 1
        if cut == 0:  # one token longer than the buffer: read on into a larger one
            bigger = np.empty(2 * len(buf), np.uint8)
            bigger[:filled] = buf[:filled]
            pool.put(buf)
            buf = bigger
            continue
        rest = filled - cut
        nxt = pool.get()
        if rest > len(nxt) - 1:
            nxt = np.empty(len(buf), np.uint8)
        nxt[:rest] = buf[cut:filled]
        open_line = buf[cut - 1] != 10
        yield buf, cut
        buf, filled = nxt, rest


# ------------------------------------------------------------------------------- running
def run(chunks: Iterator[Chunk], work, take, workers: int, pool: BufferPool,
        depth: int = 2, fixed: bool = True) -> None:
    """``take(chunk, work(t, chunk))`` for every chunk, in order, at most ``depth *
    workers`` chunks at a time, on ``workers`` threads. With ``fixed``, chunk ``k`` runs on
    worker ``t = k % workers``; otherwise on whichever thread is free, ``t`` being one of
    ``0..workers-1`` that no other chunk running holds (so that a worker slowed down by
    other work on the machine does not hold the others up; ``work`` must then give the
    same result whichever ``t`` runs it). The first exception (in reading, in a worker or
    in ``take``; Ctrl-C too) stops everything: the chunks not started are cancelled, the
    running ones finished, then it propagates."""
    if fixed:
        executors = [ThreadPoolExecutor(1, thread_name_prefix=f"embedlib-corpus-{t}")
                     for t in range(workers)]
    else:
        shared = ThreadPoolExecutor(workers, thread_name_prefix="embedlib-corpus")
        executors = [shared]
        lanes: queue.SimpleQueue = queue.SimpleQueue()
        for t in range(workers):
            lanes.put(t)
        inner = work

        def work(_, chunk):  # noqa: F811  (a lane of its own while it runs)
            t = lanes.get()
            try:
                return inner(t, chunk)
            finally:
                lanes.put(t)
    pending: deque = deque()

    def settle():
        chunk, future = pending.popleft()
        result = future.result()
        take(chunk, result)
        pool.put(chunk.buf)

    try:
        for k, chunk in enumerate(chunks):
            t = k % workers
            pending.append((chunk, executors[t % len(executors)].submit(work, t, chunk)))
            while len(pending) >= depth * workers:
                settle()
        while pending:
            settle()
    except BaseException:
        for _, future in pending:
            future.cancel()
        raise
    finally:
        close = getattr(chunks, "close", None)
        if close is not None:
            close()
        for ex in executors:
            ex.shutdown(wait=True)


def new_stats() -> np.ndarray:
    stats = np.zeros(S.N_STATS, np.int64)
    stats[S.S_LAST_NL] = -1
    return stats


class Tracker:
    """What the calling thread keeps while results come back in order: lines read per
    file, where the current line began (for error columns), lines with invalid bytes."""

    def __init__(self, sources: Sequence[Source], strict: bool):
        self.sources = sources
        self.strict = strict
        self.file = -1
        self.lines = [0] * len(sources)
        self.line_start = 0
        self.bad_open = False
        self.replaced_lines = 0
        self.tokens = 0

    def take(self, chunk: Chunk, status: int, stats: np.ndarray) -> None:
        if chunk.file != self.file:
            self.file = chunk.file
            self.line_start = chunk.file_base
            self.bad_open = False
        if status in (S.BAD_UTF8, S.NUL):
            raise self._error(chunk, status, stats)
        nl = int(stats[S.S_NEWLINES])
        self.tokens += int(stats[S.S_TOKENS])
        self.lines[chunk.file] += nl
        if nl:
            self.replaced_lines += int(self.bad_open or stats[S.S_LEAD_BAD]) + \
                int(stats[S.S_BAD_LINES])
            self.bad_open = bool(stats[S.S_CUR_BAD])
            self.line_start = chunk.base + int(stats[S.S_LAST_NL]) + 1
        else:
            self.bad_open = self.bad_open or bool(stats[S.S_CUR_BAD])

    @property
    def n_lines(self) -> int:
        return sum(self.lines)

    def _error(self, chunk: Chunk, status: int, stats: np.ndarray) -> CorpusReadError:
        p = int(stats[S.S_POS])
        before = int(stats[S.S_NL_BEFORE])
        line = self.lines[chunk.file] + before + 1
        if before:
            column = p - int(stats[S.S_LAST_NL])
        else:
            column = chunk.base + p - self.line_start + 1
        name = self.sources[chunk.file].name
        if status == S.BAD_UTF8:  # a NUL later on the line is the error named (UTF-16)
            rest = chunk.buf[p:chunk.n]
            nl = np.flatnonzero(rest == 10)
            nul = np.flatnonzero(rest[:nl[0] if len(nl) else len(rest)] == 0)
            if len(nul):
                status, column = S.NUL, column + int(nul[0])
                p += int(nul[0])
        if status == S.NUL:
            message = (f"{name}, line {line}: NUL byte at column {column}; a corpus is UTF-8 "
                       "text, without NUL (is the file binary, or UTF-16?)")
        else:
            shown = bytes(chunk.buf[p:min(p + 4, chunk.n)])
            message = (f"{name}, line {line}: bytes that are not UTF-8 at column {column} "
                       f"({shown!r}); fix the file or pass "
                       f"{spell('encoding_errors', 'replace')}")
        return CorpusReadError(message, name, line)


# ------------------------------------------------------------------------ counting pass
def _scan_chunk(chunk, mode, replace, tables, t, stride, free):
    """Scan one chunk (growing ``tables[t]`` and the sentence ends as needed):
    ``(status, stats, ids, ends)``; the buffer of ``ids`` is taken from the list ``free``
    if one there is large enough (``take`` gives it back)."""
    n = chunk.n
    try:
        ids = free.pop()
    except IndexError:
        ids = None
    if ids is None or len(ids) < (n + 1) // 2:
        ids = np.empty((n + 1) // 2, np.int32)
    ends = np.empty(n // 32 + 16, np.int64)
    stats = new_stats()
    while True:
        status = S.scan(chunk.buf, n, mode, replace, chunk.base, tables[t], ids, ends, stats,
                        stride, t)
        if status == S.GROW:
            tables[t] = S.grow(tables[t])
        elif status == S.FULL:
            bigger = np.empty(2 * len(ends), np.int64)
            bigger[:len(ends)] = ends
            ends = bigger
        else:
            return status, stats, ids[:stats[S.S_KEPT]], ends[:stats[S.S_ENDS]]


@dataclass
class Counted:
    """What the counting pass gives: the merged ``table``, the ``tracker``, and how to read
    the ids it wrote: the token of table index ``w`` of worker ``t`` was written as
    ``w * workers + t``, and ``where[t][w]`` is that word's index in ``table``
    (``where[0]`` is None: worker 0's table is the merged one). ``pruned``: words were
    pruned from some table (their ids are then lost)."""

    table: S.Table
    tracker: Tracker
    workers: int
    where: list
    sizes: list
    pruned: bool

    def id_map(self, vocab_index: np.ndarray) -> np.ndarray:
        """The array that maps the ids written to vocabulary ids (-1: dropped), given the
        vocabulary id of each word of the merged table (-1: not kept)."""
        k = self.workers
        fmap = np.full(max(max(self.sizes), 1) * k, -1, np.int32)
        for t in range(k):
            n = self.sizes[t]
            ids = vocab_index[:n] if t == 0 else vocab_index[self.where[t][:n]]
            fmap[t:n * k:k] = ids
        return fmap


def count(sources: Sequence[Source], output, *, replace: bool, workers: int, chunk_size: int,
          limit: int = 0) -> Counted:
    """Count the words of ``sources``, writing each token's table index and the sentence
    ends to ``output`` (``output.write(ids, ends)``, ``ends`` counted from the chunk's
    first id; see :class:`Counted`). The table is pruned to fewer than ``limit`` words if
    ``limit > 0``."""
    tables = [S.new_table(limit=limit) for _ in range(workers)]
    tracker = Tracker(sources, strict=not replace)
    pool = BufferPool(chunk_size)

    free: list = []

    def work(t, chunk):
        return _scan_chunk(chunk, S.COUNT, replace, tables, t, workers, free)

    def take(chunk, result):
        status, stats, ids, ends = result
        tracker.take(chunk, status, stats)
        output.write(ids, ends)
        free.append(ids.base)

    # which worker counts which chunk changes the tables, not the merged counts and first
    # occurrences (nor the ids, mapped through the merged table), but it changes what
    # pruning drops: with a limit, chunk k goes to worker k % workers
    run(read_chunks(sources, pool), work, take, workers, pool, fixed=limit > 0)
    sizes = [int(t.meta[S.M_WORDS]) for t in tables]
    pruned = any(int(t.meta[S.M_PRUNED]) for t in tables)
    table = tables[0]
    where = [None]
    for other in tables[1:]:
        into = np.empty(max(int(other.meta[S.M_WORDS]), 1), np.int64)
        begin = 0
        while (begin := S.merge(table, other, begin, into)) >= 0:
            table = S.grow(table)
        where.append(into)
    pruned = pruned or int(table.meta[S.M_PRUNED]) > 0
    return Counted(table, tracker, workers, where, sizes, pruned)


# ------------------------------------------------------------------------ encoding pass
def encode(sources: Sequence[Source], table: S.Table, output, *, replace: bool, workers: int,
           chunk_size: int) -> Tracker:
    """Write the ids ``table`` gives the tokens of ``sources`` and the sentence ends to
    ``output`` (``output.write(ids, ends)``, ``ends`` counted from the chunk's first id)."""
    tracker = Tracker(sources, strict=not replace)
    pool = BufferPool(chunk_size)
    tables = [table]
    free: list = []

    def work(t, chunk):
        return _scan_chunk(chunk, S.ENCODE, replace, tables, 0, 1, free)

    def take(chunk, result):
        status, stats, ids, ends = result
        tracker.take(chunk, status, stats)
        output.write(ids, ends)
        free.append(ids.base)

    run(read_chunks(sources, pool), work, take, workers, pool, fixed=False)
    return tracker

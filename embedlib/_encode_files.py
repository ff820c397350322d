"""Encoding text files: count the words, choose the vocabulary, write the ids.

:func:`read_files` (behind :meth:`Corpus.from_file <embedlib.corpus.Corpus.from_file>`)
reads the files once (``embedlib._corpus_pass.count``): it counts the words and writes
each token's index in the counting table as it comes (:class:`Output`), to arrays in
memory or to ``.npy`` files of :mod:`embedlib.corpus_store`, so that memory grows with
the number of distinct words, not with the corpus. It then chooses the vocabulary (by
count, ties by first appearance) and maps those indexes to word ids in place
(:meth:`Output.remap`: the tokens of dropped words removed, the sentence offsets moved).

Pruning (``max_vocab_size``) drops words from the counting table while it is filled, and
the indexes written for them with them; then, and for a given vocabulary, the tokens are
encoded in a second pass over the text (``embedlib._corpus_pass.encode``).
Whether the corpus ends in memory depends on the number of tokens kept, as with the
second pass: one spilled to a temporary directory while counting (more than
:data:`~embedlib.corpus_store.IN_MEMORY_TOKENS` tokens) is read back into memory if
fewer are kept.
"""

from __future__ import annotations

import os
import shutil
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from . import _corpus_pass as P
from . import _scan as S
from . import corpus_store
from ._checks import check_choice, check_int
from ._errors import CorpusError, spell
from .corpus_store import (OFFSETS, TOKENS, NpyWriter, Stored, check_target, commit, load,
                           temporary_directory, write_failed, write_rest)

__all__ = ["read_files", "ENCODING_ERRORS"]

#: What :meth:`Corpus.from_file` does with bytes that are not UTF-8.
ENCODING_ERRORS = ("strict", "replace")


class Output:
    """Where the encoding pass puts tokens and sentence offsets: arrays in memory, or
    ``.npy`` files in a directory. In memory, once there are more than ``spill`` tokens,
    ``open_directory()`` gives a directory and everything moves to files there."""

    def __init__(self, directory=None, *, expected_tokens: int = 0, expected_sentences: int = 0,
                 spill: int | None = None, open_directory=None):
        self.directory = None
        self.spill = spill
        self.open_directory = open_directory
        self.n_tokens = 0
        self.writers = None
        if directory is None and spill is not None and expected_tokens > spill:
            directory = open_directory()
        if directory is not None:
            self._open(directory)
        else:
            self.tokens = np.empty(max(expected_tokens, 1024), np.int32)
            self.offsets = np.empty(max(expected_sentences + 1, 1024), np.int64)
            self.offsets[0] = 0
            self.n_offsets = 1

    def _open(self, directory) -> None:
        self.directory = Path(directory)
        self.writers = (NpyWriter(self.directory / TOKENS, np.int32),
                        NpyWriter(self.directory / OFFSETS, np.int64))
        self.writers[1].write(np.zeros(1, np.int64))

    def write(self, ids: np.ndarray, ends: np.ndarray) -> None:
        ends = ends + self.n_tokens
        if self.writers is None and self.spill is not None \
                and self.n_tokens + len(ids) > self.spill:
            tokens, offsets = self.tokens[:self.n_tokens], self.offsets[:self.n_offsets]
            self._open(self.open_directory())
            self.writers[0].write(tokens)
            self.writers[1].write(offsets[1:])
            del self.tokens, self.offsets
        if self.writers is not None:
            self.writers[0].write(ids)
            self.writers[1].write(ends)
        else:
            self.tokens = _append(self.tokens, self.n_tokens, ids)
            self.offsets = _append(self.offsets, self.n_offsets, ends)
            self.n_offsets += len(ends)
        self.n_tokens += len(ids)

    def remap(self, fmap: np.ndarray, workers: int = 1) -> None:
        """Map the ids written (table indexes of the counting pass) through ``fmap`` in
        place (see :func:`embedlib._scan.remap`): tokens that map to -1 are dropped, the
        sentence offsets moved accordingly. In files, blocks of ids are read in order,
        mapped by ``workers`` threads and written back in order (a block's ids never move
        past the start of the next one, so the blocks still to read are intact)."""
        if self.writers is None:
            self.n_tokens = S.remap(self.tokens, self.n_tokens, fmap, self.offsets,
                                    self.n_offsets, 0, 0)
            return
        tw, ow = self.writers
        tw.f.flush()
        head = corpus_store._NPY_HEADER
        n_raw, n_off, size = self.n_tokens, ow.n, _REMAP_BLOCK
        free: list = []
        offs = np.empty(_OFFSET_PIECE, np.int64)  # offsets o.. are offs[lo:hi]
        lo = hi = 0
        kept = 0
        o = 0  # offsets done
        pending: deque = deque()
        starts = iter(range(0, max(n_raw, 1), size))

        def submit(ex, reader) -> bool:
            r0 = next(starts, None)
            if r0 is None:
                return False
            block, kept_before = free.pop() if free else (
                np.empty(size, np.int32), np.empty(size + 1, np.int32))
            nt = min(size, n_raw - r0)
            reader.seek(head + 4 * r0)
            _read_into(reader, block[:nt])
            pending.append((r0, nt, block, kept_before,
                            ex.submit(S.remap_block, block, nt, fmap, kept_before)))
            return True

        with open(tw.path, "rb", buffering=0) as reader, \
                ThreadPoolExecutor(workers, thread_name_prefix="embedlib-remap") as ex:
            try:
                while len(pending) < 2 * workers and submit(ex, reader):
                    pass
                while pending:
                    r0, nt, block, kept_before, future = pending.popleft()
                    w = future.result()
                    tw.f.seek(head + 4 * kept)
                    tw.f.write(memoryview(block[:w]).cast("B"))
                    last = r0 + nt >= n_raw
                    while o < n_off:  # the offsets that fall in this block (all, if last)
                        if lo == hi:  # offsets o.. read once, a piece at a time
                            hi = min(len(offs), n_off - o)
                            lo = 0
                            ow.f.seek(head + 8 * o)
                            _read_into(ow.f, offs[:hi])
                        piece = offs[lo:hi]
                        cut = len(piece) if last else \
                            int(np.searchsorted(piece, r0 + nt, "right"))
                        piece[:cut] = kept + kept_before[piece[:cut] - r0]
                        ow.f.seek(head + 8 * o)
                        ow.f.write(memoryview(piece[:cut]).cast("B"))
                        o += cut
                        lo += cut
                        if lo < hi:
                            break
                    kept += w
                    free.append((block, kept_before))
                    submit(ex, reader)
            except BaseException:
                for *_, future in pending:
                    future.cancel()
                raise
        tw.f.truncate(head + 4 * kept)
        tw.f.seek(0, os.SEEK_END)
        ow.f.seek(0, os.SEEK_END)
        tw.n = kept
        self.n_tokens = kept

    def finish(self):
        """``(tokens, offsets)`` in memory, or None after closing the files."""
        if self.writers is not None:
            for w in self.writers:
                w.close()
            return None
        return _trim(self.tokens, self.n_tokens), _trim(self.offsets, self.n_offsets)

    def abort(self) -> None:
        if self.writers is not None:
            for w in self.writers:
                w.abort()


_REMAP_BLOCK = 1 << 20  # ids mapped at a time in a file (4 MB; 2 blocks a worker in flight)
_OFFSET_PIECE = 1 << 16  # sentence offsets read at a time when they are mapped (512 kB)


def _read_into(f, a: np.ndarray) -> None:
    """Fill ``a`` from the file ``f`` at its position."""
    view = memoryview(a).cast("B")
    got = 0
    while got < len(view):
        k = f.readinto(view[got:])
        if not k:
            raise OSError(f"{f.name}: {len(view) - got} bytes missing")
        got += k


def _append(a: np.ndarray, n: int, x: np.ndarray) -> np.ndarray:
    if n + len(x) > len(a):
        b = np.empty(max(2 * len(a), n + len(x)), a.dtype)
        b[:n] = a[:n]
        a = b
    a[n:n + len(x)] = x
    return a


def _trim(a: np.ndarray, n: int) -> np.ndarray:
    return a[:n] if n == len(a) else a[:n].copy()


# ------------------------------------------------------------------------ encoding files
def _check(paths, min_count, max_vocab_size, encoding_errors, workers, chunk_size):
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    paths = list(paths)
    if not paths:
        raise CorpusError("no corpus file given")
    check_choice("encoding_errors", encoding_errors, ENCODING_ERRORS)
    check_int("min_count", min_count, 1)
    if max_vocab_size is not None:
        check_int("max_vocab_size", max_vocab_size, 1)
    check_int("workers", workers, 1)
    chunk_size = P.CHUNK_SIZE if chunk_size is None else check_int("chunk_size", chunk_size, 1)
    try:
        sources = P.open_sources(paths)
    except P.CorpusReadError as e:
        raise CorpusError(str(e), path=e.path) from None
    return sources, chunk_size


def read_files(paths, *, min_count: int = 5, max_vocab_size: int | None = None,
               given=None, encoding_errors: str = "strict", workers: int = 1,
               chunk_size: int | None = None, directory=None) -> Stored:
    """The encoded corpus of text files; see :meth:`Corpus.from_file
    <embedlib.corpus.Corpus.from_file>` (``given``: the words and counts of a given
    vocabulary)."""
    sources, chunk_size = _check(paths, min_count, max_vocab_size, encoding_errors, workers,
                                 chunk_size)
    try:
        return _read(sources, min_count, max_vocab_size, given, encoding_errors, workers,
                     chunk_size, directory)
    finally:
        for s in sources:
            s.close()


def _read(sources, min_count, max_vocab_size, given, encoding_errors, workers, chunk_size,
          directory) -> Stored:
    target = None if directory is None else Path(os.fspath(directory))
    if target is not None:
        check_target(target)
    replace = encoding_errors == "replace"
    where = sources[0].name if len(sources) == 1 else \
        "the corpus files " + ", ".join(s.name for s in sources)
    path = sources[0].name if len(sources) == 1 else None
    params = dict(min_count=min_count, max_vocab_size=max_vocab_size,
                  encoding_errors=encoding_errors,
                  vocabulary="given" if given is not None else "counted")
    made: list[Path] = []  # temporary directories to remove if anything fails

    def temporary():
        made.append(temporary_directory(target))
        return made[-1]

    output = None
    spill = corpus_store.IN_MEMORY_TOKENS
    try:
        try:
            first, pruned, counts = None, 0, None
            if given is None:
                # one pass: count, and write each token's table index; once the
                # vocabulary is chosen, those are mapped to its ids in place
                size = sum(s.size for s in sources)
                output = Output(temporary() if target is not None else None,
                                expected_tokens=min(size // 4, spill),
                                expected_sentences=min(size // 64, spill), spill=spill,
                                open_directory=temporary)
                counted = P.count(sources, output, replace=replace, workers=workers,
                                  chunk_size=chunk_size,
                                  limit=2 * max_vocab_size if max_vocab_size else 0)
                first = second = counted.tracker
                table = counted.table
                if first.tokens == 0:
                    raise CorpusError(f"{where} is empty: no tokens found", path=path)
                words, counts, order = _choose(table, min_count, max_vocab_size, where, path)
                pruned = int(table.meta[S.M_PRUNED])
                if counted.pruned:  # the ids of pruned words are lost: read the text again
                    output.abort()
                    output = None
                    final = _final_table(table, order)
                else:
                    vocab_index = np.full(max(int(table.meta[S.M_WORDS]), 1), -1, np.int32)
                    vocab_index[order] = np.arange(len(order), dtype=np.int32)
                    output.remap(counted.id_map(vocab_index), workers)
                del table, counted
            else:
                words, counts = tuple(given[0]), np.asarray(given[1], np.int64)
                final = _lookup_table(words)
            if output is None:
                output = Output(temporary() if target is not None else None,
                                expected_tokens=0 if first is None else int(counts.sum()),
                                expected_sentences=first.n_lines if first else 0,
                                spill=spill, open_directory=temporary)
                second = P.encode(sources, final, output, replace=replace, workers=workers,
                                  chunk_size=chunk_size)
        except P.CorpusReadError as e:
            raise CorpusError(str(e), path=e.path, line=e.line) from None
        _check_unchanged(sources, first, second, where, path)
        if output.n_tokens == 0:
            raise CorpusError(f"{where}: no token is in the given vocabulary", path=path)
        stored = Stored(tuple(words), counts, None, None, n_raw_tokens=second.tokens,
                        n_replaced_lines=second.replaced_lines, source=where,
                        sources=tuple(s.record() for s in sources), parameters=params,
                        pruned_words=pruned)
        in_memory = target is None and output.n_tokens <= spill
        arrays = output.finish()
        if arrays is None and in_memory:  # spilled while counting, fewer tokens kept
            arrays = tuple(np.load(output.directory / name) for name in (TOKENS, OFFSETS))
        if arrays is not None:
            stored.tokens, stored.offsets = arrays
            stored.written = True
            return stored
        return _finish_directory(stored, output, second.n_lines, target, made)
    except OSError as e:  # reading errors are CorpusErrors by now: this is writing
        if output is not None:
            output.abort()
        if e.errno is not None and made:
            raise write_failed(e, target or made[0]) from None
        raise
    except BaseException:
        if output is not None:
            output.abort()
        raise
    finally:
        for d in made:
            shutil.rmtree(d, ignore_errors=True)


def _finish_directory(stored: Stored, output: Output, n_lines: int, target, made) -> Stored:
    """Write the rest of the directory, rename it to ``target`` (or keep it as a temporary
    directory) and map it."""
    tmp = output.directory
    write_rest(tmp, stored, output.n_tokens, n_lines)
    if target is not None:
        commit(tmp, target)
        made.remove(tmp)
        result = load(target)
    else:
        result = load(tmp)
        made.remove(tmp)
        result.cleanup = str(tmp)
    result.source = stored.source
    result.written = True
    return result


def _check_unchanged(sources, first, second, where, path) -> None:
    for s in sources:
        if (why := s.changed()) is not None:
            raise CorpusError(f"{why}; read it again", path=s.name)
    if first is not None and (first.tokens, first.n_lines) != (second.tokens, second.n_lines):
        raise CorpusError(f"{where} changed while it was read; read it again", path=path)


def _choose(table: S.Table, min_count: int, max_vocab_size, where, path):
    """The words (by count, ties by first occurrence), their counts and their indexes in
    ``table``."""
    n = int(table.meta[S.M_WORDS])
    recs = table.recs[:n]
    counts = recs[:, S.R_COUNT]
    keep = np.flatnonzero(counts >= min_count)
    if len(keep) == 0:
        raise CorpusError(
            f"{where}: every word occurs fewer than {min_count} times "
            f"({spell('min_count', min_count)}; {n} distinct words, the most "
            f"frequent occurs {counts.max()} times); lower {spell('min_count')}", path=path)
    order = keep[np.lexsort((recs[keep, S.R_FIRST], -counts[keep]))]
    if max_vocab_size is not None:
        order = order[:max_vocab_size]
    starts = np.ascontiguousarray(recs[:, S.R_START])
    lengths = S.lengths_of(table)
    blob = S.gather_words(table.arena, starts, lengths, order)
    words = tuple(blob.tobytes().decode("utf-8").split("\n")[:-1])
    return words, counts[order].astype(np.int64), order


def _final_table(table: S.Table, order: np.ndarray) -> S.Table:
    """The lookup table of the words ``order`` of ``table`` (id = position in ``order``)."""
    starts = table.recs[order, S.R_START]
    return S.word_table(table.arena[:int(table.meta[S.M_ARENA])], starts,
                        S.lengths_of(table)[order])


def frequent_first(counts: np.ndarray, min_count: int, max_vocab_size, where,
                   path) -> np.ndarray:
    """The indexes of the words to keep, given ``counts`` in order of first appearance:
    those with at least ``min_count`` occurrences, by count, ties by first appearance, at
    most ``max_vocab_size``; the error of a corpus whose every word is rarer."""
    keep = np.flatnonzero(counts >= min_count)
    if len(keep) == 0:
        raise CorpusError(
            f"{where}: every word occurs fewer than {min_count} times "
            f"({spell('min_count', min_count)}; {len(counts)} distinct words"
            f", the most frequent occurs {counts.max()} times); lower "
            f"{spell('min_count')}", path=path)
    order = keep[np.argsort(-counts[keep], kind="stable")]  # ties: first appearance
    return order if max_vocab_size is None else order[:max_vocab_size]


def _lookup_table(words) -> S.Table:
    """The lookup table of a given vocabulary's words (id = position)."""
    encoded = [w.encode("utf-8", "surrogatepass") for w in words]
    lengths = np.fromiter(map(len, encoded), np.int64, len(encoded))
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)
    arena = np.frombuffer(b"".join(encoded), np.uint8)
    return S.word_table(arena, starts, lengths)

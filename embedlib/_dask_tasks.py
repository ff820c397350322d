"""The functions :mod:`embedlib.distributed` runs on Dask workers.

Each is a top-level function of an importable module (so that it pickles by reference)
and runs the local code of embedlib on its share of the work, in the worker's process:

* :func:`count_partition`: the counting pass of :mod:`embedlib._corpus_pass` over the files
  of one partition, turned into plain arrays (:class:`Partial`: the words in the order of
  their first appearance, their counts, and what was read);
* :func:`merge_partials`: two partial counts of consecutive partitions, left before right,
  merged into one, so that first appearance stays "the earliest partition, then the
  earliest position in it" -- the order in which the local pass reads the files;
* :func:`choose_vocabulary`: the vocabulary of the merged counts, chosen as
  :func:`embedlib._encode_files.read_files` chooses it (by count, ties by first appearance);
* :func:`encode_partition`: the encoding pass of one partition with that vocabulary, into a
  shard directory (``tokens.npy``, ``offsets.npy``) renamed into place when complete;
* :func:`assemble`: the shards, in order, streamed into the ``tokens.npy`` and
  ``offsets.npy`` of one encoded directory (:mod:`embedlib.corpus_store`), with its
  vocabulary and manifest;
* :func:`cooccur_range` and :func:`add_matrices`: the co-occurrences of a range of
  sentences (:func:`embedlib.cooccur.cooccurrence`), and the sum of two of them.

Messages name parameters as the caller spells them (``--encoding-errors``, not
``encoding_errors``): every task runs under the :class:`~embedlib._errors.Spelling` the
client passes along. Errors of the reading pass leave a task as a
:class:`~embedlib._errors.CorpusError`, which pickles with its path and line.
"""

from __future__ import annotations

import itertools
import os
import shutil
import socket
import uuid
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import _corpus_pass as P
from . import _scan as S
from ._encode_files import Output, _lookup_table, frequent_first
from ._errors import CorpusError, Spelling, spelling
from .corpus_store import (OFFSETS, TOKENS, NpyWriter, Stored, write_rest)

__all__ = ["Summary", "Partial", "Vocab", "count_partition", "merge_partials",
           "choose_vocabulary", "encode_partition", "assemble", "cooccur_range",
           "add_matrices", "SHARD"]

#: The name of partition ``k``'s shard in the temporary directory of the output.
SHARD = "shard-{:05d}"
_BLOCK = 1 << 22  # items copied at a time from a shard


@dataclass(frozen=True)
class Summary:
    """What the counting pass read of one partition: its tokens and lines, the lines that
    held invalid UTF-8, and the files as a manifest records them (path, size, mtime)."""

    tokens: int
    n_lines: int
    replaced_lines: int
    records: tuple


@dataclass(frozen=True)
class Partial:
    """The counts of consecutive partitions: ``words`` in the order of their first
    appearance, ``counts`` (int64) beside them, and one :class:`Summary` a partition."""

    words: tuple
    counts: np.ndarray
    parts: tuple


@dataclass(frozen=True)
class Vocab:
    """The chosen vocabulary (``words`` in id order, their ``counts``) and the words that
    were counted in all."""

    words: tuple
    counts: np.ndarray
    n_counted: int


def _reading(paths):
    """The sources of ``paths``, opened; errors as :class:`CorpusError`. The client saw
    the files: one that this worker does not see is not on a file system they share."""
    try:
        return P.open_sources(paths)
    except P.CorpusReadError as e:
        raise CorpusError(str(e), path=e.path, line=e.line) from None
    except FileNotFoundError as e:
        raise FileNotFoundError(f"{e} on the Dask worker {_host()}; the input files must be "
                                "on a file system the client and every worker share, at "
                                "the same path") from None


def _host() -> str:
    return socket.gethostname()


def _workdir(directory, name: str) -> Path:
    """The new folder ``directory/name``; a directory this worker does not see is not on
    a file system it shares with the client."""
    work = Path(directory) / name
    try:
        work.mkdir()
    except FileNotFoundError:
        raise FileNotFoundError(f"the output's temporary directory {directory} is not found "
                                f"on the Dask worker {_host()}; the output must be on a file "
                                "system the client and every worker share, at the same "
                                "path") from None
    return work


# ------------------------------------------------------------------------------ counting
def count_partition(paths, *, replace: bool, threads: int, chunk_size: int,
                    how: Spelling) -> Partial:
    """The counting pass over the files ``paths`` (one partition), exact (no pruning)."""
    with spelling(how):
        sources = _reading(paths)
        try:
            try:
                counted = P.count(sources, _NoIds(), replace=replace, workers=threads,
                                  chunk_size=chunk_size)
            except P.CorpusReadError as e:
                raise CorpusError(str(e), path=e.path, line=e.line) from None
            tracker = counted.tracker
            words, counts = _table_words(counted.table)
            summary = Summary(tracker.tokens, tracker.n_lines, tracker.replaced_lines,
                              tuple(s.record() for s in sources))
            return Partial(words, counts, (summary,))
        finally:
            for s in sources:
                s.close()


class _NoIds:
    """Where the counting pass of a partition writes its tokens' table indexes: nowhere
    (a partition is encoded once the vocabulary of all of them is chosen)."""

    @staticmethod
    def write(ids, ends) -> None:
        pass


def _table_words(table):
    """The words of a counting table in the order of their first appearance, and their
    counts (the one place that reads the table's fields, as ``_encode_files._choose``)."""
    n = int(table.meta[S.M_WORDS])
    recs = table.recs[:n]
    order = np.argsort(recs[:, S.R_FIRST], kind="stable")
    starts = np.ascontiguousarray(recs[:, S.R_START])
    blob = S.gather_words(table.arena, starts, S.lengths_of(table), order)
    words = tuple(blob.tobytes().decode("utf-8").split("\n")[:-1])
    return words, np.ascontiguousarray(recs[order, S.R_COUNT], dtype=np.int64)


def merge_partials(left: Partial, right: Partial) -> Partial:
    """The counts of ``left`` then ``right`` (consecutive partitions, in this order): the
    words of ``left`` keep their places, those first seen in ``right`` follow in the
    order ``right`` saw them. One dictionary look-up per distinct word, none per token."""
    if len(left.words) < len(right.words):  # index the smaller side
        index = {w: i for i, w in enumerate(right.words)}
        pos = np.fromiter((index.get(w, -1) for w in left.words), np.int64, len(left.words))
        counts = left.counts.copy()
        have = pos >= 0
        counts[have] += right.counts[pos[have]]
        new = np.ones(len(right.words), bool)
        new[pos[have]] = False
    else:
        index = {w: i for i, w in enumerate(left.words)}
        pos = np.fromiter((index.get(w, -1) for w in right.words), np.int64,
                          len(right.words))
        new = pos < 0
        counts = left.counts.copy()
        counts[pos[~new]] += right.counts[~new]
    words = left.words + tuple(itertools.compress(right.words, new))
    counts = np.concatenate([counts, right.counts[new]])
    return Partial(words, counts, left.parts + right.parts)


def choose_vocabulary(partial: Partial, *, min_count: int, max_vocab_size, where: str,
                      path, how: Spelling) -> Vocab:
    """The words with at least ``min_count`` occurrences, by count, ties by first
    appearance, at most ``max_vocab_size`` of them; the errors of the local pass."""
    with spelling(how):
        if sum(p.tokens for p in partial.parts) == 0:
            raise CorpusError(f"{where} is empty: no tokens found", path=path)
        counts = partial.counts
        order = frequent_first(counts, min_count, max_vocab_size, where, path)
        words = partial.words
        return Vocab(tuple(words[i] for i in order), counts[order].astype(np.int64),
                     len(words))


# ------------------------------------------------------------------------------ encoding
def encode_partition(paths, k: int, vocab: Vocab, summary: Summary, directory, *,
                     replace: bool, threads: int, chunk_size: int, how: Spelling) -> dict:
    """Encode partition ``k`` (the files ``paths``) with ``vocab`` into the shard
    ``directory/shard-K``: written in a folder of its own, renamed when complete, so that
    a worker killed meanwhile leaves no shard, only a folder :func:`assemble` never reads
    (removed with the whole temporary directory). Its numbers: tokens kept, lines, tokens
    read, lines with invalid UTF-8."""
    with spelling(how):
        sources = _reading(paths)
        work = None
        output = None
        try:
            for s, record in zip(sources, summary.records):
                if s.record() != record:
                    raise CorpusError(f"{s.name} changed while it was read; read it again",
                                      path=s.name)
            table = _lookup_table(vocab.words)
            work = _workdir(directory, f".{SHARD.format(k)}.{uuid.uuid4().hex}")
            output = Output(work)
            try:
                tracker = P.encode(sources, table, output, replace=replace, workers=threads,
                                   chunk_size=chunk_size)
            except P.CorpusReadError as e:
                raise CorpusError(str(e), path=e.path, line=e.line) from None
            kept = output.n_tokens
            output.finish()
            output = None
            for s in sources:
                if (why := s.changed()) is not None:
                    raise CorpusError(f"{why}; read it again", path=s.name)
            if (tracker.tokens, tracker.n_lines) != (summary.tokens, summary.n_lines):
                names = ", ".join(s.name for s in sources)
                raise CorpusError(f"{names} changed while it was read; read it again",
                                  path=sources[0].name)
            shard = Path(directory) / SHARD.format(k)
            if shard.exists():  # an attempt the scheduler took for lost finished after all
                shutil.rmtree(shard)
            os.replace(work, shard)
            return {"tokens": kept,
                    "n_lines": tracker.n_lines, "raw_tokens": tracker.tokens,
                    "replaced_lines": tracker.replaced_lines}
        finally:
            if output is not None:
                output.abort()
            if work is not None:
                shutil.rmtree(work, ignore_errors=True)
            for s in sources:
                s.close()


def assemble(directory, shards: list, vocab: Vocab, *, source: str, sources: tuple,
             parameters: dict) -> int:
    """Stream the shards ``directory/shard-K`` (``shards``: what :func:`encode_partition`
    returned, in partition order) into ``directory/tokens.npy`` and ``offsets.npy``, write
    the vocabulary and the manifest, remove the shards (and what attempts that were killed
    left); the number of tokens. Run again after a worker died, it writes everything
    anew."""
    d = Path(directory)
    writers = [NpyWriter(d / TOKENS, np.int32), NpyWriter(d / OFFSETS, np.int64)]
    try:
        writers[1].write(np.zeros(1, np.int64))
        base = 0
        for k in range(len(shards)):
            shard = d / SHARD.format(k)
            tokens = np.load(shard / TOKENS, mmap_mode="r")
            offsets = np.load(shard / OFFSETS, mmap_mode="r")
            for i in range(0, len(tokens), _BLOCK):
                writers[0].write(tokens[i:i + _BLOCK])
            for i in range(1, len(offsets), _BLOCK):
                writers[1].write(offsets[i:i + _BLOCK] + base)
            base += len(tokens)
        n_lines = writers[1].n - 1
        for w in writers:
            w.close()
        writers = []
    finally:
        for w in writers:
            w.abort()
    stored = Stored(vocab.words, vocab.counts, None, None,
                    n_raw_tokens=sum(s["raw_tokens"] for s in shards),
                    n_replaced_lines=sum(s["replaced_lines"] for s in shards),
                    source=source, sources=sources, parameters=parameters, pruned_words=0)
    write_rest(d, stored, base, n_lines)
    for p in d.iterdir():  # the shards, and the folders of attempts killed while writing
        if p.is_dir() and p.name.lstrip(".").startswith(SHARD.split("{")[0]):
            shutil.rmtree(p, ignore_errors=True)
    return base


# ------------------------------------------------------------------------ co-occurrences
def cooccur_range(corpus, a: int, b: int, *, vocab=None, how: Spelling, **options):
    """The co-occurrence matrix of sentences ``a..b-1`` of ``corpus``: an encoded
    directory (memory-mapped here) or, with ``vocab``, ``(tokens, offsets)`` of just those
    sentences. ``options``: those of :func:`embedlib.cooccur.cooccurrence`."""
    import scipy.sparse as sp

    from .cooccur import cooccurrence
    from .corpus import Corpus

    with spelling(how):
        if vocab is None:
            whole = Corpus.load(corpus, check_sources=False)
            vocab = whole.vocab
            lo, hi = int(whole.offsets[a]), int(whole.offsets[b])
            tokens = whole.tokens[lo:hi]
            offsets = np.asarray(whole.offsets[a:b + 1]) - lo
        else:
            tokens, offsets = corpus
        V = len(vocab)
        if len(tokens) == 0:
            return sp.csr_matrix((V, V), dtype=np.float64)
        part = Corpus(vocab, tokens, offsets, validate=False)
        return cooccurrence(part, **options)


def add_matrices(x, y):
    """``x + y`` (CSR, sorted indices)."""
    z = (x + y).tocsr()
    z.sort_indices()
    return z

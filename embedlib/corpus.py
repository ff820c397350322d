"""Corpus reading, vocabulary and the integer encoding that training runs on.

A corpus is read once: every token is counted, words under ``min_count`` (and beyond
``max_vocab_size``) are dropped, and what is left becomes one ``int32`` array of word ids
with an array of sentence offsets. Training kernels only ever see these two arrays; no
Python string is touched per token after encoding.

Input text: one sentence (or paragraph, or document) per line, UTF-8, optionally
gzip-compressed (``.gz``); several files make one corpus. Files are read in chunks of bytes
by Numba kernels (:mod:`embedlib._scan`, :mod:`embedlib._corpus_pass`), in two passes: one
counts the words, one encodes them. Tokens are separated by ASCII white space (space, tab,
``\\n``, ``\\r``, ``\\v``, ``\\f``), as in the C tools of word2vec and GloVe. That is
narrower than Python's ``str.split()``, which also splits on U+001C..U+001F, U+0085,
U+00A0, U+1680, U+2000..U+200A, U+2028, U+2029, U+202F, U+205F and U+3000: here those
characters are part of a word. A line ends at ``\\n`` only (``\\r\\n`` ends a line too, the
``\\r`` being white space). Bytes that are not valid UTF-8 are an error that names the
file, the line and the column (``encoding_errors="strict"``, the default); with
``encoding_errors="replace"`` each maximal invalid sequence becomes U+FFFD, as
``bytes.decode("utf-8", "replace")`` does, and the lines that held one are counted in
:attr:`Corpus.n_replaced_lines`. A NUL byte is an error in both modes (a text corpus holds
none).

An encoded corpus can be stored in a directory (:meth:`Corpus.save`, or
``Corpus.from_file(..., directory=...)``) and memory-mapped again (:meth:`Corpus.load`);
the format is described in :mod:`embedlib.corpus_store`. A corpus of more than
:data:`~embedlib.corpus_store.IN_MEMORY_TOKENS` tokens (50 million) is encoded to a
temporary directory and memory-mapped instead of being held in memory.
"""

from __future__ import annotations

import gzip
import os
from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ._checks import check_int

__all__ = ["Vocabulary", "Corpus", "CorpusError", "open_text"]


class CorpusError(ValueError):
    """A corpus that cannot be used, with the reason (file, line) in the message."""


class _Ids(dict):
    """word -> provisional id in order of first appearance."""

    def __missing__(self, word):
        i = self[word] = len(self)
        return i


@dataclass(frozen=True)
class Vocabulary:
    """Words sorted by decreasing frequency, their counts, and the word -> id mapping.

    Ties in frequency keep the order of first appearance in the corpus, so the ids are
    deterministic. ``counts[i]`` is the number of occurrences of ``words[i]``.
    """

    words: tuple[str, ...]
    counts: np.ndarray
    index: dict[str, int] = field(repr=False, compare=False)

    @classmethod
    def from_counts(cls, words: Sequence[str], counts) -> "Vocabulary":
        """A vocabulary from words and their counts, sorted by decreasing count (stable)."""
        counts = np.asarray(counts, dtype=np.int64)
        if len(words) != len(counts):
            raise ValueError(f"{len(words)} words but {len(counts)} counts")
        order = np.argsort(-counts, kind="stable")
        words = tuple(words[i] for i in order)
        index = {w: i for i, w in enumerate(words)}
        if len(index) != len(words):
            raise ValueError("duplicate words in vocabulary")
        return cls(words, counts[order], index)

    def __len__(self) -> int:
        return len(self.words)

    def __contains__(self, word) -> bool:
        return word in self.index

    def __iter__(self):
        return iter(self.words)

    def __getitem__(self, word: str) -> int:
        try:
            return self.index[word]
        except KeyError:
            raise KeyError(f"word {word!r} not in vocabulary") from None

    def word(self, i: int) -> str:
        return self.words[i]

    def count(self, word: str) -> int:
        return int(self.counts[self[word]])

    @property
    def total(self) -> int:
        """Number of in-vocabulary tokens in the corpus."""
        return int(self.counts.sum())

    def __repr__(self) -> str:
        head = ", ".join(self.words[:5])
        return f"Vocabulary({len(self)} words: {head}{', ...' if len(self) > 5 else ''})"


def open_text(path, encoding_errors: str = "strict"):
    """Yield ``(line_number, text)`` for each line of a plain or gzip-compressed file.

    Lines are decoded as UTF-8 one at a time, so a decoding error names its line.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"corpus file not found: {path}")
    if path.is_dir():
        raise CorpusError(f"corpus path is a directory, not a file: {path}")
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as f:
        try:
            for lineno, raw in enumerate(f, 1):
                try:
                    yield lineno, raw.decode("utf-8")
                except UnicodeDecodeError as e:
                    if encoding_errors == "strict":
                        raise CorpusError(
                            f"{path}, line {lineno}: bytes that are not UTF-8 at column "
                            f"{e.start + 1} ({raw[e.start:e.start + 4]!r}); fix the file or pass "
                            "encoding_errors='replace'"
                        ) from None
                    yield lineno, raw.decode("utf-8", errors="replace")
        except (OSError, EOFError) as e:  # truncated or corrupt gzip stream
            raise CorpusError(f"{path}: cannot read ({e})") from None


class Corpus:
    """A corpus encoded as word ids: ``tokens[offsets[s]:offsets[s + 1]]`` is sentence ``s``.

    Build one with :meth:`from_file` or :meth:`from_sentences`. Tokens outside the
    vocabulary are removed before encoding (as in word2vec and gensim), so windows span
    the remaining words.

    Attributes
    ----------
    vocab : Vocabulary
    tokens : int32 array of word ids
    offsets : int64 array, ``len(offsets) == n_sentences + 1``
    n_raw_tokens : tokens in the input before out-of-vocabulary words were dropped
    n_replaced_lines : lines that held invalid UTF-8 (only with ``encoding_errors="replace"``)
    source : the file(s) or directory the corpus came from, for messages (or None)
    sources : the input files (path, size, modification time), as a manifest records them
    parameters : how it was encoded (``min_count``, ``max_vocab_size``, ``encoding_errors``)
    directory : the directory whose files ``tokens`` and ``offsets`` map, or None when
        they are in memory. Read-only memory maps work wherever in-memory arrays do.
    """

    def __init__(self, vocab: Vocabulary, tokens, offsets, n_raw_tokens: int | None = None,
                 n_replaced_lines: int = 0, source: str | None = None):
        from ._scan import check_encoded
        self.vocab = vocab
        # a memory map stays one (np.ascontiguousarray makes no copy of a contiguous one)
        self.tokens = np.ascontiguousarray(tokens, dtype=np.int32)
        self.offsets = np.ascontiguousarray(offsets, dtype=np.int64)
        if self.offsets.ndim != 1 or self.tokens.ndim != 1:
            raise ValueError("tokens and offsets must be 1-D arrays")
        bad = check_encoded(self.tokens, self.offsets, len(vocab))  # one pass, no copy
        if bad == 1:
            raise ValueError("offsets must start at 0, be non-decreasing and end at len(tokens)")
        if bad == 2:
            raise ValueError("token ids out of the vocabulary's range")
        self.n_raw_tokens = int(len(self.tokens) if n_raw_tokens is None else n_raw_tokens)
        self.n_replaced_lines = int(n_replaced_lines)
        self.source = source
        self.sources: tuple = ()
        self.parameters: dict = {}
        self.directory: Path | None = None

    # -- construction -------------------------------------------------------------------
    @classmethod
    def from_file(cls, path, *, min_count: int = 5, max_vocab_size: int | None = None,
                  vocab: Vocabulary | None = None, encoding_errors: str = "strict",
                  workers: int = 1, chunk_size: int | None = None,
                  directory=None) -> "Corpus":
        """Read a text file (plain or ``.gz``), one sentence per line, or several (a list of
        paths: one corpus, the files one after the other).

        Two passes over the files (see the module's docstring for how text is split and
        checked): the first counts the words, the second writes their ids. The vocabulary
        is sorted by count, ties in the order of first appearance in the corpus.

        Parameters
        ----------
        path : str, os.PathLike, or a list of them
        min_count : int
            Words that occur fewer times are dropped.
        max_vocab_size : int, optional
            Keep only that many of the most frequent words. It also bounds the memory of
            the counting pass: a table that holds ``2 * max_vocab_size`` words is pruned
            as word2vec.c's ``ReduceVocab`` does (the words seen once are dropped, then
            those seen twice, ...), so on a corpus with more distinct words than that the
            counts, and so the vocabulary, are approximate, and depend on ``workers`` and
            ``chunk_size`` (each worker prunes its own table).
        vocab : Vocabulary, optional
            Use this vocabulary as it is (``min_count`` and ``max_vocab_size`` are then
            ignored, and no counting pass is run); unknown words are dropped.
        encoding_errors : {"strict", "replace"}
            What bytes that are not UTF-8 do: an error naming file, line and column, or
            U+FFFD (counted in :attr:`n_replaced_lines`).
        workers : int
            Threads that scan chunks. Without pruning the result does not depend on it.
        chunk_size : int, optional
            Bytes read at a time (default 4 MiB).
        directory : str or os.PathLike, optional
            Write the encoded corpus to this directory (created, or replaced if it holds an
            encoded corpus; atomically) and return it memory-mapped, as :meth:`load`
            does. By default the corpus is kept in memory, unless it has more than
            :data:`~embedlib.corpus_store.IN_MEMORY_TOKENS` tokens: it then goes to a
            temporary directory, removed when the Corpus is garbage collected.

        Raises
        ------
        FileNotFoundError
            A file that does not exist.
        CorpusError
            A directory given as a file, text that is not UTF-8 or holds a NUL byte (file,
            line, column), a truncated or corrupt ``.gz`` file, no tokens, no word with
            ``min_count`` occurrences.
        OSError
            The encoded corpus could not be written (e.g. the disk is full); nothing is
            left behind.
        """
        from .corpus_store import read_files
        return read_files(path, min_count=min_count, max_vocab_size=max_vocab_size,
                          vocab=vocab, encoding_errors=encoding_errors, workers=workers,
                          chunk_size=chunk_size, directory=directory)

    @classmethod
    def from_files(cls, paths, **kwargs) -> "Corpus":
        """One corpus from several text files; the options of :meth:`from_file`."""
        if isinstance(paths, (str, os.PathLike)):
            paths = [paths]
        return cls.from_file(list(paths), **kwargs)

    @classmethod
    def load(cls, directory, *, check_sources: bool = False) -> "Corpus":
        """The corpus :meth:`save` wrote to ``directory``, its arrays memory-mapped.

        A directory whose files do not match its manifest (missing or truncated files,
        another format version, wrong types) is refused with a :class:`CorpusError` that
        says what differs; with ``check_sources``, so is one whose source files changed
        (size or modification time) since it was encoded.
        """
        from .corpus_store import load
        return load(directory, check_sources=check_sources)

    def save(self, directory) -> Path:
        """Write the corpus to ``directory`` (atomically; an encoded corpus there is
        replaced) in the format of :mod:`embedlib.corpus_store`; returns its path."""
        from .corpus_store import save
        return save(self, directory)

    @classmethod
    def from_sentences(cls, sentences: Iterable[Sequence[str]], *, min_count: int = 5,
                       max_vocab_size: int | None = None,
                       vocab: Vocabulary | None = None) -> "Corpus":
        """Encode an iterable of token lists (read once)."""

        def checked():
            for i, s in enumerate(sentences):
                if isinstance(s, (str, bytes)):
                    raise TypeError(
                        f"sentence {i} is a {type(s).__name__}, not a list of tokens; "
                        "split it first (e.g. text.split())")
                yield s

        corpus = cls._encode(checked(), min_count=min_count, max_vocab_size=max_vocab_size,
                             vocab=vocab, source=None)
        corpus.parameters = dict(min_count=min_count, max_vocab_size=max_vocab_size,
                                 vocabulary="given" if vocab is not None else "counted")
        return corpus

    @classmethod
    def _encode(cls, sentences, *, min_count, max_vocab_size, vocab, source) -> "Corpus":
        check_int("min_count", min_count, 1)
        if max_vocab_size is not None:
            check_int("max_vocab_size", max_vocab_size, 1)
        where = source or "the corpus"
        ids = _Ids() if vocab is None else dict(vocab.index)
        buf = array("i")
        lengths = array("q")
        if vocab is None:
            lookup = ids.__getitem__
            for sent in sentences:
                buf.extend(map(lookup, sent))
                lengths.append(len(sent))
        else:
            get = ids.get
            n_given = 0
            for sent in sentences:
                enc = [i for i in map(get, sent) if i is not None]
                n_given += len(sent)
                buf.extend(enc)
                lengths.append(len(enc))
        raw = np.frombuffer(buf, dtype=np.int32) if len(buf) else np.zeros(0, np.int32)
        lengths = np.frombuffer(lengths, dtype=np.int64) if len(lengths) else np.zeros(0, np.int64)
        if vocab is not None:
            offsets = np.concatenate([[0], np.cumsum(lengths)])
            if len(raw) == 0:
                raise CorpusError(f"{where}: no token is in the given vocabulary")
            return cls(vocab, raw.copy(), offsets, n_raw_tokens=n_given, source=source)

        n_raw = len(raw)
        if n_raw == 0:
            raise CorpusError(f"{where} is empty: no tokens found")
        counts = np.bincount(raw, minlength=len(ids))
        words = list(ids)  # provisional id order = first appearance
        keep = np.flatnonzero(counts >= min_count)
        if len(keep) == 0:
            raise CorpusError(
                f"{where}: every word occurs fewer than min_count={min_count} times "
                f"({len(words)} distinct words, most frequent occurs {counts.max()} times); "
                "lower min_count")
        order = keep[np.argsort(-counts[keep], kind="stable")]
        if max_vocab_size is not None:
            order = order[:max_vocab_size]
        remap = np.full(len(words), -1, dtype=np.int32)
        remap[order] = np.arange(len(order), dtype=np.int32)
        enc = remap[raw]
        kept = enc >= 0
        sent_id = np.repeat(np.arange(len(lengths)), lengths)
        new_lengths = np.bincount(sent_id[kept], minlength=len(lengths))
        offsets = np.concatenate([[0], np.cumsum(new_lengths)])
        vocab = Vocabulary(tuple(words[i] for i in order), counts[order].astype(np.int64),
                           {words[i]: j for j, i in enumerate(order)})
        return cls(vocab, enc[kept], offsets, n_raw_tokens=n_raw, source=source)

    @classmethod
    def coerce(cls, corpus, **kwargs) -> "Corpus":
        """A :class:`Corpus` from a Corpus, a path, or an iterable of token lists."""
        if isinstance(corpus, Corpus):
            return corpus
        if isinstance(corpus, (str, os.PathLike)):
            return cls.from_file(corpus, **kwargs)
        kwargs.pop("encoding_errors", None)
        return cls.from_sentences(corpus, **kwargs)

    # -- access -------------------------------------------------------------------------
    def __len__(self) -> int:
        """Number of sentences."""
        return len(self.offsets) - 1

    @property
    def n_tokens(self) -> int:
        return len(self.tokens)

    def sentence(self, s: int) -> list[str]:
        words = self.vocab.words
        return [words[i] for i in self.tokens[self.offsets[s]:self.offsets[s + 1]]]

    def __iter__(self):
        for s in range(len(self)):
            yield self.sentence(s)

    def __repr__(self) -> str:
        where = f", in {self.directory}" if self.directory is not None else ""
        return (f"Corpus({len(self)} sentences, {self.n_tokens} tokens, "
                f"vocabulary {len(self.vocab)}{where})")


def _write_lines(path, lines, batch: int = 4096) -> Path:
    """Write text lines (each followed by ``"\\n"``) as UTF-8, atomically; gzip-compressed
    with reproducible bytes (no time stamp, no file name) if ``path`` ends in ``.gz``.
    Lines are encoded and written ``batch`` at a time. Returns the path."""
    import contextlib

    from ._atomic import atomic_write

    path = Path(os.fspath(path))
    with atomic_write(path, "wb") as raw, (
            gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0)
            if path.suffix == ".gz" else contextlib.nullcontext(raw)) as out:
        buf = []
        for line in lines:
            buf.append(line)
            if len(buf) >= batch:
                out.write(("\n".join(buf) + "\n").encode("utf-8"))
                buf.clear()
        if buf:
            out.write(("\n".join(buf) + "\n").encode("utf-8"))
    return path

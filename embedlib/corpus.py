"""Corpus reading, vocabulary and the integer encoding that training runs on.

A corpus is read once: every token is counted, words under ``min_count`` (and beyond
``max_vocab_size``) are dropped, and what is left becomes one ``int32`` array of word ids
with an array of sentence offsets. Training kernels only ever see these two arrays; no
Python string is touched per token after encoding.

Input text: one sentence (or paragraph, or document) per line, UTF-8, optionally
gzip-compressed (``.gz``); several files make one corpus. Files are read in chunks of bytes
by Numba kernels (``embedlib._scan``, ``embedlib._corpus_pass``), once: the counting pass
also writes each token's index in the counting table, mapped to word ids once the
vocabulary is chosen (a second pass reads the text again only after ``max_vocab_size``
pruned the table). Tokens are separated by ASCII white space (space, tab,
``\\n``, ``\\r``, ``\\v``, ``\\f``), as in the C tools of word2vec and GloVe. That is
narrower than Python's ``str.split()``, which also splits on U+001C..U+001F, U+0085,
U+00A0, U+1680, U+2000..U+200A, U+2028, U+2029, U+202F, U+205F and U+3000: here those
characters are part of a word. A line ends at ``\\n`` only (``\\r\\n`` ends a line too, the
``\\r`` being white space). Bytes that are not valid UTF-8 are an error that names the
file, the line and the column (``encoding_errors="strict"``, the default); with
``encoding_errors="replace"`` each maximal invalid sequence becomes U+FFFD, as
``bytes.decode("utf-8", "replace")`` does, and the lines that held one are counted in
:attr:`Corpus.n_replaced_lines`. A NUL byte is an error in both modes, naming the file
and the line (a text corpus holds none: the file is binary or in another encoding,
UTF-16). Errors about the corpus are :class:`CorpusError`\\ s, with the file and line as
attributes.

An encoded corpus can be stored in a directory (:meth:`Corpus.save`, or
``Corpus.from_file(..., directory=...)``) and memory-mapped again (:meth:`Corpus.load`);
the format is described in :mod:`embedlib.corpus_store`. A corpus of more than
:data:`~embedlib.corpus_store.IN_MEMORY_TOKENS` tokens (50 million) is encoded to a
temporary directory and memory-mapped instead of being held in memory.
"""

from __future__ import annotations

import logging
import os
import shutil
import weakref
from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import corpus_store
from ._checks import check_int
from ._encode_files import ENCODING_ERRORS, frequent_first, read_files
from ._errors import CorpusError
from ._scan import check_encoded
from ._text_files import _write_lines, nul_error, open_text  # noqa: F401  (part of the API)

__all__ = ["Vocabulary", "Corpus", "CorpusError", "open_text", "ENCODING_ERRORS"]

logger = logging.getLogger(__name__)



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

    The constructor checks the offsets and the ids in one pass over them; ``validate=False``
    skips that, for arrays the encoding pass has just written.
    """

    def __init__(self, vocab: Vocabulary, tokens, offsets, n_raw_tokens: int | None = None,
                 n_replaced_lines: int = 0, source: str | None = None, *,
                 validate: bool = True):
        self.vocab = vocab
        # a memory map stays one (np.ascontiguousarray makes no copy of a contiguous one)
        self.tokens = np.ascontiguousarray(tokens, dtype=np.int32)
        self.offsets = np.ascontiguousarray(offsets, dtype=np.int64)
        if self.offsets.ndim != 1 or self.tokens.ndim != 1:
            raise ValueError("tokens and offsets must be 1-D arrays")
        # one pass, no copy; skipped (validate=False) for arrays just written by the
        # encoding pass, so that a memory-mapped corpus is not read back whole
        bad = check_encoded(self.tokens, self.offsets, len(vocab)) if validate else 0
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
        given = None if vocab is None else (vocab.words, vocab.counts)
        stored = read_files(path, min_count=min_count, max_vocab_size=max_vocab_size,
                            given=given, encoding_errors=encoding_errors, workers=workers,
                            chunk_size=chunk_size, directory=directory)
        corpus = cls._from_stored(stored, vocab)
        logger.info("%s: %d sentences, %d tokens; vocabulary %d words, %d tokens kept",
                    corpus.source, len(corpus), corpus.n_raw_tokens, len(corpus.vocab),
                    corpus.n_tokens)
        return corpus

    @classmethod
    def _from_stored(cls, stored: corpus_store.Stored, vocab: Vocabulary | None = None):
        if vocab is None:
            words = stored.words
            vocab = Vocabulary(words, stored.counts, {w: i for i, w in enumerate(words)})
        try:
            corpus = cls(vocab, stored.tokens, stored.offsets, n_raw_tokens=stored.n_raw_tokens,
                         n_replaced_lines=stored.n_replaced_lines, source=stored.source,
                         validate=not stored.written)
        except ValueError as e:
            raise CorpusError(f"{stored.source}: {e}", path=stored.source) from None
        corpus.sources = tuple(stored.sources)
        corpus.parameters = dict(stored.parameters)
        corpus.directory = stored.directory
        corpus._pruned_words = stored.pruned_words
        if stored.cleanup is not None:
            corpus._cleanup = weakref.finalize(corpus, shutil.rmtree, stored.cleanup, True)
        return corpus

    @classmethod
    def from_files(cls, paths, **kwargs) -> "Corpus":
        """One corpus from several text files; the options of :meth:`from_file`."""
        if isinstance(paths, (str, os.PathLike)):
            paths = [paths]
        return cls.from_file(list(paths), **kwargs)

    @classmethod
    def load(cls, directory, *, check_sources: bool = True) -> "Corpus":
        """The corpus :meth:`save` (or ``embedlib encode``) wrote to ``directory``, its
        arrays memory-mapped read-only (``np.load(mmap_mode="r")``).

        A directory whose files do not match its manifest (missing or truncated files,
        another format version, wrong types) is refused with a :class:`CorpusError` that
        says what differs; with ``check_sources`` (the default), so is one whose source
        files changed (size or modification time) since it was encoded. A source file
        that is gone is no error.
        """
        return cls._from_stored(corpus_store.load(directory, check_sources=check_sources))

    def save(self, directory) -> Path:
        """Write the corpus to ``directory`` (atomically; an encoded corpus there is
        replaced) in the format of :mod:`embedlib.corpus_store`; returns its path."""
        stored = corpus_store.Stored(
            self.vocab.words, self.vocab.counts, self.tokens, self.offsets,
            n_raw_tokens=self.n_raw_tokens, n_replaced_lines=self.n_replaced_lines,
            source=self.source, sources=self.sources, parameters=self.parameters,
            pruned_words=getattr(self, "_pruned_words", 0), directory=self.directory)
        return corpus_store.save(stored, directory)

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
                raise CorpusError(f"{where}: no token is in the given vocabulary", path=source)
            return cls(vocab, raw.copy(), offsets, n_raw_tokens=n_given, source=source)

        n_raw = len(raw)
        if n_raw == 0:
            raise CorpusError(f"{where} is empty: no tokens found", path=source)
        counts = np.bincount(raw, minlength=len(ids))
        words = list(ids)  # provisional id order = first appearance
        order = frequent_first(counts, min_count, max_vocab_size, where, source)
        remap = np.full(len(words), -1, dtype=np.int32)
        remap[order] = np.arange(len(order), dtype=np.int32)
        enc = remap[raw]
        kept = enc >= 0
        sent_id = np.repeat(np.arange(len(lengths)), lengths)
        new_lengths = np.bincount(sent_id[kept], minlength=len(lengths))
        offsets = np.concatenate([[0], np.cumsum(new_lengths)])
        vocab = Vocabulary(tuple(words[i] for i in order), counts[order].astype(np.int64),
                           {words[i]: j for j, i in enumerate(order)})
        logger.info("%s: %d sentences, %d tokens; vocabulary %d words (min_count=%d), %d "
                    "tokens kept", where, len(lengths), n_raw, len(vocab), min_count, kept.sum())
        return cls(vocab, enc[kept], offsets, n_raw_tokens=n_raw, source=source)

    @classmethod
    def coerce(cls, corpus, **kwargs) -> "Corpus":
        """A :class:`Corpus` from a Corpus, a path, or an iterable of token lists.

        A path to a directory written by :meth:`save` (or ``embedlib encode``) is loaded as
        it is (:meth:`load`): its vocabulary is the one it was encoded with, whatever
        ``kwargs`` say."""
        if isinstance(corpus, Corpus):
            return corpus
        if isinstance(corpus, (str, os.PathLike)):
            if corpus_store.is_encoded(corpus):
                return cls.load(corpus)
            return cls.from_file(corpus, **kwargs)
        kwargs.pop("encoding_errors", None)
        return cls.from_sentences(corpus, **kwargs)

    @classmethod
    def coerce_to(cls, corpus, vocab: Vocabulary, *,
                  encoding_errors: str = "strict") -> "Corpus":
        """``corpus`` encoded with the given vocabulary: words it does not have are dropped.

        A :class:`Corpus` with the same words is returned as it is, one with another
        vocabulary is re-encoded (:meth:`reencoded`); a path or an iterable of token lists
        is read with ``vocab`` (:meth:`from_file`, :meth:`from_sentences`).
        """
        if isinstance(corpus, (str, os.PathLike)) and corpus_store.is_encoded(corpus):
            corpus = cls.load(corpus)
        if isinstance(corpus, Corpus):
            if corpus.vocab is vocab or corpus.vocab.words == vocab.words:
                return corpus
            return corpus.reencoded(vocab)
        if isinstance(corpus, (str, os.PathLike)):
            return cls.from_file(corpus, vocab=vocab, encoding_errors=encoding_errors)
        return cls.from_sentences(corpus, vocab=vocab)

    def reencoded(self, vocab: Vocabulary) -> "Corpus":
        """The same sentences encoded with another vocabulary; its words that ``vocab``
        does not have are dropped (sentences stay, possibly empty)."""
        lookup = np.array([vocab.index.get(w, -1) for w in self.vocab.words], dtype=np.int32)
        enc = lookup[self.tokens] if len(lookup) else np.zeros(0, np.int32)
        kept = enc >= 0
        if not kept.any():
            raise CorpusError(f"{self.source or 'the corpus'}: no token is in the given "
                              "vocabulary")
        sentence = np.repeat(np.arange(len(self)), np.diff(self.offsets))
        lengths = np.bincount(sentence[kept], minlength=len(self))
        offsets = np.concatenate([[0], np.cumsum(lengths)])
        return Corpus(vocab, enc[kept], offsets, n_raw_tokens=self.n_raw_tokens,
                      source=self.source)

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

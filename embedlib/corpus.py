"""Corpus reading, vocabulary and the integer encoding that training runs on.

A corpus is read once: every token is counted, words under ``min_count`` (and beyond
``max_vocab_size``) are dropped, and what is left becomes one ``int32`` array of word ids
with an array of sentence offsets. Training kernels only ever see these two arrays; no
Python string is touched per token after encoding.

Input text: one sentence (or paragraph, or document) per line, tokens separated by
white space, UTF-8, optionally gzip-compressed (``.gz``). Bytes that are not valid UTF-8
are an error that names the file and the line (``encoding_errors="strict"``, the
default); with ``encoding_errors="replace"`` they become U+FFFD and are counted in
:attr:`Corpus.n_replaced_lines`. A NUL byte is always an error naming the file and the
line: text has none, so the file is binary or in another encoding (UTF-16). Errors about
the corpus are :class:`CorpusError`\\ s, with the file and line as attributes.
"""

from __future__ import annotations

import gzip
import logging
import os
from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ._checks import check_choice, check_int
from ._errors import CorpusError, spell

__all__ = ["Vocabulary", "Corpus", "CorpusError", "open_text", "ENCODING_ERRORS"]

logger = logging.getLogger(__name__)

#: What :meth:`Corpus.from_file` does with bytes that are not UTF-8.
ENCODING_ERRORS = ("strict", "replace")


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

    Lines are decoded as UTF-8 one at a time, so a decoding error names its line; a line
    with a NUL byte is a :class:`CorpusError` naming the line too.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"corpus file not found: {path}")
    if path.is_dir():
        raise CorpusError(f"corpus path is a directory, not a file: {path}", path=path)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as f:
        try:
            for lineno, raw in enumerate(f, 1):
                if b"\0" in raw:
                    raise nul_error(path, lineno, raw.index(b"\0"))
                try:
                    yield lineno, raw.decode("utf-8")
                except UnicodeDecodeError as e:
                    if encoding_errors == "strict":
                        raise CorpusError(
                            f"{path}, line {lineno}: bytes that are not UTF-8 at column "
                            f"{e.start + 1} ({raw[e.start:e.start + 4]!r}); fix the file or pass "
                            f"{spell('encoding_errors', 'replace')}", path=path, line=lineno
                        ) from None
                    yield lineno, raw.decode("utf-8", errors="replace")
        except (OSError, EOFError) as e:  # truncated or corrupt gzip stream
            raise CorpusError(f"{path}: cannot read ({e})", path=path) from None


def nul_error(path, lineno: int, column: int) -> CorpusError:
    """The error for a NUL byte at ``column`` (from 0, in bytes) of line ``lineno``."""
    return CorpusError(f"{path}, line {lineno}: NUL byte at column {column + 1}; a corpus is "
                       "UTF-8 text, without NUL (is the file binary, or UTF-16?)",
                       path=path, line=lineno)


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
    """

    def __init__(self, vocab: Vocabulary, tokens, offsets, n_raw_tokens: int | None = None,
                 n_replaced_lines: int = 0, source: str | None = None):
        self.vocab = vocab
        self.tokens = np.ascontiguousarray(tokens, dtype=np.int32)
        self.offsets = np.ascontiguousarray(offsets, dtype=np.int64)
        if self.offsets.ndim != 1 or len(self.offsets) < 1 or self.offsets[0] != 0 \
                or self.offsets[-1] != len(self.tokens) or np.any(np.diff(self.offsets) < 0):
            raise ValueError("offsets must start at 0, be non-decreasing and end at len(tokens)")
        if len(self.tokens) and (self.tokens.min() < 0 or self.tokens.max() >= len(vocab)):
            raise ValueError("token ids out of the vocabulary's range")
        self.n_raw_tokens = int(len(self.tokens) if n_raw_tokens is None else n_raw_tokens)
        self.n_replaced_lines = int(n_replaced_lines)
        self.source = source

    # -- construction -------------------------------------------------------------------
    @classmethod
    def from_file(cls, path, *, min_count: int = 5, max_vocab_size: int | None = None,
                  vocab: Vocabulary | None = None, encoding_errors: str = "strict") -> "Corpus":
        """Read a text file (plain or ``.gz``), one sentence per line.

        With ``vocab`` given, that vocabulary is used as it is (``min_count`` and
        ``max_vocab_size`` are ignored) and unknown words are dropped.
        """
        check_choice("encoding_errors", encoding_errors, ENCODING_ERRORS)
        replaced = 0

        def lines():
            nonlocal replaced
            for _, text in open_text(path, encoding_errors):
                if "\ufffd" in text and encoding_errors == "replace":
                    replaced += 1
                yield text.split()

        corpus = cls._encode(lines(), min_count=min_count, max_vocab_size=max_vocab_size,
                             vocab=vocab, source=str(path))
        corpus.n_replaced_lines = replaced
        return corpus

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

        return cls._encode(checked(), min_count=min_count, max_vocab_size=max_vocab_size,
                           vocab=vocab, source=None)

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
        keep = np.flatnonzero(counts >= min_count)
        if len(keep) == 0:
            raise CorpusError(
                f"{where}: every word occurs fewer than {min_count} times "
                f"({spell('min_count', min_count)}; {len(words)} distinct words, the most "
                f"frequent occurs {counts.max()} times); lower {spell('min_count')}",
                path=source)
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
        logger.info("%s: %d sentences, %d tokens; vocabulary %d words (min_count=%d), %d "
                    "tokens kept", where, len(lengths), n_raw, len(vocab), min_count, kept.sum())
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

    @classmethod
    def coerce_to(cls, corpus, vocab: Vocabulary, *,
                  encoding_errors: str = "strict") -> "Corpus":
        """``corpus`` encoded with the given vocabulary: words it does not have are dropped.

        A :class:`Corpus` with the same words is returned as it is, one with another
        vocabulary is re-encoded (:meth:`reencoded`); a path or an iterable of token lists
        is read with ``vocab`` (:meth:`from_file`, :meth:`from_sentences`).
        """
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
        return (f"Corpus({len(self)} sentences, {self.n_tokens} tokens, "
                f"vocabulary {len(self.vocab)})")


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

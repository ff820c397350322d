"""Encoding text files into a corpus, in memory or on disk, and the on-disk format.

A corpus is encoded once and trained on many times. :func:`read_files` (behind
:meth:`Corpus.from_file <embedlib.corpus.Corpus.from_file>`) counts the words of the
files (:mod:`embedlib._corpus_pass`), chooses the vocabulary, then encodes the tokens in a
second pass, writing them as they come: to arrays in memory, or to ``.npy`` files in a
directory, so that memory grows with the number of distinct words, not with the corpus.

The directory (format version :data:`VERSION`)::

    manifest.json   what is in the directory: format and version, the source files (path,
                    size, modification time), the encoding parameters, the counts, and the
                    size of every other file
    tokens.npy      int32, the word ids of the corpus, sentence after sentence
    offsets.npy     int64, n_sentences + 1 entries: sentence s is tokens[offsets[s]:offsets[s+1]]
    counts.npy      int64, the count of word i
    vocab.json      the words, in id order: a JSON array of strings, one per line

:func:`load` maps the arrays with ``np.load(mmap_mode="r")`` (the kernel reads the pages it
needs and may drop them again: they are page cache, not the process's memory) and refuses
a directory whose files do not match its manifest. Writes are atomic: everything goes to
a temporary directory beside the target, renamed at the end; on any exception, Ctrl-C
included, the temporary directory is removed.
"""

from __future__ import annotations

import datetime
import errno
import json
import os
import shutil
import struct
import tempfile
import weakref
from pathlib import Path

import numpy as np

from . import _corpus_pass as P
from . import _scan as S
from ._checks import check_choice, check_int

__all__ = ["read_files", "save", "load", "FORMAT", "VERSION", "IN_MEMORY_TOKENS"]

FORMAT = "embedlib-corpus"
#: The version of the directory format this module writes and reads.
VERSION = 1
#: :meth:`Corpus.from_file <embedlib.corpus.Corpus.from_file>` keeps a corpus of up to this
#: many tokens in memory (200 MB of int32 ids, about 250-300 MB of English text); a larger
#: one is encoded to a temporary directory and memory-mapped.
IN_MEMORY_TOKENS = 50_000_000

MANIFEST = "manifest.json"
TOKENS = "tokens.npy"
OFFSETS = "offsets.npy"
COUNTS = "counts.npy"
WORDS = "vocab.json"
_ARRAYS = {TOKENS: "<i4", OFFSETS: "<i8", COUNTS: "<i8"}


def _corpus_types():
    from .corpus import Corpus, CorpusError, Vocabulary  # corpus imports this module lazily
    return Corpus, CorpusError, Vocabulary


# ----------------------------------------------------------------------- .npy in chunks
_NPY_HEADER = 128


def _npy_header(dtype: np.dtype, n: int) -> bytes:
    """A version 1.0 .npy header of exactly 128 bytes for a 1-D array of ``n`` items."""
    d = f"{{'descr': '{np.lib.format.dtype_to_descr(dtype)}', 'fortran_order': False, " \
        f"'shape': ({n},), }}"
    pad = _NPY_HEADER - 10 - len(d) - 1
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", _NPY_HEADER - 10) + \
        (d + " " * pad + "\n").encode("latin1")


class NpyWriter:
    """A 1-D ``.npy`` file written piece by piece; the header, which holds the length, is
    written again by :meth:`close`."""

    def __init__(self, path, dtype):
        self.path = Path(path)
        self.dtype = np.dtype(dtype)
        self.n = 0
        self.f = open(self.path, "wb")
        self.f.write(_npy_header(self.dtype, 0))

    def write(self, a) -> None:
        a = np.ascontiguousarray(a, dtype=self.dtype)
        if len(a):
            self.f.write(a.view(np.uint8))
            self.n += len(a)

    def close(self) -> None:
        self.f.seek(0)
        self.f.write(_npy_header(self.dtype, self.n))
        self.f.flush()
        os.fsync(self.f.fileno())
        self.f.close()

    def abort(self) -> None:
        self.f.close()


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


def _append(a: np.ndarray, n: int, x: np.ndarray) -> np.ndarray:
    if n + len(x) > len(a):
        b = np.empty(max(2 * len(a), n + len(x)), a.dtype)
        b[:n] = a[:n]
        a = b
    a[n:n + len(x)] = x
    return a


def _trim(a: np.ndarray, n: int) -> np.ndarray:
    return a[:n] if n == len(a) else a[:n].copy()


# ------------------------------------------------------------------- atomic directories
def _check_target(target: Path) -> None:
    """Refuse early what :func:`_commit` would refuse at the end."""
    if not target.parent.is_dir():
        raise FileNotFoundError(f"cannot write {target}: directory {target.parent} does not "
                                "exist")
    if target.exists():
        if not target.is_dir():
            raise FileExistsError(f"cannot write the encoded corpus to {target}: it is a file")
        if (target / MANIFEST).is_file() or not any(target.iterdir()):
            return
        raise FileExistsError(f"cannot write the encoded corpus to {target}: the directory "
                              f"is not empty and holds no encoded corpus ({MANIFEST})")


def _temporary_beside(target: Path) -> Path:
    return Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.tmp-"))


def _commit(tmp: Path, target: Path) -> None:
    """Rename ``tmp`` to ``target``; an encoded corpus (or empty directory) there is
    replaced."""
    _check_target(target)
    _fsync(tmp)
    if target.exists() and any(target.iterdir()):
        old = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.old-"))
        os.replace(target, old)
        try:
            os.replace(tmp, target)
        except BaseException:
            os.replace(old, target)
            raise
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(tmp, target)
    _fsync(target.parent)


def _fsync(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _write_failed(e: OSError, target) -> OSError:
    what = "no space left on the device" if e.errno == errno.ENOSPC else (e.strerror or str(e))
    return OSError(e.errno, f"cannot write the encoded corpus to {target}: {what}; nothing "
                            "was left behind")


# ------------------------------------------------------------------------ encoding files
def read_files(paths, *, min_count: int = 5, max_vocab_size: int | None = None, vocab=None,
               encoding_errors: str = "strict", workers: int = 1, chunk_size: int | None = None,
               directory=None):
    """The :class:`~embedlib.corpus.Corpus` of text files; see
    :meth:`Corpus.from_file <embedlib.corpus.Corpus.from_file>`."""
    Corpus, CorpusError, Vocabulary = _corpus_types()
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    paths = list(paths)
    if not paths:
        raise ValueError("no corpus file given")
    check_choice("encoding_errors", encoding_errors, ("strict", "replace"))
    check_int("min_count", min_count, 1)
    if max_vocab_size is not None:
        check_int("max_vocab_size", max_vocab_size, 1)
    check_int("workers", workers, 1)
    chunk_size = P.CHUNK_SIZE if chunk_size is None else check_int("chunk_size", chunk_size, 1)
    target = None if directory is None else Path(os.fspath(directory))
    if target is not None:
        _check_target(target)
    replace = encoding_errors == "replace"
    try:
        sources = [P.Source.of(p) for p in paths]
    except P.CorpusReadError as e:
        raise CorpusError(str(e)) from None
    where = sources[0].name if len(sources) == 1 else \
        "the corpus files " + ", ".join(s.name for s in sources)
    params = dict(min_count=min_count, max_vocab_size=max_vocab_size,
                  encoding_errors=encoding_errors, vocabulary="given" if vocab is not None
                  else "counted")

    made: list[Path] = []  # temporary directories to remove if anything fails

    def temporary():
        d = _temporary_beside(target) if target is not None else \
            Path(tempfile.mkdtemp(prefix="embedlib-corpus-"))
        made.append(d)
        return d

    output = None
    try:
        try:
            first = None
            pruned = 0
            if vocab is None:
                table, first = P.count(sources, replace=replace, workers=workers,
                                       chunk_size=chunk_size,
                                       limit=2 * max_vocab_size if max_vocab_size else 0)
                if first.tokens == 0:
                    raise CorpusError(f"{where} is empty: no tokens found")
                vocab, final = _choose(table, min_count, max_vocab_size, where, Vocabulary,
                                       CorpusError)
                pruned = int(table.meta[S.M_PRUNED])
                expected = int(vocab.counts.sum())
                del table
            else:
                final = _lookup_table(vocab.words)
                expected = 0
            output = Output(temporary() if target is not None else None,
                            expected_tokens=expected,
                            expected_sentences=first.n_lines if first else 0,
                            spill=IN_MEMORY_TOKENS, open_directory=temporary)
            second = P.encode(sources, final, output, replace=replace, workers=workers,
                              chunk_size=chunk_size)
        except P.CorpusReadError as e:
            raise CorpusError(str(e)) from None
        for s in sources:
            if (why := s.changed()) is not None:
                raise CorpusError(f"{why}; read it again")
        if first is not None and (first.tokens, first.n_lines) != (second.tokens,
                                                                     second.n_lines):
            raise CorpusError(f"{where} changed while it was read; read it again")
        if output.n_tokens == 0:
            raise CorpusError(f"{where}: no token is in the given vocabulary")
        info = dict(n_raw_tokens=second.tokens, n_replaced_lines=second.replaced_lines,
                    pruned_words=pruned)
        arrays = output.finish()
        if arrays is not None:
            corpus = Corpus(vocab, *arrays, n_raw_tokens=second.tokens,
                            n_replaced_lines=second.replaced_lines, source=where)
            corpus.sources = tuple(s.record() for s in sources)
            corpus.parameters = params
            return corpus
        tmp = output.directory
        _write_rest(tmp, vocab, sources=[s.record() for s in sources], params=params,
                    n_tokens=output.n_tokens, n_sentences=second.n_lines, info=info)
        if target is not None:
            _commit(tmp, target)
            made.remove(tmp)
            corpus = load(target)
        else:
            corpus = load(tmp)
            made.remove(tmp)
            corpus._cleanup = weakref.finalize(corpus, shutil.rmtree, str(tmp), True)
        corpus.source = where
        return corpus
    except OSError as e:  # reading errors are CorpusErrors by now: this is writing
        if output is not None:
            output.abort()
        if e.errno is not None and made:
            raise _write_failed(e, target or made[0]) from None
        raise
    except BaseException:
        if output is not None:
            output.abort()
        raise
    finally:
        for d in made:
            shutil.rmtree(d, ignore_errors=True)


def _choose(table: S.Table, min_count: int, max_vocab_size, where, Vocabulary, CorpusError):
    """The vocabulary (by count, ties by first occurrence) and its lookup table."""
    n = int(table.meta[S.M_WORDS])
    counts = table.counts[:n]
    keep = np.flatnonzero(counts >= min_count)
    if len(keep) == 0:
        raise CorpusError(
            f"{where}: every word occurs fewer than min_count={min_count} times "
            f"({n} distinct words, most frequent occurs {counts.max()} times); "
            "lower min_count")
    order = keep[np.lexsort((table.firsts[keep], -counts[keep]))]
    if max_vocab_size is not None:
        order = order[:max_vocab_size]
    blob = S.gather_words(table.arena, table.starts, table.lengths, order)
    words = tuple(blob.tobytes().decode("utf-8").split("\n")[:-1])
    vocab = Vocabulary(words, counts[order].astype(np.int64),
                       {w: i for i, w in enumerate(words)})
    final = S.word_table(table.arena, table.starts[order], table.lengths[order])
    return vocab, final


def _lookup_table(words) -> S.Table:
    """The lookup table of a given vocabulary's words (id = position)."""
    encoded = [w.encode("utf-8", "surrogatepass") for w in words]
    lengths = np.fromiter(map(len, encoded), np.int64, len(encoded))
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)
    arena = np.frombuffer(b"".join(encoded), np.uint8)
    return S.word_table(arena, starts, lengths)


# ------------------------------------------------------------------------- save and load
def _write_rest(directory: Path, vocab, *, sources, params, n_tokens, n_sentences, info):
    """Write the vocabulary and the manifest beside tokens.npy and offsets.npy."""
    w = NpyWriter(directory / COUNTS, np.int64)
    w.write(vocab.counts)
    w.close()
    text = json.dumps(list(vocab.words), ensure_ascii=False, indent=0)
    with open(directory / WORDS, "wb") as f:
        f.write(text.encode("utf-8", "surrogatepass"))
        f.flush()
        os.fsync(f.fileno())
    from . import __version__
    files = {name: {"bytes": (directory / name).stat().st_size}
             for name in (TOKENS, OFFSETS, COUNTS, WORDS)}
    for name, dtype in _ARRAYS.items():
        files[name]["dtype"] = dtype
    files[TOKENS]["shape"] = [n_tokens]
    files[OFFSETS]["shape"] = [n_sentences + 1]
    files[COUNTS]["shape"] = [len(vocab)]
    manifest = {
        "format": FORMAT, "version": VERSION, "embedlib": __version__,
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "sources": sources, "parameters": params,
        "counts": {"n_tokens": n_tokens, "n_sentences": n_sentences,
                   "vocab_size": len(vocab), **info},
        "files": files,
    }
    with open(directory / MANIFEST, "w", encoding="utf-8") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")
        f.flush()
        os.fsync(f.fileno())


def save(corpus, directory) -> Path:
    """Write ``corpus`` to ``directory`` (see the module's docstring); returns its path."""
    target = Path(os.fspath(directory))
    here = getattr(corpus, "directory", None)
    if here is not None and target.exists() and target.resolve() == Path(here).resolve():
        return target  # it is stored there already
    _check_target(target)
    tmp = _temporary_beside(target)
    writers = []
    try:
        try:
            for name, a in ((TOKENS, corpus.tokens), (OFFSETS, corpus.offsets)):
                w = NpyWriter(tmp / name, a.dtype)
                writers.append(w)
                step = 1 << 24
                for i in range(0, len(a), step):
                    w.write(a[i:i + step])
                w.close()
            info = dict(n_raw_tokens=corpus.n_raw_tokens,
                        n_replaced_lines=corpus.n_replaced_lines,
                        pruned_words=getattr(corpus, "_pruned_words", 0))
            _write_rest(tmp, corpus.vocab, sources=list(getattr(corpus, "sources", ())),
                        params=dict(getattr(corpus, "parameters", {})),
                        n_tokens=corpus.n_tokens, n_sentences=len(corpus), info=info)
            _commit(tmp, target)
        except OSError as e:
            for w in writers:
                w.abort()
            if e.errno is None:
                raise
            raise _write_failed(e, target) from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


def load(directory, *, check_sources: bool = False):
    """The corpus stored in ``directory``, its arrays memory-mapped (read-only).

    Refused with a :class:`~embedlib.corpus.CorpusError` that says what differs: no
    manifest, another format version, a file missing or of another size than the manifest
    records (truncated), arrays of the wrong type or shape, inconsistent offsets or ids;
    with ``check_sources``, a source file that is gone or has another size or modification
    time than when it was encoded.
    """
    Corpus, CorpusError, Vocabulary = _corpus_types()
    d = Path(os.fspath(directory))
    if not d.exists():
        raise FileNotFoundError(f"encoded corpus not found: {d}")
    if not d.is_dir():
        raise CorpusError(f"{d} is not an encoded corpus (a directory written by Corpus.save "
                          "or Corpus.from_file(..., directory=...))")
    mpath = d / MANIFEST
    if not mpath.is_file():
        raise CorpusError(f"{d}: not an encoded corpus (no {MANIFEST})")
    try:
        man = json.loads(mpath.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as e:
        raise CorpusError(f"{mpath}: the manifest is not valid JSON ({e})") from None
    if not isinstance(man, dict) or man.get("format") != FORMAT:
        raise CorpusError(f"{mpath}: not the manifest of an embedlib encoded corpus")
    if man.get("version") != VERSION:
        raise CorpusError(f"{d}: format version {man.get('version')!r}, but this embedlib "
                          f"reads version {VERSION}; encode the corpus again")
    try:
        files, counts = man["files"], man["counts"]
        n_tokens, n_sentences, V = (int(counts[k]) for k in
                                    ("n_tokens", "n_sentences", "vocab_size"))
        for name in (TOKENS, OFFSETS, COUNTS, WORDS):
            int(files[name]["bytes"])
        sources, params = list(man["sources"]), dict(man["parameters"])
    except (KeyError, TypeError, ValueError) as e:
        raise CorpusError(f"{mpath}: the manifest lacks or garbles {e}") from None
    for name in (TOKENS, OFFSETS, COUNTS, WORDS):
        p = d / name
        if not p.is_file():
            raise CorpusError(f"{d}: {name} is missing")
        size, want = p.stat().st_size, int(files[name]["bytes"])
        if size != want:
            raise CorpusError(f"{d}: {name} is {size:,} bytes, the manifest says {want:,} "
                              f"({'truncated' if size < want else 'changed'}); encode the "
                              "corpus again")
    shapes = {TOKENS: n_tokens, OFFSETS: n_sentences + 1, COUNTS: V}
    arrays = {}
    for name, dtype in _ARRAYS.items():
        try:
            a = np.load(d / name, mmap_mode="r", allow_pickle=False)
        except (ValueError, OSError) as e:
            raise CorpusError(f"{d}: {name} is not a valid .npy file ({e})") from None
        if a.dtype != np.dtype(dtype) or a.shape != (shapes[name],):
            raise CorpusError(f"{d}: {name} holds {a.dtype} {a.shape}, the manifest says "
                              f"{np.dtype(dtype)} ({shapes[name]},)")
        arrays[name] = a
    try:
        words = json.loads((d / WORDS).read_bytes().decode("utf-8", "surrogatepass"))
    except (ValueError, UnicodeDecodeError) as e:
        raise CorpusError(f"{d}: {WORDS} is not valid JSON ({e})") from None
    if not isinstance(words, list) or len(words) != V or \
            not all(isinstance(w, str) for w in words):
        raise CorpusError(f"{d}: {WORDS} does not hold the {V:,} words the manifest says")
    index = {w: i for i, w in enumerate(words)}
    if len(index) != V:
        raise CorpusError(f"{d}: {WORDS} holds a word twice")
    if check_sources:
        for s in sources:
            why = _source_changed(s)
            if why:
                raise CorpusError(f"{d}: {why} since the corpus was encoded; encode it again "
                                  "(or load it without check_sources)")
    vocab = Vocabulary(tuple(words), np.array(arrays[COUNTS]), index)
    try:
        corpus = Corpus(vocab, arrays[TOKENS], arrays[OFFSETS],
                        n_raw_tokens=int(counts.get("n_raw_tokens", n_tokens)),
                        n_replaced_lines=int(counts.get("n_replaced_lines", 0)),
                        source=str(d))
    except ValueError as e:
        raise CorpusError(f"{d}: {e}") from None
    corpus.directory = d
    corpus.sources = tuple(sources)
    corpus.parameters = params
    corpus._pruned_words = int(counts.get("pruned_words", 0))
    return corpus


def _source_changed(record) -> str | None:
    p = Path(record["path"])
    try:
        st = p.stat()
    except FileNotFoundError:
        return f"source {p} no longer exists"
    diffs = []
    if st.st_size != record["size"]:
        diffs.append(f"size {record['size']:,} -> {st.st_size:,} bytes")
    if st.st_mtime_ns != record["mtime_ns"]:
        def when(ns):
            return datetime.datetime.fromtimestamp(ns / 1e9).isoformat(timespec="seconds")
        diffs.append(f"modified {when(record['mtime_ns'])} -> {when(st.st_mtime_ns)}")
    return f"source {p} changed ({', '.join(diffs)})" if diffs else None

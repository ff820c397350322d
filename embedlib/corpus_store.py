"""An encoded corpus on disk: the directory :meth:`Corpus.save <embedlib.corpus.Corpus.save>`
writes and :meth:`Corpus.load <embedlib.corpus.Corpus.load>` memory-maps.

A corpus is encoded once and trained on many times. The directory (format version
:data:`VERSION`) holds::

    manifest.json   the format and its version, the source files (path, size in bytes,
                    modification time in nanoseconds), the encoding parameters
                    (min_count, max_vocab_size, encoding_errors), the numbers of tokens,
                    sentences and words, and the size in bytes of every other file
    tokens.npy      int32, the word ids of the corpus, sentence after sentence
    offsets.npy     int64, n_sentences + 1 entries: sentence s is tokens[offsets[s]:offsets[s+1]]
    counts.npy      int64, the count of word i
    vocab.json      the words in id order: a JSON array of strings

The arrays are standard ``.npy`` files (``np.load`` reads them), written in pieces while
the corpus is encoded (:class:`NpyWriter`: the header is written first and again with the
final length at the end), so that the encoding pass never holds the corpus in memory.
:func:`load` maps them with ``np.load(mmap_mode="r")``: the pages are page cache,
which the kernel reads when training needs them and may drop again, not the process's
memory. It refuses a directory whose files do not match its manifest, naming what differs.

Writes are atomic: everything goes to a temporary directory beside the target
(``.NAME.HOST-PID.XXXXXXXX.tmp``, named as ``embedlib._atomic`` names its temporary
files, so that the next write removes those of killed processes), renamed to the target
at the end; on any exception, Ctrl-C and a full disk included, it is removed.

This module knows files and arrays, not the :class:`~embedlib.corpus.Corpus` class: it
returns and takes :class:`Stored`.
"""

from __future__ import annotations

import datetime
import errno
import json
import os
import shutil
import struct
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ._atomic import fsync_directory, owner_prefix, remove_stale
from ._errors import CorpusError

__all__ = ["Stored", "NpyWriter", "save", "load", "is_encoded", "FORMAT", "VERSION",
           "IN_MEMORY_TOKENS"]

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
_FILES = (TOKENS, OFFSETS, COUNTS, WORDS)
_BLOCK = 1 << 22  # items written at a time by save()


@dataclass
class Stored:
    """What an encoded corpus is made of, in memory or memory-mapped from ``directory``.

    ``sources`` holds one dict per input file (``path``, ``size``, ``mtime_ns``);
    ``parameters`` the encoding parameters; ``cleanup`` a temporary directory to remove
    once the corpus is no longer used (or None); ``written``: the arrays were just written
    by the encoding pass (their ids need no second check).
    """

    words: tuple
    counts: np.ndarray
    tokens: np.ndarray
    offsets: np.ndarray
    n_raw_tokens: int
    n_replaced_lines: int = 0
    source: str | None = None
    sources: tuple = ()
    parameters: dict = field(default_factory=dict)
    pruned_words: int = 0
    directory: Path | None = None
    cleanup: str | None = None
    written: bool = False


# ----------------------------------------------------------------------- .npy in pieces
_NPY_HEADER = 128


def _npy_header(dtype: np.dtype, n: int) -> bytes:
    """A version 1.0 .npy header of exactly 128 bytes for a 1-D array of ``n`` items."""
    d = f"{{'descr': '{np.lib.format.dtype_to_descr(dtype)}', 'fortran_order': False, " \
        f"'shape': ({n},), }}"
    pad = _NPY_HEADER - 10 - len(d) - 1
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", _NPY_HEADER - 10) + \
        (d + " " * pad + "\n").encode("latin1")


class NpyWriter:
    """A 1-D ``.npy`` file written piece by piece (``write``); ``close`` writes the header
    again with the final length, and flushes the file to disk."""

    def __init__(self, path, dtype):
        self.path = Path(path)
        self.dtype = np.dtype(dtype)
        self.n = 0
        self.f = open(self.path, "w+b")  # read too: the encoding pass maps ids in place
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


# ------------------------------------------------------------------- atomic directories
def is_encoded(path) -> bool:
    """Whether ``path`` is a directory holding an encoded corpus (a manifest)."""
    p = Path(os.fspath(path))
    return p.is_dir() and (p / MANIFEST).is_file()


def check_target(target: Path) -> None:
    """Refuse now what :func:`commit` would refuse at the end."""
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


def temporary_directory(target: Path | None = None) -> Path:
    """A new temporary directory beside ``target`` (or in the system's temporary folder),
    named after this process; those that killed processes left there are removed first."""
    parent = Path(tempfile.gettempdir()) if target is None else target.parent
    base = ".embedlib-corpus." if target is None else f".{target.name}."
    remove_stale(parent, base, ".tmp")
    return Path(tempfile.mkdtemp(dir=parent, prefix=owner_prefix(base), suffix=".tmp"))


def commit(tmp: Path, target: Path) -> None:
    """Rename ``tmp`` to ``target``; an encoded corpus (or an empty directory) there is
    replaced."""
    check_target(target)
    fsync_directory(tmp)
    if target.exists() and any(target.iterdir()):
        old = temporary_directory(target)
        os.replace(target, old / "old")
        try:
            os.replace(tmp, target)
        except BaseException:
            os.replace(old / "old", target)
            raise
        finally:
            shutil.rmtree(old, ignore_errors=True)
    else:
        if target.exists():
            target.rmdir()
        os.replace(tmp, target)
    fsync_directory(target.parent)


def write_failed(e: OSError, target) -> OSError:
    """The error for a write of ``target`` that failed with ``e``."""
    what = "no space left on the device" if e.errno == errno.ENOSPC else (e.strerror or str(e))
    error = OSError(e.errno, f"cannot write the encoded corpus to {target}: {what}; nothing "
                             "was left behind")
    error.filename = None
    return error


# ------------------------------------------------------------------------------ writing
def write_rest(directory: Path, stored: Stored, n_tokens: int, n_sentences: int) -> None:
    """Write the vocabulary and the manifest beside tokens.npy and offsets.npy."""
    w = NpyWriter(directory / COUNTS, np.int64)
    w.write(stored.counts)
    w.close()
    text = json.dumps(list(stored.words), ensure_ascii=False, indent=0)
    with open(directory / WORDS, "wb") as f:
        f.write(text.encode("utf-8", "surrogatepass"))
        f.flush()
        os.fsync(f.fileno())
    files = {name: {"bytes": (directory / name).stat().st_size} for name in _FILES}
    for name, dtype in _ARRAYS.items():
        files[name]["dtype"] = dtype
    files[TOKENS]["shape"] = [n_tokens]
    files[OFFSETS]["shape"] = [n_sentences + 1]
    files[COUNTS]["shape"] = [len(stored.words)]
    manifest = {
        "format": FORMAT, "version": VERSION,
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "sources": list(stored.sources), "parameters": dict(stored.parameters),
        "counts": {"n_tokens": n_tokens, "n_sentences": n_sentences,
                   "vocab_size": len(stored.words), "n_raw_tokens": stored.n_raw_tokens,
                   "n_replaced_lines": stored.n_replaced_lines,
                   "pruned_words": stored.pruned_words},
        "files": files,
    }
    with open(directory / MANIFEST, "w", encoding="utf-8") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")
        f.flush()
        os.fsync(f.fileno())


def save(stored: Stored, directory) -> Path:
    """Write ``stored`` to ``directory`` (see the module's docstring); returns its path."""
    target = Path(os.fspath(directory))
    here = stored.directory
    if here is not None and target.exists() and target.resolve() == Path(here).resolve():
        return target  # it is stored there already
    check_target(target)
    tmp = temporary_directory(target)
    writers = []
    try:
        try:
            for name, a in ((TOKENS, stored.tokens), (OFFSETS, stored.offsets)):
                w = NpyWriter(tmp / name, a.dtype)
                writers.append(w)
                for i in range(0, len(a), _BLOCK):
                    w.write(a[i:i + _BLOCK])
                w.close()
            write_rest(tmp, stored, len(stored.tokens), len(stored.offsets) - 1)
            commit(tmp, target)
        except OSError as e:
            for w in writers:
                w.abort()
            if e.errno is None:
                raise
            raise write_failed(e, target) from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


# ------------------------------------------------------------------------------ reading
def _manifest(d: Path) -> dict:
    if not d.exists():
        raise FileNotFoundError(f"encoded corpus not found: {d}")
    if not d.is_dir():
        raise CorpusError(f"{d} is not an encoded corpus (a directory written by Corpus.save "
                          "or embedlib encode)", path=d)
    mpath = d / MANIFEST
    if not mpath.is_file():
        raise CorpusError(f"{d} is a directory, not a text file or an encoded corpus (no "
                          f"{MANIFEST})", path=d)
    try:
        man = json.loads(mpath.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as e:
        raise CorpusError(f"{mpath}: the manifest is not valid JSON ({e})", path=d) from None
    if not isinstance(man, dict) or man.get("format") != FORMAT:
        raise CorpusError(f"{mpath}: not the manifest of an embedlib encoded corpus", path=d)
    if man.get("version") != VERSION:
        raise CorpusError(f"{d}: format version {man.get('version')!r}, but this embedlib "
                          f"reads version {VERSION}; encode the corpus again", path=d)
    return man


def load(directory, *, check_sources: bool = True) -> Stored:
    """The corpus stored in ``directory``, its arrays memory-mapped (read-only).

    Refused with a :class:`~embedlib.corpus.CorpusError` that says what differs: no
    manifest, another format version, a file missing or of another size than the manifest
    records (truncated), arrays of the wrong type or shape, a vocabulary file that does not
    hold the words; with ``check_sources``, a source file that has another size or
    modification time than when it was encoded (a source that is gone is no error: the
    encoded corpus may be kept without its text).
    """
    d = Path(os.fspath(directory))
    man = _manifest(d)
    try:
        files, counts = man["files"], man["counts"]
        n_tokens, n_sentences, V = (int(counts[k]) for k in
                                    ("n_tokens", "n_sentences", "vocab_size"))
        sizes = {name: int(files[name]["bytes"]) for name in _FILES}
        sources, params = tuple(man["sources"]), dict(man["parameters"])
    except (KeyError, TypeError, ValueError) as e:
        raise CorpusError(f"{d / MANIFEST}: the manifest lacks or garbles {e}",
                          path=d) from None
    for name in _FILES:
        p = d / name
        if not p.is_file():
            raise CorpusError(f"{d}: {name} is missing; encode the corpus again", path=d)
        size, want = p.stat().st_size, sizes[name]
        if size != want:
            raise CorpusError(f"{d}: {name} is {size:,} bytes, the manifest says {want:,} "
                              f"({'truncated' if size < want else 'changed'}); encode the "
                              "corpus again", path=d)
    shapes = {TOKENS: n_tokens, OFFSETS: n_sentences + 1, COUNTS: V}
    arrays = {}
    for name, dtype in _ARRAYS.items():
        try:
            a = np.load(d / name, mmap_mode="r", allow_pickle=False)
        except (ValueError, OSError) as e:
            raise CorpusError(f"{d}: {name} is not a valid .npy file ({e})", path=d) from None
        if a.dtype != np.dtype(dtype) or a.shape != (shapes[name],):
            raise CorpusError(f"{d}: {name} holds {a.dtype} {a.shape}, the manifest says "
                              f"{np.dtype(dtype)} ({shapes[name]},)", path=d)
        arrays[name] = a
    words = _words(d, V)
    if check_sources:
        for s in sources:
            why = source_changed(s)
            if why:
                raise CorpusError(f"{d}: {why} since the corpus was encoded; encode it again "
                                  "(or load it with check_sources=False)", path=d)
    return Stored(words, np.array(arrays[COUNTS]), arrays[TOKENS], arrays[OFFSETS],
                  n_raw_tokens=int(counts.get("n_raw_tokens", n_tokens)),
                  n_replaced_lines=int(counts.get("n_replaced_lines", 0)), source=str(d),
                  sources=sources, parameters=params,
                  pruned_words=int(counts.get("pruned_words", 0)), directory=d)


def _words(d: Path, V: int) -> tuple:
    try:
        words = json.loads((d / WORDS).read_bytes().decode("utf-8", "surrogatepass"))
    except (ValueError, UnicodeDecodeError) as e:
        raise CorpusError(f"{d}: {WORDS} is not valid JSON ({e})", path=d) from None
    if not isinstance(words, list) or len(words) != V or \
            not all(isinstance(w, str) for w in words):
        raise CorpusError(f"{d}: {WORDS} does not hold the {V:,} words the manifest says",
                          path=d)
    if len(set(words)) != V:
        raise CorpusError(f"{d}: {WORDS} holds a word twice", path=d)
    return tuple(words)


def source_changed(record) -> str | None:
    """What differs between a source file now and its ``record`` in a manifest, or None."""
    p = Path(record["path"])
    try:
        st = p.stat()
    except FileNotFoundError:
        return None  # an encoded corpus may outlive its text: only a changed text is stale
    diffs = []
    if st.st_size != record["size"]:
        diffs.append(f"size {record['size']:,} -> {st.st_size:,} bytes")
    if st.st_mtime_ns != record["mtime_ns"]:
        def when(ns):
            return datetime.datetime.fromtimestamp(ns / 1e9).isoformat(timespec="seconds")
        diffs.append(f"modified {when(record['mtime_ns'])} -> {when(st.st_mtime_ns)}")
    return f"source {p} changed ({', '.join(diffs)})" if diffs else None

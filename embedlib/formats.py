"""Reading and writing word-vector files.

Four formats:

``"text"`` -- word2vec text format (extensions ``.txt``, ``.vec``)
    A header line ``"<n_words> <vector_size>"``, then one line per word:
    ``word v1 v2 ... vd``. We write values with ``%.9g`` (nine significant digits, enough
    to restore every float32 exactly). Reading tolerates trailing spaces (the C tool
    writes ``"%lf "`` per value) and ``\\r\\n`` line ends. A file whose first line is a
    vector rather than a header is read as ``"glove"``.

``"glove"`` -- the Stanford GloVe text format (``glove.6B.100d.txt``; no extension of its own)
    The lines of the text format without the header; ``vector_size`` is the number of
    values on the first line. Words with spaces, which GloVe's largest files have, are
    read as the tokens before the last ``vector_size`` ones (word2vec's text format
    refuses them). Written with ``format="glove"``; read with ``format="glove"`` or
    detected by ``"text"``.

``"binary"`` -- word2vec binary format (extension ``.bin``)
    The same ASCII header line, then per word: the word in UTF-8, one space,
    ``vector_size`` little-endian float32 values. The C tool ends each record with
    ``"\\n"`` and so do we; gensim 4 writes no newline. Reading accepts both.

``"npz"`` -- numpy ``.npz`` archive (extension ``.npz``)
    Arrays ``words`` (numpy unicode array), ``W`` and, when present, ``C``, ``counts``,
    ``bias``, ``context_bias``, ``syn1``. No pickles: loads with ``allow_pickle=False``. This
    is the only format that keeps the context matrix, counts, biases and ``syn1``.

A name ending in ``.gz`` (``vectors.txt.gz``, ``vectors.vec.gz``, ``vectors.bin.gz``) is
gzip-compressed, on reading and on writing, whatever the format; any other compression
extension (``.bz2``, ``.xz``, ``.zip``, ...) is an error, as is ``.npz.gz``.

This module is the only one that knows these layouts, and it knows nothing else: readers
return a :class:`VectorData` (the words and arrays as the file holds them) and writers take
any object with the same attributes. :meth:`embedlib.embeddings.Embeddings.load` and
:meth:`~embedlib.embeddings.Embeddings.save` wrap them, and are the usual way in and out.

Words in the text formats and the binary format cannot be empty or contain ASCII white
space (space, tab, newline, CR, VT, FF) or NUL; writing such a word raises ValueError. All
writes go to a temporary file that is renamed into place, so a failure never leaves a
partial file. Reading errors are ``ValueError``\\ s naming the file and the line (text) or
the record number and byte offset (binary). A value that is NaN or infinite (or beyond
the float32 range) is an error naming the line or record too, unless
``nonfinite="warn"``, which loads the file and warns (:class:`NonFiniteWarning`); the
queries of :class:`~embedlib.embeddings.Embeddings` then leave those words out.

Each file read or written is logged at INFO on the ``embedlib.formats`` logger.
"""

from __future__ import annotations

import collections
import contextlib
import gzip
import logging
import os
import re
import zipfile
from pathlib import Path
from typing import NamedTuple

import numpy as np

from . import _vector_io as vio
from ._atomic import atomic_write
from ._checks import check_choice, check_int
from ._errors import spell_choices
from ._log import warn

__all__ = [
    "FORMATS", "NonFiniteWarning", "VectorData", "infer_format", "resolve_format", "load",
    "save", "read_word2vec_text", "write_word2vec_text", "read_glove_text", "write_glove_text",
    "read_word2vec_binary", "write_word2vec_binary", "read_npz", "write_npz",
]

logger = logging.getLogger(__name__)

FORMATS = ("text", "binary", "npz", "glove")
_EXTENSIONS = {".txt": "text", ".vec": "text", ".bin": "binary", ".npz": "npz"}
_FORMAT_NAMES = {"text": "word2vec text", "glove": "GloVe text", "binary": "word2vec binary",
                 "npz": "npz"}
_OTHER_COMPRESSION = (".bz2", ".xz", ".lzma", ".zip", ".zst", ".z", ".7z", ".tgz")
_BAD_WORD_CHARS = re.compile("[ \t\n\r\v\f\x00]")
_WRITE_BATCH = 2048  # lines per write() call
#: Threads that format the lines of a text file (the formatting kernel releases the GIL; the
#: calling thread writes the batches in order as they are done).
WRITE_THREADS = min(os.cpu_count() or 1, 4)
# gzip level of written files: level 1 writes several times faster than the default 9,
# and float text compresses only a little better at higher levels (bench/vector_files.py).
GZIP_LEVEL = 1


class NonFiniteWarning(UserWarning):
    """A vector file with NaN or infinite values was loaded (``nonfinite="warn"``)."""


class VectorData(NamedTuple):
    """The content of a vector file: words and arrays, as read or to be written.

    The readers return one; the writers take one or anything with the same attributes,
    such as :class:`embedlib.embeddings.Embeddings` (which checks the arrays' shapes and
    types when it is built from one). The word2vec and GloVe formats hold only ``words``
    and ``vectors``.
    """

    words: tuple
    """The vocabulary, one entry per row of ``vectors``."""
    vectors: np.ndarray
    """``W``, shape (n_words, vector_size); float32 from the word2vec formats."""
    context: np.ndarray | None = None
    """``C`` or None."""
    counts: np.ndarray | None = None
    """Corpus counts or None."""
    bias: np.ndarray | None = None
    """GloVe's word biases or None."""
    context_bias: np.ndarray | None = None
    """GloVe's context biases or None."""
    syn1: np.ndarray | None = None
    """The inner nodes' vectors of hierarchical softmax or None."""


# ---------------------------------------------------------------------- dispatch
def infer_format(path) -> str:
    """The format of the extension: .txt/.vec "text", .bin "binary", .npz "npz", each also
    with ``.gz`` after it (not .npz); otherwise a ValueError asking for ``format=``."""
    name = os.fspath(path)
    _check_compression(name)
    p = Path(name)
    suffix = p.suffix.lower()
    if suffix == ".gz":
        suffix = Path(p.stem).suffix.lower()
    fmt = _EXTENSIONS.get(suffix)
    if fmt is None:
        raise ValueError(
            f"cannot tell the vector file format of {name} from its extension {suffix!r}; "
            "name it .txt, .vec, .bin or .npz (.txt.gz, .vec.gz, .bin.gz compressed) or pass "
            f"{spell_choices('format', FORMATS)}")
    return fmt


def _check_compression(name: str) -> None:
    suffix = Path(name).suffix.lower()
    if suffix in _OTHER_COMPRESSION:
        raise ValueError(f"{name}: {suffix} files are not supported; vector files can be "
                         "gzip-compressed (.gz) only")
    if vio.is_gzip(name) and Path(name[:-3]).suffix.lower() == ".npz":
        raise ValueError(f"{name}: an npz file is a compressed archive already; name it .npz")


def resolve_format(path, format=None) -> str:
    """The format :func:`save` and :func:`load` use: ``format`` (one of ``FORMATS``) or,
    if None, the extension's; a ValueError for a name they refuse (``.bz2``, ``.npz.gz``)."""
    if format is None:
        return infer_format(path)
    _check_compression(os.fspath(path))
    return check_choice("format", format, FORMATS)


def save(embeddings, path, format: str | None = None) -> None:
    """Write ``embeddings`` to ``path`` atomically.

    Parameters
    ----------
    embeddings : Embeddings or VectorData
    path : str or os.PathLike
        Compressed with gzip if the name ends in ``.gz``.
    format : {"text", "glove", "binary", "npz"}, optional
        Inferred from the extension when None (see :func:`infer_format`). The text,
        GloVe and binary formats store the words and ``W`` only; "npz" also stores ``C``,
        counts and biases.
    """
    fmt = resolve_format(path, format)
    writer = {"text": write_word2vec_text, "glove": write_glove_text,
              "binary": write_word2vec_binary, "npz": write_npz}[fmt]
    writer(embeddings, path)


def load(path, format: str | None = None, *, encoding_errors: str = "strict",
         limit: int | None = None, nonfinite: str = "error") -> VectorData:
    """Read the words and arrays of a vector file.

    Parameters
    ----------
    path : str or os.PathLike
        Decompressed with gzip if the name ends in ``.gz``.
    format : {"text", "glove", "binary", "npz"}, optional
        Inferred from the extension when None; "text" reads GloVe's headerless files too.
    encoding_errors : {"strict", "replace"}
        For the text and binary formats: what to do with words that are not valid UTF-8
        (the C tool can cut a multi-byte character when it truncates long words).
        "strict" raises a ValueError naming the line/record; "replace" substitutes U+FFFD.
    limit : int, optional
        Read only the first ``limit`` words (the most frequent ones in files sorted by
        frequency, as word2vec's, gensim's and GloVe's are); the rest of the file is not
        read. None reads all.
    nonfinite : {"error", "warn"}
        A NaN or infinite value: a ValueError naming the line or record ("error"), or a
        :class:`NonFiniteWarning` saying how many words have one ("warn"); their vectors
        are kept as they are.

    Returns
    -------
    VectorData
    """
    vio.input_path(path)  # a missing file or a directory is said before its extension
    fmt = resolve_format(path, format)
    options = dict(limit=limit, nonfinite=nonfinite)
    if fmt == "npz":
        return read_npz(path, **options)
    reader = {"text": read_word2vec_text, "glove": read_glove_text,
              "binary": read_word2vec_binary}[fmt]
    return reader(path, encoding_errors=encoding_errors, **options)


# ---------------------------------------------------------------------- helpers
def _check_read_options(encoding_errors: str, limit, nonfinite: str) -> None:
    check_choice("encoding_errors", encoding_errors, vio.ENCODING_ERRORS)
    check_choice("nonfinite", nonfinite, vio.NONFINITE)
    if limit is not None:
        check_int("limit", limit, low=1)


def _finish(data: VectorData, name: str, fmt: str, where, nonfinite: str) -> VectorData:
    """Check ``data`` for non-finite values (``where(array, row)`` names the place of a bad
    row), log the file read and return the data."""
    found = vio.first_nonfinite(data._asdict(), where)
    if found is not None:
        message, n_bad = found
        message = f"{name}, {message} (NaN, infinite, or beyond the float32 range)"
        if nonfinite == "error":
            raise ValueError(message + "; vector files must hold finite numbers")
        warn(f"{message}; {n_bad} words have such values. Queries leave them out "
             "(loaded with nonfinite='warn')", NonFiniteWarning)
    n, d = data.vectors.shape if data.vectors.ndim == 2 else (len(data.words), 0)
    logger.info("read %s: %d words x %d dims (%s)", name, n, d, _FORMAT_NAMES[fmt])
    return data


def _check_writable_words(embeddings, fmt: str) -> None:
    for i, w in enumerate(embeddings.words):
        if not w or _BAD_WORD_CHARS.search(w):
            raise ValueError(
                f"word {w!r} (row {i}) cannot be stored in the {_FORMAT_NAMES[fmt]} format: "
                "words must be non-empty without spaces, tabs, newlines or NUL; use "
                "format='npz'")


@contextlib.contextmanager
def _output(path, embeddings, fmt: str):
    """A binary file object that replaces ``path`` when the block succeeds, gzip-compressed
    (with reproducible bytes: no time stamp, no file name) if the name ends in ``.gz``."""
    name = os.fspath(path)
    _check_compression(name)
    with atomic_write(name, "wb") as raw:
        if vio.is_gzip(name):
            with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0,
                               compresslevel=GZIP_LEVEL) as f:
                yield f
        else:
            yield raw
    n, d = embeddings.vectors.shape
    logger.info("wrote %s (%d words x %d dims, %s)", name, n, d, _FORMAT_NAMES[fmt])


# ---------------------------------------------------------------------- text
def read_word2vec_text(path, *, encoding_errors: str = "strict", limit: int | None = None,
                       nonfinite: str = "error") -> VectorData:
    """Read the word2vec text format (header ``"n d"``, then ``word v1 ... vd`` per line),
    or GloVe's if the first line is a vector rather than a header.

    Values may be separated by any ASCII white space; trailing white space and ``\\r\\n``
    are ignored, as are blank lines after the last vector. Raises FileNotFoundError for
    a missing file and ValueError naming the file and line for a malformed header, a line
    with the wrong number of values, a value that is not a number (or not finite, see
    :func:`load` for ``nonfinite`` and ``limit``), fewer (or more) vectors than the
    header says, a duplicate word, or a word that is not UTF-8.
    """
    return _read_text(path, encoding_errors, limit, nonfinite, header=None)


def read_glove_text(path, *, encoding_errors: str = "strict", limit: int | None = None,
                    nonfinite: str = "error") -> VectorData:
    """Read the Stanford GloVe text format: ``word v1 ... vd`` per line and no header,
    ``d`` from the first line, as gensim's ``load_word2vec_format(no_header=True)`` does.

    A line with more than ``d + 1`` fields holds a word with spaces (its first fields).
    The errors are those of :func:`read_word2vec_text`.
    """
    return _read_text(path, encoding_errors, limit, nonfinite, header=False)


def _read_text(path, encoding_errors, limit, nonfinite, header) -> VectorData:
    _check_read_options(encoding_errors, limit, nonfinite)
    name = vio.input_path(path)
    with vio.open_input(name) as f:
        words, vectors, has_header = vio.read_text(
            f, name, encoding_errors=encoding_errors, limit=limit, header=header)
    first_line = 2 if has_header else 1
    return _finish(VectorData(words, vectors), name, "text" if has_header else "glove",
                   lambda key, row: f"line {row + first_line} (word {words[row]!r})",
                   nonfinite)


def write_word2vec_text(embeddings, path, *, precision: int = 9) -> None:
    """Write the word2vec text format readable by gensim and the C tools.

    Parameters
    ----------
    embeddings : Embeddings or VectorData
        Its words and ``W`` are written (not ``C``, counts or biases).
    path : str or os.PathLike
        Compressed with gzip if the name ends in ``.gz``.
    precision : int
        Significant digits per value (``%.{precision}g``). The default 9 restores every
        float32 exactly; 7 keeps the relative error below 1e-6 in smaller files.
    """
    _write_text(embeddings, path, precision, "text")


def write_glove_text(embeddings, path, *, precision: int = 9) -> None:
    """Write the Stanford GloVe text format: the lines of :func:`write_word2vec_text`
    without its header line."""
    _write_text(embeddings, path, precision, "glove")


def _write_text(embeddings, path, precision: int, fmt: str) -> None:
    precision = check_int("precision", precision, low=1, high=17)
    _check_writable_words(embeddings, fmt)
    n, d = embeddings.vectors.shape
    vectors, words = embeddings.vectors, embeddings.words
    with _output(path, embeddings, fmt) as f:
        if fmt == "text":
            f.write(f"{n} {d}\n".encode("ascii"))
        # closed at once if a write fails, so that the formatting threads stop with it
        with contextlib.closing(_batches_of_lines(words, vectors, precision)) as batches:
            for lines in batches:
                f.write(lines)


def _batches_of_lines(words, vectors, precision: int):
    """The text lines of every ``_WRITE_BATCH`` rows, in order. Up to ``WRITE_THREADS``
    threads format them, at most two batches a thread ahead of the caller's writing, so
    that a slow output (gzip) does not pile up formatted text in memory."""
    def batch(start):
        stop = start + _WRITE_BATCH
        return _text_lines(words[start:stop], vectors[start:stop], precision)

    starts = range(0, len(vectors), _WRITE_BATCH)
    threads = min(WRITE_THREADS, len(starts))
    if threads <= 1:
        yield from map(batch, starts)
        return
    from concurrent.futures import ThreadPoolExecutor
    pending = collections.deque()
    with ThreadPoolExecutor(threads, thread_name_prefix="embedlib-write") as pool:
        try:
            for start in starts:
                pending.append(pool.submit(batch, start))
                if len(pending) > 2 * threads:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        finally:  # stopped early (an error, Ctrl-C): drop the batches not yet started
            for future in pending:
                future.cancel()


def _text_lines(words, rows: np.ndarray, precision: int) -> bytes:
    """``word v1 ... vd\\n`` for each word and row, values as ``%.{precision}g``."""
    from . import _float_text  # with Numba, which reading vectors does not need
    return _float_text.text_lines(words, rows, precision)


# ---------------------------------------------------------------------- binary
def read_word2vec_binary(path, *, encoding_errors: str = "strict", limit: int | None = None,
                         nonfinite: str = "error") -> VectorData:
    """Read the word2vec binary format (as written by the C tool, gensim or this module).

    After the ASCII header line ``"n d"``, each record is the UTF-8 word, a space and
    ``d`` little-endian float32 values; newlines between records are optional and
    skipped. Raises FileNotFoundError for a missing file and ValueError naming the file,
    the record number and its byte offset for a malformed header, a file that ends inside
    a record or before ``n`` records, a word that is not UTF-8, a duplicate word, data
    after the last record, or (see :func:`load`) a value that is not finite.
    """
    _check_read_options(encoding_errors, limit, nonfinite)
    name = vio.input_path(path)
    with vio.open_input(name) as f:
        words, vectors = vio.read_binary(f, name, encoding_errors=encoding_errors,
                                         limit=limit)
    return _finish(VectorData(words, vectors), name, "binary",
                   lambda key, row: f"record {row + 1} (word {words[row]!r})", nonfinite)


def write_word2vec_binary(embeddings, path) -> None:
    """Write the word2vec binary format, byte for byte as the C tool does.

    Header ``"n d\\n"``, then per word ``word + b" " + float32 little-endian + b"\\n"``.
    Only the words and ``W`` are stored; compressed with gzip if the name ends in ``.gz``.
    """
    _check_writable_words(embeddings, "binary")
    n, d = embeddings.vectors.shape
    vectors = np.ascontiguousarray(embeddings.vectors, dtype="<f4")
    words = embeddings.words
    with _output(path, embeddings, "binary") as f:
        f.write(f"{n} {d}\n".encode("ascii"))
        for start in range(0, n, _WRITE_BATCH):
            chunk = []
            for w, row in zip(words[start:start + _WRITE_BATCH],
                              vectors[start:start + _WRITE_BATCH]):
                chunk += (w.encode("utf-8"), b" ", row.tobytes(), b"\n")
            f.write(b"".join(chunk))


# ---------------------------------------------------------------------- npz
_NPZ_OPTIONAL = {"C": "context", "counts": "counts", "bias": "bias",
                 "context_bias": "context_bias", "syn1": "syn1"}


def write_npz(embeddings, path) -> None:
    """Write words, ``W`` and (when present) ``C``, counts, biases and ``syn1`` to ``.npz``.

    Words are stored as a numpy unicode array, so the file loads without pickles. Numpy
    strips trailing NUL characters from such arrays, so words ending in ``"\\0"`` are
    rejected.
    """
    for i, w in enumerate(embeddings.words):
        if w.endswith("\0"):
            raise ValueError(f"word {w!r} (row {i}) ends with NUL, which npz cannot store")
    arrays = {"words": np.array(embeddings.words, dtype=str) if len(embeddings.words)
              else np.array([], dtype="<U1"),
              "W": embeddings.vectors}
    for key, attr in _NPZ_OPTIONAL.items():
        value = getattr(embeddings, attr)
        if value is not None:
            arrays[key] = value
    with _output(path, embeddings, "npz") as f:
        np.savez(f, **arrays)


def read_npz(path, *, limit: int | None = None, nonfinite: str = "error") -> VectorData:
    """Read an ``.npz`` file written by :func:`write_npz` (no pickles are loaded).

    The arrays are returned as the file holds them (their first ``limit`` rows with
    ``limit``): that their shapes agree with the words is checked when
    :class:`~embedlib.embeddings.Embeddings` is built from them (as
    :meth:`~embedlib.embeddings.Embeddings.load` does, naming the file). Non-finite
    values are handled as :func:`load` says.
    """
    _check_read_options("strict", limit, nonfinite)
    name = vio.input_path(path)
    try:
        with np.load(name, allow_pickle=False) as data:
            keys = set(data.files)
            for key in ("words", "W"):
                if key not in keys:
                    raise ValueError(f"{name}: npz file has no array {key!r} "
                                     f"(found {sorted(keys)}); not written by embedlib?")
            words = data["words"]
            if words.ndim != 1 or words.dtype.kind != "U":
                raise ValueError(f"{name}: array 'words' must be a 1-D unicode array, got "
                                 f"dtype {words.dtype} and shape {words.shape}")
            kwargs = {attr: data[key] for key, attr in _NPZ_OPTIONAL.items() if key in keys}
            vectors = data["W"]
    except (zipfile.BadZipFile, EOFError, OSError, NotImplementedError, RuntimeError) as e:
        # a changed flag byte reads as an unknown compression method or as encryption
        raise ValueError(f"{name}: not a valid npz file ({e})") from None
    except ValueError as e:
        if str(e).startswith(name):
            raise
        raise ValueError(f"{name}: cannot read npz file ({e})") from None
    words = tuple(words.tolist())
    if limit is not None:
        words, vectors = words[:limit], vectors[:limit]
        kwargs = {k: v[:limit] if v.ndim else v for k, v in kwargs.items()}

    def where(key, row):
        word = f" (word {words[row]!r})" if row < len(words) else ""
        return f"array {key!r}, row {row}{word}"

    return _finish(VectorData(words, vectors, **kwargs), name, "npz", where, nonfinite)

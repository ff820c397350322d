"""Reading and writing word-vector files.

Three formats:

``"text"`` -- word2vec text format (extensions ``.txt``, ``.vec``)
    A header line ``"<n_words> <vector_size>"``, then one line per word:
    ``word v1 v2 ... vd``. We write values with ``%.9g`` (nine significant digits, enough
    to restore every float32 exactly). Reading tolerates trailing spaces (the C tool
    writes ``"%lf "`` per value) and ``\\r\\n`` line ends. The header is required: a
    headerless (GloVe-style) file is rejected with a message saying so.

``"binary"`` -- word2vec binary format (extension ``.bin``)
    The same ASCII header line, then per word: the word in UTF-8, one space,
    ``vector_size`` little-endian float32 values. The C tool ends each record with
    ``"\\n"`` and so do we; gensim 4 writes no newline. Reading accepts both.

``"npz"`` -- numpy ``.npz`` archive (extension ``.npz``)
    Arrays ``words`` (numpy unicode array), ``W`` and, when present, ``C``, ``counts``,
    ``bias``, ``context_bias``, ``syn1``. No pickles: loads with ``allow_pickle=False``. This
    is the only format that keeps the context matrix, counts, biases and ``syn1``.

This module is the only one that knows these layouts, and it knows nothing else: readers
return a :class:`VectorData` (the words and arrays as the file holds them) and writers take
any object with the same attributes. :meth:`embedlib.embeddings.Embeddings.load` and
:meth:`~embedlib.embeddings.Embeddings.save` wrap them, and are the usual way in and out.

Words in the word2vec formats cannot be empty or contain ASCII white space (space, tab,
newline, CR, VT, FF) or NUL; writing such a word raises ValueError. All writes go to a
temporary file that is renamed into place, so a failure never leaves a partial file.
Reading errors are ``ValueError``\\ s naming the file and the line (text) or the record
number and byte offset (binary).
"""

from __future__ import annotations

import mmap
import os
import re
import zipfile
from pathlib import Path
from typing import NamedTuple

import numpy as np

from ._atomic import atomic_write
from ._checks import check_choice, check_int

__all__ = [
    "FORMATS", "VectorData", "infer_format", "load", "save",
    "read_word2vec_text", "write_word2vec_text",
    "read_word2vec_binary", "write_word2vec_binary",
    "read_npz", "write_npz",
]

FORMATS = ("text", "binary", "npz")
_EXTENSIONS = {".txt": "text", ".vec": "text", ".bin": "binary", ".npz": "npz"}
_ENCODING_ERRORS = ("strict", "replace")
# What the C tool's fscanf("%s") treats as separators, plus NUL; forbidden inside words.
_BAD_WORD_CHARS = re.compile("[ \t\n\r\v\f\x00]")
_BAD_WORD_BYTES = re.compile(b"[ \t\n\r\v\f\x00]")
_MAX_WORD_BYTES = 1 << 16
_WRITE_BATCH = 2048  # lines per write() call


class VectorData(NamedTuple):
    """The content of a vector file: words and arrays, as read or to be written.

    The readers return one; the writers take one or anything with the same attributes,
    such as :class:`embedlib.embeddings.Embeddings` (which checks the arrays' shapes and
    types when it is built from one). The word2vec formats hold only ``words`` and
    ``vectors``.
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
    """The format implied by the file extension: .txt/.vec -> "text", .bin -> "binary",
    .npz -> "npz"; otherwise a ValueError asking for ``format=``."""
    suffix = Path(os.fspath(path)).suffix.lower()
    try:
        return _EXTENSIONS[suffix]
    except KeyError:
        raise ValueError(
            f"cannot tell the vector file format of {os.fspath(path)} from its extension "
            f"{suffix!r}; pass format='text', 'binary' or 'npz'") from None


def _resolve_format(path, format) -> str:
    if format is None:
        return infer_format(path)
    return check_choice("format", format, FORMATS)


def save(embeddings, path, format: str | None = None) -> None:
    """Write ``embeddings`` to ``path`` atomically.

    Parameters
    ----------
    embeddings : Embeddings or VectorData
    path : str or os.PathLike
    format : {"text", "binary", "npz"}, optional
        Inferred from the extension when None (see :func:`infer_format`). The word2vec
        formats store the words and ``W`` only; "npz" also stores ``C``, counts and biases.
    """
    fmt = _resolve_format(path, format)
    if fmt == "text":
        write_word2vec_text(embeddings, path)
    elif fmt == "binary":
        write_word2vec_binary(embeddings, path)
    else:
        write_npz(embeddings, path)


def load(path, format: str | None = None, *, encoding_errors: str = "strict") -> VectorData:
    """Read the words and arrays of a vector file.

    Parameters
    ----------
    path : str or os.PathLike
    format : {"text", "binary", "npz"}, optional
        Inferred from the extension when None.
    encoding_errors : {"strict", "replace"}
        For the word2vec formats: what to do with words that are not valid UTF-8 (the C
        tool can cut a multi-byte character when it truncates long words). "strict"
        raises a ValueError naming the line/record; "replace" substitutes U+FFFD.

    Returns
    -------
    VectorData
    """
    fmt = _resolve_format(path, format)
    if fmt == "text":
        return read_word2vec_text(path, encoding_errors=encoding_errors)
    if fmt == "binary":
        return read_word2vec_binary(path, encoding_errors=encoding_errors)
    return read_npz(path)


# ---------------------------------------------------------------------- helpers
def _input_path(path) -> str:
    name = os.fspath(path)
    if not os.path.exists(name):
        raise FileNotFoundError(f"vector file not found: {name}")
    if os.path.isdir(name):
        raise IsADirectoryError(f"vector file path is a directory, not a file: {name}")
    return name


def _check_writable_words(embeddings, fmt: str) -> None:
    for i, w in enumerate(embeddings.words):
        if not w or _BAD_WORD_CHARS.search(w):
            raise ValueError(
                f"word {w!r} (row {i}) cannot be stored in the word2vec {fmt} format: words "
                "must be non-empty without spaces, tabs, newlines or NUL; use format='npz'")


def _parse_header(raw: bytes, name: str, where: str) -> tuple[int, int]:
    parts = raw.split()
    if len(parts) == 2 and all(p.isdigit() for p in parts):
        n, d = int(parts[0]), int(parts[1])
        if d < 1:
            raise ValueError(f"{name}, {where}: header says vector_size {d}; must be >= 1")
        return n, d
    shown = raw[:80].decode("utf-8", errors="replace").rstrip("\r\n")
    hint = ""
    if len(parts) > 2:
        try:
            [float(p) for p in parts[1:]]
            hint = (" This looks like a vector line: files without a header (e.g. GloVe's) "
                    "need the line '<n_words> <vector_size>' added at the top.")
        except ValueError:
            pass
    raise ValueError(f"{name}, {where}: malformed header {shown!r}; expected "
                     f"'<n_words> <vector_size>' (two non-negative integers).{hint}")


def _allocate(n: int, d: int, name: str, where: str) -> np.ndarray:
    try:
        return np.empty((n, d), dtype=np.float32)
    except (MemoryError, ValueError):
        raise ValueError(f"{name}, {where}: the header announces {n} vectors of {d} values, "
                         "more than can be allocated (corrupt header?)") from None


def _decode_word(raw: bytes, encoding_errors: str, name: str, where: str) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as e:
        if encoding_errors == "strict":
            raise ValueError(
                f"{name}, {where}: word {raw!r} is not valid UTF-8 (byte {e.start + 1}); fix "
                "the file or pass encoding_errors='replace'") from None
        return raw.decode("utf-8", errors="replace")


def _duplicate_error(name, word, where, first_where) -> ValueError:
    return ValueError(f"{name}, {where}: duplicate word {word!r} (first seen at {first_where}); "
                      "each word must appear once")


# ---------------------------------------------------------------------- text
def read_word2vec_text(path, *, encoding_errors: str = "strict") -> VectorData:
    """Read the word2vec text format (header ``"n d"``, then ``word v1 ... vd`` per line).

    Values may be separated by any ASCII white space; trailing white space and ``\\r\\n``
    are ignored, as are blank lines after the last vector. Raises FileNotFoundError for
    a missing file and ValueError naming the file and line for a malformed header, a line
    with the wrong number of values, a value that is not a number, fewer (or more) vectors
    than the header says, a duplicate word, or a word that is not UTF-8.
    """
    check_choice("encoding_errors", encoding_errors, _ENCODING_ERRORS)
    name = _input_path(path)
    with open(name, "rb") as f:
        header = f.readline()
        if not header:
            raise ValueError(f"{name}, line 1: file is empty; expected a header "
                             "'<n_words> <vector_size>'")
        n, d = _parse_header(header, name, "line 1")
        vectors = _allocate(n, d, name, "line 1")
        words = []
        first_line: dict[str, int] = {}
        lineno = 1
        for i in range(n):
            raw = f.readline()
            lineno += 1
            if not raw:
                raise ValueError(f"{name}, line {lineno}: file ends after {i} of the {n} "
                                 "vectors its header announces (truncated file?)")
            parts = raw.split()
            if len(parts) != d + 1:
                found = "an empty line" if not parts else f"{len(parts) - 1} values"
                raise ValueError(f"{name}, line {lineno}: expected a word and {d} values "
                                 f"(vector_size from the header), found {found}")
            word = _decode_word(parts[0], encoding_errors, name, f"line {lineno}")
            if word in first_line:
                raise _duplicate_error(name, word, f"line {lineno}", f"line {first_line[word]}")
            first_line[word] = lineno
            words.append(word)
            try:
                vectors[i] = parts[1:]
            except ValueError:
                for j, tok in enumerate(parts[1:], 1):
                    try:
                        float(tok)
                    except ValueError:
                        raise ValueError(
                            f"{name}, line {lineno}: value {j} of word {word!r} is not a "
                            f"number: {tok.decode('utf-8', errors='replace')!r}") from None
                raise
        for raw in f:
            lineno += 1
            if raw.strip():
                raise ValueError(f"{name}, line {lineno}: more vectors than the {n} its "
                                 "header announces")
    return VectorData(tuple(words), vectors)


def write_word2vec_text(embeddings, path, *, precision: int = 9) -> None:
    """Write the word2vec text format readable by gensim and the C tools.

    Parameters
    ----------
    embeddings : Embeddings or VectorData
        Its words and ``W`` are written (not ``C``, counts or biases).
    path : str or os.PathLike
    precision : int
        Significant digits per value (``%.{precision}g``). The default 9 restores every
        float32 exactly; 7 keeps the relative error below 1e-6 in smaller files.
    """
    precision = check_int("precision", precision, low=1, high=17)
    _check_writable_words(embeddings, "text")
    n, d = embeddings.vectors.shape
    fmt = " ".join([f"%.{precision}g"] * d)
    vectors, words = embeddings.vectors, embeddings.words
    with atomic_write(path, "wb") as f:
        f.write(f"{n} {d}\n".encode("ascii"))
        for start in range(0, n, _WRITE_BATCH):
            block = vectors[start:start + _WRITE_BATCH].tolist()
            lines = [f"{w} {fmt % tuple(row)}\n"
                     for w, row in zip(words[start:start + _WRITE_BATCH], block)]
            f.write("".join(lines).encode("utf-8"))


# ---------------------------------------------------------------------- binary
def read_word2vec_binary(path, *, encoding_errors: str = "strict") -> VectorData:
    """Read the word2vec binary format (as written by the C tool, gensim or this module).

    After the ASCII header line ``"n d"``, each record is the UTF-8 word, a space and
    ``d`` little-endian float32 values; newlines between records are optional and
    skipped. Raises FileNotFoundError for a missing file and ValueError naming the file,
    the record number and its byte offset for a malformed header, a file that ends inside
    a record or before ``n`` records, a word that is not UTF-8, a duplicate word, or data
    after the last record.
    """
    check_choice("encoding_errors", encoding_errors, _ENCODING_ERRORS)
    name = _input_path(path)
    if os.path.getsize(name) == 0:
        raise ValueError(f"{name}: file is empty; expected a header '<n_words> <vector_size>'")
    with open(name, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mm:
        return _parse_binary(mm, name, encoding_errors)


def _parse_binary(buf: mmap.mmap, name: str, encoding_errors: str) -> VectorData:
    size = len(buf)
    end_header = buf.find(b"\n", 0, 256)
    if end_header < 0:
        raise ValueError(f"{name}, byte offset 0: no header line '<n_words> <vector_size>\\n' "
                         "in the first 256 bytes (not a word2vec binary file?)")
    n, d = _parse_header(buf[:end_header], name, "header")
    record_bytes = 4 * d
    vectors = _allocate(n, d, name, "header")
    words = []
    first_record: dict[str, int] = {}
    pos = end_header + 1
    for i in range(n):
        while pos < size and buf[pos] == 0x0A:  # optional "\n" ending the previous record
            pos += 1
        where = f"record {i + 1} at byte offset {pos}"
        if pos >= size:
            raise ValueError(f"{name}, {where}: file ends after {i} of the {n} records its "
                             "header announces (truncated file?)")
        space = buf.find(b" ", pos, min(size, pos + _MAX_WORD_BYTES + 1))
        if space < 0:
            if size - pos <= _MAX_WORD_BYTES:
                raise ValueError(f"{name}, {where}: file ends inside the word (truncated file?)")
            raise ValueError(f"{name}, {where}: no space after the word within "
                             f"{_MAX_WORD_BYTES} bytes (not a word2vec binary file?)")
        raw = buf[pos:space]
        if not raw or _BAD_WORD_BYTES.search(raw):
            raise ValueError(
                f"{name}, {where}: invalid word {raw[:60]!r} (empty or containing white space "
                "or NUL); is the vector size in the header right?")
        word = _decode_word(raw, encoding_errors, name, where)
        if word in first_record:
            raise _duplicate_error(name, word, where, f"record {first_record[word]}")
        start = space + 1
        if start + record_bytes > size:
            raise ValueError(
                f"{name}, {where}: file ends inside the vector of {word!r}: {size - start} of "
                f"{record_bytes} bytes present (truncated file?)")
        first_record[word] = i + 1
        words.append(word)
        vectors[i] = np.frombuffer(buf, dtype="<f4", count=d, offset=start)
        pos = start + record_bytes
    while pos < size and buf[pos] in b"\r\n":
        pos += 1
    if pos < size:
        raise ValueError(f"{name}, byte offset {pos}: {size - pos} bytes of data after the {n} "
                         "records its header announces")
    return VectorData(tuple(words), vectors)


def write_word2vec_binary(embeddings, path) -> None:
    """Write the word2vec binary format, byte for byte as the C tool does.

    Header ``"n d\\n"``, then per word ``word + b" " + float32 little-endian + b"\\n"``.
    Only the words and ``W`` are stored.
    """
    _check_writable_words(embeddings, "binary")
    n, d = embeddings.vectors.shape
    vectors = np.ascontiguousarray(embeddings.vectors, dtype="<f4")
    words = embeddings.words
    with atomic_write(path, "wb") as f:
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
    with atomic_write(path, "wb") as f:
        np.savez(f, **arrays)


def read_npz(path) -> VectorData:
    """Read an ``.npz`` file written by :func:`write_npz` (no pickles are loaded).

    The arrays are returned as the file holds them: that their shapes agree with the words
    is checked when :class:`~embedlib.embeddings.Embeddings` is built from them (as
    :meth:`~embedlib.embeddings.Embeddings.load` does, naming the file).
    """
    name = _input_path(path)
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
    except (zipfile.BadZipFile, EOFError, OSError) as e:
        raise ValueError(f"{name}: not a valid npz file ({e})") from None
    except ValueError as e:
        if str(e).startswith(name):
            raise
        raise ValueError(f"{name}: cannot read npz file ({e})") from None
    return VectorData(tuple(words.tolist()), vectors, **kwargs)

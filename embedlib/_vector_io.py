"""The parsing loops behind :mod:`embedlib.formats`: text lines and binary records in,
words and a float32 matrix out, every error naming the file and the line or record.

Files are read as streams of bytes (plain or gzip-compressed, by the ``.gz`` extension),
so that ``limit`` reads only the start of a large file, compressed or not.
"""

from __future__ import annotations

import contextlib
import gzip
import os
import re
import zlib

import numpy as np

from ._errors import spell

ENCODING_ERRORS = ("strict", "replace")
NONFINITE = ("error", "warn")
# What the C tool's fscanf("%s") treats as separators, plus NUL; forbidden inside words.
BAD_WORD_BYTES = re.compile(b"[ \t\n\r\v\f\x00]")
MAX_WORD_BYTES = 1 << 16
_CHUNK = 1 << 20          # bytes read at a time from a binary file
_CHECK_ROWS = 1 << 16     # rows checked for non-finite values at a time
_INTEGER = re.compile(rb"[+-]?[0-9]+")


def is_gzip(path) -> bool:
    return os.fspath(path).lower().endswith(".gz")


def input_path(path) -> str:
    name = os.fspath(path)
    if not os.path.exists(name):
        raise FileNotFoundError(f"vector file not found: {name}")
    if os.path.isdir(name):
        raise IsADirectoryError(f"vector file path is a directory, not a file: {name}")
    return name


@contextlib.contextmanager
def open_input(name: str):
    """The file as a binary stream, decompressed if its name ends in ``.gz``; a corrupt or
    truncated gzip stream is a ValueError naming the file."""
    if not is_gzip(name):
        with open(name, "rb") as f:
            yield f
        return
    try:
        with gzip.open(name, "rb") as f:
            yield f
    except (OSError, EOFError, zlib.error) as e:
        raise ValueError(f"{name}: cannot read the gzip-compressed file ({e})") from None


def parse_header(raw: bytes, name: str, where: str) -> tuple[int, int]:
    parts = raw.split()
    if len(parts) == 2 and all(p.isdigit() for p in parts):
        n, d = int(parts[0]), int(parts[1])
        if d < 1:
            raise ValueError(f"{name}, {where}: header says vector_size {d}; must be >= 1")
        return n, d
    shown = raw[:80].decode("utf-8", errors="replace").rstrip("\r\n")
    hint = ""
    if len(parts) > 2 and _are_numbers(parts[1:]):
        hint = (" If this line is a vector (a file without a header, such as GloVe's), "
                "read it with format='glove'.")
    raise ValueError(f"{name}, {where}: malformed header {shown!r}; expected "
                     f"'<n_words> <vector_size>' (two non-negative integers).{hint}")


def _are_numbers(tokens) -> bool:
    try:
        [float(t) for t in tokens]
    except ValueError:
        return False
    return True


def _any_number(tokens) -> bool:
    return any(_are_numbers([t]) for t in tokens)


def is_vector_line(raw: bytes) -> bool:
    """Whether the first line of a text file is a vector (GloVe's headerless format)
    rather than a header: a word and at least one number, not integers only (a line of
    integers is taken for a header, malformed or not)."""
    parts = raw.split()
    return (len(parts) >= 2 and not all(_INTEGER.fullmatch(p) for p in parts)
            and _are_numbers(parts[1:]))


def allocate(n: int, d: int, name: str, where: str) -> np.ndarray:
    try:
        return np.empty((n, d), dtype=np.float32)
    except (MemoryError, ValueError):
        raise ValueError(f"{name}, {where}: the header announces {n} vectors of {d} values, "
                         "more than can be allocated (corrupt header?)") from None


def decode_word(raw: bytes, encoding_errors: str, name: str, where: str) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as e:
        if encoding_errors == "strict":
            raise ValueError(
                f"{name}, {where}: word {raw!r} is not valid UTF-8 (byte {e.start + 1}); fix "
                f"the file or pass {spell('encoding_errors', 'replace')}") from None
        return raw.decode("utf-8", errors="replace")


def duplicate_error(name, word, where, first_where) -> ValueError:
    return ValueError(f"{name}, {where}: duplicate word {word!r} (first seen at {first_where}); "
                      "each word must appear once")


# ---------------------------------------------------------------------- text
def read_text(f, name: str, *, encoding_errors: str, limit: int | None, header: bool | None):
    """(words, vectors, whether the file has a header) of a text file: the word2vec
    layout (a header line ``"n d"``) or GloVe's (no header; ``d`` from the first line).
    ``header=None`` tells them apart by the first line (:func:`is_vector_line`). Reads at
    most ``limit`` vectors."""
    first = f.readline()
    if not first:
        raise ValueError(f"{name}, line 1: file is empty; expected "
                         + ("a header '<n_words> <vector_size>'" if header is not False
                            else "a word and its values"))
    if header is None:
        header = not is_vector_line(first)
    if header:
        n, d = parse_header(first, name, "line 1")
        wanted = n if limit is None else min(n, limit)
        vectors = allocate(wanted, d, name, "line 1")
        lines = enumerate(f, 2)
    else:
        parts = first.split()
        d, n, wanted = len(parts) - 1, None, limit
        vectors = np.empty((min(limit or 1024, 1024), d), dtype=np.float32)
        lines = _chain_first(first, f)
    words, first_line = [], {}
    blank, last = None, 1
    with np.errstate(over="ignore", invalid="ignore"):  # overflow to inf is checked later
        for lineno, raw in lines:
            last = lineno
            if wanted is not None and len(words) == wanted:
                if limit is not None:
                    break
                if raw.strip():
                    raise ValueError(f"{name}, line {lineno}: more vectors than the {n} its "
                                     "header announces")
                continue
            parts = raw.split()
            if not parts:
                blank = blank or lineno
                continue
            if blank is not None or len(parts) < d + 1 or (
                    len(parts) > d + 1 and (header or _any_number(parts[1:-d]))):
                found = "an empty line" if blank is not None else f"{len(parts) - 1} values"
                origin = "from the header" if header else "of line 1; no header: GloVe format"
                raise ValueError(f"{name}, line {blank or lineno}: expected a word and {d} "
                                 f"values (vector_size {origin}), found {found}")
            # GloVe's large files have a few words with spaces in them (". . .")
            word = decode_word(parts[0] if len(parts) == d + 1 else b" ".join(parts[:-d]),
                               encoding_errors, name, f"line {lineno}")
            if word in first_line:
                raise duplicate_error(name, word, f"line {lineno}", f"line {first_line[word]}")
            i = len(words)
            if i == len(vectors):
                vectors = np.concatenate([vectors, np.empty_like(vectors)])
            try:
                vectors[i] = parts[-d:]
            except ValueError:
                raise _number_error(name, lineno, word, parts[-d:]) from None
            first_line[word] = lineno
            words.append(word)
    if header and len(words) < wanted:
        raise ValueError(f"{name}, line {blank or last + 1}: file ends after {len(words)} of "
                         f"the {n} vectors its header announces (truncated file?)")
    if len(words) < len(vectors):  # GloVe's: the array grew by doubling
        vectors = vectors[:len(words)].copy()
    return tuple(words), vectors, header


def _chain_first(first: bytes, f):
    yield 1, first
    yield from enumerate(f, 2)


def _number_error(name, lineno, word, tokens) -> ValueError:
    for j, tok in enumerate(tokens, 1):
        try:
            float(tok)
        except ValueError:
            return ValueError(f"{name}, line {lineno}: value {j} of word {word!r} is not a "
                              f"number: {tok.decode('utf-8', errors='replace')!r}")
    return ValueError(f"{name}, line {lineno}: the values of word {word!r} are not numbers")


# ---------------------------------------------------------------------- binary
class ByteStream:
    """The bytes of a binary file object, read in chunks and addressed by their offset in
    the file."""

    def __init__(self, f, chunk: int = _CHUNK):
        self._f, self._chunk = f, chunk
        self.buf = bytearray()
        self.base = 0       # the offset of buf[0] in the file
        self.eof = False

    def window(self, pos: int, need: int) -> tuple[bytearray, int]:
        """(buffer, index of offset ``pos`` in it), the buffer holding the ``need`` bytes
        from ``pos`` on, or all that is left of the file; bytes before ``pos`` may go."""
        if self.base + len(self.buf) < pos + need and not self.eof:
            del self.buf[:pos - self.base]
            self.base = pos
            while len(self.buf) < need and not self.eof:
                data = self._f.read(max(self._chunk, min(need - len(self.buf), 1 << 26)))
                self.buf += data
                self.eof = not data
        return self.buf, pos - self.base

    def size(self) -> int:
        """The size of the file, reading what is left of it without keeping it."""
        end = self.base + len(self.buf)
        while data := self._f.read(self._chunk):
            end += len(data)
        self.eof = True
        return end


def read_binary(f, name: str, *, encoding_errors: str, limit: int | None):
    """(words, vectors) of the word2vec binary format: the ASCII header ``"n d\\n"``, then
    per record the UTF-8 word, a space and ``d`` little-endian float32, with optional
    newlines between records. Reads at most ``limit`` records."""
    s = ByteStream(f)
    buf, _ = s.window(0, 256)
    if not buf:
        raise ValueError(f"{name}: file is empty; expected a header '<n_words> <vector_size>'")
    end_header = buf.find(b"\n", 0, 256)
    if end_header < 0:
        raise ValueError(f"{name}, byte offset 0: no header line '<n_words> <vector_size>\\n' "
                         "in the first 256 bytes (not a word2vec binary file?)")
    n, d = parse_header(bytes(buf[:end_header]), name, "header")
    wanted = n if limit is None else min(n, limit)
    record_bytes = 4 * d
    need = MAX_WORD_BYTES + 2 + record_bytes
    vectors = allocate(wanted, d, name, "header")
    words, first_record = [], {}
    pos = end_header + 1
    buf, off = s.window(pos, need)
    for i in range(wanted):
        if off + need > len(buf) and not s.eof:
            buf, off = s.window(pos, need)
        while off < len(buf) and buf[off] == 0x0A:  # the "\n" ending the previous record
            pos += 1
            off += 1
            if off == len(buf):
                buf, off = s.window(pos, need)
        space = buf.find(b" ", off, off + MAX_WORD_BYTES + 1)
        raw = buf[off:space]
        try:
            word = raw.decode("utf-8")
        except UnicodeDecodeError:
            word = None
        start = space + 1
        if (word is None or space <= off or word in first_record or BAD_WORD_BYTES.search(raw)
                or start + record_bytes > len(buf)):
            word = _record_problem(buf, off, space, record_bytes, i, n, pos, first_record,
                                   name, encoding_errors)
        first_record[word] = i + 1
        words.append(word)
        vectors[i] = np.frombuffer(buf, dtype="<f4", count=d, offset=start)
        pos += start + record_bytes - off
        off = start + record_bytes
    if limit is None:
        buf, off = s.window(pos, 2)
        while off < len(buf) and buf[off] in (0x0A, 0x0D):
            pos, off = pos + 1, off + 1
            if off == len(buf):
                buf, off = s.window(pos, 2)
        if off < len(buf):
            raise ValueError(f"{name}, byte offset {pos}: {s.size() - pos} bytes of data after "
                             f"the {n} records its header announces")
    return tuple(words), vectors


def _record_problem(buf, off, space, record_bytes, i, n, pos, first_record, name,
                    encoding_errors) -> str:
    """The error of the record at ``buf[off:]`` (``space`` where its word ends), or its
    word if the only problem is that the word is not UTF-8 and may be replaced."""
    where = f"record {i + 1} at byte offset {pos}"
    if off >= len(buf):
        raise ValueError(f"{name}, {where}: file ends after {i} of the {n} records its "
                         "header announces (truncated file?)")
    if space < 0:
        if len(buf) - off <= MAX_WORD_BYTES:
            raise ValueError(f"{name}, {where}: file ends inside the word (truncated file?)")
        raise ValueError(f"{name}, {where}: no space after the word within "
                         f"{MAX_WORD_BYTES} bytes (not a word2vec binary file?)")
    raw = bytes(buf[off:space])
    if not raw or BAD_WORD_BYTES.search(raw):
        raise ValueError(
            f"{name}, {where}: invalid word {raw[:60]!r} (empty or containing white space "
            "or NUL); is the vector size in the header right?")
    word = decode_word(raw, encoding_errors, name, where)
    if word in first_record:
        raise duplicate_error(name, word, where, f"record {first_record[word]}")
    start = space + 1
    if start + record_bytes > len(buf):
        raise ValueError(
            f"{name}, {where}: file ends inside the vector of {word!r}: "
            f"{len(buf) - start} of {record_bytes} bytes present (truncated file?)")
    return word


# ---------------------------------------------------------------------- values
def nonfinite_rows(vectors: np.ndarray) -> np.ndarray:
    """Rows of a 2-D float array holding NaN or an infinity, checked in blocks of rows."""
    bad = [start + np.flatnonzero(~np.isfinite(vectors[start:start + _CHECK_ROWS]).all(axis=1))
           for start in range(0, len(vectors), _CHECK_ROWS)]
    return np.concatenate(bad) if bad else np.zeros(0, dtype=np.int64)


_ARRAY_NAMES = {"vectors": "W", "context": "C", "bias": "bias", "context_bias": "context_bias"}


def first_nonfinite(arrays: dict, where) -> tuple[str, int] | None:
    """("<place>: value <j> is <x>", number of bad rows) for the first non-finite value of
    the float arrays among ``arrays`` (VectorData's fields), or None if all are finite;
    ``where(array name, row)`` names the place of a row."""
    first, n_bad = None, 0
    for field, key in _ARRAY_NAMES.items():
        a = arrays.get(field)
        if a is None or a.dtype.kind != "f" or a.ndim not in (1, 2):
            continue
        rows = nonfinite_rows(a if a.ndim == 2 else a[:, None])
        if len(rows):
            n_bad = max(n_bad, len(rows))
            if first is None:
                row = np.atleast_1d(a[rows[0]])
                col = int(np.flatnonzero(~np.isfinite(row))[0])
                first = f"{where(key, int(rows[0]))}: value {col + 1} is {row[col]}"
    return None if first is None else (first, n_bad)

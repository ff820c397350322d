"""Text files line by line in Python: :func:`open_text` (plain or ``.gz``, decoded and
checked one line at a time) and the writer of text corpora. The corpus pass itself reads
bytes in Numba (:mod:`embedlib._corpus_pass`)."""

from __future__ import annotations

import gzip
import os
from pathlib import Path

from ._errors import CorpusError, spell

__all__ = ["open_text", "nul_error"]


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

"""text8 (Mahoney 2006): the benchmark on which word2vec was tuned.

The first 10^8 bytes of an English Wikipedia dump reduced to lowercase letters and spaces,
17 million tokens on one line. :func:`load_text8` downloads the zip file once with
`pooch <https://www.fatiando.org/pooch/>`_ (which checks its SHA-256, retries a failed
download and never leaves a partial file), extracts and checks the text, and keeps it in
:func:`~embedlib.datasets.data_dir`; :func:`text8_sentences` streams it.

The download needs the ``download`` extra (``pip install 'embedlib[download]'``); a text8
file that is already cached is read without it.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path

from .._atomic import atomic_write
from .._checks import check_float, check_int
from .._errors import ChecksumError, DatasetError
from ._cache import data_dir

__all__ = ["TEXT8_URL", "TEXT8_ZIP_SHA256", "TEXT8_SHA256", "TEXT8_SIZE", "load_text8",
           "text8_sentences"]

#: Where text8 is published (Mahoney 2006, "About the test data").
TEXT8_URL = "http://mattmahoney.net/dc/text8.zip"
#: SHA-256 of ``text8.zip`` (31,344,016 bytes), as published by many independent projects
#: that pin it; it could not be recomputed where this module was written (no network).
TEXT8_ZIP_SHA256 = "a6640522afe85d1963ad56c05b0ede0a0c000dddc9671758a6cc09b7a38e5232"
#: SHA-256 of the extracted file ``text8``, likewise.
TEXT8_SHA256 = "6e890197040d37d85beb962ae1f041ff1d9a9ca8d20c7d99c85027eebf51dca7"
#: Size in bytes of the extracted ``text8`` (10^8 by definition of the benchmark).
TEXT8_SIZE = 100_000_000

_HEX64 = re.compile(r"[0-9a-f]{64}")
_CHUNK = 1 << 20


def _check_sha256(name: str, value, optional: bool = False):
    if value is None and optional:
        return None
    if not isinstance(value, str) or not _HEX64.fullmatch(value.lower()):
        raise ValueError(f"{name} must be a SHA-256 digest (64 hexadecimal digits), "
                         f"got {value!r}")
    return value.lower()


def load_text8(cache_dir=None, url: str = TEXT8_URL, *, sha256: str = TEXT8_ZIP_SHA256,
               text_sha256: str | None = TEXT8_SHA256, size: int | None = TEXT8_SIZE,
               member: str = "text8", timeout: float = 60.0, retries: int = 2,
               verbose: bool = True) -> Path:
    """The path of the text8 corpus, downloaded and verified on first use.

    If ``<cache_dir>/text8`` exists (and has ``size`` bytes), it is returned without any
    network access. Otherwise pooch downloads the zip file at ``url`` to a temporary file
    in the cache directory and keeps it as ``<member>.zip`` only if its SHA-256 is
    ``sha256`` (a download that fails or does not match is tried again, ``retries``
    times). The member ``member`` is then extracted to another temporary file (the zip's
    CRC-32 is checked by ``zipfile``), checked against ``size`` and ``text_sha256``, and
    only then renamed to ``<cache_dir>/text8``. The zip is deleted. Any failure removes
    the temporary files, so no partial or unverified file is ever cached.

    Parameters
    ----------
    cache_dir : directory of the cache (see :func:`~embedlib.datasets.data_dir`).
    url : where to get the zip (a mirror, or a local server in tests).
    sha256 : SHA-256 of the zip file; required, so every download is verified. The
        default :data:`TEXT8_ZIP_SHA256` is the digest published for text8.zip.
    text_sha256 : SHA-256 of the extracted file, or None to skip this second check.
    size : size in bytes of the extracted file, or None to skip the check.
    member : name of the file inside the zip.
    timeout : seconds to wait for the server before giving up.
    retries : how many times a failed download is tried again (pooch waits 1 s, 2 s,
        ... up to 10 s in between).
    verbose : show pooch's message and a progress bar while downloading.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    ChecksumError
        The zip's or the text's digest (or size) is not the expected one; the message
        names the expected and the actual value.
    DatasetError
        The download failed (HTTP error, connection error, truncated response), the zip
        does not hold ``member``, or pooch is not installed (the message names the extra).
    """
    sha256 = _check_sha256("sha256", sha256)
    text_sha256 = _check_sha256("text_sha256", text_sha256, optional=True)
    if size is not None:
        size = check_int("size", size, 0)
    check_float("timeout", timeout, 0, low_open=True)
    retries = check_int("retries", retries, 0)
    directory = data_dir(cache_dir)
    target = directory / member
    if target.exists():
        actual = target.stat().st_size
        if size is not None and actual != size:
            raise ChecksumError(f"cached file {target} has {actual} bytes, expected {size}; "
                                "delete it to download it again")
        return target
    zip_path = directory / f"{member}.zip"
    try:
        _download(url, zip_path, sha256, timeout, retries, verbose)
        _extract(zip_path, member, target, size, text_sha256, url)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(zip_path)
    return target


def _pooch():
    try:
        import pooch
    except ImportError:
        raise DatasetError("downloading text8 needs pooch, which comes with embedlib's "
                           "download extra: pip install 'embedlib[download]'") from None
    return pooch


def _download(url: str, path: Path, sha256: str, timeout: float, retries: int,
              verbose: bool) -> None:
    """Fetch ``url`` to ``path`` with pooch, verified against ``sha256``; pooch's and
    requests' errors become :class:`DatasetError` and :class:`ChecksumError`."""
    pooch = _pooch()
    import requests  # a dependency of pooch

    fetcher = pooch.create(path=path.parent, base_url="", registry={path.name: sha256},
                           urls={path.name: url}, retry_if_failed=retries)
    downloader = pooch.HTTPDownloader(progressbar=verbose, timeout=timeout)
    logger = pooch.get_logger()
    if not verbose:  # a filter, not setLevel: pooch's logger would cache the level
        logger.addFilter(_warnings_only)
    try:
        fetcher.fetch(path.name, downloader=downloader)
    except requests.exceptions.HTTPError as e:
        raise DatasetError(f"cannot download {url}: HTTP {e.response.status_code} "
                           f"{e.response.reason} (nothing was cached)") from None
    except requests.exceptions.ChunkedEncodingError as e:
        raise DatasetError(f"download of {url} was cut short: {_reason(e)} (nothing was "
                           "cached)") from None
    except requests.exceptions.RequestException as e:
        raise DatasetError(f"cannot download {url}: {_reason(e)} (nothing was cached)") \
            from None
    except ValueError as e:  # pooch: the digest is not the known one
        raise ChecksumError(f"SHA-256 check of the download from {url} failed (nothing was "
                            f"cached): {e}") from None
    finally:
        logger.removeFilter(_warnings_only)


def _warnings_only(record: logging.LogRecord) -> bool:
    return record.levelno >= logging.WARNING


def _reason(error: Exception) -> str:
    """What went wrong, from the innermost error that requests and urllib3 wrap."""
    for _ in range(8):  # requests -> urllib3 -> socket: a few levels at most
        inner = [a for a in error.args if isinstance(a, Exception)] or [
            getattr(error, "reason", None)]
        if not isinstance(inner[-1], Exception):
            break
        error = inner[-1]
    if isinstance(getattr(error, "partial", None), int):  # urllib3's IncompleteRead
        return f"{error.partial} bytes read, {error.expected} more expected"
    return str(error)


def _extract(zip_path, member: str, target: Path, size, text_sha256, url: str) -> None:
    try:
        archive = zipfile.ZipFile(zip_path)
    except zipfile.BadZipFile as e:
        raise DatasetError(f"the download from {url} is not a zip file ({e})") from None
    with archive:
        if member not in archive.namelist():
            raise DatasetError(f"the zip from {url} holds no {member!r} (it holds "
                               f"{', '.join(archive.namelist()[:5]) or 'nothing'})")
        h = hashlib.sha256()
        n = 0
        with atomic_write(target, "wb") as out, archive.open(member) as src:
            try:
                for block in iter(lambda: src.read(_CHUNK), b""):
                    h.update(block)
                    out.write(block)
                    n += len(block)
            except zipfile.BadZipFile as e:  # CRC-32 mismatch
                raise ChecksumError(f"{member} in the zip from {url} is corrupt ({e})") from None
            if size is not None and n != size:
                raise ChecksumError(f"{member} from {url} has {n} bytes, expected {size}")
            if text_sha256 is not None and h.hexdigest() != text_sha256:
                raise ChecksumError(f"SHA-256 of {member} from {url} is {h.hexdigest()}, "
                                    f"expected {text_sha256}")


def text8_sentences(path, chunk: int = 10_000, max_tokens: int | None = None) -> Iterator[list]:
    """The tokens of text8 (one line of space-separated words) as lists of ``chunk``
    tokens: text8 has no sentence boundaries, so a "sentence" is an arbitrary stretch, as
    in word2vec.c (1,000 tokens) and gensim's ``Text8Corpus``. The file is streamed, never
    held in memory whole. ``max_tokens`` stops after that many tokens (a prefix of the
    corpus). Works for any text file whose tokens are separated by white space."""
    chunk = check_int("chunk", chunk, 1)
    if max_tokens is not None:
        max_tokens = check_int("max_tokens", max_tokens, 0)
    path = Path(os.fspath(path))
    if not path.is_file():
        raise FileNotFoundError(f"text8 file not found: {path}")

    def generate():
        left = max_tokens
        pending: list = []
        rest = ""
        with open(path, encoding="utf-8") as f:
            while left is None or left > 0:
                block = f.read(_CHUNK)
                if not block:
                    words = rest.split()
                else:
                    text = rest + block
                    cut = max(text.rfind(" "), text.rfind("\n"))
                    if cut < 0:
                        rest = text
                        continue
                    words, rest = text[:cut].split(), text[cut + 1:]
                if left is not None:
                    words = words[:left]
                    left -= len(words)
                pending.extend(words)
                while len(pending) >= chunk:
                    yield pending[:chunk]
                    del pending[:chunk]
                if not block:
                    break
        if pending:
            yield pending

    return generate()

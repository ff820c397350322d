"""Tests of embedlib.datasets.text8: the download through pooch, from a local HTTP server,
and the streaming of the text."""

import hashlib
import http.server
import io
import logging
import re
import sys
import threading
import zipfile
from collections import Counter

import pytest

from embedlib import datasets as D
from embedlib.datasets import ChecksumError, DatasetError, load_text8, text8_sentences
from embedlib.datasets import text8 as text8_module


TEXT = ("anarchism originated as a term of abuse first used against early working class "
        "radicals including the diggers of the english revolution " * 40).strip()


def _zip_bytes(member="text8", text=TEXT):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(member, text)
    return buf.getvalue()


ZIP = _zip_bytes()
ZIP_SHA = hashlib.sha256(ZIP).hexdigest()
TEXT_SHA = hashlib.sha256(TEXT.encode()).hexdigest()


class _Handler(http.server.BaseHTTPRequestHandler):
    routes: dict = {}
    hits: Counter = Counter()

    def do_GET(self):
        self.hits[self.path] += 1
        kind, body = self.routes.get(self.path, ("error", 404))
        if kind == "flaky":  # fails the first time only
            kind, body = ("error", 503) if self.hits[self.path] == 1 else ("ok", body)
        if kind == "error":
            self.send_error(body)
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/zip")
        self.send_header("Content-Length", str(len(ZIP) if kind == "truncated" else len(body)))
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()
        if kind == "truncated":
            self.close_connection = True

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    handler = type("Handler", (_Handler,), {"hits": Counter()})
    handler.routes = {
        "/text8.zip": ("ok", ZIP),
        "/broken.zip": ("error", 500),
        "/truncated.zip": ("truncated", ZIP[:len(ZIP) // 2]),
        "/plain.zip": ("ok", b"not a zip file at all"),
        "/other.zip": ("ok", _zip_bytes(member="wiki.txt")),
        "/flaky.zip": ("flaky", ZIP),
    }
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, kwargs=dict(poll_interval=0.05),
                              daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{httpd.server_address[1]}"
    yield base, handler.hits
    httpd.shutdown()
    httpd.server_close()
    thread.join()


def _load(tmp_path, url, **kwargs):
    args = dict(cache_dir=tmp_path, url=url, sha256=ZIP_SHA, text_sha256=TEXT_SHA,
                size=len(TEXT), verbose=False, timeout=10, retries=0)
    args.update(kwargs)
    return load_text8(**args)


def test_text8_download_verifies_and_caches(server, tmp_path, leftovers):
    base, hits = server
    path = _load(tmp_path, base + "/text8.zip")
    assert path == tmp_path / "text8" and path.read_text() == TEXT
    assert hits["/text8.zip"] == 1
    assert leftovers(tmp_path) == ["text8"]  # zip and temps gone
    again = _load(tmp_path, base + "/text8.zip")
    assert again == path and hits["/text8.zip"] == 1  # served from the cache
    # the extracted-text checks are optional
    other = tmp_path / "b"
    assert _load(other, base + "/text8.zip", text_sha256=None, size=None).read_text() == TEXT


def test_text8_wrong_zip_checksum_names_both_digests(server, tmp_path, leftovers):
    base, _ = server
    wrong = "0" * 64
    with pytest.raises(ChecksumError) as err:
        _load(tmp_path, base + "/text8.zip", sha256=wrong)
    assert wrong in str(err.value) and ZIP_SHA in str(err.value)
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("kwargs, expected", [
    (dict(text_sha256="1" * 64), TEXT_SHA),
    (dict(size=len(TEXT) + 1), str(len(TEXT))),
])
def test_text8_wrong_text_checksum_or_size(server, tmp_path, kwargs, expected, leftovers):
    base, _ = server
    with pytest.raises(ChecksumError, match=expected):
        _load(tmp_path, base + "/text8.zip", **kwargs)
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("route, message", [
    ("/broken.zip", "HTTP 500"),
    ("/missing.zip", "HTTP 404"),
    ("/truncated.zip", "cut short"),
    ("/plain.zip", "SHA-256"),
])
def test_text8_failed_downloads_leave_nothing(server, tmp_path, route, message, leftovers):
    base, hits = server
    with pytest.raises(DatasetError, match=message):
        _load(tmp_path, base + route)
    assert hits[route] == 1
    assert leftovers(tmp_path) == []


def test_text8_failed_download_is_tried_again(server, tmp_path, leftovers):
    base, hits = server
    with pytest.raises(DatasetError, match="HTTP 503"):
        _load(tmp_path, base + "/flaky.zip")  # retries=0: one try
    assert hits["/flaky.zip"] == 1 and leftovers(tmp_path) == []
    hits.clear()
    path = _load(tmp_path, base + "/flaky.zip", retries=1)
    assert path.read_text() == TEXT and hits["/flaky.zip"] == 2
    assert leftovers(tmp_path) == ["text8"]
    # a download whose digest is wrong is tried again too, and still rejected
    with pytest.raises(ChecksumError):
        _load(tmp_path / "c", base + "/text8.zip", sha256="0" * 64, retries=1)
    assert hits["/text8.zip"] == 2 and leftovers(tmp_path / "c") == []


def test_text8_quiet_unless_verbose(server, tmp_path, capfd):
    import pooch
    base, _ = server
    logger = pooch.get_logger()
    level, filters, records = logger.level, list(logger.filters), []
    handler = logging.Handler()
    handler.emit = records.append
    logger.addHandler(handler)
    try:
        _load(tmp_path / "quiet", base + "/text8.zip")
        assert capfd.readouterr().err == "" and records == []
        _load(tmp_path / "loud", base + "/text8.zip", verbose=True)
        assert "100%" in capfd.readouterr().err  # pooch's progress bar
        assert [r.getMessage().split(" from ")[0] for r in records] == [
            "Downloading file 'text8.zip'"]
    finally:
        logger.removeHandler(handler)
    assert logger.level == level and logger.filters == filters  # left as it was


def test_text8_without_pooch_names_the_extra(server, tmp_path, monkeypatch, leftovers):
    base, hits = server
    monkeypatch.setitem(sys.modules, "pooch", None)
    with pytest.raises(DatasetError, match=r"pip install 'embedlib\[download\]'"):
        _load(tmp_path, base + "/text8.zip")
    assert hits["/text8.zip"] == 0 and leftovers(tmp_path) == []
    (tmp_path / "text8").write_text(TEXT)  # a cached file needs no pooch
    assert _load(tmp_path, base + "/text8.zip") == tmp_path / "text8"


def test_text8_zip_problems(server, tmp_path, leftovers):
    base, _ = server
    with pytest.raises(DatasetError, match="not a zip"):
        _load(tmp_path, base + "/plain.zip",
              sha256=hashlib.sha256(b"not a zip file at all").hexdigest())
    other = _zip_bytes(member="wiki.txt")
    with pytest.raises(DatasetError, match="holds no 'text8'.*wiki.txt"):
        _load(tmp_path, base + "/other.zip", sha256=hashlib.sha256(other).hexdigest())
    assert leftovers(tmp_path) == []


def test_text8_connection_refused(tmp_path, leftovers):
    import socket
    with socket.socket() as s:  # a port that nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(DatasetError, match="cannot download"):
        _load(tmp_path, f"http://127.0.0.1:{port}/text8.zip")
    assert leftovers(tmp_path) == []


def test_text8_cached_file_of_wrong_size(tmp_path):
    (tmp_path / "text8").write_text("too short")
    with pytest.raises(ChecksumError, match="delete it"):
        load_text8(cache_dir=tmp_path, verbose=False)


def test_text8_arguments_and_constants(tmp_path):
    with pytest.raises(ValueError, match="sha256"):
        load_text8(cache_dir=tmp_path, sha256=None)
    with pytest.raises(ValueError, match="sha256"):
        load_text8(cache_dir=tmp_path, sha256="abc")
    for digest in (D.TEXT8_ZIP_SHA256, D.TEXT8_SHA256):
        assert re.fullmatch(r"[0-9a-f]{64}", digest)
    assert D.TEXT8_SIZE == 100_000_000 and D.TEXT8_URL.endswith("/text8.zip")


@pytest.mark.parametrize("chunk", [1, 7, 10, 1000])
def test_text8_sentences_chunks_across_read_blocks(tmp_path, monkeypatch, chunk):
    monkeypatch.setattr(text8_module, "_CHUNK", 13)  # read blocks that cut words in two
    path = tmp_path / "text8"
    path.write_text(" " + TEXT)  # text8 starts with a space
    words = TEXT.split()
    got = list(text8_sentences(path, chunk=chunk))
    assert got == [words[i:i + chunk] for i in range(0, len(words), chunk)]
    got = list(text8_sentences(path, chunk=chunk, max_tokens=25))
    assert [w for s in got for w in s] == words[:25] and all(len(s) <= chunk for s in got)
    assert list(text8_sentences(path, chunk=chunk, max_tokens=0)) == []


def test_text8_sentences_errors(tmp_path):
    with pytest.raises(FileNotFoundError):
        text8_sentences(tmp_path / "nope")
    with pytest.raises(ValueError, match="chunk"):
        text8_sentences(tmp_path, chunk=0)

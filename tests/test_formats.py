"""Vector files: round trips, interop with gensim and the word2vec C tool, and errors."""

from __future__ import annotations

import os
import stat
import struct
import time

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

from embedlib import formats
from embedlib._atomic import atomic_write
from embedlib.embeddings import Embeddings


def make(n=6, d=4, seed=0, **extra):
    rng = np.random.default_rng(seed)
    words = ["the", "of", "Straße", "naïve", "日本", "w\u00a0x"][:n] + [f"w{i}" for i in range(6, n)]
    return Embeddings(words, rng.standard_normal((n, d)).astype(np.float32), **extra)


# ---------------------------------------------------------------------------- round trips
@pytest.mark.parametrize("fmt,ext", [("text", ".txt"), ("text", ".vec"), ("binary", ".bin"),
                                     ("npz", ".npz")])
def test_round_trip_is_exact(tmp_path, fmt, ext):
    emb = make()
    path = tmp_path / f"v{ext}"
    emb.save(path)  # format inferred from the extension
    back = Embeddings.load(path)
    assert back.words == emb.words
    assert back.vectors.dtype == np.float32
    np.testing.assert_array_equal(back.vectors, emb.vectors)
    # explicit format= gives the same
    other = tmp_path / "other.dat"
    emb.save(other, format=fmt)
    np.testing.assert_array_equal(Embeddings.load(other, format=fmt).vectors, emb.vectors)


@pytest.mark.parametrize("name", ["v.txt", "v.bin", "v.npz"])
def test_formats_reads_and_writes_plain_vector_data(tmp_path, name):
    """formats knows file layouts only: its readers return VectorData, its writers take it
    (or Embeddings) and write the same bytes for both."""
    rng = np.random.default_rng(5)
    emb = make(context=rng.standard_normal((6, 4)), counts=[6, 5, 4, 3, 2, 1])
    emb.save(tmp_path / name)
    data = formats.load(tmp_path / name)
    assert isinstance(data, formats.VectorData) and data.words == emb.words
    np.testing.assert_array_equal(data.vectors, emb.vectors)
    if name.endswith(".npz"):
        np.testing.assert_array_equal(data.context, emb.context)
        np.testing.assert_array_equal(data.counts, emb.counts)
    else:  # the word2vec formats hold the words and W only
        assert data.context is None and data.counts is None
    formats.save(data, tmp_path / ("again" + name[1:]))
    again = Embeddings.load(tmp_path / ("again" + name[1:]))
    assert again.words == emb.words and np.array_equal(again.vectors, emb.vectors)
    if not name.endswith(".npz"):  # npz archives carry time stamps; the others are exact
        assert (tmp_path / ("again" + name[1:])).read_bytes() == (tmp_path / name).read_bytes()


def test_npz_keeps_context_counts_and_biases(tmp_path):
    rng = np.random.default_rng(1)
    emb = make(context=rng.standard_normal((6, 4)), counts=[9, 7, 5, 3, 2, 1],
               bias=rng.standard_normal(6), context_bias=rng.standard_normal(6))
    emb.save(tmp_path / "m.npz")
    back = Embeddings.load(tmp_path / "m.npz")
    for attr in ("vectors", "context", "counts", "bias", "context_bias"):
        np.testing.assert_array_equal(getattr(back, attr), getattr(emb, attr))
    assert back.counts.dtype == np.int64
    # and the file is loadable without pickles, words as a unicode array
    with np.load(tmp_path / "m.npz", allow_pickle=False) as data:
        assert data["words"].dtype.kind == "U"
        assert list(data["words"]) == list(emb.words)


def test_npz_without_optional_arrays(tmp_path):
    emb = make()
    emb.save(tmp_path / "m.npz")
    back = Embeddings.load(tmp_path / "m.npz")
    assert back.context is None and back.counts is None and back.bias is None


def test_text_precision_7_is_within_1e6_relative(tmp_path):
    rng = np.random.default_rng(2)
    vectors = (rng.standard_normal((50, 8)) * 10.0 ** rng.integers(-6, 6, (50, 8))).astype(np.float32)
    emb = Embeddings([f"w{i}" for i in range(50)], vectors)
    formats.write_word2vec_text(emb, tmp_path / "v.txt", precision=7)
    back = formats.read_word2vec_text(tmp_path / "v.txt")
    np.testing.assert_allclose(back.vectors, vectors, rtol=1e-6, atol=0)


def test_binary_layout_is_the_c_tools(tmp_path):
    """Header "n d\\n", then word, space, d little-endian float32, newline per word."""
    emb = make(n=2, d=3)
    formats.write_word2vec_binary(emb, tmp_path / "v.bin")
    expected = b"2 3\n"
    for w, v in zip(emb.words, emb.vectors):
        expected += w.encode() + b" " + struct.pack("<3f", *v.tolist()) + b"\n"
    assert (tmp_path / "v.bin").read_bytes() == expected


def test_empty_vocabulary_round_trips(tmp_path):
    emb = Embeddings([], np.zeros((0, 5)))
    for name in ("e.txt", "e.bin", "e.npz"):
        emb.save(tmp_path / name)
        back = Embeddings.load(tmp_path / name)
        assert len(back) == 0 and back.vector_size == 5


# ---------------------------------------------------------------------------- threads
def many_batches(n_batches=9, d=5):
    """Rows over several write batches, one batch with values only Python formats (the
    kernel's range stops at 1e9), so that both paths run in threads."""
    n = n_batches * formats._WRITE_BATCH - 17
    rng = np.random.default_rng(3)
    vectors = (rng.standard_normal((n, d)) * 0.3).astype(np.float32)
    vectors[formats._WRITE_BATCH + 5, 2] = 3e20
    return Embeddings([f"w{i}é" for i in range(n)], vectors)


@pytest.mark.parametrize("name", ["v.txt", "v.glove", "v.txt.gz"])
def test_threads_write_the_bytes_one_thread_writes(tmp_path, monkeypatch, name):
    emb = many_batches()
    fmt = "glove" if name == "v.glove" else None
    monkeypatch.setattr(formats, "WRITE_THREADS", 1)
    emb.save(tmp_path / f"one.{name}", format=fmt)
    monkeypatch.setattr(formats, "WRITE_THREADS", 3)
    emb.save(tmp_path / f"three.{name}", format=fmt)
    one, three = (tmp_path / f"one.{name}").read_bytes(), (tmp_path / f"three.{name}").read_bytes()
    if name.endswith(".gz"):
        import gzip
        one, three = gzip.decompress(one), gzip.decompress(three)
    assert one == three
    back = Embeddings.load(tmp_path / f"three.{name}", format=fmt)
    np.testing.assert_array_equal(back.vectors, emb.vectors)


def test_formatting_stays_at_most_two_batches_a_thread_ahead_of_the_writing(monkeypatch):
    """A slow output (gzip, a network disk) must not make the whole file's text pile up in
    memory: the threads format at most 2 x threads batches beyond the one being written."""
    import threading
    import time
    emb = many_batches(n_batches=12)
    started = []
    lock = threading.Lock()
    text_lines = formats._text_lines

    def counted(words, rows, precision):
        with lock:
            started.append(len(words))
        return text_lines(words, rows, precision)

    monkeypatch.setattr(formats, "_text_lines", counted)
    monkeypatch.setattr(formats, "WRITE_THREADS", 2)
    written = 0
    for lines in formats._batches_of_lines(emb.words, emb.vectors, 9):
        written += 1
        time.sleep(0.02)                       # the writer is the slow side
        with lock:
            assert len(started) <= written + 2 * 2
    assert written == len(started) == 12


def test_a_failed_write_stops_the_formatting(tmp_path, monkeypatch, leftovers):
    """When writing fails part way, the batches not started are dropped, the error is the
    writer's, and no partial file is left."""
    emb = many_batches(n_batches=12)
    started = []
    text_lines = formats._text_lines

    def counted(words, rows, precision):
        started.append(1)
        return text_lines(words, rows, precision)

    monkeypatch.setattr(formats, "_text_lines", counted)
    monkeypatch.setattr(formats, "WRITE_THREADS", 2)
    real_output = formats._output
    from contextlib import contextmanager

    @contextmanager
    def failing_output(*args, **kwargs):
        with real_output(*args, **kwargs) as f:
            class Failing:
                calls = 0

                def write(self, data):
                    Failing.calls += 1
                    if Failing.calls == 4:         # the header, then three batches
                        raise OSError("disk full")
                    return f.write(data)
            yield Failing()

    monkeypatch.setattr(formats, "_output", failing_output)
    import threading
    with pytest.raises(OSError, match="disk full"):
        emb.save(tmp_path / "v.txt")
    # the threads are done by the time save() raises, and did not format the rest
    assert not [t for t in threading.enumerate() if t.name.startswith("embedlib-write")]
    assert len(started) < 12
    assert leftovers(tmp_path) == []


word_chars = st.characters(blacklist_categories=("Cs",),
                           blacklist_characters=" \t\n\r\x0b\x0c\x00")


@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_round_trip_property(tmp_path_factory, data):
    words = data.draw(st.lists(st.text(word_chars, min_size=1, max_size=12), min_size=1,
                               max_size=8, unique=True))
    d = data.draw(st.integers(1, 5))
    vectors = data.draw(hnp.arrays(np.float32, (len(words), d),
                                   elements=st.floats(width=32, allow_nan=False,
                                                      allow_infinity=False)))
    emb = Embeddings(words, vectors)
    directory = tmp_path_factory.mktemp("prop")
    for name in ("p.txt", "p.bin", "p.npz"):
        emb.save(directory / name)
        back = Embeddings.load(directory / name)
        assert back.words == emb.words
        np.testing.assert_array_equal(back.vectors, emb.vectors)


# ---------------------------------------------------------------------------- gensim interop
@pytest.mark.parametrize("binary", [False, True])
def test_gensim_reads_what_we_write(tmp_path, binary):
    KeyedVectors = pytest.importorskip("gensim.models", reason="gensim (test extra) is the reference").KeyedVectors
    emb = make(n=40, d=7)
    path = tmp_path / ("v.bin" if binary else "v.txt")
    emb.save(path)
    kv = KeyedVectors.load_word2vec_format(str(path), binary=binary)
    assert list(kv.index_to_key) == list(emb.words)
    if binary:
        np.testing.assert_array_equal(kv.vectors, emb.vectors)
    else:
        np.testing.assert_allclose(kv.vectors, emb.vectors, rtol=1e-6)


@pytest.mark.parametrize("binary", [False, True])
def test_we_read_what_gensim_writes(tmp_path, binary):
    KeyedVectors = pytest.importorskip("gensim.models", reason="gensim (test extra) is the reference").KeyedVectors
    rng = np.random.default_rng(3)
    words = ["the", "of", "Straße", "日本"] + [f"w{i}" for i in range(30)]
    vectors = rng.standard_normal((len(words), 9)).astype(np.float32)
    kv = KeyedVectors(9)
    kv.add_vectors(words, vectors)
    path = tmp_path / ("g.bin" if binary else "g.txt")
    kv.save_word2vec_format(str(path), binary=binary)
    emb = Embeddings.load(path)
    assert emb.words == tuple(words)
    if binary:
        np.testing.assert_array_equal(emb.vectors, vectors)
    else:  # gensim writes str(float32): the shortest repr that restores the float32
        np.testing.assert_array_equal(emb.vectors, vectors)


# ---------------------------------------------------------------------------- the C tool
def c_tool_bytes(words, vectors, binary):
    """The bytes word2vec.c writes (its save loop, transcribed):

        fprintf(fo, "%lld %lld\\n", vocab_size, layer1_size);
        for (a = 0; a < vocab_size; a++) {
          fprintf(fo, "%s ", vocab[a].word);
          if (binary) for (b = 0; b < layer1_size; b++) fwrite(&syn0[..], sizeof(real), 1, fo);
          else for (b = 0; b < layer1_size; b++) fprintf(fo, "%lf ", syn0[..]);
          fprintf(fo, "\\n");
        }
    """
    out = f"{len(words)} {vectors.shape[1]}\n".encode()
    for w, v in zip(words, vectors):
        out += w.encode() + b" "
        if binary:
            out += struct.pack(f"<{len(v)}f", *v.tolist())
        else:
            out += "".join("%lf " % x for x in v.tolist()).encode()
        out += b"\n"
    return out


@pytest.mark.parametrize("binary", [False, True])
def test_reads_the_c_tools_files(tmp_path, binary):
    rng = np.random.default_rng(4)
    words = ["</s>", "the", "of", "Köln"]
    vectors = rng.uniform(-1, 1, (4, 5)).astype(np.float32)
    raw = c_tool_bytes(words, vectors, binary)
    if not binary:
        assert raw.splitlines()[1].endswith(b" ")  # "%lf " leaves a trailing space
    path = tmp_path / ("c.bin" if binary else "c.txt")
    path.write_bytes(raw)
    emb = Embeddings.load(path)
    assert emb.words == tuple(words)
    if binary:
        np.testing.assert_array_equal(emb.vectors, vectors)
    else:  # "%lf" keeps six decimals
        np.testing.assert_array_equal(emb.vectors, np.round(vectors.astype(np.float64), 6)
                                      .astype(np.float32))


def test_text_tolerates_crlf_trailing_space_and_trailing_blank_lines(tmp_path):
    path = tmp_path / "v.txt"
    path.write_bytes(b"2 3 \r\nfoo 1 2 3  \r\nbar\t-1.5 0 2e-3\r\n\r\n\n")
    emb = Embeddings.load(path)
    assert emb.words == ("foo", "bar")
    np.testing.assert_array_equal(emb.vectors, np.float32([[1, 2, 3], [-1.5, 0, 2e-3]]))


def test_binary_accepts_records_without_newline(tmp_path):
    # gensim 4 writes no newline between records
    path = tmp_path / "v.bin"
    path.write_bytes(b"2 2\n" + b"a " + struct.pack("<2f", 1, 2) + b"b " + struct.pack("<2f", 3, 4))
    emb = Embeddings.load(path)
    assert emb.words == ("a", "b")
    np.testing.assert_array_equal(emb.vectors, [[1, 2], [3, 4]])


# ---------------------------------------------------------------------------- reading errors
def binary_record(word: bytes, values, newline=True):
    return word + b" " + struct.pack(f"<{len(values)}f", *values) + (b"\n" if newline else b"")


def npz(**arrays):
    """A writer for the table below: an npz file holding ``arrays``."""
    return lambda path: np.savez(path, **arrays)


_RECORD_A3 = b"2 3\n" + binary_record(b"a", [1, 2, 3])
_TWO_RECORDS = b"3 2\n" + binary_record(b"a", [1, 2]) + binary_record(b"b", [3, 4])
_WORD_CUT = b"2 2\n" + binary_record(b"a", [1, 2]) + b"wor"

# One row per broken file: its name, its bytes (or a function that writes it, or None for
# no file at all), the error Embeddings.load raises and a fragment of its message.
LOAD_ERRORS = [
    *(pytest.param(name, None, FileNotFoundError, "nope", id=f"missing-{name}")
      for name in ("nope.txt", "nope.bin", "nope.npz")),
    *(pytest.param(f"h.{ext}", header + b"a 1 2\n", ValueError,
                   r"h\.%s.*(header|vector_size)" % ext, id=f"header-{ext}-{header!r}")
      for ext in ("txt", "bin")
      for header in (b"3\n", b"three 2\n", b"3 2 1\n", b"-1 2\n", b"3 0\n", b"\n")),
    pytest.param("glove.txt", b"the 0.1 0.2\nof 0.4\n", ValueError,
                 r"glove\.txt, line 2: expected a word and 2 values \(vector_size of line 1; "
                 r"no header: GloVe format\), found 1", id="glove-short-line"),
    pytest.param("glove.txt", b"the 0.1 0.2\nof 0.4 1 2\n", ValueError,
                 r"glove\.txt, line 2: expected a word and 2 values.*found 3",
                 id="glove-number-in-word"),
    pytest.param("nan.txt", b"2 2\na 1 2\nb nan 1\n", ValueError,
                 r"nan\.txt, line 3 \(word 'b'\): value 1 is nan .*finite", id="text-nan"),
    pytest.param("big.txt", b"1 2\na 0 1e39\n", ValueError,
                 r"big\.txt, line 2 \(word 'a'\): value 2 is inf \(NaN, infinite, or beyond "
                 r"the float32 range\)", id="text-overflow"),
    pytest.param("inf.txt", b"a 1 2\nb 3 -inf\n", ValueError,
                 r"inf\.txt, line 2 \(word 'b'\): value 2 is -inf", id="glove-inf"),
    pytest.param("inf.bin", b"2 2\n" + binary_record(b"a", [1, 2])
                 + binary_record(b"b", [3, float("inf")]), ValueError,
                 r"inf\.bin, record 2 \(word 'b'\): value 2 is inf", id="binary-inf"),
    pytest.param("nan.npz", npz(words=np.array(["a", "b"]), W=np.float32([[1, 2], [3, np.nan]])),
                 ValueError, r"nan\.npz, array 'W', row 1 \(word 'b'\): value 2 is nan",
                 id="npz-nan"),
    pytest.param("bad.txt.gz", b"plain text, not gzip", ValueError,
                 r"bad\.txt\.gz: cannot read the gzip-compressed file", id="gz-not-gzip"),
    pytest.param("e.txt", b"", ValueError, r"e\.txt.*empty", id="empty-text"),
    pytest.param("e.bin", b"", ValueError, r"e\.bin.*empty", id="empty-binary"),
    pytest.param("v.txt", b"3 2\na 1 2\nb 1 2 3\nc 1 2\n", ValueError,
                 r"v\.txt, line 3: expected a word and 2 values.*found 3", id="text-3-values"),
    pytest.param("v.txt", b"2 2\na 1 2\n\nb 1 2\n", ValueError, r"line 3: .*empty line",
                 id="text-empty-line"),
    pytest.param("v.txt", b"2 3\na 1 2 3\nb 1 x7 3\n", ValueError,
                 r"v\.txt, line 3: value 2 of word 'b' .*'x7'", id="text-not-a-number"),
    pytest.param("v.txt", b"4 2\na 1 2\nb 1 2\n", ValueError,
                 r"v\.txt, line 4: file ends after 2 of the 4 vectors", id="text-truncated"),
    pytest.param("v.txt", b"1 2\na 1 2\nb 1 2\n", ValueError,
                 r"line 3: more vectors than the 1", id="text-too-many"),
    pytest.param("v.txt", b"3 1\na 1\nb 2\na 3\n", ValueError,
                 r"v\.txt, line 4: duplicate word 'a' \(first seen at line 2\)",
                 id="text-duplicate"),
    pytest.param("v.txt", b"2 1\na 1\nb\xff\xfe 2\n", ValueError,
                 r"v\.txt, line 3: word .* not valid UTF-8", id="text-utf8"),
    pytest.param("v.bin", _RECORD_A3 + binary_record(b"bb", [4, 5, 6])[:-6], ValueError,
                 rf"v\.bin, record 2 at byte offset {len(_RECORD_A3)}: file ends inside the "
                 r"vector of 'bb'", id="binary-vector-cut"),
    pytest.param("v.bin", _TWO_RECORDS, ValueError,
                 rf"record 3 at byte offset {len(_TWO_RECORDS)}: file ends after 2 of the 3",
                 id="binary-too-few"),
    pytest.param("v.bin", _WORD_CUT, ValueError,
                 rf"record 2 at byte offset {len(_WORD_CUT) - 3}: file ends inside the word",
                 id="binary-word-cut"),
    pytest.param("v.bin", b"2 1\n" + binary_record(b"a", [1]) + binary_record(b"a", [2]),
                 ValueError, r"v\.bin, record 2 at byte offset 11: duplicate word 'a' "
                 r"\(first seen at record 1\)", id="binary-duplicate"),
    pytest.param("v.bin", b"2 1\n" + binary_record(b"a", [1]) + binary_record(b"\xc3(", [2]),
                 ValueError, r"record 2 at byte offset 11: word .* not valid UTF-8",
                 id="binary-utf8"),
    # vectors of 3 floats but the header says 2: the leftover bytes are not a word
    pytest.param("v.bin", b"2 2\n" + binary_record(b"a", [1, 2, 3])
                 + binary_record(b"b", [4, 5, 6]),
                 ValueError, r"v\.bin, record 2 at byte offset", id="binary-wrong-size"),
    pytest.param("v.bin", b"1 1\n" + binary_record(b"a", [1]) + b"junk", ValueError,
                 r"v\.bin, byte offset 11: 4 bytes of data after the 1 records",
                 id="binary-trailing-data"),
    pytest.param("bad.npz", b"not a zip file at all", ValueError, r"bad\.npz", id="npz-not-zip"),
    pytest.param("nowords.npz", npz(W=np.zeros((2, 2))), ValueError,
                 r"nowords\.npz: .*'words'", id="npz-no-words"),
    pytest.param("shape.npz", npz(words=np.array(["a", "b"]), W=np.zeros((3, 2))), ValueError,
                 r"shape\.npz: vectors has 3 rows but there are 2 words", id="npz-shapes"),
]


@pytest.mark.parametrize("name, content, error, message", LOAD_ERRORS)
def test_load_errors_name_the_file_and_the_place(tmp_path, name, content, error, message):
    path = tmp_path / name
    if callable(content):
        content(path)
    elif content is not None:
        path.write_bytes(content)
    with pytest.raises(error, match=message):
        Embeddings.load(path)


@pytest.mark.parametrize("name, content, words", [
    ("v.txt", b"2 1\na 1\nb\xff\xfe 2\n", ("a", "b\ufffd\ufffd")),
    ("v.bin", b"2 1\n" + binary_record(b"a", [1]) + binary_record(b"\xc3(", [2]), ("a", "\ufffd(")),
])
def test_words_that_are_not_utf8_can_be_replaced(tmp_path, name, content, words):
    (tmp_path / name).write_bytes(content)
    assert Embeddings.load(tmp_path / name, encoding_errors="replace").words == words


def test_unknown_extension_asks_for_format(tmp_path):
    make().save(tmp_path / "vectors.dat", format="text")
    with pytest.raises(ValueError, match="format="):
        Embeddings.load(tmp_path / "vectors.dat")
    with pytest.raises(FileNotFoundError, match="not found"):   # said before the extension
        Embeddings.load(tmp_path / "missing.dat")
    with pytest.raises(IsADirectoryError, match="is a directory"):
        Embeddings.load(tmp_path)
    with pytest.raises(ValueError, match="format="):
        make().save(tmp_path / "vectors")
    with pytest.raises(ValueError, match="format"):
        make().save(tmp_path / "v.txt", format="csv")


# ---------------------------------------------------------------------------- writing errors
@pytest.mark.parametrize("name", ["v.txt", "v.bin"])
@pytest.mark.parametrize("word", ["two words", "tab\there", "new\nline", ""])
def test_words_that_word2vec_formats_cannot_hold(tmp_path, name, word, leftovers):
    emb = Embeddings(["ok", word], np.ones((2, 2)))
    with pytest.raises(ValueError, match="cannot be stored.*npz"):
        emb.save(tmp_path / name)
    assert leftovers(tmp_path) == []
    emb.save(tmp_path / "fine.npz")  # npz can
    assert Embeddings.load(tmp_path / "fine.npz").words == ("ok", word)


def test_failed_save_leaves_the_old_file(tmp_path, monkeypatch, leftovers):
    path = tmp_path / "m.npz"
    make(seed=1).save(path)
    before = path.read_bytes()

    def broken_savez(f, **arrays):
        f.write(b"partial data")
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez", broken_savez)
    with pytest.raises(OSError, match="disk full"):
        make(seed=2).save(path)
    assert path.read_bytes() == before
    assert leftovers(tmp_path) == ["m.npz"]


# ---------------------------------------------------------------------------- atomic_write
def test_atomic_write_writes_and_replaces(tmp_path, leftovers):
    path = tmp_path / "f.txt"
    with atomic_write(path, "w") as f:
        f.write("héllo\n")
    assert path.read_bytes() == "héllo\n".encode()
    with atomic_write(str(path)) as f:
        f.write(b"\x00\x01")
    assert path.read_bytes() == b"\x00\x01"
    assert leftovers(tmp_path) == ["f.txt"]


@pytest.mark.parametrize("exc", [RuntimeError, KeyboardInterrupt])
def test_atomic_write_failure_leaves_nothing(tmp_path, exc, leftovers):
    path = tmp_path / "f.bin"
    with pytest.raises(exc):
        with atomic_write(path) as f:
            f.write(b"half")
            raise exc()
    assert leftovers(tmp_path) == []
    path.write_bytes(b"old")
    with pytest.raises(exc):
        with atomic_write(path) as f:
            f.write(b"new")
            raise exc()
    assert path.read_bytes() == b"old"
    assert leftovers(tmp_path) == ["f.bin"]


def _sync_threads():
    import threading
    return [t for t in threading.enumerate() if t.name == "embedlib-sync"]


def test_atomic_write_syncs_what_was_written_while_the_block_runs(tmp_path, monkeypatch):
    from embedlib import _atomic
    synced = []                     # (fd, bytes of the file at that moment)
    monkeypatch.setattr(_atomic, "SYNC_INTERVAL", 0.005)
    monkeypatch.setattr(_atomic, "_datasync",
                        lambda fd: synced.append((fd, os.fstat(fd).st_size)))
    path = tmp_path / "f.bin"
    with atomic_write(path) as f:
        f.write(b"x" * 1000)
        f.flush()
        deadline = time.monotonic() + 10
        while not synced and time.monotonic() < deadline:
            time.sleep(0.001)
        assert synced and synced[-1] == (f.fileno(), 1000)
        assert len(_sync_threads()) == 1
    assert _sync_threads() == []    # stopped and joined before the file was closed
    assert path.read_bytes() == b"x" * 1000


@pytest.mark.parametrize("exc", [RuntimeError, KeyboardInterrupt])
def test_atomic_write_stops_its_sync_thread_when_the_block_fails(tmp_path, exc, leftovers):
    with pytest.raises(exc):
        with atomic_write(tmp_path / "f.bin") as f:
            f.write(b"half")
            raise exc()
    assert _sync_threads() == []
    assert leftovers(tmp_path) == []


def test_atomic_write_raises_an_error_of_the_background_sync(tmp_path, monkeypatch, leftovers):
    """The final fsync would not report an error the background one took: it is raised."""
    from embedlib import _atomic
    monkeypatch.setattr(_atomic, "SYNC_INTERVAL", 0.001)

    def failing(fd):
        raise OSError(5, "Input/output error")
    monkeypatch.setattr(_atomic, "_datasync", failing)
    path = tmp_path / "f.bin"
    path.write_bytes(b"old")
    with pytest.raises(OSError, match="Input/output error"):
        with atomic_write(path) as f:
            f.write(b"new")
            time.sleep(0.05)
    assert path.read_bytes() == b"old"
    assert leftovers(tmp_path) == ["f.bin"]
    assert _sync_threads() == []


def test_atomic_write_permissions(tmp_path):
    path = tmp_path / "f"
    old = os.umask(0o027)
    try:
        with atomic_write(path) as f:
            f.write(b"x")
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o640  # as open() would create it
    path.chmod(0o604)
    with atomic_write(path) as f:
        f.write(b"y")
    assert stat.S_IMODE(path.stat().st_mode) == 0o604  # replacing keeps the mode


def test_atomic_write_bad_arguments(tmp_path):
    with pytest.raises(FileNotFoundError, match="missing"):
        with atomic_write(tmp_path / "missing" / "f"):
            pass
    with pytest.raises(ValueError, match="mode"):
        with atomic_write(tmp_path / "f", "a"):
            pass
    with pytest.raises(IsADirectoryError):
        with atomic_write(tmp_path):
            pass

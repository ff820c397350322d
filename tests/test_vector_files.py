"""Vector files people have: GloVe's headerless text, gzip-compressed files, the first N
words of a large file, and files with NaN or infinite values."""

from __future__ import annotations

import gzip
import logging
import struct
import warnings

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from embedlib import formats
from embedlib.embeddings import Embeddings

GENSIM = "gensim (test extra) is the reference"


def make(n=30, d=5, seed=0):
    rng = np.random.default_rng(seed)
    words = ["the", "Straße", "日本"] + [f"w{i}" for i in range(3, n)]
    return Embeddings(words[:n], rng.standard_normal((n, d)).astype(np.float32))


def keyed_vectors():
    return pytest.importorskip("gensim.models", reason=GENSIM).KeyedVectors


# ---------------------------------------------------------------------------- GloVe
def test_glove_round_trip_and_detection(tmp_path):
    emb = make()
    emb.save(tmp_path / "g.txt", format="glove")
    lines = (tmp_path / "g.txt").read_text().splitlines()
    assert len(lines) == len(emb) and lines[0].split()[0] == "the"  # no header line
    for back in (Embeddings.load(tmp_path / "g.txt"),             # detected from line 1
                 Embeddings.load(tmp_path / "g.txt", format="text"),
                 Embeddings.load(tmp_path / "g.txt", format="glove")):
        assert back.words == emb.words
        np.testing.assert_array_equal(back.vectors, emb.vectors)
    # the same lines as the word2vec text format, without its header
    emb.save(tmp_path / "w.txt")
    assert (tmp_path / "w.txt").read_text().splitlines()[1:] == lines


def test_glove_format_forced_on_a_line_that_looks_like_a_header(tmp_path):
    # "1 2" could be a header; format="glove" reads it as the word "1" with the value 2
    (tmp_path / "g.txt").write_bytes(b"1 2\n2 3\n")
    emb = Embeddings.load(tmp_path / "g.txt", format="glove")
    assert emb.words == ("1", "2") and emb.vectors.tolist() == [[2.0], [3.0]]
    with pytest.raises(ValueError, match="line 2: expected a word and 2 values"):
        Embeddings.load(tmp_path / "g.txt")  # as a header: 1 word of 2 values


def test_glove_words_with_spaces_and_blank_lines(tmp_path):
    # glove.840B.300d has a few words with spaces in them; trailing blank lines are fine
    (tmp_path / "g.txt").write_bytes(b"the 1 2\n. . . 3 4\nat a 5 6\n\n\n")
    emb = Embeddings.load(tmp_path / "g.txt")
    assert emb.words == ("the", ". . .", "at a")
    np.testing.assert_array_equal(emb.vectors, [[1, 2], [3, 4], [5, 6]])
    (tmp_path / "h.txt").write_bytes(b"the 1 2\n\nof 3 4\n")
    with pytest.raises(ValueError, match=r"h\.txt, line 2: .*found an empty line"):
        Embeddings.load(tmp_path / "h.txt")


def test_gensim_reads_our_glove_files_and_we_read_its(tmp_path):
    KeyedVectors = keyed_vectors()
    emb = make(n=40, d=7)
    emb.save(tmp_path / "ours.txt", format="glove")
    kv = KeyedVectors.load_word2vec_format(str(tmp_path / "ours.txt"), no_header=True)
    assert list(kv.index_to_key) == list(emb.words)
    np.testing.assert_array_equal(kv.vectors, emb.vectors)
    kv.save_word2vec_format(str(tmp_path / "theirs.txt"), write_header=False)
    back = Embeddings.load(tmp_path / "theirs.txt")
    assert back.words == emb.words
    np.testing.assert_array_equal(back.vectors, emb.vectors)


def test_glove_and_word2vec_text_agree_with_gensim_no_header(tmp_path):
    """A file in GloVe's layout, written by hand as GloVe's tool writes it ("%s %lf ..."),
    loads to the vectors gensim's load_word2vec_format(no_header=True) gives."""
    KeyedVectors = keyed_vectors()
    rng = np.random.default_rng(1)
    words = [f"w{i}" for i in range(25)]
    vectors = rng.uniform(-1, 1, (25, 4))
    text = "".join(w + "".join(f" {x:f}" for x in v) + "\n" for w, v in zip(words, vectors))
    (tmp_path / "glove.6B.4d.txt").write_text(text)
    ours = Embeddings.load(tmp_path / "glove.6B.4d.txt")
    theirs = KeyedVectors.load_word2vec_format(str(tmp_path / "glove.6B.4d.txt"),
                                               no_header=True)
    assert list(ours.words) == theirs.index_to_key
    np.testing.assert_array_equal(ours.vectors, theirs.vectors)


# ---------------------------------------------------------------------------- gzip
@pytest.mark.parametrize("name", ["v.txt.gz", "v.vec.gz", "v.bin.gz", "v.TXT.GZ"])
def test_gzip_round_trip(tmp_path, name, leftovers):
    emb = make()
    emb.save(tmp_path / name)
    raw = (tmp_path / name).read_bytes()
    assert raw[:2] == b"\x1f\x8b"  # gzip
    back = Embeddings.load(tmp_path / name)
    assert back.words == emb.words
    np.testing.assert_array_equal(back.vectors, emb.vectors)
    plain = name[:-3].replace("TXT", "txt")
    emb.save(tmp_path / plain)
    assert gzip.decompress(raw) == (tmp_path / plain).read_bytes()
    emb.save(tmp_path / name)
    assert (tmp_path / name).read_bytes() == raw  # no time stamp: the same bytes again
    assert leftovers(tmp_path) == sorted([name, plain])


def test_gzip_glove_round_trip(tmp_path):
    emb = make()
    emb.save(tmp_path / "g.txt.gz", format="glove")
    assert gzip.decompress((tmp_path / "g.txt.gz").read_bytes()).split(b" ")[0] == b"the"
    back = Embeddings.load(tmp_path / "g.txt.gz")
    np.testing.assert_array_equal(back.vectors, emb.vectors)


@pytest.mark.parametrize("binary", [False, True])
def test_gensim_reads_our_gzip_files_and_we_read_its(tmp_path, binary):
    KeyedVectors = keyed_vectors()
    emb = make(n=40, d=6)
    ours = tmp_path / ("ours.bin.gz" if binary else "ours.txt.gz")
    emb.save(ours)
    kv = KeyedVectors.load_word2vec_format(str(ours), binary=binary)
    assert list(kv.index_to_key) == list(emb.words)
    np.testing.assert_array_equal(kv.vectors, emb.vectors)
    theirs = tmp_path / ("theirs.bin.gz" if binary else "theirs.vec.gz")
    kv.save_word2vec_format(str(theirs), binary=binary)
    assert theirs.read_bytes()[:2] == b"\x1f\x8b"
    back = Embeddings.load(theirs)
    assert back.words == emb.words
    np.testing.assert_array_equal(back.vectors, emb.vectors)


def test_truncated_gzip_is_an_error_naming_the_file(tmp_path):
    make().save(tmp_path / "v.txt.gz")
    raw = (tmp_path / "v.txt.gz").read_bytes()
    (tmp_path / "cut.txt.gz").write_bytes(raw[:len(raw) // 2])
    with pytest.raises(ValueError, match=r"cut\.txt\.gz: cannot read the gzip-compressed"):
        Embeddings.load(tmp_path / "cut.txt.gz")


@pytest.mark.parametrize("name, match", [
    ("v.npz.gz", "npz file is a compressed archive already"),
    ("v.txt.bz2", r"\.bz2 files are not supported.*gzip"),
    ("v.xz", r"\.xz files are not supported"),
    ("v.gz", r"cannot tell the vector file format of .*v\.gz.*\.txt\.gz"),
    ("v.csv", r"from its extension '\.csv'.*format="),
])
def test_extensions_that_are_not_known(tmp_path, name, match, leftovers):
    with pytest.raises(ValueError, match=match):
        make().save(tmp_path / name)
    (tmp_path / name).write_bytes(b"1 1\na 1\n")
    with pytest.raises(ValueError, match=match):
        Embeddings.load(tmp_path / name)
    assert leftovers(tmp_path) == [name]


def test_an_explicit_format_reads_any_name_but_other_compressions(tmp_path):
    (tmp_path / "v.csv").write_bytes(b"1 1\na 1\n")
    assert Embeddings.load(tmp_path / "v.csv", format="text").words == ("a",)
    (tmp_path / "v.txt.bz2").write_bytes(b"1 1\na 1\n")
    with pytest.raises(ValueError, match="not supported"):
        Embeddings.load(tmp_path / "v.txt.bz2", format="text")


# ---------------------------------------------------------------------------- limit
@pytest.mark.parametrize("name, fmt", [("v.txt", None), ("v.bin", None), ("v.npz", None),
                                       ("v.txt.gz", None), ("v.bin.gz", None),
                                       ("g.txt", "glove")])
def test_limit_reads_the_first_words(tmp_path, name, fmt):
    emb = make(n=30)
    emb.save(tmp_path / name, format=fmt)
    for limit in (1, 7, 30, 1000):
        back = Embeddings.load(tmp_path / name, limit=limit)
        n = min(limit, 30)
        assert back.words == emb.words[:n]
        np.testing.assert_array_equal(back.vectors, emb.vectors[:n])
    with pytest.raises(ValueError, match="limit must be >= 1"):
        Embeddings.load(tmp_path / name, limit=0)
    with pytest.raises(TypeError, match="limit must be an integer"):
        Embeddings.load(tmp_path / name, limit=2.5)


@pytest.mark.parametrize("name", ["v.txt", "v.bin"])
def test_limit_does_not_read_the_rest_of_the_file(tmp_path, name):
    """The words after the first ``limit`` are never parsed: junk there does not matter."""
    emb = make(n=10, d=3)
    emb.save(tmp_path / name)
    with open(tmp_path / name, "ab") as f:
        f.write(b"\xff\xfe not a vector \x00 at all\n" * 3)
    with pytest.raises(ValueError):
        Embeddings.load(tmp_path / name)
    back = Embeddings.load(tmp_path / name, limit=10)
    np.testing.assert_array_equal(back.vectors, emb.vectors)


def test_limit_matches_gensim(tmp_path):
    KeyedVectors = keyed_vectors()
    make(n=50, d=4).save(tmp_path / "v.bin")
    kv = KeyedVectors.load_word2vec_format(str(tmp_path / "v.bin"), binary=True, limit=13)
    emb = Embeddings.load(tmp_path / "v.bin", limit=13)
    assert list(emb.words) == kv.index_to_key
    np.testing.assert_array_equal(emb.vectors, kv.vectors)


# ---------------------------------------------------------------------------- non-finite
def _nan_file(path):
    path.write_bytes(b"3 2\na 1 2\nb nan 1\nc inf -inf\n")


def test_nonfinite_values_are_an_error_without_a_numpy_warning(tmp_path):
    _nan_file(tmp_path / "v.txt")
    (tmp_path / "o.txt").write_bytes(b"1 2\na 1e39 1\n")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no RuntimeWarning (overflow in cast) on the way
        with pytest.raises(ValueError, match=r"v\.txt, line 3 \(word 'b'\): value 1 is nan"):
            Embeddings.load(tmp_path / "v.txt")
        with pytest.raises(ValueError, match=r"o\.txt, line 2 \(word 'a'\): value 1 is inf"):
            Embeddings.load(tmp_path / "o.txt")


def test_nonfinite_warn_loads_and_warns_at_the_callers_line(tmp_path):
    _nan_file(tmp_path / "v.txt")
    with pytest.warns(formats.NonFiniteWarning,
                      match=r"v\.txt, line 3 \(word 'b'\).*2 words have such values") as rec:
        emb = Embeddings.load(tmp_path / "v.txt", nonfinite="warn")
    assert rec[0].filename == __file__  # the user's line, not a line of embedlib
    assert emb.words == ("a", "b", "c") and np.isnan(emb.vectors[1, 0])
    with pytest.raises(ValueError, match="nonfinite must be one of"):
        Embeddings.load(tmp_path / "v.txt", nonfinite="ignore")


def test_binary_and_npz_nonfinite_warn(tmp_path):
    path = tmp_path / "v.bin"
    path.write_bytes(b"2 1\na " + struct.pack("<f", np.nan) + b"\nb " + struct.pack("<f", 1))
    with pytest.raises(ValueError, match=r"record 1 \(word 'a'\): value 1 is nan"):
        Embeddings.load(path)
    with pytest.warns(formats.NonFiniteWarning, match="1 words"):
        assert len(Embeddings.load(path, nonfinite="warn")) == 2
    bad = Embeddings(["a", "b"], [[1.0, 2.0], [3.0, 4.0]], bias=[0.0, np.inf])
    bad.save(tmp_path / "m.npz")
    with pytest.raises(ValueError, match=r"array 'bias', row 1 \(word 'b'\): value 1 is inf"):
        Embeddings.load(tmp_path / "m.npz")


# ---------------------------------------------------------------------------- logging
def test_files_read_and_written_are_logged(tmp_path, caplog):
    emb = make(n=12, d=3)
    with caplog.at_level(logging.INFO, logger="embedlib"):
        emb.save(tmp_path / "v.bin.gz")
        Embeddings.load(tmp_path / "v.bin.gz")
    messages = [r.getMessage() for r in caplog.records if r.name == "embedlib.formats"]
    assert messages == [f"wrote {tmp_path / 'v.bin.gz'} (12 words x 3 dims, word2vec binary)",
                        f"read {tmp_path / 'v.bin.gz'}: 12 words x 3 dims (word2vec binary)"]


# ---------------------------------------------------------------------------- properties
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_truncated_files_are_a_value_error(tmp_path_factory, data):
    """Any strict prefix of a valid file is a ValueError naming the file, never another
    exception, but for text cut inside its last line (the last value may be cut short:
    a file may end without a newline), binary without its optional last newline, and
    GloVe's headerless text, which does not say how many vectors it holds: the vectors
    before the cut load."""
    directory = tmp_path_factory.mktemp("cut")
    name, fmt = data.draw(st.sampled_from([("v.txt", None), ("v.bin", None), ("v.txt.gz", None),
                                           ("v.bin.gz", None), ("g.txt", "glove")]))
    emb = make(n=data.draw(st.integers(1, 6)), d=data.draw(st.integers(1, 4)),
               seed=data.draw(st.integers(0, 5)))
    emb.save(directory / name, format=fmt)
    raw = (directory / name).read_bytes()
    cut = data.draw(st.integers(0, len(raw) - 1))
    (directory / ("cut-" + name)).write_bytes(raw[:cut])
    try:
        back = Embeddings.load(directory / ("cut-" + name), format=fmt)
    except ValueError as e:
        assert str(directory / ("cut-" + name)) in str(e)
    else:  # a text file cut in its last line (which may end without a newline) loads,
        # GloVe's headerless text cut after any line, and binary without its last "\n"
        assert (name == "v.bin" and raw[cut:] == b"\n") or name.endswith(".txt") and (
            fmt == "glove" or b"\n" not in raw[cut:-1])
        assert 0 < len(back) <= len(emb) and back.words[:-1] == emb.words[:len(back) - 1]
        if len(back) > 1:  # (a cut first line has fewer values: vector_size is smaller)
            np.testing.assert_array_equal(back.vectors[:-1], emb.vectors[:len(back) - 1])

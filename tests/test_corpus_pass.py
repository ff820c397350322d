"""The Numba corpus pass (Corpus.from_file) against plain-Python references.

Two references: one that splits bytes as the C tools do (ASCII white space), for any
bytes, and today's Python path (lines decoded one at a time, ``str.split``) on text whose
white space is ASCII; and the NLTK mix.
"""

import gzip
import re
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from embedlib.corpus import Corpus, CorpusError, open_text

SPACE = re.compile(rb"[ \t\n\r\x0b\x0c]+")


def reference(data: bytes, replace: bool, min_count: int = 1):
    """words, counts, sentences (lists of words) of ``data``, split as the C tools split,
    or ``(line, column, kind)`` of its first error."""
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    counts, sentences = Counter(), []
    for lineno, line in enumerate(lines, 1):
        if b"\0" in line:
            return lineno, line.index(b"\0") + 1, "NUL"
        if not replace:
            try:
                line.decode("utf-8")
            except UnicodeDecodeError as e:
                return lineno, e.start + 1, "UTF-8"
        words = [t.decode("utf-8", "replace") for t in SPACE.split(line) if t]
        counts.update(words)
        sentences.append(words)
    kept = [w for w in counts if counts[w] >= min_count]  # first appearance order
    kept.sort(key=lambda w: -counts[w])                    # stable: ties stay in that order
    return kept, [counts[w] for w in kept], sentences


def check_against_reference(tmp_path, data, *, replace, min_count, chunk_size, workers, gz):
    path = tmp_path / ("c.txt.gz" if gz else "c.txt")
    path.write_bytes(gzip.compress(data) if gz else data)
    ref = reference(data, replace, min_count)
    errors = "replace" if replace else "strict"
    if isinstance(ref[2], str):
        line, column, kind = ref
        what = "NUL byte" if kind == "NUL" else "bytes that are not UTF-8"
        with pytest.raises(CorpusError, match=rf"line {line}: {what} at column {column}\b") as e:
            Corpus.from_file(path, min_count=min_count, encoding_errors=errors,
                             chunk_size=chunk_size, workers=workers)
        assert e.value.line == line and e.value.path == str(path)
        return
    words, counts, sentences = ref
    if not words:
        with pytest.raises(CorpusError, match="empty|fewer than"):
            Corpus.from_file(path, min_count=min_count, encoding_errors=errors,
                             chunk_size=chunk_size, workers=workers)
        return
    c = Corpus.from_file(path, min_count=min_count, encoding_errors=errors,
                         chunk_size=chunk_size, workers=workers)
    assert c.vocab.words == tuple(words)
    assert list(c.vocab.counts) == counts
    kept = set(words)
    assert len(c) == len(sentences)
    assert [c.sentence(s) for s in range(len(c))] == [[w for w in s if w in kept]
                                                      for s in sentences]
    assert c.n_raw_tokens == sum(map(len, sentences))
    if replace:
        assert c.n_replaced_lines == sum(
            1 for line in data.split(b"\n") if "\ufffd" in line.decode("utf-8", "replace"))


# pieces of text: words with multi-byte UTF-8, every ASCII white space, CRLF, bad bytes
WORDS = ["a", "b", "ab", "the", "é", "naïve", "日本", "😀x", "a\u00a0b", "z" * 40]
SPACES = [" ", "  ", "\t", "\n", "\r\n", "\x0b", "\x0c", "\n\n"]
BAD = [b"\xff", b"\xc3", b"\xe2\x82", b"\xed\xa0\x80", b"\xf0\x9f\x98", b"\xc0\xaf"]


@st.composite
def corpora(draw, bad_bytes=True):
    parts = []
    for _ in range(draw(st.integers(0, 60))):
        kind = draw(st.integers(0, 9))
        if kind < 5:
            parts.append(draw(st.sampled_from(WORDS)).encode())
        elif kind < 9 or not bad_bytes:
            parts.append(draw(st.sampled_from(SPACES)).encode())
        else:
            parts.append(draw(st.sampled_from(BAD)))
    if draw(st.booleans()):  # a long line
        parts.append(b" ".join([draw(st.sampled_from(WORDS)).encode()] * 300))
    return b"".join(parts)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(corpora(), st.booleans(), st.integers(1, 3), st.sampled_from([1, 2, 3, 7, 64, 4096]),
       st.integers(1, 2), st.booleans())
def test_the_pass_matches_the_byte_reference(tmp_path, data, replace, min_count, chunk_size,
                                             workers, gz):
    check_against_reference(tmp_path, data, replace=replace, min_count=min_count,
                            chunk_size=chunk_size, workers=workers, gz=gz)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(corpora(bad_bytes=False), st.integers(1, 2), st.sampled_from([2, 5, 4096]),
       st.integers(1, 2))
def test_the_pass_gives_what_lines_and_str_split_give(tmp_path, data, min_count, chunk_size,
                                                      workers):
    """On text whose white space is ASCII, the vocabulary of today's Python path."""
    data = data.replace("\u00a0".encode(), b"_")
    path = tmp_path / "c.txt"
    path.write_bytes(data)
    sentences = [text.split() for _, text in open_text(path)]
    try:
        old = Corpus.from_sentences(sentences, min_count=min_count)
    except CorpusError:
        with pytest.raises(CorpusError):
            Corpus.from_file(path, min_count=min_count, chunk_size=chunk_size, workers=workers)
        return
    new = Corpus.from_file(path, min_count=min_count, chunk_size=chunk_size, workers=workers)
    assert new.vocab.words == old.vocab.words
    np.testing.assert_array_equal(new.vocab.counts, old.vocab.counts)
    np.testing.assert_array_equal(new.tokens, old.tokens)
    np.testing.assert_array_equal(new.offsets, old.offsets)


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(corpora(bad_bytes=False), st.integers(1, 3), st.sampled_from([1, 3, 64]),
       st.integers(1, 3), st.sampled_from([7, 4096]))
def test_ids_mapped_in_the_file_block_by_block_are_those_mapped_in_memory(
        tmp_path, data, min_count, block, workers, chunk_size):
    """The counting pass writes table indexes, mapped to vocabulary ids in place: in a file
    ``block`` ids at a time (sentence offsets, read a few at a time, falling anywhere in
    the blocks), in memory at once; both give the reference's sentences."""
    import shutil

    import embedlib._encode_files as E
    path = tmp_path / "c.txt"
    path.write_bytes(data)
    words, counts, sentences = reference(data, False, min_count)
    if not words:
        return
    kept = set(words)
    out = tmp_path / "enc"
    shutil.rmtree(out, ignore_errors=True)
    saved = E._REMAP_BLOCK, E._OFFSET_PIECE
    E._REMAP_BLOCK, E._OFFSET_PIECE = block, max(1, block // 2)
    try:
        c = Corpus.from_file(path, min_count=min_count, workers=workers,
                             chunk_size=chunk_size, directory=out)
    finally:
        E._REMAP_BLOCK, E._OFFSET_PIECE = saved
    m = Corpus.from_file(path, min_count=min_count, workers=workers, chunk_size=chunk_size)
    assert c.directory is not None and m.directory is None
    assert c.vocab.words == m.vocab.words == tuple(words)
    np.testing.assert_array_equal(c.tokens, m.tokens)
    np.testing.assert_array_equal(c.offsets, m.offsets)
    assert [c.sentence(s) for s in range(len(c))] == [[w for w in s if w in kept]
                                                      for s in sentences]


def test_words_are_told_apart_at_every_length_and_at_the_end_of_a_chunk(tmp_path):
    """Words are hashed and compared 8 bytes at a time: words of every length up to 40
    that differ only in their last byte, or only in length, stay distinct, also when a
    chunk ends right after them."""
    words = []
    for n in range(1, 41):
        stem = "x" * (n - 1)
        words += [stem + "a", stem + "b", "y" * n]
    text = "\n".join(" ".join(words[i:i + 7]) for i in range(0, len(words), 7)) + "\n"
    path = tmp_path / "c.txt"
    path.write_text(text * 3)
    for chunk_size in (9, 41, 1 << 16):
        for workers in (1, 2):
            c = Corpus.from_file(path, min_count=1, chunk_size=chunk_size, workers=workers)
            assert c.vocab.words == tuple(words)
            assert list(c.vocab.counts) == [3] * len(words)
            assert [w for s in range(len(c)) for w in c.sentence(s)] == words * 3


def test_many_empty_lines_in_a_chunk_keep_every_sentence(tmp_path):
    """More sentence ends in a chunk than the first buffer for them holds: the scan goes
    on with a larger one (it does not count the chunk twice)."""
    text = "a b\n" + "\n" * 3000 + "b c\n" + "\n" * 500 + "a\n"
    path = tmp_path / "c.txt"
    path.write_text(text)
    for directory in (None, tmp_path / "enc"):
        c = Corpus.from_file(path, min_count=1, chunk_size=1 << 16, directory=directory)
        assert len(c) == 1 + 3000 + 1 + 500 + 1
        assert list(c.vocab.counts) == [2, 2, 1] and c.vocab.words == ("a", "b", "c")
        assert c.sentence(0) == ["a", "b"] and c.sentence(3001) == ["b", "c"]
        assert c.sentence(3502) == ["a"] and c.n_tokens == 5


def test_a_corpus_spilled_while_counting_is_in_memory_if_its_kept_tokens_fit(tmp_path,
                                                                            monkeypatch):
    """The counting pass writes every token; past IN_MEMORY_TOKENS it writes them to a
    temporary directory. Whether the corpus stays in memory still depends on the tokens
    kept, as before: fewer than the limit once rare words are dropped, it is in memory."""
    import embedlib.corpus_store as CS
    text = "a b a b a b\n" + " ".join(f"rare{i}" for i in range(200)) + "\n"
    path = tmp_path / "c.txt"
    path.write_text(text)
    monkeypatch.setattr(CS, "IN_MEMORY_TOKENS", 100)
    c = Corpus.from_file(path, min_count=2, chunk_size=64)
    assert c.directory is None and c.vocab.words == ("a", "b")
    assert list(c.tokens) == [0, 1] * 3 and list(c.offsets) == [0, 6, 6]
    big = Corpus.from_file(path, min_count=1, chunk_size=64)
    assert big.directory is not None and big.n_tokens == 206


def test_several_files_are_one_corpus_and_lines_are_counted_per_file(tmp_path):
    (tmp_path / "a.txt").write_bytes(b"x y\nx")           # no final newline
    (tmp_path / "b.txt.gz").write_bytes(gzip.compress(b"y z\nz \xff\n"))
    c = Corpus.from_file([tmp_path / "a.txt", tmp_path / "b.txt.gz"], min_count=1,
                         encoding_errors="replace")
    assert [c.sentence(s) for s in range(len(c))] == [["x", "y"], ["x"], ["y", "z"],
                                                      ["z", "\ufffd"]]
    assert c.n_replaced_lines == 1
    with pytest.raises(CorpusError, match=r"b\.txt\.gz, line 2: bytes that are not UTF-8 "
                                          r"at column 3") as e:
        Corpus.from_file([tmp_path / "a.txt", tmp_path / "b.txt.gz"], min_count=1)
    assert e.value.line == 2


def test_a_nul_after_bad_bytes_on_the_line_is_what_is_named(tmp_path):
    path = tmp_path / "u16.txt"
    path.write_bytes("hello world\n".encode("utf-16"))
    with pytest.raises(CorpusError, match="line 1: NUL byte at column 4"):
        Corpus.from_file(path, min_count=1)


def test_max_vocab_size_prunes_the_table_as_the_c_tool_does(tmp_path):
    # 5 frequent words, then 200 words seen once: a table of 2 * 5 words is pruned about
    # 40 times (the floor rising by one each time), never as far as the frequent words
    head = " ".join(w for w, n in zip("abcde", (1000, 900, 800, 700, 600)) for _ in range(n))
    rare = "\n".join(" ".join(f"r{i}_{j}" for j in range(20)) for i in range(10))
    path = tmp_path / "c.txt"
    path.write_text(head + "\n" + rare + "\n")
    c = Corpus.from_file(path, min_count=1, max_vocab_size=5)
    assert c.vocab.words == ("a", "b", "c", "d", "e")
    assert list(c.vocab.counts) == [1000, 900, 800, 700, 600]
    assert c._pruned_words >= 190
    assert len(c) == 11 and c.n_raw_tokens == 4000 + 200
    exact = Corpus.from_file(path, min_count=1)
    assert len(exact.vocab) == 205 and exact._pruned_words == 0


def _nltk_mix():
    path = Path(__file__).resolve().parents[2] / "shared" / "corpora" / "nltk_mix.txt.gz"
    return path if path.exists() else None


@pytest.mark.skipif(_nltk_mix() is None, reason="shared/corpora/nltk_mix.txt.gz not found")
def test_the_nltk_mix_gives_todays_corpus():
    path = _nltk_mix()
    old = Corpus.from_sentences((text.split() for _, text in open_text(path)), min_count=5)
    new = Corpus.from_file(path, min_count=5, workers=2)
    assert new.vocab.words == old.vocab.words
    np.testing.assert_array_equal(new.vocab.counts, old.vocab.counts)
    np.testing.assert_array_equal(new.tokens, old.tokens)
    np.testing.assert_array_equal(new.offsets, old.offsets)
    assert new.n_raw_tokens == old.n_raw_tokens > 3_000_000

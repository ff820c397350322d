import gzip

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from embedlib.corpus import Corpus, CorpusError, Vocabulary


def test_vocabulary_sorted_by_count_ties_by_first_appearance():
    c = Corpus.from_sentences([["b", "a", "c"], ["a", "c", "d"], ["d"]], min_count=1)
    assert c.vocab.words == ("a", "c", "d", "b")
    assert list(c.vocab.counts) == [2, 2, 2, 1]
    assert c.vocab["d"] == 2 and "b" in c.vocab and "z" not in c.vocab
    assert c.sentence(0) == ["b", "a", "c"]


def test_min_count_drops_rare_words_and_windows_close_over_them():
    c = Corpus.from_sentences([["x", "a", "rare", "b"], ["a", "b"]], min_count=2)
    assert set(c.vocab.words) == {"a", "b"}
    assert c.sentence(0) == ["a", "b"]
    assert c.n_raw_tokens == 6 and c.n_tokens == 4
    assert list(c.offsets) == [0, 2, 4]


def test_max_vocab_size_keeps_most_frequent():
    sents = [["a"] * 5 + ["b"] * 4 + ["c"] * 3 + ["d"] * 2]
    c = Corpus.from_sentences(sents, min_count=1, max_vocab_size=2)
    assert c.vocab.words == ("a", "b")
    assert c.n_tokens == 9


@settings(max_examples=50, deadline=None)
@given(st.lists(st.lists(st.sampled_from("abcdefg"), max_size=12), min_size=1, max_size=15),
       st.integers(1, 3))
def test_encoding_matches_brute_force(sents, min_count):
    from collections import Counter
    counts = Counter(w for s in sents for w in s)
    kept = {w for w, n in counts.items() if n >= min_count}
    if not kept:
        with pytest.raises(CorpusError):
            Corpus.from_sentences(sents, min_count=min_count)
        return
    c = Corpus.from_sentences(sents, min_count=min_count)
    assert len(c) == len(sents)
    for i, s in enumerate(sents):
        assert c.sentence(i) == [w for w in s if w in kept]
    assert {w: c.vocab.count(w) for w in c.vocab} == {w: counts[w] for w in kept}
    assert list(c.vocab.counts) == sorted(c.vocab.counts, reverse=True)
    assert c.tokens.dtype == np.int32


def test_reading_plain_and_gzip_files_gives_the_same_corpus(tmp_path):
    text = "the cat sat\n\nthe dog   sat on the mat\r\n"
    (tmp_path / "c.txt").write_text(text, encoding="utf-8")
    with gzip.open(tmp_path / "c.txt.gz", "wt", encoding="utf-8") as f:
        f.write(text)
    a = Corpus.from_file(tmp_path / "c.txt", min_count=1)
    b = Corpus.from_file(tmp_path / "c.txt.gz", min_count=1)
    assert a.vocab.words == b.vocab.words
    assert np.array_equal(a.tokens, b.tokens) and np.array_equal(a.offsets, b.offsets)
    assert len(a) == 3 and a.sentence(1) == [] and a.sentence(2)[-1] == "mat"


def test_given_vocabulary_is_used_as_is():
    voc = Vocabulary.from_counts(["a", "b"], [1, 5])
    c = Corpus.from_sentences([["a", "z", "b"], ["b"]], vocab=voc)
    assert c.vocab is voc and c.sentence(0) == ["a", "b"] and c.n_raw_tokens == 4


def test_invalid_utf8_is_an_error_naming_the_line(tmp_path):
    p = tmp_path / "bad.txt"
    p.write_bytes(b"good line\nstill good\nbad \xff\xfe bytes\n")
    with pytest.raises(CorpusError, match=r"bad\.txt, line 3"):
        Corpus.from_file(p, min_count=1)


def test_invalid_utf8_replaced_and_counted_on_request(tmp_path):
    p = tmp_path / "bad.txt"
    p.write_bytes(b"ok ok\nbad \xff word\nbad \xfe again\n")
    c = Corpus.from_file(p, min_count=1, encoding_errors="replace")
    assert c.n_replaced_lines == 2
    assert "\ufffd" in c.vocab


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.txt"):
        Corpus.from_file(tmp_path / "nope.txt")


def test_empty_corpus(tmp_path):
    p = tmp_path / "empty.txt"
    p.write_text("\n  \n")
    with pytest.raises(CorpusError, match="empty"):
        Corpus.from_file(p)


def test_every_word_under_min_count(tmp_path):
    p = tmp_path / "rare.txt"
    p.write_text("a b c\nd e\n")
    with pytest.raises(CorpusError, match="min_count=5"):
        Corpus.from_file(p, min_count=5)


def test_truncated_gzip_is_a_clear_error(tmp_path):
    p = tmp_path / "c.txt.gz"
    with gzip.open(p, "wt") as f:
        f.write("word " * 100000)
    p.write_bytes(p.read_bytes()[:200])
    with pytest.raises(CorpusError, match="cannot read"):
        Corpus.from_file(p, min_count=1)


def test_strings_instead_of_token_lists():
    with pytest.raises(TypeError, match="sentence 1 is a str"):
        Corpus.from_sentences([["a"], "a b c"], min_count=1)


@pytest.mark.parametrize("kw,msg", [(dict(min_count=0), "min_count"),
                                    (dict(min_count=1.5), "min_count"),
                                    (dict(max_vocab_size=0), "max_vocab_size")])
def test_bad_limits(kw, msg):
    with pytest.raises((ValueError, TypeError), match=msg):
        Corpus.from_sentences([["a"]], **kw)

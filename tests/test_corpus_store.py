"""The encoded corpus on disk: save, load (memory-mapped), refusals, atomic writes."""

import json
import os

import numpy as np
import pytest

import embedlib.corpus_store as CS
from embedlib import Corpus, CorpusError, Word2Vec, cooccurrence

TEXT = "".join(f"w{i % 7} w{i % 5} w{i % 3} the end\n" for i in range(300))


@pytest.fixture
def text(tmp_path):
    path = tmp_path / "c.txt"
    path.write_text(TEXT)
    return path


def _same(a: Corpus, b: Corpus):
    assert a.vocab.words == b.vocab.words
    np.testing.assert_array_equal(a.vocab.counts, b.vocab.counts)
    np.testing.assert_array_equal(a.tokens, b.tokens)
    np.testing.assert_array_equal(a.offsets, b.offsets)


def test_save_and_load_give_the_corpus_memory_mapped(tmp_path, text):
    c = Corpus.from_file(text, min_count=1)
    c.save(tmp_path / "enc")
    d = Corpus.load(tmp_path / "enc")
    _same(c, d)
    assert isinstance(d.tokens.base, np.memmap) or isinstance(d.tokens, np.memmap)
    assert not d.tokens.flags.writeable
    assert d.directory == tmp_path / "enc" and d.n_raw_tokens == c.n_raw_tokens
    assert d.parameters["min_count"] == 1
    assert d.sources[0]["size"] == text.stat().st_size
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.txt", "enc"]
    e = Corpus.from_file(text, min_count=1, directory=tmp_path / "enc2", chunk_size=64,
                         workers=2)
    _same(c, e)
    assert e.directory == tmp_path / "enc2"
    assert np.load(tmp_path / "enc2" / "tokens.npy").tolist() == c.tokens.tolist()


def test_training_reads_the_map_as_it_reads_memory(tmp_path, text):
    c = Corpus.from_file(text, min_count=1)
    d = Corpus.load(c.save(tmp_path / "enc"))
    kw = dict(sg=1, vector_size=8, epochs=2, workers=1, seed=3, min_count=1)
    np.testing.assert_array_equal(Word2Vec(**kw).fit(c).wv.vectors,
                                  Word2Vec(**kw).fit(d).wv.vectors)
    assert (cooccurrence(c, window=3) != cooccurrence(d, window=3)).nnz == 0
    # a path to the directory is a corpus too, with the vocabulary it was encoded with
    np.testing.assert_array_equal(Word2Vec(**kw).fit(c).wv.vectors,
                                  Word2Vec(**dict(kw, min_count=9)).fit(tmp_path / "enc")
                                  .wv.vectors)


def test_a_large_corpus_goes_to_a_temporary_directory_removed_with_it(tmp_path, text,
                                                                      monkeypatch):
    monkeypatch.setattr(CS, "IN_MEMORY_TOKENS", 100)
    c = Corpus.from_file(text, min_count=1, chunk_size=128)
    assert c.directory is not None and c.directory.is_dir()
    _same(c, Corpus.from_sentences((line.split() for line in TEXT.splitlines()),
                                   min_count=1))
    where = c.directory
    del c
    import gc
    gc.collect()
    assert not where.exists()


@pytest.mark.parametrize("damage, message", [
    (lambda d: (d / "tokens.npy").write_bytes((d / "tokens.npy").read_bytes()[:-8]),
     r"tokens\.npy is [\d,]+ bytes, the manifest says [\d,]+ \(truncated\)"),
    (lambda d: (d / "vocab.json").unlink(), r"vocab\.json is missing"),
    (lambda d: _edit(d, version=99), r"format version 99, but this embedlib reads version 1"),
    (lambda d: (d / "manifest.json").write_text("{"), r"the manifest is not valid JSON"),
    (lambda d: (d / "manifest.json").unlink(), r"is a directory, not a text file or an encoded corpus \(no manifest\.json\)"),
])
def test_a_damaged_directory_is_refused_with_what_differs(tmp_path, text, damage, message):
    d = Corpus.from_file(text, min_count=1).save(tmp_path / "enc")
    damage(d)
    with pytest.raises(CorpusError, match=message):
        Corpus.load(d)


def _edit(d, **changes):
    m = json.loads((d / "manifest.json").read_text())
    m.update(changes)
    (d / "manifest.json").write_text(json.dumps(m))


def test_a_changed_source_is_refused_when_sources_are_checked(tmp_path, text):
    d = Corpus.from_file(text, min_count=1, directory=tmp_path / "enc").directory
    Corpus.load(d)
    text.write_text(TEXT + "more words\n")
    with pytest.raises(CorpusError, match=r"source .*c\.txt changed \(size [\d,]+ -> [\d,]+ "
                                          r"bytes"):
        Corpus.load(d)
    Corpus.load(d, check_sources=False)  # without the check it still loads
    text.unlink()
    assert Corpus.load(d).n_tokens > 0      # the text is gone: the encoded corpus stays


def test_a_full_disk_leaves_nothing_behind(tmp_path, text, monkeypatch):
    import errno
    calls = {"n": 0}
    real = CS.NpyWriter.write

    def failing(self, a):
        calls["n"] += 1
        if calls["n"] > 2:
            raise OSError(errno.ENOSPC, "No space left on device")
        real(self, a)

    monkeypatch.setattr(CS.NpyWriter, "write", failing)
    with pytest.raises(OSError, match=r"cannot write the encoded corpus to .*enc: no space "
                                      r"left on the device; nothing was left behind"):
        Corpus.from_file(text, min_count=1, directory=tmp_path / "enc", chunk_size=64)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.txt"]
    calls["n"] = 0
    c = Corpus.from_file(text, min_count=1)
    with pytest.raises(OSError, match="no space left"):
        c.save(tmp_path / "enc")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.txt"]


def test_saving_over_an_encoded_corpus_replaces_it_and_refuses_other_directories(tmp_path,
                                                                                 text):
    Corpus.from_file(text, min_count=1).save(tmp_path / "enc")
    small = Corpus.from_sentences([["a", "b"], ["a"]], min_count=1)
    small.save(tmp_path / "enc")
    assert Corpus.load(tmp_path / "enc").vocab.words == ("a", "b")
    other = tmp_path / "other"
    other.mkdir()
    (other / "keep.txt").write_text("x")
    with pytest.raises(FileExistsError, match="not empty and holds no encoded corpus"):
        small.save(other)
    assert os.listdir(other) == ["keep.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.txt", "enc", "other"]

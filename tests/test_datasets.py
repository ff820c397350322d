"""Tests of embedlib.datasets: the planted corpus, the NLTK reader, the cache folder and the
names the package keeps (text8's download: test_text8.py)."""

import gzip
import itertools
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from embedlib import Corpus, Word2Vec, evaluate_analogies, evaluate_similarity
from embedlib import datasets as D
from embedlib.datasets import DatasetError, planted_corpus
from embedlib.datasets import nltk as nltk_module
from embedlib.datasets import text8 as text8_module
from embedlib.evaluation import read_analogies


# ====================================================================== planted corpus
def test_planted_is_deterministic_for_a_seed():
    a, b = planted_corpus(500, seed=3), planted_corpus(500, seed=3)
    assert a.sentences == b.sentences and a.analogies == b.analogies
    assert planted_corpus(500, seed=4).sentences != a.sentences


def test_planted_structure_is_self_consistent():
    pc = planted_corpus(2000, seed=0)
    E, R = len(pc.entities), len(pc.roles)
    assert (E, R) == (12, 4) and len(pc.forms) == E * R
    forms = set(pc.forms.values())
    lo, hi = pc.params["length"]
    for s in pc.sentences:
        assert lo <= len(s) <= hi
        assert len(forms.intersection(s)) == 1 and sum(w in forms for w in s) == 1
    # every question: a, b share an entity, c, d share it too; a, c and b, d share a role
    entity_of, role_of = pc.entity_of, pc.role_of
    assert len(pc.analogies) == (R * (R - 1) // 2) * E * (E - 1)
    assert len(set(pc.analogies)) == len(pc.analogies)
    for a, b, c, d in pc.analogies:
        assert entity_of[a] == entity_of[b] != entity_of[c] == entity_of[d]
        assert role_of[a] == role_of[c] != role_of[b] == role_of[d]
        assert pc.forms[entity_of[d], role_of[d]] == d
    # a sentence's context words belong to its form's entity and role (or are filler)
    for s in pc.sentences[:200]:
        form = next(w for w in s if w in forms)
        for w in s:
            if w != form and w in pc.groups:
                assert pc.groups[w] in (entity_of[form], role_of[form])
    assert repr(pc).startswith("PlantedCorpus(2000 sentences")


def test_planted_analogies_hold_in_the_ppmi_rows():
    """The generator's ground truth: 3CosAdd on the PPMI rows of the generated text
    (co-occurrence within a sentence), searching the whole vocabulary, answers every
    question. (The identity is exact in expectation; 20,000 sentences make the sampling
    noise small enough for every answer to come out right.)"""
    pc = planted_corpus(20_000, seed=1)
    corpus = pc.corpus()
    V, S = len(corpus.vocab), len(corpus)
    sentence_of = np.repeat(np.arange(S), np.diff(corpus.offsets))
    X = np.zeros((S, V))
    np.add.at(X, (sentence_of, corpus.tokens), 1.0)
    counts = X.T @ X
    np.fill_diagonal(counts, 0.0)  # a word is not its own context
    total = counts.sum()
    p_w, p_c = counts.sum(1) / total, counts.sum(0) / total
    with np.errstate(divide="ignore"):
        ppmi = np.maximum(np.log(counts / total / np.outer(p_w, p_c)), 0.0)
    unit = ppmi / np.linalg.norm(ppmi, axis=1, keepdims=True)
    q = np.array([[corpus.vocab[w] for w in question] for question in pc.analogies])
    scores = (unit[q[:, 1]] - unit[q[:, 0]] + unit[q[:, 2]]) @ unit.T
    for col in range(3):
        scores[np.arange(len(q)), q[:, col]] = -np.inf
    assert (scores.argmax(1) == q[:, 3]).mean() == 1.0


def test_skipgram_recovers_the_planted_analogies_and_similarities(tmp_path):
    pc = planted_corpus(3000, seed=0)
    model = Word2Vec(sg=1, vector_size=50, window=5, epochs=5, workers=1, seed=1,
                     min_count=1, sample=0, verbose=False).fit(pc.corpus())
    result = evaluate_analogies(model.wv, pc.analogies_file(tmp_path / "q.txt"),
                                restrict_vocab=None)
    assert result.coverage == 1.0
    assert result.accuracy > 0.8, result
    # forms that share an entity or a role are closer than unrelated forms
    sim = evaluate_similarity(model.wv, pc.word_pairs())
    assert sim.n_found == sim.n_pairs and sim.spearman > 0.6
    entity_of, role_of = pc.entity_of, pc.role_of
    related, unrelated = [], []
    for w1, w2 in itertools.combinations(pc.forms.values(), 2):
        (related if entity_of[w1] == entity_of[w2] or role_of[w1] == role_of[w2]
         else unrelated).append(model.wv.similarity(w1, w2))
    assert min(np.mean(related) - np.mean(unrelated), 1.0) > 0.2


def test_planted_files_round_trip(tmp_path):
    pc = planted_corpus(300, seed=2)
    for name in ("planted.txt", "planted.txt.gz"):
        path = pc.write(tmp_path / name)
        assert [s for s in Corpus.from_file(path, min_count=1)] == pc.sentences
    assert gzip.open(tmp_path / "planted.txt.gz").read() == (tmp_path / "planted.txt").read_bytes()
    # questions-words format with one section per role pair, readable by evaluation
    qs = read_analogies(pc.analogies_file(tmp_path / "questions.txt"))
    assert [q[1:] for q in qs] == pc.analogies
    assert list(dict.fromkeys(q[0] for q in qs)) == [
        "country-capital", "country-currency", "country-language", "capital-currency",
        "capital-language", "currency-language"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp files


def test_planted_options():
    pc = planted_corpus(400, seed=0, n_entities=3, roles=("man", "king"), n_filler=5,
                        length=(4, 4), p_entity=0.5, p_role=0.5)
    assert pc.entities == ("alder", "birch", "cedar") and len(pc.analogies) == 6
    assert all(len(s) == 4 for s in pc.sentences)
    assert not any(w.startswith("f") and w[1:].isdigit() for s in pc.sentences for w in s)
    assert ("alder_man", "alder_king", "birch_man", "birch_king") in pc.analogies


@pytest.mark.parametrize("kwargs, message", [
    (dict(n_sentences=0), "n_sentences"),
    (dict(n_entities=21), "n_entities"),
    (dict(roles=()), "roles"),
    (dict(roles=("a", "a")), "distinct"),
    (dict(roles=("Capital",)), "role names"),
    (dict(roles="capital"), "roles"),
    (dict(roles=("t1",)), "reserved"),
    (dict(roles=("oak",)), "entity names"),
    (dict(p_entity=0.7, p_role=0.5), "p_entity \\+ p_role"),
    (dict(length=(1, 5)), "length"),
    (dict(length=(6, 5)), "length"),
])
def test_planted_validation(kwargs, message):
    with pytest.raises((ValueError, TypeError), match=message):
        planted_corpus(**kwargs)


# ====================================================================== NLTK
def _nltk_data_found():
    try:
        import nltk
    except ImportError:
        return False
    for name in D.NLTK_CORPORA:
        if not nltk_module._nltk_find(nltk, f"corpora/{name}", f"corpora/{name}.zip/{name}/"):
            return False
    return True


needs_nltk = pytest.mark.skipif(
    not _nltk_data_found(),
    reason="nltk or its corpora not found: set NLTK_DATA to a folder with corpora/brown.zip, "
           "abc.zip, ... (scripts/test.sh sets it when an nltk_data folder sits beside the project) or run nltk.download(...)")


def _reference_mix():
    """shared/corpora/nltk_mix.txt.gz beside the project's root, if it is there."""
    path = Path(__file__).resolve().parents[2] / "shared" / "corpora" / "nltk_mix.txt.gz"
    return path if path.exists() else None


@needs_nltk
def test_nltk_small_corpora_match_the_reference_text():
    names = ("abc", "state_union", "webtext", "inaugural")
    lines = [" ".join(s) for s in D.nltk_sentences(names)]
    assert [" ".join(s) for s in D.nltk_sentences(names)] == lines  # deterministic
    assert all(re.fullmatch(r"[a-z]+( [a-z]+){2,}", line) for line in lines)
    counts = Counter(len(line.split()) for line in lines)
    assert min(counts) >= 3
    ref = _reference_mix()
    if ref is None:
        pytest.skip("shared/corpora/nltk_mix.txt.gz not found beside the project")
    reference = gzip.open(ref, "rt", encoding="utf-8").read().splitlines()
    start = reference.index(lines[0])
    assert reference[start:start + len(lines)] == lines


@needs_nltk
def test_nltk_mix_is_identical_to_the_reference(tmp_path, leftovers):
    """The default text, written to a file (about 15 s: every corpus is read)."""
    path = D.write_nltk_mix(tmp_path / "mix.txt.gz")
    text = gzip.open(path).read()
    assert text.count(b"\n") == 25_992 and len(text.split()) == 3_821_230
    ref = _reference_mix()
    if ref is not None:
        assert text == gzip.open(ref).read()
    assert leftovers(tmp_path) == ["mix.txt.gz"]


@needs_nltk
def test_nltk_units_and_corpus_cache(tmp_path, monkeypatch):
    docs = list(D.nltk_sentences(("inaugural",), unit="document"))
    paras = list(D.nltk_sentences(("inaugural",)))
    assert len(docs) == 59 and len(paras) > 1000
    assert sum(map(len, docs)) >= sum(map(len, paras))
    assert docs[0][:4] == ["fellow", "citizens", "of", "the"]

    corpus = D.nltk_corpus(("inaugural",), min_count=1, cache_dir=tmp_path)
    assert len(corpus) == len(paras) and corpus.n_tokens == sum(map(len, paras))
    cached = list(tmp_path.iterdir())
    assert [p.name for p in cached] == ["nltk_inaugural_paragraph_min3_v1.txt.gz"]

    def no_nltk(*args, **kwargs):
        raise AssertionError("the cache was not used")
    monkeypatch.setattr(nltk_module, "nltk_sentences", no_nltk)
    again = D.nltk_corpus(("inaugural",), min_count=1, cache_dir=tmp_path)
    assert np.array_equal(again.tokens, corpus.tokens) and again.vocab.words == corpus.vocab.words


@needs_nltk
def test_nltk_sentence_unit_or_a_clear_error():
    import nltk
    if nltk_module._nltk_find(nltk, "tokenizers/punkt_tab/english/"):
        sents = list(D.nltk_sentences(("inaugural",), unit="sentence"))
        assert len(sents) > 4000
    else:
        with pytest.raises(DatasetError, match=r"nltk\.download\('punkt_tab'\)"):
            D.nltk_sentences(("inaugural",), unit="sentence")


def test_nltk_missing_corpus_names_the_download(monkeypatch, tmp_path):
    nltk = pytest.importorskip("nltk")
    monkeypatch.setattr(nltk.data, "path", [str(tmp_path)])
    with pytest.raises(DatasetError) as err:
        D.nltk_sentences(("inaugural",))
    msg = str(err.value)
    assert "nltk.download('inaugural')" in msg and "NLTK_DATA" in msg and str(tmp_path) in msg


def test_nltk_missing_package(monkeypatch):
    monkeypatch.setitem(sys.modules, "nltk", None)
    monkeypatch.setitem(sys.modules, "nltk.corpus", None)
    with pytest.raises(DatasetError, match="pip install nltk"):
        D.nltk_sentences(("inaugural",))


@pytest.mark.parametrize("kwargs, message", [
    (dict(names=("gutenberg",)), "unknown NLTK corpus"),
    (dict(names=()), "at least one"),
    (dict(names=("abc", "abc")), "distinct"),
    (dict(unit="line"), "unit"),
])
def test_nltk_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        D.nltk_sentences(**kwargs)


def test_data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("EMBEDLIB_DATA", str(tmp_path / "env"))
    assert D.data_dir() == tmp_path / "env" and (tmp_path / "env").is_dir()
    assert D.data_dir(tmp_path / "arg") == tmp_path / "arg"
    monkeypatch.delenv("EMBEDLIB_DATA")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert D.data_dir() == tmp_path / "xdg" / "embedlib"


# ====================================================================== the package
OLD_NAMES = [  # every public name of the module embedlib/datasets.py was before the package
    "EVALUATION_FILES", "evaluation_file", "DatasetError", "ChecksumError", "data_dir",
    "PlantedCorpus", "planted_corpus", "ENTITY_NAMES",
    "NLTK_CORPORA", "nltk_sentences", "nltk_corpus", "nltk_mix", "write_nltk_mix",
    "TEXT8_URL", "TEXT8_ZIP_SHA256", "TEXT8_SHA256", "TEXT8_SIZE", "load_text8",
    "text8_sentences",
]


def test_every_name_is_still_importable_from_datasets():
    import embedlib.evaluation
    from embedlib.datasets import planted
    assert sorted(D.__all__) == sorted(OLD_NAMES)
    for name in OLD_NAMES:
        assert getattr(D, name) is not None
    # the evaluation files live in evaluation; datasets keeps the same objects
    assert D.evaluation_file is embedlib.evaluation.evaluation_file
    assert D.EVALUATION_FILES is embedlib.evaluation.EVALUATION_FILES
    assert D.load_text8 is text8_module.load_text8 and D.nltk_corpus is nltk_module.nltk_corpus
    assert D.planted_corpus is planted.planted_corpus
    assert issubclass(D.ChecksumError, D.DatasetError)


def test_plain_import_reaches_datasets():
    """``import embedlib`` is enough for ``embedlib.datasets.evaluation_file`` (the README's
    spelling): checked in a fresh interpreter, where no test has imported the subpackage."""
    code = ("import embedlib; f = embedlib.datasets.evaluation_file; "
            "print(f.__module__, embedlib.datasets.planted_corpus(5).n_tokens > 0)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert done.stdout.split() == ["embedlib.evaluation", "True"]

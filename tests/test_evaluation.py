"""Word-pair similarity and analogy evaluation, checked by hand and against gensim."""

from __future__ import annotations

import math
import sys
import warnings

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from embedlib.datasets import DatasetError
from embedlib.embeddings import Embeddings
from embedlib.evaluation import (evaluate_analogies, evaluate_similarity, evaluation_file,
                                 pearson, read_analogies, read_word_pairs, spearman)

GENSIM_REASON = ("gensim (test extra) ships the WordSim353, SimLex-999 and questions-words "
                 "files and is the reference implementation")


def datapath(name):
    """Path of one of gensim's test data files; skips the test when gensim is missing."""
    return pytest.importorskip("gensim.test.utils", reason=GENSIM_REASON).datapath(name)


# ---------------------------------------------------------------------------- statistics
ties = st.lists(st.integers(0, 5).map(float), min_size=3, max_size=40)


@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_spearman_and_pearson_match_scipy(data):
    stats = pytest.importorskip("scipy.stats")
    x = data.draw(ties)
    y = data.draw(st.lists(st.floats(-10, 10, allow_nan=False), min_size=len(x), max_size=len(x)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # scipy warns on constant input
        want_s = stats.spearmanr(x, y).statistic
        want_p = stats.pearsonr(x, y).statistic if np.ptp(x) and np.ptp(y) else math.nan
    if math.isnan(want_s):
        assert math.isnan(spearman(x, y))
    else:
        assert spearman(x, y) == pytest.approx(want_s, abs=1e-12)
    if math.isnan(want_p):
        assert math.isnan(pearson(x, y))
    else:
        assert pearson(x, y) == pytest.approx(want_p, abs=1e-9)


def test_correlation_edge_cases():
    assert spearman([1, 2, 3], [3, 2, 1]) == pytest.approx(-1.0)
    assert spearman([1, 2, 3], [10, 20, 1000]) == pytest.approx(1.0)  # ranks, not values
    assert math.isnan(pearson([1], [2]))
    assert math.isnan(spearman([1, 1, 1], [1, 2, 3]))
    # values at the smallest float: their mean must not round to one that leaves them
    # uncentered (it gave 0.408, as for [0, 0, 1, 1] without centering)
    assert pearson([0, 0, 0, 1], [0, 0, 5e-324, 5e-324]) == pytest.approx(1 / math.sqrt(3))
    assert pearson([1e300, 1e300, 1e300, 1.7e308], [0, 0, 1, 1]) == pytest.approx(1 / math.sqrt(3))
    with pytest.raises(ValueError, match="equal length"):
        spearman([1, 2], [1, 2, 3])


# ---------------------------------------------------------------------------- files
def test_reads_the_standard_files():
    # WordSim353 has 353 pairs, SimLex-999 999 pairs (their names say so)
    ws = read_word_pairs(datapath("wordsim353.tsv"))
    assert len(ws) == 353 and ws[0] == ("love", "sex", 6.77)
    assert len(read_word_pairs(datapath("simlex999.txt"))) == 999
    # Mikolov et al. (2013a): 8,869 semantic and 10,675 syntactic questions, 14 sections,
    # the syntactic ones named "gram*"
    qs = read_analogies(datapath("questions-words.txt"))
    assert qs[0] == ("capital-common-countries", "Athens", "Greece", "Baghdad", "Iraq")
    assert len(qs) == 19544 and len({q[0] for q in qs}) == 14
    assert sum(q[0].startswith("gram") for q in qs) == 10675


@pytest.mark.parametrize("read, name, content, match", [
    (read_word_pairs, "p.txt", "a\tb\t1\nc\td\n",
     r"p\.txt, line 2: expected 'word1<TAB>word2<TAB>score'"),
    (read_word_pairs, "p.txt", "# comment\na\tb\tlots\n",
     r"p\.txt, line 2: score 'lots' is not a number"),
    (read_word_pairs, "p.txt", "a\tb\tnan\n", r"line 1: score 'nan' is not finite"),
    (read_word_pairs, "p.txt", "\ta\t1\n", r"line 1: expected"),
    (read_analogies, "q.txt", ": s\na b c\n", r"q\.txt, line 2: expected four words"),
    (read_analogies, "q.txt", "a b c d\n",
     r"q\.txt, line 1: question before the first ': section' line"),
    (read_analogies, "q.txt", ": s\na b c d\n:\n", r"q\.txt, line 3: section line without a name"),
])
def test_evaluation_file_errors_name_the_line(tmp_path, read, name, content, match):
    (tmp_path / name).write_text(content)
    with pytest.raises(ValueError, match=match):
        read(tmp_path / name)


def test_word_pair_file_separators(tmp_path):
    (tmp_path / "p.txt").write_text("# header\n\nold\tnew\t1.5\r\nx  y 2\n")
    assert read_word_pairs(tmp_path / "p.txt") == [("old", "new", 1.5), ("x", "y", 2.0)]


def test_missing_and_undecodable_files(tmp_path, toy_embeddings):
    with pytest.raises(FileNotFoundError, match="nothere"):
        read_analogies(tmp_path / "nothere.txt")
    with pytest.raises(FileNotFoundError, match="nothere"):
        evaluate_similarity(toy_embeddings, tmp_path / "nothere.txt")
    (tmp_path / "bad.txt").write_bytes(b": s\na b c d\na b \xff d\n")
    with pytest.raises(ValueError, match=r"bad\.txt, line 3: not valid UTF-8"):
        read_analogies(tmp_path / "bad.txt")
    (tmp_path / "empty.txt").write_text("# nothing\n")
    with pytest.raises(ValueError, match="no word pairs"):
        evaluate_similarity(toy_embeddings, tmp_path / "empty.txt")
    (tmp_path / "blank.txt").write_text("\n: section without questions\n")
    with pytest.raises(ValueError, match="no analogy questions"):
        evaluate_analogies(toy_embeddings, tmp_path / "blank.txt")


# ---------------------------------------------------------------------------- by hand
# toy_embeddings (conftest.py): man, woman, king, queen, prince, princess, apple in 3-D.
def test_analogies_by_hand(tmp_path, toy_embeddings):
    path = tmp_path / "q.txt"
    path.write_text(": royals\nman king woman queen\nKing Man Queen Woman\n"
                    ": wrong\nman woman king princess\n"
                    ": unknown\nman king woman duchess\n")
    r = evaluate_analogies(toy_embeddings, path)
    assert (r.n_correct, r.n_attempted, r.n_total) == (2, 3, 4)
    assert r.accuracy == pytest.approx(2 / 3) and r.coverage == pytest.approx(3 / 4)
    assert list(r.sections) == ["royals", "wrong", "unknown"]
    royals, wrong, unknown = r.sections.values()
    assert (royals.correct, royals.attempted, royals.total, royals.accuracy) == (2, 2, 2, 1.0)
    assert (wrong.correct, wrong.attempted, wrong.accuracy) == (0, 1, 0.0)
    assert (unknown.attempted, unknown.total) == (0, 1) and math.isnan(unknown.accuracy)

    # case-sensitive: "King Man Queen Woman" is now unknown
    r = evaluate_analogies(toy_embeddings, path, case_insensitive=False)
    assert (r.n_correct, r.n_attempted) == (1, 2)
    # restricting to the first 3 words leaves no complete question
    r = evaluate_analogies(toy_embeddings, path, restrict_vocab=3)
    assert r.n_attempted == 0 and math.isnan(r.accuracy) and r.coverage == 0.0


def test_analogy_answer_outside_restricted_vocabulary_is_not_found(tmp_path, toy_embeddings):
    # with queen the 4th word and restrict_vocab=4, princess (6th) cannot be answered and
    # queen can; the question words must be inside too
    path = tmp_path / "q.txt"
    path.write_text(": s\nman king woman queen\n")
    assert evaluate_analogies(toy_embeddings, path, restrict_vocab=4).n_correct == 1
    assert evaluate_analogies(toy_embeddings, path, restrict_vocab=3).n_attempted == 0


def test_similarity_by_hand():
    deg = np.deg2rad
    angles = {"a": 0, "b": 30, "c": 60, "d": 120}
    emb = Embeddings(list(angles), [[np.cos(deg(t)), np.sin(deg(t))] for t in angles.values()])
    # cosines: (a,b) = .866, (a,c) = .5, (a,d) = -.5, (b,d) = 0
    pairs = [("a", "b", 9.0), ("a", "c", 5.0), ("A", "D", 1.0), ("b", "d", 3.0), ("a", "zzz", 2.0)]
    r = evaluate_similarity(emb, pairs)
    assert (r.n_pairs, r.n_found, r.oov_rate) == (5, 4, 0.2)
    assert r.spearman == pytest.approx(1.0)
    model, gold = [0.75 ** 0.5, 0.5, -0.5, 0.0], [9.0, 5.0, 1.0, 3.0]
    assert r.pearson == pytest.approx(np.corrcoef(model, gold)[0, 1])
    r = evaluate_similarity(emb, pairs, case_insensitive=False)  # ("A", "D") now unknown
    assert r.n_found == 3 and r.spearman == pytest.approx(1.0)
    r = evaluate_similarity(emb, [(w1, w2, -s) for w1, w2, s in pairs], restrict_vocab=3)
    assert r.n_found == 2 and r.spearman == pytest.approx(-1.0)
    r = evaluate_similarity(emb, [("x", "y", 1.0)])
    assert r.n_found == 0 and r.oov_rate == 1.0 and math.isnan(r.spearman)


# ---------------------------------------------------------------------------- against gensim
@pytest.fixture(scope="module")
def structured():
    """Random vectors over the words of the three test files, with analogy structure.

    For the first question that asks for a word ``d`` we set d = b - a + c + noise, so a
    fair share of the questions are answered correctly and a fair share are not. Upper-
    or lower-case variants of 150 words are inserted, some before and some after the
    original, to exercise the case-insensitive lookup (the first variant supplies the
    vector) and the exclusion of the question words' variants.
    """
    rng = np.random.default_rng(2024)
    questions = read_analogies(datapath("questions-words.txt"))
    words = list(dict.fromkeys(
        [w for q in questions for w in q[1:]]
        + [w for f in ("wordsim353.tsv", "simlex999.txt")
           for p in read_word_pairs(datapath(f)) for w in p[:2]]))
    rng.shuffle(words)
    d = 24
    vec = {w: rng.standard_normal(d) for w in words}
    seen = set()
    for _, a, b, c, e in questions:
        if e not in seen and e not in (a, b, c):
            vec[e] = vec[b] - vec[a] + vec[c] + 0.6 * rng.standard_normal(d)
            seen.add(e)
    for w in rng.choice(words, 150, replace=False):
        variant = w.lower() if w != w.lower() else w.title()
        if variant in vec:
            continue
        vec[variant] = vec[w] + 0.3 * rng.standard_normal(d)
        position = words.index(w) + (1 if rng.random() < 0.5 else 0)
        words.insert(position, variant)
    vectors = np.array([vec[w] for w in words], dtype=np.float32)
    emb = Embeddings(words, vectors)
    KeyedVectors = pytest.importorskip("gensim.models", reason=GENSIM_REASON).KeyedVectors
    kv = KeyedVectors(d)
    kv.add_vectors(words, vectors)
    return emb, kv


def reference_answers(emb, questions, n, case_insensitive=True, method="add"):
    """Float64 reference, one question at a time.

    Returns, per question, None if a word is unknown, else (predicted group, expected
    group, margin between the best and the runner-up score).
    """
    fold = str.upper if case_insensitive else (lambda w: w)
    first = {}
    for i, w in enumerate(emb.words[:n]):
        first.setdefault(fold(w), i)
    group = np.array([first[fold(w)] for w in emb.words[:n]])
    v = emb.vectors[:n].astype(np.float64)
    u = v / np.linalg.norm(v, axis=1, keepdims=True)
    out = []
    for _, *ws in questions:
        rows = [first.get(fold(w)) for w in ws]
        if None in rows:
            out.append(None)
            continue
        a, b, c, expected = rows
        if method == "add":
            s = u @ (u[b] - u[a] + u[c])
        else:
            cos = lambda r: (u @ u[r] + 1) / 2  # noqa: E731
            s = cos(b) * cos(c) / (cos(a) + 1e-3)
        s[np.isin(group, [a, b, c])] = -np.inf
        best, second = np.argsort(-s)[:2]
        out.append((group[best], expected, s[best] - s[second]))
    return out


@pytest.mark.parametrize("restrict", [None, 900])
def test_analogies_agree_with_gensim(structured, restrict):
    emb, kv = structured
    path = datapath("questions-words.txt")
    n = restrict or len(emb)
    ours = evaluate_analogies(emb, path, restrict_vocab=n)
    score, sections = kv.evaluate_word_analogies(path, restrict_vocab=n)
    total = sections[-1]
    assert total["section"] == "Total accuracy"
    assert ours.n_correct == len(total["correct"])
    assert ours.n_attempted == len(total["correct"]) + len(total["incorrect"])
    assert ours.accuracy == score
    assert 0.2 < ours.accuracy < 0.9  # the comparison is not between two trivial results
    for s in sections[:-1]:
        mine = ours.sections[s["section"]]
        assert (mine.correct, mine.attempted) == (len(s["correct"]), len(s["correct"]) + len(s["incorrect"]))
    assert ours.n_total == 19544 and ours.coverage == pytest.approx(ours.n_attempted / 19544)

    # the same answers as a float64 reference, and no near-tie that float32 rounding could
    # decide differently in the two implementations (which would make the test fragile)
    ref = [r for r in reference_answers(emb, read_analogies(path), n) if r is not None]
    assert len(ref) == ours.n_attempted
    assert sum(pred == want for pred, want, _ in ref) == ours.n_correct
    assert min(margin for _, _, margin in ref) > 1e-5


def test_case_sensitive_analogies_agree_with_gensim(structured):
    emb, kv = structured
    path = datapath("questions-words.txt")
    ours = evaluate_analogies(emb, path, restrict_vocab=None, case_insensitive=False)
    score, sections = kv.evaluate_word_analogies(path, restrict_vocab=len(emb), case_insensitive=False)
    assert ours.n_correct == len(sections[-1]["correct"]) and ours.accuracy == score


def test_3cosmul_matches_reference(structured):
    emb, _ = structured
    path = datapath("questions-words.txt")
    questions = read_analogies(path)
    ours = evaluate_analogies(emb, path, restrict_vocab=None, method="mul")
    ref = reference_answers(emb, questions, len(emb), method="mul")
    attempted = [r for r in ref if r is not None]
    assert ours.n_attempted == len(attempted)
    # per question, through the batched solver evaluate_analogies uses; questions whose
    # two best candidates are closer than float32 rounding can resolve are left out
    first, group = {}, []
    for i, w in enumerate(emb.words):
        group.append(first.setdefault(w.upper(), i))
    rows = np.array([[first[w.upper()] for w in q[1:4]] for q, r in zip(questions, ref)
                     if r is not None])
    predicted = emb._solve_analogies(rows[:, 0], rows[:, 1], rows[:, 2], method="mul",
                                     groups=np.array(group))
    clear = [(group[p], r[0]) for p, r in zip(predicted, attempted) if r[2] > 1e-5]
    assert len(clear) > 0.999 * len(attempted)
    assert all(ours_ == want for ours_, want in clear)
    n_close = len(attempted) - len(clear)
    assert abs(ours.n_correct - sum(p == e for p, e, _ in attempted)) <= n_close


@pytest.mark.parametrize("name", ["wordsim353.tsv", "simlex999.txt"])
@pytest.mark.parametrize("restrict", [None, 700])
def test_similarity_agrees_with_gensim(structured, name, restrict):
    emb, kv = structured
    n = restrict or len(emb)
    ours = evaluate_similarity(emb, datapath(name), restrict_vocab=n)
    p, s, oov_percent = kv.evaluate_word_pairs(datapath(name), restrict_vocab=n)
    assert ours.spearman == pytest.approx(s.statistic, abs=1e-9)
    assert ours.pearson == pytest.approx(p.statistic, abs=1e-6)  # gensim's cosines are float32
    assert ours.oov_rate * 100 == pytest.approx(oov_percent)
    assert ours.n_pairs == (353 if name.startswith("wordsim") else 999)
    assert 0 < ours.n_found <= ours.n_pairs


def test_evaluation_files_are_found_and_named():
    pytest.importorskip("gensim", reason=GENSIM_REASON)
    assert evaluation_file("wordsim353").name == "wordsim353.tsv"
    assert evaluation_file("simlex999").exists()
    with pytest.raises(ValueError, match="unknown evaluation set 'men'"):
        evaluation_file("men")
    # the analogy file is the one with 19,544 questions in 14 sections
    emb = Embeddings(["king", "queen"], np.eye(2, dtype=np.float32))
    res = evaluate_analogies(emb, evaluation_file("questions-words"))
    assert res.n_total == 19544 and len(res.sections) == 14


def test_evaluation_file_without_gensim(monkeypatch):
    monkeypatch.setitem(sys.modules, "gensim", None)
    with pytest.raises(DatasetError, match="pip install gensim"):
        evaluation_file("simlex999")

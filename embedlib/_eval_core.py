"""What :mod:`embedlib.evaluation` and the evaluation methods of
:class:`~embedlib.embeddings.Embeddings` share: the readers of the evaluation files
(which :mod:`embedlib.evaluation` exports), the check of word pairs given in Python,
which words are known, the cosines of word pairs and the answers to analogy questions.
"""

from __future__ import annotations

import math
import os

import numpy as np


# ---------------------------------------------------------------------- reading
def _lines(path):
    """(line number, text without line end) for each line of a UTF-8 file."""
    name = os.fspath(path)
    if not os.path.exists(name):
        raise FileNotFoundError(f"evaluation file not found: {name}")
    with open(name, "rb") as f:
        for lineno, raw in enumerate(f, 1):
            try:
                yield lineno, raw.decode("utf-8").rstrip("\r\n")
            except UnicodeDecodeError as e:
                raise ValueError(f"{name}, line {lineno}: not valid UTF-8 "
                                 f"(byte {e.start + 1}: {raw[e.start:e.start + 4]!r})") from None


def read_word_pairs(path) -> list[tuple[str, str, float]]:
    """Read a word-pair similarity file: ``word1<TAB>word2<TAB>score`` per line.

    Blank lines and lines starting with ``#`` (comments, the header of gensim's
    ``wordsim353.tsv`` and ``simlex999.txt``) are skipped. Fields are separated by tabs,
    or by white space if a line has no tab. Any other line is a ValueError naming the
    file and line.
    """
    name = os.fspath(path)
    pairs = []
    for lineno, line in _lines(path):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        fields = [f.strip() for f in line.split("\t")] if "\t" in line else line.split()
        if len(fields) != 3 or not fields[0] or not fields[1]:
            raise ValueError(f"{name}, line {lineno}: expected 'word1<TAB>word2<TAB>score', "
                             f"got {line!r}")
        try:
            score = float(fields[2])
        except ValueError:
            raise ValueError(f"{name}, line {lineno}: score {fields[2]!r} is not a number") \
                from None
        if not math.isfinite(score):
            raise ValueError(f"{name}, line {lineno}: score {fields[2]!r} is not finite")
        pairs.append((fields[0], fields[1], score))
    return pairs


def read_analogies(path) -> list[tuple[str, str, str, str, str]]:
    """Read an analogy file in the ``questions-words.txt`` format (Mikolov et al. 2013a).

    Lines ``": section name"`` start a section; every other non-blank line holds four
    words ``a b c d`` ("a is to b as c is to d"). Returns ``(section, a, b, c, d)``
    tuples in file order. A question before the first section line or a line without
    exactly four words is a ValueError naming the file and line.
    """
    name = os.fspath(path)
    section = None
    questions = []
    for lineno, line in _lines(path):
        stripped = line.strip()
        if not stripped:
            continue
        if stripped.startswith(":"):
            section = stripped[1:].strip()
            if not section:
                raise ValueError(f"{name}, line {lineno}: section line without a name")
            continue
        words = stripped.split()
        if len(words) != 4:
            raise ValueError(f"{name}, line {lineno}: expected four words 'a b c d' or a "
                             f"': section' line, got {line!r}")
        if section is None:
            raise ValueError(f"{name}, line {lineno}: question before the first "
                             "': section' line")
        questions.append((section, *words))
    return questions


def read_pairs(path_or_pairs) -> tuple[list, str]:
    """(the pairs of a file, or the pairs given, checked; the name of their source)."""
    if isinstance(path_or_pairs, (str, os.PathLike)):
        pairs, source = read_word_pairs(path_or_pairs), os.fspath(path_or_pairs)
    else:
        pairs, source = given_pairs(path_or_pairs), "the given pairs"
    if not pairs:
        raise ValueError(f"no word pairs in {source}")
    return pairs, source


def read_questions(path) -> list:
    questions = read_analogies(path)
    if not questions:
        raise ValueError(f"no analogy questions in {os.fspath(path)}")
    return questions


# ---------------------------------------------------------------------- answers


def known_words(embeddings, n_search: int, case_insensitive: bool):
    """(key -> row over the first n_search words, key function, group of each row).

    With case folding, the first row of each upper-cased spelling represents it and
    ``group[row]`` is that representative; otherwise ``group`` is ``arange(n_search)``.
    Rows that are not finite are not known (and are groups of their own).
    """
    words = embeddings.words[:n_search]
    finite = embeddings._finite()[:n_search]
    fold = str.upper if case_insensitive else (lambda w: w)
    table: dict[str, int] = {}
    group = np.arange(n_search, dtype=np.int64)
    for i in np.flatnonzero(finite).tolist():
        group[i] = table.setdefault(fold(words[i]), i)
    return table, fold, group


def given_pairs(pairs) -> list[tuple[str, str, float]]:
    """Pairs given in Python as (word1, word2, score) triples, checked."""
    if isinstance(pairs, (bytes, dict)) or not hasattr(pairs, "__iter__"):
        raise TypeError("path_or_pairs must be a path or an iterable of (word1, word2, "
                        f"score) triples, got {type(pairs).__name__}")
    checked = []
    for i, item in enumerate(pairs):
        if isinstance(item, (str, bytes)) or not hasattr(item, "__len__") or len(item) != 3:
            raise ValueError(f"pair {i} is {item!r}; expected a (word1, word2, score) triple")
        a, b, score = item
        try:
            score = float(score)
        except (TypeError, ValueError):
            raise ValueError(f"pair {i} is {item!r}: the score {score!r} is not a "
                             "number") from None
        if not math.isfinite(score):
            raise ValueError(f"pair {i} is {item!r}: the score is not finite")
        checked.append((a, b, score))
    return checked


def pair_cosines(embeddings, pairs, restrict_vocab, case_insensitive):
    """(human scores, cosines with NaN where a word is unknown) of (word1, word2, score)
    pairs."""
    n_search = embeddings._search_size(restrict_vocab)
    table, key, _ = known_words(embeddings, n_search, case_insensitive)
    rows = np.array([[table.get(key(a), -1), table.get(key(b), -1)] for a, b, _ in pairs],
                    dtype=np.int64)
    found = (rows >= 0).all(axis=1)
    model = np.full(len(pairs), np.nan)
    if found.any():
        va = embeddings.vectors[rows[found, 0]].astype(np.float64)
        vb = embeddings.vectors[rows[found, 1]].astype(np.float64)
        den = np.linalg.norm(va, axis=1) * np.linalg.norm(vb, axis=1)
        dots = np.einsum("ij,ij->i", va, vb)
        model[found] = np.divide(dots, den, out=np.zeros_like(dots), where=den > 0)
    return np.array([p[2] for p in pairs], dtype=np.float64), model


def answer_analogies(embeddings, questions, restrict_vocab, method: str,
                     case_insensitive: bool) -> tuple[np.ndarray, np.ndarray]:
    """(attempted, correct): per question ``(section, a, b, c, d)``, whether its four
    words are known and whether the answer is ``d`` (up to case when
    ``case_insensitive``)."""
    n_search = embeddings._search_size(restrict_vocab)
    table, key, group = known_words(embeddings, n_search, case_insensitive)
    rows = np.array([[table.get(key(w), -1) for w in words] for _, *words in questions],
                    dtype=np.int64).reshape(len(questions), 4)
    attempted = (rows >= 0).all(axis=1)
    q = rows[attempted]
    predicted = embeddings._solve_analogies(
        q[:, 0], q[:, 1], q[:, 2], method=method, restrict_vocab=n_search,
        groups=group if case_insensitive else None)
    # rows from `table` are group representatives, so comparing groups accepts any case
    # variant of the expected word (as gensim does).
    ok = (predicted >= 0) & (group[np.maximum(predicted, 0)] == q[:, 3])
    correct = np.zeros(len(questions), dtype=bool)
    correct[attempted] = ok
    return attempted, correct

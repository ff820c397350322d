"""The further methods of :class:`~embedlib.embeddings.Embeddings`: analogies, the queries
that carry gensim's ``KeyedVectors`` names, arguments and results, and the conversions to
and from gensim.

They are functions of an ``Embeddings`` (``self``) that the class takes as its methods
(:data:`MEMBERS`); they use its public methods and its query checks, so that every query
refuses what has no direction (a zero vector, a word whose vector is zero or not finite)
and leaves out the words that are not finite.
"""

from __future__ import annotations

import logging
import warnings

import numpy as np

from ._checks import check_choice, check_int
from ._log import warn
from ._query_args import as_items, query_array, query_target
from ._similarity import (COSMUL_EPSILON, MAX_SCORE_ELEMENTS, METHODS, analogy_candidates,
                          analogy_scores, cosines, cosmul_scores, top_k)
from ._similarity import solve_analogies as _solve

logger = logging.getLogger("embedlib.embeddings")

#: The epsilon of gensim's ``most_similar_cosmul`` (the analogy method "mul" uses Levy &
#: Goldberg's 1e-3).
GENSIM_COSMUL_EPSILON = 1e-6
_GENSIM_MISSING = ("{what} needs gensim, which embedlib does not require: "
                   "pip install 'embedlib[gensim]' (or pip install gensim)")


def _query_unit(self, key) -> tuple[np.ndarray, int | None]:
    """(unit float64 vector, row or None) of a query word, row number or vector."""
    if isinstance(key, np.ndarray):
        v = query_array(key, self.vector_size)
        return v / np.linalg.norm(v), None
    row = self._query_row(key)
    return self.normalized()[row].astype(np.float64), row


# ---------------------------------------------------------------------- analogies
def analogy(self, a: str, b: str, c: str, method: str = "add", topn: int = 1,
            restrict_vocab: int | None = None):
    """Solve "``a`` is to ``b`` as ``c`` is to ?" (Mikolov et al. 2013a).

    Parameters
    ----------
    a, b, c : str
        The question words, e.g. ``("man", "king", "woman")`` expecting ``"queen"``.
    method : {"add", "mul"}
        ``"add"`` is 3CosAdd, :math:`\\arg\\max_x \\cos(x, \\hat b - \\hat a + \\hat c)`;
        ``"mul"`` is 3CosMul (Levy & Goldberg 2014),
        :math:`\\arg\\max_x \\cos'(x,b)\\cos'(x,c) / (\\cos'(x,a) + 10^{-3})` with
        :math:`\\cos' = (\\cos + 1) / 2`.
    topn : int
        Number of candidates returned.
    restrict_vocab : int, optional
        Search only the first ``restrict_vocab`` rows.

    Returns
    -------
    list of (str, float)
        Best candidates first with their score: the cosine with
        :math:`\\hat b - \\hat a + \\hat c` for "add", the 3CosMul objective for "mul".
        ``a``, ``b`` and ``c`` are never returned, nor words that are not finite.
    """
    check_choice("method", method, METHODS)
    topn = check_int("topn", topn, low=0)
    n_search = self._search_size(restrict_vocab)
    if method == "add":  # an error if b - a + c has no direction
        query_target(self, [(b, 1.0), (a, -1.0), (c, 1.0)], n_search)
    rows = [self._query_row(w) for w in (a, b, c)]
    ia, ib, ic = (np.array([r]) for r in rows)
    unit = self.normalized()
    cand = analogy_candidates(unit, n_search, method)
    scores = analogy_scores(unit, ia, ib, ic, cand, method, COSMUL_EPSILON)[0]
    scores = scores.astype(np.float64)
    if method == "add":  # the cosine: divided by the length of b - a + c
        scores /= np.linalg.norm(unit[rows[1]].astype(np.float64) - unit[rows[0]]
                                 + unit[rows[2]])
    self._drop_nonfinite(scores)
    scores[[r for r in rows if r < n_search]] = -np.inf
    best = top_k(scores, min(topn, int(np.isfinite(scores).sum())))
    return [(self.words[i], float(scores[i])) for i in best]


def solve_analogies(self, a, b, c, *, method: str = "add",
                    restrict_vocab: int | None = None, groups=None,
                    max_elements: int = MAX_SCORE_ELEMENTS) -> np.ndarray:
    """Answer many analogy questions at once; returns the predicted row per question.

    ``a``, ``b``, ``c`` are arrays of row indices. Candidates are the first
    ``restrict_vocab`` rows minus the question rows and the rows that are not finite;
    with ``groups`` (an int array over those rows, e.g. "same word up to case"), every
    row in the group of a question word is excluded too. Scores are computed ``chunk``
    questions at a time with one matrix product (three for "mul"), so memory stays
    under ``max_elements`` float32 entries per score matrix. The answer is -1 when no
    candidate is left. Ties go to the lower row.
    """
    check_choice("method", method, METHODS)
    a, b, c = (np.asarray(x, dtype=np.int64) for x in (a, b, c))
    n_search = self._search_size(restrict_vocab)
    if groups is not None:
        groups = np.asarray(groups, dtype=np.int64)
        if groups.shape != (n_search,):
            raise ValueError(f"groups must have shape ({n_search},), got {groups.shape}")
    unit = self.normalized()
    return _solve(unit, a, b, c, n_search, method, COSMUL_EPSILON, groups, max_elements,
                  self._nonfinite[self._nonfinite < n_search])


# ---------------------------------------------------------------------- gensim's queries
def most_similar_cosmul(self, positive=(), negative=(), topn: int | None = 10,
                        restrict_vocab: int | None = None):
    """Words that maximize the multiplicative objective of Levy & Goldberg (2014).

    As gensim's ``most_similar_cosmul``: the score of a word ``x`` is
    :math:`\\prod_{p} \\cos'(x, p) / (\\prod_{n} \\cos'(x, n) + 10^{-6})` over the
    ``positive`` and ``negative`` terms, with :math:`\\cos' = (\\cos + 1) / 2`; with two
    positive words and one negative it is 3CosMul. Vectors are scaled to unit length
    first (gensim uses them as given, which takes :math:`\\cos'` out of [0, 1]), and
    ``restrict_vocab`` limits the search (gensim 4 ignores it).

    Parameters
    ----------
    positive, negative : str, int, 1-D array, or a list of them
        Words, row numbers or vectors; weighted pairs are not taken.
    topn : int or None
        How many results; None returns the score of every searched word.
    restrict_vocab : int, optional
        Search only the first ``restrict_vocab`` rows.

    Returns
    -------
    list of (str, float)
        ``(word, score)``, best first, query words and words that are not finite excluded.
    """
    if topn is not None:
        topn = check_int("topn", topn, low=0)
    n_search = self._search_size(restrict_vocab)
    terms = [[_query_unit(self, k) for k in as_items(x)] for x in (positive, negative)]
    if not terms[0]:
        raise ValueError("most_similar_cosmul needs at least one positive word")
    pos_rows, neg_rows = ({r for _, r in t if r is not None} for t in terms)
    if pos_rows & neg_rows:
        word = self.words[min(pos_rows & neg_rows)]
        raise ValueError(f"{word!r} is both positive and negative: its factors cancel and "
                         "every word would score the same")
    scores = cosmul_scores(self.normalized()[:n_search], [v for v, _ in terms[0]],
                           [v for v, _ in terms[1]], GENSIM_COSMUL_EPSILON)
    if topn is None:
        return self._drop_nonfinite(scores, np.nan)
    self._drop_nonfinite(scores)
    scores[[r for r in pos_rows | neg_rows if r < n_search]] = -np.inf
    best = top_k(scores, min(topn, int(np.isfinite(scores).sum())))
    return [(self.words[i], float(scores[i])) for i in best]


def similar_by_word(self, word, topn: int | None = 10, restrict_vocab: int | None = None):
    """``most_similar(positive=[word], ...)``, as in gensim."""
    return self.most_similar(positive=[word], topn=topn, restrict_vocab=restrict_vocab)


def similar_by_key(self, key, topn: int | None = 10, restrict_vocab: int | None = None):
    """gensim 4's name of :meth:`similar_by_word`."""
    return self.most_similar(positive=[key], topn=topn, restrict_vocab=restrict_vocab)


def similar_by_vector(self, vector, topn: int | None = 10,
                      restrict_vocab: int | None = None):
    """The words closest in cosine to ``vector`` (nothing excluded), as in gensim."""
    return self.most_similar(positive=[np.asarray(vector)], topn=topn,
                             restrict_vocab=restrict_vocab)


def doesnt_match(self, words) -> str:
    """The word of ``words`` farthest from their mean, as gensim's ``doesnt_match``:
    the lowest cosine between a word's unit vector and the mean of the unit vectors.

    Words not in the vocabulary are left out with a warning (gensim logs one).
    """
    words = [words] if isinstance(words, str) else list(words)
    used = [w for w in words if w in self]
    if len(used) < len(words):
        warn(f"doesnt_match: leaving out the words not in the vocabulary: "
             f"{', '.join(repr(w) for w in words if w not in self)}")
    if not used:
        raise ValueError("doesnt_match needs at least one word of the vocabulary")
    vectors = np.array([self.normalized()[self._query_row(w)] for w in used], dtype=np.float64)
    mean = vectors.mean(axis=0)
    if not np.linalg.norm(mean) > 1e-6:
        raise ValueError("the words' unit vectors add up to zero: none stands out")
    dists = vectors @ (mean / np.linalg.norm(mean))
    return min(zip(dists.tolist(), used))[1]


def n_similarity(self, ws1, ws2) -> float:
    """Cosine of the means of the vectors of two lists of words, as gensim's
    ``n_similarity`` (the raw vectors are averaged). A word not in the vocabulary is a
    KeyError (gensim leaves it out); an empty list is a ValueError."""
    means = []
    for name, ws in (("ws1", ws1), ("ws2", ws2)):
        ws = [ws] if isinstance(ws, str) else list(ws)
        if not ws:
            raise ValueError(f"n_similarity: {name} is empty")
        rows = [self.get_index(w) for w in ws]
        for row in rows:
            if not self._finite()[row]:
                raise self._nonfinite_error(row)
        means.append(self.vectors[rows].astype(np.float64).mean(axis=0))
    if not (means[0].any() and means[1].any()):
        raise ValueError("n_similarity: the mean vector of a list is zero")
    return float(cosines(means[0], means[1][None, :])[0])


def distance(self, w1, w2) -> float:
    """Cosine distance ``1 - similarity(w1, w2)``."""
    return 1.0 - self.similarity(w1, w2)


def distances(self, word_or_vector, other_words=()) -> np.ndarray:
    """Cosine distances (``1 - cos``) from a word or vector to ``other_words``, or to every
    word (itself included) if ``other_words`` is empty; as gensim's ``distances``.
    A word whose vector is zero is at distance 1; one that is not finite at NaN."""
    unit, _ = _query_unit(self, np.asarray(word_or_vector)
                          if not isinstance(word_or_vector, str)
                          and not np.isscalar(word_or_vector) else word_or_vector)
    if len(other_words):
        rows = np.array([self.get_index(w) for w in other_words], dtype=np.int64)
    else:
        rows = np.arange(len(self))
    sims = (self.normalized()[rows] @ unit.astype(np.float32)).astype(np.float64)
    sims[~self._finite()[rows]] = np.nan
    return 1.0 - sims


def cosine_similarities(vector_1, vectors_all) -> np.ndarray:
    """Cosine of ``vector_1`` with each row of ``vectors_all`` (float64), as gensim's
    static method; 0 where either vector is zero (gensim divides by zero: NaN)."""
    return cosines(vector_1, np.atleast_2d(vectors_all))


def closer_than(self, key1, key2) -> list:
    """The words closer to ``key1`` than ``key2`` is (``key1`` itself left out)."""
    d = distances(self, key1)
    row1, row2 = self.get_index(key1), self.get_index(key2)
    return [self.words[i] for i in np.flatnonzero(d < d[row2]) if i != row1]


def rank(self, key1, key2) -> int:
    """The rank of ``key2`` among the neighbours of ``key1`` (1 for the nearest)."""
    return len(closer_than(self, key1, key2)) + 1


def get_vecattr(self, key, attr: str):
    """gensim's ``get_vecattr``: the corpus ``"count"`` of a word (the only attribute)."""
    check_choice("attr", attr, ("count",))
    if self._counts is None:
        raise KeyError(f"these embeddings have no counts, so no {attr!r} for {key!r}")
    return int(self._counts[self.get_index(key)])


# ---------------------------------------------------------------------- evaluation
def evaluate_word_pairs(self, pairs, restrict_vocab: int | None = 300000,
                        case_insensitive: bool = True, dummy4unknown: bool = False):
    """gensim's ``evaluate_word_pairs``: ``(pearson, spearman, oov_ratio)``.

    ``pearson`` and ``spearman`` are scipy's results (statistic and p-value) for the
    human scores against the cosines, ``oov_ratio`` the percentage of pairs with an
    unknown word (skipped, or scored 0 with ``dummy4unknown``). ``pairs`` is a file read
    by :func:`~embedlib.evaluation.read_word_pairs` (which rejects the malformed lines
    gensim skips) or the pairs themselves; :func:`~embedlib.evaluation.evaluate_similarity`
    has the arguments and the conventions.
    """
    from scipy import stats

    from ._eval_core import pair_cosines, read_pairs

    pairs, source = read_pairs(pairs)
    gold, model = pair_cosines(self, pairs, restrict_vocab, case_insensitive)
    known = ~np.isnan(model)
    oov = int((~known).sum())
    if dummy4unknown:
        model = np.where(known, model, 0.0)
    else:
        gold, model = gold[known], model[known]
    if not len(gold):
        raise ValueError(f"no pair of {source} has both words in the vocabulary")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # constant input: NaN, as the result says
        spearman, pearson = stats.spearmanr(gold, model), stats.pearsonr(gold, model)
    oov_ratio = 100.0 * oov / (len(gold) if dummy4unknown else len(gold) + oov)
    logger.info("Pearson correlation coefficient against %s: %.4f", source, pearson[0])
    logger.info("Spearman rank-order correlation coefficient against %s: %.4f", source,
                spearman[0])
    logger.info("Pairs with unknown words ratio: %.1f%%", oov_ratio)
    return pearson, spearman, oov_ratio


def evaluate_word_analogies(self, analogies, restrict_vocab: int | None = 300000,
                            case_insensitive: bool = True, dummy4unknown: bool = False,
                            similarity_function: str = "most_similar"):
    """gensim's ``evaluate_word_analogies``: ``(score, sections)``.

    ``score`` is the share of correct answers among the questions answered (0.0 if none);
    ``sections`` is a list of ``{"section": name, "correct": [...], "incorrect": [...]}``
    with the questions as ``(a, b, c, expected)`` tuples (upper-cased when
    ``case_insensitive``, as gensim does), in file order, then ``"Total accuracy"``. With
    ``dummy4unknown`` the questions with unknown words count as incorrect.
    ``similarity_function`` is ``"most_similar"`` (3CosAdd) or ``"most_similar_cosmul"``
    (3CosMul, the analogy method "mul"; gensim 4 ignores this argument).
    :func:`~embedlib.evaluation.evaluate_analogies` has the conventions.
    """
    from ._eval_core import answer_analogies, read_questions

    check_choice("similarity_function", similarity_function,
                 ("most_similar", "most_similar_cosmul"))
    method = "add" if similarity_function == "most_similar" else "mul"
    questions = read_questions(analogies)
    attempted, correct = answer_analogies(self, questions, restrict_vocab, method,
                                          case_insensitive)
    fold = str.upper if case_insensitive else (lambda w: w)
    sections: dict[str, dict] = {}
    for (name, *words), tried, ok in zip(questions, attempted, correct):
        section = sections.setdefault(name, {"section": name, "correct": [], "incorrect": []})
        if tried or dummy4unknown:
            section["correct" if ok else "incorrect"].append(tuple(map(fold, words)))
    result = list(sections.values())
    result.append({"section": "Total accuracy",
                   "correct": [q for s in result for q in s["correct"]],
                   "incorrect": [q for s in result for q in s["incorrect"]]})
    for s in result:
        right, wrong = len(s["correct"]), len(s["incorrect"])
        if right + wrong:
            logger.info("%s: %.1f%% (%i/%i)", s["section"], 100.0 * right / (right + wrong),
                        right, right + wrong)
    total = result[-1]
    answered = len(total["correct"]) + len(total["incorrect"])
    return (len(total["correct"]) / answered if answered else 0.0), result


# ---------------------------------------------------------------------- gensim objects
def to_gensim(self):
    """These vectors as a gensim ``KeyedVectors`` (a copy; counts as its "count"
    attribute). Needs gensim, an optional dependency (the ``gensim`` extra)."""
    try:
        from gensim.models import KeyedVectors
    except ImportError:
        raise ImportError(_GENSIM_MISSING.format(what="Embeddings.to_gensim")) from None
    kv = KeyedVectors(self.vector_size, count=0, dtype=np.float32)
    kv.add_vectors(list(self.words), np.array(self.vectors))
    if self.counts is not None:  # (add_vectors' extras= does not work in gensim 4.3)
        kv.allocate_vecattrs(["count"], [np.int64])
        kv.expandos["count"][:] = self.counts
    return kv


def from_gensim(cls, kv):
    """Embeddings from a gensim ``KeyedVectors``, or from a gensim ``Word2Vec`` (or any
    model with ``.wv``), whose ``syn1neg`` (if it has one) becomes the context matrix.
    Counts come from gensim's "count" attribute when it has one (for vectors gensim read
    from a word2vec file, gensim makes them up: descending integers)."""
    context = None
    if hasattr(kv, "wv"):
        syn1neg = getattr(kv, "syn1neg", None)
        if syn1neg is not None and np.size(syn1neg) and len(syn1neg) == len(kv.wv):
            context = syn1neg
        kv = kv.wv
    if not hasattr(kv, "index_to_key") or not hasattr(kv, "vectors"):
        raise TypeError(f"from_gensim takes a gensim KeyedVectors or model with .wv, got "
                        f"{type(kv).__name__}")
    words = list(kv.index_to_key)
    for i, w in enumerate(words):
        if not isinstance(w, str):
            raise TypeError(f"gensim key {w!r} (row {i}) is not a str; embedlib's words are "
                            "strings")
    expandos = getattr(kv, "expandos", {})
    counts = expandos.get("count") if "count" in expandos else None
    if counts is not None and len(counts) != len(words):
        counts = None
    return cls(words, np.array(kv.vectors), context, counts)


#: The methods of Embeddings defined here, by name.
MEMBERS = {
    "analogy": analogy, "_solve_analogies": solve_analogies,
    "most_similar_cosmul": most_similar_cosmul, "similar_by_word": similar_by_word,
    "similar_by_key": similar_by_key, "similar_by_vector": similar_by_vector,
    "doesnt_match": doesnt_match, "n_similarity": n_similarity, "distance": distance,
    "distances": distances, "cosine_similarities": staticmethod(cosine_similarities),
    "closer_than": closer_than, "rank": rank, "get_vecattr": get_vecattr,
    "evaluate_word_pairs": evaluate_word_pairs,
    "evaluate_word_analogies": evaluate_word_analogies,
    "to_gensim": to_gensim, "from_gensim": classmethod(from_gensim),
}

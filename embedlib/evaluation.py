"""Intrinsic evaluation: word-pair similarity and word analogies.

Word-pair similarity (WordSim353, SimLex-999, ...): the cosine similarity of each pair
of word vectors is compared with human judgements by Spearman's rank correlation (the
usual headline number) and Pearson's correlation.

Analogies (Mikolov et al. 2013a, the ``questions-words.txt`` set): for each question
"``a`` is to ``b`` as ``c`` is to ``d``" the model answers with the best word ``x`` by
3CosAdd or 3CosMul (Levy & Goldberg 2014) -- see :mod:`embedlib.embeddings` -- and the
answer counts as correct when it is ``d``.

The standard data sets (WordSim353, SimLex-999 and ``questions-words.txt``) come with
gensim's wheel; :func:`evaluation_file` finds them.

Both functions follow gensim's ``KeyedVectors.evaluate_word_pairs`` and
``evaluate_word_analogies`` conventions so that the numbers are comparable (the methods
of :class:`~embedlib.embeddings.Embeddings` with those names return gensim's results):

* out-of-vocabulary items are skipped (not counted as wrong) and reported through
  ``oov_rate`` / ``coverage``; so are words whose vectors have NaN or infinite values;
* with ``case_insensitive=True`` (default) words are compared after ``str.upper()`` (as
  gensim does); when several vocabulary words differ only in case, the first one (the
  most frequent, if the vocabulary is sorted by frequency) supplies the vector;
* only the first ``restrict_vocab`` words of the vocabulary count as known, and analogy
  answers are searched among them only: 300,000 by default for analogies, as in gensim;
  all words for word pairs (gensim: 300,000; the same for any smaller vocabulary).

The results are logged at INFO on the ``embedlib.evaluation`` logger.

References
----------
Mikolov, T., Chen, K., Corrado, G., Dean, J. (2013a). Efficient Estimation of Word
Representations in Vector Space. arXiv:1301.3781.

Levy, O., Goldberg, Y. (2014). Linguistic Regularities in Sparse and Explicit Word
Representations. CoNLL 2014.

Finkelstein, L. et al. (2002). Placing Search in Context: The Concept Revisited (WordSim353).

Hill, F., Reichart, R., Korhonen, A. (2015). SimLex-999: Evaluating Semantic Models with
(Genuine) Similarity Estimation.
"""

from __future__ import annotations

import importlib.util
import logging
import math
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ._checks import check_choice
from ._errors import DatasetError
from ._eval_core import (answer_analogies, pair_cosines, read_analogies, read_pairs,
                         read_questions, read_word_pairs)
from .embeddings import Embeddings

logger = logging.getLogger(__name__)

__all__ = [
    "SimilarityResult", "AnalogyResult", "SectionResult",
    "evaluate_similarity", "evaluate_analogies",
    "EVALUATION_FILES", "evaluation_file",
    "read_word_pairs", "read_analogies", "spearman", "pearson",
]


# ---------------------------------------------------------------------- statistics
def _paired(x, y) -> tuple[np.ndarray, np.ndarray]:
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if x.shape != y.shape or x.ndim != 1:
        raise ValueError(f"x and y must be 1-D of equal length, got {x.shape} and {y.shape}")
    return x, y


def pearson(x, y) -> float:
    """Pearson's correlation coefficient; NaN if fewer than 2 values or a constant input.

    The same value as ``scipy.stats.pearsonr(x, y).statistic`` up to rounding (the tests
    compare the two to 1e-9; they differ by at most 2e-16). It is not computed by
    ``pearsonr``, whose other order of operations changes the last bit of some results,
    because the chapters record correlations to the last digit.
    """
    x, y = _paired(x, y)
    if len(x) < 2 or (x == x[0]).all() or (y == y[0]).all():
        return math.nan
    # first scaled by a power of two to a largest magnitude in [0.5, 1): exact, so the result
    # is the same to the last bit, except that the mean of values near the smallest float
    # (e.g. 0 and 5e-324) no longer rounds to a value that does not center them
    x = np.ldexp(x, -np.frexp(np.abs(x).max())[1])
    y = np.ldexp(y, -np.frexp(np.abs(y).max())[1])
    dx = x - x.mean()
    dy = y - y.mean()
    dx /= np.abs(dx).max()  # scale to avoid under/overflow in the sums of squares
    dy /= np.abs(dy).max()
    den = math.sqrt(float(dx @ dx) * float(dy @ dy))
    return float(np.clip(float(dx @ dy) / den, -1.0, 1.0))


def spearman(x, y) -> float:
    """Spearman's rank correlation: :func:`pearson` of the ranks, which are
    ``scipy.stats.rankdata``'s (ties get the average of the ranks they span), as in
    ``scipy.stats.spearmanr``."""
    from scipy import stats  # imported when needed: scipy.stats takes 0.5 s to import

    x, y = _paired(x, y)
    return pearson(stats.rankdata(x), stats.rankdata(y))


# ---------------------------------------------------------------------- reading
#: The evaluation files gensim's wheel ships (``gensim/test/test_data``), by short name.
EVALUATION_FILES = {
    "wordsim353": "wordsim353.tsv",      # Finkelstein et al. 2002, relatedness
    "simlex999": "simlex999.txt",        # Hill, Reichart & Korhonen 2015, similarity
    "questions-words": "questions-words.txt",  # Mikolov et al. 2013a, analogies
}


def evaluation_file(name: str) -> Path:
    """Path of a standard evaluation set: ``"wordsim353"``, ``"simlex999"`` or
    ``"questions-words"``.

    The files come with gensim's wheel (``pip install gensim``); embedlib reads them from
    there rather than shipping copies of its own.
    """
    if name not in EVALUATION_FILES:
        raise ValueError(f"unknown evaluation set {name!r}; choose one of "
                         f"{', '.join(EVALUATION_FILES)}")
    spec = importlib.util.find_spec("gensim")  # found, not imported (that takes seconds)
    if spec is None or spec.origin is None:
        raise DatasetError(f"the {name} evaluation file comes with gensim's wheel: "
                           "pip install gensim")
    path = Path(spec.origin).parent / "test" / "test_data" / EVALUATION_FILES[name]
    if not path.exists():
        raise DatasetError(f"{path.name} is missing from the installed gensim ({path.parent})")
    return path


# ---------------------------------------------------------------------- similarity
@dataclass(frozen=True)
class SimilarityResult:
    """Agreement of cosine similarities with human scores on a word-pair data set.

    Attributes
    ----------
    spearman : float
        Spearman's rank correlation over the pairs found (NaN if fewer than two).
    pearson : float
        Pearson's correlation over the pairs found (NaN if fewer than two).
    n_pairs : int
        Pairs in the data set.
    n_found : int
        Pairs whose two words are both known (the ones evaluated).
    oov_rate : float
        ``1 - n_found / n_pairs``: the fraction of pairs skipped (gensim reports the
        same quantity as a percentage).
    """

    spearman: float
    pearson: float
    n_pairs: int
    n_found: int
    oov_rate: float


def evaluate_similarity(embeddings: Embeddings, path_or_pairs, *,
                        restrict_vocab: int | None = None,
                        case_insensitive: bool = True) -> SimilarityResult:
    """Correlate the model's cosine similarities with human word-pair similarity scores.

    Parameters
    ----------
    embeddings : Embeddings
    path_or_pairs : str, os.PathLike or iterable of (str, str, float)
        A file read by :func:`read_word_pairs` (e.g. gensim's ``wordsim353.tsv`` or
        ``simlex999.txt``), or the pairs themselves.
    restrict_vocab : int, optional
        Only the first ``restrict_vocab`` words count as known (default: all).
    case_insensitive : bool
        Compare words after ``str.upper()``, like gensim's ``evaluate_word_pairs``
        default; the first (most frequent) case variant supplies the vector.

    Returns
    -------
    SimilarityResult
        Pairs with an out-of-vocabulary word are skipped, as gensim does by default;
        their share is ``oov_rate``.

    Notes
    -----
    The model similarity of a pair is the cosine of the two ``W`` rows (0 for an all-zero
    vector). Spearman's rho is computed with average ranks for ties.
    """
    pairs, source = read_pairs(path_or_pairs)
    gold, model = pair_cosines(embeddings, pairs, restrict_vocab, case_insensitive)
    found = ~np.isnan(model)
    n_found, n_pairs = int(found.sum()), len(gold)
    if n_found:
        rho, r = spearman(gold[found], model[found]), pearson(gold[found], model[found])
    else:
        rho = r = math.nan
    logger.info("word pairs %s: Spearman %.4f, Pearson %.4f, %d of %d pairs found", source,
                rho, r, n_found, n_pairs)
    return SimilarityResult(spearman=rho, pearson=r, n_pairs=n_pairs, n_found=n_found,
                            oov_rate=(n_pairs - n_found) / n_pairs)


# ---------------------------------------------------------------------- analogies
@dataclass(frozen=True)
class SectionResult:
    """Analogy results of one section (e.g. ``"capital-common-countries"``)."""

    correct: int
    attempted: int
    total: int
    accuracy: float  # correct / attempted; NaN if nothing was attempted


@dataclass(frozen=True)
class AnalogyResult:
    """Analogy accuracy overall and per section.

    Attributes
    ----------
    accuracy : float
        ``n_correct / n_attempted`` (NaN if no question could be attempted).
    coverage : float
        ``n_attempted / n_total``.
    n_correct, n_attempted, n_total : int
        A question is attempted when its four words are all known.
    sections : dict of str -> SectionResult
        In file order.
    """

    accuracy: float
    coverage: float
    n_correct: int
    n_attempted: int
    n_total: int
    sections: dict[str, SectionResult] = field(repr=False)


def evaluate_analogies(embeddings: Embeddings, path, *, restrict_vocab: int | None = 300000,
                       method: str = "add", case_insensitive: bool = True) -> AnalogyResult:
    """Accuracy on an analogy test set such as ``questions-words.txt`` (Mikolov et al. 2013a).

    For each question "a is to b as c is to d" whose four words are all among the first
    ``restrict_vocab`` words, the answer is the best-scoring word among those first
    ``restrict_vocab`` words other than a, b and c (and their case variants when
    ``case_insensitive``), by 3CosAdd (``method="add"``, Mikolov et al. 2013a) or 3CosMul
    (``method="mul"``, Levy & Goldberg 2014). It is correct when it is ``d``. This is
    what gensim's ``evaluate_word_analogies`` (3CosAdd only) and word2vec's
    ``compute-accuracy`` compute.

    Parameters
    ----------
    embeddings : Embeddings
    path : str or os.PathLike
        Analogy file, read by :func:`read_analogies`.
    restrict_vocab : int or None
        Size of the known/searched vocabulary: the first (most frequent) words. None
        means all. The default 300000 is gensim's; Mikolov et al. (2013a) and word2vec's
        ``compute-accuracy`` use 30000.
    method : {"add", "mul"}
    case_insensitive : bool
        Compare words after ``str.upper()`` (gensim's default); the first case variant
        of a word supplies its vector.

    Returns
    -------
    AnalogyResult
        Questions with unknown words are skipped (not counted wrong); see ``coverage``.

    Notes
    -----
    All attempted questions are answered in batches with matrix products (see
    ``Embeddings._solve_analogies``), chunked so that each score matrix holds at most
    2**24 float32 values. Ties go to the more frequent word. Words whose vectors are not
    finite are neither known nor answers.
    """
    check_choice("method", method, ("add", "mul"))
    questions = read_questions(path)
    attempted, correct = answer_analogies(embeddings, questions, restrict_vocab, method,
                                          case_insensitive)
    section_names: dict[str, int] = {}
    section_of = np.array([section_names.setdefault(q[0], len(section_names))
                           for q in questions], dtype=np.int64)
    n_sections = len(section_names)
    totals = np.bincount(section_of, minlength=n_sections)
    attempts = np.bincount(section_of, weights=attempted, minlength=n_sections).astype(int)
    rights = np.bincount(section_of, weights=correct, minlength=n_sections).astype(int)
    sections = {name: SectionResult(correct=int(rights[s]), attempted=int(attempts[s]),
                                    total=int(totals[s]),
                                    accuracy=_ratio(rights[s], attempts[s]))
                for name, s in section_names.items()}
    n_correct, n_attempted = int(correct.sum()), int(attempted.sum())
    result = AnalogyResult(accuracy=_ratio(n_correct, n_attempted),
                           coverage=n_attempted / len(questions), n_correct=n_correct,
                           n_attempted=n_attempted, n_total=len(questions),
                           sections=sections)
    logger.info("analogies %s (%s): accuracy %.2f%% (%d of %d attempted), coverage %.2f%%",
                os.fspath(path), method, 100 * result.accuracy, n_correct, n_attempted,
                100 * result.coverage)
    return result


def _ratio(a, b) -> float:
    return float(a) / float(b) if b else math.nan

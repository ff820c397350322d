"""Trained word vectors and the queries people run on them.

:class:`Embeddings` holds the word matrix ``W`` (one row per word), optionally the
context (output) matrix ``C``, the corpus counts and, for GloVe, the two bias vectors.
Similarity queries use cosine similarity, computed as dot products of unit-length rows
(:meth:`Embeddings.normalized`), one matrix-vector or matrix-matrix product per query
or batch of queries -- never a Python loop over the vocabulary.

Analogies ("``a`` is to ``b`` as ``c`` is to ?", Mikolov et al. 2013a) are answered with

* 3CosAdd: :math:`\\arg\\max_x \\cos(x, b - a + c)` on unit vectors (Mikolov et al.
  2013a), equivalently :math:`\\cos(x,b) - \\cos(x,a) + \\cos(x,c)`;
* 3CosMul: :math:`\\arg\\max_x \\frac{\\cos'(x,b)\\,\\cos'(x,c)}{\\cos'(x,a) + \\varepsilon}`
  with :math:`\\cos' = (\\cos + 1)/2` and :math:`\\varepsilon = 10^{-3}` (Levy & Goldberg
  2014, eq. 4 and footnote 7),

where ``x`` ranges over the vocabulary (or its ``restrict_vocab`` most frequent words)
minus the three question words.

The class turns words into rows and checks arguments; the array arithmetic of the queries
is in the private module ``embedlib._similarity``, and the file layouts that
:meth:`Embeddings.save` and :meth:`Embeddings.load` write and read are in
:mod:`embedlib.formats`.

References
----------
Mikolov, T., Chen, K., Corrado, G., Dean, J. (2013a). Efficient Estimation of Word
Representations in Vector Space. arXiv:1301.3781.

Levy, O., Goldberg, Y. (2014). Linguistic Regularities in Sparse and Explicit Word
Representations. CoNLL 2014, 171-180.
"""

from __future__ import annotations

import numbers
import os
from collections.abc import Sequence

import numpy as np

from . import formats
from ._checks import check_choice, check_int
from ._similarity import (MAX_SCORE_ELEMENTS, METHODS, analogy_candidates, analogy_scores,
                          solve_analogies, top_k, unit_rows)

__all__ = ["Embeddings", "COSMUL_EPSILON"]

#: The epsilon of 3CosMul (Levy & Goldberg 2014) that keeps the denominator positive.
COSMUL_EPSILON = 1e-3

_COMBINATIONS = ("W", "C", "W+C", "concat")


def _readonly(a: np.ndarray | None) -> np.ndarray | None:
    if a is None:
        return None
    view = a.view()
    view.flags.writeable = False
    return view


def _as_real_array(name: str, value, dtype, ndim: int) -> np.ndarray:
    arr = np.asarray(value)
    if arr.dtype.kind not in "fiub":
        raise TypeError(f"{name} must be a real-valued array, got dtype {arr.dtype}")
    if arr.ndim != ndim:
        want = "(n_words, vector_size)" if ndim == 2 else "(n_words,)"
        raise ValueError(f"{name} must be a {ndim}-D array of shape {want}, got shape {arr.shape}")
    return np.ascontiguousarray(arr, dtype=dtype)


def _per_word(name: str, value, dtype, n: int) -> np.ndarray:
    """A 1-D array with one value per word (counts, biases)."""
    arr = _as_real_array(name, value, dtype, 1)
    if arr.shape != (n,):
        raise ValueError(f"{name} must have shape ({n},), got {arr.shape}")
    return arr


def _stored(name: str, doc: str) -> property:
    """A read-only property that returns the attribute ``_<name>``."""
    attr = "_" + name
    return property(lambda self: getattr(self, attr), doc=doc)


class Embeddings:
    """Word vectors: the rows of ``W`` (and optionally ``C``) indexed by word.

    Parameters
    ----------
    words : sequence of str
        The vocabulary, one entry per row, all distinct. Word2vec and GloVe order it by
        decreasing frequency, which is what ``restrict_vocab`` arguments rely on.
    vectors : array_like, shape (n_words, vector_size)
        The word (input) vectors ``W``; stored as C-contiguous float32.
    context : array_like, shape (n_words, vector_size), optional
        The context (output) vectors ``C``: word2vec's ``syn1neg`` with negative
        sampling (the output matrix of the full softmax otherwise), GloVe's
        :math:`\\tilde w`; ``None`` for a tied model, whose one matrix is ``vectors``.
    counts : array_like of int, shape (n_words,), optional
        Corpus frequencies; stored as int64, must be non-negative.
    bias, context_bias : array_like, shape (n_words,), optional
        GloVe's biases :math:`b` and :math:`\\tilde b`; stored as float32.
    syn1 : array_like, shape (n_words - 1, vector_size), optional
        The output vectors of the inner nodes of hierarchical softmax (word2vec's and
        gensim's ``syn1``); their tree is ``embedlib.huffman.huffman_tree`` of
        ``counts``. Stored as float32.

    Notes
    -----
    The arrays are exposed as read-only views (``emb.vectors[0] = ...`` raises), because
    :meth:`normalized` caches unit vectors computed from them. Use :meth:`combine` or a
    new ``Embeddings`` to derive other vectors. Non-finite values are not rejected.
    """

    def __init__(self, words, vectors, context=None, counts=None, *, bias=None,
                 context_bias=None, syn1=None):
        if isinstance(words, (str, bytes)):
            raise TypeError("words must be a sequence of str, not a single string")
        words = tuple(words)
        for i, w in enumerate(words):
            if not isinstance(w, str):
                raise TypeError(f"words must be str, got {type(w).__name__} {w!r} at position {i}")
        if any(type(w) is not str for w in words):  # e.g. numpy.str_ from an array of words
            words = tuple(str(w) for w in words)
        index = {w: i for i, w in enumerate(words)}
        if len(index) != len(words):
            seen = set()
            for i, w in enumerate(words):
                if w in seen:
                    raise ValueError(
                        f"duplicate word {w!r} in words (positions {index[w]} and {i}); "
                        "each word must appear once")
                seen.add(w)
        n = len(words)

        vectors = _as_real_array("vectors", vectors, np.float32, 2)
        if vectors.shape[0] != n:
            raise ValueError(f"vectors has {vectors.shape[0]} rows but there are {n} words")
        if vectors.shape[1] < 1:
            raise ValueError(f"vectors must have at least one column, got shape {vectors.shape}")
        d = vectors.shape[1]
        if context is not None:
            context = _as_real_array("context", context, np.float32, 2)
            if context.shape != (n, d):
                raise ValueError(f"context must have the shape of vectors {(n, d)}, "
                                 f"got {context.shape}")
        if counts is not None:
            counts = np.asarray(counts)
            if counts.dtype.kind not in "iu" and counts.size:
                raise TypeError(f"counts must be integers, got dtype {counts.dtype}")
            counts = _per_word("counts", counts, np.int64, n)
            if n and counts.min() < 0:
                raise ValueError(f"counts must be >= 0, got {counts.min()} "
                                 f"for word {words[int(counts.argmin())]!r}")
        if bias is not None:
            bias = _per_word("bias", bias, np.float32, n)
        if syn1 is not None:
            syn1 = _as_real_array("syn1", syn1, np.float32, 2)
            if syn1.shape != (max(n - 1, 0), d):
                raise ValueError(f"syn1 must have one row per inner node of the tree, shape "
                                 f"{(max(n - 1, 0), d)}, got {syn1.shape}")
        if context_bias is not None:
            context_bias = _per_word("context_bias", context_bias, np.float32, n)

        self._words = words
        self._index = index
        self._vectors = _readonly(vectors)
        self._context = _readonly(context)
        self._counts = _readonly(counts)
        self._bias = _readonly(bias)
        self._context_bias = _readonly(context_bias)
        self._syn1 = _readonly(syn1)
        self._unit = None

    # ------------------------------------------------------------------ container
    @property
    def words(self) -> tuple[str, ...]:
        """The vocabulary; ``words[i]`` is the word of row ``i``."""
        return self._words

    @property
    def index(self) -> dict[str, int]:
        """word -> row. Do not modify."""
        return self._index

    vectors = _stored("vectors", "``W``, float32, shape (n_words, vector_size), read-only.")
    context = _stored("context", "``C`` (context/output vectors) or None.")
    counts = _stored("counts", "int64 corpus counts or None.")
    bias = _stored("bias", "GloVe's word biases :math:`b` (float32) or None.")
    context_bias = _stored("context_bias",
                           "GloVe's context biases :math:`\\tilde b` (float32) or None.")
    syn1 = _stored("syn1", "The inner nodes' vectors of hierarchical softmax (float32, "
                           "n_words - 1 rows) or None.")

    @property
    def vector_size(self) -> int:
        return self._vectors.shape[1]

    def __len__(self) -> int:
        return len(self._words)

    def __contains__(self, word) -> bool:
        try:
            return word in self._index
        except TypeError:  # unhashable
            return False

    def __iter__(self):
        return iter(self._words)

    def get_index(self, word: str) -> int:
        """Row of ``word``; KeyError naming the word if it is not in the vocabulary."""
        try:
            return self._index[word]
        except (KeyError, TypeError):
            raise KeyError(f"word {word!r} not in vocabulary") from None

    def __getitem__(self, word):
        """The vector of a word (read-only view), or a 2-D array for a list of words."""
        if isinstance(word, str):
            return self._vectors[self.get_index(word)]
        if isinstance(word, (list, tuple, np.ndarray)):
            rows = [self.get_index(w) for w in word]
            return self._vectors[np.asarray(rows, dtype=np.int64)]
        raise TypeError(f"index with a word (str) or a list of words, not {type(word).__name__}")

    def __repr__(self) -> str:
        text = f"{len(self)} words x {self.vector_size} dims"
        extras = [name for name, a in (("context", self._context), ("counts", self._counts),
                                       ("bias", self._bias)) if a is not None]
        if extras:
            text += " with " + ", ".join(extras)
        if self._words:
            text += ": " + ", ".join(self._words[:5]) + (", ..." if len(self) > 5 else "")
        return f"Embeddings({text})"

    # ------------------------------------------------------------------ geometry
    def normalized(self) -> np.ndarray:
        """Rows of ``W`` scaled to unit Euclidean length (float32, read-only, cached).

        Norms are accumulated in float64. All-zero rows stay zero (their cosine with
        anything is 0), so no NaN appears.
        """
        if self._unit is None:
            self._unit = _readonly(unit_rows(self._vectors))
        return self._unit

    def similarity(self, w1: str, w2: str) -> float:
        """Cosine similarity of the vectors of two words (0.0 if either is all zeros)."""
        a = self._vectors[self.get_index(w1)].astype(np.float64)
        b = self._vectors[self.get_index(w2)].astype(np.float64)
        den = np.sqrt(a @ a) * np.sqrt(b @ b)
        return float(a @ b / den) if den > 0 else 0.0

    def _search_size(self, restrict_vocab) -> int:
        if restrict_vocab is None:
            return len(self)
        return min(check_int("restrict_vocab", restrict_vocab, low=1), len(self))

    def _query_vector(self, item) -> tuple[np.ndarray, int | None]:
        """(unit vector, row or None) for a word or a raw vector in a query."""
        if isinstance(item, str):
            row = self.get_index(item)
            return self.normalized()[row].astype(np.float64), row
        v = np.asarray(item, dtype=np.float64)
        if v.shape != (self.vector_size,):
            raise ValueError(f"query vectors must have shape ({self.vector_size},), got {v.shape}")
        norm = np.sqrt(v @ v)
        return (v / norm if norm > 0 else v), None

    def most_similar(self, positive=(), negative=(), topn: int | None = 10,
                     restrict_vocab: int | None = None):
        """Words whose vectors are closest in cosine to ``sum(positive) - sum(negative)``.

        Every query word or vector is scaled to unit length first, as in gensim's
        ``KeyedVectors.most_similar`` and word2vec's ``distance``/``word-analogy`` tools.

        Parameters
        ----------
        positive, negative : str, 1-D array, or a list of them
            Words (or raw vectors of length ``vector_size``) added / subtracted.
        topn : int or None
            How many results; ``None`` returns the cosine of every searched word with the
            query as an array (query words included).
        restrict_vocab : int, optional
            Search only the first ``restrict_vocab`` rows (the most frequent words).

        Returns
        -------
        list of (str, float)
            ``(word, cosine)``, best first; query words are excluded. Ties go to the more
            frequent (lower-row) word.
        """
        if topn is not None:
            topn = check_int("topn", topn, low=0)
        positive, negative = _as_items(positive), _as_items(negative)
        if not positive and not negative:
            raise ValueError("most_similar needs at least one positive or negative word")
        n_search = self._search_size(restrict_vocab)
        target = np.zeros(self.vector_size, dtype=np.float64)
        exclude = set()
        for sign, items in ((1.0, positive), (-1.0, negative)):
            for item in items:
                v, row = self._query_vector(item)
                target += sign * v
                if row is not None and row < n_search:
                    exclude.add(row)
        norm = np.sqrt(target @ target)
        if norm > 0:
            target /= norm
        sims = (self.normalized()[:n_search] @ target.astype(np.float32)).astype(np.float64)
        if topn is None:
            return sims
        if exclude:
            sims[list(exclude)] = -np.inf
        best = top_k(sims, min(topn, n_search - len(exclude)))
        return [(self._words[i], float(sims[i])) for i in best]

    # ------------------------------------------------------------------ analogies
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
            ``a``, ``b`` and ``c`` are never returned.
        """
        check_choice("method", method, METHODS)
        topn = check_int("topn", topn, low=0)
        rows = [self.get_index(w) for w in (a, b, c)]
        n_search = self._search_size(restrict_vocab)
        ia, ib, ic = (np.array([r]) for r in rows)
        unit = self.normalized()
        cand = analogy_candidates(unit, n_search, method)
        scores = analogy_scores(unit, ia, ib, ic, cand, method, COSMUL_EPSILON)[0]
        scores = scores.astype(np.float64)
        if method == "add":
            norm = np.linalg.norm(unit[rows[1]].astype(np.float64) - unit[rows[0]]
                                  + unit[rows[2]])
            if norm > 0:
                scores /= norm
        exclude = {r for r in rows if r < n_search}
        scores[list(exclude)] = -np.inf
        best = top_k(scores, min(topn, n_search - len(exclude)))
        return [(self._words[i], float(scores[i])) for i in best]

    def _solve_analogies(self, a, b, c, *, method: str = "add",
                         restrict_vocab: int | None = None, groups=None,
                         max_elements: int = MAX_SCORE_ELEMENTS) -> np.ndarray:
        """Answer many analogy questions at once; returns the predicted row per question.

        ``a``, ``b``, ``c`` are arrays of row indices. Candidates are the first
        ``restrict_vocab`` rows minus the question rows; with ``groups`` (an int array over
        those rows, e.g. "same word up to case"), every row in the group of a question word
        is excluded too. Scores are computed ``chunk`` questions at a time with one matrix
        product (three for "mul"), so memory stays under ``max_elements`` float32 entries
        per score matrix. The answer is -1 when no candidate is left. Ties go to the lower
        row.
        """
        check_choice("method", method, METHODS)
        a, b, c = (np.asarray(x, dtype=np.int64) for x in (a, b, c))
        n_search = self._search_size(restrict_vocab)
        if groups is not None:
            groups = np.asarray(groups, dtype=np.int64)
            if groups.shape != (n_search,):
                raise ValueError(f"groups must have shape ({n_search},), got {groups.shape}")
        return solve_analogies(self.normalized(), a, b, c, n_search, method, COSMUL_EPSILON,
                               groups, max_elements)

    # ------------------------------------------------------------------ derived
    def combine(self, which: str) -> "Embeddings":
        """New embeddings whose vectors are ``W``, ``C``, ``W + C`` or ``[W, C]``.

        Parameters
        ----------
        which : {"W", "C", "W+C", "concat"}
            ``"W+C"`` is the sum GloVe recommends (Pennington et al. 2014) and Levy et al.
            (2015) study for word2vec; ``"concat"`` stacks the two horizontally
            (``2 * vector_size`` columns).

        Returns
        -------
        Embeddings
            Same words and counts; no context matrix and no biases.
        """
        check_choice("which", which, _COMBINATIONS)
        if which != "W" and self._context is None:
            raise ValueError(f"combine({which!r}) needs the context matrix C, but these "
                             "embeddings have none (context=None)")
        if which == "W":
            vectors = self._vectors.copy()
        elif which == "C":
            vectors = self._context.copy()
        elif which == "W+C":
            vectors = self._vectors + self._context
        else:
            vectors = np.hstack([self._vectors, self._context])
        return Embeddings(self._words, vectors, counts=self._counts)

    # ------------------------------------------------------------------ files
    def save(self, path, format: str | None = None) -> None:
        """Write to ``path`` atomically; see :func:`embedlib.formats.save`.

        ``format`` is "text" or "binary" (word2vec formats: words and ``W`` only) or
        "npz" (everything); inferred from the extension (.txt/.vec, .bin, .npz) if None.
        """
        formats.save(self, path, format=format)

    @classmethod
    def load(cls, path, format: str | None = None, *,
             encoding_errors: str = "strict") -> "Embeddings":
        """Read embeddings written by :meth:`save`, gensim or the word2vec C tool.

        See :func:`embedlib.formats.load`; arrays that do not fit together (an npz file
        whose ``W`` has more rows than it has words) are a ValueError naming the file.
        """
        data = formats.load(path, format=format, encoding_errors=encoding_errors)
        try:
            return cls(data.words, data.vectors, data.context, data.counts, bias=data.bias,
                       context_bias=data.context_bias, syn1=data.syn1)
        except (ValueError, TypeError) as e:
            raise ValueError(f"{os.fspath(path)}: {e}") from None


def _as_items(x) -> list:
    """A query argument as a list: one word or vector becomes a one-element list."""
    if x is None:
        return []
    if isinstance(x, str):
        return [x]
    if isinstance(x, np.ndarray):
        return [x] if x.ndim == 1 else list(x)
    if isinstance(x, numbers.Number):
        raise TypeError(f"query items must be words or vectors, got {x!r}")
    if isinstance(x, Sequence) or hasattr(x, "__iter__"):
        return list(x)
    raise TypeError(f"query items must be words or vectors, got {type(x).__name__}")

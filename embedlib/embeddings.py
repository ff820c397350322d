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

A gensim user finds the names of ``KeyedVectors`` with their arguments and results:
``key_to_index``, ``index_to_key``, ``get_vector``, ``most_similar`` with weighted words
and vectors, ``most_similar_cosmul``, ``similar_by_word``, ``doesnt_match``,
``n_similarity``, ``distance``, ``distances``, ``rank``, ``evaluate_word_pairs``,
``evaluate_word_analogies``; an integer key is a row number, as in gensim.
:meth:`Embeddings.to_gensim` and :meth:`Embeddings.from_gensim` convert (gensim is
optional). Where embedlib differs it says so: a query that has no direction (a zero
vector, the same word positive and negative, a word whose vector is zero or not finite)
is a ValueError, never a list of arbitrary words at cosine 0, and words with NaN or
infinite values are left out of every result.

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

import os
from collections.abc import Iterable

import numpy as np

from . import _queries, formats
from ._checks import check_choice, check_int
from ._emb_checks import checked_arrays, checked_words, readonly
from ._query_args import is_row_number, query_target, weighted
from ._similarity import COSMUL_EPSILON as _COSMUL_EPSILON
from ._similarity import top_k, unit_rows

__all__ = ["Embeddings", "COSMUL_EPSILON"]

#: The epsilon of 3CosMul (Levy & Goldberg 2014) that keeps the denominator positive.
COSMUL_EPSILON = _COSMUL_EPSILON

_COMBINATIONS = ("W", "C", "W+C", "concat")


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
    new ``Embeddings`` to derive other vectors. Non-finite values are not rejected here
    (:meth:`load` rejects them unless told otherwise); the queries leave such words out
    of their results and refuse them as query words.
    """

    def __init__(self, words, vectors, context=None, counts=None, *, bias=None,
                 context_bias=None, syn1=None):
        words, index = checked_words(words)
        vectors, context, counts, bias, context_bias, syn1 = checked_arrays(
            words, vectors, context, counts, bias, context_bias, syn1)
        self._words = words
        self._index = index
        self._vectors = readonly(vectors)
        self._context = readonly(context)
        self._counts = readonly(counts)
        self._bias = readonly(bias)
        self._context_bias = readonly(context_bias)
        self._syn1 = readonly(syn1)
        self._unit = self._finite_rows = self._nonfinite = self._folded = None

    # ------------------------------------------------------------------ container
    @property
    def words(self) -> tuple[str, ...]:
        """The vocabulary; ``words[i]`` is the word of row ``i``."""
        return self._words

    @property
    def index(self) -> dict[str, int]:
        """word -> row. Do not modify."""
        return self._index

    key_to_index = property(lambda self: self._index, doc="gensim's name of :attr:`index`.")
    index_to_key = property(lambda self: self._words, doc="gensim's name of :attr:`words`.")
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
        """The number of values per vector (the columns of ``W``)."""
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

    def has_index_for(self, key) -> bool:
        """Whether ``key`` is a word of the vocabulary or a row number (gensim's test)."""
        return key in self or (is_row_number(key) and 0 <= key < len(self))

    def get_index(self, key, default=None) -> int:
        """Row of the word ``key`` (or ``key`` itself if it is a row number, as in gensim).

        A missing word is a KeyError naming it, with a hint when the word is in the
        vocabulary in another case; ``default``, if given, is returned instead.
        """
        try:
            return self._index[key]
        except (KeyError, TypeError):
            pass
        if is_row_number(key) and 0 <= key < len(self):
            return int(key)
        if default is not None:
            return default
        raise self._missing(key) from None

    def _missing(self, key) -> KeyError:
        if is_row_number(key):
            return KeyError(f"row {key} out of range: there are {len(self)} words")
        message = f"word {key!r} not in vocabulary"
        if isinstance(key, str):
            if self._folded is None:
                folded: dict[str, str] = {}
                for w in self._words:
                    folded.setdefault(w.casefold(), w)
                self._folded = folded
            other = self._folded.get(key.casefold())
            if other is not None:
                message += f"; words are case-sensitive, and {other!r} is in the vocabulary"
        return KeyError(message)

    def get_vector(self, key, norm: bool = False) -> np.ndarray:
        """The vector of a word (or row number): a read-only view of its row of ``W``, or
        with ``norm=True`` of :meth:`normalized` (unit length; zero stays zero)."""
        row = self.get_index(key)
        if not norm:
            return self._vectors[row]
        if not self._finite()[row]:
            raise self._nonfinite_error(row)
        return self.normalized()[row]

    def __getitem__(self, key):
        """The vector of a word or row number (read-only view), or a 2-D array for a list
        (or any iterable) of them."""
        if isinstance(key, str) or is_row_number(key):
            return self._vectors[self.get_index(key)]
        if isinstance(key, Iterable) and not isinstance(key, bytes):
            rows = [self.get_index(w) for w in key]
            return self._vectors[np.asarray(rows, dtype=np.int64)]
        raise TypeError(f"index with a word (str) or a list of words, not {type(key).__name__}")

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
        anything is 0), and so do rows with a NaN or an infinity, so no NaN appears.
        """
        if self._unit is None:
            unit, finite = unit_rows(self._vectors)
            self._unit = readonly(unit)
            self._finite_rows = readonly(finite)
            self._nonfinite = np.flatnonzero(~finite)
        return self._unit

    def _finite(self) -> np.ndarray:
        """Per row: whether it is finite (computed with :meth:`normalized`, read-only)."""
        self.normalized()
        return self._finite_rows

    def _nonfinite_error(self, row: int) -> ValueError:
        return ValueError(f"word {self._words[row]!r} (row {row}) has NaN or infinite values; "
                          "it has no cosine with any word")

    def _drop_nonfinite(self, scores: np.ndarray, value: float = -np.inf) -> np.ndarray:
        """``scores`` (one per row from 0) with ``value`` at the rows that are not finite."""
        self.normalized()
        bad = self._nonfinite[self._nonfinite < len(scores)]
        if len(bad):
            scores[bad] = value
        return scores

    def similarity(self, w1: str, w2: str) -> float:
        """Cosine similarity of the vectors of two words (0.0 if either is all zeros;
        a ValueError if either has NaN or infinite values)."""
        rows = [self.get_index(w) for w in (w1, w2)]
        for row in rows:
            if not np.isfinite(self._vectors[row]).all():
                raise self._nonfinite_error(row)
        a, b = (self._vectors[r].astype(np.float64) for r in rows)
        den = np.sqrt(a @ a) * np.sqrt(b @ b)
        return float(a @ b / den) if den > 0 else 0.0

    def _search_size(self, restrict_vocab) -> int:
        if restrict_vocab is None:
            return len(self)
        return min(check_int("restrict_vocab", restrict_vocab, low=1), len(self))

    def _query_row(self, key) -> int:
        """The row of a query word: an error if its vector is zero or not finite."""
        row = self.get_index(key)
        if not self._finite()[row]:
            raise self._nonfinite_error(row)
        if not self.normalized()[row].any():
            raise ValueError(f"word {self._words[row]!r} (row {row}) has an all-zero vector; "
                             "it has no direction to compare")
        return row

    def most_similar(self, positive=(), negative=(), topn: int | None = 10,
                     restrict_vocab: int | None = None):
        """Words whose vectors are closest in cosine to the weighted sum of the query.

        As gensim's ``KeyedVectors.most_similar``: each query word contributes its unit
        vector (word2vec's ``distance``/``word-analogy`` tools do the same), with weight 1
        in ``positive`` and -1 in ``negative``; a ``(word, weight)`` pair contributes with
        its weight as given (also in ``negative``); a vector contributes as it is, not
        scaled, times its weight. The target is the sum scaled to unit length.

        Parameters
        ----------
        positive, negative : str, int, 1-D array, (key, weight), or a list of them
            Words, row numbers or raw vectors of length ``vector_size``.
        topn : int or None
            How many results; ``None`` returns the cosine of every searched word with the
            query as an array (query words included, NaN for words that are not finite).
        restrict_vocab : int, optional
            Search only the first ``restrict_vocab`` rows (the most frequent words).

        Returns
        -------
        list of (str, float)
            ``(word, cosine)``, best first; query words are excluded, and so are words
            with NaN or infinite values. Ties go to the more frequent (lower-row) word.

        Raises
        ------
        ValueError
            If the query is empty or has no direction: a zero vector, the same word in
            ``positive`` and ``negative``, a word whose vector is zero or not finite.
        """
        if topn is not None:
            topn = check_int("topn", topn, low=0)
        items = weighted(positive, 1.0) + weighted(negative, -1.0)
        if not items:
            raise ValueError("most_similar needs at least one positive or negative word")
        n_search = self._search_size(restrict_vocab)
        target, exclude = query_target(self, items, n_search)
        sims = (self.normalized()[:n_search] @ target.astype(np.float32)).astype(np.float64)
        if topn is None:
            return self._drop_nonfinite(sims, np.nan)
        self._drop_nonfinite(sims)
        if exclude:
            sims[list(exclude)] = -np.inf
        best = top_k(sims, min(topn, int(np.isfinite(sims).sum())))
        return [(self._words[i], float(sims[i])) for i in best]

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

        ``format`` is "text", "glove" or "binary" (words and ``W`` only) or "npz"
        (everything); inferred from the extension (.txt/.vec, .bin, .npz, each but .npz
        also with .gz after it for a gzip-compressed file) if None.
        """
        formats.save(self, path, format=format)

    @classmethod
    def load(cls, path, format: str | None = None, *, encoding_errors: str = "strict",
             limit: int | None = None, nonfinite: str = "error") -> "Embeddings":
        """Read embeddings written by :meth:`save`, gensim, GloVe or the word2vec C tool.

        See :func:`embedlib.formats.load` for the formats (``.gz`` files included) and the
        options: ``limit`` reads the first ``limit`` words only, ``nonfinite="warn"`` loads
        a file with NaN or infinite values (an error by default), whose words the queries
        then leave out. Arrays that do not fit together (an npz file whose ``W`` has more
        rows than it has words) are a ValueError naming the file.
        """
        data = formats.load(path, format=format, encoding_errors=encoding_errors,
                            limit=limit, nonfinite=nonfinite)
        try:
            return cls(data.words, data.vectors, data.context, data.counts, bias=data.bias,
                       context_bias=data.context_bias, syn1=data.syn1)
        except (ValueError, TypeError) as e:
            raise ValueError(f"{os.fspath(path)}: {e}") from None


# The further queries -- analogy, most_similar_cosmul, similar_by_word, similar_by_key,
# similar_by_vector, doesnt_match, n_similarity, distance, distances, cosine_similarities,
# closer_than, rank, get_vecattr, evaluate_word_pairs, evaluate_word_analogies, to_gensim,
# from_gensim -- are functions of embedlib._queries that become methods here.
for _name, _method in _queries.MEMBERS.items():
    setattr(Embeddings, _name, _method)
del _name, _method

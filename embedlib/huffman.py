"""The Huffman tree of hierarchical softmax: a binary code for every word, from the counts.

Hierarchical softmax (Morin & Bengio 2005; Mikolov et al. 2013a, b) replaces the softmax
over V output vectors by a binary tree with the V words at its leaves and V - 1 inner
nodes, each with an output vector (word2vec's ``syn1``, :attr:`Word2Vec.syn1_
<embedlib.word2vec.Word2Vec.syn1_>`). The path from the root to word ``w`` visits the inner
nodes ``points[0..L-1]`` and turns left (code 0) or right (code 1) at each; with input
vector ``h``,

    p(w | h) = Π_{j<L} σ(s_j · h·v_{points[j]}),   s_j = 1 - 2 code_j,

so code 0 is the branch of probability σ(h·v) and code 1 that of σ(-h·v) = 1 - σ(h·v):
at every node the two branches sum to 1, hence so do the leaves (:func:`hs_log_probabilities`
computes them all). A Huffman tree built from the word counts minimizes the mean path
length Σ_w f_w L_w: frequent words have short codes, and a training step costs O(log V)
instead of O(V).

The tree is built as the word2vec C tool's ``CreateBinaryTree`` builds it: with the words
sorted by decreasing count, two cursors walk the leaves (from the rarest) and the inner
nodes (in the order they are made); each step merges the two smallest of what the cursors
point at, the leaf winning only if its count is strictly smaller; the first of the two
gets code 0, the second code 1. Inner node ``a`` (made at step ``a``) is row ``a`` of
``syn1``; the root is row V - 2. gensim (``_build_heap``, ``_assign_binary_codes``) uses
the same numbering and the same codes (left, the smaller, 0), and gets the same tree up
to how equal counts are ordered. Building takes O(V) steps for the merges and O(Σ L_w)
for the codes, in Numba: a few milliseconds for a million words.
"""

from __future__ import annotations

from typing import NamedTuple

import numba
import numpy as np

from ._jit import EXACT

__all__ = ["HuffmanTree", "huffman_tree", "hs_log_probabilities"]


class HuffmanTree(NamedTuple):
    """The paths of all words through the tree, in one flat layout.

    Word ``w``'s path is ``points[offsets[w]:offsets[w + 1]]`` (the inner nodes from the
    root down, as rows of ``syn1``) with ``codes`` over the same range (the branch taken
    at each, 0 or 1). Made by :func:`huffman_tree`.
    """

    codes: np.ndarray
    """uint8, the branch taken at every node of every path (0 or 1)."""
    points: np.ndarray
    """int32, the inner nodes of every path (0 .. V - 2; the root is V - 2)."""
    offsets: np.ndarray
    """int64, shape (V + 1,): where each word's path starts."""

    @property
    def n_words(self) -> int:
        """V, the number of leaves."""
        return len(self.offsets) - 1

    @property
    def lengths(self) -> np.ndarray:
        """The code length L_w of every word (int64)."""
        return np.diff(self.offsets)

    @property
    def max_length(self) -> int:
        """The longest code (the depth of the tree)."""
        return int(self.lengths.max()) if self.n_words else 0

    def code(self, w: int) -> np.ndarray:
        """The code of word ``w`` (uint8 array, root first)."""
        return self.codes[self.offsets[w]:self.offsets[w + 1]]

    def point(self, w: int) -> np.ndarray:
        """The inner nodes on the path of word ``w`` (int32 array, root first)."""
        return self.points[self.offsets[w]:self.offsets[w + 1]]


def huffman_tree(counts) -> HuffmanTree:
    """The Huffman tree of the word counts, as word2vec's ``CreateBinaryTree`` makes it.

    Parameters
    ----------
    counts : array_like of int, shape (V,)
        Word counts, V >= 1. The C tool expects them sorted by decreasing count (as a
        :class:`~embedlib.corpus.Vocabulary` is); other orders are sorted first (stably),
        and the paths are returned in the words' own order.

    Returns
    -------
    HuffmanTree
    """
    counts = np.asarray(counts)
    if counts.ndim != 1 or len(counts) == 0:
        raise ValueError(f"counts must be a non-empty 1-D array, got shape {counts.shape}")
    if counts.dtype.kind not in "iu":
        raise TypeError(f"counts must be integers, got dtype {counts.dtype}")
    if counts.min() < 0:
        raise ValueError(f"counts must be >= 0, got {counts.min()}")
    if len(counts) == 1:  # one leaf, an empty path (as _build makes it, without loading it)
        return HuffmanTree(np.zeros(0, np.uint8), np.zeros(0, np.int32), np.zeros(2, np.int64))
    counts = counts.astype(np.int64)
    if np.all(counts[:-1] >= counts[1:]):
        order = np.arange(len(counts), dtype=np.int64)
    else:
        order = np.argsort(-counts, kind="stable").astype(np.int64)
    return HuffmanTree(*_build(counts[order], order))


@numba.njit(**dict(EXACT, inline="always"))
def _smallest(count, pos1, pos2, made):
    """The smaller of the rarest unmerged leaf ``pos1`` and the oldest unmerged inner node
    ``pos2`` (the leaf only if strictly smaller, as in the C code); returns (it, pos1, pos2)
    with its cursor moved on."""
    if pos1 >= 0 and (pos2 >= made or count[pos1] < count[pos2]):
        return pos1, pos1 - 1, pos2
    return pos2, pos1, pos2 + 1


@numba.njit(**EXACT)
def _build(sorted_counts, order):
    """The merges of ``CreateBinaryTree`` on counts sorted decreasing (leaf k is word
    ``order[k]``), then every word's path from the root down."""
    V = len(sorted_counts)
    n_nodes = 2 * V - 1
    count = np.empty(n_nodes, np.int64)
    count[:V] = sorted_counts
    parent = np.zeros(n_nodes, np.int64)
    binary = np.zeros(n_nodes, np.uint8)
    pos1 = V - 1    # the rarest leaf not merged yet
    pos2 = V        # the oldest inner node not merged yet
    for a in range(V - 1):
        made = V + a  # inner nodes V .. made - 1 exist
        min1, pos1, pos2 = _smallest(count, pos1, pos2, made)
        min2, pos1, pos2 = _smallest(count, pos1, pos2, made)
        count[made] = count[min1] + count[min2]
        parent[min1] = made
        parent[min2] = made
        binary[min2] = 1
    # depths top down: a parent is always made after its children
    root = n_nodes - 1
    depth = np.zeros(n_nodes, np.int64)
    for node in range(root - 1, -1, -1):
        depth[node] = depth[parent[node]] + 1
    offsets = np.zeros(V + 1, np.int64)
    for k in range(V):
        offsets[order[k] + 1] = depth[k]
    for w in range(V):
        offsets[w + 1] += offsets[w]
    codes = np.empty(offsets[V], np.uint8)
    points = np.empty(offsets[V], np.int32)
    for k in range(V):
        w = order[k]
        b = k
        j = offsets[w + 1] - 1
        while b != root:
            codes[j] = binary[b]
            points[j] = parent[b] - V
            b = parent[b]
            j -= 1
    return codes, points, offsets


def hs_log_probabilities(h, syn1, tree: HuffmanTree) -> np.ndarray:
    """log p(w | h) for every word w under hierarchical softmax, in float64.

    ``log p(w | h) = Σ_j log σ((1 - 2 code_j) h·syn1[points_j])`` over the path of w
    (see the module docstring); ``exp`` of the result sums to 1 over the vocabulary.

    Parameters
    ----------
    h : array_like, shape (d,)
        The input vector (a row of W for skip-gram, the mean of the context rows for CBOW).
    syn1 : array_like, shape (V - 1, d)
        The output vectors of the inner nodes.
    tree : HuffmanTree
    """
    h = np.asarray(h, dtype=np.float64)
    syn1 = np.asarray(syn1, dtype=np.float64)
    V = tree.n_words
    if syn1.shape != (V - 1, h.shape[0]):
        raise ValueError(f"syn1 must have shape {(V - 1, h.shape[0])} for a tree of {V} "
                         f"words and vectors of size {h.shape[0]}, got {syn1.shape}")
    z = syn1 @ h
    x = (1.0 - 2.0 * tree.codes) * z[tree.points]
    log_sig = -np.logaddexp(0.0, -x)
    word = np.repeat(np.arange(V), tree.lengths)
    return np.bincount(word, weights=log_sig, minlength=V)

"""The Huffman tree of hierarchical softmax against word2vec.c's CreateBinaryTree, gensim's
tree, and what a Huffman code must be."""

import heapq
import subprocess
import sys

import numpy as np
import pytest

from embedlib.huffman import HuffmanTree, hs_log_probabilities, huffman_tree


def create_binary_tree(counts):
    """word2vec.c's CreateBinaryTree, line by line (counts sorted decreasing): the codes
    and points of every word, root first."""
    V = len(counts)
    count = list(counts) + [10**15] * V
    binary = [0] * (2 * V + 1)
    parent = [0] * (2 * V + 1)
    pos1, pos2 = V - 1, V
    for a in range(V - 1):
        mins = []
        for _ in range(2):
            if pos1 >= 0 and count[pos1] < count[pos2]:
                mins.append(pos1)
                pos1 -= 1
            else:
                mins.append(pos2)
                pos2 += 1
        count[V + a] = count[mins[0]] + count[mins[1]]
        parent[mins[0]] = parent[mins[1]] = V + a
        binary[mins[1]] = 1
    codes, points = [], []
    for a in range(V):
        code, point, b = [], [], a
        while b != 2 * V - 2:
            code.append(binary[b])
            point.append(b)
            b = parent[b]
        codes.append(code[::-1])
        # vocab[a].point[0] = V - 2, point[i - b] = point[b] - V: the nodes above the leaf
        points.append(([V - 2] + [p - V for p in point[::-1]])[:len(code)])
    return codes, points


@pytest.mark.parametrize("counts", [
    [50, 20, 20, 10, 10, 10, 5, 5, 5, 5, 1, 1],     # many ties, between leaves and nodes
    [9, 8, 7, 6, 5, 4, 3, 2, 1],
    [4, 4, 4, 4, 4, 4, 4, 4],
    [1000, 1],
    list(np.sort(np.random.default_rng(0).integers(1, 40, 300))[::-1]),
])
def test_the_tree_is_word2vec_c_s(counts):
    tree = huffman_tree(counts)
    codes, points = create_binary_tree(counts)
    for w in range(len(counts)):
        assert tree.code(w).tolist() == codes[w]
        assert tree.point(w).tolist() == points[w]


def test_the_tree_is_gensim_s_when_counts_are_distinct():
    pytest.importorskip("gensim")
    from gensim.models import KeyedVectors
    from gensim.models.word2vec import _assign_binary_codes

    rng = np.random.default_rng(1)
    counts = np.sort(rng.choice(10**6, 500, replace=False) + 1)[::-1]
    kv = KeyedVectors(4, count=len(counts))
    kv.index_to_key = [f"w{i}" for i in range(len(counts))]
    kv.key_to_index = {w: i for i, w in enumerate(kv.index_to_key)}
    for i, c in enumerate(counts):
        kv.set_vecattr(i, "count", int(c))
    _assign_binary_codes(kv)
    tree = huffman_tree(counts)
    for w in range(len(counts)):
        np.testing.assert_array_equal(tree.code(w), kv.get_vecattr(w, "code"))
        np.testing.assert_array_equal(tree.point(w), kv.get_vecattr(w, "point"))


def optimal_cost(counts):
    """Σ_w count_w L_w of a Huffman code: the sum of all merged counts (heapq)."""
    heap = list(map(int, counts))
    heapq.heapify(heap)
    cost = 0
    while len(heap) > 1:
        a, b = heapq.heappop(heap), heapq.heappop(heap)
        cost += a + b
        heapq.heappush(heap, a + b)
    return cost


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_prefix_code_of_minimal_length(seed):
    rng = np.random.default_rng(seed)
    counts = np.sort((1e5 / np.arange(1, 2001) ** rng.uniform(0.8, 1.2)).astype(np.int64)
                     + rng.integers(0, 3, 2000))[::-1]
    tree = huffman_tree(counts)
    L = tree.lengths
    assert np.sum(2.0 ** -L) == pytest.approx(1.0, abs=1e-12)     # Kraft: a full tree
    strings = sorted("".join(map(str, tree.code(w))) for w in range(len(counts)))
    assert all(not b.startswith(a) for a, b in zip(strings, strings[1:]))   # prefix-free
    assert int((counts * L).sum()) == optimal_cost(counts)
    # the inner nodes of every path are distinct, and the root (V - 2) comes first
    assert all(len(set(tree.point(w))) == L[w] and tree.point(w)[0] == len(counts) - 2
               for w in range(len(counts)))
    assert tree.points.min() >= 0 and tree.points.max() == len(counts) - 2
    assert L[0] == L.min() and L[-1] == L.max() == tree.max_length


def test_unsorted_counts_give_each_word_its_sorted_code():
    counts = np.array([3, 17, 1, 8, 30, 2, 5])
    perm = np.argsort(-counts, kind="stable")
    a, b = huffman_tree(counts), huffman_tree(counts[perm])
    for rank, w in enumerate(perm):
        np.testing.assert_array_equal(a.code(w), b.code(rank))
        np.testing.assert_array_equal(a.point(w), b.point(rank))


def test_small_trees():
    one = huffman_tree([7])
    assert one.lengths.tolist() == [0] and len(one.codes) == 0
    two = huffman_tree([5, 3])         # the rarer word is merged first: code 0
    assert two.code(0).tolist() == [1] and two.code(1).tolist() == [0]
    assert two.point(0).tolist() == two.point(1).tolist() == [0]


def test_the_one_leaf_tree_is_the_built_one_without_its_kernel():
    """Training without hierarchical softmax passes the kernel a one-leaf tree: it must be
    what _build makes (values, dtypes, layout: the same compiled kernel takes it), and
    making it must not load _build, a cached kernel a process would load for nothing."""
    from embedlib.huffman import _build
    built = _build(np.ones(1, np.int64), np.zeros(1, np.int64))
    one = huffman_tree(np.ones(1, np.int64))
    for a, b in zip(one, built):
        assert a.dtype == b.dtype and a.flags.c_contiguous and a.tolist() == b.tolist()
    code = ("import numpy as np; from embedlib import Word2Vec, huffman; "
            "Word2Vec(vector_size=8, min_count=1, epochs=1, verbose=False, workers=1)"
            ".fit([['a', 'b', 'c', 'a']] * 20); print(len(huffman._build.signatures))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.split() == ["0"]


@pytest.mark.parametrize("counts,error,match", [
    ([], ValueError, "non-empty"), ([[1, 2]], ValueError, "1-D"),
    ([1.5, 2.0], TypeError, "integers"), ([3, -1], ValueError, ">= 0"),
])
def test_bad_counts(counts, error, match):
    with pytest.raises(error, match=match):
        huffman_tree(np.array(counts))


def test_probabilities_sum_to_one_and_follow_the_path():
    rng = np.random.default_rng(3)
    counts = np.sort(rng.integers(1, 1000, 50))[::-1]
    tree = huffman_tree(counts)
    S = rng.normal(0, 1.0, (49, 6))
    h = rng.normal(0, 1.0, 6)
    logp = hs_log_probabilities(h, S, tree)
    assert np.exp(logp).sum() == pytest.approx(1.0, abs=1e-12)
    w = 17
    sig = lambda x: 1 / (1 + np.exp(-x))
    expected = np.prod([sig((1 - 2 * int(c)) * (S[p] @ h)) for c, p in
                        zip(tree.code(w), tree.point(w))])
    assert np.exp(logp[w]) == pytest.approx(expected, rel=1e-12)
    with pytest.raises(ValueError, match="syn1 must have shape"):
        hs_log_probabilities(h, S[:-1], tree)
    assert isinstance(tree, HuffmanTree) and tree.n_words == 50

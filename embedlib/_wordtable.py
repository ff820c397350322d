"""The hash table of words that the corpus pass (:mod:`embedlib._scan`) counts in and
looks words up in.

Open addressing with linear probing on FNV-1a 64-bit hashes of the token's bytes.
``slots`` (a power of two, at most 70% full) holds ``word index + 1`` (0: empty); per
word, ``hashes``, ``starts`` and ``lengths`` (its bytes in ``arena``), ``counts`` and
``firsts`` (the global byte offset of its first occurrence, so that tables filled by
different threads over different chunks merge into the order of first appearance).
``meta`` holds [words, arena bytes used, word limit (0: none), min_reduce, words pruned,
bytes the next word needs]. A kernel that runs out of room returns ``GROW``;
Python grows the table (:func:`grow`) and calls again from where it stopped. With a
word limit, a table that is full is pruned instead, as word2vec.c's ``ReduceVocab``
does: words with ``count <= min_reduce`` are dropped and ``min_reduce`` goes up by one,
until there is room.
"""

from __future__ import annotations

from collections import namedtuple

import numba
import numpy as np

from ._jit import EXACT, INLINE

__all__ = ["Table", "new_table", "grow", "merge", "word_table", "gather_words", "find",
           "add", "count_one", "fnv", "FNV_OFFSET", "FNV_PRIME", "M_WORDS", "M_PRUNED"]

# meta of a table
M_WORDS = 0
M_ARENA = 1
M_LIMIT = 2
M_MIN_REDUCE = 3
M_PRUNED = 4
M_NEED = 5

FNV_OFFSET = np.uint64(0xcbf29ce484222325)
FNV_PRIME = np.uint64(0x100000001b3)
MAX_LOAD_NUM, MAX_LOAD_DEN = 7, 10

Table = namedtuple("Table", "slots hashes starts lengths counts firsts arena meta")
Table.__doc__ = """A hash table of words (see the module's docstring); all arrays, so that it
goes to Numba as one argument."""


def new_table(n_words: int = 1024, arena_bytes: int = 8192, limit: int = 0) -> Table:
    """An empty table with room for ``n_words`` words and ``arena_bytes`` bytes of them;
    ``limit > 0`` prunes it (see the module's docstring) when it holds that many words."""
    n_words = max(int(n_words), 16)
    n_slots = _slots_for(n_words)
    meta = np.zeros(6, np.int64)
    meta[M_LIMIT] = limit
    meta[M_MIN_REDUCE] = 1
    return Table(np.zeros(n_slots, np.int32), np.zeros(n_words, np.uint64),
                 np.zeros(n_words, np.int64), np.zeros(n_words, np.int64),
                 np.zeros(n_words, np.int64), np.zeros(n_words, np.int64),
                 np.zeros(max(int(arena_bytes), 64), np.uint8), meta)


def _slots_for(n_words: int) -> int:
    n = 64
    while n * MAX_LOAD_NUM < (n_words + 1) * MAX_LOAD_DEN:
        n *= 2
    return n


def grow(t: Table) -> Table:
    """The table with room for at least one more word of ``meta[M_NEED]`` bytes."""
    n, used, need = int(t.meta[M_WORDS]), int(t.meta[M_ARENA]), int(t.meta[M_NEED])
    cap = len(t.hashes)
    if n + 1 > cap:
        cap *= 2
    fields = []
    for a in (t.hashes, t.starts, t.lengths, t.counts, t.firsts):
        b = np.zeros(cap, a.dtype)
        b[:n] = a[:n]
        fields.append(b)
    arena = t.arena
    if used + need > len(arena):
        arena = np.zeros(max(2 * len(arena), used + need), np.uint8)
        arena[:used] = t.arena[:used]
    slots = t.slots
    if len(slots) * MAX_LOAD_NUM < (n + 1) * MAX_LOAD_DEN:
        slots = np.zeros(_slots_for(max(n + 1, cap)), np.int32)
        _rehash(slots, fields[0], n)
    return Table(slots, *fields, arena, t.meta)


# ------------------------------------------------------------------ the hash table in Numba
@numba.njit(**EXACT)
def _rehash(slots, hashes, n):
    mask = len(slots) - 1
    slots[:] = 0
    for w in range(n):
        j = np.int64(hashes[w] & np.uint64(mask))
        while slots[j] != 0:
            j = (j + 1) & mask
        slots[j] = w + 1


@numba.njit(**INLINE)
def fnv(key, start, length):
    h = FNV_OFFSET
    for i in range(start, start + length):
        h = (h ^ np.uint64(key[i])) * FNV_PRIME
    return h


@numba.njit(**INLINE)
def _same(arena, a, key, start, length):
    for i in range(length):
        if arena[a + i] != key[start + i]:
            return False
    return True


@numba.njit(**INLINE)
def find(t, key, start, length, h):
    """The index of the word ``key[start:start + length]`` (hash ``h``), or -1."""
    slots = t.slots
    mask = len(slots) - 1
    j = np.int64(h & np.uint64(mask))
    while True:
        s = slots[j]
        if s == 0:
            return -1
        w = s - 1
        if t.hashes[w] == h and t.lengths[w] == length and \
                _same(t.arena, t.starts[w], key, start, length):
            return w
        j = (j + 1) & mask


@numba.njit(**EXACT)
def _prune(t):
    """word2vec.c's ReduceVocab, repeated until the table is under its word limit."""
    meta = t.meta
    n = meta[M_WORDS]
    while n >= meta[M_LIMIT]:
        floor = meta[M_MIN_REDUCE]
        k = 0
        pos = 0
        for w in range(n):
            if t.counts[w] > floor:
                a, length = t.starts[w], t.lengths[w]
                for i in range(length):  # moves bytes down: never over bytes still to read
                    t.arena[pos + i] = t.arena[a + i]
                t.hashes[k] = t.hashes[w]
                t.starts[k] = pos
                t.lengths[k] = length
                t.counts[k] = t.counts[w]
                t.firsts[k] = t.firsts[w]
                pos += length
                k += 1
        meta[M_PRUNED] += n - k
        meta[M_MIN_REDUCE] = floor + 1
        n = k
        meta[M_ARENA] = pos
    meta[M_WORDS] = n
    _rehash(t.slots, t.hashes, n)


@numba.njit(**INLINE)
def add(t, key, start, length, h, count, first):
    """Add ``count`` occurrences of a word, first seen at ``first``; its index, or -1 if
    the table needs to grow (``meta[M_NEED]`` then says how many bytes the word needs)."""
    w = find(t, key, start, length, h)
    if w >= 0:
        t.counts[w] += count
        if first < t.firsts[w]:
            t.firsts[w] = first
        return w
    return _insert(t, key, start, length, h, count, first)


@numba.njit(**INLINE)
def count_one(t, key, start, length, h, first):
    """:func:`add` of one occurrence by a scan that reads its input in order, so that a
    word's first occurrence is the one it was inserted with (one memory access fewer
    than :func:`add` per token); its index, or -1 as :func:`add`."""
    w = find(t, key, start, length, h)
    if w >= 0:
        t.counts[w] += 1
        return w
    return _insert(t, key, start, length, h, 1, first)


@numba.njit(**EXACT)
def _insert(t, key, start, length, h, count, first):
    """Add a word the table does not hold (see :func:`add`), pruning first if full."""
    meta = t.meta
    n = meta[M_WORDS]
    if meta[M_LIMIT] > 0 and n >= meta[M_LIMIT]:
        _prune(t)
        n = meta[M_WORDS]
    used = meta[M_ARENA]
    if n >= len(t.hashes) or used + length > len(t.arena) or \
            len(t.slots) * MAX_LOAD_NUM < (n + 1) * MAX_LOAD_DEN:
        meta[M_NEED] = length
        return -1
    for i in range(length):
        t.arena[used + i] = key[start + i]
    t.hashes[n] = h
    t.starts[n] = used
    t.lengths[n] = length
    t.counts[n] = count
    t.firsts[n] = first
    slots = t.slots
    mask = len(slots) - 1
    j = np.int64(h & np.uint64(mask))
    while slots[j] != 0:
        j = (j + 1) & mask
    slots[j] = n + 1
    meta[M_WORDS] = n + 1
    meta[M_ARENA] = used + length
    return n


@numba.njit(**EXACT)
def merge(dst, src, begin):
    """Add the words ``begin..`` of table ``src`` to ``dst``; returns the index of the word
    that did not fit (grow ``dst`` and call again from there), or -1 when done."""
    for w in range(begin, src.meta[M_WORDS]):
        if add(dst, src.arena, src.starts[w], src.lengths[w], src.hashes[w],
                src.counts[w], src.firsts[w]) < 0:
            return w
    return -1


@numba.njit(**EXACT)
def _index_words(slots, hashes, arena, starts, lengths):
    mask = len(slots) - 1
    for w in range(len(starts)):
        h = fnv(arena, starts[w], lengths[w])
        hashes[w] = h
        j = np.int64(h & np.uint64(mask))
        while slots[j] != 0:
            j = (j + 1) & mask
        slots[j] = w + 1


def word_table(arena: np.ndarray, starts: np.ndarray, lengths: np.ndarray) -> Table:
    """A lookup table of distinct words ``arena[starts[i]:starts[i] + lengths[i]]``, whose
    index is ``i`` (the word's id), for :data:`ENCODE`."""
    n = len(starts)
    starts = np.ascontiguousarray(starts, dtype=np.int64)
    lengths = np.ascontiguousarray(lengths, dtype=np.int64)
    slots = np.zeros(_slots_for(n), np.int32)
    hashes = np.zeros(n, np.uint64)
    arena = np.array(arena, dtype=np.uint8)  # a writable copy: one type for the kernels
    if len(arena) == 0:
        arena = np.zeros(1, np.uint8)
    _index_words(slots, hashes, arena, starts, lengths)
    meta = np.zeros(6, np.int64)
    meta[M_WORDS] = n
    meta[M_ARENA] = len(arena)
    zeros = np.zeros(n, np.int64)
    return Table(slots, hashes, starts, lengths, zeros, zeros, arena, meta)


@numba.njit(**EXACT)
def gather_words(arena, starts, lengths, select):
    """The bytes of the words ``select`` (indices), each followed by ``\\n``."""
    total = 0
    for w in select:
        total += lengths[w] + 1
    out = np.empty(total, np.uint8)
    pos = 0
    for w in select:
        a = starts[w]
        for i in range(lengths[w]):
            out[pos + i] = arena[a + i]
        pos += lengths[w]
        out[pos] = 10
        pos += 1
    return out

"""The hash table of words that the corpus pass (:mod:`embedlib._scan`) counts in and
looks words up in.

Layout. ``slots`` (int32, a power of two, at most 70% full) is an open-addressing array
(linear probing) holding ``record index + 1`` (0: empty). ``recs`` holds one record of
32 bytes per word, in the order the words were added (first appearance, for a table
filled by one scan): ``[key, start, count, first]``, where ``key`` is the high 32 bits
of the word's hash (which also choose its slot) above its length in bytes, ``start``
where its bytes are in ``arena``, ``count`` its occurrences and ``first`` the global byte
offset of its first occurrence (so that tables filled by different threads over
different chunks merge into the order of first appearance). A lookup reads one slot and
one record (then compares the bytes, 8 at a time). ``arena`` always has 8 bytes to spare
after the last word, so that 8-byte loads never go past its end.

``meta`` holds [words, arena bytes used, word limit (0: none), min_reduce, words pruned,
bytes the next word needs]. A kernel that runs out of room returns ``GROW``; Python grows
the table (:func:`grow`) and calls again from where it stopped. With a word limit, a
table that is full is pruned instead, as word2vec.c's ``ReduceVocab`` does: words with
``count <= min_reduce`` are dropped and ``min_reduce`` goes up by one, until there is
room.

The hash (:func:`hash_bytes`) reads a word 8 bytes at a time (little-endian, the last
block padded with zeros), so that the scanner can hash and compare whole words of the
machine instead of bytes.
"""

from __future__ import annotations

from collections import namedtuple

import numba
import numpy as np
from llvmlite import ir
from numba import types
from numba.extending import intrinsic

from ._jit import EXACT, INLINE

__all__ = ["Table", "new_table", "grow", "merge", "word_table", "gather_words", "find",
           "add", "insert", "hash_bytes", "load8", "mix", "finish", "make_key", "lengths_of",
           "M_WORDS", "M_ARENA", "M_PRUNED", "R_KEY", "R_START", "R_COUNT", "R_FIRST", "SLACK"]

# meta of a table
M_WORDS = 0
M_ARENA = 1
M_LIMIT = 2
M_MIN_REDUCE = 3
M_PRUNED = 4
M_NEED = 5

# fields of a record
R_KEY = 0
R_START = 1
R_COUNT = 2
R_FIRST = 3

#: bytes ``arena`` keeps free after its last word (one 8-byte load)
SLACK = 8

H_SEED = np.uint64(0x243F6A8885A308D3)
H_MUL = np.uint64(0x9E3779B97F4A7C15)
H_MUL2 = np.uint64(0xC2B2AE3D27D4EB4F)
LOW32 = np.int64(0xFFFFFFFF)
MAX_LOAD_NUM, MAX_LOAD_DEN = 7, 10

Table = namedtuple("Table", "slots recs arena meta")
Table.__doc__ = """A hash table of words (see the module's docstring); all arrays, so that it
goes to Numba as one argument."""


def new_table(n_words: int = 1024, arena_bytes: int = 8192, limit: int = 0) -> Table:
    """An empty table with room for ``n_words`` words and ``arena_bytes`` bytes of them;
    ``limit > 0`` prunes it (see the module's docstring) when it holds that many words."""
    n_words = max(int(n_words), 16)
    meta = np.zeros(6, np.int64)
    meta[M_LIMIT] = limit
    meta[M_MIN_REDUCE] = 1
    return Table(np.zeros(_slots_for(n_words), np.int32), np.zeros((n_words, 4), np.int64),
                 np.zeros(max(int(arena_bytes), 64) + SLACK, np.uint8), meta)


def _slots_for(n_words: int) -> int:
    n = 64
    while n * MAX_LOAD_NUM < (n_words + 1) * MAX_LOAD_DEN:
        n *= 2
    return n


def grow(t: Table) -> Table:
    """The table with room for at least one more word of ``meta[M_NEED]`` bytes."""
    n, used, need = int(t.meta[M_WORDS]), int(t.meta[M_ARENA]), int(t.meta[M_NEED])
    recs = t.recs
    if n + 1 > len(recs):
        recs = np.zeros((2 * len(recs), 4), np.int64)
        recs[:n] = t.recs[:n]
    arena = t.arena
    if used + need + SLACK > len(arena):
        arena = np.zeros(max(2 * len(arena), used + need + SLACK), np.uint8)
        arena[:used] = t.arena[:used]
    slots = t.slots
    if len(slots) * MAX_LOAD_NUM < (n + 1) * MAX_LOAD_DEN:
        slots = np.zeros(_slots_for(max(n + 1, len(recs))), np.int32)
        _rehash(slots, recs, n)
    return Table(slots, recs, arena, t.meta)


# ------------------------------------------------------------------------ 8-byte words
@intrinsic
def load8(typingctx, arr, idx):
    """The 8 bytes ``arr[idx:idx + 8]`` of a uint8 array as a little-endian uint64 (an
    unaligned load, no bounds check: the caller makes sure the 8 bytes are there)."""
    if not isinstance(arr, types.Array) or not isinstance(idx, types.Integer):
        return None
    sig = types.uint64(arr, idx)

    def codegen(context, builder, signature, args):
        aryty, idxty = signature.args
        ary = context.make_array(aryty)(context, builder, args[0])
        i64 = ir.IntType(64)
        idx = context.cast(builder, args[1], idxty, types.int64)
        addr = builder.add(builder.ptrtoint(ary.data, i64), idx)
        ptr = builder.inttoptr(addr, i64.as_pointer())
        return builder.load(ptr, align=1)

    return sig, codegen


@numba.njit(**INLINE)
def mix(h, w):
    """The hash ``h`` after one more 8-byte block ``w`` (one multiply: the short chain of
    operations before the table is probed is what the scanner waits on)."""
    return (h ^ w) * H_MUL


@numba.njit(**INLINE)
def finish(h, length):
    """The hash of a word of ``length`` bytes whose blocks gave ``h``: the high bits of
    the blocks' product folded down, the length added, multiplied again (the table uses
    the high 32 bits)."""
    return ((h ^ (h >> np.uint64(29))) ^ np.uint64(length)) * H_MUL2


@numba.njit(**INLINE)
def make_key(h, length):
    """A record's key: the high 32 bits of the hash above the length."""
    return (np.int64(h >> np.uint64(32)) << 32) | np.int64(length)


@numba.njit(**INLINE)
def _tail(a, p, rem):
    """The ``rem`` (1..7) bytes ``a[p:p + rem]`` as a little-endian uint64, zero-padded."""
    if p + 8 <= len(a):
        return load8(a, p) & ((np.uint64(1) << np.uint64(8 * rem)) - np.uint64(1))
    w = np.uint64(0)
    for k in range(rem):
        w |= np.uint64(a[p + k]) << np.uint64(8 * k)
    return w


@numba.njit(**EXACT)
def hash_bytes(a, start, length):
    """The hash of the word ``a[start:start + length]`` (what the scanner computes)."""
    h = H_SEED
    q = 0
    while q + 8 <= length:
        h = mix(h, load8(a, start + q))
        q += 8
    if q < length:
        h = mix(h, _tail(a, start + q, length - q))
    return finish(h, length)


@numba.njit(**EXACT)
def _same(arena, a, key, start, length):
    """Whether ``arena[a:a + length]`` (with the arena's slack) is ``key[start:...]``."""
    q = 0
    while q + 8 <= length:
        if load8(arena, a + q) != load8(key, start + q):
            return False
        q += 8
    if q < length:
        rem = length - q
        mask = (np.uint64(1) << np.uint64(8 * rem)) - np.uint64(1)
        if (load8(arena, a + q) & mask) != _tail(key, start + q, rem):
            return False
    return True


# ------------------------------------------------------------------ the hash table in Numba
@numba.njit(**EXACT)
def _rehash(slots, recs, n):
    mask = len(slots) - 1
    slots[:] = 0
    for w in range(n):
        j = (recs[w, R_KEY] >> 32) & mask
        while slots[j] != 0:
            j = (j + 1) & mask
        slots[j] = w + 1


@numba.njit(**EXACT)
def find(t, key, start, length, k):
    """The index of the word ``key[start:start + length]`` (record key ``k``), or -1."""
    slots = t.slots
    recs = t.recs
    mask = len(slots) - 1
    j = (k >> 32) & mask
    while True:
        s = slots[j]
        if s == 0:
            return -1
        w = s - 1
        if recs[w, R_KEY] == k and _same(t.arena, recs[w, R_START], key, start, length):
            return w
        j = (j + 1) & mask


@numba.njit(**EXACT)
def _prune(t):
    """word2vec.c's ReduceVocab, repeated until the table is under its word limit."""
    meta = t.meta
    recs = t.recs
    arena = t.arena
    n = meta[M_WORDS]
    while n >= meta[M_LIMIT]:
        floor = meta[M_MIN_REDUCE]
        k = 0
        pos = 0
        for w in range(n):
            if recs[w, R_COUNT] > floor:
                a, length = recs[w, R_START], recs[w, R_KEY] & LOW32
                for i in range(length):  # moves bytes down: never over bytes still to read
                    arena[pos + i] = arena[a + i]
                recs[k, R_KEY] = recs[w, R_KEY]
                recs[k, R_START] = pos
                recs[k, R_COUNT] = recs[w, R_COUNT]
                recs[k, R_FIRST] = recs[w, R_FIRST]
                pos += length
                k += 1
        meta[M_PRUNED] += n - k
        meta[M_MIN_REDUCE] = floor + 1
        n = k
        meta[M_ARENA] = pos
    meta[M_WORDS] = n
    _rehash(t.slots, recs, n)


@numba.njit(**EXACT)
def insert(t, key, start, length, k, count, first):
    """Add a word the table does not hold (record key ``k``), pruning first if full; its
    index, or -1 if the table needs to grow (``meta[M_NEED]`` then says how many bytes
    the word needs)."""
    meta = t.meta
    n = meta[M_WORDS]
    if meta[M_LIMIT] > 0 and n >= meta[M_LIMIT]:
        _prune(t)
        n = meta[M_WORDS]
    used = meta[M_ARENA]
    arena = t.arena
    recs = t.recs
    slots = t.slots
    if n >= len(recs) or used + length + SLACK > len(arena) or \
            len(slots) * MAX_LOAD_NUM < (n + 1) * MAX_LOAD_DEN:
        meta[M_NEED] = length
        return -1
    for i in range(length):
        arena[used + i] = key[start + i]
    recs[n, R_KEY] = k
    recs[n, R_START] = used
    recs[n, R_COUNT] = count
    recs[n, R_FIRST] = first
    mask = len(slots) - 1
    j = (k >> 32) & mask
    while slots[j] != 0:
        j = (j + 1) & mask
    slots[j] = n + 1
    meta[M_WORDS] = n + 1
    meta[M_ARENA] = used + length
    return n


@numba.njit(**EXACT)
def add(t, key, start, length, k, count, first):
    """Add ``count`` occurrences of a word (record key ``k``), first seen at ``first``; its
    index, or -1 as :func:`insert`."""
    w = find(t, key, start, length, k)
    if w >= 0:
        t.recs[w, R_COUNT] += count
        if first < t.recs[w, R_FIRST]:
            t.recs[w, R_FIRST] = first
        return w
    return insert(t, key, start, length, k, count, first)


@numba.njit(**EXACT)
def merge(dst, src, begin, where):
    """Add the words ``begin..`` of table ``src`` to ``dst``, writing each one's index in
    ``dst`` to ``where``; returns the index of the word that did not fit (grow ``dst`` and
    call again from there), or -1 when done."""
    recs = src.recs
    for w in range(begin, src.meta[M_WORDS]):
        k = recs[w, R_KEY]
        d = add(dst, src.arena, recs[w, R_START], k & LOW32, k, recs[w, R_COUNT],
                recs[w, R_FIRST])
        if d < 0:
            return w
        where[w] = d
    return -1


@numba.njit(**EXACT)
def _index_words(slots, recs, arena, starts, lengths):
    mask = len(slots) - 1
    for w in range(len(starts)):
        k = make_key(hash_bytes(arena, starts[w], lengths[w]), lengths[w])
        recs[w, R_KEY] = k
        recs[w, R_START] = starts[w]
        j = (k >> 32) & mask
        while slots[j] != 0:
            j = (j + 1) & mask
        slots[j] = w + 1


def word_table(arena: np.ndarray, starts: np.ndarray, lengths: np.ndarray) -> Table:
    """A lookup table of distinct words ``arena[starts[i]:starts[i] + lengths[i]]``, whose
    index is ``i`` (the word's id), for the encoding scan."""
    n = len(starts)
    starts = np.ascontiguousarray(starts, dtype=np.int64)
    lengths = np.ascontiguousarray(lengths, dtype=np.int64)
    slots = np.zeros(_slots_for(n), np.int32)
    recs = np.zeros((max(n, 1), 4), np.int64)
    padded = np.zeros(len(arena) + SLACK, np.uint8)  # a writable copy with the slack
    padded[:len(arena)] = arena
    _index_words(slots, recs, padded, starts, lengths)
    meta = np.zeros(6, np.int64)
    meta[M_WORDS] = n
    meta[M_ARENA] = len(arena)
    return Table(slots, recs, padded, meta)


def lengths_of(t: Table) -> np.ndarray:
    """The byte lengths of the table's words."""
    return t.recs[:int(t.meta[M_WORDS]), R_KEY] & 0xFFFFFFFF


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

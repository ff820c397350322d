"""The corpus pass in Numba: split bytes into tokens, check UTF-8, count words, encode them.

Python reads a corpus in chunks of bytes and hands each chunk to :func:`scan`; nothing in
Python runs per token. One kernel does both passes (``mode``): it walks a chunk once,
splits it on ASCII white space, checks every byte as UTF-8 and, per token, either counts
it in a hash table (:data:`COUNT`) or looks it up in the final vocabulary's table and
writes its id (:data:`ENCODE`).

Tokens
    A token is a maximal run of bytes that are not ASCII white space: space, ``\\t``,
    ``\\n``, ``\\v``, ``\\f``, ``\\r`` (what word2vec.c and GloVe's C tools split on).
    ``\\n`` also ends a sentence. Python's ``str.split()`` splits on more: the ASCII
    separators U+001C..U+001F and the Unicode spaces (U+0085, U+00A0, U+1680,
    U+2000..U+200A, U+2028, U+2029, U+202F, U+205F, U+3000); here those are parts of words.

UTF-8
    Every byte is checked as UTF-8 (no overlong forms, no surrogates, nothing past
    U+10FFFF). With ``replace`` each maximal invalid subsequence becomes U+FFFD, exactly as
    ``bytes.decode("utf-8", "replace")`` does; otherwise the first one stops the scan with
    :data:`BAD_UTF8`. A NUL byte stops it with :data:`NUL` in both modes.

Chunks
    Python cuts chunks just after an ASCII white-space byte, so no token and no UTF-8
    sequence spans two chunks (a sequence never contains an ASCII byte), and a chunk's
    result does not depend on its neighbours. Line numbers and the lines that held invalid
    bytes are put together in Python from each chunk's ``stats``.

The hash table (:class:`Table`)
    Open addressing with linear probing on FNV-1a 64-bit hashes of the token's bytes.
    ``slots`` (a power of two, at most 70% full) holds ``word index + 1`` (0: empty); per
    word, ``hashes``, ``starts`` and ``lengths`` (its bytes in ``arena``), ``counts`` and
    ``firsts`` (the global byte offset of its first occurrence, so that tables filled by
    different threads over different chunks merge into the order of first appearance).
    ``meta`` holds [words, arena bytes used, word limit (0: none), min_reduce, words pruned,
    bytes the next word needs]. A kernel that runs out of room returns :data:`GROW`;
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

__all__ = ["Table", "new_table", "grow", "scan", "merge", "word_table", "gather_words",
           "check_encoded", "last_space", "COUNT", "ENCODE", "OK", "GROW", "BAD_UTF8", "NUL",
           "FULL", "N_STATS"]

# modes
COUNT = 0
ENCODE = 1

# what scan returns
OK = 0        #: the chunk is done
GROW = 1      #: the table needs room: grow it and call again (stats[S_POS] says from where)
BAD_UTF8 = 2  #: invalid UTF-8 at stats[S_POS] (strict mode), stats[S_ERR_LEN] bytes long
NUL = 3       #: a NUL byte at stats[S_POS]
FULL = 4      #: the sentence-end buffer is full: give a larger one and scan the chunk again

# stats: one int64 array per call, zeroed by the caller (S_LAST_NL set to -1)
S_POS = 0        # where to start (in) / where it stopped (out)
S_TOKENS = 1     # tokens seen in the chunk
S_NEWLINES = 2   # newlines in the chunk
S_LAST_NL = 3    # position of the last newline so far (-1: none)
S_LEAD_BAD = 4   # the text before the chunk's first newline held invalid bytes
S_BAD_LINES = 5  # lines begun and ended in the chunk that held invalid bytes
S_CUR_BAD = 6    # the line being read holds invalid bytes
S_KEPT = 7       # ENCODE: ids written
S_ENDS = 8       # ENCODE: sentence ends written
S_ERR_LEN = 9    # BAD_UTF8: length of the invalid sequence
S_NL_BEFORE = 10  # BAD_UTF8/NUL: newlines before the error (S_LAST_NL: the last of them)
N_STATS = 11

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
def _fnv(key, start, length):
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
def _find(t, key, start, length, h):
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
def _add(t, key, start, length, h, count, first):
    """Add ``count`` occurrences of a word, first seen at ``first``; its index, or -1 if
    the table needs to grow (``meta[M_NEED]`` then says how many bytes the word needs)."""
    w = _find(t, key, start, length, h)
    if w >= 0:
        t.counts[w] += count
        if first < t.firsts[w]:
            t.firsts[w] = first
        return w
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
        if _add(dst, src.arena, src.starts[w], src.lengths[w], src.hashes[w],
                src.counts[w], src.firsts[w]) < 0:
            return w
    return -1


@numba.njit(**EXACT)
def _index_words(slots, hashes, arena, starts, lengths):
    mask = len(slots) - 1
    for w in range(len(starts)):
        h = _fnv(arena, starts[w], lengths[w])
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


# --------------------------------------------------------------------------- the scanner
@numba.njit(**INLINE)
def _utf8_length(buf, i, n):
    """The length of the valid UTF-8 sequence that starts at ``buf[i]`` (a byte >= 0x80),
    or minus the length of the maximal invalid subpart there (Unicode's "maximal subpart"
    practice, which Python's decoder follows: one U+FFFD for each)."""
    b0 = buf[i]
    if b0 < 0xC2:
        return -1
    if b0 < 0xE0:
        need, lo, hi = 1, 0x80, 0xBF
    elif b0 < 0xF0:
        need = 2
        lo = 0xA0 if b0 == 0xE0 else 0x80
        hi = 0x9F if b0 == 0xED else 0xBF
    elif b0 < 0xF5:
        need = 3
        lo = 0x90 if b0 == 0xF0 else 0x80
        hi = 0x8F if b0 == 0xF4 else 0xBF
    else:
        return -1
    if i + 1 >= n:
        return -1
    b1 = buf[i + 1]
    if b1 < lo or b1 > hi:
        return -1
    for k in range(2, need + 1):
        if i + k >= n:
            return -k
        b = buf[i + k]
        if b < 0x80 or b > 0xBF:
            return -k
    return need + 1


@numba.njit(**EXACT)
def _cleaned(buf, start, end):
    """``buf[start:end]`` with each maximal invalid subpart replaced by EF BF BD (U+FFFD)."""
    out = np.empty(3 * (end - start), np.uint8)
    k = 0
    i = start
    while i < end:
        b = buf[i]
        if b < 0x80:
            out[k] = b
            k += 1
            i += 1
            continue
        m = _utf8_length(buf, i, end)
        if m > 0:
            for j in range(m):
                out[k + j] = buf[i + j]
            k += m
            i += m
        else:
            out[k] = 0xEF
            out[k + 1] = 0xBF
            out[k + 2] = 0xBD
            k += 3
            i -= m
    return out[:k].copy()


@numba.njit(**EXACT)
def _newlines_before(buf, p, stats):
    """Count the newlines before ``p`` (and the last of them) for an error message."""
    c = 0
    last = -1
    for i in range(p):
        if buf[i] == 10:
            c += 1
            last = i
    stats[S_NL_BEFORE] = c
    stats[S_LAST_NL] = last


@numba.njit(**EXACT)
def scan(buf, n, mode, replace, base, table, ids, ends, stats):
    """Scan ``buf[stats[S_POS]:n]``: count its tokens in ``table`` (``mode == COUNT``) or
    write the ids ``table`` gives them to ``ids`` and the number of ids written before each
    newline to ``ends`` (``mode == ENCODE``; tokens not in the table are skipped).

    ``base`` is the global byte offset of ``buf[0]`` (where first occurrences are counted
    from); ``replace`` selects what invalid UTF-8 does (see the module's docstring).
    ``ids`` needs room for ``(n + 1) // 2`` ids. Returns :data:`OK`, or a code that says
    why it stopped (``stats`` says where); the counts in ``stats`` are those up to there.
    """
    i = stats[S_POS]
    tokens = stats[S_TOKENS]
    newlines = stats[S_NEWLINES]
    kept = stats[S_KEPT]
    n_ends = stats[S_ENDS]
    while i < n:
        b = buf[i]
        if b == 32 or (b >= 9 and b <= 13):
            if b == 10:
                if mode == ENCODE:
                    if n_ends >= len(ends):
                        stats[S_POS] = i
                        stats[S_TOKENS] = tokens
                        stats[S_NEWLINES] = newlines
                        stats[S_KEPT] = kept
                        stats[S_ENDS] = n_ends
                        return FULL
                    ends[n_ends] = kept
                    n_ends += 1
                if stats[S_CUR_BAD] != 0:
                    if newlines == 0:
                        stats[S_LEAD_BAD] = 1
                    else:
                        stats[S_BAD_LINES] += 1
                    stats[S_CUR_BAD] = 0
                newlines += 1
                stats[S_LAST_NL] = i
            i += 1
            continue
        # a token: find its end, checking and hashing its bytes
        start = i
        h = FNV_OFFSET
        bad = False
        while i < n:
            b = buf[i]
            if b < 0x80:
                if b == 32 or (b >= 9 and b <= 13):
                    break
                if b == 0:
                    stats[S_POS] = i
                    stats[S_TOKENS] = tokens
                    _newlines_before(buf, i, stats)
                    return NUL
                h = (h ^ np.uint64(b)) * FNV_PRIME
                i += 1
            else:
                m = _utf8_length(buf, i, n)
                if m > 0:
                    for j in range(m):
                        h = (h ^ np.uint64(buf[i + j])) * FNV_PRIME
                    i += m
                elif replace:
                    bad = True
                    i -= m
                else:
                    stats[S_POS] = i
                    stats[S_ERR_LEN] = -m
                    stats[S_TOKENS] = tokens
                    _newlines_before(buf, i, stats)
                    return BAD_UTF8
        if bad:
            stats[S_CUR_BAD] = 1
            key = _cleaned(buf, start, i)
            k0 = 0
            length = len(key)
            h = _fnv(key, 0, length)
        else:
            key = buf
            k0 = start
            length = i - start
        if mode == COUNT:
            if _add(table, key, k0, length, h, 1, base + start) < 0:
                stats[S_POS] = start
                stats[S_TOKENS] = tokens
                stats[S_NEWLINES] = newlines
                return GROW
        else:
            w = _find(table, key, k0, length, h)
            if w >= 0:
                ids[kept] = w
                kept += 1
        tokens += 1
    stats[S_POS] = n
    stats[S_TOKENS] = tokens
    stats[S_NEWLINES] = newlines
    stats[S_KEPT] = kept
    stats[S_ENDS] = n_ends
    return OK


@numba.njit(**EXACT)
def last_space(buf, n):
    """The position of the last ASCII white-space byte in ``buf[:n]``, or -1."""
    for i in range(n - 1, -1, -1):
        b = buf[i]
        if b == 32 or (b >= 9 and b <= 13):
            return i
    return -1


@numba.njit(**EXACT)
def check_encoded(tokens, offsets, V):
    """0 if ``offsets`` starts at 0, does not decrease and ends at ``len(tokens)`` and every
    token is in ``0..V-1``; 1 if the offsets are wrong, 2 if a token is out of range."""
    if len(offsets) < 1 or offsets[0] != 0 or offsets[len(offsets) - 1] != len(tokens):
        return 1
    for s in range(len(offsets) - 1):
        if offsets[s + 1] < offsets[s]:
            return 1
    for p in range(len(tokens)):
        t = tokens[p]
        if t < 0 or t >= V:
            return 2
    return 0

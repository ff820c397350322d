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

The hash table of words is :mod:`embedlib._wordtable`'s. The counting scan writes each
token's record index in its table, so that the tokens are encoded from those once the
vocabulary is chosen (:func:`remap`), without reading the text again.
"""

from __future__ import annotations

import numba
import numpy as np
from numba.cpython.unsafe.numbers import trailing_zeros

from ._jit import EXACT, INLINE
from ._wordtable import (H_SEED, M_ARENA, M_PRUNED, M_WORDS, R_COUNT, R_FIRST,  # noqa: F401
                         R_KEY, R_START, Table, finish, find, lengths_of,
                         gather_words, grow, hash_bytes, insert, load8, make_key, merge, mix,
                         new_table, word_table)

__all__ = ["Table", "new_table", "grow", "scan", "merge", "word_table", "gather_words",
           "check_encoded", "last_space", "remap", "remap_block", "COUNT", "ENCODE", "OK",
           "GROW", "BAD_UTF8", "NUL", "FULL", "N_STATS"]

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


@numba.njit(**INLINE)
def _save(stats, pos, tokens, newlines, kept, n_ends):
    """Where a scan stopped and what it counted, for the caller (and the next call)."""
    stats[S_POS] = pos
    stats[S_TOKENS] = tokens
    stats[S_NEWLINES] = newlines
    stats[S_KEPT] = kept
    stats[S_ENDS] = n_ends


@numba.njit(**EXACT)
def scan(buf, n, mode, replace, base, table, ids, ends, stats, stride, lane):
    """Scan ``buf[stats[S_POS]:n]``: count its tokens in ``table`` and write each one's
    record index ``w`` as ``w * stride + lane`` to ``ids`` (``mode == COUNT``), or write
    the ids ``table`` gives them to ``ids`` (``mode == ENCODE``; tokens not in the table
    are skipped); in both modes, write the number of ids written before each newline to
    ``ends``.

    ``base`` is the global byte offset of ``buf[0]`` (where first occurrences are counted
    from); ``replace`` selects what invalid UTF-8 does (see the module's docstring).
    ``ids`` needs room for ``(n + 1) // 2`` ids. Returns :data:`OK`, or a code that says
    why it stopped (``stats`` says where, and the counts up to there); after :data:`GROW`
    (grow the table) and :data:`FULL` (give a larger ``ends`` holding the same first
    ``stats[S_ENDS]`` values) call it again with the same ``stats`` to go on.

    The inner loops read 8 bytes at a time: a token's bytes are ASCII other than white
    space and control characters as long as no byte of the word has its high bit set or
    is below ``!``, and the probe of the table is written out here, not called, so that
    Numba adds no reference counting per token.
    """
    i = stats[S_POS]
    tokens = stats[S_TOKENS]
    newlines = stats[S_NEWLINES]
    kept = stats[S_KEPT]
    n_ends = stats[S_ENDS]
    slots = table.slots
    recs = table.recs
    flat = recs.reshape(recs.size)  # record c at flat[4 * c]: no multiply by a stride
    arena = table.arena
    mask = np.uint64(len(slots) - 1)  # unsigned indexes: no test for negative ones
    size = len(buf)
    k21 = np.uint64(0x2121212121212121)
    h80 = np.uint64(0x8080808080808080)
    while i < n:
        b = buf[i]
        if b == 32 or (b >= 9 and b <= 13):
            if b == 10:
                if n_ends >= len(ends):
                    _save(stats, i, tokens, newlines, kept, n_ends)
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
        # a token: find its end, checking its bytes
        start = i
        bad = False
        while i < n:
            if i + 8 <= n:
                w8 = load8(buf, i)
                m = ((w8 - k21) | w8) & h80
                if m == 0:
                    i += 8
                    continue
                i += np.int64(trailing_zeros(m)) >> 3
            b = buf[i]
            if b < 0x80:
                if b == 32 or (b >= 9 and b <= 13):
                    break
                if b == 0:
                    stats[S_POS] = i
                    stats[S_TOKENS] = tokens
                    _newlines_before(buf, i, stats)
                    return NUL
                i += 1
            else:
                m = _utf8_length(buf, i, n)
                if m > 0:
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
            length = len(key)
            k = make_key(hash_bytes(key, 0, length), length)
            w = find(table, key, 0, length, k)
            if w < 0 and mode == COUNT:
                w = insert(table, key, 0, length, k, 1, base + start)
                if w < 0:
                    _save(stats, start, tokens, newlines, kept, n_ends)
                    return GROW
            elif w >= 0 and mode == COUNT:
                recs[w, 2] += 1
        else:
            # the hash, 8 bytes at a time (the last block padded with zeros)
            length = i - start
            h = H_SEED
            q = 0
            while q + 8 <= length:
                h = mix(h, load8(buf, start + q))
                q += 8
            rem = length - q
            tail = np.uint64(0)
            tmask = np.uint64(0)
            if rem > 0:
                tmask = (np.uint64(1) << np.uint64(8 * rem)) - np.uint64(1)
                p = start + q
                if p + 8 <= size:
                    tail = load8(buf, p) & tmask
                else:
                    for r in range(rem):
                        tail |= np.uint64(buf[p + r]) << np.uint64(8 * r)
                h = mix(h, tail)
            k = make_key(finish(h, length), length)
            # the probe: one slot, one record, the bytes 8 at a time
            j = np.uint64(k >> 32) & mask
            w = -1
            while True:
                s = slots[j]
                if s == 0:
                    break
                c4 = np.uint64(s - 1) << np.uint64(2)
                if flat[c4] == k:
                    a = flat[c4 + np.uint64(1)]
                    q = 0
                    same = True
                    while q + 8 <= length:
                        if load8(arena, a + q) != load8(buf, start + q):
                            same = False
                            break
                        q += 8
                    if same and rem > 0 and (load8(arena, a + q) & tmask) != tail:
                        same = False
                    if same:
                        w = np.int64(c4 >> np.uint64(2))
                        break
                j = (j + np.uint64(1)) & mask
            if mode == COUNT:
                if w >= 0:
                    flat[4 * w + 2] += 1
                else:
                    w = insert(table, buf, start, length, k, 1, base + start)
                    if w < 0:
                        _save(stats, start, tokens, newlines, kept, n_ends)
                        return GROW
        if mode == COUNT:
            ids[kept] = w * stride + lane
            kept += 1
        elif w >= 0:
            ids[kept] = w
            kept += 1
        tokens += 1
    _save(stats, n, tokens, newlines, kept, n_ends)
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


# ------------------------------------------------------------- ids of the counting scan
@numba.njit(**EXACT)
def remap(tokens, nt, fmap, offsets, n_offsets, r0, k0):
    """Encode the counting scan's ids in place: ``tokens[:nt]`` (the tokens ``r0..`` of
    the corpus) become ``fmap[id]``, those that map to -1 (not in the vocabulary) are
    dropped and the rest moved to the front; each of ``offsets[:n_offsets]`` (positions
    among all tokens, at most ``r0 + nt``) becomes the number of tokens kept before it,
    ``k0`` being the number kept before ``r0``. Returns how many of ``tokens`` were kept."""
    w = 0
    j = 0
    for p in range(nt):
        r = r0 + p
        while j < n_offsets and offsets[j] <= r:
            offsets[j] = k0 + w
            j += 1
        v = fmap[tokens[p]]
        if v >= 0:
            tokens[w] = v
            w += 1
    while j < n_offsets:
        offsets[j] = k0 + w
        j += 1
    return w


@numba.njit(**EXACT)
def remap_block(tokens, nt, fmap, kept_before):
    """:func:`remap` of ``tokens[:nt]`` without offsets: ``kept_before[p]`` gets the number
    of tokens kept before ``p`` (``kept_before[nt]``: all of them, which it returns), so
    that offsets into the block can be mapped afterwards."""
    w = 0
    for p in range(nt):
        kept_before[p] = w
        v = fmap[tokens[p]]
        if v >= 0:
            tokens[w] = v
            w += 1
    kept_before[nt] = w
    return w

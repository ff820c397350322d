"""Co-occurrence counts in a file: the vocabulary and the matrix, for GloVe and PPMI-SVD.

``embedlib cooccur`` writes one and ``embedlib train glove|svd COUNTS.npz`` trains from it,
so that a large corpus is counted once. The file is an uncompressed ``.npz`` (no pickled
objects) holding

``format``, ``version``
    ``"embedlib-cooccurrence"`` and :data:`VERSION`;
``words``
    the words in id order, UTF-8, each followed by ``\\n`` (uint8; words hold no white
    space);
``counts``
    int64, the corpus count of each word;
``data``, ``indices``, ``indptr``, ``shape``
    the CSR matrix (float64, sorted indices), row and column ``i`` the word ``i``;
``window``, ``weighting``, ``symmetric``
    how it was counted.

It is written atomically (a temporary file beside it, renamed at the end).
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import numpy as np

from ._lazy import module
from ._atomic import atomic_write
from ._errors import CorpusError
from .cooccur import check_cooccurrence
from .corpus import Vocabulary

sp = module("scipy.sparse")  # imported when first used (start-up of commands that need none)

__all__ = ["save_counts", "load_counts", "FORMAT", "VERSION"]

FORMAT = "embedlib-cooccurrence"
#: The version of the counts file this module writes and reads.
VERSION = 1


def save_counts(path, X, vocab: Vocabulary, *, window: int, weighting: str,
                symmetric: bool) -> Path:
    """Write the co-occurrence matrix ``X`` of the words of ``vocab`` to ``path``."""
    path = Path(os.fspath(path))
    X = sp.csr_matrix(X)
    words = "".join(w + "\n" for w in vocab.words).encode("utf-8", "surrogatepass")
    with atomic_write(path, "wb") as f:
        np.savez(f, format=np.array(FORMAT), version=np.array(VERSION),
                 words=np.frombuffer(words, np.uint8), counts=np.asarray(vocab.counts),
                 data=X.data, indices=X.indices, indptr=X.indptr,
                 shape=np.array(X.shape, np.int64), window=np.array(window),
                 weighting=np.array(weighting), symmetric=np.array(bool(symmetric)))
    return path


def load_counts(path) -> tuple[sp.csr_matrix, Vocabulary, dict]:
    """``(X, vocab, how)`` from a file :func:`save_counts` wrote; ``how`` holds
    ``window``, ``weighting`` and ``symmetric``. A file that is not one is a
    :class:`~embedlib.corpus.CorpusError` naming it and what is wrong."""
    path = Path(os.fspath(path))
    if not path.exists():
        raise FileNotFoundError(f"counts file not found: {path}")
    try:
        with np.load(path, allow_pickle=False) as z:
            a = {k: z[k] for k in z.files}
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as e:
        raise CorpusError(f"{path}: not a co-occurrence counts file ({e})", path=path) from None
    if str(a.get("format", "")) != FORMAT:
        raise CorpusError(f"{path}: not a co-occurrence counts file written by embedlib "
                          "cooccur", path=path)
    if int(a.get("version", -1)) != VERSION:
        raise CorpusError(f"{path}: counts file version {a.get('version')}, but this "
                          f"embedlib reads version {VERSION}; count again", path=path)
    try:
        words = tuple(a["words"].tobytes().decode("utf-8", "surrogatepass").split("\n")[:-1])
        counts = np.asarray(a["counts"], np.int64)
        n = len(words)
        X = sp.csr_matrix((a["data"], a["indices"], a["indptr"]), shape=tuple(a["shape"]))
        if X.shape != (n, n) or len(counts) != n:
            raise ValueError(f"{n} words, {len(counts)} counts and a {X.shape} matrix")
        X = check_cooccurrence(X)
        how = dict(window=int(a["window"]), weighting=str(a["weighting"]),
                   symmetric=bool(a["symmetric"]))
        vocab = Vocabulary(words, counts, {w: i for i, w in enumerate(words)})
    except (KeyError, ValueError, TypeError, UnicodeDecodeError) as e:
        raise CorpusError(f"{path}: a damaged counts file ({e})", path=path) from None
    return X, vocab, how

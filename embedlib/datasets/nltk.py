"""Six of NLTK's corpora as one lowercase text of ``[a-z]+`` tokens.

Brown, ABC, State of the Union, webtext, inaugural addresses and movie reviews: about 3.8
million tokens of real English, small enough to train on in a chapter. Reading them through
``nltk.corpus`` takes about 20 s, so :func:`nltk_corpus` keeps the text in a cache file in
:func:`~embedlib.datasets.data_dir` and reads that afterwards. The cache file is written
to a temporary file and renamed into place only when it is complete, so an interrupted run
never leaves a file that a later run would trust.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from pathlib import Path

from .._checks import check_int
from .._errors import DatasetError
from ..corpus import Corpus, _write_lines
from ._cache import data_dir

__all__ = ["NLTK_CORPORA", "nltk_sentences", "nltk_corpus", "nltk_mix", "write_nltk_mix"]

#: The NLTK corpora :func:`nltk_sentences` reads, in the order of the reference mix.
NLTK_CORPORA = ("brown", "abc", "state_union", "webtext", "inaugural", "movie_reviews")
_UNITS = ("paragraph", "sentence", "document")
_TOKEN_RE = re.compile(r"[a-z]+")
_BLANK_LINE_RE = re.compile(r"\n[ \t\r\f\v]*\n")
_CACHE_VERSION = 1


def _nltk_module():
    try:
        import nltk  # noqa: F401  (lazy: only the NLTK data sets need it)
        import nltk.corpus
    except ImportError:
        raise DatasetError("reading NLTK's corpora needs the nltk package: "
                           "pip install nltk") from None
    return nltk


def _missing_message(nltk, what: str, resource: str, where: str) -> str:
    paths = ", ".join(map(str, nltk.data.path)) or "(none)"
    return (f"NLTK {what} {resource!r} not found: run `import nltk; "
            f"nltk.download({resource!r})`, or set the NLTK_DATA environment variable to a "
            f"folder that holds {where}. Searched: {paths}")


def _nltk_find(nltk, *resources) -> bool:
    for resource in resources:
        try:
            nltk.data.find(resource)
            return True
        except LookupError:
            pass
    return False


def _check_arguments(names, unit: str, min_tokens) -> tuple:
    """(names, min_tokens) checked; the corpus names as a tuple."""
    names = _check_names(names)
    if unit not in _UNITS:
        raise ValueError(f"unit must be one of {', '.join(map(repr, _UNITS))}, got {unit!r}")
    return names, check_int("min_tokens", min_tokens, 0)


def _check_names(names) -> tuple:
    if isinstance(names, str):
        names = (names,)
    names = tuple(names)
    if not names:
        raise ValueError("names must hold at least one corpus name")
    for n in names:
        if n not in NLTK_CORPORA:
            raise ValueError(f"unknown NLTK corpus {n!r}; choose from {', '.join(NLTK_CORPORA)}")
    if len(set(names)) != len(names):
        raise ValueError(f"names must be distinct, got {names!r}")
    return names


def _tokens(text: str) -> list:
    return _TOKEN_RE.findall(text.lower())


def _brown_word(word: str) -> str:
    """The text of a Brown token. NLTK splits Brown's ``word/tag`` at the *last* slash, so
    a few words keep an inner slash (``and/or``, ``mg/l``, ``1-1/2-inch``); like the
    reference file we keep the part before the first slash (``and``, ``mg``, ``1-1``)."""
    return word.split("/", 1)[0]


def _brown_text(words) -> str:
    return " ".join(map(_brown_word, words))


def _corpus_units(nltk, name: str, unit: str) -> Iterator[str]:
    """The text of each unit (paragraph, sentence or document) of one corpus, in order."""
    reader = getattr(nltk.corpus, name)
    fileids = sorted(reader.fileids())
    if name == "brown":  # part-of-speech tagged: read NLTK's tokens, not the raw file
        for f in fileids:
            if unit == "document":
                yield _brown_text(reader.words(f))
            elif unit == "paragraph":
                for para in reader.paras(f):
                    yield _brown_text(w for sent in para for w in sent)
            else:
                for sent in reader.sents(f):
                    yield _brown_text(sent)
        return
    for f in fileids:
        if unit == "document":
            yield reader.raw(f)
        elif unit == "paragraph":
            yield from _BLANK_LINE_RE.split(reader.raw(f))
        else:
            for sent in reader.sents(f):  # NLTK's Punkt sentence splitter
                yield " ".join(sent)


def _check_nltk_data(nltk, names, unit) -> None:
    for name in names:
        # as nltk.corpus's lazy loaders look: an unzipped folder or the zip NLTK ships
        if not _nltk_find(nltk, f"corpora/{name}", f"corpora/{name}.zip/{name}/"):
            raise DatasetError(_missing_message(nltk, "corpus", name,
                                                f"corpora/{name}.zip")) from None
    if unit == "sentence" and set(names) - {"brown"}:
        if not _nltk_find(nltk, "tokenizers/punkt_tab/english/"):
            raise DatasetError(
                _missing_message(nltk, "sentence tokenizer", "punkt_tab",
                                 "tokenizers/punkt_tab")
                + " (unit='sentence' splits the plain-text corpora with Punkt; brown has "
                "its own sentences)") from None


def nltk_sentences(names: Sequence[str] = NLTK_CORPORA, unit: str = "paragraph", *,
                   min_tokens: int = 3) -> Iterator[list]:
    """Token lists from NLTK's corpora, lowercased, tokens ``[a-z]+``, in a fixed order.

    Parameters
    ----------
    names : corpus names from :data:`NLTK_CORPORA`, read in the order given; files in
        the order of their sorted file ids.
    unit : what one token list is.
        ``"paragraph"``: Brown's paragraphs; for the plain-text corpora, blocks of text
        separated by blank lines (a movie review has none, so it is one unit).
        ``"sentence"``: Brown's sentences; the others are split with NLTK's Punkt
        tokenizer, which needs ``nltk.download('punkt_tab')``.
        ``"document"``: one list per file.
    min_tokens : units with fewer tokens are skipped (headings, captions).

    Returns
    -------
    iterator of list of str
        Read lazily; call again for another pass.

    Notes
    -----
    Tokens are the maximal runs of ``a-z`` in the lowercased text, so ``"Atlanta's"``
    gives ``atlanta s`` and numbers disappear. With the defaults the text is the same,
    line for line, as the reference ``nltk_mix.txt.gz``: 25,992 units, 3,821,230 tokens.
    Reading all six corpora takes about 20 s; :func:`nltk_corpus` caches the text.

    Raises
    ------
    DatasetError
        nltk is not installed, or a corpus is not found: the message names the
        ``nltk.download(...)`` call that fixes it and the folders searched (``NLTK_DATA``).
    """
    names, min_tokens = _check_arguments(names, unit, min_tokens)
    nltk = _nltk_module()
    _check_nltk_data(nltk, names, unit)

    def generate():
        for name in names:
            try:
                for text in _corpus_units(nltk, name, unit):
                    toks = _tokens(text)
                    if len(toks) >= min_tokens:
                        yield toks
            except LookupError:  # e.g. a resource that vanished or a tokenizer
                raise DatasetError(_missing_message(nltk, "corpus", name,
                                                    f"corpora/{name}.zip")) from None

    return generate()


def write_nltk_mix(path, names: Sequence[str] = NLTK_CORPORA, unit: str = "paragraph", *,
                   min_tokens: int = 3) -> Path:
    """Write :func:`nltk_sentences` as text, one unit a line, tokens separated by one
    space; gzip-compressed (with reproducible bytes) if ``path`` ends in ``.gz``. The
    write is atomic: the file appears complete or not at all. Returns the path."""
    sentences = nltk_sentences(names, unit, min_tokens=min_tokens)
    return _write_lines(path, (" ".join(s) for s in sentences))


def nltk_mix(names: Sequence[str] = NLTK_CORPORA, unit: str = "paragraph", *,
             min_tokens: int = 3, cache_dir=None) -> Path:
    """The path of the cached text of :func:`nltk_sentences`, written on first use.

    The file is ``nltk_<names>_<unit>_min<k>_v<version>.txt.gz`` in :func:`~embedlib.datasets.data_dir`
    (``nltk_mix_...`` for the six default corpora). Delete it to rebuild it.
    """
    names, min_tokens = _check_arguments(names, unit, min_tokens)
    label = "mix" if names == NLTK_CORPORA else "+".join(names)
    path = data_dir(cache_dir) / f"nltk_{label}_{unit}_min{min_tokens}_v{_CACHE_VERSION}.txt.gz"
    if not path.exists():
        write_nltk_mix(path, names, unit, min_tokens=min_tokens)
    return path


def nltk_corpus(names: Sequence[str] = NLTK_CORPORA, unit: str = "paragraph", *,
                min_count: int = 5, max_vocab_size: int | None = None, min_tokens: int = 3,
                cache: bool = True, cache_dir=None) -> Corpus:
    """NLTK's corpora as an :class:`embedlib.corpus.Corpus` (see :func:`nltk_sentences`).

    With ``cache=True`` (default) the text is read from :func:`nltk_mix`'s cache file,
    written on the first call (about 20 s for all six corpora; about 2 s afterwards);
    with ``cache=False`` it is read through ``nltk.corpus`` every time.
    """
    if cache:
        path = nltk_mix(names, unit, min_tokens=min_tokens, cache_dir=cache_dir)
        return Corpus.from_file(path, min_count=min_count, max_vocab_size=max_vocab_size)
    return Corpus.from_sentences(nltk_sentences(names, unit, min_tokens=min_tokens),
                                 min_count=min_count, max_vocab_size=max_vocab_size)

"""Data sets for the book's chapters: planted structure, NLTK's corpora and text8.

Three sources, from the smallest to the largest, all deterministic:

* :func:`planted_corpus`: a synthetic corpus whose words are built as *entity* ⊕ *role*
  (``alder_country``, ``alder_capital``, ``birch_country``, ...) and whose co-occurrence
  statistics make every analogy ``alder_country : alder_capital :: birch_country :
  birch_capital`` hold exactly in the PPMI matrix. Skip-gram recovers the structure in
  a few seconds, so a chapter can show what the methods find when the answer is known.
  Needs nothing but NumPy.
* :func:`nltk_sentences`, :func:`nltk_corpus`, :func:`write_nltk_mix`: six of NLTK's
  corpora (Brown, ABC, State of the Union, webtext, inaugural addresses, movie reviews)
  as one lowercase text of ``[a-z]+`` tokens, about 3.8 million tokens: real English,
  small enough to train on in a chapter. Reading them through ``nltk.corpus`` takes about
  20 s, so :func:`nltk_corpus` keeps the text in a cache file and reads that afterwards.
* :func:`load_text8`, :func:`text8_sentences`: text8 (Mahoney 2006), the first 10^8
  bytes of an English Wikipedia dump reduced to lowercase letters and spaces, 17 million
  tokens on one line: the benchmark on which word2vec was tuned. Downloaded once,
  checked against SHA-256 digests and cached.

Cache files live in :func:`data_dir`: the ``cache_dir`` argument, else the directory named
by ``$EMBEDLIB_DATA``, else ``$XDG_CACHE_HOME/embedlib``, else ``~/.cache/embedlib``.
Every cache file is written to a temporary file and renamed into place only when it is
complete (and, for downloads, verified), so an interrupted run never leaves a file that
a later run would trust.
"""

from __future__ import annotations

import gzip
import hashlib
import http.client
import itertools
import os
import re
import tempfile
import urllib.error
import urllib.request
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ._atomic import atomic_write
from ._checks import check_float, check_int
from .corpus import Corpus

__all__ = [
    "EVALUATION_FILES", "evaluation_file",
    "DatasetError", "ChecksumError", "data_dir",
    "PlantedCorpus", "planted_corpus", "ENTITY_NAMES",
    "NLTK_CORPORA", "nltk_sentences", "nltk_corpus", "nltk_mix", "write_nltk_mix",
    "TEXT8_URL", "TEXT8_ZIP_SHA256", "TEXT8_SHA256", "TEXT8_SIZE", "load_text8",
    "text8_sentences",
]


class DatasetError(RuntimeError):
    """A data set that cannot be read or fetched; the message says how to fix it."""


class ChecksumError(DatasetError):
    """Downloaded data whose SHA-256 digest (or size) is not the expected one."""


def data_dir(cache_dir=None) -> Path:
    """The directory for cached data sets, created if needed.

    ``cache_dir`` if given, else ``$EMBEDLIB_DATA``, else ``$XDG_CACHE_HOME/embedlib``,
    else ``~/.cache/embedlib``.
    """
    if cache_dir is None:
        cache_dir = os.environ.get("EMBEDLIB_DATA") or None
    if cache_dir is None:
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        cache_dir = os.path.join(base, "embedlib")
    path = Path(cache_dir).expanduser()
    path.mkdir(parents=True, exist_ok=True)
    return path


# ====================================================================== planted corpus
#: Entity names used by :func:`planted_corpus`, in order (at most this many entities).
ENTITY_NAMES = ("alder", "birch", "cedar", "elm", "fir", "hazel", "larch", "maple", "oak",
                "pine", "rowan", "spruce", "willow", "yew", "ash", "beech", "holly",
                "juniper", "laurel", "poplar")

_WORD_RE = re.compile(r"[a-z][a-z0-9]*")


@dataclass(frozen=True)
class PlantedCorpus:
    """A synthetic corpus with known similarity and analogy structure.

    Made by :func:`planted_corpus`, whose docstring describes the generative process.

    Attributes
    ----------
    sentences : list of list of str
        The corpus, one token list per sentence.
    entities, roles : tuple of str
        The entity and role names; the word for entity ``e`` in role ``r`` is
        ``forms[e, r] == f"{e}_{r}"``.
    forms : dict (entity, role) -> str
    analogies : list of (a, b, c, d)
        Every question ``(e1_r1, e1_r2, e2_r1, e2_r2)``: for each pair of roles
        ``r1 < r2`` (in ``roles`` order) and each ordered pair of distinct entities.
        ``a : b :: c : d`` holds by construction.
    groups : dict str -> str
        The topic of each non-filler word: a form and its entity's context words map to
        the entity, a role's context words map to the role.
    role_of : dict str -> str
        The role of each form.
    params : dict
        The arguments that made the corpus (seed included).
    """

    sentences: list = field(repr=False)
    entities: tuple
    roles: tuple
    forms: dict = field(repr=False)
    analogies: list = field(repr=False)
    groups: dict = field(repr=False)
    role_of: dict = field(repr=False)
    params: dict = field(repr=False)

    def __len__(self) -> int:
        return len(self.sentences)

    @property
    def n_tokens(self) -> int:
        return sum(map(len, self.sentences))

    @property
    def entity_of(self) -> dict:
        """The entity of each form."""
        return {w: e for (e, _), w in self.forms.items()}

    def __repr__(self) -> str:
        return (f"PlantedCorpus({len(self)} sentences, {self.n_tokens} tokens, "
                f"{len(self.entities)} entities x {len(self.roles)} roles, "
                f"{len(self.analogies)} analogies)")

    def corpus(self, min_count: int = 1) -> Corpus:
        """The sentences as an :class:`embedlib.corpus.Corpus` (every word kept by default)."""
        return Corpus.from_sentences(self.sentences, min_count=min_count)

    def analogy_sections(self) -> dict:
        """Analogies grouped by role pair: ``{"r1-r2": [(a, b, c, d), ...]}``."""
        role_of = self.role_of
        sections: dict = {}
        for q in self.analogies:
            sections.setdefault(f"{role_of[q[0]]}-{role_of[q[1]]}", []).append(q)
        return sections

    def word_pairs(self) -> list:
        """``(w1, w2, score)`` for every pair of forms: score 1 if they share the entity or
        the role, else 0. Feed to :func:`embedlib.evaluation.evaluate_similarity`."""
        forms = list(self.forms.items())
        pairs = []
        for i, ((e1, r1), w1) in enumerate(forms):
            for (e2, r2), w2 in forms[i + 1:]:
                pairs.append((w1, w2, float(e1 == e2 or r1 == r2)))
        return pairs

    def write(self, path) -> Path:
        """Write the corpus as text, one sentence per line (gzip if ``path`` ends in
        ``.gz``), atomically. Returns the path."""
        return _write_lines(path, (" ".join(s) for s in self.sentences))

    def analogies_file(self, path) -> Path:
        """Write the analogies in the ``questions-words.txt`` format (``: r1-r2`` section
        lines, then ``a b c d`` lines), atomically, for
        :func:`embedlib.evaluation.evaluate_analogies`. Returns the path."""
        lines = []
        for name, questions in self.analogy_sections().items():
            lines.append(f": {name}")
            lines.extend(" ".join(q) for q in questions)
        return _write_lines(path, lines)


def planted_corpus(n_sentences: int = 10_000, seed: int = 0, *, n_entities: int = 12,
                   roles: Sequence[str] = ("country", "capital", "currency", "language"),
                   n_entity_context: int = 10, n_role_context: int = 10,
                   n_filler: int = 200, length: tuple = (10, 20), p_entity: float = 0.3,
                   p_role: float = 0.3, zipf_exponent: float = 1.0) -> PlantedCorpus:
    """A corpus in which word = entity ⊕ role, so that analogies hold by construction.

    Generative process
    ------------------
    There are ``n_entities`` entities (``alder``, ``birch``, ... from
    :data:`ENTITY_NAMES`) and the given ``roles``; the *form* of entity ``e`` in role
    ``r`` is the word ``e_r`` (``alder_capital``). Each entity owns ``n_entity_context``
    context words (``alder_t0`` ...), each role owns ``n_role_context`` context words
    (``capital_t0`` ...), and ``n_filler`` filler words ``f0``, ``f1``, ... are shared by
    everything. Each sentence, independently:

    1. draws an entity ``e`` and a role ``r`` uniformly, and a length ``L`` uniformly
       from ``length[0]..length[1]``;
    2. holds exactly one form, ``e_r``;
    3. fills the other ``L - 1`` positions independently: with probability ``p_entity``
       a context word of ``e`` (uniform among them), with probability ``p_role`` a
       context word of ``r`` (uniform), otherwise a filler word drawn from a Zipf law
       (probability of filler rank ``k`` proportional to ``(k + 1) ** -zipf_exponent``);
    4. places the form at a uniformly random position.

    Why analogies hold
    ------------------
    Every position of a sentence is drawn from the same mixture, whatever its distance to
    the form, so for any window the contexts of form ``w = e_r`` follow
    :math:`P(c \\mid w) = p_E P_e(c) + p_R P_r(c) + p_F P_F(c)` with disjoint supports.
    Its PMI with an entity's context word depends only on ``e``, with a role's context
    word only on ``r``, with a filler word on neither. Hence the PPMI row of ``e_r`` is
    exactly :math:`A_e + B_r + F` (three vectors with disjoint supports) and
    :math:`M_{e_1 r_2} - M_{e_1 r_1} + M_{e_2 r_1} = M_{e_2 r_2}` in expectation: the
    additive structure that Levy & Goldberg (2014) and Allen & Hospedales (2019) show
    SGNS inherits. Forms never share a sentence, so no interaction term spoils the sum.
    With the defaults (12 entities x 4 roles, 10,000 sentences, about 150,000 tokens,
    vocabulary 408) skip-gram (``vector_size=50, window=5, epochs=5``) answers all 792
    analogy questions correctly after a few seconds of training; with 2,000 sentences
    about 96% of them, with 1,000 about 30%.

    Parameters
    ----------
    n_sentences : number of sentences.
    seed : seed of every random draw; the same seed gives the same sentences.
    n_entities : 1..len(ENTITY_NAMES).
    roles : role names (distinct, lowercase ``[a-z][a-z0-9]*``, not ``t0``, ``t1``, ...
        nor an entity name), at least one.
    n_entity_context, n_role_context : context words per entity / per role (>= 1).
    n_filler : filler words (>= 1).
    length : (shortest, longest) sentence, at least 2 tokens.
    p_entity, p_role : probabilities of an entity / role context word at a position;
        ``p_entity + p_role <= 1``, the rest is filler.
    zipf_exponent : exponent of the filler words' Zipf law (0: uniform).

    Returns
    -------
    PlantedCorpus
    """
    n_sentences = check_int("n_sentences", n_sentences, 1)
    seed = check_int("seed", seed, 0)
    n_entities = check_int("n_entities", n_entities, 1, len(ENTITY_NAMES))
    n_entity_context = check_int("n_entity_context", n_entity_context, 1)
    n_role_context = check_int("n_role_context", n_role_context, 1)
    n_filler = check_int("n_filler", n_filler, 1)
    p_entity = check_float("p_entity", p_entity, 0, 1)
    p_role = check_float("p_role", p_role, 0, 1)
    if p_entity + p_role > 1:
        raise ValueError(f"p_entity + p_role must be <= 1, got {p_entity} + {p_role}")
    zipf_exponent = check_float("zipf_exponent", zipf_exponent, 0, 10)
    if isinstance(roles, str):
        raise TypeError(f"roles must be a sequence of names, got the string {roles!r}")
    roles = tuple(roles)
    if not roles:
        raise ValueError("roles must hold at least one role name")
    for r in roles:
        if not isinstance(r, str) or not _WORD_RE.fullmatch(r):
            raise ValueError(f"role names must match [a-z][a-z0-9]*, got {r!r}")
    reserved = [r for r in roles if re.fullmatch(r"t[0-9]+", r)]
    if reserved:
        raise ValueError(f"role names of the form t<number> are reserved for context words "
                         f"(alder_t0, ...), got {reserved}")
    if len(set(roles)) != len(roles):
        raise ValueError(f"role names must be distinct, got {roles!r}")
    clash = set(roles) & set(ENTITY_NAMES)
    if clash:
        raise ValueError(f"role names must differ from entity names, got {sorted(clash)}")
    if (not isinstance(length, (tuple, list)) or len(length) != 2):
        raise TypeError(f"length must be a pair (shortest, longest), got {length!r}")
    lo = check_int("length[0]", length[0], 2)
    hi = check_int("length[1]", length[1], lo)

    entities = ENTITY_NAMES[:n_entities]
    E, R = len(entities), len(roles)
    forms = {(e, r): f"{e}_{r}" for e in entities for r in roles}

    # Vocabulary as one id space: forms, entity context, role context, filler.
    form_words = [forms[e, r] for e in entities for r in roles]          # id e * R + r
    ent_words = [f"{e}_t{j}" for e in entities for j in range(n_entity_context)]
    role_words = [f"{r}_t{j}" for r in roles for j in range(n_role_context)]
    filler_words = [f"f{j}" for j in range(n_filler)]
    words = np.array(form_words + ent_words + role_words + filler_words, dtype=object)
    ent0 = len(form_words)
    role0 = ent0 + len(ent_words)
    fill0 = role0 + len(role_words)

    rng = np.random.default_rng([seed, 0x706C616E])                     # "plan"
    ent = rng.integers(0, E, n_sentences)
    role = rng.integers(0, R, n_sentences)
    lengths = rng.integers(lo, hi + 1, n_sentences)
    total = int(lengths.sum())
    sent_of = np.repeat(np.arange(n_sentences), lengths)
    u = rng.random(total)
    kind = np.where(u < p_entity, 0, np.where(u < p_entity + p_role, 1, 2))
    ent_pick = rng.integers(0, n_entity_context, total)
    role_pick = rng.integers(0, n_role_context, total)
    zipf = (np.arange(1, n_filler + 1, dtype=np.float64)) ** -zipf_exponent
    filler_pick = rng.choice(n_filler, size=total, p=zipf / zipf.sum())
    ids = np.where(kind == 0, ent0 + ent[sent_of] * n_entity_context + ent_pick,
                   np.where(kind == 1, role0 + role[sent_of] * n_role_context + role_pick,
                            fill0 + filler_pick))
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    form_pos = starts + (rng.random(n_sentences) * lengths).astype(np.int64)
    ids[form_pos] = ent * R + role
    tokens = words[ids].tolist()
    sentences = [tokens[s:s + n] for s, n in zip(starts.tolist(), lengths.tolist())]

    analogies = []
    for i1, r1 in enumerate(roles):
        for r2 in roles[i1 + 1:]:
            for e1, e2 in itertools.permutations(entities, 2):
                analogies.append((forms[e1, r1], forms[e1, r2], forms[e2, r1], forms[e2, r2]))
    groups = {w: e for (e, _), w in forms.items()}
    groups.update({w: entities[i // n_entity_context] for i, w in enumerate(ent_words)})
    groups.update({w: roles[i // n_role_context] for i, w in enumerate(role_words)})
    role_of = {w: r for (_, r), w in forms.items()}
    params = dict(n_sentences=n_sentences, seed=seed, n_entities=n_entities, roles=roles,
                  n_entity_context=n_entity_context, n_role_context=n_role_context,
                  n_filler=n_filler, length=(lo, hi), p_entity=p_entity, p_role=p_role,
                  zipf_exponent=zipf_exponent)
    return PlantedCorpus(sentences=sentences, entities=entities, roles=roles, forms=forms,
                         analogies=analogies, groups=groups, role_of=role_of, params=params)


def _write_lines(path, lines) -> Path:
    """Write text lines (each + "\\n") atomically; gzip (reproducible bytes) for ``.gz``."""
    path = Path(os.fspath(path))
    with atomic_write(path, "wb") as raw:
        if path.suffix == ".gz":
            # mtime=0 and no file name in the header: the same text gives the same bytes.
            with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as gz:
                _write_encoded(gz, lines)
        else:
            _write_encoded(raw, lines)
    return path


def _write_encoded(f, lines, batch: int = 4096) -> None:
    buf = []
    for line in lines:
        buf.append(line)
        if len(buf) >= batch:
            f.write(("\n".join(buf) + "\n").encode("utf-8"))
            buf.clear()
    if buf:
        f.write(("\n".join(buf) + "\n").encode("utf-8"))


# ====================================================================== NLTK corpora
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
    names = _check_names(names)
    if unit not in _UNITS:
        raise ValueError(f"unit must be one of {', '.join(map(repr, _UNITS))}, got {unit!r}")
    min_tokens = check_int("min_tokens", min_tokens, 0)
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

    The file is ``nltk_<names>_<unit>_min<k>_v<version>.txt.gz`` in :func:`data_dir`
    (``nltk_mix_...`` for the six default corpora). Delete it to rebuild it.
    """
    names = _check_names(names)
    if unit not in _UNITS:
        raise ValueError(f"unit must be one of {', '.join(map(repr, _UNITS))}, got {unit!r}")
    min_tokens = check_int("min_tokens", min_tokens, 0)
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


# ====================================================================== text8
#: Where text8 is published (Mahoney 2006, "About the test data").
TEXT8_URL = "http://mattmahoney.net/dc/text8.zip"
#: SHA-256 of ``text8.zip`` (31,344,016 bytes), as published by many independent projects
#: that pin it; it could not be recomputed where this module was written (no network).
TEXT8_ZIP_SHA256 = "a6640522afe85d1963ad56c05b0ede0a0c000dddc9671758a6cc09b7a38e5232"
#: SHA-256 of the extracted file ``text8``, likewise.
TEXT8_SHA256 = "6e890197040d37d85beb962ae1f041ff1d9a9ca8d20c7d99c85027eebf51dca7"
#: Size in bytes of the extracted ``text8`` (10^8 by definition of the benchmark).
TEXT8_SIZE = 100_000_000

_HEX64 = re.compile(r"[0-9a-f]{64}")
_CHUNK = 1 << 20


def _check_sha256(name: str, value, optional: bool = False):
    if value is None and optional:
        return None
    if not isinstance(value, str) or not _HEX64.fullmatch(value.lower()):
        raise ValueError(f"{name} must be a SHA-256 digest (64 hexadecimal digits), "
                         f"got {value!r}")
    return value.lower()


def load_text8(cache_dir=None, url: str = TEXT8_URL, *, sha256: str = TEXT8_ZIP_SHA256,
               text_sha256: str | None = TEXT8_SHA256, size: int | None = TEXT8_SIZE,
               member: str = "text8", timeout: float = 60.0, verbose: bool = True) -> Path:
    """The path of the text8 corpus, downloaded and verified on first use.

    If ``<cache_dir>/text8`` exists (and has ``size`` bytes), it is returned without any
    network access. Otherwise the zip file at ``url`` is downloaded to a temporary file
    in the cache directory while its SHA-256 is computed; the download is rejected if it
    ends early (fewer bytes than the server's ``Content-Length``) or its digest is not
    ``sha256``. The member ``member`` is then extracted to another temporary file (the
    zip's CRC-32 is checked by ``zipfile``), checked against ``size`` and
    ``text_sha256``, and only then renamed to ``<cache_dir>/text8``. The zip is deleted.
    Any failure removes the temporary files, so no partial or unverified file is ever
    cached.

    Parameters
    ----------
    cache_dir : directory of the cache (see :func:`data_dir`).
    url : where to get the zip (a mirror, or a local server in tests).
    sha256 : SHA-256 of the zip file; required, so every download is verified. The
        default :data:`TEXT8_ZIP_SHA256` is the digest published for text8.zip.
    text_sha256 : SHA-256 of the extracted file, or None to skip this second check.
    size : size in bytes of the extracted file, or None to skip the check.
    member : name of the file inside the zip.
    timeout : seconds to wait for the server before giving up.
    verbose : show a progress bar while downloading.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    ChecksumError
        The zip's or the text's digest (or size) is not the expected one; the message
        names the expected and the actual value.
    DatasetError
        The download failed (HTTP error, connection error, truncated response) or the
        zip does not hold ``member``.
    """
    sha256 = _check_sha256("sha256", sha256)
    text_sha256 = _check_sha256("text_sha256", text_sha256, optional=True)
    if size is not None:
        size = check_int("size", size, 0)
    check_float("timeout", timeout, 0, low_open=True)
    directory = data_dir(cache_dir)
    target = directory / member
    if target.exists():
        actual = target.stat().st_size
        if size is not None and actual != size:
            raise ChecksumError(f"cached file {target} has {actual} bytes, expected {size}; "
                                "delete it to download it again")
        return target

    fd, zip_tmp = tempfile.mkstemp(dir=directory, prefix=f".{member}.", suffix=".zip.tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            digest = _download(url, out, timeout, verbose)
        if digest != sha256:
            raise ChecksumError(f"SHA-256 of the download from {url} is {digest}, expected "
                                f"{sha256}; the file is corrupt or not the expected one "
                                "(nothing was cached)")
        _extract(zip_tmp, member, target, size, text_sha256, url)
    finally:
        try:
            os.unlink(zip_tmp)
        except FileNotFoundError:
            pass
    return target


def _download(url: str, out, timeout: float, verbose: bool) -> str:
    """Stream ``url`` into the open file ``out``; return the SHA-256 of the bytes."""
    h = hashlib.sha256()
    received = 0
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            expected = response.headers.get("Content-Length")
            expected = int(expected) if expected and expected.isdigit() else None
            bar = None
            if verbose:
                from tqdm.auto import tqdm
                bar = tqdm(total=expected, unit="B", unit_scale=True, desc="text8.zip")
            try:
                while True:
                    block = response.read(_CHUNK)
                    if not block:
                        break
                    h.update(block)
                    out.write(block)
                    received += len(block)
                    if bar is not None:
                        bar.update(len(block))
            finally:
                if bar is not None:
                    bar.close()
    except urllib.error.HTTPError as e:
        raise DatasetError(f"cannot download {url}: HTTP {e.code} {e.reason}") from None
    except http.client.IncompleteRead as e:
        raise DatasetError(f"download of {url} was cut short after "
                           f"{received + len(e.partial)} bytes (nothing was cached)") from None
    except (urllib.error.URLError, OSError, http.client.HTTPException) as e:
        reason = getattr(e, "reason", e)
        raise DatasetError(f"cannot download {url}: {reason} (nothing was cached)") from None
    if expected is not None and received != expected:
        raise DatasetError(f"download of {url} was cut short: {received} of {expected} bytes "
                           "(nothing was cached)")
    return h.hexdigest()


def _extract(zip_path, member: str, target: Path, size, text_sha256, url: str) -> None:
    try:
        archive = zipfile.ZipFile(zip_path)
    except zipfile.BadZipFile as e:
        raise DatasetError(f"the download from {url} is not a zip file ({e})") from None
    with archive:
        if member not in archive.namelist():
            raise DatasetError(f"the zip from {url} holds no {member!r} (it holds "
                               f"{', '.join(archive.namelist()[:5]) or 'nothing'})")
        h = hashlib.sha256()
        n = 0
        with atomic_write(target, "wb") as out, archive.open(member) as src:
            try:
                while True:
                    block = src.read(_CHUNK)
                    if not block:
                        break
                    h.update(block)
                    out.write(block)
                    n += len(block)
            except zipfile.BadZipFile as e:  # CRC-32 mismatch
                raise ChecksumError(f"{member} in the zip from {url} is corrupt ({e})") from None
            if size is not None and n != size:
                raise ChecksumError(f"{member} from {url} has {n} bytes, expected {size}")
            if text_sha256 is not None and h.hexdigest() != text_sha256:
                raise ChecksumError(f"SHA-256 of {member} from {url} is {h.hexdigest()}, "
                                    f"expected {text_sha256}")


def text8_sentences(path, chunk: int = 10_000, max_tokens: int | None = None) -> Iterator[list]:
    """The tokens of text8 (one line of space-separated words) as lists of ``chunk``
    tokens: text8 has no sentence boundaries, so a "sentence" is an arbitrary stretch, as
    in word2vec.c (1,000 tokens) and gensim's ``Text8Corpus``. The file is streamed, never
    held in memory whole. ``max_tokens`` stops after that many tokens (a prefix of the
    corpus). Works for any text file whose tokens are separated by white space."""
    chunk = check_int("chunk", chunk, 1)
    if max_tokens is not None:
        max_tokens = check_int("max_tokens", max_tokens, 0)
    path = Path(os.fspath(path))
    if not path.is_file():
        raise FileNotFoundError(f"text8 file not found: {path}")

    def generate():
        left = max_tokens
        pending: list = []
        rest = ""
        with open(path, encoding="utf-8") as f:
            while left is None or left > 0:
                block = f.read(_CHUNK)
                if not block:
                    words = rest.split()
                else:
                    text = rest + block
                    cut = max(text.rfind(" "), text.rfind("\n"))
                    if cut < 0:
                        rest = text
                        continue
                    words, rest = text[:cut].split(), text[cut + 1:]
                if left is not None:
                    words = words[:left]
                    left -= len(words)
                pending.extend(words)
                while len(pending) >= chunk:
                    yield pending[:chunk]
                    del pending[:chunk]
                if not block:
                    break
        if pending:
            yield pending

    return generate()


# -- standard evaluation sets ------------------------------------------------------------

#: The evaluation files gensim's wheel ships (``gensim/test/test_data``), by short name.
EVALUATION_FILES = {
    "wordsim353": "wordsim353.tsv",      # Finkelstein et al. 2002, relatedness
    "simlex999": "simlex999.txt",        # Hill, Reichart & Korhonen 2015, similarity
    "questions-words": "questions-words.txt",  # Mikolov et al. 2013a, analogies
}


def evaluation_file(name: str) -> Path:
    """Path of a standard evaluation set: ``"wordsim353"``, ``"simlex999"`` or
    ``"questions-words"``.

    The files come with gensim's wheel (``pip install gensim``); embedlib reads them from
    there rather than shipping copies of its own.
    """
    if name not in EVALUATION_FILES:
        raise ValueError(f"unknown evaluation set {name!r}; choose one of "
                         f"{', '.join(EVALUATION_FILES)}")
    try:
        import gensim
    except ImportError:
        raise DatasetError(f"the {name} evaluation file comes with gensim's wheel: "
                           "pip install gensim") from None
    path = Path(gensim.__file__).parent / "test" / "test_data" / EVALUATION_FILES[name]
    if not path.exists():
        raise DatasetError(f"{path.name} is missing from the installed gensim ({path.parent})")
    return path

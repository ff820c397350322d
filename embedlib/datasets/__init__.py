"""Data sets for the book's chapters: planted structure, NLTK's corpora and text8.

Three sources, from the smallest to the largest, all deterministic, one module each; every
name below can be imported from ``embedlib.datasets`` itself.

* :mod:`embedlib.datasets.planted`: a synthetic corpus whose words are built as *entity* ⊕
  *role* (``alder_country``, ``alder_capital``, ``birch_country``, ...) and whose
  co-occurrence statistics make every analogy ``alder_country : alder_capital ::
  birch_country : birch_capital`` hold exactly in the PPMI matrix
  (:func:`~embedlib.datasets.planted.planted_corpus`). Skip-gram recovers the structure in
  a few seconds, so a chapter can show what the methods find when the answer is known.
  Needs nothing but NumPy.
* :mod:`embedlib.datasets.nltk`: six of NLTK's corpora (Brown, ABC, State of the Union,
  webtext, inaugural addresses, movie reviews) as one lowercase text of ``[a-z]+`` tokens,
  about 3.8 million tokens: real English, small enough to train on in a chapter
  (:func:`~embedlib.datasets.nltk.nltk_sentences`,
  :func:`~embedlib.datasets.nltk.nltk_corpus`,
  :func:`~embedlib.datasets.nltk.write_nltk_mix`). Reading them through ``nltk.corpus``
  takes about 20 s, so :func:`~embedlib.datasets.nltk.nltk_corpus` keeps the text in a
  cache file and reads that afterwards. Needs ``nltk`` and its data.
* :mod:`embedlib.datasets.text8`: text8 (Mahoney 2006), the first 10^8 bytes of an English
  Wikipedia dump reduced to lowercase letters and spaces, 17 million tokens on one line:
  the benchmark on which word2vec was tuned (:func:`~embedlib.datasets.text8.load_text8`,
  :func:`~embedlib.datasets.text8.text8_sentences`). Downloaded once with pooch (the
  ``download`` extra), checked against SHA-256 digests and cached.

Cache files live in :func:`data_dir`: the ``cache_dir`` argument, else the directory named
by ``$EMBEDLIB_DATA``, else the user cache folder of ``platformdirs`` (``~/.cache/embedlib``
on Linux). Every cache file is written to a temporary file and renamed into place only when
it is complete (and, for downloads, verified), so an interrupted run never leaves a file
that a later run would trust.

The standard evaluation sets (WordSim353, SimLex-999, ``questions-words.txt``) are found by
:func:`embedlib.evaluation.evaluation_file`; ``embedlib.datasets.evaluation_file`` and
``embedlib.datasets.EVALUATION_FILES`` are the same objects, kept under their first names.
"""

from __future__ import annotations

from .._errors import ChecksumError, DatasetError
from ..evaluation import EVALUATION_FILES, evaluation_file
from ._cache import data_dir
from .nltk import NLTK_CORPORA, nltk_corpus, nltk_mix, nltk_sentences, write_nltk_mix
from .planted import ENTITY_NAMES, PlantedCorpus, planted_corpus
from .text8 import (TEXT8_SHA256, TEXT8_SIZE, TEXT8_URL, TEXT8_ZIP_SHA256, load_text8,
                    text8_sentences)

__all__ = [
    "EVALUATION_FILES", "evaluation_file",
    "DatasetError", "ChecksumError", "data_dir",
    "PlantedCorpus", "planted_corpus", "ENTITY_NAMES",
    "NLTK_CORPORA", "nltk_sentences", "nltk_corpus", "nltk_mix", "write_nltk_mix",
    "TEXT8_URL", "TEXT8_ZIP_SHA256", "TEXT8_SHA256", "TEXT8_SIZE", "load_text8",
    "text8_sentences",
]

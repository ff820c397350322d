"""``embedlib train sgns|cbow|glove|svd CORPUS -o VECTORS [options]``.

Each model's options are an :class:`_Opt` table: the Python parameter, its type and, where
the model's docstring says it well, nothing more -- the help is then the docstring's
description, the default the signature's and the choices the library's constants. The run
is common: refuse an output that is the corpus or cannot be written, read the corpus, fit,
report ``history_``, check the vectors and save them atomically. Whatever stops the run
(an error, Ctrl-C, SIGTERM), it leaves neither the output nor a temporary file or folder.
"""

from __future__ import annotations

import argparse
import functools
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from .. import formats
from .._atomic import check_writable, remove_temporaries
from .._errors import CorpusError, TrainingError, spell
from .._spill import remove_spill_directories
from ..base import OUTPUTS
from ..cooccur import WEIGHTINGS, cooccurrence
from ..corpus import ENCODING_ERRORS, Corpus
from ..corpus_store import is_encoded
from ..counts_file import load_counts
from ..glove import GloVe
from ..pmi import PPMISVD, SOLVERS
from ..sampling import SUBSAMPLE_FORMULAS
from ..word2vec import Word2Vec
from ._common import CLIError, Options, dest, info, kwdefaults, option, param_docs, reported, \
    warn

__all__ = ["add_train_commands", "run_train", "check_output", "check_vectors", "read_corpus"]


@dataclass(frozen=True)
class _Opt:
    """A command-line option for the model parameter ``name`` (default read from the model).

    ``type`` is ``bool`` for a flag (``--name`` if the default is off, ``--no-name`` if on);
    ``help`` None takes the description from the model's docstring; ``none`` describes
    what a ``None`` default means in the help.
    """

    name: str
    type: Callable | None
    help: str | None = None
    metavar: str | None = None
    choices: tuple | None = None
    none: str = "none"
    flag: str | None = None  # when the option's name differs from the parameter's

    @property
    def option(self) -> str:
        return self.flag or option(self.name)


def _add_options(group, opts: Sequence[_Opt], defaults: dict, docs: dict,
                 table: Options) -> list[str]:
    """Add ``opts`` to ``group`` with the defaults in ``defaults`` and, unless given, the
    help in ``docs``; returns their names."""
    for o in opts:
        default, text = defaults[o.name], o.help or docs[o.name]
        if o.type is bool:
            flag = "--no-" + o.option[2:] if default else o.option
            table.add(group, o.name, flag, action="store_false" if default else "store_true",
                      default=bool(default), help=f"turn off: {text}" if default else text)
            continue
        shown = o.none if default is None else "%(default)s"
        table.add(group, o.name, o.option, type=o.type, default=default, metavar=o.metavar,
                  choices=o.choices, help=f"{text.rstrip('.')} (default: {shown})")
    return [o.name for o in opts]


# Options the training commands share; each command offers those its model accepts.
_SHARED_OPTS = (
    _Opt("vector_size", int, None, "D"),
    _Opt("window", int, None, "N"),
    _Opt("min_count", int, "drop words occurring fewer times", "N"),
    _Opt("max_vocab_size", int, "keep at most this many (most frequent) words", "N",
         none="no limit"),
    _Opt("epochs", int, None, "N"),
    _Opt("workers", int, "training threads", "N", none="all cores"),
    _Opt("seed", int, "random seed; with --workers 1 the output is reproducible", "S"),
)


def _word2vec_opts(sg: int) -> tuple[_Opt, ...]:
    default_alpha = Word2Vec(sg=sg, verbose=False).learning_rate
    opts = [
        _Opt("negative", int, None, "K"),
        _Opt("ns_exponent", float, "noise distribution = unigram frequency ** P", "P"),
        _Opt("softmax", bool),
        _Opt("hs", bool, "hierarchical softmax over a Huffman tree of the word counts (alone "
                         "with --negative 0, or beside negative sampling)"),
        _Opt("sample", float, None, "T"),
        _Opt("subsample_formula", str, choices=SUBSAMPLE_FORMULAS),
        _Opt("alpha", float, "initial learning rate (decays linearly to the final one)", "A",
             none=f"{default_alpha:g}"),
        _Opt("min_alpha", float, None, "A"),
        _Opt("tied", bool, "one matrix for words and contexts (the .npz output then has no "
                           "context matrix)"),
        _Opt("bias", bool, "per-word biases in every score, w.c + b_w + b~_c (one bias a "
                           "word with --tied; an .npz output keeps them; not with --hs)"),
    ]
    if not sg:
        opts.append(_Opt("cbow_exact", bool, "divide the hidden-layer gradient by the number "
                                             "of context words (the exact gradient of the "
                                             "mean; word2vec and gensim do not)"))
    return tuple(opts)


# GloVe and the SVD of PPMI count co-occurrences the same way
_COUNT_OPTS = (
    _Opt("weighting", str, choices=WEIGHTINGS),
    _Opt("symmetric", bool, "counting context words on both sides (when off: the left "
                            "context only)"),
    _Opt("memory_limit", str, "bound on the working memory of counting, e.g. 2G; larger "
                              "tables are counted in runs spilled to disk", "SIZE",
         none="no limit"),
    _Opt("tmp_dir", str, "where spilled runs go", "DIR", none="the system's temp folder"),
)


def _glove_opts() -> tuple[_Opt, ...]:
    return (
        _Opt("x_max", float, "weighting f(x) = min(1, (x / x_max)^alpha): the cap", "X"),
        _Opt("alpha", float, "exponent of the weighting function", "A"),
        _Opt("eta", float, None, "ETA"),
        _Opt("clip", float, None, "G"),
        _Opt("tied", bool),
        _Opt("output", str, "vectors to write: W, C (W~), their sum or their concatenation",
             choices=OUTPUTS, flag="--vectors"),
        *_COUNT_OPTS,
    )


def _svd_opts() -> tuple[_Opt, ...]:
    return (
        _Opt("k", float, None, "K"),
        _Opt("cds", float, None, "P"),
        _Opt("eig", float, None, "P"),
        _Opt("solver", str, "SVD solver", choices=SOLVERS),
        _Opt("output", str, "vectors to write: W, C, their sum or their concatenation",
             choices=OUTPUTS, flag="--vectors"),
        *_COUNT_OPTS,
    )


def _add_train_command(train_sub, name: str, table: Options, *, model: Callable, cls: type,
                       model_opts: Sequence[_Opt], help: str, description: str,
                       title: str) -> argparse.ArgumentParser:
    """Add ``train NAME``: the shared input/output and model options, then ``model_opts``.

    ``model(**params)`` builds the model (a ``cls``) from the parsed options (plus
    ``verbose``); it must have ``fit(corpus)``, ``vocab_`` and ``wv`` like
    :class:`~embedlib.Word2Vec`. Defaults come from the signature of ``cls``, the help
    ``_Opt`` does not give from its docstring (or :func:`~embedlib.cooccurrence`'s).
    """
    defaults = kwdefaults(cls.__init__)
    docs = param_docs(cls, cooccurrence)
    p = train_sub.add_parser(name, help=help, description=description)
    io = p.add_argument_group("input and output")
    io.add_argument("corpus", metavar="CORPUS",
                    help="text file (plain or .gz), one sentence per line, tokens separated "
                         "by white space; or a directory written by embedlib encode" +
                         ("; or counts written by embedlib cooccur (.npz)"
                          if cls is not Word2Vec else ""))
    io.add_argument("-o", "--output", required=True, metavar="VECTORS",
                    help="output file, its format from --format or the extension: .txt, .vec "
                         "word2vec text, .bin binary, .npz embedlib's npz (with the context "
                         "matrix, counts and biases); .gz after .txt, .vec, .bin compresses; "
                         "no extension: text")
    table.add(io, "format", "--format", choices=formats.FORMATS,
              help="format of VECTORS (default: from its extension); glove is the Stanford "
                   "GloVe text format, without a header line")
    io.add_argument("--binary", action="store_true",
                    help="write the word2vec binary format (as --format binary)")
    if getattr(cls, "_stats_class", None) is not None:    # models that can be saved whole
        io.add_argument("--save-model", metavar="MODEL",
                        help="also save the whole model (.npz) to train it further with "
                             "'embedlib continue'")
    table.add(io, "encoding_errors", "--encoding-errors", choices=ENCODING_ERRORS,
              default=kwdefaults(Corpus.from_file)["encoding_errors"],
              help="corpus bytes that are not UTF-8: stop with an error (strict) or "
                   "replace them with U+FFFD (default: %(default)s)")
    io.add_argument("-q", "--quiet", action="store_true",
                    help="no progress bar (the progress bar and the report go to stderr)")
    shared = [o for o in _SHARED_OPTS if o.name in defaults]
    names = _add_options(p.add_argument_group("model and training"), shared, defaults, docs,
                         table)
    names += _add_options(p.add_argument_group(title), model_opts, defaults, docs, table)
    p.set_defaults(run=run_train, model=model, params=names, algorithm=name, parser=p,
                   verbose="verbose" in defaults, save_model=None)
    return p


def add_train_commands(sub, table: Options) -> None:
    """``train sgns``, ``train cbow``, ``train glove`` and ``train svd``."""
    train = sub.add_parser("train", help="train word vectors on a text corpus",
                           description="Train word vectors on a text corpus.")
    train_sub = train.add_subparsers(dest="algorithm", required=True, metavar="MODEL")
    for name, sg, what in (("sgns", 1, "skip-gram"), ("cbow", 0, "CBOW")):
        _add_train_command(
            train_sub, name, table, model=functools.partial(Word2Vec, sg=sg), cls=Word2Vec,
            model_opts=_word2vec_opts(sg), title="word2vec",
            help=f"word2vec {what} with negative sampling (Word2Vec(sg={sg}))",
            description=f"Train word2vec {what} (Word2Vec(sg={sg})) with negative sampling "
                        "or the full softmax and write the word vectors.")
    _add_train_command(
        train_sub, "glove", table, model=GloVe, cls=GloVe, model_opts=_glove_opts(),
        title="GloVe", help="GloVe on co-occurrence counts (GloVe)",
        description="Count co-occurrences, train GloVe (Pennington et al. 2014) by AdaGrad "
                    "and write the vectors (W + C by default).")
    _add_train_command(
        train_sub, "svd", table, model=PPMISVD, cls=PPMISVD, model_opts=_svd_opts(),
        title="PPMI and SVD", help="truncated SVD of the (shifted) PPMI matrix (PPMISVD)",
        description="Count co-occurrences, form the positive PMI matrix (shifted by log k, "
                    "with context distribution smoothing) and write the vectors of its "
                    "truncated SVD (Levy, Goldberg & Dagan 2015).")


# ---------------------------------------------------------------------- the run
def _output_format(args) -> str:
    """The output format, before any work: --format, --binary, or the extension's (text
    without one); a name the library would refuse (``.bz2``, an unknown extension without
    --format) is an error now, not after training."""
    path, fmt = args.output, getattr(args, dest("format"))
    if args.binary:
        if fmt not in (None, "binary"):
            args.parser.error(f"--binary conflicts with --format {fmt}")
        try:
            implied = formats.infer_format(path)
        except ValueError:
            implied = None
        if implied in ("text", "npz"):
            args.parser.error(f"--binary conflicts with the output name {path}, which "
                              f"implies the {implied} format")
        fmt = "binary"
    if fmt is None and not os.path.splitext(os.path.basename(path))[1]:
        fmt = "text"                                   # no extension: word2vec text
    with reported():
        return formats.resolve_format(path, fmt)


def _same_file(a: str, b: str) -> bool:
    return os.path.exists(a) and os.path.exists(b) and os.path.samefile(a, b)


def check_output(output: str, corpus: str, option: str = "-o") -> None:
    """Before any work: the output is not the corpus, and it can be written."""
    if _same_file(output, corpus):
        raise CLIError(f"the output {output} is the corpus {corpus} (the same file): writing "
                       f"it would destroy the corpus; choose another {option}")
    check_writable(output)


def _check_outputs(args) -> None:
    """-o and --save-model: neither is the corpus, both can be written, they differ."""
    check_output(args.output, args.corpus)
    if args.save_model is not None:
        check_output(args.save_model, args.corpus, "--save-model")
        if os.path.abspath(args.save_model) == os.path.abspath(args.output) or \
                _same_file(args.save_model, args.output):
            raise CLIError(f"--save-model {args.save_model} is the output -o {args.output}: "
                           "choose two files")


def check_vectors(wv, n_words: int, output: str) -> None:
    """What is cheap to check before the vectors replace ``output``: one finite row per
    word of the vocabulary."""
    if len(wv) != n_words:
        raise TrainingError(f"the model holds {len(wv):,} vectors for {n_words:,} words; "
                            f"{output} was not written")
    finite = np.isfinite(wv.vectors).all(axis=1)
    if not finite.all():
        raise TrainingError(f"{np.count_nonzero(~finite):,} of the {n_words:,} vectors are not "
                            f"finite (the first: {wv.words[int(np.argmin(finite))]!r}); "
                            f"{output} was not written")


FORMAT_NAMES = {"text": "word2vec text format", "binary": "word2vec binary format",
                "npz": "npz", "glove": "GloVe text format"}   # one for each formats.FORMATS


def run_train(args) -> int:
    fmt = _output_format(args)
    params = {name: getattr(args, dest(name)) for name in args.params}
    extra = {"verbose": not args.quiet} if args.verbose else {}
    try:
        with reported():
            model = args.model(**params, **extra)
            _check_outputs(args)
            data = _training_data(args, params)
        t0 = time.perf_counter()
        with reported():
            model.fit(*data)
        trained = time.perf_counter() - t0
        for stats in getattr(model, "history_", ()):   # PPMISVD has no epochs
            info(str(stats))
        info(f"trained in {trained:.2f} s")
        wv = model.wv
        t0 = time.perf_counter()
        with reported():
            check_vectors(wv, len(model.vocab_), args.output)
            wv.save(args.output, format=fmt)
            if args.save_model is not None:
                model.save(args.save_model)
        written = time.perf_counter() - t0
    except BaseException:
        # an interrupted write or count may not have removed its temporary file or folder
        for path in (args.output, args.save_model):
            if path is not None:
                remove_temporaries(path, mine=True)
        if "tmp_dir" in params:
            remove_spill_directories(params["tmp_dir"], mine=True)
        raise
    info(f"wrote {args.output} ({len(wv):,} words x {wv.vector_size} dims, "
         f"{FORMAT_NAMES[fmt]}) in {written:.2f} s")
    if args.save_model is not None:
        info(f"wrote {args.save_model} ({type(model).__name__} model, "
             f"{model.epochs_trained_} epochs trained)")
    return 0


def _training_data(args, params: dict) -> tuple:
    """What ``fit`` takes: ``(corpus,)``, or ``(X, vocab)`` from a counts file."""
    defaults = kwdefaults(args.model.func.__init__ if isinstance(args.model, functools.partial)
                          else args.model.__init__)
    if args.corpus.endswith(".npz") and os.path.isfile(args.corpus):
        if args.algorithm in ("sgns", "cbow"):
            raise CLIError(f"{args.corpus} holds co-occurrence counts: train glove or svd "
                           "from it; word2vec trains on a corpus (a text file or a directory "
                           "written by embedlib encode)")
        X, vocab, how = load_counts(args.corpus)
        for name, stored in how.items():
            value = params.get(name, stored)
            if value != stored and value != defaults.get(name):
                raise CorpusError(f"{args.corpus} was counted with {spell(name, stored)}, "
                                  f"not {spell(name, value)}; count again or leave the "
                                  "option out", path=args.corpus)
        info(f"counts {args.corpus}: {X.shape[0]:,} words, {X.nnz:,} nonzero counts")
        return X, vocab
    read = {"min_count": params["min_count"], "max_vocab_size": params.get("max_vocab_size"),
            "encoding_errors": getattr(args, dest("encoding_errors"))}
    t0 = time.perf_counter()
    corpus = read_corpus(args.corpus, read, {**defaults, "encoding_errors": "strict"})
    info(f"corpus {args.corpus}: {len(corpus):,} lines, {corpus.n_raw_tokens:,} tokens; "
         f"vocabulary {len(corpus.vocab):,} words, {corpus.n_tokens:,} tokens kept "
         f"(read in {time.perf_counter() - t0:.2f} s)")
    if corpus.n_replaced_lines:
        warn(f"{corpus.n_replaced_lines:,} lines of {args.corpus} held bytes that are not "
             "UTF-8 (replaced by U+FFFD)")
    return (corpus,)


def read_corpus(path: str, read: dict, defaults: dict) -> Corpus:
    """The corpus of ``path``: an encoded directory (memory-mapped) or a text file.

    With a directory, ``read`` (min_count, max_vocab_size, encoding_errors) must agree with
    how it was encoded, unless a value is the command's default: a value given on the
    command line that the directory does not have is refused with both values."""
    if not is_encoded(path):
        return Corpus.from_file(path, **read)
    corpus = Corpus.load(path)
    for name, value in read.items():
        stored = corpus.parameters.get(name, value)
        if value != stored and value != defaults.get(name):
            raise CorpusError(f"{path} was encoded with {spell(name, stored)}, not "
                              f"{spell(name, value)}; encode the corpus again with "
                              f"{spell(name, value)}, or leave the option out", path=path)
    return corpus

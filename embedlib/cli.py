"""The ``embedlib`` command: train word vectors, evaluate them, query neighbours.

::

    embedlib train sgns|cbow|glove|svd CORPUS -o VECTORS [options]
    embedlib eval VECTORS [--pairs FILE ...] [--analogies FILE ...] [--json]
    embedlib neighbors VECTORS WORD [WORD ...] [--topn N]

Options of ``train`` are named after the Python parameters (``vector_size`` ->
``--vector-size``) and their defaults are read from the model class, so the command and the
API cannot disagree. User errors (missing or malformed files, invalid parameter values, an
unusable corpus) print ``embedlib: error: <message>`` to stderr and exit with status 1;
usage errors exit with status 2 (argparse) and an interrupt with status 130. Output files
are written only after training succeeds, atomically, so a failed or interrupted run leaves
no partial file behind.

Each model (``sgns``, ``cbow``, ``glove``, ``svd``) is a ``_Opt`` table of its own options
passed to :func:`_add_train_command`; the shared options its class accepts (corpus, -o,
--binary, --min-count, --vector-size, --window, --epochs, --workers, --seed, --quiet, ...)
and the whole run -- reading the corpus, fitting, reporting ``history_``, saving ``wv`` --
are common.
"""

from __future__ import annotations

import argparse
import functools
import inspect
import json
import math
import os
import re
import sys
from collections.abc import Callable, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from . import __version__, formats
from .corpus import Corpus
from .embeddings import Embeddings
from .evaluation import evaluate_analogies, evaluate_similarity
from .glove import GloVe
from .pmi import PPMISVD
from .word2vec import TrainingError, Word2Vec

__all__ = ["main", "build_parser"]

PROG = "embedlib"


class CLIError(Exception):
    """A user error: reported as ``embedlib: error: <message>``, exit status 1."""


# ---------------------------------------------------------------------- helpers
def _option(name: str) -> str:
    """The command-line option of a Python parameter: vector_size -> --vector-size."""
    return "--" + name.replace("_", "-")


def _rename_params(message: str, names=(), keep: str | None = None,
                   options: dict | None = None) -> str:
    """Replace the Python parameter names in ``message`` by their command-line options
    ("vector_size must be >= 1" -> "--vector-size must be >= 1"), except inside the
    literal text ``keep`` (a file name). ``options`` maps names to options that are not
    simply the name with dashes."""
    options = dict(options or {})
    for n in names:
        options.setdefault(n, _option(n))
    names = sorted(options, key=len, reverse=True)  # min_alpha before alpha
    if not names:
        return message
    pattern = re.compile(r"\b(" + "|".join(map(re.escape, names)) + r")\b")
    if keep:
        return keep.join(_rename_params(part, options=options) for part in message.split(keep))
    return pattern.sub(lambda m: options[m.group(1)], message)


def _message(exc: BaseException) -> str:
    if isinstance(exc, KeyError) and exc.args:
        return str(exc.args[0])
    if isinstance(exc, OSError) and exc.strerror and exc.filename is not None \
            and not str(exc).startswith(os.fspath(exc.filename)):
        return f"{exc.filename}: {exc.strerror}"
    return str(exc)


@contextmanager
def _reported(*types: type[BaseException], rename: Callable[[str], str] | None = None):
    """Turn the exceptions ``types`` raised in the block into a :class:`CLIError`."""
    try:
        yield
    except types as e:
        msg = _message(e)
        raise CLIError(rename(msg) if rename else msg) from None


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid int value: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


def _kwdefaults(func) -> dict:
    """Defaults of the keyword parameters of ``func``."""
    return {p.name: p.default for p in inspect.signature(func).parameters.values()
            if p.default is not inspect.Parameter.empty}


def _warn(message: str) -> None:
    print(f"{PROG}: warning: {message}", file=sys.stderr)


def _info(message: str) -> None:
    print(message, file=sys.stderr)


# ---------------------------------------------------------------------- train options
@dataclass(frozen=True)
class _Opt:
    """A command-line option for the model parameter ``name`` (default read from the model).

    ``type`` is ``bool`` for a flag (``--name`` if the default is off, ``--no-name`` if on);
    ``none`` describes what a ``None`` default means in the help.
    """

    name: str
    type: Callable | None
    help: str
    metavar: str | None = None
    choices: tuple | None = None
    none: str = "none"
    flag: str | None = None  # when the option's name differs from the parameter's

    @property
    def option(self) -> str:
        return self.flag or _option(self.name)


def _dest(name: str) -> str:
    """Where argparse keeps a model parameter (apart from the command's own arguments:
    GloVe's ``output`` is not ``-o/--output``)."""
    return "param_" + name


def _add_options(group, opts: Sequence[_Opt], defaults: dict) -> list[str]:
    """Add ``opts`` to ``group`` with the defaults in ``defaults``; returns their names."""
    for o in opts:
        default = defaults[o.name]
        if o.type is bool:
            if default:
                group.add_argument("--no-" + o.option[2:], dest=_dest(o.name),
                                   action="store_false", default=True,
                                   help=f"turn off: {o.help}")
            else:
                group.add_argument(o.option, dest=_dest(o.name), action="store_true",
                                   default=False, help=o.help)
            continue
        shown = o.none if default is None else "%(default)s"
        group.add_argument(o.option, dest=_dest(o.name), type=o.type, default=default,
                           metavar=o.metavar, choices=o.choices,
                           help=f"{o.help} (default: {shown})")
    return [o.name for o in opts]


# Options the training commands share; each command offers those its model accepts.
_SHARED_OPTS = (
    _Opt("vector_size", int, "dimension of the vectors", "D"),
    _Opt("window", int, "maximum distance between a word and a context word", "N"),
    _Opt("min_count", int, "drop words occurring fewer times", "N"),
    _Opt("max_vocab_size", int, "keep at most this many (most frequent) words", "N",
         none="no limit"),
    _Opt("epochs", int, "passes over the corpus", "N"),
    _Opt("workers", int, "training threads", "N", none="all cores"),
    _Opt("seed", int, "random seed; with --workers 1 the output is reproducible", "S"),
)


def _word2vec_opts(sg: int) -> tuple[_Opt, ...]:
    default_alpha = Word2Vec(sg=sg, verbose=False).learning_rate
    opts = [
        _Opt("negative", int, "noise words per positive example in negative sampling", "K"),
        _Opt("ns_exponent", float, "noise distribution = unigram frequency ** P", "P"),
        _Opt("softmax", bool, "train the full softmax instead of negative sampling "
                              "(O(vocabulary) per example: small vocabularies only)"),
        _Opt("hs", bool, "hierarchical softmax over a Huffman tree (alone with --negative 0)"),
        _Opt("sample", float, "subsampling threshold for frequent words (0: off)", "T"),
        _Opt("subsample_formula", str, "keep probability: sqrt(t/f) + t/f (c, as word2vec "
                                       "and gensim) or sqrt(t/f) (paper)",
             choices=("c", "paper")),
        _Opt("alpha", float, "initial learning rate (decays linearly to the final one)", "A",
             none=f"{default_alpha:g}"),
        _Opt("min_alpha", float, "final learning rate", "A"),
        _Opt("tied", bool, "one matrix for words and contexts (the .npz output then has no "
                           "context matrix)"),
    ]
    if not sg:
        opts.append(_Opt("cbow_exact", bool, "divide the hidden-layer gradient by the number "
                                             "of context words (the exact gradient of the "
                                             "mean; word2vec and gensim do not)"))
    return tuple(opts)


def _add_train_command(train_sub, name: str, *, model: Callable, defaults: dict,
                       model_opts: Sequence[_Opt], help: str, description: str,
                       title: str) -> argparse.ArgumentParser:
    """Add ``train NAME``: the shared input/output and model options, then ``model_opts``.

    ``model(**params)`` builds the model from the parsed options (plus ``verbose``); it must
    have ``fit(corpus)``, ``history_`` and ``wv`` like :class:`~embedlib.Word2Vec`.
    ``defaults`` holds the model's keyword defaults, shown in ``--help``.
    """
    p = train_sub.add_parser(name, help=help, description=description)
    io = p.add_argument_group("input and output")
    io.add_argument("corpus", metavar="CORPUS",
                    help="text file (plain or .gz), one sentence per line, tokens separated "
                         "by white space")
    io.add_argument("-o", "--output", required=True, metavar="VECTORS",
                    help="output file: word2vec text format, or the binary format with "
                         "--binary or a .bin name; a .npz name writes embedlib's npz with "
                         "the context matrix and counts")
    io.add_argument("--binary", action="store_true",
                    help="write the word2vec binary format")
    io.add_argument("--encoding-errors", choices=("strict", "replace"),
                    default=_kwdefaults(Corpus.from_file)["encoding_errors"],
                    help="corpus bytes that are not UTF-8: stop with an error (strict) or "
                         "replace them with U+FFFD (default: %(default)s)")
    io.add_argument("-q", "--quiet", action="store_true",
                    help="no progress bar (the progress bar and the report go to stderr)")
    shared = [o for o in _SHARED_OPTS if o.name in defaults]
    names = _add_options(p.add_argument_group("model and training"), shared, defaults)
    names += _add_options(p.add_argument_group(title), model_opts, defaults)
    p.set_defaults(run=_run_train, model=model, params=names, algorithm=name, parser=p,
                   verbose="verbose" in defaults,
                   options={o.name: o.option for o in (*shared, *model_opts)})
    return p


# GloVe and the SVD of PPMI count co-occurrences the same way
_COUNT_OPTS = (
    _Opt("weighting", str, "weight of a co-occurrence at distance d", None,
         choices=("harmonic", "uniform", "linear")),
    _Opt("symmetric", bool, "counting context words on both sides (when off: the left context only)"),
    _Opt("memory_limit", str, "bound on the working memory of counting, e.g. 2G; larger "
                              "tables are counted in runs spilled to disk", "SIZE",
         none="no limit"),
    _Opt("tmp_dir", str, "where spilled runs go", "DIR", none="the system's temp folder"),
)
_WHICH = ("W", "C", "sum", "concat")


def _glove_opts() -> tuple[_Opt, ...]:
    return (
        _Opt("x_max", float, "weighting f(x) = min(1, (x / x_max)^alpha): the cap", "X"),
        _Opt("alpha", float, "exponent of the weighting function", "A"),
        _Opt("eta", float, "AdaGrad learning rate", "ETA"),
        _Opt("clip", float, "clip every gradient component to [-clip, clip]", "G"),
        _Opt("tied", bool, "one matrix and one bias for words and contexts"),
        _Opt("output", str, "vectors to write: W, C (W~), their sum or their concatenation",
             choices=_WHICH, flag="--vectors"),
        *_COUNT_OPTS,
    )


def _svd_opts() -> tuple[_Opt, ...]:
    return (
        _Opt("k", float, "shift: max(PMI - log k, 0); 1 is plain PPMI", "K"),
        _Opt("cds", float, "context distribution smoothing exponent (1: none)", "P"),
        _Opt("eig", float, "eigenvalue weighting p: W = U S^p", "P"),
        _Opt("solver", str, "SVD solver", None, choices=("arpack", "randomized")),
        _Opt("output", str, "vectors to write: W, C, their sum or their concatenation",
             choices=_WHICH, flag="--vectors"),
        *_COUNT_OPTS,
    )


# ---------------------------------------------------------------------- train
def _output_format(args) -> str:
    """The output format: the extension's (.txt/.vec, .bin, .npz) or text / --binary."""
    path = args.output
    try:
        implied = formats.infer_format(path)
    except ValueError:
        implied = None
    if args.binary and implied in ("text", "npz"):
        args.parser.error(f"--binary conflicts with the output name {path}, which "
                          f"implies the {implied} format")
    if implied is not None:
        return implied
    return "binary" if args.binary else "text"


def _check_output(path: str) -> None:
    """Fail before training if the output cannot be written."""
    out = Path(path)
    parent = out.parent
    if not parent.is_dir():
        raise CLIError(f"cannot write {path}: directory {parent} does not exist")
    if out.is_dir():
        raise CLIError(f"cannot write {path}: it is a directory")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise CLIError(f"cannot write {path}: directory {parent} is not writable")


_FORMAT_NAMES = {"text": "word2vec text format", "binary": "word2vec binary format",
                 "npz": "npz"}


def _run_train(args) -> int:
    fmt = _output_format(args)
    if not os.path.exists(args.corpus):
        raise CLIError(f"corpus file not found: {args.corpus}")
    _check_output(args.output)
    params = {name: getattr(args, _dest(name)) for name in args.params}
    rename = functools.partial(_rename_params, options=args.options, keep=args.corpus)
    extra = {"verbose": not args.quiet} if args.verbose else {}
    with _reported(ValueError, TypeError, rename=rename):
        model = args.model(**params, **extra)

    with _reported(OSError, ValueError, rename=rename):  # CorpusError is a ValueError
        corpus = Corpus.from_file(args.corpus, min_count=params["min_count"],
                                  max_vocab_size=params.get("max_vocab_size"),
                                  encoding_errors=args.encoding_errors)
    _info(f"corpus {args.corpus}: {len(corpus):,} lines, {corpus.n_raw_tokens:,} tokens; "
          f"vocabulary {len(corpus.vocab):,} words, {corpus.n_tokens:,} tokens kept")
    if corpus.n_replaced_lines:
        _warn(f"{corpus.n_replaced_lines:,} lines of {args.corpus} held bytes that are not "
              "UTF-8 (replaced by U+FFFD)")

    with _reported(ValueError, TrainingError, rename=rename):
        model.fit(corpus)

    for stats in getattr(model, "history_", ()):   # PPMISVD has no epochs
        _info(str(stats))

    wv = model.wv
    with _reported(OSError, ValueError):
        wv.save(args.output, format=fmt)
    _info(f"wrote {args.output} ({len(wv):,} words x {wv.vector_size} dims, "
          f"{_FORMAT_NAMES[fmt]})")
    return 0


# ---------------------------------------------------------------------- loading vectors
def _add_vectors_arguments(p) -> None:
    p.add_argument("vectors", metavar="VECTORS",
                   help="vector file: word2vec text (.txt, .vec) or binary (.bin), or npz")
    p.add_argument("--format", choices=formats.FORMATS,
                   help="format of VECTORS (default: from its extension)")
    p.add_argument("--encoding-errors", choices=("strict", "replace"),
                   default=_kwdefaults(Embeddings.load)["encoding_errors"],
                   help="words that are not UTF-8: error (strict) or U+FFFD (default: "
                        "%(default)s)")


def _load_vectors(args) -> Embeddings:
    path = args.vectors
    if not os.path.exists(path):
        raise CLIError(f"vector file not found: {path}")
    fmt = args.format
    if fmt is None:
        try:
            fmt = formats.infer_format(path)
        except ValueError:
            raise CLIError(f"cannot tell the format of {path} from its extension; pass "
                           "--format text, binary or npz") from None
    def rename(message):
        return message.replace("pass encoding_errors='replace'", "pass --encoding-errors replace")

    with _reported(OSError, ValueError, rename=rename):
        return Embeddings.load(path, format=fmt, encoding_errors=args.encoding_errors)


# ---------------------------------------------------------------------- eval
def _nan_to_none(x):
    return None if isinstance(x, float) and math.isnan(x) else x


def _num(x: float, spec: str) -> str:
    return "-" if math.isnan(x) else format(x, spec)


def _pct(x: float) -> str:
    return "-" if math.isnan(x) else f"{100 * x:.2f}%"


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Columns aligned: the first to the left, the others to the right."""
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def line(cells):
        out = [cells[0].ljust(widths[0])]
        out += [c.rjust(w) for c, w in zip(cells[1:], widths[1:])]
        return "  ".join(out).rstrip()

    return "\n".join([line(header), *map(line, rows)])


def _run_eval(args) -> int:
    if not args.pairs and not args.analogies:
        args.parser.error("nothing to evaluate: give --pairs FILE and/or --analogies FILE")
    for path in [*args.pairs, *args.analogies]:
        if not os.path.exists(path):
            raise CLIError(f"evaluation file not found: {path}")
    emb = _load_vectors(args)
    def rename(message):  # keep file names intact
        return _rename_params(message, ("restrict_vocab",), keep=args.vectors)

    sim_kw, ana_kw = {}, {"method": args.method}
    if args.restrict_vocab is not None:
        sim_kw["restrict_vocab"] = ana_kw["restrict_vocab"] = args.restrict_vocab
    with _reported(OSError, ValueError, rename=rename):
        sims = [(p, evaluate_similarity(emb, p, **sim_kw)) for p in args.pairs]
        anas = [(p, evaluate_analogies(emb, p, **ana_kw)) for p in args.analogies]

    if args.json:
        out = {"vectors": args.vectors, "n_words": len(emb), "vector_size": emb.vector_size,
               "similarity": [], "analogies": []}
        for path, r in sims:
            out["similarity"].append({
                "file": path, "spearman": _nan_to_none(r.spearman),
                "pearson": _nan_to_none(r.pearson), "n_pairs": r.n_pairs,
                "n_found": r.n_found, "oov_rate": r.oov_rate})
        for path, r in anas:
            out["analogies"].append({
                "file": path, "method": args.method,
                "accuracy": _nan_to_none(r.accuracy), "coverage": r.coverage,
                "n_correct": r.n_correct, "n_attempted": r.n_attempted, "n_total": r.n_total,
                "sections": {name: {"accuracy": _nan_to_none(s.accuracy),
                                    "correct": s.correct, "attempted": s.attempted,
                                    "total": s.total}
                             for name, s in r.sections.items()}})
        print(json.dumps(out, indent=2, ensure_ascii=False))
        return 0

    print(f"{args.vectors}: {len(emb):,} words x {emb.vector_size} dims")
    if sims:
        print()
        rows = [[path, _num(r.spearman, ".4f"), f"{r.n_found}/{r.n_pairs}", _pct(r.oov_rate)]
                for path, r in sims]
        print(_table(["word pairs", "Spearman", "found", "OOV"], rows))
    if anas:
        print()
        rows = []
        for path, r in anas:
            rows.append([path, _pct(r.accuracy), f"{r.n_correct}/{r.n_attempted}",
                         _pct(r.coverage)])
            if args.sections:
                for name, s in r.sections.items():
                    rows.append([f"  {name}", _pct(s.accuracy), f"{s.correct}/{s.attempted}",
                                 _pct(s.attempted / s.total if s.total else math.nan)])
        method = {"add": "3CosAdd", "mul": "3CosMul"}[args.method]
        print(_table([f"analogies ({method})", "accuracy", "correct", "coverage"], rows))
    return 0


# ---------------------------------------------------------------------- neighbors
def _run_neighbors(args) -> int:
    emb = _load_vectors(args)
    status = 0
    first = True
    for word in args.words:
        try:
            result = emb.most_similar(word, topn=args.topn,
                                      restrict_vocab=args.restrict_vocab)
        except KeyError as e:
            sys.stdout.flush()
            print(f"{PROG}: error: {_message(e)}", file=sys.stderr)
            status = 1
            continue
        if not first:
            print()
        first = False
        print(word)
        width = max((len(w) for w, _ in result), default=0)
        for rank, (other, cos) in enumerate(result, 1):
            print(f"  {rank:>{len(str(args.topn))}}  {other:<{width}}  {cos:.4f}")
    return status


# ---------------------------------------------------------------------- parser
def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG, description="Train word embeddings, evaluate them and query neighbours.",
        formatter_class=lambda prog: argparse.HelpFormatter(prog, max_help_position=30))
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    # train
    train = sub.add_parser("train", help="train word vectors on a text corpus",
                           description="Train word vectors on a text corpus.")
    train_sub = train.add_subparsers(dest="algorithm", required=True, metavar="MODEL")
    w2v_defaults = _kwdefaults(Word2Vec.__init__)
    for name, sg, what in (("sgns", 1, "skip-gram"), ("cbow", 0, "CBOW")):
        _add_train_command(
            train_sub, name, model=functools.partial(Word2Vec, sg=sg), defaults=w2v_defaults,
            model_opts=_word2vec_opts(sg), title="word2vec",
            help=f"word2vec {what} with negative sampling (Word2Vec(sg={sg}))",
            description=f"Train word2vec {what} (Word2Vec(sg={sg})) with negative sampling "
                        "or the full softmax and write the word vectors.")
    _add_train_command(
        train_sub, "glove", model=GloVe, defaults=_kwdefaults(GloVe.__init__),
        model_opts=_glove_opts(), title="GloVe",
        help="GloVe on co-occurrence counts (GloVe)",
        description="Count co-occurrences, train GloVe (Pennington et al. 2014) by AdaGrad "
                    "and write the vectors (W + C by default).")
    _add_train_command(
        train_sub, "svd", model=PPMISVD, defaults=_kwdefaults(PPMISVD.__init__),
        model_opts=_svd_opts(), title="PPMI and SVD",
        help="truncated SVD of the (shifted) PPMI matrix (PPMISVD)",
        description="Count co-occurrences, form the positive PMI matrix (shifted by log k, "
                    "with context distribution smoothing) and write the vectors of its "
                    "truncated SVD (Levy, Goldberg & Dagan 2015).")

    # eval
    sim_defaults = _kwdefaults(evaluate_similarity)
    ana_defaults = _kwdefaults(evaluate_analogies)

    def described(v):
        return "all words" if v is None else str(v)

    ev = sub.add_parser(
        "eval", help="word-pair similarity and analogy scores",
        description="Evaluate word vectors on word-pair similarity files (word1<TAB>word2"
                    "<TAB>score per line; Spearman correlation with the cosines) and analogy "
                    "files (questions-words.txt format). Words are compared case-"
                    "insensitively and out-of-vocabulary items are skipped, as in gensim.")
    _add_vectors_arguments(ev)
    ev.add_argument("--pairs", nargs="+", action="extend", default=[], metavar="FILE",
                    help="word-pair similarity file(s), e.g. wordsim353.tsv")
    ev.add_argument("--analogies", nargs="+", action="extend", default=[], metavar="FILE",
                    help="analogy file(s), e.g. questions-words.txt")
    ev.add_argument("--restrict-vocab", type=_positive_int, metavar="N",
                    help="only the N most frequent words count as known and are searched "
                         f"(default: {described(sim_defaults['restrict_vocab'])} for "
                         f"--pairs, {described(ana_defaults['restrict_vocab'])} for "
                         "--analogies)")
    ev.add_argument("--method", choices=("add", "mul"), default=ana_defaults["method"],
                    help="analogy objective: 3CosAdd (add) or 3CosMul (mul) "
                         "(default: %(default)s)")
    ev.add_argument("--sections", action="store_true",
                    help="also show the accuracy of each analogy section")
    ev.add_argument("--json", action="store_true", help="print the results as JSON")
    ev.set_defaults(run=_run_eval, parser=ev)

    # neighbors
    nb = sub.add_parser("neighbors", help="nearest neighbours of words by cosine",
                        description="Print the nearest neighbours of each WORD by cosine "
                                    "similarity.")
    _add_vectors_arguments(nb)
    nb.add_argument("words", nargs="+", metavar="WORD")
    nb.add_argument("--topn", type=_positive_int, metavar="N",
                    default=_kwdefaults(Embeddings.most_similar)["topn"],
                    help="neighbours per word (default: %(default)s)")
    nb.add_argument("--restrict-vocab", type=_positive_int, metavar="N",
                    help="search only the N most frequent words (default: all)")
    nb.set_defaults(run=_run_neighbors, parser=nb)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``embedlib`` command with ``argv`` (default ``sys.argv[1:]``); returns the
    exit status."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        return args.run(args)
    except SystemExit as e:  # argparse: --help, --version, usage errors
        return e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    except CLIError as e:
        sys.stdout.flush()
        print(f"{PROG}: error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        sys.stdout.flush()
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # e.g. `embedlib neighbors ... | head`
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except (OSError, ValueError):
            pass
        return 1

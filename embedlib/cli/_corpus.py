"""``embedlib encode CORPUS... -o DIR`` and ``embedlib cooccur CORPUS_OR_DIR -o COUNTS.npz``.

A large corpus is read once: ``encode`` writes its encoded form (the directory of
:mod:`embedlib.corpus_store`), which ``train`` and ``cooccur`` then memory-map;
``cooccur`` writes the vocabulary and the co-occurrence matrix
(:mod:`embedlib.counts_file`), which ``train glove|svd`` trains from. Options are those of
:meth:`Corpus.from_file <embedlib.corpus.Corpus.from_file>` and
:func:`~embedlib.cooccurrence`, with their defaults and help. Both write atomically:
whatever stops them leaves no partial output and no temporary directory.

With ``--dask [ADDRESS]`` both run on a Dask cluster (:mod:`embedlib.distributed`): the
scheduler at ADDRESS, or a local cluster of one worker process a core; the result is the
one the command writes without it.
"""

from __future__ import annotations

import shutil
from contextlib import contextmanager
from pathlib import Path

from .._checks import parse_memory
from .._atomic import check_writable, remove_temporaries
from .._spill import remove_spill_directories
from ..cooccur import cooccurrence
from ..corpus import ENCODING_ERRORS, Corpus
from ..counts_file import save_counts
from ._common import CLIError, dest, info, kwdefaults, param_docs, reported, warn
from ._train import _COUNT_OPTS, _add_options, _Opt, read_corpus

__all__ = ["add_corpus_commands"]

_READ_OPTS = (
    _Opt("min_count", int, "drop words occurring fewer times", "N"),
    _Opt("max_vocab_size", int, "keep at most this many (most frequent) words; the counting "
                               "table is pruned as word2vec.c does past twice as many", "N",
         none="no limit"),
    _Opt("encoding_errors", str, "corpus bytes that are not UTF-8: stop with an error "
                                 "(strict) or replace them with U+FFFD", choices=ENCODING_ERRORS),
)

_COOCCUR_OPTS = (_Opt("window", int, None, "N"), *_COUNT_OPTS)


def add_corpus_commands(sub, table) -> None:
    """``encode`` and ``cooccur``."""
    read_defaults = kwdefaults(Corpus.from_file)
    read_docs = param_docs(Corpus.from_file)
    p = sub.add_parser("encode", help="encode text corpora once into a directory that "
                                      "train and cooccur read",
                       description="Count the words of the text files (one corpus), choose "
                                   "the vocabulary and write the encoded corpus to a "
                                   "directory (int32 ids and sentence offsets, .npy).")
    p.add_argument("corpus", nargs="+", metavar="CORPUS",
                   help="text files (plain or .gz), one sentence per line")
    p.add_argument("-o", "--output", required=True, metavar="DIR",
                   help="the directory to write (replaced if it holds an encoded corpus)")
    names = _add_options(p, _READ_OPTS, read_defaults, read_docs, table)
    names += _add_options(p, (_Opt("workers", int, "threads that scan the files", "N"),),
                          read_defaults, read_docs, table)
    _add_dask_options(p, table)
    p.set_defaults(run=run_encode, params=names)

    c = sub.add_parser("cooccur", help="count co-occurrences into COUNTS.npz for train "
                                       "glove|svd",
                       description="Count the co-occurrences of a text corpus or an encoded "
                                   "directory and write the vocabulary and the matrix.")
    c.add_argument("corpus", metavar="CORPUS_OR_DIR",
                   help="a text file (plain or .gz) or a directory written by encode")
    c.add_argument("-o", "--output", required=True, metavar="COUNTS.npz",
                   help="the counts file to write")
    names = _add_options(c, _READ_OPTS, read_defaults, read_docs, table)
    names += _add_options(c, _COOCCUR_OPTS, kwdefaults(cooccurrence), param_docs(cooccurrence),
                          table)
    names += _add_options(c, (_Opt("workers", int, "threads", "N", none="all cores"),),
                          kwdefaults(cooccurrence), {}, table)
    _add_dask_options(c, table)
    c.set_defaults(run=run_cooccur, params=names)


def _add_dask_options(p, table) -> None:
    g = p.add_argument_group("on a Dask cluster (the dask extra)")
    g.add_argument("--dask", nargs="?", const="", default=None, metavar="ADDRESS",
                   help="run the tasks on the Dask scheduler at ADDRESS (HOST:PORT or "
                        "tcp://HOST:PORT; files and output on a file system the workers "
                        "share), or, without ADDRESS, on a local cluster of one worker "
                        "process a core; --workers is then the threads of each task "
                        "(default 1)")
    table.add(g, "partition_size", "--partition-size", default=None, metavar="SIZE",
              help="with --dask: bytes of input one task reads at most, about, e.g. 64M "
                   "(encode: whole text files grouped in order; cooccur: whole sentences of "
                   "the encoded tokens); at least one task a worker thread (default: 64M)")


@contextmanager
def _dask(args):
    """The client of ``--dask`` for the block (None without ``--dask``)."""
    if args.dask is None:
        if args.param_partition_size is not None:
            raise CLIError("--partition-size is an option of --dask; add --dask [ADDRESS]")
        yield None
        return
    try:
        from .. import distributed
    except ImportError as e:
        raise CLIError(f"--dask: {e}") from None
    if args.param_partition_size is not None:
        with reported():
            parse_memory(args.param_partition_size, "partition_size")
    address = args.dask.strip() or None
    if address is not None and ":" not in address:
        raise CLIError(f"--dask {address}: not a Dask scheduler address (HOST:PORT or "
                       "tcp://HOST:PORT); for a local cluster, give --dask after the corpus "
                       "files, or as --dask=")
    with reported(), distributed.cluster(address) as client:
        yield client


def _partition(args) -> dict:
    size = args.param_partition_size
    return {} if size is None else {"partition_size": size}


def _params(args) -> dict:
    return {name: getattr(args, dest(name)) for name in args.params}


def run_encode(args) -> int:
    params = _params(args)
    with _dask(args) as client:
        with reported():
            if client is None:
                corpus = Corpus.from_file(args.corpus, directory=args.output, **params)
            else:
                from ..distributed import encode_files
                corpus = encode_files(args.corpus, args.output, client=client,
                                      **_partition(args), **params)
    _report(corpus, ", ".join(args.corpus))
    info(f"wrote {args.output} (encoded corpus, {corpus.n_tokens:,} tokens)")
    return 0


def _report(corpus, where: str) -> None:
    info(f"corpus {where}: {len(corpus):,} lines, {corpus.n_raw_tokens:,} tokens; "
         f"vocabulary {len(corpus.vocab):,} words, {corpus.n_tokens:,} tokens kept")
    if corpus.n_replaced_lines:
        warn(f"{corpus.n_replaced_lines:,} lines of {where} held bytes that are not UTF-8 "
             "(replaced by U+FFFD)")


def run_cooccur(args) -> int:
    params = _params(args)
    read = {k: params.pop(k) for k in ("min_count", "max_vocab_size", "encoding_errors")}
    try:
        with _dask(args) as client, reported():
            check_writable(args.output)
            if client is None:
                corpus = read_corpus(args.corpus, read, kwdefaults(Corpus.from_file))
                _report(corpus, args.corpus)
                X, vocab = cooccurrence(corpus, **params), corpus.vocab
            else:
                X, vocab = _cooccur_on_dask(client, args, read, params)
            save_counts(args.output, X, vocab, window=params["window"],
                        weighting=params["weighting"], symmetric=params["symmetric"])
    except BaseException:
        remove_temporaries(args.output, mine=True)
        remove_spill_directories(params["tmp_dir"], mine=True)
        raise
    info(f"wrote {args.output} ({X.shape[0]:,} words, {X.nnz:,} nonzero counts)")
    return 0


def _cooccur_on_dask(client, args, read: dict, params: dict):
    """The counts of ``cooccur --dask``: a text corpus is first encoded on the cluster into
    a temporary directory beside the output (removed at the end), then counted there."""
    from ..corpus_store import is_encoded, temporary_directory
    from ..distributed import cooccurrence as dask_cooccurrence
    from ..distributed import encode_files

    params = dict(params, workers=params["workers"] or 1)
    if is_encoded(args.corpus):
        corpus = read_corpus(args.corpus, read, kwdefaults(Corpus.from_file))
        _report(corpus, args.corpus)
        return dask_cooccurrence(corpus, client=client, **_partition(args), **params), \
            corpus.vocab
    tmp = temporary_directory(Path(args.output))
    try:
        corpus = encode_files([args.corpus], tmp / "corpus", client=client,
                              **_partition(args), **read)
        _report(corpus, args.corpus)
        return dask_cooccurrence(corpus, client=client, **_partition(args), **params), \
            corpus.vocab
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

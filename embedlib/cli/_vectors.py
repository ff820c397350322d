"""``embedlib eval VECTORS`` and ``embedlib neighbors VECTORS WORD ...``: loading vectors,
scoring them on evaluation files, listing nearest neighbours.

Loading is :meth:`embedlib.Embeddings.load`, whose errors (a missing file, a directory, an
unknown extension, a malformed or non-finite file) name the file and the line or record;
they are printed as they are.
"""

from __future__ import annotations

import json
import math
import os
import sys
from collections.abc import Sequence

from .. import formats
from .._similarity import METHODS
from .._vector_io import ENCODING_ERRORS
from ..embeddings import Embeddings
from ..evaluation import evaluate_analogies, evaluate_similarity
from ._common import PROG, CLIError, Options, dest, kwdefaults, message, positive_int, \
    reported

__all__ = ["add_vector_commands"]


def _add_vectors_arguments(p, table: Options) -> None:
    p.add_argument("vectors", metavar="VECTORS",
                   help="vector file: word2vec text (.txt, .vec) or binary (.bin), or npz")
    table.add(p, "format", "--format", choices=formats.FORMATS,
              help="format of VECTORS (default: from its extension)")
    table.add(p, "encoding_errors", "--encoding-errors", choices=ENCODING_ERRORS,
              default=kwdefaults(Embeddings.load)["encoding_errors"],
              help="words that are not UTF-8: error (strict) or U+FFFD (default: "
                   "%(default)s)")


def _load_vectors(args) -> Embeddings:
    with reported():
        return Embeddings.load(args.vectors, format=getattr(args, dest("format")),
                               encoding_errors=getattr(args, dest("encoding_errors")))


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


def _json(args, emb, sims, anas, method) -> str:
    out = {"vectors": args.vectors, "n_words": len(emb), "vector_size": emb.vector_size,
           "similarity": [], "analogies": []}
    for path, r in sims:
        out["similarity"].append({
            "file": path, "spearman": _nan_to_none(r.spearman),
            "pearson": _nan_to_none(r.pearson), "n_pairs": r.n_pairs,
            "n_found": r.n_found, "oov_rate": r.oov_rate})
    for path, r in anas:
        out["analogies"].append({
            "file": path, "method": method,
            "accuracy": _nan_to_none(r.accuracy), "coverage": r.coverage,
            "n_correct": r.n_correct, "n_attempted": r.n_attempted, "n_total": r.n_total,
            "sections": {name: {"accuracy": _nan_to_none(s.accuracy),
                                "correct": s.correct, "attempted": s.attempted,
                                "total": s.total}
                         for name, s in r.sections.items()}})
    return json.dumps(out, indent=2, ensure_ascii=False)


def _run_eval(args) -> int:
    if not args.pairs and not args.analogies:
        args.parser.error("nothing to evaluate: give --pairs FILE and/or --analogies FILE")
    for path in [*args.pairs, *args.analogies]:   # before loading a large vector file
        if not os.path.exists(path):
            raise CLIError(f"evaluation file not found: {path}")
    emb = _load_vectors(args)
    method, restrict = getattr(args, dest("method")), getattr(args, dest("restrict_vocab"))
    sim_kw, ana_kw = {}, {"method": method}
    if restrict is not None:
        sim_kw["restrict_vocab"] = ana_kw["restrict_vocab"] = restrict
    with reported():
        sims = [(p, evaluate_similarity(emb, p, **sim_kw)) for p in args.pairs]
        anas = [(p, evaluate_analogies(emb, p, **ana_kw)) for p in args.analogies]
    if args.json:
        print(_json(args, emb, sims, anas, method))
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
        name = {"add": "3CosAdd", "mul": "3CosMul"}[method]
        print(_table([f"analogies ({name})", "accuracy", "correct", "coverage"], rows))
    return 0


# ---------------------------------------------------------------------- neighbors
def _run_neighbors(args) -> int:
    emb = _load_vectors(args)
    topn, restrict = getattr(args, dest("topn")), getattr(args, dest("restrict_vocab"))
    status = 0
    first = True
    for word in args.words:
        try:
            with reported():
                result = emb.most_similar(word, topn=topn, restrict_vocab=restrict)
        except (KeyError, CLIError) as e:   # an unknown word: report it, go on with the next
            sys.stdout.flush()
            print(f"{PROG}: error: {message(e)}", file=sys.stderr)
            status = 1
            continue
        if not first:
            print()
        first = False
        print(word)
        width = max((len(w) for w, _ in result), default=0)
        for rank, (other, cos) in enumerate(result, 1):
            print(f"  {rank:>{len(str(topn))}}  {other:<{width}}  {cos:.4f}")
    return status


# ---------------------------------------------------------------------- parsers
def add_vector_commands(sub, table: Options) -> None:
    """``eval`` and ``neighbors``."""
    sim_defaults = kwdefaults(evaluate_similarity)
    ana_defaults = kwdefaults(evaluate_analogies)

    def described(v):
        return "all words" if v is None else str(v)

    ev = sub.add_parser(
        "eval", help="word-pair similarity and analogy scores",
        description="Evaluate word vectors on word-pair similarity files (word1<TAB>word2"
                    "<TAB>score per line; Spearman correlation with the cosines) and analogy "
                    "files (questions-words.txt format). Words are compared case-"
                    "insensitively and out-of-vocabulary items are skipped, as in gensim.")
    _add_vectors_arguments(ev, table)
    ev.add_argument("--pairs", nargs="+", action="extend", default=[], metavar="FILE",
                    help="word-pair similarity file(s), e.g. wordsim353.tsv")
    ev.add_argument("--analogies", nargs="+", action="extend", default=[], metavar="FILE",
                    help="analogy file(s), e.g. questions-words.txt")
    table.add(ev, "restrict_vocab", "--restrict-vocab", type=positive_int, metavar="N",
              help="only the N most frequent words count as known and are searched "
                   f"(default: {described(sim_defaults['restrict_vocab'])} for "
                   f"--pairs, {described(ana_defaults['restrict_vocab'])} for --analogies)")
    table.add(ev, "method", "--method", choices=METHODS, default=ana_defaults["method"],
              help="analogy objective: 3CosAdd (add) or 3CosMul (mul) (default: %(default)s)")
    ev.add_argument("--sections", action="store_true",
                    help="also show the accuracy of each analogy section")
    ev.add_argument("--json", action="store_true", help="print the results as JSON")
    ev.set_defaults(run=_run_eval, parser=ev)

    nb = sub.add_parser("neighbors", help="nearest neighbours of words by cosine",
                        description="Print the nearest neighbours of each WORD by cosine "
                                    "similarity.")
    _add_vectors_arguments(nb, table)
    nb.add_argument("words", nargs="+", metavar="WORD")
    table.add(nb, "topn", "--topn", type=positive_int, metavar="N",
              default=kwdefaults(Embeddings.most_similar)["topn"],
              help="neighbours per word (default: %(default)s)")
    table.add(nb, "restrict_vocab", "--restrict-vocab", type=positive_int, metavar="N",
              help="search only the N most frequent words (default: all)")
    nb.set_defaults(run=_run_neighbors, parser=nb)

"""``embedlib continue MODEL CORPUS [-o OUT] [--epochs N]``: train a saved model further.

The model is a file written by ``embedlib train ... --save-model MODEL`` or by
:meth:`Word2Vec.save <embedlib.Word2Vec.save>` / :meth:`GloVe.save <embedlib.GloVe.save>`.
It trains ``--epochs`` more epochs on CORPUS (by default the epochs left of those its
``epochs`` planned), with :meth:`Word2Vec.train <embedlib.Word2Vec.train>` or
:meth:`GloVe.train <embedlib.GloVe.train>`: what happens to the learning rate past the
plan, and to words of CORPUS the vocabulary does not have, is what those methods say.
The trained model then replaces MODEL atomically (or goes to ``-o OUT``, leaving MODEL as
it was): a failed or stopped run leaves MODEL unchanged and no partial file. A model file
is also a vector file (``embedlib neighbors MODEL king`` reads its W).
"""

from __future__ import annotations

from .._atomic import remove_temporaries
from .._spill import remove_spill_directories
from ..base import load_model
from ..corpus import ENCODING_ERRORS, Corpus
from ._common import CLIError, Options, dest, info, kwdefaults, positive_int, reported, warn
from ._train import check_output, check_vectors

__all__ = ["add_continue_command"]


def add_continue_command(sub, table: Options) -> None:
    """``continue``."""
    p = sub.add_parser(
        "continue", help="train a saved Word2Vec or GloVe model further",
        description="Train a model saved with 'embedlib train ... --save-model MODEL' for more "
                    "epochs on CORPUS and save it again: atomically over MODEL, or to -o OUT.")
    p.add_argument("model", metavar="MODEL", help="the saved model (.npz)")
    p.add_argument("corpus", metavar="CORPUS",
                   help="text file (plain or .gz), one sentence per line; words the model's "
                        "vocabulary does not have are dropped")
    p.add_argument("-o", "--output", metavar="OUT",
                   help="write the trained model here and leave MODEL as it is (default: "
                        "replace MODEL)")
    table.add(p, "epochs", "--epochs", type=positive_int, metavar="N", default=None,
              help="epochs to train (default: those left of the model's planned epochs; "
                   "past them word2vec trains at its final learning rate)")
    table.add(p, "workers", "--workers", type=positive_int, metavar="N", default=None,
              help="training threads (default: the model's)")
    table.add(p, "encoding_errors", "--encoding-errors", choices=ENCODING_ERRORS,
              default=kwdefaults(Corpus.from_file)["encoding_errors"],
              help="corpus bytes that are not UTF-8: stop with an error (strict) or "
                   "replace them with U+FFFD (default: %(default)s)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p.set_defaults(run=run_continue, parser=p)


def _load(args):
    """The saved model, with the command's --workers and progress bar, and the epochs to
    train."""
    with reported():
        model = load_model(args.model)
    changes = dict(verbose=not args.quiet)
    workers = getattr(args, dest("workers"))
    if workers is not None:
        changes["workers"] = workers
    with reported():
        model.set_params(**changes)
    epochs = getattr(args, dest("epochs"))
    if epochs is None:
        epochs = model.epochs - model.epochs_trained_
        if epochs < 1:
            raise CLIError(f"{args.model}: all {model.epochs} planned epochs of the model are "
                           "done; pass --epochs N to train N more")
    return model, epochs


def _read_corpus(args, vocab) -> Corpus:
    """CORPUS encoded with the model's vocabulary, reported as ``train`` reports it."""
    if vocab is None:
        raise CLIError(f"{args.model}: the model was fit on a co-occurrence matrix, not on a "
                       "corpus: it has no vocabulary to read CORPUS with; train it in Python "
                       "on a matrix")
    with reported():
        corpus = Corpus.from_file(args.corpus, vocab=vocab,
                                  encoding_errors=getattr(args, dest("encoding_errors")))
    info(f"corpus {args.corpus}: {len(corpus):,} lines, {corpus.n_raw_tokens:,} tokens; "
         f"{corpus.n_tokens:,} tokens in the model's vocabulary of {len(vocab):,} words")
    if corpus.n_replaced_lines:
        warn(f"{corpus.n_replaced_lines:,} lines of {args.corpus} held bytes that are not "
             "UTF-8 (replaced by U+FFFD)")
    return corpus


def run_continue(args) -> int:
    out = args.output or args.model
    model, epochs = _load(args)
    with reported():
        check_output(out, args.corpus)
    done = model.epochs_trained_
    try:
        corpus = _read_corpus(args, model.vocab_)
        with reported():
            model.train(corpus, epochs=epochs)
        for stats in model.history_[done:]:
            info(str(stats))
        with reported():
            check_vectors(model.wv, len(model.words_), out)
            model.save(out)
    except BaseException:
        remove_temporaries(out, mine=True)
        if getattr(model, "tmp_dir", None) is not None:
            remove_spill_directories(model.tmp_dir, mine=True)
        raise
    info(f"wrote {out} ({type(model).__name__} model, {model.epochs_trained_} epochs trained)")
    return 0

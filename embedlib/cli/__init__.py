"""The ``embedlib`` command: train word vectors, evaluate them, query neighbours.

::

    embedlib encode CORPUS [CORPUS ...] -o DIR [--min-count N] [--max-vocab-size N] ...
    embedlib cooccur CORPUS_OR_DIR -o COUNTS.npz [--window N] [--memory-limit SIZE] ...
        (both: [--dask [ADDRESS]] [--partition-size SIZE] to run on a Dask cluster)
    embedlib train sgns|cbow|glove|svd CORPUS_OR_DIR -o VECTORS [--save-model MODEL] [options]
    embedlib train glove|svd COUNTS.npz -o VECTORS [options]
    embedlib continue MODEL CORPUS [-o OUT] [--epochs N]
    embedlib eval VECTORS [--pairs FILE ...] [--analogies FILE ...] [--json]
    embedlib neighbors VECTORS WORD [WORD ...] [--topn N]

Options are built from the library: named after the Python parameters (``vector_size``
-> ``--vector-size``), with the defaults of the model's signature, the choices of the
library's constants and, where they read well, the help of its docstrings, so the command
and the API cannot disagree. The parser records each option in one table
(:class:`~embedlib.cli._common.Options`); while a command runs, the library's messages
name parameters by that table (``--min-count``, not ``min_count``) and are printed as they
are raised.

Exit statuses: 0 on success; 1 for a user error (a missing or malformed file, an invalid
value, an unusable corpus, a failed training run), printed as one line ``embedlib: error:
<message>``; 2 for a usage error (argparse); 128 + the signal's number when SIGINT (130),
SIGTERM (143) or SIGHUP (129) stops the run, printed as one line ``embedlib: interrupted``
(``terminated``, ``hung up``). A signal stops the run as Ctrl-C does: the training threads
finish their job and stop, temporary files and spill folders are removed, and signals that
follow are ignored until the clean-up is done. Output files are written only after
training succeeds, atomically, so a failed or stopped run leaves no partial file and keeps
the old output.

The commands live in :mod:`embedlib.cli._train` (``train``), :mod:`embedlib.cli._continue`
(``continue``: a saved model trained further), :mod:`embedlib.cli._corpus` (``encode``,
``cooccur``) and :mod:`embedlib.cli._vectors` (``eval``, ``neighbors``).
"""

from __future__ import annotations

import _thread
import argparse
import gc
import importlib
import os
import signal
import sys
import threading
from collections.abc import Sequence
from contextlib import contextmanager

from .. import __version__
from .._errors import spelling
from .._lazy import quick_blas_check
from ._common import PROG, CLIError, CommandLineSpelling, Options, error

__all__ = ["main", "build_parser"]


# each command's module and the function that adds its parsers, in the order of --help
_COMMANDS = {"train": ("_train", "add_train_commands"),
             "continue": ("_continue", "add_continue_command"),
             "encode": ("_corpus", "add_corpus_commands"),
             "cooccur": ("_corpus", "add_corpus_commands"),
             "eval": ("_vectors", "add_vector_commands"),
             "neighbors": ("_vectors", "add_vector_commands")}
#: The commands that run no Numba kernel (they read vector files): no BLAS check for them.
_VECTOR_COMMANDS = {"eval", "neighbors"}


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser of the ``embedlib`` command; its ``options`` attribute is the table of
    the Python parameters its arguments set (parameter -> option).

    With ``command`` (one of the commands), only the parsers of its module are built, and
    only the modules it needs are imported: ``eval`` and ``neighbors`` then import neither
    Numba nor the training code."""
    parser = argparse.ArgumentParser(
        prog=PROG, description="Train word embeddings, evaluate them and query neighbours.",
        formatter_class=lambda prog: argparse.HelpFormatter(prog, max_help_position=30))
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    parser.options = Options()
    builders = [_COMMANDS[command]] if command in _COMMANDS else _COMMANDS.values()
    for module, function in dict.fromkeys(builders):
        add = getattr(importlib.import_module(f".{module}", __name__), function)
        add(sub, parser.options)
    return parser


def _command_of(argv: Sequence[str]) -> str | None:
    """The command ``argv`` names (its first word that is not an option), if it is one."""
    for arg in map(str, argv):
        if not arg.startswith("-"):
            return arg if arg in _COMMANDS else None
    return None


# ---------------------------------------------------------------------- signals
_STOPPED = {signal.SIGINT: "interrupted", signal.SIGTERM: "terminated"}
if hasattr(signal, "SIGHUP"):
    _STOPPED[signal.SIGHUP] = "hung up"


class _Stopped(KeyboardInterrupt):
    """Raised in the main thread by SIGINT, SIGTERM or SIGHUP: a KeyboardInterrupt, so that
    every clean-up that handles Ctrl-C handles the others too."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


@contextmanager
def _stop_on_signals():
    """Within the block, the first SIGINT, SIGTERM or SIGHUP raises :class:`_Stopped`, and
    the ones after it are ignored, so that they cannot break off the clean-up. A signal
    ignored when the command started (``nohup``, a background job) stays ignored. Only the
    main thread can set handlers; elsewhere the block runs without them.

    A signal that arrives while the main thread runs a finalizer (a ``__del__``, such as
    that of a Dask future) raises :class:`_Stopped` inside it, and Python drops what a
    finalizer raises: the command would go on as if nothing had happened. Such a dropped
    stop reaches ``sys.unraisablehook``, which has it delivered to the main thread again once
    the finalizer is over."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {}
    state = dict(stopping=False, again=False, active=True)
    lock = threading.Lock()
    main_thread = threading.main_thread().ident

    def stop(signum, frame):
        if state["stopping"] and not state["again"]:
            return  # a signal after the first: ignored until the clean-up is done
        state["stopping"], state["again"] = True, False
        raise _Stopped(signum)

    def deliver_again(signum):  # in a timer thread
        with lock:
            if state["active"]:
                state["again"] = True
                if hasattr(signal, "pthread_kill"):  # also wakes a blocking call
                    signal.pthread_kill(main_thread, signum)
                else:                                # Windows
                    _thread.interrupt_main(signum)

    hook = sys.unraisablehook

    def unraisable(info):
        if isinstance(info.exc_value, _Stopped):  # raised in a finalizer, which dropped it
            threading.Timer(0.01, deliver_again, (info.exc_value.signum,)).start()
        else:
            hook(info)

    for s in _STOPPED:
        if signal.getsignal(s) is not signal.SIG_IGN:
            previous[s] = signal.signal(s, stop)
    sys.unraisablehook = unraisable
    try:
        yield
    finally:
        with lock:
            state["active"] = False
        sys.unraisablehook = hook
        for s, handler in previous.items():
            signal.signal(s, handler)


# ---------------------------------------------------------------------- main
@contextmanager
def _collector_paused():
    """Python's cyclic garbage collector off for a block (as it was after it), for the
    imports a command starts with: Numba's create hundreds of thousands of objects and
    none of them is garbage, yet they set off collections that walk them all (50-100 ms
    of a command's start)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``embedlib`` command with ``argv`` (default ``sys.argv[1:]``); returns the
    exit status."""
    return _main(sys.argv[1:] if argv is None else list(argv))


def entry() -> None:
    """The ``embedlib`` program (and ``python -m embedlib``): :func:`main`, then the exit
    with its status, in a process of its own.

    Being a process of its own, it frees the collector from the objects of its start-up:
    once the command's modules are imported they are frozen (``gc.freeze``), so that later
    collections do not walk them again, and so is everything at the exit, whose final
    collection would otherwise walk all of Numba's objects (0.15-0.3 s) to find what the
    process is about to drop anyway. Exit handlers still run (``atexit``), and the
    command has closed its files before it returns. :func:`main` freezes nothing, because
    a process that calls it, such as a test, goes on afterwards.
    """
    status = _main(sys.argv[1:], started=gc.freeze)
    gc.freeze()
    sys.exit(status)


def _main(argv: list[str], started=None) -> int:
    if argv == ["--version"]:  # as the parser would print it, without building the parsers
        print(f"{PROG} {__version__}")
        return 0
    command = _command_of(argv)
    with _collector_paused():
        if command not in _VECTOR_COMMANDS:
            quick_blas_check()  # 0.1 s less before the first kernel runs (embedlib._lazy)
        parser = build_parser(command)
    if started is not None:
        started()
    try:
        with _stop_on_signals(), spelling(CommandLineSpelling(parser.options)):
            args = parser.parse_args(argv)
            return args.run(args)
    except SystemExit as e:  # argparse: --help, --version, usage errors
        return e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    except CLIError as e:
        error(str(e))
        return 1
    except MemoryError as e:
        error(f"out of memory{f' ({e})' if str(e) else ''}")
        return 1
    except KeyboardInterrupt as e:
        signum = e.signum if isinstance(e, _Stopped) else signal.SIGINT
        sys.stdout.flush()
        print(f"{PROG}: {_STOPPED[signum]}", file=sys.stderr)
        return 128 + signum
    except BrokenPipeError:  # e.g. `embedlib neighbors ... | head`
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except (OSError, ValueError):
            pass
        return 1

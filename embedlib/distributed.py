"""The corpus pass on a Dask cluster: encoding many text files and counting co-occurrences
past one machine (the ``dask`` extra: ``pip install "embedlib[dask]"``).

What runs where:

* The **client** (the Python process that calls :func:`encode_files` or
  :func:`cooccurrence`, or the ``embedlib`` command with ``--dask``) checks the arguments
  and the files, cuts the work into partitions, submits the tasks, and at the end renames
  the finished directory into place. No token and no partial count passes through it.
* The **workers** run the tasks (:mod:`embedlib._dask_tasks`), each the local code of
  embedlib -- the same Numba kernels -- on its partition:

  1. *count*: the counting pass over the files of one partition (the files, in the order
     given, cut into runs of about equal bytes, files whole: as many runs as it takes to
     hold about ``partition_size`` bytes each, and at least one a worker thread if there
     are that many files);
  2. *merge*: the partial counts merged pairwise, left partition before right, in a tree
     of tasks on the workers (``log2(partitions)`` levels), so that ties in the vocabulary
     are broken by first appearance as in the local pass (the earliest partition, then the
     earliest position in it);
  3. *choose*: the vocabulary of the merged counts (by count, ties by first appearance);
  4. *encode*: every partition encoded with it into a shard (``tokens.npy`` and
     ``offsets.npy`` of its own, in the output's temporary directory);
  5. *assemble*: the shards streamed, in order, into the one ``tokens.npy`` and
     ``offsets.npy`` of the encoded directory, with its vocabulary and manifest: the
     directory :meth:`Corpus.load <embedlib.corpus.Corpus.load>` maps and ``embedlib
     train`` reads, nothing new about it.

  :func:`cooccurrence` counts ranges of whole sentences of about equal numbers of tokens
  (at most about ``partition_size`` bytes of ``tokens.npy`` each, at least one range a
  worker thread) with :func:`embedlib.cooccur.cooccurrence` and sums the matrices in a
  tree of tasks; only the final matrix comes to the client.

The result is the local one: the same vocabulary, counts and order, the same tokens and
offsets, bit for bit (the counts are exact: unlike the local pass with
``max_vocab_size``, the counting tables are never pruned, so the two agree whenever the
local pass pruned nothing). The co-occurrence matrix has the same nonzeros; its values
are sums of the same float64 weights in another order (each range summed as the local
count sums, then the ranges added), so they agree to rounding: an entry that sums ``n``
weights differs by at most ``2 n eps`` of its value (``eps = 2**-52``; the tests check that
bound; the NLTK mix repeated 4 times, 15M tokens in 4 ranges, gave at most 1e-11, see
``bench/results/distributed_pass.md``); with ``weighting="uniform"`` (integer counts) they
are equal.

Every path (input files, output directory, ``tmp_dir``) must mean the same file on the
client and on every worker: on a real cluster, a shared file system mounted at the same
place. Output is atomic: everything is written to a temporary directory beside the
output, renamed at the end; a failure -- a file that cannot be read, a worker that died
more often than the scheduler allows (``distributed.scheduler.allowed-failures``), Ctrl-C
-- removes it and leaves the previous output as it was. A worker killed in the middle of
a task is restarted by its nanny and the task run again from its start (each task's
output is written under a name of its own and renamed when complete), so a job survives
the loss of workers that the scheduler allows.
"""

from __future__ import annotations

import logging
import os
import shutil
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np

try:
    import distributed
except ImportError:  # pragma: no cover - the extra is part of the test extra
    raise ImportError("embedlib.distributed needs Dask: pip install 'embedlib[dask]' "
                      "(dask and distributed)") from None

from . import _dask_tasks as T
from ._checks import check_choice, check_directory, check_int, parse_memory
from ._encode_files import _check
from ._errors import _SPELLING
from .corpus import Corpus
from .corpus_store import check_target, commit, load, temporary_directory

__all__ = ["cluster", "encode_files", "cooccurrence", "ClusterError", "PARTITION_SIZE",
           "CONNECT_TIMEOUT"]

logger = logging.getLogger(__name__)

#: Bytes of input a partition holds at most by default (about: files are not split, so a
#: larger file is a partition of its own): of text for :func:`encode_files`, of
#: ``tokens.npy`` for :func:`cooccurrence`.
PARTITION_SIZE = "64M"
#: Seconds :func:`cluster` waits for the scheduler at an address.
CONNECT_TIMEOUT = 5.0


class ClusterError(OSError):
    """The Dask cluster cannot be reached, or failed the job (a worker died more often
    than the scheduler allows, the connection was lost)."""


# ------------------------------------------------------------------------------ cluster
@contextmanager
def cluster(address: str | None = None, *, n_workers: int | None = None,
            timeout: float = CONNECT_TIMEOUT):
    """A :class:`distributed.Client` for the block: of a scheduler at ``address``
    (``tcp://HOST:PORT`` or ``HOST:PORT``, as ``dask scheduler`` prints it), or, by
    default, of a new ``LocalCluster`` of ``n_workers`` worker processes (default: one a
    core) of one thread each, closed at the end of the block.

    A scheduler that does not answer within ``timeout`` seconds is a :class:`ClusterError`
    (an OSError) naming the address. A script that starts a local cluster must do it under
    ``if __name__ == "__main__":`` (the workers are new processes that import the main
    module).
    """
    if address is None:
        n = (os.cpu_count() or 1) if n_workers is None else \
            check_int("n_workers", n_workers, 1)
        with distributed.LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                                      dashboard_address=None,  # no dashboard, and
                                      # the scheduler's HTTP routes on a free port
                                      scheduler_kwargs={"dashboard_address": ":0"},
                                      # the errors of tasks reach the caller as
                                      # exceptions: the workers' logs would repeat them
                                      silence_logs=logging.CRITICAL) as lc, \
                distributed.Client(lc) as client:
            yield client
        return
    client = connect(address, timeout=timeout)
    try:
        yield client
    finally:
        client.close()


def connect(address: str, *, timeout: float = CONNECT_TIMEOUT) -> "distributed.Client":
    """A client of the scheduler at ``address``; :class:`ClusterError` if it cannot be
    reached within ``timeout`` seconds (or what answers is not a Dask scheduler), or has no
    worker within that time."""
    if not isinstance(address, str) or not address.strip():
        raise ClusterError(f"a Dask scheduler address is HOST:PORT or tcp://HOST:PORT, "
                           f"got {address!r}")
    address = address.strip()
    t0 = time.monotonic()
    try:
        client = distributed.Client(address, timeout=timeout, set_as_default=False)
    except ValueError as e:  # a malformed address
        raise ClusterError(f"{address!r} is not a Dask scheduler address (HOST:PORT or "
                           f"tcp://HOST:PORT): {e}") from None
    except (OSError, TimeoutError) as e:
        why = "" if "timed out" in str(e).lower() or not str(e) else f" ({e})"
        raise ClusterError(f"cannot reach the Dask scheduler at {address} within {timeout:g} "
                           f"s{why}") from None
    except Exception as e:  # something answered, but not as a scheduler does
        raise ClusterError(f"cannot connect to a Dask scheduler at {address}: what answered "
                           f"there after {time.monotonic() - t0:.1f} s is not one "
                           f"({type(e).__name__})") from None
    try:  # tasks sent to a scheduler without workers would wait for ever
        client.wait_for_workers(1, timeout=timeout)
    except (TimeoutError, OSError):
        client.close()
        raise ClusterError(f"the Dask scheduler at {address} has no worker (none joined within "
                           f"{timeout:g} s); start them with: dask worker {address}") from None
    return client


@contextmanager
def _client(client):
    if client is not None:
        yield client
    else:
        with cluster() as c:
            yield c


def _result(future, what: str, *, fetch: bool = True):
    """The result of ``future`` (or, without ``fetch``, None once it is computed: the data
    stays on the workers), with the cluster's failures as :class:`ClusterError`."""
    try:
        if not fetch:
            distributed.wait(future)
            if future.status == "finished":
                return None
        return future.result()
    except distributed.scheduler.KilledWorker as e:
        raise ClusterError(f"a Dask worker died each of the {e.allowed_failures + 1} times "
                           f"it ran task {e.task} while {what}; the scheduler gave up and "
                           "nothing was written") from None
    except (distributed.comm.CommClosedError, distributed.client.FutureCancelledError) as e:
        raise ClusterError(f"lost the Dask cluster while {what} ({type(e).__name__}: {e}); "
                           "nothing was written") from None
    except ImportError as e:  # a worker without embedlib (or another version of it)
        raise ClusterError(f"a Dask worker cannot run embedlib's tasks ({e}); install "
                           "embedlib, the same version, on every worker") from None


def _release(futures: list) -> None:
    """Let the scheduler forget the tasks of ``futures`` (and those only they depend on):
    what has not started does not run. (Not ``client.cancel``, which this version of the
    scheduler fails on for the inner tasks of a tree whose futures were released.)"""
    for f in futures:
        f.release()
    futures.clear()


def _tree(client, futures: list, func, name: str):
    """Combine ``futures`` pairwise in order with ``func(left, right)`` on the workers,
    level after level, until one remains; its future."""
    level = 0
    while len(futures) > 1:
        nxt = [client.submit(func, futures[i], futures[i + 1], pure=False,
                             key=f"{name}-{level}-{i // 2}-{os.urandom(4).hex()}")
               for i in range(0, len(futures) - 1, 2)]
        if len(futures) % 2:
            nxt.append(futures[-1])
        futures = nxt
        level += 1
    return futures[0]


def _partitions(sources, size: int, slots: int) -> list[list[str]]:
    """The files, in order, cut into runs of about equal bytes (files are not split): about
    as many runs as it takes for each to hold ``size`` bytes, and at least ``slots`` (the
    tasks the cluster runs at once) if there are that many files. A run ends where the
    next file would take it farther from its share than it is. As absolute paths."""
    total = sum(s.size for s in sources)
    k = max(1, min(max(-(-total // size), slots), len(sources)))
    if k == len(sources):
        return [[str(s.path)] for s in sources]
    share = total / k
    parts, current, filled = [], [], 0
    for s in sources:
        if current and abs(filled + s.size - share) > abs(filled - share):
            parts.append(current)
            current, filled = [], 0
        current.append(str(s.path))
        filled += s.size
    parts.append(current)
    return parts


# ------------------------------------------------------------------------------ encoding
def encode_files(paths, directory, *, client=None, min_count: int = 5,
                 max_vocab_size: int | None = None, encoding_errors: str = "strict",
                 partition_size=PARTITION_SIZE, workers: int = 1,
                 chunk_size: int | None = None) -> Corpus:
    """Encode text files (plain or ``.gz``, one sentence per line; one corpus, the files
    one after the other) into ``directory`` on a Dask cluster: what :meth:`Corpus.from_file
    <embedlib.corpus.Corpus.from_file>` with ``directory=`` writes, the same vocabulary
    and tokens (see the module's docstring).

    Parameters
    ----------
    paths : str, os.PathLike, or a list of them
    directory : str or os.PathLike
        The encoded directory to write (created, or replaced if it holds an encoded
        corpus; atomically). It must be on a file system the workers share.
    client : distributed.Client, optional
        The cluster to run on; by default a LocalCluster (:func:`cluster`) for the call.
    min_count, max_vocab_size, encoding_errors, chunk_size
        As for :meth:`Corpus.from_file <embedlib.corpus.Corpus.from_file>`; the counts are
        exact (never pruned), whatever ``max_vocab_size``.
    partition_size : int or str
        Bytes of text a partition holds at most, about (``"64M"``): the files, in order,
        are cut into runs of about equal bytes, as many as that takes and at least one a
        worker thread (files are not split: a larger file is a partition of its own).
    workers : int
        Threads each task scans with (a worker of one thread: 1).

    Returns
    -------
    Corpus
        The encoded corpus, memory-mapped from ``directory``.
    """
    size = parse_memory(partition_size, "partition_size")
    sources, chunk_size = _check(paths, min_count, max_vocab_size, encoding_errors, workers,
                                 chunk_size)
    try:
        target = Path(os.fspath(directory))
        check_target(target)
        where = sources[0].name if len(sources) == 1 else \
            "the corpus files " + ", ".join(s.name for s in sources)
        path = sources[0].name if len(sources) == 1 else None
    finally:
        for s in sources:
            s.close()
    with _client(client) as c:
        parts = _partitions(sources, size, sum(c.nthreads().values()))
        stored = _encode(c, parts, target, where, path, min_count=min_count,
                         max_vocab_size=max_vocab_size, encoding_errors=encoding_errors,
                         threads=workers, chunk_size=chunk_size)
    corpus = Corpus._from_stored(stored)
    logger.info("%s: %d sentences, %d tokens; vocabulary %d words, %d tokens kept "
                "(%d partitions on Dask)", corpus.source, len(corpus), corpus.n_raw_tokens,
                len(corpus.vocab), corpus.n_tokens, len(parts))
    return corpus


def _encode(client, parts, target: Path, where: str, path, *, min_count, max_vocab_size,
            encoding_errors, threads, chunk_size):
    how = _SPELLING.get()
    replace = encoding_errors == "replace"
    params = dict(min_count=min_count, max_vocab_size=max_vocab_size,
                  encoding_errors=encoding_errors, vocabulary="counted")
    run = os.urandom(4).hex()
    t0 = time.perf_counter()
    tmp = temporary_directory(target)
    shared = str(tmp.resolve())  # what the workers are given: an absolute path
    futures = []
    try:
        counted = [client.submit(T.count_partition, p, replace=replace, threads=threads,
                                 chunk_size=chunk_size, how=how, pure=False,
                                 key=f"embedlib-count-{k}-{run}")
                   for k, p in enumerate(parts)]
        futures += counted
        merged = _tree(client, counted, T.merge_partials, f"embedlib-merge-{run}")
        vocab = client.submit(T.choose_vocabulary, merged, min_count=min_count,
                              max_vocab_size=max_vocab_size, where=where, path=path, how=how,
                              pure=False, key=f"embedlib-vocabulary-{run}")
        summaries = client.submit(_parts_of, merged, pure=False, key=f"embedlib-parts-{run}")
        futures += [merged, vocab, summaries]
        summaries = _result(summaries, "counting the words")
        t1 = time.perf_counter()
        _result(vocab, "choosing the vocabulary", fetch=False)
        t2 = time.perf_counter()
        futures = [vocab]  # the partial counts are no longer needed: the workers drop them
        del counted, merged
        encoded = [client.submit(T.encode_partition, p, k, vocab, summaries[k], shared,
                                 replace=replace, threads=threads, chunk_size=chunk_size,
                                 how=how, pure=False, key=f"embedlib-encode-{k}-{run}")
                   for k, p in enumerate(parts)]
        futures += encoded
        records = tuple(r for s in summaries for r in s.records)
        done = client.submit(T.assemble, shared, encoded, vocab, source=where,
                             sources=records, parameters=params, pure=False,
                             key=f"embedlib-assemble-{run}")
        futures.append(done)
        _result(done, "encoding the files")
        t3 = time.perf_counter()
        commit(tmp, target)
    except BaseException:
        _release(futures)
        raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    logger.info("%s: %d partitions counted and merged in %.2f s, the vocabulary chosen in "
                "%.2f s, encoded and assembled in %.2f s", where, len(parts), t1 - t0, t2 - t1,
                t3 - t2)
    stored = load(target)
    stored.source = where
    stored.written = True
    return stored


def _parts_of(partial: T.Partial) -> tuple:
    return partial.parts


# ------------------------------------------------------------------------ co-occurrences
def cooccurrence(corpus, window: int = 10, *, client=None, weighting: str = "harmonic",
                 symmetric: bool = True, include_self: bool = False, memory_limit=None,
                 tmp_dir=None, workers: int = 1, partition_size=PARTITION_SIZE):
    """The co-occurrence matrix of :func:`embedlib.cooccur.cooccurrence`, counted on a Dask
    cluster: ranges of sentences counted on the workers, the matrices summed pairwise
    there; the same nonzeros and, to float64 rounding, the same values (exactly the same
    with ``weighting="uniform"``; see the module's docstring).

    Parameters
    ----------
    corpus : Corpus or path
        An encoded directory (its path, or the Corpus loaded from it: the workers map it;
        it must be on a file system they share), or a Corpus in memory (its sentence
        ranges are sent to the workers).
    window, weighting, symmetric, include_self
        As for :func:`embedlib.cooccur.cooccurrence`.
    memory_limit, tmp_dir
        Per task, as for :func:`embedlib.cooccur.cooccurrence`.
    client : distributed.Client, optional
        The cluster to run on; by default a LocalCluster (:func:`cluster`) for the call.
    workers : int
        Threads each task counts with.
    partition_size : int or str
        Bytes of ``tokens.npy`` (4 a token) a range of whole sentences holds at most,
        about; there are at least as many ranges as worker threads (and sentences).

    Returns
    -------
    scipy.sparse.csr_matrix
        float64, shape (V, V), sorted indices, no explicit zeros.
    """
    if isinstance(corpus, (str, os.PathLike)):
        corpus = Corpus.load(corpus)
    if not isinstance(corpus, Corpus):
        raise TypeError(f"corpus must be an embedlib Corpus or the path of an encoded "
                        f"directory, got {type(corpus).__name__}")
    options = dict(window=check_int("window", window, 1, 100_000),
                   weighting=check_choice("weighting", weighting, ("harmonic", "uniform",
                                                                   "linear")),
                   symmetric=check_choice("symmetric", symmetric, (True, False)),
                   include_self=check_choice("include_self", include_self, (True, False)),
                   memory_limit=None if memory_limit is None else parse_memory(memory_limit),
                   tmp_dir=None if tmp_dir is None else
                   os.path.abspath(check_directory("tmp_dir", tmp_dir)),
                   workers=check_int("workers", workers, 1, 1024))
    size = parse_memory(partition_size, "partition_size")
    if corpus.n_tokens == 0:
        raise ValueError("the corpus has no in-vocabulary tokens: nothing to count")
    t0 = time.perf_counter()
    with _client(client) as c:
        ranges = _sentence_ranges(corpus.offsets, max(1, size // 4),
                                  sum(c.nthreads().values()))
        X = _cooccur(c, corpus, ranges, options)
    logger.info("%s: co-occurrences of %d words (window %d, %s, %s): %d nonzeros in %.2f s "
                "(%d ranges on Dask)", corpus.source or "the corpus", X.shape[0], window,
                weighting, "both sides" if symmetric else "left context", X.nnz,
                time.perf_counter() - t0, len(ranges))
    return X


def _sentence_ranges(offsets, tokens_per_range: int, slots: int) -> list[tuple[int, int]]:
    """Consecutive ranges of whole sentences of about equal numbers of tokens: as many as
    it takes for each to hold about ``tokens_per_range``, and at least ``slots``."""
    n_sentences = len(offsets) - 1
    n_tokens = int(offsets[-1])
    k = max(1, min(max(-(-n_tokens // tokens_per_range), slots), n_sentences))
    marks = np.round(np.arange(1, k) * (n_tokens / k)).astype(np.int64)
    cuts = np.searchsorted(offsets, marks, side="left")
    bounds = np.unique(np.concatenate([[0], cuts, [n_sentences]]).astype(np.int64))
    return [(int(a), int(b)) for a, b in zip(bounds[:-1], bounds[1:])]


def _cooccur(client, corpus: Corpus, ranges, options):
    how = _SPELLING.get()
    run = os.urandom(4).hex()
    futures = []
    try:
        if corpus.directory is not None:
            where = str(Path(corpus.directory).resolve())
            parts = [client.submit(T.cooccur_range, where, a, b, how=how, **options,
                                   pure=False, key=f"embedlib-cooccur-{k}-{run}")
                     for k, (a, b) in enumerate(ranges)]
        else:
            [vocab] = client.scatter([corpus.vocab], broadcast=True)
            futures.append(vocab)
            parts = []
            for k, (a, b) in enumerate(ranges):
                lo, hi = int(corpus.offsets[a]), int(corpus.offsets[b])
                [piece] = client.scatter([(np.array(corpus.tokens[lo:hi]),
                                           np.asarray(corpus.offsets[a:b + 1]) - lo)])
                futures.append(piece)
                parts.append(client.submit(T.cooccur_range, piece, a, b, vocab=vocab,
                                           how=how, **options, pure=False,
                                           key=f"embedlib-cooccur-{k}-{run}"))
        futures += parts
        total = _tree(client, parts, T.add_matrices, f"embedlib-add-{run}")
        futures.append(total)
        X = _result(total, "counting co-occurrences")
    except BaseException:
        _release(futures)
        raise
    X.sort_indices()
    return X

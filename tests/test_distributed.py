"""embedlib.distributed: the corpus pass and co-occurrence counting on a Dask cluster give
what the local code gives; workers killed in the middle; a scheduler that cannot be reached.

One LocalCluster of 2 worker processes (one thread each) serves the module; the tests
that change the scheduler's settings start one of their own. Every test is bounded in
time (pytest-timeout).
"""

from __future__ import annotations

import gzip
import json
import os
import signal
import sys
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

pytest.importorskip("distributed")
import cloudpickle  # noqa: E402
import dask  # noqa: E402
import distributed  # noqa: E402

from embedlib import Corpus, cooccurrence  # noqa: E402
from embedlib import distributed as D  # noqa: E402
from embedlib.cli import main  # noqa: E402
from embedlib.corpus_store import MANIFEST  # noqa: E402
from embedlib.counts_file import load_counts  # noqa: E402
from embedlib._errors import CorpusError  # noqa: E402
from conftest import topic_lines  # noqa: E402

pytestmark = pytest.mark.timeout(180)

# the plugin below goes to the workers by value (they need not import this module)
cloudpickle.register_pickle_by_value(sys.modules[__name__])

#: The rounding of float64 sums (see embedlib.distributed: an entry of n weights is within
#: 2 n EPS of its value summed in another order).
EPS = np.finfo(np.float64).eps


@pytest.fixture(scope="module")
def client():
    with D.cluster(n_workers=2) as c:
        yield c


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """Six small files (one gzip-compressed, one with blank lines, one empty), whose words
    first appear in different files, with ties in their counts."""
    d = tmp_path_factory.mktemp("texts")
    paths = []
    for k in range(6):
        lines = topic_lines(60 + 23 * k, seed=k, prefix=f"p{k % 3}")
        if k == 1:
            lines[5:5] = ["", "   ", ""]
            lines.append("tie1 tie2 tie3")
        if k == 4:
            lines.append("tie3 tie2 tie1 late late")
        text = "" if k == 3 else "\n".join(lines) + "\n"
        p = d / (f"part{k}.txt.gz" if k == 2 else f"part{k}.txt")
        p.write_bytes(gzip.compress(text.encode()) if k == 2 else text.encode())
        paths.append(p)
    return paths


def _same_corpus(c: Corpus, ref: Corpus) -> None:
    assert c.vocab.words == ref.vocab.words
    assert np.array_equal(c.vocab.counts, ref.vocab.counts)
    assert np.array_equal(c.tokens, ref.tokens)
    assert np.array_equal(c.offsets, ref.offsets)
    assert (c.n_raw_tokens, c.n_replaced_lines) == (ref.n_raw_tokens, ref.n_replaced_lines)
    assert c.sources == ref.sources and c.parameters == ref.parameters


def _manifest(d: Path) -> dict:
    man = json.loads((d / MANIFEST).read_text())
    del man["created"]
    return man


# ---------------------------------------------------------------------------- encoding
@pytest.mark.parametrize("partition_size", [1, 2500, "1G"])
def test_encode_files_writes_what_the_local_pass_writes(client, files, tmp_path,
                                                        partition_size):
    out = tmp_path / "enc"
    c = D.encode_files(files, out, client=client, min_count=2,
                       partition_size=partition_size)
    ref = Corpus.from_file(files, min_count=2, directory=tmp_path / "ref")
    _same_corpus(c, ref)
    assert c.source == ref.source and c.directory == out
    _same_corpus(Corpus.load(out), ref)
    assert _manifest(out) == _manifest(tmp_path / "ref")
    for name in ("tokens.npy", "offsets.npy", "counts.npy", "vocab.json"):
        assert (out / name).read_bytes() == (tmp_path / "ref" / name).read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["enc", "ref"]
    assert sorted(p.name for p in out.iterdir()) == sorted(
        p.name for p in (tmp_path / "ref").iterdir())


def test_ties_are_broken_by_first_appearance_across_partitions(client, tmp_path):
    # b, c, a occur twice each; the first file to hold them is the second, then the third
    texts = ["x x x x\n", "b y\nc\n", "a b c a\n", "y\n"]
    paths = []
    for k, t in enumerate(texts):
        paths.append(tmp_path / f"{k}.txt")
        paths[-1].write_text(t)
    c = D.encode_files(paths, tmp_path / "enc", client=client, min_count=1,
                       partition_size=1)
    assert c.vocab.words == ("x", "b", "y", "c", "a")
    assert c.vocab.words == Corpus.from_file(paths, min_count=1).vocab.words


def test_partitions_are_runs_of_whole_files_of_about_equal_bytes():
    from types import SimpleNamespace as F
    files = [F(size=n, path=Path(f"/f{i}")) for i, n in enumerate([5, 5, 30, 10, 10, 10, 0])]
    names = lambda parts: [[p[2:] for p in part] for part in parts]  # noqa: E731
    assert names(D._partitions(files, 10**9, 1)) == [["0", "1", "2", "3", "4", "5", "6"]]
    assert names(D._partitions(files, 10**9, 2)) == [["0", "1", "2"], ["3", "4", "5", "6"]]
    assert names(D._partitions(files, 25, 1)) == [["0", "1"], ["2"], ["3", "4"], ["5", "6"]]
    assert len(D._partitions(files, 1, 1)) == 7 == len(D._partitions(files, 10, 100))
    assert D._sentence_ranges(np.array([0, 3, 3, 9, 10]), 10**9, 2) == [(0, 3), (3, 4)]
    assert D._sentence_ranges(np.array([0, 3, 3, 9, 10]), 1, 1) == [(0, 1), (1, 3), (3, 4)]


@pytest.mark.parametrize("options", [dict(min_count=1, max_vocab_size=40),
                                     dict(min_count=3, encoding_errors="replace")])
def test_vocabulary_options_give_the_local_vocabulary(client, files, tmp_path, options):
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"p0w1 \xff\xfe p0w2\np0w1 ok\n\xc3 p1w1\n")
    paths = [*files, bad] if options.get("encoding_errors") == "replace" else files
    c = D.encode_files(paths, tmp_path / "enc", client=client, partition_size=1500,
                       **options)
    ref = Corpus.from_file(paths, **options)
    _same_corpus(c, ref)
    assert ref._pruned_words == 0  # the local pass pruned nothing here: the same counts


def test_the_counts_are_exact_where_the_local_pass_prunes(client, files, tmp_path):
    c = D.encode_files(files, tmp_path / "enc", client=client, min_count=1,
                       max_vocab_size=7, partition_size=1)
    pruned = Corpus.from_file(files, min_count=1, max_vocab_size=7)
    exact = Corpus.from_file(files, min_count=1)
    assert pruned._pruned_words > 0 and c._pruned_words == 0
    assert c.vocab.words == exact.vocab.words[:7]
    assert np.array_equal(c.vocab.counts, exact.vocab.counts[:7])


def test_errors_of_the_files_are_those_of_the_local_pass(client, files, tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"fine line\nsecond \xff line\n")
    paths = [files[0], bad]
    with pytest.raises(CorpusError) as local:
        Corpus.from_file(paths, min_count=1)
    with pytest.raises(CorpusError) as remote:
        D.encode_files(paths, tmp_path / "enc", client=client, min_count=1,
                       partition_size=1)
    assert str(remote.value) == str(local.value) and "line 2" in str(remote.value)
    assert (remote.value.path, remote.value.line) == (str(bad), 2)
    with pytest.raises(CorpusError, match="every word occurs fewer than 1000 times"):
        D.encode_files(files, tmp_path / "enc", client=client, min_count=1000)
    with pytest.raises(CorpusError, match="is empty: no tokens found"):
        D.encode_files([files[3]], tmp_path / "enc", client=client)
    with pytest.raises(FileNotFoundError, match="corpus file not found"):
        D.encode_files([tmp_path / "missing.txt"], tmp_path / "enc", client=client)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.txt"]


def test_paths_a_worker_does_not_see_name_the_shared_file_system(files, tmp_path):
    from embedlib import _dask_tasks as T
    from embedlib._errors import Spelling
    common = dict(replace=False, threads=1, chunk_size=1 << 16, how=Spelling())
    with pytest.raises(FileNotFoundError, match="missing.txt on the Dask worker .*; the input "
                                                "files must be on a file system the client "
                                                "and every worker share"):
        T.count_partition([str(tmp_path / "missing.txt")], **common)
    part = T.count_partition([str(files[0])], **common)
    vocab = T.choose_vocabulary(part, min_count=1, max_vocab_size=None, where="x", path=None,
                                how=Spelling())
    with pytest.raises(FileNotFoundError, match="the output's temporary directory .*gone is "
                                                "not found on the Dask worker .*; the output "
                                                "must be on a file system"):
        T.encode_partition([str(files[0])], 0, vocab, part.parts[0], str(tmp_path / "gone"),
                           **common)
    assert list(tmp_path.iterdir()) == []


def test_a_failed_run_keeps_the_previous_output(client, files, tmp_path):
    out = tmp_path / "enc"
    D.encode_files(files, out, client=client, min_count=2)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    with pytest.raises(CorpusError):
        D.encode_files(files, out, client=client, min_count=10_000)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["enc"]


# ---------------------------------------------------------------------- co-occurrences
def _close(X, Y, terms=None) -> None:
    """X and Y have the same nonzeros and values: equal, or, given the number of weights
    summed into each entry (``terms``, of the same pattern), within ``2 n EPS``."""
    assert sp.isspmatrix_csr(X) and X.dtype == np.float64 and X.shape == Y.shape
    assert X.has_sorted_indices
    assert np.array_equal(X.indptr, Y.indptr) and np.array_equal(X.indices, Y.indices)
    if terms is None:
        assert np.array_equal(X.data, Y.data)
    else:
        assert np.array_equal(terms.indices, Y.indices)
        assert np.all(np.abs(X.data - Y.data) <= 2 * terms.data * EPS * Y.data)


@pytest.mark.parametrize("options", [dict(window=4), dict(window=3, symmetric=False),
                                     dict(window=5, weighting="linear", include_self=True)])
def test_cooccurrence_is_the_local_matrix_to_rounding(client, files, tmp_path, options):
    corpus = D.encode_files(files, tmp_path / "enc", client=client, min_count=1)
    Y = cooccurrence(corpus, **options)
    n = cooccurrence(corpus, **dict(options, weighting="uniform"))  # weights summed
    differ = 0
    for source in (corpus, tmp_path / "enc", Corpus.from_file(files, min_count=1)):
        X = D.cooccurrence(source, client=client, partition_size=900, **options)
        _close(X, Y, terms=n)
        differ += int((X != Y).nnz)
    assert differ > 0  # the sums do run in another order (or the bound tests nothing)


def test_uniform_counts_are_equal(client, files, tmp_path):
    corpus = D.encode_files(files, tmp_path / "enc", client=client, min_count=1)
    X = D.cooccurrence(corpus, 6, weighting="uniform", client=client, partition_size=700,
                       memory_limit="1M", tmp_dir=tmp_path)
    _close(X, cooccurrence(corpus, 6, weighting="uniform"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["enc"]


def test_more_ranges_than_sentences_and_bad_options(client, tmp_path):
    corpus = Corpus.from_sentences([["a", "b", "a"], [], ["b", "c"]], min_count=1)
    _close(D.cooccurrence(corpus, 2, client=client, partition_size=1),
           cooccurrence(corpus, 2), terms=cooccurrence(corpus, 2, weighting="uniform"))
    with pytest.raises(ValueError, match="window"):
        D.cooccurrence(corpus, 0, client=client)
    with pytest.raises(ValueError, match="partition_size"):
        D.cooccurrence(corpus, 2, client=client, partition_size="lots")
    with pytest.raises(TypeError, match="Corpus"):
        D.cooccurrence([["a"]], 2, client=client)


# ----------------------------------------------------------------------- killed workers
class KillOnStart(distributed.WorkerPlugin):
    """Kills its worker process (SIGKILL) when a task whose key starts with ``prefix``
    begins to run there, the first time only (a marker file), or every time."""

    def __init__(self, prefix: str, marker: str | None):
        self.prefix, self.marker = prefix, marker

    def transition(self, key, start, finish, **kwargs):
        if finish != "executing" or not str(key).startswith(self.prefix):
            return
        if self.marker is None or _first(self.marker):
            os.kill(os.getpid(), signal.SIGKILL)


def _first(marker: str) -> bool:
    """True for the first process that asks (the marker file did not exist)."""
    try:
        os.close(os.open(marker, os.O_CREAT | os.O_EXCL))
        return True
    except FileExistsError:
        return False


class KillMidway(distributed.WorkerPlugin):
    """Kills its worker process (SIGKILL) in the middle of a task, once (a marker file):
    ``"count"``: as the counting pass takes its second chunk of text; ``"encode"``: once
    the encoding pass has written a first piece of a shard's tokens to disk."""

    def __init__(self, where: str, marker: str):
        self.where, self.marker = where, marker

    def setup(self, worker):
        from embedlib import _corpus_pass, corpus_store
        marker = self.marker
        if self.where == "count":
            chunks = _corpus_pass.read_chunks

            def read_chunks(*args, **kwargs):
                for i, chunk in enumerate(chunks(*args, **kwargs)):
                    if i == 1 and _first(marker):
                        os.kill(os.getpid(), signal.SIGKILL)
                    yield chunk
            _corpus_pass.read_chunks = read_chunks
        else:
            write = corpus_store.NpyWriter.write

            def write_then_die(self, a):
                write(self, a)
                if self.path.name == "tokens.npy" and self.n and "shard" in str(self.path) \
                        and _first(marker):
                    self.f.flush()
                    os.kill(os.getpid(), signal.SIGKILL)
            corpus_store.NpyWriter.write = write_then_die


@pytest.mark.parametrize("plugin", [lambda m: KillMidway("count", m),
                                    lambda m: KillOnStart("embedlib-merge-", m),
                                    lambda m: KillMidway("encode", m),
                                    lambda m: KillOnStart("embedlib-assemble-", m)],
                         ids=["count", "merge", "encode", "assemble"])
def test_a_worker_killed_in_a_task_is_replaced_and_the_job_completes(client, files, tmp_path,
                                                                     plugin):
    marker = tmp_path / "killed"
    client.register_plugin(plugin(str(marker)), name="kill")
    try:
        c = D.encode_files(files, tmp_path / "enc", client=client, min_count=2,
                           partition_size=2000, chunk_size=256)
    finally:
        client.unregister_worker_plugin("kill")
        client.wait_for_workers(2, timeout=60)
    assert marker.exists()  # a worker was killed
    _same_corpus(c, Corpus.from_file(files, min_count=2))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["enc", "killed"]
    assert sorted(p.name for p in (tmp_path / "enc").iterdir()) == sorted(
        ["manifest.json", "tokens.npy", "offsets.npy", "counts.npy", "vocab.json"])


def test_a_worker_killed_in_every_attempt_fails_the_job_and_writes_nothing(files, tmp_path):
    out = tmp_path / "enc"
    out.mkdir()
    (out / "keep.txt").write_text("not an encoded corpus")
    Corpus.from_file(files, min_count=2, directory=tmp_path / "old")
    before = (tmp_path / "old" / "tokens.npy").read_bytes()
    with dask.config.set({"distributed.scheduler.allowed-failures": 1}), \
            D.cluster(n_workers=2) as c:
        c.register_plugin(KillOnStart("embedlib-count-", None), name="kill")
        with pytest.raises(D.ClusterError, match="a Dask worker died each of the 2 times it "
                                                 "ran task embedlib-count-"):
            D.encode_files(files, tmp_path / "old", client=c, min_count=1)
    assert (tmp_path / "old" / "tokens.npy").read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["enc", "old"]
    assert Corpus.load(tmp_path / "old").vocab.words == \
        Corpus.from_file(files, min_count=2).vocab.words


# ----------------------------------------------------------------------- the addresses
def test_an_unreachable_scheduler_is_a_clear_error(tmp_path, files):
    with pytest.raises(D.ClusterError, match=r"cannot reach the Dask scheduler at "
                                             r"127\.0\.0\.1:1 within 1 s"):
        with D.cluster("127.0.0.1:1", timeout=1):
            pass
    with pytest.raises(D.ClusterError, match="not a Dask scheduler address"):
        D.connect("no-port-here")


def test_a_scheduler_without_workers_is_a_clear_error():
    with distributed.LocalCluster(n_workers=0, dashboard_address=None,
                                  scheduler_kwargs={"dashboard_address": ":0"}) as bare:
        with pytest.raises(D.ClusterError, match=f"the Dask scheduler at {bare.scheduler_address} "
                                                 "has no worker .none joined within 1 s.; start "
                                                 "them with: dask worker"):
            D.connect(bare.scheduler_address, timeout=1)


def test_the_commands_on_a_cluster_by_its_address(client, files, tmp_path, capsys):
    address = client.scheduler.address
    out = tmp_path / "enc"
    assert main(["encode", *map(str, files), "-o", str(out), "--min-count", "2",
                 "--dask", address, "--partition-size", "2K"]) == 0
    assert "wrote" in capsys.readouterr().err
    ref = Corpus.from_file(files, min_count=2)
    _same_corpus(Corpus.load(out), ref)
    assert main(["cooccur", str(out), "-o", str(tmp_path / "X.npz"), "--window", "4",
                 "--dask", address, "--partition-size", "1K"]) == 0
    X, vocab, how = load_counts(tmp_path / "X.npz")
    assert vocab.words == ref.vocab.words and how["window"] == 4
    _close(X, cooccurrence(ref, 4), terms=cooccurrence(ref, 4, weighting="uniform"))
    # a text file: encoded on the cluster into a temporary directory, then counted
    assert main(["cooccur", str(files[0]), "-o", str(tmp_path / "Y.npz"), "--window", "3",
                 "--min-count", "1", "--dask", address, "--weighting", "uniform"]) == 0
    Y, vocab, _ = load_counts(tmp_path / "Y.npz")
    ref = Corpus.from_file(files[0], min_count=1)
    assert vocab.words == ref.vocab.words
    _close(Y, cooccurrence(ref, 3, weighting="uniform"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["X.npz", "Y.npz", "enc"]


@pytest.mark.parametrize("argv, message", [
    (["--dask", "127.0.0.1:1"], "cannot reach the Dask scheduler at 127.0.0.1:1 within 5 s"),
    (["--dask", "nowhere"], "--dask nowhere: not a Dask scheduler address"),
    (["--partition-size", "4K"], "--partition-size is an option of --dask"),
    (["--dask", "127.0.0.1:1", "--partition-size", "4Q"], "--partition-size must be a "
                                                          "positive number of bytes"),
])
def test_bad_dask_options_are_one_line_errors(files, tmp_path, capsys, argv, message):
    assert main(["encode", str(files[0]), "-o", str(tmp_path / "enc"), *argv]) == 1
    err = capsys.readouterr().err
    assert err.startswith("embedlib: error: ") and err.count("\n") == 1, err
    assert message in err
    assert list(tmp_path.iterdir()) == []


def test_the_command_starts_a_local_cluster_in_a_real_process(files, tmp_path):
    from conftest import embedlib_process, finish
    out = tmp_path / "enc"
    proc = embedlib_process("encode", *files, "-o", out, "--min-count", "2", "--dask",
                            "--partition-size", "2K")
    status, _, err = finish(proc, timeout=150)
    assert status == 0, err
    lines = err.splitlines()  # what the command says, and nothing of the cluster's logs
    assert len(lines) == 2 and lines[0].startswith("corpus ") and lines[1].startswith(
        f"wrote {out} (encoded corpus"), err
    _same_corpus(Corpus.load(out), Corpus.from_file(files, min_count=2))
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"fine\nnot \xff fine\n")
    status, _, err = finish(embedlib_process("encode", files[0], bad, "-o", tmp_path / "x",
                                             "--dask"), timeout=150)
    assert status == 1 and err == (f"embedlib: error: {bad}, line 2: bytes that are not "
                                   "UTF-8 at column 5 (b'\\xff fi'); fix the file or pass "
                                   "--encoding-errors replace\n"), err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.txt", "enc"]


def test_ctrl_c_stops_the_command_and_leaves_nothing(busy_corpus, tmp_path):
    import time
    from conftest import embedlib_process, finish
    out = tmp_path / "X.npz"
    proc = embedlib_process("cooccur", busy_corpus[0], "-o", out, "--window", "15",
                            "--dask", "--partition-size", "64K")
    deadline = time.monotonic() + 120
    # stopped while it counts: the corpus is encoded (in a temporary directory beside the
    # output), the sums of the ranges' matrices under way
    while not list(tmp_path.glob(".*/corpus/manifest.json")):
        assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
        time.sleep(0.005)
    proc.send_signal(signal.SIGINT)
    status, _, err = finish(proc, timeout=120)
    assert status == 130 and err.endswith("embedlib: interrupted\n"), err
    assert "Traceback" not in err and "ERROR" not in err, err
    assert list(tmp_path.iterdir()) == []

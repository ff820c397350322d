"""Long runs under load and faults: the corpus replaced while a run trains on it, a count
stopped halfway and run again, the files a killed process leaves behind.

The runs are real ``python -m embedlib`` processes (a warm Numba cache, see conftest).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading

import numpy as np
import pytest

from embedlib import Corpus, Embeddings, Word2Vec, cli
from embedlib._atomic import _host
from conftest import (embedlib_process, finish, spill_folders, topic_lines,
                      wait_for_spill)


def _write(path, lines) -> None:
    path.write_text("\n".join(lines) + "\n")


# ---------------------------------------------------------------------- the corpus replaced
def test_two_workers_train_on_what_they_encoded_while_the_corpus_is_replaced(tmp_path,
                                                                             warm_cache):
    """The corpus path is swapped between two corpora with different words, by rename,
    all the time the command runs: it reads one of them whole, trains two threads on it
    and writes its words, never a mix, and nothing fails."""
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    _write(a, topic_lines(3000, seed=1, prefix="a"))
    _write(b, topic_lines(3000, seed=2, prefix="b"))
    corpus, out = tmp_path / "corpus.txt", tmp_path / "v.txt"
    corpus.write_bytes(a.read_bytes())
    contents = [a.read_bytes(), b.read_bytes()]
    proc = embedlib_process("train", "sgns", corpus, "-o", out, "-q", "--workers", "2",
                            "--min-count", "1", "--vector-size", "16", "--epochs", "30")
    done = threading.Event()

    def replace():
        k = 0
        while not done.is_set():
            k += 1
            new = tmp_path / f"new{k % 2}.txt"
            new.write_bytes(contents[k % 2])
            os.replace(new, corpus)
            done.wait(0.001)

    swapper = threading.Thread(target=replace)
    swapper.start()
    try:
        status, _, err = finish(proc, timeout=300)
    finally:
        done.set()
        swapper.join()
    assert status == 0, err
    emb = Embeddings.load(out)
    prefixes = {w[0] for w in emb.words}
    assert len(prefixes) == 1 and len(emb) == 24, prefixes       # one corpus, whole
    assert np.isfinite(emb.vectors).all()
    assert sorted(p.name for p in tmp_path.iterdir()
                  if not p.name.startswith("new")) == ["a.txt", "b.txt", "corpus.txt", "v.txt"]


def test_a_fit_keeps_training_on_the_encoded_corpus_when_the_file_changes(tmp_path):
    """Rewritten in place after every epoch, the file no longer says what the model
    trains on: the fit goes on with what it encoded; the next fit reads the new text."""
    path = tmp_path / "c.txt"
    _write(path, topic_lines(2000, seed=1, prefix="a"))
    rewrites = []

    def rewrite(model, stats):
        _write(path, topic_lines(500, seed=stats.epoch, prefix="b"))
        rewrites.append(stats.epoch)

    model = Word2Vec(workers=2, min_count=1, vector_size=12, epochs=4, verbose=False,
                     callbacks=[rewrite]).fit(path)
    assert rewrites == [1, 2, 3, 4]
    assert all(w.startswith("a") for w in model.wv.words) and len(model.wv) == 24
    assert [s.words for s in model.history_] == [16000] * 4     # every epoch: the old corpus
    assert np.isfinite(model.wv.vectors).all()
    assert all(w.startswith("b") for w in Corpus.from_file(path, min_count=1).vocab.words)


# ---------------------------------------------------------------------- a count stopped
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_glove_run_stopped_while_counting_reruns_to_the_same_vectors(tmp_path, warm_cache,
                                                                       busy_corpus, signum):
    corpus, limit = busy_corpus
    spill = tmp_path / "spill"
    spill.mkdir()
    argv = ["train", "glove", corpus, "-q", "--workers", "1", "--window", "15",
            "--epochs", "1", "--vector-size", "8", "--memory-limit", limit, "--tmp-dir", spill]
    ref = tmp_path / "ref.txt"
    status, _, err = finish(embedlib_process(*argv, "-o", ref), timeout=300)
    assert status == 0, err
    out = tmp_path / "v.txt"
    proc = embedlib_process(*argv, "-o", out)
    try:
        wait_for_spill(proc, spill)
        proc.send_signal(signum)
    finally:
        status, _, err = finish(proc)
    assert status == 128 + signum and err.splitlines()[-1].startswith("embedlib: "), err
    assert not out.exists() and spill_folders(spill) == []
    status, _, err = finish(embedlib_process(*argv, "-o", out), timeout=300)
    assert status == 0, err
    assert out.read_bytes() == ref.read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ref.txt", "spill", "v.txt"]
    assert list(spill.iterdir()) == []


# ---------------------------------------------------------------------- what a killed run leaves
def test_a_spill_folder_a_killed_count_leaves_is_removed_by_the_next(tmp_path, warm_cache,
                                                                     busy_corpus):
    corpus, limit = busy_corpus
    spill = tmp_path / "spill"
    spill.mkdir()
    argv = ["train", "svd", corpus, "-q", "--workers", "1", "--window", "15",
            "--vector-size", "4", "--memory-limit", limit, "--tmp-dir", spill, "-o",
            tmp_path / "v.txt"]
    proc = embedlib_process(*argv)
    try:
        wait_for_spill(proc, spill)
        proc.kill()                                  # SIGKILL: no clean-up is possible
    finally:
        status, _, _ = finish(proc)
    assert status == -signal.SIGKILL
    left = spill_folders(spill)
    assert len(left) == 1 and f"-{proc.pid}." in left[0].name and any(left[0].iterdir())
    status, _, err = finish(embedlib_process(*argv), timeout=300)
    assert status == 0, err
    assert spill_folders(spill) == [] and (tmp_path / "v.txt").exists()


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_temporary_files_of_dead_processes_are_removed_and_live_ones_kept(tmp_path, capsys):
    """A write of v.txt removes the temporary files of v.txt that dead processes of this
    host left, and a spilled count the spill folders; those of a live process, of another
    host, of another target and without an owner stay."""
    out, spill = tmp_path / "out", tmp_path / "spill"
    out.mkdir()
    spill.mkdir()
    live = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    host, dead = _host(), _dead_pid()
    try:
        names = {
            f".v.txt.{host}-{dead}.a1b2c3d4.tmp": False,        # removed
            f".v.txt.{host}-{live.pid}.e5f6g7h8.tmp": True,     # kept: the writer lives
            f".v.txt.otherhost-{dead}.i9j0k1l2.tmp": True,      # kept: another machine's
            f".w.txt.{host}-{dead}.m3n4o5p6.tmp": True,         # kept: another target's
            ".v.txt.q7r8s9t0.tmp": True,                        # kept: no owner in the name
        }
        for name in names:
            (out / name).write_bytes(b"half a file")
        folders = {f"embedlib-cooccur-{host}-{dead}.u1v2w3": False,
                   f"embedlib-cooccur-{host}-{live.pid}.x4y5z6": True}
        for name in folders:
            (spill / name).mkdir()
            (spill / name / "run-0-0.bin").write_bytes(b"\0" * 64)
        corpus = tmp_path / "c.txt"
        _write(corpus, topic_lines(300))
        status = cli.main(["train", "glove", str(corpus), "-o", str(out / "v.txt"), "-q",
                           "--min-count", "1", "--vector-size", "4", "--epochs", "1",
                           "--workers", "1", "--memory-limit", "100K", "--tmp-dir",
                           str(spill)])
        assert status == 0, capsys.readouterr().err
    finally:
        live.kill()
        live.wait()
    assert sorted(p.name for p in out.iterdir()) == sorted(
        ["v.txt", *(n for n, kept in names.items() if kept)])
    assert sorted(p.name for p in spill.iterdir()) == [n for n, kept in folders.items() if kept]

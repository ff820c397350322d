"""What several test modules share: planted topic corpora, the precision of neighbours on
them, central finite differences, hand-made vectors, a check for files left behind, and
``python -m embedlib`` in a child process (a warm Numba cache, a corpus that keeps it busy).

The helpers are imported as ``from conftest import ...`` (pytest puts this folder on
``sys.path``); ``planted``, ``toy_embeddings`` and ``leftovers`` are fixtures.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from embedlib import Corpus
from embedlib.embeddings import Embeddings

def topic_corpus(n_topics=4, words_per_topic=8, n_sentences=800, length=10, seed=0):
    """Sentences that each draw all their words from one topic: ``(topics, Corpus)``, with
    ``topics[k]`` the words ``t{k}w0``, ``t{k}w1``, ... of topic ``k``."""
    rng = np.random.default_rng(seed)
    topics = [[f"t{k}w{i}" for i in range(words_per_topic)] for k in range(n_topics)]
    sents = [list(rng.choice(topics[rng.integers(n_topics)], size=length))
             for _ in range(n_sentences)]
    return topics, Corpus.from_sentences(sents, min_count=1)


@pytest.fixture(scope="module")
def planted(request):
    """``topic_corpus(**PLANTED)`` with the test module's ``PLANTED`` settings (a dict;
    the defaults if it has none), made once per module."""
    return topic_corpus(**getattr(request.module, "PLANTED", {}))


def topic_precision(wv, topics, topn=5):
    """The share of each word's ``topn`` nearest neighbours that are in its own topic."""
    hits = total = 0
    for words in topics:
        for w in words:
            hits += sum(other in words for other, _ in wv.most_similar(w, topn=topn))
            total += topn
    return hits / total


def central_differences(f, x, eps):
    """The gradient of the scalar ``f`` at the array ``x``: for every entry,
    ``(f(x + eps e_i) - f(x - eps e_i)) / (2 eps)``, ``f`` called on copies of ``x``."""
    x = np.asarray(x)
    grad = np.zeros(x.shape)
    for idx in np.ndindex(x.shape):
        plus, minus = x.copy(), x.copy()
        plus[idx] += eps
        minus[idx] -= eps
        grad[idx] = (f(plus) - f(minus)) / (2 * eps)
    return grad


# ====================================================================== vectors, files, data sets
# Used by test_embeddings, test_evaluation, test_formats and test_datasets.

@pytest.fixture
def toy_embeddings() -> Embeddings:
    """Hand-made 3-D vectors: axis 0 = "is a person", axis 1 = "female", axis 2 = "royal".

    king - man + woman = (1,0,1) - (1,0,0) + (1,1,0) = (1,1,1) = queen; "prince" and
    "princess" are decoys near king/queen, "apple" is unrelated. On unit vectors
    king - man + woman = (√2 - 1, 1/√2, 1/√2): cosine 0.975 with queen, 0.946 with
    princess, 0.707 with prince -> queen. queen - king + man points to woman (0.973;
    princess 0.773). man - woman + king is the first target again -> queen.
    """
    words = ["man", "woman", "king", "queen", "prince", "princess", "apple"]
    vectors = [[1, 0, 0], [1, 1, 0], [1, 0, 1], [1, 1, 1], [1, 0, 0.8], [1, 0.8, 0.8], [0, 0, -1]]
    return Embeddings(words, np.array(vectors, dtype=np.float64))


def _leftovers(directory) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


@pytest.fixture
def leftovers():
    """``leftovers(directory)``: the names of the files in ``directory``, sorted, to check
    that a write or a download left no temporary file behind."""
    return _leftovers


# ====================================================================== real processes
# Used by test_bad_input and test_faults: `python -m embedlib` in a child process.
ROOT = Path(__file__).resolve().parents[1]


def topic_lines(n_sentences=400, seed=0, prefix="t"):
    """Lines of 8 words, each line drawn from one of 4 topics of 6 words
    (``{prefix}{k}w{i}``)."""
    rng = np.random.default_rng(seed)
    topics = [[f"{prefix}{k}w{i}" for i in range(6)] for k in range(4)]
    return [" ".join(rng.choice(topics[rng.integers(4)], size=8)) for _ in range(n_sentences)]


def embedlib_process(*argv) -> subprocess.Popen:
    """``python -m embedlib ARGV``, its stdout and stderr piped (text), with the default
    handling of the signals the tests send: a test run started under ``nohup`` would
    otherwise hand down an ignored SIGHUP, which embedlib keeps ignoring, as it should."""
    return subprocess.Popen([sys.executable, "-m", "embedlib", *map(str, argv)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            cwd=ROOT, preexec_fn=_default_signals)


def _default_signals() -> None:
    for name in ("SIGINT", "SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), signal.SIG_DFL)


def spill_folders(tmp) -> list[Path]:
    return sorted(Path(tmp).glob("embedlib-cooccur-*"))


def wait_for_spill(proc: subprocess.Popen, tmp, timeout: float = 120) -> None:
    """Wait until a spill folder in ``tmp`` holds a run file, while ``proc`` counts."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, "the count ended before a run was spilled"
        for d in spill_folders(tmp):
            try:
                if any(d.iterdir()):
                    return
            except OSError:     # removed meanwhile
                pass
        time.sleep(0.002)
    raise AssertionError(f"no run spilled in {timeout} s")


def finish(proc: subprocess.Popen, timeout: float = 60) -> tuple[int, str, str]:
    """(exit status, stdout, stderr) of ``proc``, killed if it takes over ``timeout`` s."""
    try:
        out, err = proc.communicate(timeout=timeout)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    return proc.returncode, out, err


@pytest.fixture(scope="session")
def warm_cache(tmp_path_factory):
    """Every kernel compiled (or loaded) once in a real process, so that the processes the
    tests start find a warm Numba cache and their time is the run's, not the compiler's."""
    d = tmp_path_factory.mktemp("warm")
    corpus = d / "c.txt"
    corpus.write_text("\n".join(topic_lines(200)) + "\n")
    fast = ["-q", "--min-count", "1", "--vector-size", "4"]
    for argv in (["sgns", "--workers", "1", "--epochs", "1"],
                 ["cbow", "--workers", "2", "--epochs", "1"],
                 ["glove", "--workers", "1", "--epochs", "1", "--memory-limit", "300K",
                  "--tmp-dir", d],
                 ["svd", "--workers", "2"]):
        r = subprocess.run([sys.executable, "-m", "embedlib", "train", argv[0], corpus, "-o",
                            d / "v.txt", *fast, *map(str, argv[1:])], cwd=ROOT,
                           capture_output=True, text=True, timeout=900)
        assert r.returncode == 0, r.stderr


@pytest.fixture(scope="session")
def busy_corpus(tmp_path_factory):
    """(path, memory limit): 500,000 Zipf-distributed tokens in lines of 30, which take
    seconds to train on, and a --memory-limit just above the least that counts them with
    a window of 15, so that counting spills hundreds of small runs."""
    from embedlib.cooccur import counting_memory
    path = tmp_path_factory.mktemp("busy") / "busy.txt"
    rng = np.random.default_rng(7)
    p = 1.0 / np.arange(1, 20001)
    tokens = rng.choice(20000, size=500_000, p=p / p.sum())
    path.write_text("\n".join(" ".join(f"w{t}" for t in tokens[i:i + 30])
                              for i in range(0, len(tokens), 30)) + "\n")
    limit = int(counting_memory(Corpus.from_file(path), 15) * 1.02)
    return str(path), str(limit)

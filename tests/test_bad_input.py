"""Bad input, one table: every way a user can get a command or a call wrong, what it must
answer, and that it leaves nothing behind.

Each row of ``CASES`` is the input (a command line, a Python call, or a command line and a
signal sent while it runs), the exit status or exception type expected, a fragment the
message must contain (and text it must not), and, for Python errors, attributes the
exception must have. Every row checks afterwards that nothing was written: the output
folder holds only the old output, unchanged, the inputs are unchanged, and no temporary
file or spill folder is left anywhere. Command lines run in-process through
:func:`embedlib.cli.main` (and must print one ``embedlib: error:`` line, no traceback);
signals go to a real ``python -m embedlib`` process, bounded in time.

Property-based tests at the end feed the vector-file readers random bytes and random
truncations of valid files: they load the right vectors or raise a ValueError naming the
file, never anything else.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import shlex
import signal
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

import embedlib
from embedlib import (GloVe, PPMISVD, Corpus, CorpusError, Embeddings, Word2Vec,
                      cooccurrence, evaluate_similarity)
from embedlib import cli
from embedlib._errors import ParameterError
from conftest import embedlib_process, finish, topic_lines, wait_for_spill

FAST = "-q --workers 1 --min-count 1 --vector-size 8 --epochs 2"
PY_FAST = dict(workers=1, min_count=1, vector_size=8, epochs=2, verbose=False)


# ====================================================================== the inputs
def _vector_file(path: Path, fmt: str = None, words=("king", "queen", "man", "woman", "apple"),
                 vectors=None) -> Path:
    if vectors is None:
        vectors = np.arange(1, 3 * len(words) + 1, dtype=np.float32).reshape(len(words), 3)
    Embeddings(list(words), np.asarray(vectors, dtype=np.float32)).save(path, format=fmt)
    return path


def _unwritable_dir(tmp: Path) -> str | None:
    """A directory in which no file can be created, or None."""
    if os.geteuid() != 0:
        d = tmp / "readonly"
        d.mkdir()
        d.chmod(0o500)
        return str(d)
    for d in ("/proc", "/sys"):
        try:
            fd, name = tempfile.mkstemp(dir=d)
        except OSError:
            return d
        os.close(fd)
        os.unlink(name)
    return None


def make_inputs(root: Path) -> SimpleNamespace:
    """Every input file a row names, in ``root/in``; ``root/out`` holds the old output
    ``old.txt`` and ``root/tmp`` is the --tmp-dir."""
    i = root / "in"
    i.mkdir()
    (root / "out").mkdir()
    (root / "tmp").mkdir()
    f = {}

    def text(name, content: str | bytes):
        p = i / name
        p.write_bytes(content if isinstance(content, bytes) else content.encode())
        f[name.replace(".", "_")] = str(p)
        return p

    good = text("good.txt", "\n".join(topic_lines()) + "\n")
    text("one.txt", "".join(f"w{i % 7}\n" for i in range(300)))                 # one token a line
    text("rare.txt", "".join(f"common x{i}\n" for i in range(50)))   # the pair's other word is rare
    text("empty.txt", "")
    text("nul.txt", "a b c\nd e\x00f g\n")
    text("nul.txt.gz", gzip.compress(b"a\x00b c\n"))
    text("utf16.txt", "hello world\n".encode("utf-16"))
    text("latin1.txt", "caf\u00e9 au lait\n".encode("latin-1") * 3)
    text("trunc.txt.gz", gzip.compress(good.read_bytes())[:200])
    text("afile", "not a directory\n")
    os.symlink(good, i / "link.txt")
    os.link(good, i / "hard.txt")
    f["link_txt"], f["hard_txt"] = str(i / "link.txt"), str(i / "hard.txt")
    # vector files
    for name, fmt in (("vec.txt", None), ("vec.bin", None), ("vec.w2v", "text")):
        f[name.replace(".", "_")] = str(_vector_file(i / name, fmt))
    text("vec.txt.bz2", b"BZh91AY&SY")
    text("bad.txt", b"2 3\na 1 2 3\nb 1 x 3\n")
    text("short.txt", b"3 2\na 1 2\nb 1 2\n")
    text("noheader.txt", b"a b c\n")
    text("nan.txt", b"2 2\na nan nan\nb 1 2\n")
    text("inf.bin", b"2 2\na " + np.float32([1, np.inf]).tobytes() + b"\nb "
         + np.float32([1, 2]).tobytes() + b"\n")
    text("cut.bin", b"2 2\na " + np.float32([1, 2]).tobytes() + b"\nb \x00\x00")
    text("junk.npz", b"not a zip file")
    text("badword.bin", b"1 2\ncaf\xe9 " + np.float32([1, 2]).tobytes() + b"\n")
    text("dup.txt", b"2 2\na 1 2\na 3 4\n")
    nan_npz = i / "nan.npz"
    np.savez(nan_npz, words=np.array(["a", "b"]), W=np.array([[1.0, np.nan], [1, 2]]))
    f["nan_npz"] = str(nan_npz)
    # evaluation files
    text("pairs.tsv", "king\tqueen\t8\nman\twoman\t7\nking\tapple\t1\n")
    text("badpairs.tsv", "king\tqueen\n")
    text("nanscore.tsv", "king\tqueen\tmany\n")
    text("analogies.txt", ": s\nman woman king queen\n")
    text("badanalogies.txt", ": s\nman woman king\n")
    (root / "out" / "old.txt").write_bytes(b"the old output\n")
    f.update(dir=str(i), out=str(root / "out"), old=str(root / "out" / "old.txt"),
             tmp=str(root / "tmp"), unwritable=_unwritable_dir(root))
    return SimpleNamespace(**f)


def toy() -> Embeddings:
    """Five words in 3 dimensions."""
    words = ["king", "queen", "man", "woman", "apple"]
    return Embeddings(words, np.arange(1, 16, dtype=np.float32).reshape(5, 3))


# ====================================================================== the table
@dataclass(frozen=True)
class Signal:
    """A command line run as ``python -m embedlib``, stopped by ``signum`` once ``when``
    is true: "corpus" (the corpus is read: training runs) or "spill" (a spilled run is in
    --tmp-dir: the count runs)."""

    argv: str
    signum: int
    when: str


@dataclass(frozen=True)
class Case:
    """One bad input. ``call``: a command line (str, formatted with the inputs), a Python
    call ``f(inputs)``, or a :class:`Signal`. ``expect``: the exit status or exception
    type. ``fragment``: text the message must hold; ``absent``: text it must not;
    ``attrs``: attributes of the exception (str values formatted with the inputs)."""

    id: str
    call: str | Callable | Signal
    expect: int | type
    fragment: str
    absent: tuple = ()
    attrs: dict = field(default_factory=dict)
    needs: str | None = None     # an input that may be missing on this machine


CASES = [
    # ------------------------------------------------------------- train: the corpus
    Case("missing corpus", "train sgns {dir}/nope.txt -o {old}", 1, "corpus file not found"),
    Case("corpus is a directory", "train sgns {dir} -o {old}", 1, "is a directory"),
    Case("empty corpus", "train sgns {empty_txt} -o {old}", 1, "is empty: no tokens"),
    Case("every word under --min-count", "train sgns {good_txt} -o {old} --min-count 1000", 1,
         "every word occurs fewer than 1000 times (--min-count 1000;"),
    Case("one token a line: sgns", "train sgns {one_txt} -o {old} " + FAST, 1,
         "no sentence has two in-vocabulary words", absent=("min_count",)),
    Case("one token a line: cbow", "train cbow {one_txt} -o {old} " + FAST, 1,
         "one word per line?"),
    Case("one token a line: glove", "train glove {one_txt} -o {old} " + FAST, 1,
         "no sentence has two in-vocabulary words", absent=("X has", "positive entry")),
    Case("one token a line: svd", "train svd {one_txt} -o {old} --min-count 1", 1,
         "no sentence has two in-vocabulary words", absent=("X has", "positive entry")),
    Case("the other word of every pair is rare", "train sgns {rare_txt} -o {old} -q", 1,
         "Or lower --min-count: 50 tokens were dropped"),
    Case("NUL byte in the corpus", "train sgns {nul_txt} -o {old} " + FAST, 1,
         "nul.txt, line 2: NUL byte at column 4", absent=("use format", "row")),
    Case("NUL byte in a gzip corpus", "train cbow {nul_txt_gz} -o {old} " + FAST, 1,
         "nul.txt.gz, line 1: NUL byte at column 2"),
    Case("UTF-16 corpus", "train sgns {utf16_txt} -o {old} " + FAST, 1,
         "line 1: NUL byte", absent=("Traceback",)),
    Case("bytes that are not UTF-8", "train sgns {latin1_txt} -o {old} " + FAST, 1,
         "line 1: bytes that are not UTF-8 at column 4 (b'\\xe9 au'); fix the file or pass "
         "--encoding-errors replace", absent=("encoding_errors",)),
    Case("truncated gzip corpus", "train sgns {trunc_txt_gz} -o {old} " + FAST, 1,
         "trunc.txt.gz: cannot read"),
    # ------------------------------------------------------------- train: the output
    Case("-o is the corpus", "train sgns {good_txt} -o {good_txt} " + FAST, 1,
         "is the corpus"),
    Case("-o is the corpus, spelled otherwise", "train sgns {good_txt} -o {dir}/./good.txt "
         + FAST, 1, "(the same file)"),
    Case("-o is a link to the corpus", "train cbow {good_txt} -o {link_txt} " + FAST, 1,
         "is the corpus"),
    Case("-o is a hard link to the corpus", "train glove {hard_txt} -o {good_txt} " + FAST, 1,
         "is the corpus"),
    Case("-o in a folder that does not exist", "train sgns {good_txt} -o {out}/no/v.txt", 1,
         "directory {out}/no does not exist"),
    Case("-o is a directory", "train sgns {good_txt} -o {out}", 1, "it is a directory"),
    Case("-o where no file can be created", "train sgns {good_txt} -o {unwritable}/v.txt "
         + FAST, 1, "cannot write {unwritable}/v.txt: cannot create a file in",
         absent=(".tmp", "corpus "), needs="unwritable"),
    Case("--binary and a .npz name", "train sgns {good_txt} -o {out}/v.npz --binary", 2,
         "--binary conflicts with the output name"),
    # ------------------------------------------------------------- train: --tmp-dir
    Case("--tmp-dir does not exist", "train glove {good_txt} -o {old} --tmp-dir {dir}/none",
         1, "--tmp-dir {dir}/none does not exist", absent=("tmp_dir",)),
    Case("--tmp-dir is a file", "train svd {good_txt} -o {old} --tmp-dir {afile}", 1,
         "--tmp-dir {afile} is a file, not a directory"),
    Case("--tmp-dir is not writable", "train glove {good_txt} -o {old} --tmp-dir {unwritable}"
         " --memory-limit 1M " + FAST, 1, "--tmp-dir", needs="unwritable"),
    Case("--memory-limit too small", "train glove {good_txt} -o {old} --memory-limit 1K "
         "--tmp-dir {tmp} " + FAST, 1,
         "--memory-limit of 1,024 bytes is too small to hold one chunk", absent=("memory_limit",)),
    Case("--memory-limit not a size", "train svd {good_txt} -o {old} --memory-limit lots", 1,
         "--memory-limit must be a positive number of bytes or a string like '512M'"),
    # ------------------------------------------------------------- train: parameter values
    Case("--vector-size 0", "train sgns {good_txt} -o {old} --vector-size 0", 1,
         "--vector-size must be in [1, 100000], got 0"),
    Case("--alpha -1", "train sgns {good_txt} -o {old} --alpha -1", 1,
         "--alpha must be in (0, 10], got -1.0"),
    Case("--min-alpha above --alpha", "train cbow {good_txt} -o {old} --alpha 0.01 "
         "--min-alpha 0.1", 1, "--min-alpha (0.1) must not exceed --alpha (0.01)"),
    Case("--sample nan", "train sgns {good_txt} -o {old} --sample nan", 1,
         "--sample must be in [0, 1], got nan"),
    Case("--window 0", "train sgns {good_txt} -o {old} --window 0", 1, "--window must be"),
    Case("--negative 0", "train cbow {good_txt} -o {old} --negative 0", 1,
         "--negative 0 leaves no output layer to train: turn on --hs or --softmax"),
    Case("--workers 0", "train sgns {good_txt} -o {old} --workers 0", 1,
         "--workers must be in [1, 1024], got 0"),
    Case("--epochs 0", "train glove {good_txt} -o {old} --epochs 0", 1, "--epochs must be"),
    Case("--seed -1", "train svd {good_txt} -o {old} --seed -1", 1, "--seed must be"),
    Case("--max-vocab-size 0", "train sgns {good_txt} -o {old} --max-vocab-size 0", 1,
         "--max-vocab-size must be >= 1"),
    Case("--x-max 0", "train glove {good_txt} -o {old} --x-max 0", 1, "--x-max must be > 0"),
    Case("--eta 0", "train glove {good_txt} -o {old} --eta 0", 1, "--eta must be > 0"),
    Case("--eig 2", "train svd {good_txt} -o {old} --eig 2", 1, "--eig must be in [0, 1]"),
    Case("--k 0", "train svd {good_txt} -o {old} --k 0", 1, "--k must be > 0"),
    Case("svd --vector-size not below the vocabulary", "train svd {good_txt} -o {old} "
         "--min-count 1 --vector-size 24", 1,
         "--vector-size must be smaller than the number of words (24"),
    Case("svd shift that leaves nothing", "train svd {good_txt} -o {old} --min-count 1 "
         "--vector-size 4 --k 1e9", 1, "the shifted PPMI matrix is all zeros", absent=(" k)",)),
    Case("GloVe diverges", "train glove {good_txt} -o {old} --eta 1000 --clip 1e30 " + FAST,
         1, "Try a smaller learning rate than --eta 1000 (e.g. --eta 100)"),
    Case("--vector-size x", "train sgns {good_txt} -o {old} --vector-size x", 2,
         "--vector-size: invalid int value"),
    Case("no such model", "train fasttext {good_txt} -o {old}", 2, "invalid choice"),
    Case("no -o", "train sgns {good_txt}", 2, "-o/--output"),
    Case("--subsample-formula other", "train sgns {good_txt} -o {old} --subsample-formula x",
         2, "invalid choice: 'x' (choose from 'c', 'paper')"),
    Case("--weighting other", "train glove {good_txt} -o {old} --weighting x", 2,
         "choose from 'harmonic', 'uniform', 'linear'"),
    Case("--vectors other", "train svd {good_txt} -o {old} --vectors X", 2,
         "choose from 'W', 'C', 'sum', 'concat'"),
    Case("--encoding-errors other", "train sgns {good_txt} -o {old} --encoding-errors ignore",
         2, "choose from 'strict', 'replace'"),
    # ------------------------------------------------------------- eval and neighbors
    Case("neighbors: a directory", "neighbors {dir}/ king", 1,
         "vector file path is a directory, not a file: {dir}/", absent=("extension",)),
    Case("neighbors: no such file", "neighbors {dir}/none.txt king", 1,
         "vector file not found: {dir}/none.txt"),
    Case("neighbors: unknown extension", "neighbors {vec_w2v} king", 1,
         "or pass --format text, binary, npz or glove", absent=("format=",)),
    Case("neighbors: .bz2", "neighbors {vec_txt_bz2} king", 1, ".bz2 files are not supported"),
    Case("neighbors: not a number", "neighbors {bad_txt} a", 1,
         "bad.txt, line 3: value 2 of word 'b' is not a number"),
    Case("neighbors: fewer vectors than the header says", "neighbors {short_txt} a", 1,
         "short.txt, line 4: file ends after 2 of the 3 vectors"),
    Case("neighbors: no header", "neighbors {noheader_txt} a", 1, "line 1: malformed header"),
    Case("neighbors: NaN in a text file", "neighbors {nan_txt} b", 1,
         "nan.txt, line 2 (word 'a'): value 1 is nan", absent=("-inf", "RuntimeWarning")),
    Case("neighbors: inf in a binary file", "neighbors {inf_bin} b", 1,
         "inf.bin, record 1 (word 'a')"),
    Case("eval: NaN in an npz file", "eval {nan_npz} --pairs {pairs_tsv}", 1,
         "nan.npz, array 'W', row 0 (word 'a')"),
    Case("neighbors: a cut binary file", "neighbors {cut_bin} a", 1,
         "record 2 at byte offset 15: file ends inside the vector of 'b'"),
    Case("neighbors: not an npz file", "neighbors {junk_npz} a", 1, "junk.npz: "),
    Case("neighbors: a word that is not UTF-8", "neighbors {badword_bin} a", 1,
         "is not valid UTF-8 (byte 4); fix the file or pass --encoding-errors replace"),
    Case("neighbors: a word twice", "neighbors {dup_txt} a", 1, "duplicate word 'a'"),
    Case("neighbors: a word in another case", "neighbors {vec_txt} King", 1,
         "word 'King' not in vocabulary; words are case-sensitive, and 'king' is in the "
         "vocabulary"),
    Case("neighbors: an unknown word", "neighbors {vec_txt} prince", 1,
         "word 'prince' not in vocabulary"),
    Case("neighbors: --topn 0", "neighbors {vec_txt} king --topn 0", 2, "must be >= 1"),
    Case("eval: nothing to evaluate", "eval {vec_txt}", 2, "nothing to evaluate"),
    Case("eval: no such pairs file", "eval {vec_txt} --pairs {dir}/none.tsv", 1,
         "evaluation file not found: {dir}/none.tsv"),
    Case("eval: a pair without a score", "eval {vec_txt} --pairs {badpairs_tsv}", 1,
         "badpairs.tsv, line 1: expected 'word1<TAB>word2<TAB>score'"),
    Case("eval: a score that is not a number", "eval {vec_txt} --pairs {nanscore_tsv}", 1,
         "score 'many' is not a number"),
    Case("eval: an analogy of three words", "eval {vec_txt} --analogies {badanalogies_txt}",
         1, "badanalogies.txt, line 2"),
    Case("eval: --restrict-vocab 0", "eval {vec_txt} --pairs {pairs_tsv} --restrict-vocab 0",
         2, "must be >= 1"),
    Case("eval: a binary file read as text", "eval {vec_bin} --format text --pairs "
         "{pairs_tsv}", 1, "vec.bin, line"),
    # ------------------------------------------------------------- Python
    Case("Word2Vec.fit: one token a line", lambda f: Word2Vec(**PY_FAST).fit(f.one_txt),
         CorpusError, "no sentence has two in-vocabulary words", attrs={"path": "{one_txt}"}),
    Case("GloVe.fit: one token a line", lambda f: GloVe(**PY_FAST).fit(f.one_txt),
         CorpusError, "no word has a context", absent=("X has",)),
    Case("PPMISVD.fit: one token a line", lambda f: PPMISVD(min_count=1).fit(f.one_txt),
         CorpusError, "one word per line?"),
    Case("Word2Vec.fit: sentences of one word",
         lambda f: Word2Vec(**PY_FAST).fit([["a"], ["b"], ["a"]]), CorpusError,
         "the corpus: no sentence has two", attrs={"path": None}),
    Case("Word2Vec.fit: the pair's other word is rare",
         lambda f: Word2Vec(verbose=False).fit(f.rare_txt), CorpusError,
         "Or lower min_count: 50 tokens"),
    Case("Corpus.from_file: NUL byte", lambda f: Corpus.from_file(f.nul_txt, min_count=1),
         CorpusError, "nul.txt, line 2: NUL byte at column 4",
         attrs={"line": 2, "path": "{nul_txt}"}),
    Case("Corpus.from_file: NUL byte in gzip", lambda f: Corpus.from_file(f.nul_txt_gz),
         CorpusError, "line 1: NUL byte", attrs={"line": 1}),
    Case("Corpus.from_file: not UTF-8", lambda f: Corpus.from_file(f.latin1_txt), CorpusError,
         "fix the file or pass encoding_errors='replace'", attrs={"line": 1}),
    Case("Corpus.from_file: every word rare", lambda f: Corpus.from_file(f.good_txt,
         min_count=1000), CorpusError, "(min_count=1000;"),
    Case("Word2Vec(vector_size=0)", lambda f: Word2Vec(vector_size=0), ParameterError,
         "vector_size must be in [1, 100000], got 0", attrs={"param": "vector_size"}),
    Case("Word2Vec(vector_size=1.5)", lambda f: Word2Vec(vector_size=1.5), TypeError,
         "vector_size must be an integer", attrs={"param": "vector_size"}),
    Case("Word2Vec(min_alpha > alpha)", lambda f: Word2Vec(alpha=0.01, min_alpha=0.1),
         ParameterError, "min_alpha (0.1) must not exceed alpha (0.01)",
         attrs={"param": "min_alpha"}),
    Case("GloVe(tmp_dir=missing)", lambda f: GloVe(tmp_dir=f.dir + "/none"),
         FileNotFoundError, "tmp_dir {dir}/none does not exist"),
    Case("PPMISVD(tmp_dir=a file)", lambda f: PPMISVD(tmp_dir=f.afile), NotADirectoryError,
         "is a file, not a directory"),
    Case("cooccurrence(memory_limit too small)", lambda f: cooccurrence(
        Corpus.from_file(f.good_txt, min_count=1), memory_limit=100, tmp_dir=f.tmp),
        ParameterError, "raise memory_limit", attrs={"param": "memory_limit"}),
    Case("PPMISVD(vector_size >= words)", lambda f: PPMISVD(vector_size=30, min_count=1)
         .fit(f.good_txt), ParameterError, "vector_size must be smaller than the number of "
         "words (24", attrs={"param": "vector_size"}),
    Case("Embeddings.load: NaN", lambda f: Embeddings.load(f.nan_txt), ValueError,
         "line 2 (word 'a'): value 1 is nan"),
    Case("Embeddings.load: a directory", lambda f: Embeddings.load(f.dir), IsADirectoryError,
         "is a directory"),
    Case("Embeddings.load: unknown extension", lambda f: Embeddings.load(f.vec_w2v),
         ValueError, "or pass format='text', 'binary', 'npz' or 'glove'"),
    Case("save where no file can be created", lambda f: toy().save(f.unwritable + "/v.txt"),
         OSError, "cannot write {unwritable}/v.txt", absent=(".tmp",), needs="unwritable"),
    Case("most_similar: a word in another case", lambda f: toy().most_similar("King"),
         KeyError, "'king' is in the vocabulary"),
    Case("evaluate_similarity: a pair without a score",
         lambda f: evaluate_similarity(toy(), [("king", "queen")]), ValueError,
         "expected a (word1, word2, score) triple", absent=("unpack",)),
    Case("most_similar: a zero vector", lambda f: toy().most_similar(np.zeros(3)),
         ValueError, "a query vector is zero"),
    Case("most_similar: the same word positive and negative",
         lambda f: toy().most_similar(positive=["king"], negative=["king"]), ValueError,
         "'king' is both positive and negative"),
    Case("datasets.evaluation_file: an unknown set",
         lambda f: embedlib.datasets.evaluation_file("no-such-set"), ValueError,
         "unknown evaluation set 'no-such-set'; choose one of wordsim353"),
    # ------------------------------------------------------------- signals
    Case("SIGINT while training", Signal("train sgns {big} -o {old} -q --workers 2 "
         "--epochs 50 --vector-size 32", signal.SIGINT, "corpus"), 130, "embedlib: interrupted"),
    Case("SIGTERM while training", Signal("train cbow {big} -o {old} -q --workers 1 "
         "--epochs 50 --vector-size 32", signal.SIGTERM, "corpus"), 143, "embedlib: terminated"),
    Case("SIGHUP while training", Signal("train sgns {big} -o {out}/v.npz -q --epochs 50",
         signal.SIGHUP, "corpus"), 129, "embedlib: hung up"),
    Case("SIGINT while counting", Signal("train glove {big} -o {old} -q --tmp-dir {tmp} "
         "--memory-limit {spill_limit} --workers 1 --window 15", signal.SIGINT, "spill"), 130,
         "embedlib: interrupted"),
    Case("SIGTERM while counting", Signal("train svd {big} -o {old} -q --tmp-dir {tmp} "
         "--memory-limit {spill_limit} --workers 1 --window 15", signal.SIGTERM, "spill"), 143,
         "embedlib: terminated"),
]


# ====================================================================== running a row
def _snapshot(directory: Path) -> dict:
    """name -> SHA-256 of every file below ``directory`` (links as links)."""
    out = {}
    for p in sorted(directory.rglob("*")):
        if p.is_symlink():
            out[str(p)] = "link to " + os.readlink(p)
        elif p.is_file():
            out[str(p)] = hashlib.sha256(p.read_bytes()).hexdigest()
        else:
            out[str(p)] = "dir"
    return out


def _argv(template: str, f: SimpleNamespace) -> list[str]:
    return shlex.split(template.format_map(vars(f)))


def _run_cli(capsys, argv: list[str]) -> tuple[int, str]:
    status = cli.main(argv)
    out, err = capsys.readouterr()
    assert out == "" or argv[0] == "neighbors", out
    return status, err


def _check_stderr(err: str, status: int) -> None:
    assert "Traceback" not in err, err
    lines = err.splitlines()
    if status == 1:
        assert lines and lines[-1].startswith("embedlib: error: "), err
        assert sum(line.startswith("embedlib:") for line in lines) == 1, err
        assert all(line.startswith(("embedlib: error: ", "corpus ", "epoch ")) for line in lines)


def _message_of(case: Case, f: SimpleNamespace, capsys) -> str:
    if isinstance(case.call, str):
        status, err = _run_cli(capsys, _argv(case.call, f))
        assert status == case.expect, err
        _check_stderr(err, status)
        return err
    if isinstance(case.call, Signal):
        return _run_signalled(case, f)
    with pytest.raises(case.expect) as info:
        case.call(f)
    for name, want in case.attrs.items():
        want = want.format_map(vars(f)) if isinstance(want, str) else want
        assert getattr(info.value, name) == want, name
    return str(info.value.args[0]) if isinstance(info.value, KeyError) else str(info.value)


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id) for c in CASES])
def test_bad_input(case, tmp_path, capsys, busy_corpus, warm_cache):
    f = make_inputs(tmp_path)
    f.big, f.spill_limit = busy_corpus
    if case.needs and getattr(f, case.needs) is None:
        pytest.skip(f"no {case.needs} input on this machine")
    inputs, tmp_files = _snapshot(Path(f.dir)), set(os.listdir(tempfile.gettempdir()))
    text = _message_of(case, f, capsys)
    assert case.fragment.format_map(vars(f)) in text, text
    for absent in case.absent:      # in what the message says besides the paths
        assert absent not in text.replace(str(tmp_path), "TMP"), text
    # nothing written, nothing left behind, nothing changed
    assert _snapshot(Path(f.out)) == {f.old: hashlib.sha256(b"the old output\n").hexdigest()}
    assert _snapshot(Path(f.dir)) == inputs
    assert os.listdir(f.tmp) == []
    assert not list(tmp_path.rglob("*.tmp"))
    new = set(os.listdir(tempfile.gettempdir())) - tmp_files
    assert not {n for n in new if n.startswith("embedlib-cooccur-")}


def test_the_table_is_large_and_covers_every_kind_of_input():
    kinds = {"cli": str, "python": Callable, "signal": Signal}
    counts = {k: sum(isinstance(c.call, t) for c in CASES) for k, t in kinds.items()}
    assert len(CASES) >= 60 and counts["cli"] >= 40 and counts["python"] >= 15, counts
    assert {c.call.signum for c in CASES if isinstance(c.call, Signal)} >= {
        signal.SIGINT, signal.SIGTERM}
    assert len({c.id for c in CASES}) == len(CASES)


# ====================================================================== real processes
def _run_signalled(case: Case, f: SimpleNamespace) -> str:
    """Run the command, signal it once its ``when`` comes, return its stderr."""
    sig = case.call
    proc = embedlib_process(*_argv(sig.argv, f))
    before = []
    try:
        if sig.when == "spill":
            wait_for_spill(proc, f.tmp)
        else:                              # the corpus line: the training is starting
            deadline = time.monotonic() + 120
            while not (before and before[-1].startswith("corpus ")):
                assert time.monotonic() < deadline and proc.poll() is None, before
                before.append(proc.stderr.readline())
            time.sleep(0.3)                # into the epochs
        proc.send_signal(sig.signum)
    finally:
        status, _, err = finish(proc, timeout=30)
    assert status == case.expect, err
    # one line, last, besides the report of the corpus (and of epochs) read before it
    lines = [line for line in before + err.splitlines(keepends=True)
             if not line.startswith(("corpus ", "epoch "))]
    assert lines == [case.fragment + "\n"], err
    return err


# ====================================================================== vector files at random
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_WORDS = ["king", "queen", "man", "woman", "caf\u00e9", "x"]
_VECTORS = np.random.default_rng(3).standard_normal((6, 4)).astype(np.float32) * 100
_SUFFIX = {"text": ".txt", "binary": ".bin", "npz": ".npz", "gzip": ".txt.gz"}


def _valid(kind: str) -> bytes:
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / ("v" + _SUFFIX[kind])
        Embeddings(_WORDS, _VECTORS).save(path)
        return path.read_bytes()


VALID = {kind: _valid(kind) for kind in _SUFFIX}
_WHERE = {"text": ("line ",), "gzip": ("line ", "gzip"), "binary": ("record ", "byte offset",
          "header", "file is empty"), "npz": ("npz", "array")}


def _load(data: bytes, kind: str):
    """What ``Embeddings.load`` makes of ``data`` in a file of ``kind``: the embeddings, or
    the ValueError it raised, checked to name the file and the place in it."""
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / ("v" + _SUFFIX[kind])
        path.write_bytes(data)
        try:
            emb = Embeddings.load(path)
        except ValueError as e:            # the documented error, and nothing else
            message = str(e)
            assert message.startswith(str(path)), message
            assert any(w in message for w in _WHERE[kind]), message
            return e
    assert np.isfinite(emb.vectors).all()
    assert len(set(emb.words)) == len(emb.words) == len(emb.vectors)
    return emb


def _equal(emb, rows: int = len(_WORDS)) -> bool:
    """Whether ``emb`` holds the words of the valid file, and their vectors in the first
    ``rows`` rows."""
    return (isinstance(emb, Embeddings) and list(emb.words) == _WORDS
            and np.array_equal(emb.vectors[:rows], _VECTORS[:rows]))


PROPERTY = settings(max_examples=150, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(kind=st.sampled_from(sorted(_SUFFIX)), data=st.data())
def test_a_truncated_vector_file_loads_what_it_holds_or_says_where_it_ends(kind, data):
    full = VALID[kind]
    cut = data.draw(st.integers(0, len(full) - 1), label="cut")
    got = _load(full[:cut], kind)
    if full[cut:].strip() == b"" and kind in ("text", "binary"):   # only the last newline
        assert _equal(got)
    elif kind == "text" and isinstance(got, Embeddings):
        # cut inside the last number of the last line: the rest of the file is intact, and
        # what is left of that number is a number; nothing can tell it was longer
        assert b"\n" not in full[cut:].rstrip(b"\n") and _equal(got, len(_WORDS) - 1)
    else:
        assert isinstance(got, ValueError), (kind, cut)


@PROPERTY
@given(kind=st.sampled_from(sorted(_SUFFIX)), data=st.data())
def test_a_vector_file_with_a_byte_changed_loads_or_says_where(kind, data):
    full = bytearray(VALID[kind])
    at = data.draw(st.integers(0, len(full) - 1), label="at")
    full[at] = data.draw(st.integers(0, 255), label="byte")
    _load(bytes(full), kind)


@PROPERTY
@given(kind=st.sampled_from(sorted(_SUFFIX)), raw=st.binary(max_size=300))
def test_random_bytes_load_or_raise_the_documented_error(kind, raw):
    _load(raw, kind)


@PROPERTY
@given(raw=st.lists(st.sampled_from([b"2", b"3", b" ", b"\n", b"a", b"b", b"1.5", b"-",
                                     b"nan", b"inf", b"1e99", b"\t", b"\r", b"\xff", b"\x00"]),
                    max_size=40))
def test_text_made_of_vector_file_tokens_loads_or_raises(raw):
    _load(b"".join(raw), "text")

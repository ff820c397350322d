"""The ``embedlib`` command line: train, eval, neighbors, and how it reports errors.

Most tests call :func:`embedlib.cli.main` in-process; one runs ``python -m embedlib`` in a
subprocess to check the wiring and the exit statuses of the real command.
"""

from __future__ import annotations

import argparse
import functools
import gc
import json
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from embedlib import Corpus, Embeddings, TrainingError, Word2Vec, cli
from embedlib._errors import spell
from embedlib.evaluation import evaluate_analogies, evaluate_similarity

TOPICS = [[f"t{k}w{i}" for i in range(6)] for k in range(4)]
FAST = ["-q", "--workers", "1", "--min-count", "1", "--vector-size", "8", "--epochs", "2"]


def run(capsys, *argv):
    """``main(argv)`` in-process: (exit status, stdout, stderr)."""
    status = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return status, out, err


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """400 sentences of 8 words, each drawn from one of 4 topics, plus a word seen twice."""
    rng = np.random.default_rng(0)
    lines = [" ".join(rng.choice(TOPICS[rng.integers(4)], size=8)) for _ in range(400)]
    lines[10] += " rareword"
    lines[20] += " rareword"
    path = tmp_path_factory.mktemp("corpus") / "corpus.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def out_dir(tmp_path):
    d = tmp_path / "out"
    d.mkdir()
    return d


# ---------------------------------------------------------------------------- train
@pytest.mark.parametrize("model", ["sgns", "cbow"])
@pytest.mark.parametrize("name,binary", [("v.txt", False), ("v.bin", True), ("v.npz", False)])
def test_train_writes_vectors_that_embedlib_and_gensim_read(capsys, corpus, out_dir, model,
                                                            name, binary):
    path = out_dir / name
    status, out, err = run(capsys, "train", model, corpus, "-o", path, *FAST)
    assert status == 0 and out == ""
    assert sorted(p.name for p in out_dir.iterdir()) == [name]  # no temporary file left
    emb = Embeddings.load(path)
    assert emb.vectors.shape == (25, 8)
    assert set(emb.words) == {w for t in TOPICS for w in t} | {"rareword"}
    # the report on stderr: one line per epoch with loss and speed, then the output path
    epochs = [line for line in err.splitlines() if line.startswith("epoch ")]
    assert [line.split(":")[0] for line in epochs] == ["epoch 1/2", "epoch 2/2"]
    assert all("loss " in line and "words/s" in line for line in epochs)
    assert f"wrote {path}" in err.splitlines()[-1]
    if name.endswith(".npz"):
        assert emb.context is not None and emb.context.shape == (25, 8)
        assert emb.counts is not None and emb.counts.sum() == 400 * 8 + 2
    else:
        KeyedVectors = pytest.importorskip("gensim.models").KeyedVectors
        kv = KeyedVectors.load_word2vec_format(str(path), binary=binary)
        assert list(kv.index_to_key) == list(emb.words)
        np.testing.assert_array_equal(kv.vectors, emb.vectors)


def test_options_reach_the_model(capsys, corpus, out_dir):
    base = ["-q", "--workers", "1", "--epochs", "1"]
    path = out_dir / "v.txt"
    assert run(capsys, "train", "sgns", corpus, "-o", path, *base, "--vector-size", "7",
               "--min-count", "1")[0] == 0
    emb = Embeddings.load(path)
    assert emb.vector_size == 7 and "rareword" in emb
    # --min-count 3 drops the word seen twice
    assert run(capsys, "train", "sgns", corpus, "-o", path, *base, "--min-count", "3")[0] == 0
    emb = Embeddings.load(path)
    assert "rareword" not in emb and len(emb) == 24
    assert emb.vector_size == Word2Vec.__init__.__kwdefaults__["vector_size"]
    assert run(capsys, "train", "cbow", corpus, "-o", path, *base, "--max-vocab-size", "5",
               "--vector-size", "4", "--min-count", "1")[0] == 0
    assert len(Embeddings.load(path)) == 5
    # --tied: one matrix, so the npz has no context matrix
    npz = out_dir / "tied.npz"
    assert run(capsys, "train", "sgns", corpus, "-o", npz, *FAST, "--tied")[0] == 0
    assert Embeddings.load(npz).context is None


def test_hierarchical_softmax_option_writes_syn1(capsys, corpus, out_dir):
    out = out_dir / "v.npz"
    assert run(capsys, "train", "sgns", corpus, "-o", out, "--hs", "--negative", "0", "-q",
               "--min-count", "1", "--epochs", "1", "--workers", "1")[0] == 0
    with np.load(out) as data:
        assert "syn1" in data.files and "C" not in data.files
        assert data["syn1"].shape == (len(data["words"]) - 1, data["W"].shape[1])
    status, _, err = run(capsys, "train", "cbow", corpus, "-o", out, "--negative", "0", "-q")
    assert status != 0 and "embedlib: error: --negative 0" in err and "--hs" in err



@pytest.mark.parametrize("model,sg,tied", [("sgns", 1, False), ("cbow", 0, True)])
def test_bias_option_writes_the_biases(capsys, corpus, out_dir, model, sg, tied):
    out = out_dir / "v.npz"
    extra = ["--tied"] if tied else []
    assert run(capsys, "train", model, corpus, "-o", out, "--bias", *extra, *FAST)[0] == 0
    ref = Word2Vec(sg=sg, bias=True, tied=tied, workers=1, min_count=1, vector_size=8,
                   epochs=2, verbose=False).fit(Corpus.from_file(corpus, min_count=1))
    emb = Embeddings.load(out)
    np.testing.assert_array_equal(emb.bias, ref.b_)      # one worker: bit for bit
    if tied:
        assert emb.context_bias is None and emb.context is None
    else:
        np.testing.assert_array_equal(emb.context_bias, ref.b_ctx_)
    status, _, err = run(capsys, "train", model, corpus, "-o", out, "--bias", "--hs", *FAST)
    assert status == 1 and err.startswith("embedlib: error: --bias is not defined for "
                                          "hierarchical softmax")
    assert "bias=" not in err and "softmax=" not in err   # options, not Python parameters


def test_options_are_passed_to_word2vec(capsys, corpus, out_dir, monkeypatch):
    """Every option lands in the Word2Vec parameter of the same name."""
    seen = {}
    original = Word2Vec.__init__
    defaults = dict(original.__kwdefaults__)

    @functools.wraps(original)  # keeps the signature the parser reads its defaults from
    def spy(self, **kwargs):
        seen.update(kwargs)
        original(self, **kwargs)

    monkeypatch.setattr(Word2Vec, "__init__", spy)
    argv = ["--vector-size", "6", "--window", "3", "--negative", "4", "--ns-exponent", "0.5",
            "--sample", "0", "--subsample-formula", "paper", "--min-count", "1",
            "--max-vocab-size", "20", "--epochs", "1", "--alpha", "0.03", "--min-alpha",
            "0.001", "--workers", "1", "--seed", "9", "--tied", "--softmax", "--cbow-exact",
            "--bias", "-q"]
    assert run(capsys, "train", "cbow", corpus, "-o", out_dir / "v.txt", *argv)[0] == 0
    assert seen == dict(sg=0, vector_size=6, window=3, negative=4, ns_exponent=0.5, sample=0.0,
                        subsample_formula="paper", min_count=1, max_vocab_size=20, epochs=1,
                        alpha=0.03, min_alpha=0.001, workers=1, seed=9, tied=True,
                        softmax=True, hs=False, bias=True, cbow_exact=True, verbose=False)
    seen.clear()
    assert run(capsys, "train", "sgns", corpus, "-o", out_dir / "v.txt", "-q",
               "--min-count", "1", "--epochs", "1", "--workers", "1")[0] == 0
    for name in ("compute_loss", "batch_words", "callbacks", "verbose", "cbow_exact"):
        defaults.pop(name)
    assert seen == {**defaults, "sg": 1, "min_count": 1, "epochs": 1, "workers": 1,
                    "verbose": False}


def test_seed_with_one_worker_reproduces_the_file(capsys, corpus, out_dir):
    files = []
    for name, seed in (("a.txt", 5), ("b.txt", 5), ("c.txt", 6)):
        path = out_dir / name
        assert run(capsys, "train", "sgns", corpus, "-o", path, *FAST, "--seed", seed)[0] == 0
        files.append(path.read_bytes())
    assert files[0] == files[1]
    assert files[0] != files[2]


def test_progress_bar_on_stderr_unless_quiet(capsys, corpus, out_dir):
    argv = ["train", "cbow", corpus, "-o", out_dir / "v.txt", "--workers", "1", "--min-count",
            "1", "--epochs", "1", "--vector-size", "4"]
    status, out, err = run(capsys, *argv)
    assert status == 0 and out == "" and "word2vec: 100%" in err
    status, out, err = run(capsys, *argv, "--quiet")
    assert status == 0 and out == "" and "%|" not in err


def test_output_format_from_extension_and_binary_flag(capsys, corpus, out_dir):
    # no known extension: text, or binary with --binary; .bin is binary without the flag
    for name, flag, fmt in (("plain", [], "text"), ("flagged", ["--binary"], "binary"),
                            ("v.bin", [], "binary")):
        assert run(capsys, "train", "sgns", corpus, "-o", out_dir / name, *FAST, *flag)[0] == 0
        assert len(Embeddings.load(out_dir / name, format=fmt)) == 25
    status, _, err = run(capsys, "train", "sgns", corpus, "-o", out_dir / "v.npz", *FAST,
                         "--binary")
    assert status == 2 and "--binary conflicts" in err
    assert not (out_dir / "v.npz").exists()


def _subparser(parser, *path):
    for name in path:
        action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        parser = action.choices[name]
    return parser


@pytest.mark.parametrize("model,sg", [("sgns", 1), ("cbow", 0)])
def test_help_shows_the_python_defaults(capsys, model, sg):
    defaults = Word2Vec.__init__.__kwdefaults__
    parser = _subparser(cli.build_parser(), "train", model)
    options = {a.dest.removeprefix("param_"): a for a in parser._actions if a.option_strings}
    params = set(defaults) - {"sg", "compute_loss", "batch_words", "verbose", "callbacks"}
    if sg:
        params.remove("cbow_exact")  # CBOW only
    assert params <= set(options)
    for name in params:
        assert options[name].default == defaults[name], name
        assert "--" + name.replace("_", "-") in options[name].option_strings
    status, out, _ = run(capsys, "train", model, "--help")
    assert status == 0
    text = " ".join(out.split())  # undo argparse's line wrapping
    for name, metavar in (("vector_size", "D"), ("window", "N"), ("negative", "K"),
                          ("sample", "T"), ("min_alpha", "A"), ("seed", "S")):
        option = "--" + name.replace("_", "-") + " " + metavar
        help_text = text[text.rindex(option):]  # rindex: not the usage line
        help_text = help_text[:help_text.index(")", help_text.index("(default: ")) + 1]
        assert help_text.endswith(f"(default: {defaults[name]})"), help_text
    alpha = Word2Vec(sg=sg, verbose=False).learning_rate
    assert f"(default: {alpha:g})" in text
    assert ("--cbow-exact" in text) == (not sg)


# ---------------------------------------------------------------------------- train errors
def _bad_utf8(d):
    p = d / "latin1.txt"
    p.write_bytes("caf\u00e9 au lait\n".encode("latin-1") * 3)
    return p


@pytest.mark.parametrize("case,make,extra,expect", [
    ("missing corpus", lambda d: d / "nope.txt", [], "corpus file not found"),
    ("corpus is a directory", lambda d: d, [], "is a directory"),
    ("empty corpus", lambda d: (d / "e.txt", (d / "e.txt").write_text(""))[0], [],
     "is empty"),
    ("all under min-count", None, ["--min-count", "1000"],
     "every word occurs fewer than 1000 times (--min-count 1000;"),
    ("vector size 0", None, ["--vector-size", "0"], "--vector-size must be in [1, 100000], got 0"),
    ("negative alpha", None, ["--alpha", "-1"], "--alpha must be in (0, 10], got -1.0"),
    ("min alpha above alpha", None, ["--alpha", "0.01", "--min-alpha", "0.1"],
     "--min-alpha (0.1) must not exceed --alpha (0.01)"),
    ("nan sample", None, ["--sample", "nan"], "--sample must be in [0, 1], got nan"),
    ("bad utf-8", _bad_utf8, [], "line 1: bytes that are not UTF-8"),
    ("output directory missing", None, ["-o", "{out}/missing/v.txt"], "does not exist"),
    ("output is a directory", None, ["-o", "{out}"], "is a directory"),
])
def test_train_user_errors(capsys, corpus, tmp_path, out_dir, case, make, extra, expect):
    path = make(tmp_path) if make else corpus
    extra = [a.replace("{out}", str(out_dir)) for a in extra]
    output = [] if "-o" in extra else ["-o", out_dir / "v.txt"]
    status, out, err = run(capsys, "train", "sgns", path, *output, *FAST, *extra)
    assert status == 1, case
    assert out == ""
    assert err.startswith("embedlib: error: ") and expect in err, err
    assert list(out_dir.iterdir()) == []  # neither the output nor a temporary file


def test_encoding_errors_replace_accepts_bad_bytes(capsys, tmp_path, out_dir):
    status, _, err = run(capsys, "train", "sgns", _bad_utf8(tmp_path), "-o", out_dir / "v.txt",
                         *FAST, "--encoding-errors", "replace")
    assert status == 0 and "3 lines" in err and "warning" in err
    assert "caf\ufffd" in Embeddings.load(out_dir / "v.txt")


@pytest.mark.parametrize("exc,status,message", [
    (KeyboardInterrupt, 130, "embedlib: interrupted"),
    # the library names a parameter with spell(): the command line's option while it runs
    (lambda: TrainingError(f"training diverged in epoch 1; try a smaller {spell('alpha')} "
                           "than 5.0"), 1,
     "embedlib: error: training diverged in epoch 1; try a smaller --alpha than 5.0"),
])
def test_failure_during_training_writes_nothing(capsys, corpus, out_dir, monkeypatch, exc,
                                                status, message):
    def fail(self, corpus):
        raise exc()

    monkeypatch.setattr(Word2Vec, "fit", fail)
    got, _, err = run(capsys, "train", "sgns", corpus, "-o", out_dir / "v.txt", *FAST)
    assert got == status
    assert err.splitlines()[-1] == message
    assert list(out_dir.iterdir()) == []


def test_interrupt_while_writing_leaves_no_partial_file(capsys, corpus, out_dir, monkeypatch):
    def savez(f, **arrays):
        f.write(b"PK partial")
        raise KeyboardInterrupt

    monkeypatch.setattr(np, "savez", savez)
    status, _, err = run(capsys, "train", "sgns", corpus, "-o", out_dir / "v.npz", *FAST)
    assert status == 130 and err.endswith("embedlib: interrupted\n")
    assert list(out_dir.iterdir()) == []


class _DropsWhatItRaises:
    """An object whose finalizer takes a signal: the handler runs inside ``__del__``, and
    Python drops an exception raised there (as with a Dask future released at the moment
    Ctrl-C comes)."""

    def __del__(self):
        signal.raise_signal(signal.SIGINT)
        sum(range(100))  # the handler runs here, and what it raises goes no further


@pytest.fixture
def signals_handled():
    """SIGINT and SIGTERM as Python handles them by default for the test, whatever the test
    run inherited: a run started in the background of a shell inherits an ignored SIGINT,
    which the command keeps ignoring, as it should."""
    previous = {s: signal.signal(s, h) for s, h in ((signal.SIGINT, signal.default_int_handler),
                                                    (signal.SIGTERM, signal.SIG_DFL))}
    yield
    for s, h in previous.items():
        signal.signal(s, h)


def test_a_stop_raised_in_a_finalizer_is_delivered_again(capsys, signals_handled):
    with pytest.raises(cli._Stopped) as stopped:
        with cli._stop_on_signals():
            _DropsWhatItRaises()   # dropped at once
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline:  # the block would run on to its end
                time.sleep(0.01)
    assert stopped.value.signum == signal.SIGINT
    assert time.monotonic() < deadline
    assert "Exception ignored" not in capsys.readouterr().err   # nothing printed for it
    # outside the block, the previous handler and hook are back
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    assert sys.unraisablehook is not None and "stop_on_signals" not in repr(sys.unraisablehook)


def test_signals_after_the_first_are_ignored_until_the_block_ends(signals_handled):
    with pytest.raises(cli._Stopped):
        with cli._stop_on_signals():
            try:
                signal.raise_signal(signal.SIGINT)
                sum(range(100))
            finally:  # the clean-up: later signals must not break it off
                signal.raise_signal(signal.SIGTERM)
                signal.raise_signal(signal.SIGINT)
                cleaned = sum(range(100))
    assert cleaned == 4950


def test_usage_errors_exit_with_status_2(capsys, corpus):
    assert run(capsys)[0] == 2
    assert run(capsys, "train", "sgns", corpus)[0] == 2                  # no -o
    assert run(capsys, "train", "fasttext", corpus, "-o", "x.txt")[0] == 2  # no such model
    status, _, err = run(capsys, "train", "sgns", corpus, "-o", "x.txt", "--vector-size", "x")
    assert status == 2 and "--vector-size" in err
    status, out, _ = run(capsys, "--version")   # printed without building the parsers
    with pytest.raises(SystemExit):
        cli.build_parser().parse_args(["--version"])
    assert status == 0 and out == capsys.readouterr().out and "embedlib" in out


# ---------------------------------------------------------------------------- eval
WORDS = ["man", "woman", "king", "queen", "boy", "girl", "apple", "pear"]
#                   gender royal young fruit  -
VECTORS = np.array([[0, 0, 0, 0, 1],
                    [1, 0, 0, 0, 1],
                    [0, 1, 0, 0, 1],
                    [1, 1, 0, 0, 1],
                    [0, 0, 1, 0, 1],
                    [1, 0, 1, 0, 1],
                    [0, 0, 0, 1, 1],
                    [0, 0, 0, 1, 0.9]], dtype=np.float32)
ANALOGIES = """\
: gender
man woman king queen
man woman boy girl
king queen man woman
man woman prince princess
: wrong
man king woman girl
apple pear boy girl
"""
PAIRS = "# word1\tword2\tscore\nman\twoman\t5\nking\tqueen\t6\napple\tpear\t9\n" \
        "man\tapple\t1\nking\tprince\t7\n"


@pytest.fixture
def eval_files(tmp_path):
    vec = tmp_path / "toy.txt"
    Embeddings(WORDS, VECTORS).save(vec)
    pairs = tmp_path / "pairs.tsv"
    pairs.write_text(PAIRS)
    analogies = tmp_path / "analogies.txt"
    analogies.write_text(ANALOGIES)
    return vec, pairs, analogies


def _row(out, first_cell):
    rows = [line.split() for line in out.splitlines() if line.split()[:1] == [first_cell]]
    assert len(rows) == 1, out
    return rows[0]


@pytest.mark.parametrize("method", ["add", "mul"])
def test_eval_prints_what_evaluate_returns(capsys, eval_files, method):
    vec, pairs, analogies = eval_files
    emb = Embeddings.load(vec)
    sim = evaluate_similarity(emb, pairs)
    ana = evaluate_analogies(emb, analogies, method=method)
    assert (sim.n_found, sim.n_pairs) == (4, 5)
    assert (ana.n_correct, ana.n_attempted, ana.n_total) == (4, 5, 6)
    status, out, err = run(capsys, "eval", vec, "--pairs", pairs, "--analogies", analogies,
                           "--method", method, "--sections")
    assert status == 0 and err == ""
    assert _row(out, str(pairs)) == [str(pairs), f"{sim.spearman:.4f}", "4/5", "20.00%"]
    assert _row(out, str(analogies)) == [str(analogies), f"{100 * ana.accuracy:.2f}%", "4/5",
                                         f"{100 * ana.coverage:.2f}%"]
    assert _row(out, "gender") == ["gender", "100.00%", "3/3", "75.00%"]
    assert _row(out, "wrong") == ["wrong", f"{100 * ana.sections['wrong'].accuracy:.2f}%",
                                  "1/2", "100.00%"]
    assert "3CosMul" in out if method == "mul" else "3CosAdd" in out
    # the tables are aligned: right-aligned columns end at the same offsets on every line
    for table in out.split("\n\n")[1:]:
        assert len({len(line) for line in table.strip("\n").splitlines()}) == 1, table


def test_eval_json_and_restrict_vocab(capsys, eval_files):
    vec, pairs, analogies = eval_files
    emb = Embeddings.load(vec)
    status, out, _ = run(capsys, "eval", vec, "--pairs", pairs, pairs, "--analogies",
                         analogies, "--restrict-vocab", "4", "--json")
    assert status == 0
    data = json.loads(out)
    assert (data["n_words"], data["vector_size"]) == (8, 5)
    assert [s["file"] for s in data["similarity"]] == [str(pairs)] * 2
    sim = evaluate_similarity(emb, pairs, restrict_vocab=4)
    ana = evaluate_analogies(emb, analogies, restrict_vocab=4)
    got = data["similarity"][0]
    assert (got["n_found"], got["n_pairs"], got["oov_rate"]) == (2, 5, sim.oov_rate)
    assert got["spearman"] == pytest.approx(sim.spearman)
    got = data["analogies"][0]
    assert (got["n_correct"], got["n_attempted"], got["n_total"]) == \
        (ana.n_correct, ana.n_attempted, ana.n_total) == (2, 2, 6)
    assert got["accuracy"] == ana.accuracy and got["coverage"] == ana.coverage
    assert got["sections"]["wrong"] == {"accuracy": None, "correct": 0, "attempted": 0,
                                        "total": 2}  # NaN -> null


def test_eval_needs_something_to_evaluate(capsys, eval_files):
    status, out, err = run(capsys, "eval", eval_files[0])
    assert status == 2 and out == "" and "--pairs" in err and "--analogies" in err


def test_eval_format_override(capsys, eval_files, tmp_path):
    odd = tmp_path / "vectors.w2v"
    odd.write_bytes(eval_files[0].read_bytes())
    status, _, err = run(capsys, "eval", odd, "--pairs", eval_files[1])
    assert status == 1 and "--format" in err
    assert run(capsys, "eval", odd, "--format", "text", "--pairs", eval_files[1])[0] == 0


# ---------------------------------------------------------------------------- neighbors
def test_neighbors(capsys, eval_files):
    vec = eval_files[0]
    emb = Embeddings.load(vec)
    status, out, err = run(capsys, "neighbors", vec, "king", "apple", "--topn", "3")
    assert status == 0 and err == ""
    blocks = out.split("\n\n")
    assert len(blocks) == 2
    for block, word in zip(blocks, ["king", "apple"]):
        lines = block.strip("\n").splitlines()
        assert lines[0] == word
        got = [(line.split()[1], float(line.split()[2])) for line in lines[1:]]
        want = emb.most_similar(word, topn=3)
        assert [w for w, _ in got] == [w for w, _ in want]
        assert [c for _, c in got] == pytest.approx([c for _, c in want], abs=5e-5)


def test_neighbors_unknown_word(capsys, eval_files):
    status, out, err = run(capsys, "neighbors", eval_files[0], "king", "prince", "queen")
    assert status == 1
    assert err == "embedlib: error: word 'prince' not in vocabulary\n"
    assert [b.splitlines()[0] for b in out.split("\n\n")] == ["king", "queen"]


# ---------------------------------------------------------------------------- bad vector files
MALFORMED = [
    ("bad.txt", b"2 3\na 1 2 3\nb 1 x 3\n", "line 3: value 2 of word 'b' is not a number"),
    ("short.txt", b"3 2\na 1 2\nb 1 2\n", "line 4: file ends after 2 of the 3 vectors"),
    ("noheader.txt", b"a b c\n", "line 1: malformed header"),
    ("nan.txt", b"1 2\na nan 1\n", "line 2 (word 'a'): value 1 is nan"),
    ("cut.bin", b"2 2\na " + np.float32([1, 2]).tobytes() + b"\nb \x00\x00",
     "record 2 at byte offset 15: file ends inside the vector of 'b'"),
    ("junk.npz", b"not a zip file", "cannot read npz file"),
    ("missing.txt", None, "vector file not found"),
]


@pytest.mark.parametrize("command", ["eval", "neighbors"])
@pytest.mark.parametrize("name,content,expect", MALFORMED)
def test_malformed_vector_files(capsys, eval_files, tmp_path, command, name, content, expect):
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    argv = ["--pairs", eval_files[1]] if command == "eval" else ["a"]
    status, out, err = run(capsys, command, path, *argv)
    assert status == 1 and out == ""
    assert err.startswith(f"embedlib: error: {path}" if content else "embedlib: error: ")
    assert expect in err, err


@pytest.mark.parametrize("content,expect", [
    (None, "evaluation file not found"),
    ("man\twoman\n", "line 1: expected 'word1<TAB>word2<TAB>score'"),
])
def test_bad_evaluation_files(capsys, eval_files, tmp_path, content, expect):
    path = tmp_path / "p.tsv"
    if content is not None:
        path.write_text(content)
    status, out, err = run(capsys, "eval", eval_files[0], "--pairs", path)
    assert status == 1 and out == "" and expect in err


# ---------------------------------------------------------------------------- the real command
def test_python_dash_m_embedlib(tmp_path):
    vec = tmp_path / "v.txt"
    Embeddings(WORDS, VECTORS).save(vec)

    def embedlib(*argv):
        return subprocess.run([sys.executable, "-m", "embedlib", *map(str, argv)],
                              capture_output=True, text=True, timeout=120)

    r = embedlib("neighbors", vec, "king", "prince", "--topn", "2")
    assert r.returncode == 1
    assert r.stdout.splitlines()[0] == "king" and len(r.stdout.splitlines()) == 3
    assert r.stderr == "embedlib: error: word 'prince' not in vocabulary\n"
    r = embedlib("eval", vec)
    assert r.returncode == 2 and r.stderr.startswith("usage: embedlib eval")
    assert "Traceback" not in r.stderr


# ---------------------------------------------------------------------------- GloVe and SVD
def test_train_glove_writes_the_chosen_vectors(capsys, corpus, out_dir):
    from embedlib import GloVe
    path = out_dir / "g.npz"
    status, _, err = run(capsys, "train", "glove", corpus, "-o", path, "-q", "--workers", "1",
                         "--min-count", "1", "--vector-size", "6", "--epochs", "3",
                         "--x-max", "10", "--window", "3", "--vectors", "W")
    assert status == 0 and "updates/s" in err
    emb = Embeddings.load(path)
    ref = GloVe(vector_size=6, epochs=3, x_max=10, window=3, min_count=1, workers=1,
                output="W", verbose=False).fit(corpus)
    np.testing.assert_array_equal(emb.vectors, ref.wv.vectors)   # one worker: bit for bit
    assert emb.bias is not None and emb.vector_size == 6


def test_train_svd(capsys, corpus, out_dir):
    path = out_dir / "s.txt"
    status, _, _ = run(capsys, "train", "svd", corpus, "-o", path, "--min-count", "1",
                       "--vector-size", "4", "--k", "2", "--eig", "0")
    assert status == 0
    emb = Embeddings.load(path)
    assert emb.vector_size == 4 and "t0w0" in emb
    # neighbours stay within the planted topic
    assert all(w.startswith("t0") for w, _ in emb.most_similar("t0w0", topn=3))


@pytest.mark.parametrize("argv,expect", [
    (["glove", "--x-max", "0"], "--x-max"),
    (["glove", "--alpha", "-1"], "--alpha"),
    (["glove", "--window", "0"], "--window"),
    (["svd", "--eig", "2"], "--eig"),
])
def test_glove_and_svd_bad_parameters(capsys, corpus, out_dir, argv, expect):
    status, _, err = run(capsys, "train", argv[0], corpus, "-o", out_dir / "v.txt",
                         *argv[1:])
    assert status == 1 and expect in err
    assert list(out_dir.iterdir()) == []


# ---------------------------------------------------------------------------- built from the library
def _arguments(parser):
    """Every argument of ``parser`` and its subcommands: (command path, action)."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                yield from _arguments(sub)
        else:
            yield parser.prog, action


def test_one_table_names_every_parameter_the_commands_set():
    parser = cli.build_parser()
    table = parser.options
    assert table["vector_size"] == "--vector-size" and table["output"] == "--vectors"
    assert table["symmetric"] == "--no-symmetric" and table["restrict_vocab"] == "--restrict-vocab"
    seen = set()
    for prog, action in _arguments(parser):
        if action.dest.startswith("param_"):
            name = action.dest.removeprefix("param_")
            assert table[name] in action.option_strings, (prog, name)
            seen.add(name)
    assert seen == set(table)


def test_choices_defaults_and_help_come_from_the_library():
    from embedlib import GloVe, formats
    from embedlib._similarity import METHODS
    from embedlib.base import OUTPUTS
    from embedlib.cooccur import WEIGHTINGS
    from embedlib.pmi import SOLVERS
    from embedlib.sampling import SUBSAMPLE_FORMULAS
    actions = {(prog.split()[-1], a.dest.removeprefix("param_")): a
               for prog, a in _arguments(cli.build_parser())}
    assert tuple(actions["glove", "weighting"].choices) == WEIGHTINGS
    assert tuple(actions["svd", "output"].choices) == OUTPUTS
    assert tuple(actions["svd", "solver"].choices) == SOLVERS
    assert tuple(actions["sgns", "subsample_formula"].choices) == SUBSAMPLE_FORMULAS
    assert tuple(actions["neighbors", "format"].choices) == formats.FORMATS
    assert tuple(actions["eval", "method"].choices) == METHODS
    assert actions["glove", "eta"].default == GloVe().eta
    # the help of --eta is the first sentence of GloVe's docstring, without reST markup
    assert actions["glove", "eta"].help.startswith("AdaGrad's initial learning rate")
    assert actions["glove", "clip"].help.startswith(
        "Every gradient component is clipped to [-clip, clip] (glove.c's grad_clip_value")


def test_param_docs_reads_numpydoc_parameters():
    def f():
        """Summary.

        Parameters
        ----------
        a : int
            The first. It has a :func:`~embedlib.cooccur.cooccurrence` role and ``code``.
        b, c : float
            Shared by two, so neither gets it.

        Returns
        -------
        d : int
            Not a parameter.
        """

    assert cli._common.param_docs(f) == {
        "a": "The first. It has a cooccurrence role and code."}


def test_messages_name_parameters_as_the_caller_knows_them():
    from embedlib._errors import spell_choices, spelling
    from embedlib._parallel import run_threads
    with pytest.raises(ValueError, match=r"^vector_size must be"):
        Word2Vec(vector_size=0)
    assert spell("encoding_errors", "replace") == "encoding_errors='replace'"
    assert spell_choices("format", ("text", "npz")) == "format='text' or 'npz'"
    how = cli._common.CommandLineSpelling(cli.build_parser().options)
    seen = []
    with spelling(how):
        with pytest.raises(ValueError, match=r"^--vector-size must be"):
            Word2Vec(vector_size=0)
        assert spell("encoding_errors", "replace") == "--encoding-errors replace"
        assert spell("eta", 0.05) == "--eta 0.05" and spell("batch_words") == "batch_words"
        assert spell_choices("format", ("text", "npz")) == "--format text or npz"
        run_threads(lambda t, stop: seen.append(spell("min_count")), 2)   # in threads too
    assert seen == ["--min-count"] * 2
    assert spell("min_count") == "min_count"


def test_errors_keep_their_attributes_through_pickle():
    import pickle
    from embedlib import CorpusError, ParameterError, ParameterTypeError
    for e in (ParameterError("x must be", "x"), ParameterTypeError("y must be", "y"),
              CorpusError("c.txt, line 3: NUL", path="c.txt", line=3)):
        back = pickle.loads(pickle.dumps(e))
        assert type(back) is type(e) and str(back) == str(e)
        assert vars(back) == vars(e)
    assert isinstance(ParameterTypeError("", "y"), TypeError)


@pytest.mark.parametrize("rows,bad,expect", [
    (25, True, "1 of the 25 vectors are not finite (the first: {word!r})"),
    (24, False, "the model holds 24 vectors for 25 words"),
])
def test_vectors_are_checked_before_they_replace_the_output(capsys, corpus, out_dir,
                                                           monkeypatch, rows, bad, expect):
    """What training hands out is checked before it is written: one finite row a word."""
    def wv(self):
        vectors = np.ones((rows, 8), dtype=np.float32)
        vectors[3, 5] = np.nan if bad else 1.0
        return Embeddings(self.vocab_.words[:rows], vectors)

    monkeypatch.setattr(Word2Vec, "wv", property(wv))
    old = out_dir / "v.txt"
    old.write_text("old\n")
    status, _, err = run(capsys, "train", "sgns", corpus, "-o", old, *FAST)
    expect = expect.format(word=Corpus.from_file(corpus, min_count=1).vocab.words[3])
    assert status == 1 and expect in err.splitlines()[-1] and "was not written" in err
    assert old.read_text() == "old\n" and sorted(p.name for p in out_dir.iterdir()) == ["v.txt"]


def test_the_vector_commands_import_neither_numba_nor_the_training_code(tmp_path):
    """``embedlib eval`` and ``embedlib neighbors`` read vector files only: their process
    builds only their own parsers and imports no kernel (start-up 0.3-0.4 s, not 0.8 s);
    nor does ``embedlib --version``."""
    vectors = tmp_path / "v.txt"
    Embeddings(WORDS, VECTORS).save(vectors)
    pairs = tmp_path / "pairs.txt"
    pairs.write_text("man woman 5\nking queen 6\napple pear 9\nking apple 1\n")
    code = ("import sys\n"
            "from embedlib.cli import main\n"
            f"assert main(['neighbors', {str(vectors)!r}, 'king', '--topn', '2']) == 0\n"
            f"assert main(['eval', {str(vectors)!r}, '--pairs', {str(pairs)!r}]) == 0\n"
            "assert main(['--version']) == 0\n"
            "heavy = {'numba', 'embedlib.corpus', 'embedlib.word2vec', 'embedlib.cli._train'}\n"
            "print(sorted(heavy & set(sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.splitlines()[-1] == "[]"


def test_a_command_builds_its_own_parsers_and_help_lists_them_all(capsys):
    only = cli.build_parser("eval")
    commands = only._subparsers._group_actions[0].choices
    assert set(commands) == {"eval", "neighbors"}
    everything = set(cli.build_parser()._subparsers._group_actions[0].choices)
    assert everything == {"train", "continue", "encode", "cooccur", "eval", "neighbors"}
    assert cli._command_of(["--version"]) is None
    assert cli._command_of(["train", "sgns"]) == "train"
    assert cli._command_of(["trian", "sgns"]) is None     # a typo: every command is built
    status, out, _ = run(capsys, "--help")
    assert status == 0 and all(c in out for c in everything)
    status, _, err = run(capsys, "trian")
    assert status == 2 and "neighbors" in err and "train" in err


def test_the_collector_is_paused_for_the_start_up_imports_and_restored_after():
    for before in (True, False):
        (gc.enable if before else gc.disable)()
        try:
            with cli._collector_paused():
                assert not gc.isenabled()
            assert gc.isenabled() is before
            with pytest.raises(RuntimeError), cli._collector_paused():
                raise RuntimeError
            assert gc.isenabled() is before
        finally:
            gc.enable()


def test_main_freezes_nothing_and_the_program_freezes_its_objects_before_it_exits(tmp_path,
                                                                                  capsys):
    """``main`` returns to a caller that goes on, so it leaves the collector as it was; the
    program (``entry``) freezes its objects out of the final collection, and still runs its
    exit handlers, flushes its output and exits with the command's status."""
    vectors = tmp_path / "v.txt"
    Embeddings(WORDS, VECTORS).save(vectors)
    frozen = gc.get_freeze_count()
    status, out, _ = run(capsys, "neighbors", vectors, "king", "--topn", "1")  # parsers built
    assert status == 0 and out.strip() and gc.get_freeze_count() == frozen and gc.isenabled()
    code = ("import atexit, gc, sys\n"
            "atexit.register(lambda: print('frozen', gc.get_freeze_count() > 0, flush=True))\n"
            "sys.argv = ['embedlib'] + sys.argv[1:]\n"
            "from embedlib.cli import entry\n"
            "entry()\n")
    done = subprocess.run([sys.executable, "-c", code, "neighbors", str(vectors), "king",
                           "--topn", "1"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[-1] == "frozen True" and any("queen" in line or "man" in line
                                               for line in lines[:-1])
    failed = subprocess.run([sys.executable, "-c", code, "neighbors", str(tmp_path / "no.txt"),
                             "king"], capture_output=True, text=True)
    assert failed.returncode == 1 and failed.stdout.splitlines() == ["frozen True"]
    assert "no.txt" in failed.stderr and "Traceback" not in failed.stderr

"""The output format of ``embedlib train``: ``--format`` (every format of the library,
``glove`` included), ``--binary``, the extension, and names refused before any training."""

from __future__ import annotations

import functools

import numpy as np
import pytest

from embedlib import Corpus, Embeddings, GloVe, Word2Vec, cli, formats
from embedlib._errors import spell_choices
from embedlib.cli._common import CommandLineSpelling
from embedlib.cli._train import FORMAT_NAMES

TOPICS = [[f"t{k}w{i}" for i in range(5)] for k in range(3)]
FAST = ["-q", "--workers", "1", "--min-count", "1", "--vector-size", "6", "--epochs", "1"]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    rng = np.random.default_rng(2)
    lines = [" ".join(rng.choice(TOPICS[rng.integers(3)], size=6)) for _ in range(200)]
    path = tmp_path_factory.mktemp("corpus") / "corpus.txt"
    path.write_text("\n".join(lines) + "\n")
    return path


def run(capsys, *argv):
    status = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    assert "Traceback" not in err and out == ""
    return status, err


@pytest.mark.parametrize("model", ["glove", "sgns"])
def test_format_glove_writes_the_stanford_text_format(capsys, corpus, tmp_path, model):
    out = tmp_path / "x.txt"
    status, err = run(capsys, "train", model, corpus, "-o", out, "--format", "glove", *FAST)
    assert status == 0 and f"wrote {out} (15 words x 6 dims, GloVe text format)" in err
    first = out.read_text().splitlines()[0].split()
    assert len(first) == 7 and first[0] in {w for t in TOPICS for w in t}   # no header line
    cls = GloVe if model == "glove" else functools.partial(Word2Vec, sg=1)
    ref = cls(vector_size=6, epochs=1, min_count=1, workers=1, verbose=False).fit(
        Corpus.from_file(corpus, min_count=1))
    back = Embeddings.load(out, format="glove")
    assert back.words == ref.wv.words
    np.testing.assert_array_equal(back.vectors, ref.wv.vectors)   # %.9g keeps float32 exactly
    assert Embeddings.load(out).words == back.words                # detected without --format


@pytest.mark.parametrize("name,flags,fmt", [
    ("v.vec", ["--format", "binary"], "binary"), ("v.txt", ["--format", "npz"], "npz"),
    ("v", ["--binary"], "binary"), ("v.bin.gz", [], "binary"), ("v.txt.gz", [], "text"),
    ("v", [], "text"), ("v.w2v", ["--format", "text"], "text")])
def test_format_flag_beats_the_extension(capsys, corpus, tmp_path, name, flags, fmt):
    out = tmp_path / name
    assert run(capsys, "train", "cbow", corpus, "-o", out, *flags, *FAST)[0] == 0
    assert len(Embeddings.load(out, format=fmt)) == 15


@pytest.mark.parametrize("name,flags,message", [
    ("v.bz2", [], ".bz2 files are not supported"),
    ("v.txt.xz", ["--format", "glove"], ".xz files are not supported"),
    ("v.npz.gz", [], "an npz file is a compressed archive already"),
    ("v.w2v", [], "cannot tell the vector file format of"),
])
def test_names_the_library_refuses_fail_before_training(capsys, corpus, tmp_path, name, flags,
                                                          message):
    out = tmp_path / name
    status, err = run(capsys, "train", "glove", corpus, "-o", out, *flags, *FAST)
    assert status == 1 and message in err and err.startswith("embedlib: error: ")
    assert "corpus " not in err and "epoch" not in err      # nothing was read or trained
    assert list(tmp_path.iterdir()) == []


def test_messages_and_choices_list_every_format_of_the_library(capsys, corpus, tmp_path):
    status, err = run(capsys, "train", "sgns", corpus, "-o", tmp_path / "v.w2v", *FAST)
    spelled = spell_choices("format", formats.FORMATS)
    assert spelled == "format='text', 'binary', 'npz' or 'glove'"   # every format, in Python
    options = cli.build_parser().options
    from embedlib._errors import spelling
    with spelling(CommandLineSpelling(options)):
        on_the_line = spell_choices("format", formats.FORMATS)
    assert on_the_line in err and on_the_line.startswith("--format text, ")
    assert all(f in on_the_line for f in formats.FORMATS)
    assert set(FORMAT_NAMES) == set(formats.FORMATS)
    with pytest.raises(SystemExit):
        cli.build_parser().parse_args(["train", "sgns", "c", "-o", "v", "--format", "x"])
    assert "choose from 'text', 'binary', 'npz', 'glove'" in capsys.readouterr().err
    status, err = run(capsys, "train", "sgns", corpus, "-o", tmp_path / "v", "--binary",
                      "--format", "glove")
    assert status == 2 and "--binary conflicts with --format glove" in err

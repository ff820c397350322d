"""The experiment script of the book's third part: a smoke run of everything, its statistics,
and that every committed result file was produced by the configuration the script runs today."""

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest
import scipy.stats

SCRIPT = Path(__file__).resolve().parents[1] / "book" / "experiments" / "two_matrices.py"


def _load_script():
    spec = importlib.util.spec_from_file_location("two_matrices", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


X = _load_script()


@pytest.fixture(scope="module")
def smoke(tmp_path_factory):
    out = tmp_path_factory.mktemp("results")
    args = ["--smoke", "--out", str(out)]
    if not X.DEFAULT_CORPUS.exists():
        args += ["--only", "planted"]
    assert X.main(args) == 0
    return out


def test_the_smoke_run_writes_one_file_per_corpus_and_model(smoke):
    c = X.config(smoke=True)
    corpora = [n for n in c["corpora"] if n == "planted" or X.DEFAULT_CORPUS.exists()]
    names = sorted(p.name for p in smoke.glob("*.json"))
    assert names == sorted(X.result_name(k, m) for k in corpora for m in c["models"])
    for path in smoke.glob("*.json"):
        result = json.loads(path.read_text())
        model = next(iter(result["config"]["model"]))
        variants = X.variants(c, model)
        assert len(result["runs"]) == len(variants) * len(c["seeds"])
        grid = c["grids"][c["models"][model]["family"]]
        for run in result["runs"]:
            assert run["epochs"] in grid
            assert run["epochs"] == result["epochs"][run["variant"]]
            tied = bool(variants[run["variant"]].get("tied"))
            assert set(run["outputs"]) == ({"W"} if tied else {"W", "C", "sum", "concat"})
            assert np.isfinite(run["loss"]) and np.isfinite(run["noise_score"])
            assert 0 <= run["outputs"]["W"]["coverage"] <= 1
        assert result["provenance"]["embedlib"]
        for name, curve in result["curves"].items():     # a prefix of the doubling grid
            assert [int(e) for e in curve] == grid[:len(curve)]
            assert str(result["epochs"][name]) in curve


def test_the_curve_stops_when_doubling_the_epochs_no_longer_helps():
    assert not X.stopped({"1": 0.1}, 0.005)
    assert not X.stopped({"1": 0.1, "2": 0.2}, 0.005)
    assert X.stopped({"1": 0.1, "2": 0.2, "4": 0.204}, 0.005)
    assert X.stopped({"1": 0.3, "2": 0.2}, 0.005)


def test_glove_is_not_trained_twice_for_its_biases():
    c = X.config()
    assert set(X.variants(c, "glove")) == {"untied", "tied", "untied_half"}
    assert set(X.variants(c, "sgns")) == set(c["variants"])


def test_the_epoch_count_is_the_first_within_tolerance_of_the_best():
    assert X.choose_epochs({"1": 0.1, "2": 0.3, "5": 0.398, "8": 0.4, "12": 0.39}, 0.005) == 5
    assert X.choose_epochs({"1": 0.5, "2": 0.3}, 0.005) == 1
    assert X.choose_epochs({"5": 0.2, "10": 0.2}, 0.0) == 5


def test_the_noise_score_is_the_mean_score_of_sampled_noise_pairs():
    from embedlib import Word2Vec, datasets
    corpus = datasets.planted_corpus(n_sentences=300, seed=0).corpus()
    model = Word2Vec(sg=1, vector_size=8, epochs=1, workers=1, seed=3, verbose=False,
                     bias=True).fit(corpus)
    emb = model.vectors("W")
    counts = np.asarray(emb.counts, dtype=np.float64)
    rng = np.random.default_rng(0)
    n = 400_000
    i = rng.choice(len(counts), n, p=counts / counts.sum())
    q = counts ** 0.75
    j = rng.choice(len(counts), n, p=q / q.sum())
    W, C = emb.vectors.astype(np.float64), emb.context.astype(np.float64)
    sampled = (np.einsum("nd,nd->n", W[i], C[j]) + emb.bias[i] + emb.context_bias[j])
    exact = X.noise_score(model, 0.75)
    assert abs(sampled.mean() - exact) < 4 * sampled.std() / np.sqrt(n) + 1e-9
    assert emb.bias.any() and emb.context_bias.any()   # the biases were trained and counted


def test_paired_differences_agree_with_scipy():
    rng = np.random.default_rng(1)
    a, b = rng.normal(0.5, 0.02, 5), rng.normal(0.45, 0.02, 5)
    runs = [{"variant": v, "seed": s, "loss": 0.0, "noise_score": 0.0,
             "outputs": {"W": {"analogy": x}}}
            for s in range(5) for v, x in (("tied", a[s]), ("untied", b[s]))]
    got = X.paired({"runs": runs}, "tied", "untied", "analogy")
    ci = scipy.stats.ttest_rel(a, b).confidence_interval(0.95)
    assert got["n"] == 5
    assert got["mean"] == pytest.approx(float(np.mean(a - b)))
    assert (got["low"], got["high"]) == pytest.approx((ci.low, ci.high))


def test_committed_results_were_made_by_todays_configuration():
    files = sorted(X.RESULTS.glob("*.json"))
    if not files:
        pytest.skip("no result files are committed under book/experiments/results yet")
    for path in files:
        result = json.loads(path.read_text())
        recorded = result["config"]
        corpus, model = next(iter(recorded["corpus"])), next(iter(recorded["model"]))
        assert path.name == X.result_name(corpus, model)
        assert recorded == X.part(X.config(smoke=recorded["smoke"]), corpus, model), path.name
        assert not recorded["smoke"], f"{path.name} is a smoke run"


def test_every_committed_curve_stopped_before_the_end_of_its_grid():
    """A curve still improving at the grid's last epoch count would score its variant below
    what it reaches: its seeds would be trained for a budget, not to convergence."""
    files = sorted(X.RESULTS.glob("*.json"))
    if not files:
        pytest.skip("no result files are committed under book/experiments/results yet")
    for path in files:
        result = json.loads(path.read_text())
        for name, curve in result["curves"].items():     # the file's keys are sorted as text
            curve = {e: curve[e] for e in sorted(curve, key=int)}
            assert X.stopped(curve, result["config"]["tolerance"]), (path.name, name, curve)

"""Why two matrices? The experiments behind chapters 9 to 13, at full scale.

    python book/experiments/two_matrices.py [--smoke] [--out DIR] [--only NAME ...]
        [--corpus PATH]

For each corpus (the whole NLTK mix, 3.8M tokens, and the planted corpus) and each model
(skip-gram, CBOW and GloVe, all with negative sampling or their own loss), five variants:

- ``untied``: a word matrix W and a context matrix C, as every library trains;
- ``untied_bias``: the same with a bias per word and per context (score w.c + b + b~);
- ``tied``: one matrix, C = W (score w_i.w_j);
- ``tied_bias``: one matrix and one bias per word (score w_i.w_j + b_i + b_j), the control
  that separates "one matrix" from "no biases";
- ``untied_half``: untied at half the dimension, so that it has as many numbers as ``tied``.

GloVe always has its biases, so for GloVe ``untied_bias`` is ``untied`` and ``tied_bias`` is
``tied``; those are not trained twice. Each (corpus, model, variant) is first trained with one
seed for the epoch counts of a doubling grid (the *curve*) until doubling the epochs no longer
improves the score by more than ``tolerance``; the epoch count used for the five seeds is the
smallest on the curve whose score is within ``tolerance`` of the best one, so that each model is
trained until its scores stop improving, not for a time budget (a curve that reaches the
grid's end still improving is logged, and ``tests/test_experiments.py`` checks that no
committed curve did). Every untied model is scored
with W, C, W + C and [W, C]; the scores: the final training loss, WordSim353 and SimLex-999
(Spearman), analogy accuracy with its coverage (questions-words.txt for the NLTK mix, the
planted analogies for the planted corpus) and the *noise-pair score*, the mean score of a pair
whose first word is drawn from the unigram distribution and whose second from unigram^0.75 (the
pairs negative sampling pushes down).

Results go to one JSON file per (corpus, model) in ``results/`` beside this script (or
``--out``): the configuration, the embedlib version and git commit, the date, the seconds taken,
the curves and every run. ``--smoke`` runs a tiny version of everything (a small slice of the
corpus, two seeds, short grids) in a minute, so that CI runs the code and it cannot rot;
``tests/test_experiments.py`` also checks that the configuration recorded in each committed
result file is the one this script runs today. The chapters load the committed results.
"""

from __future__ import annotations

import argparse
import copy
import datetime
import gzip
import itertools
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
RESULTS = HERE / "results"
DEFAULT_CORPUS = ROOT.parent / "shared" / "corpora" / "nltk_mix.txt.gz"

#: Everything a run depends on. The result files record the part for their (corpus, model).
CONFIG = {
    "format": 1,
    "corpora": {
        "nltk": {"file": "nltk_mix.txt.gz", "min_count": 5, "lines": None, "vector_size": 100,
                 "workers": 2},
        "planted": {"n_sentences": 3000, "seed": 0, "min_count": 1, "vector_size": 32,
                    "workers": 1},
    },
    "models": {
        "sgns": {"family": "word2vec", "sg": 1, "window": 5, "negative": 5, "sample": 1e-3},
        "cbow": {"family": "word2vec", "sg": 0, "window": 5, "negative": 5, "sample": 1e-3},
        "glove": {"family": "glove", "window": 10, "x_max": 10.0, "eta": 0.05},
    },
    "variants": {
        "untied": {},
        "untied_bias": {"bias": True},
        "tied": {"tied": True},
        "tied_bias": {"tied": True, "bias": True},
        "untied_half": {"half": True},
    },
    "grids": {"word2vec": [1, 2, 4, 8, 16, 32, 64, 128], "glove": [5, 10, 20, 40, 80, 160]},
    "tolerance": 0.005,
    "seeds": [1, 2, 3, 4, 5],
    "noise_exponent": 0.75,
}

#: What --smoke changes: a slice of the corpus, short grids, two seeds.
SMOKE = {"corpora": {"nltk": {"lines": 3000, "vector_size": 16},
                     "planted": {"n_sentences": 300, "vector_size": 8}},
         "grids": {"word2vec": [1, 2], "glove": [2, 4]}, "seeds": [1, 2]}


def config(smoke: bool = False) -> dict:
    """The configuration of a full run, or of a ``--smoke`` run."""
    c = copy.deepcopy(CONFIG)
    if smoke:
        for name, changes in SMOKE["corpora"].items():
            c["corpora"][name].update(changes)
        c["grids"], c["seeds"] = SMOKE["grids"], SMOKE["seeds"]
        c["smoke"] = True
    return c


def part(c: dict, corpus: str, model: str) -> dict:
    """The configuration that one result file records: its corpus, model and the rest."""
    return {"format": c["format"], "corpus": {corpus: c["corpora"][corpus]},
            "model": {model: c["models"][model]}, "variants": variants(c, model),
            "grid": c["grids"][c["models"][model]["family"]], "tolerance": c["tolerance"],
            "seeds": c["seeds"], "noise_exponent": c["noise_exponent"],
            "smoke": c.get("smoke", False)}


def variants(c: dict, model: str) -> dict:
    """The variants trained for ``model`` (GloVe has biases already: no ``*_bias`` twins)."""
    if c["models"][model]["family"] == "glove":
        return {k: v for k, v in c["variants"].items() if not v.get("bias")}
    return dict(c["variants"])


# -------------------------------------------------------------------- data
class Data:
    """A corpus with its co-occurrence counts (for GloVe, counted once) and its tests."""

    def __init__(self, name: str, spec: dict, corpus_path: Path | None, tmp: Path):
        import embedlib
        from embedlib import datasets
        self.name, self.spec = name, spec
        if name == "planted":
            planted = datasets.planted_corpus(n_sentences=spec["n_sentences"], seed=spec["seed"])
            self.corpus = planted.corpus(min_count=spec["min_count"])
            self.analogies = planted.analogies_file(tmp / "planted_analogies.txt")
            self.pairs = {"groups": planted.word_pairs()}
        else:
            self.corpus = embedlib.Corpus.from_sentences(
                _lines(corpus_path, spec["lines"]), min_count=spec["min_count"])
            self.analogies = embedlib.evaluation.evaluation_file("questions-words")
            self.pairs = {"wordsim353": embedlib.evaluation.evaluation_file("wordsim353"),
                          "simlex999": embedlib.evaluation.evaluation_file("simlex999")}
        self.counts = {}

    def cooccurrence(self, window: int):
        import embedlib
        if window not in self.counts:
            self.counts[window] = embedlib.cooccurrence(self.corpus, window,
                                                        workers=self.spec["workers"])
        return self.counts[window]


def _lines(path: Path, limit: int | None):
    with gzip.open(path, "rt", encoding="utf-8") as f:
        for line in itertools.islice(f, limit):
            yield line.split()


# -------------------------------------------------------------------- training
def train(data: Data, model: dict, variant: dict, seed: int, epochs: int):
    """One model of ``model``'s family with ``variant``'s changes, fitted on ``data``."""
    from embedlib import GloVe, Word2Vec
    spec = data.spec
    d = spec["vector_size"] // (2 if variant.get("half") else 1)
    common = dict(vector_size=d, seed=seed, workers=spec["workers"], epochs=epochs,
                  tied=bool(variant.get("tied")), verbose=False)
    params = {k: v for k, v in model.items() if k != "family"}
    if model["family"] == "glove":
        return GloVe(**common, **params).fit(data.cooccurrence(params["window"]),
                                             data.corpus.vocab)
    return Word2Vec(**common, bias=bool(variant.get("bias")), **params).fit(data.corpus)


def scores(data: Data, fitted, tied: bool, noise_exponent: float) -> dict:
    """The loss, the noise-pair score and, for each output, the evaluation scores."""
    from embedlib import evaluate_analogies, evaluate_similarity
    outputs = ("W",) if tied else ("W", "C", "sum", "concat")
    result = {"loss": float(fitted.history_[-1].loss),
              "noise_score": noise_score(fitted, noise_exponent), "outputs": {}}
    for which in outputs:
        emb = fitted.vectors(which)
        one = {}
        for name, pairs in data.pairs.items():
            one[name] = float(evaluate_similarity(emb, pairs).spearman)
        a = evaluate_analogies(emb, data.analogies)
        one["analogy"], one["coverage"] = float(a.accuracy), float(a.coverage)
        result["outputs"][which] = one
    return result


def noise_score(fitted, exponent: float) -> float:
    """E[w_i . c_j + b_i + b~_j] for i ~ unigram and j ~ unigram^exponent, computed exactly."""
    emb = fitted.vectors("W")
    counts = np.asarray(emb.counts, dtype=np.float64)
    p = counts / counts.sum()
    q = counts ** exponent
    q /= q.sum()
    W = emb.vectors.astype(np.float64)
    C = W if emb.context is None else emb.context.astype(np.float64)
    value = float((p @ W) @ (q @ C))
    if emb.bias is not None:
        b = emb.bias.astype(np.float64)
        b_c = b if emb.context_bias is None else emb.context_bias.astype(np.float64)
        value += float(p @ b + q @ b_c)
    return value


def headline(data: Data, result: dict) -> float:
    """The score the curve is judged on: the mean of the scores of W."""
    return float(np.mean([v for k, v in result["outputs"]["W"].items() if k != "coverage"]))


def stopped(curve: dict, tolerance: float) -> bool:
    """Whether the curve has stopped improving: its last point (twice the epochs of the one
    before) is not better than the best before it by more than ``tolerance``."""
    scores = list(curve.values())
    return len(scores) >= 2 and scores[-1] <= max(scores[:-1]) + tolerance


def choose_epochs(curve: dict, tolerance: float) -> int:
    """The smallest epoch count on the grid whose score is within ``tolerance`` of the best."""
    best = max(curve.values())
    return min(int(e) for e, s in curve.items() if s >= best - tolerance)


def run_one(data: Data, c: dict, model_name: str, log) -> dict:
    """The curves and the seeded runs of every variant of one model on one corpus."""
    model = c["models"][model_name]
    out = {"curves": {}, "epochs": {}, "runs": []}
    for vname, variant in variants(c, model_name).items():
        tied = bool(variant.get("tied"))
        curve = {}
        for epochs in c["grids"][model["family"]]:
            r = scores(data, train(data, model, variant, c["seeds"][0], epochs), tied,
                       c["noise_exponent"])
            curve[str(epochs)] = headline(data, r)
            log(f"{data.name} {model_name} {vname} epochs {epochs}: {curve[str(epochs)]:.4f}")
            if stopped(curve, c["tolerance"]):
                break
        else:
            log(f"{data.name} {model_name} {vname}: still improving at the grid's end, "
                f"{epochs} epochs")
        out["curves"][vname] = curve
        epochs = out["epochs"][vname] = choose_epochs(curve, c["tolerance"])
        for seed in c["seeds"]:
            t = time.perf_counter()
            r = scores(data, train(data, model, variant, seed, epochs), tied,
                       c["noise_exponent"])
            r.update(variant=vname, seed=seed, epochs=epochs,
                     seconds=round(time.perf_counter() - t, 2))
            out["runs"].append(r)
            log(f"{data.name} {model_name} {vname} seed {seed}: {headline(data, r):.4f}")
    return out


# -------------------------------------------------------------------- reading the results
def load(corpus: str, model: str, folder: Path = RESULTS) -> dict:
    """A committed result file, as :func:`main` wrote it."""
    return json.loads((folder / result_name(corpus, model)).read_text(encoding="utf-8"))


def metric(run: dict, name: str, output: str = "W") -> float:
    """``name`` of one run: "loss", "noise_score", or an evaluation score of ``output``."""
    return run[name] if name in ("loss", "noise_score") else run["outputs"][output][name]


def paired(result: dict, a: str, b: str, name: str, output_a: str = "W",
           output_b: str | None = None, level: float = 0.95) -> dict:
    """Variant ``a`` minus variant ``b`` on ``name``, paired by seed: the mean difference and
    its t interval over the seeds (Student's t with n - 1 degrees of freedom)."""
    from scipy import stats
    by_seed = {}
    for run in result["runs"]:
        by_seed.setdefault(run["seed"], {})[run["variant"]] = run
    d = np.array([metric(r[a], name, output_a) - metric(r[b], name, output_b or output_a)
                  for r in by_seed.values() if a in r and b in r])
    n = len(d)
    half = (stats.t.ppf(0.5 + level / 2, n - 1) * d.std(ddof=1) / np.sqrt(n)) if n > 1 \
        else float("nan")
    return {"mean": float(d.mean()), "low": float(d.mean() - half),
            "high": float(d.mean() + half), "n": n}


# -------------------------------------------------------------------- provenance and output
def provenance() -> dict:
    """The embedlib that ran: its version, and the commit of the checkout it was imported
    from (with whether its code had changes not committed), the date and the machine."""
    import embedlib
    source = Path(embedlib.__file__).resolve().parent
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=source, capture_output=True,
                                text=True, check=True).stdout.strip()
        dirty = bool(subprocess.run(["git", "status", "--porcelain", "."], cwd=source,
                                    capture_output=True, text=True).stdout.strip())
    except (OSError, subprocess.CalledProcessError):
        commit, dirty = None, None
    return {"embedlib": embedlib.__version__, "commit": commit, "embedlib_changed": dirty,
            "date": datetime.date.today().isoformat(), "cores": os.cpu_count(),
            "python": sys.version.split()[0]}


def write_json(path: Path, obj) -> None:
    """Write ``obj`` to ``path`` atomically (a temporary file renamed at the end)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", dir=path.parent, suffix=".tmp", delete=False) as f:
        json.dump(obj, f, indent=1, sort_keys=True)
        f.write("\n")
    os.replace(f.name, path)


def result_name(corpus: str, model: str) -> str:
    return f"{corpus}_{model}.json"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--smoke", action="store_true", help="a tiny run of everything")
    ap.add_argument("--out", type=Path, default=RESULTS, help="where the JSON files go")
    ap.add_argument("--only", nargs="*", default=(),
                    help="corpus or model names to run (nltk, planted, sgns, cbow, glove)")
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS,
                    help="the NLTK mix (nltk_mix.txt.gz)")
    args = ap.parse_args(argv)
    c = config(args.smoke)
    known = set(c["corpora"]) | set(c["models"])
    unknown = sorted(set(args.only) - known)
    if unknown:
        ap.error(f"unknown names for --only: {', '.join(unknown)}")
    corpora = [n for n in c["corpora"] if not args.only or n in args.only or
               not set(args.only) & set(c["corpora"])]
    models = [n for n in c["models"] if not args.only or n in args.only or
              not set(args.only) & set(c["models"])]
    if "nltk" in corpora and not args.corpus.exists():
        print(f"skipping the NLTK mix: {args.corpus} is missing (pass --corpus)",
              file=sys.stderr)
        corpora.remove("nltk")
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

    start = time.perf_counter()

    def log(line):
        print(f"[{time.perf_counter() - start:7.0f} s] {line}", flush=True)

    with tempfile.TemporaryDirectory() as tmp:
        for cname in corpora:
            data = Data(cname, c["corpora"][cname], args.corpus, Path(tmp))
            log(f"{cname}: {data.corpus.n_tokens:,} tokens, {len(data.corpus.vocab):,} words")
            for mname in models:
                t = time.perf_counter()
                body = run_one(data, c, mname, log)
                write_json(args.out / result_name(cname, mname),
                           {"config": part(c, cname, mname), "provenance": provenance(),
                            "seconds": round(time.perf_counter() - t, 1),
                            "corpus_tokens": int(data.corpus.n_tokens),
                            "vocabulary": len(data.corpus.vocab), **body})
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The package's modules form layers: no module imports, even inside a function, a module
that imports it back (directly or through others)."""

import ast
import re
from pathlib import Path

import embedlib

PACKAGE = Path(embedlib.__file__).parent




def module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
    return ".".join(parts)


def imports_of(path: Path, modules: set[str]) -> set[str]:
    """The embedlib modules ``path`` imports anywhere in its code (top level or lazily)."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name in modules}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                target = f"{base}.{node.module}" if node.module else base
            else:
                target = node.module or ""
            # "from . import w2v_kernels" imports a module; "from . import __version__" the
            # package itself
            subs = {f"{target}.{a.name}" for a in node.names} & modules
            found |= subs
            if target in modules and len(subs) < len(node.names):
                found.add(target)
    found.discard(name)
    return found


def import_graph() -> dict[str, set[str]]:
    paths = sorted(PACKAGE.rglob("*.py"))
    modules = {module_name(p) for p in paths}
    return {module_name(p): imports_of(p, modules) for p in paths}


def cycles(graph: dict[str, set[str]]) -> list[set[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = set()
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.add(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(component)

    for v in graph:
        if v not in index:
            visit(v)
    return found


def test_the_graph_sees_lazy_and_relative_imports():
    graph = import_graph()
    assert "embedlib.w2v_kernels" in graph["embedlib.word2vec"]     # from . import ... as K
    assert "embedlib.formats" in graph["embedlib.embeddings"]       # inside a method
    assert "embedlib" in graph["embedlib.cli"]                      # from . import __version__
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [{"a", "b", "c"}]


def test_no_import_cycle():
    assert cycles(import_graph()) == []


def test_models_sit_above_their_kernels():
    graph = import_graph()
    for kernels in ("w2v_kernels", "glove_kernels", "cooccur", "sampling", "_jit", "_blocks"):
        assert not {m for m in graph[f"embedlib.{kernels}"]
                    if m.split(".")[-1] in ("base", "_trainer", "word2vec", "glove", "pmi")}


def readme_layers() -> dict[str, int]:
    """The layer of each module, from the README's package map (``| `corpus` | 2 | ...``);
    a package's row covers its submodules."""
    readme = (PACKAGE.parent / "README.md").read_text(encoding="utf-8")
    section = readme.split("## The package, for contributors", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `([\w.]+)` \| (\d) \|", section, flags=re.M)
    return {("embedlib" if m == "embedlib" else f"embedlib.{m}"): int(n) for m, n in rows}


def layer_of(module: str, layers: dict[str, int]) -> int | None:
    """The layer of ``module``: its own row, or the row of the package it belongs to."""
    while module not in layers and "." in module:
        module = module.rpartition(".")[0]
    return layers.get(module)


def test_every_module_has_a_row_in_the_package_map():
    layers = readme_layers()
    assert len(layers) > 20
    missing = sorted(m for m in import_graph() if layer_of(m, layers) is None)
    assert missing == [], "add these modules to the README's package map"


def upward_imports(graph: dict[str, set[str]], layers: dict[str, int]) -> list[str]:
    """The imports of ``graph`` that go to a higher layer than the importer's."""
    return sorted(f"{m} (layer {layer_of(m, layers)}) imports {t} (layer {layer_of(t, layers)})"
                  for m, targets in graph.items() for t in targets
                  if layer_of(t, layers) > layer_of(m, layers))


def test_imports_go_down_the_layers_of_the_package_map():
    assert upward_imports(import_graph(), readme_layers()) == []


def test_the_layer_check_sees_an_upward_import():
    layers = {"embedlib.corpus": 2, "embedlib.word2vec": 4, "embedlib.cli": 5}
    graph = {"embedlib.cli._train": {"embedlib.word2vec"}, "embedlib.word2vec": {"embedlib.corpus"},
             "embedlib.corpus": {"embedlib.cli._train"}}
    assert upward_imports(graph, layers) == [
        "embedlib.corpus (layer 2) imports embedlib.cli._train (layer 5)"]


def _run_python(code: str) -> str:
    import subprocess
    import sys
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       check=True, timeout=300)
    return r.stdout.strip()


def test_import_embedlib_leaves_scipy_sparse_for_its_first_use():
    out = _run_python(
        "import sys, embedlib\n"
        "lazy = 'scipy.sparse' not in sys.modules\n"
        "from embedlib import glove, pmi\n"
        "import scipy.sparse\n"
        "print(lazy, glove.sp.csr_matrix is scipy.sparse.csr_matrix, callable(pmi),\n"
        "      embedlib.pmi is pmi)")
    assert out == "True True True True"


def test_the_quick_blas_check_keeps_numba_blas_working():
    # the command's start-up loads scipy's cython_blas without scipy.linalg; Numba's BLAS
    # (np.dot in a kernel) must still give the right product, and scipy.linalg still import
    out = _run_python(
        "import sys\n"
        "from embedlib._lazy import quick_blas_check\n"
        "done = quick_blas_check()\n"
        "import numba, numpy as np\n"
        "@numba.njit\n"
        "def mul(a, b):\n"
        "    return np.dot(a, b)\n"
        "a = np.arange(12.0).reshape(3, 4); b = np.arange(8.0).reshape(4, 2)\n"
        "loaded = 'scipy.linalg' in sys.modules\n"
        "import scipy.linalg\n"
        "print(done, loaded, np.array_equal(mul(a, b), a @ b), scipy.linalg.norm(b) > 0)")
    assert out == "True False True True"


def test_the_command_starts_without_scipy_linalg_or_sparse(tmp_path):
    corpus = tmp_path / "c.txt"
    corpus.write_text("a b c d e f\n" * 50)
    out = _run_python(
        "import sys\n"
        "from embedlib.cli import main\n"
        f"status = main(['train', 'cbow', {str(corpus)!r}, '-o', {str(tmp_path / 'v.txt')!r},"
        " '--min-count', '1', '--epochs', '1', '--workers', '1', '-q'])\n"
        "print(status, [m for m in ('scipy.linalg', 'scipy.sparse')"
        " if m in sys.modules])")
    assert out == "0 []"


def test_import_embedlib_imports_its_names_at_first_use():
    """``import embedlib`` is light (no Numba, no training code); each name imports its module
    at the first access, and the names are the same objects as the modules'."""
    out = _run_python(
        "import sys, embedlib\n"
        "light = not {'numba', 'embedlib.corpus', 'embedlib.word2vec'} & set(sys.modules)\n"
        "from embedlib.word2vec import Word2Vec\n"
        "from embedlib.evaluation import evaluate_similarity\n"
        "same = embedlib.Word2Vec is Word2Vec and embedlib.evaluate_similarity is evaluate_similarity\n"
        "names = set(embedlib.__all__) <= set(dir(embedlib)) and 'datasets' in dir(embedlib)\n"
        "ns = {}\n"
        "exec('from embedlib import *', ns)\n"
        "star = all(n in ns for n in embedlib.__all__)\n"
        "try:\n"
        "    embedlib.no_such_name\n"
        "    missing = False\n"
        "except AttributeError as e:\n"
        "    missing = 'no_such_name' in str(e)\n"
        "print(light, same, names, star, missing, embedlib.datasets.__name__)")
    assert out == "True True True True True embedlib.datasets"


def test_embedlib_pmi_stays_the_function_when_its_module_is_imported_first():
    out = _run_python(
        "import embedlib.pmi\n"           # the submodule first: the package binds it
        "import embedlib\n"
        "from embedlib.pmi import pmi\n"
        "print(embedlib.pmi is pmi)")
    assert out == "True"

"""Start-up: modules imported when first used, and Numba's BLAS check made cheap.

A command such as ``embedlib train cbow`` needs NumPy, Numba and the word2vec kernels; it
does not need SciPy's sparse matrices, whose import (with the parts of SciPy it brings)
takes about 0.05 s, so the modules that use them import them on first use:

* :func:`module` gives a stand-in for a module (``sp = module("scipy.sparse")``) that
  imports it at the first attribute access.

:func:`quick_blas_check` is for the command line only. The first Numba kernel a process
loads, even from the cache, initializes Numba's CPU target, whose ``numba.np.arraymath``
checks that a BLAS is there by importing ``scipy.linalg.cython_blas``; through the package
``scipy.linalg`` that import costs 0.1 to 0.15 s. The function loads that extension module
(SciPy's own, unchanged) without running ``scipy/linalg/__init__.py``, so the check finds
it in ``sys.modules``. It changes nothing when ``scipy.linalg`` is already imported, and if
anything about the installed SciPy differs from what it expects it does nothing, leaving
Numba to import ``scipy.linalg`` as usual. The one visible difference: a later
``import scipy.linalg`` does not bind the attribute ``scipy.linalg.cython_blas`` (``from
scipy.linalg import cython_blas`` still works), which is why only the command calls it,
never ``import embedlib``.
"""

from __future__ import annotations

import importlib
import importlib.machinery
import importlib.util
import os
import sys
import types

__all__ = ["module", "quick_blas_check"]


class _LazyModule(types.ModuleType):
    """A module object that imports the real module at the first attribute access."""

    def __getattr__(self, attr):
        real = importlib.import_module(self.__name__)
        return getattr(real, attr)


def module(name: str) -> types.ModuleType:
    """The module ``name`` if it is imported already, else a stand-in that imports it when
    one of its attributes is first read."""
    return sys.modules.get(name) or _LazyModule(name)


def quick_blas_check() -> bool:
    """Put SciPy's ``cython_blas`` in ``sys.modules`` without importing ``scipy.linalg``
    (see the module's docstring). Returns whether it did."""
    name = "scipy.linalg.cython_blas"
    if name in sys.modules or "scipy.linalg" in sys.modules:
        return False
    try:
        import scipy
        folder = os.path.join(os.path.dirname(scipy.__file__), "linalg")
        for suffix in importlib.machinery.EXTENSION_SUFFIXES:
            path = os.path.join(folder, "cython_blas" + suffix)
            if os.path.isfile(path):
                break
        else:
            return False
        spec = importlib.util.spec_from_file_location(name, path)
        if spec is None or spec.loader is None:
            return False
        blas = importlib.util.module_from_spec(spec)
        sys.modules[name] = blas
        try:
            spec.loader.exec_module(blas)
        except BaseException:
            del sys.modules[name]
            raise
        return True
    except Exception:  # any surprise: leave it to Numba's own import
        return False

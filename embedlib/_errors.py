"""Errors raised by more than one module, and how their messages name parameters.

The errors are kept apart so that none of the modules raising them imports another.

A message that names a parameter names it as the caller knows it: ``min_count`` and
``encoding_errors='replace'`` in Python, ``--min-count`` and ``--encoding-errors replace``
on the command line. Messages are written with :func:`spell` and :func:`spell_choices`,
which ask the current :class:`Spelling` (Python's unless the command line has set its own
with :func:`spelling`), so a message reaches the user as it was raised, without being
rewritten afterwards.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import contextmanager
from contextvars import ContextVar

__all__ = ["TrainingError", "NotFittedError", "DatasetError", "ChecksumError",
           "ParameterError", "ParameterTypeError", "CorpusError", "Spelling", "spelling",
           "spell", "spell_choices"]


class TrainingError(RuntimeError):
    """Training produced non-finite values or could not run."""


class NotFittedError(AttributeError):
    """What a model learns was asked for before its ``fit`` (an AttributeError, so that
    ``hasattr(model, "wv")`` is False until then)."""


class DatasetError(RuntimeError):
    """A data set that cannot be read or fetched; the message says how to fix it."""


class ChecksumError(DatasetError):
    """Downloaded data whose SHA-256 digest (or size) is not the expected one."""


class ParameterError(ValueError):
    """A parameter with a value that cannot be used.

    ``param`` is the parameter's Python name (``"vector_size"``); the message says what is
    wrong, naming the parameter as the caller knows it (see :func:`spell`).
    """

    def __init__(self, message: str, param: str | None = None):
        super().__init__(message)
        self.param = param

    def __reduce__(self):
        return type(self), (str(self), self.param)


class ParameterTypeError(ParameterError, TypeError):
    """A parameter of the wrong type (a :class:`ParameterError` and a TypeError)."""


class CorpusError(ValueError):
    """A corpus that cannot be used, with the reason in the message.

    ``path`` is the corpus file (None for sentences given in Python) and ``line`` the line
    of the file at fault (from 1; None when the problem is not on one line).
    """

    def __init__(self, message: str, *, path=None, line: int | None = None):
        super().__init__(message)
        self.path = None if path is None else str(path)
        self.line = line

    def __reduce__(self):
        return _rebuild_corpus_error, (type(self), str(self), self.path, self.line)


def _rebuild_corpus_error(cls, message, path, line):
    return cls(message, path=path, line=line)


# ---------------------------------------------------------------------- names in messages
class Spelling:
    """How messages name parameters and values: Python's spelling (``min_count``,
    ``'replace'``, ``encoding_errors='replace'``; floats as ``%g``). The command line
    subclasses it."""

    def name(self, param: str) -> str:
        return param

    def value(self, value) -> str:
        return format(value, "g") if isinstance(value, float) else repr(value)

    def assign(self, param: str, value) -> str:
        """How to say "pass this value": ``param=value``."""
        return f"{self.name(param)}={self.value(value)}"


_SPELLING: ContextVar[Spelling] = ContextVar("embedlib_spelling", default=Spelling())
_NO_VALUE = object()


@contextmanager
def spelling(how: Spelling):
    """Within the block (in this thread, and in the threads :mod:`embedlib._parallel`
    starts from it), messages name parameters as ``how`` says."""
    token = _SPELLING.set(how)
    try:
        yield how
    finally:
        _SPELLING.reset(token)


def spell(param: str, value=_NO_VALUE) -> str:
    """The parameter ``param`` as the caller knows it (``min_count``), or with ``value``
    the way to pass that value (``min_count=5``)."""
    how = _SPELLING.get()
    return how.name(param) if value is _NO_VALUE else how.assign(param, value)


def spell_choices(param: str, choices: Sequence) -> str:
    """The ways to pass one of ``choices``: ``format='text', 'binary' or 'npz'``."""
    how = _SPELLING.get()
    first, *rest = choices
    text = how.assign(param, first)
    if rest:
        text += "".join(f", {how.value(c)}" for c in rest[:-1]) + f" or {how.value(rest[-1])}"
    return text

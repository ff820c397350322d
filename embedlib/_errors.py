"""Errors raised by more than one module, kept apart so that none of them imports another."""

from __future__ import annotations

__all__ = ["TrainingError", "NotFittedError", "DatasetError", "ChecksumError"]


class TrainingError(RuntimeError):
    """Training produced non-finite values or could not run."""


class NotFittedError(AttributeError):
    """What a model learns was asked for before its ``fit`` (an AttributeError, so that
    ``hasattr(model, "wv")`` is False until then)."""



class DatasetError(RuntimeError):
    """A data set that cannot be read or fetched; the message says how to fix it."""


class ChecksumError(DatasetError):
    """Downloaded data whose SHA-256 digest (or size) is not the expected one."""

"""Parameter validation: a :class:`~embedlib._errors.ParameterError` (or
:class:`~embedlib._errors.ParameterTypeError`) whose message names the parameter, as the
caller spells it (:func:`~embedlib._errors.spell`), and the value."""

from __future__ import annotations

import math
import numbers
import os
import re

from ._errors import ParameterError, ParameterTypeError, spell


def check_int(name: str, value, low: int | None = None, high: int | None = None) -> int:
    """``value`` as an int, or a TypeError/ValueError naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ParameterTypeError(f"{spell(name)} must be an integer, got {value!r}", name)
    value = int(value)
    if (low is not None and value < low) or (high is not None and value > high):
        raise ParameterError(f"{spell(name)} must be {_range(low, high)}, got {value}", name)
    return value


def check_float(name: str, value, low: float | None = None, high: float | None = None,
                low_open: bool = False, high_open: bool = False) -> float:
    """``value`` as a finite float within bounds, or an error naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ParameterTypeError(f"{spell(name)} must be a number, got {value!r}", name)
    value = float(value)
    bad = not math.isfinite(value)
    if low is not None:
        bad |= value <= low if low_open else value < low
    if high is not None:
        bad |= value >= high if high_open else value > high
    if bad:
        raise ParameterError(f"{spell(name)} must be {_range(low, high, low_open, high_open)}, "
                             f"got {value!r}", name)
    return value


def check_choice(name: str, value, choices) -> str:
    if value not in choices:
        opts = ", ".join(repr(c) for c in choices)
        raise ParameterError(f"{spell(name)} must be one of {opts}, got {value!r}", name)
    return value


def check_callbacks(callbacks) -> tuple:
    """Epoch callbacks as a tuple: callables ``f(model, stats)`` or objects with
    ``on_epoch_end(model, stats)``; one callback may be given without a sequence."""
    if callable(callbacks) or hasattr(callbacks, "on_epoch_end"):
        callbacks = (callbacks,)
    for cb in callbacks:
        if not (callable(cb) or callable(getattr(cb, "on_epoch_end", None))):
            raise TypeError(f"callback {cb!r} is neither callable nor has on_epoch_end")
    return tuple(callbacks)


_UNITS = {"": 1, "b": 1, "k": 1 << 10, "kb": 1 << 10, "m": 1 << 20, "mb": 1 << 20,
          "g": 1 << 30, "gb": 1 << 30, "t": 1 << 40, "tb": 1 << 40}


def parse_memory(value, name: str = "memory_limit") -> int:
    """Bytes from an int or a string such as ``"512M"``, ``"4G"``, ``"1.5GB"`` (binary units)."""
    if isinstance(value, bool):
        raise ParameterTypeError(f"{spell(name)} must be a number of bytes or a string like "
                                 f"'4G', got {value!r}", name)
    if isinstance(value, numbers.Integral):
        return check_int(name, int(value), 1)
    if isinstance(value, float) and value.is_integer() and value >= 1:
        return int(value)
    if isinstance(value, str):
        m = re.fullmatch(r"\s*([0-9]*\.?[0-9]+)\s*([a-zA-Z]*)\s*", value)
        if m and m.group(2).lower() in _UNITS:
            n = int(float(m.group(1)) * _UNITS[m.group(2).lower()])
            if n >= 1:
                return n
    raise ParameterError(f"{spell(name)} must be a positive number of bytes or a string like "
                         f"'512M' or '4G', got {value!r}", name)


def check_directory(name: str, path) -> str:
    """``path`` as a str if it names an existing directory this process may write in;
    otherwise FileNotFoundError, NotADirectoryError or PermissionError naming ``name``."""
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"{spell(name)} {path} does not exist")
    if not os.path.isdir(path):
        raise NotADirectoryError(f"{spell(name)} {path} is a file, not a directory")
    if not os.access(path, os.W_OK | os.X_OK):
        raise PermissionError(f"{spell(name)} {path} is not writable")
    return path


def _range(low, high, low_open=False, high_open=False) -> str:
    if low is not None and high is not None:
        return f"in {'(' if low_open else '['}{low}, {high}{')' if high_open else ']'}"
    if low is not None:
        return f"{'>' if low_open else '>='} {low}"
    if high is not None:
        return f"{'<' if high_open else '<='} {high}"
    return "finite"

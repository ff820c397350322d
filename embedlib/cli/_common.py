"""What the commands share: the table of option names, user errors, lines on stderr.

The parser is built from the library's own constants, signatures and docstrings: every
argument that sets a Python parameter is registered in one table (:class:`Options`),
from which messages take the option's name (:class:`CommandLineSpelling`). The library
raises its messages already in those terms (see :func:`embedlib._errors.spell`), so the
command line prints them as they are.
"""

from __future__ import annotations

import argparse
import inspect
import os
import re
import shlex
import sys
from contextlib import contextmanager

from .._errors import ParameterTypeError, Spelling, TrainingError

PROG = "embedlib"


class CLIError(Exception):
    """A user error: reported as ``embedlib: error: <message>``, exit status 1."""


# ---------------------------------------------------------------------- options
def dest(name: str) -> str:
    """Where argparse keeps the Python parameter ``name`` (apart from the command's own
    arguments: GloVe's ``output`` is not ``-o/--output``)."""
    return "param_" + name


def option(name: str) -> str:
    """The usual option of a Python parameter: vector_size -> --vector-size."""
    return "--" + name.replace("_", "-")


class Options(dict):
    """The one table: Python parameter -> its command-line option (``"vector_size"`` ->
    ``"--vector-size"``, GloVe's ``"output"`` -> ``"--vectors"``), filled as the parser
    adds the arguments (:meth:`add`), the same in every command."""

    def add(self, group, name: str, flag: str, **kwargs) -> argparse.Action:
        """``group.add_argument(flag, dest=dest(name), **kwargs)``, recorded."""
        if self.setdefault(name, flag) != flag:
            raise ValueError(f"parameter {name} is {self[name]} and {flag} on the command "
                             "line; it must have one option")
        return group.add_argument(flag, dest=dest(name), **kwargs)


class CommandLineSpelling(Spelling):
    """Parameters as options (``--min-count``), values as shell words (``--encoding-errors
    replace``); a parameter without an option keeps its Python spelling."""

    def __init__(self, options: Options):
        self.options = options

    def name(self, param: str) -> str:
        return self.options.get(param, param)

    def value(self, value) -> str:
        return shlex.quote(format(value, "g") if isinstance(value, float) else str(value))

    def assign(self, param: str, value) -> str:
        if param not in self.options:
            return Spelling().assign(param, value)
        return f"{self.options[param]} {self.value(value)}"


def kwdefaults(func) -> dict:
    """Defaults of the keyword parameters of ``func``."""
    return {p.name: p.default for p in inspect.signature(func).parameters.values()
            if p.default is not inspect.Parameter.empty}


_ENTRY = re.compile(r"^(\w+(?:\s*,\s*\w+)*)\s*(?::.*)?$")
_ROLE = re.compile(r":\w+:`(~?)([^`<]*?)(?:\s*<[^>]*>)?`")
_SENTENCE_END = re.compile(r"(?<=[.;])\s+(?=[A-Z])")


def param_docs(*objects) -> dict[str, str]:
    """The description of each parameter in the numpydoc "Parameters" section of the
    docstrings of ``objects`` (the first one that describes it), as plain text: roles and
    literals unmarked, cut to the first sentence if longer than 150 characters. A
    description shared by several parameters ("x_max, alpha : float") is left out."""
    docs: dict[str, str] = {}
    for obj in objects:
        for names, text in _entries(inspect.getdoc(obj) or ""):
            if len(names) == 1 and text and names[0] not in docs:
                text = _ROLE.sub(_role_text, text).replace("``", "")
                docs[names[0]] = (text if len(text) <= 150 else
                                  _SENTENCE_END.split(text, maxsplit=1)[0])
    return docs


def _role_text(m: re.Match) -> str:
    """What Sphinx shows for a role: ``:func:`~a.b``` -> ``b``, ``:class:`a.B``` -> ``a.B``."""
    return m.group(2).rsplit(".", 1)[-1] if m.group(1) else m.group(2)


def _entries(doc: str):
    """(names, description) of each entry of the "Parameters" section of ``doc``."""
    lines = doc.splitlines()
    try:
        start = lines.index("Parameters") + 2
    except ValueError:
        return
    names, text = None, []
    for i in range(start, len(lines) + 1):
        line = lines[i] if i < len(lines) else ""
        if i == len(lines) or (line and not line[0].isspace()):
            if names:
                yield names, " ".join(text)
            header = i + 1 < len(lines) and set(lines[i + 1].strip()) == {"-"}
            m = _ENTRY.match(line)
            if i == len(lines) or header or m is None:     # the end of the section
                return
            names, text = [n.strip() for n in m.group(1).split(",")], []
        elif line.strip():
            text.append(line.strip())


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid int value: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


# ---------------------------------------------------------------------- errors and stderr
def message(exc: BaseException) -> str:
    """What to print for ``exc``: its message (an OSError's file and reason)."""
    if isinstance(exc, KeyError) and exc.args:
        return str(exc.args[0])
    if isinstance(exc, OSError) and exc.strerror and exc.filename is not None \
            and not str(exc).startswith(os.fspath(exc.filename)):
        return f"{exc.filename}: {exc.strerror}"
    return str(exc)


@contextmanager
def reported():
    """The errors a user can cause -- a parameter's value, a file, a corpus, a training
    run that fails -- become a :class:`CLIError` with the message as it was raised."""
    try:
        yield
    except (OSError, ValueError, ParameterTypeError, TrainingError) as e:
        raise CLIError(message(e)) from None


def error(text: str) -> None:
    sys.stdout.flush()
    print(f"{PROG}: error: {text}", file=sys.stderr)


def warn(text: str) -> None:
    print(f"{PROG}: warning: {text}", file=sys.stderr)


def info(text: str) -> None:
    print(text, file=sys.stderr)

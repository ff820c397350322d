"""``python -m embedlib``: the ``embedlib`` command (see :mod:`embedlib.cli`)."""

from .cli import entry

if __name__ == "__main__":
    entry()

"""``python -m embedlib``: the ``embedlib`` command (see :mod:`embedlib.cli`)."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())

"""The ``embedlib`` logger, and warnings that point at the caller's code.

Every module logs to ``logging.getLogger(__name__)``, a child of the ``"embedlib"``
logger, which has only a :class:`logging.NullHandler`: nothing is printed until the
application configures logging (``logging.basicConfig(level=logging.INFO)`` shows what
gensim users expect: vocabulary and corpus sizes, the loss and words/s of each epoch,
the files read and written).

Problems a user should see without configuring anything (a vector file loaded with
non-finite values, words ignored by a query) are :mod:`warnings`, attributed by
:func:`warn` to the first caller outside the package, as a warning of the user's own
code would be.
"""

from __future__ import annotations

import logging
import os
import sys
import warnings

__all__ = ["logger", "warn"]

logger = logging.getLogger("embedlib")
if not any(isinstance(h, logging.NullHandler) for h in logger.handlers):
    logger.addHandler(logging.NullHandler())

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


def warn(message: str, category: type[Warning] = UserWarning) -> None:
    """``warnings.warn(message, category)`` attributed to the innermost frame outside
    embedlib (the user's call), so that the warning names the user's file and line."""
    level = 1
    frame = sys._getframe(1)
    while frame is not None and _inside(frame.f_code.co_filename):
        frame = frame.f_back
        level += 1
    warnings.warn(message, category, stacklevel=level + 1)


def _inside(filename: str) -> bool:
    directory = os.path.dirname(os.path.abspath(filename))
    return directory == _PACKAGE_DIR or directory.startswith(_PACKAGE_DIR + os.sep)

"""Fixtures and helpers shared by several test modules."""

from __future__ import annotations

import numpy as np
import pytest

from embedlib.embeddings import Embeddings


# ====================================================================== vectors, files, data sets
# Used by test_embeddings, test_evaluation, test_formats and test_datasets.

@pytest.fixture
def toy_embeddings() -> Embeddings:
    """Hand-made 3-D vectors: axis 0 = "is a person", axis 1 = "female", axis 2 = "royal".

    king - man + woman = (1,0,1) - (1,0,0) + (1,1,0) = (1,1,1) = queen; "prince" and
    "princess" are decoys near king/queen, "apple" is unrelated. On unit vectors
    king - man + woman = (√2 - 1, 1/√2, 1/√2): cosine 0.975 with queen, 0.946 with
    princess, 0.707 with prince -> queen. queen - king + man points to woman (0.973;
    princess 0.773). man - woman + king is the first target again -> queen.
    """
    words = ["man", "woman", "king", "queen", "prince", "princess", "apple"]
    vectors = [[1, 0, 0], [1, 1, 0], [1, 0, 1], [1, 1, 1], [1, 0, 0.8], [1, 0.8, 0.8], [0, 0, -1]]
    return Embeddings(words, np.array(vectors, dtype=np.float64))


def _leftovers(directory) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


@pytest.fixture
def leftovers():
    """``leftovers(directory)``: the names of the files in ``directory``, sorted, to check
    that a write or a download left no temporary file behind."""
    return _leftovers

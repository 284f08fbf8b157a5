"""The 8x8 handwritten digits that ship inside scikit-learn (1,797 images): a real dataset that
needs no download and trains in seconds."""

import math
from typing import NamedTuple

import numpy

from ..creation import from_numpy
from ..data import TensorDataset

__all__ = ["Split", "digits"]


class Split(NamedTuple):
    """A dataset's training and test parts: ``train, test = ember.datasets.digits()``."""

    train: TensorDataset
    test: TensorDataset


def digits(test_fraction=0.2, seed=0):
    """scikit-learn's digits as ``Split(train, test)`` of :class:`~ember.data.TensorDataset`\\ s
    of ``(features, label)``: 64 pixel features float32 in [0, 1], labels int64 in 0..9.

    The split is stratified (each digit keeps its share in both parts) and the same for the same
    ``seed``: 1,437 training and 360 test images by default.
    """
    try:
        from sklearn.datasets import load_digits
    except ImportError as error:
        raise ImportError(
            "ember.datasets.digits() reads scikit-learn's bundled copy of the "
            "digits: pip install ember[datasets] (or pip install scikit-learn)"
        ) from error
    if not 0 < test_fraction < 1:
        raise ValueError(f"digits: test_fraction must be between 0 and 1, got {test_fraction}")
    bunch = load_digits()
    features = (bunch.data / 16).astype(numpy.float32)  # pixels are counts 0..16
    labels = bunch.target.astype(numpy.int64)
    # Each digit gives its share of the test part; the rounding remainder goes to the digits
    # with the largest fractional shares, so the part's total is ceil(N * test_fraction).
    members = [numpy.flatnonzero(labels == label) for label in range(10)]
    shares = numpy.array([len(m) * test_fraction for m in members])
    counts = numpy.floor(shares).astype(int)
    extra = math.ceil(len(labels) * test_fraction) - counts.sum()  # as scikit-learn rounds
    counts[numpy.argsort(counts - shares, kind="stable")[:extra]] += 1
    rng = numpy.random.default_rng(seed)
    test = [rng.permutation(m)[:count] for m, count in zip(members, counts)]
    is_test = numpy.zeros(len(labels), dtype=bool)
    is_test[numpy.concatenate(test)] = True

    def part(mask):
        dataset = TensorDataset(from_numpy(features[mask]), from_numpy(labels[mask]))
        dataset.classes = [str(d) for d in range(10)]
        return dataset

    return Split(part(~is_test), part(is_test))

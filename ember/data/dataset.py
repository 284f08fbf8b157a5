"""Datasets: anything with ``__getitem__`` and ``__len__`` (map-style, as in PyTorch), plus the
common ways to build one from tensors, take part of one, join several, or split one at random."""

import bisect
import itertools
import math
import warnings

import numpy

from ..creation import randperm
from ..random import default_generator
from ..tensor import Tensor, wrap

__all__ = ["Dataset", "TensorDataset", "Subset", "ConcatDataset", "random_split"]


class Dataset:
    """A map from indices to samples: subclasses define ``__getitem__`` and (for samplers that
    need it) ``__len__``. ``a + b`` joins two datasets into a :class:`ConcatDataset`."""

    def __getitem__(self, index):
        raise NotImplementedError("Subclasses of Dataset should implement __getitem__.")

    def __add__(self, other):
        return ConcatDataset([self, other])


class TensorDataset(Dataset):
    """Sample ``i`` is the tuple ``(t[i] for t in tensors)``; all tensors share their first size."""

    def __init__(self, *tensors):
        for i, t in enumerate(tensors):
            if not isinstance(t, Tensor):
                raise TypeError(
                    f"TensorDataset: argument {i} is a {type(t).__name__}, not a Tensor"
                )
            if t.ndim == 0:
                raise ValueError(f"TensorDataset: tensor {i} is 0-dimensional (it has no samples)")
        sizes = [t.shape[0] for t in tensors]
        if len(set(sizes)) > 1:
            raise ValueError(f"Size mismatch between tensors: first dimensions are {sizes}")
        self.tensors = tensors

    def __getitem__(self, index):
        return tuple(t[index] for t in self.tensors)

    def __len__(self):
        return self.tensors[0].shape[0] if self.tensors else 0

    @property
    def _collated_batch(self):
        return None if _fetches_its_own_way(self, TensorDataset) else self._batch

    def _batch(self, indices):
        """The batch ``default_collate([self[i] for i in indices])`` would make, in one indexing
        op per tensor instead of one per sample (the loader's hot path)."""
        index = numpy.asarray(indices, dtype=numpy.int64)  # a list, or already an int64 array
        # Raw indexing for plain data (most of an epoch's loading time otherwise); through the
        # indexing op, which records a graph, when a tensor requires grad.
        return [t[index] if t._rg else wrap(t._data[index]) for t in self.tensors]


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``, in that order."""

    def __init__(self, dataset, indices):
        self.dataset = dataset
        self.indices = indices

    def __getitem__(self, index):
        if isinstance(index, list):
            return self.dataset[[self.indices[i] for i in index]]
        return self.dataset[self.indices[index]]

    def __getitems__(self, indices):
        if callable(getattr(self.dataset, "__getitems__", None)):
            return self.dataset.__getitems__([self.indices[i] for i in indices])
        return [self.dataset[self.indices[i]] for i in indices]

    def __len__(self):
        return len(self.indices)

    @property
    def _collated_batch(self):
        # Only a subset of a dataset with a batched fast path has one itself.
        inner = getattr(self.dataset, "_collated_batch", None)
        if inner is None or _fetches_its_own_way(self, Subset):
            return None
        return lambda indices: inner([int(self.indices[i]) for i in indices])


def _fetches_its_own_way(dataset, base):
    """Whether ``dataset``'s class replaces how ``base`` fetches samples (``__getitem__`` or
    ``__getitems__``): then the loader must call them, as PyTorch's does, not ``base``'s batched
    fast path."""
    cls = type(dataset)
    own_getitems = getattr(cls, "__getitems__", None) is not getattr(base, "__getitems__", None)
    return cls.__getitem__ is not base.__getitem__ or own_getitems


class ConcatDataset(Dataset):
    """Several datasets one after another."""

    def __init__(self, datasets):
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("datasets should not be an empty iterable")
        self.cumulative_sizes = list(itertools.accumulate(len(d) for d in self.datasets))

    def __len__(self):
        return self.cumulative_sizes[-1]

    def __getitem__(self, index):
        if index < 0:
            if -index > len(self):
                raise ValueError("absolute value of index should not exceed dataset length")
            index += len(self)
        which = bisect.bisect_right(self.cumulative_sizes, index)
        if which == len(self.datasets):
            raise IndexError(f"index {index} is out of range for a dataset of length {len(self)}")
        start = self.cumulative_sizes[which - 1] if which else 0
        return self.datasets[which][index - start]


def random_split(dataset, lengths, generator=default_generator):
    """Split ``dataset`` into non-overlapping :class:`Subset`\\ s of the given ``lengths``, or of
    the given fractions when they sum to 1 (leftover samples go round-robin to the first splits,
    as in PyTorch). Pass a seeded ``ember.Generator`` for the same split every run."""
    lengths = list(lengths)
    n = len(dataset)
    if math.isclose(sum(lengths), 1) and sum(lengths) <= 1:
        counts = []
        for i, fraction in enumerate(lengths):
            if fraction < 0 or fraction > 1:
                raise ValueError(f"Fraction at index {i} is not between 0 and 1")
            counts.append(int(math.floor(n * fraction)))
        for i in range(n - sum(counts)):
            counts[i % len(counts)] += 1
        for i, count in enumerate(counts):
            if count == 0:
                warnings.warn(
                    f"Length of split at index {i} is 0. This might result in an empty dataset.",
                    stacklevel=2,
                )
        lengths = counts
    if any(not isinstance(length, int) or length < 0 for length in lengths):
        raise ValueError(
            f"random_split: lengths must be non-negative integers or fractions "
            f"summing to 1, got {lengths}"
        )
    if sum(lengths) != n:
        raise ValueError(
            f"Sum of input lengths does not equal the length of the input dataset! "
            f"({sum(lengths)} != {n})"
        )
    indices = randperm(n, generator=generator).tolist()
    return [
        Subset(dataset, indices[end - length : end])
        for end, length in zip(itertools.accumulate(lengths), lengths)
    ]

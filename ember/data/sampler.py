"""Samplers: the order in which a loader visits a dataset's indices, and how it groups them into
batches. Random ones draw from an ``ember.Generator`` (the default one when none is given, so
``ember.manual_seed`` makes shuffling repeat)."""

import itertools

import numpy

from ..random import default_generator

__all__ = [
    "Sampler",
    "SequentialSampler",
    "RandomSampler",
    "SubsetRandomSampler",
    "WeightedRandomSampler",
    "BatchSampler",
]


def _rng(generator):
    return (generator or default_generator)._numpy


def _check_flag(name, value, error=ValueError):
    if not isinstance(value, bool):
        raise error(f"{name} should be a boolean value, but got {name}={value!r}")


def _check_positive(name, value):
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"{name} should be a positive integer value, but got {name}={value!r}")


class Sampler:
    """Yields dataset indices; subclasses define ``__iter__`` (and ``__len__`` when known)."""

    def __init__(self, data_source=None):
        pass

    def __iter__(self):
        raise NotImplementedError


class SequentialSampler(Sampler):
    """Indices ``0, 1, ..., len(data_source) - 1``."""

    def __init__(self, data_source):
        self.data_source = data_source

    def __iter__(self):
        return iter(range(len(self.data_source)))

    def _index_arrays(self):
        yield numpy.arange(len(self.data_source))

    def __len__(self):
        return len(self.data_source)


class RandomSampler(Sampler):
    """Indices in random order: a new permutation each pass, or with ``replacement`` independent
    draws. ``num_samples`` beyond the dataset's length chains several permutations."""

    def __init__(self, data_source, replacement=False, num_samples=None, generator=None):
        _check_flag("replacement", replacement, TypeError)  # PyTorch's type, here only
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = num_samples
        self.generator = generator
        _check_positive("num_samples", self.num_samples)  # an empty dataset fails here too

    @property
    def num_samples(self):
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self):
        for indices in self._index_arrays():
            yield from indices.tolist()

    def _index_arrays(self):
        """The draws ``__iter__`` yields from, one array each, each drawn when its first index is
        wanted. As in PyTorch, the last, partial permutation is drawn even when it is empty."""
        n, rng = len(self.data_source), _rng(self.generator)
        if self.replacement:
            yield rng.integers(0, n, self.num_samples)
            return
        for _ in range(self.num_samples // n):
            yield rng.permutation(n)
        yield rng.permutation(n)[: self.num_samples % n]

    def __len__(self):
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """The given ``indices``, in random order."""

    def __init__(self, indices, generator=None):
        self.indices = indices
        self.generator = generator

    def __iter__(self):
        for i in _rng(self.generator).permutation(len(self.indices)).tolist():
            yield self.indices[i]

    def __len__(self):
        return len(self.indices)


class WeightedRandomSampler(Sampler):
    """``num_samples`` indices drawn with probability proportional to ``weights``."""

    def __init__(self, weights, num_samples, replacement=True, generator=None):
        _check_positive("num_samples", num_samples)
        _check_flag("replacement", replacement)
        weights = numpy.asarray(weights, dtype=numpy.float64)
        if (
            weights.ndim != 1
            or not numpy.isfinite(weights).all()
            or (weights < 0).any()
            or weights.sum() <= 0
        ):
            raise ValueError(
                "weights should be a 1-d sequence of non-negative finite numbers "
                f"with a positive sum, got {weights!r}"
            )
        if not replacement and num_samples > numpy.count_nonzero(weights):
            raise RuntimeError(
                "cannot sample n_sample > prob_dist.size(-1) samples without "
                f"replacement ({num_samples} > {numpy.count_nonzero(weights)})"
            )
        self.weights = weights
        self.num_samples = num_samples
        self.replacement = replacement
        self.generator = generator

    def __iter__(self):
        p = self.weights / self.weights.sum()
        draws = _rng(self.generator).choice(len(p), self.num_samples, self.replacement, p)
        yield from draws.tolist()

    def __len__(self):
        return self.num_samples


class BatchSampler(Sampler):
    """Groups the indices of ``sampler`` into lists of ``batch_size``; the last, shorter one is
    dropped when ``drop_last``."""

    def __init__(self, sampler, batch_size, drop_last):
        _check_positive("batch_size", batch_size)
        _check_flag("drop_last", drop_last)
        self.sampler = sampler
        self.batch_size = batch_size
        self.drop_last = drop_last

    def __iter__(self):
        indices = iter(self.sampler)
        while batch := list(itertools.islice(indices, self.batch_size)):  # in C, not per index
            if len(batch) < self.batch_size and self.drop_last:
                return
            yield batch

    def __len__(self):
        n = len(self.sampler)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)


_NO_INDICES = numpy.zeros(0, dtype=numpy.int64)


def index_batches(batch_sampler):
    """The batches of ``batch_sampler`` as int64 arrays, for a loader that indexes whole batches:
    the same indices in the same groups, each random draw made at the same moment as iterating
    ``batch_sampler`` makes it (when its first index is wanted), but slices of the drawn arrays
    instead of a Python int per index. None unless ``batch_sampler`` is a BatchSampler over a
    SequentialSampler or RandomSampler, those very classes (a subclass may change the order)."""
    if type(batch_sampler) is not BatchSampler or type(batch_sampler.sampler) not in (
        SequentialSampler,
        RandomSampler,
    ):
        return None
    arrays = batch_sampler.sampler._index_arrays()
    return _slices(arrays, batch_sampler.batch_size, batch_sampler.drop_last)


def _slices(arrays, size, drop_last):
    """Consecutive ``size``-long runs of the concatenated ``arrays`` (the last one shorter unless
    ``drop_last``), taking the next array only once the batch being built needs it."""
    current, start = _NO_INDICES, 0
    while True:
        if start + size <= len(current):  # the usual batch: one slice (a view)
            batch = current[start : start + size]
            start += size
        else:  # the rest of this array, then more arrays until the batch is full or none is left
            parts, missing = [current[start:]], size - (len(current) - start)
            start = len(current)
            for current in arrays:
                start = min(missing, len(current))
                parts.append(current[:start])
                missing -= start
                if not missing:
                    break
            batch = numpy.concatenate(parts)
            if not len(batch) or (missing and drop_last):
                return
        yield batch

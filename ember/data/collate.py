"""Turning a list of samples into one batch, with PyTorch's ``default_collate`` rules.

Tensors and NumPy arrays are stacked along a new first dimension; Python ints become an int64
tensor, floats a float64 tensor (as in PyTorch, not the default dtype), bools a bool tensor, NumPy
scalars keep their dtype; strings stay a list. Containers are collated field by field: dicts by
key, named tuples by field, other sequences by position (a tuple of fields becomes a list, as in
PyTorch).
"""

import collections.abc
import copy

import numpy

from .. import dtypes
from ..creation import tensor
from ..functions import stack
from ..tensor import Tensor, wrap

__all__ = ["default_collate", "default_convert"]

_ERROR = (
    "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; found {}"
)


def _is_namedtuple(x):
    return isinstance(x, tuple) and hasattr(x, "_fields")


def _numeric_array(array, error):
    if array.dtype.kind in "SaUO":
        raise TypeError(error.format(array.dtype))
    dtypes.from_numpy_dtype(array.dtype)  # a clear error for dtypes ember lacks
    return array


def default_collate(batch):
    """One batch from a list of samples (see the module docstring)."""
    elem = batch[0]
    if isinstance(elem, Tensor):
        return stack(batch, 0)
    if isinstance(elem, numpy.ndarray):
        shapes = {a.shape for a in batch}
        if len(shapes) > 1:
            raise RuntimeError(
                f"stack expects each tensor to be equal size, but got "
                f"{sorted(list(s) for s in shapes)} among the batch's arrays"
            )
        return wrap(_numeric_array(numpy.stack(batch), _ERROR))
    if isinstance(elem, (numpy.bool_, numpy.number, numpy.object_)):
        return wrap(_numeric_array(numpy.array(batch), _ERROR))
    if isinstance(elem, float):
        return tensor(batch, dtype=dtypes.float64)
    if isinstance(elem, int):  # bool too: a batch of bools is a bool tensor
        return tensor(batch)
    if isinstance(elem, (str, bytes)):
        return batch
    if isinstance(elem, collections.abc.Mapping):
        collated = {}
        for key in elem:
            values = []
            for i, sample in enumerate(batch):
                if key not in sample:
                    raise KeyError(
                        f"default_collate: sample {i} has no key {key!r} (sample 0 has it)"
                    )
                values.append(sample[key])
            collated[key] = default_collate(values)
        return _rebuild_mapping(elem, collated)
    if _is_namedtuple(elem):
        return type(elem)(*(default_collate(list(field)) for field in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        size = len(elem)
        for i, sample in enumerate(batch):
            if len(sample) != size:
                raise RuntimeError(
                    f"each element in list of batch should be of equal size "
                    f"(sample 0 has {size}, sample {i} has {len(sample)})"
                )
        fields = [default_collate(list(field)) for field in zip(*batch)]
        return fields if isinstance(elem, tuple) else _rebuild_sequence(elem, fields)
    raise TypeError(_ERROR.format(type(elem)))


def default_convert(data):
    """What a loader without batching (``batch_size=None``) yields: NumPy arrays and scalars
    become tensors, containers are converted inside, everything else is left as it is."""
    if isinstance(data, Tensor):
        return data
    if isinstance(data, numpy.ndarray):
        return data if data.dtype.kind in "SaUO" else wrap(_numeric_array(data, _ERROR))
    if isinstance(data, (numpy.bool_, numpy.number)):
        return wrap(numpy.asarray(data))
    if isinstance(data, collections.abc.Mapping):
        return _rebuild_mapping(data, {key: default_convert(data[key]) for key in data})
    if _is_namedtuple(data):
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, (str, bytes)):
        return _rebuild_sequence(data, [default_convert(d) for d in data])
    return data


def _rebuild_mapping(like, values):
    """``values`` in a mapping of ``like``'s type (an OrderedDict stays one), else a dict."""
    try:
        if isinstance(like, collections.abc.MutableMapping):
            clone = copy.copy(like)  # keeps a subclass's extra state, as PyTorch does
            clone.update(values)
            return clone
        return type(like)(values)
    except TypeError:
        return values


def _rebuild_sequence(like, values):
    try:
        return type(like)(values)
    except TypeError:
        return values

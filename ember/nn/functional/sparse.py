"""Lookups by integer index: ``embedding`` (rows of a weight matrix), ``embedding_bag`` (those
rows reduced per bag) and ``one_hot``."""

import numpy

from ...ops import embedding as E
from ...tensor import apply, wrap
from ._sizes import check_float, check_tensor

__all__ = [
    "embedding",
    "embedding_bag",
    "one_hot",
    "embedding_arguments",
    "embedding_bag_arguments",
]


def _check_indices(input, function, name="indices"):
    check_tensor(input, function, name)
    if input._data.dtype.kind not in "iu":
        raise RuntimeError(
            f"{function}(): expected {name} to be an integer (Long or Int) "
            f"tensor, but got {input.dtype}"
        )


def embedding(
    input,
    weight,
    padding_idx=None,
    max_norm=None,
    norm_type=2.0,
    scale_grad_by_freq=False,
    sparse=False,
):
    """``weight[input]``: one row of ``weight`` (num_embeddings, dim) per index in ``input``.
    The row at ``padding_idx`` gets no gradient; ``max_norm`` renormalizes (in place, without
    gradient) the rows looked up whose norm exceeds it."""
    return apply(
        *embedding_arguments(
            input, weight, padding_idx, max_norm, norm_type, scale_grad_by_freq, sparse
        )
    )


def embedding_arguments(
    input,
    weight,
    padding_idx=None,
    max_norm=None,
    norm_type=2.0,
    scale_grad_by_freq=False,
    sparse=False,
):
    """The embedding op followed by its checked arguments (after any max_norm renormalization)."""
    _check_indices(input, "embedding")
    check_tensor(weight, "embedding", "weight")
    check_float(weight, "embedding", "weight")
    if weight.ndim != 2:
        raise RuntimeError(
            f"embedding(): 'weight' must be 2-D (num_embeddings, embedding_dim), "
            f"got size {list(weight.shape)}"
        )
    if sparse:
        raise RuntimeError(
            "embedding(): sparse gradients are not supported by ember; use sparse=False"
        )
    rows = weight.shape[0]
    if padding_idx is not None:
        if not -rows <= padding_idx < rows:
            raise AssertionError("Padding_idx must be within num_embeddings")
        padding_idx %= rows
    indices = input._data
    if indices.size and (indices.min() < 0 or indices.max() >= rows):
        bad = indices.min() if indices.min() < 0 else indices.max()
        raise IndexError(
            f"embedding(): index out of range in self: index {int(bad)} with {rows} embeddings"
        )
    if max_norm is not None:
        _renormalize(weight, indices, max_norm, norm_type)
    return E.embedding, weight, indices, padding_idx, bool(scale_grad_by_freq)


def _renormalize(weight, indices, max_norm, norm_type):
    # PyTorch's embedding_renorm_: rows used in this batch whose norm exceeds max_norm are scaled
    # down in place, outside autograd.
    used = numpy.unique(indices)
    rows = weight._data[used]
    norms = numpy.linalg.norm(rows, ord=norm_type, axis=1)
    scale = numpy.where(norms > max_norm, max_norm / (norms + 1e-7), 1).astype(rows.dtype)
    weight._data[used] = rows * scale[:, None]
    weight._vc[0] += 1


def one_hot(tensor, num_classes=-1):
    """int64 ``(*tensor.shape, num_classes)`` with a 1 at each index; ``num_classes=-1`` takes
    the largest index + 1."""
    check_tensor(tensor, "one_hot", "tensor")
    if tensor._data.dtype != numpy.int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    values = tensor._data
    if values.size and values.min() < 0:
        raise RuntimeError("one_hot(): class values must be non-negative.")
    if num_classes == -1:
        if values.size == 0:
            raise RuntimeError(
                "one_hot(): can not infer total number of classes from empty tensor."
            )
        num_classes = int(values.max()) + 1
    elif values.size and values.max() >= num_classes:
        raise RuntimeError(
            f"one_hot(): class values must be smaller than num_classes "
            f"({num_classes}), got {int(values.max())}."
        )
    out = numpy.zeros(values.shape + (num_classes,), numpy.int64)
    numpy.put_along_axis(out, values[..., None].astype(numpy.int64), 1, axis=-1)
    return wrap(out)


def embedding_bag(
    input,
    weight,
    offsets=None,
    max_norm=None,
    norm_type=2,
    scale_grad_by_freq=False,
    mode="mean",
    sparse=False,
    per_sample_weights=None,
    include_last_offset=False,
    padding_idx=None,
):
    """One row per bag: the sum, mean or max of the ``weight`` rows its indices pick. Bags are the
    rows of a 2-D ``input``, or slices of a 1-D ``input`` starting at ``offsets``."""
    return apply(
        *embedding_bag_arguments(
            input,
            weight,
            offsets,
            max_norm,
            norm_type,
            scale_grad_by_freq,
            mode,
            sparse,
            per_sample_weights,
            include_last_offset,
            padding_idx,
        )
    )


def embedding_bag_arguments(
    input,
    weight,
    offsets=None,
    max_norm=None,
    norm_type=2,
    scale_grad_by_freq=False,
    mode="mean",
    sparse=False,
    per_sample_weights=None,
    include_last_offset=False,
    padding_idx=None,
):
    """The embedding-bag op followed by its checked arguments: the flat indices, each one's bag,
    the number of bags, which indices count (not padding_idx), room for max's winners, and how
    often each index occurs (for scale_grad_by_freq). ``max_norm`` first renormalizes, in place
    and without gradient, the rows the input names whose norm exceeds it."""
    check_tensor(input, "embedding_bag")
    check_tensor(weight, "embedding_bag", "weight")
    if weight.ndim != 2:
        raise ValueError(f"weight has to be a 2D Tensor, but got Tensor of dimension {weight.ndim}")
    if input.ndim == 2:
        if offsets is not None:
            raise ValueError(
                "if input is 2D, then offsets has to be None, as input is treated is a mini-batch "
                "of fixed length sequences. However, found offsets of type "
                f"{type(offsets)}"
            )
        n_bags, length = input.shape
        starts = numpy.arange(n_bags) * length
    elif input.ndim == 1:
        if offsets is None or offsets.ndim != 1:
            raise ValueError(f"offsets has to be a 1D Tensor but got {offsets}")
        starts = offsets._data.astype(numpy.int64)
        if starts.size and starts[0] != 0:
            raise RuntimeError(
                "offsets[0] has to be 0, i.e., the first sequence in the mini-batch has to start "
                f"from position 0. However, got {starts[0]}"
            )
        if (numpy.diff(starts) < 0).any() or (starts.size and starts[-1] > input.shape[0]):
            raise RuntimeError("embedding_bag: offsets must be non-decreasing and within input")
        if include_last_offset:
            starts = starts[:-1]
        n_bags = starts.size
    else:
        raise ValueError(
            f"input has to be 1D or 2D Tensor, but got Tensor of dimension {input.ndim}"
        )
    if input._data.dtype.kind not in "iu":
        raise RuntimeError(
            "Expected tensor for argument #1 'indices' to have one of the following scalar types: "
            f"Long, Int; but got {input.dtype} instead (while checking arguments for "
            "embedding_bag)"
        )
    if mode not in ("sum", "mean", "max"):
        raise ValueError("mode has to be one of sum, mean or max")
    if mode == "max" and scale_grad_by_freq:
        raise ValueError("max mode does not support scaling the gradient by the frequency")
    if mode == "max" and sparse:
        raise ValueError("max mode does not support sparse weights")
    if sparse:
        raise NotImplementedError(
            "embedding_bag(): sparse gradients are not supported by ember; use sparse=False"
        )
    if per_sample_weights is not None:
        check_tensor(per_sample_weights, "embedding_bag", "per_sample_weights")
        if mode != "sum":
            raise NotImplementedError(
                "embedding_bag: per_sample_weights was not None. per_sample_weights is only "
                f"supported for mode='sum' (got mode='{mode}'). Please open a feature request "
                "on GitHub."
            )
        if tuple(per_sample_weights.shape) != tuple(input.shape):
            raise ValueError(
                f"embedding_bag: If per_sample_weights ({per_sample_weights.shape}) is not None, "
                f"then it must have the same shape as the input ({input.shape})"
            )
        per_sample_weights = per_sample_weights.reshape(-1)
    indices = input._data.reshape(-1).astype(numpy.int64)
    rows = weight.shape[0]
    bad = numpy.flatnonzero((indices < 0) | (indices >= rows))
    if bad.size:
        raise RuntimeError(
            f"Index {bad[0]} of input takes value {indices[bad[0]]} which is not in the valid "
            f"range [0, {rows})"
        )
    if max_norm is not None:  # every row the input names, padding and all, as PyTorch
        _renormalize(weight, indices, max_norm, norm_type)
    frequency = None
    if scale_grad_by_freq:
        frequency = numpy.bincount(indices, minlength=rows)[indices].astype(numpy.float64)
    # index i belongs to the last bag starting at or before it
    bags = numpy.searchsorted(starts, numpy.arange(indices.size), side="right") - 1
    inside = bags >= 0  # with include_last_offset, indices past the last bag belong to none
    if padding_idx is not None:
        padding_idx %= rows
    kept = inside & (indices != padding_idx)
    bags = numpy.maximum(bags, 0)
    winners = numpy.empty((n_bags, weight.shape[1]), numpy.int64)
    return (
        E.embedding_bag,
        weight,
        indices,
        bags,
        n_bags,
        mode,
        per_sample_weights,
        kept,
        winners,
        frequency,
    )

"""Lookups by integer index: ``embedding`` (rows of a weight matrix) and ``one_hot``."""

import numpy

from ...ops import embedding as E
from ...tensor import apply, wrap
from ._sizes import check_float, check_tensor

__all__ = ["embedding", "one_hot", "embedding_arguments"]


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
            raise ValueError(
                f"embedding(): padding_idx must be within num_embeddings "
                f"({rows}), got {padding_idx}"
            )
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
    _check_indices(tensor, "one_hot", "tensor")
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

"""``dropout``: zero each element with probability ``p`` and scale the rest by ``1 / (1 - p)``,
so the expected value is unchanged; the gradient is the same mask (a MulBackward0 node)."""

import numpy

from ...functions import inplace as _inplace
from ...ops import elementwise as E
from ...random import default_generator
from ...tensor import Tensor, apply

__all__ = ["dropout", "dropout_mask"]


def dropout_mask(input, p):
    """The array dropout multiplies by: 0 with probability ``p``, else ``1 / (1 - p)``."""
    dtype = input._data.dtype
    if p == 1:
        return numpy.zeros(input._data.shape, dtype)
    draw_dtype = dtype if dtype in (numpy.float32, numpy.float64) else numpy.float64
    keep = default_generator._numpy.random(input._data.shape, dtype=draw_dtype) >= p
    return keep * numpy.asarray(1 / (1 - p), dtype)


def check_probability(p):
    if not 0 <= p <= 1:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def dropout(input, p=0.5, training=True, inplace=False):
    """During training, ``input * mask`` (see :func:`dropout_mask`); otherwise ``input``."""
    check_probability(p)
    if not isinstance(input, Tensor):
        raise TypeError(f"dropout(): input must be a Tensor, got {type(input).__name__}")
    if not training or p == 0:
        return input
    return masked(input, dropout_mask(input, p), inplace)


def masked(input, mask, inplace=False):
    """``input * mask`` for a constant ``mask`` array, recorded as one MulBackward0 node."""
    if inplace:
        return _inplace(input, lambda before: apply(E.BINARY["mul"], before, mask))
    return apply(E.BINARY["mul"], input, mask)

"""Channel dropout: ``dropout1d``, ``dropout2d``, ``dropout3d`` zero whole channels (every position
of one sample's channel at once) with probability ``p``, scaling the rest by ``1 / (1 - p)``;
and :func:`keep_mask`, the random mask of any shape they and attention dropout multiply by.

Neighbouring positions of a feature map are strongly correlated, so dropping single elements
barely regularizes a convolution; dropping a channel does. The gradient is the same mask
(``MulBackward0``), as for :func:`ember.nn.functional.dropout`.
"""

import warnings

import numpy

from ...random import default_generator
from ._sizes import check_tensor
from .dropout import check_probability, masked

__all__ = ["dropout1d", "dropout2d", "dropout3d", "keep_mask"]


def keep_mask(shape, p, dtype, generator=None):
    """A NumPy array of ``shape``: ``1 / (1 - p)`` with probability ``1 - p``, else 0."""
    if p >= 1:
        return numpy.zeros(shape, dtype)
    rng = (generator or default_generator)._numpy
    draw = dtype if dtype in (numpy.float32, numpy.float64) else numpy.float64
    return (rng.random(shape, dtype=draw) >= p) * numpy.asarray(1 / (1 - p), dtype)


def _channel_dropout(function, spatial, input, p, training, inplace):
    check_tensor(input, function)
    check_probability(p)
    if input.ndim not in (spatial + 1, spatial + 2):
        warnings.warn(
            f"{function}: received a {input.ndim}-D input; it expects "
            f"{spatial + 1}-D or {spatial + 2}-D input (channels, {spatial} spatial "
            "dims, optional batch)",
            stacklevel=3,
        )
    if not training or p == 0:
        return input
    if input.ndim < 2:
        raise RuntimeError(f"{function}: expected at least 2D input, got {input.ndim}D")
    # One draw per (sample, channel); an unbatched (C, *spatial) input has one per channel.
    # A 3-D input to dropout2d is read as (N, C, L), as PyTorch does.
    shape = tuple(input.shape[:2]) + (1,) * (input.ndim - 2)
    if input.ndim == spatial + 1 and function != "dropout2d":
        shape = (input.shape[0],) + (1,) * (input.ndim - 1)
    return masked(input, keep_mask(shape, p, input._data.dtype), inplace)


def dropout1d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels of (N, C, L) or (C, L) with probability ``p``."""
    return _channel_dropout("dropout1d", 1, input, p, training, inplace)


def dropout2d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels of (N, C, H, W) with probability ``p``."""
    return _channel_dropout("dropout2d", 2, input, p, training, inplace)


def dropout3d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels of (N, C, D, H, W) or (C, D, H, W) with probability ``p``."""
    return _channel_dropout("dropout3d", 3, input, p, training, inplace)

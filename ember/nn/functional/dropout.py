"""``dropout``: zero each element with probability ``p`` and scale the rest by ``1 / (1 - p)``,
so the expected value is unchanged; the gradient is the same mask (a MulBackward0 node)."""

import math

import numpy

from ...functions import inplace as _inplace
from ...ops import elementwise as E
from ...random import default_generator
from ...tensor import Tensor, apply

__all__ = [
    "dropout",
    "dropout_mask",
    "alpha_dropout",
    "feature_alpha_dropout",
    "alpha_noise",
    "alpha_affine",
]


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


# SELU's saturation value -scale * alpha: alpha dropout sets dropped units to it (not 0), since
# SELU's outputs rest near it, then an affine map restores zero mean and unit variance.
_SELU_FLOOR = 1.7580993408473766


def alpha_noise(input, p, feature):
    """The arrays ``(a, b)`` alpha dropout maps ``input`` by (``input * a + b``; ``b`` None for
    ``p = 1``, where PyTorch returns ``input * 0``). With ``keep`` Bernoulli(1 - p), drawn per
    element or (``feature``) per sample and channel, ``a = keep * s`` and
    ``b = (keep - 1) * floor * s + floor * s * p``, where ``s`` restores unit variance."""
    dtype = input._data.dtype
    shape = input._data.shape
    if feature:
        if input.ndim < 2:
            raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
        shape = shape[:2] + (1,) * (input.ndim - 2)
    if p == 1:
        return numpy.zeros((), dtype), None
    draw_dtype = dtype if dtype in (numpy.float32, numpy.float64) else numpy.float64
    keep = (default_generator._numpy.random(shape, dtype=draw_dtype) >= p).astype(dtype)
    s = 1 / math.sqrt((_SELU_FLOOR**2 * p + 1) * (1 - p))
    shift = (keep - 1) * dtype.type(_SELU_FLOOR * s) + dtype.type(_SELU_FLOOR * s * p)
    return keep * dtype.type(s), shift


def alpha_affine(input, a, b, inplace=False):
    """``input * a + b`` (MulBackward0 then AddBackward0, as PyTorch records it)."""

    def affine(x):
        x = apply(E.BINARY["mul"], x, a)
        return x if b is None else apply(E.BINARY["add"], x, b)

    return _inplace(input, affine) if inplace else affine(input)


def _alpha_dropout(input, p, training, inplace, feature):
    if not 0 <= p <= 1:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not isinstance(input, Tensor):
        raise TypeError(f"alpha_dropout(): input must be a Tensor, got {type(input).__name__}")
    if not training or p == 0 or input.numel() == 0:
        return input
    return alpha_affine(input, *alpha_noise(input, p, feature), inplace)


def alpha_dropout(input, p=0.5, training=False, inplace=False):
    """Dropout for SELU networks: keeps zero mean and unit variance (see :func:`alpha_noise`)."""
    return _alpha_dropout(input, p, training, inplace, False)


def feature_alpha_dropout(input, p=0.5, training=False, inplace=False):
    """:func:`alpha_dropout` of whole channels: one draw per (sample, channel)."""
    return _alpha_dropout(input, p, training, inplace, True)

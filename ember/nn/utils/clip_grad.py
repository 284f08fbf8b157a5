"""Gradient clipping: rescale all gradients together when their joint norm is too large, or clamp
each gradient value, in place (as ``torch.nn.utils`` does, outside autograd)."""

import math
import types
import warnings

import numpy

from ...dtypes import get_default_dtype
from ...tensor import Tensor, wrap

__all__ = ["clip_grad_norm_", "clip_grad_value_", "clip_grads_with_norm_", "get_total_norm"]


def _as_list(tensors):
    return [tensors] if isinstance(tensors, Tensor) else list(tensors)


def _vector_norm(array, norm_type):
    """The p-norm of ``array`` seen as one vector, as a 0-d array of its dtype."""
    if array.size == 0:
        return numpy.zeros((), array.dtype)
    if norm_type == 2.0:
        flat = array.ravel()
        return numpy.sqrt(numpy.dot(flat, flat))
    magnitude = numpy.abs(array)
    if norm_type == math.inf:
        return magnitude.max()
    if norm_type == -math.inf:
        return magnitude.min()
    if norm_type == 0.0:
        return numpy.asarray(numpy.count_nonzero(array), array.dtype)
    if norm_type == 1.0:
        return magnitude.sum()
    return (magnitude**norm_type).sum() ** (1.0 / norm_type)


def get_total_norm(tensors, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """The ``norm_type``-norm of all ``tensors`` together, as if concatenated into one vector
    (``inf`` for the largest magnitude). ``foreach`` is accepted for PyTorch's signature."""
    arrays = [t._data for t in _as_list(tensors)]
    norm_type = float(norm_type)
    if not arrays:
        return wrap(numpy.zeros((), get_default_dtype().numpy))
    with numpy.errstate(over="ignore", invalid="ignore"):  # inf and NaN norms are reported
        norms = numpy.stack([_vector_norm(a, norm_type) for a in arrays])
        total = numpy.asarray(_vector_norm(norms, norm_type))
    if error_if_nonfinite and not numpy.isfinite(total):
        raise RuntimeError(
            f"The total norm of order {norm_type} for gradients from `parameters` is "
            "non-finite, so it cannot be clipped. To disable this error and scale the "
            "gradients by the non-finite norm anyway, set `error_if_nonfinite=False`"
        )
    return wrap(total)


def clip_grads_with_norm_(parameters, max_norm, total_norm, foreach=None):
    """Scale the parameters' gradients by ``min(max_norm / (total_norm + 1e-6), 1)``."""
    grads = [p._grad for p in _as_list(parameters) if p._grad is not None]
    if not grads:
        return
    total = total_norm._data if isinstance(total_norm, Tensor) else numpy.asarray(total_norm)
    # multiply even by a coefficient of 1, as PyTorch does (NaN and inf norms propagate alike)
    coefficient = numpy.minimum(float(max_norm) / (total + 1e-6), 1.0)
    with numpy.errstate(invalid="ignore"):  # inf * 0 makes NaN, as in PyTorch, silently
        for grad in grads:
            numpy.multiply(grad._data, coefficient, out=grad._data)
            grad._vc[0] += 1


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """Rescale the gradients of ``parameters`` in place so that their joint ``norm_type``-norm
    is at most ``max_norm``; returns that norm before clipping (a 0-d tensor)."""
    is_generator = isinstance(parameters, types.GeneratorType)
    parameters = _as_list(parameters)
    if is_generator and not parameters:
        warnings.warn(
            "`parameters` is an empty generator, no gradient clipping will occur.", stacklevel=2
        )
    grads = [p._grad for p in parameters if p._grad is not None]
    total_norm = get_total_norm(grads, norm_type, error_if_nonfinite)
    clip_grads_with_norm_(parameters, max_norm, total_norm)
    return total_norm


def clip_grad_value_(parameters, clip_value, foreach=None):
    """Clamp every gradient value of ``parameters`` into ``[-clip_value, clip_value]``, in place."""
    clip_value = float(clip_value)
    for p in _as_list(parameters):
        if p._grad is not None:
            numpy.clip(p._grad._data, -clip_value, clip_value, out=p._grad._data)
            p._grad._vc[0] += 1

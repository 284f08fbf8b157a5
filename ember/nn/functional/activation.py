"""Activation functions. Each is one op of :mod:`ember.ops` (its forward and VJP side by side);
here are PyTorch's arguments, the in-place forms and the errors."""

import warnings

import numpy

from ... import functions as _functions
from ...ops import elementwise as E
from ...ops import layers as _layers
from ...ops import renamed
from ...random import default_generator
from ...tensor import Tensor, apply, wrap
from ._sizes import check_tensor

__all__ = [
    "relu",
    "relu_",
    "leaky_relu",
    "leaky_relu_",
    "prelu",
    "elu",
    "elu_",
    "gelu",
    "silu",
    "softplus",
    "hardtanh",
    "relu6",
    "hardsigmoid",
    "hardswish",
    "logsigmoid",
    "mish",
    "selu",
    "celu",
    "softsign",
    "tanhshrink",
    "glu",
    "sigmoid",
    "tanh",
    "softmax",
    "log_softmax",
    "softmin",
    "gumbel_softmax",
]

sigmoid = _functions.sigmoid
tanh = _functions.tanh
softmax = _functions.softmax
log_softmax = _functions.log_softmax


def floating(input, name):
    """Check that ``input`` is a floating-point tensor, with an error naming ``name``."""
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}(): argument 'input' must be a Tensor, not {type(input).__name__}")
    if not input.is_floating_point():
        raise RuntimeError(f"{name}(): expected a floating point tensor, got {input.dtype}")
    return input


def _in_place(input, op, *constants):
    return _functions.inplace(input, lambda before: apply(op, before, *constants))


def relu(input, inplace=False):
    if not isinstance(input, Tensor):
        raise TypeError(f"relu(): argument 'input' must be a Tensor, not {type(input).__name__}")
    return input.relu_() if inplace else _functions.relu(input)


def relu_(input):
    return relu(input, inplace=True)


def leaky_relu(input, negative_slope=0.01, inplace=False):
    floating(input, "leaky_relu")
    if inplace:
        if negative_slope < 0:
            raise RuntimeError(
                "In-place leakyReLu backward calculation is triggered with a "
                "negative slope which is not supported."
            )
        return _in_place(input, E.PARAMETRIC["leaky_relu"], negative_slope)
    return apply(E.PARAMETRIC["leaky_relu"], input, negative_slope)


def leaky_relu_(input, negative_slope=0.01):
    return leaky_relu(input, negative_slope, inplace=True)


def prelu(input, weight):
    """``input`` where positive, else ``weight * input``; ``weight`` holds one slope per channel
    (dim 1 of ``input``) or a single slope for every element."""
    return apply(*prelu_arguments(input, weight))


def prelu_arguments(input, weight):
    """The prelu op followed by its checked arguments."""
    floating(input, "prelu")
    if not isinstance(weight, Tensor):
        raise TypeError(f"prelu(): argument 'weight' must be a Tensor, not {type(weight).__name__}")
    if weight.ndim > 1:
        raise RuntimeError(
            f"prelu: Expected `weight` to be a scalar or 1D tensor, but got: ndim = {weight.ndim}"
        )
    if input.ndim == 0 and weight.numel() > 1:
        raise RuntimeError("Not allow zero-dim input tensor.")
    channels = input.shape[1] if input.ndim >= 2 else 1
    if weight.numel() != 1 and weight.numel() != channels:
        raise RuntimeError(
            "Mismatch of parameter numbers and input channel size. Found parameter numbers = "
            f"{weight.numel()} and channel size = {channels}."
        )
    return _layers.prelu, input, weight


def elu(input, alpha=1.0, inplace=False):
    floating(input, "elu")
    if inplace:
        if alpha < 0:
            raise RuntimeError(
                "In-place elu backward calculation is triggered with a negative "
                "slope which is not supported."
            )
        return _in_place(input, E.PARAMETRIC["elu"], alpha)
    return apply(E.PARAMETRIC["elu"], input, alpha)


def elu_(input, alpha=1.0):
    return elu(input, alpha, inplace=True)


def gelu(input, approximate="none"):
    floating(input, "gelu")
    if approximate not in ("none", "tanh"):
        raise RuntimeError(f"approximate argument must be either none or tanh, got '{approximate}'")
    return apply(E.PARAMETRIC["gelu"], input, approximate)


def silu(input, inplace=False):
    floating(input, "silu")
    if inplace:
        return _in_place(input, E.UNARY["silu"])
    return _functions.silu(input)


def softplus(input, beta=1.0, threshold=20.0):
    floating(input, "softplus")
    return apply(E.PARAMETRIC["softplus"], input, beta, threshold)


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    floating(input, "hardtanh")
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    if inplace:
        return _in_place(input, E.PARAMETRIC["hardtanh"], min_val, max_val)
    return apply(E.PARAMETRIC["hardtanh"], input, min_val, max_val)


def relu6(input, inplace=False):
    return hardtanh(input, 0.0, 6.0, inplace)


def _unary(name):
    op = E.UNARY[name]

    def function(input, inplace=False):
        floating(input, name)
        return _in_place(input, op) if inplace else apply(op, input)

    function.__name__ = name
    return function


hardsigmoid = _unary("hardsigmoid")
hardswish = _unary("hardswish")
mish = _unary("mish")


def logsigmoid(input):
    floating(input, "logsigmoid")
    return apply(E.UNARY["logsigmoid"], input)


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946
_CELU = renamed(E.PARAMETRIC["scaled_elu"], "CeluBackward0")


def selu(input, inplace=False):
    floating(input, "selu")
    constants = (_SELU_ALPHA, _SELU_SCALE, 1.0)
    if inplace:
        return _in_place(input, E.PARAMETRIC["scaled_elu"], *constants)
    return apply(E.PARAMETRIC["scaled_elu"], input, *constants)


def celu(input, alpha=1.0, inplace=False):
    floating(input, "celu")
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError: alpha of celu must not be 0")
    constants = (alpha, 1.0, 1.0 / alpha)
    return _in_place(input, _CELU, *constants) if inplace else apply(_CELU, input, *constants)


def softsign(input):
    return input / (input.abs() + 1)


def tanhshrink(input):
    return input - input.tanh()


def glu(input, dim=-1):
    """The first half of ``input`` along ``dim`` gated by the sigmoid of the second half."""
    if input.ndim == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    n = input.shape[dim]
    if n % 2:
        raise RuntimeError(f"Halving dimension must be even, but dimension {dim} is size {n}")
    a, b = input.chunk(2, dim)
    return a * b.sigmoid()


def softmin(input, dim=None, _stacklevel=3, dtype=None):
    """``softmax(-input)`` along ``dim`` (negated before any ``dtype`` cast, as PyTorch does)."""
    if dim is None:
        warnings.warn(
            "Implicit dimension choice for softmin has been deprecated. "
            "Change the call to include dim=X as an argument.",
            stacklevel=_stacklevel,
        )
        dim = 0 if input.ndim in (0, 1, 3) else 1
    return _functions.softmax(-input, dim, dtype)


def gumbel_softmax(logits, tau=1, hard=False, eps=1e-10, dim=-1):
    """A sample of the Gumbel-softmax distribution: ``softmax((logits + g) / tau)`` with Gumbel
    noise ``g = -log(Exponential(1))``. ``hard=True`` returns the one-hot of the sample's argmax
    whose gradient is the soft sample's (the straight-through estimator)."""
    if eps != 1e-10:
        warnings.warn("`eps` parameter is deprecated and has no effect.", stacklevel=2)
    check_tensor(logits, "gumbel_softmax", "logits")
    dtype = logits._data.dtype
    noise = -numpy.log(default_generator._numpy.standard_exponential(logits._data.shape))
    soft = _functions.softmax((logits + wrap(noise.astype(dtype))) / tau, dim)
    if not hard:
        return soft
    axis = dim % soft.ndim
    index = numpy.expand_dims(soft._data.argmax(axis), axis)
    one_hot = numpy.zeros_like(soft._data)
    numpy.put_along_axis(one_hot, index, 1, axis)
    return wrap(one_hot) - soft.detach() + soft

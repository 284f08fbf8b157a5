"""Activation functions. Each is one op of :mod:`ember.ops` (its forward and VJP side by side);
here are PyTorch's arguments, the in-place forms and the errors."""

from ... import functions as _functions
from ...ops import elementwise as E
from ...tensor import Tensor, apply

__all__ = [
    "relu",
    "relu_",
    "leaky_relu",
    "leaky_relu_",
    "elu",
    "elu_",
    "gelu",
    "silu",
    "softplus",
    "sigmoid",
    "tanh",
    "softmax",
    "log_softmax",
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

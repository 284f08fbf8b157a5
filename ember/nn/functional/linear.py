"""``linear``: ``input @ weight^T + bias``, one graph node (its op: :mod:`ember.ops.layers`)."""

from ...ops import layers as _layers
from ...tensor import apply

__all__ = ["linear"]

_DTYPE_NAMES = {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long"}


def linear(input, weight, bias=None):
    """``y = x W^T + b`` over the last dim of ``input``; ``weight`` is ``(out, in)``."""
    try:
        x, w = input._data, weight._data
        b = None if bias is None else bias._data
    except AttributeError:
        raise TypeError(
            "linear(): input, weight and bias must be Tensors, got "
            f"{type(input).__name__}, {type(weight).__name__} and "
            f"{type(bias).__name__}"
        ) from None
    # One test on the hot path; the error that names the problem is worked out only on failure.
    if (
        w.ndim != 2
        or x.ndim == 0
        or x.shape[-1] != w.shape[1]
        or x.dtype != w.dtype
        or (b is not None and (b.shape != w.shape[:1] or b.dtype != w.dtype))
    ):
        _explain(input, weight, bias)
    if bias is None:
        return apply(_layers.linear_no_bias, input, weight, None)
    return apply(_layers.linear, input, weight, bias)


def _explain(input, weight, bias):
    if weight.ndim != 2:
        raise RuntimeError(
            f"linear(): weight must be 2-D (out_features, in_features), got "
            f"shape {list(weight.shape)}"
        )
    if input.ndim == 0 or input.shape[-1] != weight.shape[1]:
        rows = 1
        for n in input.shape[:-1]:
            rows *= n
        cols = input.shape[-1] if input.ndim else 1
        raise RuntimeError(
            f"mat1 and mat2 shapes cannot be multiplied ({rows}x{cols} and "
            f"{weight.shape[1]}x{weight.shape[0]})"
        )
    if input.dtype != weight.dtype:
        raise RuntimeError(
            f"mat1 and mat2 must have the same dtype, but got {_name(input)} and {_name(weight)}"
        )
    if tuple(bias.shape) != (weight.shape[0],):
        raise RuntimeError(
            f"linear(): bias must have shape [{weight.shape[0]}] (out_features), "
            f"got {list(bias.shape)}"
        )
    raise RuntimeError(f"linear(): bias is {_name(bias)} but weight is {_name(weight)}")


def _name(t):
    return _DTYPE_NAMES.get(t.dtype.name, t.dtype.name)

"""``linear``: ``input @ weight^T + bias``, and ``bilinear``: ``x1^T W[o] x2 + bias[o]``; each one
graph node (their ops: :mod:`ember.ops.layers`)."""

from ...dtypes import SCALAR_TYPE_NAMES
from ...ops import layers as _layers
from ...tensor import apply
from ._sizes import check_tensor

__all__ = ["linear", "bilinear", "bilinear_arguments"]


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
    return SCALAR_TYPE_NAMES[t.dtype.name]


def bilinear(input1, input2, weight, bias=None):
    """``y[..., o] = input1[..., i] weight[o, i, j] input2[..., j] + bias[o]``."""
    return apply(*bilinear_arguments(input1, input2, weight, bias))


def bilinear_arguments(input1, input2, weight, bias=None):
    """The bilinear op followed by its checked arguments (PyTorch's checks, in its order)."""
    for name, t in (("input1", input1), ("input2", input2), ("weight", weight)):
        check_tensor(t, "bilinear", name)
    if bias is not None:
        check_tensor(bias, "bilinear", "bias")
    named = [("input1", input1), ("input2", input2), ("weight", weight)]
    if bias is not None:
        named.append(("bias", bias))
    if len({t.dtype for _, t in named}) > 1:
        raise RuntimeError(
            "All tensors must have the same dtype, got "
            + ", ".join(f"{n}: {_C_NAMES.get(t.dtype.name, t.dtype.name)}" for n, t in named)
        )
    if input1.ndim != input2.ndim:
        raise RuntimeError(
            f"bilinear(): input dimensions do not match: got {input1.ndim} and {input2.ndim}"
        )
    for dim, (a, b) in enumerate(zip(input1.shape[:-1], input2.shape[:-1])):
        if a != b:
            raise RuntimeError(
                f"bilinear(): input batch dimensions do not match at dim {dim}: got {a} and {b}"
            )
    if weight.ndim != 3:
        raise RuntimeError(
            f"bilinear(): weight must be 3-D (out, in1, in2), got shape {list(weight.shape)}"
        )
    for name, size, expected in (
        ("input1", input1.shape[-1], weight.shape[1]),
        ("input2", input2.shape[-1], weight.shape[2]),
        ("bias", None if bias is None else bias.shape[0] if bias.ndim else 1, weight.shape[0]),
    ):
        if size is not None and size != expected:
            raise RuntimeError(
                f"bilinear(): {name} size does not match weight size: got {size} but "
                f"expected {expected}"
            )
    if bias is None:
        return _layers.bilinear_no_bias, input1, input2, weight, None
    return _layers.bilinear, input1, input2, weight, bias


_C_NAMES = {"float32": "float", "float64": "double", "float16": "c10::Half"}

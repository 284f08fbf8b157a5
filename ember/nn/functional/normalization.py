"""Normalization: ``batch_norm``, ``layer_norm``, ``group_norm``, ``rms_norm``,
``local_response_norm``.

The fused forward and closed-form backward are in :mod:`ember.ops.norm`; here are PyTorch's
arguments, the running statistics' bookkeeping and the errors.
"""

import numpy

from ...ops import norm as N
from ...tensor import apply
from ._sizes import check_float, check_tensor
from .padding import pad
from .pooling import avg_pool2d

__all__ = [
    "batch_norm",
    "layer_norm",
    "group_norm",
    "rms_norm",
    "instance_norm",
    "local_response_norm",
    "batch_norm_arguments",
    "layer_norm_arguments",
    "group_norm_arguments",
    "rms_norm_arguments",
    "updated",
]


def _parameter(value, name, function, size=None):
    if value is None:
        return None
    check_tensor(value, function, name)
    if size is not None and tuple(value.shape) != tuple(size):
        raise RuntimeError(
            f"{function}: expected {name} of size {list(size)}, got {list(value.shape)}"
        )
    return value


def batch_norm(
    input,
    running_mean,
    running_var,
    weight=None,
    bias=None,
    training=False,
    momentum=0.1,
    eps=1e-05,
):
    """Normalize each channel of (N, C, ...) by its batch statistics (``training``) or by the
    running ones. In training the running statistics are updated in place:
    ``running = (1 - momentum) * running + momentum * batch`` (the variance unbiased)."""
    op, args = batch_norm_arguments(
        input, running_mean, running_var, weight, bias, training, momentum, eps
    )
    out = apply(op, *args)
    updated(running_mean, running_var, training)
    return out


def updated(running_mean, running_var, training):
    """Note that batch norm's forward changed the running statistics in place (in training)."""
    if training:
        for t in (running_mean, running_var):
            if t is not None:
                t._vc[0] += 1  # saved copies of it are now stale


def batch_norm_arguments(
    input,
    running_mean,
    running_var,
    weight=None,
    bias=None,
    training=False,
    momentum=0.1,
    eps=1e-05,
):
    """The batch-norm op and its checked arguments (the running statistics as arrays the
    forward updates in place)."""
    check_tensor(input, "batch_norm")
    check_float(input, "batch_norm")
    if input.ndim < 2:
        raise ValueError(
            f"batch_norm: expected at least 2D input (N, C, ...), got "
            f"{input.ndim}D input of size {list(input.shape)}"
        )
    channels = input.shape[1]
    weight = _parameter(weight, "weight", "batch_norm", (channels,))
    bias = _parameter(bias, "bias", "batch_norm", (channels,))
    stats = []
    for name, t in (("running_mean", running_mean), ("running_var", running_var)):
        t = _parameter(t, name, "batch_norm", (channels,))
        if t is not None and t._data.dtype != input._data.dtype:
            raise RuntimeError(
                f"batch_norm: expected {name} to have the input's dtype "
                f"({input.dtype}), got {t.dtype}"
            )
        stats.append(t)
    if training:
        per_channel = input.numel() // channels if channels else 0
        if per_channel <= 1:
            raise ValueError(
                f"Expected more than 1 value per channel when training, got input "
                f"size {input.shape}"
            )
    elif stats[0] is None or stats[1] is None:
        raise RuntimeError(
            "batch_norm: running_mean and running_var must be defined in evaluation mode"
        )
    arrays = [None if t is None else t._data for t in stats]
    return N.batch_norm, (
        input,
        weight,
        bias,
        arrays[0],
        arrays[1],
        bool(training),
        float(momentum if momentum is not None else 0.0),
        float(eps),
    )


def _normalized_shape(shape):
    if isinstance(shape, int):
        return (shape,)
    return tuple(int(n) for n in shape)


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-05):
    """Normalize over the trailing ``normalized_shape`` dims of each sample."""
    return apply(*layer_norm_arguments(input, normalized_shape, weight, bias, eps))


def layer_norm_arguments(input, normalized_shape, weight=None, bias=None, eps=1e-05):
    """The layer-norm op followed by its checked arguments."""
    check_tensor(input, "layer_norm")
    check_float(input, "layer_norm")
    shape = _normalized_shape(normalized_shape)
    k = len(shape)
    if k == 0 or tuple(input.shape[input.ndim - k :]) != shape or input.ndim < k:
        raise RuntimeError(
            f"Given normalized_shape={list(shape)}, expected input with shape [*, "
            f"{', '.join(map(str, shape))}], but got input of size{list(input.shape)}"
        )
    weight = _parameter(weight, "weight", "layer_norm", shape)
    bias = _parameter(bias, "bias", "layer_norm", shape)
    return N.layer_norm, input, k, weight, bias, float(eps)


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-05):
    """Normalize each sample's channels in ``num_groups`` groups, over the group's channels and
    positions; then a per-channel affine."""
    return apply(*group_norm_arguments(input, num_groups, weight, bias, eps))


def group_norm_arguments(input, num_groups, weight=None, bias=None, eps=1e-05):
    """The group-norm op followed by its checked arguments."""
    check_tensor(input, "group_norm")
    check_float(input, "group_norm")
    if input.ndim < 2:
        raise RuntimeError(
            f"group_norm: expected at least 2D input (N, C, ...), got {list(input.shape)}"
        )
    channels = input.shape[1]
    if num_groups <= 0 or channels % num_groups:
        raise RuntimeError(
            f"Expected number of channels in input to be divisible by "
            f"num_groups, but got input of shape {list(input.shape)} and "
            f"num_groups={num_groups}"
        )
    weight = _parameter(weight, "weight", "group_norm", (channels,))
    bias = _parameter(bias, "bias", "group_norm", (channels,))
    return N.group_norm, input, int(num_groups), weight, bias, float(eps)


def instance_norm(
    input,
    running_mean=None,
    running_var=None,
    weight=None,
    bias=None,
    use_input_stats=True,
    momentum=0.1,
    eps=1e-05,
):
    """Normalize each sample's channels one by one over their positions, then a per-channel
    affine: group norm with one group per channel. With ``use_input_stats=False`` each channel is
    normalized by the running statistics instead (batch norm in eval mode); with it, given
    running statistics are updated in place by the batch's mean of the per-instance statistics
    (``running = (1 - momentum) * running + momentum * batch``, the variance unbiased)."""
    check_tensor(input, "instance_norm")
    if input.ndim < 3:
        raise ValueError(
            f"instance_norm: expected input (N, C, *positions) of at least 3 dims, got "
            f"{list(input.shape)}"
        )
    n, c = input.shape[:2]
    for name, t in (("running_mean", running_mean), ("running_var", running_var)):
        if t is not None and t.numel() != c:
            raise RuntimeError(f"{name} should contain {n * c} elements not {n * t.numel()}")
    if not use_input_stats:
        if running_mean is None or running_var is None:
            raise RuntimeError(
                "Expected running_mean and running_var to be defined when use_input_stats is false"
            )
        return batch_norm(input, running_mean, running_var, weight, bias, False, momentum, eps)
    positions = input.numel() // (n * c) if n * c else 0
    if positions <= 1:
        raise ValueError(
            f"Expected more than 1 spatial element when training, got input size {input.shape}"
        )
    out = group_norm(input, c, weight, bias, eps)
    per_instance = input._data.reshape(n, c, positions)
    for t, batch in (
        (running_mean, lambda: per_instance.mean(2)),
        (running_var, lambda: per_instance.var(2, ddof=1)),
    ):
        if t is not None:
            t._data *= 1 - momentum
            t._data += momentum * batch().mean(0)
    updated(running_mean, running_var, True)
    return out


def rms_norm(input, normalized_shape, weight=None, eps=None):
    """Scale by the root mean square over the trailing ``normalized_shape`` dims (no centring);
    ``eps`` defaults to the dtype's machine epsilon."""
    return apply(*rms_norm_arguments(input, normalized_shape, weight, eps))


def rms_norm_arguments(input, normalized_shape, weight=None, eps=None):
    """The RMS-norm op followed by its checked arguments."""
    check_tensor(input, "rms_norm")
    check_float(input, "rms_norm")
    shape = _normalized_shape(normalized_shape)
    k = len(shape)
    if k == 0 or tuple(input.shape[input.ndim - k :]) != shape:
        raise RuntimeError(
            f"Given normalized_shape={list(shape)}, expected input with shape [*, "
            f"{', '.join(map(str, shape))}], but got input of size{list(input.shape)}"
        )
    weight = _parameter(weight, "weight", "rms_norm", shape)
    if eps is None:
        eps = float(numpy.finfo(input._data.dtype).eps)
    return N.rms_norm, input, k, weight, float(eps)


def local_response_norm(input, size, alpha=1e-4, beta=0.75, k=1.0):
    """``input / (k + alpha * mean of input**2 over size neighbouring channels) ** beta``.

    Built from ops as PyTorch builds it (zero-padded channels, an average pool over them), so the
    gradient is theirs; the spatial dims are flattened into one for the pool."""
    check_tensor(input, "local_response_norm")
    if input.ndim < 3:
        raise ValueError(
            "Expected 3D or higher dimensionality                          input "
            f"(got {input.ndim} dimensions)"
        )
    if input.numel() == 0:
        return input
    square = (input * input).reshape(input.shape[0], 1, input.shape[1], -1)
    square = pad(square, (0, 0, size // 2, (size - 1) // 2))
    div = avg_pool2d(square, (size, 1), stride=1).reshape(input.shape)
    return input / (div * alpha + k) ** beta

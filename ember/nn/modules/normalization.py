"""Normalization layers: ``BatchNorm1d/2d/3d``, ``LayerNorm``, ``GroupNorm``, ``RMSNorm``, and
Torch7's ``BatchNormalization`` and ``SpatialBatchNormalization``.

Each forward is one fused op of :mod:`ember.ops.norm`, so the Torch7 protocol is that op's closed
form backward (``gradInput = (dxhat - mean(dxhat) - xhat mean(dxhat xhat)) / std``, with
``dxhat = gradOutput * weight``; ``gradWeight += scale * sum(gradOutput * xhat)``;
``gradBias += scale * sum(gradOutput)``).

Batch norm keeps running statistics as buffers, updated in place by each training forward
(``running = (1 - momentum) * running + momentum * batch``, the variance unbiased; with
``momentum=None`` a cumulative average over ``num_batches_tracked`` batches) and used in eval.
"""

from ...creation import ones, tensor, zeros
from ...tensor import Tensor
from ..functional import normalization as F
from ..functional.normalization import (
    batch_norm_arguments,
    group_norm_arguments,
    layer_norm_arguments,
    rms_norm_arguments,
    updated,
)
from ..module import Module
from ..parameter import Parameter
from .op_layer import OpLayer

__all__ = [
    "BatchNorm1d",
    "BatchNorm2d",
    "BatchNorm3d",
    "LayerNorm",
    "GroupNorm",
    "RMSNorm",
    "InstanceNorm1d",
    "InstanceNorm2d",
    "BatchNormalization",
    "SpatialBatchNormalization",
    "LocalResponseNorm",
]


def _register_running_stats(module, num_features, track, dtype, device):
    """The running statistics' buffers (None when not tracked), as batch and instance norm keep
    them."""
    stats = (
        (
            zeros(num_features, dtype=dtype, device=device),
            ones(num_features, dtype=dtype, device=device),
            tensor(0),
        )
        if track
        else (None, None, None)
    )
    for name, value in zip(("running_mean", "running_var", "num_batches_tracked"), stats):
        module.register_buffer(name, value)


def _reset_running_stats(module):
    if module.track_running_stats:
        module.running_mean._data[...] = 0
        module.running_var._data[...] = 1
        module.num_batches_tracked._data[...] = 0


class _BatchNorm(OpLayer):
    _dims = (2, 3)

    def __init__(
        self,
        num_features,
        eps=1e-5,
        momentum=0.1,
        affine=True,
        track_running_stats=True,
        device=None,
        dtype=None,
        *,
        bias=True,
    ):
        super().__init__()
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        if affine:
            self.weight = Parameter(ones(num_features, dtype=dtype, device=device))
            if bias:
                self.bias = Parameter(zeros(num_features, dtype=dtype, device=device))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        _register_running_stats(self, num_features, track_running_stats, dtype, device)

    def reset_running_stats(self):
        _reset_running_stats(self)

    def reset_parameters(self):
        self.reset_running_stats()
        if self.weight is not None:
            self.weight._data[...] = 1
        if self.bias is not None:
            self.bias._data[...] = 0

    def extra_repr(self):
        return (
            f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
            f"affine={self.affine}, bias={self.bias is not None}, "
            f"track_running_stats={self.track_running_stats}"
        )

    def _check_input_dim(self, input):
        if not isinstance(input, Tensor):
            raise TypeError(
                f"{type(self).__name__}: input must be a Tensor, got {type(input).__name__}"
            )
        if input.ndim not in self._dims:
            wanted = " or ".join(f"{d}D" for d in self._dims)
            raise ValueError(
                f"{type(self).__name__}: expected {wanted} input (got "
                f"{input.ndim}D input of size {list(input.shape)})"
            )

    def updateOutput(self, input):
        self._check_input_dim(input)
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats:
            self.num_batches_tracked._data += 1
            self.num_batches_tracked._vc[0] += 1
            if self.momentum is None:  # a cumulative moving average
                factor = 1.0 / float(self.num_batches_tracked._data)
        use_batch = self.training or (self.running_mean is None and self.running_var is None)
        use_running = not self.training or self.track_running_stats
        running_mean = self.running_mean if use_running else None
        running_var = self.running_var if use_running else None
        op, args = batch_norm_arguments(
            input, running_mean, running_var, self.weight, self.bias, use_batch, factor, self.eps
        )
        output = self.run(input, op, args, 0, {1: self.weight, 2: self.bias})
        updated(running_mean, running_var, use_batch)
        return output


class BatchNorm1d(_BatchNorm):
    """Batch norm over (N, C) or (N, C, L): per channel, statistics over the batch (and L)."""

    _dims = (2, 3)


class BatchNorm2d(_BatchNorm):
    """Batch norm over (N, C, H, W): per channel, statistics over batch and positions."""

    _dims = (4,)


class BatchNorm3d(_BatchNorm):
    """Batch norm over (N, C, D, H, W)."""

    _dims = (5,)


class BatchNormalization(BatchNorm1d):
    """Torch7's name for BatchNorm1d: ``BatchNormalization(nOutput, eps=1e-5, momentum=0.1,
    affine=True)``."""

    def __init__(self, nOutput, eps=1e-5, momentum=0.1, affine=True):
        super().__init__(nOutput, eps, momentum, affine)


class SpatialBatchNormalization(BatchNorm2d):
    """Torch7's name for BatchNorm2d: ``SpatialBatchNormalization(nOutput, eps=1e-5,
    momentum=0.1, affine=True)``."""

    def __init__(self, nOutput, eps=1e-5, momentum=0.1, affine=True):
        super().__init__(nOutput, eps, momentum, affine)


def _shape(normalized_shape):
    if isinstance(normalized_shape, int):
        return (normalized_shape,)
    return tuple(int(n) for n in normalized_shape)


class LayerNorm(OpLayer):
    """Normalize each sample over its trailing ``normalized_shape`` dims, then an elementwise
    affine (``weight`` ones, ``bias`` zeros)."""

    def __init__(
        self,
        normalized_shape,
        eps=1e-5,
        elementwise_affine=True,
        bias=True,
        device=None,
        dtype=None,
    ):
        super().__init__()
        self.normalized_shape = _shape(normalized_shape)
        self.eps, self.elementwise_affine = eps, elementwise_affine
        if elementwise_affine:
            self.weight = Parameter(ones(self.normalized_shape, dtype=dtype, device=device))
            if bias:
                self.bias = Parameter(zeros(self.normalized_shape, dtype=dtype, device=device))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)

    def reset_parameters(self):
        if self.weight is not None:
            self.weight._data[...] = 1
        if self.bias is not None:
            self.bias._data[...] = 0

    def extra_repr(self):
        return (
            f"{self.normalized_shape}, eps={self.eps}, "
            f"elementwise_affine={self.elementwise_affine}, bias={self.bias is not None}"
        )

    def updateOutput(self, input):
        op, *args = layer_norm_arguments(
            input, self.normalized_shape, self.weight, self.bias, self.eps
        )
        return self.run(input, op, args, 0, {2: self.weight, 3: self.bias})


class GroupNorm(OpLayer):
    """Normalize each sample's channels in ``num_groups`` groups (over the group's channels and
    positions), then a per-channel affine."""

    def __init__(
        self, num_groups, num_channels, eps=1e-5, affine=True, device=None, dtype=None, *, bias=True
    ):
        super().__init__()
        if num_channels % num_groups:
            raise ValueError("num_channels must be divisible by num_groups")
        self.num_groups, self.num_channels, self.eps, self.affine = (
            num_groups,
            num_channels,
            eps,
            affine,
        )
        if affine:
            self.weight = Parameter(ones(num_channels, dtype=dtype, device=device))
            if bias:
                self.bias = Parameter(zeros(num_channels, dtype=dtype, device=device))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)

    def reset_parameters(self):
        if self.weight is not None:
            self.weight._data[...] = 1
        if self.bias is not None:
            self.bias._data[...] = 0

    def extra_repr(self):
        return (
            f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}, "
            f"bias={self.bias is not None}"
        )

    def updateOutput(self, input):
        op, *args = group_norm_arguments(input, self.num_groups, self.weight, self.bias, self.eps)
        return self.run(input, op, args, 0, {2: self.weight, 3: self.bias})


class RMSNorm(OpLayer):
    """Scale each sample by the root mean square of its trailing ``normalized_shape`` dims (no
    centring), then an elementwise ``weight``; ``eps`` defaults to the dtype's epsilon."""

    def __init__(
        self, normalized_shape, eps=None, elementwise_affine=True, device=None, dtype=None
    ):
        super().__init__()
        self.normalized_shape = _shape(normalized_shape)
        self.eps, self.elementwise_affine = eps, elementwise_affine
        if elementwise_affine:
            self.weight = Parameter(ones(self.normalized_shape, dtype=dtype, device=device))
        else:
            self.register_parameter("weight", None)

    def reset_parameters(self):
        if self.weight is not None:
            self.weight._data[...] = 1

    def extra_repr(self):
        return (
            f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"
        )

    def updateOutput(self, input):
        op, *args = rms_norm_arguments(input, self.normalized_shape, self.weight, self.eps)
        return self.run(input, op, args, 0, {2: self.weight})


class _InstanceNorm(Module):
    """Normalize each sample's channels one by one over their positions (group norm with a
    group per channel); an unbatched input (C, *positions) is one sample. With
    ``track_running_stats=True``, training updates running statistics (the batch's mean of the
    per-instance ones) and eval normalizes by them; ``num_batches_tracked`` stays 0, as in
    PyTorch, so ``momentum=None`` keeps them fixed."""

    _dims = None

    def __init__(
        self,
        num_features,
        eps=1e-5,
        momentum=0.1,
        affine=False,
        track_running_stats=False,
        device=None,
        dtype=None,
        bias=True,
    ):
        super().__init__()
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        self._bias = affine and bias
        if affine:
            self.weight = Parameter(ones(num_features, dtype=dtype, device=device))
        else:
            self.register_parameter("weight", None)
        if self._bias:
            self.bias = Parameter(zeros(num_features, dtype=dtype, device=device))
        else:
            self.register_parameter("bias", None)
        _register_running_stats(self, num_features, track_running_stats, dtype, device)

    def reset_running_stats(self):
        _reset_running_stats(self)

    def extra_repr(self):
        return (
            f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
            f"affine={self.affine}, bias={self._bias}, "
            f"track_running_stats={self.track_running_stats}"
        )

    def forward(self, input):
        dims = self._dims
        if input.ndim not in (dims + 1, dims + 2):
            raise ValueError(f"expected {dims + 1}D or {dims + 2}D input (got {input.ndim}D input)")
        unbatched = input.ndim == dims + 1
        x = input.unsqueeze(0) if unbatched else input
        if x.shape[1] != self.num_features and self.affine:
            raise ValueError(
                f"expected input's size at dim=1 to match num_features ({self.num_features}), "
                f"but got: {x.shape[1]}."
            )
        out = F.instance_norm(
            x,
            self.running_mean,
            self.running_var,
            self.weight,
            self.bias,
            self.training or not self.track_running_stats,
            0.0 if self.momentum is None else self.momentum,
            self.eps,
        )
        return out.squeeze(0) if unbatched else out


class InstanceNorm1d(_InstanceNorm):
    _dims = 1


class InstanceNorm2d(_InstanceNorm):
    _dims = 2


class LocalResponseNorm(Module):
    """Each value divided by ``(k + alpha * mean of squares over size neighbouring channels) **
    beta`` (:func:`ember.nn.functional.local_response_norm`; several ops, so the protocol is
    autograd's)."""

    def __init__(self, size, alpha=1e-4, beta=0.75, k=1.0):
        super().__init__()
        self.size, self.alpha, self.beta, self.k = size, alpha, beta, k

    def extra_repr(self):
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"

    def forward(self, input):
        return F.local_response_norm(input, self.size, self.alpha, self.beta, self.k)

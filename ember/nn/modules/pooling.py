"""Pooling layers: ``MaxPool1d/2d``, ``AvgPool1d/2d``, ``AdaptiveAvgPool1d/2d``,
``AdaptiveMaxPool1d/2d``, and Torch7's
``SpatialMaxPooling`` and ``SpatialAveragePooling``.

Each forward is one op of :mod:`ember.ops.pool`, so the Torch7 protocol is its VJP: max pooling
sends each ``gradOutput`` to the element that won its window (the indices saved by forward),
average pooling spreads it evenly over the window.
"""

from ...functions import squeeze
from ...tensor import wrap
from ..functional.pooling import (
    adaptive_avg_pool_arguments,
    adaptive_max_pool_arguments,
    avg_pool_arguments,
    max_pool_arguments,
)
from .op_layer import OpLayer

__all__ = [
    "MaxPool1d",
    "MaxPool2d",
    "AvgPool1d",
    "AvgPool2d",
    "AdaptiveAvgPool1d",
    "AdaptiveAvgPool2d",
    "AdaptiveMaxPool1d",
    "AdaptiveMaxPool2d",
    "SpatialMaxPooling",
    "SpatialAveragePooling",
]


class _MaxPoolNd(OpLayer):
    _dims = 2

    def __init__(
        self, kernel_size, stride=None, padding=0, dilation=1, return_indices=False, ceil_mode=False
    ):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if (stride is not None) else kernel_size
        self.padding, self.dilation = padding, dilation
        self.return_indices, self.ceil_mode = return_indices, ceil_mode

    def extra_repr(self):
        return (
            f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
            f"dilation={self.dilation}, ceil_mode={self.ceil_mode}"
        )

    def updateOutput(self, input):
        op, args, added = max_pool_arguments(
            f"max_pool{self._dims}d",
            self._dims,
            input,
            self.kernel_size,
            self.stride,
            self.padding,
            self.dilation,
            self.ceil_mode,
        )
        output = self.run(input, op, args, 0, None, added)
        if self.return_indices:
            indices = wrap(args[-1])
            return output, squeeze(indices, 0) if added else indices
        return output


class MaxPool1d(_MaxPoolNd):
    """The max of each window along L of (N, C, L) or (C, L)."""

    _dims = 1


class MaxPool2d(_MaxPoolNd):
    """The max of each ``kernel_size`` window of (N, C, H, W) or (C, H, W)."""

    _dims = 2


class _AvgPoolNd(OpLayer):
    _dims = 2

    def __init__(
        self,
        kernel_size,
        stride=None,
        padding=0,
        ceil_mode=False,
        count_include_pad=True,
        divisor_override=None,
    ):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if (stride is not None) else kernel_size
        self.padding, self.ceil_mode = padding, ceil_mode
        self.count_include_pad, self.divisor_override = count_include_pad, divisor_override

    def extra_repr(self):
        def shown(value):  # AvgPool1d prints 1-tuples, as PyTorch's does
            return (value,) if self._dims == 1 and isinstance(value, int) else value

        return (
            f"kernel_size={shown(self.kernel_size)}, stride={shown(self.stride)}, "
            f"padding={shown(self.padding)}"
        )

    def updateOutput(self, input):
        op, args, added = avg_pool_arguments(
            f"avg_pool{self._dims}d",
            self._dims,
            input,
            self.kernel_size,
            self.stride,
            self.padding,
            self.ceil_mode,
            self.count_include_pad,
            self.divisor_override,
        )
        return self.run(input, op, args, 0, None, added)


class AvgPool1d(_AvgPoolNd):
    """The mean of each window along L of (N, C, L) or (C, L)."""

    _dims = 1

    def __init__(
        self, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True
    ):
        super().__init__(kernel_size, stride, padding, ceil_mode, count_include_pad)


class AvgPool2d(_AvgPoolNd):
    """The mean of each ``kernel_size`` window of (N, C, H, W) or (C, H, W)."""

    _dims = 2


class _AdaptiveAvgPoolNd(OpLayer):
    _dims = 2

    def __init__(self, output_size):
        super().__init__()
        self.output_size = output_size

    def extra_repr(self):
        return f"output_size={self.output_size}"

    def updateOutput(self, input):
        op, args, added = adaptive_avg_pool_arguments(
            f"adaptive_avg_pool{self._dims}d", self._dims, input, self.output_size
        )
        return self.run(input, op, args, 0, None, added)


class AdaptiveAvgPool1d(_AdaptiveAvgPoolNd):
    """Average pooling to a fixed output length."""

    _dims = 1


class AdaptiveAvgPool2d(_AdaptiveAvgPoolNd):
    """Average pooling to a fixed output size (``(1, 1)``: global average pooling)."""

    _dims = 2


class _AdaptiveMaxPoolNd(OpLayer):
    _dims = 2

    def __init__(self, output_size, return_indices=False):
        super().__init__()
        self.output_size, self.return_indices = output_size, return_indices

    def extra_repr(self):
        return f"output_size={self.output_size}"

    def updateOutput(self, input):
        name = f"adaptive_max_pool{self._dims}d"
        op, args, added = adaptive_max_pool_arguments(name, self._dims, input, self.output_size)
        output, indices = self.run(input, op, args, 0, None, added), wrap(args[-1])
        if added:
            indices = squeeze(indices, 0)
        if self._dims == 1:  # pooled as (N, C, 1, L): drop the 1 again
            output, indices = squeeze(output, -2), squeeze(indices, -2)
            self._remember(input, output)
        return (output, indices) if self.return_indices else output


class AdaptiveMaxPool1d(_AdaptiveMaxPoolNd):
    """Max pooling to a fixed output length; ``return_indices`` also gives each max's position."""

    _dims = 1


class AdaptiveMaxPool2d(_AdaptiveMaxPoolNd):
    """Max pooling to a fixed output size; ``return_indices`` also gives each max's flat position
    in its input plane."""

    _dims = 2


class SpatialMaxPooling(MaxPool2d):
    """Torch7's name and argument order for MaxPool2d: ``SpatialMaxPooling(kW, kH, dW=kW,
    dH=kH, padW=0, padH=0)`` (width before height); ``:ceil()`` switches to ceil mode."""

    def __init__(self, kW, kH, dW=None, dH=None, padW=0, padH=0):
        dW = kW if dW is None else dW
        dH = kH if dH is None else dH
        super().__init__((kH, kW), (dH, dW), (padH, padW))
        self.kW, self.kH, self.dW, self.dH, self.padW, self.padH = kW, kH, dW, dH, padW, padH

    def ceil(self):
        self.ceil_mode = True
        return self

    def floor(self):
        self.ceil_mode = False
        return self


class SpatialAveragePooling(AvgPool2d):
    """Torch7's name and argument order for AvgPool2d: ``SpatialAveragePooling(kW, kH, dW=1,
    dH=1, padW=0, padH=0)``."""

    def __init__(self, kW, kH, dW=1, dH=1, padW=0, padH=0):
        super().__init__((kH, kW), (dH, dW), (padH, padW))
        self.kW, self.kH, self.dW, self.dH, self.padW, self.padH = kW, kH, dW, dH, padW, padH

    def ceil(self):
        self.ceil_mode = True
        return self

    def floor(self):
        self.ceil_mode = False
        return self

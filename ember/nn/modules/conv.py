"""Convolution layers: ``Conv1d``, ``Conv2d``, ``Conv3d``, ``ConvTranspose1d``, ``ConvTranspose2d``,
and Torch7's ``SpatialConvolution``.

Each forward is one op of :mod:`ember.ops.conv` (im2col and one GEMM), so the Torch7 protocol is
that op's VJPs (:class:`~ember.nn.modules.op_layer.OpLayer`)::

    updateGradInput:   gradInput  = conv_transpose(gradOutput, weight)
    accGradParameters: gradWeight += scale * correlation(input, gradOutput)
                       gradBias   += scale * gradOutput summed over batch and positions
"""

import math

from ...creation import empty
from ...ops import conv as C
from .. import functional as F
from .. import init
from ..functional.conv import convolution_arguments, transposed_arguments
from ..functional.padding import pad
from ..parameter import Parameter
from .op_layer import OpLayer

__all__ = ["Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d", "SpatialConvolution"]

_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


def _tuple(value, d):
    return (value,) * d if isinstance(value, int) else tuple(value)


class _ConvNd(OpLayer):
    _dims = 2
    _transposed = False

    def __init__(
        self,
        in_channels,
        out_channels,
        kernel_size,
        stride=1,
        padding=0,
        dilation=1,
        groups=1,
        bias=True,
        padding_mode="zeros",
        output_padding=0,
        device=None,
        dtype=None,
    ):
        super().__init__()
        d = self._dims
        name = type(self).__name__
        if groups <= 0:
            raise ValueError(f"{name}: groups must be a positive integer, got {groups}")
        if in_channels % groups:
            raise ValueError(
                f"{name}: in_channels ({in_channels}) must be divisible by groups ({groups})"
            )
        if out_channels % groups:
            raise ValueError(
                f"{name}: out_channels ({out_channels}) must be divisible by groups ({groups})"
            )
        if padding_mode not in _PADDING_MODES:
            raise ValueError(
                f"{name}: padding_mode must be one of {list(_PADDING_MODES)}, got '{padding_mode}'"
            )
        if isinstance(padding, str):
            if padding not in ("same", "valid"):
                raise ValueError(
                    f"{name}: invalid padding string '{padding}', should be one of "
                    "'valid' or 'same'"
                )
            if padding == "same" and any(s != 1 for s in _tuple(stride, d)):
                raise ValueError(
                    f"{name}: padding='same' is not supported for strided convolutions"
                )
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size = _tuple(kernel_size, d)
        self.stride = _tuple(stride, d)
        self.padding = padding if isinstance(padding, str) else _tuple(padding, d)
        self.dilation = _tuple(dilation, d)
        self.output_padding = _tuple(output_padding, d)
        self.groups, self.padding_mode = groups, padding_mode
        self.transposed = self._transposed
        shape = (
            (in_channels, out_channels // groups)
            if self._transposed
            else (out_channels, in_channels // groups)
        ) + self.kernel_size
        self.weight = Parameter(empty(shape, dtype=dtype, device=device))
        if bias:
            self.bias = Parameter(empty(out_channels, dtype=dtype, device=device))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        # PyTorch's: kaiming_uniform_(a=sqrt(5)) is uniform on ±1/sqrt(fan_in), as is the bias.
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            if fan_in:
                bound = 1 / math.sqrt(fan_in)
                init.uniform_(self.bias, -bound, bound)

    def extra_repr(self):
        text = (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
            f"stride={self.stride}"
        )
        if self.padding != (0,) * self._dims:
            padding = self.padding  # 'same' and 'valid' print bare, as in PyTorch
            text += f", padding={padding}"
        if self.dilation != (1,) * self._dims:
            text += f", dilation={self.dilation}"
        if self._transposed and self.output_padding != (0,) * self._dims:
            text += f", output_padding={self.output_padding}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        if self.bias is None:
            text += ", bias=False"
        if self.padding_mode != "zeros":
            text += f", padding_mode={self.padding_mode}"
        return text

    def _mode_padding(self):
        # F.pad's argument for padding_mode: (before, after) per dim, last dim first.
        if self.padding == "valid":
            return (0,) * (2 * self._dims)
        if self.padding == "same":
            pairs = []
            for k, dl in zip(self.kernel_size, self.dilation):
                total = dl * (k - 1)
                pairs.append((total // 2, total - total // 2))
        else:
            pairs = [(p, p) for p in self.padding]
        return tuple(n for pair in reversed(pairs) for n in pair)

    def updateOutput(self, input):
        name = f"conv{self._dims}d"
        if self.padding_mode != "zeros":
            padded = pad(input, self._mode_padding(), mode=self.padding_mode)
            convolution = getattr(F, name)
            output = convolution(
                padded, self.weight, self.bias, self.stride, 0, self.dilation, self.groups
            )
            return self.composite(input, output)
        x, added, geometry = convolution_arguments(
            name,
            self._dims,
            input,
            self.weight,
            self.bias,
            self.stride,
            self.padding,
            self.dilation,
            self.groups,
        )
        return self.run(
            input,
            C.conv,
            (x, self.weight, self.bias, geometry),
            0,
            {1: self.weight, 2: self.bias},
            added,
        )


class Conv1d(_ConvNd):
    """1-D convolution over (N, C, L) or (C, L)."""

    _dims = 1


class Conv2d(_ConvNd):
    """2-D convolution over (N, C, H, W) or (C, H, W): ``weight`` (out, in/groups, kh, kw),
    ``bias`` (out,). ``padding`` may be ``'same'``; ``padding_mode`` zeros, reflect, replicate
    or circular."""

    _dims = 2


class Conv3d(_ConvNd):
    """3-D convolution over (N, C, D, H, W) or (C, D, H, W)."""

    _dims = 3


class _ConvTransposeNd(_ConvNd):
    _transposed = True

    def __init__(
        self,
        in_channels,
        out_channels,
        kernel_size,
        stride=1,
        padding=0,
        output_padding=0,
        groups=1,
        bias=True,
        dilation=1,
        padding_mode="zeros",
        device=None,
        dtype=None,
    ):
        if padding_mode != "zeros":
            raise ValueError(f'Only "zeros" padding mode is supported for {type(self).__name__}')
        super().__init__(
            in_channels,
            out_channels,
            kernel_size,
            stride,
            padding,
            dilation,
            groups,
            bias,
            padding_mode,
            output_padding,
            device,
            dtype,
        )

    def updateOutput(self, input, output_size=None):
        name = f"conv_transpose{self._dims}d"
        extra = self.output_padding
        if output_size is not None:
            extra = self._output_padding_for(input, output_size)
        x, added, geometry, shape = transposed_arguments(
            name,
            self._dims,
            input,
            self.weight,
            self.bias,
            self.stride,
            self.padding,
            extra,
            self.groups,
            self.dilation,
        )
        return self.run(
            input,
            C.conv_transpose,
            (x, self.weight, self.bias, geometry, shape),
            0,
            {1: self.weight, 2: self.bias},
            added,
        )

    def forward(self, input, output_size=None):
        return self.updateOutput(input, output_size)

    def _output_padding_for(self, input, output_size):
        # The output_padding that makes the output ``output_size`` (the sizes stride leaves open).
        d = self._dims
        wanted = tuple(output_size)[-d:]
        spatial = input.shape[-d:]
        extra = []
        for n, want, s, p, dl, k in zip(
            spatial, wanted, self.stride, self.padding, self.dilation, self.kernel_size
        ):
            smallest = (n - 1) * s - 2 * p + dl * (k - 1) + 1
            if not smallest <= want < smallest + s:
                raise ValueError(
                    f"{type(self).__name__}: requested an output size of "
                    f"{list(wanted)}, but valid sizes range from {smallest} to "
                    f"{smallest + s - 1} (for an input of {list(spatial)})"
                )
            extra.append(want - smallest)
        return tuple(extra)


class ConvTranspose1d(_ConvTransposeNd):
    """The adjoint of Conv1d: (N, C_in, L) -> (N, C_out, L'), weight (in, out/groups, k)."""

    _dims = 1


class ConvTranspose2d(_ConvTransposeNd):
    """The adjoint (gradient) of Conv2d, used to upsample: weight (in, out/groups, kh, kw);
    output size ``(H - 1) * stride - 2 * padding + dilation * (k - 1) + output_padding + 1``."""

    _dims = 2


class SpatialConvolution(Conv2d):
    """Torch7's name and argument order for Conv2d: ``SpatialConvolution(nInputPlane,
    nOutputPlane, kW, kH, dW=1, dH=1, padW=0, padH=padW)`` (width before height)."""

    def __init__(self, nInputPlane, nOutputPlane, kW, kH, dW=1, dH=1, padW=0, padH=None):
        padH = padW if padH is None else padH
        super().__init__(nInputPlane, nOutputPlane, (kH, kW), (dH, dW), (padH, padW))
        self.nInputPlane, self.nOutputPlane = nInputPlane, nOutputPlane
        self.kW, self.kH, self.dW, self.dH, self.padW, self.padH = kW, kH, dW, dH, padW, padH

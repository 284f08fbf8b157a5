"""Convolutions: ``conv1d``, ``conv2d``, ``conv3d``, ``conv_transpose1d/2d``, ``unfold``, ``fold``.

The arithmetic (im2col, one matmul, and the backward as two more) is in :mod:`ember.ops.conv`;
here are PyTorch's arguments and its errors.
"""

from ...ops import conv as C
from ...tensor import apply
from ._sizes import batched, check_float, check_tensor, ntuple, unbatched

__all__ = [
    "conv1d",
    "conv2d",
    "conv3d",
    "conv_transpose1d",
    "conv_transpose2d",
    "unfold",
    "fold",
    "convolution_arguments",
    "transposed_arguments",
    "unfold_arguments",
    "fold_arguments",
]


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-D convolution over (N, C, L) or (C, L); weight (out, in/groups, k)."""
    return _convolution("conv1d", 1, input, weight, bias, stride, padding, dilation, groups)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D convolution over (N, C, H, W) or (C, H, W); weight (out, in/groups, kh, kw).
    ``padding`` is an int, a pair, ``'valid'`` (none) or ``'same'`` (output as large as input)."""
    return _convolution("conv2d", 2, input, weight, bias, stride, padding, dilation, groups)


def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """3-D convolution over (N, C, D, H, W) or (C, D, H, W)."""
    return _convolution("conv3d", 3, input, weight, bias, stride, padding, dilation, groups)


def conv_transpose1d(
    input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1
):
    """The adjoint (gradient) of conv1d with respect to its input; weight (in, out/groups, k)."""
    return _transposed(
        "conv_transpose1d",
        1,
        input,
        weight,
        bias,
        stride,
        padding,
        output_padding,
        groups,
        dilation,
    )


def conv_transpose2d(
    input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1
):
    """The adjoint (gradient) of conv2d with respect to its input: each input value spreads over
    a window of the output. Weight (in, out/groups, kh, kw)."""
    return _transposed(
        "conv_transpose2d",
        2,
        input,
        weight,
        bias,
        stride,
        padding,
        output_padding,
        groups,
        dilation,
    )


def _check_operands(name, d, x, weight, bias, groups):
    check_tensor(weight, name, "weight")
    check_float(x, name)
    if weight.ndim != d + 2:
        raise RuntimeError(
            f"{name}: expected a {d + 2}D weight, got weight of size {list(weight.shape)}"
        )
    if weight._data.dtype != x._data.dtype:
        raise RuntimeError(
            f"{name}: input type ({x.dtype}) and weight type ({weight.dtype}) should be the same"
        )
    if not isinstance(groups, int) or groups < 1:
        raise RuntimeError(f"{name}: non-positive groups is not supported (got {groups})")
    if bias is not None:
        check_tensor(bias, name, "bias")
        if bias._data.dtype != x._data.dtype:
            raise RuntimeError(
                f"{name}: input type ({x.dtype}) and bias type ({bias.dtype}) should be the same"
            )


def _positive(name, what, values):
    if any(v <= 0 for v in values):
        raise RuntimeError(f"{name}: non-positive {what} is not supported (got {list(values)})")


def _padding(name, padding, kernel, stride, dilation):
    if isinstance(padding, str):
        if padding == "valid":
            return ((0, 0),) * len(kernel)
        if padding == "same":
            if any(s != 1 for s in stride):
                raise ValueError(
                    f"{name}: padding='same' is not supported for strided convolutions"
                )
            # PyTorch puts the odd one out after: an even kernel pads one more on the right.
            total = [dl * (k - 1) for k, dl in zip(kernel, dilation)]
            return tuple((t // 2, t - t // 2) for t in total)
        raise ValueError(
            f"{name}: invalid padding string '{padding}', should be one of 'valid' or 'same'"
        )
    pads = ntuple(padding, len(kernel), "padding", name)
    if any(p < 0 for p in pads):
        raise RuntimeError(f"{name}: negative padding is not supported (got {list(pads)})")
    return tuple((p, p) for p in pads)


def _convolution(name, d, input, weight, bias, stride, padding, dilation, groups):
    x, added, geometry = convolution_arguments(
        name, d, input, weight, bias, stride, padding, dilation, groups
    )
    return unbatched(apply(C.conv, x, weight, bias, geometry), added)


def convolution_arguments(name, d, input, weight, bias, stride, padding, dilation, groups):
    """The checked arguments of the conv op: the input with a batch dim, whether one was added,
    and the :class:`~ember.ops.conv.Geometry`."""
    x, added = batched(input, d, name)
    _check_operands(name, d, x, weight, bias, groups)
    out_channels, per_group = weight.shape[:2]
    kernel = tuple(weight.shape[2:])
    if out_channels % groups:
        raise RuntimeError(
            f"Given groups={groups}, expected weight to be divisible by {groups} at dimension 0, "
            f"but got weight of size {list(weight.shape)} instead"
        )
    if x.shape[1] != per_group * groups:
        raise RuntimeError(
            f"Given groups={groups}, weight of size {list(weight.shape)}, expected "
            f"input{list(x.shape)} to have {per_group * groups} channels, but got {x.shape[1]} "
            "channels instead"
        )
    if bias is not None and tuple(bias.shape) != (out_channels,):
        raise RuntimeError(
            f"{name}: expected bias of size [{out_channels}], got {list(bias.shape)}"
        )
    stride = ntuple(stride, d, "stride", name)
    dilation = ntuple(dilation, d, "dilation", name)
    _positive(name, "stride", stride)
    _positive(name, "dilation", dilation)
    pads = _padding(name, padding, kernel, stride, dilation)
    padded = [n + lo + hi for n, (lo, hi) in zip(x.shape[2:], pads)]
    extent = [dl * (k - 1) + 1 for k, dl in zip(kernel, dilation)]
    if any(p < e for p, e in zip(padded, extent)):
        raise RuntimeError(
            f"{name}: calculated padded input size per channel: ({' x '.join(map(str, padded))}). "
            f"Kernel size: ({' x '.join(map(str, extent))}). Kernel size can't be greater than "
            "actual input size"
        )
    return x, added, C.Geometry(stride, pads, dilation, groups)


def _transposed(name, d, input, weight, bias, stride, padding, output_padding, groups, dilation):
    x, added, geometry, shape = transposed_arguments(
        name, d, input, weight, bias, stride, padding, output_padding, groups, dilation
    )
    return unbatched(apply(C.conv_transpose, x, weight, bias, geometry, shape), added)


def transposed_arguments(
    name, d, input, weight, bias, stride, padding, output_padding, groups, dilation
):
    """The checked arguments of the conv_transpose op: the batched input, whether a batch dim was
    added, the geometry of the convolution it is the adjoint of, and the output's shape."""
    x, added = batched(input, d, name)
    _check_operands(name, d, x, weight, bias, groups)
    in_channels, per_group = weight.shape[:2]
    kernel = tuple(weight.shape[2:])
    if x.shape[1] != in_channels:
        raise RuntimeError(
            f"Given transposed=1, weight of size {list(weight.shape)}, expected input"
            f"{list(x.shape)} to have {in_channels} channels, but got {x.shape[1]} channels "
            "instead"
        )
    if in_channels % groups:
        raise RuntimeError(
            f"Given groups={groups}, expected weight to be divisible by {groups} at dimension 0, "
            f"but got weight of size {list(weight.shape)} instead"
        )
    out_channels = per_group * groups
    if bias is not None and tuple(bias.shape) != (out_channels,):
        raise RuntimeError(
            f"{name}: expected bias of size [{out_channels}], got {list(bias.shape)}"
        )
    stride = ntuple(stride, d, "stride", name)
    dilation = ntuple(dilation, d, "dilation", name)
    _positive(name, "stride", stride)
    _positive(name, "dilation", dilation)
    if isinstance(padding, str):
        raise ValueError(f"{name}: padding must be an int or a tuple of ints, got '{padding}'")
    pads = ntuple(padding, d, "padding", name)
    extra = ntuple(output_padding, d, "output_padding", name)
    if any(p < 0 for p in pads + extra):
        raise RuntimeError(f"{name}: negative padding is not supported")
    if any(e >= s and e >= dl for e, s, dl in zip(extra, stride, dilation)):
        raise RuntimeError(
            f"{name}: output padding must be smaller than either stride or "
            f"dilation, but got output_padding={list(extra)}, "
            f"stride={list(stride)}, dilation={list(dilation)}"
        )
    size = tuple(
        (n - 1) * s - 2 * p + dl * (k - 1) + e + 1
        for n, s, p, dl, k, e in zip(x.shape[2:], stride, pads, dilation, kernel, extra)
    )
    if any(n <= 0 for n in size):
        raise RuntimeError(
            f"{name}: the computed output size {list(size)} is too small "
            f"for input of size {list(x.shape)}"
        )
    # The convolution this is the adjoint of maps ``size`` back to the input's size; the output
    # padding is extra room at the end that no window of that convolution reads.
    geometry = C.Geometry(stride, tuple((p, p - e) for p, e in zip(pads, extra)), dilation, groups)
    return x, added, geometry, (x.shape[0], out_channels) + size


def _fold_geometry(name, kernel_size, dilation, padding, stride):
    kernel = ntuple(kernel_size, 2, "kernel_size", name)
    dilation = ntuple(dilation, 2, "dilation", name)
    stride = ntuple(stride, 2, "stride", name)
    pads = ntuple(padding, 2, "padding", name)
    _positive(name, "kernel_size", kernel)
    _positive(name, "stride", stride)
    _positive(name, "dilation", dilation)
    if any(p < 0 for p in pads):
        raise RuntimeError(f"{name}: negative padding is not supported (got {list(pads)})")
    return kernel, C.Geometry(stride, tuple((p, p) for p in pads), dilation, 1)


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    """im2col: (N, C, H, W) -> (N, C * kh * kw, L), one column per position of a sliding window."""
    op, x, kernel, geometry, added = unfold_arguments(input, kernel_size, dilation, padding, stride)
    return unbatched(apply(op, x, kernel, geometry), added)


def unfold_arguments(input, kernel_size, dilation, padding, stride):
    """The unfold op, its checked arguments and whether a batch dim was added."""
    kernel, geometry = _fold_geometry("unfold", kernel_size, dilation, padding, stride)
    check_tensor(input, "unfold")
    if input.ndim not in (3, 4):
        raise RuntimeError(
            f"unfold: only 3D or 4D input tensors are supported (got "
            f"{input.ndim}D, size {list(input.shape)})"
        )
    x, added = batched(input, 2, "unfold")
    out = C.output_size(x.shape[2:], kernel, geometry)
    if any(n <= 0 for n in out):
        raise RuntimeError(
            f"unfold: the sliding blocks of kernel {list(kernel)} do not fit in "
            f"the padded input of size {list(x.shape[2:])} (blocks: {list(out)})"
        )
    return C.unfold, x, kernel, geometry, added


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """col2im, the adjoint of :func:`unfold`: (N, C * kh * kw, L) -> (N, C, H, W), overlapping
    values added up."""
    op, *args, added = fold_arguments(input, output_size, kernel_size, dilation, padding, stride)
    return unbatched(apply(op, *args), added)


def fold_arguments(input, output_size, kernel_size, dilation, padding, stride):
    """The fold op, its checked arguments and whether a batch dim was added."""
    kernel, geometry = _fold_geometry("fold", kernel_size, dilation, padding, stride)
    size = ntuple(output_size, 2, "output_size", "fold")
    check_tensor(input, "fold")
    if input.ndim not in (2, 3):
        raise RuntimeError(
            f"fold: expected 2D or 3D (batched) input, got {input.ndim}D (size {list(input.shape)})"
        )
    added = input.ndim == 2
    cols = input.unsqueeze(0) if added else input
    blocks = C.output_size(size, kernel, geometry)
    per_column = kernel[0] * kernel[1]
    if cols.shape[1] % per_column:
        raise RuntimeError(
            f"Expected size of input's dimension 1 to be divisible by the product of "
            f"kernel_size, but got input.size(1)={cols.shape[1]} and kernel_size={kernel}."
        )
    if cols.shape[2] != blocks[0] * blocks[1]:
        raise RuntimeError(
            f"Given output_size={size}, kernel_size={kernel}, dilation={tuple(geometry.dilation)}, "
            f"padding={tuple(p for p, _ in geometry.padding)}, "
            f"stride={tuple(geometry.stride)}, expected size of input's dimension 2 to match the "
            f"calculated number of sliding blocks {blocks[0]} * {blocks[1]} = "
            f"{blocks[0] * blocks[1]}, but got input.size(2)={cols.shape[2]}."
        )
    shape = (cols.shape[0], cols.shape[1] // per_column) + size
    return C.fold, cols, shape, kernel, geometry, added

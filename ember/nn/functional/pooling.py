"""Pooling: ``max_pool1d/2d``, ``avg_pool1d/2d``, ``adaptive_avg_pool1d/2d``,
``adaptive_max_pool1d/2d``.

The window arithmetic (one strided slice per kernel offset) is in :mod:`ember.ops.pool`; here are
PyTorch's arguments, output sizes (``ceil_mode``), divisors and errors.
"""

import numpy

from ...functions import squeeze, unsqueeze
from ...ops import pool as P
from ...ops import resample as R
from ...ops.op import renamed
from ...tensor import apply, wrap
from ._sizes import batched, check_float, check_tensor, ntuple, unbatched

__all__ = [
    "max_pool1d",
    "max_pool2d",
    "max_pool1d_with_indices",
    "max_pool2d_with_indices",
    "avg_pool1d",
    "avg_pool2d",
    "adaptive_avg_pool1d",
    "adaptive_avg_pool2d",
    "adaptive_max_pool1d",
    "adaptive_max_pool2d",
    "max_pool_arguments",
    "adaptive_max_pool_arguments",
    "avg_pool_arguments",
    "adaptive_avg_pool_arguments",
]

_MAX_POOL = {1: renamed(P.max_pool, "MaxPool1DWithIndicesBackward0"), 2: P.max_pool}
_AVG_POOL = {1: renamed(P.avg_pool, "AvgPool1DBackward0"), 2: P.avg_pool}
_ADAPTIVE = {
    1: renamed(R.separable, "AdaptiveAvgPool1DBackward0"),
    2: renamed(R.separable, "AdaptiveAvgPool2DBackward0"),
}


def _pool_size(name, size, kernel, stride, pad, dilation, ceil_mode):
    """PyTorch's pooling output size for one dim (``ceil_mode`` keeps a last partial window if it
    starts inside the input or its left padding)."""
    extent = dilation * (kernel - 1) + 1
    span = size + 2 * pad - extent + (stride - 1 if ceil_mode else 0)
    out = span // stride + 1
    if ceil_mode and (out - 1) * stride >= size + pad:
        out -= 1
    if out < 1:
        raise RuntimeError(
            f"{name}: output size is too small: input size {size}, kernel "
            f"{kernel}, stride {stride}, padding {pad}, dilation {dilation} give "
            f"{out}"
        )
    return out


def _geometry(name, d, x, kernel_size, stride, padding, dilation, ceil_mode):
    kernel = ntuple(kernel_size, d, "kernel_size", name)
    stride = (
        kernel
        if stride is None or stride == [] or stride == ()
        else ntuple(stride, d, "stride", name)
    )
    pads = ntuple(padding, d, "padding", name)
    dilation = ntuple(dilation, d, "dilation", name)
    for what, values in (("kernel_size", kernel), ("stride", stride), ("dilation", dilation)):
        if any(v <= 0 for v in values):
            raise RuntimeError(f"{name}: {what} must be greater than zero, but got {list(values)}")
    for k, p, dl in zip(kernel, pads, dilation):
        if p < 0 or p > (dl * (k - 1) + 1) // 2:
            raise RuntimeError(
                f"{name}: pad should be at most half of effective kernel size, "
                f"but got pad={p}, kernel_size={k} and dilation={dl}"
            )
    out = tuple(
        _pool_size(name, n, k, s, p, dl, ceil_mode)
        for n, k, s, p, dl in zip(x.shape[2:], kernel, stride, pads, dilation)
    )
    # Pad after by exactly what the last window needs (more than `padding` with ceil_mode, or
    # less: trailing elements no window reads are cropped).
    pairs = tuple(
        (p, (o - 1) * s + dl * (k - 1) + 1 - n - p)
        for n, k, s, p, dl, o in zip(x.shape[2:], kernel, stride, pads, dilation, out)
    )
    return kernel, stride, pairs, dilation, out


def _max_pool(name, d, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices):
    op, args, added = max_pool_arguments(
        name, d, input, kernel_size, stride, padding, dilation, ceil_mode
    )
    values = unbatched(apply(op, *args), added)
    if return_indices:
        return values, unbatched(wrap(args[-1]), added)
    return values


def max_pool_arguments(name, d, input, kernel_size, stride, padding, dilation, ceil_mode):
    """The max-pool op, its checked arguments (the last, ``indices``, is filled by the forward),
    and whether a batch dim was added."""
    x, added = batched(input, d, name)
    check_float(x, name)
    kernel, stride, pairs, dilation, out = _geometry(
        name, d, x, kernel_size, stride, padding, dilation, ceil_mode
    )
    indices = numpy.empty(x.shape[:2] + out, numpy.int64)
    return _MAX_POOL[d], (x, kernel, stride, pairs, dilation, indices), added


def max_pool1d(
    input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False
):
    """The max of each window along L of (N, C, L) or (C, L)."""
    return _max_pool(
        "max_pool1d", 1, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices
    )


def max_pool2d(
    input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False
):
    """The max of each window of (N, C, H, W) or (C, H, W); ``return_indices`` also gives each
    max's flat position in its input plane."""
    return _max_pool(
        "max_pool2d", 2, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices
    )


def max_pool1d_with_indices(
    input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=True
):
    return max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool2d_with_indices(
    input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=True
):
    return max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def _counts(size, kernel, stride, pad, out, include_pad):
    # How many elements each window along one dim averages (PyTorch's divisor, one axis of it).
    start = numpy.arange(out) * stride - pad
    end = numpy.minimum(start + kernel, size + pad)
    if include_pad:
        return end - start
    return numpy.minimum(end, size) - numpy.maximum(start, 0)


def _avg_pool(
    name, d, input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override
):
    op, args, added = avg_pool_arguments(
        name, d, input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override
    )
    return unbatched(apply(op, *args), added)


def avg_pool_arguments(
    name, d, input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override
):
    """The average-pool op, its checked arguments, and whether a batch dim was added."""
    x, added = batched(input, d, name)
    check_float(x, name)
    kernel, stride, pairs, _, out = _geometry(
        name, d, x, kernel_size, stride, padding, 1, ceil_mode
    )
    if divisor_override is not None:
        if divisor_override == 0:
            raise RuntimeError(f"{name}: divisor must be not zero")
        divisor = numpy.asarray(divisor_override, x._data.dtype)
    else:
        # The divisor is a product of one count per dim; a constant when every window is full.
        divisor = numpy.ones((), numpy.int64)
        for axis, (n, k, s, (lo, _), o) in enumerate(zip(x.shape[2:], kernel, stride, pairs, out)):
            counts = _counts(n, k, s, lo, o, count_include_pad)
            divisor = divisor * counts.reshape((-1,) + (1,) * (d - 1 - axis))
        divisor = divisor.astype(x._data.dtype)
        if (divisor == divisor.flat[0]).all():
            divisor = numpy.asarray(divisor.flat[0])
    return _AVG_POOL[d], (x, kernel, stride, pairs, divisor), added


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    """The mean of each window along L of (N, C, L) or (C, L)."""
    return _avg_pool(
        "avg_pool1d", 1, input, kernel_size, stride, padding, ceil_mode, count_include_pad, None
    )


def avg_pool2d(
    input,
    kernel_size,
    stride=None,
    padding=0,
    ceil_mode=False,
    count_include_pad=True,
    divisor_override=None,
):
    """The mean of each window of (N, C, H, W) or (C, H, W). ``count_include_pad=False`` divides
    by the number of input (not padding) elements in the window."""
    return _avg_pool(
        "avg_pool2d",
        2,
        input,
        kernel_size,
        stride,
        padding,
        ceil_mode,
        count_include_pad,
        divisor_override,
    )


def _averaging(size, out, dtype):
    # Output i averages input [floor(i * size / out), ceil((i + 1) * size / out)).
    matrix = numpy.zeros((out, size), dtype)
    for i in range(out):
        start, end = (i * size) // out, -(-(i + 1) * size // out)
        matrix[i, start:end] = 1 / (end - start)
    return matrix


def _adaptive(name, d, input, output_size):
    op, args, added = adaptive_avg_pool_arguments(name, d, input, output_size)
    return unbatched(apply(op, *args), added)


def adaptive_avg_pool_arguments(name, d, input, output_size):
    """The adaptive-average-pool op, its checked arguments, and whether a batch dim was added."""
    x, added = batched(input, d, name)
    check_float(x, name)
    if isinstance(output_size, int) or output_size is None:
        output_size = (output_size,) * d
    output_size = tuple(output_size)
    if len(output_size) != d:
        raise ValueError(
            f"{name}: output_size must be an int or a tuple of {d}, got {output_size!r}"
        )
    sizes = tuple(n if o is None else int(o) for n, o in zip(x.shape[2:], output_size))
    if any(o <= 0 for o in sizes):
        raise RuntimeError(f"{name}: output_size must be positive, got {list(sizes)}")
    if any(n == 0 for n in x.shape[2:]):
        raise RuntimeError(
            f"{name}: expected input with non-zero spatial size, got {list(x.shape)}"
        )
    matrices = tuple(
        None if n == o else _averaging(n, o, x._data.dtype) for n, o in zip(x.shape[2:], sizes)
    )
    return _ADAPTIVE[d], (x, matrices), added


def adaptive_avg_pool1d(input, output_size):
    """Average pooling to a given output length (each output averages its share of the input)."""
    return _adaptive("adaptive_avg_pool1d", 1, input, output_size)


def adaptive_avg_pool2d(input, output_size):
    """Average pooling to a given output size; ``None`` in ``output_size`` keeps that dim."""
    return _adaptive("adaptive_avg_pool2d", 2, input, output_size)


def adaptive_max_pool_arguments(name, d, input, output_size):
    """The adaptive-max-pool op, its checked arguments (the last, ``indices``, filled by the
    forward) and whether a batch dim was added. PyTorch pools 1-D inputs as (N, C, 1, L), so
    their input gets that extra dim (the caller squeezes it from the results)."""
    check_tensor(input, name)
    if input.ndim not in (d + 1, d + 2):
        if d == 1:
            raise RuntimeError(
                f"Expected 2 to 3 dimensions, but got {input.ndim}-dimensional tensor for "
                f"argument #1 'self' (while checking arguments for {name})"
            )
        raise RuntimeError(f"{name}(): Expected 3D or 4D tensor, but got: {list(input.shape)}")
    for dim in range(input.ndim - d, input.ndim):
        if input.shape[dim] == 0:
            raise RuntimeError(
                f"{name}(): Expected input to have non-zero size for non-batch dimensions, but "
                f"input has sizes {list(input.shape)} with dimension {dim} being empty"
            )
    x, added = batched(input, d, name)
    check_float(x, name)
    sizes = _output_sizes(name, d, x.shape[2:], output_size)
    if d == 1:
        x, sizes = unsqueeze(x, -2), (1,) + sizes
    indices = numpy.empty(x.shape[:2] + sizes, numpy.int64)
    return P.adaptive_max_pool, (x, indices), added


def _output_sizes(name, d, spatial, output_size):
    if isinstance(output_size, int):
        output_size = (output_size,) * d
    output_size = tuple(output_size)
    if len(output_size) != d:
        if d == 1:
            raise RuntimeError(
                f"{name}() argument 'output_size' should contain one int (got {len(output_size)})"
            )
        raise ValueError(
            f"{name}: output_size must be an int or a tuple of {d}, got {output_size!r}"
        )
    sizes = tuple(n if o is None else int(o) for n, o in zip(spatial, output_size))
    if any(o < 0 for o in sizes):
        raise RuntimeError(f"{name}: output_size must not be negative, got {list(sizes)}")
    return sizes


def _adaptive_max(name, d, input, output_size, return_indices):
    op, (x, indices), added = adaptive_max_pool_arguments(name, d, input, output_size)
    values, indices = apply(op, x, indices), wrap(indices)
    if d == 1:
        values, indices = squeeze(values, -2), squeeze(indices, -2)
    values, indices = unbatched(values, added), unbatched(indices, added)
    return (values, indices) if return_indices else values


def adaptive_max_pool1d(input, output_size, return_indices=False):
    """Max pooling to a given output length (each output the max of its share of the input)."""
    return _adaptive_max("adaptive_max_pool1d", 1, input, output_size, return_indices)


def adaptive_max_pool2d(input, output_size, return_indices=False):
    """Max pooling to a given output size; ``None`` in ``output_size`` keeps that dim."""
    return _adaptive_max("adaptive_max_pool2d", 2, input, output_size, return_indices)

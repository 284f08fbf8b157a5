"""``interpolate`` (and ``upsample``): resize the spatial dims by nearest neighbour, linear or
bilinear or bicubic interpolation, or area averaging.

Every mode treats each spatial dim on its own. Nearest modes are an index map per dim (output ``i``
reads input ``index[i]``); linear and cubic modes and ``'area'`` are a small matrix per dim (each
output a weighted sum of inputs). Both are ops in :mod:`ember.ops.resample`, with their VJPs.
"""

import math

import numpy

from ...ops import resample as R
from ...ops.op import renamed
from ...tensor import apply
from ._sizes import check_float, check_tensor

__all__ = ["interpolate", "upsample"]

_LINEAR = {"linear": 1, "bilinear": 2, "trilinear": 3}
_NEAREST = {d: renamed(R.take_axes, f"UpsampleNearest{d}DBackward0") for d in (1, 2, 3)}
_NEAREST_EXACT = {d: renamed(R.take_axes, f"UpsampleNearestExact{d}DBackward0") for d in (1, 2, 3)}
_LINEAR_OPS = {
    1: renamed(R.separable, "UpsampleLinear1DBackward0"),
    2: renamed(R.separable, "UpsampleBilinear2DBackward0"),
    3: renamed(R.separable, "UpsampleTrilinear3DBackward0"),
}
_BICUBIC = renamed(R.separable, "UpsampleBicubic2DBackward0")
_AREA = {d: renamed(R.separable, f"AdaptiveAvgPool{d}DBackward0") for d in (1, 2, 3)}


def _sizes_and_scales(input, d, size, scale_factor, recompute_scale_factor):
    if (size is None) == (scale_factor is None):
        raise ValueError("interpolate: only one of size or scale_factor should be defined")
    spatial = tuple(input.shape[2:])
    if size is not None:
        sizes = (int(size),) * d if isinstance(size, int) else tuple(int(s) for s in size)
        if len(sizes) != d:
            raise ValueError(
                f"interpolate: input with {d} spatial dims expects size of length "
                f"{d}, got {list(sizes)}"
            )
        scales = (None,) * d
    else:
        scales = (
            (float(scale_factor),) * d
            if isinstance(scale_factor, (int, float))
            else tuple(float(s) for s in scale_factor)
        )
        if len(scales) != d:
            raise ValueError(
                f"interpolate: input with {d} spatial dims expects scale_factor of "
                f"length {d}, got {list(scales)}"
            )
        sizes = tuple(int(math.floor(n * s)) for n, s in zip(spatial, scales))
        if recompute_scale_factor:
            scales = (None,) * d
    if any(s <= 0 for s in sizes):
        raise ValueError(f"interpolate: output size must be positive, got {list(sizes)}")
    return sizes, scales


def _source_scale(size, out, scale, align_corners):
    # PyTorch's area_pixel_compute_scale: output step measured in input pixels.
    if align_corners:
        return (size - 1) / (out - 1) if out > 1 else 0.0
    return 1 / scale if scale is not None and scale > 0 else size / out


def _nearest_index(size, out, scale, exact):
    step = 1 / scale if scale is not None and scale > 0 else size / out
    positions = numpy.arange(out, dtype=numpy.float64)
    if exact:
        positions += 0.5
    # float32 arithmetic, as PyTorch computes these indices
    source = numpy.floor((positions * numpy.float32(step)).astype(numpy.float32))
    return numpy.minimum(source.astype(numpy.int64), size - 1)


def _linear_matrix(size, out, scale, align_corners, dtype):
    step = _source_scale(size, out, scale, align_corners)
    positions = numpy.arange(out, dtype=numpy.float64)
    source = positions * step if align_corners else numpy.maximum(step * (positions + 0.5) - 0.5, 0)
    low = numpy.minimum(numpy.floor(source).astype(numpy.int64), size - 1)
    high = numpy.minimum(low + 1, size - 1)
    weight_high = source - low
    matrix = numpy.zeros((out, size), numpy.float64)
    rows = numpy.arange(out)
    numpy.add.at(matrix, (rows, low), 1 - weight_high)
    numpy.add.at(matrix, (rows, high), weight_high)
    return matrix.astype(dtype)


def _cubic_matrix(size, out, scale, align_corners, dtype):
    # PyTorch's bicubic: Keys' cubic convolution with A = -0.75 on the four pixels around each
    # source point (unclamped, unlike linear), reading the border pixel past either edge.
    step = _source_scale(size, out, scale, align_corners)
    positions = numpy.arange(out, dtype=numpy.float64)
    source = positions * step if align_corners else step * (positions + 0.5) - 0.5
    low = numpy.floor(source)
    t = source - low
    a = -0.75

    def near(x):  # |x| <= 1
        return ((a + 2) * x - (a + 3)) * x * x + 1

    def far(x):  # 1 < |x| < 2
        return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a

    weights = (far(t + 1), near(t), near(1 - t), far(2 - t))
    matrix = numpy.zeros((out, size), numpy.float64)
    rows = numpy.arange(out)
    for k, weight in enumerate(weights):
        column = numpy.clip(low.astype(numpy.int64) - 1 + k, 0, size - 1)
        numpy.add.at(matrix, (rows, column), weight)
    return matrix.astype(dtype)


def _area_matrix(size, out, dtype):
    matrix = numpy.zeros((out, size), dtype)
    for i in range(out):
        start, end = (i * size) // out, -(-(i + 1) * size // out)
        matrix[i, start:end] = 1 / (end - start)
    return matrix


def interpolate(
    input,
    size=None,
    scale_factor=None,
    mode="nearest",
    align_corners=None,
    recompute_scale_factor=None,
    antialias=False,
):
    """Resize (N, C, *spatial) to ``size`` or by ``scale_factor``. Modes: ``'nearest'``,
    ``'nearest-exact'``, ``'linear'`` (3D input), ``'bilinear'`` and ``'bicubic'`` (4D),
    ``'trilinear'`` (5D), ``'area'``."""
    check_tensor(input, "interpolate")
    d = input.ndim - 2
    if d not in (1, 2, 3):
        raise ValueError(
            f"interpolate: expected a 3D, 4D or 5D input (N, C, *spatial), got "
            f"{input.ndim}D input of size {list(input.shape)}"
        )
    if antialias:
        raise NotImplementedError("interpolate: antialias=True is not supported by ember")
    if align_corners is not None and mode not in _LINEAR and mode != "bicubic":
        raise ValueError(
            "align_corners option can only be set with the interpolating modes: "
            "linear | bilinear | bicubic | trilinear"
        )
    sizes, scales = _sizes_and_scales(input, d, size, scale_factor, recompute_scale_factor)
    if mode in _LINEAR and _LINEAR[mode] != d:
        raise NotImplementedError(
            f"Got {input.ndim}D input, but {mode} mode needs {_LINEAR[mode] + 2}D input"
        )
    if mode == "bicubic" and d != 2:
        raise NotImplementedError(
            "Input Error: Only 3D, 4D and 5D input Tensors supported"
            f" (got {input.ndim}D) for the modes: nearest | linear | bilinear | bicubic | "
            f"trilinear | lanczos | area | nearest-exact (got {mode})"
        )
    spatial = tuple(input.shape[2:])
    if mode in ("nearest", "nearest-exact"):
        exact = mode == "nearest-exact"
        indices = tuple(_nearest_index(n, o, s, exact) for n, o, s in zip(spatial, sizes, scales))
        return apply((_NEAREST_EXACT if exact else _NEAREST)[d], input, indices)
    check_float(input, "interpolate")
    dtype = input._data.dtype
    if mode in _LINEAR:
        matrices = tuple(
            _linear_matrix(n, o, s, bool(align_corners), dtype)
            for n, o, s in zip(spatial, sizes, scales)
        )
        return apply(_LINEAR_OPS[d], input, matrices)
    if mode == "bicubic":
        matrices = tuple(
            _cubic_matrix(n, o, s, bool(align_corners), dtype)
            for n, o, s in zip(spatial, sizes, scales)
        )
        return apply(_BICUBIC, input, matrices)
    if mode == "area":
        matrices = tuple(
            None if n == o else _area_matrix(n, o, dtype) for n, o in zip(spatial, sizes)
        )
        return apply(_AREA[d], input, matrices)
    raise NotImplementedError(
        f"interpolate: mode '{mode}' is not supported (use 'nearest', "
        "'nearest-exact', 'linear', 'bilinear', 'bicubic', 'trilinear' or 'area')"
    )


def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None):
    """The old name of :func:`interpolate`."""
    return interpolate(input, size, scale_factor, mode, align_corners)

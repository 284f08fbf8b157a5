"""Sampling an image at arbitrary points: ``affine_grid`` (the points an affine map sends an output
pixel grid to) and ``grid_sample`` (the image read at those points), 2-D.

A grid holds (x, y) in [-1, 1] per output pixel. Each point becomes a pixel coordinate (see
:func:`_source`, which also returns d(pixel)/d(grid) for the chosen padding mode), and the output
is a weighted sum of the input at the nearest pixel (``nearest``) or the four around it
(``bilinear``); taps outside the image read 0. The VJP for the input adds each output's gradient
back at its taps with the same weights; for the grid it is the gradient of the weights.
"""

import numpy

from .op import Op

__all__ = ["affine_grid", "grid_sample"]


# ----- affine_grid: base grid @ theta^T -----------------------------------------------------------


def base_grid(height, width, align_corners, dtype):
    """(H * W, 3) rows ``(x, y, 1)`` of the output pixels' centres in [-1, 1] coordinates."""

    def steps(n):
        if n <= 1:
            return numpy.zeros(max(n, 0))
        line = numpy.linspace(-1, 1, n)
        return line if align_corners else line * (n - 1) / n

    y, x = numpy.meshgrid(steps(height), steps(width), indexing="ij")
    return numpy.stack([x.ravel(), y.ravel(), numpy.ones(height * width)], 1).astype(dtype)


def _affine_grid(theta, base, size):
    n, height, width = size
    return numpy.matmul(base, theta.swapaxes(1, 2)).reshape(n, height, width, 2)


affine_grid = Op(
    "AffineGridGeneratorBackward0",
    _affine_grid,
    (
        lambda xp, g, theta, base, size, out: xp.matmul(
            xp.swapaxes(xp.reshape(g, (size[0], size[1] * size[2], 2)), 1, 2), base
        ),
    ),
    "grad_theta = grad^T @ base_grid",
    saves="",
)


# ----- grid_sample -------------------------------------------------------------------------------


def _reflect(coord, twice_low, twice_high):
    # PyTorch's reflect_coordinates_set_grad: fold coord into [low, high] by mirroring.
    if twice_low == twice_high:
        return numpy.zeros_like(coord), numpy.zeros_like(coord)
    low, span = twice_low / 2, (twice_high - twice_low) / 2
    coord = coord - low
    sign = numpy.where(coord < 0, -1, 1).astype(coord.dtype)
    coord = numpy.abs(coord)
    extra = numpy.fmod(coord, span)
    even = numpy.floor(coord / span) % 2 == 0
    return numpy.where(even, extra + low, span - extra + low), numpy.where(even, sign, -sign)


def _source(coord, size, padding_mode, align_corners):
    """Pixel coordinates of grid values ``coord`` along an axis of ``size`` pixels, and their
    derivative with respect to ``coord`` (0 where clipping to the border holds them still)."""
    if align_corners:
        pixel, slope = (coord + 1) / 2 * (size - 1), (size - 1) / 2
    else:
        pixel, slope = ((coord + 1) * size - 1) / 2, size / 2
    slope = numpy.full_like(coord, slope)
    if padding_mode == "reflection":
        twice = (0, 2 * (size - 1)) if align_corners else (-1, 2 * size - 1)
        pixel, flip = _reflect(pixel, *twice)
        slope = slope * flip
    if padding_mode != "zeros":  # border, and reflection's rounding at the edges
        inside = (pixel > 0) & (pixel < size - 1)
        pixel, slope = numpy.clip(pixel, 0, size - 1), slope * inside
    return pixel, slope


def _taps(shape, grid, mode, padding_mode, align_corners):
    """``(y, x, weight, d weight / d x, d weight / d y)`` per tap, and d(pixel)/d(grid) per axis."""
    height, width = shape[2:]
    x, x_slope = _source(grid[..., 0], width, padding_mode, align_corners)
    y, y_slope = _source(grid[..., 1], height, padding_mode, align_corners)
    if mode == "nearest":  # round half to even, as PyTorch's nearbyint
        one, zero = numpy.ones_like(x), numpy.zeros_like(x)
        y, x = numpy.rint(y).astype(numpy.int64), numpy.rint(x).astype(numpy.int64)
        return [(y, x, one, zero, zero)], x_slope, y_slope
    x0, y0 = numpy.floor(x), numpy.floor(y)
    e, n = x - x0, y - y0
    x0, y0 = x0.astype(numpy.int64), y0.astype(numpy.int64)
    taps = [
        (y0, x0, (1 - e) * (1 - n), -(1 - n), -(1 - e)),
        (y0, x0 + 1, e * (1 - n), 1 - n, -e),
        (y0 + 1, x0, (1 - e) * n, -n, 1 - e),
        (y0 + 1, x0 + 1, e * n, n, e),
    ]
    return taps, x_slope, y_slope


def _flat_index(shape, y, x):
    height, width = shape[2:]
    inside = (y >= 0) & (y < height) & (x >= 0) & (x < width)
    return numpy.where(inside, y * width + x, 0).reshape(y.shape[0], 1, -1), inside


def _gather(image, y, x):
    """image[n, :, y, x] for each point, 0 for points outside: (N, C, *y.shape[1:])."""
    n, c = image.shape[:2]
    index, inside = _flat_index(image.shape, y, x)
    values = numpy.take_along_axis(image.reshape(n, c, -1), index, axis=2)
    return values.reshape((n, c) + y.shape[1:]) * inside[:, None]


def _scatter_add(shape, y, x, values):
    """The adjoint of :func:`_gather`: ``values`` added into a zero image of ``shape``."""
    n, c, height, width = shape
    index, inside = _flat_index(shape, y, x)
    index = index + (numpy.arange(n * c).reshape(n, c, 1) * (height * width))
    weights = (values * inside[:, None]).reshape(n, c, -1)
    total = numpy.bincount(index.ravel(), weights.ravel(), minlength=n * c * height * width)
    return total.reshape(shape).astype(values.dtype)


def _grid_sample(image, grid, mode, padding_mode, align_corners):
    taps, _, _ = _taps(image.shape, grid, mode, padding_mode, align_corners)
    return sum(w[:, None] * _gather(image, y, x) for y, x, w, _, _ in taps)


def _grad_image(g, image, grid, mode, padding_mode, align_corners):
    taps, _, _ = _taps(image.shape, grid, mode, padding_mode, align_corners)
    return sum(_scatter_add(image.shape, y, x, g * w[:, None]) for y, x, w, _, _ in taps)


def _grad_grid(g, image, grid, mode, padding_mode, align_corners):
    taps, x_slope, y_slope = _taps(image.shape, grid, mode, padding_mode, align_corners)
    grad = numpy.zeros_like(grid)
    if mode == "nearest":  # piecewise constant in the grid
        return grad
    for y, x, _, dx, dy in taps:
        seen = (g * _gather(image, y, x)).sum(1)
        grad[..., 0] += seen * dx
        grad[..., 1] += seen * dy
    grad[..., 0] *= x_slope
    grad[..., 1] *= y_slope
    return grad


def _no_double_backward(xp, g, *args):
    raise RuntimeError("derivative for grid_sampler_2d_backward is not implemented in ember")


# PyTorch differentiates the backward too; ember's raises (the two VJPs below are ops so that
# create_graph=True records them and fails only if a second derivative is asked for).
_NOT_DIFFERENTIABLE = ((_no_double_backward,) * 3, ("not differentiable",) * 3)
grad_image = Op("GridSampler2DBackwardBackward0", _grad_image, *_NOT_DIFFERENTIABLE)
grad_grid = Op("GridSampler2DBackwardBackward0", _grad_grid, *_NOT_DIFFERENTIABLE)

grid_sample = Op(
    "GridSampler2DBackward0",
    _grid_sample,
    (
        lambda xp, g, image, grid, *modes: xp.apply(grad_image, g, image, grid, *modes[:3]),
        lambda xp, g, image, grid, *modes: xp.apply(grad_grid, g, image, grid, *modes[:3]),
    ),
    (
        "grad_input = grad added back at each point's taps, times the tap weights",
        "grad_grid = grad * input at the taps * d(tap weights)/d(grid)",
    ),
)

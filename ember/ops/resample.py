"""Ops that rebuild the trailing axes of a tensor one axis at a time: padding, interpolation and
adaptive average pooling.

Three shapes of that idea, each with its VJP beside it:

* ``separable``: a linear map (a small matrix) applied along each trailing axis. Linear and bilinear
  interpolation weigh two neighbours per output; adaptive average pooling averages a range. The
  VJP applies the transposed matrices, which is the same op again.
* ``take_axes``: an index map along each trailing axis (output ``i`` reads input ``index[i]``).
  Nearest-neighbour upsampling, and reflect/replicate/circular padding, are index maps. The VJP
  adds each output's gradient back to the input it read.
* ``constant_pad``: a constant border (or a crop, for negative pads). Its VJP crops the gradient,
  which is the same op with the pads negated.
"""

import numpy

from .op import Op

__all__ = ["separable", "take_axes", "constant_pad"]


def _along(x, matrix, axis):
    # out[..., i, ...] = sum_j matrix[i, j] * x[..., j, ...] along ``axis``
    if axis == x.ndim - 1:
        return numpy.matmul(x, matrix.T)
    if axis == x.ndim - 2:
        return numpy.matmul(matrix, x)
    return numpy.swapaxes(numpy.matmul(matrix, numpy.swapaxes(x, axis, -2)), axis, -2)


def _separable(x, matrices):
    first = x.ndim - len(matrices)
    if all(m is None for m in matrices):
        return x.copy()
    for i, matrix in enumerate(matrices):
        if matrix is not None:
            x = _along(x, matrix, first + i)
    return x


def _transposed(matrices):
    return tuple(None if m is None else numpy.ascontiguousarray(m.T) for m in matrices)


separable = Op(
    "UpsampleBilinear2DBackward0",
    _separable,
    (lambda xp, g, x, matrices, out: xp.apply(separable, g, _transposed(matrices)),),
    "grad_x = grad with the transposed map applied along each axis",
    saves="",
)


def _take_axes(x, indices):
    first = x.ndim - len(indices)
    for i, index in enumerate(indices):
        if index is not None:
            x = numpy.take(x, index, axis=first + i)
    return x


def _take_axes_vjp(xp, g, x, indices, out):
    # Undo the takes last to first; each one's gradient adds back what it read (repeats add up).
    first = len(x.shape) - len(indices)
    shapes = [tuple(x.shape)]
    for i, index in enumerate(indices):
        shape = list(shapes[-1])
        if index is not None:
            shape[first + i] = len(index)
        shapes.append(tuple(shape))
    for i in reversed(range(len(indices))):
        if indices[i] is not None:
            g = xp.index_add_along(shapes[i], first + i, indices[i], g, g.dtype)
    return g


take_axes = Op(
    "UpsampleNearest2DBackward0",
    _take_axes,
    (_take_axes_vjp,),
    "grad_x = grad added back at the index each output read, axis by axis",
    saves="",
)


def _constant_pad(x, pads, value):
    # pads: (before, after) for each trailing axis; negative values crop.
    first = x.ndim - len(pads)
    crop = (slice(None),) * first + tuple(
        slice(max(-lo, 0), n - max(-hi, 0)) for n, (lo, hi) in zip(x.shape[first:], pads)
    )
    x = x[crop]
    grow = [(max(lo, 0), max(hi, 0)) for lo, hi in pads]
    if not any(lo or hi for lo, hi in grow):
        return x.copy()
    shape = x.shape[:first] + tuple(n + lo + hi for n, (lo, hi) in zip(x.shape[first:], grow))
    out = numpy.full(shape, value, x.dtype)
    out[
        (slice(None),) * first
        + tuple(slice(lo, lo + n) for n, (lo, _) in zip(x.shape[first:], grow))
    ] = x
    return out


constant_pad = Op(
    "ConstantPadNdBackward0",
    _constant_pad,
    (
        lambda xp, g, x, pads, value, out: xp.apply(
            constant_pad, g, tuple((-lo, -hi) for lo, hi in pads), 0
        ),
    ),
    "grad_x = grad with the border cropped off",
    saves="",
)

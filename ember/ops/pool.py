"""Pooling: max and average over sliding windows, one strided slice per kernel position.

Every window's element at kernel offset ``k`` is, across all output positions at once, one strided
slice of the padded input; so a pool is a loop over the few kernel offsets (4 for a 2x2 kernel),
each a whole-array NumPy operation, never a loop over pixels.

* Max pooling keeps, per output, the index of the element that won (PyTorch's ``indices``: a flat
  position in the unpadded input plane). The VJP sends each output's gradient to that element
  (``unpool``), and the VJP of that is reading at the indices again (``take_planes``).
* Adaptive max pooling has windows of varying width (output ``i`` of ``o`` reads input
  ``[floor(i n / o), ceil((i + 1) n / o))``); it gathers every window at once, padded to the widest
  by repeating its last element, and keeps the same kind of indices, so its VJP is ``unpool`` too.
* Average pooling divides each window's sum by a divisor (its size, or the part of it inside the
  input). The VJP spreads ``grad / divisor`` evenly over the window (``avg_unpool``), which is the
  adjoint; the two are each other's VJPs.
"""

import itertools

import numpy

from .conv import padded
from .op import Op

__all__ = ["max_pool", "adaptive_max_pool", "unpool", "take_planes", "avg_pool", "avg_unpool"]


def _offsets(kernel, stride, dilation, out):
    """For each kernel offset (in row-major order), the slices of the padded input it reads."""
    per_axis = [
        [slice(k * d, k * d + (o - 1) * s + 1, s) for k in range(n)]
        for n, s, d, o in zip(kernel, stride, dilation, out)
    ]
    return [(Ellipsis,) + combo for combo in itertools.product(*per_axis)]


def _plane_starts(n_planes, plane, dtype=numpy.int64):
    return numpy.arange(n_planes, dtype=dtype) * plane


# ----- max pooling --------------------------------------------------------------------------------


def _max_pool(x, kernel, stride, padding, dilation, indices):
    """The window maxima; the winners' flat positions in each (unpadded) input plane are written
    into ``indices`` (an int64 array of the output's shape), which the VJP reads."""
    out = indices.shape[2:]
    source = padded(x, padding, -numpy.inf)
    views = [source[s] for s in _offsets(kernel, stride, dilation, out)]
    best = views[0].copy()
    for view in views[1:]:
        numpy.maximum(best, view, out=best)
    # Flat index of kernel offset k for output p: base[p] + offset[k] (rows and columns separate).
    size = x.shape[2:]
    base = numpy.zeros(out, numpy.int64)
    place, offsets = 1, numpy.zeros(len(views), numpy.int64)
    combos = list(itertools.product(*[range(k) for k in kernel]))
    for axis in reversed(range(len(out))):
        positions = numpy.arange(out[axis]) * stride[axis] - padding[axis][0]
        base += (positions * place).reshape((-1,) + (1,) * (len(out) - 1 - axis))
        offsets += numpy.array([c[axis] * dilation[axis] * place for c in combos])
        place *= size[axis]
    # The first window element equal to the max wins (ties go first, as in PyTorch). ``code``
    # counts, per output, the offsets before the winner: while no offset has hit the max yet,
    # ``pending`` stays true and each further offset adds one. A NaN wins its window; the
    # padding's -inf never wins (a window of -inf inputs picks an input).
    has_nan = bool(numpy.isnan(best).any())
    inside = (
        _inside_masks(kernel, stride, padding, dilation, size, out, combos)
        if numpy.isneginf(best).any()
        else None
    )
    code = numpy.zeros(indices.shape, numpy.uint8 if len(views) < 256 else numpy.int64)
    pending = None
    for k in range(len(views) - 1):
        missed = views[k] < best if not has_nan else (views[k] != best) & ~numpy.isnan(views[k])
        if inside is not None:
            missed |= ~inside[k]
        if pending is None:
            pending = missed
        else:
            pending &= missed
        code += pending
    numpy.take(offsets, code, out=indices)
    indices += base
    return best


def _inside_masks(kernel, stride, padding, dilation, size, out, combos):
    masks = []
    for combo in combos:
        mask = numpy.ones(out, bool)
        for axis, k in enumerate(combo):
            pos = numpy.arange(out[axis]) * stride[axis] + k * dilation[axis] - padding[axis][0]
            ok = (pos >= 0) & (pos < size[axis])
            mask &= ok.reshape((-1,) + (1,) * (len(out) - 1 - axis))
        masks.append(mask)
    return masks


def _unpool(g, indices, shape):
    # Each output's gradient added to the input element it came from (windows may overlap).
    n_planes = shape[0] * shape[1]
    plane = int(numpy.prod(shape[2:]))
    flat = (indices.reshape(n_planes, -1) + _plane_starts(n_planes, plane)[:, None]).reshape(-1)
    grad = numpy.zeros(n_planes * plane, g.dtype)
    numpy.add.at(grad, flat, g.reshape(-1))
    return grad.reshape(shape)


def _take_planes(x, indices):
    n_planes = x.shape[0] * x.shape[1]
    plane = int(numpy.prod(x.shape[2:]))
    flat = indices.reshape(n_planes, -1) + _plane_starts(n_planes, plane)[:, None]
    return x.reshape(-1)[flat].reshape(indices.shape)


max_pool = Op(
    "MaxPool2DWithIndicesBackward0",
    _max_pool,
    (
        lambda xp, g, x, kernel, stride, padding, dilation, indices, out: xp.apply(
            unpool, g, indices, x.shape
        ),
    ),
    "grad_x = grad added at the index of each window's max, else 0",
)
unpool = Op(
    "MaxPool2DWithIndicesBackwardBackward0",
    _unpool,
    (lambda xp, g, grad_out, indices, shape, out: xp.apply(take_planes, g, indices),),
    "grad = grad read at the indices",
    saves="",
)
take_planes = Op(
    "MaxUnpool2DBackward0",
    _take_planes,
    (lambda xp, g, x, indices, out: xp.apply(unpool, g, indices, x.shape),),
    "grad_x = grad added at the indices",
    saves="",
)


# ----- adaptive max pooling -----------------------------------------------------------------------


def _window_positions(size, out):
    """Per output, the input positions its window reads, as an (out, widest) array; a narrower
    window repeats its last position (a repeat changes neither the max nor which element wins)."""
    start = numpy.arange(out) * size // out
    end = -(-numpy.arange(1, out + 1) * size // out)
    width = int((end - start).max(initial=1))
    return numpy.minimum(start[:, None] + numpy.arange(width), end[:, None] - 1)


def _adaptive_max_pool(x, indices):
    size, out = x.shape[2:], indices.shape[2:]
    d = len(size)
    # flat[o..., k...]: the flat plane position of element k of window o (strides per axis)
    flat, stride = numpy.zeros((1,) * 2 * d, numpy.int64), 1
    for axis in reversed(range(d)):
        grid = _window_positions(size[axis], out[axis])
        shape = [1] * 2 * d
        shape[axis], shape[d + axis] = grid.shape
        flat = flat + grid.reshape(shape) * stride
        stride *= size[axis]
    flat = flat.reshape(out + (-1,))
    windows = x.reshape(x.shape[:2] + (stride,))[..., flat]  # (N, C, *out, widest)
    # PyTorch's loop keeps the first maximum, but a NaN wins and a later NaN wins over it.
    k = numpy.argmax(windows, axis=-1)
    nan = numpy.isnan(windows)
    if nan.any():
        last_nan = nan.shape[-1] - 1 - numpy.argmax(nan[..., ::-1], axis=-1)
        k = numpy.where(nan.any(axis=-1), last_nan, k)
    k = k[..., None]
    numpy.copyto(
        indices, numpy.take_along_axis(numpy.broadcast_to(flat, windows.shape), k, -1)[..., 0]
    )
    return numpy.take_along_axis(windows, k, -1)[..., 0]


adaptive_max_pool = Op(
    "AdaptiveMaxPool2DBackward0",
    _adaptive_max_pool,
    (lambda xp, g, x, indices, out: xp.apply(unpool, g, indices, x.shape),),
    "grad_x = grad added at the index of each window's max, else 0",
    saves="",
)


# ----- average pooling ----------------------------------------------------------------------------


def _avg_pool(x, kernel, stride, padding, divisor):
    # The caller sizes ``padding`` so the windows tile the padded input exactly.
    out = tuple(
        (n + lo + hi - k) // s + 1
        for n, k, s, (lo, hi) in zip(x.shape[2:], kernel, stride, padding)
    )
    source = padded(x, padding)
    total = None
    for s in _offsets(kernel, stride, (1,) * len(kernel), out):
        total = source[s].copy() if total is None else numpy.add(total, source[s], out=total)
    total /= divisor
    return total


def _avg_unpool(g, shape, kernel, stride, padding, divisor):
    # Each window's share, grad / divisor, added to every element of the window.
    share = g / divisor
    spatial = shape[2:]
    grown = tuple(n + lo + max(hi, 0) for n, (lo, hi) in zip(spatial, padding))
    grad = numpy.zeros(tuple(shape[:2]) + grown, g.dtype)
    for s in _offsets(kernel, stride, (1,) * len(kernel), g.shape[2:]):
        grad[s] += share
    inside = (Ellipsis,) + tuple(slice(lo, lo + n) for n, (lo, _) in zip(spatial, padding))
    return numpy.ascontiguousarray(grad[inside])


avg_pool = Op(
    "AvgPool2DBackward0",
    _avg_pool,
    (
        lambda xp, g, x, kernel, stride, padding, divisor, out: xp.apply(
            avg_unpool, g, x.shape, kernel, stride, padding, divisor
        ),
    ),
    "grad_x = grad / divisor spread evenly over each window",
    saves="",
)
avg_unpool = Op(
    "AvgPool2DBackwardBackward0",
    _avg_unpool,
    (
        lambda xp, g, grad_out, shape, kernel, stride, padding, divisor, out: xp.apply(
            avg_pool, g, kernel, stride, padding, divisor
        ),
    ),
    "grad = avg_pool(grad)",
    saves="",
)

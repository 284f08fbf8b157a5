"""Convolution as one matrix product on strided views (im2col), its adjoints, and unfold/fold.

A convolution reads, for every output position ``p``, a window of the (zero-padded) input::

    out[n, o, p] = bias[o] + sum_{c, k} weight[o, c, k] * x[n, c, p * stride + k * dilation]

:func:`columns` lays every window out as one column (a strided view of the input, copied once into
the matrix "im2col"), so the whole convolution is a single matmul of the weights with the columns.
The backward is two more products, one per argument (the chain rule on ``out = W @ columns``)::

    grad_columns = W^T @ grad     then added back where each column was read   (col2im)
    grad_W       = grad @ columns^T

Each of the three maps is linear in each argument, and they are each other's VJPs: the gradient of
a convolution is a transposed convolution and a weight correlation, whose gradients are
convolutions again. So every VJP here calls one of the three through ``xp.apply``, and gradients
of every order are convolutions, recorded when ``create_graph=True``.

Layout: inside these functions the batch is the *last* axis, ``(C, *spatial, N)``. Then each
kernel offset's slice of the input is long contiguous runs (a whole row times the batch), so the
im2col copy and the col2im additions are a few large NumPy operations, and every product is one
2-D GEMM over all samples at once. Arguments and results stay ``(N, C, *spatial)``. Scratch arrays
(the columns, the transposed gradient) are reused between calls instead of being allocated and
page-faulted in every time: they never leave these functions.

Spatial dims are handled generically (conv1d is the one-dim case of the same code). Padding is a
pair (before, after) per spatial dim, so PyTorch's ``padding='same'`` with an even kernel works.
"""

import itertools
import threading
from collections import namedtuple

import numpy
from numpy.lib.stride_tricks import as_strided

from .op import Op

__all__ = [
    "Geometry",
    "output_size",
    "padded",
    "scratch",
    "conv",
    "conv_transpose",
    "conv_weight",
    "unfold",
    "fold",
]

Geometry = namedtuple("Geometry", ["stride", "padding", "dilation", "groups"])
Geometry.__doc__ = """How a kernel walks over the input: per spatial dim a stride, a (before, after)
padding pair and a dilation; and the number of channel groups."""


def output_size(size, kernel, geometry):
    """The spatial size of a convolution's output, per dim."""
    return tuple(
        (n + lo + hi - dl * (k - 1) - 1) // s + 1
        for n, k, s, (lo, hi), dl in zip(
            size, kernel, geometry.stride, geometry.padding, geometry.dilation
        )
    )


# ----- scratch memory ----------------------------------------------------------------------------

_SCRATCH = threading.local()
_SCRATCH_LIMIT = 1 << 28  # bytes: larger scratch arrays are allocated afresh, not kept


def scratch(name, shape, dtype):
    """An uninitialised array for temporary use, reused across calls (one per ``name`` and
    thread). Large temporaries freshly allocated each call cost more in page faults than in
    arithmetic; a caller must be done with the array before it asks for ``name`` again."""
    dtype = numpy.dtype(dtype)
    size = 1
    for n in shape:
        size *= n
    nbytes = size * dtype.itemsize
    if nbytes > _SCRATCH_LIMIT:
        return numpy.empty(shape, dtype)
    pool = _SCRATCH.__dict__
    held = pool.get(name)
    if held is None or held.nbytes < nbytes:
        held = pool[name] = numpy.empty(max(nbytes, 1), numpy.uint8)
    return held[:nbytes].view(dtype).reshape(shape)


# ----- batch-last layout -------------------------------------------------------------------------


def _batch_last(x, name):
    """``(N, C, *S)`` as ``(C, *S, N)``, a contiguous scratch copy."""
    out = scratch(name, x.shape[1:] + x.shape[:1], x.dtype)
    n, c = x.shape[:2]
    if c > 1 and x.flags.c_contiguous and x.strides[0] % 2048 == 0:
        # Reading down a column whose rows lie a multiple of 2 KiB apart hits one cache set over
        # and over (4x slower here); going through (C, N, *S) reads runs of a whole sample row.
        mid = scratch(name + "/cn", (c, n) + x.shape[2:], x.dtype)
        numpy.copyto(mid, x.swapaxes(0, 1))
        numpy.copyto(out.reshape(c, -1, n), mid.reshape(c, n, -1).swapaxes(1, 2))
    else:
        numpy.copyto(out, numpy.moveaxis(x, 0, -1))
    return out


def _batch_first(x_last):
    """``(C, *S, N)`` back to ``(N, C, *S)``, always a fresh array (never the scratch one, which
    a view of would be with N = 1)."""
    out = numpy.empty(x_last.shape[-1:] + x_last.shape[:-1], x_last.dtype)
    numpy.copyto(out, numpy.moveaxis(x_last, -1, 0))
    return out


def padded(x, padding, value=0, first=2):
    """``x`` with ``value`` around the spatial dims ``first, first+1, ...``, a (before, after)
    pair per dim; a negative pad crops instead (conv_transpose's output_padding gives one,
    pooling's ceil_mode others)."""
    if not any(lo or hi for lo, hi in padding):
        return x
    lead = (slice(None),) * first
    if any(lo < 0 or hi < 0 for lo, hi in padding):
        x = x[
            lead
            + tuple(
                slice(max(-lo, 0), n - max(-hi, 0)) for n, (lo, hi) in zip(x.shape[first:], padding)
            )
        ]
        padding = tuple((max(lo, 0), max(hi, 0)) for lo, hi in padding)
    spatial = x.shape[first : first + len(padding)]
    shape = (
        x.shape[:first]
        + tuple(n + lo + hi for n, (lo, hi) in zip(spatial, padding))
        + x.shape[first + len(padding) :]
    )
    out = numpy.zeros(shape, x.dtype) if value == 0 else numpy.full(shape, value, x.dtype)
    out[lead + tuple(slice(lo, lo + n) for n, (lo, _) in zip(spatial, padding))] = x
    return out


def _columns_last(x, kernel, geometry, name="columns"):
    """im2col in batch-last layout: ``(groups, C/groups * prod(kernel), prod(out) * N)``, and the
    output's spatial size. A scratch array."""
    d = len(kernel)
    out = output_size(x.shape[2:], kernel, geometry)
    source = padded(_batch_last(x, "input"), geometry.padding, first=1)  # (C, *S, N)
    c, n = source.shape[0], source.shape[-1]
    spatial = source.strides[1 : 1 + d]
    strides = (
        (source.strides[0],)
        + tuple(a * dl for a, dl in zip(spatial, geometry.dilation))
        + tuple(a * s for a, s in zip(spatial, geometry.stride))
        + (source.strides[-1],)
    )
    windows = as_strided(source, (c,) + tuple(kernel) + out + (n,), strides, writeable=False)
    cols = scratch(name, windows.shape, x.dtype)
    numpy.copyto(cols, windows)
    g = geometry.groups
    return cols.reshape(g, c // g * _prod(kernel), -1), out


def _add_columns_last(cols, shape, kernel, geometry, out):
    """col2im, the adjoint of :func:`_columns_last`: a batch-last ``(C, *S, N)`` scratch array of
    zeros with each column added back where its window read (padding dropped). One strided add
    per kernel offset, each over every output position and sample at once."""
    n, c = shape[:2]
    cols = cols.reshape((c,) + tuple(kernel) + tuple(out) + (n,))
    grad = scratch("col2im", (c,) + tuple(shape[2:]) + (n,), cols.dtype)
    grad.fill(0)
    ranges = [
        _kept(size, k, o, s, lo, dl)
        for size, k, o, s, (lo, _), dl in zip(
            shape[2:], kernel, out, geometry.stride, geometry.padding, geometry.dilation
        )
    ]
    every = (slice(None),)
    for offsets in itertools.product(*ranges):
        target = every + tuple(t for t, _ in offsets)
        if any(t.start >= t.stop for t in target[1:]):
            continue
        source = every + tuple(k for _, (k, _) in offsets) + tuple(s for _, (_, s) in offsets)
        grad[target] += cols[source]
    return grad


def _kept(size, kernel, out, stride, lo, dilation):
    # For each kernel offset k: the input positions it touched inside the unpadded input (a
    # strided slice), and the output positions they came from. Windows that hang over the
    # padding read zeros, whose gradient goes nowhere.
    ranges = []
    for k in range(kernel):
        first = max(0, -(-(lo - k * dilation) // stride))  # first output whose input index >= 0
        last = min(out - 1, (size - 1 + lo - k * dilation) // stride)
        start = first * stride + k * dilation - lo
        target = (
            slice(start, start + (last - first) * stride + 1, stride)
            if last >= first
            else slice(0, 0)
        )
        ranges.append((target, (k, slice(first, last + 1))))
    return ranges


def _prod(sizes):
    n = 1
    for s in sizes:
        n *= s
    return n


def _grouped(w, groups):
    # weight (O, C/groups, *kernel) as (groups, O/groups, C/groups * prod(kernel))
    return w.reshape(groups, w.shape[0] // groups, -1)


def _bias_shape(b, d):
    return b.reshape(b.shape + (1,) * d)


def _sum_bias(xp, g):
    return xp.sum(g, axis=(0,) + tuple(range(2, g.ndim)))


# ----- the convolution ---------------------------------------------------------------------------


def _conv(x, w, b, geometry):
    cols, out = _columns_last(x, w.shape[2:], geometry)
    grouped = _grouped(w, geometry.groups)
    y = scratch("product", (geometry.groups, grouped.shape[1], cols.shape[2]), x.dtype)
    numpy.matmul(grouped, cols, out=y)  # (groups, O/groups, prod(out) * N)
    y = _batch_first(y.reshape((w.shape[0],) + out + (x.shape[0],)))
    if b is not None:
        y += _bias_shape(b, len(out))
    return y


def _conv_transpose(y, w, b, geometry, shape):
    # The adjoint of x -> conv(x, w): each output's value spread back over the window it read.
    g = geometry.groups
    grouped = _grouped(w, g)
    y_last = _batch_last(y, "grad").reshape(g, grouped.shape[1], -1)
    cols = scratch("product", (g, grouped.shape[2], y_last.shape[2]), y.dtype)
    numpy.matmul(grouped.transpose(0, 2, 1), y_last, out=cols)
    x = _batch_first(_add_columns_last(cols, shape, w.shape[2:], geometry, y.shape[2:]))
    if b is not None:
        x += _bias_shape(b, len(shape) - 2)
    return x


def _conv_weight(x, gy, geometry, shape):
    # d(out)/d(weight) applied to gy: the correlation of gy with the input's windows, one GEMM
    # whose inner dimension runs over every position of every sample.
    cols, _ = _columns_last(x, shape[2:], geometry)
    g = geometry.groups
    gy_last = _batch_last(gy, "grad").reshape(g, shape[0] // g, -1)
    return numpy.matmul(gy_last, cols.transpose(0, 2, 1)).reshape(shape)


def _conv_vjp_x(xp, g, x, w, b, geometry, out):
    return xp.apply(conv_transpose, g, w, None, geometry, x.shape)


def _conv_vjp_w(xp, g, x, w, b, geometry, out):
    return xp.apply(conv_weight, x, g, geometry, w.shape)


def _conv_vjp_b(xp, g, x, w, b, geometry, out):
    return _sum_bias(xp, g)


conv = Op(
    "ConvolutionBackward0",
    _conv,
    (_conv_vjp_x, _conv_vjp_w, _conv_vjp_b),
    (
        "grad_x = conv_transpose(grad, w)",
        "grad_w = grad (*) x (correlation with x's windows)",
        "grad_b = grad summed over batch and positions",
    ),
    reads=((1,), (0,), ()),
)

conv_transpose = Op(
    "ConvolutionBackward0",
    _conv_transpose,
    (
        lambda xp, g, y, w, b, geometry, shape, out: xp.apply(conv, g, w, None, geometry),
        lambda xp, g, y, w, b, geometry, shape, out: xp.apply(conv_weight, g, y, geometry, w.shape),
        lambda xp, g, y, w, b, geometry, shape, out: _sum_bias(xp, g),
    ),
    (
        "grad_y = conv(grad, w)",
        "grad_w = y (*) grad (correlation of grad's windows with y)",
        "grad_b = grad summed over batch and positions",
    ),
    reads=((1,), (0,), ()),
)

conv_weight = Op(
    "ConvolutionBackwardBackward0",
    _conv_weight,
    (
        lambda xp, g, x, gy, geometry, shape, out: xp.apply(
            conv_transpose, gy, g, None, geometry, x.shape
        ),
        lambda xp, g, x, gy, geometry, shape, out: xp.apply(conv, x, g, None, geometry),
    ),
    ("grad_x = conv_transpose(gy, grad)", "grad_gy = conv(x, grad)"),
    reads=((1,), (0,)),
)


# ----- unfold and fold: the columns themselves ---------------------------------------------------


def _unfold(x, kernel, geometry):
    cols, _ = _columns_last(x, kernel, geometry)  # (1, C * K, L * N)
    return _batch_first(cols.reshape(cols.shape[1], -1, x.shape[0]))


def _fold(cols, shape, kernel, geometry):
    out = output_size(shape[2:], kernel, geometry)
    cols_last = numpy.moveaxis(cols, 0, -1)  # (C * K, L, N): _add_columns_last reads it as is
    return _batch_first(_add_columns_last(cols_last, shape, kernel, geometry, out))


unfold = Op(
    "Im2ColBackward0",
    _unfold,
    (lambda xp, g, x, kernel, geometry, out: xp.apply(fold, g, x.shape, kernel, geometry),),
    "grad_x = fold(grad): each column's gradient added back where it was read",
    saves="",
)
fold = Op(
    "Col2ImBackward0",
    _fold,
    (lambda xp, g, cols, shape, kernel, geometry, out: xp.apply(unfold, g, kernel, geometry),),
    "grad_cols = unfold(grad)",
    saves="",
)

"""Shape ops: reshape/view, squeeze/unsqueeze, transpose/permute, expand, repeat, flip, cat, stack,
dtype conversion, clone and pixel (un)shuffle. They move values around without changing them, so
each VJP moves the gradient back the same way (and sums it where a value was used more than
once)."""

import numpy

from .op import Op, unbroadcast


def _reshape_back(xp, g, a, *rest):
    return xp.reshape(g, a.shape)


def _view_like(name, forward):
    return Op(
        name, forward, (_reshape_back,), "grad_a = grad reshaped to a's shape", saves="", view=True
    )


def _view(a, shape):
    # A view never copies: NumPy raises when the strides cannot express the new shape.
    view = a.view()
    view.shape = shape
    return view


reshape = _view_like("ViewBackward0", numpy.reshape)
view = _view_like("ViewBackward0", _view)
squeeze = _view_like("SqueezeBackward1", lambda a, axis: numpy.squeeze(a, axis))
unsqueeze = _view_like("UnsqueezeBackward0", numpy.expand_dims)


def _inverse(axes):
    return tuple(numpy.argsort(axes))


permute = Op(
    "PermuteBackward0",
    numpy.transpose,
    (lambda xp, g, a, axes, out: xp.transpose(g, _inverse(axes)),),
    "grad_a = grad with the permutation undone",
    saves="",
    view=True,
)
transpose = Op(
    "TransposeBackward0",
    lambda a, i, j: numpy.swapaxes(a, i, j),
    (lambda xp, g, a, i, j, out: xp.swapaxes(g, i, j),),
    "grad_a = grad with the two dims swapped back",
    saves="",
    view=True,
)
expand = Op(
    "ExpandBackward0",
    numpy.broadcast_to,
    (lambda xp, g, a, shape, out: unbroadcast(xp, g, a.shape),),
    "grad_a = grad summed over the expanded dims",
    saves="",
    view=True,
)


def _repeat(a, repeats):
    return numpy.tile(a.reshape((1,) * (len(repeats) - a.ndim) + a.shape), repeats)


def _repeat_vjp(xp, g, a, repeats, out):
    # Split each dim into (copies, size) and add the copies' gradients together.
    shape = (1,) * (len(repeats) - a.ndim) + a.shape
    split = []
    for r, n in zip(repeats, shape):
        split += [r, n]
    summed = xp.sum(xp.reshape(g, tuple(split)), axis=tuple(range(0, 2 * len(shape), 2)))
    return xp.reshape(summed, a.shape)


repeat = Op(
    "RepeatBackward0", _repeat, (_repeat_vjp,), "grad_a = grad summed over the copies", saves=""
)
flip = Op(
    "FlipBackward0",
    numpy.flip,
    (lambda xp, g, a, axes, out: xp.flip(g, axes),),
    "grad_a = grad flipped back",
    saves="",
    view=True,
)


def _skipped(arrays):
    """Which arrays cat leaves out: PyTorch skips 1-D empty tensors among tensors of more dims
    (a legacy rule), though they still get a gradient (an empty one)."""
    legacy = any(a.ndim != 1 for a in arrays)
    return [legacy and a.shape == (0,) for a in arrays]


def _cat(axis, *arrays):
    return numpy.concatenate([a for a, s in zip(arrays, _skipped(arrays)) if not s], axis)


def _cat_backward(xp, g, axis, *args):
    *arrays, _out = args
    grads, start = [None], 0
    for a, skipped in zip(arrays, _skipped(arrays)):
        if skipped:
            grads.append(xp.reshape(g, (-1,))[0:0])
            continue
        index = (slice(None),) * (axis % g.ndim) + (slice(start, start + a.shape[axis]),)
        grads.append(g[index])
        start += a.shape[axis]
    return grads


def _stack_backward(xp, g, axis, *args):
    *arrays, _out = args
    return [None] + [g[(slice(None),) * (axis % g.ndim) + (i,)] for i in range(len(arrays))]


cat = Op(
    "CatBackward0",
    _cat,
    rules=("grad_i = the slice of grad where input i was placed",),
    backward=_cat_backward,
    saves="",
    listed=slice(1, None),  # the tensors, not the dim
)
stack = Op(
    "StackBackward0",
    lambda axis, *arrays: numpy.stack(arrays, axis),
    rules=("grad_i = grad[..., i, ...] along the stacked dim",),
    backward=_stack_backward,
    saves="",
    listed=slice(1, None),  # the tensors, not the dim
)

to_dtype = Op(
    "ToCopyBackward0",
    lambda a, dtype: a.astype(dtype),
    (lambda xp, g, a, dtype, out: xp.astype(g, a.dtype),),
    "grad_a = grad converted back to a's dtype",
    saves="",
)
clone = Op(
    "CloneBackward0", lambda a: a.copy(), (lambda xp, g, a, out: g,), "grad_a = grad", saves=""
)


# Pixel shuffle moves each r x r block of channels into an r x r patch of pixels; unshuffle moves
# it back. Each is a permutation of the values, so each one's VJP is the other.


def _pixel_shuffle(a, r):
    *lead, c, h, w = a.shape
    blocks = a.reshape(*lead, c // (r * r), r, r, h, w)
    n = len(lead)
    order = tuple(range(n)) + tuple(n + i for i in (0, 3, 1, 4, 2))  # (c, h, r, w, r)
    return blocks.transpose(order).reshape(*lead, c // (r * r), h * r, w * r)


def _pixel_unshuffle(a, r):
    *lead, c, h, w = a.shape
    patches = a.reshape(*lead, c, h // r, r, w // r, r)
    n = len(lead)
    order = tuple(range(n)) + tuple(n + i for i in (0, 2, 4, 1, 3))  # (c, r, r, h, w)
    return patches.transpose(order).reshape(*lead, c * r * r, h // r, w // r)


pixel_shuffle = Op(
    "PixelShuffleBackward0",
    _pixel_shuffle,
    (lambda xp, g, a, r, out: xp.apply(pixel_unshuffle, g, r),),
    "grad_a = pixel_unshuffle(grad)",
    saves="",
)
pixel_unshuffle = Op(
    "PixelUnshuffleBackward0",
    _pixel_unshuffle,
    (lambda xp, g, a, r, out: xp.apply(pixel_shuffle, g, r),),
    "grad_a = pixel_shuffle(grad)",
    saves="",
)


def _diagonal_places(shape, offset, dim1, dim2):
    """The permutation that moves ``dim1``, ``dim2`` last, and the index of the diagonal there."""
    rest = [d for d in range(len(shape)) if d not in (dim1, dim2)]
    order = (*rest, dim1, dim2)
    rows = numpy.arange(max(0, min(shape[dim1] + min(offset, 0), shape[dim2] - max(offset, 0))))
    return order, (Ellipsis, rows - min(offset, 0), rows + max(offset, 0))


def _diagonal_forward(a, offset, dim1, dim2):
    # A copy: NumPy's diagonal view is read-only.
    return numpy.diagonal(a, offset, dim1, dim2).copy()


def _diagonal_vjp(xp, g, a, offset, dim1, dim2, out):
    order, index = _diagonal_places(a.shape, offset, dim1, dim2)
    moved = tuple(a.shape[d] for d in order)
    grad = xp.index_add_into(moved, index, g, g.dtype)
    return xp.transpose(grad, tuple(numpy.argsort(order)))


diagonal = Op(
    "DiagonalBackward0",
    _diagonal_forward,
    (_diagonal_vjp,),
    "grad_a = grad placed on the diagonal",
    saves="",
)

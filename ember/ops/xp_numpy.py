"""The namespace VJPs use for first-order gradients: NumPy, plus the few scatter helpers NumPy
spells differently. (With ``create_graph=True`` VJPs get ember's differentiable twin of this.)"""

import math

import numpy
from numpy import (  # noqa: F401  (re-exported: this module *is* the namespace)
    abs,
    cos,
    cumprod,
    cumsum,
    exp,
    flip,
    log,
    matmul,
    maximum,
    prod,
    reshape,
    sin,
    sqrt,
    take,
    transpose,
    where,
    zeros_like,
)

differentiable = False  # VJPs run here compute gradients only, not a graph of them

# NumPy's sum, swapaxes and expand_dims are Python wrappers around the C calls below; on the
# small arrays of a training step the wrappers cost more than the work.


def sum(a, axis=None, keepdims=False):
    if a.dtype == bool:  # counting: add.reduce would OR the booleans
        return numpy.sum(a, axis=axis, keepdims=keepdims)
    return numpy.add.reduce(a, axis=axis, keepdims=keepdims)


def broadcast_to(a, shape):
    # numpy.broadcast_to builds its view in Python (tens of microseconds); filling a small new
    # array is cheaper. Large ones stay zero-copy views.
    if a.shape == shape:
        return a
    if math.prod(shape) > 1 << 16:
        return numpy.broadcast_to(a, shape)
    out = numpy.empty(shape, a.dtype)
    out[...] = a  # numpy.copyto would add a Python-level dispatcher
    return out


def swapaxes(a, axis1, axis2):
    return a.swapaxes(axis1, axis2)


def expand_dims(a, axis):
    axis = axis % (a.ndim + 1)
    return a.reshape(a.shape[:axis] + (1,) + a.shape[axis:])


def apply(op, *args):
    """``op``'s forward on arrays. A VJP that is itself another op (a convolution's gradient is
    a transposed convolution) calls it this way; with ``create_graph=True`` it records that op."""
    return op.forward(*args)


def astype(a, dtype):
    """``a`` as NumPy dtype ``dtype`` (the gradient of a dtype conversion converts back)."""
    return a.astype(dtype, copy=False)


def is_basic_index(index):
    """True when ``a[index]`` is a view (ints, slices, None, ...): its gradient needs no scatter."""
    parts = index if isinstance(index, tuple) else (index,)
    return all(p is None or p is Ellipsis or isinstance(p, (int, slice)) for p in parts)


def take_along_axis(a, index, axis):
    """``a.gather(axis, index)``: along the other dims PyTorch reads only ``a[:index.shape]``,
    where NumPy would broadcast ``index`` instead."""
    if a.shape != index.shape:
        a = a[tuple(slice(None) if d == axis else slice(0, n) for d, n in enumerate(index.shape))]
    return numpy.take_along_axis(a, index, axis)


def index_add_into(shape, index, values, dtype):
    """Zeros of ``shape`` with ``values`` added at ``index``; repeated indices add up. This is the
    VJP of ``a[index]``: every element read gets back the gradient of each place it went."""
    grad = numpy.zeros(shape, dtype)
    if is_basic_index(index):
        grad[index] = values
    else:
        numpy.add.at(grad, index, values)
    return grad


def _along(index, dim):
    # The full index that addresses a[..., index[...], ...] element by element along ``dim``.
    grid = list(numpy.indices(index.shape, sparse=True))
    grid[dim] = index
    return tuple(grid)


def scatter_add_along(shape, dim, index, values, dtype):
    """Zeros of ``shape`` with ``values`` added along ``dim`` at ``index`` (VJP of gather)."""
    grad = numpy.zeros(shape, dtype)
    numpy.add.at(grad, _along(index, dim), values)
    return grad


def index_add_along(shape, dim, index, values, dtype):
    """Zeros of ``shape`` with ``values`` added at positions ``index`` of ``dim`` (VJP of
    index_select)."""
    grad = numpy.zeros(shape, dtype)
    numpy.add.at(grad, (slice(None),) * dim + (index,), values)
    return grad


def sign(a):
    # PyTorch's sign (0 for NaN): abs's VJP is grad * sign(a).
    return numpy.subtract(a > 0, a < 0, dtype=a.dtype)


def tanh(a):
    return numpy.tanh(a)


def sigmoid(a):
    return 0.5 * numpy.tanh(0.5 * a) + 0.5


_ERF = numpy.vectorize(math.erf, otypes=[numpy.float64])


def erf(a):
    """The error function, elementwise, in ``a``'s dtype (NumPy has no erf; this keeps SciPy out
    of the core)."""
    return _ERF(a).astype(a.dtype, copy=False)


def argmax(a, axis, keepdims=False):
    return numpy.argmax(a, axis=axis, keepdims=keepdims)


def argmin(a, axis, keepdims=False):
    return numpy.argmin(a, axis=axis, keepdims=keepdims)


def einsum(equation, *operands):
    return numpy.einsum(equation, *operands)


def view_chain(a, chain):
    """``a`` seen through ``chain``, the view ops ``(op, constants)`` that made a view from its
    base: for the gradient of a base written through one of its views."""
    for op, extra in chain:
        a = op.forward(a, *extra)
    return a


def zero_view(grad, chain):
    """``grad`` with the region of the view ``chain`` describes zeroed."""
    grad = grad.copy()
    view_chain(grad, chain)[...] = 0
    return grad


def index_fill_zero(grad, index):
    """``grad`` with the ``index`` places zeroed: the VJP of writing into those places."""
    grad = grad.copy()
    grad[index] = 0
    return grad

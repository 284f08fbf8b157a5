"""Indexing: a[index], gather, scatter_add, index_select, masked_fill.

Reading elements by index is a gather; its VJP is the matching scatter-add, which sends each
element's gradient back to where it was read from (adding when one element was read twice).
Each pair is written here once, in both directions, so either one's double backward is the other.
"""

import numpy

from .op import Op
from .xp_numpy import _along, take_along_axis


def _getitem(a, index):
    return a[index]


getitem = Op(
    "IndexBackward0",
    _getitem,
    (lambda xp, g, a, index, out: xp.index_add_into(a.shape, index, g, g.dtype),),
    "grad_a = zeros of a's shape with grad added at the indexed places",
    saves="",
)


def _index_add_into(values, shape, index, dtype):
    grad = numpy.zeros(shape, dtype)
    numpy.add.at(grad, index, values)
    return grad


index_add_into = Op(
    "IndexPutBackward0",
    _index_add_into,
    (lambda xp, g, values, shape, index, dtype, out: g[index],),
    "grad_values = grad[index]",
    saves="",
)

gather = Op(
    "GatherBackward0",
    lambda a, axis, index: take_along_axis(a, index, axis),
    (lambda xp, g, a, axis, index, out: xp.scatter_add_along(a.shape, axis, index, g, g.dtype),),
    "grad_a = zeros with grad added back at index along dim",
    saves="",
)


def _scatter_add(a, axis, index, src):
    out = a.copy()
    numpy.add.at(out, _along(index, axis), src[tuple(slice(0, n) for n in index.shape)])
    return out


scatter_add = Op(
    "ScatterAddBackward0",
    _scatter_add,
    (
        lambda xp, g, a, axis, index, src, out: g,
        None,
        None,
        lambda xp, g, a, axis, index, src, out: _pad_to(
            xp, xp.take_along_axis(g, index, axis), src.shape
        ),
    ),
    ("grad_a = grad", None, None, "grad_src = grad gathered at index along dim"),
    saves="",
)


def _pad_to(xp, grad, shape):
    # scatter_add reads only src[:index.shape]; the rest of src gets a zero gradient.
    if grad.shape == shape:
        return grad
    return xp.index_add_into(shape, tuple(slice(0, n) for n in grad.shape), grad, grad.dtype)


index_select = Op(
    "IndexSelectBackward0",
    lambda a, axis, index: numpy.take(a, index, axis),
    (lambda xp, g, a, axis, index, out: xp.index_add_along(a.shape, axis, index, g, g.dtype),),
    "grad_a = zeros with grad added at the selected indices",
    saves="",
)

masked_fill = Op(
    "MaskedFillBackward0",
    lambda a, mask, value: numpy.where(mask, numpy.asarray(value, a.dtype), a),
    (lambda xp, g, a, mask, value, out: xp.where(mask, 0, g),),
    "grad_a = grad where mask is False, else 0",
    saves="",
)

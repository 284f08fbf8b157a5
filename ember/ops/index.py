"""Indexing: a[index], gather, scatter and scatter_add, index_select/add/copy/fill/put,
masked_fill/select/scatter.

Reading elements by index is a gather; its VJP is the matching scatter-add, which sends each
element's gradient back to where it was read from (adding when one element was read twice).
Each pair is written here once, in both directions, so either one's double backward is the other.
"""

import math

import numpy

from .op import Op, unbroadcast
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


def _leading(src, shape):
    # scatter reads only src[:index.shape] (PyTorch's rule; NumPy would want equal shapes).
    return src[tuple(slice(0, n) for n in shape)]


def _scatter_add(a, axis, index, src):
    out = a.copy()
    numpy.add.at(out, _along(index, axis), _leading(src, index.shape))
    return out


def _scatter(a, axis, index, src):
    out = a.copy()
    out[_along(index, axis)] = _leading(src, index.shape)
    return out


def _scatter_value(a, axis, index, value):
    out = a.copy()
    out[_along(index, axis)] = value
    return out


def _scatter_reduce(a, axis, index, src, reduce):
    out = a.copy()
    ufunc = numpy.add if reduce == "add" else numpy.multiply
    ufunc.at(out, _along(index, axis), src if numpy.ndim(src) == 0 else _leading(src, index.shape))
    return out


def _zero_scattered(xp, g, a, axis, index, *rest):
    return xp.apply(scatter_value, g, axis, index, 0)


def _gathered_src(xp, g, a, axis, index, src, *rest):
    # Only src[:index.shape] was read; the rest of src gets a zero gradient.
    grad = xp.take_along_axis(g, index, axis)
    if grad.shape == src.shape:
        return grad
    return xp.index_add_into(src.shape, tuple(slice(0, n) for n in grad.shape), grad, grad.dtype)


def _not_implemented(xp, g, *args):
    raise RuntimeError("derivative for aten::scatter is not implemented")


scatter_add = Op(
    "ScatterAddBackward0",
    _scatter_add,
    (lambda xp, g, a, axis, index, src, out: g, None, None, _gathered_src),
    ("grad_a = grad", None, None, "grad_src = grad gathered at index along dim"),
    saves="",
)
scatter = Op(
    "ScatterBackward0",
    _scatter,
    (_zero_scattered, None, None, _gathered_src),
    (
        "grad_a = grad, zeroed at the scattered places",
        None,
        None,
        "grad_src = grad gathered at index along dim",
    ),
    saves="",
)
scatter_value = Op(
    "ScatterBackward1",
    _scatter_value,
    (_zero_scattered,),
    "grad_a = grad, zeroed at the scattered places",
    saves="",
)
# scatter(..., reduce="add" / "multiply"): PyTorch has no derivative for it (backward raises).
scatter_reduce = Op(
    "NotImplemented",
    _scatter_reduce,
    (_not_implemented, None, None, _not_implemented),
    ("not differentiable", None, None, "not differentiable"),
    saves="",
)


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


def _at_dim(axis, index):
    # The index that addresses a[:, ..., index] along ``axis``.
    return (slice(None),) * axis + (index,)


def _index_add(a, axis, index, src, alpha):
    out = a.copy()
    numpy.add.at(out, _at_dim(axis, index), src if alpha == 1 else src * alpha)
    return out


def _index_copy(a, axis, index, src):
    out = a.copy()
    out[_at_dim(axis, index)] = src
    return out


def _index_fill(a, axis, index, value):
    out = a.copy()
    out[_at_dim(axis, index)] = value
    return out


def _zero_filled(xp, g, a, axis, index, *rest):
    return xp.apply(index_fill, g, axis, index, 0)


def _selected_src(xp, g, a, axis, index, src, *rest):
    return xp.take(g, index, axis)


def _index_add_src(xp, g, a, axis, index, src, alpha, out):
    grad = xp.take(g, index, axis)
    return grad if alpha == 1 else grad * alpha


def _index_fill_value(xp, g, a, axis, index, value, out):
    # Each filled place counts once, however often the index names it.
    return xp.sum(xp.take(g, numpy.unique(numpy.asarray(index)), axis))


index_add = Op(
    "IndexAddBackward0",
    _index_add,
    (lambda xp, g, a, axis, index, src, alpha, out: g, None, None, _index_add_src, None),
    ("grad_a = grad", None, None, "grad_src = alpha * grad at the indices"),
    saves="",
)
index_copy = Op(
    "IndexCopyBackward0",
    _index_copy,
    (_zero_filled, None, None, _selected_src),
    ("grad_a = grad, zeroed at the indices", None, None, "grad_src = grad at the indices"),
    saves="",
)
index_fill = Op(
    "IndexFillBackward0",
    _index_fill,
    (_zero_filled,),
    "grad_a = grad, zeroed at the indices",
    saves="",
)
index_fill_tensor = Op(
    "IndexFillBackward1",
    _index_fill,
    (_zero_filled, None, None, _index_fill_value),
    ("grad_a = grad, zeroed at the indices", None, None, "grad_value = sum of grad at the indices"),
    saves="",
)


def _index_put(a, index, values):
    out = a.copy()
    out[index] = values
    return out


def _index_put_accumulate(a, index, values):
    out = a.copy()
    numpy.add.at(out, index, values)
    return out


def _written_values(xp, g, a, index, values, out):
    return unbroadcast(xp, g[index], values.shape)


index_put = Op(
    "IndexPutBackward0",
    _index_put,
    (lambda xp, g, a, index, values, out: xp.index_fill_zero(g, index), None, _written_values),
    (
        "grad_a = grad, zeroed where values were written",
        None,
        "grad_values = grad at the written places",
    ),
    saves="",
)
index_put_accumulate = Op(
    "IndexPutBackward0",
    _index_put_accumulate,
    (lambda xp, g, a, index, values, out: g, None, _written_values),
    ("grad_a = grad", None, "grad_values = grad at the written places"),
    saves="",
)


def _broadcast_mask(mask, shape):
    return numpy.broadcast_to(numpy.asarray(mask), shape)


def _masked_select(a, mask):
    shape = numpy.broadcast_shapes(a.shape, mask.shape)
    return numpy.broadcast_to(a, shape)[_broadcast_mask(mask, shape)]


def _masked_select_vjp(xp, g, a, mask, out):
    shape = numpy.broadcast_shapes(tuple(a.shape), tuple(mask.shape))
    return xp.index_add_into(shape, _broadcast_mask(mask, shape), g, g.dtype)


masked_select = Op(
    "MaskedSelectBackward0",
    _masked_select,
    (_masked_select_vjp, None),
    ("grad_a = zeros with grad placed where mask is True", None),
    broadcasts=True,
    saves="",
)


def _masked_scatter(a, mask, source):
    shape = numpy.broadcast_shapes(a.shape, mask.shape)
    out = numpy.broadcast_to(a, shape).copy()
    mask = _broadcast_mask(mask, shape)
    out[mask] = source.reshape(-1)[: numpy.count_nonzero(mask)]
    return out


def _masked_scatter_source(xp, g, a, mask, source, out):
    # The first count(mask) elements of source went, in order, to the places where mask is True.
    taken = g[_broadcast_mask(mask, tuple(g.shape))]
    flat = xp.index_add_into(
        (math.prod(source.shape),), (slice(0, taken.shape[0]),), taken, g.dtype
    )
    return xp.reshape(flat, tuple(source.shape))


masked_scatter = Op(
    "MaskedScatterBackward0",
    _masked_scatter,
    (lambda xp, g, a, mask, source, out: xp.where(mask, 0, g), None, _masked_scatter_source),
    (
        "grad_a = grad where mask is False, else 0",
        None,
        "grad_source = grad where mask is True, in order",
    ),
    broadcasts=True,
    saves="",
)

"""Reductions: sum, mean, prod, var/std, max/min, logsumexp, norm, cumsum, cumprod, softmax,
log_softmax.

A reduction's VJP broadcasts the incoming gradient back over the axes it reduced: every element that
went into an output gets that output's gradient times its local derivative. ``spread`` does the
broadcasting once for all of them.
"""

from math import inf, nan

import numpy

from .op import Op, reduced_shape


def spread(xp, g, shape, axis, keepdims):
    """``g`` (a reduction's gradient) broadcast back to the reduced input's ``shape``."""
    if axis is None:  # a full reduction: g is 0-d, or all ones with keepdims; either broadcasts
        return xp.broadcast_to(g, shape)
    return xp.broadcast_to(xp.reshape(g, reduced_shape(shape, axis, keepdims)), shape)


def keep(xp, value, shape, axis, keepdims):
    """A reduction's output reshaped so it broadcasts against its input."""
    return xp.reshape(value, reduced_shape(shape, axis, keepdims))


def count(shape, axis):
    """How many elements each output of a reduction over ``axis`` summarises."""
    if axis is None:
        return int(numpy.prod(shape))
    axes = axis if isinstance(axis, tuple) else (axis,)
    return int(numpy.prod([shape[a] for a in axes]))


def _sum(a, axis, keepdims):
    # numpy.sum's wrapper costs more, and so do keyword arguments (axis, dtype, out, keepdims)
    return numpy.add.reduce(a, axis, None, None, keepdims)


def _mean(a, axis, keepdims):
    return a.mean(axis=axis, keepdims=keepdims)


def _prod_vjp(xp, g, a, axis, keepdims, out):
    # d(prod)/d(a_i) is the product of the others. out / a_i gives it where a_i != 0;
    # where a_i == 0,
    # it is the product of the non-zeros if a_i is the only zero, and 0 if there are two or more.
    zero = a == 0
    safe = xp.where(zero, 1, a)
    others = xp.prod(safe, axis=axis, keepdims=True)  # keepdims: already broadcasts against a
    zeros = xp.sum(zero, axis=axis, keepdims=True)
    at_zero = xp.where(zeros == 1, others, 0)
    local = xp.where(zero, at_zero, keep(xp, out, a.shape, axis, keepdims) / safe)
    return spread(xp, g, a.shape, axis, keepdims) * local


def _var(a, axis, correction, keepdims):
    return numpy.var(a, axis=axis, ddof=correction, keepdims=keepdims)


def _var_vjp(xp, g, a, axis, correction, keepdims, out):
    centred = a - xp.sum(a, axis=axis, keepdims=True) / count(a.shape, axis)
    g = spread(xp, g, a.shape, axis, keepdims)
    dof = count(a.shape, axis) - correction
    if axis is None and dof <= 0:  # PyTorch's rule: inf, or nan where a equals the mean
        return g * xp.where(centred == 0, nan, inf)
    return g * centred * (2 / dof if dof != 0 else inf)


def _std(a, axis, correction, keepdims):
    return numpy.std(a, axis=axis, ddof=correction, keepdims=keepdims)


def _std_vjp(xp, g, a, axis, correction, keepdims, out):
    centred = a - xp.sum(a, axis=axis, keepdims=True) / count(a.shape, axis)
    scale = keep(xp, out, a.shape, axis, keepdims) * (count(a.shape, axis) - correction)
    return spread(xp, g, a.shape, axis, keepdims) * centred / scale


def _extreme_vjp(xp, g, a, axis, keepdims, out):
    # Gradient goes to the elements equal to the extreme, split evenly among ties (as amax/amin;
    # a NaN extreme equals nothing, so its gradient is NaN, as in PyTorch).
    hit = xp.astype(a == keep(xp, out, a.shape, axis, keepdims), a.dtype)  # a's float dtype
    share = hit / xp.sum(hit, axis=axis, keepdims=True)
    return spread(xp, g, a.shape, axis, keepdims) * share


def extreme_all_vjp(xp, g, a, axis, keepdims, out):
    # max() and min() of a whole tensor: the same, except that a NaN extreme is the NaN
    # elements (x != x only for NaN), as PyTorch's max() does.
    hit = (a == out) | ((a != a) & (out != out))
    hit = xp.astype(hit, a.dtype)
    return xp.broadcast_to(g, a.shape) * (hit / xp.sum(hit))


def _select_vjp(find):
    # max/min along a dim: the gradient goes to the one element the index points at.
    def vjp(xp, g, a, axis, keepdims, out):
        index = find(a, axis, keepdims=True)
        values = g if keepdims else xp.expand_dims(g, axis)
        return xp.scatter_add_along(a.shape, axis, index, values, g.dtype)

    return vjp


def _logsumexp(a, axis, keepdims):
    if a.size == 0:  # the log of an empty sum: -inf (amax's initial value gives its shape)
        return numpy.amax(a, axis=axis, keepdims=keepdims, initial=-inf)
    shift = numpy.amax(a, axis=axis, keepdims=True)
    shift = numpy.where(numpy.isfinite(shift), shift, 0)
    total = numpy.log(numpy.sum(numpy.exp(a - shift), axis=axis, keepdims=True)) + shift
    return total if keepdims else numpy.squeeze(total, axis=axis)


def _norm(a, p, axis, keepdims):
    if p == 2:
        return numpy.sqrt(numpy.sum(a * a, axis=axis, keepdims=keepdims))
    if p == inf:
        return numpy.amax(numpy.abs(a), axis=axis, keepdims=keepdims)
    if p == -inf:
        return numpy.amin(numpy.abs(a), axis=axis, keepdims=keepdims)
    if p == 0:  # the count of non-zero elements
        return numpy.sum(a != 0, axis=axis, keepdims=keepdims, dtype=a.dtype)
    if p == 1:
        return numpy.sum(numpy.abs(a), axis=axis, keepdims=keepdims)
    return numpy.sum(numpy.abs(a) ** p, axis=axis, keepdims=keepdims) ** (1 / p)


def _norm_vjp(xp, g, a, p, axis, keepdims, out):
    g = spread(xp, g, a.shape, axis, keepdims)
    out = keep(xp, out, a.shape, axis, keepdims)
    if p == 1:
        return g * xp.sign(a)
    if p == 0:  # a count: flat almost everywhere
        return xp.zeros_like(g)
    if p == inf or p == -inf:
        hit = xp.astype(xp.abs(a) == out, a.dtype)
        return g * xp.sign(a) * hit / xp.sum(hit, axis=axis, keepdims=True)
    # d||a||_p / da = a |a|^(p-2) / ||a||^(p-1); PyTorch defines it as 0 at a zero norm.
    local = (
        a / xp.where(out == 0, 1, out)
        if p == 2
        else (a * xp.abs(a) ** (p - 2) / xp.where(out == 0, 1, out ** (p - 1)))
    )
    return xp.where(out == 0, 0, g * local)


def _cumsum(a, axis):
    if a.ndim == 0:  # a 0-d tensor is its own running sum
        return a.copy()
    # float16 adds up in float32, as PyTorch does: in float16 a running sum of ones stops at 2048
    wide = numpy.float32 if a.dtype == numpy.float16 else a.dtype
    return numpy.cumsum(a, axis=axis, dtype=wide).astype(a.dtype, copy=False)


def _reverse_cumsum(xp, x, axis):
    return xp.flip(xp.cumsum(xp.flip(x, axis), axis), axis)


def _cumsum_vjp(xp, g, a, axis, out):
    # out_j = sum_{i<=j} a_i, so grad_a_i = sum_{j>=i} grad_j: a cumulative sum from the end.
    if a.ndim == 0:
        return g
    return _reverse_cumsum(xp, g, axis)


def _cumprod(a, axis):
    return a.copy() if a.ndim == 0 else numpy.cumprod(a, axis=axis)


def _cumprod_vjp(xp, g, a, axis, out):
    # out_k = prod_{j<=k} a_j, so grad_a_i = sum_{k>=i} grad_k * prod_{j<=k, j!=i} a_j.
    if a.ndim == 0 or a.shape[axis] <= 1:
        return g
    if not (a == 0).any():  # then prod_{j<=k, j!=i} a_j = out_k / a_i
        return _reverse_cumsum(xp, g * out, axis) / a
    if xp.differentiable:
        return _cumprod_vjp_table(xp, g, a, axis)
    return _cumprod_vjp_zeros(g, a, axis, out)


def _cumprod_vjp_zeros(g, a, axis, out):
    """The VJP with zeros in ``a``, in O(n): before the first zero out_k / a_i still serves; at
    the first zero the product of the others is the cumprod with that zero set to 1; after it,
    every product of the others contains that zero."""
    zeros_so_far = numpy.cumsum(a == 0, axis)
    before = zeros_so_far == 0
    first = (a == 0) & (zeros_so_far == 1)
    grad = numpy.zeros_like(g)
    grad[before] = (_reverse_cumsum(numpy, g * out, axis) / numpy.where(before, a, 1))[before]
    others = numpy.cumprod(numpy.where(first, 1, a), axis)
    grad[first] = _reverse_cumsum(numpy, g * others, axis)[first]
    return grad


def _cumprod_vjp_table(xp, g, a, axis):
    """The VJP with zeros in ``a`` as a polynomial in ``a``, so that its own derivatives are
    exact too (create_graph=True): row i of an n x n table is the cumprod of ``a`` with a_i set
    to 1, whose entry k >= i is prod_{j<=k, j!=i} a_j. O(n^2), as PyTorch's double backward."""
    n = a.shape[axis]
    rows = xp.cumprod(
        xp.where(numpy.eye(n, dtype=bool), 1, xp.expand_dims(xp.swapaxes(a, axis, -1), -2)), -1
    )
    later = numpy.triu(numpy.ones((n, n), dtype=bool))  # k >= i
    weighted = xp.where(later, rows * xp.expand_dims(xp.swapaxes(g, axis, -1), -2), 0)
    return xp.swapaxes(xp.sum(weighted, -1), axis, -1)


def _softmax(a, axis):
    if a.size == 0:
        return a.copy()
    e = numpy.exp(a - numpy.amax(a, axis=axis, keepdims=True))
    return e / numpy.sum(e, axis=axis, keepdims=True)


def _log_softmax(a, axis):
    if a.size == 0:
        return a.copy()
    shifted = a - numpy.amax(a, axis=axis, keepdims=True)
    return shifted - numpy.log(numpy.sum(numpy.exp(shifted), axis=axis, keepdims=True))


sum = Op(
    "SumBackward1",
    _sum,
    (lambda xp, g, a, axis, keepdims, out: spread(xp, g, a.shape, axis, keepdims),),
    "grad_a = grad broadcast back over the summed dims",
    saves="",
)
mean = Op(
    "MeanBackward1",
    _mean,
    (
        lambda xp, g, a, axis, keepdims, out: (
            spread(xp, g, a.shape, axis, keepdims) / count(a.shape, axis)
        ),
    ),
    "grad_a = grad / n, broadcast back over the averaged dims",
    saves="",
)
prod = Op(
    "ProdBackward1",
    lambda a, axis, keepdims: numpy.prod(a, axis=axis, keepdims=keepdims),
    (_prod_vjp,),
    "grad_a = grad * (product of the other elements)",
    saves="args+out",
)
var = Op("VarBackward0", _var, (_var_vjp,), "grad_a = grad * 2 (a - mean) / (n - correction)")
std = Op(
    "StdBackward0",
    _std,
    (_std_vjp,),
    "grad_a = grad * (a - mean) / ((n - correction) * std)",
    saves="args+out",
)
amax = Op(
    "AmaxBackward0",
    lambda a, axis, keepdims: numpy.amax(a, axis=axis, keepdims=keepdims),
    (_extreme_vjp,),
    "grad_a = grad at the maxima (split evenly among ties), else 0",
    saves="args+out",
)
amin = Op(
    "AminBackward0",
    lambda a, axis, keepdims: numpy.amin(a, axis=axis, keepdims=keepdims),
    (_extreme_vjp,),
    "grad_a = grad at the minima (split evenly among ties), else 0",
    saves="args+out",
)
max_dim = Op(
    "MaxBackward0",
    lambda a, axis, keepdims: numpy.amax(a, axis=axis, keepdims=keepdims),
    (_select_vjp(lambda a, axis, keepdims: numpy.argmax(a, axis, keepdims=keepdims)),),
    "grad_a = grad at argmax along dim, else 0",
)
min_dim = Op(
    "MinBackward0",
    lambda a, axis, keepdims: numpy.amin(a, axis=axis, keepdims=keepdims),
    (_select_vjp(lambda a, axis, keepdims: numpy.argmin(a, axis, keepdims=keepdims)),),
    "grad_a = grad at argmin along dim, else 0",
)
logsumexp = Op(
    "LogsumexpBackward0",
    _logsumexp,
    (
        lambda xp, g, a, axis, keepdims, out: (
            spread(xp, g, a.shape, axis, keepdims)
            * xp.exp(a - keep(xp, out, a.shape, axis, keepdims))
        ),
    ),
    "grad_a = grad * softmax(a)",
    saves="args+out",
)
norm = Op(
    "LinalgVectorNormBackward0",
    _norm,
    (_norm_vjp,),
    "grad_a = grad * a |a|^(p-2) / norm^(p-1)",
    saves="args+out",
)
cumsum = Op(
    "CumsumBackward0",
    _cumsum,
    (_cumsum_vjp,),
    "grad_a = reverse cumulative sum of grad",
    saves="",
)
cumprod = Op(
    "CumprodBackward0",
    _cumprod,
    (_cumprod_vjp,),
    "grad_a_i = sum over k >= i of grad_k * (product of a_j, j <= k, j != i)",
    saves="args+out",
)
softmax = Op(
    "SoftmaxBackward0",
    _softmax,
    (lambda xp, g, a, axis, out: out * (g - xp.sum(g * out, axis=axis, keepdims=True)),),
    "grad_a = s * (grad - sum(grad * s)), s = softmax(a)",
    saves="out",
)
log_softmax = Op(
    "LogSoftmaxBackward0",
    _log_softmax,
    (lambda xp, g, a, axis, out: g - xp.exp(out) * xp.sum(g, axis=axis, keepdims=True),),
    "grad_a = grad - softmax(a) * sum(grad)",
    saves="out",
)


def _take_at(a, axis, index, keepdims):
    if a.ndim == 0:
        return a.copy()
    values = numpy.take_along_axis(a, index, axis)
    return values if keepdims else numpy.squeeze(values, axis)


def _take_at_vjp(xp, g, a, axis, index, keepdims, out):
    if a.ndim == 0:
        return g
    values = g if keepdims else xp.expand_dims(g, axis)
    return xp.scatter_add_along(a.shape, axis, index, values, g.dtype)


# The value at a chosen index along a dim (kthvalue, median, mode; ``index`` keeps the dim): the
# gradient goes back to that one element. Each function renames it after itself.
take_at = Op(
    "TakeAtBackward0",
    _take_at,
    (_take_at_vjp,),
    "grad_a = grad at the selected index along dim, else 0",
    saves="",
)


def _whole_median(a, ignore_nan):
    flat = numpy.sort(a, axis=None)  # NaN last
    valid = int(numpy.count_nonzero(flat == flat))
    if valid == 0 or (valid < flat.size and not ignore_nan):
        return numpy.asarray(numpy.nan, a.dtype)
    return flat[(valid - 1) // 2].copy()  # the lower of the two middle values, as PyTorch


# median() of a whole tensor: its gradient is shared evenly by every element equal to it (the NaNs
# when it is NaN), as PyTorch's evenly_distribute_backward.
median_all = Op(
    "MedianBackward0",
    lambda a: _whole_median(a, False),
    (lambda xp, g, a, out: extreme_all_vjp(xp, g, a, None, False, out),),
    "grad_a = grad split evenly among the elements equal to the median",
    saves="args+out",
)
nanmedian_all = Op(
    "NanmedianBackward0",
    lambda a: _whole_median(a, True),
    (lambda xp, g, a, out: extreme_all_vjp(xp, g, a, None, False, out),),
    "grad_a = grad split evenly among the elements equal to the median",
    saves="args+out",
)


def _logcumsumexp(a, axis):
    return a.copy() if a.ndim == 0 else numpy.logaddexp.accumulate(a, axis=axis)


def _logcumsumexp_vjp(xp, g, a, axis, out):
    # out_j = log sum_{i<=j} exp(a_i), so grad_a_i = sum_{j>=i} grad_j exp(a_i - out_j); both
    # exponents are taken against the last (largest) out, so that exp(a_i - last) <= 1.
    if a.ndim == 0:
        return g
    last = xp.take(out, numpy.array([a.shape[axis] - 1]), axis)
    return xp.exp(a - last) * _reverse_cumsum(xp, g * xp.exp(last - out), axis)


logcumsumexp = Op(
    "LogcumsumexpBackward0",
    _logcumsumexp,
    (_logcumsumexp_vjp,),
    "grad_a_i = sum over j >= i of grad_j * exp(a_i - out_j)",
    saves="args+out",
)

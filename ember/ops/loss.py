"""Loss ops: each loss is one op, its pointwise formula, reduction and VJPs side by side.

Every loss takes ``reduction`` ("none", "mean" or "sum"; KL divergence also "batchmean") as its
last argument and reduces inside the op, so a loss is one graph node, and the Torch7 criteria's
hand-written ``updateGradInput`` is the same VJP called with ``grad = 1``.

A VJP gets ``grad``: dL/d(loss), a scalar for a reduced loss and the loss's shape for "none".
``_share`` turns it into each element's share (divided by the count for a mean), which then
multiplies the pointwise derivative; broadcasting spreads a scalar share over every element.
Targets, class weights and indices are constants here (their VJPs are None or given).
"""

import math

import numpy

from . import xp_numpy
from .op import Op, renamed

__all__ = [
    "mse_loss",
    "l1_loss",
    "smooth_l1_loss",
    "huber_loss",
    "nll_loss",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "kl_div",
    "soft_margin_loss",
    "multi_margin_loss",
    "multilabel_margin_loss",
]


def _reduce(loss, reduction):
    # add.reduce directly: ndarray.sum and .mean are the same reduction behind Python wrappers.
    # Half precision keeps .mean(), which accumulates in float32.
    if reduction == "mean":
        if loss.dtype == numpy.float16 or not loss.size:
            return loss.mean()
        return numpy.add.reduce(loss, axis=None) / loss.size
    if reduction == "sum":
        return numpy.add.reduce(loss, axis=None)
    return loss


def _share(g, reduction, shape):
    """Each element's share of ``grad``: divided by the element count for a mean (of no elements:
    nan, as the loss is; the gradient is empty then anyway)."""
    if reduction != "mean":
        return g
    count = math.prod(shape)
    return g * (1.0 / count if count else math.nan)


# ----- regression: input and target of one shape (broadcast) ------------------------------------


def _mse(a, b, reduction):
    d = a - b
    return _reduce(d * d, reduction)


def _mse_vjp(xp, g, a, b, reduction, out):
    d = a - b
    return _share(g, reduction, d.shape) * 2 * d


def _l1(a, b, reduction):
    return _reduce(numpy.abs(a - b), reduction)


def _l1_vjp(xp, g, a, b, reduction, out):
    d = a - b
    return _share(g, reduction, d.shape) * xp.sign(d)


def _smooth_l1(a, b, reduction, beta):
    z = numpy.abs(a - b)
    if beta == 0:
        return _reduce(z, reduction)
    return _reduce(numpy.where(z < beta, (0.5 / beta) * z * z, z - 0.5 * beta), reduction)


def _smooth_l1_vjp(xp, g, a, b, reduction, beta, out):
    d = a - b
    local = xp.sign(d) if beta == 0 else xp.where(xp.abs(d) < beta, d * (1.0 / beta), xp.sign(d))
    return _share(g, reduction, d.shape) * local


def _huber(a, b, reduction, delta):
    z = numpy.abs(a - b)
    return _reduce(numpy.where(z < delta, 0.5 * z * z, delta * (z - 0.5 * delta)), reduction)


def _huber_vjp(xp, g, a, b, reduction, delta, out):
    d = a - b
    local = xp.where(xp.abs(d) < delta, d, xp.sign(d) * delta)
    return _share(g, reduction, d.shape) * local


def _negated(vjp):
    # d/d(target) of a function of (input - target) is minus d/d(input).
    def target_vjp(xp, g, *args):
        return -vjp(xp, g, *args)

    return target_vjp


def _regression(name, forward, vjp, rule):
    return Op(
        name,
        forward,
        (vjp, _negated(vjp)),
        (f"grad_input = {rule}", f"grad_target = -({rule})"),
        broadcasts=True,
    )


mse_loss = _regression("MseLossBackward0", _mse, _mse_vjp, "grad * 2 (input - target) [/ n]")
l1_loss = _regression("L1LossBackward0", _l1, _l1_vjp, "grad * sign(input - target) [/ n]")
smooth_l1_loss = _regression(
    "SmoothL1LossBackward0",
    _smooth_l1,
    _smooth_l1_vjp,
    "grad * ((input - target) / beta where |input - target| < beta, else sign) [/ n]",
)
# PyTorch composes l1_loss (and smooth_l1_loss with beta 0) from abs and a reduction: its node
# is named after the last step, so this one op goes by that name, per reduction.
l1_loss_by_reduction = {
    "none": renamed(l1_loss, "AbsBackward0"),
    "mean": renamed(l1_loss, "MeanBackward0"),
    "sum": renamed(l1_loss, "SumBackward0"),
}
huber_loss = _regression(
    "HuberLossBackward0",
    _huber,
    _huber_vjp,
    "grad * (input - target where |input - target| < delta, else delta * sign) [/ n]",
)


# ----- classification: log-probabilities and class indices --------------------------------------


def _class_axis(a):
    return 0 if a.ndim == 1 else 1


def _target_weights(target, weight, ignore_index, dtype):
    """The safe index (ignored targets point at class 0) and each target's weight (0 if ignored)."""
    ignored = target == ignore_index
    safe = numpy.where(ignored, 0, target)
    w = numpy.ones(target.shape, dtype) if weight is None else weight[safe].astype(dtype)
    return safe, numpy.where(ignored, 0, w).astype(dtype, copy=False)


def _nll(a, target, weight, ignore_index, reduction):
    axis = _class_axis(a)
    safe, w = _target_weights(target, weight, ignore_index, a.dtype)
    picked = numpy.take_along_axis(a, numpy.expand_dims(safe, axis), axis).squeeze(axis)
    loss = -picked * w
    if reduction == "mean":  # a weighted mean: divided by the total weight, as PyTorch does
        total = numpy.sum(w)
        return numpy.sum(loss) / total if total != 0 else numpy.array(numpy.nan, a.dtype)
    return _reduce(loss, reduction)


def _nll_vjp(xp, g, a, target, weight, ignore_index, reduction, out):
    # Only the picked log-probability of each sample gets gradient: -weight * grad, scattered back.
    axis = _class_axis(a)
    safe, w = _target_weights(target, weight, ignore_index, _dt(a))
    if reduction == "mean":  # nothing counted (all ignored): the loss is nan, its gradient 0
        total = numpy.sum(w)
        w = w / total if total != 0 else w
    values = xp.expand_dims(g * -w, axis)
    return xp.scatter_add_along(a.shape, axis, numpy.expand_dims(safe, axis), values, a.dtype)


def _dt(a):
    # A VJP may see a Tensor (create_graph=True), whose dtype is an ember dtype.
    dtype = a.dtype
    return getattr(dtype, "numpy", dtype)


nll_loss = Op(
    "NllLossBackward0",
    _nll,
    (_nll_vjp, None, None, None, None),
    "grad_input = -weight[target] * grad at the target class [/ total weight], else 0",
)
nll_loss_2d = renamed(nll_loss, "NllLoss2DBackward0")  # PyTorch's name for (N, C, d1, ...) input


def _rows(logits):
    """For (N, C) ``logits``: them flattened in C order, where each row starts there, and each
    row's max. Row ``i``'s element ``j`` is ``flat[starts[i] + j]``: one fancy index on the flat
    view is several times cheaper than ``logits[arange(N), j]``; and ``argmax`` with such a gather
    is several times cheaper than ``max(axis=1)`` on a few classes (NaN rows give NaN either way).
    This runs twice every training step."""
    n, c = logits.shape
    flat = logits.reshape(-1)
    starts = numpy.arange(0, n * c, c)
    return flat, starts, flat[starts + logits.argmax(axis=1)]


def _cross_entropy(logits, target, smoothing):
    # The common case in one node: (N, C) logits, class indices, mean over N, no class weights,
    # nothing ignored. Per sample: log-sum-exp minus the target's logit (minus log_softmax).
    n, c = logits.shape
    flat, starts, top = _rows(logits)
    shifted = logits - top[:, None]
    if smoothing:
        uniform = numpy.add.reduce(shifted, axis=1) / c  # read before exp overwrites shifted
    lse = numpy.log(numpy.add.reduce(numpy.exp(shifted, out=shifted), axis=1))
    loss = lse - (flat[starts + target] - top)
    if smoothing:  # mixed with the loss against the uniform distribution, as PyTorch does
        loss = (1 - smoothing) * loss + smoothing * (lse - uniform)
    # add.reduce and a division: ndarray.mean is the same sum, behind a Python-level wrapper.
    return numpy.asarray(numpy.add.reduce(loss) / n, dtype=logits.dtype)


def _cross_entropy_vjp(xp, g, logits, target, smoothing, out):
    # d(mean CE)/d logits = (softmax(logits) - q) / N, q the (smoothed) one-hot target. The shift
    # by each row's max is a constant: softmax does not change under it.
    if xp is not xp_numpy:  # create_graph: the same formula, recorded
        raw = logits._data
        n, c = raw.shape
        _, starts, top = _rows(raw)
        e = xp.exp(logits - top[:, None])
        q = numpy.full((n, c), smoothing / c, dtype=raw.dtype)
        q.reshape(-1)[starts + getattr(target, "_data", target)] += 1 - smoothing
        return (e / xp.sum(e, axis=1, keepdims=True) - q) * (g / n)
    # On arrays, in place on the one fresh array: e (g/N) / sum(e), then the target's share off.
    n, c = logits.shape
    _, starts, top = _rows(logits)
    e = numpy.subtract(logits, top[:, None], order="C")  # C order: reshape(-1) below is a view
    numpy.exp(e, out=e)
    share = g / n
    e *= share / numpy.add.reduce(e, axis=1, keepdims=True)
    e.reshape(-1)[starts + target] -= (1 - smoothing) * share
    if smoothing:
        e -= (smoothing / c) * share
    return e


cross_entropy = Op(
    "NllLossBackward0",
    _cross_entropy,
    (_cross_entropy_vjp, None, None),
    "grad_input = (softmax(input) - onehot(target)) * grad / n  (log_softmax and "
    "nll_loss in one node)",
)
# With label smoothing PyTorch's last step adds the two losses.
cross_entropy_smoothed = renamed(cross_entropy, "AddBackward0")


# ----- binary: probabilities or logits against targets in [0, 1] --------------------------------


def _clamped_log(p):
    # PyTorch clamps log at -100 so a confident wrong answer costs 100, not infinity.
    with numpy.errstate(divide="ignore"):
        return numpy.maximum(numpy.log(p), -100)


def _bce(p, y, weight, reduction):
    loss = -(y * _clamped_log(p) + (1 - y) * _clamped_log(1 - p))
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction).astype(p.dtype, copy=False)


def _bce_vjp_input(xp, g, p, y, weight, reduction, out):
    local = (p - y) / xp.maximum((1 - p) * p, 1e-12)
    if weight is not None:
        local = local * weight
    return _share(g, reduction, p.shape) * local


def _bce_vjp_target(xp, g, p, y, weight, reduction, out):
    local = xp.log(1 - p) - xp.log(p)  # -logit(p), unclamped as in PyTorch: +-inf at 0 and 1
    if weight is not None:
        local = local * weight
    return _share(g, reduction, p.shape) * local


binary_cross_entropy = Op(
    "BinaryCrossEntropyBackward0",
    _bce,
    (_bce_vjp_input, _bce_vjp_target, None, None),
    (
        "grad_input = grad * weight * (input - target) / (input (1 - input))",
        "grad_target = grad * weight * (log(1 - input) - log(input))",
    ),
)


def _softplus_neg(x):
    """log(1 + exp(-x)) without overflow: the loss of a logit whose target is 1."""
    return numpy.log1p(numpy.exp(-numpy.abs(x))) + numpy.maximum(-x, 0)


def _bce_logits(x, y, weight, pos_weight, reduction):
    if pos_weight is None:
        loss = (1 - y) * x + _softplus_neg(x)
    else:
        loss = (1 - y) * x + ((pos_weight - 1) * y + 1) * _softplus_neg(x)
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction).astype(x.dtype, copy=False)


def _bce_logits_vjp_input(xp, g, x, y, weight, pos_weight, reduction, out):
    # d/dx [(1 - y) x + w_pos softplus(-x)] = w_pos sigmoid(x) - pos_weight y, w_pos = (pw-1) y + 1
    if pos_weight is None:
        local = xp.sigmoid(x) - y
    else:
        local = xp.sigmoid(x) * ((pos_weight - 1) * y + 1) - y * pos_weight
    if weight is not None:
        local = local * weight
    return _share(g, reduction, x.shape) * local


def _bce_logits_vjp_target(xp, g, x, y, weight, pos_weight, reduction, out):
    local = -x
    if pos_weight is not None:
        softplus_neg = xp.log(xp.exp(-xp.abs(x)) + 1) + xp.maximum(-x, 0)
        local = local + softplus_neg * (pos_weight - 1)
    if weight is not None:
        local = local * weight
    return _share(g, reduction, x.shape) * local


binary_cross_entropy_with_logits = Op(
    "BinaryCrossEntropyWithLogitsBackward0",
    _bce_logits,
    (_bce_logits_vjp_input, _bce_logits_vjp_target, None, None, None),
    (
        "grad_input = grad * weight * (sigmoid(input) (1 + (pos_weight - 1) target) "
        "- pos_weight target)",
        "grad_target = grad * weight * (-input + (pos_weight - 1) softplus(-input))",
    ),
)


# ----- KL divergence: log-probabilities against probabilities -----------------------------------


def _kl_div_share(g, reduction, a, t):
    if reduction == "batchmean":  # divided by the input's batch size, as in PyTorch
        return g * (1.0 / a.shape[0]) if len(a.shape) else g
    return _share(g, reduction, numpy.broadcast_shapes(a.shape, t.shape))


def _kl_div(a, t, reduction, log_target):
    if log_target:
        loss = numpy.exp(t) * (t - a)
    else:  # t log t is 0 at t = 0 (the limit), where log would give nan
        with numpy.errstate(divide="ignore", invalid="ignore"):
            loss = numpy.where(t > 0, t * (numpy.log(t) - a), -t * a)
    if reduction == "batchmean":
        total = numpy.sum(loss)
        return total / a.shape[0] if a.ndim else total
    return _reduce(loss, reduction).astype(a.dtype, copy=False)


def _kl_div_vjp_input(xp, g, a, t, reduction, log_target, out):
    grad = _kl_div_share(g, reduction, a, t) * -(xp.exp(t) if log_target else t)
    return xp.broadcast_to(grad, numpy.broadcast_shapes(a.shape, t.shape))  # t may be smaller


def _kl_div_vjp_target(xp, g, a, t, reduction, log_target, out):
    if log_target:
        local = xp.exp(t) * (t - a + 1)
    else:
        local = xp.log(xp.where(t > 0, t, 1)) + 1 - a
    return _kl_div_share(g, reduction, a, t) * local


kl_div = Op(
    "KlDivBackward0",
    _kl_div,
    (_kl_div_vjp_input, _kl_div_vjp_target, None, None),
    ("grad_input = -grad * target", "grad_target = grad * (log(target) + 1 - input)"),
    broadcasts=True,
)


# ----- margins: logits against +1/-1 targets or class indices -----------------------------------


def _soft_margin(x, y, reduction):
    # PyTorch's formula as written (log1p(exp(-yx)) overflows to inf for large -yx, as there).
    with numpy.errstate(over="ignore"):
        return _reduce(numpy.log1p(numpy.exp(-x * y)), reduction)


def _soft_margin_vjp(xp, g, x, y, reduction, out):
    z = xp.exp(-x * y)
    return _share(g, reduction, numpy.broadcast_shapes(x.shape, y.shape)) * (-y * z / (z + 1))


soft_margin_loss = Op(
    "SoftMarginLossBackward0",
    _soft_margin,
    (_soft_margin_vjp, None, None),
    "grad_input = -grad * target * sigmoid(-target * input) [/ n]",
    broadcasts=True,
)


def _rows_of(a):
    """An (N, C) view of a (C,) or (N, C) input: the margin losses treat a vector as one row."""
    return a.reshape(1, -1) if a.ndim == 1 else a


def _multi_margin_terms(xp, x, target, p, margin):
    """Each row's ``max(0, margin - x[target] + x[j])^p`` over the classes j != target, and
    the mask of the positive terms (the target's own term is left out)."""
    rows = _rows_of(x)
    index = target.reshape(-1, 1)
    z = margin - xp.take_along_axis(rows, index, 1) + rows
    active = numpy.asarray(getattr(z, "_data", z) > 0)
    numpy.put_along_axis(active, index, False, 1)
    return z, active


def _multi_margin(x, target, p, margin, weight, reduction):
    z, active = _multi_margin_terms(numpy, x, target, p, margin)
    h = numpy.where(active, z if p == 1 else z * z, 0)
    if weight is not None:
        h = h * weight[target.reshape(-1)][:, None]
    loss = (numpy.sum(h, axis=1) / x.shape[-1]).astype(x.dtype, copy=False)
    return _reduce(loss.reshape(target.shape), reduction)


def _multi_margin_vjp(xp, g, x, target, p, margin, weight, reduction, out):
    # Each positive term adds its derivative (1, or 2z) to class j and takes it from the target.
    target, weight = getattr(target, "_data", target), getattr(weight, "_data", weight)
    z, active = _multi_margin_terms(xp, x, target, p, margin)
    scale = active.astype(_dt(x)) / x.shape[-1]
    if weight is not None:
        scale = scale * weight[target.reshape(-1)][:, None]
    share = xp.reshape(_share(g, reduction, target.shape), (-1, 1))
    local = share * (scale if p == 1 else z * (2 * scale))
    index = target.reshape(-1, 1)
    taken = xp.scatter_add_along(
        local.shape, 1, index, -xp.sum(local, axis=1, keepdims=True), _dt(x)
    )
    return xp.reshape(local + taken, x.shape)


multi_margin_loss = Op(
    "MultiMarginLossBackward0",
    _multi_margin,
    (_multi_margin_vjp, None, None, None, None, None),
    "grad_input[j] = grad * w[y] * (1 or 2z_j) / C where z_j = margin - x[y] + x[j] > 0; "
    "grad_input[y] = -sum of those",
)


def _multilabel_active(x, target):
    """For (N, C) scores and (N, C) targets (class indices up to the first -1): the positive
    hinge terms ``1 - x[y_s] + x[k]`` as a mask over (row, target slot s, class k) with k not a
    target, and the safe target indices."""
    rows, target = _rows_of(x), _rows_of(target)
    valid = numpy.cumprod(target >= 0, axis=1).astype(bool)  # the slots before the first -1
    safe = numpy.where(valid, target, 0)
    is_target = numpy.zeros(rows.shape, bool)
    is_target[numpy.nonzero(valid)[0], safe[valid]] = True
    z = 1 - numpy.take_along_axis(rows, safe, 1)[:, :, None] + rows[:, None, :]
    active = (z > 0) & valid[:, :, None] & ~is_target[:, None, :]
    return z, active, safe


def _multilabel_margin(x, target, reduction):
    z, active, _ = _multilabel_active(x, target)
    loss = (numpy.sum(numpy.where(active, z, 0), axis=(1, 2)) / x.shape[-1]).astype(x.dtype)
    return _reduce(loss.reshape(x.shape[:-1]), reduction)


def _multilabel_margin_vjp(xp, g, x, target, reduction, out):
    # Each positive term adds 1/C to class k and takes 1/C from its target class: the gradient
    # is linear in the incoming grad, with a constant coefficient per (row, class).
    _, active, safe = _multilabel_active(getattr(x, "_data", x), getattr(target, "_data", target))
    coef = active.sum(axis=1).astype(_dt(x))
    numpy.add.at(coef, (numpy.arange(len(safe))[:, None], safe), -active.sum(axis=2))
    share = xp.reshape(_share(g, reduction, x.shape[:-1]), (-1, 1))
    return xp.reshape(share * (coef / x.shape[-1]), x.shape)


multilabel_margin_loss = Op(
    "MultilabelMarginLossBackward0",
    _multilabel_margin,
    (_multilabel_margin_vjp, None, None),
    "grad_input[k] = grad * (#positive terms with class k - #with target k) / C",
)

# PyTorch composes kl_div too: named after its last step, per reduction (and log_target).
kl_div_by_reduction = {
    ("none", False): renamed(kl_div, "SubBackward0"),
    ("none", True): renamed(kl_div, "MulBackward0"),
    "mean": renamed(kl_div, "MeanBackward0"),
    "sum": renamed(kl_div, "SumBackward0"),
    "batchmean": renamed(kl_div, "DivBackward0"),
}

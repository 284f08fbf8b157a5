"""Loss functions with PyTorch's arguments and errors. Each fused loss is one op of
:mod:`ember.ops.loss`; for each, a ``*_call`` helper checks the arguments and returns the op
followed by its arguments, so the loss modules' hand-written Torch7 ``updateGradInput`` calls
that op's VJP with exactly what autograd would.

``cross_entropy`` is ``log_softmax`` followed by ``nll_loss`` (two nodes, as in PyTorch); with
probability targets or label smoothing it is PyTorch's composite formula.
"""

import math
import numbers
import warnings

import numpy

from ... import creation as _creation
from ... import functions as _functions
from ...autograd.grad_mode import STATE
from ...ops import ctc as CTC
from ...ops import loss as L
from ...tensor import Tensor, apply, wrap
from . import activation as _activation
from . import distance as _distance

__all__ = [
    "mse_loss",
    "l1_loss",
    "smooth_l1_loss",
    "huber_loss",
    "nll_loss",
    "cross_entropy",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "kl_div",
    "margin_ranking_loss",
    "cosine_embedding_loss",
    "poisson_nll_loss",
    "gaussian_nll_loss",
    "hinge_embedding_loss",
    "soft_margin_loss",
    "multi_margin_loss",
    "multilabel_margin_loss",
    "multilabel_soft_margin_loss",
    "triplet_margin_loss",
    "triplet_margin_with_distance_loss",
    "ctc_loss",
]

REDUCTIONS = ("none", "mean", "sum")
CLASS_INDEX_DTYPES = (numpy.int64, numpy.uint8)  # PyTorch's nll_loss takes no other


def reduction_of(size_average, reduce, reduction, allowed=REDUCTIONS):
    """The ``reduction`` string, from PyTorch's legacy ``size_average``/``reduce`` when given
    (Torch7 criteria take ``sizeAverage`` first: ``MSECriterion(False)`` sums)."""
    if size_average is not None or reduce is not None:
        size_average = True if size_average is None else size_average
        reduce = True if reduce is None else reduce
        reduction = ("mean" if size_average else "sum") if reduce else "none"
    if reduction == "elementwise_mean" and "mean" in allowed:  # PyTorch's old name, still taken
        warnings.warn(
            "reduction='elementwise_mean' is deprecated. Please use reduction='mean' instead.",
            UserWarning,
            stacklevel=3,
        )
        reduction = "mean"
    if reduction not in allowed:
        raise ValueError(f"{reduction} is not a valid value for reduction")
    return reduction


def _tensor(value, name, function):
    if not isinstance(value, Tensor):
        raise TypeError(
            f"{function}(): argument '{name}' must be a Tensor, not {type(value).__name__}"
        )
    return value


def _floating(input, function):
    _tensor(input, "input", function)
    if not input.is_floating_point():
        raise RuntimeError(f"{function}(): expected a floating point input, got {input.dtype}")
    return input


def _like_input(value, input, name, function):
    """``value`` (a tensor) in ``input``'s dtype; differentiable, so a target can carry grad."""
    _tensor(value, name, function)
    if value._data.dtype != input._data.dtype:
        value = value.to(input.dtype)
    return value


def _constant(value, input, name, function):
    """An optional weight tensor as a raw array in ``input``'s dtype (weights get no gradient)."""
    if value is None:
        return None
    _tensor(value, name, function)
    if value._rg and STATE.enabled:
        raise RuntimeError(f"{function}(): the derivative for '{name}' is not implemented")
    return value._data.astype(input._data.dtype, copy=False)


def _regression_target(input, target, function):
    """``target`` checked against ``input``: floating, broadcastable (with PyTorch's warning when
    the shapes differ), in the input's dtype."""
    a, b = getattr(input, "_data", None), getattr(target, "_data", None)
    if (
        a is not None
        and b is not None
        and a.dtype.kind == "f"
        and b.dtype == a.dtype
        and (b.shape == a.shape)
    ):
        return target  # the usual case, decided in one test
    _floating(input, function)
    target = _like_input(target, input, "target", function)
    if target.shape != input.shape:
        try:
            numpy.broadcast_shapes(input.shape, target.shape)
        except ValueError:
            raise RuntimeError(
                f"{function}(): the size of target {list(target.shape)} cannot be broadcast to "
                f"the size of input {list(input.shape)}"
            ) from None
        warnings.warn(
            f"Using a target size ({target.shape}) that is different to the input size "
            f"({input.shape}). This will likely lead to incorrect results due to broadcasting. "
            "Please ensure they have the same size.",
            stacklevel=3,
        )
    return target


# ----- regression -------------------------------------------------------------------------------


def _promoted(input, target):
    """``input`` in the wider float dtype of the two, as PyTorch's mse, l1 and smooth-l1 losses
    and kl_div compute (huber and binary cross-entropy keep the input's)."""
    a, b = getattr(input, "_data", None), getattr(target, "_data", None)
    if a is None or b is None or a.dtype == b.dtype or b.dtype.kind != "f" or a.dtype.kind != "f":
        return input
    return input.to(target.dtype) if numpy.promote_types(a.dtype, b.dtype) == b.dtype else input


def mse_loss_call(input, target, reduction):
    input = _promoted(input, target)
    return (L.mse_loss, input, _regression_target(input, target, "mse_loss"), reduction)


def l1_loss_call(input, target, reduction):
    input = _promoted(input, target)
    target = _regression_target(input, target, "l1_loss")
    return (L.l1_loss_by_reduction[reduction], input, target, reduction)


def smooth_l1_loss_call(input, target, reduction, beta):
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    input = _promoted(input, target)
    target = _regression_target(input, target, "smooth_l1_loss")
    if beta == 0:  # PyTorch's l1_loss then
        return (L.l1_loss_by_reduction[reduction], input, target, reduction)
    return (L.smooth_l1_loss, input, target, reduction, float(beta))


def huber_loss_call(input, target, reduction, delta):
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    target = _regression_target(input, target, "huber_loss")
    return (L.huber_loss, input, target, reduction, float(delta))


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """Mean (or sum) of squared differences."""
    return apply(*mse_loss_call(input, target, reduction_of(size_average, reduce, reduction)))


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """Mean (or sum) of absolute differences."""
    return apply(*l1_loss_call(input, target, reduction_of(size_average, reduce, reduction)))


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    """Quadratic below ``beta``, linear above: ``0.5 d^2 / beta`` or ``|d| - 0.5 beta``."""
    call = smooth_l1_loss_call(input, target, reduction_of(size_average, reduce, reduction), beta)
    return apply(*call)


def huber_loss(input, target, reduction="mean", delta=1.0):
    """Quadratic below ``delta``, linear above: ``0.5 d^2`` or ``delta (|d| - 0.5 delta)``."""
    return apply(*huber_loss_call(input, target, reduction_of(None, None, reduction), delta))


# ----- classification ---------------------------------------------------------------------------


def _class_weight(weight, input, n_classes, function):
    weight = _constant(weight, input, "weight", function)
    if weight is not None and weight.shape != (n_classes,):
        raise RuntimeError(
            f"weight tensor should be defined either for all {n_classes} classes "
            f"or no classes but got weight tensor of shape: {list(weight.shape)}"
        )
    return weight


def nll_loss_call(input, target, weight, ignore_index, reduction, function="nll_loss"):
    _floating(input, function)
    _tensor(target, "target", function)
    if input.ndim == 0:
        raise ValueError(f"{function}(): expected input with at least 1 dimension (classes), got 0")
    expected = () if input.ndim == 1 else (input.shape[0], *input.shape[2:])
    if tuple(target.shape) != expected:
        if input.ndim >= 2 and target.ndim >= 1 and target.shape[0] != input.shape[0]:
            raise ValueError(
                f"Expected input batch_size ({input.shape[0]}) to match target "
                f"batch_size ({target.shape[0]})."
            )
        if input.ndim <= 2 and target.ndim > 1:
            raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
        raise RuntimeError(
            f"{function}(): expected target of shape {list(expected)} for input "
            f"of shape {list(input.shape)}, got {list(target.shape)}"
        )
    # After the shapes, as in PyTorch: float labels of the right shape get this error.
    if target._data.dtype not in CLASS_INDEX_DTYPES:
        found = _functions._type_name(target, True)
        raise RuntimeError(f"expected target dtype to be Long or Byte, but got {found}")
    n_classes = input.shape[0 if input.ndim == 1 else 1]
    indices = target._data
    used = indices[indices != ignore_index]
    if used.size and (used.min() < 0 or used.max() >= n_classes):
        bad = used[(used < 0) | (used >= n_classes)][0]
        raise IndexError(f"Target {bad} is out of bounds.")
    weight = _class_weight(weight, input, n_classes, function)
    op = L.nll_loss_2d if input.ndim > 2 else L.nll_loss
    return (op, input, indices, weight, int(ignore_index), reduction)


def nll_loss(
    input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean"
):
    """The negative log-likelihood of the target classes, given log-probabilities ``input``."""
    reduction = reduction_of(size_average, reduce, reduction)
    return apply(*nll_loss_call(input, target, weight, ignore_index, reduction))


def class_dim(input):
    return 0 if input.ndim == 1 else 1


def cross_entropy(
    input,
    target,
    weight=None,
    size_average=None,
    ignore_index=-100,
    reduce=None,
    reduction="mean",
    label_smoothing=0.0,
):
    """``nll_loss(log_softmax(input, class dim), target)`` for class indices; for a target of
    class probabilities (the input's shape), ``-sum(target * log_softmax(input))``."""
    reduction = reduction_of(size_average, reduce, reduction)
    indices = _fused_cross_entropy_target(input, target, weight, ignore_index, reduction)
    if indices is not None and 0.0 <= label_smoothing <= 1.0:
        op = L.cross_entropy_smoothed if label_smoothing else L.cross_entropy
        return apply(op, input, indices, float(label_smoothing))
    _floating(input, "cross_entropy")
    _tensor(target, "target", "cross_entropy")
    if not 0.0 <= label_smoothing <= 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    if input.ndim == 0:
        raise ValueError("cross_entropy(): expected input with at least 1 dimension (classes)")
    dim = class_dim(input)
    n_classes = input.shape[dim]
    log_p = _functions.log_softmax(input, dim)
    # PyTorch decides by shape alone: a target shaped like the input holds class probabilities,
    # any other is class indices (so float labels [N] get nll_loss's "expected ... Long" error).
    if target.shape == input.shape:
        return _probability_cross_entropy(
            input, log_p, target, weight, reduction, label_smoothing, dim
        )
    loss = nll_loss(log_p, target, weight, ignore_index=ignore_index, reduction=reduction)
    if label_smoothing == 0:
        return loss
    # PyTorch's label smoothing: mix in the loss against the uniform distribution.
    w = _class_weight(weight, input, n_classes, "cross_entropy")
    shape = [1] * input.ndim
    shape[dim] = n_classes
    smooth = -(log_p * wrap(w.reshape(shape)) if w is not None else log_p)
    smooth = smooth.sum(dim)
    kept = target._data != ignore_index
    smooth = smooth * wrap(kept.astype(input._data.dtype))
    if reduction == "mean":
        total = w[numpy.where(kept, target._data, 0)][kept].sum() if w is not None else kept.sum()
        # Nothing counted (every target ignored): the loss is nan (0 / 0), its gradient 0.
        smooth = smooth.sum() / float(total) if total else smooth.sum() * 0.0 + math.nan
    elif reduction == "sum":
        smooth = smooth.sum()
    return loss * (1 - label_smoothing) + smooth * (label_smoothing / n_classes)


def _fused_cross_entropy_target(input, target, weight, ignore_index, reduction):
    """The class indices (raw) when ``cross_entropy`` is the one-node op ``L.cross_entropy``:
    (N, C) floating logits, N integer targets all in range and none ignored, a mean, no class
    weights. None otherwise, and then the general path checks everything and names any problem.
    It reads the raw arrays and calls reductions directly (``ndarray.min`` goes through a Python
    wrapper): this runs every training step."""
    if not (
        isinstance(input, Tensor)
        and isinstance(target, Tensor)
        and weight is None
        and reduction == "mean"
    ):
        return None
    logits, indices = input._data, target._data
    if (
        logits.ndim != 2
        or logits.dtype.kind != "f"
        or indices.dtype not in CLASS_INDEX_DTYPES
        or indices.shape != logits.shape[:1]
        or not indices.size
    ):
        return None
    n_classes = logits.shape[1]
    if numpy.minimum.reduce(indices) < 0 or numpy.maximum.reduce(indices) >= n_classes:
        return None
    # An ignore_index outside [0, C) cannot match a target that passed the bounds check.
    if 0 <= ignore_index < n_classes and (indices == ignore_index).any():
        return None
    return indices


def _probability_cross_entropy(input, log_p, target, weight, reduction, label_smoothing, dim):
    if not target.is_floating_point():
        raise RuntimeError(
            "Expected floating point type for target with class probabilities, got "
            f"{_functions._type_name(target, True)}"
        )
    n_classes = input.shape[dim]
    if label_smoothing > 0:
        target = target * (1 - label_smoothing) + label_smoothing / n_classes
    # PyTorch multiplies log_softmax(input) by the target and the weights in their common dtype:
    # float32 logits and float64 probabilities give a float64 loss.
    log_p = _promoted(_promoted(log_p, target), weight)
    target = _like_input(target, log_p, "target", "cross_entropy")
    terms = log_p * target
    w = _class_weight(weight, log_p, n_classes, "cross_entropy")
    if w is not None:
        shape = [1] * input.ndim
        shape[dim] = n_classes
        terms = terms * wrap(w.reshape(shape))
    if reduction == "none":
        return -terms.sum(dim)
    total = -terms.sum()
    return total / (input.numel() // n_classes) if reduction == "mean" else total


# ----- binary -----------------------------------------------------------------------------------


def _same_size(input, target, function, message):
    _floating(input, function)
    target = _like_input(target, input, "target", function)
    if target.shape != input.shape:
        raise ValueError(message.format(target=target.shape, input=input.shape))
    return target


def _broadcastable(value, input, name, function):
    array = _constant(value, input, name, function)
    if array is not None:
        try:
            numpy.broadcast_shapes(array.shape, input.shape)
        except ValueError:
            raise RuntimeError(
                f"{function}(): {name} of shape {list(array.shape)} cannot be "
                f"broadcast to the input's shape {list(input.shape)}"
            ) from None
    return array


def binary_cross_entropy_call(input, target, weight, reduction):
    function = "binary_cross_entropy"
    _floating(input, function)
    _same_dtype(input, _tensor(target, "target", function))
    target = _same_size(
        input,
        target,
        function,
        "Using a target size ({target}) that is different to the input size "
        "({input}) is deprecated. Please ensure they have the same size.",
    )
    data = input._data
    if data.size and (data.min() < 0 or data.max() > 1):
        raise RuntimeError("all elements of input should be between 0 and 1")
    return (
        L.binary_cross_entropy,
        input,
        target,
        _broadcastable(weight, input, "weight", function),
        reduction,
    )


def binary_cross_entropy(
    input, target, weight=None, size_average=None, reduce=None, reduction="mean"
):
    """``-w (y log p + (1 - y) log(1 - p))`` for probabilities ``input``; logs clamped at -100."""
    reduction = reduction_of(size_average, reduce, reduction)
    return apply(*binary_cross_entropy_call(input, target, weight, reduction))


def _same_dtype(input, target):
    """binary_cross_entropy wants its target in the input's dtype (it does not promote)."""
    if target._data.dtype != input._data.dtype:
        raise RuntimeError(
            f"Found dtype {_functions._type_name(target, True)} but expected "
            f"{_functions._type_name(input, True)}"
        )


def binary_cross_entropy_with_logits_call(input, target, weight, pos_weight, reduction):
    """The one-op call, in the wider float dtype of input and target; PyTorch's loss then has
    the target's dtype (``binary_cross_entropy_with_logits`` casts the op's result)."""
    function = "binary_cross_entropy_with_logits"
    input = _promoted(input, target)
    target = _same_size(
        input, target, function, "Target size ({target}) must be the same as input size ({input})"
    )
    weight = _broadcastable(weight, input, "weight", function)
    pos_weight = _broadcastable(pos_weight, input, "pos_weight", function)
    return (L.binary_cross_entropy_with_logits, input, target, weight, pos_weight, reduction)


def binary_cross_entropy_with_logits(
    input, target, weight=None, size_average=None, reduce=None, reduction="mean", pos_weight=None
):
    """Binary cross-entropy of ``sigmoid(input)``, computed stably from the logits."""
    reduction = reduction_of(size_average, reduce, reduction)
    call = binary_cross_entropy_with_logits_call(input, target, weight, pos_weight, reduction)
    loss = apply(*call)
    # PyTorch computes the loss in place in a tensor made from the target: its dtype wins.
    if target.is_floating_point() and loss._data.dtype != target._data.dtype:
        return loss.to(target.dtype)
    return loss


# ----- KL divergence ----------------------------------------------------------------------------


def kl_div_call(input, target, reduction, log_target):
    function = "kl_div"
    _floating(input, function)
    input = _promoted(input, target)
    target = _like_input(target, input, "target", function)
    # PyTorch computes target * (log target - input): its error names the target first.
    _functions._broadcast_shape(target.shape, input.shape)  # no warning, unlike mse_loss
    if reduction == "mean":
        warnings.warn(
            "reduction: 'mean' divides the total loss by both the batch size and the support "
            "size.'batchmean' divides only by the batch size, and aligns with the KL div math "
            "definition.'mean' will be changed to behave the same as 'batchmean' in the next "
            "major release.",
            stacklevel=3,
        )
    log_target = bool(log_target)
    if reduction == "batchmean" and input.ndim == 0:
        reduction = "sum"  # PyTorch divides by the batch size only when there is a batch dim
    op = L.kl_div_by_reduction.get(reduction) or L.kl_div_by_reduction[reduction, log_target]
    return (op, input, target, reduction, log_target)


def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    """``sum target (log target - input)``: KL(target || exp(input)) for log-probabilities
    ``input``."""
    reduction = reduction_of(
        size_average, reduce, reduction, allowed=("none", "mean", "sum", "batchmean")
    )
    return apply(*kl_div_call(input, target, reduction, log_target))


# ----- pairs of inputs and a +1/-1 target (compositions: autograd gives their gradients) ------


def _reduced(loss, reduction):
    if reduction == "mean":
        return loss.mean()
    return loss.sum() if reduction == "sum" else loss


def margin_ranking_loss(
    input1, input2, target, margin=0.0, size_average=None, reduce=None, reduction="mean"
):
    """``max(0, -target * (input1 - input2) + margin)``: target 1 wants input1 ranked higher."""
    reduction = reduction_of(size_average, reduce, reduction)
    return _reduced(_functions.clamp_min(-target * (input1 - input2) + margin, 0), reduction)


def cosine_embedding_loss(
    input1, input2, target, margin=0.0, size_average=None, reduce=None, reduction="mean"
):
    """``1 - cos(input1, input2)`` where target is 1, ``max(0, cos - margin)`` where it is -1
    (cosine along the last dim, with PyTorch's 1e-12 guard on each squared magnitude)."""
    reduction = reduction_of(size_average, reduce, reduction)
    dim = input1.ndim - 1
    products = (input1 * input2).sum(dim)
    magnitudes = ((input1 * input1).sum(dim) + 1e-12) * ((input2 * input2).sum(dim) + 1e-12)
    cos = products / magnitudes.sqrt()
    positive = _functions.where(target == 1, 1 - cos, 0.0)
    negative = _functions.where(target == -1, _functions.clamp_min(cos - margin, 0), 0.0)
    return _reduced(positive + negative, reduction)


# ----- more PyTorch losses: compositions (autograd differentiates them) unless PyTorch's own
# backward is one node, then one op of ember.ops.loss ------------------------------------------


def poisson_nll_loss(
    input,
    target,
    log_input=True,
    full=False,
    size_average=None,
    eps=1e-8,
    reduce=None,
    reduction="mean",
):
    """``exp(input) - target input`` (or ``input - target log(input + eps)``), plus Stirling's
    approximation of ``log(target!)`` where ``target > 1`` when ``full``."""
    reduction = reduction_of(size_average, reduce, reduction)
    if log_input:
        loss = _functions.exp(input) - target * input
    else:
        loss = input - target * _functions.log(input + eps)
    if full:
        stirling = (
            target * _functions.log(target) - target + 0.5 * _functions.log(2 * math.pi * target)
        )
        loss = loss + _functions.masked_fill(stirling, target <= 1, 0)
    return _reduced(loss, reduction)


def gaussian_nll_loss(input, target, var, full=False, eps=1e-6, reduction="mean"):
    """``0.5 (log var + (input - target)^2 / var)``, var clamped at ``eps`` (its gradient passes
    the clamp unchanged, as in PyTorch); var may have one dim fewer or of size 1."""
    if isinstance(var, float):
        if var < 0:
            raise ValueError("var has negative entry/entries")
        var = var * _creation.ones_like(input)
    elif bool((var < 0).any()):
        raise ValueError("var has negative entry/entries")
    if var.shape != input.shape:
        if input.shape[:-1] == var.shape:
            var = var.unsqueeze(-1)
        elif not (
            input.ndim == var.ndim and sum(v for i, v in zip(input.shape, var.shape) if i != v) == 1
        ):
            raise ValueError("var is of incorrect size")
    if reduction not in REDUCTIONS:
        raise ValueError(reduction + " is not valid")
    var = var + wrap(numpy.maximum(var._data, eps) - var._data)  # the clamp, outside autograd
    loss = 0.5 * (_functions.log(var) + (input - target) ** 2 / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduced(loss, reduction)


def hinge_embedding_loss(
    input, target, margin=1.0, size_average=None, reduce=None, reduction="mean"
):
    """``input`` where target is 1, ``max(0, margin - input)`` where it is -1 (both terms
    where it is neither, as in PyTorch)."""
    reduction = reduction_of(size_average, reduce, reduction)
    zeros = _creation.zeros_like(input)
    margin_term = _functions.where(target != 1, _functions.clamp_min(margin - input, 0), zeros)
    return _reduced(margin_term + _functions.where(target != -1, input, zeros), reduction)


def soft_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """``log(1 + exp(-target * input))`` for targets of +1/-1."""
    reduction = reduction_of(size_average, reduce, reduction)
    _floating(input, "soft_margin_loss")
    _no_grad_target(target, "soft_margin_loss", "target")
    return apply(L.soft_margin_loss, input, _like_input(target, input, "target", "x"), reduction)


def _no_grad_target(value, function, name):
    _tensor(value, name, function)
    if value._rg and STATE.enabled:
        raise RuntimeError(
            f"The function '{function}' is not differentiable with respect to argument "
            f"'{name}'. This input cannot have requires_grad True."
        )


def _margin_input(input, target, function):
    _floating(input, function)
    _tensor(target, "target", function)
    if input.ndim > 2 or input.numel() == 0 and input.ndim != 2:
        raise RuntimeError(
            "Expected non-empty vector or matrix with optional 0-dim batch size, but got: "
            f"{list(input.shape)}"
        )
    if target.dtype.name != "int64":
        raise RuntimeError(
            f"expected scalar type Long but found {_functions._type_name(target, True)}"
        )


def multi_margin_loss(
    input, target, p=1, margin=1.0, weight=None, size_average=None, reduce=None, reduction="mean"
):
    """Per sample, ``sum over j != y of max(0, margin - x[y] + x[j])^p * weight[y] / C``."""
    reduction = reduction_of(size_average, reduce, reduction)
    if p not in (1, 2):
        raise ValueError("only p == 1 and p == 2 supported")
    if weight is not None and weight.ndim != 1:
        raise ValueError("weight must be one-dimensional")
    function = "multi_margin_loss"
    _margin_input(input, target, function)
    n_classes = input.shape[-1]
    samples = 1 if input.ndim < 2 else input.shape[0]
    if target.numel() != samples or (input.ndim == 2 and target.ndim != 1):
        raise RuntimeError(
            "multi_margin_loss: target tensor should be 1-D with size equal to the number of "
            f"input samples (batch size). Expected target size [{samples}], but got "
            f"{list(target.shape)}. Input has shape {list(input.shape)}."
        )
    indices = target._data
    if indices.size and (indices.min() < 0 or indices.max() >= n_classes):
        raise RuntimeError("target out of range")
    if weight is not None:
        _no_grad_target(weight, function, "weight")
        if weight.shape != (n_classes,):
            raise RuntimeError(
                f"inconsistent weight size, expected {n_classes} but got {list(weight.shape)}"
            )
        weight = weight._data.astype(input._data.dtype, copy=False)
    return apply(L.multi_margin_loss, input, indices, p, float(margin), weight, reduction)


def multilabel_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """Per sample, ``sum over target classes y and other classes k of max(0, 1 - (x[y] - x[k]))
    / C``; the target lists class indices, ended by the first -1."""
    reduction = reduction_of(size_average, reduce, reduction)
    _margin_input(input, target, "multilabel_margin_loss")
    if target.shape != input.shape:
        raise RuntimeError(
            f"inconsistent target size: {list(target.shape)} for input of size: {list(input.shape)}"
        )
    indices = target._data
    if indices.size and (indices.min() < -1 or indices.max() >= input.shape[-1]):
        raise RuntimeError("argument #2 'target' is out of range")
    return apply(L.multilabel_margin_loss, input, indices, reduction)


def multilabel_soft_margin_loss(
    input, target, weight=None, size_average=None, reduce=None, reduction="mean"
):
    """Binary cross-entropy of ``sigmoid(input)`` per class, averaged over the classes (last
    dim): one loss per sample."""
    reduction = reduction_of(size_average, reduce, reduction)
    logsigmoid = _activation.logsigmoid
    loss = -(target * logsigmoid(input) + (1 - target) * logsigmoid(-input))
    if weight is not None:
        loss = loss * weight
    loss = loss.sum(input.ndim - 1) / input.shape[-1]
    return _reduced(loss, reduction)


def _triplet(anchor, positive, negative, distance, margin, swap, reduction):
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    dims = (anchor.ndim, positive.ndim, negative.ndim)
    if len(set(dims)) != 1:
        raise RuntimeError(
            "The anchor, positive, and negative tensors are expected to have the same number "
            f"of dimensions, but got: anchor {dims[0]}D, positive {dims[1]}D, and negative "
            f"{dims[2]}D inputs"
        )
    dist_pos = distance(anchor, positive)
    dist_neg = distance(anchor, negative)
    if swap:
        dist_neg = _functions.minimum(dist_neg, distance(positive, negative))
    return _reduced(_functions.clamp_min(margin + dist_pos - dist_neg, 0), reduction)


def triplet_margin_loss(
    anchor,
    positive,
    negative,
    margin=1.0,
    p=2,
    eps=1e-6,
    swap=False,
    size_average=None,
    reduce=None,
    reduction="mean",
):
    """``max(0, margin + d(anchor, positive) - d(anchor, negative))``, ``d`` the p-norm
    distance (with ``swap``, ``d(anchor, negative)`` is at most ``d(positive, negative)``)."""
    reduction = reduction_of(size_average, reduce, reduction)

    def distance(x1, x2):
        return _distance.pairwise_distance(x1, x2, p, eps)

    return _triplet(anchor, positive, negative, distance, margin, swap, reduction)


def triplet_margin_with_distance_loss(
    anchor, positive, negative, *, distance_function=None, margin=1.0, swap=False, reduction="mean"
):
    """:func:`triplet_margin_loss` with any ``distance_function(x1, x2)`` (pairwise distance
    by default)."""
    reduction = reduction_of(None, None, reduction)
    distance = distance_function or _distance.pairwise_distance
    return _triplet(anchor, positive, negative, distance, margin, swap, reduction)


# ----- CTC: log-probabilities of frames against shorter label sequences -----------------------


def ctc_loss(
    log_probs,
    targets,
    input_lengths,
    target_lengths,
    blank=0,
    reduction="mean",
    zero_infinity=False,
):
    """Connectionist temporal classification: ``-log p(targets | log_probs)`` summed over every
    alignment of each target to its frames (see :mod:`ember.ops.ctc`). ``log_probs`` is (T, N, C)
    or unbatched (T, C); ``targets`` is padded (N, S) or the targets concatenated (sum of the
    target lengths); the lengths are tensors or sequences of ints. A mean divides each loss by
    its target length (at least 1), then averages over the batch."""
    reduction = _REDUCTION_NUMBERS[reduction_of(None, None, reduction)]
    return ctc_loss_reduction_number(
        log_probs, targets, input_lengths, target_lengths, blank, reduction, zero_infinity
    )


_REDUCTION_NUMBERS = {"none": 0, "mean": 1, "sum": 2}  # at::Reduction's


def ctc_loss_reduction_number(
    log_probs, targets, input_lengths, target_lengths, blank=0, reduction=0, zero_infinity=False
):
    """``ember.ctc_loss``, PyTorch's ``torch.ctc_loss``: the reduction is at::Reduction's number
    (1 mean, 2 sum, anything else none). Its documented default is the mean, but what
    ``torch.ctc_loss`` does without one is no reduction, so that is the default here too."""
    args = (log_probs, targets, input_lengths, target_lengths, blank, reduction, zero_infinity)
    if (
        not isinstance(log_probs, Tensor)
        or not isinstance(targets, Tensor)
        or any(
            isinstance(n, bool) or not isinstance(n, numbers.Integral) for n in (blank, reduction)
        )
        or not isinstance(zero_infinity, (bool, numpy.bool_))
    ):
        raise _ctc_arguments_error(args)
    input_lengths, target_lengths = _ctc_lengths(args)
    batched = log_probs.ndim == 3
    if not batched:  # one sequence, (T, C): a batch of one
        if log_probs.ndim == 0:
            raise IndexError(
                "Dimension out of range (expected to be in range of [-1, 0], but got 1)"
            )
        log_probs = _functions.unsqueeze(log_probs, 1)
    blank = int(blank)
    labels = _ctc_checked(log_probs, targets, blank, input_lengths, target_lengths)
    alpha = CTC.workspace(log_probs.shape, labels.shape[1], log_probs._data.dtype)
    losses = apply(
        CTC.ctc_loss,
        log_probs,
        labels,
        input_lengths,
        target_lengths,
        blank,
        bool(zero_infinity),
        alpha,
    )
    # The rest as PyTorch composes it, so the result's grad_fn is the same chain of nodes.
    dtype = log_probs._data.dtype
    if zero_infinity:
        losses = _functions.where(losses == math.inf, wrap(numpy.zeros((), dtype)), losses)
    if reduction == 1:
        return (losses / wrap(numpy.maximum(target_lengths, 1).astype(dtype))).mean()
    if reduction == 2:
        return losses.sum()
    return losses if batched else losses.squeeze(0)


TOP_LEVEL = {"ctc_loss": ctc_loss_reduction_number}  # ember.<name>, as torch.<name>


def _ctc_arguments_error(args):
    """PyTorch's TypeError when the arguments match neither of ``torch.ctc_loss``'s signatures."""
    got = ", ".join("Tensor" if isinstance(a, Tensor) else type(a).__name__ for a in args)
    rest = "int blank = 0, int reduction = at::Reduction::Mean, bool zero_infinity = False)"
    return TypeError(
        f"ctc_loss() received an invalid combination of arguments - got ({got}), but expected "
        "one of:\n"
        " * (Tensor log_probs, Tensor targets, tuple of ints input_lengths, tuple of ints "
        f"target_lengths, {rest}\n"
        " * (Tensor log_probs, Tensor targets, Tensor input_lengths, Tensor target_lengths, "
        f"{rest}\n"
    )


def _int_sequence(value):
    """A tuple or list of ints (0-d integer tensors count) as an int64 array; None otherwise."""
    if not isinstance(value, (tuple, list)):
        return None
    ints = []
    for item in value:
        if isinstance(item, Tensor) and item.ndim == 0 and item._data.dtype.kind in "iu":
            item = item.item()
        if isinstance(item, bool) or not isinstance(item, numbers.Integral):
            return None
        ints.append(int(item))
    return numpy.array(ints, numpy.int64)


def _ctc_lengths(args):
    """The input and target lengths as int64 arrays: two integer tensors (of any shape, read
    flat), or two sequences of ints, as PyTorch's two signatures take them."""
    input_lengths, target_lengths = args[2:4]
    if isinstance(input_lengths, Tensor) and isinstance(target_lengths, Tensor):
        for value, name in ((input_lengths, "input_lengths"), (target_lengths, "target_lengths")):
            if value._data.dtype.kind not in "iu":
                raise RuntimeError(f"{name} must be integral")
        return tuple(
            v._data.reshape(-1).astype(numpy.int64) for v in (input_lengths, target_lengths)
        )
    lengths = _int_sequence(input_lengths), _int_sequence(target_lengths)
    if lengths[0] is None or lengths[1] is None:
        raise _ctc_arguments_error(args)
    return lengths


def _first_bad(values, bad):
    """The first of ``values`` where ``bad`` holds, as a Python int (PyTorch checks in order)."""
    return int(values[numpy.argmax(bad)])


def _ctc_checked(log_probs, targets, blank, input_lengths, target_lengths):
    """PyTorch's checks of ``ctc_loss``'s arguments, in its order and words; the labels padded
    (N, S) as int64, with ``blank`` past each target's end."""
    where = " (while checking arguments for ctc_loss_allocate_outputs)"
    if log_probs._data.dtype not in (numpy.float32, numpy.float64):
        raise _functions._not_implemented("ctc_loss_cpu", log_probs)
    if not log_probs.numel():
        raise RuntimeError("log_probs tensor must not be empty")
    if log_probs.ndim != 3:
        raise RuntimeError(
            f"Expected 3-dimensional tensor, but got {log_probs.ndim}-dimensional tensor for "
            f"argument #1 'log_probs'{where}"
        )
    if not 1 <= targets.ndim <= 2:
        raise RuntimeError(
            f"Expected 1 to 2 dimensions, but got {targets.ndim}-dimensional tensor for "
            f"argument #2 'targets'{where}"
        )
    frames, batch, classes = log_probs.shape
    if not 0 <= blank < classes:
        raise RuntimeError("blank must be in label range")
    if input_lengths.size != batch:
        raise RuntimeError("input_lengths must be of size batch_size")
    if target_lengths.size != batch:
        raise RuntimeError("target_lengths must be of size batch_size")
    if (target_lengths < 0).any():
        value = _first_bad(target_lengths, target_lengths < 0)
        raise RuntimeError(
            f"Expected target_lengths to have value at least 0, but got value {value}{where}"
        )
    expected = batch if targets.ndim == 2 else int(target_lengths.sum())
    if targets.shape[0] != expected:
        raise RuntimeError(
            f"Expected tensor to have size {expected} at dimension 0, but got size "
            f"{targets.shape[0]} for argument #2 'targets'{where}"
        )
    longest = int(target_lengths.max(initial=0))
    if targets.ndim == 2 and targets.shape[1] < longest:
        raise RuntimeError(
            f"Expected tensor to have size at least {longest} at dimension 1, but got size "
            f"{targets.shape[1]} for argument #2 'targets'{where}"
        )
    bad = (input_lengths < 0) | (input_lengths > frames)
    if bad.any():
        value = _first_bad(input_lengths, bad)
        bound = "at least 0" if value < 0 else f"at most {frames}"
        raise RuntimeError(
            f"Expected input_lengths to have value {bound}, but got value {value}{where}"
        )
    # PyTorch converts the targets to int64 (truncating floats) and reads labels outside
    # [0, C) from past the end of its arrays; ember refuses them.
    labels = CTC.padded_targets(targets._data.astype(numpy.int64), target_lengths, blank)
    outside = (labels < 0) | (labels >= classes)
    if outside.any():
        raise IndexError(
            f"Target {_first_bad(labels.reshape(-1), outside.reshape(-1))} is out of bounds."
        )
    return labels

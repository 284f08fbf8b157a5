"""Losses, usable both ways:

- PyTorch: ``loss_fn(input, target)`` returns a differentiable scalar (or per-element losses with
  ``reduction="none"``); ``loss.backward()`` starts backpropagation.
- Torch7 criteria: ``forward(input, target)`` returns the loss, ``backward(input, target)`` returns
  ``gradInput`` = dLoss/dInput, which starts the hand-driven backward of the model.
  (With ``reduction="none"`` that is the gradient of the losses' sum.)

A fused loss is one op of :mod:`ember.ops.loss`; its ``backward`` is that op's VJP with
``grad = 1``. Torch7's names are aliases: ``MSECriterion`` is ``MSELoss``, and Torch7's
``sizeAverage`` (constructor argument or attribute) is ``reduction="mean"`` against ``"sum"``.
"""

import numpy

from ...autograd.grad import grad as autograd_grad
from ...autograd.grad_mode import enable_grad
from ...ops import reduce as R
from ...tensor import Tensor, apply, wrap
from .. import functional as F
from ..functional import loss as FL
from ..module import Module, op_vjp
from .distance import PairwiseDistance

__all__ = [
    "MSELoss",
    "L1Loss",
    "SmoothL1Loss",
    "HuberLoss",
    "NLLLoss",
    "CrossEntropyLoss",
    "BCELoss",
    "BCEWithLogitsLoss",
    "KLDivLoss",
    "MarginRankingLoss",
    "CosineEmbeddingLoss",
    "PoissonNLLLoss",
    "GaussianNLLLoss",
    "HingeEmbeddingLoss",
    "SoftMarginLoss",
    "MultiLabelMarginLoss",
    "MultiLabelSoftMarginLoss",
    "MultiMarginLoss",
    "TripletMarginLoss",
    "TripletMarginWithDistanceLoss",
    "CTCLoss",
    "MSECriterion",
    "AbsCriterion",
    "ClassNLLCriterion",
    "CrossEntropyCriterion",
    "BCECriterion",
]


_ONES = {}


def _one(dtype):
    """dLoss/dLoss = 1, the gradient a criterion's backward starts from (one shared 0-d array
    per dtype: VJPs only read it)."""
    one = _ONES.get(dtype)
    if one is None:
        one = _ONES[dtype] = numpy.ones((), dtype)
        one.flags.writeable = False
    return one


class _Loss(Module):
    """Base of the losses: ``reduction``, Torch7's ``sizeAverage``, and the criterion protocol."""

    def __init__(self, size_average=None, reduce=None, reduction="mean"):
        super().__init__()
        self.reduction = FL.reduction_of(size_average, reduce, reduction, self._reductions)

    _reductions = FL.REDUCTIONS

    @property
    def sizeAverage(self):
        """Torch7: True averages over elements (``reduction="mean"``), False sums them."""
        return self.reduction == "mean"

    @sizeAverage.setter
    def sizeAverage(self, value):
        self.reduction = "mean" if value else "sum"

    def _call(self, input, target):
        """The fused op and its arguments, ``(op, *args)``; None if the loss is not one op."""
        return None

    def updateOutput(self, input, target):
        op, *args = self._call(input, target)
        self.output = apply(op, *args)
        return self.output

    def updateGradInput(self, input, target):
        """dLoss/dInput: the fused op's VJP, or autograd when the loss is several ops."""
        call = self._call(input, target)
        if call is None:
            self.gradInput = self._autograd_grad_input(input, target)
        else:
            op, *args = call
            self.gradInput = wrap(op_vjp(op, args, _one(input._data.dtype)))
        return self.gradInput

    def _autograd_grad_input(self, input, target):
        output = self.output
        leaf = input.detach().requires_grad_()
        with enable_grad():
            loss = self.forward(leaf, target)
        self.output = output  # the rerun leaves the last forward's loss in place
        return autograd_grad(loss, leaf, wrap(numpy.ones_like(loss._data)))[0]

    def backward(self, input, target):
        """Torch7's ``criterion:backward(input, target)``: returns dLoss/dInput."""
        return self.updateGradInput(input, target)

    def accGradParameters(self, input, target, scale=1):
        pass  # losses have no parameters (class weights are buffers)


class _WeightedLoss(_Loss):
    def __init__(self, weight=None, size_average=None, reduce=None, reduction="mean"):
        super().__init__(size_average, reduce, reduction)
        if weight is not None and not isinstance(weight, Tensor):
            raise TypeError(f"weight must be a Tensor or None, got {type(weight).__name__}")
        self.register_buffer("weight", weight)


class MSELoss(_Loss):
    """``(input - target)^2``, averaged or summed. Torch7: ``MSECriterion``."""

    def _call(self, input, target):
        return FL.mse_loss_call(input, target, self.reduction)


class L1Loss(_Loss):
    """``|input - target|``, averaged or summed. Torch7: ``AbsCriterion``."""

    def _call(self, input, target):
        return FL.l1_loss_call(input, target, self.reduction)


class SmoothL1Loss(_Loss):
    def __init__(self, size_average=None, reduce=None, reduction="mean", beta=1.0):
        super().__init__(size_average, reduce, reduction)
        self.beta = beta

    def _call(self, input, target):
        return FL.smooth_l1_loss_call(input, target, self.reduction, self.beta)


class HuberLoss(_Loss):
    def __init__(self, reduction="mean", delta=1.0):
        super().__init__(reduction=reduction)
        self.delta = delta

    def _call(self, input, target):
        return FL.huber_loss_call(input, target, self.reduction, self.delta)


class NLLLoss(_WeightedLoss):
    """Negative log-likelihood of class indices given log-probabilities. Torch7:
    ``ClassNLLCriterion`` (with 0-based class indices, as everywhere in ember)."""

    def __init__(
        self, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean"
    ):
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index = ignore_index

    def _call(self, input, target):
        return FL.nll_loss_call(input, target, self.weight, self.ignore_index, self.reduction)


class CrossEntropyLoss(_WeightedLoss):
    """``NLLLoss`` of ``LogSoftmax`` over the class dim; also probability targets and label
    smoothing. Torch7: ``CrossEntropyCriterion``."""

    def __init__(
        self,
        weight=None,
        size_average=None,
        ignore_index=-100,
        reduce=None,
        reduction="mean",
        label_smoothing=0.0,
    ):
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index = ignore_index
        self.label_smoothing = label_smoothing

    def updateOutput(self, input, target):
        self.output = F.cross_entropy(
            input,
            target,
            self.weight,
            ignore_index=self.ignore_index,
            reduction=self.reduction,
            label_smoothing=self.label_smoothing,
        )
        return self.output

    def updateGradInput(self, input, target):
        if (
            isinstance(input, Tensor)
            and input.is_floating_point()
            and input.ndim
            and isinstance(target, Tensor)
            and not target.is_floating_point()
            and self.label_smoothing == 0
        ):
            # The chain rule through the two ops, by hand: NLL's VJP, then LogSoftmax's.
            dim = FL.class_dim(input)
            log_p = R.log_softmax.forward(input._data, dim)
            op, *args = FL.nll_loss_call(
                wrap(log_p), target, self.weight, self.ignore_index, self.reduction, "cross_entropy"
            )
            grad_log_p = op_vjp(op, args, _one(log_p.dtype))
            self.gradInput = wrap(op_vjp(R.log_softmax, (input, dim), grad_log_p, out=log_p))
            return self.gradInput
        return super().updateGradInput(input, target)


class BCELoss(_WeightedLoss):
    """Binary cross-entropy of probabilities. Torch7: ``BCECriterion``."""

    def _call(self, input, target):
        return FL.binary_cross_entropy_call(input, target, self.weight, self.reduction)


class BCEWithLogitsLoss(_Loss):
    """Binary cross-entropy of ``sigmoid(input)``, computed stably from logits."""

    def __init__(
        self, weight=None, size_average=None, reduce=None, reduction="mean", pos_weight=None
    ):
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", weight)
        self.register_buffer("pos_weight", pos_weight)

    def _call(self, input, target):
        return FL.binary_cross_entropy_with_logits_call(
            input, target, self.weight, self.pos_weight, self.reduction
        )

    def updateOutput(self, input, target):
        # the functional form: its loss takes the target's dtype, which the one op cannot
        self.output = F.binary_cross_entropy_with_logits(
            input, target, self.weight, reduction=self.reduction, pos_weight=self.pos_weight
        )
        return self.output


class KLDivLoss(_Loss):
    """KL divergence ``target (log target - input)`` for log-probabilities ``input``."""

    _reductions = ("none", "mean", "sum", "batchmean")

    def __init__(self, size_average=None, reduce=None, reduction="mean", log_target=False):
        super().__init__(size_average, reduce, reduction)
        self.log_target = log_target

    def _call(self, input, target):
        return FL.kl_div_call(input, target, self.reduction, self.log_target)


def _forward_of(self, input, target):
    self.output = self.forward(input, target)
    return self.output


# A loss class that writes its own forward gets these (its forward, and autograd for backward).
_Loss._default_protocol = {
    "updateOutput": _forward_of,
    "_call": _Loss._call,
    "updateGradInput": _Loss.updateGradInput,
}

MSECriterion = MSELoss
AbsCriterion = L1Loss
ClassNLLCriterion = NLLLoss
CrossEntropyCriterion = CrossEntropyLoss
BCECriterion = BCELoss


class _PairLoss(Module):
    """A loss of two inputs and a +1/-1 target (no criterion protocol: autograd runs it)."""

    function = None

    def __init__(self, margin=0.0, size_average=None, reduce=None, reduction="mean"):
        super().__init__()
        self.margin = margin
        self.reduction = FL.reduction_of(size_average, reduce, reduction)

    def forward(self, input1, input2, target):
        return type(self).function(input1, input2, target, self.margin, reduction=self.reduction)


class MarginRankingLoss(_PairLoss):
    function = staticmethod(FL.margin_ranking_loss)


class CosineEmbeddingLoss(_PairLoss):
    function = staticmethod(FL.cosine_embedding_loss)


# ----- more PyTorch losses: each module is its function's arguments (autograd gives the
# criterion protocol's backward) -----------------------------------------------------------------


class PoissonNLLLoss(_Loss):
    def __init__(
        self,
        log_input=True,
        full=False,
        size_average=None,
        eps=1e-8,
        reduce=None,
        reduction="mean",
    ):
        super().__init__(size_average, reduce, reduction)
        self.log_input, self.full, self.eps = log_input, full, eps

    def forward(self, log_input, target):
        return F.poisson_nll_loss(
            log_input, target, self.log_input, self.full, eps=self.eps, reduction=self.reduction
        )


class GaussianNLLLoss(_Loss):
    def __init__(self, *, full=False, eps=1e-6, reduction="mean"):
        super().__init__(reduction=reduction)
        self.full, self.eps = full, eps

    def forward(self, input, target, var):
        return F.gaussian_nll_loss(input, target, var, self.full, self.eps, self.reduction)


class HingeEmbeddingLoss(_Loss):
    def __init__(self, margin=1.0, size_average=None, reduce=None, reduction="mean"):
        super().__init__(size_average, reduce, reduction)
        self.margin = margin

    def forward(self, input, target):
        return F.hinge_embedding_loss(input, target, self.margin, reduction=self.reduction)


class SoftMarginLoss(_Loss):
    def forward(self, input, target):
        return F.soft_margin_loss(input, target, reduction=self.reduction)


class MultiLabelMarginLoss(_Loss):
    def forward(self, input, target):
        return F.multilabel_margin_loss(input, target, reduction=self.reduction)


class MultiLabelSoftMarginLoss(_WeightedLoss):
    def forward(self, input, target):
        return F.multilabel_soft_margin_loss(input, target, self.weight, reduction=self.reduction)


class MultiMarginLoss(_WeightedLoss):
    def __init__(
        self, p=1, margin=1.0, weight=None, size_average=None, reduce=None, reduction="mean"
    ):
        super().__init__(weight, size_average, reduce, reduction)
        if p not in (1, 2):
            raise ValueError("only p == 1 and p == 2 supported")
        if weight is not None and weight.ndim != 1:
            raise ValueError(
                f"MultiMarginLoss: expected weight to be None or 1D tensor, got {weight.ndim}D "
                "instead"
            )
        self.p, self.margin = p, margin

    def forward(self, input, target):
        return F.multi_margin_loss(
            input, target, self.p, self.margin, self.weight, reduction=self.reduction
        )


class TripletMarginLoss(Module):
    def __init__(
        self,
        margin=1.0,
        p=2.0,
        eps=1e-6,
        swap=False,
        size_average=None,
        reduce=None,
        reduction="mean",
    ):
        super().__init__()
        if margin <= 0:
            raise ValueError(
                f"TripletMarginLoss: expected margin to be greater than 0, got {margin} instead"
            )
        self.margin, self.p, self.eps, self.swap = margin, p, eps, swap
        self.reduction = FL.reduction_of(size_average, reduce, reduction)

    def forward(self, anchor, positive, negative):
        return F.triplet_margin_loss(
            anchor,
            positive,
            negative,
            self.margin,
            self.p,
            self.eps,
            self.swap,
            reduction=self.reduction,
        )


class TripletMarginWithDistanceLoss(Module):
    def __init__(self, *, distance_function=None, margin=1.0, swap=False, reduction="mean"):
        super().__init__()
        if margin <= 0:
            raise ValueError(
                f"TripletMarginWithDistanceLoss: expected margin to be greater than 0, got "
                f"{margin} instead"
            )
        self.distance_function = distance_function or PairwiseDistance()  # a child, as in torch
        self.margin, self.swap = margin, swap
        self.reduction = FL.reduction_of(None, None, reduction)

    def forward(self, anchor, positive, negative):
        return F.triplet_margin_with_distance_loss(
            anchor,
            positive,
            negative,
            distance_function=self.distance_function,
            margin=self.margin,
            swap=self.swap,
            reduction=self.reduction,
        )


class CTCLoss(_Loss):
    """Connectionist temporal classification: ``-log p(target | log_probs)`` over every
    alignment of each target to its frames (see :func:`ember.nn.functional.ctc_loss`)."""

    def __init__(self, blank=0, reduction="mean", zero_infinity=False):
        super().__init__(reduction=reduction)
        self.blank, self.zero_infinity = blank, zero_infinity

    def forward(self, log_probs, targets, input_lengths, target_lengths):
        return F.ctc_loss(
            log_probs,
            targets,
            input_lengths,
            target_lengths,
            self.blank,
            self.reduction,
            self.zero_infinity,
        )

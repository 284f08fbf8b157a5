"""Connectionist temporal classification (CTC) loss: one op, the forward (alpha) recursion and,
beside it, the backward (beta) recursion that gives its gradient (Graves et al., 2006).

A target ``l`` of length S is read by T frames of class log-probabilities through its extended
sequence ``l' = blank, l_1, blank, l_2, ..., l_S, blank`` (2S + 1 positions): a path stays at a
position, moves to the next, or skips a blank between two different labels (a blank must separate
repeated labels, so ``a a`` needs three frames). The loss is ``-log p(l | x)``, ``p`` summing the
probabilities of all paths. In log space, with ``y_t(s)`` the log-probability of ``l'_s`` at ``t``::

    alpha_t(s) = y_t(s) + log(exp alpha_{t-1}(s) + exp alpha_{t-1}(s-1) [+ exp alpha_{t-1}(s-2)])
    beta_t(s)  = y_t(s) + log(exp beta_{t+1}(s)  + exp beta_{t+1}(s+1)  [+ exp beta_{t+1}(s+2)])
    -log p     = -log(exp alpha_{T-1}(2S) + exp alpha_{T-1}(2S-1))

(the bracketed skip where ``l'_s`` is a label unlike ``l'_{s-2}``). Both recursions run over time
in a Python loop, each step one set of NumPy operations over the whole batch and every position;
positions past a sequence's own 2S + 1, and frames past its own input length, stay at -inf.

The gradient is PyTorch's: for a frame ``t`` before the input length, and each class ``c``::

    grad_t(c) = grad * (exp(log_probs_t(c)) - sum over s with l'_s = c of gamma_t(s))
    gamma_t(s) = exp(alpha_t(s) + beta_t(s) - log p - y_t(s))

Minus the sum is the loss's derivative with respect to ``log_probs``. The ``exp(log_probs)``
term (which sums to 1 over the classes when ``log_probs`` is normalised) is what the VJP of
``log_softmax`` subtracts again: through a ``log_softmax`` this is exactly the gradient with
respect to the logits, which is how CTC is used (and how PyTorch and ember check it against finite
differences). Each ``gamma_t(s)`` is the posterior probability that a path is at position s at
frame t, in [0, 1]; summing them directly (PyTorch sums their logs per class first) cannot
underflow. Impossible targets (-log p = inf) get NaN gradients, as in PyTorch, or zeros with
``zero_infinity``.
"""

import numpy

from .op import Op

__all__ = ["ctc_loss", "ctc_loss_grad", "padded_targets", "workspace"]

_NEG_INF = -numpy.inf
_UNDEFINED = "derivative for aten::_ctc_loss_backward is not implemented"


def padded_targets(targets, target_lengths, blank):
    """The (N, max target length) labels of 1-D concatenated or 2-D padded ``targets``, with
    ``blank`` past each sequence's end (padding may hold anything: it is never read)."""
    longest = int(target_lengths.max(initial=0))
    within = numpy.arange(longest) < target_lengths[:, None]
    if targets.ndim == 2:
        picked = targets[:, :longest]
    else:
        starts = numpy.cumsum(target_lengths) - target_lengths
        places = starts[:, None] + numpy.arange(longest)
        picked = targets[numpy.minimum(places, targets.size - 1)] if targets.size else places
    return numpy.where(within, picked, blank)


def workspace(log_probs_shape, max_target_length, dtype):
    """The array the forward fills with alpha (each row padded on the left by two -inf, so the
    steps from s - 1 and s - 2 are slices) and the VJP reads, as PyTorch saves ``log_alpha``."""
    frames, batch, _ = log_probs_shape
    return numpy.empty((frames, batch, 2 * max_target_length + 3), dtype)


def _extended(labels, target_lengths, blank):
    """``l'`` for each sequence (N, 2S + 1), and where a path may skip from s - 2 to s."""
    batch, longest = labels.shape
    extended = numpy.full((batch, 2 * longest + 1), blank, labels.dtype)
    extended[:, 1::2] = labels
    skip = numpy.zeros(extended.shape, bool)
    skip[:, 3::2] = labels[:, 1:] != labels[:, :-1]
    return extended, skip


def _emissions(log_probs, extended):
    """y_t(s): the log-probability of ``l'_s`` at every frame, (T, N, 2S + 1)."""
    return log_probs[:, numpy.arange(extended.shape[0])[:, None], extended]


def _log_add(a, b, c):
    """log(exp a + exp b + exp c), -inf when all three are (not NaN), as PyTorch computes it."""
    top = numpy.maximum(numpy.maximum(a, b), c)
    top[top == _NEG_INF] = 0
    with numpy.errstate(divide="ignore"):  # log(0): -inf, as meant
        return numpy.log(numpy.exp(a - top) + numpy.exp(b - top) + numpy.exp(c - top)) + top


def _ctc_loss(log_probs, labels, input_lengths, target_lengths, blank, zero_infinity, alpha):
    extended, skip = _extended(labels, target_lengths, blank)
    emit = _emissions(log_probs, extended)
    alpha.fill(_NEG_INF)
    a = alpha[:, :, 2:]
    a[0, :, 0] = emit[0, :, 0]  # a path starts at the first blank or the first label
    if a.shape[2] > 1:
        a[0, :, 1] = numpy.where(target_lengths > 0, emit[0, :, 1], _NEG_INF)
    for t in range(1, int(input_lengths.max(initial=0))):
        prev = alpha[t - 1]
        skipped = numpy.where(skip, prev[:, :-2], _NEG_INF)
        a[t] = _log_add(prev[:, 2:], prev[:, 1:-1], skipped) + emit[t]
    # A path ends at the last blank or the last label, at each sequence's last frame.
    batch = numpy.arange(len(labels))
    last = input_lengths - 1
    end_blank = a[last, batch, 2 * target_lengths]
    end_label = numpy.where(target_lengths > 0, a[last, batch, 2 * target_lengths - 1], _NEG_INF)
    log_p = numpy.logaddexp(end_blank, end_label)
    # No frames: the empty target has probability 1 (a loss of -0.0, as PyTorch's), others 0.
    log_p = numpy.where(input_lengths == 0, numpy.where(target_lengths == 0, 0, _NEG_INF), log_p)
    return (-log_p).astype(log_probs.dtype, copy=False)


def _beta(emit, skip, input_lengths, target_lengths):
    """beta_t(s) for every frame (T, N, 2S + 1): -inf from each sequence's input length on."""
    frames, batch, width = emit.shape
    last = input_lengths - 1
    # beta at the last frame: the last blank and the last label, where a path must end.
    place = numpy.arange(width)
    ends = (place == 2 * target_lengths[:, None]) | (place == 2 * target_lengths[:, None] - 1)
    first = numpy.where(ends, emit[last, numpy.arange(batch)], _NEG_INF)
    skip_ahead = numpy.zeros(skip.shape, bool)
    skip_ahead[:, :-2] = skip[:, 2:]  # from s + 2 to s: l'_{s+2} is a label unlike l'_s
    beta = numpy.full((frames, batch, width + 2), _NEG_INF, emit.dtype)  # two -inf on the right
    for t in reversed(range(int(input_lengths.max(initial=0)))):
        step = numpy.where((t == last)[:, None], first, _NEG_INF)
        if t + 1 < frames:
            after = beta[t + 1]
            skipped = numpy.where(skip_ahead, after[:, 2:], _NEG_INF)
            inner = _log_add(after[:, :width], after[:, 1 : width + 1], skipped) + emit[t]
            step = numpy.where((t < last)[:, None], inner, step)
        beta[t, :, :width] = step
    return beta[:, :, :width]


def _ctc_loss_grad(
    g, log_probs, labels, input_lengths, target_lengths, blank, zero_infinity, alpha, loss
):
    frames, batch, classes = log_probs.shape
    extended, skip = _extended(labels, target_lengths, blank)
    emit = _emissions(log_probs, extended)
    beta = _beta(emit, skip, input_lengths, target_lengths)
    # The posterior probability that a path is at position s at frame t, summed per class
    # (NaN where log p or y is infinite: replaced below, as PyTorch has it).
    with numpy.errstate(invalid="ignore"):
        occupancy = numpy.exp(alpha[:, :, 2:] + beta + (loss[:, None] - emit))
        undefined = ~(loss[:, None] - log_probs < numpy.inf)
    bins = (numpy.arange(frames)[:, None, None] * batch + numpy.arange(batch)[:, None]) * classes
    per_class = numpy.bincount(
        (bins + extended).ravel(), occupancy.ravel(), frames * batch * classes
    ).reshape(log_probs.shape)
    grad = (numpy.exp(log_probs) - per_class.astype(log_probs.dtype)) * g[:, None]
    # PyTorch's log-space formula gives NaN where log p or a log-probability is -inf.
    grad[undefined] = numpy.nan
    seen = numpy.arange(frames)[:, None] < input_lengths
    if zero_infinity:
        seen &= loss != numpy.inf
    return numpy.where(seen[:, :, None], grad, 0).astype(log_probs.dtype, copy=False)


def _not_differentiable(xp, g, *args):
    raise RuntimeError(_UNDEFINED)


# PyTorch's gradient of the CTC gradient is not implemented (its node is named NotImplemented):
# ember's raises too, when create_graph=True has recorded it and a second derivative is asked for.
ctc_loss_grad = Op(
    "NotImplemented",
    _ctc_loss_grad,
    (_not_differentiable, _not_differentiable) + (None,) * 7,
    ("not differentiable", "not differentiable"),
)

ctc_loss = Op(
    "CtcLossBackward0",
    _ctc_loss,
    (lambda xp, g, *args: xp.apply(ctc_loss_grad, g, *args),) + (None,) * 6,
    "grad_log_probs[t, c] = grad * (exp(log_probs[t, c]) - sum over s with l'[s] = c of "
    "(alpha beta / (p y))[t, s]); 0 from the input length on",
    saves="args out",
)

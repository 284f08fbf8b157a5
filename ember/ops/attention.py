"""Scaled dot-product attention as one fused op.

Forward, for queries ``q`` (..., L, E), keys ``k`` (..., S, E) and values ``v`` (..., S, Ev)::

    scores = q @ k^T * scale + bias          bias: the additive mask (0 or -inf for a boolean one)
    p      = softmax(scores) along S          then dropout's kept-and-rescaled mask, if any
    out    = p @ v

Backward, the chain rule through each line in reverse (``dp`` the gradient of the probabilities)::

    grad_v = p^T @ grad          dp = grad @ v^T
    ds     = p * (dp - sum(dp * p))           the softmax's VJP
    grad_q = ds @ k * scale      grad_k = ds^T @ q * scale      grad_bias = ds

The probabilities are recomputed in backward instead of saved (as FlashAttention does), so the graph
holds only q, k, v: memory linear in the sequence rather than quadratic. Written against ``xp``,
so attention has second derivatives too.
"""

import math

import numpy

from . import reduce, xp_numpy
from .op import Op, unbroadcast

__all__ = ["attention"]


def _probabilities(xp, q, k, bias, scale):
    scores = xp.matmul(q, xp.swapaxes(k, -1, -2)) * scale
    if bias is None:
        return xp.apply(reduce.softmax, scores, -1)
    scores = scores + bias
    # A query whose keys are all masked out attends to nothing: its probabilities are 0, not
    # softmax's 0/0 (PyTorch's "safe softmax"), so its output and gradients are 0.
    with numpy.errstate(invalid="ignore"):
        p = xp.apply(reduce.softmax, scores, -1)
    dead = xp.sum(scores != -math.inf, axis=-1, keepdims=True) == 0
    return xp.where(dead, 0, p)


def _attention(q, k, v, bias, keep, scale):
    p = _probabilities(xp_numpy, q, k, bias, scale)
    if keep is not None:
        p *= keep
    return numpy.matmul(p, v)


def _attention_backward(xp, g, q, k, v, bias, keep, scale, out):
    p = _probabilities(xp, q, k, bias, scale)
    dropped = p if keep is None else p * keep
    grad_v = xp.matmul(xp.swapaxes(dropped, -1, -2), g)
    dp = xp.matmul(g, xp.swapaxes(v, -1, -2))
    if keep is not None:
        dp = dp * keep
    ds = p * (dp - xp.sum(dp * p, axis=-1, keepdims=True))
    grad_q = xp.matmul(ds, k) * scale
    grad_k = xp.matmul(xp.swapaxes(ds, -1, -2), q) * scale
    grad_bias = None if bias is None else unbroadcast(xp, ds, tuple(bias.shape))
    return [
        unbroadcast(xp, grad_q, tuple(q.shape)),
        unbroadcast(xp, grad_k, tuple(k.shape)),
        unbroadcast(xp, grad_v, tuple(v.shape)),
        grad_bias,
        None,
        None,
    ]


attention = Op(
    "ScaledDotProductAttentionBackward0",
    _attention,
    rules=(
        "grad_v = p^T @ grad; ds = p * (dp - sum(dp * p)) with dp = grad @ v^T; "
        "grad_q = ds @ k * scale; grad_k = ds^T @ q * scale; grad_mask = ds",
    ),
    backward=_attention_backward,
)

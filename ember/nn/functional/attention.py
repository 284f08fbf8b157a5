"""``scaled_dot_product_attention``: ``softmax(q @ k^T * scale + mask) @ v``, with an optional
boolean or additive mask, a causal mask, and dropout on the attention weights. The fused forward
and backward are in :mod:`ember.ops.attention`."""

import math

import numpy

from ...ops import attention as A
from ...tensor import apply
from ._sizes import check_float, check_tensor
from .channel_dropout import keep_mask

__all__ = ["scaled_dot_product_attention"]


def scaled_dot_product_attention(
    query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None, enable_gqa=False
):
    """Attention of queries (..., L, E) over keys (..., S, E) and values (..., S, Ev).

    ``attn_mask``: boolean (True = may attend) or additive float, broadcastable to (..., L, S).
    ``is_causal``: query i attends to keys 0..i only. ``scale`` defaults to 1 / sqrt(E).
    """
    name = "scaled_dot_product_attention"
    for what, t in (("query", query), ("key", key), ("value", value)):
        check_tensor(t, name, what)
        check_float(t, name, what)
        if t.ndim < 2:
            raise RuntimeError(
                f"{name}: expected {what} with at least 2 dims (..., seq, dim), "
                f"got size {list(t.shape)}"
            )
    if not query._data.dtype == key._data.dtype == value._data.dtype:
        raise RuntimeError(
            f"{name}: expected query, key and value to have the same dtype, but "
            f"got {query.dtype}, {key.dtype} and {value.dtype}"
        )
    if query.shape[-1] != key.shape[-1]:
        raise RuntimeError(
            f"{name}: query's last dim ({query.shape[-1]}) must match key's "
            f"({key.shape[-1]}); shapes {list(query.shape)} and {list(key.shape)}"
        )
    if key.shape[-2] != value.shape[-2]:
        raise RuntimeError(
            f"{name}: key and value must have the same sequence length, got "
            f"{list(key.shape)} and {list(value.shape)}"
        )
    if query.ndim >= 3 and key.ndim >= 3 and query.shape[-3] != key.shape[-3]:
        if not enable_gqa:
            raise RuntimeError(
                f"{name}: query has {query.shape[-3]} heads but key has "
                f"{key.shape[-3]}; pass enable_gqa=True to share key/value heads"
            )
        raise NotImplementedError(
            f"{name}: grouped-query attention (enable_gqa) is not supported by ember yet"
        )
    if not 0 <= dropout_p <= 1:
        raise ValueError(f"{name}: dropout_p must be in [0, 1], got {dropout_p}")
    dtype = query._data.dtype
    length, source = query.shape[-2], key.shape[-2]
    bias = None
    if is_causal:
        if attn_mask is not None:
            raise RuntimeError(f"{name}: explicit attn_mask should not be set when is_causal=True")
        allowed = numpy.tri(length, source, dtype=bool)
        bias = numpy.where(allowed, 0, -numpy.inf).astype(dtype)
    elif attn_mask is not None:
        check_tensor(attn_mask, name, "attn_mask")
        try:
            numpy.broadcast_shapes(tuple(attn_mask.shape), tuple(query.shape[:-1]) + (source,))
        except ValueError:
            raise RuntimeError(
                f"{name}: attn_mask of size {list(attn_mask.shape)} cannot be "
                f"broadcast to the attention weights' size "
                f"{list(query.shape[:-1]) + [source]}"
            ) from None
        if attn_mask._data.dtype == numpy.bool_:
            bias = numpy.where(attn_mask._data, 0, -numpy.inf).astype(dtype)
        elif attn_mask._data.dtype != dtype:
            raise RuntimeError(
                f"{name}: expected attn_mask dtype to be bool or to match "
                f"query dtype ({query.dtype}), got {attn_mask.dtype}"
            )
        else:
            bias = attn_mask if attn_mask.requires_grad else attn_mask._data
    if scale is None:
        scale = 1 / math.sqrt(query.shape[-1])
    keep = None
    if dropout_p > 0:
        weights = numpy.broadcast_shapes(tuple(query.shape[:-1]), tuple(key.shape[:-2]) + (1,))
        keep = keep_mask(weights[:-1] + (length, source), dropout_p, dtype)
    return apply(A.attention, query, key, value, bias, keep, float(scale))

"""``MultiheadAttention``: attention in ``num_heads`` subspaces at once, PyTorch's layer.

Queries, keys and values are projected (one ``(3E, E)`` matrix ``in_proj_weight``, or three when
keys and values have other sizes), split into heads of ``E / num_heads`` features, attended with
:func:`~ember.nn.functional.scaled_dot_product_attention` and projected back by ``out_proj``.

Masks follow PyTorch's convention for this layer (the opposite of scaled_dot_product_attention's):
a boolean ``attn_mask`` or ``key_padding_mask`` marks with True the positions that may NOT be
attended; a float mask is added to the attention scores.
"""

import math

import numpy

from ... import functions as E
from ...creation import empty
from ...tensor import Tensor, wrap
from .. import functional as F
from .. import init
from ..module import Module
from ..parameter import Parameter
from .linear import Linear

__all__ = ["MultiheadAttention"]


class MultiheadAttention(Module):
    """``MultiheadAttention(embed_dim, num_heads, dropout=0.0, bias=True, kdim=None, vdim=None,
    batch_first=False)``; ``forward(query, key, value, key_padding_mask=None, need_weights=True,
    attn_mask=None, average_attn_weights=True, is_causal=False)`` returns ``(output,
    weights)``, ``weights`` averaged over heads (or per head) or None."""

    def __init__(
        self,
        embed_dim,
        num_heads,
        dropout=0.0,
        bias=True,
        add_bias_kv=False,
        add_zero_attn=False,
        kdim=None,
        vdim=None,
        batch_first=False,
        device=None,
        dtype=None,
    ):
        super().__init__()
        if embed_dim <= 0 or num_heads <= 0:
            raise ValueError(
                f"embed_dim and num_heads must be greater than 0, got "
                f"embed_dim={embed_dim} and num_heads={num_heads} instead"
            )
        if embed_dim % num_heads:
            raise AssertionError("embed_dim must be divisible by num_heads")
        if add_bias_kv or add_zero_attn:
            raise NotImplementedError(
                "MultiheadAttention: add_bias_kv and add_zero_attn are not supported by ember"
            )
        self.embed_dim, self.num_heads, self.dropout = embed_dim, num_heads, dropout
        self.kdim = kdim if kdim is not None else embed_dim
        self.vdim = vdim if vdim is not None else embed_dim
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        self.head_dim, self.batch_first = embed_dim // num_heads, batch_first
        factory = {"dtype": dtype, "device": device}
        if self._qkv_same_embed_dim:
            self.in_proj_weight = Parameter(empty((3 * embed_dim, embed_dim), **factory))
            for name in ("q_proj_weight", "k_proj_weight", "v_proj_weight"):
                self.register_parameter(name, None)
        else:
            self.q_proj_weight = Parameter(empty((embed_dim, embed_dim), **factory))
            self.k_proj_weight = Parameter(empty((embed_dim, self.kdim), **factory))
            self.v_proj_weight = Parameter(empty((embed_dim, self.vdim), **factory))
            self.register_parameter("in_proj_weight", None)
        if bias:
            self.in_proj_bias = Parameter(empty(3 * embed_dim, **factory))
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = Linear(embed_dim, embed_dim, bias=bias, **factory)
        self.bias_k = self.bias_v = None
        self.add_zero_attn = False
        self._reset_parameters()

    def _reset_parameters(self):
        if self._qkv_same_embed_dim:
            init.xavier_uniform_(self.in_proj_weight)
        else:
            for weight in (self.q_proj_weight, self.k_proj_weight, self.v_proj_weight):
                init.xavier_uniform_(weight)
        if self.in_proj_bias is not None:
            init.constant_(self.in_proj_bias, 0.0)
            init.constant_(self.out_proj.bias, 0.0)

    def extra_repr(self):
        return f"embed_dim={self.embed_dim}, num_heads={self.num_heads}"

    def _projections(self, query, key, value):
        e = self.embed_dim
        b = self.in_proj_bias
        biases = (None, None, None) if b is None else (b[:e], b[e : 2 * e], b[2 * e :])
        if self._qkv_same_embed_dim:
            w = self.in_proj_weight
            if query is key and key is value:  # self-attention: one matmul for all three
                return E.chunk(F.linear(query, w, b), 3, -1)
            weights = (w[:e], w[e : 2 * e], w[2 * e :])
        else:
            weights = (self.q_proj_weight, self.k_proj_weight, self.v_proj_weight)
        return tuple(
            F.linear(x, w, bias) for x, w, bias in zip((query, key, value), weights, biases)
        )

    def forward(
        self,
        query,
        key,
        value,
        key_padding_mask=None,
        need_weights=True,
        attn_mask=None,
        average_attn_weights=True,
        is_causal=False,
    ):
        name = "MultiheadAttention"
        for what, t in (("query", query), ("key", key), ("value", value)):
            if not isinstance(t, Tensor):
                raise TypeError(f"{name}: {what} must be a Tensor, got {type(t).__name__}")
        if query.ndim not in (2, 3) or key.ndim != query.ndim or value.ndim != query.ndim:
            raise RuntimeError(
                f"{name}: query, key and value must all be 3-D (batched) or 2-D "
                f"(unbatched); got {query.ndim}-D, {key.ndim}-D, {value.ndim}-D"
            )
        if query.shape[-1] != self.embed_dim:
            raise RuntimeError(
                f"{name}: was expecting embedding dimension of {self.embed_dim}, "
                f"but got {query.shape[-1]}"
            )
        if is_causal and attn_mask is None:
            raise RuntimeError("Need attn_mask if specifying the is_causal hint.")
        unbatched = query.ndim == 2
        same = query is key and key is value  # self-attention: one projection matmul
        if unbatched:  # (L, E): one sample
            query, key, value = (t.unsqueeze(1) for t in (query, key, value))
            if key_padding_mask is not None:
                key_padding_mask = key_padding_mask.unsqueeze(0)
        elif self.batch_first:  # work in (L, N, E), as PyTorch does
            query, key, value = (t.transpose(0, 1) for t in (query, key, value))
        if same:
            key = value = query
        length, batch, _ = query.shape
        source = key.shape[0]
        q, k, v = self._projections(query, key, value)
        heads, head_dim = self.num_heads, self.head_dim

        def split(t, n):  # (n, N, E) -> (N, heads, n, head_dim)
            return t.reshape(n, batch, heads, head_dim).permute(1, 2, 0, 3)

        q, k, v = split(q, length), split(k, source), split(v, source)
        mask = self._mask(attn_mask, key_padding_mask, batch, length, source, q._data.dtype)
        dropout = self.dropout if self.training else 0.0
        if need_weights:
            scores = E.matmul(q * (1 / math.sqrt(head_dim)), k.transpose(-2, -1))
            if mask is not None:
                scores = scores + mask
            weights = E.softmax(scores, -1)
            if dropout > 0:
                weights = F.dropout(weights, dropout)
            attended = E.matmul(weights, v)
        else:
            attended = F.scaled_dot_product_attention(q, k, v, mask, dropout)
            weights = None
        out = attended.permute(2, 0, 1, 3).reshape(length, batch, self.embed_dim)
        out = self.out_proj(out)
        if unbatched:
            out = out.squeeze(1)
        elif self.batch_first:
            out = out.transpose(0, 1)
        if weights is not None:
            if average_attn_weights:
                weights = weights.mean(1)
            if unbatched:
                weights = weights.squeeze(0)
        return out, weights

    def _mask(self, attn_mask, key_padding_mask, batch, length, source, dtype):
        """The additive float mask (broadcastable to (N, heads, L, S)) both masks add up to."""
        total = None
        if attn_mask is not None:
            if attn_mask.ndim == 2:
                if tuple(attn_mask.shape) != (length, source):
                    raise RuntimeError(
                        f"The shape of the 2D attn_mask is "
                        f"{list(attn_mask.shape)}, but should be "
                        f"{[length, source]}."
                    )
                total = _additive(attn_mask, dtype)
            elif attn_mask.ndim == 3:
                expected = (batch * self.num_heads, length, source)
                if tuple(attn_mask.shape) != expected:
                    raise RuntimeError(
                        f"The shape of the 3D attn_mask is "
                        f"{list(attn_mask.shape)}, but should be "
                        f"{list(expected)}."
                    )
                total = _additive(attn_mask, dtype).reshape(batch, self.num_heads, length, source)
            else:
                raise RuntimeError(f"attn_mask's dimension {attn_mask.ndim} is not supported")
        if key_padding_mask is not None:
            if tuple(key_padding_mask.shape) != (batch, source):
                raise RuntimeError(
                    f"expected key_padding_mask of shape {[batch, source]}, but "
                    f"got {list(key_padding_mask.shape)}"
                )
            padding = _additive(key_padding_mask, dtype).reshape(batch, 1, 1, source)
            total = padding if total is None else total + padding
        return total


def _additive(mask, dtype):
    """A mask as a float tensor to add to scores: a boolean True (not allowed) becomes -inf."""
    if mask._data.dtype == numpy.bool_:
        return wrap(numpy.where(mask._data, -numpy.inf, 0).astype(dtype))
    if mask._data.dtype != dtype:
        raise RuntimeError(
            f"MultiheadAttention: expected a bool mask or one of the query's "
            f"dtype ({wrap(numpy.zeros(0, dtype)).dtype}), got {mask.dtype}"
        )
    return mask

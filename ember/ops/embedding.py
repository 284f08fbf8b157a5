"""Embedding lookup: rows of a weight matrix picked by integer indices.

``out[..., :] = weight[indices[...], :]`` reads one row per index, so by the chain rule each row of
the weight gets the sum of the gradients of every place it was read (a scatter-add of rows). The
row at ``padding_idx`` gets none (it stays a fixed "nothing here" vector), and with
``scale_grad_by_freq`` each row's gradient is divided by how often it was read in the batch.
"""

import numpy

from .op import Op

__all__ = ["embedding"]


def _embedding(weight, indices, padding_idx, scale_grad_by_freq):
    return numpy.take(weight, indices, axis=0)


def _embedding_vjp(xp, g, weight, indices, padding_idx, scale_grad_by_freq, out):
    rows = numpy.asarray(indices).reshape(-1)  # never differentiated: an array in either mode
    g = xp.reshape(g, (rows.shape[0], weight.shape[1]))
    if padding_idx is not None:
        g = xp.where((rows == padding_idx)[:, None], 0, g)
    if scale_grad_by_freq:
        counts = numpy.bincount(rows, minlength=weight.shape[0])[rows]
        # an ember dtype (create_graph) names its NumPy dtype; a NumPy dtype is its own
        dtype = getattr(g.dtype, "numpy", g.dtype)
        g = g * (1 / counts[:, None]).astype(dtype)
    return xp.index_add_along(tuple(weight.shape), 0, rows, g, g.dtype)


embedding = Op(
    "EmbeddingBackward0",
    _embedding,
    (_embedding_vjp,),
    "grad_weight = grad rows added into the rows that were read (none to padding_idx)",
    saves="",
)

"""Embedding lookup: rows of a weight matrix picked by integer indices; embedding bags, which
reduce the rows of each bag to one (sum, mean or max).

``out[..., :] = weight[indices[...], :]`` reads one row per index, so by the chain rule each row of
the weight gets the sum of the gradients of every place it was read (a scatter-add of rows). The
row at ``padding_idx`` gets none (it stays a fixed "nothing here" vector), and with
``scale_grad_by_freq`` each row's gradient is divided by how often it was read in the batch.
"""

import numpy

from .op import Op

__all__ = ["embedding", "embedding_bag"]


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


# ----- embedding bags ----------------------------------------------------------------------------
# Index i (of the flat indices) belongs to bag ``bags[i]``. Sum: out[b] = sum of w_i weight[idx_i]
# over the bag; mean divides by the bag's size; max takes each column's largest (``winners``: the
# index position that won, per bag and column, -1 for an empty bag). Rows at padding_idx count
# for nothing (``kept`` is False there); an empty bag gives zeros. Each VJP sends grad[bag] back
# to the rows that made it: scaled by w_i (sum) or 1/size (mean), or to the winner alone (max).
# With scale_grad_by_freq, ``frequency[i]`` is how often index i's row was read in the whole
# input, and the weight gradient each reading sends is divided by it (sum and mean only).


def _bag_sizes(bags, kept, n_bags):
    return numpy.bincount(bags[kept], minlength=n_bags)


def _embedding_bag(
    weight, indices, bags, n_bags, mode, per_sample_weights, kept, winners, frequency
):
    rows = numpy.where(kept[:, None], weight[indices], 0).astype(weight.dtype, copy=False)
    if per_sample_weights is not None:
        rows = rows * per_sample_weights[:, None]
    out = numpy.zeros((n_bags, weight.shape[1]), weight.dtype)
    if mode == "max":
        out[...] = -numpy.inf
        numpy.maximum.at(out, bags[kept], rows[kept])
        empty = _bag_sizes(bags, kept, n_bags) == 0
        out[empty] = 0
        # the first kept position of each bag that reaches its max
        winners[...] = -1
        for i in numpy.flatnonzero(kept)[::-1]:
            hit = rows[i] == out[bags[i]]
            winners[bags[i], hit] = i
        return out
    numpy.add.at(out, bags, rows)
    if mode == "mean":
        out /= numpy.maximum(_bag_sizes(bags, kept, n_bags), 1)[:, None]
    return out


def _spread(xp, g, bags, mode, kept, n_bags):
    # grad[bag] for each index position: the gradient of each row that went into a bag
    per_row = xp.take(g, bags, 0)
    if mode == "mean":
        scale = 1 / numpy.maximum(_bag_sizes(bags, kept, n_bags), 1)[bags]
        per_row = per_row * scale[:, None].astype(getattr(g.dtype, "numpy", g.dtype))
    return xp.where(kept[:, None], per_row, 0)


def _embedding_bag_vjp_weight(
    xp, g, weight, indices, bags, n_bags, mode, per_sample_weights, kept, winners, frequency, out
):
    shape, dtype = tuple(weight.shape), g.dtype
    if mode == "max":
        bag, column = numpy.nonzero(winners >= 0)
        values = xp.reshape(g[bag, column], (-1,))
        flat = indices[winners[bag, column]] * shape[1] + column
        grad = xp.index_add_along((shape[0] * shape[1],), 0, flat, values, dtype)
        return xp.reshape(grad, shape)
    per_row = _spread(xp, g, bags, mode, kept, n_bags)
    if per_sample_weights is not None:
        per_row = per_row * xp.expand_dims(per_sample_weights, 1)
    if frequency is not None:
        per_row = per_row * (1 / frequency[:, None]).astype(getattr(dtype, "numpy", dtype))
    return xp.index_add_along(shape, 0, indices, per_row, dtype)


def _embedding_bag_vjp_weights(
    xp, g, weight, indices, bags, n_bags, mode, per_sample_weights, kept, winners, frequency, out
):
    rows = xp.take(weight, indices, 0)
    return xp.sum(_spread(xp, g, bags, mode, kept, n_bags) * rows, axis=1)


embedding_bag = Op(
    "EmbeddingBagBackward0",
    _embedding_bag,
    (_embedding_bag_vjp_weight, None, None, None, None, _embedding_bag_vjp_weights),
    (
        "grad_weight = grad of each bag added into its rows (times the sample weight; over the "
        "bag size for mean; to the max's row only for max)",
        "grad_per_sample_weights = grad of the bag . the row",
    ),
)

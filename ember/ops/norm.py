"""Normalization layers' arithmetic: batch, layer, group and RMS norm, each a fused op.

All four compute ``xhat = (x - mean) / sqrt(var + eps)`` over some axes (RMS norm without the
mean), then ``out = xhat * weight + bias``. The backward is the well-known closed form: with
``dxhat = grad * weight`` and means taken over the same axes,

    grad_x      = (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat)) / sqrt(var + eps)
    grad_weight = sum(grad * xhat)        grad_bias = sum(grad)

(the two subtracted means are the gradient flowing through the mean and through the variance; RMS
norm has only the second). The statistics are recomputed from ``x`` in backward rather than
saved, and every step is written against ``xp``, so double backward differentiates through them.
"""

import numpy

from .op import Op

__all__ = ["batch_norm", "layer_norm", "group_norm", "rms_norm"]


def _moments(xp, x, axes, count):
    """``x - mean`` and the biased variance over ``axes`` (kept as size-1 dims)."""
    centred = x - xp.sum(x, axis=axes, keepdims=True) / count
    return centred, xp.sum(centred * centred, axis=axes, keepdims=True) / count


def _normalized(xp, x, axes, count, eps):
    centred, var = _moments(xp, x, axes, count)
    inv_std = 1 / xp.sqrt(var + eps)
    return centred * inv_std, inv_std


def _through_stats(xp, dxhat, xhat, inv_std, axes, count, centre=True):
    """The VJP of ``x -> xhat`` when mean and variance are x's own: ``dxhat`` minus its parts
    along the directions that moving the mean or the variance would absorb."""
    along_scale = xhat * (xp.sum(dxhat * xhat, axis=axes, keepdims=True) / count)
    if centre:
        return (dxhat - xp.sum(dxhat, axis=axes, keepdims=True) / count - along_scale) * inv_std
    return (dxhat - along_scale) * inv_std


def _affine(xhat, w, b, shape):
    out = xhat if w is None else xhat * w.reshape(shape)
    if b is not None:
        out = out + b.reshape(shape) if out is xhat else numpy.add(out, b.reshape(shape), out=out)
    return out


def _param_grads(xp, g, xhat, w, b, axes):
    """grad_weight and grad_bias: grad (times xhat) summed over every axis but the parameter's."""
    gw = None if w is None else xp.reshape(xp.sum(g * xhat, axis=axes), w.shape)
    gb = None if b is None else xp.reshape(xp.sum(g, axis=axes), b.shape)
    return gw, gb


def _count(shape, axes):
    n = 1
    for a in axes:
        n *= shape[a]
    return n


# ----- batch norm: statistics per channel, over the batch and every position ----------------------


def _channel_axes(x):
    return (0,) + tuple(range(2, x.ndim))


def _channel_shape(x):
    return (x.shape[1],) + (1,) * (x.ndim - 2)


def _batch_norm(x, w, b, running_mean, running_var, training, momentum, eps):
    axes, shape = _channel_axes(x), _channel_shape(x)
    if training:
        count = _count(x.shape, axes)
        mean = numpy.sum(x, axis=axes, keepdims=True) / count
        centred = x - mean
        var = numpy.sum(centred * centred, axis=axes, keepdims=True) / count
        xhat = centred * (1 / numpy.sqrt(var + eps))
        if running_mean is not None:  # updated in place, as PyTorch's native_batch_norm does
            running_mean *= 1 - momentum
            running_mean += momentum * mean.reshape(-1)
        if running_var is not None:  # with the unbiased variance
            unbiased = var.reshape(-1) * (count / max(count - 1, 1))
            running_var *= 1 - momentum
            running_var += momentum * unbiased
    else:
        inv_std = 1 / numpy.sqrt(running_var.reshape(shape) + eps)
        xhat = (x - running_mean.reshape(shape)) * inv_std
    return _affine(xhat, w, b, shape)


def _batch_norm_backward(xp, g, x, w, b, running_mean, running_var, training, momentum, eps, out):
    axes, shape = _channel_axes(x), _channel_shape(x)
    if training:
        count = _count(x.shape, axes)
        xhat, inv_std = _normalized(xp, x, axes, count, eps)
        dxhat = g if w is None else g * xp.reshape(w, shape)
        gx = _through_stats(xp, dxhat, xhat, inv_std, axes, count)
    else:
        inv_std = 1 / xp.sqrt(xp.reshape(running_var, shape) + eps)
        xhat = (x - xp.reshape(running_mean, shape)) * inv_std
        gx = g * inv_std if w is None else g * (xp.reshape(w, shape) * inv_std)
    gw, gb = _param_grads(xp, g, xhat, w, b, axes)
    return [gx, gw, gb, None, None, None, None, None]


batch_norm = Op(
    "NativeBatchNormBackward0",
    _batch_norm,
    rules=(
        "grad_x = (dxhat - mean(dxhat) - xhat mean(dxhat xhat)) / std with "
        "dxhat = grad * weight (training; grad * weight / running std in eval); "
        "grad_weight = sum(grad * xhat); grad_bias = sum(grad)",
    ),
    backward=_batch_norm_backward,
)


# ----- layer norm: statistics per sample, over the trailing normalized_shape ----------------------


def _trailing(x, k):
    return tuple(range(x.ndim - k, x.ndim))


def _layer_norm(x, k, w, b, eps):
    axes = _trailing(x, k)
    xhat, _ = _normalized(numpy, x, axes, _count(x.shape, axes), eps)
    return _affine(xhat, w, b, x.shape[x.ndim - k :])


def _layer_norm_backward(xp, g, x, k, w, b, eps, out):
    axes = _trailing(x, k)
    count = _count(x.shape, axes)
    xhat, inv_std = _normalized(xp, x, axes, count, eps)
    dxhat = g if w is None else g * w
    gx = _through_stats(xp, dxhat, xhat, inv_std, axes, count)
    lead = tuple(range(x.ndim - k))
    gw, gb = _param_grads(xp, g, xhat, w, b, lead)
    return [gx, None, gw, gb, None]


layer_norm = Op(
    "NativeLayerNormBackward0",
    _layer_norm,
    rules=(
        "grad_x = (dxhat - mean(dxhat) - xhat mean(dxhat xhat)) / std, "
        "dxhat = grad * weight; grad_weight = sum(grad * xhat); "
        "grad_bias = sum(grad)",
    ),
    backward=_layer_norm_backward,
)


# ----- group norm: statistics per sample and group of channels ------------------------------------


def _group_norm(x, groups, w, b, eps):
    grouped = x.reshape(x.shape[0], groups, -1)
    xhat, _ = _normalized(numpy, grouped, (2,), grouped.shape[2], eps)
    return _affine(xhat.reshape(x.shape), w, b, _channel_shape(x))


def _group_norm_backward(xp, g, x, groups, w, b, eps, out):
    shape = _channel_shape(x)
    grouped_shape = (x.shape[0], groups, -1)
    grouped = xp.reshape(x, grouped_shape)
    count = _count(x.shape, range(1, x.ndim)) // groups
    xhat, inv_std = _normalized(xp, grouped, (2,), count, eps)
    dxhat = g if w is None else g * xp.reshape(w, shape)
    gx = _through_stats(xp, xp.reshape(dxhat, grouped_shape), xhat, inv_std, (2,), count)
    gw, gb = _param_grads(xp, g, xp.reshape(xhat, x.shape), w, b, _channel_axes(x))
    return [xp.reshape(gx, x.shape), None, gw, gb, None]


group_norm = Op(
    "NativeGroupNormBackward0",
    _group_norm,
    rules=(
        "grad_x = (dxhat - mean(dxhat) - xhat mean(dxhat xhat)) / std per group, "
        "dxhat = grad * weight; grad_weight = sum(grad * xhat); "
        "grad_bias = sum(grad)",
    ),
    backward=_group_norm_backward,
)


# ----- RMS norm: scale by the root mean square, no centring ---------------------------------------


def _rms(xp, x, axes, count, eps):
    inv_rms = 1 / xp.sqrt(xp.sum(x * x, axis=axes, keepdims=True) / count + eps)
    return x * inv_rms, inv_rms


def _rms_norm(x, k, w, eps):
    axes = _trailing(x, k)
    xhat, _ = _rms(numpy, x, axes, _count(x.shape, axes), eps)
    return _affine(xhat, w, None, x.shape[x.ndim - k :])


def _rms_norm_backward(xp, g, x, k, w, eps, out):
    axes = _trailing(x, k)
    count = _count(x.shape, axes)
    xhat, inv_rms = _rms(xp, x, axes, count, eps)
    dxhat = g if w is None else g * w
    gx = _through_stats(xp, dxhat, xhat, inv_rms, axes, count, centre=False)
    gw, _ = _param_grads(xp, g, xhat, w, None, tuple(range(x.ndim - k)))
    return [gx, None, gw, None]


rms_norm = Op(
    "RmsNormBackward0",
    _rms_norm,
    rules=(
        "grad_x = (dxhat - xhat mean(dxhat xhat)) / rms, dxhat = grad * weight; "
        "grad_weight = sum(grad * xhat)",
    ),
    backward=_rms_norm_backward,
)

"""Layer ops: the affine map of ``nn.Linear`` (one op with its three VJPs), the bilinear map of
``nn.Bilinear`` and the learned leaky ReLU of ``nn.PReLU``.

``linear(x, W, b) = x @ W^T + b`` over the last dim of ``x`` (seed 002's fully-connected layer,
weight stored ``(out, in)`` as PyTorch and Torch7 store it). One node instead of a transpose and
an addmm: the chain rule for each argument is written here once, and both autograd and the
Torch7 protocol's hand-written ``updateGradInput``/``accGradParameters`` call these VJPs:

- ``grad_x = grad @ W``          (seed 002: ``inp.g = out.g @ w.t()``, with W stored transposed)
- ``grad_W = grad^T @ x``        (seed 000: ``gradWeight:addr(scale, gradOutput, input)``)
- ``grad_b = grad`` summed over all but the last dim (seed 000: ``gradBias:add(scale, gradOutput)``)
"""

import math

import numpy

from .op import Op

__all__ = ["linear", "linear_no_bias", "bilinear", "bilinear_no_bias", "prelu"]


def _linear(x, weight, bias):
    out = numpy.matmul(x, weight.T)  # BLAS reads the transposed view in place: no copy
    if bias is not None:
        out += bias  # into the fresh product: no second allocation
    return out


def _vjp_input(xp, g, x, weight, bias, out):
    return xp.matmul(g, weight)


def _vjp_weight(xp, g, x, weight, bias, out):
    # g.swapaxes: the method arrays and tensors share (numpy.swapaxes costs a Python wrapper).
    if x.ndim == 2:
        return xp.matmul(g.swapaxes(0, 1), x)
    # A single sample is the outer product grad x^T; extra leading dims are more samples.
    n_out, n_in = weight.shape
    return xp.matmul(xp.reshape(g, (-1, n_out)).swapaxes(0, 1), xp.reshape(x, (-1, n_in)))


def _vjp_bias(xp, g, x, weight, bias, out):
    if g.ndim == 2:
        return xp.sum(g, axis=0)
    return xp.sum(xp.reshape(g, (-1, weight.shape[0])), axis=0)


_RULES = (
    "grad_input = grad @ W",
    "grad_weight = grad^T @ input",
    "grad_bias = grad summed over the batch",
)

# PyTorch records a 2-D linear as AddmmBackward0 (MmBackward0 without a bias): the same names here.
# grad_x reads W, grad_W reads x, grad_b only shapes.
linear = Op(
    "AddmmBackward0",
    _linear,
    (_vjp_input, _vjp_weight, _vjp_bias),
    _RULES,
    reads=((1,), (0,), ()),
)
linear_no_bias = Op(
    "MmBackward0", _linear, (_vjp_input, _vjp_weight, None), _RULES[:2], reads=((1,), (0,), ())
)


# ----- bilinear: out[n, o] = x1[n, i] W[o, i, j] x2[n, j] + b[o] ----------------------------------
# The map is linear in each of x1, x2 and W, so each gradient is the same contraction with the
# gradient in place of that factor.


def _bilinear(x1, x2, weight, bias):
    out = numpy.einsum("...i,oij,...j->...o", x1, weight, x2, optimize=True)
    if bias is not None:
        out += bias
    return out


def _flat(xp, *arrays):
    # The batch dims as one: einsum's gradient equations then need no "...".
    return [xp.reshape(a, (-1, a.shape[-1])) for a in arrays]


def _bilinear_vjp_x1(xp, g, x1, x2, weight, bias, out):
    g2, b2 = _flat(xp, g, x2)
    return xp.reshape(xp.einsum("no,oij,nj->ni", g2, weight, b2), tuple(x1.shape))


def _bilinear_vjp_x2(xp, g, x1, x2, weight, bias, out):
    g2, a2 = _flat(xp, g, x1)
    return xp.reshape(xp.einsum("no,oij,ni->nj", g2, weight, a2), tuple(x2.shape))


def _bilinear_vjp_weight(xp, g, x1, x2, weight, bias, out):
    return xp.einsum("no,ni,nj->oij", *_flat(xp, g, x1, x2))


_BILINEAR_VJPS = (
    _bilinear_vjp_x1,
    _bilinear_vjp_x2,
    _bilinear_vjp_weight,
    lambda xp, g, x1, x2, weight, bias, out: xp.sum(xp.reshape(g, (-1, weight.shape[0])), axis=0),
)
_BILINEAR_RULES = (
    "grad_x1 = grad_o W[o] x2",
    "grad_x2 = grad_o W[o]^T x1",
    "grad_W[o] = sum over the batch of grad_o x1 x2^T",
    "grad_bias = grad summed over the batch",
)
# PyTorch builds bilinear from _trilinear and a reshape; its last node is the bias's add (or the
# reshape): the same names here, for one node.
bilinear = Op(
    "AddBackward0",
    _bilinear,
    _BILINEAR_VJPS,
    _BILINEAR_RULES,
    reads=((1, 2), (0, 2), (0, 1), ()),
)
bilinear_no_bias = Op(
    "ViewBackward0",
    _bilinear,
    _BILINEAR_VJPS[:3] + (None,),
    _BILINEAR_RULES[:3],
    reads=((1, 2), (0, 2), (0, 1), ()),
)


# ----- prelu: x where x > 0, else w x, with one slope per channel (dim 1) or one for all ----------


def _slopes_shape(ndim, weight_shape):
    if math.prod(weight_shape) == 1:
        return (1,) * ndim
    return (1, weight_shape[0]) + (1,) * (ndim - 2)


def _prelu(x, weight):
    w = weight.reshape(_slopes_shape(x.ndim, weight.shape))
    return numpy.where(x > 0, x, w * x).astype(x.dtype, copy=False)


def _prelu_vjp_weight(xp, g, x, weight, out):
    shape = _slopes_shape(len(x.shape), tuple(weight.shape))
    summed = tuple(i for i, n in enumerate(shape) if n == 1)
    grad = xp.where(x > 0, 0, g * x)
    if summed:
        grad = xp.sum(grad, axis=summed)
    return xp.reshape(grad, tuple(weight.shape))


prelu = Op(
    "PreluKernelBackward0",
    _prelu,
    (
        lambda xp, g, x, weight, out: xp.where(
            x > 0, g, g * xp.reshape(weight, _slopes_shape(len(x.shape), tuple(weight.shape)))
        ),
        _prelu_vjp_weight,
    ),
    (
        "grad_x = grad where x > 0, else grad * w",
        "grad_w = sum of grad * x where x <= 0, per channel",
    ),
)

"""Layer ops: the affine map of ``nn.Linear``, as one op with its three VJPs.

``linear(x, W, b) = x @ W^T + b`` over the last dim of ``x`` (seed 002's fully-connected layer,
weight stored ``(out, in)`` as PyTorch and Torch7 store it). One node instead of a transpose and
an addmm: the chain rule for each argument is written here once, and both autograd and the
Torch7 protocol's hand-written ``updateGradInput``/``accGradParameters`` call these VJPs:

- ``grad_x = grad @ W``          (seed 002: ``inp.g = out.g @ w.t()``, with W stored transposed)
- ``grad_W = grad^T @ x``        (seed 000: ``gradWeight:addr(scale, gradOutput, input)``)
- ``grad_b = grad`` summed over all but the last dim (seed 000: ``gradBias:add(scale, gradOutput)``)
"""

import numpy

from .op import Op

__all__ = ["linear", "linear_no_bias"]


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

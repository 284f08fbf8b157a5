"""Seed 004's two-layer net, one training step (N=64, D_in=1000, H=100, D_out=10, float32):
hand-written NumPy (the floor), ember autograd, ember's Torch7 protocol, PyTorch autograd.

    python benchmarks/bench_seed_net.py
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import compare, entry, median_time  # noqa: E402

N, D_IN, H, D_OUT, LR = 64, 1000, 100, 10, 1e-6


def data(seed=0, sizes=(N, D_IN, H, D_OUT)):
    """``x, y, w1, w2`` for the net, float32 (``instructions.py`` uses sizes of 1)."""
    import numpy

    n, d_in, h, d_out = sizes
    rng = numpy.random.default_rng(seed)
    shapes = ((n, d_in), (n, d_out), (d_in, h), (h, d_out))
    return [rng.standard_normal(s).astype(numpy.float32) for s in shapes]


def numpy_step(x, y, w1, w2):
    """One step of the seed's hand-written backprop, as a function."""
    import numpy

    def step():
        nonlocal w1, w2
        h = x.dot(w1)
        h_relu = numpy.maximum(h, 0)
        y_pred = h_relu.dot(w2)
        grad_y_pred = 2.0 * (y_pred - y)
        grad_w2 = h_relu.T.dot(grad_y_pred)
        grad_h = grad_y_pred.dot(w2.T)
        grad_h[h < 0] = 0
        grad_w1 = x.T.dot(grad_h)
        w1 -= LR * grad_w1
        w2 -= LR * grad_w2

    return step


def numpy_torch7_step(x, y, w1, w2):
    """The same math laid out as Torch7's protocol asks: weights stored (out, in) as nn.Linear
    keeps them (so the forward multiplies by a transposed matrix), and gradients zeroed and then
    accumulated into (zeroGradParameters, accGradParameters), not freshly assigned. The floor for
    ember's protocol variant."""
    import numpy

    w1, w2 = numpy.ascontiguousarray(w1.T), numpy.ascontiguousarray(w2.T)
    grad_w1, grad_w2 = numpy.zeros_like(w1), numpy.zeros_like(w2)

    def step():
        nonlocal w1, w2, grad_w1, grad_w2
        grad_w1.fill(0)
        grad_w2.fill(0)
        h = x.dot(w1.T)
        h_relu = numpy.maximum(h, 0)
        y_pred = h_relu.dot(w2.T)
        grad_y_pred = 2.0 * (y_pred - y)
        grad_w2 += grad_y_pred.T.dot(h_relu)
        grad_h = grad_y_pred.dot(w2)
        grad_h[h < 0] = 0
        grad_w1 += grad_h.T.dot(x)
        w1 -= LR * grad_w1
        w2 -= LR * grad_w2

    return step


def autograd_step(lib, x, y, w1, w2):
    """Seed 004's net through autograd; ``lib`` is ember or torch (the same code runs on both)."""
    x, y, w1, w2 = (lib.from_numpy(a) for a in (x, y, w1, w2))
    w1.requires_grad_()
    w2.requires_grad_()

    def step():
        nonlocal w1, w2
        y_pred = x.mm(w1).clamp(min=0).mm(w2)
        loss = (y_pred - y).pow(2).sum()
        loss.backward()
        with lib.no_grad():
            w1 -= LR * w1.grad
            w2 -= LR * w2.grad
        w1.grad = None  # PyTorch's zero_grad(set_to_none=True): no zeroing pass, no accumulation
        w2.grad = None

    return step


def protocol_step(x, y, w1, w2):
    """The net as ``Sequential(Linear, ReLU, Linear)`` + ``MSECriterion``, driven by Torch7's
    protocol."""
    import ember
    from ember import nn

    x, y, w1, w2 = (ember.from_numpy(a) for a in (x, y, w1, w2))
    model = nn.Sequential(
        nn.Linear(w1.shape[0], w1.shape[1], bias=False),
        nn.ReLU(),
        nn.Linear(w2.shape[0], w2.shape[1], bias=False),
    )
    with ember.no_grad():
        model[0].weight.copy_(w1.T)
        model[2].weight.copy_(w2.T)
    criterion = nn.MSECriterion()
    criterion.sizeAverage = False

    def step():
        model.zeroGradParameters()
        output = model.forward(x)
        criterion.forward(output, y)
        model.backward(x, criterion.backward(output, y))
        model.updateParameters(LR)

    return step


def numpy_variant():
    return {"seconds": median_time(numpy_step(*data()))}


def numpy_torch7_variant():
    return {"seconds": median_time(numpy_torch7_step(*data()))}


def ember_variant():
    import ember

    return {"seconds": median_time(autograd_step(ember, *data()))}


def ember_protocol_variant():
    return {"seconds": median_time(protocol_step(*data()))}


def torch_variant():
    import torch

    torch.set_num_threads(1)
    return {"seconds": median_time(autograd_step(torch, *data()))}


VARIANTS = {
    "numpy": numpy_variant,
    "numpy-torch7": numpy_torch7_variant,
    "ember": ember_variant,
    "ember-protocol": ember_protocol_variant,
    "torch": torch_variant,
}


def main(names=None):
    return compare(__file__, VARIANTS, "Seed 004 net: one training step", "numpy", names)


if __name__ == "__main__":
    entry(main, VARIANTS)

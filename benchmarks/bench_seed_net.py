"""Seed 004's two-layer net, one training step (N=64, D_in=1000, H=100, D_out=10, float32):
the seed's hand-written backprop in NumPy (the floor), ember autograd, ember's Torch7 protocol,
PyTorch autograd, and references: the NumPy step without the seed's loss and copy (numpy-bare)
and without the copy only (numpy-loss: the array work ember's step does), NumPy in Torch7's
layout, and a bare autograd tape (the least bookkeeping any autograd does).

    python benchmarks/bench_seed_net.py
    python benchmarks/bench_seed_net.py --paired   # NumPy, the tape and ember alternating in one
                                                   # process: ratios that slow spells barely move

Paired ratios suit A/B comparisons of two versions of ember, not absolute ratios to NumPy: the
variants share one process's caches and heap, so each one's time depends on which others run
beside it (ember's median was 1.24x with all five variants, 1.18x with NumPy alone).
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (  # noqa: E402
    compare,
    entry,
    median_time,
    paired_ratios,
    report_paired,
    run_variant,
)

N, D_IN, H, D_OUT, LR = 64, 1000, 100, 10, 1e-6


def data(seed=0, sizes=(N, D_IN, H, D_OUT)):
    """``x, y, w1, w2`` for the net, float32 (``instructions.py`` uses sizes of 1)."""
    import numpy

    n, d_in, h, d_out = sizes
    rng = numpy.random.default_rng(seed)
    shapes = ((n, d_in), (n, d_out), (d_in, h), (h, d_out))
    return [rng.standard_normal(s).astype(numpy.float32) for s in shapes]


def numpy_step(x, y, w1, w2):
    """One step of the seed's hand-written backprop in NumPy, line for line: like the seed it
    computes the loss every step (the seed prints it) and makes ``grad_h`` a copy of
    ``grad_h_relu`` before zeroing it where ``h < 0``."""
    import numpy

    def step():
        nonlocal w1, w2
        h = x.dot(w1)
        h_relu = numpy.maximum(h, 0)
        y_pred = h_relu.dot(w2)
        loss = numpy.square(y_pred - y).sum().item()
        grad_y_pred = 2.0 * (y_pred - y)
        grad_w2 = h_relu.T.dot(grad_y_pred)
        grad_h_relu = grad_y_pred.dot(w2.T)
        grad_h = grad_h_relu.copy()
        grad_h[h < 0] = 0
        grad_w1 = x.T.dot(grad_h)
        w1 -= LR * grad_w1
        w2 -= LR * grad_w2
        return loss

    return step


def numpy_bare_step(x, y, w1, w2, loss=False):
    """The seed's step without its two extras (the loss, the copy of ``grad_h_relu``): the least
    NumPy work a step needs. Earlier sessions reported every ratio against this one. With
    ``loss``, the loss is computed too: exactly the array work ember's autograd step does."""
    import numpy

    def step():
        nonlocal w1, w2
        h = x.dot(w1)
        h_relu = numpy.maximum(h, 0)
        y_pred = h_relu.dot(w2)
        if loss:
            numpy.square(y_pred - y).sum().item()
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
    accumulated into (zeroGradParameters, accGradParameters), not freshly assigned; the loss and
    the copy as in ``numpy_step``. The floor for ember's protocol variant."""
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
        loss = numpy.square(y_pred - y).sum().item()
        grad_y_pred = 2.0 * (y_pred - y)
        grad_w2 += grad_y_pred.T.dot(h_relu)
        grad_h = grad_y_pred.dot(w2).copy()
        grad_h[h < 0] = 0
        grad_w1 += grad_h.T.dot(x)
        w1 -= LR * grad_w1
        w2 -= LR * grad_w2
        return loss

    return step


def tape_step(x, y, w1, w2):
    """The least bookkeeping an autograd can do, as a floor for ember's: a bare reverse-mode
    tape on NumPy arrays. Each op appends its output, its inputs and one VJP per input to a tape;
    backward walks the tape in reverse, runs the VJPs of the inputs that need a gradient and adds
    gradients up. Nothing else: no grad_fn objects, version counters, hooks, type promotion,
    shape checks or error messages, and it knows only this net's five ops."""
    import numpy

    class Var:
        __slots__ = ("data", "grad", "needs")

        def __init__(self, data, needs=False):
            self.data, self.grad, self.needs = data, None, needs

    tape = []

    def record(data, inputs, vjps):
        out = Var(data, any(v.needs for v in inputs))
        if out.needs:
            tape.append((out, inputs, vjps))
        return out

    def mm(a, b):
        return record(
            a.data.dot(b.data), (a, b), (lambda g: g.dot(b.data.T), lambda g: a.data.T @ g)
        )

    def relu(a):
        return record(numpy.maximum(a.data, 0), (a,), (lambda g: g * (a.data >= 0),))

    def sub(a, b):
        return record(a.data - b.data, (a, b), (lambda g: g, lambda g: -g))

    def square(a):
        return record(numpy.square(a.data), (a,), (lambda g: (g + g) * a.data,))

    def total(a):
        def vjp(g):
            spread = numpy.empty(a.data.shape, a.data.dtype)
            spread[...] = g
            return spread

        return record(numpy.add.reduce(a.data, None), (a,), (vjp,))

    def backward(root):
        root.grad = numpy.array(1, root.data.dtype)
        for out, inputs, vjps in reversed(tape):
            grad, out.grad = out.grad, None
            for v, vjp in zip(inputs, vjps):
                if v.needs:
                    g = vjp(grad)
                    v.grad = g if v.grad is None else v.grad + g
        tape.clear()

    x, y, w1, w2 = Var(x), Var(y), Var(w1, True), Var(w2, True)

    def step():
        backward(total(square(sub(mm(relu(mm(x, w1)), w2), y))))
        w1.data -= LR * w1.grad
        w2.data -= LR * w2.grad
        w1.grad = w2.grad = None

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


def numpy_bare_variant():
    return {"seconds": median_time(numpy_bare_step(*data()))}


def numpy_loss_variant():
    return {"seconds": median_time(numpy_bare_step(*data(), loss=True))}


def numpy_torch7_variant():
    return {"seconds": median_time(numpy_torch7_step(*data()))}


def numpy_tape_variant():
    return {"seconds": median_time(tape_step(*data()))}


def ember_variant():
    import ember

    return {"seconds": median_time(autograd_step(ember, *data()))}


def ember_protocol_variant():
    return {"seconds": median_time(protocol_step(*data()))}


def torch_variant():
    import torch

    torch.set_num_threads(1)
    return {"seconds": median_time(autograd_step(torch, *data()))}


def paired_variant():
    """Every variant but torch, alternating in blocks in this one process."""
    import ember

    steps = {
        "numpy": numpy_step(*data()),
        "numpy-torch7": numpy_torch7_step(*data()),
        "numpy-tape": tape_step(*data()),
        "ember": autograd_step(ember, *data()),
        "ember-protocol": protocol_step(*data()),
    }
    return paired_ratios(steps, "numpy")


VARIANTS = {
    "numpy": numpy_variant,
    "numpy-bare": numpy_bare_variant,
    "numpy-loss": numpy_loss_variant,
    "numpy-torch7": numpy_torch7_variant,
    "numpy-tape": numpy_tape_variant,
    "ember": ember_variant,
    "ember-protocol": ember_protocol_variant,
    "torch": torch_variant,
}
# Not in the default list: the same variants measured another way (``--paired``).
EXTRA_VARIANTS = {"paired": paired_variant}


def main(names=None):
    if names and "--paired" in names:
        title = "Seed 004 net: one training step, variants alternating in one process"
        return report_paired(title, run_variant(__file__, "paired"), "numpy")
    return compare(__file__, VARIANTS, "Seed 004 net: one training step", "numpy", names)


if __name__ == "__main__":
    entry(main, {**VARIANTS, **EXTRA_VARIANTS})

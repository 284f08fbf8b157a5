"""Framework overhead on tiny tensors: a chain of 100 ops (mul, add, tanh, repeated) on shape (4,),
forward and backward, per op. Hand-written NumPy (forward, then the chain rule by hand) is the
floor; everything above it is bookkeeping: Python objects, graph recording, the backward walk.

    python benchmarks/bench_tiny_ops.py
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import compare, entry, median_time  # noqa: E402

LINKS = 33  # each link is three ops: * 1.01, + 0.1, tanh; plus a final sum: 100 ops


OPS = 3 * LINKS + 1


def numpy_step():
    """The chain in NumPy: forward, then the chain rule by hand."""
    import numpy

    a = numpy.random.default_rng(0).standard_normal(4).astype(numpy.float32)

    def step():
        outs, h = [], a
        for _ in range(LINKS):
            h = numpy.tanh(h * 1.01 + 0.1)
            outs.append(h)
        grad = numpy.ones_like(h)
        for out in reversed(outs):
            grad = grad * (1 - out * out) * 1.01
        return grad

    return step


def framework_step(lib):
    """The chain through autograd; ``lib`` is ember or torch (the same code runs on both)."""
    a = lib.randn(4, requires_grad=True)

    def step():
        h = a
        for _ in range(LINKS):
            h = (h * 1.01 + 0.1).tanh()
        h.sum().backward()
        a.grad = None

    return step


def numpy_variant():
    return {"seconds": median_time(numpy_step()) / OPS}


def ember_variant():
    import ember

    return {"seconds": median_time(framework_step(ember)) / OPS}


def torch_variant():
    import torch

    torch.set_num_threads(1)
    return {"seconds": median_time(framework_step(torch)) / OPS}


VARIANTS = {"numpy": numpy_variant, "ember": ember_variant, "torch": torch_variant}


def main(names=None):
    title = "Tiny ops: 100-op chain on shape (4,), forward + backward, per op"
    return compare(__file__, VARIANTS, title, "numpy", names, unit="us", scale=1e6)


if __name__ == "__main__":
    entry(main, VARIANTS)

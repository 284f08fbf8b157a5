"""Peak memory (max RSS) of running seed 004's net for 200 steps: hand-written NumPy, ember
autograd, PyTorch autograd, each in its own process.

    python benchmarks/bench_memory.py
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import compare, entry  # noqa: E402

STEPS = 200


def _peak():
    import resource

    return {"bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}


def numpy_variant():
    import bench_seed_net
    import numpy

    x, y, w1, w2 = bench_seed_net.data()
    for _ in range(STEPS):
        h = x.dot(w1)
        h_relu = numpy.maximum(h, 0)
        y_pred = h_relu.dot(w2)
        grad_y_pred = 2.0 * (y_pred - y)
        grad_w2 = h_relu.T.dot(grad_y_pred)
        grad_h = grad_y_pred.dot(w2.T)
        grad_h[h < 0] = 0
        grad_w1 = x.T.dot(grad_h)
        w1 -= 1e-6 * grad_w1
        w2 -= 1e-6 * grad_w2
    return _peak()


def _framework(lib):
    import bench_seed_net

    x, y, w1, w2 = (lib.from_numpy(a) for a in bench_seed_net.data())
    w1.requires_grad_()
    w2.requires_grad_()
    for _ in range(STEPS):
        loss = (x.mm(w1).clamp(min=0).mm(w2) - y).pow(2).sum()
        loss.backward()
        with lib.no_grad():
            w1 -= 1e-6 * w1.grad
            w2 -= 1e-6 * w2.grad
        w1.grad = None
        w2.grad = None
    return _peak()


def ember_variant():
    import ember

    return _framework(ember)


def torch_variant():
    import torch

    torch.set_num_threads(1)
    return _framework(torch)


VARIANTS = {"numpy": numpy_variant, "ember": ember_variant, "torch": torch_variant}


def main(names=None):
    title = "Peak memory, seed 004 net, 200 steps"
    return compare(
        __file__, VARIANTS, title, "numpy", names, unit="MiB", scale=1 / 2**20, key="bytes"
    )


if __name__ == "__main__":
    entry(main, VARIANTS)

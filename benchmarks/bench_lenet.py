"""A LeNet block, one training step (forward + backward), batch 64 of 1x28x28, float32:
conv 5x5 1->6, ReLU, max-pool 2, conv 5x5 6->16, ReLU, max-pool 2, linear 256->10, cross-entropy.

Variants: PyTorch autograd (the reference), a plain NumPy im2col version written by hand (the
floor a NumPy library starts from), ember autograd, and ember with glibc told to keep freed memory
(``mallopt``) so large temporaries are not page-faulted in afresh on every step.

    python benchmarks/bench_lenet.py [variant ...]
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import compare, entry, median_time  # noqa: E402

N = 64


def data(seed=0):
    import numpy

    rng = numpy.random.default_rng(seed)
    f32 = numpy.float32
    x = rng.standard_normal((N, 1, 28, 28)).astype(f32)
    y = rng.integers(0, 10, N)
    shapes = [(6, 1, 5, 5), (6,), (16, 6, 5, 5), (16,), (10, 256), (10,)]
    params = [(rng.standard_normal(s) * 0.1).astype(f32) for s in shapes]
    return x, y, params


def keep_freed_memory():
    """glibc returns large freed blocks to the OS, so the next allocation page-faults them back
    in; these settings keep them in the process (what a caching allocator does)."""
    import ctypes

    libc = ctypes.CDLL("libc.so.6")
    libc.mallopt(-3, 1 << 30)  # M_MMAP_THRESHOLD: large blocks from the heap, not mmap
    libc.mallopt(-1, 1 << 30)  # M_TRIM_THRESHOLD: don't give the heap's top back


def numpy_variant():
    import numpy
    from numpy.lib.stride_tricks import sliding_window_view

    x, y, (w1, b1, w2, b2, w3, b3) = data()

    def conv(a, w, b):
        cols = sliding_window_view(a, w.shape[2:], axis=(2, 3))  # N C OH OW KH KW
        out = numpy.einsum("nchwij,ocij->nohw", cols, w, optimize=True)
        return out + b[:, None, None], cols

    def conv_back(cols, w, g, need_input):
        gw = numpy.einsum("nchwij,nohw->ocij", cols, g, optimize=True)
        if not need_input:
            return None, gw, g.sum((0, 2, 3))
        n, c, oh, ow, kh, kw = cols.shape
        gx = numpy.zeros((n, c, oh + kh - 1, ow + kw - 1), g.dtype)
        gcols = numpy.einsum("nohw,ocij->ncijhw", g, w, optimize=True)
        for i in range(kh):
            for j in range(kw):
                gx[:, :, i : i + oh, j : j + ow] += gcols[:, :, i, j]
        return gx, gw, g.sum((0, 2, 3))

    def pool(a):
        n, c, h, w = a.shape
        windows = a.reshape(n, c, h // 2, 2, w // 2, 2)
        out = windows.max(axis=(3, 5))
        mask = windows == out[:, :, :, None, :, None]
        return out, mask

    def pool_back(mask, g):
        n, c, h, _, w, _ = mask.shape
        return (mask * g[:, :, :, None, :, None]).reshape(n, c, h * 2, w * 2)

    def step():
        h1, cols1 = conv(x, w1, b1)
        r1 = numpy.maximum(h1, 0)
        p1, m1 = pool(r1)
        h2, cols2 = conv(p1, w2, b2)
        r2 = numpy.maximum(h2, 0)
        p2, m2 = pool(r2)
        flat = p2.reshape(N, -1)
        logits = flat @ w3.T + b3
        shifted = logits - logits.max(1, keepdims=True)
        probs = numpy.exp(shifted)
        probs /= probs.sum(1, keepdims=True)
        g = probs
        g[numpy.arange(N), y] -= 1
        g /= N
        gflat = g @ w3
        g3, gb3 = g.T @ flat, g.sum(0)
        gp2 = pool_back(m2, gflat.reshape(p2.shape)) * (h2 > 0)
        gp1, g2, gb2 = conv_back(cols2, w2, gp2, True)
        gr1 = pool_back(m1, gp1) * (h1 > 0)
        conv_back(cols1, w1, gr1, False)
        return g3, gb3, g2, gb2

    return {"seconds": median_time(step)}


def _ember_step():
    import ember
    import ember.nn.functional as F

    x, y, params = data()
    x, y = ember.from_numpy(x), ember.from_numpy(y)
    w1, b1, w2, b2, w3, b3 = params = [ember.from_numpy(p).requires_grad_() for p in params]

    def step():
        h = F.max_pool2d(F.relu(F.conv2d(x, w1, b1)), 2)
        h = F.max_pool2d(F.relu(F.conv2d(h, w2, b2)), 2)
        loss = F.cross_entropy(F.linear(h.flatten(1), w3, b3), y)
        for p in params:
            p.grad = None
        loss.backward()

    return step


def ember_variant():
    return {"seconds": median_time(_ember_step())}


def ember_mallopt_variant():
    keep_freed_memory()
    return {"seconds": median_time(_ember_step())}


def torch_variant():
    import torch
    import torch.nn.functional as F

    torch.set_num_threads(1)
    x, y, params = data()
    x, y = torch.from_numpy(x), torch.from_numpy(y)
    w1, b1, w2, b2, w3, b3 = params = [torch.from_numpy(p).requires_grad_() for p in params]

    def step():
        h = F.max_pool2d(F.relu(F.conv2d(x, w1, b1)), 2)
        h = F.max_pool2d(F.relu(F.conv2d(h, w2, b2)), 2)
        loss = F.cross_entropy(F.linear(h.flatten(1), w3, b3), y)
        for p in params:
            p.grad = None
        loss.backward()

    return {"seconds": median_time(step)}


VARIANTS = {
    "torch": torch_variant,
    "numpy": numpy_variant,
    "ember": ember_variant,
    "ember-mallopt": ember_mallopt_variant,
}


def main(names=None):
    return compare(__file__, VARIANTS, "LeNet block: one training step, batch 64", "torch", names)


if __name__ == "__main__":
    entry(main, VARIANTS)

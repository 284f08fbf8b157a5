"""One training epoch of the digits MLP (64-256-256-10, batch 32, SGD momentum 0.9, lr 0.05,
cross-entropy), data loading included: hand-written NumPy (the floor), ember (Module, DataLoader,
optim.SGD, autograd) and PyTorch the same way.

    python benchmarks/bench_training.py
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import compare, entry, median_time  # noqa: E402

SIZES, BATCH, LR, MOMENTUM = (64, 256, 256, 10), 32, 0.05, 0.9


def digits():
    import numpy
    from sklearn.datasets import load_digits

    bunch = load_digits()
    return (bunch.data / 16).astype(numpy.float32), bunch.target.astype(numpy.int64)


def numpy_variant():
    import numpy

    x, y = digits()
    rng = numpy.random.default_rng(0)
    weights, biases = [], []
    for fan_in, fan_out in zip(SIZES[:-1], SIZES[1:]):
        bound = 1 / fan_in**0.5
        weights.append(rng.uniform(-bound, bound, (fan_in, fan_out)).astype(numpy.float32))
        biases.append(rng.uniform(-bound, bound, fan_out).astype(numpy.float32))
    params = weights + biases
    velocity = [numpy.zeros_like(p) for p in params]

    def epoch():
        order = rng.permutation(len(x))
        for start in range(0, len(x), BATCH):
            index = order[start : start + BATCH]
            xb, yb = x[index], y[index]
            activations = [xb]
            for i, (w, b) in enumerate(zip(weights, biases)):
                z = activations[-1] @ w + b
                activations.append(numpy.maximum(z, 0) if i < len(weights) - 1 else z)
            logits = activations[-1]
            shifted = logits - logits.max(axis=1, keepdims=True)
            probs = numpy.exp(shifted)
            probs /= probs.sum(axis=1, keepdims=True)
            grad = probs
            grad[numpy.arange(len(yb)), yb] -= 1
            grad /= len(yb)
            grads_w, grads_b = [None] * len(weights), [None] * len(weights)
            for i in reversed(range(len(weights))):
                grads_w[i] = activations[i].T @ grad
                grads_b[i] = grad.sum(axis=0)
                if i:
                    grad = grad @ weights[i].T
                    grad *= activations[i] > 0
            for p, g, v in zip(params, grads_w + grads_b, velocity):
                v *= MOMENTUM
                v += g
                p -= LR * v

    return {"seconds": median_time(epoch, repeats=9, warmup=2)}


def _framework(lib, nn, optim, loader):
    model = nn.Sequential(
        nn.Linear(64, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 10)
    )
    optimizer = optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)
    loss_fn = nn.CrossEntropyLoss()

    def epoch():
        for xb, yb in loader:
            loss = loss_fn(model(xb), yb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()

    return {"seconds": median_time(epoch, repeats=9, warmup=2)}


def ember_variant():
    import ember
    from ember import nn, optim
    from ember.data import DataLoader, TensorDataset

    x, y = digits()
    data = TensorDataset(ember.from_numpy(x), ember.from_numpy(y))
    loader = DataLoader(
        data, batch_size=BATCH, shuffle=True, generator=ember.Generator().manual_seed(0)
    )
    return _framework(ember, nn, optim, loader)


def torch_variant():
    import torch
    from torch import nn, optim
    from torch.utils.data import DataLoader, TensorDataset

    torch.set_num_threads(1)
    x, y = digits()
    data = TensorDataset(torch.from_numpy(x), torch.from_numpy(y))
    loader = DataLoader(data, batch_size=BATCH, shuffle=True)
    return _framework(torch, nn, optim, loader)


VARIANTS = {"numpy": numpy_variant, "ember": ember_variant, "torch": torch_variant}


def main(names=None):
    title = "Digits MLP: one training epoch (57 steps of batch 32)"
    return compare(__file__, VARIANTS, title, "numpy", names)


if __name__ == "__main__":
    entry(main, VARIANTS)

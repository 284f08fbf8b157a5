"""The models ``ember train --model NAME`` can build, by name.

Each builder takes the input shape (without the batch dim), the number of classes and its own
options, and returns an ``nn.Module`` whose output is one logit per class.
"""

import math

from . import nn
from .creation import ones, zeros

__all__ = ["build", "MODELS", "mlp", "lenet", "AddChannel", "Standardize"]


class Standardize(nn.Module):
    """``(x - mean) / std`` with the training set's per-feature statistics kept as buffers, so a
    checkpoint carries its own preprocessing and ``ember eval`` reproduces it exactly."""

    def __init__(self, shape, mean=None, std=None):
        super().__init__()
        self.register_buffer("mean", zeros(*shape) if mean is None else mean)
        self.register_buffer("std", ones(*shape) if std is None else std)

    def forward(self, x):
        return (x - self.mean) / self.std


def mlp(input_shape, num_classes, hidden=(256, 256), dropout=0.0, mean=None, std=None):
    """A multi-layer perceptron: standardize the inputs, Flatten, then (Linear, ReLU[, Dropout])
    per hidden width, then a Linear to the classes."""
    layers = [Standardize(input_shape, mean, std), nn.Flatten()]
    width = math.prod(input_shape)
    for size in hidden:
        layers += [nn.Linear(width, size), nn.ReLU()]
        if dropout:
            layers.append(nn.Dropout(dropout))
        width = size
    layers.append(nn.Linear(width, num_classes))
    return nn.Sequential(*layers)


class AddChannel(nn.Module):
    """``N x H x W`` images to ``N x 1 x H x W``, the layout ``Conv2d`` expects (a view)."""

    def forward(self, x):
        return x.unsqueeze(1) if x.dim() == 3 else x


def lenet(input_shape, num_classes, mean=None, std=None):
    """A LeNet-5-style CNN for 28 x 28 grayscale images: standardize with one scalar mean/std,
    conv 5x5 (1->6, padding 2), ReLU, maxpool 2, conv 5x5 (6->16), ReLU, maxpool 2, then
    Linear 400->120->84->classes with ReLUs between."""
    if tuple(input_shape)[-2:] != (28, 28) or len(input_shape) not in (2, 3):
        raise ValueError(
            f"lenet: expects 28 x 28 images (or 1 x 28 x 28), got input shape {tuple(input_shape)}"
        )
    return nn.Sequential(
        Standardize((1,), mean, std),
        AddChannel(),
        nn.Conv2d(1, 6, 5, padding=2),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(16 * 5 * 5, 120),
        nn.ReLU(),
        nn.Linear(120, 84),
        nn.ReLU(),
        nn.Linear(84, num_classes),
    )


MODELS = {"mlp": mlp, "lenet": lenet}


def build(name, input_shape, num_classes, **options):
    """The model called ``name``; a clear error lists the known names."""
    if name not in MODELS:
        raise ValueError(f"unknown model '{name}': choose one of {', '.join(sorted(MODELS))}")
    return MODELS[name](tuple(input_shape), num_classes, **options)

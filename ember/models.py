"""The models ``ember train --model NAME`` can build, by name.

Each builder takes the input shape (without the batch dim), the number of classes and its own
options, and returns an ``nn.Module`` whose output is one logit per class.
"""

import math

from . import nn
from .creation import ones, zeros

__all__ = ["build", "MODELS", "mlp", "Standardize"]


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


MODELS = {"mlp": mlp}


def build(name, input_shape, num_classes, **options):
    """The model called ``name``; a clear error lists the known names."""
    if name not in MODELS:
        raise ValueError(f"unknown model '{name}': choose one of {', '.join(sorted(MODELS))}")
    return MODELS[name](tuple(input_shape), num_classes, **options)

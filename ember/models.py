"""The models ``ember train --model NAME`` can build, by name.

Each builder takes the input shape (without the batch dim), the number of classes and its own
options, and returns an ``nn.Module`` whose output is one logit per class.
"""

import math

from . import nn

__all__ = ["build", "MODELS", "mlp"]


def mlp(input_shape, num_classes, hidden=(256, 256), dropout=0.0):
    """A multi-layer perceptron: Flatten, then (Linear, ReLU[, Dropout]) per hidden width, then
    a Linear to the classes."""
    layers = [nn.Flatten()]
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

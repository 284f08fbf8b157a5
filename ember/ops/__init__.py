"""Every differentiable op in ember: its forward and its vector-Jacobian product, side by side,
on raw arrays. Nothing here knows about tensors or graphs; :mod:`ember.tensor` records ops on a
graph and :mod:`ember.autograd` runs their VJPs backwards."""

from . import elementwise, index, linalg, reduce, shape, xp_numpy
from .op import Op, renamed, unbroadcast

__all__ = [
    "Op",
    "renamed",
    "unbroadcast",
    "elementwise",
    "index",
    "linalg",
    "reduce",
    "shape",
    "xp_numpy",
]

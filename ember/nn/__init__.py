"""``ember.nn``: modules that speak both PyTorch's autograd and Torch7's layer protocol.

``model(x)`` records a graph for ``loss.backward()``; ``model.forward(x)`` and
``model.backward(x, gradOutput)`` drive the same layers by hand, filling the same ``.grad``
(``layer.gradWeight is layer.weight.grad``). See :mod:`ember.nn.module`.
"""

from . import functional, init, utils
from .module import Module
from .modules import *  # noqa: F403
from .modules import __all__ as _modules_all
from .parameter import Parameter

__all__ = ["Module", "Parameter", "functional", "init", "utils", *_modules_all]

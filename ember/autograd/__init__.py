"""Reverse-mode automatic differentiation (seed 003): record ops as a graph while computing, then
walk it backwards applying each op's vector-Jacobian product.

The lower floor (grad modes, graph nodes, the engine) knows nothing of tensors; the upper floor
(custom Functions, ``grad``, gradcheck, the functional API) is built on :class:`ember.Tensor`.
"""

import importlib

from .grad_mode import (  # the lower floor first: ember.tensor builds on it
    enable_grad,
    inference_mode,
    is_grad_enabled,
    is_inference_mode_enabled,
    no_grad,
    set_grad_enabled,
)
from .graph import Node
from .engine import run_backward
from ..tensor import backward
from .anomaly import detect_anomaly, is_anomaly_enabled, set_detect_anomaly
from .function import Function, FunctionCtx, Variable, once_differentiable
from .grad import grad
from .multithreading import is_multithreading_enabled, set_multithreading_enabled
from .gradcheck import GradcheckError, gradcheck, gradgradcheck

__all__ = [
    "backward",
    "grad",
    "Function",
    "FunctionCtx",
    "Variable",
    "once_differentiable",
    "no_grad",
    "enable_grad",
    "set_grad_enabled",
    "is_grad_enabled",
    "inference_mode",
    "is_inference_mode_enabled",
    "detect_anomaly",
    "set_detect_anomaly",
    "is_anomaly_enabled",
    "gradcheck",
    "gradgradcheck",
    "GradcheckError",
    "Node",
    "run_backward",
    "set_multithreading_enabled",
    "is_multithreading_enabled",
]

__all__ += ["functional", "explain"]


def __getattr__(name):
    # Loaded on first use: they build on ember.functions, which loads after this package.
    if name == "functional":
        return importlib.import_module(".functional", __name__)
    if name == "explain":  # the function; its module is ember.autograd.explanation
        return importlib.import_module(".explanation", __name__).explain
    raise AttributeError(f"module 'ember.autograd' has no attribute '{name}'")

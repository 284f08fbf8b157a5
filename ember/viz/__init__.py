"""Backprop made visible: draw the recorded graph, watch gradients flow.

- :func:`draw` — the graph that produced a tensor (DOT text always; SVG/PNG with Graphviz).
- :func:`grad_flow` — per-parameter gradient norms over training steps, plotted with matplotlib.
- :func:`record_module_call` — how ``Module.__call__`` lets drawings group nodes by module.

``ember.autograd.explain(loss)`` tells the same story in words, step by step.
"""

from ..autograd.module_calls import record_module_call
from .draw import draw
from .grad_flow import GradFlow, grad_flow
from .graph import Graph, GraphvizMissing

__all__ = ["draw", "Graph", "GraphvizMissing", "grad_flow", "GradFlow", "record_module_call"]

"""The backward now running, as seen from inside a hook: which one it is, and what it will reach.

PyTorch's engine answers both questions itself (``_current_graph_task_id``,
``_will_engine_execute_node``). ember's engine keeps that state in the locals of
:func:`~ember.autograd.engine.run_backward` and runs hooks on the caller's stack, so a hook finds
the innermost ``run_backward`` frame above it and reads ``roots`` and ``needed`` there. This file
is the only place that knows those local names; a cleaner way would be for the engine to publish
its current task (roots and ``needed``) while it runs.
"""

import sys

from .engine import run_backward

__all__ = ["current_graph_task", "GraphTask"]

_RUN_BACKWARD = run_backward.__code__


class GraphTask:
    """One call of ``run_backward``. ``token`` is an object that lives exactly as long as that
    call's state (its gradient buffers): whoever keeps per-backward state keys it by
    ``id(token)`` and holds ``token``, so the id cannot be reused while the state exists."""

    def __init__(self, roots, needed, token):
        self.roots, self.needed, self.token = roots, needed, token

    def executed(self):
        """The graph items (nodes and leaf tensors) whose hooks this backward runs: everything
        reachable from the roots, kept to ``needed`` when the backward computes only some
        gradients (``autograd.grad``, ``backward(inputs=...)``). Roots always run."""
        needed = self.needed
        reached, stack = set(), list(self.roots)
        while stack:
            item = stack.pop()
            if item in reached:
                continue
            reached.add(item)
            if item.is_node and (needed is None or item in needed):
                for parent in item.next:
                    if parent is not None and (needed is None or parent in needed):
                        stack.append(parent)
        return reached


def current_graph_task():
    """The innermost backward running on this thread, or None outside any backward."""
    frame = sys._getframe(1)
    while frame is not None:
        if frame.f_code is _RUN_BACKWARD:
            local = frame.f_locals
            return GraphTask(local["roots"], local["needed"], local["buffers"])
        frame = frame.f_back
    return None

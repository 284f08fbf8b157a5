"""``register_multi_grad_hook``: one hook over the gradients of several tensors.

Built, as in PyTorch, from one tensor hook per tensor. Mode ``"all"`` collects gradients until
every tensor that this backward reaches has had its hook called, then calls ``fn`` with the list
(None for tensors the backward does not reach); mode ``"any"`` calls ``fn`` with the first
gradient and ignores the rest of that backward. Which backward a hook call belongs to, and which
tensors it reaches, come from :mod:`.graph_task`.
"""

import functools

from .graph import RemovableHandle
from .graph_task import current_graph_task

__all__ = ["register_multi_grad_hook"]

_OUTSIDE_BACKWARD = "expected this hook to be called inside a backward call"


class _MultiHandle(RemovableHandle):
    """The handle of a multi-grad hook: removing it removes every tensor hook it made."""

    def __init__(self, handles):
        self.handles = handles

    def remove(self):
        for handle in self.handles:
            handle.remove()


def register_multi_grad_hook(tensors, fn, *, mode="all"):
    r"""Register a multi-grad backward hook.

    Under the ``"all"`` mode, ``fn(grads)`` is called after the gradients with respect to every
    tensor in ``tensors`` have been computed. A tensor that is not part of the graph, or that is
    not needed to compute the gradients of the ``inputs`` of the current ``.backward()`` or
    ``.grad()`` call, is ignored (the hook does not wait for it) and gets ``None`` in ``grads``.

    Under the ``"any"`` mode, ``fn(grad)`` is called after the first gradient with respect to a
    tensor in ``tensors`` has been computed, with that gradient.

    The hook should not modify its arguments. Returns a handle whose ``remove()`` removes the
    hook.
    """
    supported_modes = ("all", "any")
    if mode not in supported_modes:
        raise ValueError(f"Expects mode to be one of {supported_modes} but got {mode}")
    tensors = list(tensors)
    if mode == "all":
        for t in tensors:
            if not t.requires_grad:  # PyTorch's wording: it fails to find the tensor's node
                raise AssertionError("Expected gradient function to be set")
        hook_for = _all_mode(tensors, fn)
        handles = tuple(t.register_hook(hook_for(i)) for i, t in enumerate(tensors))
    else:
        hook = _any_mode(tensors, fn)
        handles = tuple(t.register_hook(hook) for t in tensors if t.requires_grad)
    return _MultiHandle(handles)


def _begin(states, tensors):
    """This backward's state, made on its first hook call: how many hook calls it will see."""
    task = current_graph_task()
    if task is None:
        raise AssertionError(_OUTSIDE_BACKWARD)
    key = id(task.token)
    state = states.get(key)
    if state is None:
        executed = task.executed()
        expected = sum(1 for t in tensors if (t._grad_fn or t) in executed)
        state = states[key] = {"token": task.token, "calls": 0, "expected": expected}
    state["calls"] += 1
    return key, state


def _all_mode(tensors, fn):
    states = {}  # per backward, keyed by id(task.token); each entry holds its token

    def hook_for(index):
        def inner_hook(grad):
            key, state = _begin(states, tensors)
            grads = state.setdefault("grads", [None] * len(tensors))
            grads[index] = grad
            if state["calls"] == state["expected"]:  # the last gradient this backward computes
                del states[key]
                fn(grads)

        return inner_hook

    return hook_for


def _any_mode(tensors, fn):
    states = {}
    watched = [t for t in tensors if t.requires_grad]

    @functools.wraps(fn)
    def wrapped_fn(grad):
        key, state = _begin(states, watched)
        if state["calls"] == state["expected"]:  # the state is needed no longer
            del states[key]
        if state["calls"] == 1:
            fn(grad)

    return wrapped_fn

"""The backward engine: walk the graph from the outputs to the leaves, once, without recursion.

Reverse mode in three steps:
1. Count, for every node, how many edges lead into it from the part of the graph being
   differentiated (an iterative depth-first walk; graphs 100,000 nodes deep are fine).
2. Start from the outputs with their gradients. A node is ready when every consumer of its output
   has sent its share of the gradient; the shares add up (the multivariable chain rule: a value used
   in two places gets the sum of both paths' gradients).
3. Run each ready node: its op's VJPs turn the gradient of its output into gradients of its inputs,
   which go to the nodes that produced those inputs, or into the ``.grad`` of leaf tensors.

A leaf with hooks, or one whose gradient is being captured (``autograd.grad``), is counted like a
node, so it sees its total gradient once; other leaves accumulate each share as it arrives.
"""

import sys

from .grad_mode import STATE
from .graph import anomaly_check

__all__ = ["run_backward"]


def _buffered(item, capture):
    """Whether ``item`` waits for all of its gradient before it is used."""
    return item.is_node or item._hooks is not None or capture is not None


def _count_dependencies(roots, capture):
    deps = {}
    stack = [r for r in roots if r.is_node]
    seen = set(stack)
    while stack:
        node = stack.pop()
        for parent in node.next:
            if parent is None:
                continue
            if parent.is_node:
                deps[parent] = deps.get(parent, 0) + 1
                if parent not in seen:
                    seen.add(parent)
                    stack.append(parent)
            elif parent._hooks is not None or capture is not None:
                deps[parent] = deps.get(parent, 0) + 1
    return deps


def _needed(roots, deps, targets):
    """The graph items from which some target can be reached (nothing else needs to run)."""
    order, remaining = [], dict(deps)
    ready = list(dict.fromkeys(r for r in roots if not deps.get(r)))
    while ready:
        item = ready.pop()
        order.append(item)
        if item.is_node:
            for parent in item.next:
                if parent is not None and parent in remaining:
                    remaining[parent] -= 1
                    if remaining[parent] == 0:
                        ready.append(parent)
    needed = set()
    for item in reversed(order):  # every item comes after all of its consumers in ``order``
        if item in targets or (item.is_node and any(p in needed for p in item.next)):
            needed.add(item)
    return needed


def run_backward(
    roots, grads, *, retain_graph=False, create_graph=False, capture=None, observer=None
):
    """Backpropagate ``grads`` (one per root; a root is a node or a leaf tensor).

    ``capture`` maps graph items (leaf tensors, or the grad_fn of a non-leaf tensor) to slots:
    their total gradient is stored in ``capture[item]`` instead of being accumulated into
    ``.grad``, and only the part of the graph that leads to them runs. ``observer(node, grad,
    grads_in)``, when given, sees every node run (``ember.autograd.explain`` uses it).
    """
    deps = _count_dependencies(roots, capture)
    needed = _needed(roots, deps, capture) if capture is not None else None
    buffers, ready = {}, []
    for root, grad in zip(roots, grads):  # a root given twice gets the sum of its gradients
        held = buffers.get(root)
        buffers[root] = grad if held is None else held + grad
    for root in list(buffers):
        if not deps.get(root):
            grad = buffers.pop(root)
            if _buffered(root, capture):
                ready.append((root, grad))
            else:
                root._accumulate_grad(grad, create_graph, False)
    anomaly = STATE.anomaly
    while ready:
        item, grad = ready.pop()
        if not item.is_node:  # a leaf that waited for its total gradient
            if item._hooks is not None:
                grad = _run_hooks(item._hooks, grad)
            if capture is not None:
                if item in capture:
                    capture[item] = grad
            else:
                item._accumulate_grad(grad, create_graph, False)
            continue
        node = item
        hooks = node.hooks
        if hooks is not None:
            grad = hooks.before(grad, create_graph)
        if capture is not None:
            if node in capture:
                capture[node] = grad
            if node not in needed or not any(p in needed for p in node.next):
                continue
        grads_in = node.apply(grad, create_graph)
        if observer is not None:
            observer(node, grad, grads_in)
        if hooks is not None:
            hooks.after(grads_in, grad)
        if anomaly:
            anomaly_check(node, grads_in)
        if not retain_graph and node.frees:
            node.release()
        parents = node.next
        for i in range(len(grads_in)):  # by index, not zip: zip's reused tuple holds a reference
            parent, g = parents[i], grads_in[i]
            if parent is None or g is None or (needed is not None and parent not in needed):
                continue
            if parent.is_node or parent in deps:
                left = deps[parent] - 1
                if left:
                    deps[parent] = left
                    held = buffers.get(parent)
                    buffers[parent] = g if held is None else held + g
                else:
                    held = buffers.pop(parent, None)
                    ready.append((parent, g if held is None else held + g))
            else:
                # A gradient array nothing else holds (only ``g``, ``grads_in`` and getrefcount's
                # own argument) becomes the leaf's .grad without a copy.
                owned = not create_graph and g.base is None and sys.getrefcount(g) == 3
                parent._accumulate_grad(g, create_graph, owned)
        grads_in = g = held = parent = None  # drop references before a leaf may take one
    return capture


def _run_hooks(hooks, grad):
    for hook in hooks:
        result = hook(grad)
        if result is not None:
            grad = result
    return grad

"""The backward engine: walk the graph from the outputs to the leaves, once, without recursion.

Reverse mode in three steps:
1. Count, for every node and leaf, how many edges lead into it from the part of the graph being
   differentiated (an iterative depth-first walk; graphs 100,000 nodes deep are fine).
2. Start from the outputs with their gradients. A node is ready when every consumer of its output
   has sent its share of the gradient; the shares add up (the multivariable chain rule: a value used
   in two places gets the sum of both paths' gradients).
3. Run each ready node: its op's VJPs turn the gradient of its output into gradients of its inputs,
   which go to the nodes (or leaves) that produced them. Leaves add their total into ``.grad``.
"""

import sys

from .graph import anomaly_check
from .grad_mode import STATE

__all__ = ["run_backward"]


def _count_dependencies(roots):
    deps = {}
    stack = [r for r in roots if r.is_node]
    seen = set(stack)
    while stack:
        node = stack.pop()
        for parent in node.next:
            if parent is None:
                continue
            deps[parent] = deps.get(parent, 0) + 1
            if parent.is_node and parent not in seen:
                seen.add(parent)
                stack.append(parent)
    return deps


def _needed(roots, deps, targets):
    """The items from which some target can be reached (everything else need not run)."""
    order, remaining, ready = [], dict(deps), [r for r in roots if not deps.get(r)]
    seen_roots = set()
    while ready:
        item = ready.pop()
        if item in seen_roots:
            continue
        seen_roots.add(item)
        order.append(item)
        if item.is_node:
            for parent in item.next:
                if parent is not None:
                    remaining[parent] -= 1
                    if remaining[parent] == 0:
                        ready.append(parent)
    needed = set()
    for item in reversed(order):  # parents come after their consumers in ``order``
        if item in targets or (item.is_node and any(p in needed for p in item.next if p is not None)):
            needed.add(item)
    return needed


def run_backward(roots, grads, *, retain_graph=False, create_graph=False, capture=None):
    """Backpropagate ``grads`` (one per root; a root is a node or a leaf tensor).

    ``capture`` maps graph items (leaf tensors, or the grad_fn of a non-leaf) to slots: their total
    gradient is stored in ``capture[item]`` instead of being accumulated into ``.grad``; only the
    part of the graph that leads to them is run.
    """
    deps = _count_dependencies(roots)
    needed = _needed(roots, deps, capture) if capture is not None else None
    buffers = {}
    for root, grad in zip(roots, grads):
        buffers[root] = buffers[root] + grad if root in buffers else grad
    ready = [r for r in buffers if not deps.get(r)]
    anomaly = STATE.anomaly
    while ready:
        item = ready.pop()
        grad = buffers.pop(item)
        if not item.is_node:  # a leaf tensor
            grad = _run_hooks(item._hooks, grad)
            if capture is not None:
                if item in capture:
                    capture[item] = grad
            else:
                # A gradient array nothing else refers to (only ``grad`` and getrefcount's own
                # argument) becomes the leaf's .grad without a copy, as PyTorch steals it.
                owned = not create_graph and grad.base is None and sys.getrefcount(grad) == 2
                item._accumulate_grad(grad, create_graph, owned)
            continue
        node = item
        if node.pre_hooks:
            grad = _run_hooks(node.pre_hooks, grad)
        if node.retained:
            for ref in node.retained:
                tensor = ref()
                if tensor is not None:
                    tensor._accumulate_grad(grad, create_graph, False)
        if capture is not None and node in capture:
            capture[node] = grad
            if not any(p in needed for p in node.next if p is not None):
                continue
        if needed is not None and node not in needed:
            continue
        grads_in = node.apply(grad, create_graph)
        post_hooks = node.__dict__.get("post_hooks") if node.__dict__ else None
        if post_hooks:
            for hook in post_hooks:
                hook(tuple(grads_in), (grad,))
        if anomaly:
            anomaly_check(node, grads_in)
        if not retain_graph:
            node.release()
        for parent, g in zip(node.next, grads_in):
            if parent is None or g is None:
                continue
            if needed is not None and parent not in needed:
                continue
            held = buffers.get(parent)
            buffers[parent] = g if held is None else held + g
            left = deps[parent] - 1
            deps[parent] = left
            if left == 0:
                ready.append(parent)
        grads_in = g = held = None  # drop references, so a leaf can take its gradient without a copy
    return capture


def _run_hooks(hooks, grad):
    if not hooks:
        return grad
    for hook in hooks:
        result = hook(grad)
        if result is not None:
            grad = result
    return grad

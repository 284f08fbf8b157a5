"""The backward engine: walk the graph from the outputs to the leaves, once, without recursion.

Reverse mode, in creation order backwards:
1. Every node carries a sequence number from when forward created it. A node is always created
   after the nodes of its inputs, so running nodes from the newest to the oldest (a heap keyed
   by sequence number) runs every node after all of its consumers: by the time a node runs,
   every share of its gradient has arrived and been added up (the multivariable chain rule: a
   value used in two places gets the sum of both paths' gradients). No pass over the graph is
   needed first to count who consumes what.
2. Start from the outputs with their gradients.
3. Run each node: its op's VJPs turn the gradient of its output into gradients of its inputs,
   which go to the nodes that produced those inputs, or into the ``.grad`` of leaf tensors.

A leaf with hooks, or one whose gradient is being captured (``autograd.grad``), waits until every
node has run, so it sees its total gradient once; other leaves accumulate each share as it arrives.
"""

import sys
from heapq import heappop, heappush

from .grad_mode import STATE
from .graph import anomaly_check

__all__ = ["run_backward"]


def _needed(roots, targets):
    """The graph items from which some target can be reached (nothing else needs to run)."""
    nodes, stack = [], [r for r in roots if r.is_node]
    seen = set(stack)
    while stack:
        node = stack.pop()
        nodes.append(node)
        for parent in node.next:
            if parent is not None and parent.is_node and parent not in seen:
                seen.add(parent)
                stack.append(parent)
    needed = {item for item in targets if not item.is_node}
    nodes.sort(key=lambda node: -node.seq)  # oldest first: inputs before their consumers
    for node in nodes:
        if node in targets or any(p in needed for p in node.next):
            needed.add(node)
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
    # ``roots``, ``needed`` and ``buffers`` are read by name from this frame by .graph_task (a
    # multi-grad hook asks which backward is running): publishing them would cost every backward.
    needed = _needed(roots, capture) if capture is not None else None
    buffers, heap, waiting = {}, [], {}  # waiting: leaves that take their total gradient last
    node = grad = None
    if len(roots) == 1 and roots[0].is_node:  # loss.backward(): straight to its node
        node, grad = roots[0], grads[0]
    else:
        _start(roots, grads, buffers, heap, waiting, create_graph, capture)
    anomaly = STATE.anomaly
    plain = capture is None and observer is None and not anomaly  # nothing but the gradients
    if heap:
        node = heappop(heap)[1]
        grad = buffers.pop(node)
    while node is not None:
        hooks = node.hooks
        if plain and hooks is None:
            grads_in = node.apply(grad, create_graph)
        else:
            grads_in = _run_node(node, grad, create_graph, capture, needed, observer, anomaly)
        if grads_in is None:  # nothing autograd.grad captures lies behind this node
            node = None
        else:
            if not retain_graph and node.frees:
                node.release()
            parents = node.next
            node = None  # the next node to run, when it is one of these parents (a chain)
            for i in range(len(grads_in)):  # by index, not zip: zip's reused tuple holds a ref
                parent, g = parents[i], grads_in[i]
                if parent is None or g is None or (needed is not None and parent not in needed):
                    continue
                if parent.is_node:
                    if parent is node:  # the same node twice among the arguments (x * x)
                        grad = grad + g
                        continue
                    held = buffers.get(parent) if buffers else None  # a chain buffers nothing
                    if held is not None:
                        buffers[parent] = held + g
                    elif node is None:
                        node, grad = parent, g
                    else:
                        buffers[parent] = g
                        heappush(heap, (parent.seq, parent))
                elif parent._hooks is not None or capture is not None:
                    held = waiting.get(parent)
                    waiting[parent] = g if held is None else held + g
                else:
                    # A gradient array nothing else holds (only ``g``, ``grads_in`` and
                    # getrefcount's own argument) becomes the leaf's .grad without a copy.
                    owned = not create_graph and g.base is None and sys.getrefcount(g) == 3
                    parent._accumulate_grad(g, create_graph, owned)
            grads_in = g = held = parent = None  # drop references before a leaf may take one
        # A parent that got its first gradient just now runs next without a trip through the
        # heap, unless a newer node waits there: that one runs first and may still add to it.
        if node is not None and heap and heap[0][0] < node.seq:
            buffers[node] = grad
            heappush(heap, (node.seq, node))
            node = None
        if node is None and heap:
            node = heappop(heap)[1]
            grad = buffers.pop(node)
    for leaf, grad in waiting.items() if waiting else ():
        if leaf._hooks is not None:
            grad = _run_hooks(leaf._hooks, grad)
        if capture is not None:
            if leaf in capture:
                capture[leaf] = grad
        else:
            leaf._accumulate_grad(grad, create_graph, False)
    return capture


def _start(roots, grads, buffers, heap, waiting, create_graph, capture):
    """Hand each root its gradient: nodes wait in the heap, leaves take theirs (a root given
    twice gets the sum of its gradients)."""
    for root, grad in zip(roots, grads):
        if root.is_node:
            held = buffers.get(root)
            if held is None:
                heappush(heap, (root.seq, root))
            buffers[root] = grad if held is None else held + grad
        elif root._hooks is not None or capture is not None:
            held = waiting.get(root)
            waiting[root] = grad if held is None else held + grad
        else:
            root._accumulate_grad(grad, create_graph, False)


def _run_node(node, grad, create_graph, capture, needed, observer, anomaly):
    """``node.apply`` with what the rarer features add around it: tensor and module hooks,
    capture for ``autograd.grad`` (None: the node does not need to run), the observer, and the
    anomaly check."""
    hooks = node.hooks
    if hooks is not None:
        grad = hooks.before(grad, create_graph)
    if capture is not None:
        if node in capture:
            capture[node] = grad
        if node not in needed or not any(p in needed for p in node.next):
            return None
    grads_in = node.apply(grad, create_graph)
    if observer is not None:
        observer(node, grad, grads_in)
    if hooks is not None:
        hooks.after(grads_in, grad)
    if anomaly:
        anomaly_check(node, grads_in)
    return grads_in


def _run_hooks(hooks, grad):
    for hook in hooks:
        result = hook(grad)
        if result is not None:
            grad = result
    return grad

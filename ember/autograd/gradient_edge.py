"""``GradientEdge``: a place in the graph where a gradient arrives, named without its tensor.

An edge is ``(node, output_nr)``: the node that receives the gradient (a non-leaf tensor's
``grad_fn``, or the ``AccumulateGrad`` that ``next_functions`` shows for a leaf) and which of its
outputs it is (always 0 in ember: every node has one output). ``autograd.grad`` accepts edges as
``inputs``, so a caller holding only the graph (not the tensor) can still ask for a gradient.
"""

from typing import NamedTuple

from .graph import AccumulateGrad, Node

__all__ = ["GradientEdge", "get_gradient_edge", "capture_key"]


class GradientEdge(NamedTuple):
    """Object representing a given gradient edge within the autograd graph.

    To get the gradient edge where a given Tensor gradient will be computed,
    you can do ``edge = autograd.graph.get_gradient_edge(tensor)``.
    """

    node: Node
    output_nr: int
    # PyTorch keeps a node here when ``node`` alone would not keep the graph alive; ember's
    # nodes are plain Python objects that hold their graph, so it stays None.
    ownership_token: Node | None = None


def get_gradient_edge(tensor):
    """Get the gradient edge for computing the gradient of the given Tensor.

    ``autograd.grad(loss, input)`` and ``autograd.grad(loss, get_gradient_edge(input))`` are
    the same.
    """
    if not tensor.requires_grad:
        raise RuntimeError(
            "It is not possible to get the gradient edge for a Tensor "
            "that does not require gradients",
        )
    node = tensor.grad_fn
    return GradientEdge(AccumulateGrad(tensor) if node is None else node, 0)


def capture_key(item):
    """What the engine captures the gradient of ``item`` (a tensor or an edge) under: a leaf
    tensor itself, or a node (see ``run_backward``'s ``capture``)."""
    if isinstance(item, GradientEdge):
        node = item.node
        return node.variable if isinstance(node, AccumulateGrad) else node
    return item._grad_fn or item

"""``ember.autograd.grad``: gradients of outputs with respect to chosen inputs, returned rather
than accumulated into ``.grad``."""

import numpy

from ..tensor import Tensor, backward, root_gradient, wrap
from .engine import run_backward
from .gradient_edge import GradientEdge, capture_key

__all__ = ["grad", "backward"]


def grad(
    outputs,
    inputs,
    grad_outputs=None,
    retain_graph=None,
    create_graph=False,
    only_inputs=True,
    allow_unused=None,
    is_grads_batched=False,
    materialize_grads=False,
):
    """``sum_k grad_outputs[k] * d outputs[k] / d inputs[i]`` for each input, as a tuple.
    With ``is_grads_batched`` the first dim of every grad_output is a batch: one vector-Jacobian
    product per entry, stacked (PyTorch vectorizes this; here it is a loop over the batch)."""
    outputs = [outputs] if isinstance(outputs, Tensor) else list(outputs)
    single_input = isinstance(inputs, (Tensor, GradientEdge))  # an edge is a tuple: not a list
    inputs = [inputs] if single_input else list(inputs)
    if grad_outputs is None:
        grad_outputs = [None] * len(outputs)
    elif isinstance(grad_outputs, Tensor):
        grad_outputs = [grad_outputs]
    if is_grads_batched:
        return _batched(outputs, inputs, grad_outputs, retain_graph, create_graph, allow_unused)
    if allow_unused is None:
        allow_unused = materialize_grads
    if retain_graph is None:
        retain_graph = create_graph
    roots, grads = [], []
    for i, (out, given) in enumerate(zip(outputs, grad_outputs)):
        if not out.requires_grad:
            raise RuntimeError(
                f"element {i} of tensors does not require grad and does not have a grad_fn"
            )
        roots.append(out._grad_fn or out)
        grads.append(root_gradient(out, given, i, create_graph))
    capture = {}
    for t in inputs:  # tensors, or edges (which need no check: only a gradient has an edge)
        if isinstance(t, Tensor) and not t.requires_grad:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
        capture[capture_key(t)] = None
    run_backward(
        roots, grads, retain_graph=retain_graph, create_graph=create_graph, capture=capture
    )
    results = []
    for index, t in enumerate(inputs):
        g = capture[capture_key(t)]
        if g is None:
            if not allow_unused:
                raise RuntimeError(
                    f"The differentiated Tensor at index {index} appears to not have been used in "
                    "the graph. "
                    "Set allow_unused=True if this is the desired behavior."
                )
            if materialize_grads:
                if isinstance(t, GradientEdge):
                    raise RuntimeError(
                        "materialize_grads cannot be used when the given input is a GradientEdge"
                    )
                g = numpy.zeros_like(t._data)
        if g is not None and not isinstance(g, Tensor):
            g = wrap(g.copy() if g.base is not None or not g.flags.writeable else g)
        results.append(g)
    return tuple(results)


def _batched(outputs, inputs, grad_outputs, retain_graph, create_graph, allow_unused):
    from ..functions import stack  # (ember.functions loads after autograd)

    if any(g is None for g in grad_outputs):
        raise RuntimeError("is_grads_batched=True needs a grad_output for every output")
    n = grad_outputs[0].shape[0]
    rows = []
    for b in range(n):
        rows.append(
            grad(
                outputs,
                inputs,
                [g[b] for g in grad_outputs],
                retain_graph=True if b < n - 1 else retain_graph,  # the graph serves every entry
                create_graph=create_graph,
                allow_unused=allow_unused,
            )
        )
    columns = [[row[i] for row in rows] for i in range(len(inputs))]
    return tuple(None if any(g is None for g in c) else stack(c) for c in columns)

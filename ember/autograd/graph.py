"""The recorded graph: one node per op application, the ``grad_fn`` of the tensor it produced.

A node remembers what its op's VJPs need (the arguments' arrays, maybe the output array) and where
each argument's gradient goes next: another node, a leaf tensor, or nowhere (``None``). Running a
node applies the op's VJPs to the gradient of its output; the engine (:mod:`.engine`) decides the
order. Each op gets its own node class, named as PyTorch names it (``MulBackward0``), so
``type(y.grad_fn).__name__`` and ``y.grad_fn.name()`` read the same as in PyTorch.
"""

from itertools import count

import numpy

from ..ops import unbroadcast, xp_numpy
from .grad_mode import STATE

__all__ = [
    "Node",
    "node_class",
    "next_sequence",
    "FREED_MESSAGE",
    "RemovableHandle",
    "GradientEdge",
    "get_gradient_edge",
    "increment_version",
    "register_multi_grad_hook",
]

# Each new node's sequence number: 0, -1, -2, ... so a newer node sorts first (the engine runs the
# newest first, from a min-heap).
next_sequence = count(0, -1).__next__

FREED_MESSAGE = (
    "Trying to backward through the graph a second time (or directly access saved tensors after "
    "they have already been freed). Saved intermediate values of the graph are freed when you call "
    ".backward() or autograd.grad(). Specify retain_graph=True if you need to backward through the "
    "graph a second time or if you need to access saved tensors after calling backward."
)


class Node:
    """The grad_fn of a tensor: runs its op's VJPs on the gradient of that tensor."""

    # module_calls: the module calls that produced this node's output, or None (see
    # ember.autograd.module_calls).
    __slots__ = (
        "next",
        "args",
        "out",
        "versions",
        "seq",
        "__dict__",
        "__weakref__",
    )
    op = None
    hooks = None  # NodeHooks, set on the instance when a hook is added (rare)
    module_calls = None  # set on the instance by ember.autograd.module_calls
    is_node = True
    frees = True  # whether release() has saved values to free (not for add, reshape, ...)
    # Set by ember.tensor when it loads: how saved arrays become tensors for create_graph=True,
    # and the namespace of differentiable functions the VJPs then use instead of NumPy.
    wrap = None
    tensor_xp = None

    def name(self):
        return type(self).__name__

    def _sequence_nr(self):
        """The order in which forward created this node (as PyTorch's ``_sequence_nr``)."""
        return -self.seq

    def __repr__(self):
        return f"<{type(self).__name__} object at {id(self):#x}>"

    @property
    def next_functions(self):
        """Where each argument's gradient goes, as PyTorch shows it: ``((node, 0), ...)``, with
        leaves as ``AccumulateGrad`` nodes and constants as ``(None, 0)``."""
        parents = self.next
        listed = None if self.op is None else self.op.listed  # dims, bounds, indices: not shown
        if isinstance(listed, slice):
            parents = parents[listed]
        elif listed is not None:
            parents = [parents[i] for i in listed if i < len(parents)]
        return tuple(
            (None if p is None else (p if p.is_node else AccumulateGrad(p)), 0) for p in parents
        )

    @property
    def metadata(self):
        """A dict for the user's own notes on this node (empty until used), as PyTorch's."""
        return self.__dict__.setdefault("_metadata", {})

    def node_hooks(self):
        """This node's hooks, made on first use (most nodes never have any)."""
        if self.hooks is None:
            self.hooks = NodeHooks()
        return self.hooks

    def register_hook(self, hook):
        """``hook(grad_inputs, grad_outputs)`` runs after this node (as PyTorch's
        ``Node.register_hook``)."""
        hooks = self.node_hooks().post
        hooks.append(hook)
        return RemovableHandle(hooks, hook)

    def register_prehook(self, hook):
        """``hook(grad_outputs)`` runs before this node and may return replacement gradients."""
        hooks = self.node_hooks().pre
        hooks.append(lambda g: _first(hook((g,))))
        return RemovableHandle(hooks, hooks[-1])

    @property
    def trace(self):
        return self.__dict__.get("trace")

    def check_versions(self):
        for index, counter, version in self.versions:
            if counter[0] != version:
                arg = self.out if index < 0 else self.args[index]
                what = "its output" if index < 0 else f"its argument {index}"
                raise RuntimeError(
                    "one of the variables needed for gradient computation has been modified by an "
                    f"inplace operation: [ember.{arg.dtype} {list(arg.shape)}], which is {what} "
                    f"saved by {self.name()}, is at version {counter[0]}; expected version "
                    f"{version} instead. Hint: the backward of {self.name()} needs that value "
                    "as it "
                    "was in forward; compute on a copy (.clone()) or make the change out of place."
                )

    def apply(self, grad, create_graph=False):
        """The gradients of this node's arguments, given the gradient of its output."""
        args = self.args
        if args is None:
            raise RuntimeError(FREED_MESSAGE)
        versions = self.versions
        if versions:
            for _, counter, version in versions:
                if counter[0] != version:
                    self.check_versions()  # raises, naming the changed value
        op = self.op
        out = self.out
        if create_graph:  # saved arrays become tensors on the graph, so the VJP records too
            xp = self.tensor_xp
            # Constant arrays too: a VJP mixes them with tensors (a @ b where a needs no grad).
            args = [
                (self.wrap(a) if isinstance(a, numpy.ndarray) else a)
                if p is None
                else (p if not p.is_node else self.wrap(a, p))
                for a, p in zip(args, self.next)
            ]
            if out is not None:
                out = self.wrap(out, self)
        else:
            xp = xp_numpy
        vjps = op.vjps
        if op.single:  # only the first argument has a gradient (exp, clamp, sum): the usual case
            return (vjps[0](xp, grad, *args, out),)
        if op.backward is not None:
            return op.backward(xp, grad, *args, out)
        parents = self.next
        if len(parents) == 2:  # binary ops (mul, add, mm): the other usual case
            a, b = args
            grad_a = grad_b = None
            if parents[0] is not None:
                grad_a = vjps[0](xp, grad, a, b, out)
                if op.broadcasts and grad_a.shape != a.shape:
                    grad_a = unbroadcast(xp, grad_a, a.shape)
            if parents[1] is not None:
                grad_b = vjps[1](xp, grad, a, b, out)
                if op.broadcasts and grad_b.shape != b.shape:
                    grad_b = unbroadcast(xp, grad_b, b.shape)
            return (grad_a, grad_b)
        grads = [None if p is None else vjp(xp, grad, *args, out) for p, vjp in zip(parents, vjps)]
        if op.broadcasts:
            for i, g in enumerate(grads):
                if g is not None and g.shape != args[i].shape:
                    grads[i] = unbroadcast(xp, g, args[i].shape)
        return grads

    def release(self):
        """Free what backward needed (the graph's structure stays, so it can still be drawn).
        Nodes of ops that read only shapes (add, reshape) have ``frees = False``: they keep their
        arguments and can run again, as in PyTorch."""
        self.args = None
        self.out = None
        self.versions = None


def _first(grads):
    return None if grads is None else grads[0]


class NodeHooks:
    """The rare extras of a node: hooks before it (tensor hooks on its output), tensors that
    retain its output's gradient, and hooks after it (module backward hooks)."""

    __slots__ = ("pre", "retained", "post")

    def __init__(self):
        self.pre, self.retained, self.post = [], [], []

    def before(self, grad, create_graph):
        for hook in self.pre:
            result = hook(grad)
            if result is not None:
                grad = result
        for ref in self.retained:  # after the hooks, so .grad shows what they made of it
            tensor = ref()
            if tensor is not None:
                tensor._accumulate_grad(grad, create_graph, False)
        return grad

    def after(self, grads_in, grad):
        for hook in self.post:
            hook(tuple(grads_in), (grad,))


class RemovableHandle:
    """Returned by every ``register_*hook`` (tensor, node and module hooks, as PyTorch's
    ``torch.utils.hooks.RemovableHandle``): ``remove()`` unregisters the hook, and a ``with``
    block removes it on exit. ``on_remove`` runs after a removal (a module refreshes its flags)."""

    def __init__(self, hooks, entry, on_remove=None):
        self.hooks, self.entry, self.on_remove = hooks, entry, on_remove

    def remove(self):
        if self.hooks is not None:
            self.hooks[:] = [e for e in self.hooks if e is not self.entry]
            if self.on_remove is not None:
                self.on_remove()
        self.hooks = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


class AccumulateGrad:
    """How ``next_functions`` shows a leaf: the node that accumulates into ``variable.grad``."""

    def __init__(self, variable):
        self.variable = variable
        self.next_functions = ()

    def name(self):
        return "AccumulateGrad"

    def __repr__(self):
        return f"<AccumulateGrad object at {id(self):#x}>"

    def __eq__(self, other):
        return isinstance(other, AccumulateGrad) and other.variable is self.variable

    def __hash__(self):
        return id(self.variable)


def node_class(op):
    """The grad_fn class for ``op``, named as PyTorch names it, made once per op."""
    cls = op.node_class
    if cls is None:
        frees = op.reads_args or op.saves_output
        cls = op.node_class = type(op.name, (Node,), {"__slots__": (), "op": op, "frees": frees})
    return cls


def anomaly_check(node, grads):
    """In ``detect_anomaly`` mode, a NaN in a gradient is an error naming the op and where it was
    created in forward."""
    if not STATE.anomaly_check_nan:
        return
    for i, g in enumerate(grads):
        array = getattr(g, "_data", g)
        if array is not None and numpy.isnan(array).any():
            where = "".join(node.trace or ["(forward trace not recorded)\n"])
            raise RuntimeError(
                f"Function '{node.name()}' returned nan values in its {i}th output.\n"
                f"The forward call that created it:\n{where}"
            )


# PyTorch's torch.autograd.graph also holds these; each lives in its own file and builds on the
# classes above, so they load last.
from .gradient_edge import GradientEdge, get_gradient_edge  # noqa: E402
from .multi_grad_hook import register_multi_grad_hook  # noqa: E402
from .version_counter import increment_version  # noqa: E402

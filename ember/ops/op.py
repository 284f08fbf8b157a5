"""What an op is: a forward on raw arrays and, beside it, the vector-Jacobian product for each
input.

An :class:`Op` knows nothing about tensors or graphs. Its ``forward`` takes the op's arguments
(arrays for tensor arguments, plain values for the rest) and returns an array. For each argument
that can carry a gradient it has a VJP ``vjp(xp, grad, *args, out)`` that returns the gradient
for that argument, and a one-line ``rule`` saying the same thing in symbols;
``ember.autograd.explain``
prints those rules, so the formula and its description are written once, side by side.

VJPs are written against ``xp``, a NumPy-like namespace. For ordinary first-order gradients ``xp``
is :mod:`ember.ops.xp_numpy` and the VJP runs on raw arrays (the fast path). With
``create_graph=True`` it is a namespace of ember's own differentiable functions and the same code
builds a graph, which is how every op gets higher-order gradients without a second formula.
"""

__all__ = ["Op", "unbroadcast", "reduced_shape", "renamed"]


class Op:
    """A differentiable operation: a forward on arrays and one VJP (with its rule) per argument.

    ``name`` is the grad_fn name PyTorch uses (``MulBackward0``). ``vjps[i]`` is None for an
    argument that never carries a gradient (an index, a mask, a dim). ``broadcasts`` says the op
    broadcasts its arguments, so each VJP's result is summed back to that argument's shape.
    ``saves`` says what the VJPs read: ``"args"`` (the inputs' values), ``"out"`` (the result, for
    ops whose derivative is cheapest in terms of it, like exp and tanh), both, or ``""`` (only
    shapes, like add). Autograd keeps what is read and raises if it was changed in place since.
    ``reads``, when given, says it per VJP: ``reads[i]`` lists the arguments whose values VJP ``i``
    reads, so an in-place change to an argument that no needed VJP reads is allowed, as in PyTorch
    (``y * 2`` does not save ``y``: only the gradient of ``2`` would read it). Without it, every
    VJP is taken to read every argument (when ``saves`` includes ``"args"``).
    ``listed`` says which arguments ``next_functions`` shows (by default those with a VJP).
    ``view`` marks ops whose result shares memory with their first argument (reshape, transpose).
    An op whose gradients share work, or that takes any number of tensors, gives ``backward``
    instead: ``backward(xp, grad, *args, out)`` returns one gradient (or None) per argument.
    """

    __slots__ = (
        "name",
        "forward",
        "vjps",
        "rules",
        "broadcasts",
        "saves_output",
        "reads_args",
        "view",
        "backward",
        "node_class",
        "single",
        "checks",
        "listed",
    )

    def __init__(
        self,
        name,
        forward,
        vjps=(),
        rules=(),
        *,
        broadcasts=False,
        saves="args",
        reads=None,
        view=False,
        backward=None,
        listed=None,
    ):
        self.name = name
        self.forward = forward
        self.vjps = tuple(vjps)
        self.rules = tuple(rules) if not isinstance(rules, str) else (rules,)
        self.broadcasts = broadcasts
        self.saves_output = "out" in saves
        self.reads_args = "args" in saves
        self.view = view
        self.backward = backward
        self.node_class = None  # the grad_fn class autograd makes for this op, on first use
        self.single = _only_first(self.vjps, broadcasts)
        # Which arguments ``grad_fn.next_functions`` shows: PyTorch lists the tensor inputs
        # that can carry a gradient (not a dim, a bound, an index); a tuple or a slice.
        if listed is None and self.vjps and backward is None:
            listed = tuple(i for i, v in enumerate(self.vjps) if v is not None)
        self.listed = listed
        # checks[mask]: the arguments backward reads when those in ``mask`` need gradients (see
        # _checks); None: every argument, whichever need gradients.
        self.checks = None if reads is None else _checks(tuple(reads))

    @property
    def rule(self):
        """The whole backward rule in one line, e.g. ``grad_a = grad * b; grad_b = grad * a``."""
        return "; ".join(r for r in self.rules if r)

    def __repr__(self):
        return f"<Op {self.name}: {self.rule}>"


def unbroadcast(xp, grad, shape):
    """Sum ``grad`` down to ``shape``: the VJP of broadcasting ``shape`` to ``grad.shape``.

    Broadcasting copies a value along new leading axes and along axes of size 1; by the chain rule
    each copy's gradient flows back to the one value, so the gradients of the copies add up.
    """
    if grad.shape == shape:
        return grad
    lead = len(grad.shape) - len(shape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(shape) if n == 1 and grad.shape[lead + i] != 1
    )
    if axes:
        grad = xp.sum(grad, axis=axes, keepdims=True)
    return xp.reshape(grad, shape)


def reduced_shape(shape, axis, keepdims):
    """The shape a reduction over ``axis`` leaves, with the reduced axes kept as 1 (for broadcasting
    a reduction's gradient back over what it reduced)."""
    if axis is None:
        return (1,) * len(shape)
    axes = axis if isinstance(axis, tuple) else (axis,)
    axes = {a % len(shape) for a in axes} if shape else set()
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


def renamed(op, name, **changes):
    """The same op under another grad_fn name (PyTorch names overloads apart: SumBackward0 for a
    full sum, SumBackward1 for a sum over dims), optionally with flags changed."""
    copy = Op.__new__(Op)
    for slot in Op.__slots__:
        setattr(copy, slot, getattr(op, slot))
    copy.name, copy.node_class = name, None
    for key, value in changes.items():
        setattr(copy, key, value)
    copy.single = _only_first(copy.vjps, copy.broadcasts)
    return copy


def _checks(reads):
    """For each set of arguments needing gradients (bit ``i`` of the index: argument ``i``), the
    arguments whose values backward will read: the union of ``reads[i]`` over that set."""
    return tuple(
        tuple(sorted({j for i, r in enumerate(reads) if mask >> i & 1 for j in r}))
        for mask in range(1 << len(reads))
    )


def _only_first(vjps, broadcasts):
    """Whether only the first argument carries a gradient, of its own shape (exp; clamp and its
    bounds; sum and its dims): then backward needs one VJP and nothing else."""
    return (
        not broadcasts and bool(vjps) and vjps[0] is not None and all(v is None for v in vjps[1:])
    )

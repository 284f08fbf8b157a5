"""Custom differentiable ops: subclass :class:`Function` with static ``forward(ctx, ...)`` and
``backward(ctx, *grads)``, and call ``.apply``. The ``ctx`` is the graph node itself, as in PyTorch,
so ``ctx.save_for_backward``, ``ctx.saved_tensors`` and ``ctx.needs_input_grad`` work the same."""

import functools
import inspect

import numpy

from ..dtypes import from_numpy_dtype
from ..tensor import Tensor, wrap
from .grad_mode import STATE, no_grad, set_grad_enabled
from .graph import FREED_MESSAGE, Node, next_sequence

__all__ = ["Function", "FunctionCtx", "once_differentiable", "Variable"]


class FunctionCtx(Node):
    """The ``ctx`` of a custom Function, and the grad_fn of its outputs."""

    __slots__ = ()
    function = None
    materialize_grads = True

    def save_for_backward(self, *tensors):
        for t in tensors:
            if t is not None and not isinstance(t, Tensor):
                raise TypeError(
                    f"save_for_backward can only save variables, but argument {tensors.index(t)} "
                    f"is of type {type(t).__name__}"
                )
        self.__dict__["_saved"] = [(t, None if t is None else t._vc[0]) for t in tensors]

    @property
    def saved_tensors(self):
        saved = self.__dict__.get("_saved", ())
        if saved is None:
            raise RuntimeError(FREED_MESSAGE)
        for i, (t, version) in enumerate(saved):
            if t is not None and t._vc[0] != version:
                raise RuntimeError(
                    "one of the variables needed for gradient computation has been modified by an "
                    f"inplace operation: [ember.{t.dtype.name} {list(t.shape)}], which is saved "
                    f"tensor {i} of {self.name()}, is at version {t._vc[0]}; expected version "
                    f"{version} instead."
                )
        return tuple(t for t, _ in saved)

    saved_variables = saved_tensors

    def mark_dirty(self, *tensors):
        self.__dict__["_dirty"] = tensors

    def mark_non_differentiable(self, *tensors):
        self.__dict__["_non_differentiable"] = {id(t) for t in tensors}

    def set_materialize_grads(self, value):
        self.__dict__["materialize_grads"] = value

    def apply(self, grad, create_graph=False):
        if self.args is None:
            raise RuntimeError(FREED_MESSAGE)
        shapes = self.__dict__["_output_shapes"]
        if isinstance(grad, OutputGrads):
            grads = grad.expand(shapes, self.materialize_grads)
        else:
            grads = [grad]
        grads = [g if g is None or isinstance(g, Tensor) else wrap(g) for g in grads]
        with set_grad_enabled(create_graph):
            result = self.function.backward(self, *grads)
        if not isinstance(result, tuple):
            result = (result,)
        if len(result) < len(self.next):
            raise RuntimeError(
                f"function {self.name()} returned an incorrect number of gradients "
                f"(expected {len(self.next)}, got {len(result)})"
            )
        out = []
        for i, (parent, g) in enumerate(zip(self.next, result)):
            if parent is None or g is None:
                out.append(None)
                continue
            if not isinstance(g, Tensor):
                raise TypeError(
                    f"{self.name()}.backward returned a {type(g).__name__} for "
                    f"input {i}; expected a Tensor or None"
                )
            expected = self.args[i]
            if g.shape != expected.shape:
                raise RuntimeError(
                    f"Function {self.name()} returned an invalid gradient at index {i} - got "
                    f"{list(g.shape)} but expected shape compatible with {list(expected.shape)}"
                )
            if g._data.dtype != expected.dtype:  # as PyTorch: the input's dtype
                g = g.to(from_numpy_dtype(expected.dtype))
            out.append(g if create_graph else g._data)
        return out

    def release(self):
        self.args = None
        self.__dict__["_saved"] = None


class OutputGrads:
    """Gradients for some outputs of a multi-output Function, keyed by output index; the engine
    adds them up like arrays before the Function's backward sees them all at once."""

    __slots__ = ("grads",)

    def __init__(self, grads):
        self.grads = grads

    def __add__(self, other):
        merged = dict(self.grads)
        for i, g in other.grads.items():
            merged[i] = g if merged.get(i) is None else merged[i] + g
        return OutputGrads(merged)

    def expand(self, shapes, materialize=True):
        """One gradient per output: zeros for an output nothing used, or None when the Function
        called ``ctx.set_materialize_grads(False)``."""
        return [
            self.grads.get(
                i, wrap(numpy.zeros(shape, dtype)) if dtype is not None and materialize else None
            )
            for i, (shape, dtype) in enumerate(shapes)
        ]


class OutputSelect(Node):
    """The grad_fn of output ``index`` of a multi-output Function: forwards its gradient there."""

    __slots__ = ()

    def apply(self, grad, create_graph=False):
        return [OutputGrads({self.__dict__["index"]: grad})]

    def name(self):
        return self.next[0].name()

    def __getattr__(self, name):
        # What the Function stored on ctx (``y.grad_fn.scale``) reads as in PyTorch, where every
        # output's grad_fn is the ctx itself.
        if name.startswith("__") or name == "next":
            raise AttributeError(name)
        return getattr(self.next[0], name)

    def release(self):
        pass


def _node(cls, parents):
    node = cls.__new__(cls)
    node.next, node.args, node.out, node.versions = parents, (), None, None
    node.seq = next_sequence()
    return node


class _FunctionMeta(type):
    def __init__(cls, name, bases, namespace):
        super().__init__(name, bases, namespace)
        cls._backward_cls = type(
            f"{name}Backward", (FunctionCtx,), {"__slots__": (), "function": cls}
        )


class Function(metaclass=_FunctionMeta):
    """Base class for custom ops (see the module docstring)."""

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("a Function subclass must define forward(ctx, ...)")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("a Function subclass must define backward(ctx, *grads)")

    setup_context = None

    @classmethod
    def apply(cls, *args, **kwargs):
        if kwargs:  # tensors passed by keyword are inputs too: bind them to their positions
            args, kwargs = _positional(cls, args, kwargs)
        parents = tuple(
            (a._grad_fn or a) if isinstance(a, Tensor) and a._rg else None for a in args
        )
        ctx = _node(cls._backward_cls, parents)
        ctx.__dict__["needs_input_grad"] = tuple(p is not None for p in parents)
        with no_grad():
            if cls.setup_context is not None:
                outputs = cls.forward(*args, **kwargs)
                cls.setup_context(ctx, args, outputs)
            else:
                outputs = cls.forward(ctx, *args, **kwargs)
        ctx.args = tuple(a._data if isinstance(a, Tensor) else _NoShape for a in args)
        single = isinstance(outputs, Tensor)
        items = (outputs,) if single else tuple(outputs)
        record = STATE.enabled and any(p is not None for p in parents)
        non_diff = ctx.__dict__.get("_non_differentiable", ())
        dirty = ctx.__dict__.get("_dirty", ())
        for t in dirty:  # changed in place by forward: a leaf that requires grad may not be
            if STATE.enabled and t._rg and t._grad_fn is None:
                raise RuntimeError(
                    "a leaf Variable that requires grad has been used in an in-place operation."
                )
        ctx.__dict__["_output_shapes"] = [
            (o.shape, o._data.dtype) if isinstance(o, Tensor) else ((), None) for o in items
        ]
        results = []
        for i, o in enumerate(items):
            if not isinstance(o, Tensor):
                results.append(o)
                continue
            if not record or id(o) in non_diff or o._data.dtype.kind != "f":
                results.append(o if o._grad_fn is None and not o._rg else o.detach())
                continue
            if single:
                grad_fn = ctx
            else:
                grad_fn = _node(OutputSelect, (ctx,))
                grad_fn.__dict__["index"] = i
            if any(o is d for d in dirty):  # the input changed in place: it is the output
                o._grad_fn, o._rg = grad_fn, True
                results.append(o)
                continue
            t = wrap(o._data, grad_fn)
            t._vc = o._vc
            results.append(t)
        return results[0] if single else tuple(results)


def _positional(cls, args, kwargs):
    """``args`` and ``kwargs`` with every keyword that names a parameter of ``forward`` moved to
    its position (so a tensor passed by keyword is tracked like any input)."""
    signature = inspect.signature(cls.forward)
    ctx_slot = () if cls.setup_context is not None else (None,)
    bound = signature.bind(*ctx_slot, *args, **kwargs)
    return tuple(bound.args[len(ctx_slot) :]), dict(bound.kwargs)


class _NoShape:
    shape = None


_TWICE = "trying to differentiate twice a function that was marked with @once_differentiable"


def once_differentiable(backward):
    """Marks a backward that is not itself differentiable. It runs without recording; under
    ``create_graph=True``, when some incoming gradient requires grad, its results hang from an
    ``Error`` node that raises if anything differentiates through them (as in PyTorch)."""

    @functools.wraps(backward)
    def wrapper(ctx, *grads):
        with no_grad():
            result = backward(ctx, *grads)
        needing = [g for g in grads if isinstance(g, Tensor) and g.requires_grad]
        if not STATE.enabled or not needing:
            return result
        parents = tuple(g._grad_fn or g for g in needing)
        if not isinstance(result, tuple):
            return _raising(result, parents)
        return tuple(_raising(r, parents) for r in result)

    return wrapper


class Error(Node):
    """The grad_fn of a gradient computed by a ``once_differentiable`` backward."""

    __slots__ = ()
    frees = False

    def apply(self, grad, create_graph=False):
        raise RuntimeError(_TWICE)


def _raising(result, parents):
    return wrap(result._data, _node(Error, parents)) if isinstance(result, Tensor) else result


class _VariableMeta(type):
    def __instancecheck__(cls, obj):
        return isinstance(obj, Tensor)


class Variable(metaclass=_VariableMeta):
    """Old PyTorch's ``Variable(tensor, requires_grad=True)``: today simply a tensor."""

    def __new__(cls, data, requires_grad=False, volatile=False):
        t = data.detach() if isinstance(data, Tensor) else wrap(data)
        return t.requires_grad_(requires_grad)

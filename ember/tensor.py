"""The Tensor: an array that remembers how it was computed, so gradients can flow back through it.

A tensor holds a backend array (``_data``), whether it ``requires_grad``, the ``grad_fn`` node that
produced it (None for leaves), its accumulated ``grad``, and a version counter that in-place ops
bump
(shared with its views), so backward can tell when a value it saved has been overwritten.

:func:`apply` is where an op meets the graph: it runs the op's forward on arrays and, when any
argument requires grad and grad mode is on, records a node. The op methods themselves (``x.exp()``,
``x + y``) are attached to :class:`Tensor` by :mod:`ember.functions` when the package loads.
"""

import copy
import os
import traceback
import warnings
import weakref

import numpy

from . import backend
from .autograd.engine import run_backward
from .autograd.grad_mode import STATE
from .autograd.graph import Node, RemovableHandle, next_sequence, node_class
from .dtypes import from_numpy_dtype, get_default_dtype
from .ops.op import renamed
from .printing import tensor_repr

__all__ = ["Tensor", "Size", "apply", "apply_unary", "binary_function", "wrap"]

_ndarray = numpy.ndarray
_array = numpy.array
_new = object.__new__


class Size(tuple):
    """A tensor's shape: a tuple that prints as ``ember.Size([2, 3])``."""

    def numel(self):
        n = 1
        for d in self:
            n *= d
        return n

    def __repr__(self):
        return f"ember.Size({list(self)})"

    def __getitem__(self, index):
        result = tuple.__getitem__(self, index)
        return Size(result) if isinstance(index, slice) else result

    # Joined or repeated, a Size stays a Size (as in PyTorch).
    def __add__(self, other):
        return Size(tuple.__add__(self, tuple(other)))

    def __radd__(self, other):
        return Size(tuple(other) + tuple(self))

    def __mul__(self, times):
        return Size(tuple.__mul__(self, times))

    __rmul__ = __mul__


class Tensor:
    """A multi-dimensional array with autograd (see the module docstring).

    ``Tensor(data)`` and ``Tensor(*sizes)`` are the legacy constructors (float32); use
    :func:`ember.tensor` to infer the dtype from the data.
    """

    # ``_view`` and ``_views`` (set only on views and their bases, read with getattr): see
    # _remember_view.
    __slots__ = (
        "_data",
        "_grad_fn",
        "_rg",
        "_grad",
        "_vc",
        "_hooks",
        "_view",
        "_views",
        "__dict__",
        "__weakref__",
    )
    __array_ufunc__ = None  # so ndarray <op> Tensor defers to Tensor's reflected operator
    __hash__ = object.__hash__
    is_node = False  # how the engine tells a leaf from a node

    def __init__(self, *args, dtype=None, device=None):
        from_sizes = not args or all(isinstance(a, int) for a in args)
        if (
            len(args) == 1
            and isinstance(args[0], (tuple, list, Size))
            and all(isinstance(a, int) for a in args[0])
            and isinstance(args[0], Size)
        ):
            from_sizes, args = True, tuple(args[0])
        d = (dtype or get_default_dtype()).numpy
        xp = backend.array_module(device or "cpu")
        if from_sizes:
            data = xp.zeros(args or (0,), d)  # Tensor() is empty, as in PyTorch
        elif len(args) == 1:
            source = args[0]._data if isinstance(args[0], Tensor) else args[0]
            data = xp.array(source, dtype=d)
        else:
            raise TypeError(f"Tensor(): expected sizes or one sequence of data, got {args!r}")
        self._data, self._grad_fn, self._rg, self._grad = data, None, False, None
        self._vc = _InferenceCounter((0,)) if STATE.inference else [0]
        self._hooks = None

    # ----- what a tensor is ------------------------------------------------------------------

    @property
    def shape(self):
        return Size(self._data.shape)

    def size(self, dim=None):
        return Size(self._data.shape) if dim is None else self._data.shape[_dim(dim, self.ndim)]

    @property
    def ndim(self):
        return self._data.ndim

    def dim(self):
        return self._data.ndim

    ndimension = dim

    def numel(self):
        return int(self._data.size)

    nelement = numel

    def element_size(self):
        return self._data.itemsize

    @property
    def dtype(self):
        return from_numpy_dtype(self._data.dtype)

    @property
    def device(self):
        return backend.device_of(self._data)

    @property
    def is_cuda(self):
        return self.device.type == "cuda"

    def is_floating_point(self):
        return self._data.dtype.kind == "f"

    def is_contiguous(self):
        return bool(self._data.flags.c_contiguous)

    def stride(self, dim=None):
        strides = tuple(s // self._data.itemsize for s in self._data.strides)
        return strides if dim is None else strides[_dim(dim, self.ndim)]

    def data_ptr(self):
        return self._data.__array_interface__["data"][0]

    @property
    def _version(self):
        return self._vc[0]

    def is_inference(self):
        """Whether this tensor was made in ``inference_mode`` (or is a view of one)."""
        return self._vc.__class__ is _InferenceCounter

    # ----- autograd state ---------------------------------------------------------------------

    @property
    def requires_grad(self):
        return self._rg

    @requires_grad.setter
    def requires_grad(self, flag):
        self.requires_grad_(flag)

    def requires_grad_(self, requires_grad=True):
        if self._grad_fn is not None and not requires_grad:
            raise RuntimeError(
                "you can only change requires_grad flags of leaf variables. If you want to use a "
                "computed variable in a subgraph that doesn't require differentiation use "
                "var_no_grad = var.detach()."
            )
        if requires_grad and self._vc.__class__ is _InferenceCounter and not STATE.inference:
            raise RuntimeError(
                "Setting requires_grad=True on inference tensor outside InferenceMode is not "
                "allowed."
            )
        if requires_grad and self._data.dtype.kind != "f":
            raise RuntimeError(
                "Only Tensors of floating point dtype can require gradients "
                f"(this one is {self.dtype})"
            )
        if self._grad_fn is None:
            self._rg = bool(requires_grad)
        return self

    @property
    def grad_fn(self):
        return self._grad_fn

    @property
    def is_leaf(self):
        return self._grad_fn is None

    @property
    def grad(self):
        grad = self._grad
        if grad is None and self._grad_fn is not None and not self.retains_grad:
            warnings.warn(
                "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its "
                ".grad attribute won't be populated during autograd.backward(). If you indeed "
                "want the .grad field to be populated for a non-leaf Tensor, use .retain_grad() "
                "on the non-leaf Tensor. If you access the non-leaf Tensor by mistake, make sure "
                "you access the leaf Tensor instead.",
                UserWarning,
                stacklevel=2,
            )
        return grad

    @grad.setter
    def grad(self, value):
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(
                    f"assigned grad expected to be a Tensor or None but got {type(value)}"
                )
            if value.shape != self.shape:
                raise RuntimeError(
                    f"assigned grad has data of a different size: {tuple(value.shape)} "
                    f"but the tensor has {tuple(self.shape)}"
                )
            if value.dtype != self.dtype:
                raise RuntimeError(
                    f"assigned grad has data of a different type: {value.dtype} "
                    f"but the tensor is {self.dtype}"
                )
        self._grad = value

    @grad.deleter
    def grad(self):
        self._grad = None

    @property
    def data(self):
        """A tensor sharing this one's memory but outside autograd (in-place changes to it are
        not tracked: prefer ``detach()``)."""
        return wrap(self._data)

    @data.setter
    def data(self, value):
        if not isinstance(value, Tensor):
            raise TypeError(f"data must be a Tensor, not {type(value).__name__}")
        self._data = value._data

    def detach(self):
        """The same values, cut from the graph; shares memory and the version counter."""
        t = wrap(self._data)
        t._vc = self._vc
        return t

    def detach_(self):
        self._grad_fn = None
        self._rg = False
        return self

    def retain_grad(self):
        """Keep this non-leaf tensor's gradient in ``.grad`` when backward runs."""
        if not self._rg:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        node = self._grad_fn
        if node is None or self.retains_grad:
            return
        node.node_hooks().retained.append(weakref.ref(self))

    @property
    def retains_grad(self):
        node = self._grad_fn
        return bool(
            node is not None
            and node.hooks is not None
            and any(r() is self for r in node.hooks.retained)
        )

    def register_hook(self, hook):
        """Call ``hook(grad)`` when this tensor's gradient is computed; a returned tensor replaces
        the gradient. Returns a handle whose ``remove()`` unregisters it."""
        if not self._rg:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")

        def on_grad(grad):
            as_tensor = isinstance(grad, Tensor)
            given = grad if as_tensor else wrap(grad)
            result = hook(given)
            if result is None:
                return None
            _check_hook_result(hook, given, result)
            return result if as_tensor else result._data

        if self._grad_fn is None:
            if self._hooks is None:
                self._hooks = []
            hooks = self._hooks
        else:
            hooks = self._grad_fn.node_hooks().pre
        hooks.append(on_grad)
        return RemovableHandle(hooks, on_grad)

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        """Accumulate d(self)/d(leaf) into every leaf's ``.grad``, weighted by ``gradient``.

        For a scalar, ``gradient`` defaults to 1. For a non-scalar it is the vector of a
        vector-Jacobian product: each leaf gets ``sum_i gradient_i * d(self_i)/d(leaf)`` (seed 003).
        """
        node = self._grad_fn
        if gradient is None and inputs is None and node is not None and not create_graph:
            # The usual loss.backward(), without the general path's lists.
            grad = root_gradient(self, None, 0, False)
            run_backward((node,), (grad,), retain_graph=bool(retain_graph))
            return
        from_inputs = None
        if inputs is not None:
            from_inputs = [inputs] if isinstance(inputs, Tensor) else list(inputs)
            if not from_inputs:
                raise RuntimeError("'inputs' argument to backward() cannot be empty.")
        backward(
            (self,),
            None if gradient is None else (gradient,),
            retain_graph,
            create_graph,
            from_inputs,
        )

    def _accumulate_grad(self, grad, create_graph, owned):
        """Add ``grad`` into ``.grad`` (the engine calls this once per leaf per backward)."""
        if create_graph:
            grad = grad if isinstance(grad, Tensor) else wrap(grad)
            self._grad = grad if self._grad is None else self._grad + grad
        elif self._grad is None:
            self._grad = wrap(grad if owned else grad.copy())
        elif self._grad._grad_fn is not None:  # a grad left by create_graph: keep it out of place
            self._grad = self._grad + wrap(grad)
        else:
            self._grad._data += grad
            self._grad._vc[0] += 1

    # ----- conversion ---------------------------------------------------------------------------

    def numpy(self, *, force=False):
        if self._rg and not force:
            raise RuntimeError(
                "Can't call numpy() on Tensor that requires grad. "
                "Use tensor.detach().numpy() instead."
            )
        if self.device.type != "cpu":
            if not force:
                raise TypeError(
                    f"can't convert {self.device} device type tensor to numpy. "
                    "Use Tensor.cpu() to copy the tensor to host memory first."
                )
            return backend.to_device(self._data, "cpu")
        return self._data

    def __array__(self, dtype=None, copy=None):
        array = backend.to_device(self._data, "cpu")
        return array if dtype is None else array.astype(dtype)

    def item(self):
        if self._data.size != 1:
            raise RuntimeError(
                f"a Tensor with {self._data.size} elements cannot be converted to Scalar"
            )
        return self._data.item()

    def tolist(self):
        return self._data.tolist()

    def __len__(self):
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self._data.shape[0]))

    def __bool__(self):
        if self._data.size != 1:
            raise RuntimeError(
                f"Boolean value of Tensor with more than one value is ambiguous "
                f"(this one has {self._data.size} values)"
            )
        return bool(self._data)

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __index__(self):
        if self._data.dtype.kind not in "iub" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.item())

    def __complex__(self):
        return complex(self.item())

    def __format__(self, spec):
        if self._data.ndim == 0:
            return format(self.item(), spec)
        return format(repr(self), spec)

    def __repr__(self):
        return tensor_repr(self)

    def __reduce_ex__(self, protocol):
        raise TypeError(
            "ember tensors are not pickled (loading a pickle can run code): "
            "use ember.save / ember.load, which write safetensors"
        )

    def __deepcopy__(self, memo):
        t = wrap(self._data.copy())
        t._rg = self._rg
        if self._grad is not None:
            t._grad = wrap(self._grad._data.copy())
        if self.__dict__:
            t.__dict__.update(copy.deepcopy(self.__dict__, memo))
        if type(self) is not Tensor:
            t.__class__ = type(self)
        return t


def _dim(dim, ndim):
    """A dim index made non-negative, with PyTorch's error for one out of range."""
    n = max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(
            f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})"
        )
    return dim % n


def wrap(data, grad_fn=None):
    """A tensor around ``data`` (an array): the one place tensors are made inside ember."""
    if data.__class__ is not _ndarray and isinstance(data, numpy.generic):
        data = numpy.asarray(data)  # NumPy reductions hand back scalars; tensors hold arrays
    t = _new(Tensor)
    t._data = data
    t._grad_fn = grad_fn
    t._rg = grad_fn is not None
    t._grad = None
    t._vc = _InferenceCounter((0,)) if STATE.inference else [0]
    t._hooks = None
    return t


class _InferenceCounter(list):
    """The version counter of a tensor made in inference mode. Its views and ``detach()`` share
    the counter, so they are inference tensors too, as in PyTorch (``Tensor.is_inference``)."""

    __slots__ = ()


def apply(op, *args):
    """Run ``op`` on ``args`` (tensors and constants) and record it for backward when needed.

    The recorded node keeps the arguments' arrays (and the output, if the op's VJP reads it),
    the version of each tensor argument that a needed VJP reads, and where each argument's
    gradient goes next: its grad_fn, the tensor itself (a leaf), or nowhere (None).
    """
    # One plain loop, not three comprehensions: each comprehension is a call of its own.
    arrays, parents = [], []
    checks = op.checks  # None: the VJPs read every argument (if any); see Op
    versions = [] if op.reads_args and checks is None else None
    needs = 0  # bit i: argument i needs a gradient
    enabled = STATE.enabled
    i = 0
    for a in args:
        if isinstance(a, Tensor):
            arrays.append(a._data)
            if a._rg and enabled:
                parents.append(a._grad_fn or a)
                needs |= 1 << i
            else:
                parents.append(None)
            if versions is not None:
                versions.append((i, a._vc, a._vc[0]))
        else:
            arrays.append(a)
            parents.append(None)
        i += 1
    out = op.forward(*arrays)
    if needs:
        if checks is not None:  # only what the needed VJPs read (bits past the VJPs: no gradient)
            versions = []
            for i in checks[needs & (len(checks) - 1)]:
                a = args[i]
                if isinstance(a, Tensor):
                    versions.append((i, a._vc, a._vc[0]))
        return _record(op, out, args, tuple(arrays), tuple(parents), versions)
    result = wrap(out)
    if op.view:
        result._vc = args[0]._vc
        _remember_view(result, op, args)
    return result


def apply_unary(op, a, *params):
    """:func:`apply` for an op of one tensor, maybe followed by constants (exp and tanh; clamp
    and its bounds, sum and its dims): a hot path, spelled out."""
    data = a._data
    out = op.forward(data, *params)
    if a._rg and STATE.enabled:
        versions = [(0, a._vc, a._vc[0])] if op.reads_args else None
        if params:
            args, arrays = (a, *params), (data, *params)
            parents = (a._grad_fn or a,) + (None,) * len(params)
            return _record(op, out, args, arrays, parents, versions)
        return _record(op, out, (a,), (data,), (a._grad_fn or a,), versions)
    result = wrap(out)
    if op.view:
        result._vc = a._vc
        _remember_view(result, op, (a, *params))
    return result


def unary_function(op, prepare, floating):
    """:func:`apply_unary` for an op of one tensor and no constants (exp, tanh), as one function:
    a floating tensor goes straight through; anything else first goes through ``prepare``
    (which makes it a tensor, of a floating dtype if ``floating``)."""
    reads = op.reads_args

    def function(a):
        if a.__class__ is not Tensor or (floating and a._data.dtype.kind != "f"):
            a = prepare(a)
        data = a._data
        out = op.forward(data)
        if a._rg and STATE.enabled:
            versions = [(0, a._vc, a._vc[0])] if reads else None
            return _record(op, out, (a,), (data,), (a._grad_fn or a,), versions)
        return wrap(out)

    return function


def binary_function(op, promote=None, on_error=None, floating=False, number_name=None):
    """The function that applies ``op`` to two operands (mul, add, mm), each a tensor or a Python
    number, and records it when needed: the hot path of small-tensor code, so it is one function
    with everything spelled out inline (``x * 2`` runs this and the op, nothing else).

    Operands of one dtype, or a float with a floating tensor, go straight through (with
    ``floating``, integer operands do not: true division makes floats). Others first go through
    ``promote(a, b)``, which brings them to one dtype. ``on_error(a, b, error)`` turns NumPy's
    ValueError (shapes that do not broadcast) into the error to raise. ``number_name`` is the
    grad_fn name with a number for ``b``, where PyTorch names that overload apart
    (``RemainderBackward0`` against ``RemainderBackward1`` for two tensors)."""

    # With a Python number for ``b`` (x * 2, x + 1) only ``a`` can need a gradient, of its own
    # shape: the node then runs a single VJP and nothing else (see Op.single).
    by_number = renamed(op, number_name or op.name, vjps=(op.vjps[0], None), broadcasts=False)
    number_reads_a = op.reads_args and (op.checks is None or 0 in op.checks[1])

    def function(a, b):
        same = number = False  # number: b is a Python number
        if isinstance(a, Tensor):
            ad = a._data
            if isinstance(b, Tensor):
                bd = b._data
                same = ad.dtype is bd.dtype and (not floating or ad.dtype.kind == "f")
            elif (
                (b.__class__ is float or b.__class__ is int)
                and ad.__class__ is _ndarray  # (not a GPU array: CuPy takes no NumPy operand)
                and ad.dtype.kind == "f"
            ):
                # As a 0-d array of a's dtype: the value NumPy would cast the number to, and
                # ufuncs take it about twice as fast as a Python number (here and in the VJP).
                bd = _array(b, ad.dtype)
                same = number = True
        if not same:
            if promote is not None:
                a, b = promote(a, b)
            ad = a._data if isinstance(a, Tensor) else a
            number = not isinstance(b, Tensor)
            bd = b if number else b._data
        try:
            out = op.forward(ad, bd)
        except (ValueError, TypeError) as error:  # shapes, or dtypes NumPy has no loop for
            if on_error is None:
                raise
            raise on_error(a, b, error) from None
        # A tensor operand is one whose array is not the operand itself.
        pa = (a._grad_fn or a) if ad is not a and a._rg else None
        if number:
            if pa is not None and STATE.enabled:
                versions = [(0, a._vc, a._vc[0])] if number_reads_a else None
                return _record(by_number, out, (a, b), (ad, bd), (pa, None), versions)
            return wrap(out)
        pb = (b._grad_fn or b) if b._rg else None
        if (pa is not None or pb is not None) and STATE.enabled:
            versions = None
            if op.reads_args:  # the tensors among what the needed VJPs read
                checks = op.checks
                read = (0, 1) if checks is None else checks[(pa is not None) + 2 * (pb is not None)]
                if ad is not a and 0 in read:
                    versions = [(0, a._vc, a._vc[0])]
                if 1 in read:
                    if versions is None:
                        versions = [(1, b._vc, b._vc[0])]
                    else:
                        versions.append((1, b._vc, b._vc[0]))
            return _record(op, out, (a, b), (ad, bd), (pa, pb), versions)
        return wrap(out)

    return function


def _check_hook_result(hook, grad, result):
    """A tensor hook may replace a gradient, but not with one of another shape or dtype."""
    name = getattr(hook, "__name__", repr(hook))
    if not isinstance(result, Tensor):
        raise TypeError(
            f"hook '{name}' returned {type(result).__name__}, expected a Tensor or None"
        )
    if result.shape != grad.shape:
        raise RuntimeError(
            f"hook '{name}' has changed the size of value (was {list(grad.shape)} got "
            f"{list(result.shape)})"
        )
    if result.dtype != grad.dtype:
        raise RuntimeError(
            f"hook '{name}' has changed the type of value (was {grad.dtype} got {result.dtype})"
        )


def _record(op, out, args, arrays, parents, versions):
    """A node for ``op`` (``versions``: the tensor arguments' versions, when its VJP reads them)
    and the tensor it produced."""
    if out.__class__ is not _ndarray and isinstance(out, numpy.generic):
        out = numpy.asarray(out)
    node = _new(op.node_class or node_class(op))
    node.next = parents
    node.args = arrays
    node.seq = next_sequence()
    result = _new(Tensor)
    result._data = out
    result._grad_fn = node
    result._rg = True
    result._grad = None
    result._hooks = None
    if op.view:
        result._vc = args[0]._vc
        _remember_view(result, op, args)
    else:
        result._vc = [0]
    if op.saves_output:
        node.out = out
        if versions:  # a fresh list from the caller
            versions.append((-1, result._vc, 0))
        else:
            versions = [(-1, result._vc, 0)]
    else:
        node.out = None
    node.versions = versions
    if STATE.anomaly:
        node.__dict__["trace"] = _forward_trace()
    return result


_PACKAGE = os.path.dirname(os.path.abspath(__file__)) + os.sep


def _forward_trace():
    """The stack that called the op, without ember's own frames at its end (anomaly mode shows
    it when the op's backward produces NaN)."""
    frames = traceback.extract_stack()
    while frames and frames[-1].filename.startswith(_PACKAGE):
        frames.pop()
    return traceback.format_list(frames)


def _remember_view(view, op, args):
    """Note how ``view`` was made from the tensor that owns its memory (a chain of view ops), so
    an in-place change to the view can also be routed into that tensor's graph (PyTorch's
    CopySlices; see ember.functions.inplace)."""
    if view._data.base is None:  # the op had to copy (reshape of a non-contiguous array)
        return
    base = args[0]
    root, chain = getattr(base, "_view", None) or (base, ())
    view._view = (root, chain + ((op, args[1:]),))
    if root._grad_fn is not None:
        # An in-place change to root (allowed: it is not a leaf) must then refresh this view's
        # grad_fn, so root keeps weak references to its views.
        views = getattr(root, "_views", None)
        if views is None:
            root._views = views = {}
        key = id(view)
        views[key] = weakref.ref(view, lambda _, views=views, key=key: views.pop(key, None))


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """``ember.autograd.backward``: backpropagate from several outputs at once."""
    tensors = [tensors] if isinstance(tensors, Tensor) else list(tensors)
    if grad_tensors is None:
        grad_tensors = [None] * len(tensors)
    elif isinstance(grad_tensors, Tensor):
        grad_tensors = [grad_tensors]
    if retain_graph is None:
        retain_graph = create_graph
    roots, grads = [], []
    for i, (out, given) in enumerate(zip(tensors, grad_tensors)):
        if not out._rg:
            raise RuntimeError(
                f"element {i} of tensors does not require grad and does not have a grad_fn"
            )
        roots.append(out._grad_fn or out)
        grads.append(root_gradient(out, given, i, create_graph))
    if inputs is None:
        run_backward(roots, grads, retain_graph=retain_graph, create_graph=create_graph)
        return
    capture = {}
    for t in inputs:
        if not t._rg:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
        capture[t._grad_fn or t] = None
    run_backward(
        roots, grads, retain_graph=retain_graph, create_graph=create_graph, capture=capture
    )
    for t in inputs:
        grad = capture[t._grad_fn or t]
        if grad is not None:
            owned = False
            t._accumulate_grad(grad, create_graph, owned)


def root_gradient(out, given, index, create_graph):
    """The starting gradient for output ``out``: 1 for a scalar, else the ``given`` one checked."""
    if given is None:
        data = out._data
        if data.size != 1:
            raise RuntimeError("grad can be implicitly created only for scalar outputs")
        # A one of the output's shape and dtype (numpy.ones_like costs a Python-level wrapper).
        grad = numpy.array(1, data.dtype)
        if data.ndim:
            grad = grad.reshape(data.shape)
        return wrap(grad) if create_graph else grad
    if not isinstance(given, Tensor):
        given = wrap(numpy.asarray(given, dtype=out._data.dtype))
    if given.shape != out.shape:
        raise RuntimeError(
            f"Mismatch in shape: grad_output[{index}] has a shape of {given.shape} and "
            f"output[{index}] has a shape of {out.shape}."
        )
    if given._data.dtype != out._data.dtype:
        given = wrap(given._data.astype(out._data.dtype))
    return given if create_graph else given._data


Node.wrap = staticmethod(wrap)

"""ember's op functions (``ember.exp``, ``ember.sum``, ...) and the Tensor methods that call them.

Each function checks and normalises its arguments the PyTorch way (dims, ``keepdim``, dtype
promotion, clear errors that name the op and the shapes), then hands arrays to the op in
:mod:`ember.ops` through :func:`ember.tensor.apply`, which records the graph. At the bottom, the
functions are attached to :class:`Tensor` as methods and operators, and :data:`TENSOR_XP` (the
differentiable twin of :mod:`ember.ops.xp_numpy`) is handed to the graph for ``create_graph=True``.
"""

import builtins
import collections
import numbers
import warnings

import numpy

from . import dtypes
from .autograd.grad_mode import STATE
from .autograd.graph import Node
from .backend import device as device_type
from .backend import to_device
from .ops import Op, renamed, xp_numpy
from .ops import elementwise as E
from .ops import index as I
from .ops import linalg as L
from .ops import reduce as R
from .ops import shape as S
from .ops.op import reduced_shape
from .random import default_generator
from .tensor import Tensor, _dim, apply, apply_unary, binary_function, unary_function, wrap

_ndarray = numpy.ndarray
_Number = (int, float, bool)
_NUMBERS = {int, float}  # the exact classes (bool is an int, but clamp's bounds are not bools)

# ----- operands and dtypes -------------------------------------------------------------------


def as_tensor_operand(value, like=None):
    """A tensor for an op argument that may be an array or a NumPy scalar. Not a list: PyTorch's
    functions take tensors there (``torch.matmul(x, [1.0, 2.0])`` is a TypeError)."""
    if isinstance(value, Tensor):
        return value
    if isinstance(value, (_ndarray, numpy.generic)):
        return wrap(numpy.asarray(value))
    raise TypeError(f"expected a Tensor or a number, got {builtins.type(value).__name__}")


def _cast(t, d):
    """``t`` in numpy dtype ``d``: differentiable when it has to be, free when it already is."""
    if t._data.dtype == d:
        return t
    return _converted(t, d)


def _converted(t, d):
    """A copy of ``t`` in numpy dtype ``d``. Only a floating copy stays on the graph: integer and
    bool tensors cannot require grad (PyTorch's ``x.long()`` of a tensor that requires grad)."""
    if numpy.dtype(d).kind == "f":
        return apply(S.to_dtype, t, d)
    return wrap(t._data.astype(d))


def _promote(a, b, floating=False):
    """Operands ``a``, ``b`` (tensors or Python numbers) in the dtype PyTorch computes in."""
    # A NumPy scalar counts as the Python number it holds, as in PyTorch (x * numpy.float64(2)
    # stays float32; NumPy itself would make it float64).
    if isinstance(a, numpy.generic):
        a = a.item()
    if isinstance(b, numpy.generic):
        b = b.item()
    a_scalar, b_scalar = isinstance(a, _Number), isinstance(b, _Number)
    if isinstance(a, (list, tuple)) or isinstance(b, (list, tuple)):
        # PyTorch takes tensors and numbers here, not sequences (x + [1, 2] is a TypeError).
        kind = builtins.type(a if isinstance(a, (list, tuple)) else b).__name__
        raise TypeError(f"expected a Tensor or a number as an operand, got a {kind}")
    if not a_scalar and not isinstance(a, Tensor):
        a = as_tensor_operand(a)
    if not b_scalar and not isinstance(b, Tensor):
        b = as_tensor_operand(b)
    if not a_scalar and not b_scalar:
        if a._data.dtype == b._data.dtype and not (floating and a._data.dtype.kind != "f"):
            return a, b
        target = dtypes.result_type(a._data, b._data)
    else:
        tensor = b if a_scalar else a
        scalar = a if a_scalar else b
        kind = tensor._data.dtype.kind
        if (
            kind == "f"
            or (kind in "iu" and not isinstance(scalar, float))
            or (kind == "b" and isinstance(scalar, bool))
        ):
            if not (floating and kind != "f"):
                return a, b
        target = dtypes.result_type(tensor._data, scalar)
    if floating and not target.is_floating_point:
        target = dtypes.get_default_dtype()
    d = target.numpy
    return (a if a_scalar else _cast(a, d)), (b if b_scalar else _cast(b, d))


def _binary(op, floating=False, number_name=None):
    """A function for elementwise op ``op`` with PyTorch's broadcasting and promotion."""
    return binary_function(
        op, lambda a, b: _promote(a, b, floating), _broadcast_error, floating, number_name
    )


def _broadcast_error(a, b, error):
    if isinstance(error, TypeError):  # NumPy has no loop for these dtypes
        if "boolean subtract" in str(error):
            return RuntimeError(
                "Subtraction, the `-` operator, with two bool tensors is not supported. "
                "Use the `^` or `logical_xor()` operator instead."
            )
        kinds = [str(x.dtype) if isinstance(x, Tensor) else type(x).__name__ for x in (a, b)]
        return RuntimeError(f"operation not supported for {kinds[0]} and {kinds[1]}: {error}")
    shapes = [list(x.shape) if isinstance(x, Tensor) else [] for x in (a, b)]
    if "broadcast" in str(error):
        return RuntimeError(
            f"The size of tensor a ({shapes[0]}) must match the size of tensor b ({shapes[1]}): "
            f"shapes {shapes[0]} and {shapes[1]} cannot be broadcast together"
        )
    return RuntimeError(str(error))


def _unary(op, floating=True):
    """A function for elementwise op ``op`` of one tensor (with ``floating``, integer inputs are
    computed in the default float dtype, as PyTorch's exp and tanh do)."""

    def cast(input):
        if not isinstance(input, Tensor):
            input = as_tensor_operand(input)
        if floating and input._data.dtype.kind != "f":
            input = _cast(input, dtypes.get_default_dtype().numpy)
        return input

    return unary_function(op, cast, floating)


def _needs_float(t, name):
    if t._data.dtype.kind != "f":
        raise RuntimeError(
            f"{name}(): could not infer output dtype. Input dtype must be either a floating point "
            f"or complex dtype. Got: {dtypes.SCALAR_TYPE_NAMES[t.dtype.name]}"
        )


# ----- elementwise ---------------------------------------------------------------------------

_add, _sub, _mul = _binary(E.BINARY["add"]), _binary(E.BINARY["sub"]), _binary(E.BINARY["mul"])
# 2 - x runs as rsub(2, x); PyTorch's RsubBackward1 lists only the tensor.
_rsub = binary_function(
    renamed(E.BINARY["sub"], "RsubBackward1", listed=(1,)), _promote, _broadcast_error
)
_div = _binary(E.BINARY["div"], floating=True)
_pow = _binary(E.BINARY["pow"])
_rpow = binary_function(renamed(E.BINARY["pow"], "PowBackward2"), _promote)


def _check_alpha(input, other, alpha):
    if isinstance(alpha, float) and not builtins.any(
        isinstance(x, float) or (isinstance(x, Tensor) and x._data.dtype.kind == "f")
        for x in (input, other)
    ):
        raise RuntimeError(
            "For integral input tensors, argument alpha must not be a floating point number."
        )


def add(input, other, *, alpha=1):
    if alpha != 1:
        _check_alpha(input, other, alpha)
        other = mul(other, alpha)
    return _add(input, other)


def sub(input, other, *, alpha=1):
    if alpha != 1:
        _check_alpha(input, other, alpha)
        other = mul(other, alpha)
    return _sub(input, other)


def rsub(input, other, *, alpha=1):
    """``other - alpha * input`` (what ``2 - x`` calls)."""
    return _rsub(other, input if alpha == 1 else mul(input, alpha))


mul = multiply = _mul


def div(input, other, *, rounding_mode=None):
    if rounding_mode is None:
        return _div(input, other)
    if rounding_mode == "floor":
        return floor_divide(input, other)
    if rounding_mode == "trunc":
        a, b = _promote(input, other)
        d = (a if isinstance(a, Tensor) else b)._data.dtype
        return wrap(numpy.trunc(numpy.true_divide(_array(a), _array(b))).astype(d))
    raise RuntimeError(
        "div expected rounding_mode to be one of None, 'trunc', or 'floor' but found "
        f"'{rounding_mode}'"
    )


divide = true_divide = div


def _no_grad_binary(ufunc):
    """A non-differentiable elementwise function (comparisons, floor division, bitwise ops)."""

    def function(input, other=None):
        try:
            if other is None:
                return wrap(ufunc(_array(input)))
            a, b = _promote(input, other)
            return wrap(ufunc(_array(a), _array(b)))
        except TypeError:  # no loop for these dtypes (bitwise ops on floats)
            kind = input.dtype if isinstance(input, Tensor) else type(input).__name__
            raise NotImplementedError(f'"{ufunc.__name__}" not implemented for {kind}') from None
        except ValueError as error:
            raise _broadcast_error(a, b, error) from None

    return function


def _array(x):
    return x._data if isinstance(x, Tensor) else x


floor_divide = _no_grad_binary(E.no_zero_division(numpy.floor_divide))
remainder = _binary(E.BINARY["remainder"], number_name="RemainderBackward0")
fmod = _binary(E.BINARY["fmod"], number_name="FmodBackward0")
# The public maximum/minimum take two tensors, as PyTorch's; VJPs also pass numbers (see _TensorXP).
_maximum = _binary(E.BINARY["maximum"])
_minimum = _binary(E.BINARY["minimum"])
_atan2 = _binary(E.BINARY["atan2"], floating=True)
eq = _no_grad_binary(numpy.equal)
ne = _no_grad_binary(numpy.not_equal)
lt = less = _no_grad_binary(numpy.less)
le = less_equal = _no_grad_binary(numpy.less_equal)
gt = greater = _no_grad_binary(numpy.greater)
ge = greater_equal = _no_grad_binary(numpy.greater_equal)
logical_and = _no_grad_binary(numpy.logical_and)
logical_or = _no_grad_binary(numpy.logical_or)
logical_xor = _no_grad_binary(numpy.logical_xor)
logical_not = _no_grad_binary(numpy.logical_not)
bitwise_and = _no_grad_binary(numpy.bitwise_and)
bitwise_or = _no_grad_binary(numpy.bitwise_or)
bitwise_xor = _no_grad_binary(numpy.bitwise_xor)
bitwise_not = _no_grad_binary(numpy.invert)
isnan = _no_grad_binary(numpy.isnan)
isinf = _no_grad_binary(numpy.isinf)
isfinite = _no_grad_binary(numpy.isfinite)
isposinf = _no_grad_binary(numpy.isposinf)
isneginf = _no_grad_binary(numpy.isneginf)


def nan_to_num(input, nan=0.0, posinf=None, neginf=None):
    if input._data.dtype.kind != "f":  # integers and bools hold no NaN or inf
        return clone(input)
    return apply(E.nan_to_num, input, nan, posinf, neginf)


def _check_tensors(name, input, other):
    """PyTorch's TypeError for a function of two tensors (fmax, isclose) given something else."""
    for position, (argument, value) in enumerate((("input", input), ("other", other)), 1):
        if not isinstance(value, Tensor):
            raise TypeError(
                f"{name}(): argument '{argument}' (position {position}) must be Tensor, "
                f"not {builtins.type(value).__name__}"
            )


def _tensors_only(name, function):
    """A binary function that takes two tensors, as PyTorch's fmax (no Python number)."""

    def checked(input, other):
        _check_tensors(name, input, other)
        return function(input, other)

    checked.__name__ = name
    return checked


atan2 = _tensors_only("atan2", _atan2)
arctan2 = _tensors_only("arctan2", _atan2)
maximum = _tensors_only("maximum", _maximum)
minimum = _tensors_only("minimum", _minimum)
fmax = _tensors_only("fmax", _binary(E.fmax))
fmin = _tensors_only("fmin", _binary(E.fmin))
floor = _unary(E.UNARY["floor"], floating=False)
ceil = _unary(E.UNARY["ceil"], floating=False)
trunc = _unary(E.UNARY["trunc"], floating=False)
_round = _unary(E.UNARY["round"], floating=False)


def round(input, decimals=0):
    if decimals == 0:
        return _round(input)
    return apply_unary(E.PARAMETRIC["round_decimals"], as_tensor_operand(input), decimals)


def pow(input, exponent):
    if isinstance(exponent, numpy.generic):  # a NumPy scalar counts as the number it holds
        exponent = exponent.item()
    if isinstance(input, _Number):  # scalar ** tensor
        a, b = _promote(input, exponent)
        a = wrap(numpy.asarray(a, b._data.dtype))  # an array base: create_graph VJPs need one
        return _rpow(a, b)
    if isinstance(exponent, _Number):
        base = input if isinstance(input, Tensor) else as_tensor_operand(input)
        if base._data.dtype == bool and not isinstance(exponent, float):
            base = _cast(base, numpy.int64)  # bools to an integer power count as int64
        if base._data.dtype.kind != "f" and (isinstance(exponent, float) or exponent < 0):
            if isinstance(exponent, float):
                base = _cast(base, dtypes.get_default_dtype().numpy)
            else:
                raise RuntimeError("Integers to negative integer powers are not allowed.")
        if exponent == 2:
            return apply_unary(_SQUARE_AS_POW, base)
        return apply_unary(E.PARAMETRIC["pow_scalar"], base, exponent)
    return _pow(input, exponent)


_SQUARE_AS_POW = E.UNARY["square"]


def float_power(input, exponent):
    """``pow`` computed in float64, whatever the inputs' dtypes (as PyTorch's float_power)."""

    def double(x):
        if isinstance(x, Tensor):
            return _cast(x, numpy.float64)
        return x if isinstance(x, _Number) else _cast(as_tensor_operand(x), numpy.float64)

    base, exponent = double(input), double(exponent)
    if not isinstance(base, Tensor):
        base = wrap(numpy.asarray(base, numpy.float64))
    return pow(base, exponent)


_neg = _unary(E.UNARY["neg"], floating=False)


def neg(input):
    if isinstance(input, Tensor) and input._data.dtype == bool:
        raise RuntimeError(
            "Negation, the `-` operator, on a bool tensor is not supported. If you are trying "
            "to invert a mask, use the `~` or `logical_not()` operator instead."
        )
    return _neg(input)


negative = neg
abs = absolute = _unary(E.UNARY["abs"], floating=False)
exp = _unary(E.UNARY["exp"])
log = _unary(E.UNARY["log"])
log1p = _unary(E.UNARY["log1p"])
expm1 = _unary(E.UNARY["expm1"])
sqrt = _unary(E.UNARY["sqrt"])
rsqrt = _unary(E.UNARY["rsqrt"])
sin = _unary(E.UNARY["sin"])
cos = _unary(E.UNARY["cos"])
tanh = _unary(E.UNARY["tanh"])
sigmoid = _unary(E.UNARY["sigmoid"])
relu = _unary(E.UNARY["relu"], floating=False)
square = _unary(E.UNARY["square"], floating=False)
reciprocal = _unary(E.UNARY["reciprocal"])
sign = _unary(E.UNARY["sign"], floating=False)
erf = _unary(E.UNARY["erf"])
silu = _unary(E.UNARY["silu"])


log2 = _unary(E.UNARY["log2"])
log10 = _unary(E.UNARY["log10"])


def clamp(input, min=None, max=None):
    if max is None and min.__class__ in _NUMBERS and isinstance(input, Tensor):  # relu-like
        data = input._data
        if data.dtype.kind != "f":
            if min.__class__ is float:
                input = _cast(input, dtypes.get_default_dtype().numpy)
        elif data.__class__ is numpy.ndarray:
            # The bound as a 0-d array of the tensor's dtype, as binary ops take a number: the
            # value NumPy casts it to, and ufuncs (here and in the VJP) take it faster.
            min = numpy.array(min, data.dtype)
        return apply_unary(E.PARAMETRIC["clamp"], input, min, None)
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    if not isinstance(input, Tensor):
        input = as_tensor_operand(input)
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        return _clamp_tensors(E.CLAMP_TENSORS, input, min, max)
    if isinstance(min, float) or isinstance(max, float):
        input = (
            _cast(input, dtypes.get_default_dtype().numpy)
            if input._data.dtype.kind != "f"
            else input
        )
    return apply_unary(E.PARAMETRIC["clamp"], input, min, max)


clip = clamp


def _clamp_tensors(op, input, min, max):
    """clamp with tensor bounds: all three promoted to one dtype, broadcast together, and each
    bound differentiable (a number given for the other bound is a constant)."""
    input = input if isinstance(input, Tensor) else as_tensor_operand(input)
    if min is not None:
        input, min = _promote(input, min)
    if max is not None:
        input, max = _promote(input, max)
        if isinstance(min, Tensor) and min._data.dtype != input._data.dtype:
            min = _cast(min, input._data.dtype)  # max's promotion widened the input
    try:
        return apply(op, input, min, max)
    except ValueError:
        shapes = [list(t.shape) for t in (input, min, max) if isinstance(t, Tensor)]
        raise RuntimeError(
            f"clamp: the shapes of the input and its bounds cannot be broadcast together: "
            f"{', '.join(map(str, shapes))}"
        ) from None


def clamp_min(input, min):
    if isinstance(min, Tensor):
        return _clamp_tensors(_CLAMP_MIN_TENSOR, input, min, None)
    return apply_unary(_CLAMP_MIN, as_tensor_operand(input), min, None)


def clamp_max(input, max):
    if isinstance(max, Tensor):
        return _clamp_tensors(_CLAMP_MAX_TENSOR, input, None, max)
    return apply_unary(_CLAMP_MAX, as_tensor_operand(input), None, max)


_CLAMP_MIN = renamed(E.PARAMETRIC["clamp"], "ClampMinBackward0")
_CLAMP_MAX = renamed(E.PARAMETRIC["clamp"], "ClampMaxBackward0")
_CLAMP_MIN_TENSOR = renamed(E.CLAMP_TENSORS, "ClampMinBackward1", listed=(0, 1))
_CLAMP_MAX_TENSOR = renamed(E.CLAMP_TENSORS, "ClampMaxBackward1", listed=(0, 2))


def where(condition, input=None, other=None):
    if input is None and other is None:
        if not isinstance(condition, Tensor):
            raise TypeError(
                "where(): argument 'condition' (position 1) must be Tensor, not "
                f"{builtins.type(condition).__name__}"
            )
        return nonzero(condition, as_tuple=True)
    condition = as_tensor_operand(condition)
    if condition._data.dtype == numpy.uint8:  # PyTorch still takes its old bool type
        condition = wrap(condition._data.astype(bool))
    if condition._data.dtype.kind != "b":
        raise RuntimeError(
            f"where expected condition to be a boolean tensor, but got a tensor "
            f"with dtype {condition.dtype}"
        )
    if not isinstance(input, Tensor) and not isinstance(other, Tensor):  # where(c, 1, 0.)
        input = wrap(numpy.asarray(input, dtypes.scalar_dtype(input).numpy))
    a, b = _promote(input, other)
    a = a if isinstance(a, Tensor) else wrap(numpy.asarray(a, _scalar_numpy_dtype(a, b)))
    b = b if isinstance(b, Tensor) else wrap(numpy.asarray(b, _scalar_numpy_dtype(b, a)))
    try:
        return apply(E.where, condition, a, b)
    except ValueError as error:
        raise RuntimeError(
            f"where: shapes of condition {list(condition.shape)}, input {list(a.shape)} and "
            f"other {list(b.shape)} cannot be broadcast together"
        ) from error


def _scalar_numpy_dtype(scalar, other):
    if isinstance(other, Tensor):
        return other._data.dtype
    return dtypes.scalar_dtype(scalar).numpy


def nonzero(input, *, as_tuple=False):
    data = _array(input)
    if numpy.ndim(data) == 0:  # a scalar: as a one-element vector (NumPy refuses 0-d)
        found = numpy.nonzero(numpy.reshape(data, 1))
        if as_tuple:
            return tuple(wrap(i.astype(numpy.int64)) for i in found)
        return wrap(numpy.zeros((found[0].size, 0), numpy.int64))
    found = numpy.nonzero(data)
    if as_tuple:
        return tuple(wrap(i) for i in found)
    return wrap(numpy.stack(found, axis=1) if found else numpy.zeros((0, 0), numpy.int64))


def _return_type(name, fields=("values", "indices")):
    """A named tuple that prints as PyTorch's ``torch.return_types``."""

    def __repr__(self):
        shown = ",\n".join(f"{f}={getattr(self, f)!r}" for f in fields)
        return f"ember.return_types.{name}(\n{shown})"

    base = collections.namedtuple(name, fields)
    return builtins.type(
        name, (base,), {"__slots__": (), "__repr__": __repr__, "__module__": __name__}
    )


sort_result = _return_type("sort")
topk_result = _return_type("topk")
# Sorted values are gathered from where the indices say; PyTorch names the node after the op,
# and sort's overload with ``stable`` as a keyword apart (SortBackward1).
_SORT = renamed(I.gather, "SortBackward0")
_STABLE_SORT = renamed(I.gather, "SortBackward1")
_TOPK = renamed(I.gather, "TopkBackward0")
_UNSET = object()  # sort(stable=...) given or not: PyTorch's two overloads


def argsort(input, dim=-1, descending=False, stable=False):
    d = _dim(dim, input.ndim)
    data = input._data
    if data.ndim == 0:
        return wrap(numpy.zeros((), numpy.int64))
    if not descending:  # NumPy puts NaN last: the largest, as in PyTorch
        return wrap(numpy.argsort(data, axis=d, kind="stable").astype(numpy.int64))
    if data.dtype.kind != "f":  # ~x reverses the order of every integer (and bool) exactly
        return wrap(numpy.argsort(~data, axis=d, kind="stable").astype(numpy.int64))
    # Largest first, stably; NaN counts as the largest, so it goes first: sort by -x (NaN last),
    # then move the NaNs to the front with a second stable sort.
    order = numpy.argsort(-data, axis=d, kind="stable")
    is_nan = numpy.take_along_axis(numpy.isnan(data), order, d)
    order = numpy.take_along_axis(order, numpy.argsort(~is_nan, axis=d, kind="stable"), d)
    return wrap(order.astype(numpy.int64))


def _selected(op, input, d, indices):
    """The values at ``indices`` along ``d`` (a gather named ``op``); a 0-d tensor is its own."""
    if input.ndim == 0:
        return apply(renamed(S.clone, op.name), input)
    return apply(op, input, d, indices._data)


def sort(input, dim=-1, descending=False, stable=_UNSET):
    """Sorted values (differentiable: a gather) and where they came from."""
    indices = argsort(input, dim, descending)
    op = _SORT if stable is _UNSET else _STABLE_SORT
    return sort_result(_selected(op, input, _dim(dim, input.ndim), indices), indices)


def topk(input, k, dim=-1, largest=True, sorted=True):
    d = _dim(dim, input.ndim)
    size = input.shape[d] if input.ndim else 1
    if not 0 <= k <= size:
        raise RuntimeError(f"selected index k out of range (k={k}, dim size {size})")
    indices = argsort(input, d, descending=largest)
    if input.ndim:
        indices = narrow(indices, d, 0, k)
    return topk_result(_selected(_TOPK, input, d, indices), indices)


# ----- order statistics ----------------------------------------------------------------------

kthvalue_result = _return_type("kthvalue")
median_result = _return_type("median")
nanmedian_result = _return_type("nanmedian")
mode_result = _return_type("mode")
cummax_result = _return_type("cummax")
cummin_result = _return_type("cummin")


def _take_at(name, result_type, input, d, index, keepdim):
    """``result_type(values, indices)`` for ``index`` (keeping dim ``d``) chosen along ``d``."""
    values = apply(renamed(R.take_at, name), input, d, index, keepdim)
    if input.ndim and not keepdim:
        index = numpy.squeeze(index, d)
    return result_type(values, wrap(index.astype(numpy.int64)))


def _sorted_positions(input, d, position):
    """The indices along ``d`` of the elements at ``position`` (an array keeping dim ``d``) of
    a stable ascending sort (NaN last)."""
    order = numpy.argsort(input._data, axis=d, kind="stable")
    return numpy.take_along_axis(order, position, d)


def kthvalue(input, k, dim=-1, keepdim=False):
    d = _dim(dim, input.ndim)
    size = input.shape[d] if input.ndim else 1
    if not 1 <= k <= size:
        raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {d}")
    if input.ndim == 0:
        return _take_at("KthvalueBackward0", kthvalue_result, input, d, numpy.zeros((), int), 0)
    position = numpy.full(reduced_shape(input.shape, d, True), k - 1)
    index = _sorted_positions(input, d, position)
    return _take_at("KthvalueBackward0", kthvalue_result, input, d, index, keepdim)


def _median(name, ignore_nan, whole_op, result_type):
    def function(input, dim=None, keepdim=False):
        if dim is None:  # (of nothing: NaN, as PyTorch)
            return apply(whole_op, input)
        d = _dim(dim, input.ndim)
        _empty_check(input, name, d)
        backward = f"{name.title()}Backward1"
        if input.ndim == 0:
            return _take_at(backward, result_type, input, d, numpy.zeros((), int), 0)
        data = input._data
        valid = numpy.sum(data == data, axis=d, keepdims=True)  # the non-NaN count
        if ignore_nan:  # the lower median of the non-NaN values (the first NaN if all are)
            position = numpy.maximum(valid - 1, 0) // 2
        else:  # NaN wins: the first NaN in the sort, where there is one
            size = data.shape[d]
            position = numpy.where(valid < size, valid, (size - 1) // 2)
        index = _sorted_positions(input, d, position)
        return _take_at(backward, result_type, input, d, index, keepdim)

    function.__name__ = name
    return function


median = _median("median", False, R.median_all, median_result)
nanmedian = _median("nanmedian", True, R.nanmedian_all, nanmedian_result)


def mode(input, dim=-1, keepdim=False):
    """The most frequent value along ``dim`` (the smallest among equally frequent ones) and its
    last index, as PyTorch."""
    d = _dim(dim, input.ndim)
    if input.ndim == 0:
        return _take_at("ModeBackward0", mode_result, input, d, numpy.zeros((), int), 0)
    data = numpy.moveaxis(input._data, d, -1)
    rows = data.reshape(-1, data.shape[-1])
    index = numpy.empty(len(rows), numpy.int64)
    for r, row in enumerate(rows):
        _, inverse, counts = numpy.unique(row, return_inverse=True, return_counts=True)
        best = numpy.argmax(counts)  # unique sorts its values: the smallest most frequent
        index[r] = numpy.flatnonzero(inverse.reshape(-1) == best)[-1]
    index = numpy.moveaxis(index.reshape(data.shape[:-1] + (1,)), -1, d)
    return _take_at("ModeBackward0", mode_result, input, d, index, keepdim)


def _running(name, result_type, better):
    """cummax/cummin: running extreme along ``dim`` and where it was last reached (a NaN, once
    seen, stays), as PyTorch; the values are a gather at those indices."""

    def function(input, dim):
        d = _dim(dim, input.ndim)
        data = input._data
        if data.ndim == 0:
            values = apply(renamed(S.clone, f"{name.title()}Backward0"), input)
            return result_type(values, wrap(numpy.zeros((), numpy.int64)))
        moved = numpy.moveaxis(data, d, 0)
        index = numpy.zeros(moved.shape, numpy.int64)
        best = moved[0] if moved.shape[0] else None
        for j in range(1, moved.shape[0]):
            x = moved[j]
            take = (x != x) | ((best == best) & better(x, best))
            index[j] = numpy.where(take, j, index[j - 1])
            best = numpy.where(take, x, best)
        index = numpy.moveaxis(index, 0, d)
        values = apply(renamed(I.gather, f"{name.title()}Backward0"), input, d, index)
        return result_type(values, wrap(index))

    function.__name__ = name
    return function


cummax = _running("cummax", cummax_result, numpy.greater_equal)
cummin = _running("cummin", cummin_result, numpy.less_equal)


def logcumsumexp(input, dim):
    if input._data.dtype.kind != "f":
        raise _not_implemented("logcumsumexp_out_cpu", input)
    return apply(R.logcumsumexp, input, _dim(dim, input.ndim))


_INTERPOLATIONS = ("linear", "lower", "higher", "midpoint", "nearest")


def _quantile(input, q, dim, keepdim, interpolation, ignore_nan):
    # Sort along dim, then read (or interpolate between) the two values around rank
    # q * (n - 1): gather and lerp carry the gradient to those values. (PyTorch's messages say
    # quantile() for nanquantile too.)
    if input._data.dtype not in (numpy.float32, numpy.float64):
        raise RuntimeError("quantile() input tensor must be either float or double dtype")
    if isinstance(q, Tensor):
        if q.ndim > 1:
            raise RuntimeError("quantile() q must be a scalar or 1D tensor")
        if q._data.dtype != input._data.dtype:
            raise RuntimeError("quantile() q tensor must be same dtype as the input tensor")
        qs = q._data.reshape(-1)
        if not ((qs >= 0) & (qs <= 1)).all():
            raise RuntimeError("quantile() q values must be in the range [0, 1]")
    else:
        if not 0 <= q <= 1:
            raise RuntimeError(f"quantile() q must be in the range [0, 1] but got {q:g}")
        qs = numpy.asarray([q], input._data.dtype)
    if interpolation not in _INTERPOLATIONS:
        raise RuntimeError(
            f"quantile() interpolation must be one of linear, lower, higher, midpoint or nearest, "
            f"but got {interpolation}"
        )
    if input.numel() == 0:
        raise RuntimeError("quantile() input tensor must be non-empty")
    if dim is None:
        x, kept_shape = reshape(input, -1), (1,) * input.ndim
    else:
        d = _dim(dim, builtins.max(input.ndim, 1))
        x = permute(input, *[i for i in range(input.ndim) if i != d], d) if input.ndim else input
        x = reshape(x, -1) if input.ndim == 0 else x
        kept_shape = tuple(1 if i == d else n for i, n in enumerate(input.shape))
    values = sort(x, -1).values
    n = values.shape[-1]
    valid = (~numpy.isnan(values._data)).sum(-1, keepdims=True)
    if ignore_nan:  # an all-NaN row reads its first value: NaN
        ranks = qs * numpy.maximum(valid - 1, 0)
    else:  # a row with a NaN reads its last value: NaN
        ranks = numpy.where(valid < n, n - 1, qs * (n - 1))
    ranks = numpy.broadcast_to(ranks, values.shape[:-1] + (len(qs),))
    if interpolation in ("lower", "higher", "nearest"):
        rounded = {"lower": numpy.floor, "higher": numpy.ceil, "nearest": numpy.round}
        result = gather(values, -1, wrap(rounded[interpolation](ranks).astype(numpy.int64)))
    else:
        below = numpy.floor(ranks)
        weights = numpy.full_like(ranks, 0.5) if interpolation == "midpoint" else ranks - below
        result = lerp(
            gather(values, -1, wrap(below.astype(numpy.int64))),
            gather(values, -1, wrap(numpy.ceil(ranks).astype(numpy.int64))),
            wrap(weights.astype(input._data.dtype)),
        )
    # (..., len(q)) -> (len(q), ...) in the input's layout, without the q dim for a scalar q.
    result = permute(result, result.ndim - 1, *range(result.ndim - 1))
    if keepdim:
        rest = kept_shape
    else:
        rest = () if dim is None else tuple(n for i, n in enumerate(input.shape) if i != d)
    return reshape(result, rest if not isinstance(q, Tensor) else (len(qs), *rest))


def quantile(input, q, dim=None, keepdim=False, *, interpolation="linear"):
    return _quantile(input, q, dim, keepdim, interpolation, False)


def nanquantile(input, q, dim=None, keepdim=False, *, interpolation="linear"):
    return _quantile(input, q, dim, keepdim, interpolation, True)


def searchsorted(sorted_sequence, input, *, out_int32=False, right=False, side=None, sorter=None):
    """Where each of ``input`` would go in ``sorted_sequence`` (its last dim, row by row)."""
    side = side or ("right" if right else "left")
    scalar = not isinstance(input, Tensor)
    values = numpy.asarray(input if scalar else input._data)
    sequence = sorted_sequence._data
    if sorter is not None:
        sequence = numpy.take_along_axis(sequence, sorter._data, -1)
    if sequence.ndim == 1:
        found = numpy.searchsorted(sequence, values, side=side)
    else:
        if sequence.shape[:-1] != values.shape[:-1]:
            raise RuntimeError(
                "torch.searchsorted(): boundaries tensor should be 1 dimension or the first N-1 "
                "dimensions of boundaries tensor and input value tensor must match, but we got "
                f"boundaries tensor {list(sequence.shape)} and input value tensor "
                f"{list(values.shape)}"
            )
        rows = sequence.reshape(-1, sequence.shape[-1])
        wanted = values.reshape(len(rows), -1)
        found = numpy.stack([numpy.searchsorted(r, w, side=side) for r, w in zip(rows, wanted)])
        found = found.reshape(values.shape)
    return wrap(numpy.asarray(found, numpy.int32 if out_int32 else numpy.int64))


def bucketize(input, boundaries, *, out_int32=False, right=False):
    if boundaries.ndim != 1:
        raise RuntimeError(f"boundaries tensor must be 1 dimension, but got dim({boundaries.ndim})")
    return searchsorted(boundaries, input, out_int32=out_int32, right=right)


def histc(input, bins=100, min=0, max=0):
    data = input._data
    if data.dtype.kind != "f":
        raise _not_implemented("histogram_cpu", input)
    low, high = float(min), float(max)
    if low == high and data.size:
        low, high = float(data.min()), float(data.max())
    if low == high:  # PyTorch widens an empty range by one on each side
        low, high = low - 1, high + 1
    if low > high:
        raise RuntimeError("torch.histc: max must be larger than min")
    inside = data[(data >= low) & (data <= high)]
    counts, _ = numpy.histogram(inside, bins=bins, range=(low, high))
    return wrap(counts.astype(data.dtype))


def bincount(input, weights=None, minlength=0):
    data = input._data
    if data.dtype.kind not in "iu":
        raise _not_implemented("bincount_cpu", input)
    if data.ndim != 1 or (data.size and data.min() < 0):
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    if weights is None:
        return wrap(numpy.bincount(data, minlength=minlength).astype(numpy.int64))
    w = weights._data
    # float weights count in their own dtype; any other weights in float64
    d = w.dtype if w.dtype in (numpy.float32, numpy.float64) else numpy.float64
    return wrap(numpy.bincount(data, weights=w, minlength=minlength).astype(d))


def count_nonzero(input, dim=None):
    axis = _axes(dim, input.ndim)
    return wrap(numpy.asarray(numpy.count_nonzero(input._data, axis=axis), numpy.int64))


def _broadcast_shape(*shapes):
    """The shape ``shapes`` broadcast to, or PyTorch's error naming the first pair that does not
    broadcast and, from the right, the first dim where they differ."""
    a = shapes[0]
    for b in shapes[1:]:
        for i in range(1, builtins.min(len(a), len(b)) + 1):
            if a[-i] != b[-i] and a[-i] != 1 and b[-i] != 1:
                raise RuntimeError(
                    f"The size of tensor a ({a[-i]}) must match the size of tensor b ({b[-i]}) "
                    f"at non-singleton dimension {builtins.max(len(a), len(b)) - i}"
                )
        a = numpy.broadcast_shapes(a, b)
    return a


def masked_select(input, mask):
    mask = as_tensor_operand(mask)
    if mask._data.dtype != bool:
        raise RuntimeError("masked_select: expected BoolTensor for mask")
    _broadcast_shape(mask.shape, input.shape)
    return apply(I.masked_select, input, mask._data)


def lerp(input, end, weight):
    for name, other in (("end", end), ("weight", weight)):
        if isinstance(other, Tensor) and other._data.dtype != input._data.dtype:
            raise RuntimeError(
                f"expected dtype {_type_name(input)} for `{name}` but got dtype {_type_name(other)}"
            )
    if input._data.dtype.kind != "f":
        kernel = "lerp_kernel_tensor" if isinstance(weight, Tensor) else "lerp_kernel_scalar"
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{_type_name(input, True)}'")
    tensors = [t for t in (input, end, weight) if isinstance(t, Tensor)]
    _broadcast_shape(*(t.shape for t in tensors))
    if isinstance(weight, Tensor):
        return apply(E.lerp_tensor, input, end, weight)
    return apply(E.lerp, input, end, weight)


def _not_implemented(kernel, t):
    """PyTorch's error for a kernel without a loop for ``t``'s dtype."""
    return NotImplementedError(f"\"{kernel}\" not implemented for '{_type_name(t, True)}'")


def _type_name(t, title=False):
    """PyTorch's short dtype name in messages: ``double``, ``float`` (``Double`` with title)."""
    name = _SCALAR_NAMES[t._data.dtype.name]
    return name.title() if title else name


_SCALAR_NAMES = {
    "float64": "double",
    "float32": "float",
    "float16": "half",
    "int64": "long",
    "int32": "int",
    "int16": "short",
    "int8": "char",
    "uint8": "byte",
    "bool": "bool",
}


# ----- reductions ----------------------------------------------------------------------------


def _axes(dim, ndim, name="dim"):
    """A PyTorch ``dim`` argument (None, an int, or a sequence) as a NumPy axis."""
    if dim is None:
        return None
    if isinstance(dim, (list, tuple)):
        if len(dim) == 0:
            return None
        axes = tuple(_dim(d, ndim) for d in dim)
        if len(set(axes)) != len(axes):
            raise RuntimeError(f"dim {list(dim)} appears multiple times in the list of dims")
        return axes
    return _dim(dim, ndim)


# A full sum's VJP is the broadcast alone (spread's general case reshapes first).
_SUM_ALL = renamed(
    R.sum, "SumBackward0", vjps=(lambda xp, g, a, axis, keepdims, out: xp.broadcast_to(g, a.shape),)
)
_MEAN_ALL = renamed(R.mean, "MeanBackward0")
_PROD_ALL = renamed(R.prod, "ProdBackward0")
_MAX_ALL = renamed(R.amax, "MaxBackward1", vjps=(R.extreme_all_vjp,))
_MIN_ALL = renamed(R.amin, "MinBackward1", vjps=(R.extreme_all_vjp,))


def _reduction_input(input, dtype):
    input = input if isinstance(input, Tensor) else as_tensor_operand(input)
    if dtype is not None:
        input = _cast(input, dtypes.as_dtype(dtype).numpy)
    elif input._data.dtype.kind in "biu" and input._data.dtype != numpy.int64:
        input = _cast(input, numpy.int64)  # PyTorch sums integers and bools as int64
    return input


def sum(input, dim=None, keepdim=False, *, dtype=None):
    if dim is None and dtype is None and isinstance(input, Tensor):
        if input._data.dtype.kind == "f":  # loss.sum(): nothing to convert
            return apply_unary(_SUM_ALL, input, None, keepdim)
    input = _reduction_input(input, dtype)
    axis = _axes(dim, input.ndim)
    return apply_unary(_SUM_ALL if axis is None else R.sum, input, axis, keepdim)


def mean(input, dim=None, keepdim=False, *, dtype=None):
    if dtype is not None:
        input = _cast(input, dtypes.as_dtype(dtype).numpy)
    _needs_float(input, "mean")
    axis = _axes(dim, input.ndim)
    return apply_unary(_MEAN_ALL if axis is None else R.mean, input, axis, keepdim)


def prod(input, dim=None, keepdim=False, *, dtype=None):
    input = _reduction_input(input, dtype)
    axis = None if dim is None else _dim(dim, input.ndim)
    return apply(_PROD_ALL if axis is None else R.prod, input, axis, keepdim)


def _correction(unbiased, correction):
    if correction is not None:
        return correction
    return 1 if unbiased is None or unbiased else 0


def var(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    if isinstance(dim, bool):  # var(x, False): the old positional 'unbiased'
        dim, unbiased = None, dim
    _needs_float(input, "var")
    return apply(R.var, input, _axes(dim, input.ndim), _correction(unbiased, correction), keepdim)


def std(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    if isinstance(dim, bool):
        dim, unbiased = None, dim
    _needs_float(input, "std")
    return apply(R.std, input, _axes(dim, input.ndim), _correction(unbiased, correction), keepdim)


def var_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return (var(input, dim, unbiased, keepdim, correction=correction), mean(input, dim, keepdim))


def std_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return (std(input, dim, unbiased, keepdim, correction=correction), mean(input, dim, keepdim))


def _empty_check(input, name, dim=None, whole=RuntimeError):
    """PyTorch's errors for a max/min/argmax over nothing: over the whole of an empty tensor
    (``whole``: the error class PyTorch uses for ``name``), or along a dim of size 0."""
    shape = input._data.shape
    if input._data.size != 0:
        return
    if dim is None:
        raise whole(
            f"{name}(): Expected reduction dim to be specified for input.numel() == 0. "
            "Specify the reduction dim with the 'dim' argument."
        )
    for d in dim if isinstance(dim, tuple) else (dim,):
        if shape[d] == 0:
            raise IndexError(f"{name}(): Expected reduction dim {d} to have non-zero size.")


def _extreme(name, full_op, dim_op, find, elementwise):
    result_type = _return_type(name)

    def function(input, dim=None, keepdim=False):
        if isinstance(dim, Tensor):  # max(a, b): the elementwise form
            return elementwise(input, dim)
        if dim is None:
            _empty_check(input, name)
            return apply(full_op, input, None, False)
        axis = _dim(dim, input.ndim)
        _empty_check(input, name, axis)
        values = apply(dim_op, input, axis, keepdim)
        indices = wrap(find(input._data, axis, keepdims=keepdim).astype(numpy.int64))
        return result_type(values, indices)

    function.__name__ = name
    return function


max = _extreme("max", _MAX_ALL, R.max_dim, numpy.argmax, maximum)
min = _extreme("min", _MIN_ALL, R.min_dim, numpy.argmin, minimum)


def amax(input, dim=(), keepdim=False):
    axis = _axes(dim, input.ndim)
    _empty_check(input, "amax", axis)
    return apply(R.amax, input, axis, keepdim)


def amin(input, dim=(), keepdim=False):
    axis = _axes(dim, input.ndim)
    _empty_check(input, "amin", axis)
    return apply(R.amin, input, axis, keepdim)


def _no_bool(input, name):
    if input._data.dtype == bool:
        raise RuntimeError(f"{name}(): does not support bool input")


def argmax(input, dim=None, keepdim=False):
    _no_bool(input, "argmax")
    axis = None if dim is None else _dim(dim, input.ndim)
    _empty_check(input, "argmax", axis, IndexError)
    result = numpy.argmax(input._data, axis=axis, keepdims=keepdim)
    return wrap(numpy.asarray(result, dtype=numpy.int64))


def argmin(input, dim=None, keepdim=False):
    _no_bool(input, "argmin")
    axis = None if dim is None else _dim(dim, input.ndim)
    _empty_check(input, "argmin", axis, IndexError)
    result = numpy.argmin(input._data, axis=axis, keepdims=keepdim)
    return wrap(numpy.asarray(result, dtype=numpy.int64))


def logsumexp(input, dim, keepdim=False):
    if input._data.dtype.kind != "f":  # integers are promoted, as in PyTorch
        input = _cast(input, dtypes.get_default_dtype().numpy)
    return apply(R.logsumexp, input, _axes(dim, input.ndim), keepdim)


def norm(input, p="fro", dim=None, keepdim=False, dtype=None):
    if dtype is not None:
        input = _cast(input, dtypes.as_dtype(dtype).numpy)
    _needs_float(input, "norm")
    if p in ("fro", None):
        p = 2
    if p == "nuc" or isinstance(p, str):
        raise RuntimeError(f"norm: p='{p}' is not supported by ember (use p=2, 1, inf or a number)")
    return apply(R.norm, input, float(p), _axes(dim, input.ndim), keepdim)


def cumsum(input, dim, *, dtype=None):
    input = _reduction_input(input, dtype)
    return apply(R.cumsum, input, _dim(dim, builtins.max(input.ndim, 1)))  # 0-d: dim 0 or -1


def cumprod(input, dim, *, dtype=None):
    input = _reduction_input(input, dtype)
    return apply(R.cumprod, input, _dim(dim, builtins.max(input.ndim, 1)))


def _needs_float_or_dtype(input, name):
    if input._data.dtype.kind != "f":
        raise NotImplementedError(
            f"\"{name}\" not implemented for '{input.dtype}' (pass dtype=, e.g. "
            f"{name}(x, dim, dtype=ember.float32))"
        )


def softmax(input, dim=None, dtype=None, _stacklevel=3):
    if dtype is not None:
        input = _cast(input, dtypes.as_dtype(dtype).numpy)
    _needs_float_or_dtype(input, "softmax")
    dim = _implicit_dim(input, dim, "softmax", _stacklevel)
    return apply(R.softmax, input, _dim(dim, input.ndim))


def log_softmax(input, dim=None, dtype=None, _stacklevel=3):
    if dtype is not None:
        input = _cast(input, dtypes.as_dtype(dtype).numpy)
    _needs_float_or_dtype(input, "log_softmax")
    dim = _implicit_dim(input, dim, "log_softmax", _stacklevel)
    return apply(R.log_softmax, input, _dim(dim, input.ndim))


def _implicit_dim(input, dim, name, stacklevel):
    """``dim``, or PyTorch's legacy choice when it is omitted, with PyTorch's warning: the choice
    is rarely the class dim a user means for a batch of 3-D inputs."""
    if dim is not None:
        return dim
    warnings.warn(
        f"Implicit dimension choice for {name} has been deprecated. "
        "Change the call to include dim=X as an argument.",
        stacklevel=stacklevel,
    )
    return 0 if input.ndim in (0, 1, 3) else 1


def _logical_reduction(reduce, input, dim, keepdim):
    result = numpy.asarray(reduce(input._data, axis=_axes(dim, input.ndim), keepdims=keepdim))
    if input._data.dtype == numpy.uint8:  # PyTorch keeps uint8 (its old bool type)
        result = result.astype(numpy.uint8)
    return wrap(result)


def all(input, dim=None, keepdim=False):
    return _logical_reduction(numpy.all, input, dim, keepdim)


def any(input, dim=None, keepdim=False):
    return _logical_reduction(numpy.any, input, dim, keepdim)


def _same_dtypes(input, other):
    if input._data.dtype != other._data.dtype:
        raise RuntimeError(f"{_type_name(input, True)} did not match {_type_name(other, True)}")


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    _check_tensors("allclose", input, other)
    _same_dtypes(input, other)
    return bool(numpy.allclose(_array(input), _array(other), rtol, atol, equal_nan))


def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    _check_tensors("isclose", input, other)
    _same_dtypes(input, other)
    return wrap(numpy.isclose(_array(input), _array(other), rtol, atol, equal_nan))


def equal(input, other):
    _check_tensors("equal", input, other)
    return input.shape == other.shape and bool(numpy.array_equal(_array(input), _array(other)))


# ----- linear algebra ------------------------------------------------------------------------


def _shape_text(t):
    return "x".join(str(n) for n in t.shape)


def _same_dtype(name, a, b):
    if a._data.dtype != b._data.dtype:
        raise RuntimeError(
            f"{name}: expected both arguments to have the same dtype, but got: "
            f"{a.dtype} != {b.dtype}"
        )


def _check_dims(name, t, dims, what):
    if not isinstance(t, Tensor):
        raise TypeError(f"{name}(): {what} must be Tensor, not {builtins.type(t).__name__}")
    if t.ndim != dims:
        raise RuntimeError(
            f"{name}: {what} must be a {dims}D tensor, got a {t.ndim}D tensor "
            f"of shape {list(t.shape)}"
        )


_mm = binary_function(L.mm)


def mm(input, mat2):
    try:
        a, b = input._data, mat2._data
    except AttributeError:  # not a tensor: _check_dims raises PyTorch's TypeError naming it
        _check_dims("mm", input, 2, "self")
        _check_dims("mm", mat2, 2, "mat2")
        raise
    if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[0] or a.dtype is not b.dtype:
        _check_dims("mm", input, 2, "self")
        _check_dims("mm", mat2, 2, "mat2")
        if input.shape[1] != mat2.shape[0]:
            raise RuntimeError(
                f"mat1 and mat2 shapes cannot be multiplied ({_shape_text(input)} and "
                f"{_shape_text(mat2)})"
            )
        _same_dtype("mm", input, mat2)
    return _mm(input, mat2)


def bmm(input, mat2):
    _check_dims("bmm", input, 3, "batch1")
    _check_dims("bmm", mat2, 3, "batch2")
    if input.shape[0] != mat2.shape[0] or input.shape[2] != mat2.shape[1]:
        raise RuntimeError(
            f"Expected size for first two dimensions of batch2 tensor to be: "
            f"[{input.shape[0]}, {input.shape[2]}] but got: [{mat2.shape[0]}, {mat2.shape[1]}]."
        )
    _same_dtype("bmm", input, mat2)
    return apply(L.bmm, input, mat2)


def mv(input, vec):
    _check_dims("mv", input, 2, "matrix")
    _check_dims("mv", vec, 1, "vector")
    if input.shape[1] != vec.shape[0]:
        raise RuntimeError(
            f"size mismatch, got input ({input.shape[0]}), mat ({_shape_text(input)}), "
            f"vec ({vec.shape[0]})"
        )
    _same_dtype("mv", input, vec)
    return apply(L.mv, input, vec)


def dot(input, other):
    _check_dims("dot", input, 1, "1st argument")
    _check_dims("dot", other, 1, "2nd argument")
    if input.shape[0] != other.shape[0]:
        raise RuntimeError(
            f"inconsistent tensor size, expected tensor [{input.shape[0]}] and src "
            f"[{other.shape[0]}] to have the same number "
            f"of elements, but got {input.shape[0]} and {other.shape[0]} elements respectively"
        )
    _same_dtype("dot", input, other)
    if input._data.dtype == bool:
        raise NotImplementedError("\"dot\" not implemented for 'Bool'")
    return apply(L.dot, input, other)


def matmul(input, other):
    input, other = as_tensor_operand(input), as_tensor_operand(other)
    if input._data.dtype == bool or other._data.dtype == bool:
        raise NotImplementedError("\"matmul\" not implemented for 'Bool'")
    if input.ndim == 0 or other.ndim == 0:
        raise RuntimeError(
            f"both arguments to matmul need to be at least 1D, but they are {input.ndim}D "
            f"and {other.ndim}D"
        )
    if input.ndim == 2 and other.ndim == 2:
        return mm(input, other)
    if input.ndim == 2 and other.ndim == 1:
        return mv(input, other)
    if input.ndim == 1 and other.ndim == 1:
        return dot(input, other)
    k_a = input.shape[-1]
    k_b = other.shape[-2] if other.ndim > 1 else other.shape[0]
    if k_a != k_b:
        a2 = input.shape if input.ndim > 1 else (1, k_a)
        raise RuntimeError(
            f"mat1 and mat2 shapes cannot be multiplied ({_shape_text_of(a2)} and "
            f"{_shape_text(other)})"
        )
    _same_dtype("matmul", input, other)
    try:
        return apply(L.matmul, input, other)
    except ValueError as error:
        raise RuntimeError(
            f"matmul: batch dimensions of shapes {list(input.shape)} and {list(other.shape)} "
            "cannot be broadcast together"
        ) from error


def _shape_text_of(shape):
    return "x".join(str(n) for n in shape)


def outer(input, vec2):
    _check_dims("outer", input, 1, "input")
    _check_dims("outer", vec2, 1, "vec2")
    input, vec2 = _promote(input, vec2)
    return apply(L.outer, input, vec2)


ger = outer


def addmm(input, mat1, mat2, *, beta=1, alpha=1):
    _check_mm(mat1, mat2)
    return _broadcasting("addmm", L.addmm, input, mat1, mat2, beta, alpha)


def _check_mm(mat1, mat2):
    _check_dims("addmm", mat1, 2, "mat1")
    _check_dims("addmm", mat2, 2, "mat2")
    if mat1.shape[1] != mat2.shape[0]:
        raise RuntimeError(
            f"mat1 and mat2 shapes cannot be multiplied ({_shape_text(mat1)} and "
            f"{_shape_text(mat2)})"
        )


def _broadcasting(name, op, input, a, b, beta, alpha):
    try:
        return apply(op, input, a, b, beta, alpha)
    except ValueError as error:
        raise RuntimeError(
            f"{name}: input of shape {list(input.shape)} cannot be broadcast to the product's shape"
        ) from error


def addmv(input, mat, vec, *, beta=1, alpha=1):
    _check_dims("addmv", mat, 2, "mat")
    _check_dims("addmv", vec, 1, "vec")
    if mat.shape[1] != vec.shape[0]:
        raise RuntimeError(
            f"size mismatch, got input ({input.shape[0] if input.ndim else 1}), "
            f"mat ({_shape_text(mat)}), vec ({vec.shape[0]})"
        )
    return _broadcasting("addmv", L.addmv, input, mat, vec, beta, alpha)


def addr(input, vec1, vec2, *, beta=1, alpha=1):
    _check_dims("addr", vec1, 1, "vec1")
    _check_dims("addr", vec2, 1, "vec2")
    return _broadcasting("addr", L.addr, input, vec1, vec2, beta, alpha)


def einsum(equation, *operands):
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    if not isinstance(equation, str) or not operands:
        raise ValueError(
            "einsum(): must specify the equation string and at least one operand, or at least "
            "one operand and its subscripts list"
        )
    if "->" not in equation:  # implicit output: the letters that appear once, sorted
        letters = equation.replace(",", "").replace(" ", "").replace(".", "")
        equation += (
            "->"
            + ("..." if "..." in equation else "")
            + "".join(sorted(c for c in set(letters) if letters.count(c) == 1))
        )
    kinds = {o._data.dtype for o in operands if isinstance(o, Tensor)}
    if len(kinds) > 1:
        names = sorted(str(dtypes.from_numpy_dtype(k)) for k in kinds)
        raise RuntimeError(f"einsum(): operands must have one dtype, got {', '.join(names)}")
    try:
        return apply(L.einsum, equation, *operands)
    except ValueError as error:
        raise RuntimeError(
            f"einsum(): {error} (equation '{equation}', operand shapes "
            f"{[list(o.shape) for o in operands]})"
        ) from None


def tensordot(a, b, dims=2):
    """Contract ``dims`` (a count of trailing/leading dims, or two lists) as one matrix product."""
    if isinstance(dims, Tensor):
        dims = dims.tolist()
    if isinstance(dims, int):
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        if dims > a.ndim or dims > b.ndim:
            raise RuntimeError(f"tensordot expects dims < ndim_a or ndim_b, but got dims={dims}")
        dims = (list(range(-dims, 0)), list(range(dims)))
    dims_a, dims_b = ([d] if isinstance(d, int) else list(d) for d in dims)
    if len(dims_a) != len(dims_b):
        raise RuntimeError("both dimension lists should have same length")
    if a._data.dtype != b._data.dtype:
        raise RuntimeError("both inputs should have same dtype")
    for da, db in zip(dims_a, dims_b):
        if a.shape[da] != b.shape[db]:
            raise RuntimeError(
                f"contracted dimensions need to match, but first has size {a.shape[da]} in dim "
                f"{da} and second has size {b.shape[db]} in dim {db}"
            )
    dims_a = [_dim(d, a.ndim) for d in dims_a]
    dims_b = [_dim(d, b.ndim) for d in dims_b]
    free_a = [d for d in range(a.ndim) if d not in dims_a]
    free_b = [d for d in range(b.ndim) if d not in dims_b]
    inner = builtins.int(numpy.prod([a.shape[d] for d in dims_a]))
    left = reshape(permute(a, *free_a, *dims_a), -1, inner)
    right = reshape(permute(b, *dims_b, *free_b), inner, -1)
    shape = [a.shape[d] for d in free_a] + [b.shape[d] for d in free_b]
    return reshape(mm(left, right), shape)


def inner(input, other):
    _check_tensors("inner", input, other)
    if input.ndim == 0 or other.ndim == 0:
        return mul(input, other)
    if input.shape[-1] != other.shape[-1]:
        raise RuntimeError(
            "inner() the last dimension must match on both input tensors but got shapes "
            f"{list(input.shape)} and {list(other.shape)}"
        )
    return tensordot(input, other, ([-1], [-1]))


_unsafe_view = renamed(S.reshape, "UnsafeViewBackward0")


def kron(input, other):
    _check_tensors("kron", input, other)
    # Every pair of elements multiplied, laid out block by block: interleave the dims of a and b
    # (a's sizes with 1s between, b's after 1s), broadcast, and merge each pair of dims.
    n = builtins.max(input.ndim, other.ndim)
    shape_a = (1,) * (n - input.ndim) + tuple(input.shape)
    shape_b = (1,) * (n - other.ndim) + tuple(other.shape)
    product = mul(
        reshape(input, [m for size in shape_a for m in (size, 1)]),
        reshape(other, [m for size in shape_b for m in (1, size)]),
    )
    return apply(_unsafe_view, product, tuple(x * y for x, y in zip(shape_a, shape_b)))


def baddbmm(input, batch1, batch2, *, beta=1, alpha=1):
    _check_dims("baddbmm", batch1, 3, "batch1")
    _check_dims("baddbmm", batch2, 3, "batch2")
    shape = (batch1.shape[0], batch1.shape[1], batch2.shape[2])
    input = expand(input, shape)  # PyTorch broadcasts the input only, not the product
    _check_batches(batch1, batch2)
    _same_dtype("baddbmm", batch1, batch2)
    _same_dtype("baddbmm", input, batch1)
    return apply(L.baddbmm, input, batch1, batch2, beta, alpha)


def addbmm(input, batch1, batch2, *, beta=1, alpha=1):
    _check_dims("addbmm", batch1, 3, "batch1")
    _check_dims("addbmm", batch2, 3, "batch2")
    input = expand(input, (batch1.shape[1], batch2.shape[2]))
    _check_batches(batch1, batch2)
    _same_dtype("addbmm", batch1, batch2)
    _same_dtype("addbmm", input, batch1)
    return apply(L.addbmm, input, batch1, batch2, beta, alpha)


def _check_batches(batch1, batch2):
    if batch1.shape[0] != batch2.shape[0]:
        raise RuntimeError(
            "batch1 and batch2 must have same number of batches, got "
            f"{batch1.shape[0]} and {batch2.shape[0]}"
        )
    if batch1.shape[2] != batch2.shape[1]:
        raise RuntimeError(
            f"Incompatible matrix sizes for bmm ({batch1.shape[1]}x{batch1.shape[2]} and "
            f"{batch2.shape[1]}x{batch2.shape[2]})"
        )


def _multi_dot(tensors):
    """``tensors[0] @ tensors[1] @ ...`` in the order that costs the fewest multiplications
    (the first and last may be vectors)."""
    n = len(tensors)
    if n < 2:
        raise RuntimeError(f"multi_dot(): expected at least 2 tensors but got {n}")
    first, last = tensors[0], tensors[-1]
    for i, t in enumerate(tensors):
        if i in (0, n - 1) and t.ndim not in (1, 2):
            which = "first" if i == 0 else "last"
            raise RuntimeError(
                f"multi_dot(): the {which} tensor must be 1D or 2D but got {t.ndim}D"
            )
        if 0 < i < n - 1 and t.ndim != 2:
            raise RuntimeError(f"multi_dot(): tensor {i} must be 2D but got {t.ndim}D")
        if t._data.dtype != first._data.dtype:
            raise RuntimeError(
                f"multi_dot(): all tensors must have be the same dtype but tensor 0 is "
                f"{_type_name(first, False)} and tensor {i} {_type_name(t, False)}"
            )
    matrices = list(tensors)
    if first.ndim == 1:
        matrices[0] = unsqueeze(first, 0)
    if last.ndim == 1:
        matrices[-1] = unsqueeze(last, 1)
    for i in range(n - 1):
        if matrices[i].shape[1] != matrices[i + 1].shape[0]:
            raise RuntimeError(
                f"multi_dot(): tensors {i} and {i + 1} with shapes {list(tensors[i].shape)} and "
                f"{list(tensors[i + 1].shape)} cannot be multiplied"
            )
    result = _chain_product(matrices)
    shape = [first.shape[0]] * (first.ndim == 2) + [last.shape[-1]] * (last.ndim == 2)
    return reshape(result, shape)


def _chain_product(matrices):
    # The classic matrix-chain dynamic programme: cost[i][j] is the fewest multiplications for
    # matrices[i..j], split[i][j] where that product splits.
    sizes = [m.shape[0] for m in matrices] + [matrices[-1].shape[1]]
    n = len(matrices)
    cost = [[0] * n for _ in range(n)]
    split = [[0] * n for _ in range(n)]
    for length in range(1, n):
        for i in range(n - length):
            j = i + length
            cost[i][j], split[i][j] = builtins.min(
                (cost[i][k] + cost[k + 1][j] + sizes[i] * sizes[k + 1] * sizes[j + 1], k)
                for k in range(i, j)
            )

    def product(i, j):
        if i == j:
            return matrices[i]
        k = split[i][j]
        return mm(product(i, k), product(k + 1, j))

    return product(0, n - 1)


def chain_matmul(*matrices):
    warnings.warn(
        "torch.chain_matmul is deprecated and will be removed in a future PyTorch release. "
        "Use torch.linalg.multi_dot instead, which accepts a list of two or more tensors rather "
        "than multiple parameters.",
        UserWarning,
        stacklevel=2,
    )
    if not matrices:
        raise RuntimeError("chain_matmul(): Expected one or more matrices")
    for t in matrices:
        _check_dims("chain_matmul", t, 2, "tensor")
    if len(matrices) == 1:
        return clone(matrices[0])
    return _multi_dot(matrices)


def _linalg_cross(input, other, dim=-1):
    if input.ndim != other.ndim:
        raise RuntimeError(
            f"linalg.cross: inputs must have the same number of dimensions. Got {input.ndim} "
            f"and {other.ndim}"
        )
    shape = _broadcast_shape(input.shape, other.shape)
    d = _dim(dim, len(shape))
    if input.shape[d] != 3 or other.shape[d] != 3:
        raise RuntimeError(
            f"linalg.cross: inputs dimension {dim} must have length 3. Got {input.shape[d]} and "
            f"{other.shape[d]}"
        )
    input, other = _promote(input, other)
    return apply(L.cross, input, other, d)


def cross(input, other, dim=None):
    _check_tensors("cross", input, other)
    if dim is None:
        warnings.warn(
            "Using torch.cross without specifying the dim arg is deprecated.\n"
            "Please either pass the dim explicitly or simply use torch.linalg.cross.\n"
            "The default value of dim will change to agree with that of linalg.cross in a "
            "future release.",
            UserWarning,
            stacklevel=2,
        )
        shape = _broadcast_shape(input.shape, other.shape)
        dim = next((i for i, n in enumerate(shape) if n == 3), None)
        if dim is None:
            raise RuntimeError("no dimension of size 3 in input")
    return _linalg_cross(input, other, dim)


def diagonal(input, offset=0, dim1=0, dim2=1):
    d1, d2 = _dim(dim1, input.ndim), _dim(dim2, input.ndim)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    return apply(S.diagonal, input, offset, d1, d2)


def transpose(input, dim0, dim1):
    n = input.ndim
    return apply(S.transpose, input, _dim(dim0, n), _dim(dim1, n))


swapaxes = swapdims = transpose
_T = renamed(S.transpose, "TBackward0")
_T_FEW = renamed(S.permute, "TBackward0")  # t() of a vector or a scalar: the same values


def t(input):
    few, extra = _t_arguments(input, "t")
    return apply(_T_FEW if few else _T, input, *extra)


def _t_arguments(input, name):
    """Whether ``input`` has fewer than 2 dims (t() is then a view of the same values, on the
    graph as PyTorch's), and the constants of the op."""
    if input.ndim > 2:
        raise RuntimeError(
            f"{name}() expects a tensor with <= 2 dimensions, but self is {input.ndim}D"
        )
    if input.ndim < 2:
        return True, (tuple(range(input.ndim)),)
    return False, (0, 1)


def permute(input, *dims):
    dims = _sizes(dims)
    if len(dims) != input.ndim:
        raise RuntimeError(
            f"permute(sparse_coo): number of dimensions in the tensor input does not match the "
            f"length of the desired ordering of dimensions i.e. input.dim() = {input.ndim} is not "
            f"equal to len(dims) = {len(dims)}"
        )
    axes = tuple(_dim(d, input.ndim) for d in dims)
    if len(set(axes)) != len(axes):
        raise RuntimeError("permute(): duplicate dims are not allowed.")
    return apply(S.permute, input, axes)


# ----- shapes --------------------------------------------------------------------------------


def _sizes(args):
    """``f(2, 3)`` and ``f((2, 3))`` both mean the sizes (2, 3)."""
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        return tuple(int(a) for a in args[0])
    return tuple(int(a) for a in args)


def _infer_shape(shape, numel):
    if shape.count(-1) > 1:
        raise RuntimeError("only one dimension can be inferred")
    known = 1
    for n in shape:
        if n != -1:
            known *= n
    if -1 in shape:
        if known == 0 or numel % known:
            raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
        return tuple(numel // known if n == -1 else n for n in shape)
    if known != numel:
        raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
    return shape


def reshape(input, *shape):
    return apply(S.reshape, input, _infer_shape(_sizes(shape), input._data.size))


def view(input, *shape):
    if len(shape) == 1 and isinstance(shape[0], dtypes.dtype):
        return wrap(input._data.view(shape[0].numpy))
    shape = _infer_shape(_sizes(shape), input._data.size)
    try:
        return apply(S.view, input, shape)
    except AttributeError:
        raise RuntimeError(
            "view size is not compatible with input tensor's size and stride (at least one "
            "dimension spans across two contiguous subspaces). Use .reshape(...) instead."
        ) from None


def view_as(input, other):
    return view(input, other.shape)


def reshape_as(input, other):
    return reshape(input, other.shape)


def flatten(input, start_dim=0, end_dim=-1):
    if input.ndim == 0:
        return reshape(input, 1)
    start, end = _dim(start_dim, input.ndim), _dim(end_dim, input.ndim)
    if start > end:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    shape = input.shape
    return reshape(input, shape[:start] + (-1,) + shape[end + 1 :])


def unflatten(input, dim, sizes):
    d = _dim(dim, input.ndim)
    shape = input.shape
    return reshape(input, shape[:d] + tuple(sizes) + shape[d + 1 :])


# PyTorch names squeeze() apart by how the dims are given: none, one, or a tuple of them (and
# the in-place squeeze_ likewise, as Backward3, 4, 5).
_SQUEEZE = {
    "all": renamed(S.squeeze, "SqueezeBackward0"),
    "dim": S.squeeze,
    "dims": renamed(S.squeeze, "SqueezeBackward2"),
}
_SQUEEZE_ = {kind: renamed(S.squeeze, f"SqueezeBackward{i}") for i, kind in enumerate(_SQUEEZE, 3)}


def _squeezed_axes(input, dim):
    """How ``dim`` was given ("all", "dim", "dims") and the axes of size 1 it names."""
    if dim is None:
        return "all", tuple(i for i, n in enumerate(input.shape) if n == 1)
    kind, dims = ("dims", dim) if isinstance(dim, (tuple, list)) else ("dim", (dim,))
    if input.ndim == 0:  # nothing to squeeze; dim may still be 0 or -1, as in PyTorch
        for d in dims:
            _dim(d, 1)
        return kind, ()
    return kind, tuple(d for d in (_dim(d, input.ndim) for d in dims) if input.shape[d] == 1)


def squeeze(input, dim=None):
    kind, axis = _squeezed_axes(input, dim)
    return apply(_SQUEEZE[kind], input, axis)


def unsqueeze(input, dim):
    return apply(S.unsqueeze, input, _dim(dim, input.ndim + 1))


# ----- in-place view ops: the same memory seen with new sizes and strides -----------------------

_T_ = {False: renamed(_T, "TBackward1"), True: renamed(_T_FEW, "TBackward1")}
_TRANSPOSE_ = renamed(S.transpose, "TransposeBackward1")
_UNSQUEEZE_ = renamed(S.unsqueeze, "UnsqueezeBackward1")


def _restride(self, op, extra, undo):
    """Make ``self`` the view ``op(self, *extra)`` of itself (t_, transpose_, squeeze_,
    unsqueeze_). ``undo`` (a view op and its constants) gives the old layout back from the new
    one: views taken of self earlier are remade from self through it when self changes."""
    _check_inplace(self)
    made = getattr(self, "_view", None)
    if made is not None and STATE.enabled and self._rg:
        _check_multi_output(self, made[1])
        _check_inplace_view(made[0])
    result = apply(op, self, *extra)
    self._data = result._data
    if result._grad_fn is not None:
        self._grad_fn = result._grad_fn
    if made is not None:
        self._view = result._view
    for ref in list(getattr(self, "_views", {}).values()):
        view = ref()
        if view is not None:
            view._view = (self, (undo,) + view._view[1])
    self._vc[0] += 1
    return self


def t_(self):
    few, extra = _t_arguments(self, "t_")
    return _restride(self, _T_[few], extra, (S.permute if few else S.transpose, extra))


def transpose_(self, dim0, dim1):
    i, j = _dim(dim0, self.ndim), _dim(dim1, self.ndim)
    return _restride(self, _TRANSPOSE_, (i, j), (S.transpose, (i, j)))


def squeeze_(self, dim=None):
    kind, axis = _squeezed_axes(self, dim)
    return _restride(self, _SQUEEZE_[kind], (axis,), (S.view, (self.shape,)))


def unsqueeze_(self, dim):
    d = _dim(dim, self.ndim + 1)
    return _restride(self, _UNSQUEEZE_, (d,), (S.view, (self.shape,)))


def storage_offset(self):
    """Where ``self`` starts in the memory it shares with the tensor it is a view of, in
    elements."""
    root = self._data
    while isinstance(root.base, _ndarray):
        root = root.base
    start = self._data.__array_interface__["data"][0] - root.__array_interface__["data"][0]
    return start // self._data.itemsize


def expand(input, *sizes):
    sizes = _sizes(sizes)
    if len(sizes) < input.ndim:
        raise RuntimeError(
            f"expand({input.dtype}{{{list(input.shape)}}}, size={list(sizes)}): "
            "the number of sizes "
            f"provided ({len(sizes)}) must be greater or equal to the number of dimensions in the "
            f"tensor ({input.ndim})"
        )
    lead = len(sizes) - input.ndim
    for i, n in enumerate(sizes):
        if n == -1 and i < lead:
            raise RuntimeError(
                f"The expanded size of the tensor (-1) isn't allowed in a leading, non-existing "
                f"dimension {i}"
            )
        if n < -1:
            raise RuntimeError(f"expand: invalid size {n} at dimension {i}")
    shape = tuple(input.shape[i - lead] if n == -1 else n for i, n in enumerate(sizes))
    for i, n in enumerate(input.shape):
        if n != 1 and n != shape[lead + i]:
            raise RuntimeError(
                f"The expanded size of the tensor ({shape[lead + i]}) must match the existing size "
                f"({n}) at non-singleton dimension {lead + i}.  Target sizes: {list(sizes)}.  "
                f"Tensor sizes: {list(input.shape)}"
            )
    return apply(S.expand, input, shape)


def expand_as(input, other):
    return expand(input, other.shape)


def broadcast_to(input, shape):
    return expand(input, shape)


def repeat(input, *sizes):
    sizes = _sizes(sizes)
    if len(sizes) < input.ndim:
        raise RuntimeError(
            "Number of dimensions of repeat dims can not be smaller than number of dimensions of "
            "tensor"
        )
    return apply(S.repeat, input, sizes)


def flip(input, *dims):
    dims = _sizes(dims)  # flip(x, (0, 1)) and x.flip(0, 1)
    axes = tuple(_dim(d, input.ndim) for d in dims)
    for i, d in enumerate(axes):
        if d in axes[:i]:
            raise RuntimeError(f"dim {d} appears multiple times in the list of dims")
    return apply(S.flip, input, axes)


def _tensors(tensors, name):
    """The tensors of cat, stack and friends, checked as PyTorch checks them (a tuple or list of
    tensors, not empty) and brought to one dtype."""
    if not isinstance(tensors, (tuple, list)):
        raise TypeError(
            f"{name}(): argument 'tensors' (position 1) must be tuple of Tensors, not "
            f"{builtins.type(tensors).__name__}"
        )
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(
                f"expected Tensor as element {i} in argument 0, but got {builtins.type(t).__name__}"
            )
    if not tensors:
        if name == "cat":
            raise ValueError("cat(): expected a non-empty list of Tensors")
        raise RuntimeError(f"{name} expects a non-empty TensorList")
    d = tensors[0]._data.dtype
    if builtins.any(t._data.dtype != d for t in tensors):
        target = dtypes.result_type(*[t._data for t in tensors]).numpy
        tensors = [_cast(t, target) for t in tensors]
    return list(tensors)


def cat(tensors, dim=0):
    tensors = _tensors(tensors, "cat")
    for i, t in enumerate(tensors):
        if t.ndim == 0:
            raise RuntimeError(f"zero-dimensional tensor (at position {i}) cannot be concatenated")
    # 1-D empty tensors are left out among tensors of more dims (see ops.shape._skipped)
    legacy = [t.ndim == 1 and t.shape[0] == 0 for t in tensors]
    ref = next((t for t, skip in zip(tensors, legacy) if not skip), tensors[0])
    axis = _dim(dim, ref.ndim)
    for i, t in enumerate(tensors):
        if legacy[i]:
            continue
        if t.ndim != ref.ndim:
            raise RuntimeError(
                f"Tensors must have same number of dimensions: got {ref.ndim} and {t.ndim}"
            )
        for j, (a, b) in enumerate(zip(ref.shape, t.shape)):
            if j != axis and a != b:
                raise RuntimeError(
                    f"Sizes of tensors must match except in dimension {axis}. Expected size "
                    f"{a} but got size {b} for tensor number {i} in the list."
                )
    return apply(S.cat, axis, *tensors)


concat = concatenate = cat


def stack(tensors, dim=0):
    tensors = _tensors(tensors, "stack")
    for i, t in enumerate(tensors):
        if t.shape != tensors[0].shape:
            raise RuntimeError(
                f"stack expects each tensor to be equal size, but got {list(tensors[0].shape)} at "
                f"entry 0 and {list(t.shape)} at entry {i}"
            )
    return apply(S.stack, _dim(dim, tensors[0].ndim + 1), *tensors)


def _at_least(t, ndim):
    """PyTorch's atleast_1d/2d/3d: a 0-d tensor becomes (1,), (1, 1), (1, 1, 1); a vector (n,)
    becomes (1, n) and (1, n, 1); a matrix (m, n) becomes (m, n, 1). Made with the view ops
    PyTorch uses, so the grad_fn reads the same."""
    if t.ndim >= ndim:
        return t
    if t.ndim == 0:
        return t.reshape((1,) * ndim)
    if t.ndim == 1:
        t = t.unsqueeze(0)
        return t if ndim == 2 else t.unsqueeze(2)
    return t.unsqueeze(2)


def _at_least_function(ndim):
    name = f"atleast_{ndim}d"

    def function(*tensors):
        """One tensor, or several (or one tuple or list of them) as a tuple, with at least
        ``ndim`` dims (see _at_least)."""
        single = len(tensors) == 1 and isinstance(tensors[0], Tensor)
        if len(tensors) == 1 and isinstance(tensors[0], (tuple, list)):
            tensors = tensors[0]
        if not tensors or not builtins.all(isinstance(t, Tensor) for t in tensors):
            got = ", ".join(builtins.type(t).__name__ for t in tensors)
            raise TypeError(f"{name}() received an invalid combination of arguments - got ({got})")
        if single:
            return _at_least(tensors[0], ndim)
        return tuple(_at_least(t, ndim) for t in tensors)

    function.__name__ = function.__qualname__ = name
    return function


atleast_1d, atleast_2d, atleast_3d = (_at_least_function(n) for n in (1, 2, 3))


def hstack(tensors):
    tensors = [_at_least(t, 1) for t in _tensors(tensors, "hstack")]
    return cat(tensors, 0 if tensors[0].ndim == 1 else 1)


def vstack(tensors):
    return cat([_at_least(t, 2) for t in _tensors(tensors, "vstack")], 0)


def row_stack(tensors):
    return cat([_at_least(t, 2) for t in _tensors(tensors, "row_stack")], 0)


def dstack(tensors):
    return cat([_at_least(t, 3) for t in _tensors(tensors, "dstack")], 2)


def column_stack(tensors):
    """Vectors (and 0-d tensors) become columns; matrices are placed side by side."""
    tensors = _tensors(tensors, "column_stack")
    return cat([t.reshape(-1, 1) if t.ndim <= 1 else t for t in tensors], 1)


def _slice_along(input, dim, start, stop, op=None):
    index = (slice(None),) * dim + (slice(start, stop),)
    return input[index] if op is None else apply(op, input, index)


def split(tensor, split_size_or_sections, dim=0):
    d = _dim(dim, tensor.ndim)
    n = tensor.shape[d]
    op = _SPLIT
    if isinstance(split_size_or_sections, int):
        size = split_size_or_sections
        if size <= 0 and n > 0:
            raise RuntimeError(
                f"split_size can only be 0 if dimension size is 0, but got dimension size of {n}"
            )
        bounds = [(s, builtins.min(s + size, n)) for s in range(0, n, size)] or [(0, 0)]
    else:
        sections = list(split_size_or_sections)
        if builtins.sum(sections) != n:
            raise RuntimeError(
                f"split_with_sizes expects split_sizes to sum exactly to {n} (input tensor's size "
                f"at dimension {d}), but got split_sizes={sections}"
            )
        starts = numpy.cumsum([0] + sections).tolist()
        bounds = list(zip(starts[:-1], starts[1:]))
        op = _SPLIT_WITH_SIZES
    return _numbered(_slice_along(tensor, d, a, b, op) for a, b in bounds)


def chunk(input, chunks, dim=0):
    if chunks <= 0:
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    d = _dim(dim, input.ndim)
    n = input.shape[d]
    if n == 0:  # PyTorch gives `chunks` empty pieces
        return _numbered(_slice_along(input, d, 0, 0, _SPLIT) for _ in range(chunks))
    return split(input, -(-n // chunks), dim)


def unbind(input, dim=0):
    if input.ndim == 0:
        raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
    d = _dim(dim, input.ndim)
    return _numbered(
        apply(_UNBIND, input, (slice(None),) * d + (i, Ellipsis)) for i in range(input.shape[d])
    )


def _numbered(pieces):
    """The pieces of split, chunk or unbind, each knowing which output it is (the error for
    changing one in place names it; see _check_multi_output)."""
    pieces = tuple(pieces)
    for i, piece in enumerate(pieces):
        piece._output_nr = i
    return pieces


def narrow(input, dim, start, length):
    d = _dim(dim, input.ndim)
    size = input.shape[d]
    if isinstance(start, Tensor):
        start = start.item()
    if not -size <= start <= size:
        raise IndexError(
            f"start out of range (expected to be in range of [{-size}, {size}], but got {start})"
        )
    start = start + size if start < 0 else start
    if length < 0 or start + length > size:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size ({size}).")
    return _slice_along(input, d, start, start + length)


def clone(input, *, memory_format=None):
    return apply(S.clone, input)


def contiguous(input, memory_format=None):
    if input._data.flags.c_contiguous:
        return input
    return apply(S.clone, input)


# ----- composed from differentiable ops (autograd gives their gradients) ------------------------


def roll(input, shifts, dims=None):
    """Elements shifted along ``dims`` (the flattened tensor without dims), wrapping around."""
    if dims is None:
        return roll(input.flatten(), shifts, 0).view(input.shape)
    shifts = (shifts,) if isinstance(shifts, int) else tuple(shifts)
    dims = (dims,) if isinstance(dims, int) else tuple(dims)
    if len(shifts) != len(dims):
        raise RuntimeError(
            f"shifts and dimensions must align. shifts: {len(shifts)}, dims:{len(dims)}"
        )
    out = input
    for shift, dim in zip(shifts, dims):
        d = _dim(dim, input.ndim)
        n = input.shape[d]
        if n == 0 or shift % n == 0:
            continue
        k = shift % n
        out = cat([_slice_along(out, d, n - k, n), _slice_along(out, d, 0, n - k)], d)
    return out if out is not input else input.clone()


def diag(input, diagonal=0):
    """A vector's square diagonal matrix, or a matrix's diagonal (offset ``diagonal``)."""
    if input.ndim == 1:
        n = input.shape[0] + builtins.abs(diagonal)
        index = numpy.arange(input.shape[0])
        out = wrap(numpy.zeros((n, n), input._data.dtype))
        # Written into zeros (a product with an identity would turn an inf into nan elsewhere).
        out[wrap(index + builtins.max(-diagonal, 0)), wrap(index + builtins.max(diagonal, 0))] = (
            input
        )
        return out
    if input.ndim != 2:
        raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {input.ndim}D")
    rows, cols = input.shape
    start_row, start_col = builtins.max(-diagonal, 0), builtins.max(diagonal, 0)
    count = builtins.max(builtins.min(rows - start_row, cols - start_col), 0)
    index = numpy.arange(count)
    return input[wrap(index + start_row), wrap(index + start_col)]


def trace(input):
    if input.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {input.ndim}")
    return diag(input).sum()


def repeat_interleave(input, repeats=None, dim=None, *, output_size=None):
    """Each element repeated ``repeats`` times (an int or one count per element) along ``dim``
    (the flattened tensor without dim)."""
    if repeats is None:  # repeat_interleave(counts): the indices, each repeated by its count
        counts = _array(input)
        return wrap(numpy.repeat(numpy.arange(counts.size), counts))
    if dim is None:
        input, dim = input.flatten(), 0
    d = _dim(dim, input.ndim)
    counts = _array(repeats) if isinstance(repeats, Tensor) else repeats
    index = numpy.repeat(numpy.arange(input.shape[d]), counts)
    return index_select(input, d, wrap(index.astype(numpy.int64)))


def diff(input, n=1, dim=-1, prepend=None, append=None):
    """Differences of neighbours along ``dim``, ``n`` times over."""
    d = _dim(dim, input.ndim)
    if prepend is not None or append is not None:
        parts = [p for p in (prepend, input, append) if p is not None]
        input = cat([as_tensor_operand(p) for p in parts], d)
    for _ in range(n):
        size = input.shape[d]
        after = _slice_along(input, d, 1, size)
        before = _slice_along(input, d, 0, builtins.max(size - 1, 0))
        input = after ^ before if input._data.dtype == bool else after - before
    return input


def unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None):
    """The distinct values (sorted), and optionally where each element went and how often each
    value occurs. Not differentiable (as in PyTorch)."""
    data = _array(input)
    if dim is None:
        values, inverse, counts = numpy.unique(data, return_inverse=True, return_counts=True)
        inverse = inverse.reshape(data.shape)
    else:
        values, inverse, counts = numpy.unique(
            data, return_inverse=True, return_counts=True, axis=_dim(dim, data.ndim)
        )
        inverse = inverse.reshape(-1)
    result = [wrap(values)]
    if return_inverse:
        result.append(wrap(inverse.astype(numpy.int64)))
    if return_counts:
        result.append(wrap(counts.astype(numpy.int64)))
    return result[0] if len(result) == 1 else tuple(result)


def _triangle_indices(row, col, offset, upper, dtype):
    rows, cols = (numpy.triu_indices if upper else numpy.tril_indices)(row, offset, col)
    return wrap(numpy.stack([rows, cols]).astype(dtypes.as_dtype(dtype or dtypes.int64).numpy))


def tril_indices(row, col, offset=0, *, dtype=None, device=None, layout=None):
    return _triangle_indices(row, col, offset, False, dtype)


def triu_indices(row, col, offset=0, *, dtype=None, device=None, layout=None):
    return _triangle_indices(row, col, offset, True, dtype)


def _check_matrix(name, input):
    if input.ndim < 2:
        raise RuntimeError(f"{name}: input tensor must have at least 2 dimensions")


# A masked fill with zeros, not a multiply: inf * 0 would be nan where PyTorch gives 0.
_TRIL = renamed(I.masked_fill, "TrilBackward0")
_TRIU = renamed(I.masked_fill, "TriuBackward0")


def tril(input, diagonal=0):
    _check_matrix("tril", input)
    return apply(_TRIL, input, ~numpy.tri(*input.shape[-2:], k=diagonal, dtype=bool), 0)


def triu(input, diagonal=0):
    _check_matrix("triu", input)
    return apply(_TRIU, input, numpy.tri(*input.shape[-2:], k=diagonal - 1, dtype=bool), 0)


# ----- indexing ------------------------------------------------------------------------------

_SELECT = renamed(I.getitem, "SelectBackward0", view=True)
_SLICE = renamed(I.getitem, "SliceBackward0", view=True)
_UNSQUEEZE_INDEX = renamed(I.getitem, "UnsqueezeBackward0", view=True)
_ALIAS = renamed(I.getitem, "AliasBackward0", view=True)
# The pieces of split, chunk and unbind: slices named as PyTorch names its (one multi-output
# node there; one node per piece here, with the same gradients).
_SPLIT = renamed(_SLICE, "SplitBackward0")
_SPLIT_WITH_SIZES = renamed(_SLICE, "SplitWithSizesBackward0")
_UNBIND = renamed(_SELECT, "UnbindBackward0")
_MULTI_OUTPUT = (_SPLIT, _SPLIT_WITH_SIZES, _UNBIND)


def _index(index):
    """A PyTorch index with tensors turned into arrays, and whether it makes a view."""
    parts = index if isinstance(index, tuple) else (index,)
    converted, basic, selects = [], True, False
    for part in parts:
        if isinstance(part, Tensor):
            part = part._data
            if part.ndim == 0 and part.dtype.kind in "iu":
                part = int(part)
        elif isinstance(part, (list, tuple, range)):  # x[range(n), target]: any sequence
            part = numpy.asarray(part)
            if part.dtype.kind == "f" or (part.size == 0 and part.dtype.kind == "f"):
                part = part.astype(numpy.int64)
        if isinstance(part, _ndarray):
            basic = False
            if part.dtype.kind not in "iub":
                raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
        elif isinstance(part, numbers.Integral) and not isinstance(part, bool):
            selects, part = True, int(part)
        elif isinstance(part, slice) and part.step is not None and part.step <= 0:
            raise ValueError("step must be greater than zero")
        elif not (part is None or part is Ellipsis or isinstance(part, (slice, bool))):
            raise IndexError(
                "only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables "
                f"are valid indices (got {builtins.type(part).__name__})"
            )
        converted.append(part)
    index = tuple(converted) if isinstance(index, tuple) or len(converted) != 1 else converted[0]
    return index, basic, selects


def _ints_first(index):
    """An index mixing ints with index arrays, split in two applied one after the other: the ints
    (a view), then the arrays. PyTorch selects with ints first; NumPy would treat them as index
    arrays and, when they are not next to the others, move the result's dims to the front."""
    first, rest = [], []
    for part in index:
        if isinstance(part, int) and not isinstance(part, bool):
            first.append(part)
        elif isinstance(part, _ndarray):
            first.extend([slice(None)] * (part.ndim if part.dtype.kind == "b" else 1))
            rest.append(part)
        elif part is Ellipsis:
            first.append(part)
            rest.append(part)
        else:  # a slice, or None and True (a new dim, present by the second step)
            first.append(part)
            rest.append(slice(None))
    return tuple(first), tuple(rest)


def _check_bounds(input, index):
    parts = index if isinstance(index, tuple) else (index,)
    dim = 0
    for part in parts:
        if part is Ellipsis:
            dim = (
                input.ndim
                - builtins.sum(
                    1
                    for p in parts
                    if p is not None
                    and p is not Ellipsis
                    and not (isinstance(p, _ndarray) and p.dtype.kind == "b")
                )
                - builtins.sum(
                    p.ndim - 1 for p in parts if isinstance(p, _ndarray) and p.dtype.kind == "b"
                )
            )
            continue
        if part is None:
            continue
        if dim >= input.ndim:
            raise IndexError(f"too many indices for tensor of dimension {input.ndim}")
        size = input.shape[dim]
        if isinstance(part, int) and not -size <= part < size:
            raise IndexError(f"index {part} is out of bounds for dimension {dim} with size {size}")
        if isinstance(part, _ndarray) and part.dtype.kind in "iu" and part.size:
            if part.max() >= size or part.min() < -size:
                bad = part.max() if part.max() >= size else part.min()
                raise IndexError(
                    f"index {bad} is out of bounds for dimension {dim} with size {size}"
                )
        if isinstance(part, _ndarray) and part.dtype.kind == "b":
            if part.shape != input.shape[dim : dim + part.ndim]:
                raise IndexError(
                    f"The shape of the mask {list(part.shape)} at index {dim} does not match the "
                    f"shape of the indexed tensor {list(input.shape[dim : dim + part.ndim])}"
                )
            dim += part.ndim
            continue
        dim += 1


def getitem(input, index):
    index, basic, selects = _index(index)
    _check_bounds(input, index)
    if selects and not basic:
        first, rest = _ints_first(index)
        return getitem(getitem(input, first), rest)
    if basic:
        op = _basic_index_op(input, index)
        if selects:  # with a trailing ..., NumPy gives a 0-d view, never a detached scalar
            parts = index if isinstance(index, tuple) else (index,)
            if not builtins.any(p is Ellipsis for p in parts):
                index = parts + (Ellipsis,)
        return apply(op, input, index)
    return apply(I.getitem, input, index)


def _basic_index_op(input, index):
    """The op PyTorch's basic indexing ends with, which names its grad_fn: it applies the parts
    in order (select for an int, slice, unsqueeze for None), skips slices that take a whole dim
    within a tuple, and indexes with a bool (a copy); with nothing applied it is an alias."""
    if not isinstance(index, tuple):
        index = (index,) if isinstance(index, slice) else (index, Ellipsis)
    last, dim = _ALIAS, 0
    taken = builtins.sum(1 for p in index if p is not None and p is not Ellipsis)
    for part in index:
        if isinstance(part, bool):
            return I.getitem
        if part is Ellipsis:
            dim += input.ndim - taken
        elif part is None:
            last = _UNSQUEEZE_INDEX
        elif isinstance(part, slice):
            size = input.shape[dim]
            stop = size if part.stop is None else builtins.min(part.stop, size)
            if len(index) == 1 or (part.start or 0, stop, part.step or 1) != (0, size, 1):
                last = _SLICE
            dim += 1
        else:
            last, dim = _SELECT, dim + 1
    return last


def gather(input, dim, index):
    d = _dim(dim, input.ndim)
    index = as_tensor_operand(index)
    if index._data.dtype.kind not in "iu":
        raise RuntimeError(f"gather(): Expected dtype int64 for index, got {index.dtype}")
    if index.ndim != input.ndim:
        raise RuntimeError("Index tensor must have the same number of dimensions as input tensor")
    _check_index_fits(index, input, d, "self")
    if index._data.size and (index._data.max() >= input.shape[d] or index._data.min() < 0):
        raise RuntimeError(
            f"index {int(index._data.max())} is out of bounds for dimension {d} with size "
            f"{input.shape[d]}"
        )
    return apply(I.gather, input, d, index._data)


def _check_index_fits(index, other, dim, name, every_dim=False):
    # gather reads index.shape elements: other must have them (apart from dim).
    for i, (n, m) in enumerate(zip(index.shape, other.shape)):
        if n > m and (every_dim or i != dim):
            raise RuntimeError(
                f"Size does not match at dimension {i} expected index {list(index.shape)} to be "
                f"no larger than {name} {list(other.shape)} apart from dimension {dim}"
            )


def _out_of_bounds(index, size, low=0):
    """The first index (in order) outside ``low <= i < size``, or None."""
    bad = index[(index < low) | (index >= size)]
    return None if bad.size == 0 else int(bad.flat[0])


def _scatter_arguments(input, dim, index, src):
    """dim and index checked as PyTorch's scatter and scatter_add check them (``src`` is a
    tensor or a number)."""
    d = _dim(dim, input.ndim)
    index = as_tensor_operand(index)
    if index._data.dtype not in (numpy.int64, numpy.int32):
        raise RuntimeError("scatter(): Expected dtype int32/int64 for index")
    if isinstance(src, Tensor) and src._data.dtype != input._data.dtype:
        raise RuntimeError("scatter(): Expected self.dtype to be equal to src.dtype")
    if index.ndim != input.ndim:
        raise RuntimeError("Index tensor must have the same number of dimensions as self tensor")
    fits = builtins.all(n <= m for i, (n, m) in enumerate(zip(index.shape, input.shape)) if i != d)
    if fits and isinstance(src, Tensor):
        fits = builtins.all(n <= src.shape[_dim(i, src.ndim)] for i, n in enumerate(index.shape))
    if not fits:
        message = (
            f"Expected index {list(index.shape)} to be no larger than self {list(input.shape)} "
            f"apart from dimension {d}"
        )
        if isinstance(src, Tensor):
            message += f" and to be no larger size than src {list(src.shape)}"
        raise RuntimeError(message)
    bad = _out_of_bounds(index._data, input.shape[d])
    if bad is not None:
        raise RuntimeError(
            f"index {bad} is out of bounds for dimension {d} with size {input.shape[d]}"
        )
    return d, index._data


def scatter_add(input, dim, index, src):
    d, index = _scatter_arguments(input, dim, index, src)
    return apply(I.scatter_add, input, d, index, src)


def scatter(input, dim, index, src=None, value=None, *, reduce=None):
    """``input`` with ``src`` (a tensor, or a number ``value``) written at ``index`` along
    ``dim``; with ``reduce`` ("add", "multiply") combined with what is there instead."""
    if src is None:
        src = value
    d, index = _scatter_arguments(input, dim, index, src)
    if reduce is not None:
        if reduce not in ("add", "multiply"):
            raise RuntimeError("reduce argument must be either add or multiply.")
        return apply(I.scatter_reduce, input, d, index, src, reduce)
    if isinstance(src, Tensor):
        return apply(I.scatter, input, d, index, src)
    return apply(I.scatter_value, input, d, index, src)


def index_add(input, dim, index, source, *, alpha=1):
    d = _dim(dim, input.ndim)
    index = as_tensor_operand(index)
    if index.ndim > 1:
        raise IndexError(
            f"index_add_(): Index is supposed to be a vector, but got dim: {index.ndim} with "
            f"type: {_type_name(index, True)} and size: {list(index.shape)}"
        )
    if index._data.dtype not in (numpy.int64, numpy.int32):
        raise RuntimeError(
            f"index_add_(): Expected dtype int32/int64 for index but got: {_type_name(index, True)}"
        )
    if source._data.dtype != input._data.dtype:
        raise RuntimeError(
            f"index_add_(): self ({_type_name(input, True)}) and source "
            f"({_type_name(source, True)}) must have the same scalar type"
        )
    count = index._data.size
    along = source.shape[d] if source.ndim else 1
    if count != along:
        raise RuntimeError(
            f"index_add_(): Number of indices ({count}) should be equal to source.size(dim): "
            f"({along}), for dim: {d}"
        )
    if builtins.any(
        n != m for i, (n, m) in enumerate(zip(input.shape, source.shape)) if i != d
    ) or (source.ndim != input.ndim):
        raise RuntimeError(
            "source tensor shape must match self tensor shape, excluding the specified dimension. "
            f"Got self.shape = {list(input.shape)} source.shape = {list(source.shape)}"
        )
    bad = _out_of_bounds(index._data, input.shape[d] if input.ndim else 1)
    if bad is not None:
        if input.ndim <= 1:
            raise IndexError("index out of range in self")
        raise RuntimeError(
            f"index {bad} is out of bounds for dimension {d} with size {input.shape[d]}"
        )
    if input._data.dtype.kind != "f":
        alpha = int(alpha)  # PyTorch truncates a float alpha for integer tensors
    return apply(I.index_add, input, d, index._data.reshape(-1), source, alpha)


def index_copy(input, dim, index, source):
    d = _dim(dim, input.ndim)
    index = as_tensor_operand(index)
    if index.ndim > 1:
        raise IndexError(f"index_copy_(): Index should have dimension 1 or 0 (got {index.ndim})")
    count = index._data.size
    if source.ndim == 0 and count != 1:
        raise IndexError(
            f"index_copy_(): When source is scalar, index should have one element (got {count})"
        )
    if source.ndim != input.ndim and source.ndim != 0 and input.ndim != 0:
        raise IndexError(
            "index_copy_(): When source and destination are not scalars, their dimensionality "
            f"must match. Source dimensionality ({source.ndim}), destination dimensionality "
            f"({input.ndim})"
        )
    if index._data.dtype != numpy.int64:
        raise RuntimeError(
            f"index_copy_(): Expected a long tensor for index, but got {_type_name(index, True)}"
        )
    if source._data.dtype != input._data.dtype:
        raise RuntimeError(
            "index_copy_(): self and source expected to have the same dtype, but got (self) "
            f"{_type_name(input, True)} and (source) {_type_name(source, True)}"
        )
    kept, given = list(input.shape), list(source.shape)
    del kept[d : d + 1], given[d : d + 1]
    if kept != given:
        raise RuntimeError(
            "index_copy_(): Source/destination tensor must have same slice shapes. Destination "
            f"slice shape: {' '.join(map(str, kept))} at dimension {d} and source slice shape: "
            f"{' '.join(map(str, given))} at dimension 0."
        )
    if source.ndim and count != source.shape[d]:
        raise IndexError(
            f"index_copy_(): Number of indices ({count}) should be equal to source.size(dim) "
            f"({source.shape[d]})"
        )
    bad = _out_of_bounds(index._data, input.shape[d] if input.ndim else 1)
    if bad is not None:
        raise IndexError(
            f"index_copy_(): index {bad} is out of bounds for dimension {d} with size "
            f"{input.shape[d]}"
        )
    return apply(I.index_copy, input, d, index._data.reshape(-1), source)


def index_fill(input, dim, index, value):
    d = _dim(dim, input.ndim)
    index = as_tensor_operand(index)
    if index._data.dtype != numpy.int64:
        raise IndexError("index_fill_(): Expected dtype int64 for index.")
    if isinstance(value, Tensor) and value.ndim != 0:
        raise RuntimeError(
            "index_fill_ only supports a 0-dimensional value tensor, but got tensor with "
            f"{value.ndim} dimension(s)."
        )
    if index.ndim > 1:
        raise RuntimeError("Index has to be a vector/scalar")
    size = input.shape[d] if input.ndim else 1
    bad = _out_of_bounds(index._data, size, -size)
    if bad is not None:
        raise IndexError(f"index {bad} is out of bounds for dimension {d} with size {size}")
    index = index._data.reshape(-1)
    if isinstance(value, Tensor):
        if value._rg and STATE.enabled:
            return apply(I.index_fill_tensor, input, d, index, _cast(value, input._data.dtype))
        value = value.item()
    return apply(I.index_fill, input, d, index, value)


def index_put(input, indices, values, accumulate=False):
    if not isinstance(indices, (tuple, list)):
        raise TypeError(
            "index_put(): argument 'indices' (position 2) must be tuple of Tensors, not "
            f"{builtins.type(indices).__name__}"
        )
    values = as_tensor_operand(values)
    index, _, _ = _index(tuple(as_tensor_operand(i) for i in indices))
    _check_bounds(input, index)
    target = numpy.shape(input._data[index])
    try:
        numpy.broadcast_shapes(values.shape, target)
    except ValueError:
        raise RuntimeError(
            f"shape mismatch: value tensor of shape {list(values.shape)} cannot be broadcast to "
            f"indexing result of shape {list(target)}"
        ) from None
    if values._data.dtype != input._data.dtype:
        raise RuntimeError(
            "Index put requires the source and destination dtypes match, got "
            f"{_type_name(input, True)} for the destination and {_type_name(values, True)} for "
            "the source."
        )
    return apply(I.index_put_accumulate if accumulate else I.index_put, input, index, values)


def masked_scatter(input, mask, source):
    mask = as_tensor_operand(mask)
    _broadcast_shape(mask.shape, input.shape)
    if mask._data.dtype != bool:
        raise RuntimeError(
            "masked_scatter_ only supports boolean masks, but got mask with dtype "
            f"{_type_name(mask, True)}"
        )
    if source._data.dtype != input._data.dtype:
        raise RuntimeError(
            "masked_scatter: expected self and source to have same dtypes but got"
            f"{_type_name(input, True)} and {_type_name(source, True)}"
        )
    selected = numpy.count_nonzero(
        numpy.broadcast_to(mask._data, _broadcast_shape(mask.shape, input.shape))
    )
    if source._data.size < selected:
        raise RuntimeError("Number of elements of source < number of ones in mask")
    return apply(I.masked_scatter, input, mask._data, source)


def index_select(input, dim, index):
    d = _dim(dim, input.ndim)
    index = as_tensor_operand(index)
    if index.ndim > 1:
        raise IndexError("index_select(): Index is supposed to be a vector")
    if index._data.size and (index._data.max() >= input.shape[d] or index._data.min() < 0):
        bad = index._data.max() if index._data.max() >= input.shape[d] else index._data.min()
        raise IndexError(
            f"index out of range in self: index {int(bad)} for dimension {d} with "
            f"size {input.shape[d]}"
        )
    return apply(I.index_select, input, d, index._data.reshape(-1))


def masked_fill(input, mask, value):
    mask = as_tensor_operand(mask)
    if mask._data.dtype.kind != "b":
        raise RuntimeError(
            f"masked_fill_ only supports boolean masks, but got mask with dtype {mask.dtype}"
        )
    if isinstance(value, Tensor):
        if value.ndim != 0:
            raise RuntimeError(
                "masked_fill_ only supports a 0-dimensional value tensor, but got tensor with "
                f"{value.ndim} dimension(s)."
            )
        if value._rg:
            return where(mask, value.to(input.dtype).expand(input.shape), input)
        value = value.item()
    try:
        numpy.broadcast_shapes(mask.shape, input.shape)
    except ValueError:
        raise RuntimeError(
            f"The size of tensor a ({list(input.shape)}) must match the size of tensor b "
            f"({list(mask.shape)}) for masked_fill"
        ) from None
    return apply(I.masked_fill, input, mask._data, value)


def take_along_dim(input, indices, dim=None):
    if dim is None:  # both flattened, as in PyTorch
        return gather(input.reshape(-1), 0, as_tensor_operand(indices).reshape(-1))
    return gather(input, dim, indices)


# ----- conversions ---------------------------------------------------------------------------


def to(input, *args, dtype=None, device=None, copy=False, non_blocking=False):
    """``to(dtype)``, ``to(device)``, ``to(device, dtype)``, ``to(other_tensor)``."""
    for arg in args:
        if isinstance(arg, Tensor):
            dtype, device = arg.dtype, arg.device
        elif isinstance(arg, dtypes.dtype) or arg in (float, int, bool):
            dtype = arg
        elif isinstance(arg, (str, device_type)):
            device = arg
        elif arg is not None:
            raise TypeError(f"to() received an invalid argument: {arg!r}")
    out = input
    if dtype is not None:
        d = dtypes.as_dtype(dtype).numpy
        out = _converted(out, d) if (out._data.dtype != d or copy) else out
    if device is not None and device_type(device) != input.device:
        moved = wrap(to_device(out._data, device))
        moved._rg = out._rg and out._grad_fn is None
        out = moved
    elif copy and out is input:
        out = clone(input)
    return out


def _converter(d):
    def convert(self, memory_format=None):
        return to(self, d)

    return convert


def type_as(input, other):
    return to(input, other.dtype)


def type(input, dtype=None):
    if dtype is None:
        return f"ember.{_TYPE_NAMES.get(input.dtype.name, 'Tensor')}"
    if isinstance(dtype, str):
        dtype = _NAMED_TYPES[dtype.rsplit(".", 1)[-1]]
    return to(input, dtype)


_TYPE_NAMES = {
    "float32": "FloatTensor",
    "float64": "DoubleTensor",
    "float16": "HalfTensor",
    "int64": "LongTensor",
    "int32": "IntTensor",
    "int16": "ShortTensor",
    "int8": "CharTensor",
    "uint8": "ByteTensor",
    "bool": "BoolTensor",
}
_NAMED_TYPES = {v: getattr(dtypes, k) for k, v in _TYPE_NAMES.items()}


def cpu(input):
    return to(input, device="cpu")


def cuda(input, device=None):
    return to(input, device=f"cuda:{device or 0}")


# ----- in-place ops --------------------------------------------------------------------------


def _check_inplace(self):
    if STATE.enabled and self._rg and self._grad_fn is None:
        raise RuntimeError(
            "a leaf Variable that requires grad is being used in an in-place operation."
        )


def inplace(self, compute):
    """Make ``self`` hold ``compute(before)``: the in-place form of any out-of-place function.

    When autograd is recording, ``before`` is a snapshot of ``self`` that keeps self's place in
    the graph, and ``self`` takes over the result's grad_fn, so gradients flow through the
    change. Either way the result is written into self's memory (its views see it) and self's
    version counter goes up, so backward can refuse values that were overwritten.
    """
    _check_inplace(self)
    if not STATE.enabled:
        _write(self, compute(self), "in-place operation")
        return self
    made = getattr(self, "_view", None)
    before = wrap(self._data.copy(), self._grad_fn)
    before._rg = self._rg
    result = compute(before)
    if made is not None:
        if result._rg:
            _check_multi_output(self, made[1])
        _check_inplace_view(made[0])
    _write(self, result, "in-place operation")
    self._grad_fn, self._rg = result._grad_fn, result._rg
    if made is not None and (result._rg or made[0]._rg):
        _write_through(self, *made)
    _refresh_views(made[0] if made is not None else self, self)
    return self


def _refresh_views(base, changed):
    # Views of base made before this change still lead into its old graph: point them at the
    # new one (PyTorch regenerates a view's grad_fn the same way once its base has changed).
    views = getattr(base, "_views", None)
    if not views:
        return
    for ref in list(views.values()):
        view = ref()
        if view is None or view is changed:
            continue
        fresh = base
        for op, extra in view._view[1]:
            fresh = apply(op, fresh, *extra)
        view._grad_fn, view._rg = fresh._grad_fn, fresh._rg


def _check_multi_output(view, chain):
    """PyTorch refuses a recorded in-place change to a piece of split, chunk or unbind, or to a
    view of one (there the pieces share one backward node)."""
    if not builtins.any(op in _MULTI_OUTPUT for op, _ in chain):
        return
    op = chain[-1][0]
    number = view.__dict__.get("_output_nr", 0) if op in _MULTI_OUTPUT else 0
    if view._grad_fn is None:
        start = (
            "A view was created in no_grad mode and is being modified inplace with grad mode "
            "enabled."
        )
    else:
        name = op.name[: op.name.rindex("Backward")]
        start = f"Output {number} of {name} is a view and is being modified inplace."
    raise RuntimeError(
        f"{start} This view is the output of a function that returns multiple views. Such "
        "functions do not allow the output views to be modified inplace. You should replace the "
        "inplace operation by an out-of-place one."
    )


def _check_inplace_view(base):
    if base._rg and base._grad_fn is None:
        raise RuntimeError(
            "a view of a leaf Variable that requires grad is being used in an in-place operation."
        )


def _write_through(view, base, chain):
    # The view's memory is its base's, so the base changed too: from now on its gradient flows
    # to "the old base, except the view's region" and to the view's new value for that region.
    old = wrap(base._data, base._grad_fn)
    old._rg = base._rg
    new = apply(_COPY_SLICES, old, view, chain)
    base._grad_fn, base._rg = new._grad_fn, True


_COPY_SLICES = Op(
    "CopySlices",
    lambda base, value, chain: base,  # the new values are already in base's memory
    (
        lambda xp, g, base, value, chain, out: xp.zero_view(g, chain),
        lambda xp, g, base, value, chain, out: xp.view_chain(g, chain),
        None,
    ),
    (
        "grad_base = grad, zeroed in the view's region",
        "grad_view = grad in the view's region",
        None,
    ),
    saves="",
)


def _write(self, result, name):
    data = result._data
    if data.shape != self._data.shape:
        try:
            data = numpy.broadcast_to(data, self._data.shape)
        except ValueError:
            raise RuntimeError(
                f"output with shape {list(self.shape)} doesn't match the broadcast shape "
                f"{list(result.shape)}"
            ) from None
    if data.dtype != self._data.dtype and not dtypes.can_cast(data.dtype, self._data.dtype):
        raise RuntimeError(
            f"result type {dtypes.from_numpy_dtype(data.dtype)} can't be cast to the desired "
            f"output type {self.dtype}"
        )
    if data is not self._data:
        if not self._data.flags.writeable:
            _raise_inplace_shape(self, data)
        self._data[...] = data
    self._vc[0] += 1


def _fast_inplace(ufunc, slow, floating=False):
    """In-place arithmetic. When no graph is being recorded (optimizer steps, seed 004's
    ``w1 -= learning_rate * grad_w1``) a ufunc writes straight into self's memory."""

    def method(self, other, *, alpha=1):
        mine = self._data
        if other.__class__ is Tensor and alpha == 1 and not STATE.enabled:
            # An update step (``w -= lr * grad`` under no_grad): with one dtype, nothing to check.
            data = other._data
            if data.dtype is mine.dtype:
                try:
                    ufunc(mine, data, mine)
                except ValueError:
                    _raise_inplace_shape(self, data)
                self._vc[0] += 1
                return self
        if alpha != 1:
            other = other * alpha
        if STATE.enabled and (self._rg or (isinstance(other, Tensor) and other._rg)):
            return inplace(self, lambda before: slow(before, other))
        data = other._data if isinstance(other, Tensor) else other
        if isinstance(data, (list, tuple)):
            data = numpy.asarray(data)
        mine = self._data.dtype
        # The usual case, an operand of self's own dtype or a float into a float tensor, needs
        # no promotion check.
        if not (
            mine.kind == "f" and (data.__class__ is float or getattr(data, "dtype", None) is mine)
        ):
            result = dtypes.result_type(self._data, data)
            if floating and not result.is_floating_point:
                result = dtypes.get_default_dtype()
            if not dtypes.can_cast(result, self.dtype):
                raise RuntimeError(
                    f"result type {result} can't be cast to the desired output type {self.dtype}"
                )
        try:
            ufunc(self._data, data, out=self._data, casting="unsafe")
        except ValueError:
            _raise_inplace_shape(self, data)
        self._vc[0] += 1
        return self

    return method


def _raise_inplace_shape(self, data):
    """The error for ``self op= data`` whose shapes do not fit (as PyTorch words it), or for
    memory that cannot take the write."""
    if not self._data.flags.writeable:
        if 0 in self._data.strides and self._data.size > 1:
            raise RuntimeError(
                "unsupported operation: more than one element of the written-to tensor refers "
                "to a single memory location. Please clone() the tensor before performing the "
                "operation."
            )
        raise RuntimeError(
            "the tensor's memory is read-only (a NumPy array that is not writeable, shared "
            "through from_numpy); clone() it, or make the array writeable"
        )
    shape = numpy.shape(data)
    try:
        broadcast = numpy.broadcast_shapes(self.shape, shape)
    except ValueError:  # the shapes do not broadcast at all
        raise RuntimeError(
            f"The size of tensor a ({list(self.shape)}) must match the size of tensor b "
            f"({list(shape)}): shapes {list(self.shape)} and {list(shape)} cannot be broadcast "
            "together"
        ) from None
    raise RuntimeError(
        f"output with shape {list(self.shape)} doesn't match the broadcast shape {list(broadcast)}"
    ) from None


# Overwriting a tensor on the graph (zero_, fill_, copy_): the old values get a zero gradient,
# a tensor written in gets the gradient (summed back over broadcasting), as in PyTorch. The
# forward never reads the old values: ``old * 0 + new`` would turn an inf or NaN among them
# into NaN.
def _overwritten(old, value):
    out = numpy.empty_like(old)
    out[...] = value
    return out


_ZERO = Op("ZeroBackward0", numpy.zeros_like, (E.zero_vjp,), ("grad_a = 0",), saves="")
_FILL = Op("FillBackward2", _overwritten, (E.zero_vjp, None), ("grad_a = 0", None), saves="")
_COPY = Op(
    "CopyBackwards",
    _overwritten,
    (E.zero_vjp, lambda xp, g, old, value, out: g),
    ("grad_self = 0", "grad_src = grad"),
    broadcasts=True,
    saves="",
)
_FILL_TENSOR = renamed(_COPY, "FillBackward3", listed=(0,))


def _overwrite(self, op, value):
    """``self`` overwritten by ``op`` (_ZERO, _FILL, _COPY) with ``value``, recorded on the
    graph when self or value is on it."""
    _check_inplace(self)
    on_graph = isinstance(value, Tensor) and value._rg
    if STATE.enabled and (self._rg or on_graph or _view_of_graph(self)):
        args = () if value is None else (value,)
        return inplace(self, lambda before: apply(op, before, *args))
    try:
        self._data[...] = 0 if value is None else _array(value)
    except ValueError:  # read-only memory (an expanded tensor)
        _raise_inplace_shape(self, _array(value))
    self._vc[0] += 1
    return self


def zero_(self):
    return _overwrite(self, _ZERO, None)


def _view_of_graph(self):
    """Whether ``self`` is a view whose base is on the graph: overwriting it changes the base."""
    made = getattr(self, "_view", None)
    return made is not None and STATE.enabled and made[0]._rg


def fill_(self, value):
    if isinstance(value, Tensor):
        if value.dim() != 0:
            raise RuntimeError(
                "fill_ only supports 0-dimension value tensor but got tensor with "
                f"{value.dim()} dimensions."
            )
        if value._rg and STATE.enabled:
            return _overwrite(self, _FILL_TENSOR, _cast(value, self._data.dtype))
        value = value.item()
    return _overwrite(self, _FILL, value)


def copy_(self, src, non_blocking=False):
    src = as_tensor_operand(src)
    try:
        fits = numpy.broadcast_shapes(src.shape, self.shape) == tuple(self.shape)
    except ValueError:
        fits = False
    if not fits:
        _raise_inplace_shape(self, src._data)
    if STATE.enabled and (self._rg or src._rg or _view_of_graph(self)):
        return _overwrite(self, _COPY, _cast(src, self._data.dtype))
    _check_inplace(self)
    _write(self, wrap(src._data.astype(self._data.dtype, copy=False)), "copy_")
    return self


def _random_(fill):
    def method(self, *args, generator=None, **kwargs):
        _check_inplace(self)
        rng = (generator or default_generator)._numpy
        with_grad = STATE.enabled and self._grad_fn is not None
        self._data[...] = fill(rng, self._data.shape, *args, **kwargs)
        self._vc[0] += 1
        if with_grad:
            self._grad_fn, self._rg = None, False
        return self

    return method


uniform_ = _random_(lambda rng, shape, a=0.0, b=1.0, **_: rng.uniform(a, b, shape))
normal_ = _random_(lambda rng, shape, mean=0.0, std=1.0, **_: rng.normal(mean, std, shape))
bernoulli_ = _random_(lambda rng, shape, p=0.5, **_: rng.random(shape) < p)
exponential_ = _random_(lambda rng, shape, lambd=1.0, **_: rng.exponential(1 / lambd, shape))


def random_(self, low=0, high=None, *, generator=None):
    if high is None:
        low, high = 0, low if low else 2**24
    self._data[...] = (generator or default_generator)._numpy.integers(low, high, self.shape)
    self._vc[0] += 1
    return self


def setitem(self, index, value):
    index, basic, selects = _index(index)
    _check_bounds(self, index)
    if selects and not basic:  # ints first, as PyTorch does (see _ints_first)
        if STATE.enabled:
            _check_inplace(self)
        first, rest = _ints_first(index)
        setitem(getitem(self, first), rest, value)
        return
    if STATE.enabled and (self._rg or (isinstance(value, Tensor) and value._rg)):
        if basic and getattr(self, "_view", None) is not None:
            target = getitem(self, index)  # PyTorch writes into this view; its error names it
            if getattr(target, "_view", None) is not None:
                _check_multi_output(target, target._view[1])
        # Recorded: the new tensor is "self with values written at index"; gradient reaches the
        # old self everywhere except the written places, and the values at exactly those.
        value = _cast(
            as_tensor_operand(value)
            if not isinstance(value, _Number)
            else wrap(numpy.asarray(value, self._data.dtype)),
            self._data.dtype,
        )
        inplace(self, lambda before: apply(I.index_put, before, index, value))
        return
    data = value._data if isinstance(value, Tensor) else value
    try:
        self._data[index] = data
    except ValueError as error:
        if not self._data.flags.writeable:
            _raise_inplace_shape(self, data)
        raise RuntimeError(
            f"shape mismatch: value tensor of shape {list(numpy.shape(data))} cannot be broadcast "
            f"to indexing result of shape {list(numpy.shape(self._data[index]))}"
        ) from error
    self._vc[0] += 1


def masked_fill_(self, mask, value):
    return inplace(self, lambda before: masked_fill(before, mask, value))


def clamp_(self, min=None, max=None):
    return inplace(self, lambda before: clamp(before, min, max))


def _unary_inplace(function):
    def method(self, *args, **kwargs):
        return inplace(self, lambda before: function(before, *args, **kwargs))

    return method


# ----- the differentiable array namespace for create_graph=True ------------------------------


class _TensorXP:
    """:mod:`ember.ops.xp_numpy`'s twin on tensors: the same names and signatures, built from
    ember's differentiable functions, so VJPs run on it record a graph of the backward pass."""

    exp, log, sqrt, sin, cos, tanh, sigmoid, sign, abs, erf = (
        staticmethod(f) for f in (exp, log, sqrt, sin, cos, tanh, sigmoid, sign, abs, erf)
    )
    differentiable = True  # VJPs run here record their own graph (create_graph=True)

    @staticmethod
    def apply(op, *args):
        return apply(op, *args)

    @staticmethod
    def where(condition, a, b):
        if not isinstance(condition, Tensor):  # a Python bool when a VJP compares a scalar
            condition = wrap(numpy.asarray(condition))
        return where(condition, a, b)

    @staticmethod
    def sum(a, axis=None, keepdims=False):
        return sum(a, axis, keepdims)

    @staticmethod
    def prod(a, axis=None, keepdims=False):
        return prod(a, axis, keepdims)

    @staticmethod
    def reshape(a, shape):
        return reshape(a, shape)

    @staticmethod
    def broadcast_to(a, shape):
        return expand(a, shape)

    @staticmethod
    def expand_dims(a, axis):
        return unsqueeze(a, axis)

    @staticmethod
    def swapaxes(a, i, j):
        return transpose(a, i, j)

    @staticmethod
    def transpose(a, axes):
        return permute(a, axes)

    @staticmethod
    def matmul(a, b):
        a, b = as_tensor_operand(a), as_tensor_operand(b)
        return apply(L.matmul, a, b)

    @staticmethod
    def flip(a, axis):
        return flip(a, axis)

    @staticmethod
    def cumsum(a, axis):
        return cumsum(a, axis)

    @staticmethod
    def cumprod(a, axis):
        return cumprod(a, axis)

    @staticmethod
    def maximum(a, b):
        return _maximum(a, b)

    @staticmethod
    def zeros_like(a):
        return wrap(numpy.zeros_like(a._data))

    @staticmethod
    def astype(a, dtype):
        return _cast(a, _numpy_dtype(dtype))

    @staticmethod
    def einsum(equation, *operands):
        return apply(L.einsum, equation, *[as_tensor_operand(o) for o in operands])

    @staticmethod
    def take(a, index, axis):
        return apply(I.index_select, a, axis, index)

    @staticmethod
    def take_along_axis(a, index, axis):
        return apply(I.gather, a, axis, index)

    @staticmethod
    def index_add_into(shape, index, values, dtype):
        return apply(I.index_add_into, values, shape, index, _numpy_dtype(dtype))

    @staticmethod
    def scatter_add_along(shape, dim, index, values, dtype):
        zeros = wrap(numpy.zeros(shape, _numpy_dtype(dtype)))
        return apply(I.scatter_add, zeros, dim, index, values)

    @staticmethod
    def index_add_along(shape, dim, index, values, dtype):
        index = index._data if isinstance(index, Tensor) else index
        full = (slice(None),) * dim + (index,)
        return apply(I.index_add_into, values, shape, full, _numpy_dtype(dtype))

    @staticmethod
    def argmax(a, axis, keepdims=False):
        return numpy.argmax(a._data, axis, keepdims=keepdims)

    @staticmethod
    def argmin(a, axis, keepdims=False):
        return numpy.argmin(a._data, axis, keepdims=keepdims)

    @staticmethod
    def view_chain(a, chain):
        for op, extra in chain:
            a = apply(op, a, *extra)
        return a

    @staticmethod
    def zero_view(grad, chain):
        mask = numpy.ones(grad.shape, bool)
        xp_numpy.view_chain(mask, chain)[...] = False
        return where(wrap(mask), grad, 0)

    @staticmethod
    def index_fill_zero(grad, index):
        mask = numpy.ones(grad.shape, bool)
        mask[index] = False
        return where(wrap(mask), grad, 0)


def _numpy_dtype(d):
    # VJPs pass ``g.dtype``, which is an ember dtype when they run on tensors.
    return dtypes.as_dtype(d).numpy


TENSOR_XP = _TensorXP()
Node.tensor_xp = TENSOR_XP


# ----- Tensor methods and operators ----------------------------------------------------------


def _swapped(function):
    def reflected(self, other):
        return function(other, self)

    return reflected


def _self_first(function):
    """``x.where(condition, y)`` is ``where(condition, x, y)``."""

    def method(self, condition, other):
        return function(condition, self, other)

    return method


_METHODS = dict(
    add=add,
    sub=sub,
    subtract=sub,
    mul=mul,
    multiply=mul,
    div=div,
    divide=div,
    true_divide=div,
    floor_divide=floor_divide,
    remainder=remainder,
    fmod=fmod,
    pow=pow,
    neg=neg,
    negative=neg,
    abs=abs,
    absolute=abs,
    exp=exp,
    log=log,
    log1p=log1p,
    expm1=expm1,
    sqrt=sqrt,
    rsqrt=rsqrt,
    sin=sin,
    cos=cos,
    tanh=tanh,
    sigmoid=sigmoid,
    relu=relu,
    square=square,
    reciprocal=reciprocal,
    sign=sign,
    erf=erf,
    log2=log2,
    log10=log10,
    clamp=clamp,
    clip=clamp,
    clamp_min=clamp_min,
    clamp_max=clamp_max,
    maximum=maximum,
    minimum=minimum,
    atan2=atan2,
    arctan2=arctan2,
    lerp=lerp,
    where=_self_first(where),
    eq=eq,
    ne=ne,
    lt=lt,
    le=le,
    gt=gt,
    ge=ge,
    less=lt,
    greater=gt,
    logical_and=logical_and,
    logical_or=logical_or,
    logical_xor=logical_xor,
    logical_not=logical_not,
    isnan=isnan,
    isinf=isinf,
    isfinite=isfinite,
    isposinf=isposinf,
    isneginf=isneginf,
    nan_to_num=nan_to_num,
    fmax=fmax,
    fmin=fmin,
    kthvalue=kthvalue,
    quantile=quantile,
    nanquantile=nanquantile,
    median=median,
    nanmedian=nanmedian,
    mode=mode,
    cummax=cummax,
    cummin=cummin,
    logcumsumexp=logcumsumexp,
    histc=histc,
    bincount=bincount,
    count_nonzero=count_nonzero,
    floor=floor,
    ceil=ceil,
    trunc=trunc,
    round=round,
    sum=sum,
    mean=mean,
    prod=prod,
    var=var,
    std=std,
    max=max,
    min=min,
    amax=amax,
    amin=amin,
    argmax=argmax,
    argmin=argmin,
    logsumexp=logsumexp,
    norm=norm,
    cumsum=cumsum,
    cumprod=cumprod,
    softmax=softmax,
    log_softmax=log_softmax,
    all=all,
    any=any,
    allclose=allclose,
    isclose=isclose,
    equal=equal,
    mm=mm,
    bmm=bmm,
    mv=mv,
    dot=dot,
    matmul=matmul,
    outer=outer,
    ger=outer,
    addmm=addmm,
    addmv=addmv,
    addr=addr,
    baddbmm=baddbmm,
    addbmm=addbmm,
    inner=inner,
    kron=kron,
    cross=cross,
    diagonal=diagonal,
    t=t,
    transpose=transpose,
    swapaxes=transpose,
    swapdims=transpose,
    permute=permute,
    reshape=reshape,
    view=view,
    view_as=view_as,
    reshape_as=reshape_as,
    flatten=flatten,
    unflatten=unflatten,
    squeeze=squeeze,
    unsqueeze=unsqueeze,
    expand=expand,
    expand_as=expand_as,
    broadcast_to=broadcast_to,
    repeat=repeat,
    flip=flip,
    split=split,
    chunk=chunk,
    unbind=unbind,
    narrow=narrow,
    clone=clone,
    contiguous=contiguous,
    tril=tril,
    triu=triu,
    roll=roll,
    diag=diag,
    trace=trace,
    repeat_interleave=repeat_interleave,
    diff=diff,
    unique=unique,
    gather=gather,
    scatter_add=scatter_add,
    scatter=scatter,
    index_add=index_add,
    index_copy=index_copy,
    index_fill=index_fill,
    index_put=index_put,
    masked_scatter=masked_scatter,
    storage_offset=storage_offset,
    index_select=index_select,
    masked_fill=masked_fill,
    take_along_dim=take_along_dim,
    nonzero=nonzero,
    sort=sort,
    argsort=argsort,
    topk=topk,
    masked_select=masked_select,
    to=to,
    type_as=type_as,
    type=type,
    cpu=cpu,
    cuda=cuda,
    float=_converter(dtypes.float32),
    double=_converter(dtypes.float64),
    half=_converter(dtypes.float16),
    long=_converter(dtypes.int64),
    int=_converter(dtypes.int32),
    short=_converter(dtypes.int16),
    bool=_converter(dtypes.bool),
    byte=_converter(dtypes.uint8),
    # in place
    add_=_fast_inplace(numpy.add, add),
    sub_=_fast_inplace(numpy.subtract, sub),
    mul_=_fast_inplace(numpy.multiply, mul),
    div_=_fast_inplace(numpy.true_divide, div, floating=True),
    zero_=zero_,
    fill_=fill_,
    copy_=copy_,
    clamp_=clamp_,
    clip_=clamp_,
    masked_fill_=masked_fill_,
    uniform_=uniform_,
    normal_=normal_,
    bernoulli_=bernoulli_,
    exponential_=exponential_,
    random_=random_,
    relu_=_unary_inplace(relu),
    neg_=_unary_inplace(neg),
    exp_=_unary_inplace(exp),
    log_=_unary_inplace(log),
    sqrt_=_unary_inplace(sqrt),
    abs_=_unary_inplace(abs),
    sigmoid_=_unary_inplace(sigmoid),
    tanh_=_unary_inplace(tanh),
    pow_=_unary_inplace(pow),
    clamp_min_=_unary_inplace(clamp_min),
    clamp_max_=_unary_inplace(clamp_max),
    square_=_unary_inplace(square),
    reciprocal_=_unary_inplace(reciprocal),
    scatter_add_=_unary_inplace(scatter_add),
    scatter_=_unary_inplace(scatter),
    index_add_=_unary_inplace(index_add),
    index_copy_=_unary_inplace(index_copy),
    index_fill_=_unary_inplace(index_fill),
    index_put_=_unary_inplace(index_put),
    masked_scatter_=_unary_inplace(masked_scatter),
    cumprod_=_unary_inplace(cumprod),
    t_=t_,
    transpose_=transpose_,
    swapaxes_=transpose_,
    swapdims_=transpose_,
    squeeze_=squeeze_,
    unsqueeze_=unsqueeze_,
    lerp_=_unary_inplace(lerp),
    # operators
    # + and * commute: 2 * x is x * 2 (the tensor first, as PyTorch's grad_fn lists it, and on
    # the fast path of _binary).
    __add__=_add,
    __radd__=_add,
    __sub__=_sub,
    __rsub__=rsub,  # 2 - x: RsubBackward1, as in PyTorch
    __mul__=mul,
    __rmul__=mul,
    __truediv__=div,
    __rtruediv__=_swapped(div),
    __floordiv__=floor_divide,
    __rfloordiv__=_swapped(floor_divide),
    __mod__=remainder,
    __rmod__=_swapped(remainder),
    __pow__=pow,
    __rpow__=_swapped(pow),
    __matmul__=matmul,
    __rmatmul__=_swapped(matmul),
    __neg__=neg,
    __abs__=abs,
    __invert__=bitwise_not,
    __and__=bitwise_and,
    __or__=bitwise_or,
    __xor__=bitwise_xor,
    __rand__=_swapped(bitwise_and),
    __ror__=_swapped(bitwise_or),
    __rxor__=_swapped(bitwise_xor),
    # Against None or a list, == is Python's identity test, as in PyTorch (t == [1, 1] is False).
    __eq__=lambda self, other: (
        NotImplemented if other is None or isinstance(other, (list, tuple)) else eq(self, other)
    ),
    __ne__=lambda self, other: (
        NotImplemented if other is None or isinstance(other, (list, tuple)) else ne(self, other)
    ),
    __lt__=lt,
    __le__=le,
    __gt__=gt,
    __ge__=ge,
    __getitem__=getitem,
    __setitem__=setitem,
    __iadd__=_fast_inplace(numpy.add, add),
    __isub__=_fast_inplace(numpy.subtract, sub),
    __imul__=_fast_inplace(numpy.multiply, mul),
    __itruediv__=_fast_inplace(numpy.true_divide, div, floating=True),
)

for _name, _function in _METHODS.items():
    setattr(Tensor, _name, _function)


def _pos(self):
    return self


Tensor.__pos__ = _pos


def _reversed_dims(self):
    if self.ndim != 2:  # PyTorch's deprecation: .T is meant for matrices
        warnings.warn(
            "Tensor.T is deprecated on 0-D tensors. This function is the identity in these cases."
            if self.ndim == 0
            else "The use of `x.T` on tensors of dimension other than 2 to reverse their shape is "
            "deprecated and it will throw an error in a future release. Consider `x.mT` to "
            "transpose batches of matrices or `x.permute(*torch.arange(x.ndim - 1, -1, -1))` to "
            "reverse the dimensions of a tensor.",
            UserWarning,
            stacklevel=2,
        )
    return permute(self, *range(self.ndim)[::-1])


Tensor.T = property(_reversed_dims)


def _matrix_transpose(self):
    if self.ndim < 2:
        raise RuntimeError(
            "tensor.mT is only supported on matrices or batches of matrices. "
            f"Got {self.ndim}-D tensor."
        )
    return transpose(self, -2, -1)


Tensor.mT = property(_matrix_transpose)
Tensor.H = property(lambda self: t(self))
Tensor.mH = Tensor.mT

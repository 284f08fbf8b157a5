"""ember's dtypes, PyTorch's type-promotion rules, and the default floating dtype.

A :class:`dtype` names a NumPy dtype the PyTorch way (``ember.float32``). Promotion follows PyTorch,
not NumPy: operands fall into three groups (tensors with dimensions, zero-dimensional tensors, and
Python numbers), and a group only takes part when it belongs to a higher category (bool < integer <
floating) than the groups above it. So ``float32_tensor * 2.5`` stays float32 and
``int_tensor * 2.5`` becomes the default dtype, where NumPy would say float64 for both.
"""

import builtins

import numpy

__all__ = [
    "dtype",
    "bool",
    "uint8",
    "int8",
    "int16",
    "int32",
    "int64",
    "float16",
    "float32",
    "float64",
    "half",
    "float",
    "double",
    "short",
    "int",
    "long",
    "get_default_dtype",
    "set_default_dtype",
    "promote_types",
    "result_type",
    "can_cast",
]


class dtype:
    """A tensor element type, e.g. ``ember.float32``; ``.numpy`` is the NumPy dtype beneath it."""

    __slots__ = ("name", "numpy", "is_floating_point", "is_signed", "itemsize")
    is_complex = False

    def __init__(self, name, numpy_dtype):
        self.name = name
        self.numpy = numpy.dtype(numpy_dtype)
        self.is_floating_point = self.numpy.kind == "f"
        self.is_signed = self.numpy.kind in "if"
        self.itemsize = self.numpy.itemsize

    def to_real(self):
        return self

    def __repr__(self):
        return f"ember.{self.name}"

    def __reduce__(self):  # dtypes are singletons: copies and pickles refer to the same one
        return self.name


bool = dtype("bool", numpy.bool_)
uint8 = dtype("uint8", numpy.uint8)
int8 = dtype("int8", numpy.int8)
int16 = dtype("int16", numpy.int16)
int32 = dtype("int32", numpy.int32)
int64 = dtype("int64", numpy.int64)
float16 = dtype("float16", numpy.float16)
float32 = dtype("float32", numpy.float32)
float64 = dtype("float64", numpy.float64)
half, float, double = float16, float32, float64
short, int, long = int16, int32, int64

ALL = (bool, uint8, int8, int16, int32, int64, float16, float32, float64)
_BY_NUMPY = {d.numpy: d for d in ALL}
_BY_NAME = {d.name: d for d in ALL} | {
    "half": half,
    "float": float,
    "double": double,
    "short": short,
    "int": int,
    "long": long,
}

# PyTorch's ScalarType names, which its error messages use ("Got: Long").
SCALAR_TYPE_NAMES = {
    "bool": "Bool",
    "uint8": "Byte",
    "int8": "Char",
    "int16": "Short",
    "int32": "Int",
    "int64": "Long",
    "float16": "Half",
    "float32": "Float",
    "float64": "Double",
}

# The C++ type names that some of PyTorch's messages use ("but got long int instead").
CPP_TYPE_NAMES = {
    "bool": "bool",
    "uint8": "unsigned char",
    "int8": "signed char",
    "int16": "short int",
    "int32": "int",
    "int64": "long int",
    "float16": "c10::Half",
    "float32": "float",
    "float64": "double",
}

_default = [float32]


def get_default_dtype():
    """The dtype of floating tensors made from Python floats (float32 unless changed)."""
    return _default[0]


def set_default_dtype(d):
    d = as_dtype(d)
    if not d.is_floating_point:
        raise TypeError(f"only floating-point types are supported as the default type, got {d}")
    _default[0] = d


def as_dtype(d):
    """An ember dtype from an ember dtype, a NumPy dtype or type, a Python type, or a name."""
    if d.__class__ is dtype:
        return d
    if d is builtins.float:  # as in PyTorch: the Python type means double, not the default
        return float64
    if d is builtins.int:
        return int64
    if d is builtins.bool:
        return bool
    if isinstance(d, str) and d in _BY_NAME:
        return _BY_NAME[d]
    try:
        return _BY_NUMPY[numpy.dtype(d)]
    except (TypeError, KeyError):
        raise TypeError(f"ember has no dtype for {d!r}") from None


def from_numpy_dtype(np_dtype):
    """The ember dtype of a NumPy dtype; a clear TypeError for dtypes ember does not support."""
    try:
        return _BY_NUMPY[np_dtype]
    except KeyError:
        raise TypeError(
            f"can't convert np.ndarray of type numpy.{np_dtype}. The only supported types are: "
            "float64, float32, float16, int64, int32, int16, int8, uint8, and bool."
        ) from None


def _category(d):
    return 2 if d.is_floating_point else (0 if d is bool else 1)


def promote_types(a, b):
    """The smallest dtype both ``a`` and ``b`` convert to, as ``torch.promote_types``."""
    a, b = as_dtype(a), as_dtype(b)
    if a is b:
        return a
    ca, cb = _category(a), _category(b)
    if ca != cb:  # unlike NumPy, int64 + float16 is float16: the floating side wins outright
        return a if ca > cb else b
    return _BY_NUMPY[numpy.promote_types(a.numpy, b.numpy)]


def _combine(higher, lower):
    # Mirrors PyTorch's combine_categories: a lower-priority group only matters when its category
    # is higher than the group above it.
    if higher is None:
        return lower
    if lower is None or higher.is_floating_point:
        return higher
    if higher is bool or lower.is_floating_point:
        return promote_types(higher, lower)
    return higher


def scalar_dtype(value):
    """The dtype a Python number takes when it meets a tensor."""
    if isinstance(value, builtins.bool):
        return bool
    if isinstance(value, builtins.int):
        return int64
    return _default[0]


def result_type(*operands):
    """The dtype of an op on ``operands`` (tensors, arrays, Python numbers), PyTorch's rules."""
    groups = [None, None, None]  # tensors with dimensions, zero-dim tensors, Python numbers
    for operand in operands:
        if isinstance(operand, (builtins.bool, builtins.int, builtins.float)):
            group, d = 2, scalar_dtype(operand)
        else:
            group = 0 if operand.ndim else 1
            d = (
                operand.dtype
                if operand.dtype.__class__ is dtype
                else from_numpy_dtype(operand.dtype)
            )
        groups[group] = d if groups[group] is None else promote_types(groups[group], d)
    return _combine(groups[0], _combine(groups[1], groups[2]))


def can_cast(from_, to):
    """Whether ``from_`` converts to ``to`` without moving down a category (PyTorch's rule)."""
    return _category(as_dtype(from_)) <= _category(as_dtype(to))

"""Making tensors: from data (``tensor``, ``as_tensor``, ``from_numpy``), filled (``zeros``,
``ones``, ``full``, ``eye``, ranges) and random (``rand``, ``randn``, ``randint``, ``randperm``),
plus Torch7/old-PyTorch spellings (``FloatTensor``, ``Variable``) so seed code runs unchanged."""

import functools
import warnings

import numpy

from . import backend, dtypes
from .functions import _SCALAR_NAMES, _sizes
from .out_argument import creating_into
from .random import default_generator
from .tensor import Tensor, wrap

__all__ = [
    "tensor",
    "as_tensor",
    "asarray",
    "from_numpy",
    "zeros",
    "ones",
    "full",
    "empty",
    "zeros_like",
    "ones_like",
    "full_like",
    "empty_like",
    "rand_like",
    "randn_like",
    "randint_like",
    "arange",
    "linspace",
    "logspace",
    "eye",
    "rand",
    "randn",
    "randint",
    "randperm",
    "FloatTensor",
    "DoubleTensor",
    "LongTensor",
    "IntTensor",
    "BoolTensor",
    "HalfTensor",
    "ByteTensor",
    "scalar_tensor",
]


def _shape(size, name):
    """The sizes of a new tensor (``zeros(2, 3)`` or ``zeros((2, 3))``), whole numbers (a float
    is PyTorch's TypeError, not rounded down) and none negative."""
    one_sequence = len(size) == 1 and isinstance(size[0], (tuple, list))
    for position, n in enumerate(size[0] if one_sequence else size):
        if not isinstance(n, (int, numpy.integer, Tensor)):  # a 0-dim integer tensor counts
            found = type(n).__name__
            if one_sequence or len(size) > 1:
                found = f", but found element of type {found} at pos {position}"
            else:
                found = f", not {found}"
            raise TypeError(f"{name}(): argument 'size' (position 1) must be tuple of ints{found}")
    shape = _sizes(size)
    for n in shape:
        if n < 0:
            raise RuntimeError(
                f"Trying to create tensor with negative dimension {n}: {list(shape)}"
            )
    return shape


def _infer(data, dtype=None):
    """An array from Python data, with PyTorch's dtype inference: Python floats become the
    default dtype, ints int64, bools bool; NumPy data keeps its own dtype."""
    if isinstance(data, Tensor):
        return data._data
    if isinstance(data, (numpy.ndarray, numpy.generic)):
        array = numpy.asarray(data)
        dtypes.from_numpy_dtype(array.dtype)  # a clear error for unsupported dtypes
        return array
    if isinstance(data, (list, tuple)) and any(isinstance(x, Tensor) for x in _flat(data)):
        data = _to_arrays(data)
    if isinstance(data, (list, tuple)) and dtype is None:
        # NumPy scalars in a list keep their dtype, as in PyTorch: [numpy.float64(1)] is float64
        numpy_dtype = _numpy_scalars_dtype(data)
        if numpy_dtype is not None:
            return numpy.array(data, dtype=numpy_dtype.numpy)
    try:
        array = numpy.array(data)
    except ValueError as error:
        raise ValueError(
            f"expected sequence of equal-length lists, got {data!r}: {error}"
        ) from None
    if array.dtype == object:
        if data is None or (
            isinstance(data, (list, tuple)) and any(x is None for x in _flat(data))
        ):
            raise RuntimeError("Could not infer dtype of NoneType")
        raise TypeError(f"can't build a tensor from {type(data).__name__} data: {data!r}"[:200])
    if array.dtype.kind == "f":  # with a dtype given, cast once from the exact float64 values
        return array if dtype is not None else array.astype(dtypes.get_default_dtype().numpy)
    if array.dtype.kind in "iu":
        return array.astype(numpy.int64)
    if array.dtype.kind == "U":
        raise TypeError(f"new(): invalid data type '{array.dtype.kind}' (strings are not numbers)")
    return array


def _numpy_scalars_dtype(data):
    """The dtype PyTorch infers for a list holding NumPy scalars or arrays (None without any):
    their dtypes and those of the Python numbers beside them, promoted together."""
    items = list(_flat(data))
    if not any(isinstance(x, (numpy.ndarray, numpy.generic)) for x in items):
        return None
    result = None
    for x in items:
        if isinstance(x, (numpy.ndarray, numpy.generic)):
            d = dtypes.from_numpy_dtype(x.dtype)
        elif isinstance(x, (bool, int, float)):
            d = dtypes.scalar_dtype(x)
        else:
            return None
        result = d if result is None else dtypes.promote_types(result, d)
    return result


def _flat(data):
    for item in data:
        if isinstance(item, (list, tuple)):
            yield from _flat(item)
        else:
            yield item


def _to_arrays(data):
    if isinstance(data, Tensor):
        return data._data
    if isinstance(data, (list, tuple)):
        return [_to_arrays(x) for x in data]
    return data


def _place(array, dtype, device, copy):
    if dtype is not None:
        array = array.astype(dtypes.as_dtype(dtype).numpy, copy=copy)
    elif copy:
        array = array.copy()
    if device is not None:
        array = backend.to_device(array, device)
    return array


def tensor(data, *, dtype=None, device=None, requires_grad=False, pin_memory=False):
    """A new tensor holding a copy of ``data`` (nested lists, numbers, arrays or tensors)."""
    if isinstance(data, Tensor):
        warnings.warn(
            "To copy construct from a tensor, it is recommended to use "
            "sourceTensor.detach().clone() or sourceTensor.detach().clone().requires_grad_(True), "
            "rather than ember.tensor(sourceTensor).",
            UserWarning,
            stacklevel=2,
        )
    result = wrap(_place(_infer(data, dtype), dtype, device, copy=True))
    if requires_grad:
        result.requires_grad_(True)
    return result


def as_tensor(data, dtype=None, device=None):
    """``data`` as a tensor, sharing memory when it already is an array of the right dtype."""
    if (
        isinstance(data, Tensor)
        and (dtype is None or data.dtype == dtypes.as_dtype(dtype))
        and (device is None or data.device == backend.device(device))
    ):
        return data
    return wrap(_place(_infer(data, dtype), dtype, device, copy=False))


asarray = as_tensor


def from_numpy(array):
    """A tensor sharing memory with NumPy ``array`` (writes to one show in the other)."""
    if not isinstance(array, numpy.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(array).__name__})")
    dtypes.from_numpy_dtype(array.dtype)
    if any(stride < 0 for stride in array.strides):
        raise ValueError(
            "At least one stride in the given numpy array is negative, and tensors with "
            "negative strides are not currently supported. (You can probably work around this "
            "by making a copy of your array with array.copy().)"
        )
    return wrap(array)


def _missing_size(name):
    """``zeros()``: PyTorch wants a size (``zeros(())`` is the 0-dim tensor)."""
    return TypeError(f'{name}() missing 1 required positional arguments: "size"')


def _filled(fill, name):
    def make(*size, dtype=None, device=None, requires_grad=False, layout=None, **keywords):
        if "size" in keywords:  # zeros(size=(2, 3))
            size = (keywords.pop("size"),)
        elif not size:
            raise _missing_size(name)
        if keywords:
            raise TypeError(f"unexpected keyword arguments {sorted(keywords)}")
        d = dtypes.as_dtype(dtype) if dtype is not None else dtypes.get_default_dtype()
        array = fill(backend.array_module(device or "cpu"), _shape(size, name), d.numpy)
        result = wrap(array)
        if requires_grad:
            result.requires_grad_(True)
        return result

    return creating_into(name, make)


zeros = _filled(lambda xp, shape, d: xp.zeros(shape, d), "zeros")
ones = _filled(lambda xp, shape, d: xp.ones(shape, d), "ones")
empty = _filled(lambda xp, shape, d: xp.zeros(shape, d), "empty")  # zeroed: cheap, never garbage


@functools.partial(creating_into, "full")
def full(size, fill_value, *, dtype=None, device=None, requires_grad=False):
    if isinstance(size, int):
        raise TypeError(
            f"full(): argument 'size' (position 1) must be tuple of ints, not {type(size).__name__}"
        )
    if dtype is None:
        dtype = dtypes.scalar_dtype(fill_value)
    d = dtypes.as_dtype(dtype)
    result = wrap(
        backend.array_module(device or "cpu").full(_shape((size,), "full"), fill_value, d.numpy)
    )
    if requires_grad:
        result.requires_grad_(True)
    return result


def _like(make, name):
    def like(input, *, dtype=None, device=None, requires_grad=False, **extra):
        if "out" in extra:  # PyTorch's *_like take no out=, unlike the constructors they mirror
            raise TypeError(f"{name}() got an unexpected keyword argument 'out'")
        return make(
            input.shape,
            dtype=dtype or input.dtype,
            device=device or input.device,
            requires_grad=requires_grad,
            **extra,
        )

    return like


zeros_like = _like(zeros, "zeros_like")
ones_like = _like(ones, "ones_like")
empty_like = _like(empty, "empty_like")


def full_like(input, fill_value, *, dtype=None, device=None, requires_grad=False):
    return full(
        input.shape,
        fill_value,
        dtype=dtype or input.dtype,
        device=device or input.device,
        requires_grad=requires_grad,
    )


def _arange_resize_warning(out, result):
    """arange's own warning when ``out`` had another number of elements (none when it had 0)."""
    if out.numel() in (0, result.numel()):
        return None
    return (
        f"The number of elements in the out tensor of shape {list(out.shape)} is {out.numel()} "
        f"which does not match the computed number of elements {result.numel()}. Note that this "
        "may occur as a result of rounding error. The out tensor will be resized to a tensor of "
        f"shape ({result.numel()},)."
    )


@functools.partial(creating_into, "arange", resize_warning=_arange_resize_warning)
def arange(start, end=None, step=1, *, dtype=None, device=None, requires_grad=False):
    if end is None:
        start, end = 0, start
    values = [v.item() if isinstance(v, Tensor) else v for v in (start, end, step)]
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if (values[1] - values[0]) * values[2] < 0:
        raise RuntimeError("upper bound and lower bound inconsistent with step sign")
    if dtype is None:
        dtype = (
            dtypes.get_default_dtype()
            if any(isinstance(v, float) for v in values)
            else dtypes.int64
        )
    d = dtypes.as_dtype(dtype)
    result = wrap(backend.array_module(device or "cpu").arange(*values, dtype=d.numpy))
    if requires_grad:
        result.requires_grad_(True)
    return result


def _spaced(values, steps, dtype, requires_grad):
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    d = dtypes.as_dtype(dtype) if dtype is not None else dtypes.get_default_dtype()
    result = wrap(values(steps).astype(d.numpy))
    if requires_grad:
        result.requires_grad_(True)
    return result


@functools.partial(creating_into, "linspace")
def linspace(start, end, steps, *, dtype=None, device=None, requires_grad=False):
    return _spaced(lambda n: numpy.linspace(start, end, n), steps, dtype, requires_grad)


@functools.partial(creating_into, "logspace")
def logspace(start, end, steps, base=10.0, *, dtype=None, device=None, requires_grad=False):
    return _spaced(lambda n: numpy.logspace(start, end, n, base=base), steps, dtype, requires_grad)


def _check_int(name, argument, position, value):
    if not isinstance(value, (int, numpy.integer)) or isinstance(value, bool):
        raise TypeError(
            f"{name}(): argument '{argument}' (position {position}) must be int, not "
            f"{type(value).__name__}"
        )


@functools.partial(creating_into, "eye")
def eye(n, m=None, *, dtype=None, device=None, requires_grad=False):
    _check_int("eye", "n", 1, n)
    if m is not None:
        _check_int("eye", "m", 2, m)
    for name, size in (("n", n), ("m", m)):
        if size is not None and size < 0:
            raise RuntimeError(f"{name} must be greater or equal to 0, got {size}")
    d = dtypes.as_dtype(dtype) if dtype is not None else dtypes.get_default_dtype()
    result = wrap(backend.array_module(device or "cpu").eye(n, m, dtype=d.numpy))
    if requires_grad:
        result.requires_grad_(True)
    return result


def _random(draw, kernel, function):
    def make(*size, generator=None, dtype=None, device=None, requires_grad=False, **keywords):
        if "size" in keywords:
            size = (keywords.pop("size"),)
        elif not size:
            raise _no_random_size(function, keywords, generator, dtype, device, requires_grad)
        if keywords:
            raise TypeError(f"unexpected keyword arguments {sorted(keywords)}")
        d = dtypes.as_dtype(dtype) if dtype is not None else dtypes.get_default_dtype()
        if not d.is_floating_point:
            name = _SCALAR_NAMES[d.numpy.name].title()
            raise NotImplementedError(f"\"{kernel}\" not implemented for '{name}'")
        rng = (generator or default_generator)._numpy
        result = wrap(
            _place(numpy.asarray(draw(rng, _shape(size, function)), d.numpy), None, device, False)
        )
        if requires_grad:
            result.requires_grad_(True)
        return result

    return creating_into(function, make)


def _no_random_size(function, keywords, *given):
    """``rand()``: PyTorch's overload error when nothing at all is given, else the missing size."""
    if keywords or any(given):
        return _missing_size(function)
    return TypeError(f"{function}() received an invalid combination of arguments - got ()")


rand = _random(lambda rng, shape: rng.random(shape), "check_uniform_bounds", "rand")
randn = _random(lambda rng, shape: rng.standard_normal(shape), "normal_kernel_cpu", "randn")


def _floating_like(make, name):
    like = _like(make, name)

    def floating_like(input, *, dtype=None, **keywords):
        d = dtypes.as_dtype(dtype) if dtype is not None else input.dtype
        if not d.is_floating_point:
            raise NotImplementedError(f"\"{name}\" not implemented for '{d}'")
        return like(input, dtype=d, **keywords)

    return floating_like


rand_like = _floating_like(rand, "rand_like")
randn_like = _floating_like(randn, "randn_like")


@functools.partial(creating_into, "randint")
def randint(
    low=0, high=None, size=None, *, generator=None, dtype=None, device=None, requires_grad=False
):
    if size is None:  # randint(high, size)
        low, high, size = 0, low, high
    if low >= high:
        raise RuntimeError(
            f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}"
        )
    d = dtypes.as_dtype(dtype) if dtype is not None else dtypes.int64
    rng = (generator or default_generator)._numpy
    result = wrap(rng.integers(low, high, _shape((size,), "randint")).astype(d.numpy))
    if requires_grad:
        result.requires_grad_(True)
    return result


def randint_like(input, low=0, high=None, *, dtype=None):
    if high is None:  # randint_like(x, high)
        low, high = 0, low
    return randint(low, high, input.shape, dtype=dtype or input.dtype)


@functools.partial(creating_into, "randperm")
def randperm(n, *, generator=None, dtype=None, device=None, requires_grad=False):
    _check_int("randperm", "n", 1, n)
    d = dtypes.as_dtype(dtype) if dtype is not None else dtypes.int64
    return wrap((generator or default_generator)._numpy.permutation(n).astype(d.numpy))


def scalar_tensor(value, *, dtype=None, device=None, requires_grad=False):
    if not isinstance(value, (bool, int, float, numpy.generic, Tensor)):
        raise TypeError(
            f"scalar_tensor(): argument 's' (position 1) must be Number, not {type(value).__name__}"
        )
    return tensor(value, dtype=dtype or dtypes.get_default_dtype(), requires_grad=requires_grad)


def _legacy(dtype):
    """Old PyTorch's typed constructors: ``FloatTensor([[1, 2]])`` or ``FloatTensor(2, 3)``."""

    def make(*args):
        if not args or all(isinstance(a, int) for a in args):
            return zeros(*args, dtype=dtype)
        if len(args) == 1:
            return tensor(args[0], dtype=dtype)
        raise TypeError(f"{dtype} constructor expects sizes or one sequence of data")

    make.__name__ = make.__qualname__ = {
        dtypes.float32: "FloatTensor",
        dtypes.float64: "DoubleTensor",
        dtypes.int64: "LongTensor",
        dtypes.int32: "IntTensor",
        dtypes.bool: "BoolTensor",
        dtypes.float16: "HalfTensor",
        dtypes.uint8: "ByteTensor",
    }[dtype]
    return make


FloatTensor = _legacy(dtypes.float32)
DoubleTensor = _legacy(dtypes.float64)
LongTensor = _legacy(dtypes.int64)
IntTensor = _legacy(dtypes.int32)
BoolTensor = _legacy(dtypes.bool)
HalfTensor = _legacy(dtypes.float16)
ByteTensor = _legacy(dtypes.uint8)


def _new(make):
    """``x.new_zeros(2, 3)``: a tensor made like ``make``, with ``x``'s dtype and device."""

    def method(self, *size, dtype=None, device=None, requires_grad=False):
        return make(
            *size,
            dtype=dtype or self.dtype,
            device=device or self.device,
            requires_grad=requires_grad,
        )

    return method


def _new_full(self, size, fill_value, *, dtype=None, device=None, requires_grad=False):
    return full(
        size,
        fill_value,
        dtype=dtype or self.dtype,
        device=device or self.device,
        requires_grad=requires_grad,
    )


def _new_tensor(self, data, *, dtype=None, device=None, requires_grad=False):
    return tensor(
        data, dtype=dtype or self.dtype, device=device or self.device, requires_grad=requires_grad
    )


Tensor.new_zeros = _new(zeros)
Tensor.new_ones = _new(ones)
Tensor.new_empty = _new(empty)
Tensor.new_full = _new_full
Tensor.new_tensor = _new_tensor

"""PyTorch's ``out=`` keyword: ``torch.matmul(a, b, out=c)`` computes the result, writes it into
``c`` (resized if its shape differs) and returns ``c``. The tensors tutorial does this on its
first page; ember used to refuse the keyword or ignore it.

Written once here, around the function, instead of in every op: the op computes a new tensor as
usual and this copies it over, which is what the keyword means (it saves no memory here). Three
kinds of function use it: the ops (``accepting_out``, PyTorch's casting rule), ``ember.linalg``
(the same, with stricter dtype checks passed in) and the constructors (``creating_into``: the
result is made in ``out``'s dtype).
"""

import functools
import warnings

from . import backend, dtypes
from .autograd.grad_mode import STATE, no_grad
from .tensor import Tensor

_NAMES = dtypes.SCALAR_TYPE_NAMES


# ----- what ``out``'s dtype may be, given the result's (PyTorch's ops differ) --------------------


def castable(name, result, out, *args, **kwargs):
    """The ops' rule: any dtype the result casts to without moving down a category."""
    if not dtypes.can_cast(result.dtype, out.dtype):
        raise RuntimeError(
            f"result type {_NAMES[result.dtype.name]} can't be cast to the "
            f"desired output type {_NAMES[out.dtype.name]}"
        )


def same_dtype(name, result, out, *args, **kwargs):
    """Most of ``torch.linalg``: exactly the result's dtype."""
    if result.dtype != out.dtype:
        cpp = dtypes.CPP_TYPE_NAMES
        raise RuntimeError(
            f"Expected out tensor to have dtype {cpp[result.dtype.name]}, but got "
            f"{cpp[out.dtype.name]} instead"
        )


def castable_for(function):
    """The casting rule in the wording of PyTorch's composite functions (``linalg.pinv``)."""

    def check(name, result, out, *args, **kwargs):
        if not dtypes.can_cast(result.dtype, out.dtype):
            raise RuntimeError(
                f"{function}: Expected result to be safely castable from "
                f"{_NAMES[result.dtype.name]} dtype, but got result with dtype "
                f"{_NAMES[out.dtype.name]}"
            )

    return check


# ----- the wrappers --------------------------------------------------------------------------


def accepting_out(name, function, check_dtype=castable):
    """``function`` with an ``out`` keyword (a tensor, or a tuple of them for functions that
    return several, such as ``max(x, dim)``). ``check_dtype(name, result, out, *args,
    **kwargs)`` raises when ``out`` cannot hold the result."""

    @functools.wraps(function)
    def with_out(*args, out=None, **kwargs):
        if out is None:
            return function(*args, **kwargs)
        _refuse_grad(name, (args, kwargs, out))
        result = function(*args, **kwargs)
        if isinstance(result, Tensor):
            _check_out(name, out, Tensor, "Tensor")
            check_dtype(name, result, out, *args, **kwargs)
            return _write(result, out, _resized_warning)
        if isinstance(result, tuple):
            _check_out(name, out, (tuple, list), "tuple of Tensors")
            if len(out) != len(result):
                raise TypeError(f"expected tuple of {len(result)} elements but got {len(out)}")
            for r, o in zip(result, out):
                _check_out(name, o, Tensor, "Tensor")
                check_dtype(name, r, o, *args, **kwargs)
            return type(result)(*(_write(r, o, _resized_warning) for r, o in zip(result, out)))
        raise TypeError(f"{name}() got an unexpected keyword argument 'out'")

    return with_out


def creating_into(name, function, resize_warning=None):
    """The constructor ``function`` (``zeros``, ``arange``, ``rand``) with PyTorch's ``out``:
    the result is made in ``out``'s dtype unless ``dtype`` names another (then PyTorch's error),
    and written into ``out`` without the ops' resize warning (``resize_warning(out, result)``
    gives the constructor's own, if any). ``requires_grad=True`` makes ``out`` require grad."""

    @functools.wraps(function)
    def with_out(*args, out=None, **kwargs):
        if out is None:
            return function(*args, **kwargs)
        _check_out(name, out, Tensor, "Tensor")
        dtype = kwargs.get("dtype")
        if dtype is not None and dtypes.as_dtype(dtype) != out.dtype:
            raise RuntimeError(
                f"dtype {_NAMES[dtypes.as_dtype(dtype).name]} does not match dtype of out "
                f"parameter ({_NAMES[out.dtype.name]})"
            )
        _refuse_grad(f"aten::{name}", (args, kwargs, out))
        requires_grad = kwargs.pop("requires_grad", False)
        result = function(*args, **{**kwargs, "dtype": out.dtype})
        _write(result, out, resize_warning)
        if requires_grad:
            out.requires_grad_(True)
        return out

    return with_out


def _check_out(name, out, kind, kind_name):
    if not isinstance(out, kind):
        raise TypeError(f"{name}(): argument 'out' must be {kind_name}, not {type(out).__name__}")


def _refuse_grad(name, arguments):
    if STATE.enabled and any(t.requires_grad for t in _tensors(arguments)):
        raise RuntimeError(
            f"{name}(): functions with out=... arguments don't support automatic "
            "differentiation, but one of the arguments requires grad."
        )


def _tensors(obj):
    if isinstance(obj, Tensor):
        yield obj
    elif isinstance(obj, (list, tuple)):
        for item in obj:
            yield from _tensors(item)
    elif isinstance(obj, dict):
        yield from _tensors(list(obj.values()))


def _resized_warning(out, result):
    """The ops' warning when ``out`` had elements and the wrong shape."""
    if not out.numel():
        return None
    return (
        "An output with one or more elements was resized since it had shape "
        f"{list(out.shape)}, which does not match the required output shape "
        f"{list(result.shape)}. This behavior is deprecated, and in a future PyTorch "
        "release outputs will not be resized unless they have zero elements. You can "
        "explicitly reuse an out tensor t by resizing it, inplace, to zero elements "
        "with t.resize_(0)."
    )


def _write(result, out, resize_warning):
    if out.shape != result.shape:
        message = resize_warning and resize_warning(out, result)
        if message:
            warnings.warn(message, UserWarning, stacklevel=3)
        # A resize gives ``out`` new memory, as PyTorch's does when the old storage is too small.
        out._data = backend.array_module(out.device).empty(result.shape, out._data.dtype)
    with no_grad():
        out.copy_(result)
    return out

"""PyTorch's ``out=`` keyword on the top-level functions: ``torch.matmul(a, b, out=c)`` computes
the result, writes it into ``c`` (resized if its shape differs) and returns ``c``. The tensors
tutorial does this on its first page; ember used to refuse the keyword or ignore it.

Written once here, around the function, instead of in every op: the op computes a new tensor as
usual and this copies it over, which is what the keyword means (it saves no memory here).
"""

import functools
import warnings

from . import backend, dtypes
from .autograd.grad_mode import STATE, no_grad
from .tensor import Tensor


def accepting_out(name, function):
    """``function`` with an ``out`` keyword (a tensor, or a tuple of them for functions that
    return several, such as ``max(x, dim)``)."""

    @functools.wraps(function)
    def with_out(*args, out=None, **kwargs):
        if out is None:
            return function(*args, **kwargs)
        if STATE.enabled and any(t.requires_grad for t in _tensors((args, kwargs, out))):
            raise RuntimeError(
                f"{name}(): functions with out=... arguments don't support automatic "
                "differentiation, but one of the arguments requires grad."
            )
        result = function(*args, **kwargs)
        if isinstance(result, Tensor):
            return _write(result, out)
        if isinstance(result, tuple) and isinstance(out, (tuple, list)) and len(out) == len(result):
            return type(result)(*(_write(r, o) for r, o in zip(result, out)))
        raise TypeError(f"{name}() got an unexpected keyword argument 'out'")

    return with_out


def _tensors(obj):
    if isinstance(obj, Tensor):
        yield obj
    elif isinstance(obj, (list, tuple)):
        for item in obj:
            yield from _tensors(item)
    elif isinstance(obj, dict):
        yield from _tensors(list(obj.values()))


def _write(result, out):
    if not dtypes.can_cast(result.dtype, out.dtype):
        names = dtypes.SCALAR_TYPE_NAMES
        raise RuntimeError(
            f"result type {names[result.dtype.name]} can't be cast to the "
            f"desired output type {names[out.dtype.name]}"
        )
    if out.shape != result.shape:
        if out.numel():
            warnings.warn(
                "An output with one or more elements was resized since it had shape "
                f"{list(out.shape)}, which does not match the required output shape "
                f"{list(result.shape)}. This behavior is deprecated, and in a future PyTorch "
                "release outputs will not be resized unless they have zero elements. You can "
                "explicitly reuse an out tensor t by resizing it, inplace, to zero elements "
                "with t.resize_(0).",
                UserWarning,
                stacklevel=3,
            )
        # A resize gives ``out`` new memory, as PyTorch's does when the old storage is too small.
        out._data = backend.array_module(out.device).empty(result.shape, out._data.dtype)
    with no_grad():
        out.copy_(result)
    return out

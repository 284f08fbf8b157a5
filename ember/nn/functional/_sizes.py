"""Argument checks shared by the spatial functions (convolution, pooling, padding): sizes given as
an int or a tuple, inputs with or without a batch dim, and errors that name the function."""

from ...functions import squeeze, unsqueeze
from ...tensor import Tensor

__all__ = ["ntuple", "batched", "unbatched", "check_float", "check_tensor"]


def ntuple(value, n, name, function):
    """A size argument as ``n`` ints: ``3`` means ``(3,) * n``; a tuple must have ``n`` entries."""
    if isinstance(value, Tensor):
        value = value.tolist()
    if isinstance(value, int):
        return (value,) * n
    try:
        value = tuple(int(v) for v in value)
    except TypeError:
        raise TypeError(
            f"{function}(): {name} must be an int or a tuple of {n} ints, got {value!r}"
        ) from None
    if len(value) == 1:
        return value * n
    if len(value) != n:
        raise ValueError(
            f"{function}(): {name} must be an int or a tuple of {n} ints, got {value!r}"
        )
    return value


def check_tensor(value, function, name="input"):
    if not isinstance(value, Tensor):
        raise TypeError(
            f"{function}(): argument '{name}' must be a Tensor, not {type(value).__name__}"
        )


def check_float(t, function, name="input"):
    if t._data.dtype.kind != "f":
        raise RuntimeError(f"{function}(): expected a floating point {name}, got {t.dtype}")


def batched(input, spatial, function):
    """``input`` with a batch dim (added when it is unbatched), and whether one was added.
    ``spatial`` is the number of spatial dims after (N, C)."""
    check_tensor(input, function)
    if input.ndim == spatial + 2:
        return input, False
    if input.ndim == spatial + 1:
        return unsqueeze(input, 0), True
    names = {1: "L", 2: "H, W", 3: "D, H, W"}[spatial]
    raise RuntimeError(
        f"{function}: expected {spatial + 1}D (unbatched) or {spatial + 2}D (batched, N, C, "
        f"{names}) input, but got input of size: {list(input.shape)}"
    )


def unbatched(output, added):
    """Undo :func:`batched` on a result."""
    return squeeze(output, 0) if added else output

"""The array library underneath ember: NumPy on the CPU, CuPy on a GPU.

Every op in ember works on raw arrays through NumPy's functions. CuPy arrays implement NumPy's
dispatch protocols (``__array_ufunc__`` and ``__array_function__``), so the same op code runs on
either; only creating arrays and moving them between devices needs to know which library to call.
That is the whole seam: :class:`device` names where an array lives, :func:`array_module` returns the
library that creates arrays there, and :func:`device_of` tells where an existing array lives.
"""

import numpy

__all__ = ["device", "array_module", "device_of", "to_device", "is_available"]


class device:
    """Where a tensor's memory lives: ``device('cpu')`` or ``device('cuda', 0)`` (``'cuda:0'``)."""

    __slots__ = ("type", "index")

    def __init__(self, type="cpu", index=None):
        if isinstance(type, device):
            type, index = type.type, type.index
        elif isinstance(type, str) and ":" in type:
            type, _, number = type.partition(":")
            index = int(number)
        if type not in ("cpu", "cuda"):
            raise RuntimeError(
                f"Expected one of cpu, cuda device type at start of device string: {type}"
            )
        self.type = type
        self.index = index if type == "cuda" else None

    def __eq__(self, other):
        if isinstance(other, str):
            other = device(other)
        return isinstance(other, device) and (self.type, self.index or 0) == (
            other.type,
            other.index or 0,
        )

    def __hash__(self):
        return hash((self.type, self.index or 0))

    def __repr__(self):
        return (
            f"device(type='{self.type}')"
            if self.index is None
            else (f"device(type='{self.type}', index={self.index})")
        )

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"


CPU = device("cpu")


def _cupy():
    try:
        import cupy
    except ImportError as error:  # the GPU backend is an optional extra
        raise RuntimeError(
            "CUDA tensors need CuPy: install ember[gpu] (pip install cupy-cuda12x) on a "
            "machine with a GPU"
        ) from error
    return cupy


def is_available():
    """True when CuPy is installed and sees a GPU (``ember.cuda.is_available()``)."""
    try:
        return _cupy().cuda.runtime.getDeviceCount() > 0
    except Exception:
        return False


def array_module(dev):
    """The array library that creates arrays on ``dev``."""
    return numpy if device(dev).type == "cpu" else _cupy()


def device_of(array):
    """The device an array lives on (NumPy arrays and Python scalars are on the CPU)."""
    if isinstance(array, numpy.ndarray) or not hasattr(array, "device"):
        return CPU
    return device("cuda", array.device.id)


def to_device(array, dev):
    """Copy ``array`` to ``dev`` (no copy when it already lives there)."""
    dev = device(dev)
    if device_of(array) == dev:
        return array
    if dev.type == "cpu":
        return array.get()
    cupy = _cupy()
    with cupy.cuda.Device(dev.index or 0):
        return cupy.asarray(array)

"""``Parameter``: a tensor that a Module registers as one of its learnable weights."""

import numpy

from ..dtypes import get_default_dtype
from ..tensor import Tensor

__all__ = ["Parameter"]


class Parameter(Tensor):
    """A leaf tensor that requires grad and that a Module lists in ``parameters()`` when it is
    assigned as an attribute. ``Parameter(t)`` shares ``t``'s memory (and version counter)."""

    __slots__ = ()

    def __new__(cls, data=None, requires_grad=True):
        if data is None:
            source, version = numpy.empty(0, get_default_dtype().numpy), [0]
        elif isinstance(data, Tensor):
            source, version = data._data, data._vc
        else:
            raise TypeError(f"Parameter(): data must be a Tensor, not {type(data).__name__}")
        p = object.__new__(cls)
        p._data, p._vc = source, version
        p._grad_fn, p._rg, p._grad, p._hooks = None, False, None, None
        if requires_grad:
            p.requires_grad_(True)  # its check: only floating point tensors can require grad
        return p

    def __init__(self, data=None, requires_grad=True):
        pass  # everything happened in __new__; Tensor.__init__ would make a new array

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()

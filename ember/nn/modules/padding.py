"""Padding layers (``ZeroPad2d``, ``ConstantPad1d``, ``ReflectionPad2d``, ...) and ``Upsample``:
:func:`ember.nn.functional.pad` and :func:`~ember.nn.functional.interpolate` as layers (their
gradients come from autograd)."""

from ..functional.padding import pad
from ..functional.upsampling import interpolate
from ..module import Module

__all__ = [
    "ZeroPad1d",
    "ZeroPad2d",
    "ConstantPad1d",
    "ConstantPad2d",
    "ReflectionPad1d",
    "ReflectionPad2d",
    "ReplicationPad1d",
    "ReplicationPad2d",
    "Upsample",
]


class _Pad(Module):
    mode, dims = "constant", 1

    def __init__(self, padding, value=0.0):
        super().__init__()
        # An int pads every side by it; a tuple gives (left, right, top, bottom, ...).
        self.padding = (padding,) * (2 * self.dims) if isinstance(padding, int) else tuple(padding)
        if len(self.padding) != 2 * self.dims:
            raise ValueError(
                f"{type(self).__name__}: padding must be an int or {2 * self.dims} ints, got "
                f"{padding!r}"
            )
        self.value = value

    def forward(self, input):
        if self.mode == "constant":
            return pad(input, self.padding, "constant", self.value)
        return pad(input, self.padding, self.mode)

    def extra_repr(self):
        return f"{self.padding}"


def _padding_layer(name, mode, dims, constant_repr=False):
    namespace = {"mode": mode, "dims": dims, "__module__": __name__}
    if constant_repr:
        namespace["extra_repr"] = lambda self: f"padding={self.padding}, value={self.value}"
    else:  # no value argument
        namespace["__init__"] = lambda self, padding: _Pad.__init__(self, padding)
    return type(name, (_Pad,), namespace)


ZeroPad1d = _padding_layer("ZeroPad1d", "constant", 1)
ZeroPad2d = _padding_layer("ZeroPad2d", "constant", 2)
ConstantPad1d = _padding_layer("ConstantPad1d", "constant", 1, constant_repr=True)
ConstantPad2d = _padding_layer("ConstantPad2d", "constant", 2, constant_repr=True)
ReflectionPad1d = _padding_layer("ReflectionPad1d", "reflect", 1)
ReflectionPad2d = _padding_layer("ReflectionPad2d", "reflect", 2)
ReplicationPad1d = _padding_layer("ReplicationPad1d", "replicate", 1)
ReplicationPad2d = _padding_layer("ReplicationPad2d", "replicate", 2)


class Upsample(Module):
    """Resize by ``scale_factor`` or to ``size`` (see :func:`~ember.nn.functional.interpolate`)."""

    def __init__(self, size=None, scale_factor=None, mode="nearest", align_corners=None):
        super().__init__()
        self.size = size
        if scale_factor is not None and not isinstance(scale_factor, tuple):
            scale_factor = float(scale_factor)
        self.scale_factor, self.mode, self.align_corners = scale_factor, mode, align_corners

    def forward(self, input):
        return interpolate(input, self.size, self.scale_factor, self.mode, self.align_corners)

    def extra_repr(self):
        if self.scale_factor is not None:
            info = f"scale_factor={self.scale_factor!r}"
        else:
            info = f"size={self.size!r}"
        return info + f", mode={self.mode!r}"

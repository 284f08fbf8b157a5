"""``Dropout1d``, ``Dropout2d``, ``Dropout3d``: in training, zero whole channels with probability
``p`` and scale the rest by ``1 / (1 - p)``; in eval, the identity.

The forward is ``input * mask`` (one ``mul`` op with a constant mask), so the protocol's
``gradInput`` is ``gradOutput * mask``, with the mask the forward drew.
"""

from ...ops import elementwise as E
from ..functional.channel_dropout import dropout1d, dropout2d, dropout3d, keep_mask
from ..functional.dropout import check_probability
from .op_layer import OpLayer

__all__ = ["Dropout1d", "Dropout2d", "Dropout3d"]


class _DropoutNd(OpLayer):
    _function = None
    _spatial = 2

    def __init__(self, p=0.5, inplace=False):
        super().__init__()
        check_probability(p)
        self.p, self.inplace = p, inplace

    def extra_repr(self):
        return f"p={self.p}, inplace={self.inplace}"

    def updateOutput(self, input):
        function = type(self)._function
        if not self.training or self.p == 0 or self.inplace:
            return self.composite(input, function(input, self.p, self.training, self.inplace))
        function(input, 0.0, False)  # the function's checks (and warnings), without a draw
        batched = input.ndim == self._spatial + 2 or (self._spatial == 2 and input.ndim == 3)
        shape = tuple(input.shape[:2]) if batched else tuple(input.shape[:1])
        shape += (1,) * (input.ndim - len(shape))
        mask = keep_mask(shape, self.p, input._data.dtype)
        return self.run(input, E.BINARY["mul"], (input, mask), 0)


class Dropout1d(_DropoutNd):
    """Channel dropout for (N, C, L) or (C, L)."""

    _function = staticmethod(dropout1d)
    _spatial = 1


class Dropout2d(_DropoutNd):
    """Channel dropout for (N, C, H, W) (a 3-D input is read as (N, C, L), as in PyTorch)."""

    _function = staticmethod(dropout2d)
    _spatial = 2


class Dropout3d(_DropoutNd):
    """Channel dropout for (N, C, D, H, W) or (C, D, H, W)."""

    _function = staticmethod(dropout3d)
    _spatial = 3

"""``PixelShuffle`` and ``PixelUnshuffle``: :mod:`ember.nn.functional.pixel_shuffle` as layers.
Each forward is one permutation op, so the protocol's ``gradInput`` is the inverse permutation of
``gradOutput``."""

from ..functional.pixel_shuffle import pixel_shuffle_arguments
from .op_layer import OpLayer

__all__ = ["PixelShuffle", "PixelUnshuffle"]


class PixelShuffle(OpLayer):
    """(*, C r^2, H, W) -> (*, C, H r, W r) with ``r = upscale_factor``."""

    def __init__(self, upscale_factor):
        super().__init__()
        self.upscale_factor = upscale_factor

    def extra_repr(self):
        return f"upscale_factor={self.upscale_factor}"

    def updateOutput(self, input):
        op, *args = pixel_shuffle_arguments("pixel_shuffle", input, self.upscale_factor)
        return self.run(input, op, args)


class PixelUnshuffle(OpLayer):
    """(*, C, H r, W r) -> (*, C r^2, H, W) with ``r = downscale_factor``."""

    def __init__(self, downscale_factor):
        super().__init__()
        self.downscale_factor = downscale_factor

    def extra_repr(self):
        return f"downscale_factor={self.downscale_factor}"

    def updateOutput(self, input):
        op, *args = pixel_shuffle_arguments("pixel_unshuffle", input, self.downscale_factor)
        return self.run(input, op, args)

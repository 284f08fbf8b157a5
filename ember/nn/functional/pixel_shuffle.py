"""``pixel_shuffle`` and ``pixel_unshuffle``: trade channels for resolution, (*, C r^2, H, W) <->
(*, C, H r, W r). The permutation and its VJP are in :mod:`ember.ops.shape`; here are the checks."""

from ...ops import shape as S
from ...tensor import apply
from ._sizes import check_tensor

__all__ = ["pixel_shuffle", "pixel_unshuffle", "pixel_shuffle_arguments"]


def pixel_shuffle(input, upscale_factor):
    """(*, C r^2, H, W) -> (*, C, H r, W r): each r x r block of channels becomes a patch."""
    return apply(*pixel_shuffle_arguments("pixel_shuffle", input, upscale_factor))


def pixel_unshuffle(input, downscale_factor):
    """(*, C, H r, W r) -> (*, C r^2, H, W): the inverse of :func:`pixel_shuffle`."""
    return apply(*pixel_shuffle_arguments("pixel_unshuffle", input, downscale_factor))


def pixel_shuffle_arguments(name, input, factor):
    """The op ``name`` (pixel_shuffle or pixel_unshuffle) followed by its checked arguments."""
    check_tensor(input, name)
    r = int(factor)
    what = "upscale_factor" if name == "pixel_shuffle" else "downscale_factor"
    if input.ndim < 3:
        raise RuntimeError(
            f"{name} expects input to have at least 3 dimensions, but got input with "
            f"{input.ndim} dimension(s)"
        )
    if r <= 0:
        raise RuntimeError(f"{name} expects a positive {what}, but got {r}")
    if name == "pixel_shuffle":
        if input.shape[-3] % (r * r):
            raise RuntimeError(
                "pixel_shuffle expects its input's 'channel' dimension to be divisible by the "
                f"square of upscale_factor, but input.size(-3)={input.shape[-3]} is not "
                f"divisible by {r * r}"
            )
        return S.pixel_shuffle, input, r
    for dim, side in ((-2, "height"), (-1, "width")):
        if input.shape[dim] % r:
            raise RuntimeError(
                f"pixel_unshuffle expects {side} to be divisible by downscale_factor, but "
                f"input.size({dim})={input.shape[dim]} is not divisible by {r}"
            )
    return S.pixel_unshuffle, input, r

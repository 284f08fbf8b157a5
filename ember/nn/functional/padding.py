"""``pad``: a border around the trailing dims, by a constant, the reflection of the edge, the edge
itself repeated, or the opposite edge (circular). Negative pads crop.

The non-constant modes are index maps along each padded dim (output ``i`` reads input
``index[i]``), one op in :mod:`ember.ops.resample` whose VJP adds the gradient back where each value
was read, so the edge values a reflection or replication copied get every copy's gradient.
"""

import numpy

from ...ops import resample as R
from ...ops.op import renamed
from ...tensor import apply
from ._sizes import check_tensor

__all__ = ["pad"]

_NAMES = {
    "reflect": "ReflectionPad{}DBackward0",
    "replicate": "ReplicationPad{}DBackward0",
    "circular": "CircularPad{}DBackward0",
}
_OPS = {
    (mode, d): renamed(R.take_axes, name.format(d))
    for mode, name in _NAMES.items()
    for d in (1, 2, 3)
}


def _index(mode, size, lo, hi):
    # A negative pad crops first; the positive pads then extend what is left (as PyTorch does).
    start = max(-lo, 0)
    size -= start + max(-hi, 0)
    lo, hi = max(lo, 0), max(hi, 0)
    positions = numpy.arange(-lo, size + hi)
    if mode == "reflect":  # mirror at the edge elements, which are not repeated
        positions = numpy.abs(positions)
        positions = numpy.where(positions > size - 1, 2 * (size - 1) - positions, positions)
    elif mode == "replicate":
        positions = numpy.clip(positions, 0, size - 1)
    else:  # circular
        positions = positions % size
    return positions + start


def pad(input, pad, mode="constant", value=None):
    """Pad the last ``len(pad) // 2`` dims: ``pad = (left, right, top, bottom, ...)`` starting
    from the last dim. Modes: ``'constant'`` (with ``value``, default 0), ``'reflect'``,
    ``'replicate'``, ``'circular'``."""
    check_tensor(input, "pad")
    pad = tuple(int(p) for p in pad)
    if len(pad) % 2:
        raise RuntimeError(f"pad: padding length must be divisible by 2, got {len(pad)}")
    d = len(pad) // 2
    if d > input.ndim:
        raise RuntimeError(
            f"pad: padding length {len(pad)} is too large for a {input.ndim}D "
            "input (at most 2 per dim)"
        )
    # (before, after) per padded dim, first dim first (the argument lists the last dim first)
    pairs = tuple((pad[2 * i], pad[2 * i + 1]) for i in reversed(range(d)))
    sizes = input.shape[input.ndim - d :]
    for n, (lo, hi) in zip(sizes, pairs):
        if n + lo + hi < 0:
            raise RuntimeError(
                f"pad: the padded size {n + lo + hi} of a dim of size {n} is negative"
            )
    if mode == "constant":
        return apply(R.constant_pad, input, pairs, 0 if value is None else value)
    if mode not in _NAMES:
        raise NotImplementedError(
            f"pad: unknown padding mode '{mode}' (use 'constant', "
            "'reflect', 'replicate' or 'circular')"
        )
    if value is not None and value != 0:
        raise ValueError(f"pad: padding mode '{mode}' doesn't take in value argument")
    if d > 3 or input.ndim not in (d + 1, d + 2):
        raise NotImplementedError(
            f"pad: only 2D, 3D, 4D, 5D padding with non-constant padding is supported for now "
            f"(mode '{mode}' with {len(pad)} pad values expects a {d + 1}D or {d + 2}D input, "
            f"got {input.ndim}D)"
        )
    for axis, (n, (lo, hi)) in enumerate(zip(sizes, pairs)):
        limit = n - 1 if mode == "reflect" else n if mode == "circular" else None
        if limit is not None and (lo > limit or hi > limit):
            raise RuntimeError(
                f"pad: padding ({lo}, {hi}) at dim {input.ndim - d + axis} of input "
                f"{list(input.shape)} should be {'less than' if mode == 'reflect' else 'at most'}"
                " the size of that dim for mode '{mode}'"
            )
        if mode == "replicate" and n == 0:
            raise RuntimeError("pad: replicate padding needs a non-empty dim")
    indices = tuple(_index(mode, n, lo, hi) for n, (lo, hi) in zip(sizes, pairs))
    return apply(_OPS[(mode, d)], input, indices)

"""``pad_sequence``: sequences of different lengths padded to the longest and stacked into one
batch (what a recurrent layer reads). Built from ``pad`` and ``stack``, so autograd gives each
sequence its slice of the gradient."""

from ...functions import stack
from ...tensor import Tensor
from ..functional.padding import pad

__all__ = ["pad_sequence"]


def pad_sequence(sequences, batch_first=False, padding_value=0.0, padding_side="right"):
    """(L_i, *) tensors -> (L_max, B, *) (or (B, L_max, *) with ``batch_first``), filled with
    ``padding_value`` after each sequence (or before, with ``padding_side='left'``)."""
    if padding_side not in ("left", "right"):
        raise RuntimeError(
            f"Expected padding_side to be one of left or right, but got {padding_side}."
        )
    sequences = list(sequences.unbind(0)) if isinstance(sequences, Tensor) else list(sequences)
    if not sequences:
        raise RuntimeError("received an empty list of sequences")
    first = sequences[0]
    longest = max(s.shape[0] for s in sequences)
    padded = []
    for s in sequences:
        for dim, (a, b) in enumerate(zip(first.shape[1:], s.shape[1:]), start=1):
            if a != b:
                raise RuntimeError(
                    f"The size of tensor a ({a}) must match the size of tensor b ({b}) at "
                    f"non-singleton dimension {dim}"
                )
        extra = longest - s.shape[0]
        widths = (0, 0) * (s.ndim - 1) + ((0, extra) if padding_side == "right" else (extra, 0))
        padded.append(pad(s.to(first.dtype), widths, value=padding_value))
    return stack(padded, 0 if batch_first else 1)

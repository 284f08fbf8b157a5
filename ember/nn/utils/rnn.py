"""Batches of sequences of different lengths, as PyTorch's ``torch.nn.utils.rnn``:
``pad_sequence`` pads them to the longest and stacks them; a :class:`PackedSequence` keeps only
the real steps, time-major (at step ``t``, the ``batch_sizes[t]`` sequences still running,
longest first), which is what a recurrent layer reads without computing on padding.

Packing and padding are gathers (indexing with integer arrays), so autograd gives each
sequence its slice of the gradient."""

from collections import namedtuple

import numpy

from ...creation import full, tensor
from ...dtypes import int64
from ...functions import cat, sort, stack
from ...tensor import Tensor
from ..functional.padding import pad

__all__ = [
    "PackedSequence",
    "invert_permutation",
    "pack_padded_sequence",
    "pad_packed_sequence",
    "pad_sequence",
    "unpad_sequence",
    "pack_sequence",
    "unpack_sequence",
]


class PackedSequence(
    namedtuple("PackedSequence_", "data batch_sizes sorted_indices unsorted_indices")
):
    """``data``: every sequence's steps, step by step (rows ``sum(batch_sizes[:t])`` on are
    step ``t`` of the ``batch_sizes[t]`` longest sequences); ``sorted_indices``: the batch
    position of each sequence in that order (None when the batch came sorted);
    ``unsorted_indices``: its inverse. Made by :func:`pack_padded_sequence` and
    :func:`pack_sequence`, read by the recurrent layers."""

    __slots__ = ()

    def __new__(cls, data, batch_sizes=None, sorted_indices=None, unsorted_indices=None):
        if unsorted_indices is None:
            unsorted_indices = invert_permutation(sorted_indices)
        if batch_sizes is None:  # PyTorch's other form: PackedSequence((data, batch_sizes))
            data, batch_sizes = data
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def to(self, *args, **kwargs):
        """``data`` converted as ``Tensor.to`` does; ``self`` when nothing changes."""
        data = self.data.to(*args, **kwargs)
        if data is self.data:
            return self
        return type(self)(data, self.batch_sizes, self.sorted_indices, self.unsorted_indices)

    def double(self):
        return self.to(dtype=self.data.double().dtype)

    def float(self):
        return self.to(dtype=self.data.float().dtype)

    @property
    def is_cuda(self):
        return self.data.is_cuda


def invert_permutation(permutation):
    """The permutation that undoes ``permutation`` (None for None)."""
    if permutation is None:
        return None
    inverse = numpy.empty_like(permutation._data)
    inverse[permutation._data] = numpy.arange(inverse.size)
    return tensor(inverse)


def _batch_sizes_to_lengths(batch_sizes):
    """Each sequence's length, longest first, from how many sequences run at each step."""
    return (batch_sizes[:, None] > numpy.arange(batch_sizes[0])).sum(0)


def _positions(batch_sizes):
    """(step, sequence) of each row of packed data."""
    steps = numpy.repeat(numpy.arange(batch_sizes.size), batch_sizes)
    sequences = numpy.concatenate([numpy.arange(n) for n in batch_sizes])
    return steps, sequences


def _pack(padded, batch_sizes):
    """Time-major padded (T, B, *) -> packed data: the real steps, step by step."""
    return padded[_positions(batch_sizes)]


def _pad(data, batch_sizes, padding_value, total_length):
    """Packed data -> time-major (total_length, B, *), ``padding_value`` after each sequence:
    one gather from the data with a padding row appended."""
    rows = data.shape[0]
    source = numpy.full((total_length, batch_sizes[0]), rows)
    source[_positions(batch_sizes)] = numpy.arange(rows)
    filler = full((1,) + tuple(data.shape[1:]), padding_value, dtype=data.dtype)
    return cat([data, filler])[source]


def pack_padded_sequence(input, lengths, batch_first=False, enforce_sorted=True):
    """A padded batch (T, B, *) (or (B, T, *) with ``batch_first``) and each sequence's
    length -> a :class:`PackedSequence`. With ``enforce_sorted`` the lengths must already
    be in decreasing order; otherwise the batch is sorted (and remembers how)."""
    lengths = (
        lengths.to(dtype=int64) if isinstance(lengths, Tensor) else tensor(lengths, dtype=int64)
    )
    if lengths.ndim != 1:
        raise RuntimeError(
            f"'lengths' argument should be a 1D CPU int64 tensor, but got {lengths.ndim}D cpu "
            "Long tensor"
        )
    if input.ndim < 2:
        raise IndexError(
            f"Dimension out of range (expected to be in range of [{-max(input.ndim, 1)}, "
            f"{max(input.ndim, 1) - 1}], but got 1)"
        )
    sorted_indices = None
    if not enforce_sorted:
        lengths, sorted_indices = sort(lengths, descending=True)
        input = input.index_select(0 if batch_first else 1, sorted_indices)
    if batch_first:
        input = input.transpose(0, 1)
    steps, batch = input.shape[0], input.shape[1]
    if input.numel() == 0:
        raise RuntimeError("Cannot pack empty tensors.")
    length = lengths._data
    if length.size != batch:
        raise RuntimeError(
            f"Expected `len(lengths)` to be equal to batch_size, but got {length.size} "
            f"(batch_size={batch})"
        )
    if length[-1] <= 0:
        raise RuntimeError(
            "Length of all samples has to be greater than 0, but found an element in 'lengths' "
            "that is <= 0"
        )
    if (numpy.diff(length) > 0).any():
        raise RuntimeError(
            "`lengths` array must be sorted in decreasing order when `enforce_sorted` is True. "
            "You can pass `enforce_sorted=False` to pack_padded_sequence and/or pack_sequence "
            "to sidestep this requirement if you do not need ONNX exportability."
        )
    if length[0] > steps:  # PyTorch reads past the tensor's end here
        raise RuntimeError(
            f"a sequence is {length[0]} steps long, but the padded input has only {steps}"
        )
    batch_sizes = (length[:, None] > numpy.arange(length[0])).sum(0)
    return PackedSequence(_pack(input, batch_sizes), tensor(batch_sizes), sorted_indices, None)


def pad_packed_sequence(sequence, batch_first=False, padding_value=0.0, total_length=None):
    """A :class:`PackedSequence` -> ``(padded, lengths)``: the batch padded with
    ``padding_value`` to the longest sequence (or ``total_length``), in its original order,
    and each sequence's length (int64)."""
    batch_sizes = sequence.batch_sizes._data
    max_seq_length = batch_sizes.size
    if total_length is not None:
        if total_length < max_seq_length:
            raise ValueError(
                "Expected total_length to be at least the length of the longest sequence in "
                f"input, but got total_length={total_length} and max sequence length being "
                f"{max_seq_length}"
            )
        max_seq_length = total_length
    padded = _pad(sequence.data, batch_sizes, padding_value, max_seq_length)
    lengths = tensor(_batch_sizes_to_lengths(batch_sizes), dtype=int64)
    if batch_first:
        padded = padded.transpose(0, 1)
    if sequence.unsorted_indices is not None:
        padded = padded.index_select(0 if batch_first else 1, sequence.unsorted_indices)
        lengths = lengths[sequence.unsorted_indices]
    return padded, lengths


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


def unpad_sequence(padded_sequences, lengths, batch_first=False):
    """A padded batch and its lengths -> the list of sequences, each ``(lengths[i], *)``."""
    if not batch_first:  # PyTorch transposes the caller's tensor in place; ember does not
        padded_sequences = padded_sequences.transpose(0, 1)
    steps = numpy.arange(padded_sequences.shape[1])
    return [seq[steps < int(length)] for seq, length in zip(padded_sequences, lengths)]


def pack_sequence(sequences, enforce_sorted=True):
    """Sequences ``(L_i, *)`` -> a :class:`PackedSequence` (``pad_sequence`` then
    ``pack_padded_sequence``)."""
    lengths = [v.shape[0] for v in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences):
    """A :class:`PackedSequence` -> the list of its sequences, in their original order."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)

"""``Embedding`` and Torch7's ``LookupTable``: a table of vectors, one row per index.

The forward is one op (:mod:`ember.ops.embedding`), so the protocol's ``accGradParameters`` is its
VJP: each row's ``gradWeight`` gets the sum of the ``gradOutput`` rows of every place it was looked
up (none for ``padding_idx``). Indices carry no gradient: ``gradInput`` is zeros, as in Torch7.
"""

from ...creation import empty, zeros_like
from .. import init
from ..functional.sparse import embedding_arguments, embedding_bag_arguments
from ..parameter import Parameter
from .op_layer import OpLayer

__all__ = ["Embedding", "EmbeddingBag", "LookupTable"]


class Embedding(OpLayer):
    """``weight[input]`` for integer ``input`` of any shape; ``weight`` (num_embeddings,
    embedding_dim) starts as N(0, 1) samples, with the ``padding_idx`` row zero."""

    def __init__(
        self,
        num_embeddings,
        embedding_dim,
        padding_idx=None,
        max_norm=None,
        norm_type=2.0,
        scale_grad_by_freq=False,
        sparse=False,
        _weight=None,
        _freeze=False,
        device=None,
        dtype=None,
    ):
        super().__init__()
        padding_idx = _padding_index(padding_idx, num_embeddings, "Padding_idx")
        self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
        self.padding_idx, self.max_norm, self.norm_type = padding_idx, max_norm, norm_type
        self.scale_grad_by_freq, self.sparse = scale_grad_by_freq, sparse
        if _weight is None:
            self.weight = Parameter(
                empty((num_embeddings, embedding_dim), dtype=dtype, device=device),
                requires_grad=not _freeze,
            )
            self.reset_parameters()
        else:
            if tuple(_weight.shape) != (num_embeddings, embedding_dim):
                raise ValueError(
                    "Embedding: shape of _weight does not match num_embeddings and embedding_dim"
                )
            self.weight = Parameter(_weight, requires_grad=not _freeze)

    def reset_parameters(self):
        init.normal_(self.weight)
        if self.padding_idx is not None:
            self.weight._data[self.padding_idx] = 0

    @classmethod
    def from_pretrained(
        cls,
        embeddings,
        freeze=True,
        padding_idx=None,
        max_norm=None,
        norm_type=2.0,
        scale_grad_by_freq=False,
        sparse=False,
    ):
        """An Embedding whose table is ``embeddings`` (2-D); ``freeze``: no gradient for it."""
        if embeddings.ndim != 2:
            raise ValueError("Embeddings parameter is expected to be 2-dimensional")
        rows, cols = embeddings.shape
        return cls(
            rows,
            cols,
            padding_idx,
            max_norm,
            norm_type,
            scale_grad_by_freq,
            sparse,
            _weight=embeddings.detach().clone(),
            _freeze=freeze,
        )

    def extra_repr(self):
        text = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.padding_idx is not None:
            text += f", padding_idx={self.padding_idx}"
        if self.max_norm is not None:
            text += f", max_norm={self.max_norm}"
        if self.norm_type != 2:
            text += f", norm_type={self.norm_type}"
        if self.scale_grad_by_freq:
            text += f", scale_grad_by_freq={self.scale_grad_by_freq}"
        return text

    def updateOutput(self, input):
        op, *args = embedding_arguments(
            input,
            self.weight,
            self.padding_idx,
            self.max_norm,
            self.norm_type,
            self.scale_grad_by_freq,
            self.sparse,
        )
        return self.run(input, op, args, 1, {0: self.weight})

    def updateGradInput(self, input, gradOutput):
        self._check_input(input, "updateGradInput")
        self.gradInput = zeros_like(input)  # indices have no gradient
        return self.gradInput

    def backward(self, input, gradOutput, scale=1):
        self.updateGradInput(input, gradOutput)
        self.accGradParameters(input, gradOutput, scale)
        return self.gradInput


class EmbeddingBag(OpLayer):
    """One vector per bag of indices: the sum, mean or max of the ``weight`` rows it picks. Bags
    are the rows of a 2-D input, or slices of a 1-D input starting at ``offsets``; the protocol
    is the op's VJP, as for :class:`Embedding`."""

    def __init__(
        self,
        num_embeddings,
        embedding_dim,
        max_norm=None,
        norm_type=2.0,
        scale_grad_by_freq=False,
        mode="mean",
        sparse=False,
        _weight=None,
        include_last_offset=False,
        padding_idx=None,
        device=None,
        dtype=None,
    ):
        super().__init__()
        padding_idx = _padding_index(padding_idx, num_embeddings, "padding_idx")
        self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
        self.max_norm, self.norm_type, self.scale_grad_by_freq = (
            max_norm,
            norm_type,
            scale_grad_by_freq,
        )
        self.mode, self.sparse, self.include_last_offset = mode, sparse, include_last_offset
        self.padding_idx = padding_idx
        if _weight is None:
            self.weight = Parameter(
                empty((num_embeddings, embedding_dim), dtype=dtype, device=device)
            )
            self.reset_parameters()
        else:
            if tuple(_weight.shape) != (num_embeddings, embedding_dim):
                raise AssertionError(
                    "Shape of weight does not match num_embeddings and embedding_dim"
                )
            self.weight = Parameter(_weight)

    @classmethod
    def from_pretrained(
        cls,
        embeddings,
        freeze=True,
        max_norm=None,
        norm_type=2.0,
        scale_grad_by_freq=False,
        mode="mean",
        sparse=False,
        include_last_offset=False,
        padding_idx=None,
    ):
        """An EmbeddingBag whose table is ``embeddings`` (2-D, shared, not copied, as PyTorch's);
        ``freeze``: no gradient for it."""
        if embeddings.ndim != 2:
            raise AssertionError("Embeddings parameter is expected to be 2-dimensional")
        rows, cols = embeddings.shape
        bag = cls(
            rows,
            cols,
            max_norm,
            norm_type,
            scale_grad_by_freq,
            mode,
            sparse,
            _weight=embeddings,
            include_last_offset=include_last_offset,
            padding_idx=padding_idx,
        )
        bag.weight.requires_grad = not freeze
        return bag

    reset_parameters = Embedding.reset_parameters
    updateGradInput = Embedding.updateGradInput  # indices have no gradient
    backward = Embedding.backward

    def extra_repr(self):
        text = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.max_norm is not None:
            text += f", max_norm={self.max_norm}"
        if self.norm_type != 2:
            text += f", norm_type={self.norm_type}"
        if self.scale_grad_by_freq:
            text += f", scale_grad_by_freq={self.scale_grad_by_freq}"
        text += f", mode={self.mode!r}"
        if self.padding_idx is not None:
            text += f", padding_idx={self.padding_idx}"
        return text

    def updateOutput(self, input, offsets=None, per_sample_weights=None):
        op, *args = embedding_bag_arguments(
            input,
            self.weight,
            offsets,
            self.max_norm,
            self.norm_type,
            self.scale_grad_by_freq,
            self.mode,
            self.sparse,
            per_sample_weights,
            self.include_last_offset,
            self.padding_idx,
        )
        return self.run(input, op, args, 1, {0: self.weight})


class LookupTable(Embedding):
    """Torch7's name for Embedding: ``LookupTable(nIndex, nOutput, paddingValue=None,
    maxNorm=None, normType=2)``. Indices count from 0, as everywhere in Python."""

    def __init__(self, nIndex, nOutput, paddingValue=None, maxNorm=None, normType=2.0):
        super().__init__(nIndex, nOutput, paddingValue, maxNorm, normType)


def _padding_index(padding_idx, num_embeddings, spelled):
    """``padding_idx`` made non-negative, with PyTorch's error when it is out of range (Embedding
    and EmbeddingBag spell the argument's name differently in it)."""
    if padding_idx is None:
        return None
    if not -num_embeddings <= padding_idx < num_embeddings:
        raise AssertionError(f"{spelled} must be within num_embeddings")
    return padding_idx % num_embeddings

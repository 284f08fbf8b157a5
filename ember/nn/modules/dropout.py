"""``Dropout``: during training, zero each element with probability ``p`` and scale the rest by
``1 / (1 - p)``; in eval mode, the identity. The protocol's backward multiplies ``gradOutput`` by
the same mask, so it needs the forward that drew it."""

from ...tensor import Tensor, wrap
from ..functional.dropout import (
    alpha_affine,
    alpha_dropout,
    alpha_noise,
    check_probability,
    dropout_mask,
    feature_alpha_dropout,
    masked,
)
from ..module import Module

__all__ = ["Dropout", "AlphaDropout", "FeatureAlphaDropout"]


class Dropout(Module):
    def __init__(self, p=0.5, inplace=False):
        super().__init__()
        check_probability(p)
        self.p = p
        self.inplace = inplace
        self._mask = None

    def extra_repr(self):
        return f"p={self.p}, inplace={self.inplace}"

    def updateOutput(self, input):
        if not isinstance(input, Tensor):
            raise TypeError(f"Dropout: input must be a Tensor, got {type(input).__name__}")
        if self.training and self.p > 0:
            self._mask = dropout_mask(input, self.p)
            output = masked(input, self._mask, self.inplace)
        else:
            self._mask, output = None, input
        self._remember(input, output)
        return output

    def updateGradInput(self, input, gradOutput):
        if not self._check_input(input, "updateGradInput"):
            raise RuntimeError(
                "Dropout.updateGradInput: no forward on record; the mask is drawn "
                "in forward, so call forward(input) first"
            )
        mask = self._mask
        grad = self._check_grad_output(gradOutput, input._data.shape, input._data.dtype)
        self.gradInput = gradOutput if mask is None else wrap(grad * mask)
        return self.gradInput

    def accGradParameters(self, input, gradOutput, scale=1):
        pass


class AlphaDropout(Dropout):
    """Dropout for SELU networks (see :func:`ember.nn.functional.alpha_dropout`): in training
    ``input * a + b`` with random ``a``, ``b``; the protocol's gradient is ``gradOutput * a``."""

    _feature = False

    def updateOutput(self, input):
        function = feature_alpha_dropout if self._feature else alpha_dropout
        function(input, 0.0, False)  # the function's checks, without a draw
        if not self.training or self.p == 0 or input.numel() == 0:
            self._mask, output = None, input
        else:
            self._mask, shift = alpha_noise(input, self.p, self._feature)
            output = alpha_affine(input, self._mask, shift, self.inplace)
        self._remember(input, output)
        return output


class FeatureAlphaDropout(AlphaDropout):
    """:class:`AlphaDropout` of whole channels: one draw per (sample, channel)."""

    _feature = True

"""``Linear`` (the fully-connected layer of seeds 000-002) and ``Identity``.

Linear's three protocol methods are the three VJPs of the one ``linear`` op in
:mod:`ember.ops.layers`, so the hand-driven layer and autograd compute the same numbers:

- ``updateOutput``:      output = input W^T + b
- ``updateGradInput``:   gradInput = gradOutput W                    (Torch7: addmm/addmv)
- ``accGradParameters``: gradWeight += scale gradOutput^T input       (Torch7: addr/addmm)
                         gradBias   += scale gradOutput summed over the batch
"""

import math

from ...creation import empty
from ...ops import layers as _layers
from ...ops import xp_numpy
from ...tensor import wrap
from .. import functional as F
from .. import init
from ..module import Module, accumulate_grad
from ..parameter import Parameter

__all__ = ["Linear", "Identity"]


class Linear(Module):
    """``y = x W^T + b`` with ``W`` of shape ``(out_features, in_features)``; input ``(in,)`` or
    ``(*, in)``. Initialised as PyTorch (and Torch7) do: uniform on ``±1/sqrt(in_features)``."""

    def __init__(self, in_features, out_features, bias=True, device=None, dtype=None):
        super().__init__()
        self.in_features = in_features
        self.out_features = out_features
        self.weight = Parameter(empty((out_features, in_features), dtype=dtype, device=device))
        if bias:
            self.bias = Parameter(empty(out_features, dtype=dtype, device=device))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        # kaiming_uniform_ with a = sqrt(5) is uniform on ±1/sqrt(fan_in), like the bias below.
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            bound = 1 / math.sqrt(self.in_features) if self.in_features > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def extra_repr(self):
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, "
            f"bias={self.bias is not None}"
        )

    def updateOutput(self, input):
        output = F.linear(input, self.weight, self.bias)
        self._remember(input, output)
        return output

    def _vjp_args(self, input, gradOutput, method):
        self._check_input(input, method)
        weight, bias = self.weight._data, self.bias
        shape = input._data.shape[:-1] + (weight.shape[0],)
        grad = self._check_grad_output(gradOutput, shape, weight.dtype, method)
        return xp_numpy, grad, input._data, weight, None if bias is None else bias._data, None

    def updateGradInput(self, input, gradOutput):
        args = self._vjp_args(input, gradOutput, "updateGradInput")
        self.gradInput = wrap(_layers.linear.vjps[0](*args))
        return self.gradInput

    def accGradParameters(self, input, gradOutput, scale=1):
        self._acc_grad_parameters(self._vjp_args(input, gradOutput, "accGradParameters"), scale)

    def _acc_grad_parameters(self, args, scale):
        accumulate_grad(self.weight, _layers.linear.vjps[1](*args), scale)
        if self.bias is not None:
            accumulate_grad(self.bias, _layers.linear.vjps[2](*args), scale)

    def backward(self, input, gradOutput, scale=1):
        cls = type(self)
        if (
            cls.updateGradInput is not Linear.updateGradInput
            or cls.accGradParameters is not Linear.accGradParameters
        ):
            return super().backward(input, gradOutput, scale)  # a subclass changed one of them
        args = self._vjp_args(input, gradOutput, "backward")  # checked once for both
        self.gradInput = wrap(_layers.linear.vjps[0](*args))
        self._acc_grad_parameters(args, scale)
        return self.gradInput


class Identity(Module):
    """Returns its input unchanged (any constructor arguments are ignored)."""

    def __init__(self, *args, **kwargs):
        super().__init__()

    def updateOutput(self, input):
        self._remember(input, input)
        return input

    def updateGradInput(self, input, gradOutput):
        self._check_input(input, "updateGradInput")
        self.gradInput = gradOutput
        return gradOutput

    def accGradParameters(self, input, gradOutput, scale=1):
        pass

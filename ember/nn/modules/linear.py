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
from ..functional.linear import bilinear_arguments
from ..module import Module, accumulate_grad
from ..parameter import Parameter
from .op_layer import OpLayer

__all__ = ["Linear", "Bilinear", "Identity"]


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


class Bilinear(OpLayer):
    """``y[..., o] = x1[..., i] W[o, i, j] x2[..., j] + b[o]`` with ``W`` of shape
    ``(out_features, in1_features, in2_features)``; weight and bias uniform on
    ``±1/sqrt(in1_features)``, as in PyTorch. Called with two inputs: ``layer(x1, x2)``."""

    def __init__(
        self, in1_features, in2_features, out_features, bias=True, device=None, dtype=None
    ):
        super().__init__()
        self.in1_features, self.in2_features = in1_features, in2_features
        self.out_features = out_features
        self.weight = Parameter(
            empty((out_features, in1_features, in2_features), dtype=dtype, device=device)
        )
        if bias:
            self.bias = Parameter(empty(out_features, dtype=dtype, device=device))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        bound = 1 / math.sqrt(self.weight.shape[1])
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def extra_repr(self):
        return (
            f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
            f"out_features={self.out_features}, bias={self.bias is not None}"
        )

    # The protocol takes the two inputs as one pair, as Torch7 takes a table: forward((x1, x2)),
    # backward((x1, x2), gradOutput) -> gradInput = (grad_x1, grad_x2).

    def updateOutput(self, input, input2=None):
        pair = tuple(input) if input2 is None else (input, input2)
        op, *args = bilinear_arguments(*pair, self.weight, self.bias)
        return self.run(pair, op, args, 0, {2: self.weight, 3: self.bias})

    def _check_input(self, input, method="backward"):
        # A pair is the input of the last forward when it holds the same two tensors.
        seen = self._seen
        if seen is not None and len(input) == 2 and all(a is b for a, b in zip(input, seen[0])):
            input = seen[0]
        return super()._check_input(input, method)

    def updateGradInput(self, input, gradOutput):
        call = self._call(input, "updateGradInput")
        if call is None:
            return super().updateGradInput(input, gradOutput)
        grads = self._grads(call, gradOutput, [0, 1], "updateGradInput")
        self.gradInput = (wrap(grads[0]), wrap(grads[1]))
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

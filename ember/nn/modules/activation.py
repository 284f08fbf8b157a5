"""Activation layers. Each applies one op of :mod:`ember.ops` (ReLU: ``relu``; Softmax:
``softmax``...) and its protocol backward is that op's VJP, e.g. ReLU's
``gradInput = gradOutput where output > 0, else 0``."""

from ... import functions as _functions
from ...creation import empty
from ...ops import elementwise as E
from ...ops import reduce as R
from ...ops import xp_numpy
from ...tensor import Tensor, _dim, apply, apply_unary, wrap
from ..functional import activation as _F
from ..functional.activation import floating
from ..module import Module
from ..parameter import Parameter
from .op_layer import OpLayer

__all__ = [
    "ReLU",
    "LeakyReLU",
    "ELU",
    "GELU",
    "SiLU",
    "Tanh",
    "Sigmoid",
    "Softplus",
    "Softmax",
    "LogSoftmax",
    "Softmin",
    "Hardtanh",
    "ReLU6",
    "Hardsigmoid",
    "Hardswish",
    "LogSigmoid",
    "Mish",
    "SELU",
    "CELU",
    "Softsign",
    "Tanhshrink",
    "GLU",
    "PReLU",
    "SoftMax",
    "LogSoftMax",
]


class _Pointwise(Module):
    """A layer that is one op of its input and some constants: ``output = op(input, *constants)``,
    ``gradInput = op's VJP(gradOutput, input, *constants, output)``."""

    op = None
    inplace = False
    # In place, the input is overwritten by the output. ReLU, LeakyReLU and ELU keep each element's
    # sign, so their VJPs read the output where they would read the input; others keep a copy.
    _output_has_input_sign = False

    def constants(self, input):
        """The op's arguments after the tensor (a slope, a dim)."""
        return ()

    def updateOutput(self, input):
        if not isinstance(input, Tensor):
            raise TypeError(
                f"{type(self).__name__}: input must be a Tensor, got {type(input).__name__}"
            )
        constants = self.constants(input)
        if self.inplace:
            self._before = None if self._output_has_input_sign else input._data.copy()
            output = _functions.inplace(input, lambda before: apply(self.op, before, *constants))
        elif constants:
            output = apply(self.op, input, *constants)
        else:
            output = apply_unary(self.op, input)
        self._remember(input, output)
        return output

    def updateGradInput(self, input, gradOutput):
        constants = self.constants(input)
        a = input._data
        if self._check_input(input, "updateGradInput"):
            out = self.output._data
            if self.inplace:  # forward overwrote the input
                a = out if self._before is None else self._before
        else:  # no forward on record: compute the output the formula may read
            out = self.op.forward(a, *constants)
        grad = self._check_grad_output(gradOutput, out.shape, out.dtype)
        self.gradInput = wrap(self.op.vjps[0](xp_numpy, grad, a, *constants, out))
        return self.gradInput

    def accGradParameters(self, input, gradOutput, scale=1):
        pass  # no parameters

    def extra_repr(self):
        return "inplace=True" if self.inplace else ""


class ReLU(_Pointwise):
    """``max(0, x)``."""

    op = E.UNARY["relu"]
    _output_has_input_sign = True

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace


class LeakyReLU(_Pointwise):
    """``x`` for ``x > 0``, else ``negative_slope * x``."""

    op = E.PARAMETRIC["leaky_relu"]
    _output_has_input_sign = True

    def __init__(self, negative_slope=0.01, inplace=False):
        super().__init__()
        if inplace and negative_slope < 0:
            raise RuntimeError(
                "In-place leakyReLu backward calculation is triggered with a "
                "negative slope which is not supported."
            )
        self.negative_slope = negative_slope
        self.inplace = inplace

    def constants(self, input):
        floating(input, "leaky_relu")
        return (self.negative_slope,)

    def extra_repr(self):
        return f"negative_slope={self.negative_slope}" + (", inplace=True" if self.inplace else "")


class ELU(_Pointwise):
    """``x`` for ``x > 0``, else ``alpha * (exp(x) - 1)``."""

    op = E.PARAMETRIC["elu"]
    _output_has_input_sign = True

    def __init__(self, alpha=1.0, inplace=False):
        super().__init__()
        if inplace and alpha < 0:
            raise RuntimeError(
                "In-place elu backward calculation is triggered with a negative "
                "slope which is not supported."
            )
        self.alpha = alpha
        self.inplace = inplace

    def constants(self, input):
        floating(input, "elu")
        return (self.alpha,)

    def extra_repr(self):
        return f"alpha={self.alpha}" + (", inplace=True" if self.inplace else "")


class GELU(_Pointwise):
    """``x * Phi(x)`` (Phi: the normal CDF), or its tanh approximation."""

    op = E.PARAMETRIC["gelu"]

    def __init__(self, approximate="none"):
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise RuntimeError(
                f"approximate argument must be either none or tanh, got '{approximate}'"
            )
        self.approximate = approximate

    def constants(self, input):
        floating(input, "gelu")
        return (self.approximate,)

    def extra_repr(self):
        return f"approximate='{self.approximate}'"


class SiLU(_Pointwise):
    """``x * sigmoid(x)``."""

    op = E.UNARY["silu"]

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def constants(self, input):
        floating(input, "silu")
        return ()


class Tanh(_Pointwise):
    op = E.UNARY["tanh"]

    def constants(self, input):
        floating(input, "tanh")
        return ()


class Sigmoid(_Pointwise):
    """``1 / (1 + exp(-x))``."""

    op = E.UNARY["sigmoid"]

    def constants(self, input):
        floating(input, "sigmoid")
        return ()


class Softplus(_Pointwise):
    """``log(1 + exp(beta x)) / beta``; the identity above ``threshold`` (for stability)."""

    op = E.PARAMETRIC["softplus"]

    def __init__(self, beta=1.0, threshold=20.0):
        super().__init__()
        self.beta = beta
        self.threshold = threshold

    def constants(self, input):
        floating(input, "softplus")
        return (self.beta, self.threshold)

    def extra_repr(self):
        return f"beta={self.beta}, threshold={self.threshold}"


class _AlongDim(_Pointwise):
    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def constants(self, input):
        floating(input, type(self).__name__)
        dim = self.dim
        if dim is None:  # PyTorch's (and Torch7's) implicit choice: 0 for 0-, 1- and 3-D input
            dim = 0 if input.ndim in (0, 1, 3) else 1
        return (_dim(dim, input.ndim),)

    def extra_repr(self):
        return f"dim={self.dim}"


class Softmax(_AlongDim):
    """``exp(x) / sum(exp(x))`` along ``dim``. Torch7's ``SoftMax`` (no dim: the implicit one)."""

    op = R.softmax


class LogSoftmax(_AlongDim):
    """``x - log(sum(exp(x)))`` along ``dim``. Torch7's ``LogSoftMax``."""

    op = R.log_softmax


SoftMax = Softmax
LogSoftMax = LogSoftmax


class Softmin(Module):
    """``softmax(-x)`` along ``dim`` (two ops, so the protocol is autograd's)."""

    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def extra_repr(self):
        return f"dim={self.dim}"

    def forward(self, input):
        return _F.softmin(input, self.dim, _stacklevel=5)


class Hardtanh(_Pointwise):
    """``x`` clipped to ``[min_val, max_val]``; the gradient is 0 at and beyond the corners."""

    op = E.PARAMETRIC["hardtanh"]

    def __init__(self, min_val=-1.0, max_val=1.0, inplace=False):
        super().__init__()
        if min_val > max_val:
            raise ValueError("min_val cannot be greater than max_val")
        self.min_val, self.max_val, self.inplace = min_val, max_val, inplace

    def constants(self, input):
        floating(input, "hardtanh")
        return (self.min_val, self.max_val)

    def extra_repr(self):
        inplace = ", inplace=True" if self.inplace else ""
        return f"min_val={self.min_val}, max_val={self.max_val}{inplace}"


class ReLU6(Hardtanh):
    """``min(max(0, x), 6)``."""

    def __init__(self, inplace=False):
        super().__init__(0.0, 6.0, inplace)

    def extra_repr(self):
        return "inplace=True" if self.inplace else ""


def _unary_layer(name, op_name, doc):
    """A layer that is one unary op (Hardsigmoid, Mish...), optionally in place."""

    def __init__(self, inplace=False):
        _Pointwise.__init__(self)
        self.inplace = inplace

    def constants(self, input):
        floating(input, op_name)
        return ()

    namespace = {"__doc__": doc, "op": E.UNARY[op_name], "constants": constants}
    namespace["__init__"] = __init__
    namespace["__module__"] = __name__
    return type(name, (_Pointwise,), namespace)


Hardsigmoid = _unary_layer("Hardsigmoid", "hardsigmoid", "``relu6(x + 3) / 6``.")
Hardswish = _unary_layer("Hardswish", "hardswish", "``x * relu6(x + 3) / 6``.")
Mish = _unary_layer("Mish", "mish", "``x * tanh(softplus(x))``.")


class LogSigmoid(_Pointwise):
    """``log(sigmoid(x))``, computed without overflow."""

    op = E.UNARY["logsigmoid"]

    def constants(self, input):
        floating(input, "logsigmoid")
        return ()


class SELU(_Pointwise):
    """``scale * elu(x, alpha)`` with the self-normalising constants."""

    op = E.PARAMETRIC["scaled_elu"]

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def constants(self, input):
        floating(input, "selu")
        return (_F._SELU_ALPHA, _F._SELU_SCALE, 1.0)


class CELU(_Pointwise):
    """``max(0, x) + min(0, alpha * (exp(x / alpha) - 1))``."""

    op = _F._CELU

    def __init__(self, alpha=1.0, inplace=False):
        super().__init__()
        self.alpha, self.inplace = alpha, inplace

    def constants(self, input):
        floating(input, "celu")
        return (self.alpha, 1.0, 1.0 / self.alpha)

    def extra_repr(self):
        return f"alpha={self.alpha}" + (", inplace=True" if self.inplace else "")


class Softsign(Module):
    """``x / (1 + |x|)``."""

    def forward(self, input):
        return _F.softsign(input)


class Tanhshrink(Module):
    """``x - tanh(x)``."""

    def forward(self, input):
        return _F.tanhshrink(input)


class GLU(Module):
    """The first half of the input along ``dim`` gated by the sigmoid of the second half."""

    def __init__(self, dim=-1):
        super().__init__()
        self.dim = dim

    def forward(self, input):
        return _F.glu(input, self.dim)

    def extra_repr(self):
        return f"dim={self.dim}"


class PReLU(OpLayer):
    """``x`` for ``x > 0``, else ``a x``, with the slope ``a`` learned: one for every channel
    (``num_parameters`` = C, dim 1) or one shared (``num_parameters=1``), starting at ``init``."""

    def __init__(self, num_parameters=1, init=0.25, device=None, dtype=None):
        super().__init__()
        self.num_parameters, self.init = num_parameters, init
        self.weight = Parameter(empty(num_parameters, dtype=dtype, device=device))
        self.reset_parameters()

    def reset_parameters(self):
        self.weight._data[...] = self.init

    def extra_repr(self):
        return f"num_parameters={self.num_parameters}"

    def updateOutput(self, input):
        op, *args = _F.prelu_arguments(input, self.weight)
        return self.run(input, op, args, 0, {1: self.weight})

"""The conformance harness itself: it passes correct layers and fails each way a hand-written
backward (or the module around it) can be wrong, naming the check that failed."""

import pytest

import ember
from ember import nn
from ember.nn.module import accumulate_grad
from ember.testing import ModuleCheckError, check_module


def x():
    ember.manual_seed(0)
    return ember.randn(4, 3)


class WrongGradInput(nn.Linear):
    def updateGradInput(self, input, gradOutput):
        self.gradInput = gradOutput @ self.weight * 1.01  # off by 1%
        return self.gradInput


class TransposedWeightGrad(nn.Linear):
    def accGradParameters(self, input, gradOutput, scale=1):
        # input^T gradOutput instead of gradOutput^T input: right numbers, wrong layout (3x3)
        accumulate_grad(self.weight, (input.T @ gradOutput)._data.T, scale)
        accumulate_grad(self.bias, gradOutput.sum(0)._data, scale)


class IgnoresScale(nn.Linear):
    def accGradParameters(self, input, gradOutput, scale=1):
        super().accGradParameters(input, gradOutput, 1)


class Overwrites(nn.Linear):
    def accGradParameters(self, input, gradOutput, scale=1):
        self.weight.grad = None
        self.bias.grad = None
        super().accGradParameters(input, gradOutput, scale)


class ScalesGradInput(nn.Linear):
    def backward(self, input, gradOutput, scale=1):
        super().backward(input, gradOutput, scale)
        self.gradInput = self.gradInput * scale
        return self.gradInput


class OwnGradWeight(nn.Linear):
    def accGradParameters(self, input, gradOutput, scale=1):
        super().accGradParameters(input, gradOutput, scale)
        self.__dict__["gradWeight"] = self.weight.grad.clone()  # a copy, not .grad itself


class ForgetsOutput(nn.Linear):
    def updateOutput(self, input):
        return nn.functional.linear(input, self.weight, self.bias)


class BatchDependent(nn.Module):
    """Right gradients, but the output depends on the batch (like BatchNorm in training)."""

    def forward(self, x):
        return x - x.mean(0) if x.ndim > 1 else x


class LosesState(nn.Module):
    """Keeps state in a plain tensor attribute: a state dict does not hold it."""

    def __init__(self):
        super().__init__()
        self.shift = ember.ones(3)

    def forward(self, x):
        return x + self.shift


class SquaredError(nn.MSELoss):
    def updateGradInput(self, input, target):
        self.gradInput = input - target  # forgot the 2 (and the mean)
        return self.gradInput


@pytest.mark.parametrize(
    "module, check",
    [
        (WrongGradInput(3, 3), "autograd gradInput == protocol gradInput"),
        (TransposedWeightGrad(3, 3), "parameter 'weight'"),
        (IgnoresScale(3, 3), "backward(scale=0.5) parameter gradient"),
        (Overwrites(3, 3), "must accumulate"),
        (ScalesGradInput(3, 3), "scale must not change it"),
        (OwnGradWeight(3, 3), "gradWeight is not OwnGradWeight.weight.grad"),
        (ForgetsOutput(3, 3), "must set module.output"),
        (BatchDependent(), "unbatched sample 0"),
        (LosesState(), "state_dict round trip"),
    ],
)
def test_harness_catches(module, check):
    with pytest.raises(
        ModuleCheckError, match=f"check_module\\({type(module).__name__}\\).*{_escape(check)}"
    ):
        check_module(module, x())


def _escape(text):
    return "".join("\\" + c if c in "()[].*+?" else c for c in text)


def test_harness_catches_a_wrong_criterion():
    with pytest.raises(ModuleCheckError, match="autograd gradInput == protocol gradInput"):
        check_module(SquaredError(), x(), target=ember.zeros(4, 3))


def test_harness_passes_correct_modules_and_options():
    assert check_module(nn.Linear(3, 2), x())
    assert check_module(BatchDependent(), x(), unbatched=False)
    with pytest.raises(ModuleCheckError, match="rejects a single sample"):
        check_module(nn.LogSoftmax(dim=1), x(), unbatched=True)
    assert check_module(nn.LogSoftmax(dim=1), x())  # skipped when not required


def test_harness_leaves_the_module_alone():
    layer = nn.Linear(3, 2)
    before = {k: v.clone() for k, v in layer.state_dict().items()}
    check_module(layer, x())
    assert layer.weight.grad is None and layer.weight.dtype == ember.float32
    for k, v in layer.state_dict().items():
        assert ember.equal(v, before[k])


class TwoOutputs(nn.Module):
    def __init__(self):
        super().__init__()
        self.layer = nn.Linear(3, 2)

    def forward(self, x):
        h = self.layer(x)
        return h, (ember.tanh(h), (h * h).sum(-1))


class IgnoresSecondOutput(TwoOutputs):
    def updateGradInput(self, input, gradOutput):
        self.gradInput = gradOutput[0] @ self.layer.weight  # forgets the tanh and the sum
        return self.gradInput


class Lookup(nn.Module):
    def __init__(self):
        super().__init__()
        self.table = nn.Parameter(ember.randn(5, 3))

    def forward(self, indices):
        return self.table[indices] * 2


def test_harness_handles_tuple_outputs_and_index_inputs():
    assert check_module(TwoOutputs(), x())
    with pytest.raises(ModuleCheckError, match="autograd gradInput == protocol gradInput"):
        check_module(IgnoresSecondOutput(), x())
    assert check_module(Lookup(), ember.tensor([[0, 1], [4, 4], [2, 3]]))
    with pytest.raises(ModuleCheckError, match="returns several tensors"):
        check_module(TwoOutputs(), x(), unbatched=True)
    with pytest.raises(TypeError, match="must be a Tensor"):
        check_module(nn.ReLU(), [1.0, 2.0])

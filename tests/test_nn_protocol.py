"""The Torch7 layer protocol on ember.nn modules: seed 001's numbers, gradWeight *is* weight.grad,
getParameters' flat views, the input check, containers, the default protocol derived from
autograd, and training by hand == training by autograd."""

import copy

import numpy as np
import pytest

import ember
from ember import nn

SEED_001_WEIGHT = [[0.1453, 0.5062], [0.0635, 0.4911], [-0.1080, 0.1747]]
SEED_001_BIAS = [0.2063, -0.1635, -0.0883]


def seed_001_layer():
    layer = nn.Linear(2, 3).double()
    with ember.no_grad():
        layer.weight.copy_(ember.tensor(SEED_001_WEIGHT, dtype=ember.float64))
        layer.bias.copy_(ember.tensor(SEED_001_BIAS, dtype=ember.float64))
    return layer


# ----- seed 001 -----------------------------------------------------------------------------------


def test_seed_001_numbers():
    layer = seed_001_layer()
    layer.zeroGradParameters()
    np.testing.assert_array_equal(layer.gradWeight.numpy(), np.zeros((3, 2)))
    np.testing.assert_array_equal(layer.gradBias.numpy(), np.zeros(3))
    x = ember.tensor([4.0, 5.0], dtype=ember.float64)
    dj_dy = ember.tensor([1.0, 2.0, 3.0], dtype=ember.float64)
    grad_input = layer.updateGradInput(x, dj_dy)  # seed 001 calls it without a forward
    assert grad_input is layer.gradInput
    np.testing.assert_allclose(grad_input.numpy(), np.array(SEED_001_WEIGHT).T @ [1, 2, 3])
    np.testing.assert_allclose(grad_input.numpy(), [-0.0516, 2.0126], atol=2e-4)  # as printed
    layer.accGradParameters(x, dj_dy)
    np.testing.assert_array_equal(layer.gradWeight.numpy(), [[4, 5], [8, 10], [12, 15]])
    np.testing.assert_array_equal(layer.gradBias.numpy(), [1, 2, 3])
    before_w, before_b = layer.weight.detach().numpy().copy(), layer.bias.detach().numpy().copy()
    layer.updateParameters(0.02)
    np.testing.assert_allclose(
        layer.weight.detach().numpy(), before_w - 0.02 * np.array([[4, 5], [8, 10], [12, 15]])
    )
    np.testing.assert_allclose(layer.bias.detach().numpy(), before_b - 0.02 * np.array([1, 2, 3]))
    # the seed's printed weights after the update
    np.testing.assert_allclose(
        layer.weight.detach().numpy(),
        [[0.0653, 0.4062], [-0.0965, 0.2911], [-0.3480, -0.1253]],
        atol=1e-4,
    )
    np.testing.assert_allclose(layer.bias.detach().numpy(), [0.1863, -0.2035, -0.1483], atol=1e-4)


def test_backward_is_update_grad_input_then_acc_grad_parameters_with_scale():
    layer = seed_001_layer()
    layer.zeroGradParameters()
    x = ember.tensor([4.0, 5.0], dtype=ember.float64)
    dj_dy = ember.tensor([1.0, 2.0, 3.0], dtype=ember.float64)
    layer.forward(x)
    grad_input = layer.backward(x, dj_dy, 0.5)
    assert grad_input is layer.gradInput
    np.testing.assert_allclose(grad_input.numpy(), np.array(SEED_001_WEIGHT).T @ [1, 2, 3])
    np.testing.assert_array_equal(
        layer.gradWeight.numpy(), 0.5 * np.array([[4, 5], [8, 10], [12, 15]])
    )
    layer.backward(x, dj_dy)  # accumulates
    np.testing.assert_array_equal(layer.gradBias.numpy(), 1.5 * np.array([1, 2, 3]))


# ----- gradWeight is weight.grad, both ways ------------------------------------------------------


def test_grad_weight_is_weight_grad_both_ways():
    layer = nn.Linear(3, 2)
    x = ember.randn(4, 3)
    layer(x).sum().backward()  # autograd fills .grad ...
    assert layer.gradWeight is layer.weight.grad  # ... which the protocol reads
    autograd_grad = layer.weight.grad.numpy().copy()
    layer.forward(x)
    layer.backward(x, ember.ones(4, 2))  # the protocol accumulates into the same tensor
    assert layer.gradWeight is layer.weight.grad
    np.testing.assert_allclose(layer.weight.grad.numpy(), 2 * autograd_grad, rtol=1e-6)
    layer.zero_grad()
    assert layer.weight.grad is None
    layer.backward(x, ember.ones(4, 2))  # creates .grad when there is none
    np.testing.assert_allclose(layer.gradWeight.numpy(), autograd_grad, rtol=1e-6)
    g = ember.zeros(2, 3)
    layer.gradWeight = g  # assigning gradWeight assigns weight.grad
    assert layer.weight.grad is g


def test_zero_grad_parameters_makes_grads_and_update_parameters_steps():
    layer = nn.Linear(3, 2)
    assert layer.weight.grad is None
    layer.zeroGradParameters()
    assert layer.weight.grad is not None and not layer.weight.grad.numpy().any()
    held = layer.weight.grad
    layer.weight.grad.numpy()[...] = 1.0
    layer.zeroGradParameters()
    assert layer.weight.grad is held and not held.numpy().any()  # zeroed in place
    frozen = nn.Linear(3, 2).requires_grad_(False)
    frozen.zeroGradParameters()
    assert frozen.weight.grad is None  # a frozen parameter has no gradient to zero


def test_frozen_parameters_get_no_protocol_gradient():
    layer = nn.Linear(3, 2)
    layer.bias.requires_grad_(False)
    x = ember.randn(4, 3)
    layer.forward(x)
    layer.backward(x, ember.ones(4, 2))
    assert layer.weight.grad is not None and layer.bias.grad is None


# ----- getParameters ------------------------------------------------------------------------------


def test_get_parameters_flat_views_shared_and_idempotent():
    shared_layer = nn.Linear(3, 3)
    tied = nn.Linear(3, 3)
    tied.weight, tied.bias = shared_layer.weight, shared_layer.bias
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), shared_layer, tied, nn.Linear(3, 1))
    values = [p.detach().numpy().copy() for p in model.parameters()]
    flat, flat_grad = model.getParameters()
    sizes = [6, 3, 9, 3, 3, 1]  # the shared parameters once
    assert flat.shape == (sum(sizes),) and flat_grad.shape == (sum(sizes),)
    np.testing.assert_array_equal(flat.numpy(), np.concatenate([v.ravel() for v in values]))
    flat.numpy()[:] = np.arange(sum(sizes))  # writes through to the parameters ...
    np.testing.assert_array_equal(model[0].weight.detach().numpy(), np.arange(6).reshape(3, 2))
    x = ember.randn(4, 2)
    model(x).sum().backward()  # ... and autograd writes into the flat gradient
    np.testing.assert_array_equal(flat_grad.numpy()[:6], model[0].weight.grad.numpy().ravel())
    assert flat_grad.numpy().any()
    model.zero_grad()  # zeroes the views in place rather than dropping them
    assert not flat_grad.numpy().any() and model[0].weight.grad is not None
    again, again_grad = model.getParameters()
    assert again is flat and again_grad is flat_grad
    model.forward(x)
    model.backward(x, ember.ones(4, 1))
    np.testing.assert_array_equal(flat_grad.numpy()[-1:], model[4].bias.grad.numpy())
    flat.sub_(flat_grad * 0.1)  # an optimizer step on the flat vector moves the layers
    np.testing.assert_array_equal(model[4].bias.detach().numpy(), flat.numpy()[-1:])


def test_a_module_used_twice_is_caught_by_the_protocol():
    shared = nn.Linear(3, 3)
    model = nn.Sequential(shared, nn.Tanh(), shared)
    x = ember.randn(2, 3)
    model.forward(x)
    with pytest.raises(RuntimeError, match="used twice"):
        model.backward(x, ember.ones(2, 3))


def test_get_parameters_again_after_a_change_rebuilds():
    model = nn.Sequential(nn.Linear(2, 3))
    flat, _ = model.getParameters()
    model.append(nn.Linear(3, 1))
    flat2, grad2 = model.getParameters()
    assert flat2 is not flat and flat2.shape == (13,)
    np.testing.assert_array_equal(flat2.numpy()[:9], flat.numpy())
    flat2.numpy()[-1] = 7.0
    assert model[1].bias.item() == 7.0


def test_get_parameters_after_a_dtype_change_rebuilds():
    model = nn.Sequential(nn.Linear(2, 3))
    flat, _ = model.getParameters()
    model.double()
    flat2, grad2 = model.getParameters()
    assert flat2 is not flat and flat2.dtype == grad2.dtype == ember.float64
    np.testing.assert_allclose(flat2.numpy(), flat.numpy(), rtol=1e-7)
    flat2.numpy()[0] = 9.0
    assert model[0].weight[0, 0].item() == 9.0


def test_get_parameters_rejects_mixed_dtypes():
    model = nn.Sequential(nn.Linear(2, 3), nn.Linear(3, 1).double())
    with pytest.raises(TypeError, match="one dtype"):
        model.getParameters()


# ----- the input check ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "make",
    [
        lambda: nn.Linear(3, 2),
        nn.Sigmoid,
        nn.Tanh,
        lambda: nn.Sequential(nn.Linear(3, 2), nn.ReLU()),
    ],
)
def test_backward_with_another_input_is_an_error(make):
    module = make()
    x = ember.randn(4, 3)
    out = module.forward(x)
    with pytest.raises(RuntimeError, match="not the tensor that the last forward saw"):
        module.backward(x.clone(), ember.ones_like(out))
    x.add_(1.0)  # modified in place after forward
    with pytest.raises(RuntimeError, match="modified in place after forward"):
        module.backward(x, ember.ones_like(out))
    module.forward(x)
    module.backward(x, ember.ones_like(out))  # a new forward makes it right again


def test_backward_needs_a_forward_where_the_formula_reads_one():
    with pytest.raises(RuntimeError, match="call forward"):
        nn.Sequential(nn.Linear(3, 2)).backward(ember.randn(4, 3), ember.ones(4, 2))
    with pytest.raises(RuntimeError, match="mask is drawn in forward"):
        nn.Dropout().backward(ember.randn(4, 3), ember.ones(4, 3))
    sigmoid = nn.Sigmoid()  # reads its output, which it can compute from the input
    x = ember.randn(3)
    grad = sigmoid.updateGradInput(x, ember.ones(3))
    s = 1 / (1 + np.exp(-x.numpy()))
    np.testing.assert_allclose(grad.numpy(), s * (1 - s), rtol=1e-6)


def test_grad_output_must_match_the_output():
    layer = nn.Linear(3, 2)
    x = ember.randn(4, 3)
    layer.forward(x)
    with pytest.raises(
        RuntimeError,
        match=r"gradOutput has shape \[4, 3\], but the output has "
        r"shape \[4, 2\]",
    ):
        layer.backward(x, ember.ones(4, 3))
    with pytest.raises(
        RuntimeError, match="gradOutput is ember.float64, but the output is ember.float32"
    ):
        layer.backward(x, ember.ones(4, 2, dtype=ember.float64))
    with pytest.raises(TypeError, match="gradOutput must be a Tensor"):
        nn.ReLU().updateGradInput(x, np.ones((4, 3)))


# ----- containers ---------------------------------------------------------------------------------


def test_sequential_protocol_chains_the_layers():
    ember.manual_seed(1)
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
    x = ember.randn(5, 3, requires_grad=True)
    out = model.forward(x)
    assert out is model.output and model[2].output is out
    assert model[1].output is model[2]._seen[0]  # each layer's input is the previous output
    g = ember.randn(5, 2)
    model.zeroGradParameters()
    grad_input = model.updateGradInput(x, g)
    model.accGradParameters(x, g, 2.0)
    protocol = [p.grad.numpy().copy() for p in model.parameters()]
    model.zero_grad()
    x2 = x.detach().requires_grad_()
    model(x2).backward(g)
    np.testing.assert_allclose(grad_input.numpy(), x2.grad.numpy(), rtol=1e-5, atol=1e-7)
    for got, p in zip(protocol, model.parameters()):
        np.testing.assert_allclose(got, 2 * p.grad.numpy(), rtol=1e-5, atol=1e-7)


def test_sequential_backward_skips_the_gradient_of_data():
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    x = ember.randn(5, 3)  # data: does not require grad
    model.forward(x)
    model.zeroGradParameters()
    assert model.backward(x, ember.ones(5, 2)) is None and model.gradInput is None
    assert model[0].weight.grad.numpy().any()  # the parameters still get their gradients
    assert model.updateGradInput(x, ember.ones(5, 2)).shape == (5, 3)  # asked for: computed
    x.requires_grad_()
    model.forward(x)
    assert model.backward(x, ember.ones(5, 2)).shape == (5, 3)


def test_nested_containers_and_empty_sequential():
    inner = nn.Sequential(nn.Linear(3, 3), nn.Sigmoid())
    model = nn.Sequential(nn.Linear(2, 3), inner, nn.Linear(3, 1))
    ember.testing.check_module(model, ember.randn(4, 2))
    empty = nn.Sequential()
    x = ember.randn(2, requires_grad=True)
    assert empty.forward(x) is x
    g = ember.ones(2)
    assert empty.backward(x, g) is g


# ----- the default protocol, derived from autograd -----------------------------------------------


class Affine(nn.Module):
    """A PyTorch-style module: forward only."""

    def __init__(self):
        super().__init__()
        self.scale = nn.Parameter(ember.tensor([2.0, -1.0, 0.5]))
        self.register_buffer("calls", ember.zeros(1))

    def forward(self, x):
        self.calls += 1
        return ember.tanh(x * self.scale).sum(1, keepdim=True) * x


def test_default_protocol_of_a_forward_only_module():
    ember.manual_seed(2)
    module = Affine()
    ember.testing.check_module(module, ember.randn(4, 3))
    x = ember.randn(4, 3)
    module.forward(x)
    calls = module.calls.item()
    module.backward(x, ember.ones(4, 3))  # reruns forward, leaving no trace
    assert module.calls.item() == calls
    module.updateOutput(x)
    with pytest.raises(RuntimeError, match="not the tensor"):
        module.backward(x.clone(), ember.ones(4, 3))


def test_default_protocol_refuses_a_random_forward():
    class Noisy(nn.Module):
        def forward(self, x):
            return nn.functional.dropout(x, 0.5, self.training)

    module = Noisy()
    x = ember.randn(4, 3)
    module.updateOutput(x)
    state = ember.get_rng_state()
    with pytest.raises(RuntimeError, match="draws random numbers"):
        module.backward(x, ember.ones(4, 3))
    assert ember.get_rng_state() == state  # the rerun's draws are given back
    module.eval()
    # in eval mode dropout is the identity: the default protocol works
    np.testing.assert_array_equal(module.backward(x, ember.ones(4, 3)).numpy(), np.ones((4, 3)))


def test_a_subclass_that_changes_forward_gets_the_derived_protocol():
    class Doubled(nn.Linear):
        def forward(self, x):
            return super().forward(x) * 2

    assert Doubled.updateGradInput is nn.Module.updateGradInput
    ember.manual_seed(3)
    layer = Doubled(3, 2)
    ember.testing.check_module(layer, ember.randn(4, 3))
    x = ember.randn(4, 3, requires_grad=True)
    out = layer.forward(x)
    grad = layer.backward(x, ember.ones(4, 2))
    np.testing.assert_allclose(
        out.detach().numpy(),
        2 * nn.functional.linear(x, layer.weight, layer.bias).detach().numpy(),
        rtol=1e-6,
    )
    np.testing.assert_allclose(
        grad.numpy(), 2 * np.ones((4, 2)) @ layer.weight.detach().numpy(), rtol=1e-6
    )


def test_torch7_style_custom_layer():
    class Square(nn.Module):
        def updateOutput(self, input):
            self._remember(input, input * input)
            return self.output

        def updateGradInput(self, input, gradOutput):
            self.gradInput = gradOutput * 2 * input
            return self.gradInput

    assert Square.forward is Square.updateOutput
    ember.testing.check_module(Square(), ember.randn(3, 2))
    x = ember.randn(3, requires_grad=True)
    Square()(x).sum().backward()  # autograd through its updateOutput
    np.testing.assert_allclose(x.grad.numpy(), 2 * x.detach().numpy())


# ----- training by hand == training by autograd ---------------------------------------------------


def test_protocol_training_equals_autograd_training():
    ember.manual_seed(4)
    by_hand = nn.Sequential(nn.Linear(5, 8), nn.ReLU(), nn.Linear(8, 6), nn.Tanh(), nn.Linear(6, 3))
    by_autograd = copy.deepcopy(by_hand)
    criterion, loss_fn = nn.MSECriterion(), nn.MSELoss()
    x, y = ember.randn(16, 5), ember.randn(16, 3)
    lr = 0.05
    for _ in range(20):
        by_hand.zeroGradParameters()
        output = by_hand.forward(x)
        criterion.forward(output, y)
        by_hand.backward(x, criterion.backward(output, y))
        by_hand.updateParameters(lr)

        by_autograd.zero_grad()
        loss_fn(by_autograd(x), y).backward()
        with ember.no_grad():
            for p in by_autograd.parameters():
                p -= lr * p.grad
    for (name, a), b in zip(by_hand.named_parameters(), by_autograd.parameters()):
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy(), err_msg=name)
    final = loss_fn(by_hand(x), y).item()
    assert final < loss_fn(copy.deepcopy(by_hand).apply(_reset)(x), y).item()


def _reset(module):
    if isinstance(module, nn.Linear):
        module.reset_parameters()


def test_cross_entropy_criterion_training_equals_autograd():
    ember.manual_seed(5)
    by_hand = nn.Sequential(nn.Linear(4, 6), nn.ReLU(), nn.Linear(6, 3), nn.LogSoftMax())
    by_autograd = copy.deepcopy(by_hand)
    x, y = ember.randn(10, 4), ember.tensor([0, 1, 2, 1, 0, 2, 2, 1, 0, 0])
    criterion = nn.ClassNLLCriterion()
    for _ in range(5):
        by_hand.zeroGradParameters()
        output = by_hand.forward(x)
        criterion.forward(output, y)
        by_hand.backward(x, criterion.backward(output, y))
        by_hand.updateParameters(0.1)
        by_autograd.zero_grad()
        nn.NLLLoss()(by_autograd(x), y).backward()
        with ember.no_grad():
            for p in by_autograd.parameters():
                p -= 0.1 * p.grad
    for a, b in zip(by_hand.parameters(), by_autograd.parameters()):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-6, atol=1e-7)

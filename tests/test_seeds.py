"""The seeds' PyTorch code, run with ``import ember as torch``, gives the seeds' numbers.

Seed 003: the gradient-argument walk-through (``z.backward(weights)`` is a vector-Jacobian product).
Seed 004: the two-layer net, by hand (``grad_h[h < 0] = 0``) and through autograd, gives the
same losses as PyTorch from the same initial weights.
"""

import numpy as np
import pytest
import torch

import ember

# Seed 003's code as written, with only the imports spelled for ember, and print collected.
SEED_003 = """
from ember.autograd import Variable
import ember as torch
x = Variable(torch.FloatTensor([[1, 2, 3, 4]]), requires_grad=True)
z = 2*x
loss = z.sum(dim=1)

# do backward for first element of z
z.backward(torch.FloatTensor([[1, 0, 0, 0]]), retain_graph=True)
print(x.grad.data)
x.grad.data.zero_() #remove gradient in x.grad, or it will be accumulated

# do backward for second element of z
z.backward(torch.FloatTensor([[0, 1, 0, 0]]), retain_graph=True)
print(x.grad.data)
x.grad.data.zero_()

# do backward for all elements of z, with weight equal to the derivative of
# loss w.r.t z_1, z_2, z_3 and z_4
z.backward(torch.FloatTensor([[1, 1, 1, 1]]), retain_graph=True)
print(x.grad.data)
x.grad.data.zero_()

# or we can directly backprop using loss
loss.backward() # equivalent to loss.backward(torch.FloatTensor([1.0]))
print(x.grad.data)
"""

SEED_003_PRINTS = [[[2, 0, 0, 0]], [[0, 2, 0, 0]], [[2, 2, 2, 2]], [[2, 2, 2, 2]]]


def _run(code, library_name):
    printed = []
    source = code if library_name == "ember" else code.replace("ember", "torch")

    # What print shows, taken when it is called (x.grad.data changes afterwards).
    def collect(value):
        printed.append((value.tolist(), repr(value), value.dtype))

    exec(source, {"print": collect})
    return printed


def test_seed_003_gradient_arguments_give_the_printed_numbers():
    printed = _run(SEED_003, "ember")
    assert [values for values, _, _ in printed] == SEED_003_PRINTS
    assert [text for _, text, _ in printed] == [
        "tensor([[2., 0., 0., 0.]])",
        "tensor([[0., 2., 0., 0.]])",
        "tensor([[2., 2., 2., 2.]])",
        "tensor([[2., 2., 2., 2.]])",
    ]
    assert all(dtype == ember.float32 for _, _, dtype in printed)
    in_torch = _run(SEED_003, "torch")
    assert [values for values, _, _ in in_torch] == SEED_003_PRINTS
    assert [text for _, text, _ in in_torch] == [text for _, text, _ in printed]


# Seed 004's manual net, and the same net through autograd (the PyTorch tutorial's next step).
# The data and initial weights come in as x, y, w1, w2 so both libraries start from the same ones.
SEED_004_MANUAL = """
learning_rate = 1e-6
for t in range(steps):
    # Forward pass: compute predicted y
    h = x.mm(w1)
    h_relu = h.clamp(min=0)
    y_pred = h_relu.mm(w2)
    # Compute and print loss
    loss = (y_pred - y).pow(2).sum().item()
    losses.append(loss)
    # Backprop to compute gradients of w1 and w2 with respect to loss
    grad_y_pred = 2.0 * (y_pred - y)
    grad_w2 = h_relu.t().mm(grad_y_pred)
    grad_h_relu = grad_y_pred.mm(w2.t())
    grad_h = grad_h_relu.clone()
    grad_h[h < 0] = 0
    grad_w1 = x.t().mm(grad_h)
    # Update weights using gradient descent
    w1 -= learning_rate * grad_w1
    w2 -= learning_rate * grad_w2
"""

SEED_004_AUTOGRAD = """
learning_rate = 1e-6
w1.requires_grad_(True)
w2.requires_grad_(True)
for t in range(steps):
    y_pred = x.mm(w1).clamp(min=0).mm(w2)
    loss = (y_pred - y).pow(2).sum()
    losses.append(loss.item())
    loss.backward()
    with torch.no_grad():
        w1 -= learning_rate * w1.grad
        w2 -= learning_rate * w2.grad
        w1.grad.zero_()
        w2.grad.zero_()
"""

N, D_IN, H, D_OUT = 64, 1000, 100, 10
STEPS = 40


def _seed_004(lib, code):
    rng = np.random.default_rng(4)
    arrays = {
        name: rng.standard_normal(shape).astype(np.float32)
        for name, shape in (
            ("x", (N, D_IN)),
            ("y", (N, D_OUT)),
            ("w1", (D_IN, H)),
            ("w2", (H, D_OUT)),
        )
    }
    namespace = {name: lib.from_numpy(a) for name, a in arrays.items()}
    namespace.update(torch=lib, steps=STEPS, losses=[])
    exec(code, namespace)
    return np.array(namespace["losses"]), namespace["w1"], namespace["w2"]


@pytest.fixture(scope="module")
def torch_manual():
    return _seed_004(torch, SEED_004_MANUAL)


@pytest.mark.parametrize("code", [SEED_004_MANUAL, SEED_004_AUTOGRAD], ids=["manual", "autograd"])
def test_seed_004_two_layer_net_gives_torch_losses(code, torch_manual):
    losses, w1, w2 = _seed_004(ember, code)
    expected, t_w1, t_w2 = torch_manual
    assert w1.dtype == ember.float32 and w1.shape == (D_IN, H)
    assert losses[0] > 1e6 and losses[-1] < losses[0] / 100  # it learns
    np.testing.assert_allclose(losses, expected, rtol=2e-3)
    np.testing.assert_allclose(w2.detach().numpy(), t_w2.detach().numpy(), rtol=1e-2, atol=1e-3)
    np.testing.assert_allclose(w1.detach().numpy(), t_w1.detach().numpy(), rtol=1e-2, atol=1e-3)


def test_seed_004_torch_autograd_and_manual_agree():
    manual, _, _ = _seed_004(torch, SEED_004_MANUAL)
    through_autograd, _, _ = _seed_004(torch, SEED_004_AUTOGRAD)
    np.testing.assert_allclose(through_autograd, manual, rtol=2e-3)


def test_seed_004_manual_and_autograd_agree_in_ember():
    manual, w1_manual, _ = _seed_004(ember, SEED_004_MANUAL)
    through_autograd, w1_auto, _ = _seed_004(ember, SEED_004_AUTOGRAD)
    np.testing.assert_allclose(through_autograd, manual, rtol=1e-4)
    np.testing.assert_allclose(w1_auto.detach().numpy(), w1_manual.numpy(), rtol=1e-4, atol=1e-5)


def test_seed_004_masked_assignment_on_its_own():
    """``grad_h[h < 0] = 0``: a boolean mask from a comparison, assigned in place."""
    for lib in (ember, torch):
        h = lib.tensor([[1.0, -2.0], [-0.5, 3.0]])
        grad_h = lib.tensor([[10.0, 20.0], [30.0, 40.0]]).clone()
        grad_h[h < 0] = 0
        assert grad_h.tolist() == [[10.0, 0.0], [0.0, 40.0]]

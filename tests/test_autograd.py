"""Autograd: backward and its arguments, autograd.grad, accumulation, retain_grad, hooks, grad
modes, in-place ops through the graph, version counters, custom Functions, gradcheck itself, anomaly
detection, deep graphs and freeing the graph."""

import gc
import subprocess
import sys
import textwrap
import weakref

import numpy as np
import pytest
import torch
from conftest import assert_same_tensor, random_array, rng_for, run_both

import ember
from ember.autograd import Function, GradcheckError, gradcheck, gradgradcheck

# ----- backward ------------------------------------------------------------------------------


def test_backward_of_a_scalar_fills_leaf_grads_and_accumulates():
    for lib in (ember, torch):
        x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        w = lib.tensor([0.5, -1.0, 2.0], requires_grad=True)
        (x * w).sum().backward()
        first = x.grad.clone()
        (x * w).sum().backward()
        assert x.grad.tolist() == (2 * first).tolist()
        assert w.grad.tolist() == [2.0, 4.0, 6.0]
        x.grad.zero_()
        assert x.grad.tolist() == [0.0, 0.0, 0.0]
        x.grad = None
        (x * x).sum().backward()
        assert x.grad.tolist() == [2.0, 4.0, 6.0]


def test_backward_with_a_gradient_is_a_vector_jacobian_product():
    x = np.array([[1.0, 2.0], [3.0, 4.0]])
    v = np.array([[0.1, -1.0], [2.0, 0.5]])
    grads = {}
    for lib in (ember, torch):
        t = lib.tensor(x, requires_grad=True)
        y = t.exp() * t
        y.backward(lib.tensor(v))
        grads[lib] = t.grad
    assert_same_tensor(grads[ember], grads[torch])


def test_backward_gradient_dtype_and_python_list():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    (x * 3).backward(ember.tensor([1.0, 1.0], dtype=ember.float64))
    assert x.grad.dtype == ember.float32 and x.grad.tolist() == [3.0, 3.0]


def test_retain_graph_allows_a_second_backward():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    y = (x.exp() * x).sum()
    y.backward(retain_graph=True)
    once = x.grad.clone()
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * once.numpy())


def test_backward_inputs_accumulates_only_into_those():
    results = {}
    for lib in (ember, torch):
        a = lib.tensor([1.0, 2.0], requires_grad=True)
        b = lib.tensor([3.0, 4.0], requires_grad=True)
        loss = ((a * b) ** 2).sum()
        loss.backward(inputs=[b], retain_graph=True)
        assert a.grad is None
        assert b.grad.tolist() == [6.0, 32.0]
        loss.backward(inputs=a)
        assert a.grad.tolist() == [18.0, 64.0]
        assert b.grad.tolist() == [6.0, 32.0]
        h = a * b
        h.retain_grad()
        (h * h).sum().backward(inputs=[b])
        results[lib] = (a.grad.tolist(), b.grad.tolist(), h.grad)
    assert results[ember][:2] == results[torch][:2]


def test_backward_inputs_may_name_a_non_leaf():
    results = {}
    for lib in (ember, torch):
        a = lib.tensor([1.0, 2.0], requires_grad=True)
        h = a * 3
        (h * h).sum().backward(inputs=[h])
        results[lib] = (h.grad.tolist(), a.grad)
    assert results[ember] == results[torch]


def test_autograd_backward_of_several_outputs():
    for lib in (ember, torch):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        lib.autograd.backward([x * 2, (x * x).sum()], [lib.tensor([1.0, 1.0]), None])
        assert x.grad.tolist() == [4.0, 6.0]


def test_a_value_used_twice_gets_the_sum_of_both_paths():
    run_both(
        lambda lib, x: x * x.exp() + x.sin() * x,
        [random_array(rng_for(40), (3,))],
        second_order=True,
    )
    run_both(lambda lib, x: (x.unsqueeze(0) * x.unsqueeze(1)).sum(0), [np.arange(3.0)])


# ----- autograd.grad ---------------------------------------------------------------------------


def test_grad_returns_gradients_without_touching_dot_grad():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    y = (x**3).sum()
    (g,) = ember.autograd.grad(y, x)
    assert g.tolist() == [3.0, 12.0] and x.grad is None
    assert not g.requires_grad


def test_grad_with_grad_outputs_and_several_inputs():
    results = {}
    for lib in (ember, torch):
        a = lib.tensor([1.0, 2.0], requires_grad=True)
        b = lib.tensor([3.0, -1.0], requires_grad=True)
        out = a * b + a
        results[lib] = [
            g.tolist()
            for g in lib.autograd.grad([out], [a, b], grad_outputs=[lib.tensor([1.0, 2.0])])
        ]
    assert results[ember] == results[torch]


def test_grad_allow_unused():
    for lib in (ember, torch):
        a = lib.tensor([1.0], requires_grad=True)
        unused = lib.tensor([1.0], requires_grad=True)
        with pytest.raises(RuntimeError, match="appears to not have been used in the graph"):
            lib.autograd.grad((a * 2).sum(), [a, unused])
        ga, gu = lib.autograd.grad((a * 2).sum(), [a, unused], allow_unused=True)
        assert ga.tolist() == [2.0] and gu is None
        _, gz = lib.autograd.grad((a * 2).sum(), [a, unused], materialize_grads=True)
        assert gz.tolist() == [0.0]


def test_grad_create_graph_gives_differentiable_gradients():
    for lib in (ember, torch):
        x = lib.tensor([0.5, -1.0], requires_grad=True)
        y = (x.sin() * x).sum()
        (g,) = lib.autograd.grad(y, x, create_graph=True)
        assert g.requires_grad and g.grad_fn is not None
        (h,) = lib.autograd.grad(g.sum(), x)
        expected = (2 * x.cos() - x * x.sin()).detach()
        np.testing.assert_allclose(h.numpy(), expected.numpy(), rtol=1e-6)


def test_grad_of_a_non_leaf_input():
    results = {}
    for lib in (ember, torch):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        h = x * x
        (g,) = lib.autograd.grad((h * 3).sum(), h)
        results[lib] = g.tolist()
    assert results[ember] == results[torch] == [3.0, 3.0]


def test_grad_errors():
    x = ember.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="does not require grad"):
        ember.autograd.grad(ember.tensor([1.0]).sum(), x)
    with pytest.raises(RuntimeError, match="does not require grad"):
        ember.autograd.grad((x * 2).sum(), ember.tensor([1.0]))
    with pytest.raises(RuntimeError, match="Mismatch in shape"):
        ember.autograd.grad(x * 2, x, grad_outputs=ember.ones(3))


# ----- retain_grad, hooks, leaves --------------------------------------------------------------


def test_retain_grad_keeps_a_non_leaf_gradient():
    for lib in (ember, torch):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        h = x * 3
        h.retain_grad()
        assert h.retains_grad and not x.retains_grad
        k = x * 4
        (h * h + k).sum().backward()
        assert h.grad.tolist() == [6.0, 12.0]
        with pytest.warns(UserWarning, match="not a leaf Tensor is being accessed"):
            assert k.grad is None  # both warn: a non-leaf's .grad stays empty
        assert x.is_leaf and not h.is_leaf


def test_hooks_see_and_replace_gradients_and_can_be_removed():
    for lib in (ember, torch):
        seen = []
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        h = x * 2
        handle = h.register_hook(lambda g, seen=seen: seen.append(g.tolist()) or g * 10)
        leaf_handle = x.register_hook(lambda g: g + 1)
        h.sum().backward()
        assert seen == [[1.0, 1.0]]
        assert x.grad.tolist() == [21.0, 21.0]
        handle.remove()
        leaf_handle.remove()
        x.grad = None
        (x * 2).sum().backward()
        h2 = x * 2
        h2.sum().backward()
        assert x.grad.tolist() == [4.0, 4.0] and len(seen) == 1


def test_a_leaf_hook_sees_the_total_gradient_once():
    calls = []
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    x.register_hook(lambda g: calls.append(g.tolist()))
    (x * 2 + x * 3).sum().backward()
    assert calls == [[5.0, 5.0]]


def test_hook_on_a_tensor_without_grad_is_an_error():
    with pytest.raises(RuntimeError, match="doesn't require gradient"):
        ember.ones(2).register_hook(lambda g: g)


def test_requires_grad_flags_and_detach():
    x = ember.ones(2, requires_grad=True)
    y = x * 2
    assert y.requires_grad and y.grad_fn.name() == "MulBackward0"
    d = y.detach()
    assert not d.requires_grad and d.grad_fn is None and d.is_leaf
    assert np.shares_memory(d.numpy(), y.detach().numpy())
    y.detach_()
    assert not y.requires_grad and y.grad_fn is None
    z = ember.ones(2)
    assert z.requires_grad_() is z and z.requires_grad
    z.requires_grad = False
    assert not z.requires_grad
    with pytest.raises(RuntimeError, match="only change requires_grad flags of leaf variables"):
        (x * 2).requires_grad_(False)
    assert not ember.tensor([1.0, 2.0]).requires_grad
    assert ember.tensor([1.0], requires_grad=True).requires_grad
    assert ember.zeros(2, requires_grad=True).requires_grad


def test_grad_assignment_checks_shape_and_dtype():
    x = ember.ones(2, requires_grad=True)
    x.grad = ember.full((2,), 3.0)
    assert x.grad.tolist() == [3.0, 3.0]
    with pytest.raises(RuntimeError, match="different size"):
        x.grad = ember.ones(3)
    with pytest.raises(RuntimeError, match="different type"):
        x.grad = ember.ones(2, dtype=ember.float64)
    del x.grad
    assert x.grad is None


# ----- grad modes ------------------------------------------------------------------------------


def test_no_grad_enable_grad_set_grad_enabled_inference_mode():
    x = ember.ones(2, requires_grad=True)
    with ember.no_grad():
        assert not ember.is_grad_enabled()
        y = x * 2
        with ember.enable_grad():
            assert ember.is_grad_enabled()
            z = x * 2
    assert ember.is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None and z.requires_grad
    with ember.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    assert (x * 2).requires_grad
    ember.set_grad_enabled(False)
    assert not (x * 2).requires_grad
    ember.set_grad_enabled(True)
    with ember.inference_mode():
        assert not (x * 2).requires_grad
        assert ember.autograd.is_inference_mode_enabled()
    with ember.inference_mode(False):
        assert (x * 2).requires_grad
    assert (x * 2).requires_grad and not ember.autograd.is_inference_mode_enabled()


@pytest.mark.parametrize("lib", ["ember", "torch"])
def test_enable_grad_inside_inference_mode_records_nothing(lib):
    # PyTorch: enable_grad turns grad mode back on inside inference_mode, but nothing records.
    lib = ember if lib == "ember" else torch
    x = lib.ones(2, requires_grad=True)
    with lib.inference_mode():
        assert lib.is_inference_mode_enabled() and not lib.is_grad_enabled()
        with lib.enable_grad():
            assert lib.is_grad_enabled()
            y = x * 2
        with lib.set_grad_enabled(True):
            z = x * 2
        assert not lib.is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None and not z.requires_grad
    assert lib.is_grad_enabled() and not lib.is_inference_mode_enabled()
    assert (x * 2).requires_grad


@pytest.mark.parametrize("lib", ["ember", "torch"])
def test_is_inference_marks_tensors_made_in_inference_mode_and_their_views(lib):
    lib = ember if lib == "ember" else torch
    with lib.inference_mode():
        a = lib.ones(3)
        made = [a, a * 2, a[1:], lib.tensor([1.0, 2.0]), lib.zeros(2).view(2)]
        inside = lib.ones(2)
        inside.requires_grad_()  # allowed inside inference mode
    assert all(t.is_inference() for t in made)
    # Views and detach() of an inference tensor are inference tensors; results of ops outside
    # inference mode, and clones, are normal tensors.
    assert a[1:].is_inference() and a.view(3).is_inference() and a.detach().is_inference()
    assert not (a * 2).is_inference() and not a.clone().is_inference()
    with lib.no_grad():
        assert not lib.ones(2).is_inference()
    with lib.inference_mode(False):
        assert not lib.ones(2).is_inference()
    assert not lib.ones(2).is_inference() and inside.requires_grad
    with pytest.raises(RuntimeError, match="requires_grad=True on inference tensor outside"):
        a.requires_grad_()
    assert not a.requires_grad


def test_grad_modes_as_decorators():
    x = ember.ones(2, requires_grad=True)

    @ember.no_grad()
    def called():
        return x * 2

    @ember.no_grad
    def bare():
        return x * 2

    @ember.inference_mode()
    def infer():
        return x * 2

    @ember.enable_grad()
    def back_on():
        return x * 2

    assert not called().requires_grad and not bare().requires_grad
    assert not infer().requires_grad
    with ember.no_grad():
        assert back_on().requires_grad
    assert ember.is_grad_enabled()


def test_no_grad_restores_the_mode_after_an_exception():
    with pytest.raises(ValueError), ember.no_grad():
        raise ValueError
    assert ember.is_grad_enabled()


def test_updates_under_no_grad_are_allowed_on_leaves():
    w = ember.ones(3, requires_grad=True)
    (w * w).sum().backward()
    with ember.no_grad():
        w -= 0.5 * w.grad
        w.add_(1)
    assert w.requires_grad and w.is_leaf and w.tolist() == [1.0, 1.0, 1.0]


# ----- in-place ops through the graph ------------------------------------------------------------

INPLACE = {
    "add_": lambda lib, x, b: (x * 1).add_(b),
    "add_alpha": lambda lib, x, b: (x * 1).add_(b, alpha=-2),
    "sub_": lambda lib, x, b: (x * 2).sub_(b),
    "sub_alpha": lambda lib, x, b: (x * 2).sub_(b, alpha=0.5),
    "mul_": lambda lib, x, b: (x + 1).mul_(b),
    "div_": lambda lib, x, b: (x * 1).div_(b * b + 1),
    "iadd": lambda lib, x, b: _augmented(x, b, "+"),
    "isub": lambda lib, x, b: _augmented(x, b, "-"),
    "imul": lambda lib, x, b: _augmented(x, b, "*"),
    "itruediv": lambda lib, x, b: _augmented(x, b, "/"),
    "mul_scalar": lambda lib, x, b: (x * b).mul_(3),
    "clamp_": lambda lib, x, b: (x * b).clamp_(-0.5, 0.5),
    "clamp_min_": lambda lib, x, b: (x * b).clamp_(min=0),
    "copy_": lambda lib, x, b: (x * 1).copy_(b * 2),
    "copy_broadcast": lambda lib, x, b: (x * 1).copy_(b[0] * 2),
    "fill_": lambda lib, x, b: (x * b).fill_(2.0) * x,
    "zero_": lambda lib, x, b: (x * b).zero_() + x,
    "masked_fill_": lambda lib, x, b: (x * b).masked_fill_(x > 0, 0.25),
    "chain": lambda lib, x, b: (x.exp() * 1).mul_(b).add_(x).div_(2).sub_(b),
    "on_a_view": lambda lib, x, b: _on_view(x, b),
    "setitem_then_use": lambda lib, x, b: _setitem(x, b),
    "view_of_view": lambda lib, x, b: _view_of_view(x, b),
    "transposed_view": lambda lib, x, b: _transposed_view(x, b),
    "zero_on_view": lambda lib, x, b: _zero_view(x, b),
    "fill_on_view": lambda lib, x, b: _fill_view(x, b),
    "setitem_on_view": lambda lib, x, b: _setitem_view(x, b),
    "view_of_a_tensor_without_grad": lambda lib, x, b: _grad_free_base(lib, x, b),
    "augmented_on_slice": lambda lib, x, b: _augmented_slice(x, b),
    "views_made_before_the_base_changed": lambda lib, x, b: _old_views(x, b),
    "sibling_views": lambda lib, x, b: _sibling_views(x, b),
}


def _old_views(x, b):
    y = x * 1
    below, column, inner = y[1:], y.t()[0], y[1:][0]
    y.mul_(b)  # the views above must now lead through this mul
    return below * 2, column.exp(), inner * 3


def _sibling_views(x, b):
    y = x.sin() * 1
    first, second = y[0], y[1:]
    first.mul_(b[0])
    return second * 2, y.sum(0) + first


def _view_of_view(x, b):
    y = x.exp()
    y = y * 1
    y[1:][0].add_(b[0] * b[1])
    return y * x


def _transposed_view(x, b):
    y = x * 1
    y.t()[1].mul_(b[:, 0])
    return y.sin()


def _zero_view(x, b):
    y = x * b
    y[1].zero_()
    return y * x


def _fill_view(x, b):
    y = x * b
    y[:, 0].fill_(0.5)
    return y * x


def _setitem_view(x, b):
    y = x * 1
    y[2][1] = b[0, 0] * 4
    return y * b


def _grad_free_base(lib, x, b):
    base = lib.zeros(3, 2, dtype=x.dtype)
    base[1:].add_(x[1:] * b[1:])
    return base * x


def _augmented_slice(x, b):
    y = x * 1
    y[:, 1] += b[:, 0]
    y[0] *= b[0]
    return y


def _augmented(x, b, op):
    y = x * 1
    if op == "+":
        y += b
    elif op == "-":
        y -= b
    elif op == "*":
        y *= b
    else:
        y /= b * b + 1
    return y * x


def _on_view(x, b):
    y = x * 1
    y[0].mul_(b[0])  # writes through a view: the base's gradient must see it
    return y


def _setitem(x, b):
    y = x * 2
    y[1] = b[1] * 3
    return y * x


@pytest.mark.parametrize("name", sorted(INPLACE))
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_inplace_op_gradients_match_torch(name, dtype):
    rng = rng_for(41)
    x = random_array(rng, (3, 2), dtype)
    x[np.abs(x) < 0.05] = 0.3
    b = random_array(rng, (3, 2), dtype, "nonzero")
    run_both(INPLACE[name], [x, b])


def test_views_of_a_base_are_not_kept_alive_by_it():
    y = ember.ones(4, requires_grad=True) * 1
    for _ in range(1000):
        y[1:].sum()
    assert len(getattr(y, "_views", {})) < 5


def test_inplace_returns_self_and_bumps_the_version():
    x = ember.ones(3)
    for op in (
        lambda t: t.add_(1),
        lambda t: t.mul_(2),
        lambda t: t.zero_(),
        lambda t: t.fill_(3),
        lambda t: t.clamp_(0, 1),
        lambda t: t.uniform_(),
        lambda t: t.normal_(),
        lambda t: t.copy_(ember.zeros(3)),
        lambda t: t.div_(2),
        lambda t: t.sub_(1),
        lambda t: t.masked_fill_(ember.tensor([True, False, True]), 1),
    ):
        before = x._version
        assert op(x) is x
        assert x._version == before + 1


def test_inplace_on_a_non_leaf_rewires_its_grad_fn_like_torch():
    for lib in (ember, torch):
        x = lib.ones(2, requires_grad=True)
        y = x * 2
        y.add_(1)
        assert y.grad_fn.name() == "AddBackward0"
        y.mul_(3)
        assert y.grad_fn.name() == "MulBackward0"


def test_inplace_makes_a_tensor_require_grad_when_the_other_does():
    results = {}
    for lib in (ember, torch):
        x = lib.zeros(3)
        w = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        x.add_(w * 2)
        x.sum().backward()
        results[lib] = (x.requires_grad, w.grad.tolist())
    assert results[ember] == results[torch]


# ----- version counters ------------------------------------------------------------------------


def test_modifying_a_saved_input_in_place_is_detected():
    x = ember.ones(3, requires_grad=True)
    w = x * 1
    z = w * w
    w.add_(1)
    with pytest.raises(RuntimeError) as error:
        z.sum().backward()
    message = str(error.value)
    assert (
        "one of the variables needed for gradient computation has been modified by an "
        "inplace operation" in message
    )
    assert "MulBackward0" in message and "version 1" in message and "version 0" in message


def test_modifying_a_saved_output_in_place_is_detected():
    x = ember.ones(3, requires_grad=True)
    y = x.sigmoid()
    y.mul_(2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation.*SigmoidBackward0"):
        y.sum().backward()


def test_a_view_shares_the_version_counter_of_its_base():
    x = ember.ones(2, 3, requires_grad=True)
    h = x.exp()
    v = h[0]
    v.add_(1)  # changes h, which exp saved
    assert h._version == v._version == 1
    with pytest.raises(RuntimeError, match="modified by an inplace operation.*ExpBackward0"):
        h.sum().backward()


def test_inplace_on_a_value_nobody_saved_is_fine():
    x = ember.ones(3, requires_grad=True)
    y = x + 1  # add saves nothing
    y.mul_(2)
    y.sum().backward()
    assert x.grad.tolist() == [2.0, 2.0, 2.0]


def test_detach_shares_the_version_counter():
    x = ember.ones(3, requires_grad=True)
    y = x.exp()
    y.detach().zero_()
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


# ----- custom Functions ------------------------------------------------------------------------

# The PyTorch tutorial's custom ReLU and Legendre polynomial, word for word, for either library.
TUTORIAL_FUNCTIONS = '''
class MyReLU(torch.autograd.Function):
    """
    We can implement our own custom autograd Functions by subclassing
    torch.autograd.Function and implementing the forward and backward passes
    which operate on Tensors.
    """

    @staticmethod
    def forward(ctx, input):
        """
        In the forward pass we receive a Tensor containing the input and return
        a Tensor containing the output. ctx is a context object that can be used
        to stash information for backward computation. You can cache arbitrary
        objects for use in the backward pass using the ctx.save_for_backward method.
        """
        ctx.save_for_backward(input)
        return input.clamp(min=0)

    @staticmethod
    def backward(ctx, grad_output):
        """
        In the backward pass we receive a Tensor containing the gradient of the loss
        with respect to the output, and we need to compute the gradient of the loss
        with respect to the input.
        """
        input, = ctx.saved_tensors
        grad_input = grad_output.clone()
        grad_input[input < 0] = 0
        return grad_input


class LegendrePolynomial3(torch.autograd.Function):
    @staticmethod
    def forward(ctx, input):
        ctx.save_for_backward(input)
        return 0.5 * (5 * input ** 3 - 3 * input)

    @staticmethod
    def backward(ctx, grad_output):
        input, = ctx.saved_tensors
        return grad_output * 1.5 * (5 * input ** 2 - 1)
'''


def _tutorial(lib):
    namespace = {"torch": lib}
    exec(TUTORIAL_FUNCTIONS, namespace)
    return namespace


TUTORIALS = {lib: _tutorial(lib) for lib in (ember, torch)}


def test_tutorial_myrelu_runs_unchanged_and_matches_torch():
    rng = rng_for(42)
    arrays = [
        random_array(rng, (4, 5), np.float32),
        random_array(rng, (5, 3), np.float32),
        random_array(rng, (3, 2), np.float32),
    ]
    run_both(lambda lib, x, w1, w2: TUTORIALS[lib]["MyReLU"].apply(x.mm(w1)).mm(w2), arrays)
    a = ember.randn(3, 4, dtype=ember.float64, requires_grad=True)
    assert gradcheck(TUTORIALS[ember]["MyReLU"].apply, (a,))
    y = TUTORIALS[ember]["MyReLU"].apply(a)
    assert y.grad_fn.name() == "MyReLUBackward" and not y.is_leaf


def test_tutorial_legendre_polynomial_matches_torch_to_second_order():
    x = random_array(rng_for(43), (5,))
    run_both(lambda lib, t: TUTORIALS[lib]["LegendrePolynomial3"].apply(t), [x], second_order=True)
    a = ember.tensor(x, requires_grad=True)
    assert gradgradcheck(TUTORIALS[ember]["LegendrePolynomial3"].apply, (a,))


class MulAdd(Function):
    """Two inputs, a constant, two outputs, needs_input_grad."""

    @staticmethod
    def forward(ctx, a, b, scale):
        ctx.save_for_backward(a, b)
        ctx.scale = scale
        ctx.seen_needs = ctx.needs_input_grad
        return a * b * scale, a + b

    @staticmethod
    def backward(ctx, grad_product, grad_sum):
        a, b = ctx.saved_tensors
        grad_a = grad_product * b * ctx.scale + grad_sum if ctx.needs_input_grad[0] else None
        grad_b = grad_product * a * ctx.scale + grad_sum if ctx.needs_input_grad[1] else None
        return grad_a, grad_b, None


def test_function_with_two_outputs_and_a_constant():
    a = ember.randn(3, dtype=ember.float64, requires_grad=True)
    b = ember.randn(3, dtype=ember.float64, requires_grad=True)
    assert gradcheck(lambda x, y: MulAdd.apply(x, y, 2.5), (a, b))
    product, total = MulAdd.apply(a, b, 2.5)
    product.sum().backward()  # only one output used: the other's gradient is zero
    np.testing.assert_allclose(a.grad.numpy(), 2.5 * b.detach().numpy())
    assert product.grad_fn.scale == 2.5  # what forward stored on ctx, as in PyTorch
    assert product.grad_fn.name() == total.grad_fn.name() == "MulAddBackward"


def test_function_needs_input_grad_and_no_recording_without_grad():
    a = ember.randn(2, requires_grad=True)
    b = ember.randn(2)
    product, _ = MulAdd.apply(a, b, 1.0)
    assert product.grad_fn.seen_needs == (True, False, False)
    with ember.no_grad():
        product, _ = MulAdd.apply(a, b, 1.0)
    assert not product.requires_grad


class Square(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return 2 * x * grad


class WrongSquare(Square):
    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return 3 * x * grad  # wrong on purpose


def test_gradcheck_passes_a_right_backward_and_fails_a_wrong_one():
    x = ember.randn(4, dtype=ember.float64, requires_grad=True)
    assert gradcheck(Square.apply, (x,))
    assert gradgradcheck(Square.apply, (x,))
    with pytest.raises(GradcheckError, match="Jacobian mismatch"):
        gradcheck(WrongSquare.apply, (x,))
    assert isinstance(GradcheckError("x"), RuntimeError)
    assert gradcheck(WrongSquare.apply, (x,), raise_exception=False) is False


class SquareWithWrongSecondDerivative(Function):
    """First derivative right, but its backward uses a detached x: second order is wrong."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return 2 * x.detach() * grad


def test_gradgradcheck_catches_a_wrong_second_derivative():
    x = ember.randn(3, dtype=ember.float64, requires_grad=True)
    assert gradcheck(SquareWithWrongSecondDerivative.apply, (x,))
    assert not gradgradcheck(SquareWithWrongSecondDerivative.apply, (x,), raise_exception=False)


def test_gradcheck_on_ops_and_its_argument_errors():
    x = ember.randn(2, 3, dtype=ember.float64, requires_grad=True)
    w = ember.randn(3, 2, dtype=ember.float64, requires_grad=True)
    assert gradcheck(lambda a, b: (a @ b).tanh(), (x, w))
    assert gradgradcheck(lambda a, b: (a @ b).tanh(), (x, w))
    with pytest.raises(ValueError, match="requires_grad"):
        gradcheck(lambda a: a * 2, (ember.randn(2, dtype=ember.float64),))


def test_gradcheck_perturbs_inputs_that_are_not_contiguous():
    # A transposed leaf: its elements must still be perturbed in place (a reshape(-1) copy once
    # left the numerical Jacobian all zeros), and a wrong backward must still be caught.
    w = ember.tensor(np.arange(6.0).reshape(3, 2) / 7).T.detach().requires_grad_()
    assert not w.is_contiguous()
    assert gradcheck(lambda a: (a * a).sin(), (w,))
    with pytest.raises(GradcheckError, match="Jacobian mismatch"):
        gradcheck(WrongSquare.apply, (w,))


def test_function_returning_a_wrong_shape_is_an_error():
    class Bad(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, grad):
            return grad.sum()

    with pytest.raises(RuntimeError, match="invalid gradient"):
        Bad.apply(ember.ones(3, requires_grad=True)).sum().backward()


def test_saved_tensors_are_version_checked_and_freed():
    x = ember.ones(3, requires_grad=True)
    h = x * 1
    y = Square.apply(h)
    h.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()
    y = Square.apply(x * 1)
    y.sum().backward()
    with pytest.raises(RuntimeError, match="Trying to backward through the graph a second time"):
        y.sum().backward()


def test_variable_is_a_tensor():
    v = ember.autograd.Variable(ember.ones(2), requires_grad=True)
    assert isinstance(v, ember.Tensor) and isinstance(v, ember.autograd.Variable)
    assert v.requires_grad and v.is_leaf


# ----- anomaly detection -----------------------------------------------------------------------


def test_set_detect_anomaly_turns_it_on_and_off():
    ember.autograd.set_detect_anomaly(True)
    assert ember.autograd.is_anomaly_enabled()
    ember.autograd.set_detect_anomaly(False)
    assert not ember.autograd.is_anomaly_enabled()


# ----- deep graphs, freeing --------------------------------------------------------------------

DEEP_CHAIN = textwrap.dedent("""
    import sys
    import ember
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y * 1.0
    sys.setrecursionlimit(100)  # any recursion from here on fails loudly
    print(repr(y), y.grad_fn)
    y.sum().backward(retain_graph=True)
    assert x.grad.tolist() == [1.0, 1.0], x.grad
    (g,) = ember.autograd.grad(y.sum(), x)  # frees the saved arrays, node by node
    assert g.tolist() == [1.0, 1.0]
    del y, g  # the 100,000 nodes go at once
    print("ok")
""")


def test_a_graph_100000_ops_deep_runs_backward_and_frees_without_recursion():
    result = subprocess.run(
        [sys.executable, "-c", DEEP_CHAIN], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().endswith("ok")


def test_backward_frees_saved_arrays():
    x = ember.randn(1000, requires_grad=True)
    h = x.exp()  # saves its output
    saved = weakref.ref(h._data)
    loss = h.sin().sum()  # sin saves its input, h's array
    del h
    assert saved() is not None  # the graph keeps it alive
    loss.backward()
    assert saved() is None  # released once backward has used it
    with pytest.raises(RuntimeError, match="Trying to backward through the graph a second time"):
        loss.backward()


def test_retain_graph_keeps_saved_arrays():
    x = ember.randn(10, requires_grad=True)
    h = x.exp()
    saved = weakref.ref(h._data)
    loss = h.sin().sum()
    del h
    loss.backward(retain_graph=True)
    assert saved() is not None
    loss.backward()
    assert saved() is None


def _live_nodes():
    gc.collect()
    return sum(issubclass(type(o), ember.autograd.Node) for o in gc.get_objects())


def test_no_graph_growth_over_many_training_steps():
    before = _live_nodes()
    w = ember.randn(5, 3, requires_grad=True)
    x = ember.randn(8, 5)
    first_graph = None
    for _ in range(2000):
        loss = (x @ w).tanh().pow(2).mean()
        if first_graph is None:
            first_graph = weakref.ref(loss.grad_fn)
        loss.backward()
        with ember.no_grad():
            w -= 0.01 * w.grad
        w.grad = None
    del loss
    assert first_graph() is None
    assert _live_nodes() - before < 10, "graph nodes pile up from step to step"


# ----- grad_fn names ---------------------------------------------------------------------------

NAMED = {
    "add": lambda lib, a, b: a + b,
    "sub": lambda lib, a, b: a - b,
    "mul": lambda lib, a, b: a * b,
    "div": lambda lib, a, b: a / b,
    "pow_tensor": lambda lib, a, b: a**b,
    "pow_scalar": lambda lib, a, b: a**3,
    "rpow": lambda lib, a, b: 2**a,
    "neg": lambda lib, a, b: -a,
    "exp": lambda lib, a, b: a.exp(),
    "log": lambda lib, a, b: a.log(),
    "sqrt": lambda lib, a, b: a.sqrt(),
    "tanh": lambda lib, a, b: a.tanh(),
    "sigmoid": lambda lib, a, b: a.sigmoid(),
    "relu": lambda lib, a, b: a.relu(),
    "clamp": lambda lib, a, b: a.clamp(0, 1),
    "clamp_min": lambda lib, a, b: a.clamp(min=0),
    "sum": lambda lib, a, b: a.sum(),
    "sum_dim": lambda lib, a, b: a.sum(0),
    "mean": lambda lib, a, b: a.mean(),
    "mean_dim": lambda lib, a, b: a.mean(1),
    "max": lambda lib, a, b: a.max(),
    "max_dim": lambda lib, a, b: a.max(0).values,
    "mm": lambda lib, a, b: a.mm(b.t()),
    "t": lambda lib, a, b: a.t(),
    "view": lambda lib, a, b: a.view(-1),
    "reshape": lambda lib, a, b: a.reshape(-1),
    "expand": lambda lib, a, b: a[:1].expand(3, 2),
    "select": lambda lib, a, b: a[0],
    "slice": lambda lib, a, b: a[1:],
    "index": lambda lib, a, b: a[[0, 1]],
    "unsqueeze": lambda lib, a, b: a.unsqueeze(0),
    "permute": lambda lib, a, b: a.permute(1, 0),
    "cat": lambda lib, a, b: lib.cat([a, b]),
    "stack": lambda lib, a, b: lib.stack([a, b]),
    "softmax": lambda lib, a, b: a.softmax(1),
    "log_softmax": lambda lib, a, b: a.log_softmax(1),
    "clone": lambda lib, a, b: a.clone(),
    "to_double": lambda lib, a, b: a.double(),
    "where": lambda lib, a, b: lib.where(a > 0, a, b),
    "abs": lambda lib, a, b: a.abs(),
    "square": lambda lib, a, b: a.square(),
}


@pytest.mark.parametrize("name", sorted(NAMED))
def test_grad_fn_names_match_torch(name):
    names = {}
    for lib in (ember, torch):
        a = lib.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], requires_grad=True)
        b = lib.tensor([[0.5, 1.5], [2.5, 3.5], [4.5, 5.5]], requires_grad=True)
        names[lib] = type(NAMED[name](lib, a, b).grad_fn).__name__
    assert names[ember] == names[torch]


@pytest.mark.parametrize("lib", ["ember", "torch"])
def test_once_differentiable_backward_raises_when_differentiated_again(lib):
    lib = ember if lib == "ember" else torch
    once_differentiable = lib.autograd.function.once_differentiable

    class Square(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        @once_differentiable
        def backward(ctx, grad):
            assert not lib.is_grad_enabled()  # it runs without recording
            (x,) = ctx.saved_tensors
            return 2 * x * grad

    x = lib.tensor([3.0], requires_grad=True)
    (plain,) = lib.autograd.grad(Square.apply(x), x, create_graph=True)
    assert plain.tolist() == [6.0] and not plain.requires_grad  # nothing to differentiate
    upstream = lib.ones(1, requires_grad=True)
    (marked,) = lib.autograd.grad(Square.apply(x), x, grad_outputs=upstream, create_graph=True)
    assert marked.requires_grad and type(marked.grad_fn).__name__ == "Error"
    (total,) = lib.autograd.grad((Square.apply(x) * x).sum(), x, create_graph=True)
    assert total.tolist() == [27.0]
    for result in (marked, total):
        with pytest.raises(RuntimeError, match="differentiate twice a function that was marked"):
            result.sum().backward()


@pytest.mark.parametrize("lib", ["ember", "torch"])
def test_every_hook_returns_one_removable_handle_class(lib):
    lib = ember if lib == "ember" else torch
    import importlib

    handle_class = importlib.import_module(f"{lib.__name__}.utils.hooks").RemovableHandle
    x = lib.ones(2, requires_grad=True)
    y = x * 3
    handles = [
        x.register_hook(lambda g: g * 2),
        y.grad_fn.register_hook(lambda *grads: None),
        lib.nn.Linear(2, 2).register_forward_hook(lambda *args: None),
    ]
    assert all(isinstance(h, handle_class) for h in handles)
    handles[0].remove()
    y.sum().backward()
    assert x.grad.tolist() == [3.0, 3.0]  # the removed hook no longer doubles it


@pytest.mark.parametrize("lib", ["ember", "torch"])
def test_grad_fn_metadata_holds_only_what_the_user_put_there(lib):
    lib = ember if lib == "ember" else torch
    x = lib.ones(2, requires_grad=True)
    y = x * 2
    y.register_hook(lambda g: g)  # ember keeps its hooks on the node, not in metadata
    y.retain_grad()
    assert y.grad_fn.metadata == {}
    y.grad_fn.metadata["note"] = 1
    assert y.grad_fn.metadata == {"note": 1}

"""The backward engine runs every node after all of its consumers, on any graph shape: random
DAGs (values reused many times, the same value on both sides of an op, several outputs, hooks
and autograd.grad), compared with PyTorch."""

import numpy
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import ember

OPS = {
    "mul": lambda a, b: a * b,
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "tanh": lambda a, b: a.tanh(),
    "sin": lambda a, b: a.sin(),
}


def _build(lib, leaves, recipe, outputs):
    values = list(leaves)
    for op, i, j in recipe:
        values.append(OPS[op](values[i % len(values)], values[j % len(values)]))
    return sum(values[k % len(values)].sum() * (k + 1) for k in outputs)


recipes = st.lists(
    st.tuples(st.sampled_from(sorted(OPS)), st.integers(0, 1000), st.integers(0, 1000)),
    min_size=1,
    max_size=25,
)


@settings(max_examples=60, deadline=None)
@given(recipe=recipes, outputs=st.lists(st.integers(0, 1000), min_size=1, max_size=4))
def test_random_dag_gradients_match_torch(recipe, outputs):
    rng = numpy.random.default_rng(len(recipe))
    arrays = [rng.uniform(-0.9, 0.9, 3) for _ in range(3)]
    ours = [ember.tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    _build(ember, ours, recipe, outputs).backward()
    _build(torch, theirs, recipe, outputs).backward()
    for o, t in zip(ours, theirs):
        expected = None if t.grad is None else t.grad.numpy()
        got = None if o.grad is None else o.grad.numpy()
        if expected is None:
            assert got is None or not got.any()
        else:
            numpy.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-12)


@settings(max_examples=30, deadline=None)
@given(recipe=recipes, outputs=st.lists(st.integers(0, 1000), min_size=1, max_size=4))
def test_random_dag_autograd_grad_and_leaf_hooks_see_the_total(recipe, outputs):
    rng = numpy.random.default_rng(len(recipe) + 7)
    arrays = [rng.uniform(-0.9, 0.9, 3) for _ in range(3)]
    ours = [ember.tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    seen = []
    ours[0].register_hook(lambda g: seen.append(g.numpy().copy()))
    loss = _build(ember, ours, recipe, outputs)
    grads = ember.autograd.grad(loss, ours, allow_unused=True, retain_graph=True)
    loss.backward()
    expected = torch.autograd.grad(
        _build(torch, theirs, recipe, outputs), theirs, allow_unused=True
    )
    for g, e, o in zip(grads, expected, ours):
        if e is None:
            assert g is None or not g.numpy().any()
            continue
        numpy.testing.assert_allclose(g.numpy(), e.numpy(), rtol=1e-10, atol=1e-12)
        numpy.testing.assert_allclose(o.grad.numpy(), e.numpy(), rtol=1e-10, atol=1e-12)
    if expected[0] is not None:  # the hook ran once per pass, with the whole gradient
        assert len(seen) == 2
        numpy.testing.assert_allclose(seen[1], expected[0].numpy(), rtol=1e-10, atol=1e-12)


def test_newer_consumer_of_a_parent_runs_before_it():
    # y = h * tanh(h): after MulBackward the heap holds nothing, and h's first share arrives
    # with tanh's node still to run; h must wait for tanh's share.
    a = ember.tensor([0.3, -0.2], requires_grad=True)
    h = a * 2
    (h * h.tanh()).sum().backward()
    t = torch.tensor([0.3, -0.2], dtype=torch.float32, requires_grad=True)
    th = t * 2
    (th * th.tanh()).sum().backward()
    numpy.testing.assert_allclose(a.grad.numpy(), t.grad.numpy(), rtol=1e-6)


def test_sequence_numbers_follow_creation_order():
    a = ember.ones(2, requires_grad=True)
    b = a * 2
    c = b.exp()
    assert c.grad_fn._sequence_nr() > b.grad_fn._sequence_nr()


def test_reflected_add_and_mul_list_the_tensor_first_as_pytorch():
    x = ember.ones(2, requires_grad=True)
    t = torch.ones(2, requires_grad=True)
    for make in (lambda v: 2 * v, lambda v: 2 + v, lambda v: 2.5 * v):
        ours = [None if f is None else type(f).__name__ for f, _ in make(x).grad_fn.next_functions]
        theirs = [
            None if f is None else type(f).__name__ for f, _ in make(t).grad_fn.next_functions
        ]
        assert ours == theirs == ["AccumulateGrad", None]


# One case per kind of argument list: numbers, dims, bounds, indices, masks, lists of tensors.
NEXT_FUNCTION_CASES = {
    "x * 2": lambda lib, x, t: x * 2,
    "2 - x": lambda lib, x, t: 2 - x,
    "x / t": lambda lib, x, t: x / t,
    "clamp(min)": lambda lib, x, t: x.clamp(min=0),
    "clamp(min, max)": lambda lib, x, t: x.clamp(0, 1),
    "clamp(tensor min)": lambda lib, x, t: x.clamp(min=t),
    "clamp_max(tensor)": lambda lib, x, t: x.clamp_max(t),
    "sum": lambda lib, x, t: x.sum(),
    "sum(dim)": lambda lib, x, t: x.sum(1),
    "mean": lambda lib, x, t: x.mean(),
    "pow(2)": lambda lib, x, t: x.pow(2),
    "pow(t)": lambda lib, x, t: x.abs().pow(t),
    "where": lambda lib, x, t: lib.where(t > 0, x, t),
    "gather": lambda lib, x, t: x.gather(1, lib.tensor([[0], [1], [2]])),
    "index_select": lambda lib, x, t: x.index_select(0, lib.tensor([0, 2])),
    "masked_fill": lambda lib, x, t: x.masked_fill(t > 0, 0.0),
    "cat": lambda lib, x, t: lib.cat([x, t]),
    "stack": lambda lib, x, t: lib.stack([t, x]),
    "softmax": lambda lib, x, t: x.softmax(1),
    "reshape": lambda lib, x, t: x.reshape(12),
    "t": lambda lib, x, t: x.t(),
    "x[0]": lambda lib, x, t: x[0],
    "max(dim)": lambda lib, x, t: x.max(1)[0],
    "mm": lambda lib, x, t: x.mm(t.t()),
    "addmm": lambda lib, x, t: lib.addmm(t[:, :3], x, t.t()),
    "norm": lambda lib, x, t: x.norm(),
    "logsumexp": lambda lib, x, t: x.logsumexp(1),
    "var": lambda lib, x, t: x.var(),
    "mse_loss": lambda lib, x, t: lib.nn.functional.mse_loss(x, t),
}


@pytest.mark.parametrize("name", list(NEXT_FUNCTION_CASES))
def test_next_functions_list_what_pytorch_lists(name):
    """One entry per tensor input that can carry a gradient, in PyTorch's order; numbers, dims,
    bounds and index tensors are not listed."""
    make = NEXT_FUNCTION_CASES[name]

    def shown(lib):
        x = lib.tensor([[0.5, -1.0, 2.0, 0.1]] * 3, requires_grad=True)
        t = lib.tensor([[1.0, 2.0, -3.0, 0.5]] * 3)
        out = make(lib, x, t).grad_fn
        return out.name(), [None if f is None else type(f).__name__ for f, _ in out.next_functions]

    assert shown(ember) == shown(torch)

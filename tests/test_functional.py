"""ember.autograd.functional against torch.autograd.functional: vjp, jvp, jacobian, hessian, hvp,
vhp on several functions, with tensor or tuple inputs and outputs, create_graph and strict."""

import numpy as np
import pytest
import torch
import torch.autograd.functional as TF
from conftest import as_numpy, assert_same_tensor, random_array, rng_for
from hypothesis import given, settings
from hypothesis import strategies as st

import ember
import ember.autograd.functional as EF

FAST = settings(max_examples=6, deadline=None)


def assert_same_structure(e, t, what="result", create_graph=False):
    """``e`` (ember) has torch's nesting of tuples and the same tensors in it. Without
    create_graph nothing may require grad; with it, whether a constant derivative (a linear
    function's Jacobian) keeps a graph depends on how each library writes its formulas."""
    if isinstance(t, tuple):
        assert isinstance(e, tuple), f"{what}: torch gives a tuple, ember a {type(e).__name__}"
        assert len(e) == len(t), f"{what}: {len(e)} items, torch has {len(t)}"
        for i, (ei, ti) in enumerate(zip(e, t)):
            assert_same_structure(ei, ti, f"{what}[{i}]", create_graph)
        return
    assert isinstance(e, ember.Tensor), f"{what}: torch gives a tensor, ember a {type(e)}"
    assert_same_tensor(e, t, what=what)
    if not create_graph:
        assert not e.requires_grad and not t.requires_grad, f"{what}: has a graph"


def both(arrays):
    """The same arrays as ember and torch tensors."""
    return {lib: tuple(lib.from_numpy(a.copy()) for a in arrays) for lib in (ember, torch)}


# Functions of one or more tensors, written once for both libraries: name -> (fn, input shapes).
FUNCTIONS = {
    "exp_reducer": (lambda lib, x: x.exp().sum(dim=1), [(3, 4)]),
    "matrix_product": (lambda lib, x, w: lib.tanh(x.mm(w)), [(2, 3), (3, 4)]),
    "two_outputs": (lambda lib, x, y: (x * y.sin(), (x.pow(2) + y).sum()), [(3,), (3,)]),
    "broadcast": (lambda lib, x, b: (x + b).sigmoid() * x, [(2, 3), (3,)]),
    "scalar_input": (lambda lib, x: (x * 3).exp(), [()]),
}


def _call(lib, fn, inputs, single):
    return lambda *xs: fn(lib, *xs), (inputs[0] if single else inputs)


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
@pytest.mark.parametrize("create_graph", [False, True])
def test_vjp_jvp_jacobian_match_torch(name, create_graph):
    fn, shapes = FUNCTIONS[name]
    rng = rng_for(len(name))
    arrays = [random_array(rng, s) for s in shapes]
    single = len(arrays) == 1
    inputs = both(arrays)
    t_out = fn(torch, *inputs[torch])
    outs = t_out if isinstance(t_out, tuple) else (t_out,)
    v_out = [random_array(rng, tuple(o.shape)) for o in outs]
    v_in = [random_array(rng, s) for s in shapes]
    results = {}
    for lib, F in ((ember, EF), (torch, TF)):
        f, xs = _call(lib, fn, inputs[lib], single)
        vo = tuple(lib.from_numpy(v.copy()) for v in v_out)
        vi = tuple(lib.from_numpy(v.copy()) for v in v_in)
        results[lib] = (
            F.vjp(f, xs, vo if isinstance(t_out, tuple) else vo[0], create_graph=create_graph),
            F.jvp(f, xs, vi[0] if single else vi, create_graph=create_graph),
            F.jacobian(f, xs, create_graph=create_graph),
        )
    for what, e, t in zip(("vjp", "jvp", "jacobian"), results[ember], results[torch]):
        assert_same_structure(e, t, f"{name} {what}", create_graph)


SCALAR_FUNCTIONS = {
    "cubes": (lambda lib, x: x.pow(3).sum(), [(2, 2)]),
    "quadratic_pair": (lambda lib, x, y: (2 * x.pow(2) + 3 * y.pow(2)).sum(), [(2,), (2,)]),
    "coupled": (lambda lib, x, w: (x.mm(w).tanh() * x.mm(w)).sum(), [(2, 3), (3, 2)]),
    "log_sum_exp": (lambda lib, x: lib.logsumexp(x * x, dim=0), [(4,)]),
}


@pytest.mark.parametrize("name", sorted(SCALAR_FUNCTIONS))
@pytest.mark.parametrize("create_graph", [False, True])
def test_hessian_hvp_vhp_match_torch(name, create_graph):
    fn, shapes = SCALAR_FUNCTIONS[name]
    rng = rng_for(len(name) + 7)
    arrays = [random_array(rng, s) for s in shapes]
    single = len(arrays) == 1
    inputs = both(arrays)
    v_in = [random_array(rng, s) for s in shapes]
    results = {}
    for lib, F in ((ember, EF), (torch, TF)):
        f, xs = _call(lib, fn, inputs[lib], single)
        vi = tuple(lib.from_numpy(v.copy()) for v in v_in)
        v = vi[0] if single else vi
        results[lib] = (
            F.hessian(f, xs, create_graph=create_graph),
            F.hvp(f, xs, v, create_graph=create_graph),
            F.vhp(f, xs, v, create_graph=create_graph),
        )
    for what, e, t in zip(("hessian", "hvp", "vhp"), results[ember], results[torch]):
        assert_same_structure(e, t, f"{name} {what}", create_graph)


@FAST
@given(shape=st.tuples(st.integers(1, 3), st.integers(1, 3)), seed=st.integers(0, 2**16))
def test_jacobian_of_random_shapes_matches_torch(shape, seed):
    rng = rng_for(seed)
    x, w = random_array(rng, shape), random_array(rng, shape[::-1])
    inputs = both([x, w])

    def fn(lib):
        return lambda a, b: (a.mm(b).relu(), (a * a).sum(0))

    e = EF.jacobian(fn(ember), inputs[ember])
    t = TF.jacobian(fn(torch), inputs[torch])
    assert_same_structure(e, t)


def test_create_graph_results_are_differentiable_like_torch():
    x = random_array(rng_for(1), (3,))
    grads = {}
    for lib, F in ((ember, EF), (torch, TF)):
        xt = lib.from_numpy(x.copy()).requires_grad_()
        _, hv = F.hvp(
            lambda a: (a.sin() * a).sum(), xt, lib.ones(3, dtype=lib.float64), create_graph=True
        )
        assert hv.requires_grad
        grads[lib] = lib.autograd.grad(hv.sum(), xt)[0]
    assert_same_tensor(grads[ember], grads[torch])


def test_results_are_detached_without_create_graph():
    x = ember.randn(3, requires_grad=True)
    out, g = EF.vjp(lambda a: a.exp().sum(), x)
    assert not out.requires_grad and not g.requires_grad
    np.testing.assert_allclose(as_numpy(g), np.exp(as_numpy(x)), rtol=1e-6)
    assert x.grad is None  # the functional API never touches .grad


def test_unused_input_gives_zeros_or_strict_error_like_torch():
    arrays = [random_array(rng_for(2), (2,)), random_array(rng_for(3), (2,))]
    inputs = both(arrays)
    for lib, F in ((ember, EF), (torch, TF)):
        xs = inputs[lib]
        _, grads = F.vjp(lambda a, b: (a * 2).sum(), xs)
        assert not as_numpy(grads[1]).any()
        with pytest.raises(RuntimeError, match="independent of input 1"):
            F.vjp(lambda a, b: (a * 2).sum(), xs, strict=True)
        with pytest.raises(RuntimeError, match="does not require gradients"):
            F.jacobian(lambda a, b: a.detach() * 2, xs, strict=True)
        with pytest.raises(RuntimeError, match="independent of the input"):
            F.hessian(lambda a, b: (a * 2 + b).sum(), xs, strict=True)
    assert_same_structure(
        EF.jacobian(lambda a, b: a * 2, inputs[ember]),
        TF.jacobian(lambda a, b: a * 2, inputs[torch]),
    )


@pytest.mark.parametrize("fn_name", ["vjp", "jvp", "hvp", "vhp"])
def test_bad_arguments_raise_torch_errors(fn_name):
    x = ember.randn(2, 3)
    F = getattr(EF, fn_name)
    scalar = (lambda a: a.sum()) if fn_name in ("hvp", "vhp") else (lambda a: a * 2)
    with pytest.raises(RuntimeError, match="v can only be None"):
        F(scalar, x)
    with pytest.raises(RuntimeError, match="v has invalid size"):
        F(scalar, x, ember.ones(4))
    with pytest.raises(TypeError, match=f"inputs given to {fn_name} must be either a Tensor"):
        F(scalar, [x])
    pair = (lambda a, b: (a * b, a + b)) if fn_name == "vjp" else (lambda a, b: (a * b).sum())
    with pytest.raises(RuntimeError, match="tuple of invalid length"):
        F(pair, (x, x), (ember.ones(2, 3),))


def test_hessian_needs_a_single_element_output():
    x = ember.randn(3)
    with pytest.raises(RuntimeError, match="should contain a single element"):
        EF.hessian(lambda a: a * a, x)
    with pytest.raises(RuntimeError, match="should return a single Tensor"):
        EF.hvp(lambda a: (a.sum(), a.sum()), x, ember.ones(3))
    with pytest.raises(ValueError, match="forward-mode"):
        EF.jacobian(lambda a: a, x, strategy="sideways")


def test_identity_and_vectorize_flag():
    x = ember.randn(3, dtype=ember.float64)
    jac = EF.jacobian(lambda a: a, x, vectorize=True)
    np.testing.assert_array_equal(as_numpy(jac), np.eye(3))
    _, jv = EF.jvp(lambda a: a, x, ember.ones(3, dtype=ember.float64))
    np.testing.assert_array_equal(as_numpy(jv), np.ones(3))

"""Higher-order gradients: every op's backward also runs on tensors (create_graph=True) and gives
PyTorch's first-order gradients there; third derivatives, Hessian-vector products, gradient
penalties, and ``backward(create_graph=True)`` compared with PyTorch."""

import numpy as np
import pytest
import test_autograd as A
import test_ops_elementwise as E
import test_ops_linalg as L
import test_ops_reduce as R
import test_ops_shape_index as S
import torch
from conftest import assert_same_tensor, random_array, rng_for, run_both

import ember
from ember.autograd import gradgradcheck


def _cases():
    """(id, fn(lib, *tensors), arrays) for every op the op tests cover."""
    rng = rng_for(60)

    def real(shape, domain="real"):
        return random_array(rng, shape, np.float64, domain)

    cases = []
    for name, (domain, _) in E.UNARY.items():
        cases.append((f"unary-{name}", E._unary(name, "function"), [real((2, 3), domain)]))
    for name, (fn, da, db, _) in E.BINARY.items():
        cases.append((f"binary-{name}", fn, [real((2, 1, 3), da), real((4, 1), db)]))
    for name, (fn, domain, _) in E.SCALAR_FORMS.items():
        cases.append((f"scalar-{name}", fn, [real((3, 2), domain)]))
    for name, fn in E.CLAMPS.items():
        cases.append((f"clamp-{name}", fn, [np.array([-1.3, -0.35, -0.15, 0.05, 0.25, 1.2])]))
    cases.append(
        (
            "where",
            E._where("function"),
            [np.array([[True, False, True]]), real((2, 3)), real((2, 1))],
        )
    )
    for name, (fn, domain, _, _) in R.BY_DIM.items():
        for dim, keep in ((0, False), (-1, True)):
            cases.append(
                (
                    f"reduce-{name}-{dim}",
                    lambda lib, x, fn=fn, d=dim, k=keep: fn(lib, x, d, k),
                    [real((3, 4), domain)],
                )
            )
    for name, (fn, domain, _) in R.OVER_DIMS.items():
        cases.append(
            (
                f"reduce-dims-{name}",
                lambda lib, x, fn=fn: fn(lib, x, [0, -1], True),
                [real((2, 3, 2), domain)],
            )
        )
    for name, (fn, domain, _) in R.WHOLE.items():
        cases.append((f"reduce-whole-{name}", fn, [real((2, 3), domain)]))
    for name, (fn, sizes) in L.PRODUCTS.items():
        cases.append((f"linalg-{name}", fn, [real(s) for s in sizes]))
    for equation, sizes in L.EINSUM.items():
        cases.append(
            (
                f"einsum-{equation}",
                lambda lib, *xs, eq=equation: lib.einsum(eq, *xs),
                [real(s) for s in sizes],
            )
        )
    for name, (fn, shape) in S.SHAPE_OPS.items():
        cases.append((f"shape-{name}", fn, [real(shape)]))
    for name, (fn, sizes) in S.JOINS.items():
        cases.append((f"join-{name}", fn, [real(s) for s in sizes]))
    for name, index in S.INDICES.items():
        cases.append(
            (f"index-{name}", lambda lib, x, i=index: x[S._index_for(lib, i)], [real((3, 4, 2))])
        )
    for name, (index, value_shape) in S.ASSIGNMENTS.items():
        arrays = [real((3, 4))] + ([real(value_shape)] if value_shape else [])
        cases.append((f"setitem-{name}", S._assign(index, value_shape is not None), arrays))
    for name, (fn, shape, index) in S.GATHERS.items():
        cases.append((f"gather-{name}", fn, [real(shape), index]))
    for name, (fn, shape, index, src) in S.SCATTERS.items():
        if name != "src_larger_than_index":  # PyTorch's own backward rejects that one
            cases.append((f"scatter-{name}", fn, [real(shape), index, real(src)]))
    for name, (fn, mask) in S.MASKED_FILLS.items():
        cases.append((f"masked_fill-{name}", fn, [real((3, 4)), mask]))
    for name, fn in A.INPLACE.items():
        x = real((3, 2))
        x[np.abs(x) < 0.05] = 0.3
        cases.append((f"inplace-{name}", fn, [x, real((3, 2), "nonzero")]))
    return cases


CASES = _cases()


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_backward_on_tensors_gives_torch_first_order_gradients(case, dtype):
    """With create_graph=True each VJP runs on ember tensors, building a graph; its values must
    still be PyTorch's gradients, in the input's dtype."""
    _, fn, arrays = case
    arrays = [a.astype(dtype) if a.dtype == np.float64 else a for a in arrays]
    run_both(fn, arrays, create_graph=True)


def _derivatives(lib, fn, x, order):
    """d^k/dx^k of sum(fn(x)) for k = 1..order, each as a tensor (elementwise fn: a diagonal)."""
    t = lib.from_numpy(x.copy()).requires_grad_()
    out, found = fn(lib, t).sum(), []
    for _ in range(order):
        (out,) = lib.autograd.grad(out, t, create_graph=True)
        found.append(out)
        out = out.sum()
    return found


THIRD_ORDER = {
    "tanh": lambda lib, x: x.tanh(),
    "sigmoid": lambda lib, x: x.sigmoid(),
    "exp_sin": lambda lib, x: x.exp() * x.sin(),
    "log": lambda lib, x: (x * x + 1).log(),
    "sqrt": lambda lib, x: (x * x + 1).sqrt(),
    "rsqrt": lambda lib, x: (x * x + 1).rsqrt(),
    "reciprocal": lambda lib, x: (x * x + 1).reciprocal(),
    "pow": lambda lib, x: (x * x + 1) ** 2.5,
    "div": lambda lib, x: x / (x * x + 2),
    "softmax": lambda lib, x: x.softmax(0) * lib.arange(5.0, dtype=x.dtype),
    "log_softmax": lambda lib, x: x.log_softmax(0) * lib.arange(5.0, dtype=x.dtype),
    "logsumexp": lambda lib, x: (x * lib.arange(5.0, dtype=x.dtype)).logsumexp(0),
    "norm": lambda lib, x: x.norm() ** 3,
    "prod": lambda lib, x: x.prod(),
    "var": lambda lib, x: x.var() ** 2,
    "std": lambda lib, x: x.std(),
    "cos_cubed": lambda lib, x: x.cos() ** 3,
    "matmul": lambda lib, x: (x.reshape(5, 1) @ x.reshape(1, 5)).tanh(),
}


@pytest.mark.parametrize("name", sorted(THIRD_ORDER))
def test_third_derivatives_match_torch(name):
    x = random_array(rng_for(61), (5,), np.float64, "nonzero")
    ours = _derivatives(ember, THIRD_ORDER[name], x, 3)
    theirs = _derivatives(torch, THIRD_ORDER[name], x, 3)
    for k, (e, t) in enumerate(zip(ours, theirs), start=1):
        assert_same_tensor(e, t, 1e-7, 1e-9, f"derivative {k}")


def test_fourth_derivative_of_sin_is_sin():
    x = np.linspace(-2, 2, 7)
    fourth = _derivatives(ember, lambda lib, t: t.sin(), x, 4)[-1]
    np.testing.assert_allclose(fourth.detach().numpy(), np.sin(x), rtol=1e-12)


def test_hessian_vector_product_of_an_mlp_matches_torch():
    rng = rng_for(62)
    arrays = [
        rng.standard_normal((4, 3)),
        rng.standard_normal((3, 5)),
        rng.standard_normal(5),
        rng.standard_normal((5, 2)),
    ]
    v = [rng.standard_normal(a.shape) for a in arrays[1:]]
    results = {}
    for lib in (ember, torch):
        x, w1, b1, w2 = (lib.from_numpy(a.copy()) for a in arrays)
        params = [p.requires_grad_() for p in (w1, b1, w2)]
        loss = ((x @ w1 + b1).tanh() @ w2).log_softmax(1)[:, 0].sum()
        grads = lib.autograd.grad(loss, params, create_graph=True)
        dot = sum((g * lib.from_numpy(u.copy())).sum() for g, u in zip(grads, v))
        results[lib] = lib.autograd.grad(dot, params)
    for e, t in zip(results[ember], results[torch]):
        assert_same_tensor(e, t, 1e-7, 1e-10)


def test_gradient_penalty_matches_torch():
    """The WGAN-GP pattern: penalise the norm of d(critic)/d(input), then backpropagate it."""
    rng = rng_for(63)
    arrays = [rng.standard_normal((6, 3)), rng.standard_normal((3, 4)), rng.standard_normal(4)]
    results = {}
    for lib in (ember, torch):
        x, w, u = (lib.from_numpy(a.copy()) for a in arrays)
        x.requires_grad_()
        w.requires_grad_()
        critic = ((x @ w).relu() @ u).sum()
        (gx,) = lib.autograd.grad(critic, x, create_graph=True)
        penalty = ((gx.norm(2, dim=1) - 1) ** 2).mean()
        penalty.backward()
        results[lib] = (w.grad, penalty, x.grad)
    for e, t in zip(results[ember][:2], results[torch][:2]):
        assert_same_tensor(e, t, 1e-7, 1e-10)
    # x reaches the penalty only through relu's derivative, which is 0 almost everywhere:
    # PyTorch gives a zero gradient, ember none (the graph does not connect).
    assert results[ember][2] is None and not results[torch][2].any()


def test_backward_with_create_graph_leaves_a_differentiable_grad():
    results = {}
    for lib in (ember, torch):
        x = lib.tensor([0.5, -1.5, 2.0], dtype=lib.float64, requires_grad=True)
        y = (x**3).sum()
        y.backward(create_graph=True)
        assert x.grad.requires_grad and x.grad.grad_fn is not None
        first = x.grad.clone()
        x.grad.sum().backward()  # accumulates d(sum 3x^2)/dx = 6x into x.grad
        results[lib] = (first.detach(), x.grad.detach())
    for e, t in zip(results[ember], results[torch]):
        assert_same_tensor(e, t)


def test_grad_of_grad_through_a_dtype_conversion_and_indexing():
    run_both(
        lambda lib, x: (x.double()[1:] ** 3).float().exp(),
        [random_array(rng_for(64), (4,), np.float32)],
        second_order=True,
    )
    run_both(
        lambda lib, x: x[[0, 2, 2]].sin() * x.amax(),
        [random_array(rng_for(65), (3,))],
        second_order=True,
    )


COMPOSITES = {
    "mlp": lambda x, w: ((x @ w).tanh() @ w.t()).sigmoid(),
    "attention": lambda x, w: ((x @ w) @ (x @ w).t() / 2).softmax(-1) @ x,
    "cross_entropy": lambda x, w: -(x @ w).log_softmax(1)[:, 0].mean(),
    "layer_norm": lambda x, w: (
        (x - x.mean(1, keepdim=True)) / (x.var(1, keepdim=True) + 1e-5).sqrt() * w[:, 0]
    ),
    "max_pool_like": lambda x, w: (x @ w).amax(1) * (x @ w).logsumexp(1),
}


@pytest.mark.parametrize("name", sorted(COMPOSITES))
def test_gradgradcheck_on_composites(name):
    rng = rng_for(66)
    x = ember.tensor(rng.standard_normal((3, 4)), requires_grad=True)
    w = ember.tensor(rng.standard_normal((4, 4)), requires_grad=True)
    assert gradgradcheck(COMPOSITES[name], (x, w), atol=1e-5, rtol=1e-4)

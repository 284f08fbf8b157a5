"""Matrix products against PyTorch and finite differences: matmul (1-D, 2-D, batched, broadcast),
mm, bmm, mv, dot, outer, addmm/addmv/addr with beta and alpha, einsum, t, transpose, permute."""

import numpy as np
import pytest
from conftest import (
    broadcastable_shapes,
    check_gradcheck,
    float_dtypes,
    random_array,
    rng_for,
    run_both,
    seeds,
)
from hypothesis import given, settings
from hypothesis import strategies as st

import ember

FAST = settings(max_examples=10, deadline=None)
sides = st.integers(1, 4)


@st.composite
def matmul_shapes(draw):
    """Shapes for a @ b: each a vector or a (batched) matrix, batch dims broadcasting."""
    n, k, m = draw(sides), draw(sides), draw(sides)
    batch_a, batch_b = draw(broadcastable_shapes(2, max_dims=2, max_side=3)).input_shapes
    a = (k,) if draw(st.booleans()) else batch_a + (n, k)
    b = (k,) if draw(st.booleans()) else batch_b + (k, m)
    return a, b


@pytest.mark.parametrize("form", ["function", "method", "operator"])
@FAST
@given(case=matmul_shapes(), dtype=float_dtypes, seed=seeds)
def test_matmul_matches_torch(form, case, dtype, seed):
    rng = rng_for(seed)
    a, b = (random_array(rng, s, dtype) for s in case)
    fn = {
        "function": lambda lib, x, y: lib.matmul(x, y),
        "method": lambda lib, x, y: x.matmul(y),
        "operator": lambda lib, x, y: x @ y,
    }[form]
    run_both(fn, [a, b], second_order=True, seed=seed)


@pytest.mark.parametrize(
    "sa, sb",
    [
        ((3,), (3,)),
        ((2, 3), (3,)),
        ((3,), (3, 2)),
        ((2, 3), (3, 4)),
        ((2, 2, 3), (3, 2)),
        ((3,), (2, 3, 2)),
        ((2, 1, 2, 3), (3, 3, 2)),
        ((2, 2, 3), (3,)),
    ],
)
def test_matmul_gradcheck(sa, sb):
    rng = rng_for(12)
    check_gradcheck(
        lambda lib, x, y: x @ y,
        [rng.standard_normal(sa), rng.standard_normal(sb)],
        second_order=True,
    )


# name: (fn(lib, *tensors), shapes)
PRODUCTS = {
    "mm": (lambda lib, a, b: lib.mm(a, b), [(3, 4), (4, 2)]),
    "mm_method": (lambda lib, a, b: a.mm(b), [(1, 4), (4, 3)]),
    "bmm": (lambda lib, a, b: lib.bmm(a, b), [(2, 3, 4), (2, 4, 2)]),
    "bmm_method": (lambda lib, a, b: a.bmm(b), [(3, 1, 2), (3, 2, 2)]),
    "mv": (lambda lib, a, b: lib.mv(a, b), [(3, 4), (4,)]),
    "mv_method": (lambda lib, a, b: a.mv(b), [(2, 3), (3,)]),
    "dot": (lambda lib, a, b: lib.dot(a, b), [(4,), (4,)]),
    "dot_method": (lambda lib, a, b: a.dot(b), [(3,), (3,)]),
    "outer": (lambda lib, a, b: lib.outer(a, b), [(3,), (4,)]),
    "outer_method": (lambda lib, a, b: a.outer(b), [(2,), (3,)]),
    "ger": (lambda lib, a, b: a.ger(b), [(2,), (3,)]),
    "addmm": (lambda lib, c, a, b: lib.addmm(c, a, b), [(3, 2), (3, 4), (4, 2)]),
    "addmm_beta_alpha": (
        lambda lib, c, a, b: lib.addmm(c, a, b, beta=0.5, alpha=2.0),
        [(3, 2), (3, 4), (4, 2)],
    ),
    "addmm_broadcast_bias": (
        lambda lib, c, a, b: c.addmm(a, b, alpha=-1.5),
        [(2,), (3, 4), (4, 2)],
    ),
    "addmm_row_bias_beta": (
        lambda lib, c, a, b: lib.addmm(c, a, b, beta=3),
        [(1, 2), (3, 4), (4, 2)],
    ),
    "addmm_beta_0": (lambda lib, c, a, b: lib.addmm(c, a, b, beta=0), [(3, 2), (3, 4), (4, 2)]),
    "addmv": (lambda lib, c, a, b: lib.addmv(c, a, b), [(3,), (3, 4), (4,)]),
    "addmv_beta_alpha": (
        lambda lib, c, a, b: c.addmv(a, b, beta=-1, alpha=0.25),
        [(3,), (3, 4), (4,)],
    ),
    "addmv_broadcast": (lambda lib, c, a, b: lib.addmv(c, a, b, alpha=2), [(1,), (3, 2), (2,)]),
    "addr": (lambda lib, c, a, b: lib.addr(c, a, b), [(3, 2), (3,), (2,)]),
    "addr_beta_alpha": (
        lambda lib, c, a, b: c.addr(a, b, beta=2, alpha=-0.5),
        [(3, 2), (3,), (2,)],
    ),
    "addr_broadcast": (lambda lib, c, a, b: lib.addr(c, a, b, alpha=3), [(2,), (3,), (2,)]),
    "t": (lambda lib, a: lib.t(a), [(2, 3)]),
    "t_method": (lambda lib, a: a.t(), [(3, 1)]),
    "t_vector": (lambda lib, a: a.t(), [(3,)]),
    "T": (lambda lib, a: a.T, [(2, 3, 4)]),
    "mT": (lambda lib, a: a.mT, [(2, 3, 4)]),
    "transpose": (lambda lib, a: lib.transpose(a, 0, 2), [(2, 3, 4)]),
    "transpose_method": (lambda lib, a: a.transpose(-1, 0), [(2, 3)]),
    "swapaxes": (lambda lib, a: a.swapaxes(0, 1), [(2, 3)]),
    "permute": (lambda lib, a: lib.permute(a, (2, 0, 1)), [(2, 3, 4)]),
    "permute_method": (lambda lib, a: a.permute(1, -1, 0), [(2, 3, 4)]),
    "permute_list": (lambda lib, a: a.permute([1, 0]), [(2, 3)]),
    "transposed_product": (lambda lib, a, b: a.t().mm(b.permute(1, 0)), [(3, 2), (4, 3)]),
}
LINEAR_ONLY = {
    "t",
    "t_method",
    "t_vector",
    "T",
    "mT",
    "transpose",
    "transpose_method",
    "swapaxes",
    "permute",
    "permute_method",
    "permute_list",
}


@pytest.mark.parametrize("name", sorted(PRODUCTS))
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_product_matches_torch(name, dtype):
    fn, sizes = PRODUCTS[name]
    for seed in range(3):
        rng = rng_for(seed)
        arrays = [random_array(rng, s, dtype) for s in sizes]
        run_both(fn, arrays, second_order=name not in LINEAR_ONLY, seed=seed)


@pytest.mark.parametrize("name", sorted(PRODUCTS))
def test_product_gradcheck(name):
    fn, sizes = PRODUCTS[name]
    rng = rng_for(13)
    check_gradcheck(
        fn, [rng.standard_normal(s) for s in sizes], second_order=name not in LINEAR_ONLY
    )


@st.composite
def batched_products(draw):
    b, n, k, m = (draw(sides) for _ in range(4))
    return [(b, n, k), (b, k, m)]


@FAST
@given(case=batched_products(), dtype=float_dtypes, seed=seeds)
def test_bmm_matches_torch_on_random_shapes(case, dtype, seed):
    rng = rng_for(seed)
    run_both(
        lambda lib, a, b: a.bmm(b),
        [random_array(rng, s, dtype) for s in case],
        second_order=True,
        seed=seed,
    )


@FAST
@given(
    n=sides,
    k=sides,
    m=sides,
    dtype=float_dtypes,
    seed=seeds,
    bias=st.sampled_from(["full", "row", "scalar"]),
    beta=st.sampled_from([0, 1, 0.5]),
    alpha=st.sampled_from([1, -2.0]),
)
def test_addmm_matches_torch_on_random_shapes(n, k, m, dtype, seed, bias, beta, alpha):
    rng = rng_for(seed)
    c_shape = {"full": (n, m), "row": (m,), "scalar": ()}[bias]
    arrays = [random_array(rng, s, dtype) for s in (c_shape, (n, k), (k, m))]
    run_both(
        lambda lib, c, a, b: lib.addmm(c, a, b, beta=beta, alpha=alpha),
        arrays,
        second_order=True,
        seed=seed,
    )


EINSUM = {
    "ij,jk->ik": [(2, 3), (3, 4)],
    "bij,bjk->bik": [(2, 2, 3), (2, 3, 2)],
    "i,i->": [(3,), (3,)],
    "i,j->ij": [(2,), (3,)],
    "ij->ji": [(2, 3)],
    "ij->": [(2, 3)],
    "ij->j": [(2, 3)],
    "ijk,ik->j": [(2, 3, 4), (2, 4)],
    "ij,jk": [(2, 3), (3, 2)],
    "ij,jk,kl->il": [(2, 3), (3, 2), (2, 2)],
    "ii->i": [(3, 3)],
    "ii": [(3, 3)],
    "...ij,...jk->...ik": [(2, 2, 3), (3, 2)],
    "bi,bi->b": [(3, 4), (3, 4)],
    "...ij,...jk": [(2, 1, 2, 3), (3, 3, 2)],
    "i...,i...->...": [(2, 3, 1), (2, 1, 4)],
    "ij,ij,ij->i": [(2, 3), (2, 3), (2, 3)],
    "iji->j": [(2, 3, 2)],
}


@pytest.mark.parametrize("equation", sorted(EINSUM))
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_einsum_matches_torch(equation, dtype):
    sizes = EINSUM[equation]
    rng = rng_for(14)
    arrays = [random_array(rng, s, dtype) for s in sizes]
    second = len(sizes) > 1
    run_both(lambda lib, *xs: lib.einsum(equation, *xs), arrays, second_order=second)
    run_both(lambda lib, *xs: lib.einsum(equation, list(xs)), arrays)


@pytest.mark.parametrize("equation", sorted(EINSUM))
def test_einsum_gradcheck(equation):
    rng = rng_for(15)
    arrays = [rng.standard_normal(s) for s in EINSUM[equation]]
    check_gradcheck(
        lambda lib, *xs: lib.einsum(equation, *xs), arrays, second_order=len(arrays) > 1
    )


def test_mm_shape_error_names_both_shapes_like_torch():
    with pytest.raises(
        RuntimeError,
        match=r"mat1 and mat2 shapes cannot be multiplied "
        r"\(64x1000 and 100x10\)",
    ):
        ember.randn(64, 1000).mm(ember.randn(100, 10))
    with pytest.raises(RuntimeError, match=r"cannot be multiplied \(2x3 and 2x3\)"):
        ember.ones(2, 3) @ ember.ones(2, 3)
    with pytest.raises(RuntimeError, match="mat1 and mat2 shapes cannot be multiplied"):
        ember.addmm(ember.ones(2, 2), ember.ones(2, 3), ember.ones(2, 2))


def test_product_errors_name_the_problem():
    with pytest.raises(RuntimeError, match="2D"):
        ember.mm(ember.ones(3), ember.ones(3, 2))
    with pytest.raises(RuntimeError, match="batch1|3D"):
        ember.bmm(ember.ones(2, 3), ember.ones(3, 2))
    with pytest.raises(RuntimeError, match="size mismatch"):
        ember.mv(ember.ones(2, 3), ember.ones(2))
    with pytest.raises(RuntimeError, match="inconsistent tensor size"):
        ember.dot(ember.ones(3), ember.ones(2))
    with pytest.raises(RuntimeError, match="at least 1D"):
        ember.matmul(ember.tensor(1.0), ember.ones(2))
    with pytest.raises(RuntimeError, match=r"\[2, 2, 3\].*\[3, 3, 2\]"):
        ember.ones(2, 2, 3) @ ember.ones(3, 3, 2)
    with pytest.raises(RuntimeError, match="same dtype"):
        ember.mm(ember.ones(2, 2), ember.ones(2, 2, dtype=ember.float64))
    with pytest.raises(RuntimeError, match="t\\(\\) expects a tensor with <= 2 dimensions"):
        ember.ones(2, 2, 2).t()
    with pytest.raises(RuntimeError, match="permute"):
        ember.ones(2, 3).permute(0)


def test_grad_fn_names_match_torch():
    a = ember.randn(2, 3, requires_grad=True)
    b = ember.randn(3, 2, requires_grad=True)
    assert a.mm(b).grad_fn.name() == "MmBackward0"
    assert (a @ b).grad_fn.name() == "MmBackward0"
    assert a.t().grad_fn.name() == "TBackward0"
    assert a.transpose(0, 1).grad_fn.name() == "TransposeBackward0"
    assert a.permute(1, 0).grad_fn.name() == "PermuteBackward0"
    assert ember.addmm(ember.ones(2, 2), a, b).grad_fn.name() == "AddmmBackward0"

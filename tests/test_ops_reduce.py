"""Reductions against PyTorch and finite differences: sum/mean/prod/var/std with dim, keepdim and
correction; max/min (whole, and by dim as (values, indices)); amax/amin; argmax/argmin; logsumexp;
norm; cumsum; softmax and log_softmax."""

import numpy as np
import pytest
from conftest import check_gradcheck, float_dtypes, random_array, rng_for, run_both, seeds, shapes
from hypothesis import given, settings
from hypothesis import strategies as st

import ember

FAST = settings(max_examples=8, deadline=None)


@st.composite
def shape_and_dim(draw, min_side=1):
    shape = draw(shapes(min_dims=1, max_dims=3, min_side=min_side))
    dim = draw(st.integers(-len(shape), len(shape) - 1))
    return shape, dim, draw(st.booleans())


@st.composite
def shape_and_dims(draw, min_side=1):
    """A shape and a list of distinct dims (some negative) to reduce over."""
    shape = draw(shapes(min_dims=1, max_dims=3, min_side=min_side))
    n = len(shape)
    picked = draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=n, unique=True))
    dims = [d - n if draw(st.booleans()) else d for d in picked]
    return shape, dims, draw(st.booleans())


# name: (fn(lib, a, dim, keepdim), domain, second order non-trivial, min side)
BY_DIM = {
    "sum": (lambda lib, a, d, k: lib.sum(a, d, keepdim=k), "real", False, 1),
    "sum_method": (lambda lib, a, d, k: a.sum(dim=d, keepdim=k), "real", False, 1),
    "mean": (lambda lib, a, d, k: lib.mean(a, d, k), "real", False, 1),
    "mean_method": (lambda lib, a, d, k: a.mean(d, keepdim=k), "real", False, 1),
    "prod": (lambda lib, a, d, k: lib.prod(a, d, keepdim=k), "nonzero", True, 1),
    "prod_method": (lambda lib, a, d, k: a.prod(d, k), "nonzero", True, 1),
    "var": (lambda lib, a, d, k: lib.var(a, d, keepdim=k), "real", True, 2),
    "var_unbiased_false": (
        lambda lib, a, d, k: a.var(d, unbiased=False, keepdim=k),
        "real",
        True,
        1,
    ),
    "var_correction_0": (lambda lib, a, d, k: a.var(d, correction=0, keepdim=k), "real", True, 1),
    "var_correction_2": (
        lambda lib, a, d, k: lib.var(a, d, correction=2, keepdim=k),
        "real",
        True,
        3,
    ),
    # std of two close float32 values has a second derivative made of rounding noise: n >= 3
    "std": (lambda lib, a, d, k: lib.std(a, d, keepdim=k), "real", True, 3),
    "std_unbiased_false": (
        lambda lib, a, d, k: a.std(d, unbiased=False, keepdim=k),
        "real",
        True,
        3,
    ),
    "std_correction_0": (
        lambda lib, a, d, k: a.std(dim=d, correction=0, keepdim=k),
        "real",
        True,
        3,
    ),
    "max_dim": (lambda lib, a, d, k: lib.max(a, d, keepdim=k), "real", False, 1),
    "max_dim_method": (lambda lib, a, d, k: a.max(d, k), "real", False, 1),
    "min_dim": (lambda lib, a, d, k: lib.min(a, dim=d, keepdim=k), "real", False, 1),
    "min_dim_method": (lambda lib, a, d, k: a.min(d, keepdim=k), "real", False, 1),
    "amax": (lambda lib, a, d, k: lib.amax(a, d, k), "real", False, 1),
    "amax_method": (lambda lib, a, d, k: a.amax(d, keepdim=k), "real", False, 1),
    "amin": (lambda lib, a, d, k: lib.amin(a, d, k), "real", False, 1),
    "amin_method": (lambda lib, a, d, k: a.amin(dim=d, keepdim=k), "real", False, 1),
    "argmax": (lambda lib, a, d, k: lib.argmax(a, d, keepdim=k), "real", False, 1),
    "argmax_method": (lambda lib, a, d, k: a.argmax(d, k), "real", False, 1),
    "argmin": (lambda lib, a, d, k: lib.argmin(a, dim=d, keepdim=k), "real", False, 1),
    "argmin_method": (lambda lib, a, d, k: a.argmin(d), "real", False, 1),
    "logsumexp": (lambda lib, a, d, k: lib.logsumexp(a, d, keepdim=k), "real", True, 1),
    "logsumexp_method": (lambda lib, a, d, k: a.logsumexp(d, k), "real", True, 1),
    "norm": (lambda lib, a, d, k: lib.norm(a, dim=d, keepdim=k), "nonzero", True, 1),
    "norm_method_p2": (lambda lib, a, d, k: a.norm(2, d, k), "nonzero", True, 1),
    "norm_p1": (lambda lib, a, d, k: a.norm(p=1, dim=d, keepdim=k), "nonzero", False, 1),
    "norm_p3": (lambda lib, a, d, k: lib.norm(a, p=3, dim=d, keepdim=k), "nonzero", True, 1),
    "norm_inf": (
        lambda lib, a, d, k: a.norm(p=float("inf"), dim=d, keepdim=k),
        "nonzero",
        False,
        1,
    ),
    "cumsum": (lambda lib, a, d, k: lib.cumsum(a, d), "real", False, 1),
    "cumsum_method": (lambda lib, a, d, k: a.cumsum(dim=d), "real", False, 1),
    "softmax": (lambda lib, a, d, k: lib.softmax(a, d), "real", True, 1),
    "softmax_method": (lambda lib, a, d, k: a.softmax(dim=d), "real", True, 1),
    "log_softmax": (lambda lib, a, d, k: lib.log_softmax(a, d), "real", True, 1),
    "log_softmax_method": (lambda lib, a, d, k: a.log_softmax(d), "real", True, 1),
}


@pytest.mark.parametrize("name", sorted(BY_DIM))
@FAST
@given(case=shape_and_dim(min_side=1), dtype=float_dtypes, seed=seeds)
def test_reduction_along_a_dim_matches_torch(name, case, dtype, seed):
    fn, domain, second, min_side = BY_DIM[name]
    shape, dim, keepdim = case
    shape = tuple(max(n, min_side) for n in shape)
    a = random_array(rng_for(seed), shape, dtype, domain)
    run_both(lambda lib, x: fn(lib, x, dim, keepdim), [a], second_order=second, seed=seed)


@pytest.mark.parametrize("name", sorted(BY_DIM))
@pytest.mark.parametrize("dim, keepdim", [(0, False), (-1, True)])
def test_reduction_along_a_dim_gradcheck(name, dim, keepdim):
    fn, domain, second, _ = BY_DIM[name]
    a = random_array(rng_for(7), (3, 4), np.float64, domain)
    check_gradcheck(lambda lib, x: fn(lib, x, dim, keepdim), [a], second_order=second)


# name: (fn(lib, a, dims, keepdim), domain, second order non-trivial)
OVER_DIMS = {
    "sum": (lambda lib, a, d, k: a.sum(d, keepdim=k), "real", False),
    "sum_tuple": (lambda lib, a, d, k: lib.sum(a, tuple(d), k), "real", False),
    "mean": (lambda lib, a, d, k: lib.mean(a, d, keepdim=k), "real", False),
    "var": (lambda lib, a, d, k: a.var(d, keepdim=k), "real", True),
    "std_correction_0": (lambda lib, a, d, k: lib.std(a, d, correction=0, keepdim=k), "real", True),
    "amax": (lambda lib, a, d, k: a.amax(d, k), "real", False),
    "amin": (lambda lib, a, d, k: lib.amin(a, tuple(d), keepdim=k), "real", False),
    "logsumexp": (lambda lib, a, d, k: lib.logsumexp(a, d, k), "real", True),
    "norm": (lambda lib, a, d, k: a.norm(dim=d[:2], keepdim=k), "nonzero", True),  # torch: <= 2
}


@pytest.mark.parametrize("name", sorted(OVER_DIMS))
@FAST
@given(case=shape_and_dims(min_side=2), dtype=float_dtypes, seed=seeds)
def test_reduction_over_several_dims_matches_torch(name, case, dtype, seed):
    fn, domain, second = OVER_DIMS[name]
    shape, dims, keepdim = case
    a = random_array(rng_for(seed), shape, dtype, domain)
    run_both(lambda lib, x: fn(lib, x, dims, keepdim), [a], second_order=second, seed=seed)


@pytest.mark.parametrize("name", sorted(OVER_DIMS))
def test_reduction_over_several_dims_gradcheck(name):
    fn, domain, second = OVER_DIMS[name]
    a = random_array(rng_for(8), (2, 3, 2), np.float64, domain)
    check_gradcheck(lambda lib, x: fn(lib, x, [0, -1], False), [a], second_order=second)


# name: (fn(lib, a), domain, second order non-trivial)
WHOLE = {
    "sum": (lambda lib, a: lib.sum(a), "real", False),
    "sum_method": (lambda lib, a: a.sum(), "real", False),
    "mean": (lambda lib, a: lib.mean(a), "real", False),
    "mean_method": (lambda lib, a: a.mean(), "real", False),
    "prod": (lambda lib, a: lib.prod(a), "nonzero", True),
    "prod_method": (lambda lib, a: a.prod(), "nonzero", True),
    "var": (lambda lib, a: lib.var(a), "real", True),
    "var_method_unbiased_false": (lambda lib, a: a.var(unbiased=False), "real", True),
    "var_positional_unbiased": (lambda lib, a: a.var(False), "real", True),
    "std": (lambda lib, a: lib.std(a), "real", True),
    "std_correction_0": (lambda lib, a: a.std(correction=0), "real", True),
    "max": (lambda lib, a: lib.max(a), "real", False),
    "max_method": (lambda lib, a: a.max(), "real", False),
    "min": (lambda lib, a: lib.min(a), "real", False),
    "min_method": (lambda lib, a: a.min(), "real", False),
    "amax": (lambda lib, a: lib.amax(a), "real", False),
    "amin_method": (lambda lib, a: a.amin(), "real", False),
    "argmax": (lambda lib, a: lib.argmax(a), "real", False),
    "argmin_method": (lambda lib, a: a.argmin(), "real", False),
    "norm": (lambda lib, a: lib.norm(a), "nonzero", True),
    "norm_method": (lambda lib, a: a.norm(), "nonzero", True),
    "norm_fro": (lambda lib, a: a.norm(p="fro"), "nonzero", True),
    "norm_p1": (lambda lib, a: a.norm(1), "nonzero", False),
    "norm_p1.5": (lambda lib, a: a.norm(1.5), "nonzero", True),
    "norm_inf": (lambda lib, a: a.norm(float("inf")), "nonzero", False),
}


@pytest.mark.parametrize("name", sorted(WHOLE))
@FAST
@given(shape=shapes(min_dims=0, max_dims=3, min_side=2), dtype=float_dtypes, seed=seeds)
def test_whole_tensor_reduction_matches_torch(name, shape, dtype, seed):
    fn, domain, second = WHOLE[name]
    a = random_array(rng_for(seed), shape, dtype, domain)
    if name.startswith(("var", "std")) and a.size < 2:
        a = random_array(rng_for(seed), (3,), dtype, domain)
    run_both(fn, [a], second_order=second, seed=seed)


@pytest.mark.parametrize("name", sorted(WHOLE))
def test_whole_tensor_reduction_gradcheck(name):
    fn, domain, second = WHOLE[name]
    check_gradcheck(fn, [random_array(rng_for(9), (2, 3), np.float64, domain)], second_order=second)


def test_max_by_dim_returns_a_named_tuple_of_values_and_indices():
    x = ember.tensor([[1.0, 5.0, 2.0], [7.0, 0.0, 3.0]])
    result = x.max(dim=1)
    values, indices = result
    assert result.values is values and result.indices is indices
    assert values.tolist() == [5.0, 7.0] and indices.tolist() == [1, 0]
    assert indices.dtype == ember.int64
    low = ember.min(x, 0, keepdim=True)
    assert low.values.tolist() == [[1.0, 0.0, 2.0]] and low.indices.tolist() == [[0, 1, 0]]


def test_ties_split_gradient_like_torch():
    """amax/amin and whole-tensor max/min share the gradient among ties; max(dim) gives it to
    one element. All as PyTorch does."""
    a = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]])
    for fn in (
        lambda lib, x: x.amax(1),
        lambda lib, x: x.amin(),
        lambda lib, x: x.max(),
        lambda lib, x: x.min(),
        lambda lib, x: x.amax((0, 1)),
        lambda lib, x: x.norm(float("inf")),
    ):
        run_both(fn, [a])
    e = ember.tensor(a, requires_grad=True)
    e.max(1).values.sum().backward()
    assert e.grad.sum().item() == 2.0  # one winner per row


def test_prod_with_zeros_matches_torch():
    for a in ([2.0, 0.0, 3.0], [0.0, 0.0, 3.0], [[1.0, 0.0], [2.0, 5.0]]):
        a = np.array(a)
        run_both(lambda lib, x: x.prod(), [a])
        run_both(lambda lib, x: x.prod(0), [a])
        run_both(lambda lib, x: x.prod(-1, keepdim=True), [a])
    check_gradcheck(lambda lib, x: x.prod(), [np.array([2.0, 0.0, 3.0])])
    check_gradcheck(lambda lib, x: x.prod(0), [np.array([[1.0, 0.0], [2.0, 5.0]])])


def test_logsumexp_is_stable_and_norm_gradient_at_zero():
    run_both(lambda lib, x: x.logsumexp(0), [np.array([1000.0, 1000.0, -1000.0])])
    run_both(
        lambda lib, x: x.logsumexp(1), [np.array([[-np.inf, -np.inf], [0.0, 1.0]])], grad=False
    )
    run_both(lambda lib, x: x.softmax(0), [np.array([1000.0, 0.0, -1000.0])])
    run_both(lambda lib, x: x.log_softmax(0), [np.array([1000.0, 0.0, -1000.0])])
    run_both(lambda lib, x: x.norm(), [np.zeros(3)])
    run_both(lambda lib, x: x.norm(dim=1), [np.array([[0.0, 0.0], [3.0, 4.0]])])


INTEGER = {
    "sum": lambda lib, a: a.sum(),
    "sum_dim": lambda lib, a: a.sum(0),
    "sum_dtype": lambda lib, a: a.sum(dtype=lib.float64),
    "prod": lambda lib, a: a.prod(),
    "max": lambda lib, a: a.max(),
    "max_dim": lambda lib, a: a.max(1),
    "amin": lambda lib, a: a.amin(0),
    "argmax": lambda lib, a: a.argmax(1),
    "cumsum": lambda lib, a: a.cumsum(1),
    "mean_dtype": lambda lib, a: a.mean(dtype=lib.float32),
}


@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.bool_])
@pytest.mark.parametrize("name", sorted(INTEGER))
def test_integer_and_bool_reductions_match_torch_dtypes(name, dtype):
    if dtype is np.bool_ and name in ("max_dim", "argmax", "amin", "max"):
        return  # torch does not reduce bool tensors with these either
    a = rng_for(10).integers(0, 4, (3, 4)).astype(dtype)
    run_both(INTEGER[name], [a], grad=False)


def test_mean_of_an_integer_tensor_is_an_error_like_torch():
    with pytest.raises(RuntimeError, match="mean.*floating point"):
        ember.arange(4).mean()


def test_var_mean_and_std_mean():
    a = random_array(rng_for(11), (3, 4))
    run_both(lambda lib, x: lib.var_mean(x, 1), [a])
    run_both(lambda lib, x: lib.std_mean(x, 0, keepdim=True), [a])


def test_dim_out_of_range_is_an_index_error():
    with pytest.raises(IndexError, match="Dimension out of range"):
        ember.ones(2, 3).sum(2)
    with pytest.raises(IndexError, match="Dimension out of range"):
        ember.ones(2, 3).softmax(-3)

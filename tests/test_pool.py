"""Pooling against PyTorch and finite differences: max_pool1d/2d (kernel, stride, padding,
dilation, ceil_mode, return_indices, ties, NaN and -inf), avg_pool1d/2d (count_include_pad,
ceil_mode, divisor_override), adaptive_avg_pool1d/2d; second order; errors."""

import numpy as np
import pytest
import torch
from conftest import check_gradcheck, random_array, rng_for, run_both, seeds
from hypothesis import given, settings
from hypothesis import strategies as st
from torch_parity import compare_modules

import ember
import ember.nn.functional  # noqa: F401


def F(lib):
    return lib.nn.functional


def _array(seed, shape, dtype=np.float64):
    return random_array(rng_for(seed), shape, dtype)


MAX_POOL2D = [
    {"kernel_size": 2},
    {"kernel_size": 3, "stride": 2, "padding": 1},
    {
        "kernel_size": (3, 2),
        "stride": (2, 3),
        "padding": (1, 1),
        "dilation": (2, 1),
        "ceil_mode": True,
    },
    {"kernel_size": 2, "ceil_mode": True},
    {"kernel_size": (1, 3), "stride": 1},
]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("kwargs", MAX_POOL2D)
def test_max_pool2d_matches_torch(kwargs, dtype):
    x = _array(0, (2, 3, 9, 8), dtype)
    run_both(lambda lib, x: F(lib).max_pool2d(x, **kwargs), [x])
    run_both(lambda lib, x: F(lib).max_pool2d(x, return_indices=True, **kwargs), [x])


def test_max_pool1d_and_unbatched_match_torch():
    x = _array(1, (2, 3, 11))
    run_both(lambda lib, x: F(lib).max_pool1d(x, 3, 2, 1, ceil_mode=True), [x])
    run_both(lambda lib, x: F(lib).max_pool1d(x, 2, return_indices=True), [x])
    run_both(lambda lib, x: F(lib).max_pool2d(x, 2, 1), [x])  # (C, H, W)


def test_max_pool_ties_nan_and_padding_pick_pytorchs_indices():
    x = np.array([[[[1, np.nan, 3, 4], [-np.inf, -np.inf, 2, 2], [5, 5, 5, 5], [0, 0, 0, 7]]]])
    for kwargs in ({"kernel_size": 2}, {"kernel_size": 3, "stride": 1, "padding": 1}):
        run_both(
            lambda lib, x, kw=kwargs: F(lib).max_pool2d(x, return_indices=True, **kw)[1],
            [x],
            grad=False,
        )
    everywhere = np.full((1, 1, 3, 3), -np.inf)
    run_both(
        lambda lib, x: F(lib).max_pool2d(x, 3, 1, 1, return_indices=True)[1],
        [everywhere],
        grad=False,
    )


@settings(max_examples=12, deadline=None)
@given(
    seed=seeds,
    size=st.tuples(st.integers(2, 9), st.integers(2, 9)),
    kernel=st.tuples(st.integers(1, 3), st.integers(1, 3)),
    stride=st.tuples(st.integers(1, 3), st.integers(1, 3)),
    ceil=st.booleans(),
    pad=st.integers(0, 1),
)
def test_pools_random_geometry_match_torch(seed, size, kernel, stride, ceil, pad):
    if any(pad > k // 2 for k in kernel) or any(k > s + 2 * pad for k, s in zip(kernel, size)):
        return
    x = _array(seed, (2, 2) + size)
    run_both(lambda lib, x: F(lib).max_pool2d(x, kernel, stride, pad, ceil_mode=ceil), [x])
    run_both(
        lambda lib, x: F(lib).avg_pool2d(
            x, kernel, stride, pad, ceil_mode=ceil, count_include_pad=seed % 2 == 0
        ),
        [x],
    )


AVG_POOL2D = [
    {"kernel_size": 2},
    {"kernel_size": 3, "stride": 2, "padding": 1},
    {"kernel_size": 3, "stride": 2, "padding": 1, "count_include_pad": False},
    {"kernel_size": (3, 2), "stride": (2, 3), "padding": (1, 1), "ceil_mode": True},
    {
        "kernel_size": (3, 2),
        "stride": (2, 3),
        "padding": (1, 1),
        "ceil_mode": True,
        "count_include_pad": False,
    },
    {"kernel_size": 2, "ceil_mode": True, "divisor_override": 3},
]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("kwargs", AVG_POOL2D)
def test_avg_pool2d_matches_torch(kwargs, dtype):
    x = _array(2, (2, 3, 9, 8), dtype)
    run_both(lambda lib, x: F(lib).avg_pool2d(x, **kwargs), [x])


def test_avg_pool1d_matches_torch():
    x = _array(3, (2, 3, 11))
    run_both(
        lambda lib, x: F(lib).avg_pool1d(x, 3, 2, 1, ceil_mode=True, count_include_pad=False), [x]
    )
    run_both(lambda lib, x: F(lib).avg_pool1d(x, 4), [x])


@pytest.mark.parametrize("size", [(3, 4), (4, None), 1, (7, 5), (9, 8)])
def test_adaptive_avg_pool2d_matches_torch(size):
    x = _array(4, (2, 3, 9, 8))
    run_both(lambda lib, x: F(lib).adaptive_avg_pool2d(x, size), [x])


def test_adaptive_avg_pool1d_matches_torch():
    x = _array(5, (2, 3, 11))
    run_both(lambda lib, x: F(lib).adaptive_avg_pool1d(x, 4), [x])
    run_both(lambda lib, x: F(lib).adaptive_avg_pool1d(x, 1), [x[0]])


def test_pool_gradchecks_first_and_second_order():
    x = _array(6, (1, 2, 5, 6))
    check_gradcheck(lambda lib, x: F(lib).max_pool2d(x, 3, 2, 1), [x], second_order=True)
    check_gradcheck(
        lambda lib, x: F(lib).avg_pool2d(x, 3, 2, 1, ceil_mode=True, count_include_pad=False),
        [x],
        second_order=True,
    )
    check_gradcheck(lambda lib, x: F(lib).adaptive_avg_pool2d(x, (3, 4)), [x], second_order=True)


def test_pool_grad_fn_names():
    x = ember.randn(1, 1, 4, 4, requires_grad=True)
    assert F(ember).max_pool2d(x, 2).grad_fn.name() == "MaxPool2DWithIndicesBackward0"
    assert F(ember).avg_pool2d(x, 2).grad_fn.name() == "AvgPool2DBackward0"
    assert F(ember).adaptive_avg_pool2d(x, 2).grad_fn.name() == "AdaptiveAvgPool2DBackward0"


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda F, x: F.max_pool2d(x, 2, padding=2), "pad should be at most half"),
        (lambda F, x: F.max_pool2d(x, 5), "output size is too small"),
        (lambda F, x: F.max_pool2d(x[0, 0], 2), "input of size: [4, 4]"),
        (lambda F, x: F.max_pool2d(x, 0), "kernel_size must be greater than zero"),
        (lambda F, x: F.avg_pool2d(x, 2, divisor_override=0), "divisor must be not zero"),
        (lambda F, x: F.adaptive_avg_pool2d(x, (2, 2, 2)), "output_size must be an int or a tuple"),
        (lambda F, x: F.max_pool2d(x.long(), 2), "expected a floating point input"),
    ],
)
def test_pool_errors_name_the_problem(call, message):
    x = ember.zeros(1, 2, 4, 4)
    with pytest.raises((RuntimeError, ValueError)) as info:
        call(F(ember), x)
    assert message in str(info.value)


# ----- modules -----------------------------------------------------------------------------------

POOL_MODULES = [
    ("MaxPool2d", (3, 2, 1), {}, (2, 3, 7, 6)),
    ("MaxPool2d", (2,), {"ceil_mode": True, "dilation": 1}, (2, 3, 7, 6)),
    ("MaxPool1d", (2,), {}, (2, 3, 8)),
    ("AvgPool2d", (3, 2, 1), {"ceil_mode": True, "count_include_pad": False}, (2, 3, 7, 6)),
    ("AvgPool1d", (3,), {"stride": 2}, (2, 3, 9)),
    ("AdaptiveAvgPool2d", ((3, 2),), {}, (2, 3, 7, 6)),
    ("AdaptiveAvgPool1d", (4,), {}, (2, 3, 9)),
]


@pytest.mark.parametrize("name, args, kwargs, shape", POOL_MODULES)
def test_pool_modules_match_torch_and_pass_the_harness(name, args, kwargs, shape):
    x = _array(30, shape)
    mine = getattr(ember.nn, name)(*args, **kwargs)
    compare_modules(mine, getattr(torch.nn, name)(*args, **kwargs), [x])
    ember.testing.check_module(mine, ember.from_numpy(x))


def test_max_pool_module_returns_indices_and_torch7_names():
    x = _array(31, (2, 3, 6, 6))
    values, indices = ember.nn.MaxPool2d(2, return_indices=True)(ember.from_numpy(x))
    expected = torch.nn.MaxPool2d(2, return_indices=True)(torch.from_numpy(x))[1]
    np.testing.assert_array_equal(indices.numpy(), expected.numpy())
    pooling = ember.nn.SpatialMaxPooling(3, 2, 1, 2)  # kW=3, kH=2, dW=1, dH=2
    assert pooling.kernel_size == (2, 3) and pooling.stride == (2, 1)
    assert pooling.ceil().ceil_mode
    ember.testing.check_module(pooling, ember.from_numpy(x))
    average = ember.nn.SpatialAveragePooling(2, 2, 2, 2)
    np.testing.assert_allclose(
        average(ember.from_numpy(x)).numpy(), torch.nn.AvgPool2d(2)(torch.from_numpy(x)).numpy()
    )

"""ember's functions compared with PyTorch: creation (dtype inference, steps, bad sizes),
comparison and logic (isclose dtypes, isposinf/isneginf, nan_to_num, fmax/fmin, uint8 in
any/all/where), and order statistics (argmax keepdim, stable sort, 0-d sort/topk, kthvalue,
median, nanmedian, mode, cummax/cummin, logcumsumexp, searchsorted, bucketize, histc, bincount,
count_nonzero). Each case runs in both libraries from the same NumPy arrays: values, dtypes,
grad_fn names, gradients and errors; every new differentiable op also passes gradcheck."""

import numpy as np
import pytest
import torch
from conftest import check_gradcheck, random_array, rng_for, run_both

import ember

LIBS = (ember, torch)
A35 = random_array(rng_for(1), (3, 5))
TIES = np.array([[1.0, 3.0, 3.0, 0.0, 2.0], [2.0, 2.0, 5.0, 5.0, 1.0], [5.0, -1.0, 5.0, -1.0, 0.0]])
WITH_NAN = np.array([[1.0, np.nan, 3.0, 2.0], [2.0, 1.0, 0.0, 4.0]])
SPECIAL = np.array([1.0, np.nan, -np.inf, np.inf, 0.0, -2.0])
RUNS = np.array([1.0, 3.0, 3.0, 2.0, np.nan, 5.0, np.nan])

# name: (fn(lib, *tensors), arrays); float arrays require grad. Each case also checks the grad_fn
# names and, in float64, gradcheck.
CASES = {
    "median": (lambda lib, x: lib.median(x), [A35]),
    "median with ties": (lambda lib, x: x.median(), [TIES]),
    "median with NaN": (lambda lib, x: lib.median(x), [WITH_NAN]),
    "nanmedian with NaN": (lambda lib, x: x.nanmedian(), [WITH_NAN]),
    "median dim": (lambda lib, x: lib.median(x, 1), [A35]),
    "median dim 0 keepdim": (lambda lib, x: x.median(0, keepdim=True), [A35]),
    "median dim with ties": (lambda lib, x: lib.median(x, -1), [TIES]),
    "median dim with NaN": (lambda lib, x: lib.median(x, 1), [WITH_NAN]),
    "nanmedian dim with NaN": (lambda lib, x: lib.nanmedian(x, 1, True), [WITH_NAN]),
    "median of 0-d": (lambda lib, x: lib.median(x, 0), [np.array(2.5)]),
    "kthvalue": (lambda lib, x: lib.kthvalue(x, 2, 1), [A35]),
    "kthvalue dim 0 keepdim": (lambda lib, x: x.kthvalue(3, 0, True), [A35]),
    "kthvalue of 0-d": (lambda lib, x: lib.kthvalue(x, 1), [np.array(2.5)]),
    "mode": (lambda lib, x: lib.mode(x, 1), [TIES]),
    "mode dim 0 keepdim": (lambda lib, x: x.mode(0, keepdim=True), [TIES]),
    "cummax": (lambda lib, x: lib.cummax(x, 1), [TIES]),
    "cummin dim 0": (lambda lib, x: x.cummin(0), [TIES]),
    "cummax with NaN": (lambda lib, x: lib.cummax(x, 0), [RUNS]),
    "cummin with NaN": (lambda lib, x: lib.cummin(x, -1), [RUNS]),
    "cummax of 0-d": (lambda lib, x: lib.cummax(x, 0), [np.array(2.5)]),
    "logcumsumexp": (lambda lib, x: lib.logcumsumexp(x, 1), [A35]),
    "logcumsumexp far apart": (
        lambda lib, x: x.logcumsumexp(0),
        [np.array([1000.0, -1000.0, 1001.0, 0.0])],
    ),
    "nan_to_num": (lambda lib, x: lib.nan_to_num(x), [SPECIAL]),
    "nan_to_num values": (lambda lib, x: x.nan_to_num(1.0, 2.0, -3.0), [SPECIAL]),
    "fmax": (lambda lib, a, b: lib.fmax(a, b), [SPECIAL, SPECIAL[::-1].copy()]),
    "fmin broadcast": (lambda lib, a, b: a.fmin(b), [A35, random_array(rng_for(2), (5,))]),
    "fmax ties": (lambda lib, a, b: lib.fmax(a, b), [TIES, TIES[::-1].copy()]),
    "fmin ties": (lambda lib, a, b: lib.fmin(a, b), [TIES, TIES[::-1].copy()]),
    "sort stable": (lambda lib, x: lib.sort(x, stable=True, descending=True), [TIES]),
    "sort of 0-d": (lambda lib, x: lib.sort(x), [np.array(2.5)]),
    "topk of 0-d": (lambda lib, x: lib.topk(x, 1), [np.array(2.5)]),
}
# NaN values or gradients that finite differences cannot follow
NO_GRADCHECK = {
    "median with NaN",
    "median dim with NaN",
    "cummax with NaN",
    "cummin with NaN",
    "fmax",
    "nan_to_num",
    "nan_to_num values",
    "logcumsumexp far apart",
    "median with ties",  # the subgradient at a tie is PyTorch's choice, not a derivative
    "median dim with ties",
    "mode",
    "mode dim 0 keepdim",
    "cummax",
    "cummin dim 0",
    "fmax ties",
    "fmin ties",
    "sort stable",
}


@pytest.mark.parametrize("name", list(CASES))
def test_matches_torch(name):
    fn, arrays = CASES[name]
    run_both(fn, arrays)
    run_both(fn, [a.astype(np.float32) for a in arrays], seed=1)


@pytest.mark.parametrize("name", list(CASES))
def test_grad_fn_name_matches_torch(name):
    fn, arrays = CASES[name]
    names = []
    for lib in LIBS:
        out = fn(lib, *[lib.tensor(a, requires_grad=True) for a in arrays])
        outs = out if isinstance(out, tuple) else (out,)
        names.append([type(o.grad_fn).__name__ for o in outs])
    assert names[0] == names[1]


@pytest.mark.parametrize("name", sorted(set(CASES) - NO_GRADCHECK))
def test_gradcheck(name):
    fn, arrays = CASES[name]
    check_gradcheck(fn, arrays)


def test_logcumsumexp_second_order_matches_torch():
    run_both(lambda lib, x: x.logcumsumexp(1), [A35], second_order=True)


# ----- values without gradients ----------------------------------------------------------------

SEQUENCE = np.array([1.0, 3.0, 5.0, 7.0, 9.0])
ROWS = np.array([[1.0, 3.0, 5.0], [2.0, 4.0, 6.0]])
VALUES = np.array([[3.0, 6.0], [9.0, 10.0]])
LONG = np.array([1, 1, 3, 0])
VALUE_CASES = {
    "isposinf": lambda lib: lib.isposinf(lib.tensor(SPECIAL)),
    "isneginf method": lambda lib: lib.tensor(SPECIAL).isneginf(),
    "isposinf of integers": lambda lib: lib.isposinf(lib.tensor(LONG)),
    "nan_to_num float16": lambda lib: lib.nan_to_num(lib.tensor(SPECIAL, dtype=lib.float16)),
    "nan_to_num of integers": lambda lib: lib.nan_to_num(lib.tensor(LONG)),
    "fmax int and float": lambda lib: lib.fmax(lib.tensor(LONG), lib.tensor([0.5, 1.5, 2.5, 0])),
    "fmin of bools": lambda lib: lib.fmin(lib.tensor([True, False]), lib.tensor([True, True])),
    "any of uint8": lambda lib: lib.any(lib.tensor([[1, 0]], dtype=lib.uint8), 1),
    "all of uint8": lambda lib: lib.tensor([1, 2], dtype=lib.uint8).all(),
    "where with a uint8 condition": lambda lib: lib.where(
        lib.tensor([1, 0], dtype=lib.uint8), 1.0, 0.0
    ),
    "argmax keepdim without dim": lambda lib: lib.argmax(lib.tensor(A35), keepdim=True),
    "argmin keepdim without dim": lambda lib: lib.tensor(A35).argmin(None, True),
    "median of integers": lambda lib: lib.median(lib.tensor([[3, 1, 2, 2]]), 1),
    "median of nothing": lambda lib: lib.median(lib.zeros(0)),
    "count_nonzero": lambda lib: lib.count_nonzero(lib.tensor(TIES)),
    "count_nonzero dim": lambda lib: lib.tensor(TIES).count_nonzero(-1),
    "count_nonzero dims": lambda lib: lib.count_nonzero(lib.tensor(TIES) > 1, (0, 1)),
    "searchsorted": lambda lib: lib.searchsorted(lib.tensor(SEQUENCE), lib.tensor(VALUES)),
    "searchsorted right": lambda lib: lib.searchsorted(
        lib.tensor(SEQUENCE), lib.tensor(VALUES), right=True
    ),
    "searchsorted side": lambda lib: lib.searchsorted(
        lib.tensor(SEQUENCE), lib.tensor([3.0, 4.0]), side="right"
    ),
    "searchsorted rows": lambda lib: lib.searchsorted(lib.tensor(ROWS), lib.tensor(VALUES)),
    "searchsorted a number": lambda lib: lib.searchsorted(lib.tensor(SEQUENCE), 5.0),
    "searchsorted sorter": lambda lib: lib.searchsorted(
        lib.tensor([5.0, 1.0, 3.0]), lib.tensor([2.0, 4.0]), sorter=lib.tensor([1, 2, 0])
    ),
    "bucketize": lambda lib: lib.bucketize(lib.tensor(VALUES), lib.tensor(SEQUENCE)),
    "bucketize right int32": lambda lib: lib.bucketize(
        lib.tensor(VALUES), lib.tensor(SEQUENCE), out_int32=True, right=True
    ),
    "histc": lambda lib: lib.histc(lib.tensor([1.0, 2.0, 1.0, 2.5, 5.0, -3.0]), 4),
    "histc range": lambda lib: lib.tensor([1.0, 2.0, 1.0, 2.5, 5.0, -3.0]).histc(4, 0, 3),
    "histc one value": lambda lib: lib.histc(lib.tensor([1.0, 1.0]), 4),
    "histc of nothing": lambda lib: lib.histc(lib.zeros(0, dtype=lib.float64), 3),
    "bincount": lambda lib: lib.bincount(lib.tensor(LONG)),
    "bincount minlength": lambda lib: lib.tensor(LONG).bincount(minlength=6),
    "bincount float32 weights": lambda lib: lib.bincount(
        lib.tensor(LONG), lib.tensor([1.0, 2.0, 3.0, 4.0])
    ),
    "bincount integer weights": lambda lib: lib.bincount(lib.tensor(LONG), lib.tensor(LONG)),
    "bincount of nothing": lambda lib: lib.bincount(lib.tensor([], dtype=lib.int64)),
    "cummax of integers": lambda lib: lib.cummax(lib.tensor([[1, 3, 2, 3]]), 1),
}


@pytest.mark.filterwarnings("ignore:where received a uint8 condition")  # PyTorch's deprecation
@pytest.mark.parametrize("name", list(VALUE_CASES))
def test_values_match_torch(name):
    run_both(lambda lib: VALUE_CASES[name](lib), [], grad=False)


# ----- creation ------------------------------------------------------------------------------

CREATION = {
    "a list of numpy float64": lambda lib: lib.tensor([np.float64(1.5)]),
    "numpy float16 and a float": lambda lib: lib.tensor([np.float16(1), 2.0]),
    "numpy int32": lambda lib: lib.as_tensor([np.int32(1)]),
    "numpy int32 and an int": lambda lib: lib.tensor([[np.int32(1)], [2]]),
    "numpy int8 and float32": lambda lib: lib.tensor([np.int8(1), np.float32(2)]),
    "logspace requires_grad": lambda lib: lib.logspace(0, 1, 3, requires_grad=True),
    "linspace requires_grad": lambda lib: lib.linspace(0, 1, 3, requires_grad=True),
    "randint_like high": lambda lib: lib.randint_like(lib.zeros(2, 3), 1),
}


@pytest.mark.parametrize("name", list(CREATION))
def test_creation_matches_torch(name):
    run_both(lambda lib: CREATION[name](lib), [], grad=False)


# ----- errors --------------------------------------------------------------------------------

ERRORS = {
    "linspace with negative steps": lambda lib: lib.linspace(0, 1, -1),
    "logspace with negative steps": lambda lib: lib.logspace(0, 1, -2),
    "full with an int size": lambda lib: lib.full(3, 1.0),
    "eye with negative n": lambda lib: lib.eye(-1),
    "eye with negative m": lambda lib: lib.eye(2, -1),
    "rand of integers": lambda lib: lib.rand(2, dtype=lib.int64),
    "randn of integers": lambda lib: lib.randn(2, dtype=lib.int32),
    "randint with low >= high": lambda lib: lib.randint(5, 3, (3,)),
    "isclose of two dtypes": lambda lib: lib.isclose(
        lib.tensor([1.0]), lib.tensor([1], dtype=lib.float64)
    ),
    "allclose of int and float": lambda lib: lib.allclose(lib.tensor([1]), lib.tensor([1.0])),
    "fmax with a number": lambda lib: lib.fmax(lib.tensor([1.0]), 1.0),
    "kthvalue k too large": lambda lib: lib.kthvalue(lib.tensor(A35), 6),
    "kthvalue k of 0": lambda lib: lib.kthvalue(lib.tensor(A35), 0),
    "median along an empty dim": lambda lib: lib.median(lib.zeros(2, 0), 1),
    "logcumsumexp of integers": lambda lib: lib.logcumsumexp(lib.tensor([1, 2]), 0),
    "searchsorted shapes": lambda lib: lib.searchsorted(lib.tensor(ROWS), lib.tensor([3.0])),
    "bucketize 2-d boundaries": lambda lib: lib.bucketize(lib.tensor([1.0]), lib.tensor(ROWS)),
    "histc of integers": lambda lib: lib.histc(lib.tensor([1, 2]), 4),
    "histc min > max": lambda lib: lib.histc(lib.tensor([1.0, 2.0]), 4, 3, 1),
    "bincount negative": lambda lib: lib.bincount(lib.tensor([-1])),
    "bincount 2-d": lambda lib: lib.bincount(lib.tensor([[1]])),
    "bincount of floats": lambda lib: lib.bincount(lib.tensor([1.0])),
    "bincount of bools": lambda lib: lib.bincount(lib.tensor([True])),
}


@pytest.mark.parametrize("name", list(ERRORS))
def test_errors_match_torch(name):
    caught = []
    for lib in LIBS:
        with pytest.raises(Exception) as info:
            ERRORS[name](lib)
        caught.append(info)
    ember_error, torch_error = caught
    assert ember_error.type is torch_error.type
    assert str(ember_error.value) == str(torch_error.value)


def test_randint_refuses_requires_grad_as_torch():
    for lib in LIBS:
        with pytest.raises(RuntimeError, match="nly Tensors of floating point"):
            lib.randint(5, (3,), requires_grad=True)

"""Elementwise ops against PyTorch (values, dtypes, first and second-order gradients, broadcasting)
and against finite differences (float64 gradcheck), in function, method and operator forms."""

import numpy as np
import pytest
import torch
from conftest import (
    broadcastable_shapes,
    check_gradcheck,
    float_dtypes,
    random_array,
    rng_for,
    run_both,
    seeds,
    shapes,
)
from hypothesis import given, settings

import ember

FAST = settings(max_examples=8, deadline=None)

# name: (input domain, whether second-order gradients are non-trivial)
UNARY = {
    "neg": ("real", False),
    "abs": ("nonzero", False),
    "exp": ("real", True),
    "log": ("positive", True),
    "log1p": ("positive", True),
    "expm1": ("real", True),
    "sqrt": ("positive", True),
    "rsqrt": ("positive", True),
    "sin": ("real", True),
    "cos": ("real", True),
    "tanh": ("real", True),
    "sigmoid": ("real", True),
    "relu": ("nonzero", False),
    "square": ("real", True),
    "reciprocal": ("nonzero", True),
    "sign": ("nonzero", False),
}


def _unary(name, form):
    if form == "function":
        return lambda lib, a: getattr(lib, name)(a)
    return lambda lib, a: getattr(a, name)()


@pytest.mark.parametrize("form", ["function", "method"])
@pytest.mark.parametrize("name", sorted(UNARY))
@FAST
@given(shape=shapes(), dtype=float_dtypes, seed=seeds)
def test_unary_matches_torch(name, form, shape, dtype, seed):
    domain, second = UNARY[name]
    a = random_array(rng_for(seed), shape, dtype, domain)
    run_both(_unary(name, form), [a], second_order=second, seed=seed)


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_gradcheck(name):
    domain, second = UNARY[name]
    a = random_array(rng_for(1), (2, 3), np.float64, domain)
    check_gradcheck(_unary(name, "function"), [a], second_order=second)


def test_negation_operator_and_pos():
    a = random_array(rng_for(0), (3,))
    run_both(lambda lib, x: -x, [a])
    run_both(lambda lib, x: +x, [a])
    run_both(lambda lib, x: abs(x), [random_array(rng_for(0), (3,), domain="nonzero")])


# name: (function of (lib, a, b), domain of a, domain of b, second order non-trivial)
BINARY = {
    "add": (lambda lib, a, b: lib.add(a, b), "real", "real", False),
    "add_alpha": (lambda lib, a, b: lib.add(a, b, alpha=2.5), "real", "real", False),
    "add_method": (lambda lib, a, b: a.add(b, alpha=-1.5), "real", "real", False),
    "add_op": (lambda lib, a, b: a + b, "real", "real", False),
    "sub": (lambda lib, a, b: lib.sub(a, b), "real", "real", False),
    "sub_alpha": (lambda lib, a, b: lib.sub(a, b, alpha=3), "real", "real", False),
    "sub_method": (lambda lib, a, b: a.sub(b, alpha=0.5), "real", "real", False),
    "sub_op": (lambda lib, a, b: a - b, "real", "real", False),
    "mul": (lambda lib, a, b: lib.mul(a, b), "real", "real", True),
    "mul_method": (lambda lib, a, b: a.mul(b), "real", "real", True),
    "mul_op": (lambda lib, a, b: a * b, "real", "real", True),
    "div": (lambda lib, a, b: lib.div(a, b), "real", "nonzero", True),
    "div_method": (lambda lib, a, b: a.div(b), "real", "nonzero", True),
    "div_op": (lambda lib, a, b: a / b, "real", "nonzero", True),
    "pow": (lambda lib, a, b: lib.pow(a, b), "positive", "real", True),
    "pow_method": (lambda lib, a, b: a.pow(b), "positive", "real", True),
    "pow_op": (lambda lib, a, b: a**b, "positive", "real", True),
    "maximum": (lambda lib, a, b: lib.maximum(a, b), "real", "real", False),
    "maximum_method": (lambda lib, a, b: a.maximum(b), "real", "real", False),
    "minimum": (lambda lib, a, b: lib.minimum(a, b), "real", "real", False),
    "minimum_method": (lambda lib, a, b: a.minimum(b), "real", "real", False),
    "remainder_op": (lambda lib, a, b: a % b, "real", "nonzero", False),
    "remainder": (lambda lib, a, b: lib.remainder(a, b), "real", "nonzero", False),
    "clamp_tensor_bounds": (lambda lib, a, b: lib.clamp(a, min=b), "real", "real", False),
    "clamp_tensor_max": (lambda lib, a, b: a.clamp(max=b), "real", "real", False),
    "clamp_min_tensor": (lambda lib, a, b: lib.clamp_min(a, b), "real", "real", False),
    "clamp_max_tensor": (lambda lib, a, b: a.clamp_max(b), "real", "real", False),
    "combined": (lambda lib, a, b: (a * b + a / (b * b + 1)).tanh() * b, "real", "real", True),
}


@pytest.mark.parametrize("name", sorted(BINARY))
@FAST
@given(shapes=broadcastable_shapes(), dtype=float_dtypes, seed=seeds)
def test_binary_matches_torch_with_broadcasting(name, shapes, dtype, seed):
    fn, da, db, second = BINARY[name]
    rng = rng_for(seed)
    sa, sb = shapes.input_shapes
    a, b = random_array(rng, sa, dtype, da), random_array(rng, sb, dtype, db)
    run_both(fn, [a, b], second_order=second, seed=seed)


@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_gradcheck_with_broadcasting(name):
    fn, da, db, second = BINARY[name]
    rng = rng_for(2)
    a = random_array(rng, (2, 1, 3), np.float64, da)
    b = random_array(rng, (4, 1), np.float64, db)
    check_gradcheck(fn, [a, b], second_order=second)


# Operators with a Python number on either side (the reflected forms).
SCALAR_FORMS = {
    "radd": (lambda lib, a: 2.5 + a, "real", False),
    "rsub": (lambda lib, a: 2.5 - a, "real", False),
    "rmul": (lambda lib, a: 3 * a, "real", False),
    "rdiv": (lambda lib, a: 2.0 / a, "nonzero", True),
    "rpow": (lambda lib, a: 2.0**a, "real", True),
    "pow_2": (lambda lib, a: a**2, "real", True),
    "pow_3": (lambda lib, a: a**3, "real", True),
    "pow_half": (lambda lib, a: a**0.5, "positive", True),
    "pow_minus_1": (lambda lib, a: a.pow(-1), "nonzero", True),
    "pow_minus_2.5": (lambda lib, a: lib.pow(a, -2.5), "positive", True),
    "pow_0": (lambda lib, a: a**0, "real", False),
    "pow_1": (lambda lib, a: a**1, "real", False),
    "scalar_pow_function": (lambda lib, a: lib.pow(1.5, a), "real", True),
    "mod": (lambda lib, a: a % 0.7, "real", False),
    "div_scalar": (lambda lib, a: a / 4, "real", False),
    "sub_scalar": (lambda lib, a: a - 1, "real", False),
}


@pytest.mark.parametrize("name", sorted(SCALAR_FORMS))
@FAST
@given(shape=shapes(), dtype=float_dtypes, seed=seeds)
def test_scalar_operand_forms_match_torch(name, shape, dtype, seed):
    fn, domain, second = SCALAR_FORMS[name]
    a = random_array(rng_for(seed), shape, dtype, domain)
    run_both(fn, [a], second_order=second, seed=seed)


@pytest.mark.parametrize("name", sorted(SCALAR_FORMS))
def test_scalar_operand_forms_gradcheck(name):
    fn, domain, second = SCALAR_FORMS[name]
    check_gradcheck(fn, [random_array(rng_for(3), (3, 2), np.float64, domain)], second_order=second)


CLAMPS = {
    "clamp_both": lambda lib, a: lib.clamp(a, -0.5, 0.5),
    "clamp_min_kw": lambda lib, a: a.clamp(min=0),
    "clamp_max_kw": lambda lib, a: a.clamp(max=0.3),
    "clip": lambda lib, a: lib.clip(a, -0.2, 0.4),
    "clamp_min": lambda lib, a: lib.clamp_min(a, -0.1),
    "clamp_min_method": lambda lib, a: a.clamp_min(0.2),
    "clamp_max": lambda lib, a: lib.clamp_max(a, 0.1),
    "clamp_max_method": lambda lib, a: a.clamp_max(-0.2),
}


@pytest.mark.parametrize("name", sorted(CLAMPS))
@FAST
@given(shape=shapes(), dtype=float_dtypes, seed=seeds)
def test_clamp_matches_torch(name, shape, dtype, seed):
    a = random_array(rng_for(seed), shape, dtype)
    a[np.isclose(a, 0, atol=1e-3)] = 0.05  # keep finite differences off the kink
    run_both(CLAMPS[name], [a], seed=seed)


@pytest.mark.parametrize("name", sorted(CLAMPS))
def test_clamp_gradcheck(name):
    check_gradcheck(CLAMPS[name], [np.array([-1.3, -0.35, -0.15, 0.05, 0.25, 0.45, 1.2])])


def test_clamp_integer_tensor_keeps_dtype_and_float_bounds_promote():
    run_both(lambda lib, a: a.clamp(0, 2), [np.array([-3, 1, 5])], grad=False)
    run_both(lambda lib, a: a.clamp(min=0.5), [np.array([-3, 1, 5])], grad=False)


# Tensor bounds, with ties (a == min, a == max) and bounds crossed (min > max: the result is max,
# and min gets no gradient there), where composing maximum and minimum would split or misroute
# the gradient.
CLAMP_TENSOR_FORMS = {
    "clamp": lambda lib, a, lo, hi: lib.clamp(a, lo, hi),
    "clip_method": lambda lib, a, lo, hi: a.clip(lo, hi),
    "clamp_min": lambda lib, a, lo, hi: lib.clamp(a, min=lo),
    "clamp_max": lambda lib, a, lo, hi: lib.clamp(a, max=hi),
    "clamp_min_function": lambda lib, a, lo, hi: lib.clamp_min(a, lo),
    "clamp_max_method": lambda lib, a, lo, hi: a.clamp_max(hi),
}


@pytest.mark.parametrize("name", sorted(CLAMP_TENSOR_FORMS))
def test_clamp_with_tensor_bounds_matches_torch_at_ties_and_crossed_bounds(name):
    a = np.array([[-2.0, 0.0, 1.0, 3.0, 5.0, 2.0], [1.0, 1.0, 1.0, 1.0, 1.0, 1.0]])
    lo = np.array([0.0, 0.0, 2.0, 1.0, 6.0, 2.0])
    hi = np.array([[1.0, 2.0, 2.0, 3.0, 4.0, 2.0]])
    fn = CLAMP_TENSOR_FORMS[name]
    run_both(fn, [a, lo, hi])
    ours = fn(ember, *(ember.tensor(v, requires_grad=True) for v in (a, lo, hi))).grad_fn
    theirs = fn(torch, *(torch.tensor(v, requires_grad=True) for v in (a, lo, hi))).grad_fn
    assert ours.name() == theirs.name()
    assert [f is None for f, _ in ours.next_functions] == [
        f is None for f, _ in theirs.next_functions
    ]


def test_clamp_with_tensor_bounds_gradcheck():
    rng = rng_for(4)
    a = random_array(rng, (3, 4), np.float64)
    lo = random_array(rng, (4,), np.float64) - 0.5
    hi = random_array(rng, (3, 1), np.float64) + 0.5
    check_gradcheck(CLAMP_TENSOR_FORMS["clamp"], [a, lo, hi], second_order=False)


def test_clamp_with_tensor_bounds_promotes_and_checks_shapes():
    run_both(
        lambda lib, a, lo, hi: lib.clamp(a, lo, hi),
        [np.array([1, 5, 9]), np.array([2]), np.array([7.5])],
        grad=False,
    )
    with pytest.raises(RuntimeError, match=r"clamp.*\[3\], \[2\]"):
        ember.clamp(ember.ones(3), ember.ones(2))


def test_clamp_without_bounds_is_an_error():
    with pytest.raises(RuntimeError, match="At least one of 'min' or 'max'"):
        ember.clamp(ember.ones(2))


def _where(form):
    if form == "function":
        return lambda lib, c, a, b: lib.where(c, a, b)
    return lambda lib, c, a, b: a.where(c, b)


@pytest.mark.parametrize("form", ["function", "method"])
@FAST
@given(shapes=broadcastable_shapes(num_shapes=3), dtype=float_dtypes, seed=seeds)
def test_where_matches_torch_with_broadcasting(form, shapes, dtype, seed):
    rng = rng_for(seed)
    sc, sa, sb = shapes.input_shapes
    cond = np.asarray(rng.random(sc) > 0.5)
    run_both(
        _where(form), [cond, random_array(rng, sa, dtype), random_array(rng, sb, dtype)], seed=seed
    )


def test_where_gradcheck_and_scalar_branches():
    rng = rng_for(4)
    cond = np.array([[True, False, True]])
    check_gradcheck(
        _where("function"), [cond, rng.standard_normal((2, 3)), rng.standard_normal((2, 1))]
    )
    run_both(lambda lib, c, a: lib.where(c, a, 0.0), [cond, rng.standard_normal((2, 3))])
    run_both(
        lambda lib, c, a: lib.where(c, 1.5, a),
        [cond, rng.standard_normal((2, 3)).astype(np.float32)],
    )


def test_where_second_order_flows_through_branches():
    cond = np.array([True, False, True, False])
    run_both(
        lambda lib, c, a, b: lib.where(c, a * a, b.exp()),
        [cond, random_array(rng_for(5), (4,)), random_array(rng_for(6), (4,))],
        second_order=True,
    )


COMPARISONS = {
    "eq": lambda lib, a, b: lib.eq(a, b),
    "ne": lambda lib, a, b: a.ne(b),
    "lt": lambda lib, a, b: lib.lt(a, b),
    "le": lambda lib, a, b: a.le(b),
    "gt": lambda lib, a, b: lib.gt(a, b),
    "ge": lambda lib, a, b: a.ge(b),
    "==": lambda lib, a, b: a == b,
    "!=": lambda lib, a, b: a != b,
    "<": lambda lib, a, b: a < b,
    "<=": lambda lib, a, b: a <= b,
    ">": lambda lib, a, b: a > b,
    ">=": lambda lib, a, b: a >= b,
    "scalar>": lambda lib, a, b: a > 0,
    "scalar<=": lambda lib, a, b: 0.5 <= b,
}


@pytest.mark.parametrize("name", sorted(COMPARISONS))
@FAST
@given(shapes=broadcastable_shapes(), seed=seeds)
def test_comparisons_are_bool_and_not_differentiable(name, shapes, seed):
    rng = rng_for(seed)
    sa, sb = shapes.input_shapes
    a = rng.integers(-2, 3, sa).astype(np.float32)  # small integers: ties happen
    b = rng.integers(-2, 3, sb).astype(np.float32)
    (out,) = run_both(COMPARISONS[name], [a, b])
    assert out.dtype == ember.bool and not out.requires_grad and out.grad_fn is None


@FAST
@given(shapes=broadcastable_shapes(), seed=seeds)
def test_floor_divide_values(shapes, seed):
    rng = rng_for(seed)
    sa, sb = shapes.input_shapes
    a, b = rng.integers(-9, 10, sa), rng.integers(1, 5, sb) * rng.choice([-1, 1], sb)
    run_both(lambda lib, x, y: x // y, [a, b], grad=False)
    run_both(lambda lib, x, y: lib.floor_divide(x, y), [a, b], grad=False)
    run_both(lambda lib, x, y: x % y, [a, b], grad=False)
    fa, fb = a.astype(np.float64), b.astype(np.float64)
    run_both(lambda lib, x, y: x // y, [fa, fb], grad=False)


def test_maximum_and_minimum_split_ties_like_torch():
    a = np.array([1.0, 2.0, 3.0])
    b = np.array([1.0, 5.0, 3.0])
    run_both(lambda lib, x, y: lib.maximum(x, y), [a, b])
    run_both(lambda lib, x, y: lib.minimum(x, y), [a, b])


def test_relu_and_abs_gradient_at_zero_match_torch():
    a = np.array([-1.0, 0.0, 2.0])
    run_both(lambda lib, x: x.relu(), [a])
    run_both(lambda lib, x: x.abs(), [a])
    run_both(lambda lib, x: x.clamp(min=0), [a])
    run_both(lambda lib, x: x.sqrt(), [np.array([0.0, 1.0])])


def test_pow_zero_base_exponent_gradient_is_zero_like_torch():
    run_both(lambda lib, a, b: a**b, [np.array([0.0, 0.0, 2.0]), np.array([2.0, 0.0, 1.5])])


# ----- type promotion --------------------------------------------------------------------------

PROMOTIONS = {
    "int_times_float_scalar": (lambda lib, a, b: a * 2.5, [np.arange(4)]),
    "int_plus_int_scalar": (lambda lib, a, b: a + 3, [np.arange(4)]),
    "int32_plus_int_scalar": (lambda lib, a, b: a + 3, [np.arange(4, dtype=np.int32)]),
    "float32_plus_float64_0dim": (lambda lib, a, b: a + b, [np.ones(3, np.float32), np.array(2.0)]),
    "float32_plus_float64_1dim": (
        lambda lib, a, b: a + b,
        [np.ones(3, np.float32), np.array([2.0])],
    ),
    "float16_times_float64_0dim": (
        lambda lib, a, b: a * b,
        [np.ones(2, np.float16), np.array(3.0)],
    ),
    "int_plus_float64_0dim": (lambda lib, a, b: a + b, [np.arange(3), np.array(0.5)]),
    "int32_plus_int64_0dim": (lambda lib, a, b: a + b, [np.arange(3, dtype=np.int32), np.array(7)]),
    "bool_plus_int": (lambda lib, a, b: a + 1, [np.array([True, False])]),
    "bool_plus_bool": (lambda lib, a, b: a + b, [np.array([True, False]), np.array([True, True])]),
    "bool_times_float": (lambda lib, a, b: a * 1.5, [np.array([True, False])]),
    "bool_tensor_plus_int_tensor": (
        lambda lib, a, b: a + b,
        [np.array([True, False]), np.array([3, 4])],
    ),
    "int_div_int": (lambda lib, a, b: a / b, [np.arange(1, 5), np.array([2, 3, 2, 3])]),
    "int_div_int_scalar": (lambda lib, a, b: a / 2, [np.arange(4)]),
    "int_true_divide": (lambda lib, a, b: lib.true_divide(a, 3), [np.arange(4)]),
    "int_floor_div": (lambda lib, a, b: a // 2, [np.arange(-3, 4)]),
    "int_pow_float": (lambda lib, a, b: a**0.5, [np.arange(4)]),
    "int_pow_int": (lambda lib, a, b: a**2, [np.arange(4)]),
    "float_scalar_rpow_int": (lambda lib, a, b: 2.0**a, [np.arange(4)]),
    "int_sqrt": (lambda lib, a, b: a.sqrt(), [np.arange(4)]),
    "int_exp": (lambda lib, a, b: lib.exp(a), [np.arange(4)]),
    "int_neg": (lambda lib, a, b: -a, [np.arange(4)]),
    "int_abs": (lambda lib, a, b: a.abs(), [np.arange(-2, 2)]),
    "int_relu": (lambda lib, a, b: a.relu(), [np.arange(-2, 2)]),
    "int_sum": (lambda lib, a, b: a.sum(), [np.arange(4, dtype=np.int32)]),
    "bool_sum": (lambda lib, a, b: a.sum(), [np.array([True, True, False])]),
    "int_mean_dtype": (lambda lib, a, b: a.mean(dtype=lib.float64), [np.arange(4)]),
    "int64_times_float32_tensor": (lambda lib, a, b: a * b, [np.arange(3), np.ones(3, np.float32)]),
    "float32_times_float64_tensor": (
        lambda lib, a, b: a * b,
        [np.ones(3, np.float32), np.ones(3, np.float64)],
    ),
    "int_maximum_float": (
        lambda lib, a, b: lib.maximum(a, b),
        [np.arange(3), np.ones(3, np.float32)],
    ),
    "where_int_float": (
        lambda lib, a, b: lib.where(a > 1, a, b),
        [np.arange(3), np.ones(3, np.float32)],
    ),
    # NumPy scalars count as the Python numbers they hold (NumPy would make the first float64).
    "float32_times_numpy_float64": (
        lambda lib, a, b: a * np.float64(2.5),
        [np.ones(3, np.float32)],
    ),
    "numpy_float64_minus_float32": (lambda lib, a, b: np.float64(1) - a, [np.ones(3, np.float32)]),
    "float32_div_numpy_int64": (lambda lib, a, b: a / np.int64(2), [np.ones(3, np.float32)]),
    "int_times_numpy_float64": (lambda lib, a, b: a * np.float64(0.5), [np.arange(3)]),
    "int_plus_numpy_int32": (lambda lib, a, b: a + np.int32(2), [np.arange(3)]),
    "float16_times_float": (lambda lib, a, b: a * 0.1, [np.ones(3, np.float16)]),
    "float64_plus_int": (lambda lib, a, b: a + 1, [np.ones(3)]),
}


@pytest.mark.parametrize("name", sorted(PROMOTIONS))
def test_type_promotion_matches_torch(name):
    fn, arrays = PROMOTIONS[name]
    arrays = arrays + [None] * (2 - len(arrays))
    run_both(fn, arrays, grad=False)


@pytest.mark.parametrize("default", [torch.float64, torch.float16])
def test_promotion_follows_the_default_dtype(default):
    ember.set_default_dtype(getattr(ember, str(default).split(".")[-1]))
    torch.set_default_dtype(default)
    run_both(lambda lib, a: a * 2.5, [np.arange(3)], grad=False)
    run_both(lambda lib, a: a / 2, [np.arange(3)], grad=False)
    run_both(lambda lib, a: a + 1.0, [np.ones(2, np.float32)], grad=False)


def test_gradient_flows_through_a_dtype_promotion():
    run_both(lambda lib, a, b: a * b, [np.ones(3, np.float32) * 2, np.array([1.0, 2.0, 3.0])])
    run_both(lambda lib, a, b: a + b, [np.ones((2, 3), np.float32), np.array(0.5)])


def test_promote_types_and_result_dtypes():
    pairs = [
        ("int32", "int64"),
        ("int64", "float16"),
        ("bool", "int8"),
        ("uint8", "int8"),
        ("float16", "float32"),
        ("bool", "float64"),
        ("int16", "uint8"),
    ]
    for a, b in pairs:
        expected = torch.promote_types(getattr(torch, a), getattr(torch, b))
        assert (
            repr(ember.promote_types(getattr(ember, a), getattr(ember, b))).split(".")[-1]
            == str(expected).split(".")[-1]
        )


def test_broadcast_error_names_both_shapes():
    with pytest.raises(RuntimeError, match=r"\[2, 3\].*\[4\]"):
        ember.ones(2, 3) + ember.ones(4)
    with pytest.raises(RuntimeError, match="must match the size"):
        ember.ones(2, 3) * ember.ones(2)


@FAST
@given(shape=shapes(), seed=seeds)
def test_reflected_modulo_floor_division_and_rounding_modes(shape, seed):
    """Values only: PyTorch has no gradient for ``number % tensor``, and floor/trunc division is
    flat almost everywhere."""
    rng = rng_for(seed)
    a = np.asarray(random_array(rng, shape, np.float64, "nonzero") * 3)
    for fn in (
        lambda lib, x: 5.0 % x,
        lambda lib, x: 5.0 // x,
        lambda lib, x: 7 % x,
        lambda lib, x: lib.div(x, 0.7, rounding_mode="floor"),
        lambda lib, x: x.div(-0.7, rounding_mode="trunc"),
    ):
        run_both(fn, [a], grad=False)
    ints = rng.integers(-9, 10, shape)
    run_both(lambda lib, x: lib.div(x, 4, rounding_mode="floor"), [ints], grad=False)
    run_both(lambda lib, x: lib.div(x, -4, rounding_mode="trunc"), [ints], grad=False)

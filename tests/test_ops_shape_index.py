"""Shape and indexing ops against PyTorch and finite differences: reshape/view/flatten/squeeze/
unsqueeze/expand/repeat/flip/cat/stack/split/chunk, indexing and assignment with ints, slices,
None, ..., integer lists/tensors and boolean masks, gather/scatter_add/index_select/masked_fill.

These ops are linear, so their second derivatives are zero; each is also run squared
(``op(x) * op(x)``), which sends a second-order gradient through its backward."""

import numpy as np
import pytest
import torch
from conftest import check_gradcheck, float_dtypes, random_array, rng_for, run_both, seeds, shapes
from hypothesis import given, settings
from hypothesis import strategies as st

import ember

FAST = settings(max_examples=8, deadline=None)


def squared(fn):
    """``fn``'s outputs times themselves: non-linear, so second-order gradients flow through."""

    def composite(lib, *xs):
        out = fn(lib, *xs)
        if isinstance(out, (tuple, list)):
            return [o * o for o in out]
        return out * out

    return composite


def check_op(fn, arrays, seed=0):
    run_both(fn, arrays, seed=seed)
    run_both(squared(fn), arrays, second_order=True, seed=seed)


# name: (fn(lib, a), input shape)
SHAPE_OPS = {
    "reshape": (lambda lib, a: lib.reshape(a, (3, 4)), (2, 6)),
    "reshape_method_infer": (lambda lib, a: a.reshape(-1, 2), (2, 3, 2)),
    "reshape_varargs": (lambda lib, a: a.reshape(4, 3), (12,)),
    "reshape_to_scalar": (lambda lib, a: a.reshape(()), (1, 1)),
    "view": (lambda lib, a: a.view(6, 2), (3, 4)),
    "view_infer": (lambda lib, a: a.view(-1), (3, 4)),
    "view_as": (lambda lib, a: a.view_as(lib.ones(4, 3)), (2, 6)),
    "reshape_as": (lambda lib, a: a.reshape_as(lib.ones(2, 2, 3)), (12,)),
    "flatten": (lambda lib, a: lib.flatten(a), (2, 3, 2)),
    "flatten_range": (lambda lib, a: a.flatten(1), (2, 3, 2)),
    "flatten_middle": (lambda lib, a: a.flatten(0, 1), (2, 3, 2)),
    "flatten_0dim": (lambda lib, a: a.flatten(), ()),
    "squeeze": (lambda lib, a: lib.squeeze(a), (1, 3, 1, 2)),
    "squeeze_dim": (lambda lib, a: a.squeeze(2), (1, 3, 1, 2)),
    "squeeze_non_singleton_dim": (lambda lib, a: a.squeeze(1), (1, 3, 1, 2)),
    "squeeze_negative": (lambda lib, a: a.squeeze(-3), (1, 3, 1, 2)),
    "unsqueeze": (lambda lib, a: lib.unsqueeze(a, 0), (2, 3)),
    "unsqueeze_last": (lambda lib, a: a.unsqueeze(-1), (2, 3)),
    "unsqueeze_middle": (lambda lib, a: a.unsqueeze(1), (2, 3)),
    "expand": (lambda lib, a: a.expand(2, 3, 4), (3, 1)),
    "expand_keep": (lambda lib, a: a.expand(-1, 4), (3, 1)),
    "expand_tuple": (lambda lib, a: a.expand((2, 2, 3)), (3,)),
    "expand_as": (lambda lib, a: a.expand_as(lib.ones(2, 3, 4)), (1, 4)),
    "broadcast_to": (lambda lib, a: lib.broadcast_to(a, (2, 3)), (3,)),
    "repeat": (lambda lib, a: a.repeat(2, 3), (2, 3)),
    "repeat_new_dims": (lambda lib, a: a.repeat(2, 1, 2), (2, 3)),
    "repeat_tuple": (lambda lib, a: a.repeat((3,)), (2,)),
    "flip": (lambda lib, a: lib.flip(a, (0,)), (3, 2)),
    "flip_method": (lambda lib, a: a.flip(0, 1), (3, 2)),
    "flip_list": (lambda lib, a: a.flip([-1]), (2, 3, 2)),
    "split_size": (lambda lib, a: lib.split(a, 2), (5, 2)),
    "split_method_dim": (lambda lib, a: a.split(2, dim=1), (2, 5)),
    "split_sections": (lambda lib, a: a.split([1, 3, 1]), (5, 2)),
    "chunk": (lambda lib, a: lib.chunk(a, 3), (7, 2)),
    "chunk_method_dim": (lambda lib, a: a.chunk(2, dim=-1), (2, 4)),
    "chunk_more_than_size": (lambda lib, a: a.chunk(5), (3,)),
    "unbind": (lambda lib, a: a.unbind(1), (2, 3)),
    "narrow": (lambda lib, a: a.narrow(1, 1, 2), (2, 4)),
    "clone": (lambda lib, a: a.clone(), (2, 3)),
    "contiguous": (lambda lib, a: a.t().contiguous(), (2, 3)),
    "transpose_then_reshape": (lambda lib, a: a.t().reshape(-1), (2, 3)),
}


@pytest.mark.parametrize("name", sorted(SHAPE_OPS))
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_shape_op_matches_torch(name, dtype):
    fn, shape = SHAPE_OPS[name]
    check_op(fn, [random_array(rng_for(20), shape, dtype)])


@pytest.mark.parametrize("name", sorted(SHAPE_OPS))
def test_shape_op_gradcheck(name):
    fn, shape = SHAPE_OPS[name]
    check_gradcheck(squared(fn), [random_array(rng_for(21), shape)], second_order=True)


@st.composite
def reshapes(draw):
    """A shape and another shape with the same number of elements."""
    shape = draw(shapes(min_dims=0, max_dims=4, max_side=3))
    n = int(np.prod(shape))
    target, left = [], n
    while left > 1 and len(target) < 3:
        divisors = [d for d in range(2, left + 1) if left % d == 0]
        d = draw(st.sampled_from(divisors))
        target.append(d)
        left //= d
    if left > 1:
        target.append(left)
    if target and draw(st.booleans()):
        target[draw(st.integers(0, len(target) - 1))] = -1
    return shape, tuple(target)


@FAST
@given(case=reshapes(), dtype=float_dtypes, seed=seeds)
def test_reshape_and_view_match_torch_on_random_shapes(case, dtype, seed):
    shape, target = case
    a = random_array(rng_for(seed), shape, dtype)
    check_op(lambda lib, x: x.reshape(target), [a], seed)
    check_op(lambda lib, x: x.view(target), [a], seed)


@st.composite
def expansions(draw):
    shape = draw(shapes(min_dims=0, max_dims=3, max_side=3))
    lead = tuple(draw(st.lists(st.integers(1, 3), max_size=2)))
    target = lead + tuple(draw(st.integers(1, 3)) if n == 1 else n for n in shape)
    repeats = tuple(draw(st.lists(st.integers(1, 3), min_size=len(shape), max_size=len(shape) + 1)))
    return shape, target, repeats


@FAST
@given(case=expansions(), dtype=float_dtypes, seed=seeds)
def test_expand_and_repeat_match_torch_on_random_shapes(case, dtype, seed):
    shape, target, repeats = case
    a = random_array(rng_for(seed), shape, dtype)
    check_op(lambda lib, x: x.expand(target), [a], seed)
    if repeats:
        check_op(lambda lib, x: x.repeat(repeats), [a], seed)


# name: (fn(lib, *tensors), shapes of the tensors)
JOINS = {
    "cat": (lambda lib, a, b: lib.cat([a, b]), [(2, 3), (1, 3)]),
    "cat_dim1": (lambda lib, a, b, c: lib.cat((a, b, c), dim=1), [(2, 1), (2, 3), (2, 2)]),
    "cat_negative_dim": (lambda lib, a, b: lib.cat([a, b], -1), [(2, 2, 1), (2, 2, 2)]),
    "cat_one": (lambda lib, a: lib.cat([a]), [(2, 3)]),
    "cat_same_tensor_twice": (lambda lib, a: lib.cat([a, a * 2], 0), [(2,)]),
    "concat": (lambda lib, a, b: lib.concat([a, b], 1), [(2, 2), (2, 1)]),
    "stack": (lambda lib, a, b: lib.stack([a, b]), [(2, 3), (2, 3)]),
    "stack_dim1": (lambda lib, a, b, c: lib.stack((a, b, c), 1), [(2, 3), (2, 3), (2, 3)]),
    "stack_last": (lambda lib, a, b: lib.stack([a, b], dim=-1), [(2,), (2,)]),
    "stack_scalars": (lambda lib, a, b: lib.stack([a, b]), [(), ()]),
    "hstack": (lambda lib, a, b: lib.hstack([a, b]), [(2, 1), (2, 2)]),
    "vstack": (lambda lib, a, b: lib.vstack([a, b]), [(3,), (3,)]),
}


@pytest.mark.parametrize("name", sorted(JOINS))
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_join_matches_torch(name, dtype):
    fn, sizes = JOINS[name]
    rng = rng_for(22)
    check_op(fn, [random_array(rng, s, dtype) for s in sizes])


@pytest.mark.parametrize("name", sorted(JOINS))
def test_join_gradcheck(name):
    fn, sizes = JOINS[name]
    rng = rng_for(23)
    check_gradcheck(squared(fn), [rng.standard_normal(s) for s in sizes], second_order=True)


def test_cat_promotes_dtypes_like_torch():
    run_both(lambda lib, a, b: lib.cat([a, b]), [np.ones(2, np.float32), np.arange(2)], grad=False)
    run_both(lambda lib, a, b: lib.stack([a, b]), [np.ones(2, np.float32), np.ones(2)])


# ----- indexing ----------------------------------------------------------------------------------

M = np.array([[True, False, True, False], [False, False, True, True], [True, True, False, False]])

# name: index (into a tensor of shape (3, 4, 2)); lists and arrays become tensors in both libraries
INDICES = {
    "int": 1,
    "negative_int": -1,
    "slice": slice(1, 3),
    "step_slice": slice(None, None, 2),
    "negative_slice": slice(-2, None),
    "int_then_slice": (0, slice(1, None)),
    "slice_then_int": (slice(None), 2),
    "ellipsis_int": (Ellipsis, 0),
    "int_ellipsis": (1, Ellipsis),
    "none": None,
    "none_slice_int": (slice(None), None, 1),
    "int_ellipsis_none": (2, Ellipsis, None),
    "three_ints": (2, 3, 1),
    "int_list": [0, 2, 0],
    "negative_int_list": [-1, 0],
    "int_tensor": np.array([[0, 1], [2, 2]]),
    "zero_dim_tensor": np.array(1),
    "two_lists": ([0, 1, 2], [3, 3, 0]),
    "list_slice_list": ([0, 2], slice(None), [1, 0]),
    "slice_list": (slice(None), [2, 0, 2]),
    "bool_mask_2d": M,
    "bool_mask_rows": np.array([True, False, True]),
    "bool_mask_then_int": (M, 1),
    "ellipsis_list": (Ellipsis, [1, 1]),
    # ints apart from index arrays: PyTorch selects first, where NumPy would move dims
    "int_slice_list": (0, slice(None), [1, 0]),
    "int_none_list_none": (0, None, [0, 0], None),
    "list_slice_int": ([2, 0], slice(1, 3), 1),
    "ellipsis_int_list": (Ellipsis, 1, [0, 1]),
    "int_mask": (1, np.array([True, False, True, True])),
}


def _index_for(lib, index):
    def convert(part):
        if isinstance(part, np.ndarray):
            return lib.from_numpy(part.copy())
        if isinstance(part, list):
            return lib.tensor(part)
        return part

    if isinstance(index, tuple):
        return tuple(convert(p) for p in index)
    return convert(index)


@pytest.mark.parametrize("name", sorted(INDICES))
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_getitem_matches_torch(name, dtype):
    index = INDICES[name]
    a = random_array(rng_for(24), (3, 4, 2), dtype)
    check_op(lambda lib, x: x[_index_for(lib, index)], [a])
    check_op(lambda lib, x: x[index], [a])


@pytest.mark.parametrize("name", sorted(INDICES))
def test_getitem_gradcheck(name):
    index = INDICES[name]
    check_gradcheck(
        squared(lambda lib, x: x[_index_for(lib, index)]),
        [random_array(rng_for(25), (3, 4, 2))],
        second_order=True,
    )


def test_indexing_with_a_comparison_mask():
    a = random_array(rng_for(26), (3, 4))
    check_op(lambda lib, x: x[x > 0], [a])
    check_op(lambda lib, x: x[(x > 0).detach()] * 2, [a])


def test_getitem_views_share_memory_and_grad_fn_names():
    x = ember.arange(12.0).reshape(3, 4)
    row = x[1]
    row[0] = 100.0
    assert x[1, 0].item() == 100.0  # basic indexing is a view
    picked = x[[1]]
    picked[0, 0] = -1.0
    assert x[1, 0].item() == 100.0  # advanced indexing copies
    w = ember.ones(3, 4, requires_grad=True)
    assert w[1].grad_fn.name() == "SelectBackward0"
    assert w[1:].grad_fn.name() == "SliceBackward0"
    assert w[[0, 1]].grad_fn.name() == "IndexBackward0"


def test_index_errors_name_the_problem():
    x = ember.ones(3, 4)
    with pytest.raises(IndexError, match="index 3 is out of bounds for dimension 0 with size 3"):
        x[3]
    with pytest.raises(IndexError, match="index 5 is out of bounds for dimension 1 with size 4"):
        x[:, [0, 5]]
    with pytest.raises(IndexError, match="too many indices"):
        x[0, 0, 0]
    with pytest.raises(IndexError, match="mask"):
        x[ember.tensor([True, False])]
    with pytest.raises(IndexError, match="long, int, byte or bool"):
        x[ember.tensor([0.0, 1.0])]


# name: (index into shape (3, 4), shape of the values written, or None for a Python number)
ASSIGNMENTS = {
    "int_scalar": (1, None),
    "int_row": (1, (4,)),
    "slice_broadcast": (slice(1, None), (4,)),
    "column": ((slice(None), 2), (3,)),
    "ellipsis": ((Ellipsis, 0), (3,)),
    "int_list": ([0, 2], (2, 4)),
    "int_list_scalar": ([2, 0], None),
    "two_lists": (([0, 1], [3, 3]), (2,)),
    "mask": (M, None),
    "mask_values": (M, (6,)),
    "row_mask": (np.array([True, False, True]), (1, 4)),
    "everything": (slice(None), (3, 4)),
    "int_none_list": ((1, None, [0, 3]), (2,)),
    "list_none_int": (([0, 2], None, 3), None),
}


def _assign(index, with_values):
    def fn(lib, x, *values):
        y = x * 1  # a non-leaf, so it may be written in place under autograd
        y[_index_for(lib, index)] = values[0] if with_values else 2.5
        return y

    return fn


@pytest.mark.parametrize("name", sorted(ASSIGNMENTS))
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_setitem_matches_torch(name, dtype):
    index, value_shape = ASSIGNMENTS[name]
    rng = rng_for(27)
    arrays = [random_array(rng, (3, 4), dtype)]
    if value_shape is not None:
        arrays.append(random_array(rng, value_shape, dtype))
    check_op(_assign(index, value_shape is not None), arrays)


@pytest.mark.parametrize("name", sorted(ASSIGNMENTS))
def test_setitem_gradcheck(name):
    index, value_shape = ASSIGNMENTS[name]
    rng = rng_for(28)
    arrays = [rng.standard_normal((3, 4))]
    if value_shape is not None:
        arrays.append(rng.standard_normal(value_shape))
    check_gradcheck(squared(_assign(index, value_shape is not None)), arrays, second_order=True)


def test_setitem_without_autograd_writes_in_place():
    for lib in (ember, torch):
        x = lib.zeros(3, 4)
        x[1] = 1
        x[:, 0] = lib.tensor([5.0, 6.0, 7.0])
        x[x > 5] = -1
        x[[0, 2], [3, 3]] = lib.tensor([8.0, 9.0])
        x[..., 1] += 2
        if lib is ember:
            got = x.tolist()
        else:
            assert got == x.tolist()
    v = ember.zeros(4, dtype=ember.int64)
    v[ember.tensor([1, 3])] = 7
    assert v.tolist() == [0, 7, 0, 7]


def test_setitem_shape_mismatch_is_a_runtime_error():
    with pytest.raises(RuntimeError, match="shape mismatch"):
        ember.zeros(3, 4)[0] = ember.ones(3)


# ----- gather / scatter_add / index_select / masked_fill ----------------------------------------

GATHERS = {
    "gather_dim0": (lambda lib, a, i: lib.gather(a, 0, i), (3, 4), np.array([[0, 2, 1, 0]])),
    "gather_dim1": (lambda lib, a, i: a.gather(1, i), (3, 4), np.array([[3, 3], [0, 1], [2, 2]])),
    "gather_negative_dim": (lambda lib, a, i: a.gather(-1, i), (2, 3), np.array([[0], [2]])),
    "take_along_dim": (
        lambda lib, a, i: lib.take_along_dim(a, i, 1),
        (2, 3),
        np.array([[2, 0], [1, 1]]),
    ),
    "index_select": (lambda lib, a, i: lib.index_select(a, 0, i), (3, 4), np.array([2, 0, 2])),
    "index_select_method": (lambda lib, a, i: a.index_select(1, i), (3, 4), np.array([1, 3])),
    "index_select_negative_dim": (
        lambda lib, a, i: a.index_select(-1, i),
        (3, 2),
        np.array([1, 1, 0]),
    ),
}


@pytest.mark.parametrize("name", sorted(GATHERS))
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_gather_and_index_select_match_torch(name, dtype):
    fn, shape, index = GATHERS[name]
    check_op(fn, [random_array(rng_for(29), shape, dtype), index])


@pytest.mark.parametrize("name", sorted(GATHERS))
def test_gather_and_index_select_gradcheck(name):
    fn, shape, index = GATHERS[name]
    check_gradcheck(squared(fn), [random_array(rng_for(30), shape), index], second_order=True)


SCATTERS = {
    "dim0": (
        lambda lib, a, i, s: lib.scatter_add(a, 0, i, s),
        (3, 4),
        np.array([[0, 1, 2, 0], [0, 0, 2, 1]]),
        (2, 4),
    ),
    "dim1_method": (
        lambda lib, a, i, s: a.scatter_add(1, i, s),
        (3, 4),
        np.array([[0, 0], [3, 1], [2, 2]]),
        (3, 2),
    ),
    "src_larger_than_index": (
        lambda lib, a, i, s: a.scatter_add(0, i, s),
        (3, 2),
        np.array([[2, 0]]),
        (2, 3),
    ),
}


@pytest.mark.parametrize("name", sorted(SCATTERS))
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_scatter_add_matches_torch(name, dtype):
    fn, shape, index, src = SCATTERS[name]
    rng = rng_for(31)
    arrays = [random_array(rng, shape, dtype), index, random_array(rng, src, dtype)]
    if name == "src_larger_than_index":  # PyTorch's own backward rejects this: values only
        run_both(fn, arrays, grad=False)
        return
    check_op(fn, arrays)


@pytest.mark.parametrize("name", sorted(SCATTERS))
def test_scatter_add_gradcheck(name):
    fn, shape, index, src = SCATTERS[name]
    rng = rng_for(32)
    check_gradcheck(
        squared(fn),
        [rng.standard_normal(shape), index, rng.standard_normal(src)],
        second_order=True,
    )


MASKED_FILLS = {
    "function": (lambda lib, a, m: lib.masked_fill(a, m, -1.5), M),
    "method": (lambda lib, a, m: a.masked_fill(m, 0.0), M),
    "broadcast_mask": (lambda lib, a, m: a.masked_fill(m, 3), np.array([True, False, False, True])),
    "comparison_mask": (lambda lib, a, m: a.masked_fill(a > 0, 0.5), M),
}


@pytest.mark.parametrize("name", sorted(MASKED_FILLS))
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_masked_fill_matches_torch(name, dtype):
    fn, mask = MASKED_FILLS[name]
    check_op(fn, [random_array(rng_for(33), (3, 4), dtype), mask])


@pytest.mark.parametrize("name", sorted(MASKED_FILLS))
def test_masked_fill_gradcheck(name):
    fn, mask = MASKED_FILLS[name]
    check_gradcheck(squared(fn), [random_array(rng_for(34), (3, 4)), mask], second_order=True)


def test_masked_fill_with_a_tensor_value_that_requires_grad():
    check_op(
        lambda lib, a, v: a.masked_fill(lib.from_numpy(M), v),
        [random_array(rng_for(35), (3, 4)), np.array(0.7)],
    )


def test_gather_scatter_errors():
    with pytest.raises(RuntimeError, match="out of bounds"):
        ember.ones(2, 3).gather(1, ember.tensor([[3]]))
    with pytest.raises(RuntimeError, match="same number of dimensions"):
        ember.ones(2, 3).gather(1, ember.tensor([0]))
    with pytest.raises(IndexError, match="index out of range"):
        ember.ones(2, 3).index_select(0, ember.tensor([2]))
    with pytest.raises(RuntimeError, match="boolean"):
        ember.ones(2).masked_fill(ember.tensor([1, 0]), 0.0)


def test_shape_errors_name_the_problem():
    with pytest.raises(RuntimeError, match=r"shape '\[4, 4\]' is invalid for input of size 6"):
        ember.ones(2, 3).reshape(4, 4)
    with pytest.raises(RuntimeError, match="only one dimension can be inferred"):
        ember.ones(6).view(-1, -1)
    with pytest.raises(RuntimeError, match=r"view size is not compatible.*reshape"):
        ember.ones(2, 3).t().view(6)
    with pytest.raises(
        RuntimeError,
        match=r"expanded size of the tensor \(4\) must match the "
        r"existing size \(3\)",
    ):
        ember.ones(3).expand(2, 4)
    with pytest.raises(RuntimeError, match=r"Sizes of tensors must match except in dimension 0"):
        ember.cat([ember.ones(2, 3), ember.ones(2, 2)])
    with pytest.raises(RuntimeError, match="stack expects each tensor to be equal size"):
        ember.stack([ember.ones(2), ember.ones(3)])
    with pytest.raises(RuntimeError, match="split_with_sizes expects split_sizes to sum"):
        ember.ones(5).split([2, 2])
    with pytest.raises(RuntimeError, match="repeat dims can not be smaller"):
        ember.ones(2, 2).repeat(2)


def test_views_share_memory_with_their_base():
    x = ember.zeros(2, 3)
    for view in (
        x.view(6),
        x.reshape(3, 2),
        x.t(),
        x.unsqueeze(0),
        x[0],
        x.expand(2, 2, 3),
        x.transpose(0, 1),
        x.permute(1, 0),
        x.flatten(),
    ):
        assert np.shares_memory(view.numpy(), x.numpy())
    x.view(6)[4] = 1.0
    assert x[1, 1].item() == 1.0


# ----- random shapes for joins, gathers and indexing -------------------------------------------


@st.composite
def joins(draw):
    shape = list(draw(shapes(min_dims=1, max_dims=3, max_side=3)))
    dim = draw(st.integers(-len(shape), len(shape) - 1))
    sizes = draw(st.lists(st.integers(1, 3), min_size=1, max_size=3))
    cat_shapes = [
        tuple(n if i != dim % len(shape) else s for i, n in enumerate(shape)) for s in sizes
    ]
    stack_dim = draw(st.integers(-len(shape) - 1, len(shape)))
    return cat_shapes, dim, [tuple(shape)] * len(sizes), stack_dim


@FAST
@given(case=joins(), dtype=float_dtypes, seed=seeds)
def test_cat_and_stack_match_torch_on_random_shapes(case, dtype, seed):
    cat_shapes, dim, stack_shapes, stack_dim = case
    rng = rng_for(seed)
    check_op(
        lambda lib, *xs: lib.cat(xs, dim), [random_array(rng, s, dtype) for s in cat_shapes], seed
    )
    check_op(
        lambda lib, *xs: lib.stack(xs, stack_dim),
        [random_array(rng, s, dtype) for s in stack_shapes],
        seed,
    )


@st.composite
def gathers(draw):
    shape = draw(shapes(min_dims=1, max_dims=3, max_side=4))
    dim = draw(st.integers(0, len(shape) - 1))
    index_shape = tuple(
        draw(st.integers(1, 4)) if i == dim else draw(st.integers(1, n))
        for i, n in enumerate(shape)
    )
    seed = draw(seeds)
    index = rng_for(seed).integers(0, shape[dim], index_shape)
    return shape, dim, index, seed


@FAST
@given(case=gathers(), dtype=float_dtypes)
def test_gather_scatter_add_index_select_match_torch_on_random_shapes(case, dtype):
    shape, dim, index, seed = case
    rng = rng_for(seed)
    a = random_array(rng, shape, dtype)
    check_op(lambda lib, x, i: x.gather(dim, i), [a, index], seed)
    source = random_array(rng, index.shape, dtype)
    target = random_array(rng, tuple(max(n, m) for n, m in zip(shape, index.shape)), dtype)
    check_op(lambda lib, x, i, s: x.scatter_add(dim, i, s), [target, index, source], seed)
    picks = index.reshape(-1)[:3]
    check_op(lambda lib, x, i: x.index_select(dim, i), [a, picks], seed)


@st.composite
def indices(draw):
    """A shape and an index mixing ints, slices, None, ... and integer lists."""
    shape = draw(shapes(min_dims=1, max_dims=3, max_side=4))
    parts, lists = [], 0
    for n in shape:
        kind = draw(st.sampled_from(["int", "slice", "list", "skip"]))
        if kind == "int":
            parts.append(draw(st.integers(-n, n - 1)))
        elif kind == "slice":
            start = draw(st.one_of(st.none(), st.integers(-n, n)))
            stop = draw(st.one_of(st.none(), st.integers(-n, n)))
            parts.append(slice(start, stop, draw(st.sampled_from([None, 1, 2]))))
        elif kind == "list" and lists == 0:  # one list: several would have to broadcast
            lists += 1
            parts.append(draw(st.lists(st.integers(-n, n - 1), min_size=1, max_size=4)))
        else:
            parts.append(slice(None))
        if draw(st.integers(0, 4)) == 0:
            parts.append(None)
    if draw(st.booleans()):
        cut = draw(st.integers(0, len(parts)))
        parts = parts[:cut] + [Ellipsis]
    return shape, tuple(parts)


@FAST
@given(case=indices(), dtype=float_dtypes, seed=seeds)
def test_getitem_and_setitem_match_torch_on_random_indices(case, dtype, seed):
    shape, index = case
    rng = rng_for(seed)
    a = random_array(rng, shape, dtype)
    check_op(lambda lib, x: x[_index_for(lib, index)], [a], seed)
    check_op(_assign(index, False), [a], seed)


def test_gather_and_scatter_add_index_must_fit():
    with pytest.raises(RuntimeError, match="Size does not match at dimension 1"):
        ember.ones(2, 2).gather(0, ember.tensor([[0, 1, 0]]))
    with pytest.raises(RuntimeError, match=r"Expected index \[3, 1\] to be no larger than self"):
        ember.ones(2, 2).scatter_add(1, ember.tensor([[0], [1], [0]]), ember.ones(3, 1))
    with pytest.raises(RuntimeError, match="src"):
        ember.ones(3, 3).scatter_add(1, ember.tensor([[0, 1]]), ember.ones(1, 1))

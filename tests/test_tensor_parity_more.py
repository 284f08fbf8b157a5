"""Tensor ops compared with PyTorch: scatter and the index_* family, masked_scatter, cumprod,
in-place view ops (t_, transpose_, squeeze_, unsqueeze_), in-place changes to the pieces of
split/chunk/unbind, storage_offset, and the grad_fn names of tril/triu, log2/log10, lerp,
masked_select, sort, topk and basic indexing. Each case runs in both libraries from the same
NumPy arrays: values, dtypes, grad_fn names, gradients, version counters and errors."""

import numpy as np
import pytest
import torch
from conftest import check_gradcheck, random_array, rng_for, run_both, seeds, shapes
from hypothesis import given
from hypothesis import strategies as st

import ember

LIBS = (ember, torch)


def _long(lib, values):
    return lib.tensor(values, dtype=lib.int64)


def _mask(lib):
    return lib.tensor([[True, False, True], [False, True, True], [False, False, False]])


def _inplace(method, *args, **kwargs):
    """``fn(lib, x, *tensors)`` that applies in-place ``method`` to a non-leaf copy of x."""

    def fn(lib, x, *tensors):
        y = x * 1
        getattr(y, method)(*[a(lib) if callable(a) else a for a in args], *tensors, **kwargs)
        return y

    return fn


# name: (fn(lib, *tensors), arrays); float arrays require grad. Every case also checks the
# grad_fn name and a float64 gradcheck (with second order unless the case says otherwise).
A34 = random_array(rng_for(1), (3, 4))
A53 = random_array(rng_for(2), (5, 3))
SRC23 = random_array(rng_for(3), (2, 3))
SRC34 = random_array(rng_for(4), (3, 4))
SRC24 = SRC34[:2]  # PyTorch's scatter backward needs src of the index's shape
PERMUTED = lambda lib: _long(lib, [[2, 0, 1, 1], [0, 2, 2, 0]])  # noqa: E731  distinct per column
CASES = {
    "scatter src": (lambda lib, x, s: lib.scatter(x, 0, PERMUTED(lib), s), [A34, SRC24]),
    "scatter value": (lambda lib, x: lib.scatter(x, 0, PERMUTED(lib), 2.5), [A34]),
    "scatter_ src": (_inplace("scatter_", 0, PERMUTED), [A34, SRC24]),
    "scatter_ value": (_inplace("scatter_", 1, PERMUTED, 0.5), [A34]),
    "scatter_add": (lambda lib, x, s: lib.scatter_add(x, 0, PERMUTED(lib) // 2, s), [A34, SRC24]),
    "scatter_add_": (_inplace("scatter_add_", 1, PERMUTED), [A34, SRC24]),
    "index_add": (
        lambda lib, x, s: lib.index_add(x, 0, _long(lib, [4, 1]), s),
        [A53, SRC23],
    ),
    "index_add repeated, alpha": (
        lambda lib, x, s: x.index_add(0, _long(lib, [1, 1]), s, alpha=-1.5),
        [A53, SRC23],
    ),
    "index_add_ along dim 1": (
        _inplace("index_add_", 1, lambda lib: _long(lib, [2, 0]), alpha=2),
        [A53, random_array(rng_for(5), (5, 2))],
    ),
    "index_copy": (lambda lib, x, s: lib.index_copy(x, 0, _long(lib, [3, 0]), s), [A53, SRC23]),
    "index_copy_": (_inplace("index_copy_", 0, lambda lib: _long(lib, [0, 4])), [A53, SRC23]),
    "index_fill number": (lambda lib, x: lib.index_fill(x, 1, _long(lib, [2, 0, 2]), -1.0), [A53]),
    "index_fill tensor value": (
        lambda lib, x, v: x.index_fill(0, _long(lib, [1, 3, 1]), v),
        [A53, np.array(0.25)],
    ),
    "index_fill_ scalar index": (_inplace("index_fill_", 0, lambda lib: _long(lib, 2), 7.0), [A53]),
    "index_put": (
        lambda lib, x, v: lib.index_put(x, (_long(lib, [0, 2]), _long(lib, [1, 3])), v),
        [A34, random_array(rng_for(6), (2,))],
    ),
    "index_put broadcast value, accumulate": (
        lambda lib, x, v: x.index_put((_long(lib, [0, 0, 2]),), v, accumulate=True),
        [A34, random_array(rng_for(7), (4,))],
    ),
    "index_put_ mask": (
        lambda lib, x, v: (x * 1).index_put_((x > 0,), v),
        [A34, np.array(3.0)],
    ),
    "index_put_ accumulate": (
        lambda lib, x, v: (x * 1).index_put_((_long(lib, [1, 1]),), v, accumulate=True),
        [A34, random_array(rng_for(8), (2, 4))],
    ),
    "masked_scatter": (
        lambda lib, x, s: lib.masked_scatter(x, _mask(lib), s),
        [random_array(rng_for(9), (3, 3)), random_array(rng_for(10), (2, 5))],
    ),
    "masked_scatter broadcasts the input": (
        lambda lib, x, s: x.masked_scatter(_mask(lib), s),
        [random_array(rng_for(11), (3,)), random_array(rng_for(12), (7,))],
    ),
    "masked_scatter_": (
        _inplace("masked_scatter_", lambda lib: _mask(lib)[0]),
        [random_array(rng_for(13), (3, 3)), random_array(rng_for(14), (9,))],
    ),
    "cumprod": (lambda lib, x: lib.cumprod(x, 1), [A34]),
    "cumprod dim 0, float32 dtype": (
        lambda lib, x: x.cumprod(0, dtype=lib.float32),
        [A34.astype(np.float32)],
    ),
    "cumprod with one zero": (lambda lib, x: x.cumprod(0), [np.array([2.0, 0.0, 3.0, -1.5])]),
    "cumprod with a zero first": (lambda lib, x: x.cumprod(0), [np.array([0.0, 2.0, 3.0])]),
    "cumprod with two zeros": (
        lambda lib, x: x.cumprod(-1),
        [np.array([[1.5, 0.0, 2.0, 0.0, 3.0], [0.0, 0.0, 1.0, 2.0, 0.5]])],
    ),
    "cumprod_": (_inplace("cumprod_", 1), [np.array([[1.5, 0.0, 2.0], [0.5, -2.0, 1.0]])]),
    "cumprod of 0-d": (lambda lib, x: x.cumprod(0), [np.array(1.5)]),
    "tril": (lambda lib, x: lib.tril(x), [A34]),
    "triu of a batch": (lambda lib, x: x.triu(1), [random_array(rng_for(15), (2, 3, 3))]),
    "log2": (lambda lib, x: lib.log2(x), [random_array(rng_for(16), (3,), domain="positive")]),
    "log10": (lambda lib, x: x.log10(), [random_array(rng_for(17), (3,), domain="positive")]),
    "lerp number weight": (lambda lib, a, b: lib.lerp(a, b, 0.3), [A34, SRC34]),
    "lerp weight above 0.5, broadcast": (
        lambda lib, a, b: a.lerp(b, 0.8),
        [random_array(rng_for(18), (4,)), SRC34],
    ),
    "lerp tensor weight": (
        lambda lib, a, b, w: lib.lerp(a, b, w),
        [A34, random_array(rng_for(19), (4,)), np.array([[-0.7], [0.2], [0.6]])],
    ),
    "lerp_": (lambda lib, x: (x * 1).lerp_(lib.ones(4, dtype=x.dtype), 0.25), [A34]),
    "masked_select": (lambda lib, x: lib.masked_select(x, x > 0), [A34]),
    "masked_select broadcasts": (
        lambda lib, x: x.masked_select(_mask(lib)[:, :1]),
        [random_array(rng_for(20), (3,))],
    ),
    "sort": (lambda lib, x: lib.sort(x, 1, descending=True), [A34]),
    "topk": (lambda lib, x: lib.topk(x, 2, 0), [A34]),
}
# scatter with repeated indices keeps one of the values (which one is unspecified in PyTorch)
NAME_ONLY = {
    "scatter reduce add": lambda lib, x, s: x.scatter(0, PERMUTED(lib), s, reduce="add"),
    "scatter_ reduce multiply, value": lambda lib, x, s: (x * 1).scatter_(
        0, PERMUTED(lib), 2.0, reduce="multiply"
    ),
}
FIRST_ORDER_ONLY = {"masked_select", "masked_select broadcasts", "sort", "topk"}


@pytest.mark.parametrize("name", list(CASES))
def test_matches_torch(name):
    fn, arrays = CASES[name]
    second = name not in FIRST_ORDER_ONLY
    run_both(fn, arrays, second_order=second)
    run_both(fn, [a.astype(np.float32) for a in arrays], seed=1)


@pytest.mark.parametrize("name", list(CASES))
def test_grad_fn_name_matches_torch(name):
    fn, arrays = CASES[name]
    _same_names(fn, arrays)


@pytest.mark.parametrize("name", list(NAME_ONLY))
def test_reduce_scatter_values_and_name_match_torch(name):
    fn = NAME_ONLY[name]
    run_both(fn, [A34, SRC24], grad=False)
    _same_names(fn, [A34, SRC24])


def test_reduce_scatter_backward_raises_as_torch():
    for lib in LIBS:
        x = lib.tensor(A34, requires_grad=True)
        out = x.scatter(0, PERMUTED(lib), 1.5, reduce="add")
        with pytest.raises(RuntimeError, match="derivative for aten::scatter is not implemented"):
            out.sum().backward()


def _same_names(fn, arrays):
    names = []
    for lib in LIBS:
        tensors = [lib.tensor(a, requires_grad=True) for a in arrays]
        out = fn(lib, *tensors)
        outs = out if isinstance(out, tuple) else (out,)
        names.append([type(o.grad_fn).__name__ for o in outs])
    assert names[0] == names[1]


@pytest.mark.parametrize("name", sorted(set(CASES) - {"cumprod dim 0, float32 dtype"}))
def test_gradcheck(name):
    fn, arrays = CASES[name]
    check_gradcheck(fn, arrays, second_order=name not in FIRST_ORDER_ONLY)


# ----- cumprod at zeros: exact, and exact again in second order --------------------------------


@given(shape=shapes(min_dims=1, max_dims=3, max_side=5), seed=seeds, data=st.data())
def test_cumprod_with_random_zeros_matches_torch(shape, seed, data):
    rng = rng_for(seed)
    a = random_array(rng, shape, domain="nonzero")
    a[rng.random(shape) < 0.3] = 0.0
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    run_both(lambda lib, x: x.cumprod(dim), [a], second_order=True, seed=seed)


def test_cumprod_of_integers_is_int64_without_grad():
    run_both(lambda lib, x: lib.cumprod(x, 0), [np.array([1, 2, 3], np.int32)])
    run_both(lambda lib, x: lib.cumprod(x, 0), [np.array([True, False])])


# ----- scatter and index_add on random shapes -----------------------------------------------------


@given(shape=shapes(min_dims=1, max_dims=3, max_side=4), seed=seeds, data=st.data())
def test_scatter_and_index_add_on_random_shapes(shape, seed, data):
    rng = rng_for(seed)
    dim = data.draw(st.integers(0, len(shape) - 1))
    a = random_array(rng, shape)
    # scatter: a permutation along dim, so that no place is written twice
    order = np.argsort(rng.random(shape), axis=dim)
    src = random_array(rng, shape)
    run_both(lambda lib, x, s: x.scatter(dim, lib.from_numpy(order.copy()), s), [a, src], seed=seed)
    count = data.draw(st.integers(0, 5))
    index = rng.integers(0, shape[dim], count)
    src_shape = shape[:dim] + (count,) + shape[dim + 1 :]
    run_both(
        lambda lib, x, s: x.index_add(dim, lib.from_numpy(index.copy()), s, alpha=0.5),
        [a, random_array(rng, src_shape)],
        second_order=True,
        seed=seed,
    )


# ----- errors: the same type and message as PyTorch ----------------------------------------------


def _y(lib):
    return lib.zeros(3, 4, dtype=lib.float64)


def _src(lib):
    return lib.ones(3, 4, dtype=lib.float64)


ERRORS = {
    "scatter float index": lambda lib: _y(lib).scatter(0, PERMUTED(lib).double(), _src(lib)),
    "scatter src dtype": lambda lib: _y(lib).scatter(0, PERMUTED(lib), _src(lib).float()),
    "scatter index dims": lambda lib: _y(lib).scatter(0, PERMUTED(lib)[0], _src(lib)),
    "scatter src dims": lambda lib: _y(lib).scatter(0, PERMUTED(lib), _src(lib)[0]),
    "scatter index too big": lambda lib: _y(lib).scatter(0, lib.zeros(3, 5, dtype=lib.int64), 1.0),
    "scatter index bigger than src": lambda lib: _y(lib).scatter(
        0, lib.zeros(2, 4, dtype=lib.int64), _src(lib)[:1]
    ),
    "scatter index out of bounds": lambda lib: _y(lib).scatter(0, PERMUTED(lib) + 1, 2.0),
    "scatter negative index": lambda lib: _y(lib).scatter(0, -PERMUTED(lib), 2.0),
    "scatter reduce": lambda lib: _y(lib).scatter(0, PERMUTED(lib), _src(lib), reduce="mean"),
    "scatter dim": lambda lib: _y(lib).scatter(2, PERMUTED(lib), _src(lib)),
    "scatter_add index dims": lambda lib: _y(lib).scatter_add(0, PERMUTED(lib)[0], _src(lib)),
    "scatter_add out of bounds": lambda lib: _y(lib).scatter_add(0, PERMUTED(lib) + 3, _src(lib)),
    "index_add dtype": lambda lib: _y(lib).index_add(0, _long(lib, [1]), _src(lib)[:1].float()),
    "index_add float index": lambda lib: _y(lib).index_add(
        0, _long(lib, [1]).double(), _src(lib)[:1]
    ),
    "index_add count": lambda lib: _y(lib).index_add(0, _long(lib, [1]), _src(lib)),
    "index_add shape": lambda lib: _y(lib).index_add(0, _long(lib, [1]), _src(lib)[:1, :3]),
    "index_add 2-d index": lambda lib: _y(lib).index_add(0, _long(lib, [[1]]), _src(lib)[:1]),
    "index_add out of bounds": lambda lib: _y(lib).index_add(0, _long(lib, [3]), _src(lib)[:1]),
    "index_add out of bounds, 1-d": lambda lib: lib.zeros(3).index_add(
        0, _long(lib, [3]), lib.ones(1)
    ),
    "index_copy out of bounds": lambda lib: _y(lib).index_copy(0, _long(lib, [-1]), _src(lib)[:1]),
    "index_copy count": lambda lib: _y(lib).index_copy(0, _long(lib, [1, 2]), _src(lib)[:1]),
    "index_copy dtype": lambda lib: _y(lib).index_copy(0, _long(lib, [1]), _src(lib)[:1].float()),
    "index_copy int32 index": lambda lib: _y(lib).index_copy(
        0, _long(lib, [1]).int(), _src(lib)[:1]
    ),
    "index_copy slice shape": lambda lib: lib.zeros(2, 3, 4).index_copy(
        1, _long(lib, [0]), lib.ones(2, 1, 5)
    ),
    "index_copy dims": lambda lib: _y(lib).index_copy(0, _long(lib, [1]), _src(lib)[0]),
    "index_fill out of bounds": lambda lib: _y(lib).index_fill(0, _long(lib, [-4]), 1.0),
    "index_fill float index": lambda lib: _y(lib).index_fill(0, _long(lib, [1]).float(), 1.0),
    "index_fill value dims": lambda lib: _y(lib).index_fill(0, _long(lib, [1]), lib.ones(2)),
    "index_fill 2-d index": lambda lib: _y(lib).index_fill(0, _long(lib, [[1]]), 1.0),
    "index_put out of bounds": lambda lib: _y(lib).index_put((_long(lib, [3]),), _src(lib)[0]),
    "index_put dtype": lambda lib: _y(lib).index_put((_long(lib, [1]),), _src(lib)[0].float()),
    "index_put shape": lambda lib: _y(lib).index_put((_long(lib, [1, 2]),), lib.ones(3, 3)),
    "index_put float index": lambda lib: _y(lib).index_put(
        (_long(lib, [1]).float(),), _src(lib)[0]
    ),
    "index_put indices not a tuple": lambda lib: lib.index_put(
        _y(lib), _long(lib, [1]), _src(lib)[0]
    ),
    "masked_scatter too few": lambda lib: _y(lib).masked_scatter(_y(lib) == 0, lib.ones(5)),
    "masked_scatter mask dtype": lambda lib: _y(lib).masked_scatter(_y(lib), _src(lib)),
    "masked_scatter source dtype": lambda lib: _y(lib).masked_scatter(
        _y(lib) == 0, _src(lib).float()
    ),
    "masked_scatter shapes": lambda lib: _y(lib).masked_scatter(
        lib.ones(3, dtype=lib.bool), _src(lib)
    ),
    "cumprod dim": lambda lib: _y(lib).cumprod(2),
    "lerp end dtype": lambda lib: lib.lerp(_y(lib), _src(lib).float(), 0.5),
    "lerp weight dtype": lambda lib: lib.lerp(_y(lib), _src(lib), _src(lib).float()),
    "lerp shapes": lambda lib: lib.lerp(_y(lib), lib.ones(3, dtype=lib.float64), 0.5),
    "lerp integers": lambda lib: lib.lerp(_long(lib, [1]), _long(lib, [2]), 0.5),
    "lerp integers, tensor weight": lambda lib: lib.lerp(*[_long(lib, [1])] * 3),
    "masked_select mask dtype": lambda lib: lib.masked_select(_y(lib), _long(lib, [1, 0, 0, 1])),
    "masked_select shapes": lambda lib: lib.masked_select(_y(lib), lib.ones(3, dtype=lib.bool)),
    "t_ of 3-d": lambda lib: lib.zeros(2, 3, 4).t_(),
    "transpose_ dim": lambda lib: lib.zeros(2, 3).transpose_(0, 2),
    "unsqueeze_ dim": lambda lib: lib.zeros(2, 3).unsqueeze_(3),
    "squeeze_ dim": lambda lib: lib.zeros(2, 3).squeeze_(2),
}


@pytest.mark.parametrize("name", list(ERRORS))
def test_error_matches_torch(name):
    errors = []
    for lib in LIBS:
        with pytest.raises(Exception) as info:
            ERRORS[name](lib)
        errors.append((type(info.value), str(info.value)))
    assert errors[0] == errors[1]


# ----- in-place: leaves, non-leaves, version counters --------------------------------------------

INPLACE = {
    "scatter_": lambda lib, y: y.scatter_(0, PERMUTED(lib), 1.0),
    "scatter_add_": lambda lib, y: y.scatter_add_(0, PERMUTED(lib), lib.ones_like(y)),
    "index_add_": lambda lib, y: y.index_add_(1, _long(lib, [0]), lib.ones(3, 1, dtype=y.dtype)),
    "index_copy_": lambda lib, y: y.index_copy_(1, _long(lib, [0]), lib.ones(3, 1, dtype=y.dtype)),
    "index_fill_": lambda lib, y: y.index_fill_(1, _long(lib, [0]), 2.0),
    "index_put_": lambda lib, y: y.index_put_((_long(lib, [0]),), lib.tensor(2.0, dtype=y.dtype)),
    "masked_scatter_": lambda lib, y: y.masked_scatter_(y > 0, lib.ones(12, dtype=y.dtype)),
    "cumprod_": lambda lib, y: y.cumprod_(0),
    "t_": lambda lib, y: y.t_(),
    "transpose_": lambda lib, y: y.transpose_(1, 0),
    "swapaxes_": lambda lib, y: y.swapaxes_(0, 1),
    "swapdims_": lambda lib, y: y.swapdims_(0, -1),
    "squeeze_": lambda lib, y: y.squeeze_(),
    "squeeze_ dim": lambda lib, y: y.squeeze_(0),
    "squeeze_ dims": lambda lib, y: y.squeeze_((0, 1)),
    "unsqueeze_": lambda lib, y: y.unsqueeze_(-1),
}


@pytest.mark.parametrize("name", list(INPLACE))
def test_inplace_on_a_leaf_that_requires_grad_raises_as_torch(name):
    messages = []
    for lib in LIBS:
        x = lib.tensor(A34, requires_grad=True)
        with pytest.raises(RuntimeError) as info:
            INPLACE[name](lib, x)
        messages.append(str(info.value))
        with lib.no_grad():  # allowed, and counted
            assert INPLACE[name](lib, x) is x
        assert x._version == 1 and x.requires_grad and x.grad_fn is None
    assert messages[0] == messages[1]
    assert (
        messages[0] == "a leaf Variable that requires grad is being used in an in-place operation."
    )


@pytest.mark.parametrize("name", list(INPLACE))
def test_inplace_on_a_non_leaf_matches_torch(name):
    seen = []
    for lib in LIBS:
        x = lib.tensor(A34, requires_grad=True)
        y = x * 1
        version = y._version
        assert INPLACE[name](lib, y) is y
        y.backward(lib.from_numpy(np.arange(12.0).reshape(y.shape)))
        seen.append(
            (
                y._version - version,
                type(y.grad_fn).__name__,
                tuple(y.shape),
                y.stride(),
                y.storage_offset(),
                y.detach().numpy().copy(),
                x.grad.numpy().copy(),
            )
        )
    for mine, theirs in zip(*seen):
        np.testing.assert_array_equal(mine, theirs)


def test_views_of_a_restrided_tensor_follow_its_later_changes():
    grads = []
    for lib in LIBS:
        x = lib.tensor(A34, requires_grad=True)
        y = x * 1
        row = y[0]
        y.t_()
        y.mul_(2)  # row sees it: its gradient now goes through the multiply
        (row * lib.arange(4.0, dtype=lib.float64)).sum().backward()
        grads.append(x.grad.numpy().copy())
    np.testing.assert_array_equal(*grads)


# ----- in-place changes to the pieces of split, chunk and unbind ---------------------------------

PIECES = {
    "unbind": lambda t: t.unbind(0)[1],
    "unbind dim 1": lambda t: t.unbind(1)[2],
    "split": lambda t: t.split(1)[1],
    "split with sizes": lambda t: t.split([1, 2])[1],
    "chunk": lambda t: t.chunk(2)[0],
    "a slice of a piece": lambda t: t.unbind(0)[0][1:],
}
CHANGES = {
    "add_": lambda lib, p: p.add_(1),
    "zero_": lambda lib, p: p.zero_(),
    "copy_": lambda lib, p: p.copy_(lib.ones(p.shape, dtype=p.dtype)),
    "exp_": lambda lib, p: p.exp_(),
    "setitem int": lambda lib, p: p.__setitem__(0, 1.0),
    "setitem index": lambda lib, p: p.__setitem__(_long(lib, [0]), 1.0),
    "t_": lambda lib, p: p.t_(),
    "unsqueeze_": lambda lib, p: p.unsqueeze_(0),
}


def _outcome(change, lib, piece):
    """The error message of ``change(lib, piece)``, or None if it is allowed."""
    try:
        change(lib, piece)
    except RuntimeError as error:
        return str(error)
    return None


@pytest.mark.parametrize("change", list(CHANGES))
@pytest.mark.parametrize("piece", list(PIECES))
def test_inplace_on_a_piece_of_a_multi_output_view_matches_torch(piece, change):
    outcomes = []
    for lib in LIBS:
        x = lib.tensor(A34[:3, :3], requires_grad=True)
        cut, make = CHANGES[change], PIECES[piece]
        result = [
            _outcome(cut, lib, make(x * 1)),  # base on the graph
            _outcome(cut, lib, make(x)),  # a leaf's piece
            _outcome(cut, lib, make(x.detach() * 1)),  # no graph
        ]
        with lib.no_grad():
            result.append(_outcome(cut, lib, make(x * 1)))
        outcomes.append(result)
    assert outcomes[0] == outcomes[1]
    assert outcomes[0][0] is not None and "multiple views" in outcomes[0][0]
    assert outcomes[0][2:] == [None, None]


def test_a_piece_of_a_tensor_without_grad_given_a_value_that_requires_grad():
    messages = []
    for lib in LIBS:
        piece = lib.zeros(2, 3).unbind(0)[1]
        change = lambda lib, p: p.copy_(lib.ones(3, requires_grad=True))  # noqa: E731
        messages.append(_outcome(change, lib, piece))
    assert messages[0] == messages[1]
    assert messages[0].startswith("A view was created in no_grad mode")


# ----- names of basic and advanced indexing ------------------------------------------------------

INDEXES = [
    "[0]", "[1:2]", "[:, 1]", "[..., 1]", "[None]", "[...]", "[:]", "[0, 1]", "[0, 1, 2]",
    "[::2]", "[-1]", "[0, None]", "[1:, :2, 3]", "[True]", "[False]", "[:, :]", "[0, :]",
    "[..., :]", "[:, ...]", "[..., None]", "[None, None]", "[1:2, :]", "[:, 0:4]", "[:, 0:100]",
    "[:, -9:]", "[:, -4:]", "[:, :-1]", "[:, :4:1]", "[:, 0::2]", "[0:0]", "[True, 0]",
    "[0, True]", "[:, None, :]", "[0, ..., None]",
    "[i([0, 2])]", "[i([0, 2]), 1]", "[:, i([0, 2])]", "[x > 0]", "[..., i([1, 2])]",
    "[[0, 1]]", "[0, [0, 1]]", "[i(1)]", "[:, i(1)]", "[i(True)]",
]  # fmt: skip


@pytest.mark.parametrize("index", INDEXES)
def test_indexing_grad_fn_name_matches_torch(index):
    names = []
    for lib in LIBS:
        x = lib.tensor(random_array(rng_for(21), (3, 4, 5)), requires_grad=True)
        out = eval("x" + index, {"x": x, "i": lib.tensor})
        names.append(type(out.grad_fn).__name__)
    assert names[0] == names[1]


# ----- storage_offset ----------------------------------------------------------------------------

VIEWS = ["", "[1]", "[:, 1:, 2]", "[1:][1:]", "[0].t()", "[2].unsqueeze(0)", ".unbind(1)[3]"]


@pytest.mark.parametrize("view", VIEWS)
def test_storage_offset_matches_torch(view):
    offsets = [eval("lib.arange(60).view(3, 4, 5)" + view).storage_offset() for lib in LIBS]
    assert offsets[0] == offsets[1]

"""Small PyTorch-parity fixes, each against torch itself: functions given something other than a
tensor (a number, None, a string) raise torch's TypeError; two numbers make a 0-dim tensor where
torch's do; the stacking family (hstack, vstack, row_stack, dstack, column_stack); sizes that are
not whole numbers; EmbeddingBag's max_norm, scale_grad_by_freq and from_pretrained; and the
gradient of scatter's src where src is larger than index."""

import re

import numpy as np
import pytest
import torch
from conftest import assert_same_tensor, check_gradcheck, run_both
from hypothesis import given, settings
from hypothesis import strategies as st

import ember

FAST = settings(max_examples=15, deadline=None)
NOT_TENSORS = pytest.mark.parametrize("value", [1.5, None, "a"], ids=["float", "None", "str"])


def same_error(call, exception, match=None):
    """``call(lib)`` raises ``exception`` in both libraries; returns both messages. ``match``:
    a pattern both messages contain."""
    messages = []
    for lib in (ember, torch):
        with pytest.raises(exception) as info:
            call(lib)
        messages.append(str(info.value))
        if match is not None:
            assert re.search(match, messages[-1]), f"{lib.__name__}: {messages[-1]}"
    return messages


def same_message(call, exception):
    ours, theirs = same_error(call, exception)
    assert ours == theirs


# ----- 1. closeness checks take tensors only --------------------------------------------------


@pytest.mark.parametrize("name", ["isclose", "allclose"])
def test_closeness_method_given_a_number_raises_type_error(name):
    same_error(
        lambda lib: getattr(lib.ones(3), name)(1.0),
        TypeError,
        f"{name}\\(\\): argument 'other' .* must be Tensor, not float",
    )


# ----- 2. a first argument that is not a tensor ----------------------------------------------


@pytest.mark.parametrize(
    "name",
    ["exp", "log", "sin", "cos", "tanh", "sigmoid", "abs", "sqrt", "floor", "relu", "erf"],
)
@NOT_TENSORS
def test_elementwise_function_given_no_tensor(name, value):
    # these take their tensor as ``a`` in ember's elementwise table; they said "expected a
    # Tensor or a number, got float" (for a float)
    same_message(lambda lib: getattr(lib, name)(value), TypeError)


@pytest.mark.parametrize("name", ["zero_", "clamp_", "fill_"])
@NOT_TENSORS
def test_in_place_function_given_no_tensor(name, value):
    # were AttributeErrors ('float' object has no attribute '_rg')
    same_error(lambda lib: getattr(lib, name)(value), TypeError, f"{name}\\(\\)")


@pytest.mark.parametrize("name", ["add", "sub", "mul", "multiply", "div", "floor_divide"])
@pytest.mark.parametrize("a, b", [(1.5, 2), (7, 2), (7, 2.0), (-7, 2), (True, False)])
def test_two_numbers_make_a_zero_dim_tensor(name, a, b):
    if name in ("div", "floor_divide") and b is False:
        b = 3
    if name == "sub" and a is True:  # bools do not subtract, in either library
        same_error(lambda lib: lib.sub(a, b), RuntimeError, "Subtraction.*two bool tensors")
        return
    assert_same_tensor(getattr(ember, name)(a, b), getattr(torch, name)(a, b))


@pytest.mark.parametrize("name", ["pow", "float_power", "remainder"])
def test_two_numbers_rejected_where_torch_rejects_them(name):
    same_error(lambda lib: getattr(lib, name)(1.5, 2), TypeError, f"{name}\\(\\) received")
    t = np.array([1.0, 2.0])
    assert_same_tensor(
        getattr(ember, name)(2.0, ember.tensor(t)), getattr(torch, name)(2.0, torch.tensor(t))
    )


@pytest.mark.parametrize("name", ["add", "mul", "floor_divide", "pow"])
@pytest.mark.parametrize("value", [None, "a", [1.0]], ids=["None", "str", "list"])
def test_number_taking_function_given_neither_number_nor_tensor(name, value):
    # torch's wording depends on its overloads: "add(): argument 'input' (position 1) must be
    # Tensor, not NoneType", "pow() received an invalid combination of arguments"
    same_error(lambda lib: getattr(lib, name)(value, lib.ones(2)), TypeError, f"^{name}\\(\\)")


def test_floor_divide_needs_two_arguments():
    same_error(lambda lib: lib.floor_divide(1.5), TypeError, r"floor_divide\(\)")


@pytest.mark.parametrize(
    "name", ["cat", "stack", "hstack", "vstack", "row_stack", "dstack", "column_stack"]
)
@pytest.mark.parametrize("value", [1.5, None, "a", "", "tensor", "generator"])
def test_stacking_given_no_sequence_of_tensors(name, value):
    def call(lib):
        tensors = {"tensor": lib.ones(2), "generator": (t for t in [lib.ones(2)])}
        return getattr(lib, name)(tensors.get(value, value))

    same_message(call, TypeError)  # "hstack(): argument 'tensors' (position 1) must be tuple of…"


@pytest.mark.parametrize("name", ["cat", "stack", "hstack", "vstack", "dstack", "column_stack"])
@pytest.mark.parametrize("element", [1.0, None, "a", [1.0]], ids=["float", "None", "str", "list"])
def test_stacking_given_a_non_tensor_element(name, element):
    same_message(lambda lib: getattr(lib, name)([lib.ones(2), element]), TypeError)


@pytest.mark.parametrize(
    "name, exception",
    [("stack", RuntimeError), ("hstack", RuntimeError), ("vstack", RuntimeError)]
    + [("dstack", RuntimeError), ("column_stack", RuntimeError), ("cat", ValueError)],
)
def test_stacking_nothing(name, exception):
    same_error(lambda lib: getattr(lib, name)([]), exception, "non-empty")


@FAST
@given(
    name=st.sampled_from(["hstack", "vstack", "row_stack", "dstack", "column_stack"]),
    ndim=st.integers(0, 3),
    count=st.integers(1, 3),
    seed=st.integers(0, 2**16),
)
def test_stacking_matches_torch(name, ndim, count, seed):
    rng = np.random.default_rng(seed)
    shape = tuple(rng.integers(1, 4, ndim))
    arrays = [rng.standard_normal(shape) for _ in range(count)]
    if name == "column_stack" and ndim == 1:
        arrays.append(rng.standard_normal((shape[0], 2)))  # a matrix beside the vectors

    def fn(lib, *tensors):
        return getattr(lib, name)(list(tensors))

    run_both(fn, arrays, second_order=True)
    check_gradcheck(fn, arrays)


@pytest.mark.parametrize("name", ["hstack", "vstack", "dstack", "column_stack"])
def test_stacking_promotes_dtypes_as_torch(name):
    run_both(
        lambda lib, a, b: getattr(lib, name)([a, b]),
        [np.ones(3, np.float32), np.arange(3, dtype=np.int64)],
        grad=False,
    )


@pytest.mark.parametrize("name", ["zeros", "ones", "empty", "rand", "randn"])
@pytest.mark.parametrize("size", [1.5, None, "a", [1.5], (2.0,)], ids=repr)
def test_sizes_must_be_whole_numbers(name, size):
    # ember used to round 1.5 down and build the tensor
    same_message(lambda lib: getattr(lib, name)(size), TypeError)


def test_sizes_in_several_arguments_must_be_whole_numbers():
    for call in (lambda lib: lib.ones(2, 1.5), lambda lib: lib.randint(0, 5, (2, 1.5))):
        same_error(call, TypeError, r"argument 'size'.*tuple of ints.*float")
    assert_same_tensor(ember.zeros(ember.tensor(2)), torch.zeros(torch.tensor(2)))


@pytest.mark.parametrize("name", ["randperm", "eye"])
@pytest.mark.parametrize("n", [1.5, None, "a", True], ids=["float", "None", "str", "bool"])
def test_counts_must_be_ints(name, n):
    same_message(lambda lib: getattr(lib, name)(n), TypeError)


@pytest.mark.parametrize("data", [None, [1, None], [[None]]], ids=repr)
@pytest.mark.parametrize("name", ["tensor", "as_tensor"])
def test_tensor_of_none_cannot_infer_a_dtype(name, data):
    same_message(lambda lib: getattr(lib, name)(data), RuntimeError)


@pytest.mark.parametrize("value", [None, "a", [1.0]], ids=["None", "str", "list"])
def test_scalar_tensor_of_no_number(value):
    same_message(lambda lib: lib.scalar_tensor(value), TypeError)


@NOT_TENSORS
def test_where_of_no_tensor(value):
    # ember used to answer where(1.5) with (tensor([0]),)
    same_message(lambda lib: lib.where(value), TypeError)


@pytest.mark.parametrize("args", [(1.5,), (None,), ("ij",)], ids=repr)
def test_einsum_without_an_equation_and_operands(args):
    same_message(lambda lib: lib.einsum(*args), ValueError)


@NOT_TENSORS
def test_gumbel_softmax_of_no_tensor(value):
    same_error(lambda lib: lib.nn.functional.gumbel_softmax(value), TypeError)


# ----- 3. EmbeddingBag: max_norm, scale_grad_by_freq, from_pretrained ---------------------------


def _bag_inputs(rng, layout, weighted, rows=6):
    if layout == "2d":
        indices, offsets = rng.integers(0, rows, (4, 3)), None
    else:
        indices = rng.integers(0, rows, 9)
        offsets = np.sort(np.concatenate([[0], rng.integers(0, 10, 3)]))  # empty bags too
    weights = rng.standard_normal(indices.shape) if weighted else None
    return indices, offsets, weights


def _run_bag(lib, weight, indices, offsets, weights, **options):
    """The bag of ``weight`` (float64, requires grad) with a random upstream gradient: the output,
    the weight's gradient, the weight's values after the call, per_sample_weights' gradient."""
    w = lib.from_numpy(weight.copy()).requires_grad_()
    psw = None if weights is None else lib.from_numpy(weights.copy()).requires_grad_()
    out = lib.nn.functional.embedding_bag(
        lib.from_numpy(indices),
        w,
        None if offsets is None else lib.from_numpy(offsets),
        per_sample_weights=psw,
        **options,
    )
    upstream = np.random.default_rng(1).standard_normal(tuple(out.shape))
    out.backward(lib.from_numpy(upstream))
    return out, w.grad, w.detach(), None if psw is None else psw.grad


def _compare_bags(weight, indices, offsets, weights, **options):
    mine = _run_bag(ember, weight, indices, offsets, weights, **options)
    theirs = _run_bag(torch, weight, indices, offsets, weights, **options)
    for what, a, b in zip(
        ("output", "grad of weight", "weight after", "grad of psw"), mine, theirs
    ):
        if b is None:
            assert a is None, what
        else:
            assert_same_tensor(a, b, 1e-10, 1e-12, what)
    return mine


@FAST
@given(
    mode=st.sampled_from(["sum", "mean", "max"]),
    layout=st.sampled_from(["2d", "offsets", "last-offset"]),
    weighted=st.booleans(),
    padding=st.sampled_from([None, 1]),
    norm_type=st.sampled_from([1.0, 2.0, 3.0]),
    seed=st.integers(0, 2**16),
)
def test_embedding_bag_max_norm_matches_torch(mode, layout, weighted, padding, norm_type, seed):
    rng = np.random.default_rng(seed)
    weight = rng.standard_normal((6, 3)) * 2
    indices, offsets, weights = _bag_inputs(rng, layout, weighted and mode == "sum")
    _, _, after, _ = _compare_bags(
        weight,
        indices,
        offsets,
        weights,
        mode=mode,
        max_norm=1.5,
        norm_type=norm_type,
        include_last_offset=layout == "last-offset",
        padding_idx=padding,
    )
    used = np.unique(indices)
    assert (np.linalg.norm(after.numpy()[used], norm_type, axis=1) <= 1.5 + 1e-6).all()
    unused = np.setdiff1d(np.arange(6), used)
    np.testing.assert_array_equal(after.numpy()[unused], weight[unused])  # untouched


def test_embedding_bag_max_norm_is_in_place_without_gradient():
    weight = ember.tensor([[3.0, 4.0], [0.3, 0.4]], requires_grad=True)
    version = weight._version
    ember.nn.functional.embedding_bag(ember.tensor([[0, 1]]), weight, max_norm=1.0)
    assert weight._version == version + 1
    assert weight.grad_fn is None and weight.is_leaf
    np.testing.assert_allclose(weight.detach().numpy()[0], [0.6, 0.8], rtol=1e-6)


@FAST
@given(
    mode=st.sampled_from(["sum", "mean"]),
    layout=st.sampled_from(["2d", "offsets"]),
    weighted=st.booleans(),
    padding=st.sampled_from([None, 1]),
    repeats=st.integers(1, 3),
    seed=st.integers(0, 2**16),
)
def test_embedding_bag_scale_grad_by_freq_matches_torch(
    mode, layout, weighted, padding, repeats, seed
):
    # Every index read the same number of times: there PyTorch's CPU kernel divides by the right
    # count (see the next test for the general case).
    rng = np.random.default_rng(seed)
    indices = np.repeat(rng.permutation(6)[:4], repeats)
    rng.shuffle(indices)
    offsets = None
    if layout == "2d":
        indices = indices.reshape(repeats, 4)
    else:
        offsets = np.sort(np.concatenate([[0], rng.integers(0, indices.size + 1, 2)]))
    weights = rng.standard_normal(indices.shape) if weighted and mode == "sum" else None
    _compare_bags(
        rng.standard_normal((6, 3)),
        indices,
        offsets,
        weights,
        mode=mode,
        scale_grad_by_freq=True,
        padding_idx=padding,
    )


@FAST
@given(mode=st.sampled_from(["sum", "mean"]), seed=st.integers(0, 2**16))
def test_embedding_bag_scale_grad_by_freq_divides_by_each_rows_count(mode, seed):
    # Any counts: the bag equals an embedding (whose scale_grad_by_freq PyTorch gets right)
    # summed or averaged per bag, so torch's embedding gives the reference gradient.
    rng = np.random.default_rng(seed)
    weight, indices = rng.standard_normal((6, 3)), rng.integers(0, 6, (3, 4))
    mine = _run_bag(ember, weight, indices, None, None, mode=mode, scale_grad_by_freq=True)
    w = torch.from_numpy(weight.copy()).requires_grad_()
    rows = torch.nn.functional.embedding(torch.from_numpy(indices), w, scale_grad_by_freq=True)
    out = rows.sum(1) if mode == "sum" else rows.mean(1)
    out.backward(torch.from_numpy(np.random.default_rng(1).standard_normal(tuple(out.shape))))
    assert_same_tensor(mine[0], out, 1e-10, 1e-12, "output")
    assert_same_tensor(mine[1], w.grad, 1e-10, 1e-12, "grad of weight")


def test_embedding_bag_module_with_scale_grad_by_freq_and_max_norm():
    def make(lib):
        return lib.nn.EmbeddingBag(7, 3, max_norm=1.0, scale_grad_by_freq=True, mode="sum")

    assert repr(make(ember)) == repr(make(torch))
    weight = np.random.default_rng(0).standard_normal((7, 3)) * 2
    results = []
    for lib in (ember, torch):
        module = make(lib).double()
        with lib.no_grad():
            module.weight.copy_(lib.from_numpy(weight.copy()))
        out = module(lib.tensor([[0, 2, 5], [5, 0, 2]]))  # each index twice
        out.sum().backward()
        results.append((out, module.weight.grad, module.weight.detach()))
    for what, a, b in zip(("output", "grad of weight", "weight after"), *results):
        assert_same_tensor(a, b, 1e-10, 1e-12, what)


@pytest.mark.parametrize("freeze", [True, False])
def test_embedding_bag_from_pretrained(freeze):
    table = np.random.default_rng(0).standard_normal((5, 3))
    results = []
    for lib in (ember, torch):
        embeddings = lib.from_numpy(table.copy())
        bag = lib.nn.EmbeddingBag.from_pretrained(
            embeddings, freeze=freeze, mode="max", padding_idx=-1, include_last_offset=True
        )
        assert bag.weight.requires_grad is not freeze
        embeddings[0, 0] = 100.0  # PyTorch shares the table, it does not copy it
        assert bag.weight[0, 0].item() == 100.0
        out = bag(lib.tensor([0, 4, 1, 2, 3]), lib.tensor([0, 2, 5]))
        results.append((repr(bag), out))
    assert results[0][0] == results[1][0]
    assert_same_tensor(results[0][1], results[1][1])


def test_embedding_bag_option_errors():
    def bag(**options):
        def call(lib):
            return lib.nn.functional.embedding_bag(
                lib.tensor([[0, 1]]), lib.ones(3, 2, requires_grad=True), **options
            )

        return call

    same_message(bag(mode="max", scale_grad_by_freq=True), ValueError)
    same_message(bag(mode="max", sparse=True), ValueError)
    same_message(
        lambda lib: lib.nn.functional.embedding_bag(lib.tensor([0]), lib.ones(3)), ValueError
    )
    same_message(lambda lib: lib.nn.EmbeddingBag(3, 2, _weight=lib.ones(2, 2)), AssertionError)
    same_message(lambda lib: lib.nn.EmbeddingBag.from_pretrained(lib.ones(3)), AssertionError)
    # PyTorch has sparse gradients; ember says plainly that it has none
    with pytest.raises(NotImplementedError, match="sparse gradients are not supported by ember"):
        bag(sparse=True)(ember)
    with pytest.raises(NotImplementedError, match="sparse gradients are not supported by ember"):
        ember.nn.EmbeddingBag(3, 2, sparse=True)(ember.tensor([[0, 1]]))


# ----- 4. scatter's src larger than index ------------------------------------------------------


def _scatter_case(rng, ndim):
    shape = tuple(int(n) for n in rng.integers(2, 5, ndim))
    dim = int(rng.integers(0, ndim))
    index_shape = tuple(int(rng.integers(1, n + 1)) for n in shape)
    src_shape = tuple(n + int(rng.integers(0, 3)) for n in index_shape)
    index = rng.integers(0, shape[dim], index_shape)
    if ndim and index_shape[dim] <= shape[dim]:  # distinct targets, so scatter is well defined
        index = np.argsort(rng.random(index_shape), axis=dim) % shape[dim]
        index = np.take(index, np.arange(index_shape[dim]), axis=dim)
    return rng.standard_normal(shape), dim, index, rng.standard_normal(src_shape)


@FAST
@given(
    name=st.sampled_from(["scatter", "scatter_add", "scatter_"]),
    ndim=st.integers(1, 3),
    seed=st.integers(0, 2**16),
)
def test_scatter_gradient_of_a_larger_src(name, ndim, seed):
    # PyTorch's backward gathers grad at index, a tensor of index's shape, and then refuses it
    # ("returned an invalid gradient ... expected shape compatible with") when src is larger.
    # Only src[:index.shape] is read, so ember gives src the gradient of that part and zeros
    # elsewhere: exactly torch's gradient for the same scatter of the sliced src.
    rng = np.random.default_rng(seed)
    a, dim, index, src = _scatter_case(rng, ndim)
    part = tuple(slice(0, n) for n in index.shape)

    def fn(lib, a, src, *, part=()):
        if name == "scatter_":
            return a.clone().scatter_(dim, lib.from_numpy(index), src[part])
        return getattr(lib, name)(a, dim, lib.from_numpy(index), src[part])

    out = run_both(lambda lib, a, src: fn(lib, a, src, part=part), [a, src], second_order=True)
    assert out[0].grad_fn.name() in ("ScatterBackward0", "ScatterAddBackward0")
    a_e, src_e = (ember.from_numpy(x.copy()).requires_grad_() for x in (a, src))
    upstream = np.random.default_rng(2).standard_normal(a.shape)
    fn(ember, a_e, src_e).backward(ember.from_numpy(upstream))
    a_t, src_t = (torch.from_numpy(x.copy()).requires_grad_() for x in (a, src))
    fn(torch, a_t, src_t, part=part).backward(torch.from_numpy(upstream))
    expected = np.zeros_like(src)
    expected[part] = src_t.grad.numpy()[part]
    assert src_e.grad.shape == src.shape
    np.testing.assert_allclose(src_e.grad.numpy(), expected, rtol=1e-12, atol=1e-14)
    assert_same_tensor(a_e.grad, a_t.grad)
    check_gradcheck(fn, [a, src], second_order=True)
    if src.shape != index.shape:
        with pytest.raises(RuntimeError, match="invalid gradient"):
            a_t, src_t = (torch.from_numpy(x.copy()).requires_grad_() for x in (a, src))
            fn(torch, a_t, src_t).sum().backward()


@pytest.mark.parametrize("ndim", [1, 2, 3])
@pytest.mark.parametrize("shape", [(), (3,), (2, 3), (2, 3, 4)])
def test_atleast_nd_matches_torch_in_shape_grad_fn_identity_and_gradient(ndim, shape):
    name = f"atleast_{ndim}d"
    results = {}
    for lib in (ember, torch):
        x = lib.tensor(np.arange(float(np.prod(shape))).reshape(shape), requires_grad=True)
        y = x * 1
        r = getattr(lib, name)(y)
        r.backward(lib.ones(r.shape, dtype=r.dtype) * 2)
        results[lib] = (tuple(r.shape), type(r.grad_fn).__name__, r is y, x.grad.tolist())
    assert results[ember] == results[torch]
    assert ember.autograd.gradcheck(
        getattr(ember, name), ember.ones(shape, dtype=ember.float64, requires_grad=True)
    )


@pytest.mark.parametrize("name", ["atleast_1d", "atleast_2d", "atleast_3d"])
def test_atleast_nd_of_several_tensors_is_a_tuple_and_a_number_is_a_type_error(name):
    for lib in (ember, torch):
        function = getattr(lib, name)
        pair = function(lib.tensor(1.0), lib.ones(2))
        listed = function([lib.tensor(1.0)])
        assert isinstance(pair, tuple) and isinstance(listed, tuple)
        assert [tuple(t.shape) for t in pair] == [
            tuple(t.shape) for t in getattr(torch, name)(torch.tensor(1.0), torch.ones(2))
        ]
        with pytest.raises(TypeError, match=f"{name}\\(\\) received an invalid combination"):
            function(1.5)


@pytest.mark.parametrize("name", ["atan2", "arctan2"])
def test_atan2_takes_two_tensors_as_function_and_method(name):
    for lib in (ember, torch):
        t = lib.tensor([1.0, -2.0])
        assert getattr(t, name)(t * 2).tolist() == pytest.approx(
            torch.atan2(torch.tensor([1.0, -2.0]), torch.tensor([2.0, -4.0])).tolist()
        )
        message = f"{name}\\(\\): argument 'other'.*must be Tensor"
        with pytest.raises(TypeError, match=message):
            getattr(t, name)(2.0)
        with pytest.raises(TypeError, match=message):
            getattr(lib, name)(t, 2.0)

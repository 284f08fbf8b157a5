"""The Tensor itself: creation functions and legacy constructors, dtypes and the default dtype,
attributes and conversions, memory sharing (from_numpy, .data, views), user attributes, repr,
and plain in-place ops, compared with PyTorch where it has the same thing."""

import numpy as np
import pytest
import torch
from conftest import assert_same_tensor, rng_for

import ember

# ----- creation --------------------------------------------------------------------------------

CREATIONS = {
    "tensor_floats": lambda lib: lib.tensor([[1.0, 2.0], [3.0, 4.5]]),
    "tensor_ints": lambda lib: lib.tensor([1, 2, 3]),
    "tensor_bools": lambda lib: lib.tensor([True, False]),
    "tensor_mixed": lambda lib: lib.tensor([1, 2.5]),
    "tensor_scalar": lambda lib: lib.tensor(3.5),
    "tensor_int_scalar": lambda lib: lib.tensor(7),
    "tensor_dtype": lambda lib: lib.tensor([1, 2], dtype=lib.float64),
    "tensor_numpy_float64": lambda lib: lib.tensor(np.array([1.0, 2.0])),
    "tensor_numpy_int32": lambda lib: lib.tensor(np.array([1, 2], dtype=np.int32)),
    "tensor_of_tensors": lambda lib: lib.tensor([lib.tensor(1.0), lib.tensor(2.0)]),
    "tensor_empty": lambda lib: lib.tensor([]),
    "as_tensor": lambda lib: lib.as_tensor([1.0, 2.0], dtype=lib.float16),
    "zeros": lambda lib: lib.zeros(2, 3),
    "zeros_tuple": lambda lib: lib.zeros((2, 3), dtype=lib.int64),
    "ones": lambda lib: lib.ones(3),
    "ones_list": lambda lib: lib.ones([2, 2], dtype=lib.bool),
    "full": lambda lib: lib.full((2, 2), 1.5),
    "full_int": lambda lib: lib.full((2,), 7),
    "full_bool": lambda lib: lib.full((2,), True),
    "empty_shape": lambda lib: lib.empty(2, 3).shape,
    "zeros_like": lambda lib: lib.zeros_like(lib.tensor([[1, 2]])),
    "ones_like": lambda lib: lib.ones_like(lib.tensor([1.0, 2.0], dtype=lib.float64)),
    "full_like": lambda lib: lib.full_like(lib.tensor([1, 2]), 3),
    "empty_like": lambda lib: lib.empty_like(lib.ones(2, 2)).shape,
    "ones_like_dtype": lambda lib: lib.ones_like(lib.tensor([1, 2]), dtype=lib.float32),
    "arange": lambda lib: lib.arange(5),
    "arange_start_end": lambda lib: lib.arange(2, 7),
    "arange_step": lambda lib: lib.arange(1, 2, 0.25),
    "arange_float": lambda lib: lib.arange(3.0),
    "arange_dtype": lambda lib: lib.arange(4, dtype=lib.float64),
    "linspace": lambda lib: lib.linspace(0, 1, 5),
    "linspace_dtype": lambda lib: lib.linspace(-1, 1, 4, dtype=lib.float64),
    "eye": lambda lib: lib.eye(3),
    "eye_rect": lambda lib: lib.eye(2, 3),
    "eye_dtype": lambda lib: lib.eye(2, dtype=lib.int64),
    "FloatTensor_data": lambda lib: lib.FloatTensor([[1, 2, 3, 4]]),
    "FloatTensor_sizes": lambda lib: lib.FloatTensor(2, 3).shape,
    "DoubleTensor": lambda lib: lib.DoubleTensor([1, 2]),
    "LongTensor": lambda lib: lib.LongTensor([1, 2]),
    "IntTensor": lambda lib: lib.IntTensor([3]),
    "BoolTensor": lambda lib: lib.BoolTensor([True]),
    "Tensor_data": lambda lib: lib.Tensor([1, 2]),
    "Tensor_sizes": lambda lib: lib.Tensor(2, 2).shape,
    "Tensor_empty": lambda lib: lib.Tensor().shape,
    "scalar_tensor": lambda lib: lib.scalar_tensor(2),
}


@pytest.mark.parametrize("name", sorted(CREATIONS))
def test_creation_matches_torch(name):
    made = {lib: CREATIONS[name](lib) for lib in (ember, torch)}
    if isinstance(made[torch], torch.Tensor):
        assert isinstance(made[ember], ember.Tensor)
        assert_same_tensor(made[ember], made[torch], 1e-15, 0)  # linspace may round differently
        assert not made[ember].requires_grad
    else:
        assert tuple(made[ember]) == tuple(made[torch])


def test_creation_with_requires_grad():
    for make in (
        lambda: ember.zeros(2, requires_grad=True),
        lambda: ember.ones(2, 2, requires_grad=True),
        lambda: ember.randn(3, requires_grad=True),
        lambda: ember.tensor([1.0], requires_grad=True),
        lambda: ember.full((2,), 1.0, requires_grad=True),
        lambda: ember.arange(3.0, requires_grad=True),
        lambda: ember.eye(2, requires_grad=True),
    ):
        t = make()
        assert t.requires_grad and t.is_leaf


RANDOM = {
    "rand": lambda lib, g: lib.rand(3, 4, generator=g),
    "rand_tuple": lambda lib, g: lib.rand((2, 2), generator=g),
    "randn": lambda lib, g: lib.randn(2, 3, generator=g),
    "randn_float64": lambda lib, g: lib.randn(4, dtype=lib.float64, generator=g),
    "randint": lambda lib, g: lib.randint(0, 10, (3, 3), generator=g),
    "randint_high": lambda lib, g: lib.randint(5, (4,), generator=g),
    "randperm": lambda lib, g: lib.randperm(6, generator=g),
}


@pytest.mark.parametrize("name", sorted(RANDOM))
def test_random_creation_shapes_dtypes_and_ranges_match_torch(name):
    """ember draws from NumPy's generator, so the numbers differ from PyTorch's; shapes, dtypes
    and ranges agree, and a seed reproduces them."""
    e = RANDOM[name](ember, ember.Generator().manual_seed(0))
    t = RANDOM[name](torch, torch.Generator().manual_seed(0))
    assert tuple(e.shape) == tuple(t.shape) and str(e.dtype)[6:] == str(t.dtype)[6:]
    again = RANDOM[name](ember, ember.Generator().manual_seed(0))
    assert e.tolist() == again.tolist()
    values = e.numpy()
    if name.startswith("rand") and "int" not in name and "perm" not in name and "n" not in name[4:]:
        assert values.min() >= 0 and values.max() < 1
    if name == "randperm":
        assert sorted(values.tolist()) == list(range(6))
    if name.startswith("randint"):
        assert values.min() >= 0 and values.max() < (10 if name == "randint" else 5)


def test_manual_seed_reproduces_the_default_generator():
    ember.manual_seed(123)
    a = ember.randn(5)
    ember.manual_seed(123)
    assert ember.randn(5).tolist() == a.tolist()
    assert ember.initial_seed() == 123
    state = ember.get_rng_state()
    b = ember.rand(3)
    ember.set_rng_state(state)
    assert ember.rand(3).tolist() == b.tolist()


def test_randn_statistics():
    ember.manual_seed(0)
    x = ember.randn(20000).numpy()
    assert abs(x.mean()) < 0.05 and abs(x.std() - 1) < 0.05
    assert ember.randn(3).dtype == ember.float32


# ----- dtypes and the default dtype --------------------------------------------------------------


def test_get_and_set_default_dtype():
    assert ember.get_default_dtype() == ember.float32
    ember.set_default_dtype(ember.float64)
    assert ember.get_default_dtype() == ember.float64
    assert ember.tensor([1.5]).dtype == ember.float64
    assert ember.zeros(2).dtype == ember.float64
    assert ember.randn(2).dtype == ember.float64
    assert ember.arange(2.0).dtype == ember.float64
    assert (ember.arange(3) * 0.5).dtype == ember.float64
    assert ember.tensor([1, 2]).dtype == ember.int64
    assert ember.FloatTensor([1]).dtype == ember.float32  # legacy constructors name their dtype
    ember.set_default_dtype(ember.float32)
    assert ember.tensor([1.5]).dtype == ember.float32
    with pytest.raises(TypeError, match="floating"):
        ember.set_default_dtype(ember.int64)


def test_dtype_objects():
    assert repr(ember.float32) == "ember.float32"
    assert ember.float is ember.float32 and ember.double is ember.float64
    assert ember.long is ember.int64 and ember.half is ember.float16
    assert ember.float32.is_floating_point and not ember.int64.is_floating_point
    assert ember.ones(2).is_floating_point() and not ember.arange(2).is_floating_point()
    for name in ("float16", "float32", "float64", "int32", "int64", "bool"):
        assert ember.ones(2, dtype=getattr(ember, name)).dtype == getattr(ember, name)


# ----- attributes and conversions ---------------------------------------------------------------


def test_attributes_match_torch():
    for lib in (ember, torch):
        x = lib.zeros(2, 3, 4)
        got = (
            tuple(x.shape),
            tuple(x.size()),
            x.size(1),
            x.size(-1),
            x.dim(),
            x.ndim,
            x.numel(),
            x.nelement(),
            str(x.device),
            tuple(x.T.shape),
            tuple(x.mT.shape),
            x.is_leaf,
            x.requires_grad,
            len(x),
            x.is_contiguous(),
        )
        if lib is ember:
            ember_got = got
    assert ember_got == got
    assert ember.zeros(2, 3).shape == (2, 3)
    assert repr(ember.zeros(2, 3).shape) == "ember.Size([2, 3])"
    assert ember.zeros(2, 3).shape.numel() == 6
    assert ember.device("cpu") == ember.zeros(1).device


def test_item_tolist_numpy():
    x = ember.tensor([[1.5, 2.0]])
    assert x.tolist() == [[1.5, 2.0]]
    assert ember.tensor(2.5).item() == 2.5 and isinstance(ember.tensor(3).item(), int)
    assert x[0, 1].item() == 2.0
    assert isinstance(x.numpy(), np.ndarray) and x.numpy().dtype == np.float32
    assert float(ember.tensor(1.5)) == 1.5 and int(ember.tensor(4)) == 4
    with pytest.raises(RuntimeError, match="cannot be converted to Scalar"):
        x.item()
    with pytest.raises(RuntimeError, match=r"Can't call numpy\(\) on Tensor that requires grad"):
        ember.ones(2, requires_grad=True).numpy()
    with pytest.raises(RuntimeError, match="ambiguous"):
        bool(ember.ones(2))


CONVERSIONS = {
    "float": lambda lib, x: x.float(),
    "double": lambda lib, x: x.double(),
    "long": lambda lib, x: x.long(),
    "int": lambda lib, x: x.int(),
    "bool": lambda lib, x: x.bool(),
    "half": lambda lib, x: x.half(),
    "to_dtype": lambda lib, x: x.to(lib.float64),
    "to_device_dtype": lambda lib, x: x.to("cpu", lib.int64),
    "to_kw": lambda lib, x: x.to(dtype=lib.int32),
    "to_other": lambda lib, x: x.to(lib.ones(1, dtype=lib.float64)),
    "type_as": lambda lib, x: x.type_as(lib.ones(1, dtype=lib.int64)),
    "clone": lambda lib, x: x.clone(),
    "contiguous": lambda lib, x: x.t().contiguous(),
    "detach": lambda lib, x: x.detach(),
}


@pytest.mark.parametrize("name", sorted(CONVERSIONS))
def test_conversions_match_torch(name):
    data = np.array([[1.7, -2.2, 0.0], [3.5, 0.5, -0.5]], np.float32)
    made = {lib: CONVERSIONS[name](lib, lib.from_numpy(data.copy())) for lib in (ember, torch)}
    assert_same_tensor(made[ember], made[torch], 0, 0)


def test_conversions_keep_the_graph_and_copy_when_needed():
    x = ember.ones(2, requires_grad=True)
    y = x.double()
    assert y.grad_fn.name() == "ToCopyBackward0"
    (y * 2).sum().backward()
    assert x.grad.dtype == ember.float32 and x.grad.tolist() == [2.0, 2.0]
    assert x.float() is x and x.to(ember.float32) is x  # no conversion, no copy
    c = x.clone()
    assert c.grad_fn.name() == "CloneBackward0" and not np.shares_memory(c._data, x._data)
    assert x.to(ember.float32, copy=True) is not x
    assert (
        x.type() == "ember.FloatTensor"
        and ember.ones(1, dtype=ember.int64).type() == "ember.LongTensor"
    )
    assert x.detach().float().type(ember.float64).dtype == ember.float64


# ----- memory sharing ---------------------------------------------------------------------------


def test_from_numpy_shares_memory_both_ways():
    array = np.arange(6.0).reshape(2, 3)
    t = ember.from_numpy(array)
    assert t.dtype == ember.float64
    array[0, 0] = 10.0
    assert t[0, 0].item() == 10.0
    t[1, 2] = -1.0
    assert array[1, 2] == -1.0
    assert t.numpy() is array or np.shares_memory(t.numpy(), array)
    with pytest.raises(TypeError, match="expected np.ndarray"):
        ember.from_numpy([1.0, 2.0])
    with pytest.raises(TypeError):
        ember.from_numpy(np.array(["a"]))


def test_tensor_copies_and_as_tensor_shares():
    array = np.ones(3, np.float32)
    copied = ember.tensor(array)
    shared = ember.as_tensor(array)
    array[0] = 5.0
    assert copied[0].item() == 1.0 and shared[0].item() == 5.0
    t = ember.ones(2)
    assert ember.as_tensor(t) is t


def test_data_shares_memory_and_is_assignable():
    for lib in (ember, torch):
        w = lib.ones(3, requires_grad=True)
        d = w.data
        assert not d.requires_grad and d.grad_fn is None
        d.mul_(2)  # no autograd error: .data is outside the graph
        assert w.tolist() == [2.0, 2.0, 2.0]
        w.data = lib.zeros(3)
        assert w.tolist() == [0.0, 0.0, 0.0] and w.requires_grad and w.is_leaf
        (w * 3).sum().backward()
        assert w.grad.tolist() == [3.0, 3.0, 3.0]
        w.grad.data.zero_()
        assert w.grad.tolist() == [0.0, 0.0, 0.0]


def test_user_attributes_like_seed_002():
    inp = ember.ones(2, 3)
    out = ember.zeros(2, 4)
    out.g = ember.ones(2, 4)
    inp.g = out.g @ ember.ones(4, 3)
    assert inp.g.shape == (2, 3) and inp.g[0, 0].item() == 4.0
    inp.note = "anything"
    assert inp.note == "anything"


def test_clone_and_detach_memory():
    x = ember.ones(3)
    assert not np.shares_memory(x.clone().numpy(), x.numpy())
    assert np.shares_memory(x.detach().numpy(), x.numpy())
    y = x.t()
    assert np.shares_memory(y.numpy(), x.numpy())


# ----- plain in-place ops -------------------------------------------------------------------------

INPLACE = {
    "add_": lambda lib, x: x.add_(2),
    "add_tensor_alpha": lambda lib, x: x.add_(lib.ones(3), alpha=3),
    "sub_": lambda lib, x: x.sub_(lib.tensor([1.0, 2.0, 3.0])),
    "mul_": lambda lib, x: x.mul_(lib.tensor([[2.0], [3.0]])),
    "div_": lambda lib, x: x.div_(4),
    "zero_": lambda lib, x: x.zero_(),
    "fill_": lambda lib, x: x.fill_(2.5),
    "fill_tensor": lambda lib, x: x.fill_(lib.tensor(1.5)),
    "clamp_": lambda lib, x: x.clamp_(0.5, 2.0),
    "clamp_min_": lambda lib, x: x.clamp_(min=1.0),
    "copy_": lambda lib, x: x.copy_(lib.arange(6).reshape(2, 3)),
    "copy_broadcast": lambda lib, x: x.copy_(lib.tensor([7.0, 8.0, 9.0])),
    "masked_fill_": lambda lib, x: x.masked_fill_(x > 1, -1.0),
    "iadd": lambda lib, x: _iop(x, "+", 1.5),
    "isub": lambda lib, x: _iop(x, "-", lib.ones(2, 3)),
    "imul": lambda lib, x: _iop(x, "*", 2),
    "itruediv": lambda lib, x: _iop(x, "/", lib.tensor([1.0, 2.0, 4.0])),
}


def _iop(x, op, other):
    before = x
    if op == "+":
        x += other
    elif op == "-":
        x -= other
    elif op == "*":
        x *= other
    else:
        x /= other
    assert x is before  # augmented assignment changes the tensor itself
    return x


@pytest.mark.parametrize("name", sorted(INPLACE))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_plain_inplace_ops_match_torch(name, dtype):
    data = np.array([[0.0, 1.0, 2.0], [3.0, -1.0, 0.5]], dtype)
    out = {}
    for lib in (ember, torch):
        x = lib.from_numpy(data.copy())
        view = x[0]
        result = INPLACE[name](lib, x)
        assert result is x
        out[lib] = (x, view)
    assert_same_tensor(out[ember][0], out[torch][0])
    assert_same_tensor(out[ember][1], out[torch][1])  # views see the change


def test_integer_inplace_ops_follow_torch_casting_rules():
    for lib in (ember, torch):
        x = lib.tensor([1, 2, 3])
        x += 2
        x *= 3
        assert x.tolist() == [9, 12, 15] and x.dtype == lib.int64
        with pytest.raises(RuntimeError, match="can't be cast to the desired output type"):
            x += 2.5
        with pytest.raises(RuntimeError, match="can't be cast to the desired output type"):
            x /= 2
        f = lib.ones(2)
        f += lib.tensor([1, 2])
        assert f.dtype == lib.float32 and f.tolist() == [2.0, 3.0]
        with pytest.raises(RuntimeError, match="doesn't match the broadcast shape"):
            lib.ones(3).add_(lib.ones(2, 3))


def test_random_fills_in_place():
    ember.manual_seed(0)
    x = ember.zeros(1000)
    assert x.uniform_(-2, 3) is x
    assert x.min().item() >= -2 and x.max().item() < 3 and x.std().item() > 1
    x.normal_(5, 0.1)
    assert abs(x.mean().item() - 5) < 0.05 and abs(x.std().item() - 0.1) < 0.02
    assert x.dtype == ember.float32


# ----- repr ------------------------------------------------------------------------------------

REPRS = {
    "floats": lambda lib: lib.tensor([1.0, 2.0, 3.0]),
    "decimals": lambda lib: lib.tensor([1.5, 2.25, -0.125]),
    "matrix": lambda lib: lib.tensor([[1.5, 2.0], [3.0, 4.25]]),
    "ints": lambda lib: lib.tensor([[1, 2], [3, 40]]),
    "negative_ints": lambda lib: lib.tensor([-1, 20, 3]),
    "bools": lambda lib: lib.tensor([True, False]),
    "float_scalar": lambda lib: lib.tensor(3.5),
    "int_scalar": lambda lib: lib.tensor(7),
    "float64": lambda lib: lib.tensor([1.0, 2.5], dtype=lib.float64),
    "int32": lambda lib: lib.tensor([1, 2], dtype=lib.int32),
    "float16": lambda lib: lib.tensor([0.5, 1.0], dtype=lib.float16),
    "requires_grad": lambda lib: lib.tensor([1.0, 2.0], requires_grad=True),
    "grad_fn": lambda lib: lib.tensor([1.0, 2.0], requires_grad=True) * 2,
    "grad_fn_sum": lambda lib: (lib.tensor([1.0, 2.0], requires_grad=True) * 2).sum(),
    "float64_grad": lambda lib: lib.tensor([1.5], dtype=lib.float64, requires_grad=True),
    "empty": lambda lib: lib.tensor([]),
    "empty_2d": lambda lib: lib.zeros(0, 3),
    "large": lambda lib: lib.tensor([1e10, 1.0]),
    "small": lambda lib: lib.tensor([1e-5, 1.0]),
    "tiny_and_huge": lambda lib: lib.tensor([1e-8, 1e8]),
    "nan_inf": lambda lib: lib.tensor([float("nan"), float("inf"), -float("inf"), 1.5]),
    "zeros": lambda lib: lib.zeros(2, 3),
    "three_d": lambda lib: lib.arange(12.0).reshape(2, 3, 2),
    "negative_floats": lambda lib: lib.tensor([[-1.5, 2.0], [0.25, -10.0]]),
    "summarised": lambda lib: lib.arange(2000.0),
    "summarised_2d": lambda lib: lib.arange(3000).reshape(3, 1000),
    "wide": lambda lib: lib.arange(30.0) / 7,
    "only_nonfinite": lambda lib: lib.tensor([float("nan"), float("inf")]),
    "zero_and_nan": lambda lib: lib.tensor([0.0, float("nan")]),
    "integers_spanning_widely": lambda lib: lib.tensor([1.0, 2000.0]),
    "small_and_zero": lambda lib: lib.tensor([1e-5, 0.0]),
    "negative_zero": lambda lib: lib.tensor([-0.0, 1.5]),
    "huge_integer": lambda lib: lib.tensor([1e9, 1.0]),
    "summarised_rows": lambda lib: lib.arange(3000.0).reshape(1000, 3),
    "summarised_3d": lambda lib: lib.arange(2400).reshape(10, 10, 24),
    "wide_rows": lambda lib: lib.arange(12.0).reshape(1, 12) * 1000.5,
    "wide_rows_3d": lambda lib: lib.arange(60.0).reshape(2, 2, 15) / 3,
    "long_ints": lambda lib: lib.arange(100),
    "wide_summarised_rows": lambda lib: lib.arange(3000.0).reshape(3, 1000) * 1.5,
    "empty_int": lambda lib: lib.tensor([], dtype=lib.int64),
    "empty_bool_2d": lambda lib: lib.zeros(0, 3, dtype=lib.bool),
    "randn_like": lambda lib: lib.from_numpy(
        rng_for(50).standard_normal((3, 4)).astype(np.float32)
    ),
}


@pytest.mark.parametrize("name", sorted(REPRS))
def test_repr_matches_torch(name):
    expected = repr(REPRS[name](torch)).replace("torch.", "ember.")
    assert repr(REPRS[name](ember)) == expected


@pytest.mark.parametrize("op", ["max", "min", "sort", "topk"])
def test_values_and_indices_print_as_torch_return_types(op):
    def make(lib):
        x = lib.tensor([[1.0, 3.0], [2.0, 0.0]])
        return x.topk(1) if op == "topk" else getattr(x, op)(1) if op != "sort" else x.sort()

    assert repr(make(ember)) == repr(make(torch)).replace("torch", "ember")


def test_repr_under_another_default_dtype():
    ember.set_default_dtype(ember.float64)
    torch.set_default_dtype(torch.float64)
    for make in (
        lambda lib: lib.tensor([1.0, 2.0]),
        lambda lib: lib.tensor([1.0], dtype=lib.float32),
    ):
        assert repr(make(ember)) == repr(make(torch)).replace("torch.", "ember.")


def test_format_and_str():
    assert f"{ember.tensor(2.5):.2f}" == "2.50"
    assert str(ember.tensor([1.0])) == repr(ember.tensor([1.0]))


@pytest.mark.parametrize(
    "convert",
    [
        lambda lib, x: x.long(),
        lambda lib, x: x.int(),
        lambda lib, x: x.bool(),
        lambda lib, x: x.to(lib.int32),
        lambda lib, x: x.type_as(lib.tensor([1])),
        lambda lib, x: x.double(),
        lambda lib, x: x.half(),
    ],
)
def test_conversion_requires_grad_only_when_floating(convert):
    """Integer and bool copies of a tensor that requires grad leave the graph, as in PyTorch."""

    def shown(lib):
        x = lib.tensor([0.3, -1.2], requires_grad=True)
        y = convert(lib, x)
        return str(y.dtype).split(".")[-1], y.requires_grad, y.grad_fn is None

    assert shown(ember) == shown(torch)

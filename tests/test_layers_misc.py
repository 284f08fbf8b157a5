"""Lookups, padding, resizing and channel dropout against PyTorch and finite differences:
embedding (padding_idx, scale_grad_by_freq, max_norm), one_hot, pad (constant, reflect,
replicate, circular, negative pads), interpolate (nearest, nearest-exact, linear, bilinear with
and without align_corners, area), dropout1d/2d/3d; errors."""

import numpy as np
import pytest
import torch
from conftest import check_gradcheck, random_array, rng_for, run_both
from torch_parity import compare_modules, same_weights

import ember
import ember.nn.functional  # noqa: F401


def F(lib):
    return lib.nn.functional


def _array(seed, shape, dtype=np.float64):
    return random_array(rng_for(seed), shape, dtype)


# ----- embedding and one_hot ---------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("padding_idx", [None, 2, -1])
@pytest.mark.parametrize("scale_grad_by_freq", [False, True])
def test_embedding_matches_torch(padding_idx, scale_grad_by_freq, dtype):
    weight = _array(0, (7, 4), dtype)
    indices = rng_for(1).integers(0, 7, (3, 5))
    indices[0, :3] = 6  # repeats, and the padding row (index -1 is row 6)
    run_both(
        lambda lib, w, i: F(lib).embedding(
            i, w, padding_idx=padding_idx, scale_grad_by_freq=scale_grad_by_freq
        ),
        [weight, indices],
    )


def test_embedding_max_norm_renormalizes_looked_up_rows_like_torch():
    weight = _array(2, (6, 3)) * 3
    indices = np.array([[0, 2], [2, 5]])
    tables = {}

    def fn(lib, i):
        table = lib.from_numpy(weight.copy())
        tables[lib] = table
        return F(lib).embedding(i, table, max_norm=1.5)

    run_both(fn, [indices], grad=False)
    np.testing.assert_allclose(tables[ember].numpy(), tables[torch].numpy(), rtol=1e-6)


def test_embedding_gradcheck_and_grad_fn():
    weight = _array(3, (5, 3))
    indices = ember.tensor([[1, 4, 1], [0, 2, 2]])
    check_gradcheck(lambda lib, w: F(lib).embedding(indices, w), [weight], second_order=True)
    w = ember.from_numpy(weight).requires_grad_()
    assert F(ember).embedding(indices, w).grad_fn.name() == "EmbeddingBackward0"


def test_one_hot_matches_torch():
    labels = np.array([[1, 3], [0, 2]])
    run_both(lambda lib, t: F(lib).one_hot(t, 5), [labels], grad=False)
    run_both(lambda lib, t: F(lib).one_hot(t), [labels], grad=False)


@pytest.mark.parametrize(
    "call, error, message",
    [
        (
            lambda F: F.embedding(ember.tensor([1.0]), ember.zeros(3, 2)),
            RuntimeError,
            "expected indices to be an integer",
        ),
        (
            lambda F: F.embedding(ember.tensor([3]), ember.zeros(3, 2)),
            IndexError,
            "index out of range",
        ),
        (
            lambda F: F.embedding(ember.tensor([0]), ember.zeros(3, 2), padding_idx=3),
            AssertionError,
            "Padding_idx must be within num_embeddings",
        ),
        (
            lambda F: F.one_hot(ember.tensor([1, 4]), 3),
            RuntimeError,
            "class values must be smaller than num_classes",
        ),
        (lambda F: F.one_hot(ember.tensor([-1]), 3), RuntimeError, "non-negative"),
    ],
)
def test_lookup_errors_name_the_problem(call, error, message):
    with pytest.raises(error) as info:
        call(F(ember))
    assert message in str(info.value)


# ----- pad ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate", "circular"])
@pytest.mark.parametrize(
    "shape, pads",
    [
        ((2, 3, 5, 6), (1, 2, 2, 1)),
        ((2, 3, 5), (3, 1)),
        ((2, 3, 5, 6), (-1, 2, 0, -2)),
        ((1, 2, 3, 4, 5), (1, 0, 2, 1, 0, 1)),
    ],
)
def test_pad_matches_torch(mode, shape, pads):
    x = _array(4, shape)
    run_both(lambda lib, x: F(lib).pad(x, pads, mode=mode), [x])


def test_pad_constant_value_and_grad_fn_names():
    x = _array(5, (2, 3, 4))
    run_both(lambda lib, x: F(lib).pad(x, (1, 2, 0, 1, 1, 0), value=2.5), [x])
    xe = ember.from_numpy(x).requires_grad_()
    assert F(ember).pad(xe, (1, 1)).grad_fn.name() == "ConstantPadNdBackward0"
    assert F(ember).pad(xe, (1, 1), mode="reflect").grad_fn.name() == "ReflectionPad1DBackward0"
    assert (
        F(ember).pad(xe[None], (1, 1, 1, 1), mode="replicate").grad_fn.name()
        == "ReplicationPad2DBackward0"
    )


def test_pad_gradchecks():
    x = _array(6, (1, 2, 3, 4))
    for mode in ("constant", "reflect", "replicate", "circular"):
        check_gradcheck(
            lambda lib, x, mode=mode: F(lib).pad(x, (1, 2, 2, 1), mode=mode), [x], second_order=True
        )


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda F, x: F.pad(x, (1,)), "divisible by 2"),
        (lambda F, x: F.pad(x, (4, 0), mode="reflect"), "should be less than"),
        (lambda F, x: F.pad(x, (1, 1), mode="wrap"), "unknown padding mode 'wrap'"),
        (lambda F, x: F.pad(x, (1, 1), mode="reflect", value=1.0), "doesn't take in value"),
        (lambda F, x: F.pad(x[0], (1, 1, 1, 1), mode="reflect"), "expects a 3D or 4D input"),
    ],
)
def test_pad_errors_name_the_problem(call, message):
    x = ember.zeros(1, 2, 4)
    with pytest.raises((RuntimeError, ValueError, NotImplementedError)) as info:
        call(F(ember), x)
    assert message in str(info.value)


# ----- interpolate -------------------------------------------------------------------------------

INTERPOLATE_2D = [
    {"scale_factor": 2},
    {"size": (7, 9)},
    {"scale_factor": (1.5, 0.7)},
    {"size": (3, 4), "mode": "nearest-exact"},
    {"scale_factor": 2, "mode": "bilinear"},
    {"size": (7, 4), "mode": "bilinear", "align_corners": True},
    {"size": (7, 4), "mode": "bilinear"},
    {"scale_factor": (1.7, 0.6), "mode": "bilinear"},
    {"size": (3, 4), "mode": "area"},
    {"size": 1, "mode": "bilinear", "align_corners": True},
]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("kwargs", INTERPOLATE_2D)
def test_interpolate_2d_matches_torch(kwargs, dtype):
    x = _array(7, (2, 3, 5, 6), dtype)
    run_both(lambda lib, x: F(lib).interpolate(x, **kwargs), [x])


@pytest.mark.parametrize(
    "kwargs",
    [
        {"size": 8, "mode": "linear"},
        {"scale_factor": 1.5, "mode": "linear", "align_corners": True},
        {"scale_factor": 3},
    ],
)
def test_interpolate_1d_matches_torch(kwargs):
    x = _array(8, (2, 3, 5))
    run_both(lambda lib, x: F(lib).interpolate(x, **kwargs), [x])


def test_interpolate_gradchecks():
    x = _array(9, (1, 2, 3, 4))
    check_gradcheck(
        lambda lib, x: F(lib).interpolate(x, scale_factor=(1.7, 0.6), mode="bilinear"),
        [x],
        second_order=True,
    )
    check_gradcheck(lambda lib, x: F(lib).interpolate(x, size=(5, 7)), [x], second_order=True)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda F, x: F.interpolate(x), "only one of size or scale_factor"),
        (lambda F, x: F.interpolate(x, size=3, mode="linear"), "but linear mode needs 3D input"),
        (lambda F, x: F.interpolate(x, size=3, align_corners=True), "align_corners option"),
        (lambda F, x: F.interpolate(x, size=3, mode="lanczos"), "'lanczos' is not supported"),
        (lambda F, x: F.interpolate(x[0, 0], size=3), "expected a 3D, 4D or 5D input"),
    ],
)
def test_interpolate_errors_name_the_problem(call, message):
    x = ember.zeros(1, 2, 4, 4)
    with pytest.raises((ValueError, NotImplementedError)) as info:
        call(F(ember), x)
    assert message in str(info.value)


# ----- channel dropout ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, shape, mask_shape",
    [
        ("dropout2d", (50, 40, 3, 3), (50, 40, 1, 1)),
        ("dropout1d", (40, 50, 4), (40, 50, 1)),
        ("dropout1d", (400, 5), (400, 1)),
        ("dropout3d", (30, 40, 2, 2, 2), (30, 40, 1, 1, 1)),
    ],
)
def test_channel_dropout_zeroes_whole_channels(name, shape, mask_shape):
    ember.manual_seed(0)
    x = ember.ones(*shape, requires_grad=True)
    out = getattr(F(ember), name)(x, 0.3)
    data = out.detach().numpy()
    leading = int(np.prod([n for n in mask_shape if n != 1]))
    channels = data.reshape(leading, -1)
    assert (channels == channels[:, :1]).all()  # a channel is kept or dropped as a whole
    assert set(np.unique(data)) <= {0.0, np.float32(1 / 0.7)}
    assert abs((channels[:, 0] == 0).mean() - 0.3) < 0.05
    out.backward(ember.ones(*shape))
    np.testing.assert_allclose(x.grad.numpy(), data)  # the gradient is the same mask
    assert out.grad_fn.name() == "MulBackward0"


def test_channel_dropout_is_identity_in_eval_and_rejects_bad_p():
    x = ember.randn(2, 3, 4, 4)
    assert F(ember).dropout2d(x, 0.5, training=False) is x
    with pytest.raises(ValueError, match="between 0 and 1"):
        F(ember).dropout2d(x, 1.5)


# ----- modules -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs", [{}, {"padding_idx": 1}, {"scale_grad_by_freq": True}, {"max_norm": 1.0}]
)
def test_embedding_module_matches_torch(kwargs):
    theirs = torch.nn.Embedding(6, 3, **kwargs).double()
    mine = ember.nn.Embedding(6, 3, **kwargs).double()
    same_weights(mine, theirs)
    indices = np.array([[1, 4, 1], [0, 5, 1]])
    compare_modules(mine, theirs, [indices])


def test_embedding_protocol_equals_autograd_and_defaults_are_pytorchs():
    ember.manual_seed(0)
    table = ember.nn.LookupTable(50, 40, paddingValue=3)
    assert isinstance(table, ember.nn.Embedding) and table.padding_idx == 3
    weight = table.weight.detach().numpy()
    assert not weight[3].any() and abs(weight.std() - 1) < 0.1  # N(0, 1), padding row zero
    x, g = ember.tensor([[1, 3, 1], [7, 2, 3]]), ember.randn(2, 3, 40)
    table.zeroGradParameters()
    table.forward(x)
    grad_input = table.backward(x, g, 0.5)
    assert not grad_input.numpy().any() and grad_input.shape == x.shape
    by_protocol = table.weight.grad.numpy().copy()
    table.zero_grad()
    table(x).backward(g)
    np.testing.assert_allclose(by_protocol, 0.5 * table.weight.grad.numpy())
    assert not by_protocol[3].any()
    pretrained = ember.nn.Embedding.from_pretrained(ember.ones(4, 2))
    assert not pretrained.weight.requires_grad


@pytest.mark.parametrize(
    "name, shape",
    [("Dropout2d", (3, 4, 3, 3)), ("Dropout1d", (3, 4, 5)), ("Dropout3d", (2, 3, 2, 2, 2))],
)
def test_channel_dropout_modules_pass_the_harness(name, shape):
    layer = getattr(ember.nn, name)(0.4)
    ember.testing.check_module(layer, ember.randn(*shape))
    layer.eval()
    x = ember.randn(*shape)
    assert layer(x) is x
    # protocol and autograd drop the same channels: the gradient is gradOutput * mask
    layer.train()
    ember.manual_seed(1)
    out = layer.forward(x)
    grad = layer.backward(x, ember.ones(*shape))
    np.testing.assert_allclose(grad.numpy(), (out.numpy() != 0) / 0.6, rtol=1e-6)

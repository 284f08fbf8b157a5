"""Normalization against PyTorch and finite differences: batch_norm (training and eval, running
statistics and momentum, with and without affine, 2-D to 5-D), layer_norm, group_norm, rms_norm;
first and second-order gradients; errors."""

import numpy as np
import pytest
import torch
from conftest import check_gradcheck, random_array, rng_for, run_both
from torch_parity import compare_modules, same_weights

import ember
import ember.nn.functional  # noqa: F401


def F(lib):
    return lib.nn.functional


def _arrays(seed, *shapes, dtype=np.float64):
    rng = rng_for(seed)
    return [random_array(rng, s, dtype) for s in shapes]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shape", [(6, 3), (4, 3, 5), (4, 3, 5, 2), (2, 3, 2, 3, 2)])
@pytest.mark.parametrize("affine", [True, False])
def test_batch_norm_training_matches_torch_with_running_stats(shape, affine, dtype):
    x, w, b, mean = _arrays(0, shape, (3,), (3,), (3,), dtype=dtype)
    var = rng_for(1).uniform(0.5, 2, 3).astype(dtype)
    stats = {}

    def fn(lib, x, *params):
        running = (lib.from_numpy(mean.copy()), lib.from_numpy(var.copy()))
        stats[lib] = running
        return F(lib).batch_norm(
            x, *running, *(params or (None, None)), training=True, momentum=0.3, eps=1e-4
        )

    run_both(fn, [x, w, b] if affine else [x], second_order=dtype == np.float64)
    for mine, theirs in zip(stats[ember], stats[torch]):
        np.testing.assert_allclose(mine.numpy(), theirs.numpy(), rtol=1e-5)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_batch_norm_eval_uses_running_stats(dtype):
    x, w, b, mean = _arrays(2, (4, 3, 5), (3,), (3,), (3,), dtype=dtype)
    var = rng_for(3).uniform(0.5, 2, 3).astype(dtype)
    run_both(
        lambda lib, x, w, b: F(lib).batch_norm(
            x, lib.from_numpy(mean.copy()), lib.from_numpy(var.copy()), w, b, training=False
        ),
        [x, w, b],
        second_order=dtype == np.float64,
    )


def test_batch_norm_training_without_running_stats():
    (x,) = _arrays(4, (5, 2, 3))
    run_both(lambda lib, x: F(lib).batch_norm(x, None, None, training=True), [x], second_order=True)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("normalized", [(4,), (3, 4)])
def test_layer_norm_matches_torch(normalized, dtype):
    x, w, b = _arrays(5, (2, 3, 4), normalized, normalized, dtype=dtype)
    run_both(
        lambda lib, x, w, b: F(lib).layer_norm(x, normalized, w, b, eps=1e-3),
        [x, w, b],
        second_order=dtype == np.float64,
    )
    run_both(lambda lib, x: F(lib).layer_norm(x, normalized), [x])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(
    "shape, groups", [((2, 6, 3), 3), ((2, 6, 2, 3), 2), ((3, 4), 2), ((2, 6, 5), 1)]
)
def test_group_norm_matches_torch(shape, groups, dtype):
    x, w, b = _arrays(6, shape, shape[1:2], shape[1:2], dtype=dtype)
    run_both(
        lambda lib, x, w, b: F(lib).group_norm(x, groups, w, b),
        [x, w, b],
        second_order=dtype == np.float64,
    )
    run_both(lambda lib, x: F(lib).group_norm(x, groups), [x])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("eps", [None, 1e-3])
def test_rms_norm_matches_torch(eps, dtype):
    x, w = _arrays(7, (2, 3, 4), (3, 4), dtype=dtype)
    run_both(
        lambda lib, x, w: F(lib).rms_norm(x, (3, 4), w, eps=eps),
        [x, w],
        second_order=dtype == np.float64,
    )
    run_both(lambda lib, x: F(lib).rms_norm(x, (4,), eps=eps), [x])


def test_norm_gradchecks():
    x, w, b = _arrays(8, (3, 2, 3), (2,), (2,))
    check_gradcheck(
        lambda lib, x, w, b: F(lib).batch_norm(x, None, None, w, b, training=True),
        [x, w, b],
        second_order=True,
    )
    lw, lb = _arrays(9, (2, 3), (2, 3))
    check_gradcheck(
        lambda lib, x, w, b: F(lib).layer_norm(x, (2, 3), w, b), [x, lw, lb], second_order=True
    )
    check_gradcheck(
        lambda lib, x, w, b: F(lib).group_norm(x, 2, w, b), [x, w, b], second_order=True
    )
    check_gradcheck(lambda lib, x, w: F(lib).rms_norm(x, (2, 3), w), [x, lw], second_order=True)


def test_running_stats_version_counter_moves():
    mean, var = ember.zeros(3), ember.ones(3)
    before = mean._version
    F(ember).batch_norm(ember.randn(4, 3), mean, var, training=True)
    assert mean._version > before and var.abs().sum().item() > 0


@pytest.mark.parametrize(
    "call, message",
    [
        (
            lambda F, x: F.batch_norm(x[:1, :, :1], None, None, training=True),
            "Expected more than 1 value per channel",
        ),
        (lambda F, x: F.batch_norm(x, None, None), "must be defined in evaluation mode"),
        (lambda F, x: F.batch_norm(x, ember.zeros(4), ember.ones(4)), "running_mean of size [3]"),
        (
            lambda F, x: F.batch_norm(
                x, ember.zeros(3).double(), ember.ones(3).double(), training=True
            ),
            "expected running_mean to have the input's dtype",
        ),
        (lambda F, x: F.layer_norm(x, (4,)), "expected input with shape [*, 4]"),
        (lambda F, x: F.group_norm(x, 2), "divisible by num_groups"),
        (lambda F, x: F.rms_norm(x, (3, 4)), "expected input with shape [*, 3, 4]"),
        (lambda F, x: F.layer_norm(x.long(), (5,)), "expected a floating point input"),
    ],
)
def test_norm_errors_name_the_problem(call, message):
    x = ember.zeros(2, 3, 5)
    with pytest.raises((RuntimeError, ValueError)) as info:
        call(F(ember), x)
    assert message in str(info.value)


# ----- modules -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, args, kwargs, shape",
    [
        ("BatchNorm1d", (3,), {}, (5, 3)),
        ("BatchNorm1d", (3,), {"momentum": None}, (4, 3, 2)),
        ("BatchNorm2d", (3,), {"affine": False}, (4, 3, 3, 2)),
        ("BatchNorm2d", (3,), {"track_running_stats": False}, (4, 3, 2, 2)),
        ("BatchNorm3d", (2,), {"momentum": 0.5}, (2, 2, 2, 3, 2)),
    ],
)
def test_batch_norm_modules_track_running_stats_like_torch(name, args, kwargs, shape):
    theirs = getattr(torch.nn, name)(*args, **kwargs).double()
    mine = getattr(ember.nn, name)(*args, **kwargs).double()
    same_weights(mine, theirs)
    for step in range(3):  # running statistics over several batches, then eval
        (x,) = _arrays(20 + step, shape)
        compare_modules(mine, theirs, [x], seed=step)
    mine.eval()
    theirs.eval()
    (x,) = _arrays(30, shape)
    compare_modules(mine, theirs, [x])
    ember.testing.check_module(mine, ember.from_numpy(x))
    mine.train()
    ember.testing.check_module(mine, ember.from_numpy(x))


@pytest.mark.parametrize(
    "name, args, kwargs, shape",
    [
        ("LayerNorm", ((3, 4),), {}, (2, 5, 3, 4)),
        ("LayerNorm", (4,), {"elementwise_affine": False}, (3, 4)),
        ("LayerNorm", (4,), {"bias": False, "eps": 1e-3}, (3, 2, 4)),
        ("GroupNorm", (2, 4), {}, (3, 4, 5)),
        ("GroupNorm", (3, 6), {"affine": False}, (2, 6, 2, 2)),
        ("RMSNorm", (4,), {}, (3, 5, 4)),
        ("RMSNorm", ((2, 4),), {"eps": 1e-4}, (3, 2, 4)),
    ],
)
def test_norm_modules_match_torch_and_pass_the_harness(name, args, kwargs, shape):
    theirs = getattr(torch.nn, name)(*args, **kwargs).double()
    mine = getattr(ember.nn, name)(*args, **kwargs).double()
    same_weights(mine, theirs)
    (x,) = _arrays(40, shape)
    compare_modules(mine, theirs, [x])
    ember.testing.check_module(mine, ember.from_numpy(x))


def test_torch7_batch_normalization_names_and_defaults():
    layer = ember.nn.BatchNormalization(3)
    assert isinstance(layer, ember.nn.BatchNorm1d) and layer.momentum == 0.1
    spatial = ember.nn.SpatialBatchNormalization(3, 1e-3, 0.2, False)
    assert isinstance(spatial, ember.nn.BatchNorm2d) and spatial.weight is None
    np.testing.assert_array_equal(layer.weight.detach().numpy(), np.ones(3))
    np.testing.assert_array_equal(layer.running_var.numpy(), np.ones(3))
    assert int(layer.num_batches_tracked.item()) == 0
    layer(ember.randn(4, 3))
    assert int(layer.num_batches_tracked.item()) == 1
    assert list(layer.state_dict()) == [
        "weight",
        "bias",
        "running_mean",
        "running_var",
        "num_batches_tracked",
    ]


def test_batch_norm_module_rejects_wrong_dims():
    with pytest.raises(ValueError, match="expected 4D input"):
        ember.nn.BatchNorm2d(3)(ember.zeros(2, 3))

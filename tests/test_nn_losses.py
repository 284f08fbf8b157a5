"""Every loss of ember.nn: as a PyTorch loss (value and gradients against torch.nn, every
reduction, float32 and float64), as a Torch7 criterion (forward/backward, sizeAverage), through
the conformance harness, and its errors."""

import warnings

import numpy as np
import pytest
import torch
from conftest import assert_close
from hypothesis import given, settings
from hypothesis import strategies as st

import ember
from ember import nn
from ember.testing import check_module

FAST = settings(max_examples=10, deadline=None)
REDUCTIONS = ["mean", "sum", "none"]


def inputs(kind, rng, shape=(4, 3)):
    """(input, target, whether the target is differentiable in torch) for a kind of loss."""
    if kind == "regression":
        return rng.standard_normal(shape), rng.standard_normal(shape), True
    n_classes = shape[1] if len(shape) > 1 else shape[0]
    classes = rng.integers(0, n_classes, shape[:1] + shape[2:] if len(shape) > 1 else ())
    if kind == "log-probs":
        x = rng.standard_normal(shape)
        axis = 1 if len(shape) > 1 else 0
        return x - np.log(np.exp(x).sum(axis, keepdims=True)), classes, False
    if kind == "logits":
        return rng.standard_normal(shape), classes, False
    if kind == "logits-probs":
        p = rng.random(shape)
        return rng.standard_normal(shape), p / p.sum(1, keepdims=True), True
    if kind == "probs":
        return rng.uniform(0.05, 0.95, shape), rng.random(shape), True
    if kind == "binary-logits":
        return rng.standard_normal(shape) * 3, rng.random(shape), True
    if kind == "kl":
        x = rng.standard_normal(shape)
        p = rng.random(shape) + 0.05
        return x - np.log(np.exp(x).sum(1, keepdims=True)), p / p.sum(1, keepdims=True), True
    raise ValueError(kind)


WEIGHT = [0.5, 2.0, 1.5]
# (id, constructor given (lib, reduction), kind of inputs)
LOSSES = [
    ("mse", lambda lib, r: lib.nn.MSELoss(reduction=r), "regression"),
    ("l1", lambda lib, r: lib.nn.L1Loss(reduction=r), "regression"),
    ("smooth-l1", lambda lib, r: lib.nn.SmoothL1Loss(reduction=r, beta=0.8), "regression"),
    ("smooth-l1-beta0", lambda lib, r: lib.nn.SmoothL1Loss(reduction=r, beta=0.0), "regression"),
    ("huber", lambda lib, r: lib.nn.HuberLoss(reduction=r, delta=0.6), "regression"),
    ("nll", lambda lib, r: lib.nn.NLLLoss(reduction=r), "log-probs"),
    (
        "nll-weight-ignore",
        lambda lib, r: lib.nn.NLLLoss(
            lib.tensor(WEIGHT, dtype=lib.float64), ignore_index=1, reduction=r
        ),
        "log-probs",
    ),
    ("cross-entropy", lambda lib, r: lib.nn.CrossEntropyLoss(reduction=r), "logits"),
    (
        "cross-entropy-weight-ignore",
        lambda lib, r: lib.nn.CrossEntropyLoss(
            lib.tensor(WEIGHT, dtype=lib.float64), ignore_index=2, reduction=r
        ),
        "logits",
    ),
    (
        "cross-entropy-smoothing",
        lambda lib, r: lib.nn.CrossEntropyLoss(
            lib.tensor(WEIGHT, dtype=lib.float64), label_smoothing=0.2, reduction=r
        ),
        "logits",
    ),
    (
        "cross-entropy-smoothing-ignore",
        lambda lib, r: lib.nn.CrossEntropyLoss(ignore_index=0, label_smoothing=0.1, reduction=r),
        "logits",
    ),
    ("cross-entropy-probs", lambda lib, r: lib.nn.CrossEntropyLoss(reduction=r), "logits-probs"),
    (
        "cross-entropy-probs-weight-smoothing",
        lambda lib, r: lib.nn.CrossEntropyLoss(
            lib.tensor(WEIGHT, dtype=lib.float64), label_smoothing=0.3, reduction=r
        ),
        "logits-probs",
    ),
    ("bce", lambda lib, r: lib.nn.BCELoss(reduction=r), "probs"),
    (
        "bce-weight",
        lambda lib, r: lib.nn.BCELoss(lib.tensor(WEIGHT, dtype=lib.float64), reduction=r),
        "probs",
    ),
    ("bce-logits", lambda lib, r: lib.nn.BCEWithLogitsLoss(reduction=r), "binary-logits"),
    (
        "bce-logits-weights",
        lambda lib, r: lib.nn.BCEWithLogitsLoss(
            lib.tensor(WEIGHT, dtype=lib.float64),
            reduction=r,
            pos_weight=lib.tensor([3.0, 0.5, 1.0], dtype=lib.float64),
        ),
        "binary-logits",
    ),
    ("kl-div", lambda lib, r: lib.nn.KLDivLoss(reduction=r), "kl"),
    ("kl-div-log-target", lambda lib, r: lib.nn.KLDivLoss(reduction=r, log_target=True), "kl"),
]
LOSS_IDS = [i for i, _, _ in LOSSES]


def as_lib(lib, array, dtype):
    if array.dtype.kind == "i":
        return lib.from_numpy(array.astype(np.int64))
    return lib.from_numpy(array.astype(dtype))


def run_loss(lib, make, reduction, x, target, dtype, target_grad):
    loss_fn = make(lib, reduction).to(getattr(lib, dtype))
    xt = as_lib(lib, x, dtype).requires_grad_()
    tt = as_lib(lib, target, dtype)
    if target_grad:
        tt.requires_grad_()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # KLDivLoss's 'mean' warning, in both libraries
        loss = loss_fn(xt, tt)
    upstream = np.cos(np.arange(loss.numel())).reshape(tuple(loss.shape)).astype(dtype)
    loss.backward(lib.from_numpy(upstream))
    return loss, xt.grad, tt.grad if target_grad else None


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("make, kind", [(m, k) for _, m, k in LOSSES], ids=LOSS_IDS)
def test_loss_matches_torch(make, kind, reduction, dtype):
    x, target, target_grad = inputs(kind, np.random.default_rng(0))
    results = [
        run_loss(lib, make, reduction, x, target, dtype, target_grad) for lib in (ember, torch)
    ]
    tol = {"float32": (2e-5, 2e-6), "float64": (1e-10, 1e-12)}[dtype]
    for what, e, t in zip(("loss", "input grad", "target grad"), *results):
        if t is not None:
            assert_close(e, t, *tol, what=what)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("make, kind", [(m, k) for _, m, k in LOSSES], ids=LOSS_IDS)
def test_loss_passes_the_harness(make, kind, reduction):
    x, target, _ = inputs(kind, np.random.default_rng(1))
    target = as_lib(ember, target, "float64")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check_module(make(ember, reduction), ember.from_numpy(x), target=target)


@pytest.mark.parametrize("make, kind", [(m, k) for _, m, k in LOSSES], ids=LOSS_IDS)
def test_criterion_protocol_matches_autograd(make, kind):
    x, target, _ = inputs(kind, np.random.default_rng(2))
    criterion = make(ember, "mean").double()
    xe, te = ember.from_numpy(x), as_lib(ember, target, "float64")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        loss = criterion.forward(xe, te)
        assert loss is criterion.output and loss.ndim == 0
        grad = criterion.backward(xe, te)
        assert grad is criterion.gradInput
        leaf = ember.from_numpy(x.copy()).requires_grad_()
        criterion(leaf, te).backward()
    assert_close(grad, leaf.grad, 1e-12, 1e-14)


def test_unbatched_and_spatial_classification_match_torch():
    rng = np.random.default_rng(5)
    cases = [((3,), "logits"), ((2, 3, 4), "logits"), ((2, 3, 2, 2), "logits")]
    for shape, kind in cases:
        x, target, _ = inputs(kind, rng, shape)
        for make in (
            lambda lib, r: lib.nn.CrossEntropyLoss(),
            lambda lib, r: lib.nn.CrossEntropyLoss(label_smoothing=0.1),
            lambda lib, r: lib.nn.NLLLoss(reduction="none"),
        ):
            results = [
                run_loss(lib, make, None, x, target, "float64", False) for lib in (ember, torch)
            ]
            for e, t in zip(*results):
                if t is not None:
                    assert_close(e, t, 1e-10, 1e-12)


@FAST
@given(
    shape=st.lists(st.integers(1, 4), min_size=0, max_size=3),
    seed=st.integers(0, 2**16),
    reduction=st.sampled_from(REDUCTIONS),
)
def test_regression_losses_random_shapes(shape, seed, reduction):
    x, target, _ = inputs("regression", np.random.default_rng(seed), tuple(shape))
    for make in (
        lambda lib, r: lib.nn.MSELoss(reduction=r),
        lambda lib, r: lib.nn.L1Loss(reduction=r),
        lambda lib, r: lib.nn.HuberLoss(reduction=r),
    ):
        results = [
            run_loss(lib, make, reduction, x, target, "float64", True) for lib in (ember, torch)
        ]
        for e, t in zip(*results):
            assert_close(e, t, 1e-10, 1e-12)


def test_torch7_criteria():
    assert nn.MSECriterion is nn.MSELoss and nn.AbsCriterion is nn.L1Loss
    assert nn.ClassNLLCriterion is nn.NLLLoss and nn.BCECriterion is nn.BCELoss
    assert nn.CrossEntropyCriterion is nn.CrossEntropyLoss
    criterion = nn.MSECriterion()
    assert criterion.sizeAverage and criterion.reduction == "mean"
    criterion.sizeAverage = False
    assert criterion.reduction == "sum"
    assert nn.MSECriterion(False).reduction == "sum"  # Torch7's nn.MSECriterion(sizeAverage)
    assert nn.ClassNLLCriterion(None, False).reduction == "sum"
    x = ember.tensor([[1.0, 2.0], [3.0, 5.0]])
    y = ember.zeros(2, 2)
    assert criterion.forward(x, y).item() == 39.0
    np.testing.assert_array_equal(criterion.backward(x, y).numpy(), 2 * x.numpy())
    criterion.sizeAverage = True
    np.testing.assert_array_equal(criterion.backward(x, y).numpy(), 2 * x.numpy() / 4)


def test_loss_errors():
    x = ember.randn(4, 3)
    with pytest.raises(ValueError, match="avg is not a valid value for reduction"):
        nn.MSELoss(reduction="avg")
    with pytest.raises(ValueError, match="batchmean is not a valid value"):
        nn.MSELoss(reduction="batchmean")
    with pytest.raises(IndexError, match="Target 3 is out of bounds"):
        nn.NLLLoss()(x, ember.tensor([0, 1, 3, 2]))
    with pytest.raises(
        ValueError,
        match=r"Expected input batch_size \(4\) to match target "
        r"batch_size \(2\)",
    ):
        nn.CrossEntropyLoss()(x, ember.tensor([0, 1]))
    with pytest.raises(RuntimeError, match="Long or Byte, but got Float"):
        nn.NLLLoss()(x, ember.tensor([0.0, 1.0, 1.0, 2.0]))
    with pytest.raises(
        RuntimeError, match="weight tensor should be defined either for all 3 classes"
    ):
        nn.NLLLoss(weight=ember.ones(2))(x, ember.tensor([0, 1, 1, 2]))
    with pytest.raises(RuntimeError, match="between 0 and 1"):
        nn.BCELoss()(x, ember.rand(4, 3))
    with pytest.raises(ValueError, match="Target size"):
        nn.BCEWithLogitsLoss()(x, ember.rand(4, 2))
    with pytest.raises(RuntimeError, match="label_smoothing must be between"):
        nn.functional.cross_entropy(x, ember.tensor([0, 1, 1, 2]), label_smoothing=1.5)
    with pytest.raises(RuntimeError, match="cannot be broadcast"):
        nn.MSELoss()(x, ember.randn(4, 2))
    with pytest.warns(UserWarning, match="different to the input size"):
        nn.MSELoss()(x, ember.randn(1, 3))
    with pytest.raises(RuntimeError, match="non-positive values for delta"):
        nn.HuberLoss(delta=0.0)(x, x)
    with pytest.raises(RuntimeError, match="the derivative for 'weight' is not implemented"):
        nn.functional.binary_cross_entropy(
            ember.rand(3), ember.rand(3), weight=ember.ones(3, requires_grad=True)
        )
    with pytest.raises(TypeError, match="must be a Tensor"):
        nn.MSELoss()(x, [1.0, 2.0])


def test_functional_losses_accept_legacy_arguments():
    x, y = ember.randn(3, 2), ember.randn(3, 2)
    f = nn.functional
    assert f.mse_loss(x, y, size_average=False).item() == pytest.approx(
        f.mse_loss(x, y, reduction="sum").item()
    )
    assert f.l1_loss(x, y, reduce=False).shape == (3, 2)
    assert f.kl_div(ember.log_softmax(x, 1), ember.softmax(y, 1), reduction="batchmean").ndim == 0


@pytest.mark.parametrize("lib", ["ember", "torch"])
def test_elementwise_mean_is_the_old_name_of_mean_with_a_warning(lib):
    lib = ember if lib == "ember" else torch
    x, y = lib.tensor([1.0, 2.0, 4.0]), lib.tensor([0.0, 2.0, 1.0])
    with pytest.warns(UserWarning, match="elementwise_mean' is deprecated"):
        old = lib.nn.functional.mse_loss(x, y, reduction="elementwise_mean")
    with pytest.warns(UserWarning, match="elementwise_mean' is deprecated"):
        module = lib.nn.L1Loss(reduction="elementwise_mean")(x, y)
    assert old.item() == pytest.approx(10 / 3) and module.item() == pytest.approx(4 / 3)
    with pytest.raises(ValueError, match="bad is not a valid value for reduction"):
        lib.nn.functional.mse_loss(x, y, reduction="bad")

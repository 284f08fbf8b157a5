"""The rest of PyTorch's losses (Poisson and Gaussian NLL, hinge embedding, soft margin, the
multi-class and multi-label margins, triplet margins) and the edge cases of the older ones (empty
batches, mixed float dtypes, broadcast targets, target dtypes, grad_fn names), each against torch
from the same arrays; the new ops by finite differences, the new modules through check_module."""

import warnings

import numpy as np
import pytest
import torch
from conftest import check_gradcheck, run_both

import ember
from ember.testing import check_module

REDUCTIONS = ["none", "mean", "sum"]
DTYPES = [np.float64, np.float32]


def F(lib):
    return lib.nn.functional


def arrays(dtype, seed=0):
    """Scores, a second input, non-negative counts, +1/-1 signs (one 0), 0/1 labels."""
    rng = np.random.default_rng(seed)
    x, y = rng.standard_normal((2, 4, 3)).astype(dtype)
    counts = rng.uniform(0.0, 3.0, (4, 3)).astype(dtype)
    counts[0, 0], counts[1, 1] = 0, 1  # the edges of the Stirling term's mask
    signs = np.sign(y)
    signs[0, 0] = 0
    return x, y, counts, signs, (y > 0).astype(dtype)


MULTI_TARGET = np.array([1, 0, 2, 1])
MULTILABEL_TARGET = np.array([[1, -1, 0], [0, 2, -1], [2, 1, 0], [-1, 0, 1]])


def cases(dtype):
    """(id, fn(lib, *tensors), arrays): float arrays become tensors that require grad."""
    x, y, counts, signs, labels = arrays(dtype)
    w = np.array([0.5, 2.0, 1.0], dtype)
    c = []
    for log_input in (True, False):
        for full in (False, True):
            c.append(
                (
                    f"poisson-{log_input}-{full}",
                    lambda lib, r, a, b, li=log_input, f=full: F(lib).poisson_nll_loss(
                        a, b, log_input=li, full=f, reduction=r
                    ),
                    (x if log_input else np.abs(x), counts),
                )
            )
    variances = [np.abs(y) + 0.1, np.abs(y[:, :1]), np.abs(y[:, 0]), np.array([[0.5, 1e-9, 2.0]])]
    for k, var in enumerate(variances):
        c.append(
            (
                f"gaussian-{k}",
                lambda lib, r, a, b, v: F(lib).gaussian_nll_loss(a, b, v, full=True, reduction=r),
                (x, y, var.astype(dtype)),
            )
        )
    c += [
        (
            "gaussian-float-var",
            lambda lib, r, a, b: F(lib).gaussian_nll_loss(a, b, 0.7, reduction=r),
            (x, y),
        ),
        (
            "hinge",
            lambda lib, r, a, b: F(lib).hinge_embedding_loss(a, b, margin=0.5, reduction=r),
            (x, signs),
        ),
        (
            "hinge-broadcast",
            lambda lib, r, a, b: F(lib).hinge_embedding_loss(a, b, reduction=r),
            (x, signs[:1]),
        ),
        (
            "soft-margin",
            lambda lib, r, a: F(lib).soft_margin_loss(a, lib.tensor(np.sign(y)), reduction=r),
            (x,),
        ),
        (
            "soft-margin-overflow",
            lambda lib, r, a: F(lib).soft_margin_loss(a, lib.tensor(np.sign(y)), reduction=r),
            (x * 400,),
        ),
        (
            "multilabel-margin",
            lambda lib, r, a: F(lib).multilabel_margin_loss(
                a, lib.tensor(MULTILABEL_TARGET), reduction=r
            ),
            (x,),
        ),
        (
            "multilabel-margin-repeated-target",
            lambda lib, r, a: F(lib).multilabel_margin_loss(
                a, lib.tensor([[1, 1, -1]] * 4), reduction=r
            ),
            (x,),
        ),
        (
            "multilabel-margin-vector",
            lambda lib, r, a: F(lib).multilabel_margin_loss(
                a, lib.tensor(MULTILABEL_TARGET[1]), reduction=r
            ),
            (x[0],),
        ),
        (
            "multilabel-soft-margin",
            lambda lib, r, a, b, w: F(lib).multilabel_soft_margin_loss(a, b, w, reduction=r),
            (x, labels, w),
        ),
    ]
    for p in (1, 2):
        c += [
            (
                f"multi-margin-p{p}",
                lambda lib, r, a, p=p: F(lib).multi_margin_loss(
                    a, lib.tensor(MULTI_TARGET), p=p, margin=0.7, reduction=r
                ),
                (x,),
            ),
            (
                f"multi-margin-p{p}-weight",
                lambda lib, r, a, p=p: F(lib).multi_margin_loss(
                    a, lib.tensor(MULTI_TARGET), p=p, weight=lib.from_numpy(w), reduction=r
                ),
                (x,),
            ),
            (
                f"multi-margin-p{p}-vector",
                lambda lib, r, a, p=p: F(lib).multi_margin_loss(a, lib.tensor(2), p=p, reduction=r),
                (x[0],),
            ),
        ]
    z = np.cos(np.arange(12.0)).reshape(4, 3).astype(dtype)
    for swap in (False, True):
        for p in (1.0, 2.0, 3.0):
            c.append(
                (
                    f"triplet-p{p}-swap{swap}",
                    lambda lib, r, a, b, n, p=p, s=swap: F(lib).triplet_margin_loss(
                        a, b, n, margin=2.0, p=p, swap=s, reduction=r
                    ),
                    (x, y, z),
                )
            )
        c.append(
            (
                f"triplet-cosine-swap{swap}",
                lambda lib, r, a, b, n, s=swap: F(lib).triplet_margin_with_distance_loss(
                    a,
                    b,
                    n,
                    distance_function=lambda u, v: 1 - F(lib).cosine_similarity(u, v),
                    margin=0.5,
                    swap=s,
                    reduction=r,
                ),
                (x, y, z),
            )
        )
    c.append(
        (
            "triplet-vectors",
            lambda lib, r, a, b, n: F(lib).triplet_margin_loss(a, b, n, reduction=r),
            (x[0], y[0], z[0]),
        )
    )
    return c


CASE_IDS = [name for name, _, _ in cases(np.float64)]


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("index", range(len(CASE_IDS)), ids=CASE_IDS)
def test_new_losses_match_torch(index, dtype, reduction):
    _, fn, inputs = cases(dtype)[index]
    outputs = run_both(lambda lib, *t: fn(lib, reduction, *t), list(inputs))
    expected = fn(torch, reduction, *[torch.from_numpy(a).requires_grad_() for a in inputs])
    assert type(outputs[0].grad_fn).__name__ == type(expected.grad_fn).__name__


@pytest.mark.parametrize(
    "fn, inputs",
    [
        (lambda lib, a: F(lib).soft_margin_loss(a, lib.tensor([1.0, -1.0, 1.0])), [3]),
        (lambda lib, a: F(lib).multi_margin_loss(a, lib.tensor([2, 0])), [2, 3]),
        (lambda lib, a: F(lib).multi_margin_loss(a, lib.tensor([2, 0]), p=2), [2, 3]),
        (
            lambda lib, a: F(lib).multi_margin_loss(
                a, lib.tensor([2, 0]), p=2, weight=lib.tensor([1.0, 2.0, 3.0], dtype=lib.float64)
            ),
            [2, 3],
        ),
        (lambda lib, a: F(lib).multilabel_margin_loss(a, lib.tensor([[2, 0, -1]] * 2)), [2, 3]),
    ],
    ids=["soft-margin", "multi-margin-p1", "multi-margin-p2", "multi-margin-weight", "multilabel"],
)
def test_new_loss_ops_pass_gradcheck(fn, inputs):
    # Second order too: the VJPs are written against xp, so create_graph records them.
    x = np.random.default_rng(3).standard_normal(inputs) * 0.6
    check_gradcheck(fn, [x], second_order=True)


@pytest.mark.parametrize("p", [1, 2])
def test_new_loss_ops_create_graph_matches_torch(p):
    # The VJPs run on tensors (the create_graph path); torch has no second derivative here.
    x = np.random.default_rng(4).standard_normal((3, 4))
    w = np.array([1.0, 0.5, 2.0, 1.5])
    run_both(
        lambda lib, a: F(lib).multi_margin_loss(
            a, lib.tensor([0, 3, 1]), p=p, margin=2.0, weight=lib.from_numpy(w)
        ),
        [x],
        create_graph=True,
    )
    run_both(
        lambda lib, a: F(lib).multilabel_margin_loss(a, lib.tensor([[0, 3, -1, 1]] * 3)),
        [x],
        create_graph=True,
    )
    run_both(
        lambda lib, a: F(lib).soft_margin_loss(a, lib.from_numpy(np.sign(x))),
        [x],
        create_graph=True,
    )


LOSS_MODULES = [
    (
        lambda lib: lib.nn.PoissonNLLLoss(log_input=False, full=True, eps=1e-3, reduction="sum"),
        lambda x, y: (np.abs(x) + 0.5, np.abs(y) * 2),
    ),
    (lambda lib: lib.nn.HingeEmbeddingLoss(margin=0.3), lambda x, y: (x, np.sign(y))),
    (lambda lib: lib.nn.SoftMarginLoss(reduction="sum"), lambda x, y: (x, np.sign(y))),
    (
        lambda lib: lib.nn.MultiLabelSoftMarginLoss(lib.tensor([1.0, 2.0, 3.0]).double()),
        lambda x, y: (x, (y > 0) * 1.0),
    ),
    (
        lambda lib: lib.nn.MultiMarginLoss(p=2, margin=0.5, weight=lib.tensor([1.0, 2.0, 3.0])),
        lambda x, y: (x, MULTI_TARGET),
    ),
    (
        lambda lib: lib.nn.MultiLabelMarginLoss(reduction="none"),
        lambda x, y: (x, MULTILABEL_TARGET),
    ),
]
MODULE_IDS = ["poisson", "hinge", "soft-margin", "multilabel-soft", "multi-margin", "multilabel"]


@pytest.mark.parametrize("make, data", LOSS_MODULES, ids=MODULE_IDS)
def test_new_loss_modules_match_torch_and_pass_the_harness(make, data):
    x, y = np.random.default_rng(5).standard_normal((2, 4, 3))
    input, target = data(x, y)
    results = {}
    for lib in (ember, torch):
        module = make(lib).double()
        leaf = lib.from_numpy(input.copy()).requires_grad_()
        loss = module(leaf, lib.from_numpy(target.copy()))
        loss.sum().backward()
        results[lib] = (loss.detach().numpy(), leaf.grad.numpy(), repr(module))
    for e, t in zip(results[ember], results[torch]):
        if isinstance(t, str):
            assert e == t
        else:
            np.testing.assert_allclose(e, t, rtol=1e-10, atol=1e-12)
    check_module(make(ember), ember.from_numpy(input), target=ember.from_numpy(target))


@pytest.mark.parametrize(
    "make",
    [
        lambda lib: lib.nn.TripletMarginLoss(margin=2.0, p=1.0, swap=True),
        lambda lib: lib.nn.TripletMarginWithDistanceLoss(margin=2.0, swap=True),
        lambda lib: lib.nn.GaussianNLLLoss(full=True, eps=0.1, reduction="none"),
    ],
    ids=["triplet", "triplet-distance", "gaussian"],
)
def test_three_input_loss_modules_match_torch(make):
    x, y, z = np.random.default_rng(6).standard_normal((3, 4, 3))
    run_both(lambda lib, a, b, c: make(lib)(a, b, c.abs()), [x, y, z])
    assert repr(make(ember)) == repr(make(torch))


# ----- the older losses' edge cases ------------------------------------------------------------


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize(
    "fn",
    [
        lambda lib, r, a, b: F(lib).mse_loss(a, b, reduction=r),
        lambda lib, r, a, b: F(lib).l1_loss(a, b, reduction=r),
        lambda lib, r, a, b: F(lib).binary_cross_entropy(a.sigmoid(), b, reduction=r),
        lambda lib, r, a, b: F(lib).binary_cross_entropy_with_logits(a, b, reduction=r),
        lambda lib, r, a, b: F(lib).kl_div(a, b, reduction=r),
        lambda lib, r, a, b: F(lib).soft_margin_loss(a, b.detach(), reduction=r),
    ],
    ids=["mse", "l1", "bce", "bce-logits", "kl-div", "soft-margin"],
)
def test_empty_batches_match_torch(fn, reduction):
    # A mean of nothing is nan (it raised ZeroDivisionError); the gradient is empty.
    empty = np.zeros((0, 3))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # kl_div's 'mean' warning
        out = run_both(lambda lib, a, b: fn(lib, reduction, a, b), [empty, empty.copy()])
    if reduction != "none":
        assert np.isnan(out[0].item()) == (reduction == "mean")


def test_binary_cross_entropy_target_gradient_is_unclamped_as_in_torch():
    # d/d(target) = log(1 - p) - log(p): infinite at p = 0 and 1 (it was clamped to +-100).
    p, y = np.array([0.0, 1.0, 0.5, 0.2]), np.array([1.0, 0.0, 1.0, 0.3])
    for reduction in REDUCTIONS:
        run_both(
            lambda lib, a, b, r=reduction: F(lib).binary_cross_entropy(a, b, reduction=r), [p, y]
        )


@pytest.mark.parametrize("reduction", REDUCTIONS + ["batchmean"])
@pytest.mark.parametrize("log_target", [False, True])
def test_kl_div_broadcasts_its_target_and_is_named_as_in_torch(reduction, log_target):
    rng = np.random.default_rng(7)
    log_p = np.log(rng.dirichlet(np.ones(3), 4))
    target = rng.dirichlet(np.ones(3), 1)
    target = np.log(target) if log_target else target
    for shapes in ((log_p, target), (log_p, target[0]), (log_p[:1], np.tile(target, (4, 1)))):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = run_both(
                lambda lib, a, b: F(lib).kl_div(a, b, reduction=reduction, log_target=log_target),
                list(shapes),
            )
            expected = F(torch).kl_div(
                *(torch.from_numpy(a).requires_grad_() for a in shapes),
                reduction=reduction,
                log_target=log_target,
            )
        assert type(out[0].grad_fn).__name__ == type(expected.grad_fn).__name__


@pytest.mark.parametrize(
    "fn",
    [
        lambda lib, a, b: F(lib).mse_loss(a, b),
        lambda lib, a, b: F(lib).l1_loss(a, b),
        lambda lib, a, b: F(lib).smooth_l1_loss(a, b, beta=0.5),
        lambda lib, a, b: F(lib).kl_div(a, b, reduction="sum"),
    ],
    ids=["mse", "l1", "smooth-l1", "kl-div"],
)
@pytest.mark.parametrize("order", ["float32-float64", "float64-float32"])
def test_mixed_float_dtypes_follow_torch(fn, order):
    # These compute in the wider dtype. (PyTorch's huber and bce-with-logits losses do not, and
    # their backward then fails there: ember keeps the input's dtype for them.)
    a, b = np.random.default_rng(8).uniform(0.1, 1.0, (2, 4, 3))
    first, second = order.split("-")
    run_both(fn, [a.astype(first), b.astype(second)])


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize(
    "fn",
    [
        lambda lib, r, a: F(lib).l1_loss(a, a.detach() * 0.5, reduction=r),
        lambda lib, r, a: F(lib).smooth_l1_loss(a, a.detach() * 0.5, reduction=r, beta=0.0),
        lambda lib, r, a: F(lib).cross_entropy(a, lib.tensor([0, 2, 1, 1]), label_smoothing=0.2),
        lambda lib, r, a: F(lib).cross_entropy(
            a.reshape(1, 3, 2, 2), lib.tensor([[[0, 2], [1, 1]]]), reduction=r
        ),
        lambda lib, r, a: F(lib).nll_loss(
            a.reshape(1, 3, 2, 2), lib.tensor([[[0, 2], [1, 1]]]), reduction=r
        ),
    ],
    ids=["l1", "smooth-l1-beta0", "cross-entropy-smoothing", "cross-entropy-4d", "nll-4d"],
)
def test_grad_fn_names_match_torch(fn, reduction):
    x = np.random.default_rng(9).standard_normal((4, 3))
    out = run_both(lambda lib, a: fn(lib, reduction, a), [x])
    expected = fn(torch, reduction, torch.from_numpy(x).requires_grad_())
    assert type(out[0].grad_fn).__name__ == type(expected.grad_fn).__name__


# ----- errors: the type and message PyTorch gives ---------------------------------------------

X = np.random.default_rng(10).standard_normal((4, 3))
ERRORS = [
    ("ce-int32-target", lambda lib, x: F(lib).cross_entropy(x, lib.tensor([0, 1, 2, 1]).int())),
    ("nll-float-target", lambda lib, x: F(lib).nll_loss(x, lib.tensor([0.0, 1, 2, 1]))),
    (
        "ce-smoothing",
        lambda lib, x: F(lib).cross_entropy(x, lib.tensor([0, 1, 2, 1]), label_smoothing=1.2),
    ),
    ("kl-div-shapes", lambda lib, x: F(lib).kl_div(x, x[:, :2])),
    ("gaussian-negative-var", lambda lib, x: F(lib).gaussian_nll_loss(x, x, -x.abs())),
    ("gaussian-negative-float", lambda lib, x: F(lib).gaussian_nll_loss(x, x, -1.0)),
    ("gaussian-var-size", lambda lib, x: F(lib).gaussian_nll_loss(x, x, x[:2])),
    ("gaussian-reduction", lambda lib, x: F(lib).gaussian_nll_loss(x, x, x.abs(), reduction="x")),
    ("poisson-reduction", lambda lib, x: F(lib).poisson_nll_loss(x, x, reduction="x")),
    ("multi-margin-p", lambda lib, x: F(lib).multi_margin_loss(x, lib.tensor([0, 1, 2, 0]), p=3)),
    (
        "multi-margin-weight-dims",
        lambda lib, x: F(lib).multi_margin_loss(
            x, lib.tensor([0, 1, 2, 0]), weight=lib.ones(1, 3, dtype=lib.float64)
        ),
    ),
    (
        "multi-margin-weight-size",
        lambda lib, x: F(lib).multi_margin_loss(
            x, lib.tensor([0, 1, 2, 0]), weight=lib.ones(2, dtype=lib.float64)
        ),
    ),
    (
        "multi-margin-weight-grad",
        lambda lib, x: F(lib).multi_margin_loss(
            x, lib.tensor([0, 1, 2, 0]), weight=lib.ones(3, dtype=lib.float64).requires_grad_()
        ),
    ),
    ("multi-margin-range", lambda lib, x: F(lib).multi_margin_loss(x, lib.tensor([0, 1, 3, 0]))),
    ("multi-margin-size", lambda lib, x: F(lib).multi_margin_loss(x, lib.tensor([0, 1, 0]))),
    ("multi-margin-3d", lambda lib, x: F(lib).multi_margin_loss(x[None], lib.tensor([0]))),
    (
        "multi-margin-int32",
        lambda lib, x: F(lib).multi_margin_loss(x, lib.tensor([0, 1, 0, 1]).int()),
    ),
    ("multilabel-size", lambda lib, x: F(lib).multilabel_margin_loss(x, lib.tensor([[0, 1]] * 4))),
    (
        "multilabel-range",
        lambda lib, x: F(lib).multilabel_margin_loss(x, lib.tensor([[0, 3, -1]] * 4)),
    ),
    ("soft-margin-target-grad", lambda lib, x: F(lib).soft_margin_loss(x, x * 2)),
    ("triplet-margin", lambda lib, x: F(lib).triplet_margin_loss(x, x, x, margin=0)),
    ("triplet-dims", lambda lib, x: F(lib).triplet_margin_loss(x, x[0], x)),
    (
        "triplet-distance-reduction",
        lambda lib, x: F(lib).triplet_margin_with_distance_loss(x, x, x, reduction="x"),
    ),
    ("multi-margin-module-p", lambda lib, x: lib.nn.MultiMarginLoss(p=3)),
]


@pytest.mark.parametrize("fn", [f for _, f in ERRORS], ids=[i for i, _ in ERRORS])
def test_loss_errors_match_torch(fn):
    caught = {}
    for lib in (ember, torch):
        x = lib.from_numpy(X.copy()).requires_grad_()
        with pytest.raises(Exception) as info:
            fn(lib, x)
        caught[lib] = info.value
    assert type(caught[ember]) is type(caught[torch])
    assert str(caught[ember]) == str(caught[torch])

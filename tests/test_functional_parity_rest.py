"""The rest of torch.nn.functional: softmin, gumbel_softmax, alpha dropout, local response norm,
Fold/Unfold layers, bicubic interpolation, affine_grid and grid_sample, and the errors of one_hot,
embedding and interpolate, each against torch from the same arrays; new ops by finite
differences, new modules through check_module."""

import warnings

import numpy as np
import pytest
import torch
from conftest import check_gradcheck, run_both

import ember
from ember.testing import check_module

DTYPES = [np.float64, np.float32]


def F(lib):
    return lib.nn.functional


def normal(shape, dtype=np.float64, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def raises_like_torch(call):
    """``call(lib)`` raises the same error type with the same message in ember and torch (whose
    dtypes and sizes print as ``torch.int64``, ember's as ``ember.int64``)."""
    with pytest.raises(Exception) as expected:
        call(torch)
    with pytest.raises(type(expected.value)) as got:
        call(ember)
    assert str(got.value) == str(expected.value).replace("torch.", "ember.")


# ----- softmin and gumbel_softmax ----------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_softmin_matches_torch(dtype, dim):
    run_both(lambda lib, x: F(lib).softmin(x, dim), [normal((3, 4, 5), dtype)])
    run_both(lambda lib, x: F(lib).softmin(x, dim, dtype=lib.float64), [normal((3, 4), dtype)])
    out = run_both(lambda lib, x: lib.nn.Softmin(dim)(x), [normal((2, 3), dtype)])
    assert out[0].grad_fn.name() == "SoftmaxBackward0"


def test_softmin_implicit_dim_warns_like_torch():
    x = normal((3, 4, 5))
    for lib in (ember, torch):
        with pytest.warns(UserWarning, match="Implicit dimension choice for softmin"):
            out = F(lib).softmin(lib.from_numpy(x))
        np.testing.assert_allclose(out.numpy(), torch.softmax(-torch.from_numpy(x), 0).numpy())
    check_module(ember.nn.Softmin(1), ember.randn(3, 4))


@pytest.mark.parametrize("tau", [1.0, 0.5])
@pytest.mark.parametrize("dim", [-1, 0])
def test_gumbel_softmax_soft_sample_and_straight_through(tau, dim):
    logits = normal((4, 5))
    samples = {}
    for hard in (False, True):
        ember.manual_seed(3)  # the same noise for both
        x = ember.tensor(logits, requires_grad=True)
        y = F(ember).gumbel_softmax(x, tau=tau, hard=hard, dim=dim)
        (grad,) = ember.autograd.grad(y, x, ember.tensor(normal((4, 5), seed=1)))
        samples[hard] = (y.detach().numpy(), grad.numpy(), y.grad_fn.name())
    soft, soft_grad, soft_name = samples[False]
    hard, hard_grad, hard_name = samples[True]
    assert (soft_name, hard_name) == ("SoftmaxBackward0", "AddBackward0")
    # hard is the one-hot of the soft sample's argmax; its gradient is the soft sample's
    axis = dim % 2
    np.testing.assert_array_equal(hard.argmax(axis), soft.argmax(axis))
    np.testing.assert_array_equal(hard.sum(axis), np.ones(hard.shape[1 - axis]))
    assert set(np.unique(hard)) == {0.0, 1.0}
    np.testing.assert_allclose(hard_grad, soft_grad, rtol=1e-12, atol=1e-12)
    # the soft sample is softmax((logits + g) / tau) for the noise g recovered from it
    noise = torch.from_numpy(tau * np.log(soft) - logits)
    t = torch.tensor(logits, requires_grad=True)
    expected = torch.softmax((t + noise) / tau, dim)
    expected.backward(torch.from_numpy(normal((4, 5), seed=1)))
    np.testing.assert_allclose(soft, expected.detach().numpy(), rtol=1e-10)
    np.testing.assert_allclose(soft_grad, t.grad.numpy(), rtol=1e-8, atol=1e-12)


def test_gumbel_softmax_noise_is_gumbel_and_eps_warns():
    ember.manual_seed(0)
    y = F(ember).gumbel_softmax(ember.zeros(20000, 2, dtype=ember.float64), hard=True)
    # equal logits: each class wins half the time
    assert abs(y.numpy()[:, 0].mean() - 0.5) < 0.02
    with pytest.warns(UserWarning, match="`eps` parameter is deprecated"):
        F(ember).gumbel_softmax(ember.zeros(2, 2), eps=1e-5)


# ----- alpha dropout -----------------------------------------------------------------------------

ALPHA = 1.7580993408473766  # SELU's -scale * alpha


@pytest.mark.parametrize("feature", [False, True])
@pytest.mark.parametrize("p", [0.2, 0.5])
def test_alpha_dropout_keeps_mean_and_variance(feature, p):
    ember.manual_seed(0)
    x = ember.tensor(normal((200, 100, 4, 4)))
    function = F(ember).feature_alpha_dropout if feature else F(ember).alpha_dropout
    y = function(x, p, training=True).numpy()
    assert abs(y.mean()) < 0.02 and abs(y.std() - 1) < 0.02
    a = 1 / np.sqrt((ALPHA**2 * p + 1) * (1 - p))
    kept = x.numpy() * a + ALPHA * a * p
    dropped = np.isclose(y, -ALPHA * a + ALPHA * a * p)
    if feature:  # one draw per (sample, channel): a channel is dropped whole or kept whole
        dropped = dropped.all((2, 3), keepdims=True)
    np.testing.assert_allclose(np.where(dropped, kept, y), kept)
    assert abs(dropped.mean() - p) < 0.02


@pytest.mark.parametrize("name", ["alpha_dropout", "feature_alpha_dropout"])
def test_alpha_dropout_edges_like_torch(name):
    x = normal((3, 4, 5))
    for lib in (ember, torch):
        function = getattr(F(lib), name)
        t = lib.tensor(x, requires_grad=True)
        assert function(t, 0.5) is t  # training=False by default
        assert function(t, 0.0, True) is t
        dropped = function(t, 1.0, True)
        assert dropped.grad_fn.name() == "MulBackward0" and not dropped.detach().numpy().any()
        assert function(t, 0.3, True).grad_fn.name() == "AddBackward0"
        with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1"):
            function(t, 1.5, True)
    raises_like_torch(lambda lib: F(lib).feature_alpha_dropout(lib.zeros(3), 0.5, True))


@pytest.mark.parametrize("cls", ["AlphaDropout", "FeatureAlphaDropout"])
def test_alpha_dropout_modules(cls):
    e, t = getattr(ember.nn, cls)(0.3), getattr(torch.nn, cls)(0.3)
    assert repr(e) == repr(t)
    x = ember.randn(4, 3, 5, requires_grad=True)
    module = getattr(ember.nn, cls)(0.3)
    y = module(x)
    g = ember.randn(4, 3, 5)
    (autograd,) = ember.autograd.grad(y, x, g)
    np.testing.assert_allclose(module.updateGradInput(x, g).numpy(), autograd.numpy())
    # the gradient is the multiplier a: 0 where dropped, the variance scale where kept
    scale = 1 / np.sqrt((ALPHA**2 * 0.3 + 1) * 0.7)
    ratio = autograd.numpy() / g.numpy()
    assert np.isclose(ratio, 0).any() and np.isclose(ratio, scale).any()
    assert (np.isclose(ratio, 0) | np.isclose(ratio, scale)).all()
    check_module(getattr(ember.nn, cls)(0.3), ember.randn(4, 3, 5))
    module.eval()
    assert module(x) is x
    with pytest.raises(ValueError, match="dropout probability"):
        getattr(ember.nn, cls)(2)


# ----- local response norm -----------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(2, 5, 3), (2, 5, 3, 4), (1, 4, 2, 2, 3)])
@pytest.mark.parametrize("size", [1, 2, 3, 6])
def test_local_response_norm_matches_torch(dtype, shape, size):
    out = run_both(
        lambda lib, x: F(lib).local_response_norm(x, size, alpha=0.3, beta=0.6, k=1.5),
        [normal(shape, dtype)],
    )
    assert out[0].grad_fn.name() == "DivBackward0"


def test_local_response_norm_gradcheck_module_and_errors():
    check_gradcheck(lambda lib, x: F(lib).local_response_norm(x, 3, 0.5), [normal((2, 4, 3))])
    check_module(ember.nn.LocalResponseNorm(3, alpha=0.5), ember.randn(2, 5, 3, 2), unbatched=False)
    assert repr(ember.nn.LocalResponseNorm(2)) == repr(torch.nn.LocalResponseNorm(2))
    run_both(lambda lib, x: lib.nn.LocalResponseNorm(4, 0.2)(x), [normal((2, 6, 3, 3))])
    raises_like_torch(lambda lib: F(lib).local_response_norm(lib.zeros(3, 4), 2))
    empty = ember.zeros(0, 4, 3)
    assert F(ember).local_response_norm(empty, 2) is empty


# ----- Fold and Unfold ---------------------------------------------------------------------------

GEOMETRIES = [
    dict(kernel_size=2),
    dict(kernel_size=(2, 3), dilation=(2, 1), padding=1, stride=(1, 2)),
    dict(kernel_size=3, stride=2, padding=(0, 1)),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("geometry", GEOMETRIES)
def test_unfold_and_fold_modules_match_torch(dtype, geometry):
    x = normal((2, 3, 6, 7), dtype)
    for batch in (x, x[0]):
        run_both(lambda lib, t: lib.nn.Unfold(**geometry)(t), [batch])
    cols = torch.nn.Unfold(**geometry)(torch.from_numpy(x)).numpy()
    for c in (cols, cols[0]):
        run_both(lambda lib, t: lib.nn.Fold((6, 7), **geometry)(t), [c])
    assert repr(ember.nn.Fold((6, 7), **geometry)) == repr(torch.nn.Fold((6, 7), **geometry))
    assert repr(ember.nn.Unfold(**geometry)) == repr(torch.nn.Unfold(**geometry))
    check_module(ember.nn.Unfold(**geometry), ember.tensor(x))
    check_module(ember.nn.Fold((6, 7), **geometry), ember.tensor(cols))


def test_fold_module_errors_like_torch():
    raises_like_torch(lambda lib: lib.nn.Fold((4, 4), 2)(lib.zeros(1, 5, 9)))
    raises_like_torch(lambda lib: lib.nn.Fold((4, 4), 2)(lib.zeros(1, 4, 8)))
    raises_like_torch(
        lambda lib: lib.nn.Fold((4, 4), 2, dilation=2, padding=(1, 0), stride=(1, 2))(
            lib.zeros(1, 4, 8)
        )
    )
    with pytest.raises(RuntimeError, match="only 3D or 4D input"):
        ember.nn.Unfold(2)(ember.zeros(4, 4))


# ----- bicubic interpolation ---------------------------------------------------------------------

BICUBIC_SIZES = [
    dict(size=(7, 9)),
    dict(size=(3, 2)),
    dict(size=(5, 4)),
    dict(size=(1, 1)),
    dict(scale_factor=1.7),
    dict(scale_factor=(0.6, 2.5)),
    dict(scale_factor=(0.6, 2.5), recompute_scale_factor=True),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("align_corners", [False, True])
@pytest.mark.parametrize("kwargs", BICUBIC_SIZES)
def test_bicubic_matches_torch(dtype, align_corners, kwargs):
    out = run_both(
        lambda lib, x: F(lib).interpolate(x, mode="bicubic", align_corners=align_corners, **kwargs),
        [normal((2, 3, 5, 4), dtype)],
    )
    assert out[0].grad_fn.name() == "UpsampleBicubic2DBackward0"


def test_bicubic_gradcheck_and_module():
    x = normal((1, 2, 4, 3))
    for align in (False, True):
        check_gradcheck(
            lambda lib, t, a=align: F(lib).interpolate(t, (6, 5), mode="bicubic", align_corners=a),
            [x],
            second_order=True,
        )
    run_both(
        lambda lib, t: lib.nn.Upsample(scale_factor=2, mode="bicubic")(t), [x], second_order=True
    )


@pytest.mark.parametrize(
    "call",
    [
        lambda lib: F(lib).interpolate(lib.zeros(1, 2, 3), size=4, mode="bilinear"),
        lambda lib: F(lib).interpolate(lib.zeros(1, 2, 3), size=4, mode="bicubic"),
        lambda lib: F(lib).interpolate(lib.zeros(1, 2, 3, 3, 3), size=4, mode="bicubic"),
        lambda lib: F(lib).interpolate(lib.zeros(1, 2, 3, 3), size=4, mode="trilinear"),
        lambda lib: F(lib).interpolate(lib.zeros(1, 2, 3, 3, 3), size=4, mode="linear"),
    ],
)
def test_interpolate_mode_and_rank_errors_like_torch(call):
    raises_like_torch(call)


# ----- affine_grid and grid_sample ---------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("align_corners", [False, True])
@pytest.mark.parametrize("size", [(2, 3, 4, 5), (2, 1, 1, 3), (2, 1, 6, 1)])
def test_affine_grid_matches_torch(dtype, align_corners, size):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # unit-size grids warn with align_corners=True
        out = run_both(
            lambda lib, theta: F(lib).affine_grid(theta, size, align_corners=align_corners),
            [normal((2, 2, 3), dtype)],
        )
    assert out[0].grad_fn.name() == "AffineGridGeneratorBackward0"


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("mode", ["bilinear", "nearest"])
@pytest.mark.parametrize("padding_mode", ["zeros", "border", "reflection"])
@pytest.mark.parametrize("align_corners", [False, True])
def test_grid_sample_matches_torch(dtype, mode, padding_mode, align_corners):
    rng = np.random.default_rng(1)
    grid = rng.uniform(-1.6, 1.6, (2, 3, 6, 2)).astype(dtype)  # some points outside the image
    out = run_both(
        lambda lib, x, g: F(lib).grid_sample(x, g, mode, padding_mode, align_corners),
        [normal((2, 3, 4, 5), dtype), grid],
    )
    assert out[0].grad_fn.name() == "GridSampler2DBackward0"


@pytest.mark.parametrize("padding_mode", ["zeros", "border", "reflection"])
@pytest.mark.parametrize("align_corners", [False, True])
def test_grid_sample_gradcheck(padding_mode, align_corners):
    grid = np.random.default_rng(2).uniform(-1.4, 1.4, (1, 3, 2, 2))
    check_gradcheck(
        lambda lib, x, g: F(lib).grid_sample(x, g, "bilinear", padding_mode, align_corners),
        [normal((1, 2, 3, 4)), grid],
    )


def test_affine_grid_then_grid_sample_gradients_reach_theta():
    theta = np.array([[[0.83, -0.17, 0.07], [0.29, 1.13, -0.19]]])  # no point on a pixel edge
    run_both(
        lambda lib, x, t: F(lib).grid_sample(
            x, F(lib).affine_grid(t, (1, 2, 5, 4), align_corners=False), align_corners=False
        ),
        [normal((1, 2, 4, 3)), theta],
    )
    check_gradcheck(
        lambda lib, x, t: F(lib).grid_sample(
            x, F(lib).affine_grid(t, (1, 2, 5, 4), align_corners=True), align_corners=True
        ),
        [normal((1, 2, 4, 3)), theta],
    )


def test_grid_sample_and_affine_grid_warn_without_align_corners():
    for lib in (ember, torch):
        with pytest.warns(UserWarning, match="Default grid_sample and affine_grid behavior"):
            grid = F(lib).affine_grid(lib.zeros(1, 2, 3), (1, 1, 2, 2))
        with pytest.warns(UserWarning, match="Default grid_sample and affine_grid behavior"):
            F(lib).grid_sample(lib.zeros(1, 1, 2, 2), grid)


def _zeros(lib, *shape, dtype=None):
    return lib.zeros(*shape, dtype=dtype or lib.float32)


@pytest.mark.parametrize(
    "call",
    [
        lambda lib: F(lib).grid_sample(_zeros(lib, 1, 2, 3, 4), _zeros(lib, 1, 2, 2, 2), "x"),
        lambda lib: F(lib).grid_sample(
            _zeros(lib, 1, 2, 3, 4), _zeros(lib, 1, 2, 2, 2), padding_mode="x"
        ),
        lambda lib: F(lib).grid_sample(
            _zeros(lib, 1, 2, 3, 4), _zeros(lib, 2, 2, 2, 2), align_corners=False
        ),
        lambda lib: F(lib).grid_sample(
            _zeros(lib, 1, 2, 3, 4), _zeros(lib, 1, 2, 2, 1), align_corners=False
        ),
        lambda lib: F(lib).grid_sample(
            _zeros(lib, 1, 2, 0, 4), _zeros(lib, 1, 2, 2, 2), align_corners=False
        ),
        lambda lib: F(lib).grid_sample(
            _zeros(lib, 1, 2, 3, 4, dtype=lib.float64), _zeros(lib, 1, 2, 2, 2), align_corners=False
        ),
        lambda lib: F(lib).affine_grid(_zeros(lib, 2, 3, 3), (2, 3, 4, 5), align_corners=False),
        lambda lib: F(lib).affine_grid(_zeros(lib, 2, 2, 3), (2, 3, 4), align_corners=False),
        lambda lib: F(lib).affine_grid(_zeros(lib, 2, 2, 3), (2, 3, 0, 5), align_corners=False),
        lambda lib: F(lib).affine_grid(lib.zeros(2, 2, 3, dtype=lib.int64), (2, 1, 2, 2), False),
    ],
)
def test_grid_errors_like_torch(call):
    raises_like_torch(call)


# ----- errors found earlier ----------------------------------------------------------------------


@pytest.mark.parametrize("dtype", ["int32", "uint8", "int16"])
def test_one_hot_needs_int64_like_torch(dtype):
    raises_like_torch(lambda lib: F(lib).one_hot(lib.tensor([1, 2], dtype=getattr(lib, dtype))))
    run_both(lambda lib, t: F(lib).one_hot(t, 4), [np.array([1, 3, 0])], grad=False)


@pytest.mark.parametrize("padding_idx", [3, -4, 10])
def test_embedding_padding_idx_out_of_range_like_torch(padding_idx):
    raises_like_torch(
        lambda lib: F(lib).embedding(lib.tensor([1]), lib.zeros(3, 2), padding_idx=padding_idx)
    )
    raises_like_torch(lambda lib: lib.nn.Embedding(3, 2, padding_idx=padding_idx))
    raises_like_torch(lambda lib: lib.nn.EmbeddingBag(3, 2, padding_idx=padding_idx))

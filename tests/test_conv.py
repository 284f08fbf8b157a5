"""Convolutions against PyTorch and finite differences: conv1d/2d/3d with stride, padding (ints,
pairs, 'same', 'valid'), dilation, groups, odd sizes and unbatched inputs; conv_transpose1d/2d
with output_padding; unfold/fold; second-order gradients; errors."""

import numpy as np
import pytest
import torch
from conftest import check_gradcheck, random_array, rng_for, run_both, seeds
from hypothesis import given, settings
from hypothesis import strategies as st
from torch_parity import compare_modules, same_weights, uniform_bound

import ember
import ember.nn.functional  # noqa: F401  (registers ember.nn)


def F(lib):
    return lib.nn.functional


def _arrays(seed, *shapes, dtype=np.float64):
    rng = rng_for(seed)
    return [random_array(rng, s, dtype) for s in shapes]


# input shape, weight shape, keyword arguments
CONV2D = [
    ((2, 3, 7, 6), (4, 3, 3, 3), {}),
    ((2, 3, 9, 8), (4, 3, 3, 2), {"stride": 2}),
    ((1, 2, 7, 7), (3, 2, 3, 3), {"stride": (2, 3), "padding": (1, 2)}),
    ((2, 4, 7, 6), (6, 2, 3, 2), {"stride": (2, 1), "padding": 1, "dilation": (1, 2), "groups": 2}),
    ((2, 4, 6, 5), (4, 1, 2, 3), {"groups": 4, "padding": "same"}),
    ((1, 2, 6, 7), (3, 2, 4, 2), {"padding": "same", "dilation": (1, 3)}),
    ((2, 2, 5, 5), (3, 2, 5, 5), {"padding": "valid"}),
    ((2, 3, 5, 4), (2, 3, 1, 1), {"stride": 3}),
    ((3, 5, 4), (2, 3, 2, 2), {"padding": 1, "dilation": 2}),  # unbatched (C, H, W)
]


@pytest.mark.filterwarnings("ignore:Using padding='same'")  # PyTorch's note on a padded copy
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("x_shape, w_shape, kwargs", CONV2D)
def test_conv2d_matches_torch(x_shape, w_shape, kwargs, bias, dtype):
    x, w, b = _arrays(0, x_shape, w_shape, w_shape[:1], dtype=dtype)
    if not bias:
        run_both(
            lambda lib, x, w: F(lib).conv2d(x, w, None, **kwargs),
            [x, w],
            second_order=dtype == np.float64,
        )
    else:
        run_both(
            lambda lib, x, w, b: F(lib).conv2d(x, w, b, **kwargs),
            [x, w, b],
            second_order=dtype == np.float64,
        )


CONV1D = [
    ((2, 3, 9), (4, 3, 3), {}),
    ((2, 4, 10), (6, 2, 4), {"stride": 3, "padding": 2, "groups": 2}),
    ((2, 3, 8), (2, 3, 4), {"padding": "same", "dilation": 2}),
    ((3, 7), (2, 3, 3), {"stride": 2}),
]


@pytest.mark.filterwarnings("ignore:Using padding='same'")
@pytest.mark.parametrize("x_shape, w_shape, kwargs", CONV1D)
def test_conv1d_matches_torch(x_shape, w_shape, kwargs):
    x, w, b = _arrays(1, x_shape, w_shape, w_shape[:1])
    run_both(lambda lib, x, w, b: F(lib).conv1d(x, w, b, **kwargs), [x, w, b], second_order=True)


def test_conv3d_matches_torch():
    x, w, b = _arrays(2, (2, 2, 4, 5, 4), (3, 2, 2, 3, 2), (3,))
    run_both(lambda lib, x, w, b: F(lib).conv3d(x, w, b, stride=(1, 2, 1), padding=1), [x, w, b])


# input shape, weight shape (in, out/groups, ...), keyword arguments
TRANSPOSED = [
    ((2, 3, 4, 5), (3, 2, 3, 3), {}),
    (
        (2, 4, 3, 4),
        (4, 3, 3, 2),
        {
            "stride": (2, 3),
            "padding": (1, 0),
            "output_padding": (1, 2),
            "groups": 2,
            "dilation": (1, 2),
        },
    ),
    ((1, 2, 5, 5), (2, 3, 4, 4), {"stride": 2, "padding": 1}),
    ((2, 4, 4), (2, 1, 3, 3), {"stride": 2, "output_padding": 1}),  # unbatched
]


@pytest.mark.parametrize("x_shape, w_shape, kwargs", TRANSPOSED)
def test_conv_transpose2d_matches_torch(x_shape, w_shape, kwargs):
    x, w, b = _arrays(3, x_shape, w_shape, (w_shape[1] * kwargs.get("groups", 1),))
    run_both(
        lambda lib, x, w, b: F(lib).conv_transpose2d(x, w, b, **kwargs),
        [x, w, b],
        second_order=True,
    )


def test_conv_transpose1d_matches_torch():
    x, w, b = _arrays(4, (2, 4, 5), (4, 3, 3), (3,))
    run_both(
        lambda lib, x, w, b: F(lib).conv_transpose1d(
            x, w, b, stride=2, padding=1, output_padding=1
        ),
        [x, w, b],
    )


def test_conv_transpose_is_the_input_gradient_of_conv():
    x, w, g = _arrays(5, (2, 3, 8, 6), (4, 3, 3, 2), (2, 4, 4, 5))
    xt = ember.from_numpy(x).requires_grad_()
    F(ember).conv2d(xt, ember.from_numpy(w), stride=2, padding=(1, 2)).backward(ember.from_numpy(g))
    transposed = F(ember).conv_transpose2d(
        ember.from_numpy(g), ember.from_numpy(w), stride=2, padding=(1, 2), output_padding=(1, 0)
    )
    np.testing.assert_allclose(transposed.numpy(), xt.grad.numpy(), rtol=1e-12, atol=1e-12)


@settings(max_examples=15, deadline=None)
@given(
    seed=seeds,
    n=st.integers(1, 2),
    groups=st.sampled_from([1, 2]),
    size=st.tuples(st.integers(3, 8), st.integers(3, 8)),
    kernel=st.tuples(st.integers(1, 3), st.integers(1, 3)),
    stride=st.tuples(st.integers(1, 3), st.integers(1, 3)),
    padding=st.tuples(st.integers(0, 2), st.integers(0, 2)),
    dilation=st.tuples(st.integers(1, 2), st.integers(1, 2)),
)
def test_conv2d_random_geometry_matches_torch(
    seed, n, groups, size, kernel, stride, padding, dilation
):
    extent = [d * (k - 1) + 1 for k, d in zip(kernel, dilation)]
    if any(s + 2 * p < e for s, p, e in zip(size, padding, extent)):
        return  # PyTorch rejects it too (tested below)
    x, w, b = _arrays(seed, (n, 2 * groups) + size, (3 * groups, 2) + kernel, (3 * groups,))
    run_both(
        lambda lib, x, w, b: F(lib).conv2d(x, w, b, stride, padding, dilation, groups),
        [x, w, b],
        seed=seed,
    )


def test_conv2d_gradcheck():
    x, w, b = _arrays(6, (1, 4, 5, 5), (2, 2, 3, 2), (2,))
    check_gradcheck(
        lambda lib, x, w, b: F(lib).conv2d(
            x, w, b, stride=(2, 1), padding=(1, 2), dilation=(1, 2), groups=2
        ),
        [x, w, b],
        second_order=True,
    )


def test_conv_transpose2d_gradcheck():
    x, w, b = _arrays(7, (1, 2, 3, 3), (2, 2, 2, 3), (2,))
    check_gradcheck(
        lambda lib, x, w, b: F(lib).conv_transpose2d(
            x, w, b, stride=2, padding=1, output_padding=1
        ),
        [x, w, b],
        second_order=True,
    )


UNFOLD = [
    ((2, 3, 5, 6), {"kernel_size": 2}),
    ((2, 2, 7, 6), {"kernel_size": (2, 3), "dilation": (1, 2), "padding": 1, "stride": (2, 1)}),
    ((3, 4, 4), {"kernel_size": 3, "padding": 1}),
]


@pytest.mark.parametrize("shape, kwargs", UNFOLD)
def test_unfold_matches_torch(shape, kwargs):
    (x,) = _arrays(8, shape)
    run_both(lambda lib, x: F(lib).unfold(x, **kwargs), [x])


def test_fold_matches_torch_and_is_unfolds_adjoint():
    (cols,) = _arrays(9, (2, 4 * 6, 12))
    kwargs = {"kernel_size": (2, 3), "padding": 1, "stride": (2, 1)}
    run_both(lambda lib, c: F(lib).fold(c, (5, 4), **kwargs), [cols])
    # <unfold(x), c> == <x, fold(c)>: fold is the transpose of unfold
    (x,) = _arrays(10, (2, 4, 5, 4))
    u = F(ember).unfold(ember.from_numpy(x), **kwargs).numpy()
    f = F(ember).fold(ember.from_numpy(cols), (5, 4), **kwargs).numpy()
    assert np.isclose((u * cols).sum(), (x * f).sum(), rtol=1e-12)


def test_unfold_fold_gradcheck():
    (x,) = _arrays(11, (1, 2, 4, 4))
    check_gradcheck(lambda lib, x: F(lib).unfold(x, 2, padding=1, stride=2), [x], second_order=True)
    (c,) = _arrays(12, (1, 8, 9))
    check_gradcheck(
        lambda lib, c: F(lib).fold(c, (4, 4), 2, padding=1, stride=2), [c], second_order=True
    )


def test_grad_fn_names_and_fresh_outputs():
    x, w = _arrays(13, (2, 3, 6, 6), (4, 3, 3, 3))
    xe, we = ember.from_numpy(x).requires_grad_(), ember.from_numpy(w)
    first = F(ember).conv2d(xe, we)
    kept = first.detach().numpy().copy()
    F(ember).conv2d(ember.from_numpy(x[:1, :, :5]), we)  # a second conv reuses scratch memory
    np.testing.assert_array_equal(first.detach().numpy(), kept)
    one = F(ember).conv2d(ember.from_numpy(x[:1]), we)  # one sample: no view of scratch either
    kept = one.numpy().copy()
    F(ember).conv2d(ember.from_numpy(x[1:]), we)
    np.testing.assert_array_equal(one.numpy(), kept)
    back = F(ember).conv_transpose2d(one, we)
    kept = back.numpy().copy()
    F(ember).conv_transpose2d(one * 2, we)
    np.testing.assert_array_equal(back.numpy(), kept)
    assert first.grad_fn.name() == "ConvolutionBackward0"
    assert first.is_contiguous()
    assert F(ember).unfold(xe, 2).grad_fn.name() == "Im2ColBackward0"


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda F, x, w: F.conv2d(x, ember.zeros(4, 2, 3, 3)), "to have 2 channels, but got 3"),
        (lambda F, x, w: F.conv2d(x, w, groups=2), "expected input[2, 3, 6, 6] to have 6 channels"),
        (lambda F, x, w: F.conv2d(x, ember.zeros(4, 3, 7, 7)), "Kernel size can't be greater"),
        (lambda F, x, w: F.conv2d(x, w, stride=2, padding="same"), "not supported for strided"),
        (lambda F, x, w: F.conv2d(x, w, padding="full"), "invalid padding string 'full'"),
        (lambda F, x, w: F.conv2d(x[0, 0], w), "input of size: [6, 6]"),
        (lambda F, x, w: F.conv2d(x, w.double()), "input type (ember.float32) and weight type"),
        (lambda F, x, w: F.conv2d(x, w, stride=0), "non-positive stride"),
        (lambda F, x, w: F.conv2d(x, w, padding=-1), "negative padding"),
        (lambda F, x, w: F.conv2d(x, w, bias=ember.zeros(3)), "expected bias of size [4]"),
        (lambda F, x, w: F.conv2d(x, ember.zeros(3, 3, 3, 3), groups=2), "divisible by 2"),
        (
            lambda F, x, w: F.conv_transpose2d(
                x, ember.zeros(3, 2, 3, 3), stride=2, output_padding=2
            ),
            "output padding must be smaller",
        ),
        (lambda F, x, w: F.fold(ember.zeros(1, 8, 5), (4, 4), 2), "number of sliding blocks"),
    ],
)
def test_conv_errors_name_the_problem(call, message):
    x, w = ember.zeros(2, 3, 6, 6), ember.zeros(4, 3, 3, 3)
    with pytest.raises((RuntimeError, ValueError)) as info:
        call(F(ember), x, w)
    assert message in str(info.value)


def test_torch_rejects_what_ember_rejects():
    # The geometry test above skips kernels larger than the padded input: so does PyTorch.
    with pytest.raises(RuntimeError):
        torch.nn.functional.conv2d(torch.zeros(1, 1, 3, 3), torch.zeros(1, 1, 5, 5))
    with pytest.raises(RuntimeError):
        F(ember).conv2d(ember.zeros(1, 1, 3, 3), ember.zeros(1, 1, 5, 5))


# ----- modules -----------------------------------------------------------------------------------

CONV_MODULES = [
    (
        "Conv2d",
        (4, 6, (3, 2)),
        {"stride": (2, 1), "padding": 1, "dilation": (1, 2), "groups": 2},
        (2, 4, 7, 6),
    ),
    ("Conv2d", (3, 4, 3), {"padding": "same", "padding_mode": "reflect"}, (2, 3, 5, 5)),
    ("Conv2d", (3, 4, 2), {"padding": 1, "padding_mode": "circular", "bias": False}, (2, 3, 4, 5)),
    ("Conv2d", (3, 4, 3), {"padding": (1, 2), "padding_mode": "replicate"}, (3, 5, 4)),
    ("Conv1d", (3, 4, 3), {"stride": 2}, (2, 3, 9)),
    (
        "ConvTranspose2d",
        (4, 6, 3),
        {"stride": 2, "padding": 1, "output_padding": 1, "groups": 2},
        (2, 4, 3, 4),
    ),
    ("ConvTranspose1d", (3, 2, 4), {"stride": 3}, (2, 3, 5)),
]


@pytest.mark.filterwarnings("ignore:Using padding='same'")
@pytest.mark.parametrize("name, args, kwargs, shape", CONV_MODULES)
def test_conv_modules_match_torch_and_pass_the_harness(name, args, kwargs, shape):
    theirs = getattr(torch.nn, name)(*args, **kwargs).double()
    mine = getattr(ember.nn, name)(*args, **kwargs).double()
    same_weights(mine, theirs)
    (x,) = _arrays(20, shape)
    compare_modules(mine, theirs, [x])
    ember.testing.check_module(mine, ember.from_numpy(x))


def test_conv_transpose_output_size_argument():
    theirs = torch.nn.ConvTranspose2d(2, 3, 3, stride=2).double()
    mine = ember.nn.ConvTranspose2d(2, 3, 3, stride=2).double()
    same_weights(mine, theirs)
    (x,) = _arrays(21, (1, 2, 4, 4))
    out = compare_modules(mine, theirs, [x], kwargs=lambda lib: {"output_size": [10, 10]})
    assert out.shape == (1, 3, 10, 10)


def test_spatial_convolution_is_torch7s_conv2d():
    layer = ember.nn.SpatialConvolution(3, 5, 3, 2, 1, 2, 1, 0)  # kW=3, kH=2, dW=1, dH=2, padW=1
    assert isinstance(layer, ember.nn.Conv2d)
    assert layer.kernel_size == (2, 3) and layer.stride == (2, 1) and layer.padding == (0, 1)
    assert tuple(layer.weight.shape) == (5, 3, 2, 3)
    ember.testing.check_module(layer, ember.randn(2, 3, 6, 6))
    # The Torch7 protocol: gradWeight is weight.grad, filled by accGradParameters with scale.
    x, g = ember.randn(2, 3, 6, 6), ember.randn(2, 5, 3, 6)
    layer.zeroGradParameters()
    layer.forward(x)
    layer.backward(x, g, 0.5)
    assert layer.gradWeight is layer.weight.grad and layer.gradBias is layer.bias.grad


def test_conv_default_initialisation_is_pytorchs():
    ember.manual_seed(0)
    layer = ember.nn.Conv2d(8, 16, 3, groups=2)
    bound = 1 / np.sqrt(4 * 9)  # fan_in = in_channels / groups * kernel area
    assert uniform_bound(layer.weight.detach().numpy(), bound)
    assert (
        uniform_bound(layer.bias.detach().numpy(), bound)
        or (np.abs(layer.bias.detach().numpy()) <= bound).all()
    )
    transposed = ember.nn.ConvTranspose2d(4, 6, 3)  # weight (in, out, k, k): fan_in = 6 * 9
    assert uniform_bound(transposed.weight.detach().numpy(), 1 / np.sqrt(6 * 9))


@pytest.mark.parametrize(
    "build, message",
    [
        (lambda nn: nn.Conv2d(3, 4, 3, groups=2), "in_channels (3) must be divisible by groups"),
        (lambda nn: nn.Conv2d(4, 3, 3, groups=2), "out_channels (3) must be divisible by groups"),
        (lambda nn: nn.Conv2d(4, 4, 3, padding_mode="mirror"), "padding_mode must be one of"),
        (lambda nn: nn.Conv2d(4, 4, 3, stride=2, padding="same"), "not supported for strided"),
        (lambda nn: nn.ConvTranspose2d(4, 4, 3, padding_mode="reflect"), 'Only "zeros" padding'),
    ],
)
def test_conv_module_errors_name_the_problem(build, message):
    with pytest.raises(ValueError) as info:
        build(ember.nn)
    assert message in str(info.value)

"""More torch.nn layers, each against PyTorch from the same arrays (forward, gradients of every
input and parameter, repr, errors) and through the conformance harness (protocol == autograd ==
finite differences): PReLU, PixelShuffle/PixelUnshuffle, Bilinear, AdaptiveMaxPool1d/2d,
EmbeddingBag, InstanceNorm's running statistics and pad_sequence."""

import numpy as np
import pytest
import torch
from conftest import assert_close, assert_same_tensor, run_both
from hypothesis import given, settings
from hypothesis import strategies as st

import ember
from ember import nn
from ember.nn import functional as F
from ember.testing import check_module

FAST = settings(max_examples=15, deadline=None)
TOL = (1e-10, 1e-12)  # float64


def twins(make):
    """The layer in ember and in torch (float64), with torch's parameters and buffers in ember."""
    t = make(torch).double()
    e = make(ember).double()
    e.load_state_dict(
        {k: ember.from_numpy(v.detach().numpy().copy()) for k, v in t.state_dict().items()}
    )
    return e, t


def compare_module(make, *arrays, seed=0):
    """Forward and backward of ``make(lib)(*inputs)`` in both libraries: output, the gradient of
    every float input and every parameter, by autograd; returns the ember module and outputs."""
    return compare_twins(*twins(make), *arrays, seed=seed)


def compare_twins(e, t, *arrays, seed=0):
    """:func:`compare_module` on an ember module and its torch twin, as they are."""
    results = {}
    for lib, module in ((ember, e), (torch, t)):
        inputs = [lib.from_numpy(a.copy()) for a in arrays]
        for x in inputs:
            if x.is_floating_point():
                x.requires_grad_()
        out = module(*inputs)
        first = out[0] if isinstance(out, tuple) else out
        upstream = np.random.default_rng(seed).standard_normal(tuple(first.shape))
        first.backward(lib.from_numpy(upstream))
        results[lib] = (out, inputs, dict(module.named_parameters()))
    (oe, ie, pe), (ot, it, pt) = results[ember], results[torch]
    for a, b in zip(oe if isinstance(oe, tuple) else [oe], ot if isinstance(ot, tuple) else [ot]):
        assert_same_tensor(a, b, *TOL, what="output")
    for i, (a, b) in enumerate(zip(ie, it)):
        if b.requires_grad:
            assert_same_tensor(a.grad, b.grad, *TOL, what=f"grad of input {i}")
    assert list(pe) == list(pt)
    for name in pt:
        assert_same_tensor(pe[name].grad, pt[name].grad, *TOL, what=f"grad of {name}")
    return e, oe


def same_error(call, exception=RuntimeError):
    """``call(lib)`` raises the same error type with the same message in both libraries."""
    messages = []
    for lib in (ember, torch):
        with pytest.raises(exception) as info:
            call(lib)
        messages.append(str(info.value))
    assert messages[0] == messages[1]


@pytest.mark.parametrize(
    "make",
    [
        lambda lib: lib.nn.PReLU(),
        lambda lib: lib.nn.PReLU(3, init=0.1),
        lambda lib: lib.nn.PixelShuffle(2),
        lambda lib: lib.nn.PixelUnshuffle(3),
        lambda lib: lib.nn.Bilinear(3, 4, 5),
        lambda lib: lib.nn.Bilinear(3, 4, 5, bias=False),
    ],
)
def test_layers_print_as_torch(make):
    assert repr(make(ember)) == repr(make(torch)).replace("torch.", "ember.")


# ----- PReLU -----------------------------------------------------------------------------------


@FAST
@given(
    shape=st.lists(st.integers(1, 4), min_size=0, max_size=4),
    per_channel=st.booleans(),
    seed=st.integers(0, 2**16),
)
def test_prelu_matches_torch(shape, per_channel, seed):
    rng = np.random.default_rng(seed)
    channels = shape[1] if per_channel and len(shape) >= 2 else 1
    x = rng.standard_normal(shape)
    w = rng.standard_normal(channels if shape else 1)
    out = run_both(lambda lib, x, w: lib.nn.functional.prelu(x, w), [x, w], second_order=True)
    assert out[0].grad_fn.name() == "PreluKernelBackward0"


def test_prelu_module():
    assert nn.PReLU(4, 0.3).weight.tolist() == pytest.approx([0.3] * 4)
    assert [n for n, _ in nn.PReLU().named_parameters()] == ["weight"]
    x = np.random.default_rng(0).standard_normal((3, 4, 5))
    compare_module(lambda lib: lib.nn.PReLU(4, init=-0.2), x)
    compare_module(lambda lib: lib.nn.PReLU(), x)
    ember.manual_seed(0)
    check_module(nn.PReLU(4, 0.4), ember.randn(3, 4, 5))
    check_module(nn.PReLU(), ember.randn(3, 4))


def test_prelu_errors():
    same_error(lambda lib: lib.nn.functional.prelu(lib.randn(2, 3, 4), lib.randn(2)))
    same_error(lambda lib: lib.nn.functional.prelu(lib.randn(2, 3, 4), lib.randn(1, 3)))
    same_error(lambda lib: lib.nn.functional.prelu(lib.randn(3), lib.randn(3)))
    same_error(lambda lib: lib.nn.functional.prelu(lib.tensor(3.0), lib.randn(2)))


# ----- PixelShuffle / PixelUnshuffle ------------------------------------------------------------


@FAST
@given(
    lead=st.lists(st.integers(1, 3), max_size=2),
    c=st.integers(1, 3),
    h=st.integers(1, 3),
    w=st.integers(1, 3),
    r=st.integers(1, 3),
    seed=st.integers(0, 2**16),
)
def test_pixel_shuffle_and_unshuffle_match_torch(lead, c, h, w, r, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((*lead, c * r * r, h, w))
    out = run_both(lambda lib, x: lib.nn.functional.pixel_shuffle(x, r), [x], second_order=True)
    assert out[0].grad_fn.name() == "PixelShuffleBackward0"
    y = rng.standard_normal((*lead, c, h * r, w * r))
    out = run_both(lambda lib, y: lib.nn.functional.pixel_unshuffle(y, r), [y], second_order=True)
    assert out[0].grad_fn.name() == "PixelUnshuffleBackward0"
    round_trip = F.pixel_unshuffle(F.pixel_shuffle(ember.from_numpy(x), r), r)
    np.testing.assert_array_equal(round_trip.numpy(), x)


def test_pixel_shuffle_modules():
    x = np.random.default_rng(0).standard_normal((2, 8, 3, 2))
    compare_module(lambda lib: lib.nn.PixelShuffle(2), x)
    compare_module(lambda lib: lib.nn.PixelUnshuffle(2), x.reshape(2, 2, 6, 4))
    ember.manual_seed(0)
    check_module(nn.PixelShuffle(2), ember.randn(2, 8, 3, 2))
    check_module(nn.PixelUnshuffle(3), ember.randn(2, 1, 3, 6))


def test_pixel_shuffle_errors():
    same_error(lambda lib: lib.nn.functional.pixel_shuffle(lib.randn(4, 4), 2))
    same_error(lambda lib: lib.nn.functional.pixel_shuffle(lib.randn(5, 4, 4), 2))
    same_error(lambda lib: lib.nn.functional.pixel_shuffle(lib.randn(4, 4, 4), 0))
    same_error(lambda lib: lib.nn.functional.pixel_unshuffle(lib.randn(4, 4), 2))
    same_error(lambda lib: lib.nn.functional.pixel_unshuffle(lib.randn(4, 5, 4), 2))
    same_error(lambda lib: lib.nn.functional.pixel_unshuffle(lib.randn(4, 4, 5), 2))
    same_error(lambda lib: lib.nn.functional.pixel_unshuffle(lib.randn(4, 4, 4), -1))


# ----- Bilinear ---------------------------------------------------------------------------------


@FAST
@given(
    lead=st.lists(st.integers(1, 3), max_size=2),
    n1=st.integers(1, 4),
    n2=st.integers(1, 4),
    n_out=st.integers(1, 3),
    bias=st.booleans(),
    seed=st.integers(0, 2**16),
)
def test_bilinear_matches_torch(lead, n1, n2, n_out, bias, seed):
    rng = np.random.default_rng(seed)
    arrays = [
        rng.standard_normal((*lead, n1)),
        rng.standard_normal((*lead, n2)),
        rng.standard_normal((n_out, n1, n2)),
    ]
    if bias:
        arrays.append(rng.standard_normal(n_out))
    out = run_both(lambda lib, *t: lib.nn.functional.bilinear(*t), arrays, second_order=True)
    assert out[0].grad_fn.name() == ("AddBackward0" if bias else "ViewBackward0")


def test_bilinear_module_and_initialisation():
    rng = np.random.default_rng(0)
    x1, x2 = rng.standard_normal((4, 3)), rng.standard_normal((4, 5))
    compare_module(lambda lib: lib.nn.Bilinear(3, 5, 2), x1, x2)
    compare_module(lambda lib: lib.nn.Bilinear(3, 5, 2, bias=False), x1, x2)
    ember.manual_seed(0)
    layer = nn.Bilinear(40, 7, 30)
    bound = 1 / np.sqrt(40)  # in1_features sets both bounds
    for p, shape in ((layer.weight, (30, 40, 7)), (layer.bias, (30,))):
        values = p.detach().numpy()
        assert values.shape == shape and values.dtype == np.float32
        assert np.abs(values).max() <= bound and np.abs(values).max() > 0.9 * bound


def test_bilinear_protocol_is_autograd_and_finite_differences():
    # Two inputs: the protocol takes them as a pair (a Torch7 table) and returns a pair.
    ember.manual_seed(0)
    layer = nn.Bilinear(3, 2, 4).double()
    x1 = ember.randn(5, 3, dtype=ember.float64)
    x2 = ember.randn(5, 2, dtype=ember.float64)
    g = ember.randn(5, 4, dtype=ember.float64)
    pair = (x1, x2)
    layer.zeroGradParameters()
    out = layer.forward(pair)
    assert layer.output is out
    grad_input = layer.backward(pair, g, 0.5)
    assert grad_input is layer.gradInput and len(grad_input) == 2
    protocol = [*grad_input, layer.weight.grad * 2, layer.bias.grad * 2]  # undo the scale
    layer.zero_grad()
    a1, a2 = x1.clone().requires_grad_(), x2.clone().requires_grad_()
    layer(a1, a2).backward(g)
    autograd = [a1.grad, a2.grad, layer.weight.grad, layer.bias.grad]
    for ours, theirs in zip(protocol, autograd):
        assert_close(ours, theirs, 1e-12, 1e-12)
    assert ember.autograd.gradcheck(
        lambda a, b, w, bias: F.bilinear(a, b, w, bias),
        (a1, a2, layer.weight, layer.bias),
    )


def test_bilinear_errors():
    def call(s1, s2, sw, sb=None, dtypes=("float32",) * 3):
        def run(lib):
            t = [lib.randn(*s) for s in (s1, s2, sw)]
            t = [x.to(getattr(lib, d)) for x, d in zip(t, dtypes)]
            return lib.nn.functional.bilinear(*t, None if sb is None else lib.randn(*sb))

        return run

    same_error(call((2, 3), (3, 4), (5, 3, 4)))
    same_error(call((2, 3), (2, 5), (5, 3, 4)))
    same_error(call((2, 4), (2, 4), (5, 3, 4)))
    same_error(call((2, 3), (2, 4), (5, 3, 4), (4,)))
    same_error(call((2, 3), (4,), (5, 3, 4)))
    same_error(call((2, 3), (2, 4), (5, 3, 4), dtypes=("float32", "float64", "float32")))


# ----- AdaptiveMaxPool1d/2d ---------------------------------------------------------------------


@FAST
@given(
    batch=st.booleans(),
    size=st.tuples(st.integers(1, 7), st.integers(1, 7)),
    out=st.tuples(st.integers(1, 8), st.integers(1, 8)),
    keep=st.sampled_from([None, 0, 1]),
    ties=st.booleans(),
    seed=st.integers(0, 2**16),
)
def test_adaptive_max_pool2d_matches_torch(batch, size, out, keep, ties, seed):
    rng = np.random.default_rng(seed)
    shape = ((2,) if batch else ()) + (3, *size)
    # rounded values make ties, where the first maximum must win as in PyTorch
    x = rng.integers(-2, 3, shape).astype(float) if ties else rng.standard_normal(shape)
    size_arg = tuple(None if i == keep else o for i, o in enumerate(out))
    e = run_both(
        lambda lib, x: lib.nn.functional.adaptive_max_pool2d(x, size_arg, return_indices=True),
        [x],
    )
    if batch:  # unbatched, ember adds a batch dim and squeezes it (SqueezeBackward1)
        assert e[0].grad_fn.name() == "AdaptiveMaxPool2DBackward0"


@FAST
@given(
    batch=st.booleans(),
    length=st.integers(1, 9),
    out=st.integers(1, 10),
    seed=st.integers(0, 2**16),
)
def test_adaptive_max_pool1d_matches_torch(batch, length, out, seed):
    x = np.random.default_rng(seed).standard_normal(((2,) if batch else ()) + (3, length))
    e = run_both(
        lambda lib, x: lib.nn.functional.adaptive_max_pool1d(x, out, return_indices=True), [x]
    )
    assert e[0].grad_fn.name() == "SqueezeBackward1"  # pooled as 2-D, as PyTorch does
    run_both(lambda lib, x: lib.nn.functional.adaptive_max_pool1d(x, (out,)), [x])


def test_adaptive_max_pool_nan_and_infinity_win_as_in_torch():
    x = np.random.default_rng(0).standard_normal((1, 2, 5, 6))
    x[0, 0, 1, 1] = x[0, 0, 1, 2] = np.nan
    x[0, 1, :3, :3] = -np.inf
    run_both(lambda lib, x: lib.nn.functional.adaptive_max_pool2d(x, 2, return_indices=True), [x])


@pytest.mark.parametrize(
    "make, shape",
    [
        (lambda lib: lib.nn.AdaptiveMaxPool2d((2, 3)), (2, 3, 5, 7)),
        (lambda lib: lib.nn.AdaptiveMaxPool2d((None, 2), return_indices=True), (3, 4, 5)),
        (lambda lib: lib.nn.AdaptiveMaxPool1d(3), (2, 3, 7)),
        (lambda lib: lib.nn.AdaptiveMaxPool1d(4, True), (3, 5)),
    ],
)
def test_adaptive_max_pool_modules(make, shape):
    assert repr(make(ember)) == repr(make(torch))
    compare_module(make, np.random.default_rng(0).standard_normal(shape))
    module = make(ember)
    module.return_indices = False  # the harness checks one output
    ember.manual_seed(0)
    check_module(module, ember.randn(*shape))


def test_adaptive_max_pool_errors():
    same_error(lambda lib: lib.nn.functional.adaptive_max_pool2d(lib.randn(4), 2))
    same_error(lambda lib: lib.nn.functional.adaptive_max_pool2d(lib.randn(2, 3, 0, 4), 2))
    same_error(lambda lib: lib.nn.functional.adaptive_max_pool1d(lib.randn(4), 2))
    same_error(lambda lib: lib.nn.functional.adaptive_max_pool1d(lib.randn(2, 3, 4, 5), 2))
    same_error(lambda lib: lib.nn.functional.adaptive_max_pool1d(lib.randn(2, 3, 0), 2))
    same_error(lambda lib: lib.nn.functional.adaptive_max_pool1d(lib.randn(2, 3, 4), (2, 2)))


# ----- pad_sequence -----------------------------------------------------------------------------


@FAST
@given(
    lengths=st.lists(st.integers(0, 4), min_size=1, max_size=4),
    trailing=st.lists(st.integers(1, 3), max_size=2),
    batch_first=st.booleans(),
    side=st.sampled_from(["left", "right"]),
    value=st.sampled_from([0.0, -1.5]),
    seed=st.integers(0, 2**16),
)
def test_pad_sequence_matches_torch(lengths, trailing, batch_first, side, value, seed):
    rng = np.random.default_rng(seed)
    arrays = [rng.standard_normal((n, *trailing)) for n in lengths]

    def fn(lib, *seqs):
        return lib.nn.utils.rnn.pad_sequence(list(seqs), batch_first, value, side)

    run_both(fn, arrays)


def test_pad_sequence_of_indices_and_of_a_tensor():
    for lib_input in (
        lambda lib: [lib.arange(3), lib.arange(1)],
        lambda lib: lib.arange(6).reshape(2, 3),  # a tensor is a sequence of its rows
    ):
        e, t = (
            lib.nn.utils.rnn.pad_sequence(lib_input(lib), True, padding_value=-1)
            for lib in (ember, torch)
        )
        assert_same_tensor(e, t)


def test_pad_sequence_errors():
    def pad(*shapes, **kwargs):
        return lambda lib: lib.nn.utils.rnn.pad_sequence([lib.ones(s) for s in shapes], **kwargs)

    same_error(pad((3, 2), (5, 2), padding_side="middle"))
    same_error(pad((3, 2), (5, 3)))
    same_error(lambda lib: lib.nn.utils.rnn.pad_sequence([]))


# ----- InstanceNorm running statistics ----------------------------------------------------------


@pytest.mark.parametrize(
    "make, shape",
    [
        (lambda lib: lib.nn.InstanceNorm1d(3, track_running_stats=True), (4, 3, 5)),
        (lambda lib: lib.nn.InstanceNorm1d(3, momentum=0.3, track_running_stats=True), (3, 5)),
        (
            lambda lib: lib.nn.InstanceNorm2d(2, affine=True, track_running_stats=True),
            (2, 2, 3, 4),
        ),
        (
            lambda lib: lib.nn.InstanceNorm2d(2, momentum=None, track_running_stats=True),
            (2, 2, 3, 3),
        ),
    ],
)
def test_instance_norm_running_stats_match_torch_in_train_and_eval(make, shape):
    assert repr(make(ember)) == repr(make(torch))
    rng = np.random.default_rng(0)
    e, t = twins(make)
    for step in range(3):  # training updates the running statistics
        compare_module(
            lambda lib, m={ember: e, torch: t}: m[lib], rng.standard_normal(shape) + step
        )
    assert list(e.state_dict()) == list(t.state_dict())
    for (name, a), b in zip(e.state_dict().items(), t.state_dict().values()):
        assert_same_tensor(a, b, *TOL, what=name)
    e.eval(), t.eval()  # eval normalizes by them
    compare_twins(e, t, rng.standard_normal(shape))
    ember.manual_seed(0)
    for training in (True, False):
        check_module(make(ember).train(training), ember.randn(*shape) * 2 + 1)


@pytest.mark.parametrize("use_input_stats", [True, False])
def test_instance_norm_function_with_running_stats(use_input_stats):
    rng = np.random.default_rng(1)
    x, w, b = rng.standard_normal((3, 2, 4)), rng.standard_normal(2), rng.standard_normal(2)
    stats = {}

    def fn(lib, x, w, b):
        mean, var = lib.zeros(2, dtype=lib.float64), lib.ones(2, dtype=lib.float64) * 1.5
        out = lib.nn.functional.instance_norm(x, mean, var, w, b, use_input_stats, 0.2, 1e-3)
        stats[lib] = (mean, var)
        return out

    run_both(fn, [x, w, b])
    for a, c in zip(stats[ember], stats[torch]):
        assert_same_tensor(a, c, *TOL)


def test_instance_norm_errors():
    same_error(
        lambda lib: lib.nn.functional.instance_norm(lib.randn(2, 3, 4), lib.zeros(4), lib.ones(4))
    )
    same_error(
        lambda lib: lib.nn.functional.instance_norm(lib.randn(2, 3, 4), use_input_stats=False)
    )
    with pytest.raises(ValueError, match="Expected more than 1 spatial element when training"):
        nn.InstanceNorm1d(3, track_running_stats=True)(ember.randn(2, 3, 1))


# ----- EmbeddingBag -----------------------------------------------------------------------------


@FAST
@given(
    mode=st.sampled_from(["sum", "mean", "max"]),
    layout=st.sampled_from(["2d", "offsets", "last-offset"]),
    weighted=st.booleans(),
    padding=st.sampled_from([None, 1, -2]),
    seed=st.integers(0, 2**16),
)
def test_embedding_bag_matches_torch(mode, layout, weighted, padding, seed):
    rng = np.random.default_rng(seed)
    weight = rng.standard_normal((6, 3))
    if layout == "2d":
        indices, offsets = rng.integers(0, 6, (4, 3)), None
    else:
        indices = rng.integers(0, 6, 7)
        offsets = np.sort(np.concatenate([[0], rng.integers(0, 8, 3)]))  # empty bags too
    arrays = [weight, indices, offsets]
    weighted = weighted and mode == "sum"
    if weighted:
        arrays.append(rng.standard_normal(indices.shape))

    def fn(lib, weight, indices, offsets, *psw):
        return lib.nn.functional.embedding_bag(
            indices,
            weight,
            offsets,
            mode=mode,
            per_sample_weights=psw[0] if psw else None,
            include_last_offset=layout == "last-offset",
            padding_idx=padding,
        )

    out = run_both(fn, arrays)
    assert out[0].grad_fn.name() == "EmbeddingBagBackward0"


@pytest.mark.parametrize(
    "make",
    [
        lambda lib: lib.nn.EmbeddingBag(7, 3),
        lambda lib: lib.nn.EmbeddingBag(7, 3, mode="sum", padding_idx=2),
        lambda lib: lib.nn.EmbeddingBag(7, 3, mode="max", norm_type=1.0),
    ],
)
def test_embedding_bag_module(make):
    assert repr(make(ember)) == repr(make(torch))
    indices = np.array([[0, 2, 5], [6, 6, 1], [2, 2, 2]])
    compare_module(make, indices)
    e, _ = compare_module(make, indices.reshape(-1), np.array([0, 4, 4]))
    ember.manual_seed(0)
    module = make(ember)
    assert module.weight.shape == (7, 3)
    if module.padding_idx is not None:
        assert not module.weight[module.padding_idx].detach().numpy().any()
    check_module(module, ember.tensor(indices))


def test_embedding_bag_errors():
    def bag(indices, offsets=None, **kwargs):
        def run(lib):
            t = lib.tensor(indices)
            o = None if offsets is None else lib.tensor(offsets)
            return lib.nn.functional.embedding_bag(t, lib.randn(10, 3), o, **kwargs)

        return run

    same_error(bag([1, 2, 3]), ValueError)
    with pytest.raises(RuntimeError, match=r"offsets\[0\] has to be 0.*However, got 1"):
        bag([1, 2, 3], [1])(ember)  # torch adds the offset's printout
    same_error(bag([1, 2, 30], [0]))
    same_error(bag([[[1]]]), ValueError)
    same_error(bag([1, 2, 3], [0, 1], mode="foo"), ValueError)

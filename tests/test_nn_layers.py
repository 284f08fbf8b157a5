"""Every layer of ember.nn: passes the conformance harness (protocol == autograd == finite
differences) and matches torch.nn from the same weights, in float32 and float64; the functional
forms; Linear's initialisation; dropout; errors."""

import math

import numpy as np
import pytest
import torch
from conftest import assert_close
from hypothesis import given, settings
from hypothesis import strategies as st

import ember
from ember import nn
from ember.nn import functional as F
from ember.testing import check_module

FAST = settings(max_examples=12, deadline=None)

# (id, constructor given the library, input shape)
LAYERS = [
    ("linear", lambda lib: lib.nn.Linear(3, 4), (5, 3)),
    ("linear-no-bias", lambda lib: lib.nn.Linear(3, 4, bias=False), (5, 3)),
    ("linear-1d", lambda lib: lib.nn.Linear(3, 2), (3,)),
    ("linear-3d", lambda lib: lib.nn.Linear(3, 2), (2, 4, 3)),
    ("relu", lambda lib: lib.nn.ReLU(), (4, 3)),
    ("leaky-relu", lambda lib: lib.nn.LeakyReLU(0.1), (4, 3)),
    ("elu", lambda lib: lib.nn.ELU(0.7), (4, 3)),
    ("gelu", lambda lib: lib.nn.GELU(), (4, 3)),
    ("gelu-tanh", lambda lib: lib.nn.GELU(approximate="tanh"), (4, 3)),
    ("silu", lambda lib: lib.nn.SiLU(), (4, 3)),
    ("tanh", lambda lib: lib.nn.Tanh(), (4, 3)),
    ("sigmoid", lambda lib: lib.nn.Sigmoid(), (4, 3)),
    ("softplus", lambda lib: lib.nn.Softplus(beta=2.0, threshold=1.5), (4, 3)),
    ("softmax", lambda lib: lib.nn.Softmax(dim=1), (4, 3)),
    ("softmax-dim0", lambda lib: lib.nn.Softmax(dim=0), (4, 3)),  # mixes samples: see below
    ("softmax-implicit", lambda lib: lib.nn.Softmax(), (4, 3)),
    ("log-softmax", lambda lib: lib.nn.LogSoftmax(dim=-1), (2, 3, 4)),
    ("hardtanh", lambda lib: lib.nn.Hardtanh(-0.5, 0.8), (4, 3)),
    ("relu6", lambda lib: lib.nn.ReLU6(), (4, 3)),
    ("hardsigmoid", lambda lib: lib.nn.Hardsigmoid(), (4, 3)),
    ("hardswish", lambda lib: lib.nn.Hardswish(), (4, 3)),
    ("logsigmoid", lambda lib: lib.nn.LogSigmoid(), (4, 3)),
    ("mish", lambda lib: lib.nn.Mish(), (4, 3)),
    ("selu", lambda lib: lib.nn.SELU(), (4, 3)),
    ("celu", lambda lib: lib.nn.CELU(0.6), (4, 3)),
    ("softsign", lambda lib: lib.nn.Softsign(), (4, 3)),
    ("tanhshrink", lambda lib: lib.nn.Tanhshrink(), (4, 3)),
    ("glu", lambda lib: lib.nn.GLU(), (4, 6)),
    ("unflatten", lambda lib: lib.nn.Unflatten(1, (2, 3)), (4, 6)),
    ("zero-pad-2d", lambda lib: lib.nn.ZeroPad2d((1, 2, 0, 1)), (2, 3, 4, 5)),
    ("constant-pad-1d", lambda lib: lib.nn.ConstantPad1d((1, 2), -1.5), (2, 3, 4)),
    ("reflection-pad-2d", lambda lib: lib.nn.ReflectionPad2d(1), (2, 3, 4, 5)),
    ("replication-pad-1d", lambda lib: lib.nn.ReplicationPad1d((0, 3)), (2, 3, 4)),
    ("upsample-nearest", lambda lib: lib.nn.Upsample(scale_factor=2), (2, 3, 4, 5)),
    (
        "upsample-bilinear",
        lambda lib: lib.nn.Upsample(size=(3, 7), mode="bilinear", align_corners=True),
        (2, 3, 4, 5),
    ),
    ("instance-norm-2d", lambda lib: lib.nn.InstanceNorm2d(3), (2, 3, 4, 5)),
    ("instance-norm-1d-affine", lambda lib: lib.nn.InstanceNorm1d(4, affine=True), (2, 4, 6)),
    ("identity", lambda lib: lib.nn.Identity(), (4, 3)),
    ("flatten", lambda lib: lib.nn.Flatten(), (2, 3, 2)),
    ("flatten-0-1", lambda lib: lib.nn.Flatten(0, 1), (2, 3, 2)),
    ("dropout-eval", lambda lib: lib.nn.Dropout(0.5).eval(), (4, 3)),
    (
        "sequential",
        lambda lib: lib.nn.Sequential(
            lib.nn.Linear(3, 5), lib.nn.Tanh(), lib.nn.Linear(5, 2), lib.nn.LogSoftmax(1)
        ),
        (4, 3),
    ),
]


def pair(make, dtype):
    """The layer in ember and in torch, with torch's weights copied into ember's."""
    t = make(torch).to(getattr(torch, dtype))
    e = make(ember).to(getattr(ember, dtype))
    e.load_state_dict(
        {k: ember.from_numpy(v.detach().numpy().copy()) for k, v in t.state_dict().items()}
    )
    return e, t


@pytest.mark.parametrize(
    "make, shape", [(m, s) for _, m, s in LAYERS], ids=[i for i, _, _ in LAYERS]
)
def test_layer_passes_the_harness(make, shape):
    ember.manual_seed(0)
    module = make(ember)
    # Softmax over dim 0 normalises across the batch: a sample alone is not the batch's row.
    mixes_samples = isinstance(module, nn.Softmax) and module.dim == 0
    check_module(module, ember.randn(*shape), unbatched=False if mixes_samples else None)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize(
    "make, shape", [(m, s) for _, m, s in LAYERS], ids=[i for i, _, _ in LAYERS]
)
def test_layer_matches_torch(make, shape, dtype):
    e, t = pair(make, dtype)
    rng = np.random.default_rng(1)
    x = rng.standard_normal(shape).astype(dtype)
    xe = ember.from_numpy(x.copy()).requires_grad_()
    xt = torch.from_numpy(x.copy()).requires_grad_()
    out_e, out_t = e(xe), t(xt)
    tol = {"float32": (2e-5, 2e-6), "float64": (1e-10, 1e-12)}[dtype]
    if isinstance(e, (nn.Hardsigmoid, nn.CELU)) and dtype == "float64":
        tol = (1e-7, 1e-12)  # torch's backward uses float32 constants (1/6, 1/alpha) here
    assert_close(out_e, out_t, *tol, what="output")
    upstream = rng.standard_normal(tuple(out_t.shape)).astype(dtype)
    out_e.backward(ember.from_numpy(upstream.copy()))
    out_t.backward(torch.from_numpy(upstream.copy()))
    assert_close(xe.grad, xt.grad, *tol, what="input grad")
    for (name, pe), pt in zip(e.named_parameters(), t.parameters()):
        assert_close(pe.grad, pt.grad, *tol, what=f"grad of {name}")
    # the protocol gives the same numbers
    e.zero_grad()
    xp = ember.from_numpy(x.copy()).requires_grad_()
    e.forward(xp)
    grad_input = e.backward(xp, ember.from_numpy(upstream.copy()))
    assert_close(grad_input, xt.grad, *tol, what="protocol gradInput")
    for (name, pe), pt in zip(e.named_parameters(), t.parameters()):
        assert_close(pe.grad, pt.grad, *tol, what=f"protocol grad of {name}")


def test_torch7_names_are_the_pytorch_layers():
    assert nn.SoftMax is nn.Softmax and nn.LogSoftMax is nn.LogSoftmax
    x = ember.randn(2, 5)
    np.testing.assert_allclose(nn.SoftMax()(x).sum(1).detach().numpy(), [1, 1], rtol=1e-6)


def test_grad_fn_names_match_torch():
    x = ember.randn(4, 3, requires_grad=True)
    assert nn.Linear(3, 2)(x).grad_fn.name() == "AddmmBackward0"
    assert nn.Linear(3, 2, bias=False)(x).grad_fn.name() == "MmBackward0"
    assert nn.ReLU()(x).grad_fn.name() == "ReluBackward0"
    assert nn.LogSoftmax(1)(x).grad_fn.name() == "LogSoftmaxBackward0"
    assert nn.Dropout()(x).grad_fn.name() == "MulBackward0"


def test_linear_is_one_node_with_second_order_gradients():
    ember.manual_seed(0)
    layer = nn.Linear(3, 2).double()
    x = ember.randn(4, 3, dtype=ember.float64, requires_grad=True)
    assert [f for f, _ in layer(x).grad_fn.next_functions if f is not None][
        0
    ].name() == "AccumulateGrad"  # no transpose node in between

    def f(x, w, b):
        return ember.tanh(F.linear(x, w, b))

    args = (x, layer.weight, layer.bias)
    assert ember.autograd.gradcheck(f, args)
    assert ember.autograd.gradgradcheck(f, args)


@FAST
@given(
    lead=st.lists(st.integers(1, 3), max_size=3),
    n_in=st.integers(1, 4),
    n_out=st.integers(1, 4),
    bias=st.booleans(),
    seed=st.integers(0, 2**16),
)
def test_linear_random_shapes_match_torch(lead, n_in, n_out, bias, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((*lead, n_in))
    w = rng.standard_normal((n_out, n_in))
    b = rng.standard_normal(n_out) if bias else None
    results = {}
    for lib in (ember, torch):
        tensors = [
            None if a is None else lib.from_numpy(a.copy()).requires_grad_() for a in (x, w, b)
        ]
        out = lib.nn.functional.linear(*tensors)
        out.backward(lib.from_numpy(np.cos(np.arange(out.numel())).reshape(tuple(out.shape))))
        results[lib] = [out] + [t.grad for t in tensors if t is not None]
    for e, t in zip(results[ember], results[torch]):
        assert_close(e, t, 1e-10, 1e-12)


def test_linear_default_initialisation():
    ember.manual_seed(0)
    layer = nn.Linear(400, 300)
    w, b = layer.weight.detach().numpy(), layer.bias.detach().numpy()
    bound = 1 / math.sqrt(400)
    assert w.shape == (300, 400) and w.dtype == np.float32
    assert np.abs(w).max() <= bound and np.abs(b).max() <= bound
    # uniform on ±bound: variance bound^2 / 3
    assert abs(w.var() - bound**2 / 3) < 0.05 * bound**2 / 3 and abs(w.mean()) < 0.01 * bound
    ember.manual_seed(0)
    np.testing.assert_array_equal(nn.Linear(400, 300).weight.detach().numpy(), w)  # repeatable
    assert nn.Linear(2, 3, dtype=ember.float64).weight.dtype == ember.float64


def test_dropout_training_and_eval():
    ember.manual_seed(0)
    drop = nn.Dropout(0.25)
    x = ember.ones(200, 100, requires_grad=True)
    out = drop(x)
    values = out.detach().numpy()
    assert set(np.unique(values)) == {0.0, np.float32(1 / 0.75)}
    assert abs((values == 0).mean() - 0.25) < 0.01
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), values)  # the gradient is the same mask
    drop.eval()
    assert drop(x) is x and F.dropout(x, 0.5, training=False) is x
    assert not nn.Dropout(1.0).train()(x).detach().numpy().any()
    assert nn.Dropout(0.0)(x) is x
    with pytest.raises(ValueError, match="between 0 and 1"):
        nn.Dropout(1.5)
    # the protocol's backward uses forward's mask
    drop.train()
    x = ember.randn(10, 10, requires_grad=True)
    out = drop.forward(x)
    mask = (out.detach().numpy() != 0) / 0.75
    np.testing.assert_allclose(drop.backward(x, ember.ones(10, 10)).numpy(), mask, rtol=1e-6)
    ember.testing.check_module(nn.Dropout(0.4), ember.randn(6, 5))  # the harness replays the mask


def test_in_place_activations():
    for make in (
        lambda lib: lib.nn.ReLU(inplace=True),
        lambda lib: lib.nn.LeakyReLU(0.2, True),
        lambda lib: lib.nn.ELU(inplace=True),
        lambda lib: lib.nn.SiLU(inplace=True),
    ):
        x = np.random.default_rng(0).standard_normal((3, 4))
        xe = ember.from_numpy(x.copy()).requires_grad_()
        xt = torch.from_numpy(x.copy()).requires_grad_()
        he, ht = xe * 1, xt * 1  # not a leaf: in place is allowed
        oe, ot = make(ember)(he), make(torch)(ht)
        assert oe is he
        oe.backward(ember.ones(3, 4))
        ot.backward(torch.ones(3, 4))
        assert_close(xe.grad, xt.grad, 1e-10, 1e-12)
        module = make(ember)  # the protocol, in place
        h = ember.from_numpy(x.copy())
        out = module.forward(h)
        assert out is h
        grad = module.backward(h, ember.ones(3, 4, dtype=ember.float64))
        assert_close(grad, xt.grad, 1e-10, 1e-12)
    with pytest.raises(RuntimeError, match="negative slope"):
        nn.LeakyReLU(-0.1, inplace=True)


def test_functional_forms_match_torch():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((3, 4))
    calls = [
        lambda lib, t: lib.nn.functional.relu(t),
        lambda lib, t: lib.nn.functional.leaky_relu(t, 0.3),
        lambda lib, t: lib.nn.functional.elu(t, 1.5),
        lambda lib, t: lib.nn.functional.gelu(t, approximate="tanh"),
        lambda lib, t: lib.nn.functional.silu(t),
        lambda lib, t: lib.nn.functional.softplus(t, 0.5, 1.0),
        lambda lib, t: lib.nn.functional.softmax(t, dim=0),
        lambda lib, t: lib.nn.functional.log_softmax(t, dim=1),
        lambda lib, t: lib.nn.functional.sigmoid(t),
        lambda lib, t: lib.nn.functional.tanh(t),
        lambda lib, t: lib.nn.functional.hardtanh(t, -0.4, 0.9),
        lambda lib, t: lib.nn.functional.relu6(t * 4),
        lambda lib, t: lib.nn.functional.hardswish(t * 3),
        lambda lib, t: lib.nn.functional.logsigmoid(t),
        lambda lib, t: lib.nn.functional.mish(t),
        lambda lib, t: lib.nn.functional.selu(t),
        lambda lib, t: lib.nn.functional.softsign(t),
        lambda lib, t: lib.nn.functional.tanhshrink(t),
        lambda lib, t: lib.nn.functional.glu(t, 1),
        lambda lib, t: lib.nn.functional.normalize(t, dim=1),
        lambda lib, t: lib.nn.functional.normalize(t, p=1, dim=0),
        lambda lib, t: lib.nn.functional.cosine_similarity(t, t.flip(0)),
        lambda lib, t: lib.nn.functional.pairwise_distance(t, t.flip(1)),
    ]
    for call in calls:
        te = ember.from_numpy(x.copy()).requires_grad_()
        tt = torch.from_numpy(x.copy()).requires_grad_()
        oe, ot = call(ember, te), call(torch, tt)
        assert_close(oe, ot, 1e-10, 1e-12)
        upstream = rng.standard_normal(tuple(ot.shape))
        oe.backward(ember.from_numpy(upstream.copy()))
        ot.backward(torch.from_numpy(upstream.copy()))
        assert_close(te.grad, tt.grad, 1e-10, 1e-12)


def test_activations_torch_computes_with_float32_constants():
    # torch's float64 backward of hardsigmoid and celu multiplies by 1/6 and 1/alpha rounded to
    # float32, so it agrees with the exact gradient to about 3e-8 only.
    x = np.random.default_rng(3).standard_normal((3, 4))
    for call in (
        lambda lib, t: lib.nn.functional.hardsigmoid(t * 3),
        lambda lib, t: lib.nn.functional.celu(t, 0.7),
    ):
        te = ember.from_numpy(x.copy()).requires_grad_()
        tt = torch.from_numpy(x.copy()).requires_grad_()
        oe, ot = call(ember, te), call(torch, tt)
        assert_close(oe, ot, 1e-10, 1e-12)
        oe.backward(ember.from_numpy(x.copy()))
        ot.backward(torch.from_numpy(x.copy()))
        assert_close(te.grad, tt.grad, 1e-7, 1e-12)


# The hard activations' gradients at their corners, where PyTorch defines them by strict
# inequalities (not what a composition of clamps would give).
CORNERS = {
    "hardtanh": lambda lib, t: lib.nn.functional.hardtanh(t),
    "relu6": lambda lib, t: lib.nn.functional.relu6(t),
    "hardsigmoid": lambda lib, t: lib.nn.functional.hardsigmoid(t),
    "hardswish": lambda lib, t: lib.nn.functional.hardswish(t),
}


@pytest.mark.parametrize("name", sorted(CORNERS))
def test_hard_activations_at_their_corners_match_torch(name):
    x = np.array([-6.0, -3.0, -1.0, 0.0, 1.0, 3.0, 6.0])
    grads = []
    for lib in (ember, torch):
        t = lib.tensor(x, requires_grad=True)
        out = CORNERS[name](lib, t)
        out.sum().backward()
        grads.append((out.detach().numpy(), t.grad.numpy(), type(out.grad_fn).__name__))
    np.testing.assert_allclose(grads[0][0], grads[1][0])
    np.testing.assert_allclose(grads[0][1], grads[1][1])
    assert grads[0][2] == grads[1][2]


@pytest.mark.parametrize(
    "make",
    [
        lambda lib: lib.nn.Hardtanh(-2.0, 3.0),
        lambda lib: lib.nn.ReLU6(),
        lambda lib: lib.nn.CELU(0.5),
        lambda lib: lib.nn.GLU(),
        lambda lib: lib.nn.Unflatten(1, (2, 3)),
        lambda lib: lib.nn.CosineSimilarity(),
        lambda lib: lib.nn.PairwiseDistance(),
        lambda lib: lib.nn.Mish(),
        lambda lib: lib.nn.AvgPool1d(3, 2, 1),
        lambda lib: lib.nn.Conv2d(1, 1, 3, padding="same"),
        lambda lib: lib.nn.Embedding(5, 3, max_norm=1.0, norm_type=1.0, scale_grad_by_freq=True),
        lambda lib: lib.nn.RNN(3, 4, nonlinearity="relu"),
        lambda lib: lib.nn.RNNCell(3, 4, nonlinearity="relu"),
        lambda lib: lib.nn.ModuleList([lib.nn.ReLU(), lib.nn.ReLU(), lib.nn.Tanh()]),
        lambda lib: lib.nn.ModuleList([lib.nn.Linear(2, 2) for _ in range(3)]),
        lambda lib: lib.nn.ModuleList(),
        lambda lib: lib.nn.ZeroPad2d((1, 2, 0, 1)),
        lambda lib: lib.nn.ConstantPad2d(1, 3.5),
        lambda lib: lib.nn.ReflectionPad1d(2),
        lambda lib: lib.nn.Upsample(scale_factor=2, mode="bilinear"),
        lambda lib: lib.nn.Upsample(size=(3, 4)),
        lambda lib: lib.nn.ParameterList([lib.nn.Parameter(lib.ones(2)), lib.ones(3, 1)]),
        lambda lib: lib.nn.MarginRankingLoss(margin=0.5),
        lambda lib: lib.nn.InstanceNorm2d(3),
        lambda lib: lib.nn.InstanceNorm1d(4, affine=True),
    ],
)
def test_layers_print_as_torch(make):
    assert repr(make(ember)) == repr(make(torch)).replace("torch.", "ember.")


@pytest.mark.parametrize("lib", [ember, torch], ids=["ember", "torch"])
def test_parameter_containers_register_their_parameters(lib):
    class Model(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.listed = lib.nn.ParameterList([lib.nn.Parameter(lib.ones(2)), lib.ones(3)])
            self.named = lib.nn.ParameterDict({"a": lib.nn.Parameter(lib.ones(2))})
            self.listed.append(lib.zeros(1))

    model = Model()
    assert list(model.state_dict()) == ["listed.0", "listed.1", "listed.2", "named.a"]
    assert len(model.listed) == 3 and isinstance(model.listed[1], lib.nn.Parameter)
    assert "a" in model.named and len(list(model.parameters())) == 4
    (model.listed[0].sum() * 2 + model.named["a"].sum()).backward()
    assert model.listed[0].grad.tolist() == [2.0, 2.0]
    assert model.named["a"].grad.tolist() == [1.0, 1.0]


@pytest.mark.parametrize(
    "name, kwargs",
    [
        ("MarginRankingLoss", {}),
        ("MarginRankingLoss", {"margin": 0.3, "reduction": "sum"}),
        ("CosineEmbeddingLoss", {}),
        ("CosineEmbeddingLoss", {"margin": 0.2, "reduction": "none"}),
    ],
)
def test_pair_losses_match_torch(name, kwargs):
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((2, 4, 3))
    if name == "MarginRankingLoss":
        a, b = a[:, 0], b[:, 0]
    target = np.array([1.0, -1.0, 1.0, -1.0])
    results = []
    for lib in (ember, torch):
        ta, tb = lib.tensor(a, requires_grad=True), lib.tensor(b, requires_grad=True)
        out = getattr(lib.nn, name)(**kwargs)(ta, tb, lib.tensor(target))
        out.sum().backward()
        results.append((out.detach().numpy(), ta.grad.numpy(), tb.grad.numpy()))
    for ours, theirs in zip(*results):
        np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12)


def test_distance_layers_match_torch():
    rng = np.random.default_rng(4)
    a, b = rng.standard_normal((2, 3, 5))
    for make in (lambda lib: lib.nn.CosineSimilarity(), lambda lib: lib.nn.PairwiseDistance(p=1)):
        outs = []
        for lib in (ember, torch):
            ta = lib.tensor(a, requires_grad=True)
            out = make(lib)(ta, lib.tensor(b))
            out.sum().backward()
            outs.append((out.detach().numpy(), ta.grad.numpy()))
        np.testing.assert_allclose(outs[0][0], outs[1][0], rtol=1e-10)
        np.testing.assert_allclose(outs[0][1], outs[1][1], rtol=1e-10)


def test_layer_errors():
    layer = nn.Linear(3, 2)
    with pytest.raises(
        RuntimeError,
        match=r"mat1 and mat2 shapes cannot be multiplied \(4x5 and "
        r"3x2\)",
    ):
        layer(ember.randn(4, 5))
    with pytest.raises(RuntimeError, match="same dtype, but got Double and Float"):
        layer(ember.randn(4, 3, dtype=ember.float64))
    with pytest.raises(TypeError, match="must be Tensors"):
        layer(np.ones((4, 3)))
    with pytest.raises(RuntimeError, match="bias must have shape"):
        F.linear(ember.randn(2, 3), ember.randn(2, 3), ember.randn(3))
    with pytest.raises(RuntimeError, match="approximate argument"):
        nn.GELU("fast")
    with pytest.raises(RuntimeError, match="floating point"):
        nn.Tanh()(ember.tensor([1, 2]))
    with pytest.raises(IndexError, match="Dimension out of range"):
        nn.Softmax(dim=3)(ember.randn(2, 2))
    with pytest.raises(TypeError, match="input must be a Tensor"):
        nn.ReLU()([1.0, 2.0])

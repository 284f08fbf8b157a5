"""ember.autograd.explain: the steps of a backward pass, checked against seed 004's hand-written
gradients, against PyTorch's .grad, and against the ops' own rules; printing and JSON."""

import json

import numpy as np
import pytest
import torch
from conftest import as_numpy, random_array, rng_for

import ember
from ember.autograd.explanation import rule_shapes, short_name
from ember.autograd.module_calls import record_module_call
from ember.ops import elementwise as E
from ember.ops import linalg as L


def seed_004(lib, arrays):
    """Seed 004's two-layer net and loss, on copies of ``arrays`` (x, y, w1, w2)."""
    x, y, w1, w2 = (lib.from_numpy(a.copy()) for a in arrays)
    w1.requires_grad_()
    w2.requires_grad_()
    h = x.mm(w1)
    h_relu = h.clamp(min=0)
    y_pred = h_relu.mm(w2)
    loss = (y_pred - y).pow(2).sum()
    return loss, dict(x=x, y=y, w1=w1, w2=w2, h=h, h_relu=h_relu, y_pred=y_pred)


def seed_arrays(dtype=np.float64, N=8, D_in=20, H=6, D_out=3):
    rng = rng_for(4)
    return [random_array(rng, s, dtype) for s in [(N, D_in), (N, D_out), (D_in, H), (H, D_out)]]


def hand_written(t):
    """The seed's manual backward pass, in NumPy."""
    x, y, w2 = (as_numpy(t[k]) for k in ("x", "y", "w2"))
    h, h_relu, y_pred = (as_numpy(t[k]) for k in ("h", "h_relu", "y_pred"))
    grad_y_pred = 2.0 * (y_pred - y)
    grad_w2 = h_relu.T @ grad_y_pred
    grad_h_relu = grad_y_pred @ w2.T
    grad_h = grad_h_relu.copy()
    grad_h[h < 0] = 0
    grad_w1 = x.T @ grad_h
    return dict(
        grad_y_pred=grad_y_pred,
        grad_w2=grad_w2,
        grad_h_relu=grad_h_relu,
        grad_h=grad_h,
        grad_w1=grad_w1,
    )


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_seed_004_steps_carry_the_hand_written_gradients(dtype):
    arrays = seed_arrays(dtype)
    loss, t = seed_004(ember, arrays)
    manual = hand_written(t)
    steps = ember.autograd.explain(loss, dict(w1=t["w1"], w2=t["w2"]))
    assert [s["node"] for s in steps] == [
        "SumBackward0",
        "PowBackward0",
        "SubBackward0",
        "MmBackward0",
        "ClampBackward1",
        "MmBackward0",
    ]
    total, power, sub, mm2, clamp, mm1 = steps
    rtol = 1e-12 if dtype == np.float64 else 1e-5

    def check(tensor, expected):
        np.testing.assert_allclose(as_numpy(tensor), expected, rtol=rtol, atol=rtol)

    check(power["inputs"][0]["grad"], manual["grad_y_pred"])  # d loss / d (y_pred - y)
    check(sub["grad"], manual["grad_y_pred"])
    check(mm2["grad"], manual["grad_y_pred"])  # subtracting y passes it on unchanged
    by_target = {entry["to"]: entry for entry in mm2["inputs"]}
    check(by_target["w2"]["grad"], manual["grad_w2"])
    check(by_target["ClampBackward1"]["grad"], manual["grad_h_relu"])
    check(clamp["inputs"][0]["grad"], manual["grad_h"])
    assert [e["to"] for e in mm1["inputs"]] == ["w1"]  # x needs no gradient
    check(mm1["inputs"][0]["grad"], manual["grad_w1"])
    assert mm2["accumulates"] == ["w2"] and mm1["accumulates"] == ["w1"]
    # explain ran the real backward: .grad holds the same numbers
    check(t["w1"].grad, manual["grad_w1"])
    check(t["w2"].grad, manual["grad_w2"])


def test_seed_004_grads_match_torch_and_norms_are_the_gradients_norms():
    arrays = seed_arrays()
    e_loss, e = seed_004(ember, arrays)
    t_loss, t = seed_004(torch, arrays)
    steps = ember.autograd.explain(e_loss)
    t_loss.backward()
    for name in ("w1", "w2"):
        np.testing.assert_allclose(as_numpy(e[name].grad), as_numpy(t[name].grad), rtol=1e-12)
    for step in steps:
        assert step["grad_norm"] == pytest.approx(np.linalg.norm(as_numpy(step["grad"])))
        assert step["grad_shape"] == tuple(step["grad"].shape)
        for entry in step["inputs"]:
            assert entry["grad_norm"] == pytest.approx(np.linalg.norm(as_numpy(entry["grad"])))
    assert steps[-1]["inputs"][0]["to"] == "leaf 20x6"  # unnamed leaves are shown by shape


def test_rules_are_the_ops_own_with_this_calls_shapes():
    loss, t = seed_004(ember, seed_arrays(N=64, D_in=100, H=10, D_out=4))
    steps = ember.autograd.explain(loss, dict(w1=t["w1"], w2=t["w2"]))
    mm2 = steps[3]
    assert mm2["rule"] == L.mm.rule
    rules = {e["to"]: (e["rule"], e["shapes"]) for e in mm2["inputs"]}
    assert rules["ClampBackward1"] == (L.mm.rules[0], "(64x4) @ (4x10) -> (64x10)")
    assert rules["w2"] == (L.mm.rules[1], "(10x64) @ (64x4) -> (10x4)")
    clamp = steps[4]
    assert clamp["rule"] == E.PARAMETRIC["clamp"].rule
    assert clamp["inputs"][0]["shapes"] == "(64x10) -> (64x10)"  # a rule in words: shapes in, out
    assert steps[1]["inputs"][0]["shapes"] == "(64x4) * 2 * (64x4) -> (64x4)"  # grad * 2a
    text = str(steps)
    assert "MmBackward0" in text and "grad_a = grad @ b^T,  (64x4) @ (4x10) -> (64x10)" in text
    assert "w2.grad +=" in text and "w1.grad +=" in text
    assert repr(steps) == text
    assert [short_name(s_node) for s_node in (t["h"].grad_fn, t["h_relu"].grad_fn)] == [
        "mm",
        "clamp",
    ]


def test_broadcast_gradient_is_said_to_be_summed():
    b = ember.zeros(3, requires_grad=True)
    x = ember.ones(2, 3)
    steps = ember.autograd.explain((x + b).sum(), {"b": b})
    entry = steps[1]["inputs"][0]
    assert entry["to"] == "b"
    assert entry["shapes"] == "(2x3) -> summed over the broadcast dims -> (3)"
    np.testing.assert_array_equal(as_numpy(entry["grad"]), [2, 2, 2])


def test_transpose_in_a_rule_swaps_the_shape():
    a = ember.randn(2, 5, requires_grad=True)
    b = ember.randn(5, 3, requires_grad=True)
    out = a.mm(b)
    node = out.grad_fn
    grad = np.ones((2, 3), np.float32)
    assert rule_shapes("grad_a = grad @ b^T", node, grad, np.ones((2, 5))) == (
        "(2x3) @ (3x5) -> (2x5)"
    )
    assert rule_shapes("grad_b = a^T @ grad", node, grad, np.ones((5, 3))) == (
        "(5x2) @ (2x3) -> (5x3)"
    )


def test_to_json_is_plain_data_in_step_order():
    loss, t = seed_004(ember, seed_arrays())
    steps = ember.autograd.explain(loss, {"w1": t["w1"], "w2": t["w2"]})
    data = json.loads(steps.to_json(indent=1))
    assert [d["step"] for d in data] == list(range(1, 7))
    assert data[3]["node"] == "MmBackward0" and data[3]["op"] == "mm"
    assert data[3]["grad_shape"] == [8, 3]
    assert "grad" not in data[3] and all("grad" not in e for e in data[3]["inputs"])
    assert {e["to"] for e in data[3]["inputs"]} == {"ClampBackward1", "w2"}
    assert len(steps) == 6 and steps[0] is list(steps)[0]
    assert [s["node"] for s in steps.step("mm")] == ["MmBackward0", "MmBackward0"]


def test_a_value_used_twice_gets_both_shares():
    w = ember.tensor([1.0, -2.0, 3.0], requires_grad=True)
    steps = ember.autograd.explain((w * w).sum(), {"w": w})
    mul = steps[1]
    assert [e["to"] for e in mul["inputs"]] == ["w", "w"]
    assert mul["accumulates"] == ["w", "w"]
    np.testing.assert_array_equal(as_numpy(w.grad), [2.0, -4.0, 6.0])


def test_non_scalar_output_with_a_gradient_and_a_leaf_loss():
    w = ember.randn(3, requires_grad=True)
    v = ember.tensor([1.0, 0.0, 2.0])
    steps = ember.autograd.explain(w.exp(), {"w": w}, gradient=v)
    np.testing.assert_allclose(
        as_numpy(w.grad), as_numpy(v) * np.exp(as_numpy(w.detach())), rtol=1e-6
    )
    assert steps[0]["grad_shape"] == (3,)
    leaf = ember.tensor(2.0, requires_grad=True)
    only = ember.autograd.explain(leaf, {"leaf": leaf})
    assert len(only) == 1 and only[0]["accumulates"] == ["leaf"]
    assert leaf.grad.item() == 1.0


def test_bad_inputs_are_named():
    with pytest.raises(RuntimeError, match="does not require grad"):
        ember.autograd.explain(ember.ones(2).sum())
    with pytest.raises(TypeError, match="expects the Tensor"):
        ember.autograd.explain(3.0)
    with pytest.raises(RuntimeError, match="only for scalar outputs"):
        ember.autograd.explain(ember.ones(2, requires_grad=True) * 2)
    with pytest.raises(TypeError, match="params must be a dict"):
        ember.autograd.explain(ember.ones(2, requires_grad=True).sum(), params=[1, 2])


class Square(ember.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * 2 * x


def test_custom_function_step_names_its_backward():
    x = ember.tensor([3.0], requires_grad=True)
    steps = ember.autograd.explain(Square.apply(x).sum(), {"x": x})
    assert steps[1]["node"] == "SquareBackward"
    assert "Square.backward" in steps[1]["inputs"][0]["rule"]
    assert as_numpy(steps[1]["inputs"][0]["grad"]).tolist() == [6.0]


class _Affine:
    """A stand-in module: parameters, names, and a forward run through record_module_call (as
    ember.nn.Module.__call__ does)."""

    def __init__(self, n):
        self.weight = ember.randn(n, n, requires_grad=True)

    def forward(self, x):
        return x.mm(self.weight).tanh()

    def __call__(self, x):
        return record_module_call(self, self.forward, x)

    def named_parameters(self):
        return [("weight", self.weight)]

    def named_modules(self):
        return [("", self)]


def test_steps_name_the_module_that_recorded_them():
    layer = _Affine(3)
    x = ember.randn(2, 3)
    steps = ember.autograd.explain(layer(x).sum(), layer)
    assert [(s["node"], s["module"]) for s in steps] == [
        ("SumBackward0", None),
        ("TanhBackward0", "_Affine"),
        ("MmBackward0", "_Affine"),
    ]
    assert "module" in str(steps).splitlines()[1]
    assert steps[2]["accumulates"] == ["weight"]


def test_outputs_of_a_multi_output_function_are_steps_too():
    class Split(ember.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2, x * 3

        @staticmethod
        def backward(ctx, g1, g2):
            return g1 * 2 + g2 * 3

    x = ember.ones(2, requires_grad=True)
    a, b = Split.apply(x)
    steps = ember.autograd.explain((a + b).sum(), {"x": x})
    rules = [s["rule"] for s in steps]
    assert "grad of output 0 goes to the Function's backward" in rules
    assert "grad of output 1 goes to the Function's backward" in rules
    assert steps[-1]["accumulates"] == ["x"]
    np.testing.assert_array_equal(as_numpy(x.grad), [5.0, 5.0])

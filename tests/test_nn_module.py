"""ember.nn.Module's PyTorch side against torch.nn.Module: registration, walking the tree,
state dicts, dtype conversion, modes, hooks, repr, containers, and clear errors."""

import collections
import copy

import numpy as np
import pytest
import torch

import ember
from ember import nn


def build(lib):
    """The same small model in ember or torch."""

    class Net(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.features = lib.nn.Sequential(lib.nn.Linear(3, 4), lib.nn.ReLU())
            self.heads = lib.nn.ModuleList([lib.nn.Linear(4, 2), lib.nn.Linear(4, 1, bias=False)])
            self.gates = lib.nn.ModuleDict({"a": lib.nn.Sigmoid(), "b": lib.nn.Tanh()})
            self.register_buffer("running", lib.zeros(2))
            self.register_buffer("scratch", lib.ones(1), persistent=False)
            self.scale = lib.nn.Parameter(lib.ones(1))

        def forward(self, x):
            h = self.features(x)
            return self.gates["a"](self.heads[0](h)) * self.scale + self.heads[1](h)

    return Net()


def test_walking_the_tree_matches_torch():
    e, t = build(ember), build(torch)
    assert [n for n, _ in e.named_parameters()] == [n for n, _ in t.named_parameters()]
    assert [n for n, _ in e.named_buffers()] == [n for n, _ in t.named_buffers()]
    assert [n for n, _ in e.named_modules()] == [n for n, _ in t.named_modules()]
    assert [n for n, _ in e.named_children()] == [n for n, _ in t.named_children()]
    assert [type(m).__name__ for m in e.modules()] == [type(m).__name__ for m in t.modules()]
    assert list(e.state_dict()) == list(t.state_dict())
    assert [n for n, _ in e.named_parameters(prefix="net", recurse=True)] == [
        n for n, _ in t.named_parameters(prefix="net", recurse=True)
    ]
    assert [n for n, _ in e.named_parameters(recurse=False)] == ["scale"]
    assert len(list(e.parameters())) == len(list(t.parameters())) == 6
    assert e.get_submodule("heads.1") is e.heads[1]
    assert e.get_parameter("features.0.bias") is e.features[0].bias


def test_forward_matches_torch_after_loading_its_state_dict():
    e, t = build(ember), build(torch)
    e.load_state_dict({k: ember.from_numpy(v.numpy().copy()) for k, v in t.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((5, 3)).astype(np.float32)
    out_e, out_t = e(ember.from_numpy(x)), t(torch.from_numpy(x))
    np.testing.assert_allclose(out_e.detach().numpy(), out_t.detach().numpy(), rtol=1e-5, atol=1e-6)
    out_e.sum().backward()
    out_t.sum().backward()
    for (name, pe), pt in zip(e.named_parameters(), t.parameters()):
        np.testing.assert_allclose(
            pe.grad.numpy(), pt.grad.numpy(), rtol=1e-5, atol=1e-6, err_msg=name
        )


def test_shared_parameters_appear_once():
    a = nn.Linear(2, 2)
    b = nn.Linear(2, 2)
    b.weight = a.weight
    model = nn.Sequential(a, b, a)
    assert len(list(model.parameters())) == 3
    assert [n for n, _ in model.named_parameters()] == ["0.weight", "0.bias", "1.bias"]
    assert len(list(model.named_parameters(remove_duplicate=False))) == 6
    assert list(model.state_dict()) == [
        "0.weight",
        "0.bias",
        "1.weight",
        "1.bias",
        "2.weight",
        "2.bias",
    ]


def test_state_dict_shares_memory_and_round_trips():
    model = build(ember)
    state = model.state_dict()
    assert "scratch" not in state  # not persistent
    state["scale"].numpy()[0] = 3.0  # detached, but the same memory
    assert model.scale.item() == 3.0 and not state["scale"].requires_grad
    other = build(ember)
    result = other.load_state_dict(model.state_dict())
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert repr(result) == "<All keys matched successfully>"
    for (name, a), b in zip(model.state_dict().items(), other.state_dict().values()):
        np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=name)
    version = other.scale._version
    other.load_state_dict(model.state_dict())
    assert other.scale._version == version + 1  # loading is an in-place change


def test_load_state_dict_errors_name_keys_and_shapes():
    model = nn.Sequential(nn.Linear(2, 3))
    state = model.state_dict()
    state.pop("0.bias")
    state["0.extra"] = ember.zeros(1)
    with pytest.raises(RuntimeError) as error:
        model.load_state_dict(state)
    message = str(error.value)
    assert message.startswith("Error(s) in loading state_dict for Sequential:")
    assert 'Missing key(s) in state_dict: "0.bias".' in message
    assert 'Unexpected key(s) in state_dict: "0.extra".' in message
    result = model.load_state_dict(state, strict=False)
    assert result.missing_keys == ["0.bias"] and result.unexpected_keys == ["0.extra"]
    before = model[0].weight.detach().numpy().copy()
    with pytest.raises(
        RuntimeError,
        match=r"size mismatch for 0.weight: copying a param with "
        r"shape ember.Size\(\[2, 2\]\) from checkpoint, the "
        r"shape in current model is ember.Size\(\[3, 2\]\)",
    ):
        model.load_state_dict(
            {"0.weight": ember.zeros(2, 2), "0.bias": ember.zeros(3)}, strict=False
        )
    np.testing.assert_array_equal(model[0].weight.detach().numpy(), before)  # nothing loaded


def test_load_state_dict_assign_shares_the_given_tensors():
    model = nn.Linear(2, 2)
    state = {"weight": ember.ones(2, 2), "bias": ember.zeros(2)}
    model.load_state_dict(state, assign=True)
    state["weight"].numpy()[0, 0] = 5.0
    assert model.weight[0, 0].item() == 5.0 and isinstance(model.weight, nn.Parameter)


def test_to_double_float_keeps_parameter_objects():
    model = build(ember)
    weight = model.features[0].weight
    model(ember.randn(2, 3)).sum().backward()
    assert model.double() is model
    assert model.features[0].weight is weight and weight.dtype == ember.float64
    assert weight.grad.dtype == ember.float64 and model.running.dtype == ember.float64
    out = model(ember.randn(2, 3, dtype=ember.float64))
    assert out.dtype == ember.float64
    model.to(ember.float32)
    assert weight.dtype == ember.float32
    model.to(ember.zeros(1, dtype=ember.float64))
    assert weight.dtype == ember.float64
    with pytest.raises(TypeError, match="floating point"):
        model.to(ember.int64)


def test_train_eval_requires_grad_apply_zero_grad():
    model = build(ember)
    assert model.training and model.features[1].training
    assert model.eval() is model
    assert not any(m.training for m in model.modules())
    model.train()
    assert all(m.training for m in model.modules())
    with pytest.raises(ValueError, match="boolean"):
        model.train("no")
    model.requires_grad_(False)
    assert not any(p.requires_grad for p in model.parameters())
    model.requires_grad_()
    seen = []
    assert model.apply(lambda m: seen.append(type(m).__name__)) is model
    assert seen[-1] == "Net" and seen[0] == "Linear"  # children first
    model(ember.randn(2, 3)).sum().backward()
    model.zero_grad(set_to_none=False)
    assert all(p.grad is not None and not p.grad.numpy().any() for p in model.parameters())
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())


def test_registration_rules_and_errors():
    module = nn.Module()
    module.weight = nn.Parameter(ember.ones(2))
    assert dict(module.named_parameters()) == {"weight": module.weight}
    with pytest.raises(TypeError, match="cannot assign 'ember.FloatTensor' as parameter 'weight'"):
        module.weight = ember.ones(2)
    module.weight = None  # allowed: an absent parameter
    assert module.weight is None and list(module.parameters()) == []
    module.register_buffer("stat", ember.zeros(1))
    with pytest.raises(TypeError, match="cannot assign 'int' as buffer 'stat'"):
        module.stat = 3
    module.child = nn.ReLU()
    with pytest.raises(TypeError, match="cannot assign 'str' as child module 'child'"):
        module.child = "relu"
    module.child = nn.Tanh()  # replaces it
    assert isinstance(module.child, nn.Tanh) and list(module.children()) == [module.child]
    with pytest.raises(KeyError, match='contain ".", got: a.b'):
        module.register_parameter("a.b", None)
    with pytest.raises(KeyError, match="already exists"):
        module.register_buffer("child", None)
    with pytest.raises(TypeError, match="not a Module subclass"):
        module.add_module("x", 3)
    with pytest.raises(TypeError, match="cannot assign 'ember.FloatTensor' object to parameter"):
        module.register_parameter("p", nn.Parameter(ember.ones(2)) * 2)
    del module.child
    assert list(module.children()) == []
    with pytest.raises(AttributeError, match="'Module' object has no attribute 'nothing'"):
        module.nothing  # noqa: B018

    class Early(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(ember.ones(1))

    with pytest.raises(AttributeError, match="before Module.__init__"):
        Early()
    with pytest.raises(NotImplementedError, match='missing the required "forward"'):
        nn.Module()(ember.ones(1))


def test_parameter():
    p = nn.Parameter(ember.ones(2, 3))
    assert p.requires_grad and p.is_leaf and isinstance(p, ember.Tensor)
    assert repr(p).startswith("Parameter containing:\ntensor(")
    frozen = nn.Parameter(ember.ones(1), requires_grad=False)
    assert not frozen.requires_grad
    t = ember.zeros(2)
    shared = nn.Parameter(t)
    shared.detach().numpy()[0] = 5.0
    assert t[0].item() == 5.0  # shares memory
    assert isinstance(copy.deepcopy(p), nn.Parameter)
    assert not isinstance(p * 2, nn.Parameter)
    with pytest.raises(RuntimeError, match="floating point"):
        nn.Parameter(ember.tensor([1, 2]))


def test_deepcopy_module():
    model = build(ember)
    clone = copy.deepcopy(model)
    assert clone.features[0].weight is not model.features[0].weight
    np.testing.assert_array_equal(
        clone.features[0].weight.detach().numpy(), model.features[0].weight.detach().numpy()
    )
    clone.features[0].weight = nn.Parameter(ember.zeros(4, 3))
    assert clone.state_dict()["features.0.weight"].numpy().sum() == 0
    assert model.state_dict()["features.0.weight"].numpy().any()


# ----- hooks --------------------------------------------------------------------------------------


def test_forward_hooks():
    layer = nn.Linear(2, 2)
    calls = []
    pre = layer.register_forward_pre_hook(lambda m, args: calls.append("pre") or (args[0] * 0,))
    post = layer.register_forward_hook(lambda m, args, out: calls.append("post") or out + 1)
    out = layer(ember.ones(3, 2))
    assert calls == ["pre", "post"]
    np.testing.assert_allclose(
        out.detach().numpy(), np.broadcast_to(layer.bias.detach().numpy() + 1, (3, 2))
    )
    pre.remove()
    post.remove()
    assert not layer._has_hooks
    kwargs_hook = layer.register_forward_hook(lambda m, a, k, out: out * 0, with_kwargs=True)
    assert not layer(ember.ones(1, 2)).detach().numpy().any()
    kwargs_hook.remove()


def test_full_backward_hooks_match_torch():
    def run(lib):
        layer = lib.nn.Sequential(lib.nn.Linear(3, 2), lib.nn.Tanh())
        with ember.no_grad() if lib is ember else torch.no_grad():
            layer[0].weight.copy_(lib.tensor([[0.1, -0.2, 0.3], [0.4, 0.5, -0.6]]))
            layer[0].bias.copy_(lib.tensor([0.1, -0.1]))
        seen = {}

        def pre_hook(module, grad_output):
            seen["pre"] = grad_output[0].detach().numpy().copy()

        layer.register_full_backward_pre_hook(pre_hook)

        def hook(module, grad_input, grad_output):
            seen["in"] = grad_input[0].detach().numpy().copy()
            seen["out"] = grad_output[0].detach().numpy().copy()
            return (grad_input[0] * 2,)

        layer.register_full_backward_hook(hook)
        x = lib.tensor([[1.0, 2.0, 3.0], [0.5, -1.0, 2.0]], requires_grad=True)
        (layer(x) * lib.tensor([[1.0, 2.0], [3.0, 4.0]])).sum().backward()
        seen["x.grad"] = x.grad.detach().numpy().copy()
        return seen

    e, t = run(ember), run(torch)
    assert set(e) == set(t)
    for key in t:
        np.testing.assert_allclose(e[key], t[key], rtol=1e-5, atol=1e-6, err_msg=key)


def test_backward_hook_without_input_grad_gets_none():
    layer = nn.Linear(2, 2)
    seen = []
    layer.register_full_backward_hook(lambda m, gi, go: seen.append(gi))
    layer(ember.ones(1, 2)).sum().backward()
    assert seen == [(None,)]


# ----- repr ---------------------------------------------------------------------------------------


def test_repr_matches_torch():
    for make in (
        build,
        lambda lib: lib.nn.Sequential(
            lib.nn.Linear(2, 3),
            lib.nn.ReLU(),
            lib.nn.Dropout(0.2),
            lib.nn.Softmax(dim=1),
            lib.nn.Flatten(),
            lib.nn.LeakyReLU(0.2),
            lib.nn.ELU(),
            lib.nn.GELU(),
            lib.nn.Softplus(),
            lib.nn.Identity(),
        ),
        lambda lib: lib.nn.ReLU(inplace=True),
        lambda lib: lib.nn.Linear(2, 3, False),
    ):
        assert repr(make(ember)) == repr(make(torch)).replace("torch", "ember")


# ----- containers ---------------------------------------------------------------------------------


def test_sequential_list_api():
    layers = [nn.Linear(2, 2), nn.ReLU(), nn.Tanh()]
    model = nn.Sequential(*layers)
    assert len(model) == 3 and list(model) == layers and model[-1] is layers[2]
    head = model[:2]
    assert isinstance(head, nn.Sequential) and list(head) == layers[:2]
    model.append(nn.Sigmoid())
    assert [n for n, _ in model.named_children()] == ["0", "1", "2", "3"]
    model[1] = nn.ELU()
    assert isinstance(model[1], nn.ELU) and [n for n, _ in model.named_children()][1] == "1"
    del model[0]
    assert [n for n, _ in model.named_children()] == ["0", "1", "2"]
    assert isinstance(model[0], nn.ELU)
    model.insert(0, nn.Identity())
    assert isinstance(model[0], nn.Identity) and len(model) == 4
    assert isinstance(model.pop(0), nn.Identity) and len(model) == 3
    model.add(nn.ReLU())  # Torch7's name for append
    assert len(model + nn.Sequential(nn.ReLU())) == 5
    with pytest.raises(IndexError, match="out of range"):
        model[10]  # noqa: B018
    with pytest.raises(TypeError, match="not a Module"):
        nn.Sequential(nn.ReLU(), "relu")
    named = nn.Sequential(collections.OrderedDict(first=nn.ReLU(), second=nn.Tanh()))
    assert [n for n, _ in named.named_children()] == ["first", "second"]
    assert isinstance(named.second, nn.Tanh)


def test_module_list_and_dict():
    items = nn.ModuleList([nn.ReLU(), nn.Tanh()])
    items.append(nn.Linear(2, 2))
    items.extend([nn.Sigmoid()])
    items += [nn.ELU()]
    assert len(items) == 5 and isinstance(items[-1], nn.ELU) and len(items[1:3]) == 2
    assert len(list(items.parameters())) == 2
    del items[0]
    assert [n for n, _ in items.named_children()] == ["0", "1", "2", "3"]
    items.insert(1, nn.Identity())
    assert isinstance(items[1], nn.Identity)
    with pytest.raises(TypeError, match="iterable"):
        items.extend(nn.ReLU())
    table = nn.ModuleDict({"relu": nn.ReLU()})
    table["lin"] = nn.Linear(1, 1)
    table.update([("tanh", nn.Tanh())])
    assert list(table) == ["relu", "lin", "tanh"] and "lin" in table and len(table) == 3
    assert list(table.keys()) == ["relu", "lin", "tanh"]
    assert isinstance(table.pop("relu"), nn.ReLU) and len(table) == 2
    del table["tanh"]
    assert list(table.items())[0][0] == "lin"
    table.clear()
    assert len(table) == 0 and list(table.parameters()) == []

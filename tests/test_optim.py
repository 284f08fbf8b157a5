"""ember.optim against torch.optim: the same parameters and gradients through 50 steps of every
optimizer and option combination, parameter groups, state dicts that resume identically (and
move between the two libraries), zero_grad, dtypes, and errors."""

import copy
import itertools
import warnings

import numpy as np
import pytest
import torch

import ember
import ember.optim

SHAPES = [(3, 4), (5,), ()]
STEPS = 50
RTOL, ATOL = 1e-10, 1e-12


def _options(**choices):
    """Every combination of the given option values, as keyword dicts."""
    names = list(choices)
    return [dict(zip(names, values)) for values in itertools.product(*choices.values())]


CASES = (
    [
        ("SGD", dict(lr=0.05, **o))
        for o in _options(
            momentum=[0, 0.9],
            dampening=[0, 0.3],
            nesterov=[False, True],
            weight_decay=[0, 0.01],
            maximize=[False, True],
        )
        if not (o["nesterov"] and (not o["momentum"] or o["dampening"]))
    ]
    + [
        (name, dict(lr=0.01, **o))
        for name in ("Adam", "AdamW")
        for o in _options(amsgrad=[False, True], weight_decay=[0, 0.1], maximize=[False, True])
    ]
    + [
        ("Adam", dict(lr=0.02, betas=(0.8, 0.95), eps=1e-3, amsgrad=True, weight_decay=0.05)),
        ("AdamW", dict(lr=0.02, betas=(0.5, 0.9), eps=1e-4)),
    ]
    + [
        ("RMSprop", dict(lr=0.01, **o))
        for o in _options(
            momentum=[0, 0.5], centered=[False, True], weight_decay=[0, 0.1], maximize=[False, True]
        )
    ]
    + [("RMSprop", dict(lr=0.01, alpha=0.9, eps=1e-3, momentum=0.3, centered=True))]
    + [
        ("Adagrad", dict(lr=0.1, **o))
        for o in _options(
            lr_decay=[0, 0.01],
            initial_accumulator_value=[0, 0.1],
            weight_decay=[0, 0.1],
            maximize=[False, True],
        )
    ]
    + [("Adagrad", dict(lr=0.1, eps=1e-3, lr_decay=0.05))]
)


def _case_id(case):
    name, options = case
    return name + "(" + ",".join(f"{k}={v}" for k, v in options.items()) + ")"


def _problem(seed, dtype=np.float64):
    """Initial parameter values and a gradient sequence; None marks a step where that parameter
    has no gradient (optimizers skip it, and its step count falls behind the others')."""
    rng = np.random.default_rng(seed)
    initial = [rng.standard_normal(s).astype(dtype) for s in SHAPES]
    grads = [
        [
            None if (i == 1 and t % 7 == 3) else rng.standard_normal(s).astype(dtype)
            for i, s in enumerate(SHAPES)
        ]
        for t in range(STEPS)
    ]
    return initial, grads


def _params(lib, initial):
    return [lib.from_numpy(a.copy()).requires_grad_() for a in initial]


def _feed(lib, params, grads):
    for p, g in zip(params, grads):
        p.grad = None if g is None else lib.from_numpy(g.copy())


def _run(lib, optimizer, params, grads):
    for step_grads in grads:
        _feed(lib, params, step_grads)
        optimizer.step()


def _optimizer(lib, name, params, **options):
    return getattr(lib.optim, name)(params, **options)


def _assert_params_match(e_params, t_params, what=""):
    for i, (e, t) in enumerate(zip(e_params, t_params)):
        assert e.dtype.__repr__().split(".")[-1] == str(t.dtype).split(".")[-1]
        np.testing.assert_allclose(
            e.detach().numpy(),
            t.detach().numpy(),
            rtol=RTOL,
            atol=ATOL,
            err_msg=f"{what} parameter {i}",
        )


def _assert_state_dicts_match(e_sd, t_sd):
    """Same layout (keys of everything), same options, same buffers and step counts."""
    assert e_sd.keys() == t_sd.keys() == {"state", "param_groups"}
    assert e_sd["param_groups"] == t_sd["param_groups"]
    assert e_sd["state"].keys() == t_sd["state"].keys()
    for index, t_state in t_sd["state"].items():
        e_state = e_sd["state"][index]
        assert e_state.keys() == t_state.keys(), f"state {index}"
        for key, t_value in t_state.items():
            e_value = e_state[key]
            assert isinstance(e_value, ember.Tensor), f"state {index} {key}"
            assert str(e_value.dtype).split(".")[-1] == str(t_value.dtype).split(".")[-1]
            np.testing.assert_allclose(
                e_value.numpy(),
                t_value.numpy(),
                rtol=RTOL,
                atol=ATOL,
                err_msg=f"state {index} {key}",
            )


@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_matches_torch_for_50_steps(case):
    name, options = case
    initial, grads = _problem(seed=CASES.index(case))
    e_params, t_params = _params(ember, initial), _params(torch, initial)
    e_opt = _optimizer(ember, name, e_params, **options)
    t_opt = _optimizer(torch, name, t_params, **options)
    _run(ember, e_opt, e_params, grads)
    _run(torch, t_opt, t_params, grads)
    _assert_params_match(e_params, t_params, _case_id(case))
    _assert_state_dicts_match(e_opt.state_dict(), t_opt.state_dict())
    assert repr(e_opt) == repr(t_opt)


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad"])
def test_defaults_match_torch(name):
    initial, grads = _problem(seed=1)
    e_params, t_params = _params(ember, initial), _params(torch, initial)
    options = {"lr": 0.01} if name == "SGD" else {}
    e_opt = _optimizer(ember, name, e_params, **options)
    t_opt = _optimizer(torch, name, t_params, **options)
    assert e_opt.defaults == t_opt.defaults
    _run(ember, e_opt, e_params, grads[:10])
    _run(torch, t_opt, t_params, grads[:10])
    _assert_params_match(e_params, t_params)


GROUP_CASES = [
    ("SGD", dict(lr=0.1, momentum=0.9), dict(lr=0.01, nesterov=True, momentum=0.5)),
    ("Adam", dict(lr=0.01), dict(betas=(0.5, 0.6), amsgrad=True, weight_decay=0.1)),
    ("AdamW", dict(lr=0.01, weight_decay=0.3), dict(lr=0.1, maximize=True)),
    ("RMSprop", dict(lr=0.01, centered=True), dict(momentum=0.7, alpha=0.5)),
    ("Adagrad", dict(lr=0.1, initial_accumulator_value=0.2), dict(lr_decay=0.1, eps=1e-4)),
]


@pytest.mark.parametrize("name,defaults,group_options", GROUP_CASES)
def test_param_groups_with_their_own_options(name, defaults, group_options):
    initial, grads = _problem(seed=2)
    results = {}
    for lib in (ember, torch):
        params = _params(lib, initial)
        groups = [{"params": params[:1]}, {"params": params[1:2], **group_options}]
        opt = _optimizer(lib, name, groups, **defaults)
        opt.add_param_group({"params": params[2:], "lr": 0.003})  # the defaults fill the rest
        _run(lib, opt, params, grads)
        results[lib] = params, opt
    (e_params, e_opt), (t_params, t_opt) = results[ember], results[torch]
    assert e_opt.param_groups[1]["lr"] == group_options.get("lr", defaults.get("lr"))
    _assert_params_match(e_params, t_params)
    _assert_state_dicts_match(e_opt.state_dict(), t_opt.state_dict())


def test_changing_a_group_lr_takes_effect_next_step():
    initial, grads = _problem(seed=3)
    results = {}
    for lib in (ember, torch):
        params = _params(lib, initial)
        opt = lib.optim.SGD(params, lr=0.1, momentum=0.9)
        for t, step_grads in enumerate(grads):
            opt.param_groups[0]["lr"] = 0.1 / (1 + t)
            _feed(lib, params, step_grads)
            opt.step()
        results[lib] = params
    _assert_params_match(results[ember], results[torch])


def _to_torch(state_dict):
    return {
        "state": {
            k: {n: torch.from_numpy(v.numpy().copy()) for n, v in s.items()}
            for k, s in state_dict["state"].items()
        },
        "param_groups": copy.deepcopy(state_dict["param_groups"]),
    }


def _to_ember(state_dict):
    return {
        "state": {
            k: {n: ember.from_numpy(v.numpy().copy()) for n, v in s.items()}
            for k, s in state_dict["state"].items()
        },
        "param_groups": copy.deepcopy(state_dict["param_groups"]),
    }


ROUND_TRIP_CASES = [
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True)),
    ("Adam", dict(lr=0.01, amsgrad=True, weight_decay=0.1)),
    ("AdamW", dict(lr=0.01)),
    ("RMSprop", dict(lr=0.01, momentum=0.5, centered=True)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.01)),
]


@pytest.mark.parametrize("name,options", ROUND_TRIP_CASES)
def test_state_dict_round_trip_resumes_identically(name, options):
    initial, grads = _problem(seed=4)
    straight = _params(ember, initial)
    opt = _optimizer(ember, name, straight, **options)
    _run(ember, opt, straight, grads)

    first = _params(ember, initial)
    opt = _optimizer(ember, name, first, **options)
    _run(ember, opt, first, grads[:20])
    saved = copy.deepcopy(opt.state_dict())
    _run(ember, opt, first, grads[20:22])  # the first run goes on: the copy must not move

    resumed = _params(ember, _replay(name, options, initial, grads[:20]))  # as at step 20
    new_opt = _optimizer(ember, name, resumed, lr=123.0)  # options come from the state dict
    new_opt.load_state_dict(saved)
    assert new_opt.param_groups[0]["lr"] == options["lr"]
    _run(ember, new_opt, resumed, grads[20:])
    for a, b in zip(straight, resumed):
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())


def _replay(name, options, initial, grads):
    params = _params(ember, initial)
    _run(ember, _optimizer(ember, name, params, **options), params, grads)
    return [p.detach().numpy().copy() for p in params]


@pytest.mark.parametrize("name,options", ROUND_TRIP_CASES)
def test_state_dicts_move_between_ember_and_torch(name, options):
    """ember's state dict loads into torch and torch's into ember; both resume like the other."""
    initial, grads = _problem(seed=5)
    at_20 = _replay(name, options, initial, grads[:20])

    e_params = _params(ember, initial)
    e_opt = _optimizer(ember, name, e_params, **options)
    _run(ember, e_opt, e_params, grads[:20])
    t_params = _params(torch, initial)
    t_opt = _optimizer(torch, name, t_params, **options)
    _run(torch, t_opt, t_params, grads[:20])

    t_resumed = _params(torch, at_20)
    t_from_ember = _optimizer(torch, name, t_resumed, **options)
    t_from_ember.load_state_dict(_to_torch(e_opt.state_dict()))
    e_resumed = _params(ember, at_20)
    e_from_torch = _optimizer(ember, name, e_resumed, **options)
    e_from_torch.load_state_dict(_to_ember(t_opt.state_dict()))

    _run(torch, t_from_ember, t_resumed, grads[20:])
    _run(ember, e_from_torch, e_resumed, grads[20:])
    _assert_params_match(e_resumed, t_resumed)
    _assert_state_dicts_match(e_from_torch.state_dict(), t_from_ember.state_dict())


def test_load_state_dict_copies_and_casts_buffers():
    p = ember.zeros(3, dtype=ember.float32).requires_grad_()
    opt = ember.optim.SGD([p], lr=0.1, momentum=0.9)
    buffer = ember.tensor([1.0, 2.0, 3.0], dtype=ember.float64)
    opt.load_state_dict(
        {"state": {0: {"momentum_buffer": buffer}}, "param_groups": [{"lr": 0.5, "params": [0]}]}
    )
    loaded = opt.state[p]["momentum_buffer"]
    assert loaded.dtype == ember.float32 and loaded is not buffer
    assert opt.param_groups[0]["momentum"] == 0.9  # missing options come from the defaults
    assert opt.param_groups[0]["lr"] == 0.5


def test_load_state_dict_errors():
    a = ember.zeros(3).requires_grad_()
    b = ember.zeros(2).requires_grad_()
    opt = ember.optim.SGD([a, b], lr=0.1, momentum=0.9)
    good = opt.state_dict()
    with pytest.raises(ValueError, match="different number of parameter groups"):
        opt.load_state_dict({"state": {}, "param_groups": good["param_groups"] * 2})
    with pytest.raises(ValueError, match="doesn't match the size"):
        opt.load_state_dict(
            {"state": {}, "param_groups": [{**good["param_groups"][0], "params": [0]}]}
        )
    with pytest.raises(ValueError, match="'state' and 'param_groups'"):
        opt.load_state_dict({"param_groups": []})
    with pytest.raises(ValueError, match=r"'momentum_buffer' of shape \(2,\).*shape \(3,\)"):
        opt.load_state_dict(
            {
                "state": {0: {"momentum_buffer": ember.zeros(2)}},
                "param_groups": good["param_groups"],
            }
        )


def test_state_dict_indexes_parameters_across_groups():
    a, b, c = (ember.zeros(2).requires_grad_() for _ in range(3))
    opt = ember.optim.Adam([{"params": [a, b]}, {"params": [c], "lr": 0.1}])
    for p in (a, c):
        p.grad = ember.ones(2)
    opt.step()
    sd = opt.state_dict()
    assert [g["params"] for g in sd["param_groups"]] == [[0, 1], [2]]
    assert sorted(sd["state"]) == [0, 2]  # b had no gradient, so no state


def test_float32_stays_float32_and_updates_in_place():
    rng = np.random.default_rng(6)
    for name in ("SGD", "Adam", "AdamW", "RMSprop", "Adagrad"):
        options = dict(lr=0.01, weight_decay=0.1, maximize=True)
        if name in ("SGD", "RMSprop"):
            options["momentum"] = 0.9
        p = ember.from_numpy(rng.standard_normal((4, 3)).astype(np.float32)).requires_grad_()
        opt = _optimizer(ember, name, [p], **options)
        array, version = p._data, p._version
        for _ in range(3):
            p.grad = ember.from_numpy(rng.standard_normal((4, 3)).astype(np.float32))
            opt.step()
        assert p._data is array and p._data.dtype == np.float32, name
        assert p._version == version + 3, name
        for key, value in opt.state[p].items():  # step counts too: float32 is the default
            assert value._data.dtype == np.float32, (name, key)


def test_step_works_under_no_grad_and_records_nothing():
    p = ember.ones(3).requires_grad_()
    p.grad = ember.ones(3)
    opt = ember.optim.SGD([p], lr=0.5)
    with ember.no_grad():
        opt.step()
    assert p.grad_fn is None and p.requires_grad and p.is_leaf
    np.testing.assert_array_equal(p.detach().numpy(), [0.5, 0.5, 0.5])


def test_closure_is_evaluated_with_grad_and_its_loss_returned():
    w = ember.tensor([1.0, -2.0], dtype=ember.float64).requires_grad_()
    opt = ember.optim.SGD([w], lr=0.1)

    def closure():
        opt.zero_grad()
        loss = (w * w).sum()
        loss.backward()
        return loss

    with ember.no_grad():
        loss = opt.step(closure)
    assert loss.item() == 5.0
    np.testing.assert_allclose(w.detach().numpy(), [0.8, -1.6])


def test_trains_with_autograd_gradients_like_torch():
    """Gradients from ember's own backward drive the optimizer exactly as torch's do."""
    rng = np.random.default_rng(7)
    x, y = rng.standard_normal((16, 3)), rng.standard_normal((16, 1))
    w0, b0 = rng.standard_normal((3, 1)), np.zeros(1)
    results = {}
    for lib in (ember, torch):
        w, b = _params(lib, [w0, b0])
        xs, ys = lib.from_numpy(x), lib.from_numpy(y)
        opt = lib.optim.Adam([w, b], lr=0.05)
        for _ in range(20):
            opt.zero_grad()
            loss = ((xs.matmul(w) + b - ys) ** 2).mean()
            loss.backward()
            opt.step()
        results[lib] = [w, b]
    _assert_params_match(results[ember], results[torch])


@pytest.mark.parametrize("set_to_none", [True, False])
def test_zero_grad(set_to_none):
    p = ember.ones(2).requires_grad_()
    q = ember.ones(2).requires_grad_()
    opt = ember.optim.SGD([p, q], lr=0.1)
    (p * 3).sum().backward()
    grad = p.grad
    opt.zero_grad(set_to_none=set_to_none)
    assert q.grad is None
    if set_to_none:
        assert p.grad is None
    else:
        assert p.grad is grad
        np.testing.assert_array_equal(p.grad.numpy(), [0.0, 0.0])


def test_zero_grad_defaults_to_none():
    p = ember.ones(2).requires_grad_()
    p.grad = ember.ones(2)
    ember.optim.Adam([p]).zero_grad()
    assert p.grad is None


def test_named_parameters_are_kept_as_param_names():
    a, b = ember.zeros(2).requires_grad_(), ember.zeros(1).requires_grad_()
    opt = ember.optim.SGD([("weight", a), ("bias", b)], lr=0.1)
    assert [id(p) for p in opt.param_groups[0]["params"]] == [id(a), id(b)]
    assert opt.state_dict()["param_groups"][0]["param_names"] == ["weight", "bias"]


def test_errors():
    p = ember.zeros(2).requires_grad_()
    with pytest.raises(TypeError, match="iterable of Tensors or dicts"):
        ember.optim.SGD(p, lr=0.1)
    with pytest.raises(ValueError, match="empty parameter list"):
        ember.optim.SGD([], lr=0.1)
    with pytest.raises(TypeError, match="ordered collections"):
        ember.optim.SGD([{"params": {p}}], lr=0.1)
    with pytest.raises(TypeError, match="can only optimize Tensors"):
        ember.optim.SGD([np.zeros(2)], lr=0.1)
    with pytest.raises(ValueError, match="non-leaf"):
        ember.optim.SGD([p * 2], lr=0.1)
    with pytest.raises(ValueError, match="more than one parameter group"):
        ember.optim.SGD([{"params": [p]}, {"params": [p]}], lr=0.1)
    with pytest.raises(TypeError, match="param_group must be a dict"):
        ember.optim.SGD([p], lr=0.1).add_param_group([p])
    with pytest.raises(ValueError, match="Invalid learning rate: -1"):
        ember.optim.Adam([p], lr=-1)
    with pytest.raises(ValueError, match="Nesterov momentum requires"):
        ember.optim.SGD([p], lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match="Invalid beta parameter at index 1: 1.0"):
        ember.optim.Adam([p], betas=(0.9, 1.0))
    with pytest.raises(ValueError, match="Invalid alpha value"):
        ember.optim.RMSprop([p], alpha=-0.1)
    with pytest.raises(ValueError, match="Invalid lr_decay value"):
        ember.optim.Adagrad([p], lr_decay=-0.1)
    with pytest.raises(NotImplementedError, match="differentiable=True"):
        ember.optim.Adam([p], differentiable=True)
    with pytest.raises(NotImplementedError, match="does not implement step"):
        ember.optim.Optimizer([p], {}).step()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ember.optim.SGD([p, p], lr=0.1)
    assert any("duplicate parameters" in str(w.message) for w in caught)


def test_amsgrad_switched_on_mid_run_starts_its_maximum():
    p = ember.ones(2).requires_grad_()
    opt = ember.optim.Adam([p], lr=0.1)
    p.grad = ember.ones(2)
    opt.step()
    opt.param_groups[0]["amsgrad"] = True
    opt.step()
    assert "max_exp_avg_sq" in opt.state[p]


def test_numpy_float64_hyperparameters_keep_float32_parameters_float32():
    p = ember.ones(3, dtype=ember.float32).requires_grad_()
    opt = ember.optim.Adam(
        [p],
        lr=np.float64(0.1),
        betas=(np.float64(0.9), 0.99),
        eps=np.float64(1e-8),
        weight_decay=np.float64(0.1),
    )
    p.grad = ember.ones(3, dtype=ember.float32)
    opt.step()
    assert p._data.dtype == np.float32
    assert all(v._data.dtype == np.float32 for v in opt.state[p].values())


def test_adamw_always_decouples_after_loading_an_adam_state():
    p = ember.ones(2).requires_grad_()
    adam_state = ember.optim.Adam([p], weight_decay=0.1).state_dict()
    adamw = ember.optim.AdamW([p])
    adamw.load_state_dict(adam_state)
    assert adamw.param_groups[0]["decoupled_weight_decay"] is True
    assert adamw.param_groups[0]["weight_decay"] == 0.1

"""More of ember.optim against torch.optim: Adadelta, Adamax, NAdam, RAdam, Rprop, ASGD and
LBFGS training a small model step by step like torch's, every optimizer's state dict resuming
mid-training in a fresh optimizer, tensor learning rates, per-group options, and the errors;
then the learning-rate schedulers torch has that test_lr_scheduler.py does not cover."""

import copy
import itertools

import numpy as np
import pytest
import torch

import ember
import ember.optim

STEPS = 20


def _options(**choices):
    """Every combination of the given option values, as keyword dicts."""
    names = list(choices)
    return [dict(zip(names, values)) for values in itertools.product(*choices.values())]


def _case_id(case):
    name, options = case
    return name + "(" + ",".join(f"{k}={v}" for k, v in options.items()) + ")"


# ----- a small model, trained the same way in both libraries -------------------------------------


def _data(seed, dtype=np.float64):
    rng = np.random.default_rng(seed)
    initial = [rng.standard_normal(s).astype(dtype) for s in [(3, 4), (3,), (2,)]]
    batches = [
        (rng.standard_normal((5, 4)).astype(dtype), rng.standard_normal((5, 3)).astype(dtype))
        for _ in range(STEPS)
    ]
    return initial, batches


def _params(lib, initial):
    return [lib.from_numpy(a.copy()).requires_grad_() for a in initial]


def _loss(lib, params, batch):
    """tanh(x W^T + b) fitted to y; the third parameter is used on even steps only, so its
    .grad is None on odd steps and the optimizers must skip it."""
    weight, bias, extra = params
    x, y = (lib.from_numpy(a) for a in batch)
    loss = ((lib.tanh(x @ weight.T + bias) - y) ** 2).mean()
    return loss


def _train(lib, opt, params, batches, start=0):
    """One optimizer step per batch; returns every parameter after every step."""
    trajectory = []
    for t, batch in enumerate(batches, start):
        opt.zero_grad()
        loss = _loss(lib, params, batch)
        if t % 2 == 0:
            loss = loss + (params[2] ** 2).sum() * 0.1
        loss.backward()
        opt.step()
        trajectory.append([p.detach().numpy().copy() for p in params])
    return trajectory


def _assert_trajectories_match(e_traj, t_traj, rtol=1e-10, atol=1e-12):
    for step, (e_params, t_params) in enumerate(zip(e_traj, t_traj)):
        for i, (e, t) in enumerate(zip(e_params, t_params)):
            assert e.dtype == t.dtype
            np.testing.assert_allclose(e, t, rtol=rtol, atol=atol, err_msg=f"step {step} p{i}")


def _assert_state_dicts_match(e_sd, t_sd, rtol=1e-10, atol=1e-12):
    assert e_sd["param_groups"] == t_sd["param_groups"]
    assert e_sd["state"].keys() == t_sd["state"].keys()
    for index, t_state in t_sd["state"].items():
        e_state = e_sd["state"][index]
        assert e_state.keys() == t_state.keys(), f"state {index}"
        for key, t_value in t_state.items():
            e_value = e_state[key]
            if isinstance(t_value, torch.Tensor):
                assert str(e_value.dtype).split(".")[-1] == str(t_value.dtype).split(".")[-1]
                np.testing.assert_allclose(
                    e_value.numpy(), t_value.numpy(), rtol=rtol, atol=atol, err_msg=key
                )
            else:
                assert e_value == t_value, key


NEW_CASES = (
    [
        ("Adadelta", o)
        for o in _options(lr=[1.0, 0.5], weight_decay=[0, 0.1], maximize=[False, True])
    ]
    + [("Adadelta", dict(rho=0.5, eps=1e-3))]
    + [("Adamax", o) for o in _options(weight_decay=[0, 0.1], maximize=[False, True])]
    + [("Adamax", dict(lr=0.01, betas=(0.3, 0.5), eps=1e-3))]
    + [
        ("NAdam", o)
        for o in _options(
            weight_decay=[0, 0.1], decoupled_weight_decay=[False, True], maximize=[False, True]
        )
    ]
    + [("NAdam", dict(lr=0.01, betas=(0.5, 0.9), momentum_decay=0.1, eps=1e-4))]
    + [
        ("RAdam", o)
        for o in _options(
            weight_decay=[0, 0.1], decoupled_weight_decay=[False, True], maximize=[False, True]
        )
    ]
    + [("RAdam", dict(lr=0.01, betas=(0.5, 0.6)))]  # ρ_t > 5 from step 3 on: both branches
    + [("Rprop", o) for o in _options(lr=[0.01, 0.1], maximize=[False, True])]
    + [("Rprop", dict(etas=(0.3, 1.7), step_sizes=(1e-3, 0.05)))]
    + [("ASGD", o) for o in _options(weight_decay=[0, 0.1], maximize=[False, True])]
    + [("ASGD", dict(lr=0.1, lambd=0.01, alpha=0.5, t0=5))]  # averaging starts at step 6
)


@pytest.mark.parametrize("case", NEW_CASES, ids=_case_id)
def test_new_optimizers_train_like_torch(case):
    name, options = case
    initial, batches = _data(seed=NEW_CASES.index(case))
    results = {}
    for lib in (ember, torch):
        params = _params(lib, initial)
        opt = getattr(lib.optim, name)(params, **options)
        results[lib] = _train(lib, opt, params, batches), opt
    (e_traj, e_opt), (t_traj, t_opt) = results[ember], results[torch]
    _assert_trajectories_match(e_traj, t_traj)
    _assert_state_dicts_match(e_opt.state_dict(), t_opt.state_dict())
    assert e_opt.defaults == t_opt.defaults
    assert repr(e_opt) == repr(t_opt)


ALL_NAMES = ["SGD", "Adam", "AdamW", "Adagrad", "RMSprop"] + sorted({name for name, _ in NEW_CASES})


@pytest.mark.parametrize("name", ALL_NAMES)
def test_float32_and_default_options_like_torch(name):
    """In float32 the scalars kept as state (NAdam's mu_product, ASGD's eta) round as torch's."""
    initial, batches = _data(seed=11, dtype=np.float32)
    options = {"lr": 0.01} if name == "SGD" else {}
    results = {}
    for lib in (ember, torch):
        params = _params(lib, initial)
        opt = getattr(lib.optim, name)(params, **options)
        results[lib] = _train(lib, opt, params, batches), opt
    (e_traj, e_opt), (t_traj, t_opt) = results[ember], results[torch]
    _assert_trajectories_match(e_traj, t_traj, rtol=2e-5, atol=1e-6)
    _assert_state_dicts_match(e_opt.state_dict(), t_opt.state_dict(), rtol=2e-5, atol=1e-6)


RESUME_CASES = [
    ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.1, weight_decay=0.01)),
    ("Adam", dict(lr=0.01, amsgrad=True)),
    ("AdamW", dict(lr=0.01, maximize=True)),
    ("Adagrad", dict(lr=0.1, initial_accumulator_value=0.1)),
    ("RMSprop", dict(lr=0.01, centered=True, momentum=0.5)),
    ("Adadelta", dict(weight_decay=0.1)),
    ("Adamax", dict()),
    ("NAdam", dict(decoupled_weight_decay=True, weight_decay=0.1)),
    ("RAdam", dict(lr=0.01)),
    ("Rprop", dict()),
    ("ASGD", dict(t0=3)),
]


# Loading casts their 0-d state (mu_product; eta, mu) from the step dtype (float32) to the
# parameter's (float64), in torch too, so the resumed run drifts from the uninterrupted one.
SCALAR_STATE = {"NAdam", "ASGD"}


@pytest.mark.parametrize("name,options", RESUME_CASES)
def test_state_dict_loaded_into_a_fresh_optimizer_mid_training_continues_like_torch(name, options):
    """Train 10 steps, save, load into a new optimizer (over copies of the parameters) and train
    10 more: the same as torch doing the same, and as not stopping at all."""
    initial, batches = _data(seed=3)
    results = {}
    for lib in (ember, torch):
        params = _params(lib, initial)
        opt = getattr(lib.optim, name)(params, **options)
        _train(lib, opt, params, batches[:10])
        saved = copy.deepcopy(opt.state_dict())
        resumed = _params(lib, [p.detach().numpy() for p in params])
        fresh = getattr(lib.optim, name)(resumed, lr=123.0)  # lr comes from the state dict
        fresh.load_state_dict(saved)
        continued = _train(lib, opt, params, batches[10:], start=10)
        results[lib] = _train(lib, fresh, resumed, batches[10:], start=10), continued, fresh
    (e_traj, e_cont, e_opt), (t_traj, _, t_opt) = results[ember], results[torch]
    _assert_trajectories_match(e_traj, t_traj)
    if name not in SCALAR_STATE:
        for a, b in zip(e_traj, e_cont):
            for x, y in zip(a, b):
                np.testing.assert_array_equal(x, y)
    _assert_state_dicts_match(e_opt.state_dict(), t_opt.state_dict())


@pytest.mark.parametrize("name", ALL_NAMES)
def test_tensor_lr_like_torch(name):
    initial, batches = _data(seed=4)
    results = {}
    for lib in (ember, torch):
        params = _params(lib, initial)
        lr = lib.tensor(0.01, dtype=lib.float64)
        opt = getattr(lib.optim, name)(params, lr=lr)
        results[lib] = _train(lib, opt, params, batches[:5])
        with pytest.raises(ValueError, match="^Tensor lr must be 1-element$"):
            getattr(lib.optim, name)(params, lr=lib.tensor([0.1, 0.2]))
    _assert_trajectories_match(results[ember], results[torch])


GROUP_CASES = [
    ("Adadelta", dict(lr=0.5), dict(rho=0.5, weight_decay=0.1)),
    ("Adamax", dict(lr=0.01), dict(betas=(0.5, 0.6), maximize=True)),
    ("NAdam", dict(lr=0.01), dict(momentum_decay=0.1, decoupled_weight_decay=True, weight_decay=1)),
    ("RAdam", dict(lr=0.01), dict(betas=(0.5, 0.6), weight_decay=0.1)),
    ("Rprop", dict(lr=0.01), dict(etas=(0.1, 2.0), lr=0.05)),
    ("ASGD", dict(lr=0.01), dict(t0=2, lambd=0.1)),
]


@pytest.mark.parametrize("name,defaults,group_options", GROUP_CASES)
def test_param_groups_and_add_param_group_like_torch(name, defaults, group_options):
    initial, batches = _data(seed=5)
    results = {}
    for lib in (ember, torch):
        params = _params(lib, initial)
        opt = getattr(lib.optim, name)(
            [{"params": params[:1]}, {"params": params[1:2], **group_options}], **defaults
        )
        opt.add_param_group({"params": params[2:], "lr": 0.003})
        results[lib] = _train(lib, opt, params, batches), opt
    (e_traj, e_opt), (t_traj, t_opt) = results[ember], results[torch]
    _assert_trajectories_match(e_traj, t_traj)
    _assert_state_dicts_match(e_opt.state_dict(), t_opt.state_dict())


@pytest.mark.parametrize("set_to_none", [True, False])
@pytest.mark.parametrize("name", ["NAdam", "Rprop", "ASGD"])
def test_zero_grad_like_torch(name, set_to_none):
    """After zero_grad(set_to_none=False) the zero gradients still count as gradients: the step
    runs (decay, averaging, step counts) as in torch; with None the parameters are skipped."""
    initial, batches = _data(seed=6)
    results = {}
    for lib in (ember, torch):
        params = _params(lib, initial)
        opt = getattr(lib.optim, name)(params, weight_decay=0.1) if name != "Rprop" else None
        opt = opt or lib.optim.Rprop(params)
        _train(lib, opt, params, batches[:3])
        opt.zero_grad(set_to_none=set_to_none)
        assert all((p.grad is None) == set_to_none for p in params)
        opt.step()
        results[lib] = [[p.detach().numpy().copy() for p in params]], opt
    (e_traj, e_opt), (t_traj, t_opt) = results[ember], results[torch]
    _assert_trajectories_match(e_traj, t_traj)
    _assert_state_dicts_match(e_opt.state_dict(), t_opt.state_dict())


BAD_OPTIONS = [
    (name, options)
    for name in ALL_NAMES
    for options in [dict(lr=-1), dict(lr=-0.5), dict(weight_decay=-1), dict(eps=-1e-3)]
    if not (name == "Rprop" and "lr" not in options)
    if not (name == "ASGD" and "eps" in options)
] + [
    ("Adadelta", dict(rho=1.5)),
    ("Adadelta", dict(rho=-0.1)),
    ("Adamax", dict(betas=(1.0, 0.9))),
    ("NAdam", dict(betas=(0.9, -0.1))),
    ("NAdam", dict(momentum_decay=-1)),
    ("RAdam", dict(betas=(-0.1, 0.9))),
    ("Rprop", dict(etas=(1.0, 1.2))),
    ("Rprop", dict(etas=(0.5, 1.0))),
    ("Rprop", dict(etas=(0.0, 2.0))),
]


@pytest.mark.parametrize("case", BAD_OPTIONS, ids=_case_id)
def test_invalid_hyperparameters_raise_torchs_error(case):
    name, options = case
    messages = []
    for lib in (ember, torch):
        params = _params(lib, [np.zeros(2)])
        with pytest.raises(Exception) as info:
            getattr(lib.optim, name)(params, **options)
        messages.append((info.type, str(info.value)))
    assert messages[0] == messages[1]

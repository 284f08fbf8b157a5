"""More of ember.optim against torch.optim: Adadelta, Adamax, NAdam, RAdam, Rprop, ASGD and
LBFGS training a small model step by step like torch's, every optimizer's state dict resuming
mid-training in a fresh optimizer, tensor learning rates, per-group options, and the errors;
then the learning-rate schedulers torch has that test_lr_scheduler.py does not cover."""

import copy
import itertools
import warnings

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
        options = {} if name == "Rprop" else {"weight_decay": 0.1}  # Rprop has no decay
        opt = getattr(lib.optim, name)(params, **options)
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


# ----- learning-rate schedulers ------------------------------------------------------------------

EPOCHS = 25


def _sched_optimizer(lib, name="SGD", **options):
    """An optimizer with two parameter groups of different learning rates."""
    a = lib.zeros(2, dtype=lib.float64).requires_grad_()
    b = lib.zeros(3, dtype=lib.float64).requires_grad_()
    options = {"lr": 0.1, **options}
    return getattr(lib.optim, name)([{"params": [a]}, {"params": [b], "lr": 0.03}], **options)


def _lr_record(opt, scheduler, epochs=EPOCHS, keys=("lr",)):
    """get_last_lr() after creation and after each epoch, with the groups' ``keys`` values."""
    record = [list(scheduler.get_last_lr())]
    for _ in range(epochs):
        opt.step()
        scheduler.step()
        record.append(
            (list(scheduler.get_last_lr()), [[g[k] for k in keys] for g in opt.param_groups])
        )
    return record


class Shrink:
    """A callable object: schedulers save its __dict__ in their state dicts."""

    def __init__(self):
        self.factor = 0.9

    def __call__(self, epoch):
        return self.factor if epoch % 3 else 1.0


SCHEDULES = {
    "MultiplicativeLR": lambda s, o: s.MultiplicativeLR(o, lambda epoch: 0.95),
    "MultiplicativeLR-per-group": lambda s, o: s.MultiplicativeLR(o, [lambda e: 0.9, Shrink()]),
    "ConstantLR": lambda s, o: s.ConstantLR(o),
    "ConstantLR-half": lambda s, o: s.ConstantLR(o, factor=0.5, total_iters=4),
    "PolynomialLR": lambda s, o: s.PolynomialLR(o),
    "PolynomialLR-square": lambda s, o: s.PolynomialLR(o, total_iters=10, power=2.0),
    "CosineAnnealingWarmRestarts": lambda s, o: s.CosineAnnealingWarmRestarts(o, T_0=5),
    "CosineAnnealingWarmRestarts-mult": lambda s, o: s.CosineAnnealingWarmRestarts(
        o, T_0=3, T_mult=2, eta_min=0.01
    ),
    "SequentialLR": lambda s, o: s.SequentialLR(
        o, [s.ConstantLR(o, factor=0.2, total_iters=3), s.ExponentialLR(o, gamma=0.9)], [4]
    ),
    "SequentialLR-three": lambda s, o: s.SequentialLR(
        o,
        [s.LinearLR(o, start_factor=0.1, total_iters=4), s.StepLR(o, 3), s.CosineAnnealingLR(o, 6)],
        milestones=[5, 12],
    ),
    "ChainedScheduler": lambda s, o: s.ChainedScheduler(
        [s.ConstantLR(o, factor=0.5, total_iters=3), s.ExponentialLR(o, gamma=0.9)]
    ),
    "ChainedScheduler-in-SequentialLR": lambda s, o: s.SequentialLR(
        o,
        [
            s.ChainedScheduler(
                [s.LinearLR(o, start_factor=0.5, total_iters=3), s.PolynomialLR(o, 8)], o
            ),
            s.MultiStepLR(o, [2, 4]),
        ],
        [6],
    ),
}

CYCLIC = {
    "triangular": ("SGD", dict(momentum=0.9), dict(base_lr=0.01, max_lr=0.1, step_size_up=4)),
    "triangular2": (
        "SGD",
        dict(momentum=0.9),
        dict(
            base_lr=[0.01, 0.02], max_lr=0.1, step_size_up=3, step_size_down=5, mode="triangular2"
        ),
    ),
    "exp_range-adam": (
        "Adam",
        {},
        dict(base_lr=0.001, max_lr=0.01, step_size_up=4, mode="exp_range", gamma=0.9),
    ),
    "scale_fn-iterations": (
        "SGD",
        dict(momentum=0.5),
        dict(
            base_lr=0.01,
            max_lr=[0.1, 0.2],
            step_size_up=2,
            scale_fn=lambda x: 1 / (1 + x),
            scale_mode="iterations",
            base_momentum=0.3,
            max_momentum=[0.6, 0.7],
        ),
    ),
    "no-momentum": (
        "Adagrad",
        {},
        dict(base_lr=0.01, max_lr=0.1, step_size_up=5, cycle_momentum=False),
    ),
}


@pytest.mark.parametrize("name", list(SCHEDULES))
def test_schedule_equals_torch(name):
    records = []
    for lib in (ember, torch):
        opt = _sched_optimizer(lib)
        records.append(_lr_record(opt, SCHEDULES[name](lib.optim.lr_scheduler, opt)))
    assert records[0] == records[1]  # exactly: the same float operations in the same order


@pytest.mark.parametrize("case", list(CYCLIC))
def test_cyclic_lr_and_momentum_equal_torch(case):
    opt_name, opt_options, options = CYCLIC[case]
    keys = {"SGD": ("lr", "momentum"), "Adam": ("lr", "betas")}.get(opt_name, ("lr",))
    records = []
    for lib in (ember, torch):
        opt = _sched_optimizer(lib, opt_name, **opt_options)
        scheduler = lib.optim.lr_scheduler.CyclicLR(opt, **options)
        records.append(_lr_record(opt, scheduler, keys=keys))
    assert records[0] == records[1]


def test_warm_restarts_with_fractional_epochs_equal_torch():
    records = []
    for lib in (ember, torch):
        opt = _sched_optimizer(lib)
        scheduler = lib.optim.lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=2, T_mult=3)
        record = []
        for epoch in range(12):
            for i in range(4):
                opt.step()
                scheduler.step(epoch + i / 4)
                record.append((scheduler.get_last_lr(), scheduler.T_i, scheduler.T_cur))
        records.append(record)
    assert records[0] == records[1]


def _jsonable(state):
    """A scheduler state dict with functions and partials replaced by their type names."""
    if isinstance(state, dict):
        return {k: _jsonable(v) for k, v in state.items()}
    if isinstance(state, list):
        return [_jsonable(v) for v in state]
    if callable(state):
        return type(state).__name__
    return state


STATEFUL = {
    **SCHEDULES,
    "CyclicLR": lambda s, o: s.CyclicLR(o, 0.01, 0.1, step_size_up=3, scale_fn=Shrink()),
    "CyclicLR-exp_range": lambda s, o: s.CyclicLR(o, 0.01, 0.1, mode="exp_range", gamma=0.8),
}


@pytest.mark.parametrize("name", list(STATEFUL))
def test_state_dict_equals_torch(name):
    saved = []
    for lib in (ember, torch):
        opt = _sched_optimizer(lib, momentum=0.9)
        scheduler = STATEFUL[name](lib.optim.lr_scheduler, opt)
        _lr_record(opt, scheduler, epochs=7)
        saved.append(_jsonable(scheduler.state_dict()))
    assert saved[0] == saved[1]


@pytest.mark.parametrize("name", list(STATEFUL))
def test_loading_a_state_dict_continues_the_schedule(name):
    """Saved after 7 epochs and loaded into a new scheduler on a new optimizer (built first,
    then both restored, as torch advises): the next 10 epochs are those of the first run."""
    runs = []
    for resume in (False, True):
        opt = _sched_optimizer(ember, momentum=0.9)
        scheduler = STATEFUL[name](ember.optim.lr_scheduler, opt)
        _lr_record(opt, scheduler, epochs=7)
        if resume:
            opt_state = copy.deepcopy(opt.state_dict())
            sched_state = copy.deepcopy(scheduler.state_dict())
            opt = _sched_optimizer(ember, momentum=0.9)
            scheduler = STATEFUL[name](ember.optim.lr_scheduler, opt)
            opt.load_state_dict(opt_state)
            scheduler.load_state_dict(sched_state)
        runs.append(_lr_record(opt, scheduler, epochs=10)[1:])
    assert runs[0] == runs[1]


ORDER_WARNING = "Detected call of `lr_scheduler.step()` before `optimizer.step()`."


@pytest.mark.parametrize(
    "name", ["MultiplicativeLR", "ConstantLR", "PolynomialLR", "SequentialLR", "ChainedScheduler"]
)
@pytest.mark.parametrize("optimizer_first", [True, False])
def test_step_order_warning_like_torch(name, optimizer_first):
    """Which scheduler steps warn that the optimizer has not stepped yet (SequentialLR and
    ChainedScheduler warn through the schedulers inside), the same as torch."""
    warned = []
    for lib in (ember, torch):
        opt = _sched_optimizer(lib)
        scheduler = SCHEDULES[name](lib.optim.lr_scheduler, opt)
        record = []
        for _ in range(3):
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                if optimizer_first:
                    opt.step()
                scheduler.step()
            record.append(sum(str(w.message).startswith(ORDER_WARNING) for w in caught))
        warned.append(record)
    assert warned[0] == warned[1]
    assert any(warned[0]) != optimizer_first


def test_warm_restarts_never_warn_about_the_order_like_torch():
    for lib in (ember, torch):
        opt = _sched_optimizer(lib)
        scheduler = lib.optim.lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=3)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            scheduler.step()
            scheduler.step()


BAD_SCHEDULERS = {
    "ConstantLR-factor": lambda s, o: s.ConstantLR(o, factor=1.5),
    "ConstantLR-negative": lambda s, o: s.ConstantLR(o, factor=-0.1),
    "MultiplicativeLR-not-callable": lambda s, o: s.MultiplicativeLR(o, 0.9),
    "MultiplicativeLR-count": lambda s, o: s.MultiplicativeLR(o, [lambda e: 1.0]),
    "T_0-zero": lambda s, o: s.CosineAnnealingWarmRestarts(o, T_0=0),
    "T_0-float": lambda s, o: s.CosineAnnealingWarmRestarts(o, T_0=2.0),
    "T_mult": lambda s, o: s.CosineAnnealingWarmRestarts(o, T_0=2, T_mult=0),
    "eta_min": lambda s, o: s.CosineAnnealingWarmRestarts(o, T_0=2, eta_min="0"),
    "negative-epoch": lambda s, o: s.CosineAnnealingWarmRestarts(o, T_0=2).step(-1),
    "CyclicLR-mode": lambda s, o: s.CyclicLR(o, 0.01, 0.1, mode="sine"),
    "CyclicLR-lengths": lambda s, o: s.CyclicLR(o, [0.01], 0.1),
    "CyclicLR-no-momentum": lambda s, o: s.CyclicLR(
        type(o)([{"params": [p]} for g in o.param_groups for p in g["params"]]), 0.01, 0.1
    ),
    "CyclicLR-not-an-optimizer": lambda s, o: s.CyclicLR(o.param_groups, 0.01, 0.1),
    "SequentialLR-empty": lambda s, o: s.SequentialLR(o, [], []),
    "SequentialLR-milestones": lambda s, o: s.SequentialLR(o, [s.StepLR(o, 2)], [3]),
    "SequentialLR-plateau": lambda s, o: s.SequentialLR(
        o, [s.StepLR(o, 2), s.ReduceLROnPlateau(o)], [3]
    ),
    "SequentialLR-no-optimizer": lambda s, o: s.SequentialLR(o, [s.StepLR(o, 2), 3], [3]),
    "ChainedScheduler-empty": lambda s, o: s.ChainedScheduler([]),
    "ChainedScheduler-other-optimizer": lambda s, o: s.ChainedScheduler(
        [s.StepLR(o, 2), s.StepLR(_sched_optimizer(ember if "ember" in s.__name__ else torch), 2)]
    ),
}


@pytest.mark.parametrize("name", list(BAD_SCHEDULERS))
def test_scheduler_errors_like_torch(name):
    errors = []
    for lib in (ember, torch):
        opt = _sched_optimizer(lib, "Adagrad" if name == "CyclicLR-no-momentum" else "SGD")
        with pytest.raises(Exception) as info:
            BAD_SCHEDULERS[name](lib.optim.lr_scheduler, opt)
        errors.append((info.type.__name__, str(info.value).replace("torch.", "")))
    assert errors[0] == errors[1]


@pytest.mark.parametrize("name", ALL_NAMES)
def test_repr_with_several_groups_like_torch(name):
    reprs = []
    for lib in (ember, torch):
        params = _params(lib, _data(seed=0)[0])
        groups = [{"params": params[:1]}, {"params": params[1:], "lr": 0.5}]
        reprs.append(repr(getattr(lib.optim, name)(groups, lr=0.01)))
    assert reprs[0] == reprs[1]

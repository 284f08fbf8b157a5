"""ember.optim.lr_scheduler against torch.optim.lr_scheduler: the learning-rate (and momentum)
sequences over 30 epochs are equal to the last bit, chained schedulers compose the same way,
state dicts have torch's keys and resume identically, and bad arguments are refused."""

import copy
import warnings

import numpy as np
import pytest
import torch

import ember
import ember.optim

EPOCHS = 30


def _optimizer(lib, name="SGD", **options):
    """An optimizer with two parameter groups of different learning rates."""
    a = lib.zeros(2, dtype=lib.float64).requires_grad_()
    b = lib.zeros(3, dtype=lib.float64).requires_grad_()
    options = {"lr": 0.1, **options}
    return getattr(lib.optim, name)([{"params": [a]}, {"params": [b], "lr": 0.03}], **options)


def _trajectory(opt, schedulers, epochs=EPOCHS, metrics=None, keys=("lr",)):
    """Per epoch: each scheduler's get_last_lr() and the groups' values of ``keys``."""
    record = []
    for epoch in range(epochs):
        opt.step()
        for s in schedulers:
            if metrics is None:
                s.step()
            else:
                s.step(metrics[epoch])
        record.append(
            (
                [list(s.get_last_lr()) for s in schedulers],
                [[g[k] for k in keys] for g in opt.param_groups],
            )
        )
    return record


def _both(make, name="SGD", options=None, keys=("lr",), metrics=None, epochs=EPOCHS):
    """The trajectories in ember and torch of the schedulers ``make(lib, opt)`` builds."""
    results = []
    for lib in (ember, torch):
        opt = _optimizer(lib, name, **(options or {}))
        schedulers = make(lib.optim.lr_scheduler, opt)
        first = [list(s.get_last_lr()) for s in schedulers]
        results.append((first, _trajectory(opt, schedulers, epochs, metrics, keys)))
    return results


class Halving:
    """A callable object: LambdaLR saves its __dict__ in the state dict."""

    def __init__(self):
        self.every = 7

    def __call__(self, epoch):
        return 0.5 ** (epoch // self.every)


SCHEDULES = {
    "StepLR": lambda s, o: [s.StepLR(o, step_size=7, gamma=0.5)],
    "MultiStepLR": lambda s, o: [s.MultiStepLR(o, milestones=[3, 10, 10, 25], gamma=0.3)],
    "ExponentialLR": lambda s, o: [s.ExponentialLR(o, gamma=0.9)],
    "CosineAnnealingLR": lambda s, o: [s.CosineAnnealingLR(o, T_max=10, eta_min=0.001)],
    "CosineAnnealingLR-long": lambda s, o: [s.CosineAnnealingLR(o, T_max=40)],
    "LambdaLR": lambda s, o: [s.LambdaLR(o, lambda epoch: 1.0 / (1 + epoch))],
    "LambdaLR-per-group": lambda s, o: [s.LambdaLR(o, [lambda e: 0.95**e, Halving()])],
    "LinearLR": lambda s, o: [s.LinearLR(o, start_factor=0.25, total_iters=8)],
    "LinearLR-decay": lambda s, o: [
        s.LinearLR(o, start_factor=1.0, end_factor=0.1, total_iters=12)
    ],
    "chained-Exponential-MultiStep": lambda s, o: [
        s.ExponentialLR(o, gamma=0.95),
        s.MultiStepLR(o, milestones=[5, 15]),
    ],
    "chained-LinearLR-Cosine": lambda s, o: [
        s.LinearLR(o, start_factor=0.1, total_iters=5),
        s.CosineAnnealingLR(o, T_max=12),
    ],
}


@pytest.mark.parametrize("name", list(SCHEDULES))
def test_lr_sequence_equals_torch(name):
    (e_first, e_traj), (t_first, t_traj) = _both(SCHEDULES[name])
    assert e_first == t_first
    assert e_traj == t_traj  # exactly: the same float operations in the same order


ONE_CYCLE = {
    "cos-sgd": ("SGD", dict(momentum=0.9), dict(max_lr=[0.5, 0.2], total_steps=EPOCHS)),
    "linear-three-phase": (
        "SGD",
        dict(momentum=0.9, nesterov=True),
        dict(
            max_lr=0.5,
            epochs=3,
            steps_per_epoch=10,
            three_phase=True,
            anneal_strategy="linear",
            pct_start=0.4,
        ),
    ),
    "adam-betas": (
        "Adam",
        {},
        dict(
            max_lr=0.01,
            total_steps=EPOCHS,
            base_momentum=0.8,
            max_momentum=[0.9, 0.95],
            div_factor=10.0,
        ),
    ),
    "no-momentum-cycle": (
        "RMSprop",
        {},
        dict(max_lr=0.1, total_steps=EPOCHS, cycle_momentum=False, final_div_factor=100.0),
    ),
}


@pytest.mark.parametrize("case", list(ONE_CYCLE))
def test_one_cycle_lr_and_momentum_equal_torch(case):
    name, options, schedule = ONE_CYCLE[case]
    keys = ("lr", "betas") if name == "Adam" else ("lr", "momentum")
    (e_first, e_traj), (t_first, t_traj) = _both(
        lambda s, o: [s.OneCycleLR(o, **schedule)], name, options, keys
    )
    assert e_first == t_first
    assert e_traj == t_traj
    if schedule.get("cycle_momentum", True):  # the momentum really cycles
        momenta = {step[1][0][1] for step in e_traj}
        assert len(momenta) > 5


def test_one_cycle_refuses_to_step_past_total_steps():
    opt = _optimizer(ember, momentum=0.9)
    sched = ember.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.1, total_steps=3)
    for _ in range(3):
        opt.step()
        sched.step()
    with pytest.raises(ValueError, match="Tried to step 4 times"):
        sched.step()


PLATEAU = {
    "min-rel": (dict(patience=2), [1.0, 0.9, 0.95, 0.93, 0.91, 0.92, 0.5, 0.6, 0.7, 0.8]),
    "max-abs-cooldown": (
        dict(mode="max", threshold_mode="abs", threshold=0.05, patience=1, cooldown=2, factor=0.5),
        [0.1, 0.2, 0.22, 0.21, 0.3, 0.3, 0.3, 0.31, 0.29, 0.5, 0.5, 0.5],
    ),
    "min-lr-floor": (
        dict(patience=0, factor=0.2, min_lr=[0.01, 0.02]),
        [5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0, 4.0, 12.0, 13.0],
    ),
    "eps-skips-tiny-changes": (dict(patience=0, factor=0.5, eps=0.02), [3.0] * 10),
}


@pytest.mark.parametrize("case", list(PLATEAU))
def test_reduce_lr_on_plateau_equals_torch(case):
    options, metrics = PLATEAU[case]
    metrics = (metrics * 3)[:EPOCHS]
    (e_first, e_traj), (t_first, t_traj) = _both(
        lambda s, o: [s.ReduceLROnPlateau(o, **options)], metrics=metrics
    )
    assert e_first == t_first
    assert e_traj == t_traj
    assert len({tuple(step[0][0]) for step in e_traj}) > 1  # the lr was reduced at least once


def test_reduce_lr_on_plateau_takes_a_tensor_metric_and_checks_arguments():
    opt = _optimizer(ember)
    sched = ember.optim.lr_scheduler.ReduceLROnPlateau(opt, patience=0)
    sched.step(ember.tensor(1.0))
    sched.step(ember.tensor(2.0))
    assert sched.get_last_lr() == [0.1 * 0.1, 0.03 * 0.1]
    with pytest.raises(ValueError, match="Factor should be < 1.0"):
        ember.optim.lr_scheduler.ReduceLROnPlateau(opt, factor=1.5)
    with pytest.raises(ValueError, match="mode avg is unknown"):
        ember.optim.lr_scheduler.ReduceLROnPlateau(opt, mode="avg")
    with pytest.raises(ValueError, match="expected 2 min_lrs, got 3"):
        ember.optim.lr_scheduler.ReduceLROnPlateau(opt, min_lr=[0, 0, 0])


CLOSED_FORM = {
    "StepLR": lambda s, o: s.StepLR(o, step_size=3, gamma=0.5),
    "MultiStepLR": lambda s, o: s.MultiStepLR(o, milestones=[2, 5, 5]),
    "ExponentialLR": lambda s, o: s.ExponentialLR(o, gamma=0.8),
    "CosineAnnealingLR": lambda s, o: s.CosineAnnealingLR(o, T_max=6, eta_min=0.01),
    "LinearLR": lambda s, o: s.LinearLR(o, start_factor=0.2, total_iters=4),
    "LambdaLR": lambda s, o: s.LambdaLR(o, lambda e: 1.0 / (1 + e)),  # no closed form: get_lr
}


@pytest.mark.parametrize("name", list(CLOSED_FORM))
def test_step_with_an_epoch_uses_the_closed_form_like_torch(name):
    results = []
    for lib in (ember, torch):
        opt = _optimizer(lib)
        sched = CLOSED_FORM[name](lib.optim.lr_scheduler, opt)
        lrs = []
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            for epoch in (4, 1, 7, 7, 2):
                opt.step()
                sched.step(epoch)
                lrs.append(sched.get_last_lr())
        assert any("epoch parameter" in str(w.message) for w in caught)
        results.append(lrs)
    assert results[0] == results[1]


def _state_keys(sched):
    return set(sched.state_dict())


@pytest.mark.parametrize(
    "name",
    [
        "StepLR",
        "MultiStepLR",
        "ExponentialLR",
        "CosineAnnealingLR",
        "LambdaLR-per-group",
        "LinearLR",
    ],
)
def test_state_dict_has_torchs_keys_and_round_trip_resumes(name):
    make = SCHEDULES[name]
    keys = []
    for lib in (ember, torch):
        opt = _optimizer(lib)
        (sched,) = make(lib.optim.lr_scheduler, opt)
        _trajectory(opt, [sched], epochs=5)
        keys.append(_state_keys(sched))
    assert keys[0] == keys[1]

    straight_opt = _optimizer(ember)
    (straight,) = make(ember.optim.lr_scheduler, straight_opt)
    expected = _trajectory(straight_opt, [straight], epochs=20)[10:]

    opt = _optimizer(ember)
    (sched,) = make(ember.optim.lr_scheduler, opt)
    _trajectory(opt, [sched], epochs=10)
    saved_opt, saved_sched = copy.deepcopy(opt.state_dict()), copy.deepcopy(sched.state_dict())
    new_opt = _optimizer(ember)
    (new_sched,) = make(ember.optim.lr_scheduler, new_opt)
    new_opt.load_state_dict(saved_opt)
    new_sched.load_state_dict(saved_sched)
    assert _trajectory(new_opt, [new_sched], epochs=10) == expected


def test_lambda_lr_state_dict_saves_callable_objects_only():
    opt = _optimizer(ember)
    halving = Halving()
    sched = ember.optim.lr_scheduler.LambdaLR(opt, [lambda e: 1.0, halving])
    assert sched.state_dict()["lr_lambdas"] == [None, {"every": 7}]
    other = Halving()
    other.every = 2
    sched2 = ember.optim.lr_scheduler.LambdaLR(_optimizer(ember), [lambda e: 1.0, other])
    sched2.load_state_dict(sched.state_dict())
    assert other.every == 7


def test_one_cycle_and_plateau_state_dict_keys_match_torch():
    keys = []
    for lib in (ember, torch):
        opt = _optimizer(lib, momentum=0.9)
        one_cycle = lib.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.1, total_steps=10)
        plateau = lib.optim.lr_scheduler.ReduceLROnPlateau(_optimizer(lib))
        plateau.step(1.0)
        keys.append((_state_keys(one_cycle), _state_keys(plateau)))
    assert keys[0] == keys[1]


def test_resuming_with_last_epoch_matches_torch():
    """A scheduler made with last_epoch=k on a restored optimizer picks up the schedule."""
    results = []
    for lib in (ember, torch):
        opt = _optimizer(lib)
        for group in opt.param_groups:
            group["initial_lr"] = group["lr"]
        sched = lib.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=10, last_epoch=4)
        results.append(_trajectory(opt, [sched], epochs=8))
    assert results[0] == results[1]


def test_initial_lr_is_required_to_resume():
    with pytest.raises(KeyError, match="initial_lr"):
        ember.optim.lr_scheduler.StepLR(_optimizer(ember), step_size=2, last_epoch=3)


def test_scheduler_needs_an_optimizer():
    with pytest.raises(TypeError, match="list is not an Optimizer"):
        ember.optim.lr_scheduler.StepLR([], step_size=2)


def test_warns_when_stepped_before_the_optimizer():
    opt = _optimizer(ember)
    sched = ember.optim.lr_scheduler.StepLR(opt, step_size=2)
    with pytest.warns(UserWarning, match="before `optimizer.step\\(\\)`"):
        sched.step()


def test_no_warning_in_the_right_order():
    opt = _optimizer(ember)
    sched = ember.optim.lr_scheduler.ExponentialLR(opt, gamma=0.5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        opt.step()
        sched.step()
    assert sched.get_last_lr() == [0.05, 0.015]


def test_get_lr_outside_step_warns():
    sched = ember.optim.lr_scheduler.ExponentialLR(_optimizer(ember), gamma=0.5)
    with pytest.warns(UserWarning, match="get_last_lr"):
        sched.get_lr()


def test_schedule_drives_the_optimizer_updates():
    """The lr a scheduler sets is the one the next optimizer step uses."""
    p = ember.tensor([1.0], dtype=ember.float64).requires_grad_()
    opt = ember.optim.SGD([p], lr=1.0)
    sched = ember.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    values = []
    for _ in range(3):
        p.grad = ember.tensor([1.0], dtype=ember.float64)
        opt.step()
        sched.step()
        values.append(p.item())
    np.testing.assert_allclose(values, [0.0, -0.5, -0.75])

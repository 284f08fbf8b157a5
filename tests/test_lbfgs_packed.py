"""LBFGS against torch.optim.LBFGS (parameter trajectories, losses, state and state dicts, with
and without the strong-Wolfe search), and packed sequences against torch.nn.utils.rnn (packing,
padding, recurrent layers reading them: values and gradients)."""

import copy

import numpy as np
import pytest
import torch
from conftest import rng_for

import ember

# ----- LBFGS -------------------------------------------------------------------------------------


def _quadratic(seed):
    rng = rng_for(seed)
    m = rng.standard_normal((5, 5))
    a, b = m @ m.T + 0.5 * np.eye(5), rng.standard_normal(5)
    initial = [rng.standard_normal(3), rng.standard_normal((2,))]

    def loss(lib, params):
        x = lib.cat(params)
        a_, b_ = (lib.from_numpy(v).to(x.dtype) for v in (a, b))
        return 0.5 * (x @ (a_ @ x)) - b_ @ x

    return initial, loss


def _rosenbrock(seed):
    initial = [np.array([-1.2, 1.0, -0.5, 0.8]) + 0.1 * rng_for(seed).standard_normal(4)]

    def loss(lib, params):
        (x,) = params
        return (100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2).sum()

    return initial, loss


def _mlp(seed):
    rng = rng_for(seed)
    x, y = rng.standard_normal((16, 3)), rng.standard_normal((16, 1))
    initial = [0.5 * rng.standard_normal(s) for s in [(8, 3), (8,), (1, 8), (1,)]]

    def loss(lib, params):
        w1, b1, w2, b2 = params
        hidden = lib.tanh(lib.from_numpy(x) @ w1.T + b1)
        return ((hidden @ w2.T + b2 - lib.from_numpy(y)) ** 2).mean()

    return initial, loss


PROBLEMS = {"quadratic": _quadratic, "rosenbrock": _rosenbrock, "mlp": _mlp}
OPTIONS = [
    {},
    {"line_search_fn": "strong_wolfe"},
    {"max_iter": 3, "history_size": 2},
    {"max_iter": 4, "history_size": 2, "line_search_fn": "strong_wolfe"},
    {"lr": 0.5, "max_iter": 5, "max_eval": 6, "history_size": 3},
    {"lr": 0.8, "max_iter": 6, "max_eval": 9, "line_search_fn": "strong_wolfe"},
]


def _as_numpy(value):
    """A state value with its tensors (torch's or ember's) as NumPy arrays, lists kept."""
    if isinstance(value, (list, tuple)):
        return [_as_numpy(v) for v in value]
    if isinstance(value, (torch.Tensor, ember.Tensor)):
        return value.detach().numpy().copy()
    return value


def _run(lib, initial, loss_fn, steps, options, state=None):
    """``steps`` LBFGS steps; returns (params after each step, returned losses, optimizer)."""
    params = [lib.from_numpy(a.copy()).requires_grad_() for a in initial]
    opt = lib.optim.LBFGS(params, **options)
    if state is not None:
        opt.load_state_dict(state)

    def closure():
        opt.zero_grad()
        loss = loss_fn(lib, params)
        loss.backward()
        return loss

    trajectory, losses = [], []
    for _ in range(steps):
        losses.append(float(opt.step(closure).detach()))
        trajectory.append([p.detach().numpy().copy() for p in params])
    return trajectory, losses, opt


def _assert_same_runs(mine, theirs, rtol=1e-9, atol=1e-12):
    (e_traj, e_losses, _), (t_traj, t_losses, _) = mine, theirs
    np.testing.assert_allclose(e_losses, t_losses, rtol=rtol, atol=atol)
    for step, (e_params, t_params) in enumerate(zip(e_traj, t_traj)):
        for e, t in zip(e_params, t_params):
            assert e.dtype == t.dtype
            np.testing.assert_allclose(e, t, rtol=rtol, atol=atol, err_msg=f"step {step}")


def _assert_same_state(e_state, t_state, rtol=1e-7, atol=1e-12):
    # looser than the parameters: near a minimum, gradient differences keep few exact digits
    assert e_state.keys() == t_state.keys()
    for key, t_value in t_state.items():
        e_value, t_value = _as_numpy(e_state[key]), _as_numpy(t_value)
        if isinstance(t_value, list):
            assert len(e_value) == len(t_value), key
            pairs = zip(e_value, t_value)
        else:
            pairs = [(e_value, t_value)]
        for e, t in pairs:
            if t is None or isinstance(t, int):
                assert e == t, key
            else:  # gradient differences cancel: measured against the vector's size
                scale = rtol * np.abs(t).max() + atol
                np.testing.assert_allclose(e, t, rtol=rtol, atol=scale, err_msg=key)


@pytest.mark.parametrize(
    "options", OPTIONS, ids=lambda o: ",".join(f"{k}={v}" for k, v in o.items())
)
@pytest.mark.parametrize("problem", PROBLEMS)
def test_lbfgs_follows_torch(problem, options):
    initial, loss_fn = PROBLEMS[problem](seed=len(problem))
    # 80 fixed steps on Rosenbrock's valley grow a last-bit difference (torch's add_ rounds
    # once, as a fused multiply-add) past any tight tolerance: there, compare one step of 20
    steps = 1 if problem == "rosenbrock" and not options else 4
    mine, theirs = (_run(lib, initial, loss_fn, steps, options) for lib in (ember, torch))
    _assert_same_runs(mine, theirs)
    e_opt, t_opt = mine[2], theirs[2]
    assert e_opt.defaults == t_opt.defaults
    e_sd, t_sd = e_opt.state_dict(), t_opt.state_dict()
    assert e_sd["param_groups"] == t_sd["param_groups"]
    assert e_sd["state"].keys() == t_sd["state"].keys() == {0}
    _assert_same_state(e_sd["state"][0], t_sd["state"][0])


@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
def test_lbfgs_state_dict_resumes_like_torch(line_search_fn):
    """Three steps, then a fresh optimizer loaded from the state dict (ember's own, and torch's
    as NumPy arrays) takes the next three exactly as torch does without stopping."""
    initial, loss_fn = _mlp(seed=7)
    options = {"max_iter": 4, "history_size": 3, "line_search_fn": line_search_fn}
    t_traj, t_losses, t_opt = _run(torch, initial, loss_fn, 6, options)
    e_traj, _, e_opt = _run(ember, initial, loss_fn, 3, options)
    saved = copy.deepcopy(e_opt.state_dict())
    from_torch = _run(torch, initial, loss_fn, 3, options)[2].state_dict()
    from_torch["state"] = {0: {k: _as_numpy(v) for k, v in from_torch["state"][0].items()}}
    for state in (saved, from_torch):
        resumed = _run(ember, e_traj[-1], loss_fn, 3, options, state)
        _assert_same_runs(resumed, (t_traj[3:], t_losses[3:], t_opt))
        _assert_same_state(resumed[2].state_dict()["state"][0], t_opt.state_dict()["state"][0])


def test_lbfgs_float32_keeps_dtype_and_follows_torch():
    initial, loss_fn = _quadratic(seed=3)
    initial = [a.astype(np.float32) for a in initial]
    options = {"line_search_fn": "strong_wolfe", "max_iter": 5}
    mine, theirs = (_run(lib, initial, loss_fn, 2, options) for lib in (ember, torch))
    _assert_same_runs(mine, theirs, rtol=1e-4, atol=1e-5)
    assert mine[2].state_dict()["state"][0]["d"].dtype == ember.float32


def test_lbfgs_stops_at_a_minimum_without_moving():
    x = ember.zeros(3, requires_grad=True)
    opt = ember.optim.LBFGS([x])
    calls = []

    def closure():
        calls.append(1)
        opt.zero_grad()
        loss = (x**2).sum()
        loss.backward()
        return loss

    assert float(opt.step(closure)) == 0.0
    assert len(calls) == 1 and opt.state[x] == {"func_evals": 1, "n_iter": 0}
    assert x.tolist() == [0.0, 0.0, 0.0]


@pytest.mark.parametrize("lib", [ember, torch], ids=["ember", "torch"])
def test_lbfgs_errors_like_torch(lib):
    p, q = lib.zeros(2, requires_grad=True), lib.zeros(2, requires_grad=True)
    with pytest.raises(
        ValueError, match=r"LBFGS doesn't support per-parameter options \(parameter groups\)"
    ):
        lib.optim.LBFGS([{"params": [p]}, {"params": [q], "lr": 0.1}])
    with pytest.raises(ValueError, match="Invalid learning rate: -1"):
        lib.optim.LBFGS([p], lr=-1)
    opt = lib.optim.LBFGS([p], line_search_fn="wolfe")

    def closure():
        opt.zero_grad()
        loss = ((p - 1) ** 2).sum()
        loss.backward()
        return loss

    with pytest.raises(RuntimeError, match="only 'strong_wolfe' is supported"):
        opt.step(closure)

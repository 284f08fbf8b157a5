"""LBFGS against torch.optim.LBFGS (parameter trajectories, losses, state and state dicts, with
and without the strong-Wolfe search), and packed sequences against torch.nn.utils.rnn (packing,
padding, recurrent layers reading them: values and gradients)."""

import copy

import numpy as np
import pytest
import torch
from conftest import random_array, rng_for

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


# ----- packed sequences --------------------------------------------------------------------------


def _rnn_utils(lib):
    return lib.nn.utils.rnn


LENGTHS = {True: [5, 3, 3, 1], False: [3, 5, 1, 3]}  # by enforce_sorted


def _padded(batch_first, seed=0):
    """A padded batch (4 sequences, 5 steps, 3 features); the padding is not zero, so a layer
    that read it would show."""
    x = random_array(rng_for(seed), (5, 4, 3))
    return np.ascontiguousarray(x.transpose(1, 0, 2)) if batch_first else x


@pytest.mark.parametrize("enforce_sorted", [True, False])
@pytest.mark.parametrize("batch_first", [False, True])
def test_pack_and_pad_match_torch_with_gradients(batch_first, enforce_sorted):
    x, lengths = _padded(batch_first), LENGTHS[enforce_sorted]
    upstream = random_array(rng_for(1), (6, 4, 3))  # reshaped to the padded output
    results = {}
    for lib in (ember, torch):
        utils = _rnn_utils(lib)
        xt = lib.from_numpy(x.copy()).requires_grad_()
        packed = utils.pack_padded_sequence(xt, lib.tensor(lengths), batch_first, enforce_sorted)
        padded, out_lengths = utils.pad_packed_sequence(
            packed, batch_first=batch_first, padding_value=-2.0, total_length=6
        )
        (padded * lib.from_numpy(upstream.reshape(padded.shape))).sum().backward()
        indices = [packed.sorted_indices, packed.unsorted_indices]
        results[lib] = [packed.data, packed.batch_sizes, *indices, padded, out_lengths, xt.grad]
    for e, t in zip(results[ember], results[torch]):
        if t is None:
            assert e is None
        else:
            assert str(e.dtype).split(".")[-1] == str(t.dtype).split(".")[-1]
            np.testing.assert_array_equal(e.detach().numpy(), t.detach().numpy())


def test_pack_sequence_and_unpack_match_torch():
    rng = rng_for(2)
    arrays = [random_array(rng, (n, 2)) for n in (2, 4, 1)]
    for enforce_sorted in (False, True):
        if enforce_sorted:
            arrays = sorted(arrays, key=len, reverse=True)
        results = {}
        for lib in (ember, torch):
            seqs = [lib.from_numpy(a.copy()).requires_grad_() for a in arrays]
            packed = _rnn_utils(lib).pack_sequence(seqs, enforce_sorted=enforce_sorted)
            unpacked = _rnn_utils(lib).unpack_sequence(packed)
            sum((u * (k + 1)).sum() for k, u in enumerate(unpacked)).backward()
            results[lib] = [packed.data, *unpacked, *(s.grad for s in seqs)]
        for e, t in zip(results[ember], results[torch]):
            np.testing.assert_array_equal(e.detach().numpy(), t.detach().numpy())
        assert type(packed).__name__ == "PackedSequence"


@pytest.mark.parametrize("batch_first", [False, True])
def test_unpad_sequence_matches_torch_and_leaves_the_input(batch_first):
    x, lengths = _padded(batch_first), [5, 2, 4, 1]
    padded = ember.from_numpy(x.copy())
    mine = ember.nn.utils.rnn.unpad_sequence(padded, ember.tensor(lengths), batch_first)
    theirs = torch.nn.utils.rnn.unpad_sequence(
        torch.from_numpy(x), torch.tensor(lengths), batch_first
    )
    assert [len(s) for s in mine] == lengths
    for e, t in zip(mine, theirs):
        np.testing.assert_array_equal(e.numpy(), t.numpy())
    assert tuple(padded.shape) == x.shape  # torch transposes a time-major input in place


RECURRENT = [
    ("RNN", {}),
    ("RNN", {"nonlinearity": "relu", "num_layers": 2, "bidirectional": True}),
    ("LSTM", {}),
    ("LSTM", {"num_layers": 2, "bidirectional": True}),
    ("GRU", {"bidirectional": True}),
    ("GRU", {"num_layers": 2, "bias": False}),
]


def _recurrent_run(lib, module, x, lengths, batch_first, enforce_sorted, states):
    """Pack, run, pad; backpropagate a fixed mix of the output and the final states."""
    xt = lib.from_numpy(x.copy()).requires_grad_()
    hx = [lib.from_numpy(s.copy()).requires_grad_() for s in states]
    packed = _rnn_utils(lib).pack_padded_sequence(xt, lengths, batch_first, enforce_sorted)
    out, finals = module(packed, (tuple(hx) if len(hx) == 2 else hx[0]) if hx else None)
    finals = finals if isinstance(finals, tuple) else (finals,)
    padded, _ = _rnn_utils(lib).pad_packed_sequence(out, batch_first=batch_first)
    rng = rng_for(3)
    loss = (padded * lib.from_numpy(random_array(rng, tuple(padded.shape)))).sum()
    for f in finals:
        loss = loss + (f * lib.from_numpy(random_array(rng, tuple(f.shape)))).sum()
    loss.backward()
    grads = [xt.grad] + [h.grad for h in hx] + [p.grad for p in module.parameters()]
    indices = [out.sorted_indices, out.unsorted_indices]
    return [out.data, out.batch_sizes, *indices, padded, *finals, *grads]


@pytest.mark.parametrize("with_states", [False, True])
@pytest.mark.parametrize("enforce_sorted", [True, False])
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("name, kwargs", RECURRENT)
def test_recurrent_layers_read_packed_sequences_like_torch(
    name, kwargs, batch_first, enforce_sorted, with_states
):
    theirs = getattr(torch.nn, name)(3, 4, batch_first=batch_first, **kwargs).double()
    mine = getattr(ember.nn, name)(3, 4, batch_first=batch_first, **kwargs).double()
    mine.load_state_dict(
        {k: ember.from_numpy(v.detach().numpy().copy()) for k, v in theirs.state_dict().items()}
    )
    layers = kwargs.get("num_layers", 1) * (2 if kwargs.get("bidirectional") else 1)
    rng = rng_for(4)
    states = [random_array(rng, (layers, 4, 4)) for _ in range(2 if name == "LSTM" else 1)]
    states = states if with_states else []
    x, lengths = _padded(batch_first), LENGTHS[enforce_sorted]
    args = (x, lengths, batch_first, enforce_sorted, states)
    results = [_recurrent_run(lib, m, *args) for lib, m in ((ember, mine), (torch, theirs))]
    assert len(results[0]) == len(results[1])
    for i, (e, t) in enumerate(zip(*results)):
        if t is None:
            assert e is None, i
        else:
            np.testing.assert_allclose(
                e.detach().numpy(), t.detach().numpy(), rtol=1e-10, atol=1e-12, err_msg=str(i)
            )


def test_packed_sequence_is_a_namedtuple_like_torchs():
    data, batch_sizes = ember.zeros(3, 2), ember.tensor([2, 1])
    packed = ember.nn.utils.rnn.PackedSequence(data, batch_sizes, ember.tensor([1, 0]))
    assert packed._fields == ("data", "batch_sizes", "sorted_indices", "unsorted_indices")
    assert packed.unsorted_indices.tolist() == [1, 0]
    assert ember.nn.utils.rnn.PackedSequence((data, batch_sizes)).batch_sizes is batch_sizes
    assert packed.double().data.dtype == ember.float64
    assert packed.to(ember.float32) is packed
    assert ember.nn.utils.rnn.invert_permutation(ember.tensor([2, 0, 1])).tolist() == [1, 2, 0]


def _pack_call(lengths, shape=(4, 3, 2), **kwargs):
    def call(lib):
        return _rnn_utils(lib).pack_padded_sequence(lib.zeros(*shape), lengths, **kwargs)

    return call


@pytest.mark.parametrize(
    "call, error, message",
    [
        (_pack_call([1, 2, 3]), RuntimeError, "`lengths` array must be sorted in decreasing"),
        (_pack_call([3, 0, 1]), RuntimeError, "`lengths` array must be sorted in decreasing"),
        (
            _pack_call([3, 2, 0], enforce_sorted=False),
            RuntimeError,
            "Length of all samples has to be greater than 0, but found an element in 'lengths' "
            "that is <= 0",
        ),
        (
            _pack_call([3, 2]),
            RuntimeError,
            "Expected `len(lengths)` to be equal to batch_size, but got 2 (batch_size=3)",
        ),
        (
            lambda lib: _pack_call(lib.tensor([[3, 2, 1]]))(lib),
            RuntimeError,
            "'lengths' argument should be a 1D CPU int64 tensor, but got 2D cpu Long tensor",
        ),
        (
            _pack_call([3], shape=(3,)),
            IndexError,
            "Dimension out of range (expected to be in range of [-1, 0], but got 1)",
        ),
        (
            lambda lib: _rnn_utils(lib).pad_packed_sequence(
                _pack_call([3, 2, 1])(lib), total_length=2
            ),
            ValueError,
            "Expected total_length to be at least the length of the longest sequence in input, "
            "but got total_length=2 and max sequence length being 3",
        ),
        (
            lambda lib: lib.nn.RNN(2, 3)(_pack_call([3, 2, 1], shape=(4, 3, 2, 2))(lib)),
            RuntimeError,
            "input must have 2 dimensions, got 3",
        ),
        (
            lambda lib: lib.nn.GRU(2, 3)(_pack_call([3, 2, 1])(lib), lib.zeros(1, 2, 3)),
            RuntimeError,
            "Expected hidden size (1, 3, 3), got [1, 2, 3]",
        ),
    ],
)
def test_packed_sequence_errors_like_torch(call, error, message):
    for lib in (ember, torch):
        with pytest.raises(error) as info:
            call(lib)
        assert message in str(info.value), lib.__name__

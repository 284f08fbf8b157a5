"""Recurrent layers against PyTorch (same weights: outputs, final states, input, state and
parameter gradients) and finite differences: RNN (tanh, relu), LSTM, GRU with several layers,
batch_first, bidirectional, initial states, no bias, unbatched input; their cells; the
conformance harness; backpropagation through time to second order; errors."""

import numpy as np
import pytest
import torch
from conftest import random_array, rng_for
from torch_parity import FirstOutput, compare_modules, same_weights, uniform_bound

import ember
from ember.ops import rnn as R
from ember.tensor import apply

LAYERS = [
    ("RNN", {}),
    ("RNN", {"nonlinearity": "relu", "num_layers": 2}),
    ("LSTM", {}),
    ("LSTM", {"num_layers": 2, "bidirectional": True, "batch_first": True}),
    ("GRU", {}),
    ("GRU", {"num_layers": 2, "bidirectional": True, "bias": False}),
    ("RNN", {"num_layers": 3, "bidirectional": True, "batch_first": True}),
]


def _pair(name, kwargs, sizes=(3, 5)):
    theirs = getattr(torch.nn, name)(*sizes, **kwargs).double()
    mine = getattr(ember.nn, name)(*sizes, **kwargs).double()
    same_weights(mine, theirs)
    return mine, theirs


def _states(name, kwargs, batch, seed):
    rng = rng_for(seed)
    layers = kwargs.get("num_layers", 1) * (2 if kwargs.get("bidirectional") else 1)
    shape = (layers, batch, 5) if batch else (layers, 5)
    return [random_array(rng, shape) for _ in range(2 if name == "LSTM" else 1)]


def _select_all(name):
    # a scalar mixing the output and the final states, so all three get gradients
    def select(out):
        output, final = out
        finals = final if isinstance(final, tuple) else (final,)
        total = output
        for f in finals:
            total = total.sum() + (f * f).sum()
        return total

    return select


@pytest.mark.parametrize("name, kwargs", LAYERS)
def test_recurrent_layers_match_torch(name, kwargs):
    mine, theirs = _pair(name, kwargs)
    batch, steps = 4, 6
    shape = (batch, steps, 3) if kwargs.get("batch_first") else (steps, batch, 3)
    x = random_array(rng_for(0), shape)
    compare_modules(mine, theirs, [x])  # zero initial states, the output
    states = _states(name, kwargs, batch, 1)

    def with_states(lib):
        tensors = [lib.from_numpy(s.copy()).requires_grad_() for s in states]
        return {"hx": tuple(tensors) if name == "LSTM" else tensors[0]}

    compare_modules(mine, theirs, [x], kwargs=with_states, select=_select_all(name))


@pytest.mark.parametrize("name", ["RNN", "LSTM", "GRU"])
def test_unbatched_sequence_matches_torch(name):
    kwargs = {"num_layers": 2}
    mine, theirs = _pair(name, kwargs)
    x = random_array(rng_for(2), (6, 3))
    states = _states(name, kwargs, 0, 3)

    def with_states(lib):
        tensors = [lib.from_numpy(s.copy()) for s in states]
        return {"hx": tuple(tensors) if name == "LSTM" else tensors[0]}

    compare_modules(mine, theirs, [x], kwargs=with_states, select=_select_all(name))


@pytest.mark.parametrize(
    "name, kwargs",
    [
        ("RNNCell", {}),
        ("RNNCell", {"nonlinearity": "relu"}),
        ("LSTMCell", {}),
        ("GRUCell", {}),
        ("GRUCell", {"bias": False}),
    ],
)
def test_cells_match_torch(name, kwargs):
    mine, theirs = _pair(name, kwargs)
    rng = rng_for(4)
    x, h, c = random_array(rng, (4, 3)), random_array(rng, (4, 5)), random_array(rng, (4, 5))

    def states(lib):
        hx = lib.from_numpy(h.copy()).requires_grad_()
        return {"hx": (hx, lib.from_numpy(c.copy())) if name == "LSTMCell" else hx}

    def select(out):
        return out[0] * out[1] if isinstance(out, tuple) else out

    compare_modules(mine, theirs, [x], kwargs=states, select=select)
    compare_modules(mine, theirs, [x[0]], select=select)  # unbatched, zero state


@pytest.mark.parametrize(
    "name, kwargs",
    [
        ("LSTM", {"batch_first": True, "num_layers": 2}),
        ("GRU", {"batch_first": True, "bidirectional": True}),
        ("RNN", {}),
    ],
)
def test_recurrent_layers_pass_the_harness(name, kwargs):
    layer = getattr(ember.nn, name)(3, 4, **kwargs)
    x = ember.randn(2, 5, 3)
    ember.testing.check_module(
        FirstOutput(layer), x, unbatched=None if kwargs.get("batch_first") else False
    )


@pytest.mark.parametrize("name", ["RNNCell", "GRUCell"])
def test_cells_pass_the_harness(name):
    ember.testing.check_module(getattr(ember.nn, name)(3, 4), ember.randn(5, 3))


@pytest.mark.parametrize(
    "op, gates, extra",
    [
        (R.lstm_layer, 4, "cell"),
        (R.gru_layer, 3, ""),
        (R.rnn_layer, 1, "tanh"),
        (R.rnn_layer, 1, "relu"),
    ],
)
def test_backpropagation_through_time_to_second_order(op, gates, extra):
    rng = rng_for(5)
    steps, batch, hidden = 3, 2, 2
    arrays = [
        random_array(rng, s)
        for s in [
            (steps, batch, gates * hidden),
            (gates * hidden, hidden),
            (gates * hidden,),
            (batch, hidden),
        ]
    ]
    if extra == "cell":
        arrays.append(random_array(rng, (batch, hidden)))
    inputs = [ember.from_numpy(a).requires_grad_() for a in arrays]
    constants = () if extra in ("cell", "") else (extra == "relu",)

    def run(*xs):
        return apply(op, *xs, *constants)

    assert ember.autograd.gradcheck(run, inputs)
    if extra != "relu":  # relu's second derivative is zero almost everywhere
        assert ember.autograd.gradgradcheck(run, inputs)


def test_default_initialisation_and_parameter_names_are_pytorchs():
    ember.manual_seed(0)
    layer = ember.nn.LSTM(10, 20, num_layers=2, bidirectional=True)
    theirs = torch.nn.LSTM(10, 20, num_layers=2, bidirectional=True)
    assert list(layer.state_dict()) == list(theirs.state_dict())
    for name, value in layer.state_dict().items():
        assert tuple(value.shape) == tuple(theirs.state_dict()[name].shape), name
        assert uniform_bound(value.numpy(), 1 / np.sqrt(20)), name
    cell = ember.nn.GRUCell(3, 7)
    assert [n for n, _ in cell.named_parameters()] == [
        "weight_ih",
        "weight_hh",
        "bias_ih",
        "bias_hh",
    ]


def test_lstm_graph_is_small():
    # one node per layer and direction for the recurrence, not one per step and gate
    layer = ember.nn.LSTM(3, 4)
    out, _ = layer(ember.randn(50, 2, 3))
    seen, stack = set(), [out.grad_fn]
    while stack:
        node = stack.pop()
        if node is None or id(node) in seen or not getattr(node, "is_node", False):
            continue
        seen.add(id(node))
        stack.extend(node.next)
    assert len(seen) < 10


@pytest.mark.parametrize(
    "call, error, message",
    [
        (
            lambda nn: nn.LSTM(3, 4)(ember.zeros(5, 2, 2)),
            RuntimeError,
            "input.size(-1) must be equal to input_size",
        ),
        (
            lambda nn: nn.GRU(3, 4)(ember.zeros(5, 2, 3), ember.zeros(2, 2, 4)),
            RuntimeError,
            "Expected hidden size (1, 2, 4), got [2, 2, 4]",
        ),
        (
            lambda nn: nn.LSTM(3, 4)(ember.zeros(5, 2, 3), ember.zeros(1, 2, 4)),
            RuntimeError,
            "hx must be a tuple",
        ),
        (lambda nn: nn.RNN(3, 4)(ember.zeros(5, 3)[None, None]), ValueError, "2-D or 3-D"),
        (lambda nn: nn.RNN(3, 4, nonlinearity="gelu"), ValueError, "Unknown nonlinearity"),
        (lambda nn: nn.LSTM(3, 4, proj_size=2), NotImplementedError, "proj_size"),
        (
            lambda nn: nn.RNNCell(3, 4)(ember.zeros(2, 3), ember.zeros(3, 4)),
            RuntimeError,
            "inconsistent size",
        ),
    ],
)
def test_recurrent_errors_name_the_problem(call, error, message):
    with pytest.raises(error) as info:
        call(ember.nn)
    assert message in str(info.value)

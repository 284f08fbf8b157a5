"""ember.testing.assert_no_graph_growth: a training step that keeps old graphs alive fails, a
clean one passes."""

import pytest

import ember
import ember.testing
from ember.testing import assert_no_graph_growth, count_live_nodes


def _model():
    w = ember.randn(4, 3, requires_grad=True)
    x, y = ember.randn(8, 4), ember.randn(8, 3)
    return w, x, y


def test_a_clean_training_step_passes():
    w, x, y = _model()
    losses = []

    def step():
        loss = (x.mm(w) - y).pow(2).mean()
        loss.backward()
        with ember.no_grad():
            w.sub_(0.01 * w.grad)
        w.grad = None
        losses.append(loss.item())  # a number: the graph is free to go

    counts = assert_no_graph_growth(step, steps=4)
    assert len(counts) == 5 and counts[-1] == counts[0] and len(losses) == 5


def test_accumulating_the_loss_tensor_is_caught():
    w, x, y = _model()
    total = [0.0]

    def step():
        loss = (x.mm(w) - y).pow(2).mean()
        loss.backward(retain_graph=True)
        w.grad = None
        total[0] = total[0] + loss  # the classic leak: every step's graph stays reachable

    with pytest.raises(AssertionError, match="keeps old graphs alive") as error:
        assert_no_graph_growth(step, steps=3)
    message = str(error.value)
    assert "loss.item()" in message and "MmBackward0 +3" in message


def test_storing_outputs_with_history_is_caught_and_tolerance_allows_a_bounded_cache():
    w, x, _ = _model()
    outputs = []
    with pytest.raises(AssertionError, match="more graph nodes after each step"):
        assert_no_graph_growth(lambda: outputs.append(x.mm(w).tanh()), steps=3)
    before = count_live_nodes()
    outputs.clear()
    assert count_live_nodes() < before
    assert_no_graph_growth(lambda: outputs.append(x.mm(w).tanh()), steps=2, tolerance=10)
    with pytest.raises(ValueError, match="steps >= 2"):
        assert_no_graph_growth(lambda: None, steps=1)

"""ember.nn.init: gains and fans equal torch's; each fill has the documented distribution, uses
ember's generator (repeatable with manual_seed), bumps the version, and records no graph."""

import math

import numpy as np
import pytest
import torch

import ember
from ember.nn import init


@pytest.mark.parametrize(
    "nonlinearity, param",
    [
        ("linear", None),
        ("conv2d", None),
        ("sigmoid", None),
        ("tanh", None),
        ("relu", None),
        ("leaky_relu", None),
        ("leaky_relu", 0.2),
        ("leaky_relu", math.sqrt(5)),
        ("selu", None),
    ],
)
def test_calculate_gain_matches_torch(nonlinearity, param):
    assert init.calculate_gain(nonlinearity, param) == pytest.approx(
        torch.nn.init.calculate_gain(nonlinearity, param)
    )


def test_calculate_gain_errors():
    with pytest.raises(ValueError, match="Unsupported nonlinearity"):
        init.calculate_gain("swish")
    with pytest.raises(ValueError, match="not a valid number"):
        init.calculate_gain("leaky_relu", "big")


def test_fans_match_torch():
    for shape in [(3, 4), (8, 3, 5, 5), (2, 6, 7)]:
        assert init._calculate_fan_in_and_fan_out(
            ember.empty(*shape)
        ) == torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(*shape))
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init.kaiming_uniform_(ember.empty(3))
    with pytest.raises(ValueError, match="Mode fan_avg not supported"):
        init.kaiming_normal_(ember.empty(3, 3), mode="fan_avg")


def draw(fill, shape=(300, 200), **kwargs):
    t = ember.empty(*shape)
    ember.manual_seed(0)
    result = fill(t, **kwargs)
    assert result is t
    return t.numpy()


def test_uniform_and_normal_families():
    fan_in, fan_out = 200, 300
    u = draw(init.uniform_, a=-2.0, b=3.0)
    assert u.min() >= -2.0 and u.max() < 3.0 and abs(u.mean() - 0.5) < 0.05
    n = draw(init.normal_, mean=1.0, std=2.0)
    assert abs(n.mean() - 1.0) < 0.05 and abs(n.std() - 2.0) < 0.05
    bound = math.sqrt(6 / (fan_in + fan_out))
    xu = draw(init.xavier_uniform_, gain=2.0)
    assert np.abs(xu).max() <= 2 * bound and abs(xu.std() - 2 * bound / math.sqrt(3)) < 0.02
    xn = draw(init.xavier_normal_)
    assert abs(xn.std() - math.sqrt(2 / (fan_in + fan_out))) < 0.002
    ku = draw(init.kaiming_uniform_, nonlinearity="relu")
    assert np.abs(ku).max() <= math.sqrt(6 / fan_in)
    kn = draw(init.kaiming_normal_, mode="fan_out", nonlinearity="relu")
    assert abs(kn.std() - math.sqrt(2 / fan_out)) < 0.003
    tn = draw(init.trunc_normal_, mean=0.5, std=1.0, a=-0.5, b=1.0)
    assert tn.min() >= -0.5 and tn.max() <= 1.0 and tn.std() > 0.3
    np.testing.assert_array_equal(draw(init.kaiming_uniform_, nonlinearity="relu"), ku)


def test_constant_fills_and_orthogonal():
    assert (draw(init.constant_, val=0.25) == 0.25).all()
    assert (draw(init.ones_) == 1).all() and (draw(init.zeros_) == 0).all()
    np.testing.assert_array_equal(draw(init.eye_, shape=(3, 4)), np.eye(3, 4))
    for shape in [(4, 6), (6, 4)]:
        q = draw(init.orthogonal_, shape=shape, gain=2.0).astype(np.float64)
        small = min(shape)
        gram = q @ q.T if shape[0] < shape[1] else q.T @ q
        np.testing.assert_allclose(gram, 4 * np.eye(small), atol=1e-5)
    with pytest.raises(ValueError, match="2 dimensions"):
        init.eye_(ember.empty(2, 2, 2))


def test_fills_are_in_place_and_not_recorded():
    p = ember.nn.Parameter(ember.zeros(3, 4))
    version = p._version
    init.normal_(p)
    assert p._version == version + 1 and p.grad_fn is None and p.requires_grad
    g = ember.Generator().manual_seed(3)
    a = init.uniform_(ember.empty(5), generator=g).numpy().copy()
    g.manual_seed(3)
    np.testing.assert_array_equal(init.uniform_(ember.empty(5), generator=g).numpy(), a)
    with pytest.warns(UserWarning, match="zero-element"):
        init.kaiming_uniform_(ember.empty(0, 3))

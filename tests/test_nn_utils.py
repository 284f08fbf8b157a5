"""ember.nn.utils against torch.nn.utils: gradient clipping by total norm (every norm type,
non-finite norms) and by value, and flattening parameters to one vector and back."""

import math

import numpy as np
import pytest
import torch
import torch.nn.utils as tutils
from hypothesis import given, settings
from hypothesis import strategies as st

import ember
import ember.nn.utils as eutils

SHAPES = [(3, 4), (5,), ()]


def _params(lib, arrays, grads):
    params = []
    for a, g in zip(arrays, grads):
        p = lib.from_numpy(a.copy()).requires_grad_()
        p.grad = None if g is None else lib.from_numpy(g.copy())
        params.append(p)
    return params


def _problem(seed, dtype=np.float64, scale=1.0, missing=1):
    rng = np.random.default_rng(seed)
    arrays = [rng.standard_normal(s).astype(dtype) for s in SHAPES]
    grads = [
        None if i == missing else np.asarray(scale * rng.standard_normal(s), dtype)
        for i, s in enumerate(SHAPES)
    ]
    return arrays, grads


def _grads(params):
    return [None if p.grad is None else p.grad.detach().numpy() for p in params]


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    norm_type=st.sampled_from([2.0, 1, math.inf, -math.inf, 3.0, 0.5, 0, "inf"]),
    max_norm=st.sampled_from([0.1, 1.0, 100.0]),
    dtype=st.sampled_from([np.float64, np.float32]),
)
def test_clip_grad_norm_matches_torch(seed, norm_type, max_norm, dtype):
    arrays, grads = _problem(seed, dtype)
    e_params, t_params = _params(ember, arrays, grads), _params(torch, arrays, grads)
    e_total = eutils.clip_grad_norm_(e_params, max_norm, norm_type=norm_type)
    t_total = tutils.clip_grad_norm_(t_params, max_norm, norm_type=norm_type)
    rtol = 1e-12 if dtype == np.float64 else 1e-5
    assert isinstance(e_total, ember.Tensor) and e_total.shape == ()
    assert e_total.dtype == (ember.float64 if dtype == np.float64 else ember.float32)
    np.testing.assert_allclose(e_total.item(), t_total.item(), rtol=rtol)
    for e, t in zip(_grads(e_params), _grads(t_params)):
        assert (e is None) == (t is None)
        if e is not None:
            assert e.dtype == dtype
            np.testing.assert_allclose(e, t, rtol=rtol, atol=1e-30)


def test_clip_grad_norm_scales_only_when_above_max_norm():
    p = ember.zeros(2, dtype=ember.float64).requires_grad_()
    p.grad = ember.tensor([3.0, 4.0], dtype=ember.float64)
    grad_array = p.grad._data
    assert eutils.clip_grad_norm_([p], 10.0).item() == 5.0
    np.testing.assert_allclose(p.grad.numpy(), [3.0, 4.0], rtol=1e-6)
    assert eutils.clip_grad_norm_(p, 1.0).item() == 5.0  # a single tensor works too
    np.testing.assert_allclose(p.grad.numpy(), [0.6, 0.8], rtol=1e-6)
    assert p.grad._data is grad_array  # in place


def test_clip_grad_norm_works_on_backward_gradients_and_bumps_versions():
    w = ember.tensor([1.0, 2.0, 3.0], dtype=ember.float64).requires_grad_()
    (w * w).sum().backward()
    version = w.grad._version
    total = eutils.clip_grad_norm_([w], max_norm=1.0)
    np.testing.assert_allclose(total.item(), 2 * math.sqrt(14))
    np.testing.assert_allclose(np.linalg.norm(w.grad.numpy()), 1.0, rtol=1e-6)
    assert w.grad._version > version


@pytest.mark.parametrize("bad", [math.nan, math.inf])
def test_clip_grad_norm_non_finite(bad):
    arrays, grads = _problem(0)
    grads[0][1, 2] = bad
    e_params, t_params = _params(ember, arrays, grads), _params(torch, arrays, grads)
    with pytest.raises(RuntimeError, match="non-finite"):
        eutils.clip_grad_norm_(e_params, 1.0, error_if_nonfinite=True)
    e_total = eutils.clip_grad_norm_(e_params, 1.0)
    t_total = tutils.clip_grad_norm_(t_params, 1.0)
    np.testing.assert_array_equal(e_total.item(), t_total.item())
    for e, t in zip(_grads(e_params), _grads(t_params)):
        if t is not None:
            np.testing.assert_array_equal(np.isnan(e), np.isnan(t))


def test_clip_grad_norm_without_gradients():
    p = ember.zeros(3).requires_grad_()
    total = eutils.clip_grad_norm_([p], 1.0)
    assert total.item() == 0.0 and total.dtype == ember.float32
    with pytest.warns(UserWarning, match="empty generator"):
        eutils.clip_grad_norm_((q for q in []), 1.0)


def test_get_total_norm_and_clip_grads_with_norm_compose_like_torch():
    arrays, grads = _problem(3, scale=5.0, missing=None)
    e_params, t_params = _params(ember, arrays, grads), _params(torch, arrays, grads)
    e_total = eutils.get_total_norm([p.grad for p in e_params], norm_type=3.0)
    t_total = tutils.get_total_norm([p.grad for p in t_params], norm_type=3.0)
    np.testing.assert_allclose(e_total.item(), t_total.item(), rtol=1e-12)
    eutils.clip_grads_with_norm_(e_params, 2.0, e_total)
    tutils.clip_grads_with_norm_(t_params, 2.0, t_total)
    for e, t in zip(_grads(e_params), _grads(t_params)):
        np.testing.assert_allclose(e, t, rtol=1e-12)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("clip_value", [0.1, 0.5, 10])
def test_clip_grad_value_matches_torch(dtype, clip_value):
    arrays, grads = _problem(4, dtype)
    grads[0][0, 0] = math.nan
    e_params, t_params = _params(ember, arrays, grads), _params(torch, arrays, grads)
    assert eutils.clip_grad_value_(e_params, clip_value) is None
    tutils.clip_grad_value_(t_params, clip_value)
    for e, t in zip(_grads(e_params), _grads(t_params)):
        assert (e is None) == (t is None)
        if e is not None:
            assert e.dtype == dtype
            np.testing.assert_array_equal(e, t)


def test_parameters_to_vector_matches_torch_and_is_differentiable():
    arrays, grads = _problem(5)
    e_params, t_params = _params(ember, arrays, grads), _params(torch, arrays, grads)
    e_vec, t_vec = eutils.parameters_to_vector(e_params), tutils.parameters_to_vector(t_params)
    np.testing.assert_array_equal(e_vec.detach().numpy(), t_vec.detach().numpy())
    assert e_vec.shape == (3 * 4 + 5 + 1,) and e_vec.requires_grad
    weights = np.arange(e_vec.shape[0], dtype=np.float64)
    for p in e_params:
        p.grad = None
    (e_vec * ember.from_numpy(weights)).sum().backward()
    np.testing.assert_array_equal(e_params[0].grad.numpy(), weights[:12].reshape(3, 4))
    np.testing.assert_array_equal(e_params[2].grad.numpy(), weights[17])


def test_vector_to_parameters_matches_torch_and_shares_memory():
    arrays, grads = _problem(6)
    e_params, t_params = _params(ember, arrays, grads), _params(torch, arrays, grads)
    vec = np.linspace(-1, 1, 18)
    e_vec = ember.from_numpy(vec.copy())
    eutils.vector_to_parameters(e_vec, e_params)
    tutils.vector_to_parameters(torch.from_numpy(vec.copy()), t_params)
    for e, t in zip(e_params, t_params):
        assert tuple(e.shape) == tuple(t.shape)
        np.testing.assert_array_equal(e.detach().numpy(), t.detach().numpy())
        assert e.requires_grad
    e_vec._data[0] = 42.0
    assert e_params[0].detach().numpy()[0, 0] == 42.0


def test_vector_to_parameters_errors():
    p = ember.zeros(2, 3).requires_grad_()
    with pytest.raises(TypeError, match="expected ember.Tensor, but got: ndarray"):
        eutils.vector_to_parameters(np.zeros(6), [p])
    with pytest.raises(ValueError, match="1-D vec"):
        eutils.vector_to_parameters(ember.zeros(2, 3), [p])
    with pytest.raises(ValueError, match="vec has 5 elements but the parameters need 6"):
        eutils.vector_to_parameters(ember.zeros(5), [p])

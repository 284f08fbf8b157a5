"""Shared helpers for ember's tests: run one computation in ember and in PyTorch from the same NumPy
arrays and compare values, dtypes and gradients (first and second order); finite-difference checks.

The computations are written once as ``fn(lib, *tensors)`` where ``lib`` is the ``ember`` or the
``torch`` module, so the same line exercises both libraries' spelling of the op.
"""

import os

import numpy as np
import pytest
import torch
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import ember

torch.set_num_threads(1)  # two shared cores: PyTorch's thread pool only adds noise here

# The same examples on every run (a shared suite must not flake); HYPOTHESIS_PROFILE=explore
# draws new ones each run.
settings.register_profile("ember", derandomize=True, database=None, deadline=None)
settings.register_profile("explore", deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ember"))

TOLERANCES = {  # (rtol, atol) for values and gradients, by dtype
    np.float64: (1e-7, 1e-9),
    np.float32: (2e-4, 2e-5),
}
# Second derivatives go through twice the rounding (and cancel more, e.g. std of close values).
SECOND_ORDER_TOLERANCES = {
    np.float64: (1e-6, 1e-7),
    np.float32: (2e-3, 2e-4),
}


# ----- making inputs ---------------------------------------------------------------------------


def rng_for(seed):
    return np.random.default_rng(seed)


def random_array(rng, shape, dtype=np.float64, domain="real"):
    """Random values suited to an op's domain: ``real`` (normal), ``positive`` (0.5..2.5),
    ``nonzero`` (|x| in 0.5..2), ``unit`` (|x| <= 0.9)."""
    shape = tuple(shape)
    if domain == "real":
        a = rng.standard_normal(shape)
    elif domain == "positive":
        a = rng.uniform(0.5, 2.5, shape)
    elif domain == "nonzero":
        a = rng.uniform(0.5, 2.0, shape) * rng.choice([-1.0, 1.0], shape)
    elif domain == "unit":
        a = rng.uniform(-0.9, 0.9, shape)
    else:
        raise ValueError(domain)
    return np.asarray(a, dtype=dtype)


def broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=4):
    """Hypothesis: ``num_shapes`` shapes that broadcast together (``.input_shapes``)."""
    return hnp.mutually_broadcastable_shapes(
        num_shapes=num_shapes, min_dims=min_dims, max_dims=max_dims, min_side=1, max_side=max_side
    )


def shapes(min_dims=0, max_dims=3, min_side=1, max_side=4):
    return hnp.array_shapes(
        min_dims=min_dims, max_dims=max_dims, min_side=min_side, max_side=max_side
    )


seeds = st.integers(0, 2**32 - 1)
float_dtypes = st.sampled_from([np.float64, np.float32])


# ----- comparing ember with torch --------------------------------------------------------------


def dtype_name(t):
    """``float32`` for both ``ember.float32`` and ``torch.float32``."""
    return str(t.dtype).split(".")[-1]


def as_numpy(t):
    if isinstance(t, torch.Tensor):
        return t.detach().numpy()
    return np.asarray(t.detach().numpy())


def assert_close(actual, expected, rtol, atol, what=""):
    actual, expected = as_numpy(actual), as_numpy(expected)
    assert actual.shape == expected.shape, f"{what}: shape {actual.shape} != {expected.shape}"
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol, err_msg=what)


def assert_same_tensor(e, t, rtol=None, atol=None, what=""):
    """ember tensor ``e`` has torch tensor ``t``'s shape, dtype and values."""
    assert dtype_name(e) == dtype_name(t), f"{what}: dtype {e.dtype} != {t.dtype}"
    assert tuple(e.shape) == tuple(t.shape), f"{what}: shape {tuple(e.shape)} != {tuple(t.shape)}"
    if rtol is None:
        rtol, atol = TOLERANCES.get(as_numpy(t).dtype.type, (0, 0))
    if as_numpy(t).dtype.kind == "f":
        assert_close(e, t, rtol, atol, what)
    else:
        np.testing.assert_array_equal(as_numpy(e), as_numpy(t), err_msg=what)


def _outputs(result):
    """The tensors in an op's result (a tensor, a tuple of them, or a named tuple)."""
    if isinstance(result, (tuple, list)):
        return list(result)
    return [result]


def _make_inputs(lib, arrays, requires_grad):
    tensors = []
    for a in arrays:
        if not isinstance(a, np.ndarray):
            tensors.append(a)
            continue
        t = lib.from_numpy(a.copy())
        if requires_grad and a.dtype.kind == "f":
            t.requires_grad_(True)
        tensors.append(t)
    return tensors


def run_both(
    fn, arrays, *, grad=True, second_order=False, create_graph=False, seed=0, rtol=None, atol=None
):
    """Run ``fn(lib, *tensors)`` in ember and torch on copies of ``arrays`` and compare.

    Float arrays become tensors that require grad (when ``grad``); other arrays (indices, masks)
    become plain tensors; anything else is passed through. Compares every output's values, dtype
    and shape; then the gradients of ``sum(out * u)`` for a random upstream ``u``; with
    ``second_order`` also the gradients of ``sum(first_grads * v)`` (create_graph=True).
    ``create_graph`` computes the first gradients with create_graph=True (ember's VJPs then run
    on tensors, the path higher-order gradients take). Returns the ember outputs.
    """
    results = {}
    for lib in (ember, torch):
        inputs = _make_inputs(lib, arrays, grad)
        results[lib] = (inputs, _outputs(fn(lib, *inputs)))
    (_, e_out), (_, t_out) = results[ember], results[torch]
    assert len(e_out) == len(t_out), f"{len(e_out)} outputs, torch gives {len(t_out)}"
    for i, (e, t) in enumerate(zip(e_out, t_out)):
        assert_same_tensor(e, t, rtol, atol, f"output {i}")
    if not grad:
        return e_out
    wrt = [i for i, a in enumerate(arrays) if isinstance(a, np.ndarray) and a.dtype.kind == "f"]
    diff = [i for i, t in enumerate(t_out) if t.requires_grad]
    assert [i for i, e in enumerate(e_out) if e.requires_grad] == diff, "requires_grad differs"
    if not wrt or not diff:
        return e_out
    rng = rng_for(seed)
    upstream = [random_array(rng, t_out[i].shape, as_numpy(t_out[i]).dtype) for i in diff]
    grads = {}
    for lib, (inputs, outs) in results.items():
        grads[lib] = lib.autograd.grad(
            [outs[i] for i in diff],
            [inputs[i] for i in wrt],
            [lib.from_numpy(u.copy()) for u in upstream],
            allow_unused=True,
            create_graph=second_order or create_graph,
        )
    _compare_grads(grads[ember], grads[torch], wrt, rtol, atol, "grad of input")
    if not second_order:
        return e_out
    used = [k for k, g in enumerate(grads[torch]) if g is not None and g.requires_grad]
    if not used:  # e.g. prod of a 0-dim tensor: the gradient is constant, nothing to compare
        return e_out
    vs = [random_array(rng, grads[torch][k].shape, as_numpy(grads[torch][k]).dtype) for k in used]
    second = {}
    for lib, (inputs, _) in results.items():
        total = sum((grads[lib][k] * lib.from_numpy(v.copy())).sum() for k, v in zip(used, vs))
        second[lib] = lib.autograd.grad(total, [inputs[i] for i in wrt], allow_unused=True)
    if rtol is None:
        rtol, atol = SECOND_ORDER_TOLERANCES[arrays[wrt[0]].dtype.type]
    _compare_grads(second[ember], second[torch], wrt, rtol, atol, "second-order grad of input")
    return e_out


def _compare_grads(e_grads, t_grads, wrt, rtol, atol, what):
    for i, e, t in zip(wrt, e_grads, t_grads):
        if t is None:  # torch: unused input; ember may give None or zeros
            assert e is None or not as_numpy(e).any(), f"{what} {i}: torch has none"
            continue
        if e is None:  # ember: unused input (e.g. cut off by zero_); torch may give zeros
            assert not as_numpy(t).any(), f"{what} {i}: ember gave None, torch {t}"
            continue
        assert_same_tensor(e, t, rtol, atol, f"{what} {i}")


# ----- finite differences ----------------------------------------------------------------------


def check_gradcheck(fn, arrays, *, second_order=False, atol=1e-6, rtol=1e-4):
    """ember.autograd.gradcheck (and gradgradcheck) of ``fn(ember, *tensors)`` in float64."""
    inputs = _make_inputs(
        ember,
        [
            a.astype(np.float64) if isinstance(a, np.ndarray) and a.dtype.kind == "f" else a
            for a in arrays
        ],
        True,
    )

    def f(*xs):
        return fn(ember, *xs)

    assert ember.autograd.gradcheck(f, inputs, eps=1e-6, atol=atol, rtol=rtol)
    if second_order:
        assert ember.autograd.gradgradcheck(f, inputs, eps=1e-6, atol=atol, rtol=rtol)


@pytest.fixture(autouse=True)
def _fresh_state():
    """Each test starts with grad mode on, anomaly mode off and the default dtype float32."""
    yield
    ember.set_default_dtype(ember.float32)
    torch.set_default_dtype(torch.float32)
    ember.set_grad_enabled(True)
    ember.autograd.set_detect_anomaly(False)

"""Helpers for module tests: give an ember module a PyTorch module's weights, run both on the same
inputs, and compare outputs, input gradients, parameter gradients and buffers (running
statistics); and a wrapper that lets the conformance harness check a module whose forward returns
a tuple."""

import numpy as np
import torch

import ember
from ember import nn


def same_weights(mine, theirs):
    """Load ``theirs``'s state_dict (a torch module) into ``mine`` (an ember module)."""
    mine.load_state_dict(
        {k: ember.from_numpy(v.detach().numpy().copy()) for k, v in theirs.state_dict().items()}
    )


def compare_modules(
    mine, theirs, inputs, *, kwargs=None, select=None, rtol=1e-7, atol=1e-9, seed=0
):
    """Run both modules on ``inputs`` (NumPy arrays; floats require grad), backpropagate the same
    random upstream gradient from the selected output, and compare everything."""
    kwargs = kwargs or (lambda lib: {})
    select = select or (lambda out: out[0] if isinstance(out, tuple) else out)
    results = {}
    for lib, module in ((ember, mine), (torch, theirs)):
        xs = [lib.from_numpy(a.copy()) for a in inputs]
        for x in xs:
            if x.is_floating_point():
                x.requires_grad_(True)
        out = select(module(*xs, **kwargs(lib)))
        upstream = np.random.default_rng(seed).standard_normal(tuple(out.shape))
        out.backward(lib.from_numpy(upstream.astype(out.detach().numpy().dtype)))
        results[lib] = (
            out.detach().numpy(),
            [x.grad.numpy() if x.grad is not None else None for x in xs],
            {n: p.grad.numpy() for n, p in module.named_parameters() if p.grad is not None},
            {n: b.numpy() for n, b in module.named_buffers()},
        )
    (out, grads, params, buffers), (t_out, t_grads, t_params, t_buffers) = (
        results[ember],
        results[torch],
    )
    np.testing.assert_allclose(out, t_out, rtol=rtol, atol=atol, err_msg="output")
    for i, (g, t) in enumerate(zip(grads, t_grads)):
        if t is None:
            assert g is None or not g.any(), f"input {i}: torch has no gradient"
        else:
            np.testing.assert_allclose(g, t, rtol=rtol, atol=atol, err_msg=f"grad of input {i}")
    assert set(params) == set(t_params), f"parameters with grads {set(params)} != {set(t_params)}"
    for name in t_params:
        np.testing.assert_allclose(
            params[name], t_params[name], rtol=rtol, atol=atol, err_msg=f"grad of {name}"
        )
    assert set(buffers) == set(t_buffers), f"buffers {set(buffers)} != {set(t_buffers)}"
    for name in t_buffers:
        np.testing.assert_allclose(
            buffers[name], t_buffers[name], rtol=rtol, atol=atol, err_msg=f"buffer {name}"
        )
    return out


class FirstOutput(nn.Module):
    """``module(x)[0]``, so the conformance harness (which wants one tensor out) can check modules
    that return tuples (RNN, LSTM, MultiheadAttention)."""

    def __init__(self, module, **kwargs):
        super().__init__()
        self.inner = module
        self.kwargs = kwargs

    def forward(self, x):
        out = self.inner(x, **self.kwargs)
        return out[0] if isinstance(out, tuple) else out


class SelfAttention(nn.Module):
    """``attention(x, x, x)[0]``: MultiheadAttention as a one-input module."""

    def __init__(self, attention, **kwargs):
        super().__init__()
        self.attention = attention
        self.kwargs = kwargs

    def forward(self, x):
        return self.attention(x, x, x, **self.kwargs)[0]


def uniform_bound(values, bound):
    """True if ``values`` look uniform on [-bound, bound]: inside it, and spread over it."""
    values = np.asarray(values).ravel()
    return (np.abs(values) <= bound + 1e-7).all() and values.std() > 0.45 * bound

"""Recurrent layers' time loops, each one op: an Elman RNN, an LSTM and a GRU over a whole sequence.

The input's contribution to every step, ``x_t W_ih^T + b_ih``, is one matmul over all steps
outside these ops; inside, each step adds the recurrent term ``h_{t-1} W_hh^T + b_hh`` and applies
the cell. One op per layer and direction (rather than a dozen per step) keeps the graph small:
backpropagation through time is the VJP's own loop, from the last step to the first::

    grad_h_{t-1} = grad_gates_t @ W_hh             (plus what h_{t-1} itself received)
    grad_W_hh    = sum_t grad_gates_t^T @ h_{t-1}  (one matmul over all steps at the end)

The gates are recomputed in the backward from the saved inputs and states instead of being kept:
one more matmul per step, no extra memory, and, written against ``xp``, second derivatives too.

Gate order and formulas are PyTorch's::

    RNN:  h' = tanh(a) or relu(a),  a = xW + hU (+ biases)
    LSTM: i, f, g, o = sigmoid, sigmoid, tanh, sigmoid of the four chunks of xW + hU
          c' = f * c + i * g,   h' = o * tanh(c')
    GRU:  r, z = sigmoid(xW_r + hU_r), sigmoid(xW_z + hU_z)
          n = tanh(xW_n + r * hU_n),   h' = (1 - z) * n + z * h
"""

import numpy

from . import shape as S
from .op import Op

__all__ = ["rnn_layer", "lstm_layer", "gru_layer"]


def _sigmoid(a):
    return 0.5 * numpy.tanh(0.5 * a) + 0.5


def _recurrent(xp, h, w_hh, b_hh):
    a = xp.matmul(h, xp.swapaxes(w_hh, 0, 1))
    return a if b_hh is None else a + b_hh


def _chunks(a, n, size):
    return [a[..., k * size : (k + 1) * size] for k in range(n)]


def _cat(xp, parts):
    return xp.apply(S.cat, -1, *parts)


def _stack(xp, parts):
    return xp.apply(S.stack, 0, *parts)


def _weight_grad(xp, grad_gates, h_prev):
    # sum over steps and samples of grad_gates^T h_prev: one matmul over (steps * batch)
    g = xp.reshape(grad_gates, (-1, grad_gates.shape[-1]))
    h = xp.reshape(h_prev, (-1, h_prev.shape[-1]))
    return xp.matmul(xp.swapaxes(g, 0, 1), h)


def _previous(xp, hs, h0):
    # h_{t-1} for every step: h0, then the outputs of all but the last step
    if hs.shape[0] == 1:
        return xp.expand_dims(h0, 0)
    return xp.apply(S.cat, 0, xp.expand_dims(h0, 0), hs[:-1])


# ----- Elman RNN ----------------------------------------------------------------------------------


def _rnn_layer(x_proj, w_hh, b_hh, h0, relu):
    h, out = h0, numpy.empty(x_proj.shape[:2] + (w_hh.shape[1],), x_proj.dtype)
    for t in range(x_proj.shape[0]):
        a = x_proj[t] + _recurrent(numpy, h, w_hh, b_hh)
        h = out[t] = numpy.maximum(a, 0) if relu else numpy.tanh(a)
    return out


def _rnn_backward(xp, g, x_proj, w_hh, b_hh, h0, relu, out):
    h_prev = _previous(xp, out, h0)
    carry, grads = None, [None] * x_proj.shape[0]
    for t in reversed(range(x_proj.shape[0])):
        dh = g[t] if carry is None else g[t] + carry
        h = out[t]
        da = xp.where(h > 0, dh, 0) if relu else dh * (1 - h * h)
        grads[t] = da
        carry = xp.matmul(da, w_hh)
    grad_a = _stack(xp, grads)
    grad_b = None if b_hh is None else xp.sum(grad_a, axis=(0, 1))
    return [grad_a, _weight_grad(xp, grad_a, h_prev), grad_b, carry, None]


rnn_layer = Op(
    "RnnTanhBackward0",
    _rnn_layer,
    rules=(
        "grad_a_t = (grad_h_t + grad_a_{t+1} @ W_hh) * tanh'(a_t), back through "
        "time; grad_W_hh = sum_t grad_a_t^T h_{t-1}",
    ),
    backward=_rnn_backward,
    saves="args+out",
)


# ----- LSTM ---------------------------------------------------------------------------------------


def _lstm_layer(x_proj, w_hh, b_hh, h0, c0):
    steps, hidden = x_proj.shape[0], w_hh.shape[1]
    out = numpy.empty((2,) + x_proj.shape[:2] + (hidden,), x_proj.dtype)  # (h, c) per step
    h, c = h0, c0
    for t in range(steps):
        a = x_proj[t] + _recurrent(numpy, h, w_hh, b_hh)
        i, f, g, o = _chunks(a, 4, hidden)
        i, f, o = _sigmoid(i), _sigmoid(f), _sigmoid(o)
        c = out[1, t] = f * c + i * numpy.tanh(g)
        h = out[0, t] = o * numpy.tanh(c)
    return out


def _lstm_backward(xp, grad, x_proj, w_hh, b_hh, h0, c0, out):
    steps, hidden = x_proj.shape[0], w_hh.shape[1]
    hs, cs = out[0], out[1]
    h_prev = _previous(xp, hs, h0)
    dh_carry = dc_carry = None
    grads = [None] * steps
    for t in reversed(range(steps)):
        c_prev = c0 if t == 0 else cs[t - 1]
        a = x_proj[t] + _recurrent(xp, h_prev[t], w_hh, b_hh)
        i, f, g, o = _chunks(a, 4, hidden)
        i, f, g, o = xp.sigmoid(i), xp.sigmoid(f), xp.tanh(g), xp.sigmoid(o)
        tc = xp.tanh(cs[t])
        dh = grad[0, t] if dh_carry is None else grad[0, t] + dh_carry
        dc = grad[1, t] + dh * o * (1 - tc * tc)
        if dc_carry is not None:
            dc = dc + dc_carry
        grads[t] = _cat(
            xp,
            [
                dc * g * i * (1 - i),
                dc * c_prev * f * (1 - f),
                dc * i * (1 - g * g),
                dh * tc * o * (1 - o),
            ],
        )
        dc_carry = dc * f
        dh_carry = xp.matmul(grads[t], w_hh)
    grad_a = _stack(xp, grads)
    grad_b = None if b_hh is None else xp.sum(grad_a, axis=(0, 1))
    return [grad_a, _weight_grad(xp, grad_a, h_prev), grad_b, dh_carry, dc_carry]


lstm_layer = Op(
    "LstmBackward0",
    _lstm_layer,
    rules=(
        "back through time: grad_c_t = grad_c_{t+1} f_{t+1} + grad_h_t o_t "
        "tanh'(c_t); gate gradients from c_t = f c_{t-1} + i g, h_t = o tanh(c_t); "
        "grad_h_{t-1} += grad_gates_t @ W_hh",
    ),
    backward=_lstm_backward,
    saves="args+out",
)


# ----- GRU ----------------------------------------------------------------------------------------


def _gru_layer(x_proj, w_hh, b_hh, h0):
    hidden = w_hh.shape[1]
    out = numpy.empty(x_proj.shape[:2] + (hidden,), x_proj.dtype)
    h = h0
    for t in range(x_proj.shape[0]):
        xr, xz, xn = _chunks(x_proj[t], 3, hidden)
        hr, hz, hn = _chunks(_recurrent(numpy, h, w_hh, b_hh), 3, hidden)
        r, z = _sigmoid(xr + hr), _sigmoid(xz + hz)
        n = numpy.tanh(xn + r * hn)
        h = out[t] = n + z * (h - n)
    return out


def _gru_backward(xp, grad, x_proj, w_hh, b_hh, h0, out):
    steps, hidden = x_proj.shape[0], w_hh.shape[1]
    h_prev = _previous(xp, out, h0)
    carry = None
    grads_x, grads_h = [None] * steps, [None] * steps
    for t in reversed(range(steps)):
        h = h_prev[t]
        xr, xz, xn = _chunks(x_proj[t], 3, hidden)
        hr, hz, hn = _chunks(_recurrent(xp, h, w_hh, b_hh), 3, hidden)
        r, z = xp.sigmoid(xr + hr), xp.sigmoid(xz + hz)
        n = xp.tanh(xn + r * hn)
        dh = grad[t] if carry is None else grad[t] + carry
        dn = dh * (1 - z) * (1 - n * n)  # through tanh, to n's pre-activation
        dz = dh * (h - n) * z * (1 - z)
        dr = dn * hn * r * (1 - r)
        grads_x[t] = _cat(xp, [dr, dz, dn])
        grads_h[t] = _cat(xp, [dr, dz, dn * r])
        carry = dh * z + xp.matmul(grads_h[t], w_hh)
    grad_x, grad_h = _stack(xp, grads_x), _stack(xp, grads_h)
    grad_b = None if b_hh is None else xp.sum(grad_h, axis=(0, 1))
    return [grad_x, _weight_grad(xp, grad_h, h_prev), grad_b, carry]


gru_layer = Op(
    "GruBackward0",
    _gru_layer,
    rules=(
        "back through time: with n = tanh(xW_n + r hU_n), h' = (1 - z) n + z h: "
        "grad_h_{t-1} = grad_h' z + grad_gates_h @ W_hh",
    ),
    backward=_gru_backward,
    saves="args+out",
)

"""Recurrent layers: ``RNN``, ``LSTM``, ``GRU`` (multi-layer, ``batch_first``, bidirectional,
initial states, dropout between layers) and their single-step cells ``RNNCell``, ``LSTMCell``,
``GRUCell``, with PyTorch's parameter names, shapes, gate order and initialisation (uniform on
``±1/sqrt(hidden_size)``).

A layer is two ops per direction: one matmul projects every step's input at once, and one op of
:mod:`ember.ops.rnn` runs the recurrence (its VJP is backpropagation through time). The cells are
ordinary compositions of ember's functions. A :class:`PackedSequence` input runs on its padded
form, each sequence's final state taken at its own last step, and comes back packed. The Torch7
protocol of all of them is the default one (autograd on a rerun of forward).
"""

import math

import numpy

from ... import functions as E
from ...creation import empty, zeros
from ...ops import rnn as R
from ...ops.op import renamed
from ...tensor import Tensor, apply
from .. import functional as F
from .. import init
from ..module import Module
from ..parameter import Parameter
from ..utils.rnn import PackedSequence, _batch_sizes_to_lengths, _pack, _pad

__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]

_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}
_RNN_RELU = renamed(R.rnn_layer, "RnnReluBackward0")


def _check_tensor(value, name, what="input"):
    if not isinstance(value, Tensor):
        raise TypeError(f"{name}: {what} must be a Tensor, got {type(value).__name__}")


class RNNBase(Module):
    """What RNN, LSTM and GRU share: parameters per layer and direction, and the loop over them."""

    def __init__(
        self,
        mode,
        input_size,
        hidden_size,
        num_layers=1,
        bias=True,
        batch_first=False,
        dropout=0.0,
        bidirectional=False,
        proj_size=0,
        device=None,
        dtype=None,
    ):
        super().__init__()
        name = type(self).__name__
        if not isinstance(hidden_size, int) or hidden_size <= 0:
            raise ValueError(f"{name}: hidden_size must be a positive integer, got {hidden_size}")
        if not isinstance(num_layers, int) or num_layers <= 0:
            raise ValueError(f"{name}: num_layers must be a positive integer, got {num_layers}")
        if not 0 <= dropout <= 1 or isinstance(dropout, bool):
            raise ValueError(f"{name}: dropout should be a number in range [0, 1], got {dropout}")
        if proj_size:
            raise NotImplementedError(f"{name}: proj_size is not supported by ember")
        self.mode, self.input_size, self.hidden_size = mode, input_size, hidden_size
        self.num_layers, self.bias, self.batch_first = num_layers, bias, batch_first
        self.dropout, self.bidirectional, self.proj_size = float(dropout), bidirectional, 0
        directions = 2 if bidirectional else 1
        gates = _GATES[mode] * hidden_size
        self._flat_weights_names = []
        for layer in range(num_layers):
            layer_input = input_size if layer == 0 else hidden_size * directions
            for direction in range(directions):
                suffix = f"_l{layer}" + ("_reverse" if direction else "")
                shapes = [("weight_ih", (gates, layer_input)), ("weight_hh", (gates, hidden_size))]
                if bias:
                    shapes += [("bias_ih", (gates,)), ("bias_hh", (gates,))]
                for base, shape in shapes:
                    setattr(
                        self, base + suffix, Parameter(empty(shape, dtype=dtype, device=device))
                    )
                    self._flat_weights_names.append(base + suffix)
        self.reset_parameters()

    def reset_parameters(self):
        bound = 1 / math.sqrt(self.hidden_size)
        for weight in self.parameters():
            init.uniform_(weight, -bound, bound)

    @property
    def all_weights(self):
        per = 4 if self.bias else 2
        names = self._flat_weights_names
        return [[getattr(self, n) for n in names[i : i + per]] for i in range(0, len(names), per)]

    def flatten_parameters(self):
        """A no-op, as PyTorch's is on CPU (there it packs weights for cuDNN)."""

    def extra_repr(self):
        text = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            text += f", num_layers={self.num_layers}"
        if not self.bias:
            text += ", bias=False"
        if self.batch_first:
            text += ", batch_first=True"
        if self.dropout:
            text += f", dropout={self.dropout}"
        if self.bidirectional:
            text += ", bidirectional=True"
        return text

    # ----- forward -----------------------------------------------------------------------------

    def _initial(self, hx, batch, unbatched, x, what="hx"):
        directions = 2 if self.bidirectional else 1
        shape = (self.num_layers * directions, batch, self.hidden_size)
        if hx is None:
            return zeros(shape, dtype=x.dtype)
        _check_tensor(hx, type(self).__name__, what)
        if unbatched:
            if hx.ndim != 2:
                raise RuntimeError(
                    f"{type(self).__name__}: for unbatched 2-D input, {what} "
                    f"should also be 2-D but got {hx.ndim}-D tensor"
                )
            hx = hx.unsqueeze(1)
        elif hx.ndim != 3:
            raise RuntimeError(
                f"{type(self).__name__}: for batched 3-D input, {what} should "
                f"also be 3-D but got {hx.ndim}-D tensor"
            )
        if tuple(hx.shape) != shape:
            raise RuntimeError(f"Expected hidden size {shape}, got {list(hx.shape)}")
        if hx._data.dtype != x._data.dtype:
            raise RuntimeError(
                f"{type(self).__name__}: {what} is {hx.dtype} but the input is {x.dtype}"
            )
        return hx

    def _layer(self, x, layer, direction, h0, c0, lengths=None):
        """One direction of one layer over the whole sequence x (L, N, H_in); with ``lengths``
        (a packed batch, padded), sequence n ends at step ``lengths[n]``."""
        suffix = f"_l{layer}" + ("_reverse" if direction else "")
        w_ih, w_hh = getattr(self, "weight_ih" + suffix), getattr(self, "weight_hh" + suffix)
        b_ih = getattr(self, "bias_ih" + suffix) if self.bias else None
        b_hh = getattr(self, "bias_hh" + suffix) if self.bias else None
        if lengths is None:
            last = -1
            reverse = (lambda seq: E.flip(seq, 0)) if direction else None
        else:
            # steps past a sequence's end only see padding and are never read: its final
            # state is the one at its last step, and the reverse direction starts there
            last = (lengths - 1, numpy.arange(lengths.size))
            reverse = _reverse_within_lengths(lengths) if direction else None
        if reverse:
            x = reverse(x)
        projected = F.linear(x, w_ih, b_ih)  # every step's input term in one matmul
        if self.mode == "LSTM":
            out = apply(R.lstm_layer, projected, w_hh, b_hh, h0, c0)
            hs, h_n, c_n = out[0], out[0][last], out[1][last]
        else:
            if self.mode == "GRU":
                hs = apply(R.gru_layer, projected, w_hh, b_hh, h0)
            else:
                op = _RNN_RELU if self.mode == "RNN_RELU" else R.rnn_layer
                hs = apply(op, projected, w_hh, b_hh, h0, self.mode == "RNN_RELU")
            h_n, c_n = hs[last], None
        if reverse:
            hs = reverse(hs)
        return hs, h_n, c_n

    def forward(self, input, hx=None):
        name = type(self).__name__
        packed = isinstance(input, PackedSequence)
        data = input.data if packed else input
        _check_tensor(data, name)
        if packed and data.ndim != 2:
            raise RuntimeError(f"input must have 2 dimensions, got {data.ndim}")
        if data.ndim not in (2, 3):
            raise ValueError(
                f"{name}: expected input to be 2-D or 3-D but received {data.ndim}-D tensor"
            )
        if not data.is_floating_point():
            raise RuntimeError(f"{name}: expected a floating point input, got {data.dtype}")
        if data.shape[-1] != self.input_size:
            raise RuntimeError(
                f"input.size(-1) must be equal to input_size. Expected "
                f"{self.input_size}, got {data.shape[-1]}"
            )
        if self.weight_ih_l0._data.dtype != data._data.dtype:
            raise RuntimeError(
                f"{name}: input is {data.dtype} but the weights are {self.weight_ih_l0.dtype}"
            )
        lengths = None
        if packed:  # run on the padded batch (time-major, longest first)
            batch_sizes = input.batch_sizes._data
            lengths = _batch_sizes_to_lengths(batch_sizes)
            x, unbatched = _pad(data, batch_sizes, 0.0, batch_sizes.size), False
        else:
            unbatched = input.ndim == 2
            x = (
                input.unsqueeze(1)
                if unbatched
                else (input.transpose(0, 1) if self.batch_first else input)
            )
        batch = x.shape[1]
        if self.mode == "LSTM":
            if hx is None:
                h0 = c0 = self._initial(None, batch, unbatched, x)
            else:
                if not isinstance(hx, (tuple, list)) or len(hx) != 2:
                    raise RuntimeError(f"{name}: hx must be a tuple (h_0, c_0)")
                h0 = self._initial(hx[0], batch, unbatched, x, "h_0")
                c0 = self._initial(hx[1], batch, unbatched, x, "c_0")
        else:
            h0, c0 = self._initial(hx, batch, unbatched, x), None
        if packed and hx is not None and input.sorted_indices is not None:
            h0 = h0.index_select(1, input.sorted_indices)  # the caller's order -> sorted
            c0 = None if c0 is None else c0.index_select(1, input.sorted_indices)
        directions = 2 if self.bidirectional else 1
        finals_h, finals_c = [], []
        for layer in range(self.num_layers):
            outputs = []
            for direction in range(directions):
                k = layer * directions + direction
                hs, h_n, c_n = self._layer(
                    x, layer, direction, h0[k], None if c0 is None else c0[k], lengths
                )
                outputs.append(hs)
                finals_h.append(h_n)
                finals_c.append(c_n)
            x = outputs[0] if directions == 1 else E.cat(outputs, 2)
            if self.dropout and self.training and layer < self.num_layers - 1:
                x = F.dropout(x, self.dropout, True)
        output = x
        h_n = E.stack(finals_h, 0)
        c_n = E.stack(finals_c, 0) if self.mode == "LSTM" else None
        if packed:
            output = input._replace(data=_pack(output, batch_sizes))
            if input.unsorted_indices is not None:  # final states in the caller's order
                h_n = h_n.index_select(1, input.unsorted_indices)
                c_n = None if c_n is None else c_n.index_select(1, input.unsorted_indices)
        elif unbatched:
            output, h_n = output.squeeze(1), h_n.squeeze(1)
            c_n = None if c_n is None else c_n.squeeze(1)
        elif self.batch_first:
            output = output.transpose(0, 1)
        return (output, h_n) if c_n is None else (output, (h_n, c_n))


def _reverse_within_lengths(lengths):
    """Reverses each sequence of a padded time-major batch within its own length (padding
    stays at the end): ``seq[t, n] -> seq[lengths[n] - 1 - t, n]``; its own inverse."""
    steps = numpy.arange(lengths[0])[:, None]
    sequences = numpy.arange(lengths.size)
    source = numpy.where(steps < lengths, lengths - 1 - steps, steps)
    return lambda seq: seq[source, sequences]


class RNN(RNNBase):
    """Elman RNN: ``h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)`` (or relu), stacked
    ``num_layers`` deep. Input (L, N, H_in), or (N, L, H_in) with ``batch_first``, or (L, H_in);
    returns ``(output, h_n)``."""

    def __init__(self, *args, nonlinearity="tanh", **kwargs):
        if len(args) > 3:  # PyTorch's positional order: input, hidden, num_layers, nonlinearity
            args, nonlinearity = args[:3] + args[4:], args[3]
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(
                f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or 'relu'."
            )
        super().__init__("RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU", *args, **kwargs)
        self.nonlinearity = nonlinearity


class LSTM(RNNBase):
    """Long short-term memory: gates ``i, f, g, o`` (in that order in the weights),
    ``c_t = f c_{t-1} + i g``, ``h_t = o tanh(c_t)``. Returns ``(output, (h_n, c_n))``."""

    def __init__(self, *args, **kwargs):
        super().__init__("LSTM", *args, **kwargs)


class GRU(RNNBase):
    """Gated recurrent unit: gates ``r, z, n`` (in that order), ``n = tanh(x W_n + b_in +
    r (h W_hn + b_hn))``, ``h_t = (1 - z) n + z h_{t-1}``. Returns ``(output, h_n)``."""

    def __init__(self, *args, **kwargs):
        super().__init__("GRU", *args, **kwargs)


# ----- cells: one step ---------------------------------------------------------------------------


class RNNCellBase(Module):
    """One step of a recurrent layer: parameters ``weight_ih``, ``weight_hh``, ``bias_ih``,
    ``bias_hh``; input (N, H_in) or (H_in,)."""

    _gates = 1

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__()
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        gates = self._gates * hidden_size
        self.weight_ih = Parameter(empty((gates, input_size), dtype=dtype, device=device))
        self.weight_hh = Parameter(empty((gates, hidden_size), dtype=dtype, device=device))
        if bias:
            self.bias_ih = Parameter(empty(gates, dtype=dtype, device=device))
            self.bias_hh = Parameter(empty(gates, dtype=dtype, device=device))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self):
        bound = 1 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -bound, bound)

    def extra_repr(self):
        text = f"{self.input_size}, {self.hidden_size}"
        if not self.bias:
            text += ", bias=False"
        if getattr(self, "nonlinearity", "tanh") != "tanh":  # RNNCell's, as PyTorch prints it
            text += f", nonlinearity={self.nonlinearity}"
        return text

    def _prepare(self, input, hx, what="hx"):
        name = type(self).__name__
        _check_tensor(input, name)
        if input.ndim not in (1, 2):
            raise ValueError(f"{name}: expected input to be 1D or 2D, got {input.ndim}D instead")
        if input.shape[-1] != self.input_size:
            raise RuntimeError(
                f"{name}: input has inconsistent input_size: got "
                f"{input.shape[-1]} expected {self.input_size}"
            )
        unbatched = input.ndim == 1
        x = input.unsqueeze(0) if unbatched else input
        if hx is None:
            return x, zeros((x.shape[0], self.hidden_size), dtype=x.dtype), unbatched
        _check_tensor(hx, name, what)
        h = hx.unsqueeze(0) if unbatched and hx.ndim == 1 else hx
        if tuple(h.shape) != (x.shape[0], self.hidden_size):
            raise RuntimeError(
                f"{name}: {what} has inconsistent size {list(hx.shape)}, "
                f"expected {[x.shape[0], self.hidden_size]}"
            )
        return x, h, unbatched

    def _projections(self, x, h):
        return (
            F.linear(x, self.weight_ih, self.bias_ih),
            F.linear(h, self.weight_hh, self.bias_hh),
        )


class RNNCell(RNNCellBase):
    """``h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh)`` (or relu)."""

    def __init__(
        self, input_size, hidden_size, bias=True, nonlinearity="tanh", device=None, dtype=None
    ):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity: {nonlinearity}")
        super().__init__(input_size, hidden_size, bias, device, dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None):
        x, h, unbatched = self._prepare(input, hx)
        xa, ha = self._projections(x, h)
        out = E.tanh(xa + ha) if self.nonlinearity == "tanh" else E.relu(xa + ha)
        return out.squeeze(0) if unbatched else out


class LSTMCell(RNNCellBase):
    """One LSTM step: returns ``(h', c')``."""

    _gates = 4

    def forward(self, input, hx=None):
        if hx is None:
            x, h, unbatched = self._prepare(input, None)
            c = h
        else:
            x, h, unbatched = self._prepare(input, hx[0], "h_0")
            c = self._prepare(input, hx[1], "c_0")[1]
        xa, ha = self._projections(x, h)
        i, f, g, o = E.chunk(xa + ha, 4, 1)
        c = E.sigmoid(f) * c + E.sigmoid(i) * E.tanh(g)
        h = E.sigmoid(o) * E.tanh(c)
        return (h.squeeze(0), c.squeeze(0)) if unbatched else (h, c)


class GRUCell(RNNCellBase):
    """One GRU step: ``h' = (1 - z) n + z h``."""

    _gates = 3

    def forward(self, input, hx=None):
        x, h, unbatched = self._prepare(input, hx)
        xa, ha = self._projections(x, h)
        xr, xz, xn = E.chunk(xa, 3, 1)
        hr, hz, hn = E.chunk(ha, 3, 1)
        r, z = E.sigmoid(xr + hr), E.sigmoid(xz + hz)
        n = E.tanh(xn + r * hn)
        out = n + z * (h - n)
        return out.squeeze(0) if unbatched else out

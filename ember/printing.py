"""How a tensor prints: like PyTorch (``tensor([1.5000, 2.0000], requires_grad=True)``)."""

import numpy

from .dtypes import bool as bool_
from .dtypes import from_numpy_dtype, get_default_dtype, int64

__all__ = ["tensor_repr", "set_printoptions"]

_options = {"precision": 4, "threshold": 1000, "edgeitems": 3, "linewidth": 80, "sci_mode": None}


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None, sci_mode=None):
    for key, value in dict(
        precision=precision, threshold=threshold, edgeitems=edgeitems, linewidth=linewidth
    ).items():
        if value is not None:
            _options[key] = value
    _options["sci_mode"] = sci_mode


def _float_formatter(values):
    """One format for all elements, chosen as PyTorch does: integers print as ``1.``; otherwise
    fixed point with 4 decimals, or scientific when magnitudes span too much."""
    precision = _options["precision"]
    finite = values[numpy.isfinite(values)]
    if finite.size == 0:
        return lambda v: _special(v) or f"{v:.{precision}f}"
    magnitude = numpy.abs(finite[finite != 0]) if numpy.any(finite != 0) else numpy.zeros(1)
    big, small = float(magnitude.max()), float(magnitude.min())
    integral = bool(numpy.all(finite == numpy.round(finite)))
    sci = _options["sci_mode"]
    if sci is None:  # PyTorch's rule; integers only switch for a wide span or a huge value
        sci = big > 1e8 or (small != 0 and (big / small > 1000 or (small < 1e-4 and not integral)))
    if sci:
        return lambda v: _special(v) or f"{v:.{precision}e}"
    if integral:
        return lambda v: _special(v) or f"{v:.0f}."
    return lambda v: _special(v) or f"{v:.{precision}f}"


def _special(v):
    if numpy.isnan(v):
        return "nan"
    if numpy.isinf(v):
        return "inf" if v > 0 else "-inf"
    return None


def _summarized(array):
    """The elements a summarised print shows (PyTorch chooses the format from these alone)."""
    edge = _options["edgeitems"]
    if array.size <= _options["threshold"]:
        return array
    for axis, n in enumerate(array.shape):
        if n > 2 * edge:
            array = numpy.take(array, list(range(edge)) + list(range(n - edge, n)), axis=axis)
    return array


def _body(array, indent):
    if array.dtype.kind == "b":
        fmt = str
    elif array.dtype.kind == "f":
        fmt = _float_formatter(_summarized(array).astype(numpy.float64))
    else:
        fmt = str
    if array.size == 0:
        return "[]"
    # The widest element is the largest or the most negative one; as in PyTorch, floats take
    # their width from the non-zero finite values only (nan and inf just fit in, or not).
    flat = _summarized(array).reshape(-1)
    if array.dtype.kind == "f":
        flat = flat[numpy.isfinite(flat) & (flat != 0)]
    width = max((len(fmt(v)) for v in (flat.min(), flat.max())), default=0) if flat.size else 0
    summarize = array.size > _options["threshold"]
    return _nested(array, indent, summarize, lambda v: fmt(v).rjust(width), width)


def _nested(array, indent, summarize, fmt, width):
    """PyTorch's layout: rows of as many elements as fit in the line width, nested dims
    separated by blank lines, long dims summarised to their edges around an ellipsis."""
    edge = _options["edgeitems"]
    if array.ndim == 0:
        return fmt(array.item())
    long = summarize and array.shape[0] > 2 * edge
    if array.ndim == 1:
        if long:
            items = [fmt(v) for v in array[:edge].tolist()]
            items += [" ..."] + [fmt(v) for v in array[-edge:].tolist()]
        else:
            items = [fmt(v) for v in array.tolist()]
        per_line = max(1, (_options["linewidth"] - indent) // (width + 2))
        lines = [", ".join(items[i : i + per_line]) for i in range(0, len(items), per_line)]
        return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"
    rows = range(array.shape[0])
    if long:
        rows = [*range(edge), None, *range(array.shape[0] - edge, array.shape[0])]
    parts = [
        "..." if i is None else _nested(array[i], indent + 1, summarize, fmt, width) for i in rows
    ]
    return "[" + ("," + "\n" * (array.ndim - 1) + " " * (indent + 1)).join(parts) + "]"


def tensor_repr(t):
    array = numpy.asarray(t._data) if t.device.type == "cpu" else t._data.get()
    body = _body(array, len("tensor("))
    if array.ndim == 0:
        body = body.strip()
    extras = []
    if array.size == 0 and array.ndim != 1:
        extras.append(f"size={tuple(array.shape)}")
    d = from_numpy_dtype(array.dtype)
    default = get_default_dtype()
    # int64 and bool show in their values (1, True), except when there are none.
    if d is not default and (d not in (int64, bool_) or array.size == 0):
        extras.append(f"dtype={d}")
    if t.device.type != "cpu":
        extras.append(f"device='{t.device}'")
    if t._grad_fn is not None:
        extras.append(f"grad_fn=<{t._grad_fn.name()}>")
    elif t._rg:
        extras.append("requires_grad=True")
    return "tensor(" + body + "".join(", " + e for e in extras) + ")"

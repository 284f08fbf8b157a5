"""Elementwise ops: one row each, forward and VJP side by side.

Each VJP is ``vjp(xp, grad, *args, out)``: ``grad`` is dL/d(out), the result is dL/d(arg) for one
argument. Elementwise means the Jacobian is diagonal, so every VJP is ``grad`` times the local
derivative, element by element (the chain rule, one element at a time). Binary ops broadcast;
:func:`ember.ops.op.unbroadcast` sums each gradient back to its argument's shape.
"""

import math

import numpy

from .op import Op
from .xp_numpy import erf

_SQRT_2_OVER_PI = math.sqrt(2 / math.pi)
_LN2, _LN10 = math.log(2), math.log(10)


def _gelu_tanh(a):
    return 0.5 * a * (1 + numpy.tanh(_SQRT_2_OVER_PI * (a + 0.044715 * a**3)))


def _gelu(a, approximate):
    if approximate == "tanh":
        return _gelu_tanh(a)
    return 0.5 * a * (1 + erf(a * (1 / math.sqrt(2))))


def _gelu_vjp(xp, g, a, approximate, out):
    if approximate == "tanh":
        inner = _SQRT_2_OVER_PI * (a + 0.044715 * a * a * a)
        t = xp.tanh(inner)
        d_inner = _SQRT_2_OVER_PI * (1 + 3 * 0.044715 * a * a)
        return g * (0.5 * (1 + t) + 0.5 * a * (1 - t * t) * d_inner)
    cdf = xp.erf(a * (1 / math.sqrt(2))) * 0.5 + 0.5
    pdf = xp.exp(a * a * -0.5) * (1 / math.sqrt(2 * math.pi))
    return g * (cdf + a * pdf)


def _softplus(a, beta, threshold):
    scaled = a * beta
    # Above the threshold softplus is the identity to within rounding, and exp would overflow.
    return numpy.where(scaled > threshold, a, numpy.logaddexp(0, scaled) / beta).astype(a.dtype)


def _elu(a, alpha):
    return numpy.where(a > 0, a, alpha * numpy.expm1(numpy.minimum(a, 0))).astype(a.dtype)


def _hardtanh(a, lo, hi):
    return numpy.minimum(numpy.maximum(a, lo), hi)


def _scaled_elu(a, alpha, scale, input_scale):
    # selu and celu: scale * (a for a > 0, else alpha * (exp(a * input_scale) - 1))
    negative = alpha * numpy.expm1(numpy.minimum(a, 0) * input_scale)
    return (scale * numpy.where(a > 0, a, negative)).astype(a.dtype)


def _mish_vjp(xp, g, a, out):
    t = xp.tanh(xp.apply(PARAMETRIC["softplus"], a, 1.0, 20.0))
    return g * (t + a * xp.sigmoid(a) * (1 - t * t))


def _sigmoid(a):
    return 0.5 * numpy.tanh(0.5 * a) + 0.5  # exact sigmoid, without exp's overflow warnings


def _silu(a):
    return a * _sigmoid(a)


def _sign(a):
    # NaN has sign 0 and a bool is its own sign, as in PyTorch (numpy.sign gives NaN, and
    # refuses bools).
    if a.dtype == bool:
        return a.copy()
    return numpy.subtract(a > 0, a < 0, dtype=a.dtype)


def _rounding(ufunc):
    # floor, ceil, trunc: an integer tensor is already whole (NumPy would make it float).
    return lambda a: a.copy() if a.dtype.kind in "biu" else ufunc(a)


def zero_vjp(xp, g, *args):
    return xp.zeros_like(g)


def _clamp(a, lo, hi):
    # maximum/minimum directly: numpy.clip's Python-level wrapper costs more than the work here.
    if lo is not None:
        a = numpy.maximum(a, lo)
    return a if hi is None else numpy.minimum(a, hi)


def _clamp_vjp(xp, g, a, lo, hi, out):
    inside = a >= lo if lo is not None else None
    if hi is not None:
        inside = a <= hi if inside is None else inside & (a <= hi)
    return g * inside  # a mask product: several times faster than where() here


# With tensor bounds the bounds get gradients too: where the bound is the result. When
# min > max the result is max everywhere, so min gets nothing there (PyTorch's rule).
def _clamp_min_vjp(xp, g, a, lo, hi, out):
    below = a < lo
    return g * (below if hi is None else below & (lo < hi))


def _clamp_max_vjp(xp, g, a, lo, hi, out):
    above = a > hi
    return g * (above if lo is None else above | (hi < lo))


# clamp(a, min, max) with tensor bounds (either may be None): ClampBackward0, as in PyTorch,
# which lists all three arguments in next_functions.
CLAMP_TENSORS = Op(
    "ClampBackward0",
    _clamp,
    (_clamp_vjp, _clamp_min_vjp, _clamp_max_vjp),
    (
        "grad_a = grad where min <= a <= max, else 0",
        "grad_min = grad where a < min < max, else 0",
        "grad_max = grad where a > max or max < min, else 0",
    ),
    broadcasts=True,
)


# name, grad_fn name, forward, VJP, rule, what the VJP reads ("args", "out", or nothing "").
# A few VJPs are written to keep Python numbers out of ufuncs, which on small arrays cost about
# twice an array-array ufunc: tanh's grad - grad * out * out, square's (grad + grad) * a.
# fmt: off
_UNARY = [
    ("neg", "NegBackward0", numpy.negative, lambda xp, g, a, out: -g, "grad_a = -grad", ""),
    ("abs", "AbsBackward0", numpy.abs, lambda xp, g, a, out: g * xp.sign(a),
     "grad_a = grad * sign(a)", "args"),
    ("exp", "ExpBackward0", numpy.exp, lambda xp, g, a, out: g * out,
     "grad_a = grad * exp(a)", "out"),
    ("log", "LogBackward0", numpy.log, lambda xp, g, a, out: g / a, "grad_a = grad / a", "args"),
    ("log2", "Log2Backward0", numpy.log2, lambda xp, g, a, out: g / (a * _LN2),
     "grad_a = grad / (a ln 2)", "args"),
    ("log10", "Log10Backward0", numpy.log10, lambda xp, g, a, out: g / (a * _LN10),
     "grad_a = grad / (a ln 10)", "args"),
    ("log1p", "Log1PBackward0", numpy.log1p, lambda xp, g, a, out: g / (a + 1),
     "grad_a = grad / (1 + a)", "args"),
    ("expm1", "Expm1Backward0", numpy.expm1, lambda xp, g, a, out: g * (out + 1),
     "grad_a = grad * exp(a)", "out"),
    ("sqrt", "SqrtBackward0", numpy.sqrt, lambda xp, g, a, out: g / (out * 2),
     "grad_a = grad / (2 * sqrt(a))", "out"),
    ("rsqrt", "RsqrtBackward0", lambda a: 1 / numpy.sqrt(a),
     lambda xp, g, a, out: g * out * out * out * -0.5, "grad_a = -grad / (2 * a^1.5)", "out"),
    ("sin", "SinBackward0", numpy.sin, lambda xp, g, a, out: g * xp.cos(a),
     "grad_a = grad * cos(a)", "args"),
    ("cos", "CosBackward0", numpy.cos, lambda xp, g, a, out: -g * xp.sin(a),
     "grad_a = -grad * sin(a)", "args"),
    ("tanh", "TanhBackward0", numpy.tanh, lambda xp, g, a, out: g - g * out * out,
     "grad_a = grad * (1 - tanh(a)^2)", "out"),
    ("sigmoid", "SigmoidBackward0", _sigmoid, lambda xp, g, a, out: g * out * (1 - out),
     "grad_a = grad * s * (1 - s), s = sigmoid(a)", "out"),
    ("relu", "ReluBackward0", lambda a: numpy.maximum(a, 0),
     lambda xp, g, a, out: g * (out > 0), "grad_a = grad where a > 0, else 0", "out"),
    ("square", "PowBackward0", numpy.square, lambda xp, g, a, out: (g + g) * a,
     "grad_a = grad * 2a", "args"),
    ("reciprocal", "ReciprocalBackward0", numpy.reciprocal,
     lambda xp, g, a, out: -g * out * out, "grad_a = -grad / a^2", "out"),
    ("sign", "SignBackward0", _sign, zero_vjp, "grad_a = 0", ""),
    # Steps: zero gradient almost everywhere (PyTorch's convention at the jumps too).
    ("floor", "FloorBackward0", _rounding(numpy.floor), zero_vjp, "grad_a = 0", ""),
    ("ceil", "CeilBackward0", _rounding(numpy.ceil), zero_vjp, "grad_a = 0", ""),
    ("trunc", "TruncBackward0", _rounding(numpy.trunc), zero_vjp, "grad_a = 0", ""),
    ("round", "RoundBackward0", numpy.round, zero_vjp, "grad_a = 0", ""),
    # The "hard" activations' gradients are 0 at their corners, as PyTorch defines them.
    ("hardsigmoid", "HardsigmoidBackward0", lambda a: _hardtanh(a / 6 + 0.5, 0, 1),
     lambda xp, g, a, out: g * ((a > -3) & (a < 3)) / 6,
     "grad_a = grad / 6 where -3 < a < 3, else 0", "args"),
    ("hardswish", "HardswishBackward0", lambda a: a * _hardtanh(a + 3, 0, 6) / 6,
     lambda xp, g, a, out: xp.where(a <= -3, 0, xp.where(a < 3, g * (a / 3 + 0.5), g)),
     "grad_a = grad * (a / 3 + 1/2) where -3 < a < 3, grad above, 0 below", "args"),
    ("logsigmoid", "LogSigmoidBackward0", lambda a: -numpy.logaddexp(0, -a).astype(a.dtype),
     lambda xp, g, a, out: g * xp.sigmoid(-a), "grad_a = grad * sigmoid(-a)", "args"),
    ("mish", "MishBackward0",
     lambda a: a * numpy.tanh(_softplus(a, 1.0, 20.0)), _mish_vjp,
     "grad_a = grad * (t + a sigmoid(a) (1 - t^2)), t = tanh(softplus(a))", "args"),
    ("erf", "ErfBackward0", erf,
     lambda xp, g, a, out: g * xp.exp(-a * a) * (2 / math.sqrt(math.pi)),
     "grad_a = grad * 2/sqrt(pi) * exp(-a^2)", "args"),
    ("silu", "SiluBackward0", _silu,
     lambda xp, g, a, out: g * (xp.sigmoid(a) * (1 + a * (1 - xp.sigmoid(a)))),
     "grad_a = grad * s * (1 + a (1 - s)), s = sigmoid(a)", "args"),
]
# fmt: on

# Elementwise ops with constant parameters after the tensor argument.
# fmt: off
_PARAMETRIC = [
    ("pow_scalar", "PowBackward0", numpy.power,
     lambda xp, g, a, e, out: g * e * a ** (e - 1) if e != 0 else xp.zeros_like(g),
     "grad_a = grad * e * a^(e-1)", "args"),
    ("round_decimals", "RoundBackward1", lambda a, decimals: numpy.round(a, decimals),
     zero_vjp, "grad_a = 0", ""),
    ("clamp", "ClampBackward1", _clamp, _clamp_vjp, "grad_a = grad where min <= a <= max, else 0",
     "args"),
    ("leaky_relu", "LeakyReluBackward0",
     lambda a, slope: numpy.where(a > 0, a, a * slope).astype(a.dtype, copy=False),
     lambda xp, g, a, slope, out: xp.where(a > 0, g, g * slope),
     "grad_a = grad where a > 0, else grad * negative_slope", "args"),
    ("elu", "EluBackward0", _elu,
     lambda xp, g, a, alpha, out: xp.where(a > 0, g, g * (out + alpha)),
     "grad_a = grad where a > 0, else grad * (elu(a) + alpha)", "args+out"),
    ("hardtanh", "HardtanhBackward0", _hardtanh,
     lambda xp, g, a, lo, hi, out: g * ((a > lo) & (a < hi)),
     "grad_a = grad where min < a < max, else 0", "args"),
    ("scaled_elu", "EluBackward0", _scaled_elu,
     lambda xp, g, a, alpha, scale, input_scale, out: xp.where(
         a > 0, g * scale, g * (out + alpha * scale) * input_scale),
     "grad_a = grad * scale where a > 0, else grad * (out + alpha * scale) * input_scale",
     "args+out"),
    ("gelu", "GeluBackward0", _gelu, _gelu_vjp,
     "grad_a = grad * (Phi(a) + a * phi(a))", "args"),
    ("softplus", "SoftplusBackward0", _softplus,
     lambda xp, g, a, beta, threshold, out: xp.where(
         a * beta > threshold, g, g * xp.sigmoid(a * beta)),
     "grad_a = grad * sigmoid(beta * a)", "args"),
]
# fmt: on


def _maximum_vjp(xp, g, a, b, out):
    # Ties split the gradient evenly, as PyTorch does.
    return xp.where(a > b, g, xp.where(a == b, g * 0.5, 0))


def _power(a, b):
    exponent = getattr(b, "dtype", None)  # (b may be a Python number: x ** numpy.int64(3))
    if exponent is None or exponent.kind not in "iu" or a.dtype.kind not in "biu":
        return numpy.power(a, b)
    if not (b < 0).any():
        return numpy.power(a, b)
    # An integer to a negative integer power, as PyTorch computes it (NumPy refuses): 1 for 1,
    # +-1 for -1, and 0 (the whole part of 1 / a^|b|) for every other base, 0 included.
    negative = b < 0
    whole = numpy.power(a, numpy.where(negative, 0, b))
    odd = numpy.where(b % 2 == 1, -1, 1).astype(whole.dtype)
    at_negative = numpy.where(a == 1, 1, numpy.where(a == -1, odd, 0)).astype(whole.dtype)
    return numpy.where(negative, at_negative, whole)


def _pow_base_vjp(xp, g, a, b, out):
    # PyTorch defines it as 0 where b == 0 (else 0 * 0^-1 would give nan at a == 0).
    return xp.where(b == 0, 0, g * b * a ** (b - 1))


def _pow_exponent_vjp(xp, g, a, b, out):
    # d(a^b)/db = a^b log a; PyTorch defines it as 0 where a == 0 and b >= 0 (log 0 = -inf),
    # and where a == 0 and b < 0 it is inf * -inf = -inf. (log 0 is written out: NumPy warns.)
    log_a = xp.where(a == 0, -math.inf, xp.log(xp.where(a == 0, 1, a)))
    return xp.where((a == 0) & (b >= 0), 0, g * out * log_a)


def no_zero_division(ufunc):
    """``ufunc`` (floor division, remainder) refusing an integer division by zero, as PyTorch
    does (NumPy warns and gives 0)."""

    def forward(a, b):  # (either may be a Python number: 5 % x)
        integers = numpy.asarray(a).dtype.kind in "iu" and numpy.asarray(b).dtype.kind in "iu"
        if integers and not numpy.all(b):
            raise RuntimeError("ZeroDivisionError")
        return ufunc(a, b)

    forward.__name__ = ufunc.__name__
    return forward


def _remainder_vjp_b(xp, g, a, b, out):
    # (a - remainder) / b is floor(a / b); for fmod, whose remainder takes a's sign, trunc(a / b)
    return -g * ((a - out) / b)


# name, grad_fn name, forward, (VJP for a, VJP for b), (rule for a, rule for b), what the VJPs
# read, and which values each VJP reads when they differ (see Op: x * 2 need not keep x unchanged)
# fmt: off
_BINARY = [
    ("add", "AddBackward0", numpy.add,
     (lambda xp, g, a, b, out: g, lambda xp, g, a, b, out: g),
     ("grad_a = grad", "grad_b = grad"), "", None),
    ("sub", "SubBackward0", numpy.subtract,
     (lambda xp, g, a, b, out: g, lambda xp, g, a, b, out: -g),
     ("grad_a = grad", "grad_b = -grad"), "", None),
    ("mul", "MulBackward0", numpy.multiply,
     (lambda xp, g, a, b, out: g * b, lambda xp, g, a, b, out: g * a),
     ("grad_a = grad * b", "grad_b = grad * a"), "args", ((1,), (0,))),
    ("div", "DivBackward0", numpy.true_divide,
     (lambda xp, g, a, b, out: g / b, lambda xp, g, a, b, out: -g * a / (b * b)),
     ("grad_a = grad / b", "grad_b = -grad * a / b^2"), "args", ((1,), (0, 1))),
    ("pow", "PowBackward1", _power, (_pow_base_vjp, _pow_exponent_vjp),
     ("grad_a = grad * b * a^(b-1)", "grad_b = grad * a^b * log(a)"), "args+out",
     ((0, 1), (0, 1))),
    ("maximum", "MaximumBackward0", numpy.maximum,
     (_maximum_vjp, lambda xp, g, a, b, out: _maximum_vjp(xp, g, b, a, out)),
     ("grad_a = grad where a > b (half on ties)", "grad_b = grad where b > a (half on ties)"),
     "args", None),
    ("minimum", "MinimumBackward0", numpy.minimum,
     (lambda xp, g, a, b, out: _maximum_vjp(xp, g, b, a, out),
      lambda xp, g, a, b, out: _maximum_vjp(xp, g, a, b, out)),
     ("grad_a = grad where a < b (half on ties)", "grad_b = grad where b < a (half on ties)"),
     "args", None),
    ("remainder", "RemainderBackward1", no_zero_division(numpy.remainder),
     (lambda xp, g, a, b, out: g, _remainder_vjp_b),
     ("grad_a = grad", "grad_b = -grad * floor(a / b)"), "args+out", ((), (0, 1))),
    ("fmod", "FmodBackward1", no_zero_division(numpy.fmod),
     (lambda xp, g, a, b, out: g, _remainder_vjp_b),
     ("grad_a = grad", "grad_b = -grad * trunc(a / b)"), "args+out", ((), (0, 1))),
    ("atan2", "Atan2Backward0", numpy.arctan2,
     (lambda xp, g, a, b, out: g * b / (a * a + b * b),
      lambda xp, g, a, b, out: -g * a / (a * a + b * b)),
     ("grad_a = grad * b / (a^2 + b^2)", "grad_b = -grad * a / (a^2 + b^2)"), "args", None),
]
# fmt: on


def _fmax_keeps_a(a, b):
    # fmax takes a where a >= b or b is NaN: all of the gradient goes there (none split on ties)
    return (a >= b) | (b != b)


def _fmin_keeps_a(a, b):
    return (a <= b) | (b != b)


def _nan_ignoring(name, forward, keeps_a, word):
    return Op(
        name,
        forward,
        (
            lambda xp, g, a, b, out: xp.where(keeps_a(a, b), g, 0),
            lambda xp, g, a, b, out: xp.where(keeps_a(a, b), 0, g),
        ),
        (f"grad_a = grad where a {word} b or b is NaN", "grad_b = grad elsewhere"),
        broadcasts=True,
    )


fmax = _nan_ignoring("FmaxBackward0", numpy.fmax, _fmax_keeps_a, ">=")
fmin = _nan_ignoring("FminBackward0", numpy.fmin, _fmin_keeps_a, "<=")


def _nan_to_num(a, nan, posinf, neginf):
    return numpy.nan_to_num(a, nan=nan, posinf=posinf, neginf=neginf)


nan_to_num = Op(
    "NanToNumBackward0",
    _nan_to_num,
    # |a| < inf is false for NaN and the infinities (and needs no isfinite in either namespace)
    (lambda xp, g, a, nan, posinf, neginf, out: xp.where(xp.abs(a) < math.inf, g, 0),),
    "grad_a = grad where a is finite, else 0",
)


def _where_forward(condition, a, b):
    return numpy.where(condition, a, b)


where = Op(
    "WhereBackward0",
    _where_forward,
    (
        None,
        lambda xp, g, c, a, b, out: xp.where(c, g, 0),
        lambda xp, g, c, a, b, out: xp.where(c, 0, g),
    ),
    (None, "grad_a = grad where condition, else 0", "grad_b = grad where not condition, else 0"),
    broadcasts=True,
    reads=((), (0,), (0,)),  # only the condition: which elements came from where
)


def _lerp(a, b, w):
    # PyTorch's formula: from the nearer end, so that a weight of 1 gives exactly b.
    diff = b - a
    return numpy.where(numpy.abs(w) < 0.5, a + w * diff, b - diff * (1 - w))


_LERP_VJPS = (
    lambda xp, g, a, b, w, out: g * (1 - w),
    lambda xp, g, a, b, w, out: g * w,
    lambda xp, g, a, b, w, out: g * (b - a),
)
_LERP_RULES = ("grad_a = grad * (1 - w)", "grad_b = grad * w", "grad_w = grad * (b - a)")
# lerp(a, b, w) = a + w * (b - a); PyTorch names a number weight and a tensor weight apart.
lerp = Op(
    "LerpBackward0",
    _lerp,
    _LERP_VJPS[:2] + (None,),
    _LERP_RULES[:2] + (None,),
    broadcasts=True,
    reads=((2,), (2,), ()),
)
lerp_tensor = Op(
    "LerpBackward1", _lerp, _LERP_VJPS, _LERP_RULES, broadcasts=True, reads=((2,), (2,), (0, 1))
)

UNARY = {name: Op(grad, f, (vjp,), (rule,), saves=s) for name, grad, f, vjp, rule, s in _UNARY}
PARAMETRIC = {
    name: Op(grad, f, (vjp,), (rule,), saves=s) for name, grad, f, vjp, rule, s in _PARAMETRIC
}
BINARY = {
    name: Op(grad, f, vjps, rules, broadcasts=True, saves=s, reads=r)
    for name, grad, f, vjps, rules, s, r in _BINARY
}

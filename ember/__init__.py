"""ember: backpropagation you can see, teach, check and run.

PyTorch's API and autograd, and Torch7's layer protocol on the same modules, on NumPy.
``import ember as torch`` runs the seeds' PyTorch code unchanged.
"""

__version__ = "0.1.0"

import builtins
import functools
import importlib
import types
import warnings

# NumPy warns about IEEE results (log(0) = -inf, 0/0 = nan) that PyTorch returns silently. Only
# warnings raised from ember's own code are silenced: a user's NumPy calls still warn as before,
# and ember.autograd.detect_anomaly() is the tool for hunting NaNs.
warnings.filterwarnings("ignore", category=RuntimeWarning, module=r"ember(\.|$)")

from . import autograd  # first: it loads the graph, the engine and the Tensor in order
from . import dtypes
from .backend import device
from .dtypes import (
    bool,
    double,
    dtype,
    float,
    float16,
    float32,
    float64,
    get_default_dtype,
    half,
    int,
    int8,
    int16,
    int32,
    int64,
    long,
    promote_types,
    set_default_dtype,
    short,
    uint8,
)
from .tensor import Size, Tensor
from .functions import *  # noqa: F403
from .functions import (
    abs,
    add,
    addmm,
    addmv,
    addr,
    all,
    allclose,
    amax,
    amin,
    any,
    argmax,
    argmin,
    argsort,
    atan2,
    bmm,
    masked_select,
    sort,
    topk,
    broadcast_to,
    cat,
    ceil,
    chunk,
    clamp,
    clamp_max,
    clamp_min,
    clip,
    clone,
    concat,
    concatenate,
    cos,
    cumprod,
    cumsum,
    div,
    divide,
    dot,
    einsum,
    eq,
    equal,
    erf,
    exp,
    expand,
    expm1,
    flatten,
    diag,
    diff,
    flip,
    floor,
    floor_divide,
    fmod,
    gather,
    ge,
    ger,
    gt,
    hstack,
    index_add,
    index_copy,
    index_fill,
    index_put,
    index_select,
    isclose,
    isfinite,
    isinf,
    isnan,
    le,
    lerp,
    log,
    log1p,
    log2,
    log10,
    log_softmax,
    logical_and,
    logical_not,
    logical_or,
    logical_xor,
    logsumexp,
    lt,
    masked_fill,
    masked_scatter,
    matmul,
    max,
    maximum,
    mean,
    min,
    minimum,
    mm,
    mul,
    multiply,
    mv,
    narrow,
    ne,
    neg,
    negative,
    nonzero,
    norm,
    outer,
    permute,
    pow,
    prod,
    reciprocal,
    relu,
    remainder,
    repeat,
    repeat_interleave,
    reshape,
    roll,
    round,
    rsqrt,
    rsub,
    scatter,
    scatter_add,
    sigmoid,
    sign,
    silu,
    sin,
    softmax,
    split,
    sqrt,
    square,
    squeeze,
    stack,
    std,
    std_mean,
    sub,
    sum,
    swapaxes,
    swapdims,
    t,
    take_along_dim,
    tanh,
    trace,
    transpose,
    tril,
    tril_indices,
    triu,
    triu_indices,
    true_divide,
    trunc,
    unbind,
    unique,
    unflatten,
    unsqueeze,
    var,
    var_mean,
    vstack,
    where,
)
from .creation import (
    BoolTensor,
    ByteTensor,
    DoubleTensor,
    FloatTensor,
    HalfTensor,
    IntTensor,
    LongTensor,
    arange,
    as_tensor,
    asarray,
    empty,
    empty_like,
    eye,
    from_numpy,
    full,
    full_like,
    linspace,
    logspace,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randint_like,
    randn,
    randn_like,
    randperm,
    scalar_tensor,
    tensor,
    zeros,
    zeros_like,
)
from .random import Generator, default_generator, initial_seed, manual_seed, seed
from .random import get_rng_state, set_rng_state
from .autograd import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    is_inference_mode_enabled,
    no_grad,
    set_grad_enabled,
)
from .printing import set_printoptions
from .backend import is_available


def is_tensor(obj):
    return isinstance(obj, Tensor)


def numel(input):
    return input.numel()


def is_floating_point(input):
    return input.is_floating_point()


class cuda:
    """``ember.cuda.is_available()``: whether the CuPy backend sees a GPU."""

    is_available = staticmethod(is_available)


from .serialization import load, save
from .out_argument import accepting_out

# The layers above the core load on first use (``ember.nn``, ``import ember.optim``), so that
# ``import ember`` costs little more than importing NumPy. So does ``ember.linalg``, with the
# functions PyTorch also has at the top level and on Tensor (``torch.det``, ``x.inverse()``).
_SUBPACKAGES = ("nn", "optim", "data", "datasets", "viz", "testing", "utils", "linalg")
_LINALG_TOP_LEVEL = (
    "det",
    "inverse",
    "logdet",
    "slogdet",
    "cholesky",
    "qr",
    "svd",
    "pinverse",
    "matrix_power",
)
# PyTorch's top-level functions that live with the losses of ember.nn.functional.
_LOSSES_TOP_LEVEL = ("ctc_loss",)


def __getattr__(name):
    if name in _SUBPACKAGES:
        return importlib.import_module(f".{name}", __name__)
    if name in _LINALG_TOP_LEVEL:
        return _tensor_input(name, importlib.import_module(".linalg", __name__).TOP_LEVEL[name])
    if name in _LOSSES_TOP_LEVEL:
        return importlib.import_module(".nn.functional.loss", __name__).TOP_LEVEL[name]
    raise AttributeError(f"module 'ember' has no attribute '{name}'")


def __dir__():
    return sorted(
        set(globals()) | set(_SUBPACKAGES) | set(_LINALG_TOP_LEVEL) | set(_LOSSES_TOP_LEVEL)
    )


def _not_tensor(name, value):
    return TypeError(
        f"{name}(): argument 'input' (position 1) must be Tensor, not "
        f"{builtins.type(value).__name__}"
    )


def _tensor_input(name, function):
    """``ember.<name>(x, ...)`` with PyTorch's TypeError when ``x`` is not a tensor, instead of an
    AttributeError from inside. Tensor methods skip it: their ``self`` is a tensor already."""

    @functools.wraps(function)
    def checked(input, *args, **kwargs):
        if not isinstance(input, Tensor):
            raise _not_tensor(name, input)
        return function(input, *args, **kwargs)

    return checked


_NUMBER = (builtins.bool, builtins.int, builtins.float)


def _number_input(name, function, numbers):
    """``ember.<name>(x, other)`` with PyTorch's rule for Python numbers in ``x`` and ``other``:

    - ``"anywhere"``: ``x`` may be a number next to a tensor (``torch.add(2, t)``) or next to
      another number, which PyTorch makes a 0-dim tensor (``torch.add(1.5, 2)`` is
      ``tensor(3.5)``);
    - ``"next to a tensor"``: ``x`` may be a number only when ``other`` is a tensor (``pow``);
    - ``"as other"``: only ``other`` may be a number (``fmod``: a number ``x`` matches none of
      its overloads).

    (Functions that take two tensors and no number, like ``atan2`` and ``maximum``, check that
    themselves, for their Tensor methods too: see ``ember.functions._tensors_only``.)

    Anything else is PyTorch's TypeError."""

    def overload_error(input, args):
        got = ", ".join(builtins.type(x).__name__ for x in (input, *args))
        return TypeError(f"{name}() received an invalid combination of arguments - got ({got})")

    @functools.wraps(function)
    def checked(input, *args, **kwargs):
        other = args[0] if args else kwargs.get("other", kwargs.get("exponent"))
        if isinstance(input, Tensor):
            return function(input, *args, **kwargs)
        if numbers == "as other":
            raise overload_error(input, args)
        if not isinstance(input, _NUMBER):
            raise _not_tensor(name, input)
        if isinstance(other, Tensor):
            return function(input, *args, **kwargs)
        if numbers == "anywhere" and isinstance(other, _NUMBER):
            return function(tensor(input), *args, **kwargs)
        raise overload_error(input, args)

    return checked


# Where PyTorch's functions take a Python number in place of a tensor (see _number_input).
_NUMBERS = dict.fromkeys(
    ("add", "sub", "mul", "multiply", "div", "divide", "true_divide", "floor_divide"), "anywhere"
)
_NUMBERS |= dict.fromkeys(("pow", "float_power", "remainder"), "next to a tensor")
_NUMBERS["fmod"] = "as other"
# Left as they are: functions whose first argument is not a tensor in PyTorch (bucketize takes a
# number, promote_types dtypes), and Tensor methods that are not functions in PyTorch.
_LEFT_ALONE = {"bucketize", "promote_types", "tensordot"}
_LEFT_ALONE |= {"contiguous", "expand", "expand_as", "getitem", "repeat", "reshape_as", "to"}
_LEFT_ALONE |= {"type", "type_as", "view", "view_as"}
# The name of the tensor parameter: ``input`` as in PyTorch, ``a`` for the elementwise table's
# functions (exp, sin), ``self`` for in-place ones (zero_, clamp_).
_TENSOR_PARAMETERS = {"input", "a", "self"}
for _name, _value in list(globals().items()):
    if _name in _NUMBERS:
        globals()[_name] = _number_input(_name, _value, _NUMBERS[_name])
    elif (
        isinstance(_value, types.FunctionType)
        and not _name.startswith("_")
        and _name not in _LEFT_ALONE
        and _value.__module__.startswith("ember")
        and _value.__code__.co_argcount
        and _value.__code__.co_varnames[0] in _TENSOR_PARAMETERS
    ):
        globals()[_name] = _tensor_input(_name, _value)


def _takes_out(function):
    code = getattr(function, "__wrapped__", function).__code__
    return "out" in code.co_varnames[: code.co_argcount + code.co_kwonlyargcount]


# The ops take PyTorch's ``out=`` keyword (in-place variants and constructors do not).
for _name, _value in list(globals().items()):
    if (
        isinstance(_value, types.FunctionType)
        and not _name.startswith("_")
        and not _name.endswith("_")
        and _value.__module__ in ("ember.functions", "ember.tensor")
        and not _takes_out(_value)
    ):
        globals()[_name] = accepting_out(_name, _value)


def _linalg_method(name):
    """``x.det()`` before ember.linalg has loaded: loading it puts the real methods on Tensor."""

    def method(self, *args, **kwargs):
        return importlib.import_module(".linalg", __name__).TOP_LEVEL[name](self, *args, **kwargs)

    method.__name__ = name
    return method


for _name in _LINALG_TOP_LEVEL:
    setattr(Tensor, _name, _linalg_method(_name))

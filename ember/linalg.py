"""``ember.linalg``: PyTorch's ``torch.linalg`` (norms, det, inv, solve, the factorizations), and
the older spellings PyTorch keeps at the top level and on Tensor (``torch.det``,
``Tensor.inverse``, ``torch.svd``). The ops and their gradients are in
:mod:`ember.ops.decompositions`; this module checks arguments as PyTorch does and picks the op.
"""

import builtins
import math
import warnings

import numpy

from .creation import eye
from .dtypes import CPP_TYPE_NAMES
from .functions import (
    _axes,
    _broadcast_shape,
    _linalg_cross,
    _multi_dot,
    _return_type,
    _type_name,
    abs,
    amax,
    amin,
    clone,
    copy_,
    matmul,
    permute,
    renamed,
    sum,
    unsqueeze,
    where,
)
from .functions import diagonal as _diagonal
from .ops import decompositions as D
from .ops import reduce as R
from .out_argument import accepting_out, castable_for, same_dtype
from .tensor import Tensor, apply, wrap

__all__ = [
    "LinAlgError",
    "cholesky",
    "cross",
    "det",
    "diagonal",
    "eigh",
    "eigvalsh",
    "inv",
    "matmul",
    "matrix_norm",
    "matrix_power",
    "matrix_rank",
    "multi_dot",
    "norm",
    "pinv",
    "qr",
    "slogdet",
    "solve",
    "svd",
    "svdvals",
    "vector_norm",
]


class LinAlgError(RuntimeError):
    """A matrix the factorization cannot handle (singular, not positive-definite)."""


linalg_slogdet = _return_type("linalg_slogdet", ("sign", "logabsdet"))
slogdet_result = _return_type("slogdet", ("sign", "logabsdet"))
linalg_qr = _return_type("linalg_qr", ("Q", "R"))
qr_result = _return_type("qr", ("Q", "R"))
linalg_eigh = _return_type("linalg_eigh", ("eigenvalues", "eigenvectors"))
linalg_svd = _return_type("linalg_svd", ("U", "S", "Vh"))
svd_result = _return_type("svd", ("U", "S", "V"))


def _check_matrix(name, A, square=True):
    if A.ndim < 2:
        raise RuntimeError(f"{name}: The input tensor A must have at least 2 dimensions.")
    if A._data.dtype.kind != "f":
        raise RuntimeError(
            f"{name}: Expected a floating point or complex tensor as input. Got "
            f"{_type_name(A, True)}"
        )
    if A._data.dtype == numpy.float16:
        raise RuntimeError(f"{name}: Low precision dtypes not supported. Got Half")
    if square and A.shape[-1] != A.shape[-2]:
        raise RuntimeError(
            f"{name}: A must be batches of square matrices, but they are {A.shape[-2]} by "
            f"{A.shape[-1]} matrices"
        )


def _factor(name, op, *args):
    """``apply(op, *args)`` with NumPy's failure as PyTorch's LinAlgError."""
    try:
        return apply(op, *args)
    except numpy.linalg.LinAlgError as error:
        if "positive definite" in str(error):
            raise LinAlgError(
                f"{name}: The factorization could not be completed because the input is not "
                f"positive-definite{_failing_minor(args[0]._data)}."
            ) from None
        # PyTorch also names the zero pivot of the LU factorization
        raise LinAlgError(
            f"{name}: The diagonal element is zero, the inversion could not be completed because "
            "the input matrix is singular."
        ) from None


def _failing_minor(a):
    if a.ndim != 2:
        return ""
    for k in range(1, a.shape[0] + 1):
        try:
            numpy.linalg.cholesky(a[:k, :k])
        except numpy.linalg.LinAlgError:
            return f" (the leading minor of order {k} is not positive-definite)"
    return ""


# ----- inverse, determinant, solve ---------------------------------------------------------


def inv(A):
    _check_matrix("linalg.inv", A)
    return _factor("linalg.inv", D.inv, A)


def det(A):
    _check_matrix("linalg.det", A)
    return apply(D.det, A)


def slogdet(A):
    _check_matrix("linalg.slogdet", A)
    return linalg_slogdet(apply(D.slogdet_sign, A), apply(D.logabsdet, A))


def solve(A, B, *, left=True):
    _check_matrix("linalg.solve", A)
    if A._data.dtype != B._data.dtype:
        raise RuntimeError(
            "linalg.solve: Expected A and B to have the same dtype, but found A of type "
            f"{_type_name(A, True)} and B of type {_type_name(B, True)} instead"
        )
    # B is a (batch of) vector(s) when it is 1-D or has exactly A's batch shape plus n.
    vector = left and (B.ndim == 1 or (B.ndim == A.ndim - 1 and B.shape == A.shape[:-1]))
    rows = B.shape[-1] if vector else B.shape[-2 if left else -1]
    if rows != A.shape[-1]:
        b_shape = (B.shape[-1], 1) if vector else B.shape[-2:]
        equation = "AX = B" if left else "XA = B"
        raise RuntimeError(
            f"linalg.solve: Incompatible shapes of A and B for the equation {equation} "
            f"({A.shape[-2]}x{A.shape[-1]} and {b_shape[0]}x{b_shape[1]})"
        )
    _broadcast_shape(A.shape[:-2], B.shape[: -1 if vector else -2])
    return _factor("linalg.solve", D.solve, A, B, vector, left)


# ----- factorizations ----------------------------------------------------------------------


def cholesky(A, *, upper=False):
    _check_matrix("linalg.cholesky", A)
    return _factor("linalg.cholesky", D.cholesky, A, upper)


def qr(A, mode="reduced"):
    if mode not in ("reduced", "complete", "r"):
        raise RuntimeError(
            f"qr received unrecognized mode '{mode}' but expected one of 'reduced' (default), "
            "'r', or 'complete'"
        )
    _check_matrix("linalg.qr", A, square=False)
    q = wrap(numpy.empty(0, A._data.dtype)) if mode == "r" else apply(D.qr_q, A, mode)
    return linalg_qr(q, apply(D.qr_r, A, mode))


def _check_uplo(UPLO):
    if UPLO not in ("L", "U"):
        raise RuntimeError(f"Expected UPLO argument to be 'L' or 'U', but got {UPLO}")


def eigh(A, UPLO="L"):
    _check_matrix("linalg.eigh", A)
    _check_uplo(UPLO)
    return linalg_eigh(apply(D.eigh_values, A, UPLO), apply(D.eigh_vectors, A, UPLO))


def eigvalsh(A, UPLO="L"):
    _check_matrix("linalg.eigvalsh", A)
    _check_uplo(UPLO)
    return apply(D.eigh_values, A, UPLO)


def svd(A, full_matrices=True, *, driver=None):
    _check_matrix("linalg.svd", A, square=False)
    return linalg_svd(*(apply(op, A, full_matrices) for op in (D.svd_u, D.svd_s, D.svd_vh)))


def svdvals(A, *, driver=None):
    _check_matrix("linalg.svdvals", A, square=False)
    return apply(D.svd_s, A, False)


def _tolerances(A, atol, rtol):
    """PyTorch's defaults: rtol = eps * max(m, n) unless atol alone is given (then 0)."""
    if rtol is None:
        rtol = (
            numpy.finfo(A._data.dtype).eps * builtins.max(A.shape[-2:])
            if atol is None or atol <= 0
            else 0.0
        )
    return (0.0 if atol is None else atol), rtol


def pinv(A, *, atol=None, rtol=None, hermitian=False):
    if A.ndim < 2 or A._data.dtype not in (numpy.float32, numpy.float64):
        raise RuntimeError(
            f"linalg.pinv({_type_name(A, True)}{{{list(A.shape)}}}): expected a tensor with 2 or "
            "more dimensions of float, double, cfloat or cdouble types"
        )
    return apply(D.pinv, A, *_tolerances(A, atol, rtol))


def matrix_rank(A, *, atol=None, rtol=None, hermitian=False):
    _check_matrix("linalg.matrix_rank", A, square=hermitian)
    atol, rtol = _tolerances(A, atol, rtol)
    if hermitian:
        s = numpy.abs(numpy.linalg.eigvalsh(A._data))
    else:
        s = numpy.linalg.svd(A._data, compute_uv=False)
    largest = s.max(-1, keepdims=True) if s.shape[-1] else numpy.zeros(s.shape[:-1] + (1,))
    return wrap(numpy.sum(s > numpy.maximum(atol, rtol * largest), -1).astype(numpy.int64))


def matrix_power(A, n):
    if A.ndim < 2 or A.shape[-1] != A.shape[-2]:
        raise RuntimeError(
            f"linalg.matrix_power: A must be batches of square matrices, but they are "
            f"{A.shape[-2] if A.ndim > 1 else A.shape[-1]} by {A.shape[-1]} matrices"
        )
    if n == 0:  # the identity, still connected to A as PyTorch's copy is
        return copy_(clone(A), eye(A.shape[-1], dtype=A.dtype).expand(A.shape))
    if n < 0:
        A, n = inv(A), -n
    if n == 1:
        return clone(A)
    # Square-and-multiply, as PyTorch: the bits of n pick which squares enter the product.
    result, square = None, A
    while n:
        if n & 1:
            result = square if result is None else matmul(result, square)
        n >>= 1
        if n:
            square = matmul(square, square)
    return result


def diagonal(A, *, offset=0, dim1=-2, dim2=-1):
    return _diagonal(A, offset, dim1, dim2)


def cross(input, other, *, dim=-1):
    return _linalg_cross(input, other, dim)


def multi_dot(tensors):
    return _multi_dot(tensors)


# ----- norms ---------------------------------------------------------------------------------


def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None):
    if not isinstance(ord, (int, float)):
        raise TypeError(
            "linalg_vector_norm(): argument 'ord' (position 2) must be Number, not "
            f"{type(ord).__name__}"
        )
    if dtype is not None:
        x = x.to(dtype)
    if x._data.dtype.kind != "f":
        raise RuntimeError(
            "linalg.vector_norm: Expected a floating point or complex tensor as input. Got "
            f"{_type_name(x, True)}"
        )
    return apply(R.norm, x, float(ord), _axes(dim, x.ndim), keepdim)


_MATRIX_ORDERS = ("fro", "nuc", math.inf, -math.inf, 1, -1, 2, -2)


def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None):
    if A.ndim < 2:
        raise RuntimeError(
            "linalg.matrix_norm: The input tensor A must have at least 2 dimensions."
        )
    if ord not in _MATRIX_ORDERS:
        raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")
    if dtype is not None:
        A = A.to(dtype)
    rows, cols = _axes(dim, A.ndim)
    if ord == "fro":
        return vector_norm(A, 2, (rows, cols), keepdim)
    if ord in (1, -1, math.inf, -math.inf):
        # the largest (smallest) absolute column sum for 1, row sum for inf
        summed, kept = (rows, cols) if ord in (1, -1) else (cols, rows)
        extreme = amax if ord > 0 else amin
        if keepdim:
            return extreme(sum(abs(A), summed, True), kept, True)
        return extreme(sum(abs(A), summed), kept - (summed < kept))
    # the nuclear norm and the 2-norms read the singular values
    rest = [d for d in range(A.ndim) if d not in (rows, cols)]
    s = svdvals(permute(A, *rest, rows, cols))
    result = sum(s, -1) if ord == "nuc" else (amax if ord > 0 else amin)(s, -1)
    if keepdim:
        for d in sorted((rows, cols)):
            result = unsqueeze(result, d)
    return result


def norm(A, ord=None, dim=None, keepdim=False, *, dtype=None):
    if dim is not None:
        dims = (dim,) if isinstance(dim, int) else tuple(dim)
        if len(dims) == 2:
            return matrix_norm(A, "fro" if ord is None else ord, dims, keepdim, dtype=dtype)
        if len(dims) != 1:
            raise RuntimeError(
                f"linalg.norm: If dim is specified, it must be of length 1 or 2. Got {list(dims)}"
            )
        return vector_norm(A, 2 if ord is None else ord, dims, keepdim, dtype=dtype)
    if ord is None:
        return vector_norm(A, 2, None, keepdim, dtype=dtype)
    if isinstance(ord, str):
        return matrix_norm(A, ord, (-2, -1), keepdim, dtype=dtype)
    if A.ndim not in (1, 2):
        raise RuntimeError(
            "linalg.norm: If dim is not specified but ord is, the input must be 1D or 2D. "
            f"Got {A.ndim}D."
        )
    if A.ndim == 1:
        return vector_norm(A, ord, None, keepdim, dtype=dtype)
    return matrix_norm(A, ord, (-2, -1), keepdim, dtype=dtype)


# ----- PyTorch's top-level and Tensor spellings --------------------------------------------


def inverse(input):
    return inv(input)


def logdet(input):
    sign, logabs = slogdet(input)
    return where(sign < 0, math.nan, logabs)


def torch_slogdet(input):
    return slogdet_result(*slogdet(input))


_OLD_CHOLESKY = renamed(D.cholesky, "CholeskyBackward0")


def torch_cholesky(input, upper=False):
    warnings.warn(
        "torch.cholesky is deprecated in favor of torch.linalg.cholesky and will be removed in a "
        "future PyTorch release.",
        UserWarning,
        stacklevel=2,
    )
    _check_matrix("linalg.cholesky", input)
    return _factor("linalg.cholesky", _OLD_CHOLESKY, input, upper)


def torch_qr(input, some=True):
    return qr_result(*qr(input, "reduced" if some else "complete"))


def torch_svd(input, some=True, compute_uv=True):
    U, S, Vh = svd(input, full_matrices=not some)
    if not compute_uv:  # PyTorch returns zero-filled U and V then
        return svd_result(U.detach() * 0, S, Vh.mT.detach() * 0)
    return svd_result(U, S, Vh.mT)


def pinverse(input, rcond=1e-15):
    return pinv(input, rtol=rcond)


# ----- out= ----------------------------------------------------------------------------------
# PyTorch's linalg wants ``out`` in exactly the result's dtype, with a few exceptions in wording or
# rule; out_argument.py writes the result, as for every other op.


def _norm_out(function):
    def check(name, result, out, *args, **kwargs):
        if result.dtype != out.dtype:
            raise RuntimeError(
                f"{function} expected out tensor dtype {_type_name(result, True)} but got: "
                f"{_type_name(out, True)}"
            )

    return check


def _multi_dot_out(name, result, out, *args, **kwargs):
    if result.dtype != out.dtype:
        raise RuntimeError(
            f"multi_dot(): expected out tensor to have dtype {CPP_TYPE_NAMES[result.dtype.name]} "
            f"but got {CPP_TYPE_NAMES[out.dtype.name]}"
        )


def _matrix_power_out(name, result, out, A, n, *args, **kwargs):
    """Castable when PyTorch copies (n = 0 or 1), the same dtype when it multiplies."""
    castable_for("matrix_power")(name, result, out)
    if n not in (0, 1):
        same_dtype(name, result, out)


_OUT_CHECKS = dict(
    inv=same_dtype,
    det=same_dtype,
    slogdet=same_dtype,
    solve=same_dtype,
    cholesky=same_dtype,
    qr=same_dtype,
    eigh=same_dtype,
    eigvalsh=same_dtype,
    svd=same_dtype,
    svdvals=same_dtype,
    pinv=castable_for("linalg.pinv"),
    matrix_rank=castable_for("torch.linalg.matrix_rank"),
    matrix_power=_matrix_power_out,
    cross=same_dtype,
    multi_dot=_multi_dot_out,
    vector_norm=same_dtype,
    matrix_norm=_norm_out("linalg.matrix_norm"),
    norm=_norm_out("linalg.norm"),
    matmul=same_dtype,
)
for _name, _check in _OUT_CHECKS.items():
    globals()[_name] = accepting_out(f"linalg_{_name}", globals()[_name], _check)

# name in ember: the function, with PyTorch's out= where it has one
TOP_LEVEL = dict(
    det=det.__wrapped__,
    inverse=accepting_out("inverse", inverse, same_dtype),
    logdet=logdet,
    slogdet=accepting_out("slogdet", torch_slogdet, same_dtype),
    cholesky=accepting_out("cholesky", torch_cholesky, castable_for("cholesky")),
    qr=accepting_out("qr", torch_qr, same_dtype),
    svd=accepting_out("svd", torch_svd, same_dtype),
    pinverse=pinverse,
    matrix_power=accepting_out("matrix_power", matrix_power.__wrapped__, _matrix_power_out),
)

# Tensor methods take no out=.
for _name, _function in TOP_LEVEL.items():
    setattr(Tensor, _name, getattr(_function, "__wrapped__", _function))

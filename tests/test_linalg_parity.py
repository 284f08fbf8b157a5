"""Linear algebra compared with PyTorch: tensordot, kron, cross, inner, baddbmm/addbmm,
chain_matmul/multi_dot, the ``linalg`` namespace (norms, det, slogdet, inv, solve, cholesky, qr,
eigh, svd, pinv, matrix_rank, matrix_power, diagonal) and quantile/nanquantile. Each case runs in
both libraries from the same NumPy arrays (values, dtypes, gradients, grad_fn names, errors) and
passes ember's float64 gradcheck; the VJPs written against xp also give PyTorch's second order."""

import warnings

import numpy as np
import pytest
import torch
from conftest import check_gradcheck, random_array, rng_for, run_both

import ember

LIBS = (ember, torch)
rng = rng_for(7)
A33 = random_array(rng, (3, 3))
B33 = random_array(rng, (3, 3))
A23 = random_array(rng, (2, 3))
A34 = random_array(rng, (3, 4))
A43 = random_array(rng, (4, 3))
V3 = random_array(rng, (3,))
W3 = random_array(rng, (3,))
BATCH = random_array(rng, (2, 3, 3))
BATCH2 = random_array(rng, (2, 3, 2))
T234 = random_array(rng, (2, 3, 4))
T342 = random_array(rng, (3, 4, 2))
WELL = A33 + 4 * np.eye(3)  # well conditioned: stable inverses in gradcheck
WELL_BATCH = BATCH + 4 * np.eye(3)


def _spd(lib, x):
    """A symmetric positive-definite matrix made from x (both triangles depend on x)."""
    return x @ x.mT + 3 * lib.eye(x.shape[-1], dtype=x.dtype)


def _sym(lib, x):
    return x + x.mT


def _signs_fixed(v, lib):
    """Eigen/singular vectors up to sign: make each column's first entry positive."""
    return v * lib.sign(v[..., :1, :]).detach()


def _qr(lib, x):
    q, r = lib.linalg.qr(x)
    return q, r


def _eigh(lib, x, uplo="L"):
    values, vectors = lib.linalg.eigh(_sym(lib, x), UPLO=uplo)
    return values, _signs_fixed(vectors, lib)


def _svd(lib, x, full=False):
    u, s, vh = lib.linalg.svd(x, full_matrices=full)
    k = s.shape[-1]
    sign = lib.sign(u[..., :1, :k]).detach()
    return u[..., :k] * sign, s, vh[..., :k, :] * sign.mT


# name: (fn(lib, *tensors), arrays)
CASES = {
    "tensordot int": (lambda lib, a, b: lib.tensordot(a, b, dims=2), [T234, T342]),
    "tensordot 1": (lambda lib, a, b: lib.tensordot(a, b, 1), [A23, A34]),
    "tensordot 0": (lambda lib, a, b: lib.tensordot(a, b, dims=0), [V3, A23]),
    "tensordot lists": (lambda lib, a, b: lib.tensordot(a, b, ([1, 0], [0, 2])), [T234, T342]),
    "tensordot negative dims": (lambda lib, a, b: lib.tensordot(a, b, ([-1], [1])), [T234, T342]),
    "kron": (lambda lib, a, b: lib.kron(a, b), [A23, A33]),
    "kron of different ranks": (lambda lib, a, b: a.kron(b), [V3, BATCH]),
    "cross dim": (lambda lib, a, b: lib.cross(a, b, dim=1), [A33, B33]),
    "cross dim 0": (lambda lib, a, b: a.cross(b, 0), [A34, A34[::-1].copy()]),
    "linalg.cross": (lambda lib, a, b: lib.linalg.cross(a, b), [A23, A33[:1].copy()]),
    "linalg.cross dim": (lambda lib, a, b: lib.linalg.cross(a, b, dim=0), [A33, B33]),
    "inner": (lambda lib, a, b: lib.inner(a, b), [A23, A43]),
    "inner vectors": (lambda lib, a, b: a.inner(b), [V3, W3]),
    "inner with a scalar": (lambda lib, a, b: lib.inner(a, b), [A23, np.array(1.5)]),
    "baddbmm": (lambda lib, c, a, b: lib.baddbmm(c, a, b), [BATCH2, BATCH, BATCH2]),
    "baddbmm beta alpha broadcast": (
        lambda lib, c, a, b: c.baddbmm(a, b, beta=0.5, alpha=-2),
        [A33[0, :2].copy(), BATCH, BATCH2],
    ),
    "addbmm": (lambda lib, c, a, b: lib.addbmm(c, a, b), [A23.T.copy(), BATCH, BATCH2]),
    "addbmm beta alpha": (
        lambda lib, c, a, b: c.addbmm(a, b, beta=2, alpha=0.5),
        [V3[:2].copy(), BATCH, BATCH2],
    ),
    "multi_dot": (lambda lib, a, b, c: lib.linalg.multi_dot([a, b, c]), [A23, A34, A43]),
    "multi_dot two": (lambda lib, a, b: lib.linalg.multi_dot([a, b]), [A23, A34]),
    "multi_dot vectors": (lambda lib, a, b, c: lib.linalg.multi_dot([a, b, c]), [V3, A34, A43]),
    "multi_dot vector last": (lambda lib, a, b: lib.linalg.multi_dot([a, b]), [A23, V3]),
    "chain_matmul": (lambda lib, a, b, c: lib.chain_matmul(a, b, c), [A43, A34, A43]),
    "det": (lambda lib, a: lib.linalg.det(a), [A33]),
    "det batched": (lambda lib, a: lib.det(a), [BATCH]),
    "Tensor.det": (lambda lib, a: a.det(), [A33]),
    "slogdet": (lambda lib, a: lib.linalg.slogdet(a), [A33]),
    "slogdet batched": (lambda lib, a: lib.slogdet(a), [BATCH]),
    "logdet": (lambda lib, a: lib.logdet(_spd(lib, a)), [A33]),
    "inv": (lambda lib, a: lib.linalg.inv(a), [WELL]),
    "inv batched": (lambda lib, a: lib.linalg.inv(a), [WELL_BATCH]),
    "inverse": (lambda lib, a: lib.inverse(a), [WELL]),
    "Tensor.inverse": (lambda lib, a: a.inverse(), [WELL_BATCH]),
    "solve": (lambda lib, a, b: lib.linalg.solve(a, b), [WELL, A34]),
    "solve vector": (lambda lib, a, b: lib.linalg.solve(a, b), [WELL, V3]),
    "solve batched vectors": (
        lambda lib, a, b: lib.linalg.solve(a, b),
        [WELL_BATCH, A23],
    ),
    "solve broadcast": (lambda lib, a, b: lib.linalg.solve(a, b), [WELL_BATCH, A34]),
    "solve broadcast A": (lambda lib, a, b: lib.linalg.solve(a, b), [WELL, BATCH2]),
    "solve left=False": (lambda lib, a, b: lib.linalg.solve(a, b, left=False), [WELL, A43]),
    "cholesky": (lambda lib, a: lib.linalg.cholesky(_spd(lib, a)), [A33]),
    "cholesky batched upper": (
        lambda lib, a: lib.linalg.cholesky(_spd(lib, a), upper=True),
        [BATCH],
    ),
    "torch.cholesky": (lambda lib, a: lib.cholesky(_spd(lib, a)), [A33]),
    "qr square": (_qr, [A33]),
    "qr tall": (_qr, [A43]),
    "qr batched": (_qr, [BATCH2]),
    "qr complete square": (lambda lib, a: lib.linalg.qr(a, mode="complete"), [A33]),
    "eigh": (_eigh, [A33]),
    "eigh upper": (lambda lib, a: _eigh(lib, a, "U"), [A34[:, :3].copy()]),
    "eigh batched": (_eigh, [BATCH]),
    "eigvalsh": (lambda lib, a: lib.linalg.eigvalsh(_sym(lib, a)), [A33]),
    "svd": (_svd, [A33]),
    "svd tall": (_svd, [A43]),
    "svd wide batched": (_svd, [T234]),
    "svd full_matrices": (lambda lib, a: _svd(lib, a, full=True), [A43]),
    "svd full wide": (lambda lib, a: _svd(lib, a, full=True), [A23]),
    "svdvals": (lambda lib, a: lib.linalg.svdvals(a), [A43]),
    "svdvals batched": (lambda lib, a: lib.linalg.svdvals(a), [T234]),
    "pinv": (lambda lib, a: lib.linalg.pinv(a), [A43]),
    "pinv wide batched": (lambda lib, a: lib.linalg.pinv(a), [T234]),
    "pinverse": (lambda lib, a: a.pinverse(), [A33]),
    "matrix_power 3": (lambda lib, a: lib.linalg.matrix_power(a, 3), [A33]),
    "matrix_power 6 batched": (lambda lib, a: lib.linalg.matrix_power(a, 6), [BATCH]),
    "matrix_power -2": (lambda lib, a: lib.matrix_power(a, -2), [WELL]),
    "matrix_power 1": (lambda lib, a: a.matrix_power(1), [A33]),
    "matrix_power 0": (lambda lib, a: lib.linalg.matrix_power(a, 0), [A33]),
    "linalg.diagonal": (lambda lib, a: lib.linalg.diagonal(a), [BATCH]),
    "diagonal offset": (lambda lib, a: lib.diagonal(a, 1), [A34]),
    "diagonal negative offset dims": (lambda lib, a: a.diagonal(-1, 2, 0), [T234]),
    "vector_norm": (lambda lib, a: lib.linalg.vector_norm(a), [T234]),
    "vector_norm ord dim": (lambda lib, a: lib.linalg.vector_norm(a, 3, (0, 2), True), [T234]),
    "vector_norm inf": (lambda lib, a: lib.linalg.vector_norm(a, float("inf"), 1), [A34]),
    "vector_norm 1": (lambda lib, a: lib.linalg.vector_norm(a, 1), [A34]),
    "matrix_norm fro": (lambda lib, a: lib.linalg.matrix_norm(a), [BATCH]),
    "matrix_norm nuc": (lambda lib, a: lib.linalg.matrix_norm(a, "nuc"), [A43]),
    "matrix_norm nuc keepdim dims": (
        lambda lib, a: lib.linalg.matrix_norm(a, "nuc", (0, 2), True),
        [T234],
    ),
    "matrix_norm 2": (lambda lib, a: lib.linalg.matrix_norm(a, 2), [BATCH]),
    "matrix_norm -2": (lambda lib, a: lib.linalg.matrix_norm(a, -2), [A43]),
    "matrix_norm 1": (lambda lib, a: lib.linalg.matrix_norm(a, 1), [A34]),
    "matrix_norm -1 keepdim": (lambda lib, a: lib.linalg.matrix_norm(a, -1, keepdim=True), [T234]),
    "matrix_norm inf": (lambda lib, a: lib.linalg.matrix_norm(a, float("inf")), [BATCH]),
    "matrix_norm -inf dims": (
        lambda lib, a: lib.linalg.matrix_norm(a, -float("inf"), (2, 0)),
        [T234],
    ),
    "norm": (lambda lib, a: lib.linalg.norm(a), [T234]),
    "norm ord vector": (lambda lib, a: lib.linalg.norm(a, 3), [V3]),
    "norm ord matrix": (lambda lib, a: lib.linalg.norm(a, 1), [A34]),
    "norm dim": (lambda lib, a: lib.linalg.norm(a, dim=1), [A34]),
    "norm dims nuc": (lambda lib, a: lib.linalg.norm(a, "nuc", dim=(1, 2)), [T234]),
    "quantile": (lambda lib, a: lib.quantile(a, 0.3), [A34]),
    "quantile dim": (lambda lib, a: a.quantile(0.75, dim=1), [A34]),
    "quantile q tensor keepdim": (
        lambda lib, a: lib.quantile(a, lib.tensor([0.1, 0.5, 1.0], dtype=a.dtype), 0, True),
        [A34],
    ),
    "quantile no dim keepdim": (lambda lib, a: lib.quantile(a, 0.4, keepdim=True), [T234]),
    "quantile lower": (lambda lib, a: lib.quantile(a, 0.3, 1, interpolation="lower"), [A34]),
    "quantile higher": (lambda lib, a: lib.quantile(a, 0.3, 1, interpolation="higher"), [A34]),
    "quantile midpoint": (lambda lib, a: lib.quantile(a, 0.3, 1, interpolation="midpoint"), [A34]),
    "quantile nearest": (lambda lib, a: lib.quantile(a, 0.5, 1, interpolation="nearest"), [A34]),
    "quantile of 0-d": (lambda lib, a: lib.quantile(a, 0.5, 0), [np.array(1.5)]),
    "quantile with NaN": (
        lambda lib, a: lib.quantile(a, 0.5, 1),
        [np.array([[1.0, np.nan, 3.0], [2.0, 0.0, 5.0]])],
    ),
    "nanquantile with NaN": (
        lambda lib, a: lib.nanquantile(a, lib.tensor([0.25, 0.6], dtype=a.dtype), 1),
        [np.array([[1.0, np.nan, 3.0], [np.nan] * 3, [2.0, 0.0, 5.0]])],
    ),
}
# Not differentiable by finite differences: flat or piecewise outputs, NaN.
NO_GRADCHECK = {
    "quantile with NaN",
    "nanquantile with NaN",
    "matrix_power 0",
}
# grad_fn names PyTorch gives that ember does not (composites built from other ops).
OTHER_NAMES = {name for name in CASES if name.startswith("quantile")} | {
    "nanquantile with NaN",
    "eigh",
    "eigh upper",
    "eigh batched",
    "svd",
    "svd tall",
    "svd wide batched",
    "svd full_matrices",
    "svd full wide",
    "matrix_norm nuc keepdim dims",  # PyTorch: PermuteBackward0 (it keeps dims by a permute)
    "matrix_power 6 batched",  # PyTorch's batched matmul: UnsafeViewBackward0
}
SECOND_ORDER = [
    "tensordot lists",
    "kron",
    "linalg.cross",
    "baddbmm beta alpha broadcast",
    "addbmm",
    "det",
    "slogdet",
    "inv batched",
    "solve broadcast",
    "solve vector",
    "solve left=False",
    "cholesky",
    "qr tall",
    "eigh",
    "svd tall",
    "svd wide batched",
    "pinv",
    "diagonal negative offset dims",
    "matrix_norm nuc",
    "quantile q tensor keepdim",
]


def _float32(arrays):
    return [a.astype(np.float32) if a.dtype.kind == "f" else a for a in arrays]


@pytest.mark.filterwarnings("ignore::UserWarning")  # chain_matmul and cholesky are deprecated
@pytest.mark.parametrize("name", list(CASES))
def test_matches_torch(name):
    fn, arrays = CASES[name]
    run_both(fn, arrays)
    run_both(fn, _float32(arrays), seed=1, rtol=2e-3, atol=2e-4)


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("name", sorted(set(CASES) - OTHER_NAMES))
def test_grad_fn_name_matches_torch(name):
    fn, arrays = CASES[name]
    names = []
    for lib in LIBS:
        out = fn(lib, *[lib.tensor(a, requires_grad=a.dtype.kind == "f") for a in arrays])
        outs = out if isinstance(out, tuple) else (out,)
        names.append([type(o.grad_fn).__name__ for o in outs])
    assert names[0] == names[1]


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("name", sorted(set(CASES) - NO_GRADCHECK))
def test_gradcheck(name):
    fn, arrays = CASES[name]
    check_gradcheck(fn, arrays)


@pytest.mark.parametrize("name", SECOND_ORDER)
def test_second_order_matches_torch(name):
    fn, arrays = CASES[name]
    run_both(fn, arrays, second_order=True)


def test_matrix_power_0_is_connected_with_zero_gradient():
    a = ember.tensor(A33, requires_grad=True)
    ember.linalg.matrix_power(a, 0).sum().backward()
    assert type(a.grad).__name__ == "Tensor" and not a.grad.numpy().any()


def test_qr_of_a_wide_matrix_values_match_torch():
    run_both(_qr, [A34], grad=False)


def test_qr_mode_r_gives_r_and_no_derivative():
    run_both(lambda lib, a: lib.linalg.qr(a, mode="r"), [A43], grad=False)
    for lib in LIBS:
        r = lib.linalg.qr(lib.tensor(A43, requires_grad=True), mode="r").R
        with pytest.raises(RuntimeError, match="not computed when mode='r'"):
            r.sum().backward()


def test_return_types_name_their_fields():
    a = ember.tensor(A33)
    assert ember.linalg.slogdet(a)._fields == ("sign", "logabsdet")
    assert ember.slogdet(a)._fields == ("sign", "logabsdet")
    assert ember.linalg.qr(a)._fields == ("Q", "R")
    assert ember.linalg.eigh(a)._fields == ("eigenvalues", "eigenvectors")
    assert ember.linalg.svd(a)._fields == ("U", "S", "Vh")
    assert ember.svd(a)._fields == ("U", "S", "V")


def test_torch_svd_returns_v():
    run_both(lambda lib, a: lib.svd(a)[1], [A43])
    e, t = ember.svd(ember.tensor(A43)), torch.svd(torch.tensor(A43))
    np.testing.assert_allclose(
        np.abs(e.V.numpy()), np.abs(t.V.numpy()), rtol=1e-7, atol=1e-9, err_msg="V"
    )


INTEGER_VALUE_CASES = {
    "matrix_rank": lambda lib: lib.linalg.matrix_rank(lib.tensor(A34)),
    "matrix_rank deficient": lambda lib: lib.linalg.matrix_rank(
        lib.tensor(np.outer(V3, W3)), atol=1e-8
    ),
    "matrix_rank batched rtol": lambda lib: lib.linalg.matrix_rank(lib.tensor(T234), rtol=0.5),
    "matrix_rank hermitian": lambda lib: lib.linalg.matrix_rank(
        lib.tensor(A33 + A33.T), hermitian=True
    ),
    "matrix_power of integers": lambda lib: lib.linalg.matrix_power(
        lib.tensor([[1, 2], [3, 4]]), 3
    ),
    "kron of integers and floats": lambda lib: lib.kron(
        lib.tensor([1, 2]), lib.tensor([[1.5, 2.0]])
    ),
}


@pytest.mark.parametrize("name", list(INTEGER_VALUE_CASES))
def test_values_match_torch(name):
    run_both(lambda lib: INTEGER_VALUE_CASES[name](lib), [], grad=False)


# ----- errors --------------------------------------------------------------------------------

F23 = np.ones((2, 3), np.float32)
F33 = np.eye(3, dtype=np.float32)
L33 = np.ones((3, 3), np.int64)
ERRORS = {
    "inv of a non-square": lambda lib: lib.linalg.inv(lib.tensor(F23)),
    "inv of integers": lambda lib: lib.linalg.inv(lib.tensor(L33)),
    "inv of a vector": lambda lib: lib.linalg.inv(lib.tensor(F33[0])),
    "inv of half": lambda lib: lib.linalg.inv(lib.tensor(F33).half()),
    "det of a non-square": lambda lib: lib.linalg.det(lib.tensor(F23)),
    "det of integers": lambda lib: lib.det(lib.tensor(L33)),
    "slogdet of a non-square": lambda lib: lib.linalg.slogdet(lib.tensor(F23)),
    "solve with mismatched shapes": lambda lib: lib.linalg.solve(
        lib.tensor(F33), lib.tensor(F33[:2, 0])
    ),
    "solve with mixed dtypes": lambda lib: lib.linalg.solve(
        lib.tensor(F33), lib.tensor(F33).double()
    ),
    "cholesky of a non-square": lambda lib: lib.linalg.cholesky(lib.tensor(F23)),
    "cholesky of integers": lambda lib: lib.linalg.cholesky(lib.tensor(L33)),
    "eigh of a non-square": lambda lib: lib.linalg.eigh(lib.tensor(F23)),
    "qr of a vector": lambda lib: lib.linalg.qr(lib.tensor(F33[0])),
    "qr of integers": lambda lib: lib.linalg.qr(lib.tensor(L33)),
    "svd of a vector": lambda lib: lib.linalg.svd(lib.tensor(F33[0])),
    "svd of integers": lambda lib: lib.linalg.svd(lib.tensor(L33)),
    "pinv of integers": lambda lib: lib.linalg.pinv(lib.tensor(L33)),
    "matrix_power of a non-square": lambda lib: lib.linalg.matrix_power(lib.tensor(F23), 2),
    "matrix_power -1 of integers": lambda lib: lib.linalg.matrix_power(lib.tensor(L33), -1),
    "tensordot mismatched": lambda lib: lib.tensordot(lib.tensor(F23), lib.tensor(F23), 1),
    "tensordot mismatched lists": lambda lib: lib.tensordot(
        lib.tensor(F23), lib.tensor(F23), ([0], [1])
    ),
    "tensordot dtypes": lambda lib: lib.tensordot(
        lib.tensor(F23), lib.tensor(F33).double(), dims=1
    ),
    "tensordot too many dims": lambda lib: lib.tensordot(lib.tensor(F23), lib.tensor(F23), 3),
    "tensordot negative dims": lambda lib: lib.tensordot(lib.tensor(F23), lib.tensor(F23), -1),
    "tensordot list lengths": lambda lib: lib.tensordot(
        lib.tensor(F23), lib.tensor(F23), ([0], [0, 1])
    ),
    "cross length": lambda lib: lib.linalg.cross(lib.tensor(F23.T), lib.tensor(F23.T)),
    "cross broadcast": lambda lib: lib.linalg.cross(lib.tensor(F23), lib.tensor(F33)),
    "inner mismatched": lambda lib: lib.inner(lib.tensor(F23), lib.tensor(F33[:2, :2])),
    "baddbmm input shape": lambda lib: lib.baddbmm(
        lib.ones(1, 2, 2), lib.ones(1, 2, 3), lib.ones(1, 2, 3)
    ),
    "addbmm batches": lambda lib: lib.addbmm(lib.ones(2, 2), lib.ones(1, 2, 3), lib.ones(2, 3, 2)),
    "addbmm input shape": lambda lib: lib.addbmm(
        lib.ones(3, 3), lib.ones(2, 2, 3), lib.ones(2, 3, 3)
    ),
    "multi_dot one tensor": lambda lib: lib.linalg.multi_dot([lib.tensor(F23)]),
    "multi_dot 3-D first": lambda lib: lib.linalg.multi_dot([lib.ones(1, 2, 3), lib.ones(3, 2)]),
    "multi_dot vector inside": lambda lib: lib.linalg.multi_dot(
        [lib.ones(2, 3), lib.ones(3), lib.ones(2, 3)]
    ),
    "multi_dot shapes": lambda lib: lib.linalg.multi_dot([lib.ones(2, 3), lib.ones(2, 3)]),
    "multi_dot dtypes": lambda lib: lib.linalg.multi_dot(
        [lib.ones(2, 3), lib.ones(3, 2, dtype=lib.float64)]
    ),
    "quantile q out of range": lambda lib: lib.quantile(lib.tensor(F23), 1.5),
    "quantile 2-D q": lambda lib: lib.quantile(lib.tensor(F23), lib.tensor([[0.5]])),
    "quantile of integers": lambda lib: lib.quantile(lib.tensor(L33), 0.5),
    "quantile interpolation": lambda lib: lib.quantile(lib.tensor(F23), 0.5, interpolation="foo"),
    "quantile q dtype": lambda lib: lib.quantile(
        lib.tensor(F23), lib.tensor([0.5], dtype=lib.float64)
    ),
    "nanquantile q tensor out of range": lambda lib: lib.nanquantile(
        lib.tensor(F23), lib.tensor([0.5, -0.5])
    ),
    "matrix_norm of a vector": lambda lib: lib.linalg.matrix_norm(lib.tensor(F33[0])),
    "matrix_norm order": lambda lib: lib.linalg.matrix_norm(lib.tensor(F23), 3),
    "norm ord of 3-D": lambda lib: lib.linalg.norm(lib.ones(1, 2, 3), 2),
    "norm fro of a vector": lambda lib: lib.linalg.norm(lib.tensor(F33[0]), "fro"),
    "vector_norm of integers": lambda lib: lib.linalg.vector_norm(lib.tensor(L33)),
    "vector_norm str ord": lambda lib: lib.linalg.vector_norm(lib.tensor(F23), "fro"),
    "cholesky not positive-definite": lambda lib: lib.linalg.cholesky(-lib.eye(3)),
    "eigh UPLO": lambda lib: lib.linalg.eigh(lib.eye(3), UPLO="X"),
}


@pytest.mark.parametrize("name", list(ERRORS))
def test_errors_match_torch(name):
    caught = []
    for lib in LIBS:
        with pytest.raises(Exception) as info:  # noqa: PT011 (the types are compared below)
            ERRORS[name](lib)
        caught.append(info.value)
    e, t = caught
    assert type(e).__name__ == type(t).__name__.lstrip("_")  # torch's LinAlgError is _LinAlgError
    assert str(e).split("\n")[0] == str(t).split("\n")[0]


def test_singular_inverse_raises_linalg_error():
    for lib in LIBS:
        with pytest.raises(lib.linalg.LinAlgError, match="singular"):
            lib.linalg.inv(lib.zeros(3, 3))


def test_chain_matmul_warns_as_deprecated():
    with pytest.warns(UserWarning, match="chain_matmul is deprecated"):
        ember.chain_matmul(ember.ones(2, 2), ember.ones(2, 2))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ember.linalg.multi_dot([ember.ones(2, 2), ember.ones(2, 2)])

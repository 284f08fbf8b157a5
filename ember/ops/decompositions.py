"""Inverse, determinant, solve and the factorizations (Cholesky, QR, eigh, SVD), on stacks of
matrices ``(..., m, n)``.

Each output of a factorization is an op of its own (Q and R; eigenvalues and eigenvectors): a VJP
is linear in the output gradients, so the gradient of both is the sum of the two VJPs. A VJP that
needs another output recomputes it with ``xp.apply``, which records it under
``create_graph=True``: every formula here is then differentiable again. The formulas are
PyTorch's (FunctionsManual.cpp); they hold for invertible matrices and distinct eigenvalues or
singular values, and give inf/NaN otherwise, as there.
"""

import numpy

from .op import Op, unbroadcast


def _mT(xp, a):
    return xp.swapaxes(a, -1, -2)


def _eye(n):
    return numpy.eye(n, dtype=bool)


def _diag_embed(xp, v):
    """A stack of diagonal matrices with ``v`` on the diagonal."""
    return xp.where(_eye(v.shape[-1]), xp.expand_dims(v, -1), 0)


def _diagonal(xp, a):
    return xp.sum(xp.where(_eye(a.shape[-1]), a, 0), axis=-1)


def _tril(xp, a, k=0):
    return xp.where(numpy.tri(*a.shape[-2:], k, dtype=bool), a, 0)


# ----- inverse, determinant ----------------------------------------------------------------


def _inv_vjp(xp, g, a, out):
    t = _mT(xp, out)
    return -xp.matmul(t, xp.matmul(g, t))


inv = Op(
    "LinalgInvExBackward0",
    numpy.linalg.inv,
    (_inv_vjp,),
    "grad_a = -inv^T @ grad @ inv^T",
    saves="out",
)


def _inv_t(xp, a):
    return _mT(xp, xp.apply(inv, a))


def _det_vjp(xp, g, a, out):
    # d det(A) = det(A) tr(A^-1 dA). A singular matrix gives inf/NaN (PyTorch goes through its
    # SVD there): not done here.
    return xp.expand_dims(xp.expand_dims(g * out, -1), -1) * _inv_t(xp, a)


det = Op(
    "LinalgDetBackward0",
    numpy.linalg.det,
    (_det_vjp,),
    "grad_a = grad * det * inv(a)^T",
    saves="args+out",
)


def _logabsdet_vjp(xp, g, a, out):
    return xp.expand_dims(xp.expand_dims(g, -1), -1) * _inv_t(xp, a)


# slogdet's two outputs; the sign is flat (PyTorch still records it, with a zero gradient).
logabsdet = Op(
    "LinalgSlogdetBackward0",
    lambda a: numpy.linalg.slogdet(a)[1],
    (_logabsdet_vjp,),
    "grad_a = grad * inv(a)^T",
)
slogdet_sign = Op(
    "LinalgSlogdetBackward0",
    lambda a: numpy.linalg.slogdet(a)[0],
    (lambda xp, g, a, out: xp.zeros_like(a),),
    "grad_a = 0",
)

# ----- solve ---------------------------------------------------------------------------------


def _solve(a, b, vector, left):
    """X with A X = B (``left``) or X A = B; ``vector``: B is a stack of vectors."""
    if not left:
        return numpy.swapaxes(
            numpy.linalg.solve(numpy.swapaxes(a, -1, -2), numpy.swapaxes(b, -1, -2)), -1, -2
        )
    if vector:
        return numpy.linalg.solve(a, b[..., None])[..., 0]
    return numpy.linalg.solve(a, b)


def _solve_transposed(xp, a, g, vector, left):
    # X = A^-1 B: grad_B = A^-T grad. (X = B A^-1: grad_B = grad A^-T.)
    return xp.apply(solve, _mT(xp, a), g, vector, left)


def _solve_vjp_b(xp, g, a, b, vector, left, out):
    return unbroadcast(xp, _solve_transposed(xp, a, g, vector, left), b.shape)


def _solve_vjp_a(xp, g, a, b, vector, left, out):
    # grad_A = -grad_B X^T (left) or -X^T grad_B (right).
    grad_b = _solve_transposed(xp, a, g, vector, left)
    if vector:
        grad = -xp.expand_dims(grad_b, -1) * xp.expand_dims(out, -2)
    elif left:
        grad = -xp.matmul(grad_b, _mT(xp, out))
    else:
        grad = -xp.matmul(_mT(xp, out), grad_b)
    return unbroadcast(xp, grad, a.shape)


solve = Op(
    "LinalgSolveExBackward0",
    _solve,
    (_solve_vjp_a, _solve_vjp_b),
    ("grad_a = -grad_b @ x^T", "grad_b = solve(a^T, grad)"),
    saves="args+out",
)

# ----- Cholesky ------------------------------------------------------------------------------


def _cholesky(a, upper):
    low = numpy.linalg.cholesky(a)
    return numpy.swapaxes(low, -1, -2) if upper else low


def _cholesky_vjp(xp, g, a, upper, out):
    low, g = (_mT(xp, out), _mT(xp, g)) if upper else (out, g)
    # A = L L^T: grad_A = L^-T Phi(L^T grad) L^-1, Phi keeping the lower triangle with half the
    # diagonal, mirrored as PyTorch does.
    t = _tril(xp, xp.matmul(_mT(xp, low), g))
    t = 0.5 * (t + _mT(xp, _tril(xp, t, -1)))
    low_inv = xp.apply(inv, low)
    return xp.matmul(_mT(xp, low_inv), xp.matmul(t, low_inv))


cholesky = Op(
    "LinalgCholeskyExBackward0",
    _cholesky,
    (_cholesky_vjp,),
    "grad_a = L^-T Phi(L^T grad) L^-1",
    saves="args+out",
)

# ----- QR ------------------------------------------------------------------------------------


def _qr_q(a, mode):
    return numpy.linalg.qr(a, mode)[0]


def _qr_r(a, mode):
    return numpy.linalg.qr(a, "r") if mode == "r" else numpy.linalg.qr(a, mode)[1]


def _qr_grad(xp, a, mode, grad_q, grad_r):
    # A = QR with m >= n: grad_A = (grad_Q + Q copyltu(M)) R^-T, M = R grad_R^T - grad_Q^T Q,
    # where copyltu mirrors the lower triangle onto the upper.
    q, r = xp.apply(qr_q, a, "reduced"), xp.apply(qr_r, a, "reduced")
    m = xp.matmul(r, _mT(xp, grad_r)) if grad_q is None else -xp.matmul(_mT(xp, grad_q), q)
    m = _tril(xp, m) + _mT(xp, _tril(xp, m, -1))
    grad = xp.matmul(q, m)
    if grad_q is not None:
        grad = grad + grad_q
    return xp.matmul(grad, _mT(xp, xp.apply(inv, r)))


def _check_qr_backward(a, mode):
    m, n = a.shape[-2:]
    if mode == "r":
        raise RuntimeError(
            "The derivative of linalg.qr depends on Q, which is not computed when mode='r'. "
            "Please use linalg.qr(A, mode='reduced') if you are going to differentiate through "
            "linalg.qr."
        )
    if mode == "complete" and m > n:
        raise RuntimeError(
            "The QR decomposition is not differentiable when mode='complete' and nrows > ncols."
        )
    if m < n:  # PyTorch has this case (QR of the leading square block); ember does not yet
        raise NotImplementedError("linalg.qr: the derivative for wide matrices (m < n)")


def _qr_q_vjp(xp, g, a, mode, out):
    _check_qr_backward(a, mode)
    return _qr_grad(xp, a, mode, g, None)


def _qr_r_vjp(xp, g, a, mode, out):
    _check_qr_backward(a, mode)
    return _qr_grad(xp, a, mode, None, g)


qr_q = Op(
    "LinalgQrBackward0", _qr_q, (_qr_q_vjp,), "grad_a = (grad_Q - Q copyltu(grad_Q^T Q)) R^-T"
)
qr_r = Op("LinalgQrBackward0", _qr_r, (_qr_r_vjp,), "grad_a = Q copyltu(R grad_R^T) R^-T")

# ----- eigh ----------------------------------------------------------------------------------


def _eigh_values(a, uplo):
    return numpy.linalg.eigh(a, uplo)[0]


def _eigh_vectors(a, uplo):
    return numpy.linalg.eigh(a, uplo)[1]


def _eigh_values_vjp(xp, g, a, uplo, out):
    v = xp.apply(eigh_vectors, a, uplo)
    return xp.matmul(v, xp.matmul(_diag_embed(xp, g), _mT(xp, v)))


def _gaps(xp, values):
    """E[i, j] = L[j] - L[i] off the diagonal, 1 on it."""
    gaps = xp.expand_dims(values, -2) - xp.expand_dims(values, -1)
    return xp.where(_eye(values.shape[-1]), 1, gaps)


def _eigh_vectors_vjp(xp, g, a, uplo, out):
    # grad_A = V (skew(V^T grad_V) / E) V^T, E[i, j] = L[j] - L[i] (distinct eigenvalues).
    vg = xp.matmul(_mT(xp, out), g)
    inner = 0.5 * (vg - _mT(xp, vg)) / _gaps(xp, xp.apply(eigh_values, a, uplo))
    return xp.matmul(out, xp.matmul(inner, _mT(xp, out)))


eigh_values = Op(
    "LinalgEighBackward0", _eigh_values, (_eigh_values_vjp,), "grad_a = V diag(grad) V^T"
)
eigh_vectors = Op(
    "LinalgEighBackward0",
    _eigh_vectors,
    (_eigh_vectors_vjp,),
    "grad_a = V (skew(V^T grad) / (L_j - L_i)) V^T",
    saves="args+out",
)

# ----- SVD -----------------------------------------------------------------------------------


def _svd_u(a, full):
    return numpy.linalg.svd(a, full_matrices=full)[0]


def _svd_s(a, full):
    return numpy.linalg.svd(a, compute_uv=False)


def _svd_vh(a, full):
    return numpy.linalg.svd(a, full_matrices=full)[2]


def _reduced(xp, a):
    return (xp.apply(svd_u, a, False), xp.apply(svd_s, a, False), xp.apply(svd_vh, a, False))


def _svd_s_vjp(xp, g, a, full, out):
    u, _, vh = _reduced(xp, a)
    return xp.matmul(u * xp.expand_dims(g, -2), vh)


def _skew_over_gaps(xp, x, s):
    # skew(X) / E with E[j, k] = s_k^2 - s_j^2 (distinct singular values)
    return (x - _mT(xp, x)) / _gaps(xp, s * s)


def _svd_u_vjp(xp, g, a, full, out):
    # grad_A = U (skew(U^T grad_U) / E) S V^T + (I - U U^T) grad_U S^-1 V^T. With
    # full_matrices, the extra columns of U are arbitrary: their gradient is dropped.
    u, s, vh = _reduced(xp, a)
    k = s.shape[-1]
    if g.shape[-1] != k:
        g = g[..., :k]
    ug = xp.matmul(_mT(xp, u), g)
    grad = xp.matmul(u, _skew_over_gaps(xp, ug, s) * xp.expand_dims(s, -2))
    if a.shape[-2] > k:
        grad = grad + (g - xp.matmul(u, ug)) / xp.expand_dims(s, -2)
    return xp.matmul(grad, vh)


def _svd_vh_vjp(xp, g, a, full, out):
    # grad_A = U S (skew(V^T grad_V) / E) V^T + U S^-1 grad_V^T (I - V V^T), grad_V = grad^T.
    u, s, vh = _reduced(xp, a)
    k = s.shape[-1]
    if g.shape[-2] != k:
        g = g[..., :k, :]
    vg = xp.matmul(vh, _mT(xp, g))  # V^T grad_V
    grad = xp.matmul(xp.expand_dims(s, -1) * _skew_over_gaps(xp, vg, s), vh)
    if a.shape[-1] > k:
        grad = grad + (g - xp.matmul(_mT(xp, vg), vh)) / xp.expand_dims(s, -1)
    return xp.matmul(u, grad)


svd_u = Op("LinalgSvdBackward0", _svd_u, (_svd_u_vjp,), "grad_a = U (skew(U^T grad)/E) S V^T + ...")
svd_s = Op("LinalgSvdBackward0", _svd_s, (_svd_s_vjp,), "grad_a = U diag(grad) V^T")
svd_vh = Op(
    "LinalgSvdBackward0", _svd_vh, (_svd_vh_vjp,), "grad_a = U S (skew(V^T grad_V)/E) V^T + ..."
)

# ----- pseudo-inverse ------------------------------------------------------------------------


def _pinv(a, atol, rtol):
    u, s, vh = numpy.linalg.svd(a, full_matrices=False)
    largest = s[..., :1] if s.shape[-1] else s
    cutoff = numpy.maximum(atol, rtol * largest)
    kept = s > cutoff
    s_inv = numpy.where(kept, 1 / numpy.where(kept, s, 1), 0)
    return numpy.matmul(numpy.swapaxes(vh, -1, -2) * s_inv[..., None, :], numpy.swapaxes(u, -1, -2))


def _pinv_vjp(xp, g, a, atol, rtol, out):
    # P = pinv(A) of full rank: grad_A = -P^T g P^T + (I - A P) g^T P P^T + P^T P g^T (I - P A).
    p_t, g_t = _mT(xp, out), _mT(xp, g)
    grad = -xp.matmul(p_t, xp.matmul(g, p_t))
    left = g_t - xp.matmul(a, xp.matmul(out, g_t))
    right = g_t - xp.matmul(xp.matmul(g_t, out), a)
    return grad + xp.matmul(left, xp.matmul(out, p_t)) + xp.matmul(xp.matmul(p_t, out), right)


pinv = Op(
    "LinalgPinvBackward0",
    _pinv,
    (_pinv_vjp,),
    "grad_a = -P^T grad P^T + (I - A P) grad^T P P^T + P^T P grad^T (I - P A)",
    saves="args+out",
)

"""Matrix products: matmul (and its 2-D/batched/vector spellings), addmm/addmv/addr, outer, einsum.

For ``out = a @ b`` the chain rule gives ``grad_a = grad @ b^T`` and ``grad_b = a^T @ grad``
(seed 002's
``inp.g = out.g @ w.t()``). Vectors are treated as a row (for ``a``) or a column (for ``b``), and
batch dimensions that were broadcast are summed back.
"""

import numpy

from .op import Op, unbroadcast


def _matmul_vjp_a(xp, g, a, b, out):
    if b.ndim == 1:
        if a.ndim == 1:
            return g * b
        return unbroadcast(xp, xp.expand_dims(g, -1) * b, a.shape)
    if a.ndim == 1:  # a is a row vector: (1, k) @ (..., k, n)
        return unbroadcast(xp, xp.matmul(xp.expand_dims(g, -2), xp.swapaxes(b, -1, -2)), a.shape)
    return unbroadcast(xp, xp.matmul(g, xp.swapaxes(b, -1, -2)), a.shape)


def _matmul_vjp_b(xp, g, a, b, out):
    if a.ndim == 1:
        if b.ndim == 1:
            return g * a
        return unbroadcast(xp, xp.expand_dims(a, -1) * xp.expand_dims(g, -2), b.shape)
    if b.ndim == 1:  # b is a column vector: (..., m, k) @ (k, 1)
        return unbroadcast(
            xp, xp.sum(xp.swapaxes(a, -1, -2) * xp.expand_dims(g, -2), axis=-1), b.shape
        )
    return unbroadcast(xp, xp.matmul(xp.swapaxes(a, -1, -2), g), b.shape)


# Each factor's gradient reads only the other factor (PyTorch saves a only if b needs a gradient).
_CROSSED = ((1,), (0,))


def _product(name):
    return Op(
        name,
        numpy.matmul,
        (_matmul_vjp_a, _matmul_vjp_b),
        ("grad_a = grad @ b^T", "grad_b = a^T @ grad"),
        reads=_CROSSED,
    )


matmul = _product("MatmulBackward0")
# Two matrices exactly (the caller checks): seed 002's two products, with nothing to broadcast.
mm = Op(
    "MmBackward0",
    numpy.matmul,
    (lambda xp, g, a, b, out: g @ b.T, lambda xp, g, a, b, out: a.T @ g),
    ("grad_a = grad @ b^T", "grad_b = a^T @ grad"),
    reads=_CROSSED,
)
bmm = _product("BmmBackward0")
mv = _product("MvBackward0")
dot = _product("DotBackward0")


def _addmm(c, a, b, beta, alpha):
    return _scaled_sum(c, numpy.matmul(a, b), beta, alpha)


def _addbmm(c, a, b, beta, alpha):
    return _scaled_sum(c, numpy.matmul(a, b).sum(0), beta, alpha)


def _scaled_sum(c, product, beta, alpha):
    # PyTorch ignores c entirely when beta == 0, and the product when alpha == 0 (so NaNs in
    # them do not leak through).
    if alpha == 0:
        product[...] = 0
    elif alpha != 1:
        product *= alpha
    if beta == 0:
        return product
    return product + (c if beta == 1 else c * beta)


def _scaled(vjp, factor_index):
    def scaled(xp, g, *args):
        grad = vjp(xp, g, *args[1:3], None)
        factor = args[factor_index]
        return grad if factor == 1 else grad * factor

    return scaled


def _c_vjp(xp, g, c, a, b, beta, alpha, out):
    return unbroadcast(xp, g if beta == 1 else g * beta, c.shape)


def _add_product(name, forward=_addmm):
    # out = beta * c + alpha * (a @ b): addmm (matrices), addmv (matrix @ vector), baddbmm
    # (batches); addbmm sums the batch of products (its VJPs broadcast grad over the batch).
    return Op(
        name,
        forward,
        (_c_vjp, _scaled(_matmul_vjp_a, 4), _scaled(_matmul_vjp_b, 4)),
        ("grad_c = beta * grad", "grad_a = alpha * grad @ b^T", "grad_b = alpha * a^T @ grad"),
        reads=((), (2,), (1,)),
    )


addmm = _add_product("AddmmBackward0")
addmv = _add_product("AddmvBackward0")
baddbmm = _add_product("BaddbmmBackward0")
addbmm = _add_product("AddbmmBackward0", _addbmm)


def _outer_vjp_a(xp, g, a, b, out):
    return xp.matmul(g, b)


def _outer_vjp_b(xp, g, a, b, out):
    return xp.matmul(a, g)


outer = Op(
    "OuterBackward0",
    numpy.outer,
    (_outer_vjp_a, _outer_vjp_b),
    ("grad_a = grad @ b", "grad_b = a @ grad"),
    reads=_CROSSED,
)


def _addr(c, a, b, beta, alpha):
    product = numpy.outer(a, b)
    if alpha != 1:
        product *= alpha
    if beta == 0:
        return product
    return product + (c if beta == 1 else c * beta)


def _addr_vjp(vjp):
    def scaled(xp, g, c, a, b, beta, alpha, out):
        grad = vjp(xp, g, a, b, None)
        return grad if alpha == 1 else grad * alpha

    return scaled


addr = Op(
    "AddrBackward0",
    _addr,
    (_c_vjp, _addr_vjp(_outer_vjp_a), _addr_vjp(_outer_vjp_b)),
    ("grad_c = beta * grad", "grad_a = alpha * grad @ b", "grad_b = alpha * a @ grad"),
    reads=((), (2,), (1,)),
)


def _einsum_forward(equation, *operands):
    return numpy.einsum(equation, *operands, optimize=len(operands) > 2)


def _einsum_backward(xp, g, equation, *args):
    # For out = einsum("ij,jk->ik", a, b), the gradient of one operand is an einsum of the
    # gradient with the others, written to that operand's subscripts: "ik,jk->ij" for a.
    # Subscripts only the operand has (summed away in forward) come back by broadcasting; a
    # subscript repeated in an operand (a diagonal, "ii->i") comes back through an identity.
    *operands, _out = args
    subscripts, output, sizes = _explicit_subscripts(equation, [o.shape for o in operands])
    # Ellipsis dims may broadcast (size 1 against n): work at full size, sum back at the end.
    full = [
        o
        if tuple(sizes[c] for c in s) == o.shape
        else xp.broadcast_to(o, tuple(sizes[c] for c in s))
        for s, o in zip(subscripts, operands)
    ]
    grads = [None]
    for i, (subs, operand) in enumerate(zip(subscripts, operands)):
        others = [s for j, s in enumerate(subscripts) if j != i]
        known = set(output).union(*others)
        unique = "".join(dict.fromkeys(subs))
        kept = "".join(c for c in unique if c in known)
        terms = ",".join([output, *others])
        grad = xp.einsum(f"{terms}->{kept}", g, *[o for j, o in enumerate(full) if j != i])
        for axis, c in enumerate(unique):
            if c not in known:
                grad = xp.expand_dims(grad, axis)
        grad = xp.broadcast_to(grad, tuple(sizes[c] for c in unique))
        if len(unique) != len(subs):
            grad = _onto_diagonals(xp, grad, unique, subs, sizes, set(equation))
        grads.append(unbroadcast(xp, grad, operand.shape))
    return grads


def _explicit_subscripts(equation, shapes):
    """The equation's subscripts with '...' spelled out in letters of its own, and every
    letter's size (the largest, where ellipsis dims broadcast)."""
    inputs, output = equation.replace(" ", "").split("->")
    subscripts = inputs.split(",")
    spare = [c for c in _LETTERS if c not in equation]
    width = max(
        (len(shape) - len(s) + 3 for s, shape in zip(subscripts, shapes) if "..." in s), default=0
    )
    ellipsis = "".join(spare[:width])
    subscripts = [
        s.replace("...", ellipsis[width - (len(shape) - len(s) + 3) :])
        for s, shape in zip(subscripts, shapes)
    ]
    sizes = {}
    for s, shape in zip(subscripts, shapes):
        for c, n in zip(s, shape):
            sizes[c] = max(sizes.get(c, 1), n)
    return subscripts, output.replace("...", ellipsis), sizes


_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _onto_diagonals(xp, grad, unique, subs, sizes, used):
    # d(a_ii)/d(a_jk) is 1 only where j == k == i: place the gradient on the diagonal by
    # multiplying with an identity for each repeat ("i,ij->ij" with j a fresh letter).
    fresh = iter(c for c in _LETTERS if c not in used and c not in subs)
    seen, target, eyes = set(), "", []
    for c in subs:
        if c in seen:
            f = next(fresh)
            target += f
            eyes.append((c + f, numpy.eye(sizes[c], dtype=bool)))  # keeps grad's dtype
        else:
            seen.add(c)
            target += c
    terms = ",".join([unique] + [e for e, _ in eyes])
    return xp.einsum(f"{terms}->{target}", grad, *[eye for _, eye in eyes])


einsum = Op(
    "EinsumBackward0",
    _einsum_forward,
    rules=("grad_x = einsum(grad, the others)",),
    backward=_einsum_backward,
    listed=slice(1, None),  # the operands, not the equation
)


def _cross_vjp_a(xp, g, a, b, axis, out):
    return xp.apply(cross, b, g, axis)


def _cross_vjp_b(xp, g, a, b, axis, out):
    return xp.apply(cross, g, a, axis)


cross = Op(
    "LinalgCrossBackward0",
    lambda a, b, axis: numpy.cross(a, b, axis=axis),
    (_cross_vjp_a, _cross_vjp_b),
    ("grad_a = b x grad", "grad_b = grad x a"),
    broadcasts=True,
)

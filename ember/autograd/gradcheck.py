"""Check gradients against finite differences: ``gradcheck`` (first order) and ``gradgradcheck``
(second order), with PyTorch's signatures. Use float64 inputs: float32 rounding swamps the
differences."""

import numpy

from ..tensor import Tensor, wrap
from .grad import grad as autograd_grad

__all__ = [
    "gradcheck",
    "gradgradcheck",
    "GradcheckError",
    "numerical_jacobian",
    "analytical_jacobian",
]


class GradcheckError(RuntimeError):
    """Raised by gradcheck when analytical and numerical gradients disagree."""


def _as_tuple(x):
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def _differentiable(inputs):
    return [i for i, t in enumerate(inputs) if isinstance(t, Tensor) and t.requires_grad]


def _outputs(func, inputs):
    return [o for o in _as_tuple(func(*inputs)) if isinstance(o, Tensor)]


def numerical_jacobian(func, inputs, eps=1e-6):
    """Central differences: J[k][i, j] = d out_k.flat[i] / d inputs[k'].flat[j], one per input."""
    # Grad mode stays on: gradgradcheck's func computes gradients itself (create_graph=True).
    columns = []
    outs = _outputs(func, inputs)
    for index in _differentiable(inputs):
        data = inputs[index]._data
        # Element j in C order, written in place whatever the memory layout (reshape(-1) would
        # copy a transposed input, and the perturbations would never reach it).
        flat = data.flat
        per_output = [numpy.zeros((o.numel(), data.size)) for o in outs]
        for j in range(data.size):
            original = flat[j].item()
            flat[j] = original + eps
            plus = [
                o._data.astype(numpy.float64).reshape(-1).copy() for o in _outputs(func, inputs)
            ]
            flat[j] = original - eps
            minus = [
                o._data.astype(numpy.float64).reshape(-1).copy() for o in _outputs(func, inputs)
            ]
            flat[j] = original
            for k in range(len(outs)):
                per_output[k][:, j] = (plus[k] - minus[k]) / (2 * eps)
        columns.append(per_output)
    return columns


def analytical_jacobian(func, inputs):
    """The same Jacobians from backward, one vector-Jacobian product per output element."""
    outs = _outputs(func, inputs)
    wrt = [inputs[i] for i in _differentiable(inputs)]
    jac = [[numpy.zeros((o.numel(), t.numel())) for o in outs] for t in wrt]
    for k, out in enumerate(outs):
        if not out.requires_grad:
            continue
        for i in range(out.numel()):
            seed = numpy.zeros(out.numel(), out._data.dtype)
            seed[i] = 1
            grads = autograd_grad(
                out, wrt, wrap(seed.reshape(out.shape)), retain_graph=True, allow_unused=True
            )
            for w, g in enumerate(grads):
                if g is not None:
                    jac[w][k][i, :] = g._data.astype(numpy.float64).reshape(-1)
    return jac


def gradcheck(
    func,
    inputs,
    *,
    eps=1e-6,
    atol=1e-5,
    rtol=1e-3,
    raise_exception=True,
    check_undefined_grad=True,
    fast_mode=False,
    nondet_tol=0.0,
    **unused,
):
    """True when ``func``'s backward matches finite differences on ``inputs``; otherwise raises
    GradcheckError (or returns False with ``raise_exception=False``)."""
    inputs = _as_tuple(inputs)
    if not _differentiable(inputs):
        raise ValueError(
            "gradcheck expects at least one input tensor to require gradient, "
            "but none of the them have requires_grad=True."
        )
    numerical = numerical_jacobian(func, inputs, eps)
    analytical = analytical_jacobian(func, inputs)
    for w, index in enumerate(_differentiable(inputs)):
        for k, (n, a) in enumerate(zip(numerical[w], analytical[w])):
            if not numpy.allclose(a, n, rtol=rtol, atol=atol):
                if not raise_exception:
                    return False
                raise GradcheckError(
                    f"Jacobian mismatch for output {k} with respect to input {index},\n"
                    f"numerical:{wrap(n)}\nanalytical:{wrap(a)}\n"
                )
    return True


def gradgradcheck(
    func,
    inputs,
    grad_outputs=None,
    *,
    eps=1e-6,
    atol=1e-5,
    rtol=1e-3,
    gen_non_contig_grad_outputs=False,
    raise_exception=True,
    **unused,
):
    """gradcheck of the gradient itself: checks second derivatives (``create_graph=True``)."""
    inputs = _as_tuple(inputs)
    outs = _outputs(func, inputs)
    if grad_outputs is None:
        rng = numpy.random.default_rng(0)
        grad_outputs = tuple(
            wrap(rng.standard_normal(o.shape).astype(o._data.dtype)).requires_grad_() for o in outs
        )
    grad_outputs = _as_tuple(grad_outputs)
    n = len(inputs)
    wrt = _differentiable(inputs)

    def first_derivatives(*args):
        xs, gs = args[:n], args[n:]
        ys = [o for o in _outputs(func, xs) if o.requires_grad]
        grads = autograd_grad(
            ys, [xs[i] for i in wrt], gs[: len(ys)], create_graph=True, allow_unused=True
        )
        return tuple(g for g in grads if g is not None)

    return gradcheck(
        first_derivatives,
        inputs + grad_outputs,
        eps=eps,
        atol=atol,
        rtol=rtol,
        raise_exception=raise_exception,
    )
